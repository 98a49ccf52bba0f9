"""Collector edges with Falco's codes and texts written out (falco-rules.md §2.4, §2.5, §2.10 and the code
table of §5): list names and items (RULES-LISTS), list and tag replaces and several exceptions appended at
once (RULES-APPEND-OVERRIDE), the uint32 bound of an integer required_engine_version (RULES-ENGINE-VERSION); exception keys of the wrong
shape with their lines and columns (RULES-EXCEPTIONS-SHAPE), the legacy append of a condition and standalone
`enabled` against a definition (RULES-DEFINE, falco-rules.md §2.3)."""
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


def collected_rule(*documents):
    from reference.falco.rules.collector import Collector
    from reference.falco.rules.loader import check_engine_version
    from reference.falco.rules.reader import read_items

    collector = Collector()
    for name, text in _files(*documents):
        for item in read_items(text, name):
            collector.collect(item, check_engine_version)
    return collector


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_every_replaceable_key_is_replaced():
    base = [{"list": "l", "items": ["a"]}, {**RULE, "skip-if-unknown-filter": False, "warn_evttypes": True}]
    later = [{"rule": "r", "desc": "new desc", "output": "  new out  ", "priority": "ERROR", "enabled": False,
              "skip-if-unknown-filter": True, "warn_evttypes": False, "capture": True, "condition": "x.i > 7",
              "override": {key: "replace" for key in ("desc", "output", "priority", "enabled", "skip-if-unknown-filter",
                                                      "warn_evttypes", "capture", "condition")}}]
    rule = collected_rule(base, later).rules["r"]
    assert (rule.desc, rule.output, rule.priority, rule.enabled, rule.skip_if_unknown_filter, rule.warn_evttypes,
            rule.capture, rule.condition) == ("new desc", "new out", 3, False, True, False, True, "x.i > 7")
    back = collected_rule(base, later, [{"rule": "r", "enabled": True, "skip-if-unknown-filter": False,
                                         "warn_evttypes": True, "capture": False,
                                         "override": {"enabled": "replace", "skip-if-unknown-filter": "replace",
                                                      "warn_evttypes": "replace", "capture": "replace"}}]).rules["r"]
    assert (back.enabled, back.skip_if_unknown_filter, back.warn_evttypes, back.capture) == (True, False, True, False)


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_appended_text_is_joined_with_a_space_and_outputs_are_trimmed():
    base = [{"list": "l", "items": ["a"]}, RULE]
    later = [{"rule": "r", "desc": "more", "output": "  %x.i  ", "condition": "and x.i > 1",
              "override": {"desc": "append", "output": "append", "condition": "append"}}]
    rule = collected_rule(base, later).rules["r"]
    assert (rule.desc, rule.output, rule.condition) == ("d more", "o %x.i", "x.word in (l) and x.i > 1")


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_an_invalid_replaced_priority_is_a_shape_error_at_the_value():
    with pytest.raises(RulesLoadError) as caught:
        load([{"list": "l", "items": ["a"]}, RULE], [{"rule": "r", "priority": "LOUD",
                                                      "override": {"priority": "replace"}}])
    error = caught.value.results.first_error()
    assert (error.code, error.message) == ("LOAD_ERR_YAML_VALIDATE", "Invalid priority")
    assert error.locations[-1].item_type == "value for 'priority'"


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
@pytest.mark.parametrize("item, message", [
    ({"rule": "nope", "condition": "x", "append": True},
     "Rule uses 'append' or 'override.condition: append' but no rule by that name already exists"),
    ({"rule": "nope", "exceptions": [{"name": "e", "fields": "x.i", "values": ["1"]}], "append": True},
     "Rule uses 'append' or 'override.condition: append' but no rule by that name already exists"),
    ({"macro": "nope", "condition": "x.i = 1", "override": {"condition": "replace"}},
     "An 'override.condition: replace' to a macro was requested but no macro by that name already exists"),
    ({"list": "nope", "items": ["a"], "override": {"items": "append"}},
     "List uses 'append' or 'override.items: append' but no list by that name already exists"),
])
def test_no_previous_item_is_a_validation_error(item, message):
    assert first_error([{"list": "l", "items": ["a"]}, RULE], [item]) == ("LOAD_ERR_VALIDATE", message)


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
def test_required_plugin_versions_must_be_a_sequence():
    assert first_error([{"required_plugin_versions": "xsrc"}]) == (
        "LOAD_ERR_YAML_VALIDATE", "Value of required_plugin_versions must be a sequence")


@pytest.mark.clause("RULES-MACROS")
@pytest.mark.parametrize("name, warned", [("good_macro", False), ("1bad", True), ("bad-name", True), ("a.b", True)])
def test_an_invalid_macro_name_only_warns(name, warned):
    ruleset = load([{"macro": name, "condition": "x.i = 1"}, {"list": "l", "items": ["a"]}, RULE])
    expected = ("LOAD_INVALID_MACRO_NAME", "Macro has an invalid name. Macro names should match a regular expression: "
                                           "([a-zA-Z]+[a-zA-Z0-9_]*)")
    assert (expected in warnings(ruleset)) is warned


@pytest.mark.clause("RULES-MACROS")
def test_macros_replaced_and_appended():
    base = [{"macro": "m", "condition": "x.i = 1"}, {**RULE, "condition": "m", "exceptions": []}]
    replaced = collected_rule(base, [{"macro": "m", "condition": "x.i = 2", "override": {"condition": "replace"}}])
    assert replaced.macros["m"].condition == "x.i = 2"
    appended = collected_rule(base, [{"macro": "m", "condition": "or x.i = 3", "override": {"condition": "append"}}])
    assert appended.macros["m"].condition == "x.i = 1 or x.i = 3"
    assert first_error(base, [{"macro": "m", "condition": "x.i = 2", "override": {"condition": "merge"}}]) == (
        "LOAD_ERR_YAML_VALIDATE", "Invalid override operation for key 'condition': 'merge'. Allowed values are: "
                                  "append replace ")


@pytest.mark.clause("RULES-MACROS")
def test_a_macro_sees_the_macros_first_defined_before_its_latest_definition():
    rule = {**RULE, "condition": "a", "exceptions": []}
    # a's append comes before c exists: c is not visible to a
    assert first_error([{"macro": "a", "condition": "x.i = 1"}, {"macro": "a", "condition": "or c",
                                                                  "override": {"condition": "append"}},
                        {"macro": "c", "condition": "x.i = 2"}, rule]) == (
        "LOAD_ERR_VALIDATE", "Undefined macro 'c' used in filter.")
    # b redefined after a keeps its first place, so a still sees it
    [compiled] = load([{"macro": "b", "condition": "x.i = 1"}, {"macro": "a", "condition": "b"},
                       {"macro": "b", "condition": "x.i = 2"}, rule]).rules
    assert compiled.name == "r"


@pytest.mark.clause("RULES-RESULTS")
def test_a_macro_condition_error_is_located_in_the_macro_condition():
    with pytest.raises(RulesLoadError) as caught:
        load([{"macro": "m", "condition": "x.i = = 1"}])
    error = caught.value.results.first_error()
    assert error.code == "LOAD_ERR_COMPILE_CONDITION"
    assert ("macro", "m") in [(loc.item_type, loc.item_name) for loc in error.locations]
    assert ("macro condition", "") in [(loc.item_type, loc.item_name) for loc in error.locations]


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
@pytest.mark.parametrize("entries, code, message, location", [
    ([3], "LOAD_ERR_YAML_VALIDATE", "Plugin version must be a mapping", ("required plugin versions entry", "")),
    ([{"name": "p", "version": "1.0.0", "alternatives": "q"}], "LOAD_ERR_YAML_VALIDATE",
     "Value of plugin version alternatives must be a sequence", ("required plugin versions entry", "p")),
    ([{"name": "p", "version": "1.0.0", "alternatives": ["q"]}], "LOAD_ERR_YAML_VALIDATE",
     "Plugin version alternative must be a mapping", ("required plugin versions entry", "p")),
    ([{"name": "p", "version": "x"}], "LOAD_ERR_VALIDATE", "Invalid required version 'x' for plugin 'p'",
     ("required plugin versions entry", "p")),
    ([{"name": "p", "version": "1.0.0", "alternatives": [{"name": "q", "version": "y"}]}], "LOAD_ERR_VALIDATE",
     "Invalid required version 'y' for plugin 'q'", ("required plugin versions entry", "p")),
    ([{"name": "p", "version": "1.0.0", "alternatives": [{"name": "p", "version": "2.0.0"}]}], "LOAD_ERR_VALIDATE",
     "Defined multiple alternative version requirements for plugin 'p'", ("required plugin versions entry", "p")),
    # Keys of an entry and of an alternative are read like any item's, located in the items that hold them.
    ([{"version": "1.0.0"}], "LOAD_ERR_YAML_VALIDATE", "Item has no mapping for key 'name'",
     ("required plugin versions", "")),
    ([{"name": ["p"], "version": "1.0.0"}], "LOAD_ERR_YAML_VALIDATE", "Value is not a scalar value",
     ("value for 'name'", "")),
    ([{"name": "p", "version": "1.0.0", "alternatives": [{"version": "2.0.0"}]}], "LOAD_ERR_YAML_VALIDATE",
     "Item has no mapping for key 'name'", ("required plugin versions entry", "p")),
    ([{"name": "p", "version": "1.0.0", "alternatives": [{"name": {"q": 1}, "version": "2.0.0"}]}],
     "LOAD_ERR_YAML_VALIDATE", "Value is not a scalar value", ("value for 'name'", "")),
])
def test_malformed_requirements_with_codes_and_locations(entries, code, message, location):
    with pytest.raises(RulesLoadError) as caught:
        load([{"required_plugin_versions": entries}])
    error = caught.value.results.first_error()
    assert (error.code, error.message) == (code, message)
    assert location in [(loc.item_type, loc.item_name) for loc in error.locations]
    assert [(loc.item_type, loc.item_name) for loc in error.locations][:2] == [("rules content", ""),
                                                                               ("required plugin versions", "")]
    assert all(loc.file == "f0.yaml" for loc in error.locations)


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
def test_requirements_keep_their_alternatives_and_locations():
    collector = collected_rule([{"required_plugin_versions": [
        {"name": "p", "version": "1.0.0", "alternatives": [{"name": "q", "version": "2.0.0"}]},
        {"name": "r", "version": "0.1.0", "alternatives": None}]}])
    assert [req.alternatives for req in collector.requirements] == [[("p", "1.0.0"), ("q", "2.0.0")], [("r", "0.1.0")]]
    assert [(loc.item_type, loc.item_name) for loc in collector.requirements[1].locations][-1] == (
        "required plugin versions entry", "r")


def error_at(*documents):
    """(code, message, [(item type, item name)...]) of the first error; every location is in f0.yaml."""
    with pytest.raises(RulesLoadError) as caught:
        load(*documents)
    error = caught.value.results.first_error()
    assert all(loc.file == "f0.yaml" for loc in error.locations)
    return error.code, error.message, [(loc.item_type, loc.item_name) for loc in error.locations]


@pytest.mark.clause("RULES-EXCEPTIONS-SHAPE", "RULES-RESULTS")
@pytest.mark.parametrize("exceptions, message, where", [
    ("e1", "Value is not a sequence", ("exceptions", "")),
    (["e1"], "Rule exception item must be a mapping", ("exceptions", "")),
    ([{"fields": ["x.i"], "values": [["1"]]}], "Item has no mapping for key 'name'", ("rule", "r")),
    ([{"name": ["e1"], "fields": ["x.i"], "values": [["1"]]}], "Value is not a scalar value",
     ("value for 'name'", "")),
])
def test_a_malformed_exception_is_a_yaml_validation_error_where_it_is(exceptions, message, where):
    code, text, locations = error_at([{"list": "l", "items": ["a"]}, {**RULE, "exceptions": exceptions}])
    assert (code, text) == ("LOAD_ERR_YAML_VALIDATE", message)
    assert where in locations and ("rule", "r") in locations


@pytest.mark.clause("RULES-EXCEPTIONS-SHAPE", "RULES-RESULTS")
def test_an_exception_error_is_located_in_that_exception():
    code, text, locations = error_at([{"list": "l", "items": ["a"]},
                                      {**RULE, "exceptions": [{"name": "e1", "fields": ["x.i"], "values": [["1"]]},
                                                              {"name": "e2", "values": [["1"]]}]}])
    assert (code, text) == ("LOAD_ERR_VALIDATE", "Rule exception must have fields property with a list of fields")
    assert locations[-1] == ("exception", "e2")


@pytest.mark.clause("RULES-EXCEPTIONS-SHAPE")
def test_only_a_repeated_exception_name_warns():
    twice = {"name": "e1", "fields": ["x.i"], "values": [["2"]]}
    once = {"name": "e2", "fields": ["x.i"], "values": [["2"]]}
    warning = ("LOAD_EXCEPTION_NAME_NOT_UNIQUE", "Multiple definitions of exception 'e1' in the same rule")
    assert warning in warnings(load([{"list": "l", "items": ["a"]}, {**RULE, "exceptions": RULE["exceptions"] + [twice]}]))
    assert not [w for w in warnings(load([{"list": "l", "items": ["a"]},
                                          {**RULE, "exceptions": RULE["exceptions"] + [once]}])) if w[0] == warning[0]]


@pytest.mark.clause("RULES-EXCEPTIONS-SHAPE")
def test_an_exception_field_may_take_an_argument():
    # The field's name is looked up without its argument: x.tag[k] is the field x.tag.
    [rule] = load([{"list": "l", "items": ["a"]},
                   {**RULE, "exceptions": [{"name": "e1", "fields": ["x.tag[k]"], "values": [["v"]]}]}]).rules
    assert rule.name == "r"


@pytest.mark.clause("RULES-APPEND-OVERRIDE", "RULES-RESULTS")
def test_a_capture_duration_that_is_no_number_is_located_in_its_value():
    code, text, locations = error_at([{"list": "l", "items": ["a"]}, {**RULE, "capture_duration": "ten"}])
    assert (code, text) == ("LOAD_ERR_YAML_VALIDATE", "Can't decode YAML scalar value")
    assert locations[-1] == ("value for 'capture_duration'", "")


#: A rule of source x written out, so that the lines and columns of what follows it are known.
RULE_TEXT = """- rule: r
  desc: d
  condition: x.i = 1
  output: o
  priority: INFO
  source: x
"""


def load_text(text):
    registry = PluginRegistry()
    registry.load(DefinedLibrary(SOURCE_DEFINITION))
    return load_rules([("f0.yaml", text)], {"x": FieldTable(registry, "x")})


def error_of_text(text):
    """The first error's code, message and locations as (item type, item name, line, column)."""
    with pytest.raises(RulesLoadError) as caught:
        load_text(text)
    error = caught.value.results.first_error()
    return error.code, error.message, [(loc.item_type, loc.item_name, loc.line, loc.column) for loc in error.locations]


@pytest.mark.clause("RULES-EXCEPTIONS-SHAPE")
@pytest.mark.parametrize("exception, message, line, column", [
    # the value that is wrong is located, in the exception it belongs to
    ('    fields: [x.i]\n    values: "1"\n', "Rule exception must have values property with a list of values", 10, 13),
    ("    fields: {}\n    values: [[1]]\n", "Rule exception fields must be a string or a list of strings", 9, 13),
    ("    fields: [[x.i]]\n    values: [[1]]\n", "Rule exception fields must be a string or a list of strings", 9, 13),
    ('    fields: [x.i]\n    comps: [["="]]\n    values: [[1]]\n',
     "Rule exception comps must be a string or a list of strings", 10, 12),
])
def test_exception_keys_of_the_wrong_shape_are_located_in_the_exception(exception, message, line, column):
    text = RULE_TEXT + "  exceptions:\n  - name: e1\n" + exception
    assert error_of_text(text) == ("LOAD_ERR_YAML_VALIDATE", message, [
        ("rules content", "", 1, 1), ("rule", "r", 1, 3), ("exception", "e1", line, column)])


@pytest.mark.clause("RULES-EXCEPTIONS", "RULES-APPEND-OVERRIDE")
def test_an_exception_with_no_values_excludes_nothing_until_values_are_appended():
    defined = RULE_TEXT + "  exceptions:\n  - name: e1\n    fields: [x.i]\n"
    assert [rule.expanded for rule in load_text(defined).rules] == ["x.i = 1"]
    appended = "- rule: r\n  override: {exceptions: append}\n  exceptions:\n  - name: e1\n"
    assert [rule.expanded for rule in load_text(defined + appended).rules] == ["x.i = 1"]
    appended += "    values: [[2]]\n"
    assert [rule.expanded for rule in load_text(defined + appended).rules] == ["(x.i = 1) and not ((x.i = 2))"]


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_a_legacy_append_joins_the_condition_or_needs_one():
    ruleset = load_text(RULE_TEXT + "- rule: r\n  append: true\n  condition: or x.i = 2\n")
    assert [rule.expanded for rule in ruleset.rules] == ["x.i = 1 or x.i = 2"]
    assert error_of_text(RULE_TEXT + "- rule: r\n  append: true\n") == (
        "LOAD_ERR_YAML_VALIDATE", "Appended rule must have exceptions or condition property",
        [("rules content", "", 1, 1), ("rule", "r", 7, 3)])


@pytest.mark.clause("RULES-DEFINE")
@pytest.mark.parametrize("key, value, missing", [("condition", "x.i = 3", "output"), ("output", "o2", "condition"),
                                                 ("desc", "d2", "condition"), ("priority", "INFO", "condition")])
def test_enabled_with_any_defining_key_is_a_definition(key, value, missing):
    # falco-rules.md §2.3: only an item with none of condition/output/desc/priority toggles `enabled`; a
    # definition reads condition, output, desc and priority in that order
    assert error_of_text(RULE_TEXT + f"- rule: r\n  {key}: {value}\n  enabled: false\n") == (
        "LOAD_ERR_YAML_VALIDATE", f"Item has no mapping for key '{missing}'",
        [("rules content", "", 1, 1), ("rule", "r", 7, 3)])


@pytest.mark.clause("RULES-DEFINE")
def test_a_standalone_enabled_toggles_the_rule_with_a_deprecation_warning():
    ruleset = load_text(RULE_TEXT + "- rule: r\n  enabled: false\n")
    assert [rule.enabled for rule in ruleset.rules] == [False]
    assert warnings(ruleset) == [("LOAD_DEPRECATED_ITEM", "The standalone 'enabled' key usage is deprecated. The "
                                                          "correct approach requires also a 'replace' entry under the "
                                                          "'override' key (i.e. 'enabled: replace').")]


#: Where the `override` mapping of a second rule item written as `- rule: r` then `  override: ...` is.
CONTEXT_OF_THE_OVERRIDE = [("rules content", "", 1, 1), ("rule", "r", 7, 3), ("overrides", "", 8, 13)]


@pytest.mark.clause("RULES-APPEND-OVERRIDE", "RULES-RESULTS")
@pytest.mark.parametrize("override, keys, message", [
    ("[condition]", "  condition: x.i = 2\n", "Value is not a mapping"),
    ("{priority: append}", "  priority: INFO\n", "Key 'priority' cannot be appended to, use 'replace' instead"),
    ("{source: replace}", "  source: x\n", "Key 'source' cannot be replaced"),
    ("{condition: merge}", "  condition: x.i = 2\n",
     "Invalid override operation for key 'condition': 'merge'. Allowed values are: append replace "),
    # an operation that is no scalar is no operation at all: it is named as the empty one
    ("{condition: [append]}", "  condition: x.i = 2\n",
     "Invalid override operation for key 'condition': ''. Allowed values are: append replace "),
    ("{output: replace}", "", "An replace override for 'output' was specified but 'output' is not defined"),
    ("{condition: append}", "  condition: or x.i = 2\n  output: o2\n",
     "Unexpected key 'output': no corresponding entry under 'override' is defined."),
    # a replaceable key that cannot be appended needs its entry too
    ("{condition: append}", "  condition: or x.i = 2\n  priority: INFO\n",
     "Unexpected key 'priority': no corresponding entry under 'override' is defined."),
    ("{condition: append}", "  condition: or x.i = 2\n  append: true\n",
     "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') "
     "under 'override' instead."),
])
def test_override_errors_are_shape_errors_located_in_the_override(override, keys, message):
    # falco-rules.md §2.5 and §5: the reader's errors (LOAD_ERR_YAML_VALIDATE), in the item's `overrides` context
    text = RULE_TEXT + f"- rule: r\n  override: {override}\n" + keys
    assert error_of_text(text) == ("LOAD_ERR_YAML_VALIDATE", message, CONTEXT_OF_THE_OVERRIDE)


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_override_with_append_false_is_an_override():
    ruleset = load_text(RULE_TEXT + "- rule: r\n  override: {condition: append}\n  condition: or x.i = 2\n"
                                    "  append: false\n")
    assert [rule.expanded for rule in ruleset.rules] == ["x.i = 1 or x.i = 2"]
    assert warnings(ruleset) == []


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_the_legacy_append_warns_that_it_is_deprecated():
    ruleset = load_text(RULE_TEXT + "- rule: r\n  append: true\n  condition: or x.i = 2\n")
    assert warnings(ruleset) == [("LOAD_DEPRECATED_ITEM", "'append' key is deprecated. Add an 'append' entry (e.g. "
                                                          "'condition: append') under 'override' instead.")]
    # `append: false` is a definition, and no deprecated use
    ruleset = load_text(RULE_TEXT + "- rule: r2\n  append: false\n  desc: d\n  condition: x.i = 2\n  output: o\n"
                                    "  priority: INFO\n  source: x\n")
    assert [rule.name for rule in ruleset.rules] == ["r", "r2"] and warnings(ruleset) == []


@pytest.mark.clause("RULES-DEFINE", "RULES-RESULTS")
def test_a_standalone_enabled_for_no_rule_is_a_validation_error():
    assert error_of_text(RULE_TEXT + "- rule: nope\n  enabled: false\n") == (
        "LOAD_ERR_VALIDATE", "Rule has 'enabled' key but no rule by that name already exists",
        [("rules content", "", 1, 1), ("rule", "nope", 7, 3)])


@pytest.mark.clause("RULES-DEFINE", "RULES-RESULTS")
def test_an_invalid_priority_is_located_in_its_value():
    text = RULE_TEXT.replace("priority: INFO", "priority: LOUD")
    assert error_of_text(text) == ("LOAD_ERR_YAML_VALIDATE", "Invalid priority", [
        ("rules content", "", 1, 1), ("rule", "r", 1, 3), ("value for 'priority'", "", 5, 13)])


@pytest.mark.clause("RULES-COMPILE", "RULES-RESULTS")
def test_an_output_error_is_located_in_the_rule_output():
    text = RULE_TEXT.replace("output: o", "output: '%x.nope'")
    assert error_of_text(text) == ("LOAD_ERR_COMPILE_OUTPUT", "invalid formatting token x.nope", [
        ("rules content", "", 1, 1), ("rule", "r", 1, 3), ("rule output", "", 4, 11)])


@pytest.mark.clause("RULES-DEFINE")
def test_a_defined_rule_is_enabled_and_warns_of_event_types_unless_told_otherwise():
    # falco-rules.md §2.3: `enabled` and `warn_evttypes` default to true
    ruleset = load_text(RULE_TEXT)
    assert [rule.name for rule in ruleset.enabled_for("x", 7)] == ["r"]
    collector = collected_rule([{"rule": "r", "desc": "d", "condition": "x.i = 1", "output": "o",
                                 "priority": "INFO", "source": "x"},
                                {"rule": "s", "desc": "d", "condition": "x.i = 1", "output": "o", "priority": "INFO",
                                 "source": "x", "warn_evttypes": False, "enabled": False}])
    assert [(rule.enabled, rule.warn_evttypes) for rule in collector.rules.values()] == [(True, True), (False, False)]
