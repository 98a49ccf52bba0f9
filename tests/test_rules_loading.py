"""Loading rules files as a whole (RULES-ATOMIC, RULES-UNKNOWN-SOURCE, RULES-PLUGIN-VERSIONS,
RULES-ENGINE-VERSION, RULES-MACROS, RULES-LISTS and ENGINE-RULES-PER-SOURCE in docs/spec.md): files read
from disk or given as text, the first failing file stopping the load, what the error says, where
warnings go, which rules run for a source and priority. In-process; the item-level rules are in
tests/test_rules_collector_edges.py and conformance/properties/test_rules_files.py."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.defined import DefinedLibrary
from reference.falco.rules import RulesLoadError, load_rules
from reference.falco.rules.loader import check_engine_version
from reference.host.event_fields import FieldTable
from reference.host.registry import PluginRegistry

PRIORITY_NAMES = ["EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFORMATIONAL", "DEBUG"]


def rule_text(name: str = "r", condition: str = "x.i = 1", priority: str = "INFO", source: str = "x",
              more: str = "") -> str:
    return (f"- rule: {name}\n  desc: d\n  condition: {condition}\n  output: o\n  priority: {priority}\n"
            f"  source: {source}\n{more}")


def sources():
    registry = PluginRegistry()
    registry.load(DefinedLibrary(SOURCE_DEFINITION))
    return {"x": FieldTable(registry, "x")}


def load(*texts, plugins=None):
    return load_rules([(f"f{n}.yaml", text) for n, text in enumerate(texts)], sources(), plugins)


def failed(files, plugins=None) -> RulesLoadError:
    with pytest.raises(RulesLoadError) as caught:
        load_rules(files, sources(), plugins)
    assert caught.value.clause == "RULES-ATOMIC"
    return caught.value


def where(message):
    return [(loc.item_type, loc.item_name, loc.file, loc.line, loc.column) for loc in message.locations]


@pytest.mark.clause("RULES-ATOMIC")
def test_files_are_read_from_their_paths(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("- list: l\n  items: [1, 2]\n")
    second.write_text(rule_text(condition="x.i in (l)"))
    ruleset = load_rules([first, str(second)], sources())
    assert [rule.expanded for rule in ruleset.rules] == ["x.i in (1, 2)"]
    assert [result.name for result in ruleset.results.files] == [str(first), str(second)]


@pytest.mark.clause("RULES-ATOMIC", "RULES-RESULTS")
def test_a_file_that_cannot_be_read_is_a_read_error_and_stops_the_load(tmp_path):
    missing, good = tmp_path / "missing.yaml", tmp_path / "good.yaml"
    good.write_text(rule_text())
    error = failed([good, missing, good])
    results = error.results
    assert [result.name for result in results.files] == [str(good), str(missing)]
    message = results.first_error()
    assert (message.code, message.message) == (
        "LOAD_ERR_FILE_READ", f"Could not open file {missing} for reading: No such file or directory")
    assert where(message) == [("rules content", "", str(missing), 1, 1)]
    assert results.files[0].successful and not results.successful


@pytest.mark.clause("RULES-ATOMIC")
def test_a_file_that_is_no_text_is_a_read_error(tmp_path):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"- rule: \xff\xfe\n")
    message = failed([binary]).results.first_error()
    assert message.code == "LOAD_ERR_FILE_READ"
    assert message.message.startswith(f"Could not open file {binary} for reading: 'utf-8' codec can't decode byte 0xff")


@pytest.mark.clause("RULES-ATOMIC")
def test_the_first_failing_file_stops_the_load_and_its_block_is_the_error():
    error = failed([("a.yaml", rule_text()), ("b.yaml", "- list: l\n"), ("c.yaml", "- nonsense: [\n")])
    assert [result.name for result in error.results.files] == ["a.yaml", "b.yaml"]
    assert str(error) == error.message == (
        "b.yaml: Invalid\n1 Errors:\nIn rules content: (b.yaml:1:1)\n    In list 'l': (b.yaml:1:3)\n"
        "LOAD_ERR_YAML_VALIDATE (Error validating internal structure of YAML file): Item has no mapping for key 'items'")


@pytest.mark.clause("RULES-ATOMIC", "RULES-ITEM-KEYS")
def test_an_items_warnings_are_kept_when_the_item_fails():
    error = failed([("a.yaml", "- list: l\n  colour: red\n")])
    [result] = error.results.files
    assert [(m.code, m.message) for m in result.warnings] == [
        ("LOAD_UNKNOWN_KEY", "Unknown key 'colour'. The key will be ignored.")]
    assert [m.message for m in result.errors] == ["Item has no mapping for key 'items'"]


@pytest.mark.clause("RULES-ATOMIC", "RULES-COMPILE")
def test_a_compile_error_fails_the_load_in_the_last_file():
    error = failed([("a.yaml", "- list: l\n  items: [1]\n"), ("b.yaml", rule_text(condition="x.i in (l) and"))])
    assert [result.successful for result in error.results.files] == [True, False]
    assert error.results.first_error().code == "LOAD_ERR_COMPILE_CONDITION"
    assert error.message.startswith("b.yaml: Invalid\n1 Errors:\n")


@pytest.mark.clause("RULES-ATOMIC", "RULES-PLUGIN-VERSIONS")
def test_a_requirement_error_is_its_message_alone():
    text = "- required_plugin_versions:\n  - name: xsrc\n    version: 2.0.0\n"
    error = failed([("a.yaml", text)], plugins={"xsrc": "1.0.0"})
    assert error.message == "Plugin 'xsrc' version '1.0.0' is not compatible with required plugin version '2.0.0'"
    assert error.results.first_error().code == "LOAD_ERR_VALIDATE"
    assert where(error.results.first_error()) == [
        ("rules content", "", "a.yaml", 1, 1), ("required plugin versions", "", "a.yaml", 1, 3),
        ("required plugin versions entry", "xsrc", "a.yaml", 2, 5)]
    assert error.results.files[0].successful


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
def test_a_loaded_plugin_version_that_is_no_version_fails_its_requirement():
    text = "- required_plugin_versions:\n  - name: xsrc\n    version: 1.0.0\n"
    error = failed([("a.yaml", text)], plugins={"xsrc": "1.0"})
    assert (error.results.first_error().code, error.message) == (
        "LOAD_ERR_VALIDATE", "Plugin 'xsrc' has invalid version string '1.0'")
    assert where(error.results.first_error())[-1] == ("required plugin versions entry", "xsrc", "a.yaml", 2, 5)


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
def test_every_failing_requirement_is_reported_and_the_first_decides():
    text = ("- required_plugin_versions:\n  - name: a\n    version: 1.0.0\n  - name: xsrc\n    version: 1.0.0\n"
            "  - name: b\n    version: 0.1.0\n")
    error = failed([("a.yaml", text)], plugins={"xsrc": "1.2.0"})
    assert [m.message for m in error.results.requirement_errors] == [
        "Plugin requirement not satisfied, must load one of: a (>= 1.0.0)",
        "Plugin requirement not satisfied, must load one of: b (>= 0.1.0)"]
    assert error.message == "Plugin requirement not satisfied, must load one of: a (>= 1.0.0)"
    assert all(m.code == "LOAD_ERR_VALIDATE" for m in error.results.requirement_errors)
    assert [where(m)[-1] for m in error.results.requirement_errors] == [
        ("required plugin versions entry", "a", "a.yaml", 2, 5), ("required plugin versions entry", "b", "a.yaml", 6, 5)]
    # no plugins known at all is no plugin loaded
    assert failed([("a.yaml", text)]).results.requirement_errors[1].message.endswith("xsrc (>= 1.0.0)")


@pytest.mark.clause("RULES-ENGINE-VERSION")
@pytest.mark.parametrize("required, problem", [
    ("0.63.0", None), ("0.0.0", None), ("0.62.9", None),
    ("0.63.1", "Rules require engine version 0.63.1, but engine version is 0.63.0"),
    ("1.0.0", "Rules require engine version 1.0.0, but engine version is 0.63.0"),
])
def test_the_engine_version_is_0_63_0(required, problem):
    assert check_engine_version(required) == problem


@pytest.mark.clause("RULES-ENGINE-VERSION")
def test_a_load_reports_the_highest_engine_version_required():
    files = ["- required_engine_version: 0.9.0\n", "- required_engine_version: 0.10.0\n",
             "- required_engine_version: 0.10.0-rc1\n"]
    assert load(*files).required_engine_version == "0.10.0"
    assert load(rule_text()).required_engine_version is None


@pytest.mark.clause("RULES-ATOMIC")
def test_no_files_is_an_empty_successful_load():
    ruleset = load_rules([], sources())
    assert (ruleset.rules, ruleset.skipped, ruleset.required_engine_version) == ([], [], None)
    assert ruleset.results.successful and ruleset.results.files == []


@pytest.mark.clause("RULES-UNKNOWN-SOURCE")
def test_rules_of_other_sources_are_skipped_with_a_warning_in_the_last_file():
    ruleset = load(rule_text("a", source="other"), rule_text("b"), rule_text("c", more="  enabled: false\n")
                   + "- rule: s\n  desc: d\n  condition: evt.num > 0\n  output: o\n  priority: INFO\n")
    assert [rule.name for rule in ruleset.rules] == ["b", "c"] and ruleset.skipped == ["a", "s"]
    last = ruleset.results.files[-1]
    assert [(m.code, m.message, where(m)[-1][:2]) for m in last.warnings] == [
        ("LOAD_UNKNOWN_SOURCE", "Unknown source other, skipping", ("rule", "a")),
        ("LOAD_UNKNOWN_SOURCE", "Rule not checked: plugref does not model the syscall source (Falco compiles it), "
                                "skipping", ("rule", "s"))]
    assert ruleset.results.not_checked == ["s"]
    assert [m for result in ruleset.results.files[:-1] for m in result.warnings] == []


@pytest.mark.clause("RULES-COMPILE")
def test_a_rule_skipped_for_an_unknown_field_is_named_as_skipped():
    ruleset = load(rule_text("a", condition="x.nope = 1", more="  skip-if-unknown-filter: true\n"), rule_text("b"))
    assert [rule.name for rule in ruleset.rules] == ["b"] and ruleset.skipped == ["a"]
    assert [m.code for m in ruleset.results.files[-1].warnings] == ["LOAD_UNKNOWN_FILTER"]


@pytest.mark.clause("RULES-MACROS", "RULES-LISTS")
def test_unused_macros_and_lists_warn_at_their_definitions():
    text = ("- list: used_by_list\n  items: [1]\n- list: outer\n  items: [used_by_list]\n"
            "- list: used_by_rule\n  items: [2]\n- list: lonely\n  items: [3]\n"
            "- macro: used\n  condition: x.i in (used_by_rule)\n- macro: unused\n  condition: x.i = 4\n"
            + rule_text(condition="used"))
    warnings = [(m.code, m.message, where(m)[-1][:2]) for m in load(text).results.warnings()]
    assert warnings == [
        ("LOAD_UNUSED_MACRO", "Macro not referred to by any other rule/macro", ("macro", "unused")),
        ("LOAD_UNUSED_LIST", "List not referred to by any other rule/macro", ("list", "outer")),
        ("LOAD_UNUSED_LIST", "List not referred to by any other rule/macro", ("list", "lonely"))]


@pytest.mark.clause("ENGINE-RULES-PER-SOURCE")
@given(st.lists(st.tuples(st.integers(0, 7), st.booleans(), st.sampled_from(["x", "other"])), min_size=1, max_size=8),
       st.integers(0, 7))
def test_the_rules_that_run_are_those_of_the_source_enabled_and_severe_enough(rules, minimum):
    text = "".join(rule_text(f"r{n}", priority=PRIORITY_NAMES[priority], source=source,
                             more="" if enabled else "  enabled: false\n")
                   for n, (priority, enabled, source) in enumerate(rules))
    ruleset = load(text)
    running = [f"r{n}" for n, (priority, enabled, source) in enumerate(rules)
               if source == "x" and enabled and priority <= minimum]
    assert [rule.name for rule in ruleset.enabled_for("x", minimum)] == running
    # without a minimum, every priority down to Debug runs
    assert [rule.name for rule in ruleset.enabled_for("x")] == [
        f"r{n}" for n, (_, enabled, source) in enumerate(rules) if source == "x" and enabled]
    assert ruleset.enabled_for("other", 7) == []


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
@pytest.mark.parametrize("loaded, satisfied", [({"xsrc": "1.5.0"}, True), ({"xsrc": "1.5.0", "b": "0.0.1"}, True),
                                               ({"b": "0.9.0"}, True), ({"b": "1.0.0"}, False), ({}, False),
                                               ({"xsrc": "1.0.0", "b": "0.9.0"}, False)])
def test_a_plugin_not_loaded_passes_the_choice_to_the_next_alternative(loaded, satisfied):
    text = ("- required_plugin_versions:\n  - name: a\n    version: 1.0.0\n    alternatives:\n"
            "    - name: xsrc\n      version: 1.1.0\n    - name: b\n      version: 0.1.0\n")
    if satisfied:
        assert load(text, plugins=loaded).results.successful
    else:
        assert failed([("a.yaml", text)], plugins=loaded).results.requirement_errors
