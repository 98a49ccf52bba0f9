"""The expansion bounds at their edges (RULES-EXPANSION-LIMITS in docs/spec.md): a list may expand to
100,000 items and 1,000,000 characters, a condition may grow by list substitution to 1,000,000
characters, and count 100,000 nodes with its macros spliced in; one more is refused, with its code, text
and location. In-process and fast (doubling lists and macros, no large YAML); the bombs well past the
bounds, run in bounded children, are in tests/test_rules_limits.py."""
from __future__ import annotations

import pytest

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.defined import DefinedLibrary
from reference.falco.rules import RulesLoadError, load_rules
from reference.falco.rules.collector import Collector
from reference.falco.rules.compiler import CompileError, ConditionTooLarge, MacroResolver, expand_lists
from reference.falco.rules.loader import check_engine_version
from reference.falco.rules.reader import read_items
from reference.falco.rules.results import Location
from reference.filter import parse
from reference.host.event_fields import FieldTable
from reference.host.registry import PluginRegistry


def load(text: str):
    registry = PluginRegistry()
    registry.load(DefinedLibrary(SOURCE_DEFINITION))
    return load_rules([("f.yaml", text)], {"x": FieldTable(registry, "x")})


def refused(text: str):
    with pytest.raises(RulesLoadError) as caught:
        load(text)
    error = caught.value.results.first_error()
    return error.code, error.message, [(loc.item_type, loc.item_name) for loc in error.locations]


def rule(condition: str) -> str:
    return f"- rule: r\n  desc: d\n  condition: {condition}\n  output: o\n  priority: INFO\n  source: x\n"


def tenfold(item: str, levels: int, last: str = "") -> str:
    """Lists l0 (ten copies of `item`) .. l<levels>, each ten of the one before: 10**(levels+1) items;
    then the list `top` of the items `last` names."""
    text = "- list: l0\n  items: [" + ", ".join([item] * 10) + "]\n"
    for n in range(1, levels + 1):
        text += f"- list: l{n}\n  items: [" + ", ".join([f"l{n - 1}"] * 10) + "]\n"
    if last:
        text += f"- list: top\n  items: [{last}]\n"
    return text


LIST_TOO_LARGE = ("LOAD_ERR_VALIDATE", "List expands to more than 100000 items or 1000000 characters",
                  [("rules content", ""), ("list", "top")])


@pytest.mark.clause("RULES-EXPANSION-LIMITS")
def test_a_list_may_expand_to_100000_items():
    # top: nine each of l3, l2, l1 and l0 and ten more: 90,000 + 9,000 + 900 + 90 + 10 = 100,000 items
    nines = ", ".join(f"l{n}" for n in (3, 2, 1, 0) for _ in range(9))
    ruleset = load(tenfold("a", 3, nines + ", " + ", ".join(["b"] * 10)) + rule("x.i = 1"))
    assert [r.name for r in ruleset.rules] == ["r"]
    assert refused(tenfold("a", 3, nines + ", " + ", ".join(["b"] * 11)) + rule("x.i = 1")) == LIST_TOO_LARGE


@pytest.mark.clause("RULES-EXPANSION-LIMITS")
def test_a_list_may_expand_to_1000000_characters():
    # l2 is 1,000 items of 100 characters (100,000); top: l2 nine times and 100,000 characters more, or one more
    item = "i" * 100
    nine = ", ".join(["l2"] * 9)
    assert [r.name for r in load(tenfold(item, 2, f"{nine}, {'j' * 100_000}") + rule("x.i = 1")).rules] == ["r"]
    assert refused(tenfold(item, 2, f"{nine}, {'j' * 100_001}") + rule("x.i = 1")) == LIST_TOO_LARGE


#: 1,000 items of 990 characters, joined by ", ": 991,998 characters in place of `l`.
ITEMS = ["w" * 990] * 1000


@pytest.mark.clause("RULES-EXPANSION-LIMITS", "RULES-LISTS")
def test_a_condition_may_grow_to_1000000_characters_by_list_substitution():
    # "x.word in (" + 991,998 + ") and x.word = " + padding: 11 + 991,998 + 15 + 7,976 = 1,000,000
    condition = "x.word in (l) and x.word = " + "p" * 7_976
    text, used = expand_lists(condition, {"l": ITEMS})
    assert len(text) == 1_000_000 and used == {"l"}
    with pytest.raises(ConditionTooLarge) as caught:
        expand_lists(condition + "p", {"l": ITEMS})
    assert str(caught.value) == "Condition expands to more than 1000000 characters when list 'l' is substituted"


@pytest.mark.clause("RULES-EXPANSION-LIMITS", "RULES-RESULTS")
def test_a_condition_too_large_is_a_compile_error_in_its_rule_or_macro():
    lists = "- list: l\n  items: [" + ", ".join(["w" * 990] * 10) + "]\n" + \
            "- list: big\n  items: [" + ", ".join(["l"] * 100) + "]\n"
    condition = "x.word in (big) and x.word = " + "p" * 7_977
    message = "Condition expands to more than 1000000 characters when list 'big' is substituted"
    assert refused(lists + rule(condition)) == ("LOAD_ERR_COMPILE_CONDITION", message, [
        ("rules content", ""), ("rule", "r"), ("rule condition", "")])
    assert refused(lists + f"- macro: m\n  condition: {condition}\n" + rule("m")) == (
        "LOAD_ERR_COMPILE_CONDITION", message, [("rules content", ""), ("macro", "m"), ("macro condition", "")])


def doubling_macros() -> str:
    """m0 is one check; m<k> is `m<k-1> or m<k-1>`: 1 + 2 * (1 + size of m<k-1>) nodes, so m0 .. m14 have
    1, 5, 13, 29, 61, 125, 253, 509, 1,021, 2,045, 4,093, 8,189, 16,381, 32,765 and 65,533."""
    text = "- macro: m0\n  condition: x.i = 1\n"
    for k in range(1, 15):
        text += f"- macro: m{k}\n  condition: m{k - 1} or m{k - 1}\n"
    return text


@pytest.mark.clause("RULES-EXPANSION-LIMITS", "RULES-MACROS")
def test_a_condition_may_count_100000_nodes_with_its_macros_spliced_in():
    # spliced by the resolver alone (compiling 100,000 checks is what the bound spares a load, and slow)
    collector = Collector()
    for item in read_items(doubling_macros(), "f.yaml"):
        collector.collect(item, check_engine_version)
    resolver = MacroResolver(collector, {})
    # an Or of 11: 1 + (1 + 65,533) + (1 + 32,765) + (1 + 1,021) + (1 + 509) + (1 + 125) + (1 + 29) + (1 + 5)
    # + (1 + 1) + 3 checks = 1 + 99,996 + 3 = 100,000 (each macro reference is a node, then its macro's)
    condition = "m14 or m13 or m8 or m7 or m5 or m3 or m1 or m0 or x.i = 2 or x.i = 3 or x.i = 4"
    context = (Location("rules content", "", "f.yaml", 1, 1), Location("rule", "r", "f.yaml", 9, 3))
    spliced = resolver.expand(parse(condition), None, (), context)
    assert len(spliced.children) == 11 and resolver.used_macros == {f"m{k}" for k in range(15)}
    with pytest.raises(CompileError) as caught:
        resolver.expand(parse(condition + " or x.i = 5"), None, (), context)
    report = caught.value.report
    assert (report.code, report.message, report.locations) == (
        "LOAD_ERR_COMPILE_CONDITION", "Condition expands to more than 100000 nodes when its macros are spliced in",
        context)
