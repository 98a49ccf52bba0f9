"""Bounded expansion of rules files: lists, macros and YAML (RULES-EXPANSION-LIMITS, YAML-LIMITS, FILTER-DEPTH)."""
from __future__ import annotations

import json

import pytest

from reference.tools.cli import main
from tests.bounds import bounded

DEMO_CONFIG = "fake_plugins/demo/falco.yaml"  # counter (source counter) and json


def validate(capsys, tmp_path, text: str) -> dict:
    """The load result of `text`, got in a child with a memory and time bound: with a bound of
    this file switched off, a bomb fails the test instead of exhausting the machine."""
    return bounded(lambda: _validate(capsys, tmp_path, text))


def _validate(capsys, tmp_path, text: str) -> dict:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    code = main(["validate", str(path), "-c", DEMO_CONFIG, "--json"])
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err
    result = json.loads(out)["falco_load_results"][0]
    assert code == (0 if result["successful"] else 1)
    return result


def first_error(result: dict) -> tuple[str, str, list[str]]:
    error = result["errors"][0]
    names = [loc["item_name"] for loc in error["context"]["locations"]]
    return error["code"], error["message"], names


RULE = "- rule: r\n  desc: d\n  condition: {}\n  output: o\n  priority: INFO\n  source: counter\n"


@pytest.mark.clause("RULES-EXPANSION-LIMITS")
def test_doubling_macros_are_refused_at_100000_nodes(capsys, tmp_path):
    # 27 doubling macros: 2**27 checks; this ran for minutes before.
    macros = "- macro: m0\n  condition: counter.n = 1\n" + "".join(
        f"- macro: m{i}\n  condition: (m{i - 1} and m{i - 1})\n" for i in range(1, 27))
    code, message, names = first_error(validate(capsys, tmp_path, macros + RULE.format("m26")))
    assert code == "LOAD_ERR_COMPILE_CONDITION"
    assert message == "Condition expands to more than 100000 nodes when its macros are spliced in"
    # Counted as spliced: checks, ands and macro references; m15 (2**15 checks) is the first past the bound.
    assert names[-1] == "m15"


@pytest.mark.clause("RULES-EXPANSION-LIMITS")
def test_doubling_lists_are_refused_at_100000_items(capsys, tmp_path):
    # 845 bytes of doubling lists ended in MemoryError at 2.4 GB.
    lists = "- list: l0\n  items: [a, b]\n" + "".join(f"- list: l{i}\n  items: [l{i - 1}, l{i - 1}]\n"
                                                     for i in range(1, 40))
    code, message, names = first_error(validate(capsys, tmp_path, lists))
    assert (code, message) == ("LOAD_ERR_VALIDATE", "List expands to more than 100000 items or 1000000 characters")
    assert names[-1] == "l16"  # 2**17 items


@pytest.mark.clause("RULES-EXPANSION-LIMITS")
def test_a_condition_that_list_substitution_makes_larger_than_a_million_characters_is_refused(capsys, tmp_path):
    items = ", ".join(["x" * 99] * 6000)  # 600,000 characters, under the list bound
    text = f"- list: big\n  items: [{items}]\n" + RULE.format("evt.pluginname in (big) or evt.pluginname in (big)")
    code, message, names = first_error(validate(capsys, tmp_path, text))
    assert (code, message) == ("LOAD_ERR_COMPILE_CONDITION",
                               "Condition expands to more than 1000000 characters when list 'big' is substituted")
    assert "r" in names
    ok = validate(capsys, tmp_path, f"- list: big\n  items: [{items}]\n" + RULE.format("evt.pluginname in (big)"))
    assert ok["successful"]


@pytest.mark.clause("FILTER-DEPTH")
def test_a_chain_of_macros_deeper_than_the_limit_is_a_compile_error(capsys, tmp_path):
    chain = "- macro: c0\n  condition: counter.n = 1\n" + "".join(
        f"- macro: c{i}\n  condition: not c{i - 1}\n" for i in range(1, 1500))
    code, message, _ = first_error(validate(capsys, tmp_path, chain))
    assert (code, message) == ("LOAD_ERR_COMPILE_CONDITION", "exceeded max depth limit of 1000")
    short = "- macro: c0\n  condition: counter.n = 1\n" + "".join(
        f"- macro: c{i}\n  condition: not c{i - 1}\n" for i in range(1, 300)) + RULE.format("c299")
    assert validate(capsys, tmp_path, short)["successful"]


@pytest.mark.clause("YAML-LIMITS")
@pytest.mark.parametrize("text, line, says", [
    ("- list: x\n  items: " + "[" * 3000 + "]" * 3000 + "\n", 2, "nesting deeper than 200 levels"),
    ("- list: x\n  items: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", 2, "nesting deeper than 200 levels"),
    ("- &a [*a]\n", 1, "an alias refers to a value that contains it"),
    ("- list: x\n  items: &l0 [a, b]\n" + "".join(f"- list: x{i}\n  items: &l{i} [*l{i - 1}, *l{i - 1}]\n"
                                                  for i in range(1, 30)), 38,
     "aliases expand this value to more than 1000000 nodes"),
], ids=["sequences", "mappings", "recursive-alias", "alias-bomb"])
def test_deep_or_exploding_yaml_is_a_yaml_parse_error(capsys, tmp_path, text, line, says):
    code, message, _ = first_error(validate(capsys, tmp_path, text))
    assert code == "LOAD_ERR_YAML_PARSE"
    assert message.startswith(f"yaml: error at line {line}, ") and message.endswith(says)
