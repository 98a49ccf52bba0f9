"""FILTER-TRANSFORMERS at their edges, over the typed fields (conformance/typed_fields.py): libsinsp's exact
type-error texts of join/concat/getopt, what each transformer gives as the operand of another, ASCII-only
case mapping, base64 that decodes to bytes that are not UTF-8, join over numbers, and getopt(3)'s scan
(leading `:` in the optstring, `--`, `--long` words anywhere, grouped flags). Texts and rules: docs/spec.md
FILTER-TRANSFORMERS (falco-rules.md §3.5); the scan is getopt(3)'s."""
import pytest
from hypothesis import given, strategies as st

from conformance.typed_fields import evaluate, table
from reference.filter import FilterError, compile_filter, parse


@pytest.mark.clause("FILTER-TRANSFORMERS")
@pytest.mark.parametrize("condition, reason", [
    ("join(t.s) exists", "join() requires exactly 2 arguments: separator and list"),
    ("join(t.list, t.list) exists", "join() first argument (separator) must be a single value, not a list"),
    ("join(',', t.s) exists", "join() second argument must be a list"),
    ("concat(t.s) exists", "concat() requires at least 2 arguments"),
    ("concat(t.s, t.n) exists", "concat() arguments must be strings"),
    ("concat(t.s, t.list) exists", "concat() arguments must be strings"),
    ("getopt(t.list) exists", "getopt() requires exactly 2 arguments: args list and optstring"),
    ("getopt(t.s, 'a') exists", "getopt() first argument must be a list"),
    ("getopt(t.list, t.list) exists", "getopt() second argument (optstring) must be a single value"),
    ("getopt(t.nums, 'a') exists", "getopt() arguments must be strings"),
    ("getopt(t.list, 'a')[ab] exists", "getopt() field argument must be a single option character"),
    ("join(',', t.list)[x] exists", "transformer 'join' does not support field arguments"),
    ("concat(t.s, 'a')[x] exists", "transformer 'concat' does not support field arguments"),
])
def test_the_type_errors_of_the_multi_operand_transformers_are_libsinsps_texts(condition, reason):
    with pytest.raises(FilterError) as caught:
        compile_filter(parse(condition), table())
    assert (caught.value.reason, caught.value.clause) == (reason, "FILTER-TRANSFORMERS")


@pytest.mark.clause("FILTER-TRANSFORMERS")
@pytest.mark.parametrize("condition, values", [
    # join, concat and getopt[c] give a string, which len, toupper... take; getopt without [c] a list
    ("len(join(',', t.list)) = 3", {"t.list": ("a", "b")}),
    ("toupper(concat(t.s, 'x')) = AX", {"t.s": "a"}),
    ("toupper(getopt(t.list, 'a:')[a]) = V", {"t.list": ("-a", "v")}),
    ("len(getopt(t.list, 'a:')) = 2", {"t.list": ("-a", "v")}),
])
def test_what_a_transformer_gives_is_a_string_other_transformers_take(condition, values):
    assert evaluate(condition, values) is True


ASCII_AND_MORE = st.text(st.sampled_from("@AZ[`az{_09 éÉßıİ"), max_size=8)


@pytest.mark.clause("FILTER-TRANSFORMERS")
@given(ASCII_AND_MORE)
def test_tolower_and_toupper_map_ascii_letters_only(text):
    # the C locale's tolower/toupper: bytes.lower()/upper() touch exactly A-Z and a-z
    assert evaluate(f"tolower(t.s) = '{text.encode().lower().decode()}'", {"t.s": text}) is True
    assert evaluate(f"toupper(t.s) = '{text.encode().upper().decode()}'", {"t.s": text}) is True
    for edge, lower, upper in (("AZaz", "azaz", "AZAZ"), ("@[`{", "@[`{", "@[`{"), ("Y", "y", "Y")):
        assert evaluate(f"tolower(t.s) = '{lower}'", {"t.s": edge}) is True
        assert evaluate(f"toupper(t.s) = '{upper}'", {"t.s": edge}) is True


@pytest.mark.clause("FILTER-TRANSFORMERS")
def test_b64_decodes_to_bytes_that_need_not_be_utf8_and_a_failing_element_voids_a_list():
    # "Yf9i" is a, 0xff, b: the value is there, its ASCII ends compare as bytes
    assert evaluate("b64(t.s) startswith a and b64(t.s) endswith b", {"t.s": "Yf9i"}) is True
    assert evaluate("len(b64(t.s)) > 1", {"t.s": "Yf9i"}) is True
    # element by element on a list; an element that is not base64 makes the extraction fail (no value)
    assert evaluate("b64(t.list) exists", {"t.list": ("YQ==", "Yg==")}) is True
    assert evaluate("b64(t.list) exists", {"t.list": ("YQ==", "!!")}) is False


@pytest.mark.clause("FILTER-TRANSFORMERS")
def test_join_writes_numbers_in_decimal():
    assert evaluate("join(',', t.nums) = '1,20,300'", {"t.nums": (1, 20, 300)}) is True


@pytest.mark.clause("FILTER-TRANSFORMERS")
@pytest.mark.parametrize("args, optstring, expected", [
    (("-a", "x"), ":a:", "a,x"),            # a leading `:` only silences getopt's messages
    (("-:",), "a:", "?"),                   # `:` is never an option
    (("-:",), "a::", "?"),
    (("-c", "v"), "abc:", "c,v"),           # an option with a value anywhere in the optstring
    (("-b",), "a:b", "b"),                  # the option after one with a value
    (("-a", "--", "-b"), "ab", "a"),        # `--` ends the options
    (("--v", "-a"), "av", "a"),             # a `--long` word is skipped, even a short one
    (("-a", "--verbose", "-v"), "av", "a,v"),
    (("-av",), "av", "a,v"),                # grouped flags
    (("-xa",), "a", "?,a"),
])
def test_getopt_scans_as_getopt3_does(args, optstring, expected):
    assert evaluate(f"join(',', getopt(t.list, '{optstring}')) = '{expected}'", {"t.list": args}) is True


@pytest.mark.clause("FILTER-TRANSFORMERS")
def test_getopt_gives_an_empty_string_for_a_missing_value():
    assert evaluate("getopt(t.list, 'nt:') intersects ('')", {"t.list": ("-n", "-t")}) is True
    assert evaluate("getopt(t.list, 'nt:') intersects ('')", {"t.list": ("-n", "-t", "x")}) is False
