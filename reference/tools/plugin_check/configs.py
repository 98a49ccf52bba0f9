"""Init configs drawn from a plugin's JSON schema: valid ones init must accept, invalid ones it must refuse.

`hypothesis-jsonschema` is used when it is installed; otherwise a small generator covers the
schemas plugins actually publish (objects of typed properties, enums, bounds, arrays, anyOf).
Whatever produces them, every config is checked with `jsonschema` before use, so a construct the
small generator does not understand costs examples, never correctness.

The small generator's own choices: where a schema says nothing of a value's type, any JSON value is
drawn (null, booleans, integers in -2^31..2^31, strings of up to 12 characters and, while fewer than
MAX_DEPTH levels deep, lists of up to 3 items and objects of up to 3 keys of up to 8 characters);
arrays get at most 4 items more than minItems, strings at most 24 characters more than minLength and
never a NUL; exclusive bounds are kept exactly (integers from the nearest one inside, numbers never
equal to the bound).
"""
from __future__ import annotations

import json
import math
from typing import Any

import jsonschema
from hypothesis import strategies as st

#: Texts no JSON parser accepts (Python's json.loads included: no NaN, no bare words).
NOT_JSON = ("{", "not json", "{'single': 'quotes'}", '{"key": }', "[1, 2", '{"a": 1,}', '"unterminated', "{}}")

#: One sample value of each JSON type, to put where the schema expects another type.
_SAMPLES_BY_TYPE = {
    "string": "plugref",
    "integer": 7,
    "number": 2.5,
    "boolean": True,
    "null": None,
    "array": [1, "two"],
    "object": {"plugref": 1},
}

UNKNOWN_KEY = "plugref_unknown_key"
MAX_DEPTH = 3


def _validator(schema: dict):
    return jsonschema.validators.validator_for(schema)(schema)


def is_valid_config(schema: dict, text: str) -> bool:
    """Would the framework pass `text` to init (INIT-SCHEMA)? Non-JSON never is."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return _validator(schema).is_valid(document)


def _any_json(depth: int) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=12)
    if depth >= MAX_DEPTH:
        return scalars
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


def _declared_types(schema: dict) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return ["object"]
    if "items" in schema:
        return ["array"]
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return ["number"]
    if any(k in schema for k in ("minLength", "maxLength", "pattern")):
        return ["string"]
    return []


def _bounds(schema: dict) -> tuple[float | None, bool, float | None, bool]:
    """(least, exclusive?, greatest, exclusive?) of the numbers `schema` allows; None for no bound."""
    low, high = schema.get("minimum"), schema.get("maximum")
    exclusive_low, exclusive_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    # Draft 4 spells exclusivity as booleans next to minimum/maximum; later drafts as numbers (the
    # tighter of minimum and exclusiveMinimum holds; at a tie the exclusive one).
    low_open = exclusive_low is True and low is not None
    if isinstance(exclusive_low, (int, float)) and not isinstance(exclusive_low, bool) \
            and (low is None or exclusive_low >= low):
        low, low_open = exclusive_low, True
    high_open = exclusive_high is True and high is not None
    if isinstance(exclusive_high, (int, float)) and not isinstance(exclusive_high, bool) \
            and (high is None or exclusive_high <= high):
        high, high_open = exclusive_high, True
    return low, low_open, high, high_open


def _integer_bounds(schema: dict) -> tuple[int | None, int | None]:
    """The least and greatest integer `schema` allows (the nearest inside an exclusive bound)."""
    low, low_open, high, high_open = _bounds(schema)
    return (None if low is None else math.floor(low) + 1 if low_open else math.ceil(low),
            None if high is None else math.ceil(high) - 1 if high_open else math.floor(high))


def _contradicts(low: float | None, high: float | None, open_bound: bool = False) -> bool:
    """Bounds no value meets (a schema that accepts nothing of this type): drawn as nothing, so that the
    check says it could not generate examples instead of Hypothesis refusing the bounds."""
    return low is not None and high is not None and (low > high or (open_bound and low == high))


def _values_of_type(schema: dict, kind: str, depth: int) -> st.SearchStrategy[Any]:
    if kind == "object":
        properties = schema.get("properties") or {}
        required = [k for k in schema.get("required") or [] if isinstance(k, str)]
        mandatory = {k: values_for(properties.get(k, {}), depth + 1) for k in required}
        optional = {k: values_for(v, depth + 1) for k, v in properties.items() if k not in mandatory}
        return st.fixed_dictionaries(mandatory, optional=optional)
    if kind == "array":
        items = schema.get("items", {})
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", low + 4), low + 4)
        if _contradicts(low, high):
            return st.nothing()
        return st.lists(values_for(items if isinstance(items, dict) else {}, depth + 1), min_size=low, max_size=high)
    if kind == "string":
        low = schema.get("minLength", 0)
        high = schema.get("maxLength", low + 24)
        if _contradicts(low, high):
            return st.nothing()
        if isinstance(schema.get("pattern"), str):
            return st.from_regex(schema["pattern"]).filter(lambda s: low <= len(s) <= high)
        return st.text(st.characters(exclude_characters="\0"), min_size=low, max_size=high)
    if kind == "integer":
        low, high = _integer_bounds(schema)
        if _contradicts(low, high):
            return st.nothing()
        return st.integers(min_value=low, max_value=high)
    if kind == "number":
        low, low_open, high, high_open = _bounds(schema)
        if _contradicts(low, high, low_open or high_open):
            return st.nothing()
        return st.floats(min_value=low, max_value=high, exclude_min=low_open, exclude_max=high_open,
                         allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return _any_json(depth)


def values_for(schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Documents that often satisfy `schema` (callers filter with a validator)."""
    if schema is False:  # before the test for a dict: False is no dict, and no document satisfies it
        return st.nothing()
    if not isinstance(schema, dict):  # True, or no schema at all
        return _any_json(depth)
    if "const" in schema:
        return st.just(schema["const"])
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return st.sampled_from(schema["enum"])
    for combinator in ("anyOf", "oneOf"):
        branches = schema.get(combinator)
        if isinstance(branches, list) and branches:
            return st.one_of([values_for({**{k: v for k, v in schema.items() if k != combinator}, **branch}
                                         if isinstance(branch, dict) else branch, depth) for branch in branches])
    if isinstance(schema.get("allOf"), list) and schema["allOf"]:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            if isinstance(part, dict):
                merged.update(part)
        return values_for(merged, depth)
    kinds = _declared_types(schema)
    if not kinds:
        return _any_json(depth)
    if depth >= MAX_DEPTH and ("object" in kinds or "array" in kinds):
        return st.just({} if "object" in kinds else [])
    return st.one_of([_values_of_type(schema, kind, depth) for kind in kinds])


def _document_strategy(schema: dict) -> st.SearchStrategy[Any]:
    try:
        from hypothesis_jsonschema import from_schema
    except ImportError:
        return values_for(schema)
    try:
        return from_schema(schema)
    except Exception:  # it refuses schemas it cannot handle; the small generator still tries
        return values_for(schema)


def valid_configs(schema: dict) -> st.SearchStrategy[str]:
    """Config texts the framework passes to init: JSON documents `schema` accepts."""
    validator = _validator(schema)
    return _document_strategy(schema).filter(validator.is_valid).map(lambda doc: json.dumps(doc))


def _mutations(schema: dict, base: Any) -> list[Any]:
    """Documents one step away from a valid `base`, each breaking one rule of `schema`."""
    broken: list[Any] = [value for kind, value in _SAMPLES_BY_TYPE.items() if kind not in _declared_types(schema)]
    if not isinstance(base, dict):
        return broken
    properties = schema.get("properties") or {}
    for key, subschema in properties.items():
        if not isinstance(subschema, dict):
            continue
        declared = _declared_types(subschema)
        for kind, value in _SAMPLES_BY_TYPE.items():
            if declared and kind not in declared and not (kind == "integer" and "number" in declared):
                broken.append({**base, key: value})
        if isinstance(subschema.get("enum"), list):
            broken.append({**base, key: "plugref-not-in-enum"})
        # One step past each bound: the nearest integer outside for an integer, a number 1 outside else.
        if "integer" in declared:
            low, high = _integer_bounds(subschema)
        else:
            low, _, high, _ = _bounds(subschema)
        if low is not None:
            broken.append({**base, key: low - 1})
        if high is not None:
            broken.append({**base, key: high + 1})
        if isinstance(subschema.get("minLength"), int) and subschema["minLength"] > 0:
            broken.append({**base, key: ""})
    for key in schema.get("required") or []:
        if key in base:
            broken.append({k: v for k, v in base.items() if k != key})
    if schema.get("additionalProperties") is False:
        broken.append({**base, UNKNOWN_KEY: 1})
    return broken


def invalid_configs(schema: dict | None) -> st.SearchStrategy[str]:
    """Config texts a correct plugin refuses: not JSON at all, or (with a schema) JSON it refuses."""
    not_json = st.sampled_from(NOT_JSON)
    if schema is None:
        return not_json
    validator = _validator(schema)

    def one_step_away(base: Any) -> st.SearchStrategy[str]:
        refused = [json.dumps(doc) for doc in _mutations(schema, base) if not validator.is_valid(doc)]
        # A schema that accepts every mutation (`{}` accepts any document) leaves only the non-JSON texts;
        # filtering for refused documents instead would fail Hypothesis' health check and skip the check.
        return st.sampled_from(refused) if refused else not_json

    documents = _document_strategy(schema).filter(validator.is_valid).flatmap(one_step_away)
    return st.one_of(not_json, documents)
