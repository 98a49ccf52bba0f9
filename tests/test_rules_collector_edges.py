"""Collector edges with Falco's codes and texts written out (falco-rules.md §2.4, §2.5, §2.10 and the code
table of §5): list names and items (RULES-LISTS), list and tag replaces and several exceptions appended at
once (RULES-APPEND-OVERRIDE), the uint32 bound of an integer required_engine_version (RULES-ENGINE-VERSION)."""
import pytest
import yaml

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.defined import DefinedLibrary
from reference.falco.rules import RulesLoadError, load_rules
from reference.host.event_fields import FieldTable
from reference.host.registry import PluginRegistry

RULE = {"rule": "r", "desc": "d", "condition": "x.word in (l)", "output": "o", "priority": "INFO", "source": "x",
        "tags": ["a", "b"], "exceptions": [{"name": "e1", "fields": ["x.i"], "values": [["1"]]}]}


def _files(*documents):
    return [(f"f{n}.yaml", yaml.safe_dump(list(items), sort_keys=False)) for n, items in enumerate(documents)]


def load(*documents):
    registry = PluginRegistry()
    registry.load(DefinedLibrary(SOURCE_DEFINITION))
    return load_rules(_files(*documents), {"x": FieldTable(registry, "x")})


def first_error(*documents):
    with pytest.raises(RulesLoadError) as caught:
        load(*documents)
    error = caught.value.results.first_error()
    return error.code, error.message


def warnings(ruleset):
    return [(m.code, m.message) for m in ruleset.results.warnings()]


@pytest.mark.clause("RULES-LISTS")
@pytest.mark.parametrize("name, warned", [("good_list", False), ("a,b", True), ("with space", True), ("x=y", True),
                                          ("q'uote", True), ("(p)", True)])
def test_an_invalid_list_name_only_warns(name, warned):
    ruleset = load([{"list": name, "items": ["v"]}, {"list": "l", "items": ["a"]}, RULE])
    expected = ("LOAD_INVALID_LIST_NAME", "List has an invalid name. List names should match a regular expression: "
                                          "([^()\"'[:space:]=,]+)")
    assert (expected in warnings(ruleset)) is warned


@pytest.mark.clause("RULES-LISTS")
def test_a_list_needs_items():
    assert first_error([{"list": "l"}]) == ("LOAD_ERR_YAML_VALIDATE", "Item has no mapping for key 'items'")


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_list_items_replaced_and_appended():
    base = [{"list": "l", "items": ["a", "b"]}, RULE]
    [rule] = load(base, [{"list": "l", "items": ["c"], "override": {"items": "replace"}}]).rules
    assert rule.expanded.startswith("(x.word in (c))")
    [rule] = load(base, [{"list": "l", "items": ["c"], "override": {"items": "append"}}]).rules
    assert rule.expanded.startswith("(x.word in (a, b, c))")
    assert first_error(base, [{"list": "nope", "items": ["c"], "override": {"items": "replace"}}]) == (
        "LOAD_ERR_VALIDATE", "An 'override.items: replace' to a list was requested but no list by that name already "
                             "exists")


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_tags_replaced_and_appended():
    base = [{"list": "l", "items": ["a"]}, RULE]
    [rule] = load(base, [{"rule": "r", "tags": ["c"], "override": {"tags": "replace"}}]).rules
    assert rule.tags == {"c"}
    [rule] = load(base, [{"rule": "r", "tags": ["c"], "override": {"tags": "append"}}]).rules
    assert rule.tags == {"a", "b", "c"}


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_several_exceptions_appended_at_once_all_apply():
    base = [{"list": "l", "items": ["a"]}, RULE]
    later = [{"rule": "r", "override": {"exceptions": "append"}, "exceptions": [
        {"name": "e1", "values": [["2"]]}, {"name": "e2", "fields": "x.word", "values": ["z"]}]}]
    [rule] = load(base, later).rules
    assert rule.expanded == "(x.word in (a)) and not ((x.i = 1) or (x.i = 2)) and not (x.word in (z))"


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
@pytest.mark.parametrize("exception, message", [
    ({"name": "e1", "fields": ["x.i"], "values": [["2"]]},
     "Can not append exception fields to existing exception, only values"),
    ({"name": "e2", "values": [["2"]]}, "Rule exception must have fields property with a list of fields"),
    ({"name": "e2", "fields": ["x.i"]}, "Rule exception must have values property with a list of values"),
])
def test_appended_exception_errors_are_validation_errors(exception, message):
    base = [{"list": "l", "items": ["a"]}, RULE]
    later = [{"rule": "r", "override": {"exceptions": "append"}, "exceptions": [exception]}]
    assert first_error(base, later) == ("LOAD_ERR_VALIDATE", message)


@pytest.mark.clause("RULES-ENGINE-VERSION")
def test_an_integer_engine_version_is_a_uint32():
    # The reader decodes a uint32 N as 0.N.0; anything larger is a string, and not semver.
    assert first_error([{"required_engine_version": 4294967295}]) == (
        "LOAD_ERR_VALIDATE", "Rules require engine version 0.4294967295.0, but engine version is 0.63.0")
    assert first_error([{"required_engine_version": 4294967296}]) == (
        "LOAD_ERR_YAML_VALIDATE", "Unable to parse engine version '4294967296' as a semver string. Expected "
                                  "\"x.y.z\" semver format.")


@pytest.mark.clause("RULES-ENGINE-VERSION")
def test_the_highest_required_engine_version_is_kept():
    ruleset = load([{"required_engine_version": 26}], [{"required_engine_version": "0.40.0"}],
                   [{"required_engine_version": 12}])
    assert ruleset.required_engine_version == "0.40.0"
    assert load([{"required_engine_version": 26}]).required_engine_version == "0.26.0"
