"""Macros spliced as trees and lists substituted as text, at the places a splice can go wrong (in-process):

- FILTER-DEPTH: a Falco condition is measured after its macros are spliced in, each macro reference a level,
  the check at the end of a path none; 1000 levels pass and 1001 are refused, wherever the deep path starts
  (under a `not`, as the second operand of an `and`); a rule of 1000 nested `and`s without macros loads.
- RULES-MACROS: a reference under `not` is resolved like any other (a macro, an undefined macro with the
  rule's location, a macro the referring macro cannot see yet); a macro sees only macros first defined before
  its own latest definition, which holds for a macro reached through another one too.
- RULES-LISTS: an empty list alone in brackets leaves the brackets empty; an undefined name after a list
  operator is one literal value, also after a modifier (FILTER-MODIFIERS).
"""
from __future__ import annotations

import pytest

from reference.falco.rules.collector import Collector
from reference.falco.rules.compiler import MacroResolver
from reference.falco.rules.loader import check_engine_version
from reference.falco.rules.reader import read_items
from reference.falco.rules.results import Location
from reference.filter import parse
from tests.test_rules_expansion_edges import load, refused  # rules of source x, loaded or refused

TOO_DEEP = ("LOAD_ERR_COMPILE_CONDITION", "exceeded max depth limit of 1000")
IN_RULE_R = [("rules content", ""), ("rule", "r"), ("rule condition", "")]


def rule(condition: str) -> str:
    return f"- rule: r\n  desc: d\n  condition: '{condition}'\n  output: o\n  priority: INFO\n  source: x\n"


def not_chain(length: int) -> str:
    """c0 a check; c<k> `not c<k-1>`. `c<k>` is k+1 references and k nots deep: 2k+1 levels."""
    return "- macro: c0\n  condition: x.i = 1\n" + "".join(f"- macro: c{k}\n  condition: not c{k - 1}\n"
                                                          for k in range(1, length + 1))


# (condition over not_chain(4), its levels counted as FILTER-DEPTH counts them), with the limit lowered to 10
# (1000 levels of macros take a load this file need not make again: see tests/test_rules_limits.py)
DEPTHS = [
    ("c4", 5 + 4),
    ("not c4", 1 + 5 + 4),
    ("not c3", 1 + 4 + 3),
    ("not (x.i = 2 and not c3)", 1 + 1 + 1 + 4 + 3),
    ("not (x.i = 2 and c4)", 1 + 1 + 5 + 4),
    ("(x.i = 2 and not c4)", 1 + 1 + 5 + 4),
    ("not (not x.i = 2 and c4)", 1 + 1 + 5 + 4),
    ("not (x.i = 2 and not c4)", 1 + 1 + 1 + 5 + 4),
    ("c5", 6 + 5),
]


@pytest.mark.clause("FILTER-DEPTH", "RULES-MACROS")
@pytest.mark.parametrize("condition, levels", DEPTHS, ids=[c for c, _ in DEPTHS])
def test_a_spliced_condition_may_be_as_deep_as_the_limit(monkeypatch, condition, levels):
    monkeypatch.setattr("reference.falco.rules.compiler.MAX_DEPTH", 10)
    text = not_chain(5) + rule(condition)
    if levels <= 10:
        assert [r.name for r in load(text).rules] == ["r"]
    else:
        assert refused(text) == (*TOO_DEEP, IN_RULE_R)


@pytest.mark.clause("FILTER-DEPTH")
@pytest.mark.parametrize("nesting", [999, 1000])
def test_a_rule_without_macros_may_nest_1000_and_nodes(nesting):
    condition = "(x.i = 1 and " * nesting + "x.i = 2" + ")" * nesting
    [compiled] = load(rule(condition)).rules
    assert compiled.expanded == condition


@pytest.mark.clause("RULES-MACROS")
def test_a_macro_under_not_is_spliced_under_the_not():
    resolver = resolver_of("- macro: m\n  condition: x.i = 1 or x.word = a\n")
    assert resolver.expand(parse("not m"), None, (), CONTEXT) == parse("not (x.i = 1 or x.word = a)")
    assert [r.name for r in load("- macro: m\n  condition: x.i = 1\n" + rule("not m")).rules] == ["r"]


@pytest.mark.clause("RULES-MACROS")
def test_an_undefined_macro_under_not_is_in_the_rule():
    assert refused(rule("x.i = 2 and not nosuch")) == (
        "LOAD_ERR_VALIDATE", "Undefined macro 'nosuch' used in filter.", IN_RULE_R)


@pytest.mark.clause("RULES-MACROS")
def test_a_macro_under_not_may_not_use_a_macro_defined_after_it():
    text = "- macro: early\n  condition: not late\n- macro: late\n  condition: x.i = 1\n" + rule("early")
    assert refused(text) == ("LOAD_ERR_VALIDATE", "Undefined macro 'late' used in filter.",
                             [("rules content", ""), ("macro", "early")])


@pytest.mark.clause("RULES-MACROS")
def test_a_macro_reached_through_another_sees_only_what_it_sees_itself():
    # `outer`'s latest definition (its append) comes after `inner` and `late`, so `outer` sees both; `inner`
    # is defined before `late` and cannot. Checked in order of first definition, `outer` comes first and
    # meets `inner`'s reference to `late` through its own reference to `inner`.
    text = ("- macro: outer\n  condition: x.i = 3\n"
            "- macro: inner\n  condition: late\n"
            "- macro: late\n  condition: x.i = 1\n"
            "- macro: outer\n  condition: or inner\n  append: true\n" + rule("outer"))
    code, message, locations = refused(text)
    assert (code, message) == ("LOAD_ERR_VALIDATE", "Undefined macro 'late' used in filter.")
    assert locations[:2] == [("rules content", ""), ("macro", "outer")]


@pytest.mark.clause("RULES-LISTS")
@pytest.mark.parametrize("condition, expanded", [
    ("x.word in (empty)", "x.word in ()"),
    ("x.word in (empty) or x.i = 1", "x.word in () or x.i = 1"),
    ("x.word in (a, empty)", "x.word in (a)"),
    ("x.word in (empty, a)", "x.word in (a)"),
])
def test_an_empty_list_leaves_nothing_in_its_place(condition, expanded):
    [compiled] = load("- list: empty\n  items: []\n" + rule(condition)).rules
    assert compiled.expanded == expanded


CONTEXT = (Location("rules content", "", "f.yaml", 1, 1), Location("rule", "r", "f.yaml", 9, 3))


def resolver_of(text: str) -> MacroResolver:
    collector = Collector()
    for item in read_items(text, "f.yaml"):
        collector.collect(item, check_engine_version)
    return MacroResolver(collector, {})


@pytest.mark.clause("RULES-LISTS", "FILTER-MODIFIERS")
@pytest.mark.parametrize("modifier", ["oneof", "anyof", "allof"])
@pytest.mark.parametrize("operator", ["contains", "startswith", "="])
def test_an_undefined_list_name_after_a_modifier_is_one_literal_value(operator, modifier):
    spliced = resolver_of("").expand(parse(f"x.word {operator} {modifier} nosuch"), None, (), CONTEXT)
    assert spliced == parse(f"x.word {operator} {modifier} (nosuch)")
    assert spliced.modifier == modifier
