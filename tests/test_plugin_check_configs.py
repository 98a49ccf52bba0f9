"""The configs `plugref check` hands init (clause CHECK-INIT), in-process and without a plugin: documents drawn
from a schema by plugref's own generator (objects of typed properties, enums, bounds, arrays, anyOf; the choices
the module's docstring states), and documents one mutation away from a valid one (a wrong type, an unknown key
when additionalProperties is false, a missing required key, an enum or bound violation).

tests/test_plugin_check.py runs the checks against plugins; these pin the generator itself.
"""
from __future__ import annotations

import json
import re
import sys
import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from reference.tools.plugin_check.configs import (NOT_JSON, _mutations, invalid_configs, is_valid_config,
                                                  valid_configs, values_for)

pytestmark = pytest.mark.clause("CHECK-INIT")

JSON_TYPES = ("string", "integer", "number", "boolean", "null", "array", "object")


def draws(strategy, n: int = 60) -> list:
    """`n` documents from `strategy` (the same ones on every run)."""
    seen: list = []

    @settings(max_examples=n, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value) -> None:
        seen.append(value)

    collect()
    return seen


class Drawn:
    """The documents drawn from each strategy within one test, drawn once (a strategy is known by its repr)."""

    def __init__(self):
        self.samples: dict[str, list] = {}

    def draws(self, strategy, n: int = 50) -> list:
        key = f"{strategy!r}/{n}"
        if key not in self.samples:
            self.samples[key] = draws(strategy, n)
        return self.samples[key]

    def reachable(self, strategy, condition, n: int = 50) -> bool:
        """Is a document meeting `condition` among those drawn (Hypothesis favours bounds and extremes)?"""
        return any(condition(value) for value in self.draws(strategy, n))


@pytest.fixture
def gen() -> Drawn:
    return Drawn()


def json_type(value) -> str:
    """The JSON type of a decoded document (a bool is no integer, an integer no float)."""
    for kind, python in (("null", type(None)), ("boolean", bool), ("integer", int), ("number", float),
                         ("string", str), ("array", list), ("object", dict)):
        if isinstance(value, python):
            return kind
    raise AssertionError(f"not a JSON value: {value!r}")


def is_int(value) -> bool:
    return json_type(value) == "integer"


# --- is_valid_config: what the framework would pass to init ---

def test_texts_that_are_not_json_are_never_valid_configs():
    for text in NOT_JSON:
        with pytest.raises(ValueError):
            json.loads(text)  # each really is refused by a JSON parser
        assert is_valid_config({}, text) is False
    assert is_valid_config({}, "[" * 100_000 + "]" * 100_000) is False  # too deep for the parser


def test_a_config_is_valid_when_it_is_json_the_schema_accepts():
    schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}}
    assert is_valid_config(schema, '{"n": 3}') is True
    assert is_valid_config(schema, "{}") is True
    assert is_valid_config(schema, '{"n": -1}') is False
    assert is_valid_config(schema, "[1]") is False


# --- documents where the schema does not say the type: any JSON value ---

def members(value):
    """Every value inside `value`, itself included."""
    yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        yield from members(child)


def test_a_schema_without_a_type_draws_every_kind_of_json_value(gen):
    found = {json_type(m) for v in gen.draws(values_for({"description": "no type"})) for m in members(v)}
    assert found == {"null", "boolean", "integer", "string", "array", "object"}
    assert gen.reachable(values_for(True), lambda v: isinstance(v, dict) and v)
    assert gen.reachable(values_for("not a schema"), lambda v: isinstance(v, list) and v)
    assert gen.reachable(values_for({"type": "a type JSON has not"}), lambda v: isinstance(v, dict) and v)


def test_any_json_values_stay_within_the_stated_sizes(gen):
    every = [value for document in gen.draws(values_for({}), 150) for value in members(document)]
    ints = [v for v in every if is_int(v)]
    strings = [v for v in every if isinstance(v, str)]
    lists = [v for v in every if isinstance(v, list)]
    objects = [v for v in every if isinstance(v, dict)]
    assert all(-(2**31) <= v <= 2**31 for v in ints) and min(ints) <= -(2**30) and max(ints) >= 2**30
    assert max(map(len, strings)) == 12
    assert max(map(len, lists)) == 3
    assert max(map(len, objects)) == 3
    assert max(len(key) for v in objects for key in v) == 8
    assert any(isinstance(x, (list, dict)) and x for v in lists + objects for x in (v.values() if isinstance(v, dict) else v))


def test_no_lists_or_objects_are_drawn_at_the_depth_limit(gen):
    deepest = values_for({}, depth=3)
    assert {json_type(v) for v in gen.draws(deepest)} <= {"null", "boolean", "integer", "string"}
    assert not gen.reachable(deepest, lambda v: isinstance(v, (list, dict)))
    assert gen.reachable(values_for({}, depth=2), lambda v: isinstance(v, list) and v)


# --- the type, declared or implied by the keywords ---

@pytest.mark.parametrize("schema, kinds", [
    ({"type": "integer"}, {"integer"}),
    ({"type": "boolean"}, {"boolean"}),
    ({"type": "null"}, {"null"}),
    ({"type": ["boolean", "null"]}, {"boolean", "null"}),
    ({"type": ["string", 7]}, {"string"}),          # a type that is no string is no type
    ({"properties": {}}, {"object"}),
    ({"required": ["a"]}, {"object"}),
    ({"additionalProperties": False}, {"object"}),
    ({"items": {"type": "integer"}}, {"array"}),
    ({"minimum": 5}, {"number"}),
    ({"maximum": 5}, {"number"}),
    ({"exclusiveMinimum": 5}, {"number"}),
    ({"exclusiveMaximum": 5}, {"number"}),
    ({"multipleOf": 5}, {"number"}),
    ({"minLength": 1}, {"string"}),
    ({"maxLength": 5}, {"string"}),
    ({"pattern": "^a"}, {"string"}),
])
def test_the_type_is_the_declared_one_or_the_one_its_keywords_imply(gen, schema, kinds):
    assert {json_type(v) for v in gen.draws(values_for(schema))} == kinds


def test_booleans_are_both_drawn(gen):
    assert set(gen.draws(values_for({"type": "boolean"}))) == {True, False}


# --- bounds ---

@pytest.mark.parametrize("schema, low, high", [
    ({"minimum": 3, "maximum": 7}, 3, 7),
    ({"minimum": 2.5, "maximum": 7.5}, 3, 7),                                      # inside the bounds
    ({"minimum": 3, "exclusiveMinimum": True, "maximum": 7, "exclusiveMaximum": True}, 4, 6),  # draft 4
    ({"minimum": 3, "exclusiveMinimum": False, "maximum": 7, "exclusiveMaximum": False}, 3, 7),
    ({"exclusiveMinimum": 3, "exclusiveMaximum": 7}, 4, 6),                        # draft 6 and later
    ({"minimum": 5, "exclusiveMinimum": 3, "maximum": 5, "exclusiveMaximum": 7}, 5, 5),  # the tighter wins
    ({"minimum": 2, "exclusiveMinimum": 3, "maximum": 9, "exclusiveMaximum": 7}, 4, 6),
    ({"minimum": 3, "exclusiveMinimum": 3, "maximum": 7, "exclusiveMaximum": 7}, 4, 6),  # a tie: exclusive
    ({"exclusiveMinimum": 2.5, "exclusiveMaximum": 7.5}, 3, 7),                    # the nearest integers inside
    ({"exclusiveMinimum": 2**60, "maximum": 2**60 + 2}, 2**60 + 1, 2**60 + 2),    # exact beyond float precision
])
def test_integers_lie_within_the_bounds_and_reach_them(gen, schema, low, high):
    strategy = values_for({"type": "integer", **schema})
    assert all(is_int(v) and low <= v <= high for v in gen.draws(strategy))
    assert gen.reachable(strategy, lambda v: v == low)
    assert gen.reachable(strategy, lambda v: v == high)


@pytest.mark.parametrize("schema", [{"exclusiveMinimum": True}, {"exclusiveMaximum": True}, {}])
def test_a_draft_4_exclusivity_without_its_bound_bounds_nothing(gen, schema):
    strategy = values_for({"type": "integer", **schema})
    assert gen.reachable(strategy, lambda v: v < -1000)
    assert gen.reachable(strategy, lambda v: v > 1000)


@pytest.mark.parametrize("schema, low, high", [
    ({"exclusiveMinimum": 0, "exclusiveMaximum": 1}, 0, 1),
    ({"minimum": 0, "exclusiveMinimum": True, "maximum": 1, "exclusiveMaximum": True}, 0, 1),
    ({"exclusiveMinimum": 1e12, "maximum": 2e12, "exclusiveMaximum": 2e12}, 1e12, 2e12),  # 1e12 + 1e-9 == 1e12
])
def test_numbers_lie_within_exclusive_bounds_and_come_close_to_them(gen, schema, low, high):
    strategy = values_for({"type": "number", **schema})
    assert all(low < v < high for v in gen.draws(strategy))
    width = high - low
    assert gen.reachable(strategy, lambda v: v <= low + width * 1e-9)
    assert gen.reachable(strategy, lambda v: v >= high - width * 1e-9)


def test_numbers_reach_inclusive_bounds_and_are_finite(gen):
    strategy = values_for({"type": "number", "minimum": 0.5, "maximum": 0.75})
    assert all(0.5 <= v <= 0.75 for v in gen.draws(strategy))
    assert gen.reachable(strategy, lambda v: v == 0.5) and gen.reachable(strategy, lambda v: v == 0.75)
    unbounded = values_for({"type": "number"})
    assert not gen.reachable(unbounded, lambda v: v != v or v in (float("inf"), float("-inf")))
    assert gen.reachable(unbounded, lambda v: v < -1e6) and gen.reachable(unbounded, lambda v: v > 1e6)


# --- strings ---

@pytest.mark.parametrize("schema, low, high", [
    ({"minLength": 2, "maxLength": 5}, 2, 5),
    ({"minLength": 3}, 3, 27),      # at most 24 more than the minimum
    ({}, 0, 24),
])
def test_string_lengths_lie_within_the_bounds_and_reach_them(gen, schema, low, high):
    strategy = values_for({"type": "string", **schema})
    assert all(low <= len(v) <= high for v in gen.draws(strategy))
    assert gen.reachable(strategy, lambda v: len(v) == low)
    assert gen.reachable(strategy, lambda v: len(v) >= min(high, low + 20))  # long ones are rarer


def test_strings_never_hold_a_nul_but_any_other_character(gen):
    strategy = values_for({"type": "string"})
    assert not gen.reachable(strategy, lambda v: "\0" in v)
    assert gen.reachable(strategy, lambda v: "\x01" in v)
    every = "".join(gen.draws(values_for({"type": "string", "minLength": 24}), 100))
    assert {"X", "x", "0"} <= set(every)


def test_a_pattern_is_matched_within_the_length_bounds(gen):
    strategy = values_for({"type": "string", "pattern": "^[a-z]+$", "minLength": 2, "maxLength": 3})
    values = gen.draws(strategy)
    assert values and all(re.search("^[a-z]+$", v) and 2 <= len(v) <= 3 for v in values)
    assert gen.reachable(strategy, lambda v: len(v) == 2) and gen.reachable(strategy, lambda v: len(v) == 3)
    assert all(len(v) <= 24 for v in gen.draws(values_for({"pattern": "^b+$"})))


# --- arrays ---

@pytest.mark.parametrize("schema, low, high", [
    ({"minItems": 2, "maxItems": 3}, 2, 3),
    ({"minItems": 1}, 1, 5),        # at most 4 more than the minimum
    ({"maxItems": 10}, 0, 4),
])
def test_array_sizes_lie_within_the_bounds_and_reach_them(gen, schema, low, high):
    strategy = values_for({"type": "array", "items": {"type": "integer"}, **schema})
    values = gen.draws(strategy)
    assert all(low <= len(v) <= high and all(is_int(x) for x in v) for v in values)
    assert gen.reachable(strategy, lambda v: len(v) == low)
    assert gen.reachable(strategy, lambda v: len(v) == high)


@pytest.mark.parametrize("items", [[{"type": "integer"}], None])
def test_items_that_are_not_one_schema_allow_any_item(gen, items):
    schema = {"type": "array"} if items is None else {"type": "array", "items": items}
    assert gen.reachable(values_for(schema), lambda v: any(isinstance(x, str) for x in v))


# --- objects ---

def test_objects_hold_their_required_keys_and_some_optional_ones(gen):
    schema = {"type": "object", "required": ["a", "z", 3],
              "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}
    strategy = values_for(schema)
    for value in gen.draws(strategy):
        assert {"a", "z"} <= set(value) <= {"a", "b", "z"}
        assert is_int(value["a"]) and isinstance(value.get("b", ""), str)
    assert gen.reachable(strategy, lambda v: "b" in v) and gen.reachable(strategy, lambda v: "b" not in v)
    assert len({json_type(v["z"]) for v in gen.draws(strategy)}) > 2  # not described: any value


def test_null_properties_and_required_are_none(gen):
    for value in gen.draws(values_for({"type": "object", "properties": None, "required": None})):
        assert isinstance(value, dict)


NESTED = {"type": "object", "required": ["a"], "properties": {"a": {                 # depth 1
    "type": "object", "required": ["b"], "properties": {"b": {                        # depth 2
        "type": "array", "minItems": 1, "items": {                                    # depth 3
            "type": "object", "required": ["c"], "properties": {"c": {"type": "integer"}}}}}}}}


OPTIONAL_NESTED = {"type": "object", "properties": {"a": {                         # depth 1
    "type": "object", "properties": {"b": {                                          # depth 2
        "type": "array", "minItems": 1, "items": {                                   # depth 3
            "type": "object", "properties": {"c": {"type": "integer"}}}}}}}}
ARRAYS = {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 1, "items": {
    "type": "array", "minItems": 1, "items": {"type": "array", "minItems": 1}}}}


def test_optional_properties_and_items_count_as_a_level_each(gen):
    values = gen.draws(values_for(OPTIONAL_NESTED), 100)
    nested = [v["a"]["b"] for v in values if "b" in v.get("a", {})]
    assert nested and all(b and all(item == {} for item in b) for b in nested)
    for value in gen.draws(values_for(ARRAYS)):
        assert value[0][0] and all(inner == [] for inner in value[0][0])


def test_objects_and_arrays_three_levels_down_are_empty(gen):
    for value in gen.draws(values_for(NESTED)):
        assert value["a"]["b"] and all(item == {} for item in value["a"]["b"])
    assert all(v == [] for v in gen.draws(values_for({"type": "array", "minItems": 1}, depth=3)))
    assert all(v == {} for v in gen.draws(values_for({"type": ["array", "object"]}, depth=3)))
    assert gen.reachable(values_for({"type": "array", "minItems": 1}, depth=2), lambda v: len(v) == 1)


# --- const, enum, anyOf, oneOf, allOf, true and false ---

def test_const_and_enum_give_only_their_values(gen):
    assert set(map(json.dumps, gen.draws(values_for({"const": {"x": 1}})))) == {'{"x": 1}'}
    assert set(map(json.dumps, gen.draws(values_for({"enum": [1, "a", None]})))) == {"1", '"a"', "null"}
    assert all(is_int(v) for v in gen.draws(values_for({"enum": [], "type": "integer"})))  # an empty enum is none


@pytest.mark.parametrize("combinator", ["anyOf", "oneOf"])
def test_each_branch_is_drawn_with_the_keywords_beside_it(gen, combinator):
    schema = {"type": "object", combinator: [{"required": ["a"], "properties": {"a": {"const": 1}}},
                                             {"required": ["b"], "properties": {"b": {"const": 2}}}]}
    strategy = values_for(schema)
    assert all(isinstance(v, dict) for v in gen.draws(strategy))
    assert gen.reachable(strategy, lambda v: v.get("a") == 1) and gen.reachable(strategy, lambda v: v.get("b") == 2)
    kinds = {json_type(v) for v in gen.draws(values_for({combinator: [{"type": "integer"}, {"type": "string"}]}))}
    assert kinds == {"integer", "string"}
    assert gen.reachable(values_for({combinator: [True]}), lambda v: isinstance(v, dict))
    assert all(is_int(v) for v in gen.draws(values_for({combinator: [], "type": "integer"})))


def test_all_of_draws_from_the_parts_merged(gen):
    strategy = values_for({"allOf": [{"type": "integer"}, True, {"minimum": 3}], "maximum": 4})
    assert set(gen.draws(strategy)) == {3, 4}
    assert all(is_int(v) for v in gen.draws(values_for({"allOf": [], "type": "integer"})))


@pytest.mark.parametrize("combinator", ["anyOf", "oneOf", "allOf"])
def test_a_combinator_keeps_the_depth_and_the_keywords_beside_it(gen, combinator):
    # at the depth limit a branch's array is empty, as the array itself would be
    assert all(v == [] for v in gen.draws(values_for({combinator: [{"type": "array", "minItems": 1}]}, depth=3)))
    assert gen.reachable(values_for({combinator: [{"type": "array", "minItems": 1}]}, depth=2), lambda v: len(v) == 1)
    # a branch without a type takes the one beside the combinator: integers, never floats
    assert set(gen.draws(values_for({"type": "integer", combinator: [{"minimum": 3, "maximum": 4}]}))) == {3, 4}
    assert all(is_int(v) for v in gen.draws(values_for({"type": "integer", combinator: [{"minimum": 3, "maximum": 4}]})))


@pytest.mark.parametrize("schema", [
    {"type": "integer", "minimum": 5, "maximum": 1},
    {"type": "integer", "exclusiveMinimum": 1, "exclusiveMaximum": 2},  # no integer strictly between 1 and 2
    {"type": "number", "minimum": 5, "maximum": 1},
    {"type": "number", "exclusiveMinimum": 1, "maximum": 1},
    {"type": "number", "minimum": 1, "exclusiveMaximum": 1},
    {"type": "string", "minLength": 3, "maxLength": 2},
    {"type": "array", "minItems": 3, "maxItems": 2},
])
def test_bounds_no_value_meets_draw_nothing(schema):
    with pytest.raises(Unsatisfiable):
        draws(values_for(schema), 10)


@pytest.mark.parametrize("schema, drawn", [
    ({"type": "integer", "minimum": 2, "maximum": 2}, {2}),
    ({"type": "number", "minimum": 1.5, "maximum": 1.5}, {1.5}),
    ({"type": "string", "minLength": 2, "maxLength": 2, "enum": ["aa", "b"]}, {"aa", "b"}),  # enum first
    ({"type": "array", "minItems": 1, "maxItems": 1, "items": {"const": 0}}, {(0,)}),
])
def test_bounds_met_by_one_value_draw_it(gen, schema, drawn):
    assert {tuple(v) if isinstance(v, list) else v for v in gen.draws(values_for(schema))} == drawn
    if schema["type"] == "string":
        assert all(len(v) == 2 for v in gen.draws(values_for({"type": "string", "minLength": 2, "maxLength": 2})))


def test_the_false_schema_draws_nothing(gen):
    with pytest.raises(Unsatisfiable):
        draws(values_for(False), 10)
    schema = {"type": "object", "properties": {"never": False, "n": {"type": "integer"}}}
    assert all("never" not in v for v in gen.draws(values_for(schema)))


# --- valid and invalid configs ---

RICH = {"type": "object", "required": ["mode", "rate"], "additionalProperties": False,
        "properties": {"mode": {"enum": ["fast", "slow"]},
                       "rate": {"type": "number", "exclusiveMinimum": 0, "maximum": 10},
                       "count": {"type": "integer", "minimum": 1},
                       "name": {"type": "string", "minLength": 1},
                       "tags": {"type": "array", "items": {"type": "string"}}}}


def test_valid_configs_are_json_texts_the_schema_accepts(gen):
    texts = gen.draws(valid_configs(RICH))
    assert texts and all(isinstance(t, str) and is_valid_config(RICH, t) for t in texts)


def test_without_a_schema_the_invalid_configs_are_the_texts_that_are_not_json(gen):
    assert set(gen.draws(invalid_configs(None))) == set(NOT_JSON)


def test_invalid_configs_are_refused_and_include_json_documents(gen):
    texts = gen.draws(invalid_configs(RICH))
    assert all(not is_valid_config(RICH, t) for t in texts)
    assert any(t in NOT_JSON for t in texts)
    objects = [json.loads(t) for t in texts if t not in NOT_JSON and isinstance(json.loads(t), dict)]
    assert len({json.dumps(o, sort_keys=True) for o in objects}) >= 5  # mutations of drawn objects


def test_invalid_configs_leave_out_mutations_the_schema_accepts(gen):
    schema = {"type": "object", "properties": {"n": {"minimum": 5}}}  # a string n is fine: minimum is for numbers
    assert {"n": "plugref"} in _mutations(schema, {"n": 6}) and is_valid_config(schema, '{"n": "plugref"}')
    texts = gen.draws(invalid_configs(schema))
    assert all(not is_valid_config(schema, t) for t in texts)
    assert any(t not in NOT_JSON for t in texts)


def test_a_schema_that_accepts_every_document_leaves_the_texts_that_are_not_json(gen):
    assert set(gen.draws(invalid_configs({}))) <= set(NOT_JSON)


def changed(base: dict, broken: list) -> dict[str, list]:
    """key -> the values the mutations that change only that key give it."""
    by_key: dict[str, list] = {}
    for document in broken:
        if isinstance(document, dict) and set(document) == set(base):
            diff = [k for k in base if json.dumps(document[k]) != json.dumps(base[k])]
            if len(diff) == 1:
                by_key.setdefault(diff[0], []).append(document[diff[0]])
    return by_key


def test_each_mutation_breaks_one_rule_of_the_schema():
    base = {"mode": "fast", "rate": 5.0, "count": 2, "name": "x", "tags": []}
    assert is_valid_config(RICH, json.dumps(base))
    broken = _mutations(RICH, base)
    assert broken and all(not is_valid_config(RICH, json.dumps(doc)) for doc in broken)
    by_key = changed(base, broken)
    # a wrong type: every other JSON type, but no integer where a number is asked for
    def wrong_types(key):
        return sorted(json_type(v) for v in by_key[key] if json_type(v) not in ("integer", "number"))
    assert wrong_types("rate") == wrong_types("count") == ["array", "boolean", "null", "object", "string"]
    assert sorted(v for v in by_key["rate"] if json_type(v) in ("integer", "number")) == [-1, 11]  # 1 outside
    count_numbers = [v for v in by_key["count"] if json_type(v) in ("integer", "number")]
    assert sorted(json_type(v) for v in count_numbers) == ["integer", "number"] and 0 in count_numbers
    assert sorted(json_type(v) for v in by_key["tags"]) == ["boolean", "integer", "null", "number", "object",
                                                            "string"]
    assert len(by_key["mode"]) == 1 and by_key["mode"][0] not in ("fast", "slow")  # out of the enum
    assert "" in by_key["name"]                                          # shorter than minLength
    missing = [d for d in broken if isinstance(d, dict) and set(d) < set(base)]
    assert sorted(set(base) - set(d) for d in missing) == [{"mode"}, {"rate"}]  # a required key missing
    extra = [d for d in broken if isinstance(d, dict) and set(d) > set(base)]
    assert len(extra) == 1 and len(set(extra[0]) - set(base)) == 1            # an unknown key
    assert not set(extra[0]) & set(RICH["properties"]) - set(base)
    tops = [d for d in broken if not isinstance(d, dict)]                 # the document itself of a wrong type
    assert sorted(json_type(d) for d in tops) == ["array", "boolean", "integer", "null", "number", "string"]


@pytest.mark.parametrize("bounds, outside", [
    ({"exclusiveMinimum": 3, "exclusiveMaximum": 7}, [3, 7]),   # the bounds themselves
    ({"minimum": 2.5, "maximum": 7.5}, [2, 8]),                 # the nearest integers outside
    ({"minimum": 0}, [-1]),
])
def test_an_integer_bound_is_broken_by_the_nearest_integer_outside(bounds, outside):
    schema = {"type": "object", "properties": {"n": {"type": "integer", **bounds}}}
    broken = _mutations(schema, {"n": 5})
    assert sorted(v for v in changed({"n": 5}, broken)["n"] if json_type(v) == "integer") == outside
    assert all(not is_valid_config(schema, json.dumps(d)) for d in broken)


def test_mutations_of_a_value_that_is_no_object_change_only_its_type():
    broken = _mutations({"type": "integer", "minimum": 0}, 3)
    assert sorted(json_type(d) for d in broken) == ["array", "boolean", "null", "number", "object", "string"]
    assert _mutations({"type": list(JSON_TYPES)}, None) == []


def test_only_what_the_schema_states_is_mutated():
    base = {"free": 1, "odd": 1, "short": "x", "optional": 1}
    schema = {"type": "object", "required": ["absent"],
              "properties": {"free": {}, "odd": True, "short": {"type": "string", "minLength": 0},
                             "optional": {"type": "integer", "minLength": "1"}}}
    broken = _mutations(schema, base)
    by_key = changed(base, broken)
    assert "free" not in by_key and "odd" not in by_key  # no type, no enum, no bound: nothing to break
    assert "" not in by_key["short"]                     # minLength 0: the empty string is fine
    assert all(not is_valid_config(schema, json.dumps({**base, "short": v})) for v in by_key["short"])
    assert sorted(json_type(v) for v in by_key["optional"]) == ["array", "boolean", "null", "number", "object",
                                                                "string"]  # a minLength that is no number: no ""
    assert all(set(d) == set(base) for d in broken if isinstance(d, dict))  # "absent" is not there to remove


def test_hypothesis_jsonschema_is_used_when_installed_and_the_generator_when_it_refuses(gen, monkeypatch):
    fake = types.ModuleType("hypothesis_jsonschema")
    fake.from_schema = lambda schema: st.just({"from": "hypothesis-jsonschema", "for": schema["title"]})
    monkeypatch.setitem(sys.modules, "hypothesis_jsonschema", fake)
    assert set(gen.draws(valid_configs({"type": "object", "title": "t"}))) == \
        {'{"from": "hypothesis-jsonschema", "for": "t"}'}

    def refuses(schema):
        raise ValueError("a schema it cannot handle")
    fake.from_schema = refuses
    assert set(gen.draws(valid_configs({"enum": [5]}))) == {"5"}
