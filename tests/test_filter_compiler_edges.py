"""Edges of compiling a condition that random conditions rarely reach, at the compiler's level (over the
typed fields of conformance/typed_fields.py, in this process):

- V3-FIELD-ARGS: the argument of a 3.x field is checked when the filter compiles, with libs HEAD's texts;
- FILTER-COMPILE: `and`/`or` with dozens to hundreds of children and conditions a hundred levels deep
  decide as `and`/`or`/`not` do (the generated function splits them into parts of its own); a check is
  labelled with its text on one line; a transformer over a non-ASCII constant compiles;
- EXTRACT-BATCHED: a filter and a format compiled into one plan are extracted together in batched mode.

The expected verdicts are those of the connectives (api §4.4, falco-rules.md §3.6), written here as
Python's any/all over the children; the messages are those of docs/spec.md V3-FIELD-ARGS.
"""
import pytest
from hypothesis import example, given, settings, strategies as st

from conformance.typed_fields import TYPED, TypedProvider, _Info, _context, table
from reference.contract.field_types import AnyFieldType
from reference.contract.fields_v3 import FieldInfoV3
from reference.filter import FilterError, compile_filter, parse
from reference.host.event_fields import EventContext, ExtractionMode, ExtractionPlan
from reference.host.engine import PluginEvent
from reference.output import Formatter

# 3.x fields: an index, a key, one that is both, one that takes no argument.
V3 = TypedProvider(_Info([
    FieldInfoV3(0, "t.idx", AnyFieldType.STRING, "an index field", is_index=True),
    FieldInfoV3(1, "t.key", AnyFieldType.STRING, "a key field", is_key=True),
    FieldInfoV3(2, "t.both", AnyFieldType.STRING, "an index and key field", is_index=True, is_key=True),
    FieldInfoV3(3, "t.plain", AnyFieldType.STRING, "a field without argument"),
]))


def _compile(condition: str, provider: TypedProvider = TYPED):
    return compile_filter(parse(condition), table(provider))


def _decide(condition: str, values: dict, provider: TypedProvider = TYPED) -> bool:
    """The compiled filter's verdict, and (checked equal) that of the source `--explain` prints run in its
    namespace: the printed function is the one that runs."""
    compiled = _compile(condition, provider)
    namespace = dict(compiled.namespace)
    exec(compile(compiled.source, "<explained>", "exec"), namespace)
    verdict = compiled.matches(_context(provider, values, compiled.plan))
    assert bool(namespace["condition"](_context(provider, values, compiled.plan))) is verdict
    return verdict


# V3-FIELD-ARGS -------------------------------------------------------------------------------------------

@pytest.mark.clause("V3-FIELD-ARGS")
@pytest.mark.parametrize("condition, index, reason", [
    ("t.idx[01] = a", 0, "filter t.idx[01] t.idx has an invalid index argument starting with 0: 01"),
    ("t.key[k] exists and t.idx[x] = a", 20,
     "filter t.idx[x] t.idx has an invalid index argument not composed only by digits: x"),
    ("t.idx[18446744073709551616] exists", 0,
     "filter t.idx[18446744073709551616] t.idx has an invalid index argument not representable on 64 bit: "
     "18446744073709551616"),
    ("not t.plain[1] = a", 4, "filter 't.plain[1]': t.plain does not allow nor require an argument but one "
                              "is provided: 1"),
    # in a filter the argument is read back from `name[arg]`: a quoted blank cuts it
    ('t.idx["0 1"] = a', 0, "filter 't.idx[0 1]': t.idx has unbalanced argument brackets"),
    ('t.idx[" 0"] = a', 0, "filter 't.idx[ 0]': t.idx terminates with incomplete argument brackets"),
])
def test_a_bad_argument_of_a_3x_field_is_refused_when_the_filter_compiles(condition, index, reason):
    with pytest.raises(FilterError) as caught:
        _compile(condition, V3)
    error = caught.value
    assert (error.reason, error.clause) == (reason, "V3-FIELD-ARGS")
    # The error points at the check that holds the field.
    assert (error.position.idx, error.position.line, error.position.col) == (index, 1, index + 1)
    assert str(error) == f"filter error at index {index}, line 1, column {index + 1}: {reason}"


@pytest.mark.clause("V3-FIELD-ARGS")
@pytest.mark.parametrize("condition", [
    "t.idx[0] = a", "t.idx[18446744073709551615] = a", "t.idx = a", "t.key[x] = a", "t.key[01] = a",
    "t.both[01] = a", "t.both[name] = a", "t.plain = a",
])
def test_a_good_argument_of_a_3x_field_compiles_and_the_field_is_read_with_it(condition):
    field = condition.split(" ")[0]
    assert _decide(condition, {field: "a"}, V3) is True
    assert _decide(condition, {field: "b"}, V3) is False


# FILTER-COMPILE: wide and deep conditions ---------------------------------------------------------------

def _child(kind: str, joiner: str, k: int) -> str:
    """A child that is true exactly when t.n is k (under `or`) or is not k (under `and`), as a check, a
    `not`, or a bracketed connective of the other kind."""
    if joiner == "or":
        return {"check": f"t.n = {k}", "not": f"not t.n != {k}", "group": f"(t.n = {k} and t.n exists)"}[kind]
    return {"check": f"t.n != {k}", "not": f"not t.n = {k}", "group": f"(t.n != {k} or t.s = nope)"}[kind]


KINDS = st.sampled_from(["check", "not", "group"])


@pytest.mark.clause("FILTER-COMPILE", "FILTER-OPERATORS")
@settings(max_examples=15)  # each compiles a condition of a hundred checks or more; the examples carry the edges
@given(joiner=st.sampled_from(["and", "or"]), kinds=st.lists(KINDS, min_size=60, max_size=140),
       decisive=st.integers(0, 140))
# just over 64 children, one more than a multiple of 64 and two more (their last part is one or two children)
@example(joiner="or", kinds=["check"] * 64, decisive=0)
@example(joiner="or", kinds=["check"] * 65, decisive=64)
@example(joiner="or", kinds=["check"] * 128 + ["group"], decisive=128)
@example(joiner="and", kinds=["check"] * 128 + ["not"], decisive=128)
@example(joiner="or", kinds=["group"] * 130, decisive=129)
@example(joiner="and", kinds=["check"] * 130, decisive=0)
@example(joiner="or", kinds=["not"] * 129, decisive=0)
@example(joiner="and", kinds=["group"] * 129, decisive=127)
def test_wide_and_or_decide_as_any_and_all_of_their_children(joiner, kinds, decisive):
    condition = f" {joiner} ".join(_child(kind, joiner, k) for k, kind in enumerate(kinds))
    # t.n is the value of child `decisive` (or of none when it is past the last): that child alone decides.
    # An `or` is true when one child is; an `and` when every child is.
    expected = decisive < len(kinds) if joiner == "or" else decisive >= len(kinds)
    assert _decide(condition, {"t.n": decisive}) is expected


@pytest.mark.clause("FILTER-COMPILE", "FILTER-MISSING-VALUE")
@settings(max_examples=10)  # as above: the boundary is in the examples
@given(depth=st.integers(101, 250), value=st.sampled_from([None, 1, 2]))
@example(depth=101, value=1)
@example(depth=102, value=None)
def test_a_condition_a_few_hundred_levels_deep_evaluates_as_its_connectives_say(depth, value):
    values = {} if value is None else {"t.n": value}
    # `not` taken `depth` times: t.n = 1 holds only when t.n is 1 (FILTER-MISSING-VALUE: false when absent).
    holds = value == 1
    assert _decide("not " * depth + "t.n = 1", values) is (holds if depth % 2 == 0 else not holds)
    # brackets alternating `and` and `or`, each adding a level: (t.n = 1 and (t.n exists or (...)))
    nested = "t.n = 1"
    for level in range(depth):
        nested = f"(t.n exists and {nested})" if level % 2 else f"(t.n = 2 or {nested})"
    assert _decide(nested, values) is (value is not None and (value == 2 or holds))


# FILTER-COMPILE: the printed function ------------------------------------------------------------------

@pytest.mark.clause("FILTER-COMPILE", "FILTER-PRINT")
@pytest.mark.parametrize("condition, label", [
    # printable text is the label as printed (FILTER-PRINT), backslashes and quotes as they are
    ('t.s = "a\\\\b"', 't.s = "a\\\\b"'),
    ("t.s = \"it's\"", "t.s = \"it's\""),
    # what is not printable is written as a Python escape, so that the label stays one line of comment
    ('t.s = "a\\x1bb"', "t.s = a\\x1bb"),
    ('t.s = "x\u2028y"', 't.s = "x\\u2028y"'),
    ('t.s = "\u0085"', 't.s = "\\x85"'),
    # both: the printed backslashes stay as they are next to the escapes
    (r't.s = "a\\b\x1b"', r't.s = "a\\b\x1b"'),
])
def test_each_check_of_the_printed_function_is_labelled_with_its_text_on_one_line(condition, label):
    compiled = _compile(condition)
    assert f"\n        # {label}\n" in compiled.source
    compile(compiled.source, "<explained>", "exec")  # still valid Python


@pytest.mark.clause("FILTER-COMPILE", "FILTER-TRANSFORMERS")
@pytest.mark.parametrize("constant", ["ﬁ", "x²", "é", "Ⅻ"])
def test_a_transformer_over_a_non_ascii_constant_compiles_and_evaluates(constant):
    condition = f'concat(t.s, "{constant}") = "a{constant}"'
    assert _decide(condition, {"t.s": "a"}) is True
    assert _decide(condition, {"t.s": "b"}) is False


# EXTRACT-BATCHED ---------------------------------------------------------------------------------------

class _CountingProvider(TypedProvider):
    """The typed source, counting the extract_fields calls of batched mode."""

    calls: list

    def extract_requests(self, event, requests):
        self.calls.append([info.name for info, _ in requests])
        return super().extract_requests(event, requests)


@pytest.mark.clause("EXTRACT-BATCHED")
def test_a_filter_and_a_format_compiled_into_one_plan_are_extracted_in_one_batched_call():
    provider = _CountingProvider(TYPED.info)
    provider.calls = []
    plan = ExtractionPlan()
    compiled = compile_filter(parse("t.n > 100"), table(provider), plan)
    formatter = Formatter("%t.s", table(provider), plan)
    assert compiled.plan is plan
    provider.values = {"t.n": 101, "t.s": "nginx"}
    context = EventContext(PluginEvent(1, 10, 999, "t", b""), plan, provider, ExtractionMode.BATCHED)
    assert compiled.matches(context) is True
    assert formatter.format(context) == "nginx"
    # every field of the plugin that the filter and the format use, in one call at the first one needed
    assert [sorted(call) for call in provider.calls] == [["t.n", "t.s"]]


@pytest.mark.clause("FILTER-COMPILE", "FILTER-GRAMMAR")
@given(name=st.from_regex(r"[a-zA-Z]{1,3}[a-zA-Z0-9_]{0,3}(\.[a-zA-Z]{1,3}[a-zA-Z0-9_]{0,3}){1,2}", fullmatch=True))
@example(name="X1.n")  # a name whose letters before a digit could be mistaken for padding
@example(name="x_.y_")
def test_a_field_of_any_name_the_grammar_accepts_compiles_and_evaluates(name):
    provider = TypedProvider(_Info([FieldInfoV3(0, name, AnyFieldType.STRING, "a field")]))
    assert _decide(f"{name} = a", {name: "a"}, provider) is True
    assert _decide(f"{name} = a", {name: "b"}, provider) is False
