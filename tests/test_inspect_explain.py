"""`plugref inspect --explain FILTER`: the Python function a condition compiles to (FILTER-COMPILE).

The printed text must be valid Python, and run in the namespace it names it must decide as the
compiled filter does, and as the spec says: `in` is membership, `>` compares numbers, a check of a
field with no value is false for every operator (FILTER-MISSING-VALUE), `not` applies afterwards.
"""
import subprocess
import sys

import pytest
from hypothesis import example, given, strategies as st

from conformance.typed_fields import TYPED, _context, table
from fake_plugins.native.build import build_generator
from reference.filter import compile_filter, parse
from reference.tools.inspector import Inspection, Inspector

WORDS = st.sampled_from([None, "nginx", "sshd", "bash", "NGINX", ""])
NUMBERS = st.one_of(st.none(), st.integers(0, 2**64 - 1))


def explained(condition: str):
    """(the source `--explain` prints, the function it defines, the compiled filter) for `condition`
    over TYPED; the source runs in the namespace the compiled filter keeps (what it names)."""
    compiled = compile_filter(parse(condition), table())
    source = compiled.source
    namespace = dict(compiled.namespace)
    exec(compile(source, "<explained>", "exec"), namespace)
    return source, namespace["condition"], compiled


def decide(condition: str, values: dict) -> tuple[bool, bool]:
    """(the printed function's verdict, the compiled filter's) on one event with `values`."""
    _, function, compiled = explained(condition)
    printed = bool(function(_context(TYPED, values, compiled.plan)))
    return printed, compiled.matches(_context(TYPED, values, compiled.plan))


@pytest.mark.clause("FILTER-COMPILE", "FILTER-OPERATORS", "FILTER-MISSING-VALUE")
@given(word=WORDS, number=NUMBERS)
@example(word=None, number=101)
@example(word="sshd", number=None)
@example(word="nginx", number=100)
def test_the_printed_function_decides_as_the_spec_says(word, number):
    values = {k: v for k, v in (("t.s", word), ("t.n", number)) if v is not None}
    condition = "t.s in (nginx, sshd) and t.n > 100"
    expected = word in ("nginx", "sshd") and number is not None and number > 100
    assert decide(condition, values) == (expected, expected)
    # `not` applies after the missing-value rule: true when t.s has no value.
    negated = "not t.s = nginx"
    assert decide(negated, values) == (word != "nginx",) * 2
    # `!=` on a missing value is false too; `or` stops at the first true child.
    either = "t.s != bash or t.n exists"
    expected_either = (word is not None and word != "bash") or number is not None
    assert decide(either, values) == (expected_either,) * 2


COMPARISONS = {"=": lambda a, b: a == b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
               "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
               ">=": lambda a, b: a >= b}


@pytest.mark.clause("FILTER-OPERATORS", "FILTER-MISSING-VALUE")
@given(op=st.sampled_from(sorted(COMPARISONS)), constant=st.integers(0, 2**64 - 1), number=NUMBERS,
       listed=st.lists(st.integers(0, 300), max_size=12), field=st.sampled_from(["t.n", "t.rel", "t.abs"]))
@example(op=">", constant=100, number=100, listed=[], field="t.n")
@example(op="<=", constant=2**64 - 1, number=2**64 - 1, listed=[7, 7, 7], field="t.n")
def test_numbers_compare_as_numbers_and_in_is_membership_of_the_list(op, constant, number, listed, field):
    # A comparison with a constant is written in place (`v1 > 100`); `in` a list, a membership
    # test of a set, whatever the list's length or repeats; an empty list holds nothing.
    values = {} if number is None else {field: number}
    expected = number is not None and COMPARISONS[op](number, constant)
    assert decide(f"{field} {op} {constant}", values) == (expected, expected)
    inside = number is not None and number in listed
    condition = f"{field} in ({', '.join(map(str, listed))})"
    assert decide(condition, values) == (inside, inside)
    assert decide(f"not {condition}", values) == (not inside, not inside)


@pytest.mark.clause("FILTER-OPERATORS")
@given(word=WORDS, listed=st.lists(st.sampled_from(["nginx", "sshd", "NGINX", "a b", "it's", 'say "hi"']),
                                   max_size=10))
@example(word="nginx", listed=["NGINX"])
def test_strings_equal_exactly_and_in_is_membership_of_the_list(word, listed):
    values = {} if word is None else {"t.s": word}
    quoted = ", ".join('"' + item.replace('"', '\\"') + '"' for item in listed)
    inside = word is not None and word in listed
    assert decide(f"t.s in ({quoted})", values) == (inside, inside)
    assert decide("t.s = NGINX", values) == (word == "NGINX",) * 2  # case counts
    assert decide("t.s != NGINX", values) == (word is not None and word != "NGINX",) * 2


@pytest.mark.clause("FILTER-COMPILE")
def test_a_check_against_constants_reads_as_python_in_the_printed_function():
    source = explained("t.s in (nginx, sshd, nginx) and t.n > 100 and t.b = true")[0]
    assert "(v1 in {'nginx', 'sshd'})" in source
    assert "(v2 > 100)" in source
    assert "(v3 == True)" in source


@pytest.mark.clause("FILTER-COMPILE")
def test_deep_and_wide_conditions_print_as_valid_python():
    # Past a few dozen levels or children, parts become functions of their own (part_N).
    deep = "not " * 999 + "t.n > 3"
    wide = " or ".join(f"t.n = {k}" for k in range(300))
    for condition, values, expected in ((deep, {"t.n": 5}, False), (wide, {"t.n": 299}, True),
                                        (wide, {"t.n": 300}, False), (wide, {}, False)):
        source, function, compiled = explained(condition)
        compile(source, "<explained>", "exec")
        assert bool(function(_context(TYPED, values, compiled.plan))) is expected
        assert compiled.matches(_context(TYPED, values, compiled.plan)) is expected
    assert "def part_1(context):" in explained(wide)[0]


@pytest.mark.clause("FILTER-COMPILE")
def test_plugref_inspect_explain_prints_the_function_it_runs(tmp_path):
    plugin = build_generator()
    condition = "x.word in (nginx, sshd) and x.i > 100"
    run = subprocess.run([sys.executable, "-m", "reference.tools.cli", "inspect", "-H", f"{plugin}:10 64",
                          "--explain", condition], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    compile(text, "<explained>", "exec")  # valid Python
    assert "def condition(context):" in text
    # Each check is labelled with its text, in the order it runs.
    assert text.index("# x.word in (nginx, sshd)") < text.index("# x.i > 100")
    # The same filter, compiled in this process for the same plugin, is the same text but for
    # the slot numbers (they number every field reference of a process).
    inspector = Inspector()
    try:
        here = inspector.explain(Inspection(plugins=[f"{plugin}:10 64"], filter=condition))
    finally:
        inspector.registry.shutdown()
    assert _without_digits(here) == _without_digits(text)


def test_explain_without_a_filter_or_with_an_unknown_field_is_a_clear_error(tmp_path):
    for args, message in ((["--explain"], "--explain needs a filter"),
                          (["--explain", "nope.field = 1"], "nonexistent field nope.field")):
        run = subprocess.run([sys.executable, "-m", "reference.tools.cli", "inspect", *args],
                             capture_output=True, text=True)
        assert run.returncode == 1 and message in run.stderr, run.stderr


def _without_digits(text: str) -> str:
    return "".join(c for c in text if not c.isdigit())
