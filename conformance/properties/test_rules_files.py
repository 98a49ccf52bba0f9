"""Rules files: RULES-SHAPE, RULES-ITEM-KEYS, RULES-DEFINE, RULES-APPEND-OVERRIDE, RULES-LISTS, RULES-MACROS,
RULES-EXCEPTIONS, RULES-EXCEPTIONS-SHAPE, RULES-UNKNOWN-SOURCE, RULES-COMPILE, RULES-PLUGIN-VERSIONS,
RULES-ENGINE-VERSION, RULES-ATOMIC, RULES-RESULTS."""
import json

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from conformance.filter_strategies import SOURCE_DEFINITION, conditions, event_lists
from conformance.strategies import semver_triples, version_string
from fake_plugins.defined import DefinedLibrary
from fake_plugins.misbehaving import variant
from reference.host.engine import EventStream
from reference.host.event_fields import EventContext, FieldTable
from reference.filter import compile_filter, parse
from reference.filter.ast import to_text
from reference.host.registry import PluginRegistry
from reference.falco.rules import RulesLoadError, load_rules
from reference.falco.rules.compiler import expand_lists


def registry_with(*definitions):
    registry = PluginRegistry()
    for definition in definitions:
        registry.load(DefinedLibrary(definition))
    return registry


def load(*texts, sources=None, plugins=None):
    if sources is None:
        sources = {"x": FieldTable(registry_with(SOURCE_DEFINITION), "x")}
    return load_rules([(f"f{i}.yaml", text) for i, text in enumerate(texts)], sources, plugins)


def error_of(*texts, **kw):
    with pytest.raises(RulesLoadError) as caught:
        load(*texts, **kw)
    return caught.value.results.first_error()


def rule(name="r", condition="x.i > 1", output="out %x.i", priority="INFO", source="x", **extra):
    item = {"rule": name, "desc": "d", "condition": condition, "output": output, "priority": priority,
            "source": source, **extra}
    return yaml.safe_dump([item], sort_keys=False)


# Plugin version requirements.

def compatible(loaded, required) -> bool:
    return loaded[0] == required[0] and loaded >= required


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
@given(semver_triples(), semver_triples())
def test_required_plugin_version_pairs(loaded, required):
    text = yaml.safe_dump([{"required_plugin_versions": [{"name": "xsrc", "version": version_string(required)}]}])
    plugins = {"xsrc": version_string(loaded)}
    if compatible(loaded, required):
        assert load(text, plugins=plugins).results.successful
    else:
        message = error_of(text, plugins=plugins).message
        assert message == (f"Plugin 'xsrc' version '{version_string(loaded)}' is not compatible with required plugin "
                           f"version '{version_string(required)}'")


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), semver_triples()), min_size=1, max_size=3,
                unique_by=lambda t: t[0]),
       st.dictionaries(st.sampled_from(["a", "b", "c"]), semver_triples(), max_size=3))
def test_alternatives_in_order_the_first_loaded_decides(alternatives, loaded):
    entry = {"name": alternatives[0][0], "version": version_string(alternatives[0][1]),
             "alternatives": [{"name": n, "version": version_string(v)} for n, v in alternatives[1:]]}
    text = yaml.safe_dump([{"required_plugin_versions": [entry]}])
    plugins = {n: version_string(v) for n, v in loaded.items()}
    deciding = next(((n, v) for n, v in alternatives if n in loaded), None)
    if deciding is None:
        choices = ", ".join(f"{n} (>= {version_string(v)})" for n, v in alternatives)
        assert error_of(text, plugins=plugins).message == f"Plugin requirement not satisfied, must load one of: {choices}"
    elif compatible(loaded[deciding[0]], deciding[1]):
        assert load(text, plugins=plugins).results.successful
    else:
        assert error_of(text, plugins=plugins).message.startswith(f"Plugin '{deciding[0]}' version")


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
@given(st.lists(semver_triples(), min_size=1, max_size=4), semver_triples())
def test_requirements_from_several_files_are_each_checked(required, loaded):
    texts = [yaml.safe_dump([{"required_plugin_versions": [{"name": "xsrc", "version": version_string(v)}]}])
             for v in required]
    ok = all(compatible(loaded, v) for v in required)
    try:
        load(*texts, plugins={"xsrc": version_string(loaded)})
    except RulesLoadError:
        assert not ok
    else:
        assert ok


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
@pytest.mark.parametrize("entry, message", [
    ({"name": "a", "version": "1.2"}, "Invalid required version '1.2' for plugin 'a'"),
    ({"name": "a", "version": "1.0.0", "alternatives": [{"name": "a", "version": "2.0.0"}]},
     "Defined multiple alternative version requirements for plugin 'a'"),
    ({"name": "a", "version": "1.0.0", "alternatives": {"name": "b"}},
     "Value of plugin version alternatives must be a sequence"),
    ({"name": "a"}, "Item has no mapping for key 'version'"),
])
def test_malformed_requirements(entry, message):
    assert error_of(yaml.safe_dump([{"required_plugin_versions": [entry]}])).message == message


@pytest.mark.clause("RULES-ENGINE-VERSION")
@pytest.mark.parametrize("required, ok", [("0.63.0", True), ("0.10.0", True), (26, True), ("0.64.0", False),
                                          ("1.0.0", False), (70, False)])
def test_required_engine_version(required, ok):
    text = yaml.safe_dump([{"required_engine_version": required}])
    if ok:
        assert load(text).results.successful
    else:
        assert error_of(text).message.startswith("Rules require engine version")
    assert error_of(yaml.safe_dump([{"required_engine_version": "v1"}])).message.startswith(
        "Unable to parse engine version 'v1' as a semver string.")


# Sources.

@pytest.mark.clause("RULES-UNKNOWN-SOURCE")
@given(st.lists(st.sampled_from(["x", "other", "syscall"]), min_size=1, max_size=5))
def test_rules_compile_only_for_loaded_sources(sources):
    items = [{"macro": "only_other", "condition": "other.field = 1"}]
    for i, source in enumerate(sources):
        condition = "x.i > 1" if source == "x" else "only_other and other.thing exists"
        items.append({"rule": f"r{i}", "desc": "d", "condition": condition, "output": "o", "priority": "INFO",
                      "source": source})
    ruleset = load(yaml.safe_dump(items, sort_keys=False))
    assert [r.name for r in ruleset.rules] == [f"r{i}" for i, s in enumerate(sources) if s == "x"]
    warned = [m.message for m in ruleset.results.warnings() if m.code == "LOAD_UNKNOWN_SOURCE"]
    assert warned == [f"Unknown source {s}, skipping" if s == "other" else
                      "Rule not checked: plugref does not model the syscall source (Falco compiles it), skipping"
                      for s in sources if s != "x"]
    # Syscall rules are not claimed checked: the results name them, in text and JSON.
    syscall_rules = [f"r{i}" for i, s in enumerate(sources) if s == "syscall"]
    assert ruleset.results.not_checked == syscall_rules
    assert ("syscall rule(s), since plugref does not model the syscall source: " + ", ".join(syscall_rules)
            in ruleset.results.verbose()) == bool(syscall_rules)
    assert ruleset.results.to_json().get("not_checked", {}).get("rules", []) == syscall_rules


# Exceptions.

exception_values = st.sampled_from(["nginx", "sshd", "two words", "/opt/dir", "1", "5"])


@st.composite
def exceptions(draw):
    if draw(st.booleans()):
        field = draw(st.sampled_from(["x.word", "x.path"]))
        comp = draw(st.sampled_from([None, "in", "pmatch"]))
        entry = {"name": "e", "fields": field, "values": draw(st.lists(exception_values, max_size=3))}
        if comp:
            entry["comps"] = comp
        return entry
    fields = draw(st.lists(st.sampled_from(["x.word", "x.path", "x.i"]), min_size=1, max_size=2))
    comps = [draw(st.sampled_from(["=", "!=", "startswith", "in"])) if f != "x.i" else draw(st.sampled_from(["=", "<"]))
             for f in fields]
    values = draw(st.lists(st.tuples(*[exception_values.filter(lambda v: v.isdigit()) if f == "x.i" else exception_values
                                       for f in fields]).map(list), max_size=3))
    entry = {"name": "e", "fields": fields, "values": values}
    if draw(st.booleans()) or any(c != "=" for c in comps):
        entry["comps"] = comps
    return entry


def expected_text(condition: str, exception: dict) -> str:
    """The condition with the exception expanded, written from the statement of RULES-EXCEPTIONS."""
    def quoted(v):
        return f'"{v}"' if " " in v else v

    if not exception["values"]:
        return condition
    if isinstance(exception["fields"], str):
        values = ", ".join(quoted(v) for v in exception["values"])
        negated = f"({exception['fields']} {exception.get('comps', 'in')} ({values}))"
    else:
        comps = exception.get("comps") or ["="] * len(exception["fields"])
        groups = []
        for value in exception["values"]:
            checks = [f"{f} {c} " + (f"({quoted(v)})" if c in ("in", "pmatch", "intersects") else quoted(v))
                      for f, c, v in zip(exception["fields"], comps, value)]
            groups.append("(" + " and ".join(checks) + ")")
        negated = "(" + " or ".join(groups) + ")"
    return f"({condition}) and not {negated}"


@pytest.mark.clause("RULES-EXCEPTIONS")
@given(conditions(max_leaves=3).filter(lambda c: "evt.pluginname" not in to_text(c)), exceptions(), event_lists)
def test_a_rule_with_exceptions_behaves_as_its_expanded_condition(condition, exception, events):
    text = to_text(condition)
    ruleset = load(yaml.safe_dump([{"rule": "r", "desc": "d", "condition": text, "output": "o", "priority": "INFO",
                                    "source": "x", "exceptions": [exception]}], sort_keys=False))
    registry = PluginRegistry()
    source = registry.load(DefinedLibrary(variant(SOURCE_DEFINITION,
                                                  events=[{"ts": i + 1, "values": v} for i, v in enumerate(events)])))
    source.open("")
    table = FieldTable(registry, "x")
    [compiled] = load(yaml.safe_dump([{"rule": "r", "desc": "d", "condition": text, "output": "o", "priority": "INFO",
                                       "source": "x", "exceptions": [exception]}], sort_keys=False),
                      sources={"x": table}).rules
    reference = compile_filter(parse(expected_text(text, exception)), table)
    assert ruleset.rules[0].expanded == expected_text(text, exception)
    for event in EventStream(source):
        assert compiled.condition.matches(EventContext(event, compiled.plan, source)) == \
            reference.matches(EventContext(event, reference.plan, source))


@pytest.mark.clause("RULES-EXCEPTIONS-SHAPE")
@pytest.mark.parametrize("exception, message", [
    ({"name": "e", "fields": ["x.word", "x.i"], "comps": ["="], "values": [["a", "1"]]},
     "Fields and comps lists must have equal length"),
    ({"name": "e", "fields": ["x.word"], "comps": ["like"], "values": [["a"]]},
     "'like' is not a supported comparison operator"),
    ({"name": "e", "fields": ["x.nope"], "values": [["a"]]}, "'x.nope' is not a supported filter field"),
    ({"name": "e", "fields": "x.word", "comps": "=", "values": ["a"]}, "'=' is not a supported comparison operator"),
    ({"name": "e", "fields": ["x.word", "x.path"], "values": [["a"]]}, "Fields and values lists must have equal length"),
    ({"name": "e", "values": [["a"]]}, "Rule exception must have fields property with a list of fields"),
])
def test_bad_exceptions(exception, message):
    assert error_of(rule(exceptions=[exception])).message == message


@pytest.mark.clause("RULES-EXCEPTIONS")
def test_a_list_value_becomes_a_bracketed_list():
    # Falco reads exception values recursively: `[[alpha, gamma], 3]` is x.word in (alpha, gamma) and x.i < 3.
    text = rule(condition="x.i < 100", exceptions=[{"name": "e", "fields": ["x.word", "x.i"], "comps": ["in", "<"],
                                                    "values": [[["alpha", "two words"], "3"]]}])
    assert load(text).rules[0].expanded == '(x.i < 100) and not ((x.word in (alpha, "two words") and x.i < 3))'


@pytest.mark.clause("RULES-EXCEPTIONS-SHAPE")
def test_values_deeper_than_a_list_per_field_are_refused():
    text = rule(exceptions=[{"name": "e", "fields": ["x.word"], "comps": ["in"], "values": [[[["alpha"]]]]}])
    error = error_of(text)
    assert (error.code, error.message) == ("LOAD_ERR_VALIDATE", "Expected values array to contain a list of strings")
    assert error.locations[-1].item_type == "exception" and error.locations[-1].item_name == "e"


@pytest.mark.clause("RULES-EXCEPTIONS-SHAPE")
@pytest.mark.parametrize("exception, message", [
    ({"name": "e", "fields": ["x.word"], "comps": ["like"], "values": [["a"]]},
     "'like' is not a supported comparison operator"),
    ({"name": "e", "fields": ["x.nope"], "values": [["a"]]}, "'x.nope' is not a supported filter field"),
    ({"name": "e", "fields": ["x.word", "x.i"], "comps": ["="], "values": []},
     "Fields and comps lists must have equal length"),
])
def test_a_bad_exception_fails_its_definition_even_when_a_later_one_replaces_it(exception, message):
    replaced = rule(exceptions=[exception])
    replacing = rule(condition="x.i > 5")
    with pytest.raises(RulesLoadError) as caught:
        load(replaced, replacing)
    results = caught.value.results
    assert results.first_error().message == message
    assert not results.files[0].successful  # the first file fails, when its definition is collected


@pytest.mark.clause("RULES-EXCEPTIONS-SHAPE")
def test_exception_fields_of_an_unknown_source_are_not_checked_but_comps_are():
    assert load(rule(source="other", exceptions=[{"name": "e", "fields": ["o.f"], "values": [["a"]]}])).rules == []
    assert error_of(rule(source="other", exceptions=[{"name": "e", "fields": ["o.f"], "comps": ["like"],
                                                      "values": [["a"]]}])).message == \
        "'like' is not a supported comparison operator"


@pytest.mark.clause("RULES-EXCEPTIONS-SHAPE")
def test_duplicate_exception_names_warn():
    ruleset = load(rule(exceptions=[{"name": "e", "fields": "x.word", "values": ["a"]},
                                    {"name": "e", "fields": "x.path", "values": ["/b"]}]))
    assert "Multiple definitions of exception 'e' in the same rule" in [m.message for m in ruleset.results.warnings()]


# Lists and macros.

@pytest.mark.clause("RULES-LISTS")
@pytest.mark.parametrize("text, lists, expanded", [
    ("x.word in (procs)", {"procs": ["a", "b"]}, "x.word in (a, b)"),
    ("x.word in (procs, c)", {"procs": []}, "x.word in (c)"),
    ("x.word in (c, procs)", {"procs": []}, "x.word in (c)"),
    ("x.word in (procs)", {"procs": ["two words"]}, 'x.word in ("two words")'),
    ("x.word = procs", {"procs": ["a"]}, "x.word = a"),
    ("x.word in (myprocs)", {"procs": ["a"]}, "x.word in (myprocs)"),
    ("x.word = 'procs'", {"procs": ["a"]}, "x.word = 'procs'"),
    ("x.word contains \"a procs b\"", {"procs": ["b"]}, "x.word contains \"a b b\""),
    ("x.word contains \"a procs\"", {"procs": ["b"]}, "x.word contains \"a procs\""),
])
def test_lists_are_substituted_as_text(text, lists, expanded):
    assert expand_lists(text, lists)[0] == expanded


@pytest.mark.clause("RULES-LISTS")
def test_lists_expand_earlier_lists_and_may_come_after_the_rule():
    text = yaml.safe_dump([
        {"list": "a", "items": ["nginx"]},
        {"rule": "r", "desc": "d", "condition": "x.word in (b)", "output": "o", "priority": "INFO", "source": "x"},
        {"list": "b", "items": ["a", "sshd"]},
    ], sort_keys=False)
    assert load(text).rules[0].expanded == "x.word in (nginx, sshd)"


@pytest.mark.clause("RULES-MACROS")
@pytest.mark.parametrize("items, message", [
    ([{"macro": "m", "condition": "x.i > 1"}, {"macro": "n", "condition": "m"},
      {"macro": "m", "condition": "n", "override": {"condition": "replace"}}], "reference loop in macro 'm'"),
    ([{"macro": "m", "condition": "n"}, {"macro": "n", "condition": "x.i > 1"}], "Undefined macro 'n' used in filter."),
    ([{"macro": "m", "condition": "undefined_thing"}], "Undefined macro 'undefined_thing' used in filter."),
    ([{"macro": "m", "condition": "x.i >"}],
     "expected a number value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', "
     "'len', 'join', 'concat', 'getopt'"),
    ([{"macro": "m", "condition": "later"}, {"macro": "later", "condition": "x.i > 1"}],
     "Undefined macro 'later' used in filter."),
])
def test_macro_errors(items, message):
    assert error_of(yaml.safe_dump(items, sort_keys=False)).message == message


@pytest.mark.clause("RULES-MACROS")
def test_macros_splice_and_unused_ones_warn():
    text = yaml.safe_dump([
        {"macro": "big", "condition": "x.i > 100"},
        {"macro": "unused", "condition": "x.word = a"},
        {"macro": "other_source", "condition": "other.field = 1"},
        {"rule": "r", "desc": "d", "condition": "big and not x.word = b", "output": "o", "priority": "INFO",
         "source": "x"},
        {"list": "lonely", "items": ["a"]},
    ], sort_keys=False)
    ruleset = load(text)
    warnings = [(m.code, m.locations[-1].item_name) for m in ruleset.results.warnings()]
    assert ("LOAD_UNUSED_MACRO", "unused") in warnings and ("LOAD_UNUSED_LIST", "lonely") in warnings
    assert ("LOAD_UNUSED_MACRO", "big") not in warnings


# Defining, appending, overriding.

@pytest.mark.clause("RULES-DEFINE")
@pytest.mark.parametrize("priority, number", [("EMERGENCY", 0), ("alert", 1), ("Critical", 2), ("error", 3),
                                              ("WARNING", 4), ("notice", 5), ("informational", 6), ("INFO", 6),
                                              ("debug", 7)])
def test_priorities(priority, number):
    assert load(rule(priority=priority)).rules[0].priority == number


@pytest.mark.clause("RULES-DEFINE")
def test_redefinition_replaces_in_place_and_defaults():
    text = yaml.safe_dump([
        {"rule": "a", "desc": "d", "condition": "x.i > 1", "output": "  first  ", "priority": "INFO", "source": "x"},
        {"rule": "b", "desc": "d", "condition": "x.i > 2", "output": "o", "priority": "INFO", "source": "x",
         "enabled": False, "tags": ["t2", "t1"]},
        {"rule": "a", "desc": "d", "condition": "x.i > 3", "output": "second", "priority": "INFO", "source": "x"},
    ], sort_keys=False)
    a, b = load(text).rules
    assert (a.name, a.expanded, a.formatter.text) == ("a", "x.i > 3", "*second")
    assert b.enabled is False and b.tags == {"t1", "t2"}
    syscall = load(yaml.safe_dump([{"rule": "s", "desc": "d", "condition": "c", "output": "o", "priority": "INFO"}]))
    assert syscall.rules == [] and syscall.results.not_checked == ["s"]


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_append_and_override():
    base = yaml.safe_dump([
        {"list": "l", "items": ["a"]},
        {"macro": "m", "condition": "x.i > 1"},
        {"rule": "r", "desc": "d", "condition": "m and x.word in (l)", "output": "o", "priority": "INFO", "source": "x",
         "tags": ["a"]},
    ], sort_keys=False)
    later = yaml.safe_dump([
        {"list": "l", "items": ["b"], "override": {"items": "append"}},
        {"macro": "m", "condition": "or x.i = 0", "append": True},
        {"rule": "r", "condition": "and x.path exists", "output": "more", "tags": ["b"],
         "override": {"condition": "append", "output": "replace", "tags": "append"}},
        {"rule": "r", "priority": "ERROR", "override": {"priority": "replace"}},
    ], sort_keys=False)
    ruleset = load(base, later)
    [compiled] = ruleset.rules
    assert compiled.expanded == "m and x.word in (a, b) and x.path exists"
    assert compiled.formatter.text == "*more" and compiled.tags == {"a", "b"} and compiled.priority == 3
    assert "'append' key is deprecated" in " ".join(m.message for m in ruleset.results.warnings())


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
@pytest.mark.parametrize("item, message", [
    ({"rule": "nope", "condition": "x", "override": {"condition": "append"}},
     "Rule uses 'append' or 'override.condition: append' but no rule by that name already exists"),
    ({"rule": "nope", "output": "x", "override": {"output": "replace"}},
     "An 'override.output: replace' to a rule was requested but no rule by that name already exists"),
    ({"list": "nope", "items": ["a"], "append": True},
     "List uses 'append' or 'override.items: append' but no list by that name already exists"),
    ({"macro": "nope", "condition": "x", "override": {"condition": "append"}},
     "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists"),
    ({"rule": "r", "priority": "INFO", "override": {"priority": "append"}},
     "Key 'priority' cannot be appended to, use 'replace' instead"),
    ({"rule": "r", "source": "y", "override": {"source": "replace"}}, "Key 'source' cannot be replaced"),
    ({"rule": "r", "condition": "x", "override": {"condition": "merge"}},
     "Invalid override operation for key 'condition': 'merge'. Allowed values are: append replace "),
    ({"rule": "r", "override": {"condition": "append"}},
     "An append override for 'condition' was specified but 'condition' is not defined"),
    ({"rule": "r", "condition": "x", "output": "o", "override": {"condition": "append"}},
     "Unexpected key 'output': no corresponding entry under 'override' is defined."),
    ({"rule": "r", "condition": "x", "append": True, "override": {"condition": "append"}},
     "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') "
     "under 'override' instead."),
    ({"rule": "nope", "enabled": False}, "Rule has 'enabled' key but no rule by that name already exists"),
])
def test_append_override_errors(item, message):
    assert error_of(rule(), yaml.safe_dump([item], sort_keys=False)).message == message


# Shape, keys and errors users see.

@pytest.mark.clause("RULES-SHAPE", "RULES-ATOMIC")
@pytest.mark.parametrize("text, code, message", [
    ("- rule: [unclosed\n", "LOAD_ERR_YAML_PARSE", "yaml: error at line 2, column 1"),
    # a control character YAML does not allow: at its line and column, on one line (this was PyYAML's
    # multi-line report without a position)
    ("- rule: r\n  desc: a\x07\n", "LOAD_ERR_YAML_PARSE",
     "yaml: error at line 2, column 10: unacceptable character #x0007: special characters are not allowed"),
    ("rule: x\n", "LOAD_ERR_YAML_VALIDATE", "Rules content is not yaml array of objects"),
    ("just text\n", "LOAD_ERR_YAML_VALIDATE", "Rules content is not yaml"),
    ("- 3\n", "LOAD_ERR_YAML_VALIDATE", "Unexpected element type. Each element should be a yaml associative array."),
    ("- rule: r\n  desc: d\n  condition: x.i > 1\n  output: o\n", "LOAD_ERR_YAML_VALIDATE",
     "Item has no mapping for key 'priority'"),
    ("- rule: r\n  desc: d\n  condition: x.i > 1\n  output: o\n  priority: LOUD\n", "LOAD_ERR_YAML_VALIDATE",
     "Invalid priority"),
    ("- rule: r\n  desc: d\n  condition:\n  output: o\n  priority: INFO\n", "LOAD_ERR_YAML_VALIDATE",
     "Mapping for key 'condition' is empty"),
    ("- rule: r\n  desc: d\n  condition: [a]\n  output: o\n  priority: INFO\n", "LOAD_ERR_YAML_VALIDATE",
     "Value is not a scalar value"),
    ("- rule: r\n  desc: ''\n  condition: a\n  output: o\n  priority: INFO\n", "LOAD_ERR_YAML_VALIDATE",
     "Value must be non-empty"),
    ("- rule: r\n  desc: d\n  condition: x.i > 1\n  output: o\n  priority: INFO\n  source: x\n  enabled: maybe\n",
     "LOAD_ERR_YAML_VALIDATE", "Can't decode YAML scalar value"),
    ("- list: l\n  items: a\n", "LOAD_ERR_YAML_VALIDATE", "Value is not a sequence"),
    ("- list: l\n  items: [[a]]\n", "LOAD_ERR_YAML_VALIDATE", "sequence value is not scalar"),
    ("- rule: r\n  desc: d\n  condition: x.nope = 1\n  output: o\n  priority: INFO\n  source: x\n",
     "LOAD_ERR_COMPILE_CONDITION", "filter_check called with nonexistent field x.nope"),
    ("- rule: r\n  desc: d\n  condition: x.i = abc\n  output: o\n  priority: INFO\n  source: x\n",
     "LOAD_ERR_COMPILE_CONDITION", "abc is not a valid number"),
    ("- rule: r\n  desc: d\n  condition: m\n  output: o\n  priority: INFO\n  source: x\n",
     "LOAD_ERR_VALIDATE", "Undefined macro 'm' used in filter."),
    ("- rule: r\n  desc: d\n  condition: x.i > 1\n  output: '%x.nope'\n  priority: INFO\n  source: x\n",
     "LOAD_ERR_COMPILE_OUTPUT", "invalid formatting token x.nope"),
    ("- rule: r\n  desc: d\n  condition: x.i > 1\n  output: o\n  priority: INFO\n  source: x\n"
     "- rule: r\n  desc: d\n  condition: x.i > 1\n  output: o\n  priority: INFO\n",
     "LOAD_ERR_VALIDATE", "Rule has been re-defined with a different source"),
])
def test_bad_rules_files_give_falcos_error_and_nothing_is_kept(text, code, message):
    good = rule("kept")
    with pytest.raises(RulesLoadError) as caught:
        load(good, text)
    first = caught.value.results.first_error()
    assert first.code == code and first.message.startswith(message)
    assert caught.value.results.files[0].successful and not caught.value.results.files[1].successful
    assert first.locations[0].file == "f1.yaml"


@pytest.mark.clause("RULES-ITEM-KEYS")
def test_unknown_items_and_keys_warn():
    ruleset = load("- rule: r\n  desc: d\n  condition: x.i > 1\n  output: o\n  priority: INFO\n  source: x\n"
                   "  colour: red\n- frobnicate: yes\n- macro: m\n  condition: x.i > 1\n  source: x\n"
                   "- macro: 'bad name'\n  condition: x.i > 2\n")
    messages = [(m.code, m.message) for m in ruleset.results.warnings()]
    assert ("LOAD_UNKNOWN_KEY", "Unknown key 'colour'. The key will be ignored.") in messages
    assert ("LOAD_UNKNOWN_KEY", "Unknown key 'source'. The key will be ignored.") in messages
    assert ("LOAD_UNKNOWN_ITEM", "Unknown top level item") in messages
    assert "LOAD_INVALID_MACRO_NAME" in [c for c, _ in messages]


@pytest.mark.clause("RULES-COMPILE")
def test_skip_if_unknown_filter_turns_field_errors_into_a_skip():
    ruleset = load(rule(condition="x.nope = 1", **{"skip-if-unknown-filter": True}), rule("ok"))
    assert [r.name for r in ruleset.rules] == ["ok"]
    assert any(m.code == "LOAD_UNKNOWN_FILTER" for m in ruleset.results.warnings())
    assert error_of(rule(condition="x.i >", **{"skip-if-unknown-filter": True})).code == "LOAD_ERR_COMPILE_CONDITION"


@pytest.mark.clause("RULES-RESULTS")
def test_results_carry_item_names_and_positions_and_render_like_falco_v():
    text = "- list: l\n  items: [a]\n- rule: broken\n  desc: d\n  condition: x.i > 1 and\n  output: o\n" \
           "  priority: INFO\n  source: x\n"
    with pytest.raises(RulesLoadError) as caught:
        load(text)
    results = caught.value.results
    error = results.first_error()
    assert [(loc.item_type, loc.item_name, loc.line, loc.column) for loc in error.locations] == [
        ("rules content", "", 1, 1), ("rule", "broken", 3, 3), ("rule condition", "", 5, 14),
        ("condition expression", "", 5, 22)]
    verbose = results.verbose()
    assert verbose.startswith("f0.yaml: Invalid\n1 Errors:\nIn rules content: (f0.yaml:1:1)\n    In rule 'broken': "
                              "(f0.yaml:3:3)")
    assert "LOAD_ERR_COMPILE_CONDITION (Error compiling condition): " in verbose
    document = json.loads(json.dumps(results.to_json()))
    [file_result] = document["falco_load_results"]
    assert file_result["successful"] is False and file_result["errors"][0]["code"] == "LOAD_ERR_COMPILE_CONDITION"
    assert file_result["errors"][0]["context"]["locations"][1]["item_name"] == "broken"
