"""The text an exception adds to its rule's condition, and its errors, written out (RULES-EXCEPTIONS,
RULES-EXCEPTIONS-SHAPE in docs/spec.md; falco-rules.md §2.6): brackets for a scalar under a list
operator, quotes for a value with a space, the location of an exception's error. In-process."""
from __future__ import annotations

import pytest

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.defined import DefinedLibrary
from reference.falco.rules import RulesLoadError, load_rules
from reference.host.event_fields import FieldTable
from reference.host.registry import PluginRegistry

RULE = "- rule: r\n  desc: d\n  condition: x.i > 100\n  output: o\n  priority: INFO\n  source: x\n  exceptions:\n"


def load(exceptions: str):
    registry = PluginRegistry()
    registry.load(DefinedLibrary(SOURCE_DEFINITION))
    return load_rules([("f.yaml", RULE + exceptions)], {"x": FieldTable(registry, "x")})


def expanded(exceptions: str) -> str:
    [rule] = load(exceptions).rules
    return rule.expanded


@pytest.mark.clause("RULES-EXCEPTIONS")
@pytest.mark.parametrize("comps, value, text", [
    # a scalar value under a list operator is put in brackets, unless it is bracketed already
    ("[in, =]", "nginx", "(x.word in (nginx) and x.i = 1)"),
    ("[pmatch, =]", "/opt", "(x.word pmatch (/opt) and x.i = 1)"),
    ("[intersects, =]", "a", "(x.word intersects (a) and x.i = 1)"),
    ("[in, =]", "'(a,b)'", "(x.word in (a,b) and x.i = 1)"),
    ("[in, =]", "'two words'", '(x.word in ("two words") and x.i = 1)'),
    ("[=, =]", "'two words'", '(x.word = "two words" and x.i = 1)'),
    ("[contains, =]", "'\"quoted already\"'", '(x.word contains "quoted already" and x.i = 1)'),
    ("[contains, =]", "\"'single quoted'\"", "(x.word contains 'single quoted' and x.i = 1)"),
])
def test_each_fields_value_is_written_for_its_comp(comps, value, text):
    exceptions = f"  - name: e\n    fields: [x.word, x.i]\n    comps: {comps}\n    values: [[{value}, 1]]\n"
    assert expanded(exceptions) == f"(x.i > 100) and not ({text})"


@pytest.mark.clause("RULES-EXCEPTIONS")
def test_a_scalar_field_takes_all_values_in_one_list():
    exceptions = "  - name: e\n    fields: x.word\n    values: [a, 'b c', '\"d\"']\n"
    assert expanded(exceptions) == '(x.i > 100) and not (x.word in (a, "b c", "d"))'
    exceptions = "  - name: e\n    fields: x.word\n    comps: pmatch\n    values: [/opt]\n"
    assert expanded(exceptions) == "(x.i > 100) and not (x.word pmatch (/opt))"


@pytest.mark.clause("RULES-EXCEPTIONS", "RULES-RESULTS")
@pytest.mark.parametrize("exception, message", [
    ("    fields: [x.word, x.i]\n    values: [[a]]\n", "Fields and values lists must have equal length"),
    ("    fields: [x.word, x.i]\n    values: [a]\n", "Fields and values lists must have equal length"),
    ("    fields: x.word\n    values: [[a]]\n", "Expected values array to contain a list of strings"),
])
def test_an_exception_whose_values_do_not_fit_is_refused_in_that_exception(exception, message):
    with pytest.raises(RulesLoadError) as caught:
        load("  - name: ok\n    fields: x.word\n    values: [z]\n  - name: e\n" + exception)
    error = caught.value.results.first_error()
    assert (error.code, error.message) == ("LOAD_ERR_VALIDATE", message)
    assert [(loc.item_type, loc.item_name, loc.line, loc.column) for loc in error.locations] == [
        ("rules content", "", 1, 1), ("rule", "r", 1, 3), ("exception", "e", 11, 5)]


@pytest.mark.clause("RULES-EXCEPTIONS-SHAPE", "RULES-APPEND-OVERRIDE")
def test_an_exception_brought_by_an_override_is_checked_when_its_rule_compiles():
    later = ("- rule: r\n  override: {exceptions: replace}\n  exceptions:\n  - name: e2\n    fields: [x.nope]\n"
             "    values: [[a]]\n")
    with pytest.raises(RulesLoadError) as caught:
        load("  - name: ok\n    fields: x.word\n    values: [z]\n" + later)
    error = caught.value.results.first_error()
    assert (error.code, error.message) == ("LOAD_ERR_VALIDATE", "'x.nope' is not a supported filter field")
    assert [(loc.item_type, loc.item_name, loc.line, loc.column) for loc in error.locations] == [
        ("rules content", "", 1, 1), ("rule", "r", 1, 3), ("exception", "e2", 14, 5)]
