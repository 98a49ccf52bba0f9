"""What compiling rules reports and where (RULES-MACROS, RULES-COMPILE, RULES-RESULTS in docs/spec.md): a
macro's syntax error at its position in the condition, undefined macros and reference loops, the
warnings a condition compiles with, skip-if-unknown-filter for conditions and outputs. In-process."""
from __future__ import annotations

import pytest

from tests.test_rules_loading import failed, load, rule_text, where


def first_error(text: str):
    error = failed([("f.yaml", text)]).results.first_error()
    return error.code, error.message, where(error)


CONTENT = ("rules content", "", "f.yaml", 1, 1)
NOT_A_VALUE = ("expected a string value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', "
               "'basename', 'len', 'join', 'concat', 'getopt'")


@pytest.mark.clause("RULES-MACROS", "RULES-RESULTS")
def test_a_macro_syntax_error_is_located_in_its_condition():
    assert first_error("- macro: m\n  condition: x.i = = 2\n") == ("LOAD_ERR_COMPILE_CONDITION", NOT_A_VALUE, [
        CONTENT, ("macro", "m", "f.yaml", 1, 3), ("macro condition", "", "f.yaml", 2, 14),
        ("condition expression", "", "f.yaml", 2, 20)])


@pytest.mark.clause("RULES-MACROS", "RULES-RESULTS")
def test_in_a_block_condition_the_position_is_the_conditions_plus_the_parsers():
    # the parser's line 2, column 7, from the condition's mark (the `|` on line 2): line 3, column 7 (the
    # spec's approximation for block scalars; the text itself is on line 4)
    code, message, locations = first_error("- macro: m\n  condition: |\n    x.i = 1 and\n    x.i = = 2\n")
    assert (code, message) == ("LOAD_ERR_COMPILE_CONDITION", NOT_A_VALUE)
    assert locations[2:] == [("macro condition", "", "f.yaml", 2, 14), ("condition expression", "", "f.yaml", 3, 7)]


@pytest.mark.clause("RULES-MACROS", "RULES-RESULTS")
def test_an_undefined_macro_is_a_validation_error_in_the_rule_condition():
    assert first_error(rule_text(condition="x.i = 1 and nomacro")) == (
        "LOAD_ERR_VALIDATE", "Undefined macro 'nomacro' used in filter.", [
            CONTENT, ("rule", "r", "f.yaml", 1, 3), ("rule condition", "", "f.yaml", 3, 14)])


@pytest.mark.clause("RULES-MACROS")
def test_a_reference_loop_is_a_validation_error_in_the_macro():
    # a sees b (defined before a's latest definition), b sees a (first defined before b)
    text = ("- macro: a\n  condition: x.i = 1\n- macro: b\n  condition: a\n"
            "- macro: a\n  condition: b\n  override: {condition: replace}\n")
    assert first_error(text) == ("LOAD_ERR_VALIDATE", "reference loop in macro 'a'", [
        CONTENT, ("macro", "a", "f.yaml", 1, 3)])


@pytest.mark.clause("RULES-COMPILE", "FILTER-WARNINGS")
def test_a_condition_compiles_with_its_warnings_in_the_rule_condition():
    ruleset = load(rule_text(condition="x.word = x.path"))
    assert [(m.code, m.message, where(m)) for m in ruleset.results.warnings()] == [
        ("LOAD_COMPILE_CONDITION", "'x.path' may be a valid field misused as a const string value",
         [("rules content", "", "f0.yaml", 1, 1), ("rule", "r", "f0.yaml", 1, 3),
          ("rule condition", "", "f0.yaml", 3, 14)])]
    assert [rule.name for rule in ruleset.rules] == ["r"]


@pytest.mark.clause("RULES-COMPILE")
@pytest.mark.parametrize("condition, output, message, where_in", [
    ("x.nope = 1", "o", "filter_check called with nonexistent field x.nope", "rule condition"),
    ("x.i = 1", "'%x.nope'", "invalid formatting token x.nope", "rule output"),
])
def test_skip_if_unknown_filter_skips_a_rule_whose_condition_or_output_names_no_field(condition, output, message,
                                                                                      where_in):
    text = rule_text("a", condition=condition, more="  skip-if-unknown-filter: true\n").replace("output: o",
                                                                                                 f"output: {output}")
    ruleset = load(text, rule_text("b"))
    assert [rule.name for rule in ruleset.rules] == ["b"] and ruleset.skipped == ["a"]
    [warning] = ruleset.results.warnings()
    assert (warning.code, warning.message) == ("LOAD_UNKNOWN_FILTER", message)
    assert where(warning)[:3] == [("rules content", "", "f0.yaml", 1, 1), ("rule", "a", "f0.yaml", 1, 3),
                                  (where_in, "", "f0.yaml", 4 if where_in == "rule output" else 3,
                                   11 if where_in == "rule output" else 14)]
    # without it, the same rule fails the load
    assert failed([("f.yaml", text.replace("  skip-if-unknown-filter: true\n", ""))]).results.first_error().message \
        .startswith(message)


@pytest.mark.clause("RULES-COMPILE")
def test_skip_if_unknown_filter_keeps_other_errors():
    text = rule_text("a", condition="x.i = = 1", more="  skip-if-unknown-filter: true\n")
    assert first_error(text)[:2] == ("LOAD_ERR_COMPILE_CONDITION", NOT_A_VALUE)


def macro_chain(length: int) -> str:
    """m0 a check, m<k> the macro m<k-1> alone."""
    return "- macro: m0\n  condition: x.i = 1\n" + "".join(f"- macro: m{k}\n  condition: m{k - 1}\n"
                                                          for k in range(1, length + 1))


@pytest.mark.clause("FILTER-DEPTH", "RULES-MACROS")
def test_each_macro_reference_is_a_level_of_the_spliced_condition(monkeypatch):
    # With the limit lowered to 10 (1000 levels take a stack this test need not prove again, see
    # tests/test_rules_limits.py): the rule's `m9` is 9 + 1 references deep, 10 levels (m0's check is none,
    # a check alone being depth 0); `m10` is 11.
    monkeypatch.setattr("reference.falco.rules.compiler.MAX_DEPTH", 10)
    assert [rule.name for rule in load(macro_chain(9) + rule_text(condition="m9")).rules] == ["r"]
    code, message, locations = first_error(macro_chain(10) + rule_text(condition="m10"))
    assert (code, message) == ("LOAD_ERR_COMPILE_CONDITION", "exceeded max depth limit of 1000")
    assert [loc[:2] for loc in locations] == [("rules content", ""), ("rule", "r"), ("rule condition", "")]


@pytest.mark.clause("RULES-COMPILE")
def test_a_rule_extracts_through_one_plan_for_its_condition_and_output():
    [rule] = load(rule_text(condition="x.i > 1 and x.word = a").replace("output: o", "output: '%x.path %x.i'")).rules
    assert sorted((request.resolved.name, request.arg) for request in rule.plan.requests.values()) == [
        ("x.i", ""), ("x.path", ""), ("x.word", "")]
    assert rule.condition.plan is rule.plan and rule.condition.text == rule.expanded == "x.i > 1 and x.word = a"


@pytest.mark.clause("RULES-MACROS")
def test_a_macro_does_not_see_itself():
    # visible are the macros first defined before its own latest definition: not itself
    assert first_error("- macro: m\n  condition: x.i = 1 or m\n")[:2] == (
        "LOAD_ERR_VALIDATE", "Undefined macro 'm' used in filter.")


@pytest.mark.clause("RULES-LISTS")
@pytest.mark.parametrize("condition", ["x.word in nolist", "x.word pmatch nolist", "not x.word in nolist"])
def test_an_undefined_name_after_a_list_operator_is_one_literal_value(condition):
    from reference.falco.rules.collector import Collector
    from reference.falco.rules.compiler import MacroResolver
    from reference.filter import Check, Not, parse
    from reference.filter.ast import ListValue

    assert [rule.expanded for rule in load(rule_text(condition=condition)).rules] == [condition]
    parsed = parse(condition)
    spliced = MacroResolver(Collector(), {}).expand(parsed, None, (), ())
    if isinstance(parsed, Not):
        parsed, spliced = parsed.child, spliced.child
    assert isinstance(spliced, Check) and spliced.value == ListValue(("nolist",))
    assert (spliced.field, spliced.op, spliced.position, spliced.modifier) == (
        parsed.field, parsed.op, parsed.position, parsed.modifier)
