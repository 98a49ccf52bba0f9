"""Limits of the condition and format languages: one depth limit for every stage (FILTER-DEPTH),
positions counted from a line table (FILTER-ERRORS), a maximum field width (OUTPUT-WIDTH-LIMIT)."""
from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.misbehaving import variant
from reference.filter import And, Check, FieldRef, FilterError, Not, compile_filter, parse, to_text
from reference.filter.lexer import Cursor
from reference.host.event_fields import FieldTable
from reference.host.registry import PluginRegistry
from reference.tools.cli import main

LIMIT = 1000  # Falco's set_max_depth(1000); sysdig 0.29 accepts 1000 nested brackets
TOO_DEEP = "exceeded max depth limit of 1000"


@pytest.fixture
def xsrc(tmp_path):
    definition = variant(SOURCE_DEFINITION, events=[{"ts": 1 + i, "values": {"x.i": i}} for i in range(4)])
    path = tmp_path / "xsrc.yaml"
    path.write_text(yaml.safe_dump(definition))
    return str(path)


def nested_not(depth: int) -> str:
    return "not (" * depth + "x.i = 1" + ")" * depth


def nested_and(depth: int) -> str:
    return "(x.i < 3 and " * depth + "x.i >= 1" + ")" * depth


@pytest.mark.clause("FILTER-DEPTH")
@pytest.mark.parametrize("text, printed", [(nested_not(980), ["2"]), (nested_not(LIMIT), ["2"]),
                                           (nested_and(990), ["2", "3"]), (nested_and(LIMIT), ["2", "3"])],
                         ids=["not-980", "not-1000", "and-990", "and-1000"])
def test_conditions_up_to_the_limit_parse_compile_print_and_evaluate(capsys, xsrc, text, printed):
    # These ended in RecursionError (exit 70) at 980 and 990 levels.
    assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-p", "%evt.num", text]) == 0
    assert capsys.readouterr().out.split() == printed
    printed = to_text(parse(text))
    assert to_text(parse(printed)) == printed


@pytest.mark.clause("FILTER-DEPTH")
@pytest.mark.parametrize("text", [nested_not(LIMIT + 1), nested_and(LIMIT + 1), "(" * (LIMIT + 1) + "x.i=1" +
                                  ")" * (LIMIT + 1), "not " + nested_not(LIMIT + 5)],
                         ids=["not-1001", "and-1001", "brackets-1001", "not-1006"])
def test_past_the_limit_the_parser_says_so(capsys, xsrc, text):
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert (caught.value.reason, caught.value.clause) == (TOO_DEEP, "FILTER-DEPTH")
    assert main(["inspect", "-H", xsrc, "-I", "xsrc", text]) == 1
    err = capsys.readouterr().err
    assert TOO_DEEP in err and "internal error" not in err


def three_levels_per_bracket(brackets: int) -> str:
    # `a or b and not (...)`: an or, an and and a not (three tree levels) for each bracket
    text = "x.i = 1"
    for _ in range(brackets):
        text = f"x.i = 1 or x.i = 2 and not ({text})"
    return text


@pytest.mark.clause("FILTER-DEPTH")
def test_the_tree_is_measured_as_well_as_the_brackets():
    # 333 brackets hold 999 levels; a `not (...)` around them makes 1000 levels in 334 brackets, and
    # `x and not (...)` 1001.
    assert isinstance(parse("not (" + three_levels_per_bracket(333) + ")"), Not)
    with pytest.raises(FilterError) as caught:
        parse("x.i = 3 and not (" + three_levels_per_bracket(333) + ")")
    assert str(caught.value) == f"filter error: {TOO_DEEP}"


def chain(depth: int):
    node = Check(FieldRef("x.i"), "=", "1")
    for level in range(depth):
        node = Not(node) if level % 2 else And((Check(FieldRef("x.i"), "<", "3"), node))
    return node


@pytest.mark.clause("FILTER-DEPTH")
def test_trees_built_deeper_than_the_limit_are_refused_by_compile_and_print():
    registry = PluginRegistry()
    from fake_plugins.defined import DefinedLibrary

    registry.load(DefinedLibrary(SOURCE_DEFINITION))
    table = FieldTable(registry, "x")
    compile_filter(chain(LIMIT), table)
    to_text(chain(LIMIT))
    # the deepest chain last, or first (the whole tree is measured, not its first branch)
    for too_deep in (chain(LIMIT + 1), And((chain(LIMIT), Check(FieldRef("x.i"), "=", "2")))):
        for stage in (lambda node: compile_filter(node, table), to_text):
            with pytest.raises(FilterError) as caught:
                stage(too_deep)
            assert (caught.value.reason, caught.value.clause) == (TOO_DEEP, "FILTER-DEPTH")


@pytest.mark.clause("FILTER-ERRORS")
@given(st.text(st.sampled_from("ab \r\n\t="), max_size=40), st.data())
def test_positions_are_one_based_lines_and_columns_with_cr_or_lf_starting_a_line(text, data):
    idx = data.draw(st.integers(0, len(text)))
    # The spec's reading: every \r or \n before idx starts a line; the column counts from its start.
    before = text[:idx]
    line = 1 + before.count("\r") + before.count("\n")
    start = max(before.rfind("\r"), before.rfind("\n")) + 1
    cursor = Cursor(text)
    cursor.position(0)  # a cursor asked many times answers the same
    position = cursor.position(idx)
    assert (position.idx, position.line, position.col) == (idx, line, idx - start + 1)


@pytest.mark.clause("FILTER-ERRORS")
def test_an_error_late_in_a_long_multi_line_condition_has_its_line_and_column():
    text = "\n or ".join(f"x.i = {i}" for i in range(10_000)) + " or x.i >"
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert (caught.value.position.line, caught.value.position.col) == (10_000, 24)  # the end of " or x.i = 9999 or x.i >"


@pytest.mark.clause("OUTPUT-WIDTH-LIMIT")
def test_field_widths_up_to_4096_print_and_wider_ones_are_format_errors(capsys, xsrc):
    for width in ("4097", "99999999999", "9" * 5000):
        assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-n", "1", "-p", f"%{width}evt.num"]) == 1
        err = capsys.readouterr().err
        assert f"invalid formatting syntax: field width {width[:20]}" in err and "exceeds the maximum of 4096" in err
    assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-n", "1", "-p", "%4096evt.num|"]) == 0
    assert capsys.readouterr().out == "1" + " " * 4095 + "|\n"
    assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-n", "1", "-p", "%0002evt.num|"]) == 0
    assert capsys.readouterr().out == "1 |\n"


@pytest.mark.clause("OUTPUT-WIDTH-LIMIT")
@pytest.mark.parametrize("width, shown", [
    ("4097", "4097"),
    ("0000000004097", "0000000004097"),                  # leading zeros count in the text, not in the number
    ("00000000000000005000", "00000000000000005000"),    # 20 digits: shown whole
    ("1" * 21, "1" * 20 + "..."),                        # more than 20: shortened to 20
    ("9" * 5000, "9" * 20 + "..."),
])
def test_a_too_wide_field_width_is_named_shortened_to_20_digits(capsys, xsrc, width, shown):
    assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-n", "1", "-p", f"%{width}evt.num"]) == 1
    assert capsys.readouterr().err.strip().endswith(
        f"invalid formatting syntax: field width {shown} exceeds the maximum of 4096")


@pytest.mark.clause("OUTPUT-WIDTH-LIMIT")
def test_a_width_of_many_leading_zeros_is_its_number(capsys, xsrc):
    assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-n", "1", "-p", "%00000000000010evt.num|"]) == 0
    assert capsys.readouterr().out == "1" + " " * 9 + "|\n"


@pytest.mark.clause("OUTPUT-FORMAT")
def test_a_width_of_zero_is_no_width_as_sysdig_prints_it(capsys, xsrc):
    # sysdig 0.29: -p "[%0evt.num] %0x.word" prints "[1] nginx", the whole values.
    assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-n", "2", "-p", "[%0evt.num] %000x.i [%03evt.num]"]) == 0
    assert capsys.readouterr().out == "[1] 0 [1  ]\n[2] 1 [2  ]\n"


@pytest.mark.clause("FILTER-COMPILE")
def test_a_number_of_thousands_of_digits_saturates_instead_of_failing(capsys, xsrc):
    assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-p", "%evt.num", "x.i < " + "9" * 5000]) == 0
    assert capsys.readouterr().out.split() == ["1", "2", "3", "4"]
