"""The condition and output language of current libs: FILTER-TRANSFORMERS, FILTER-VAL, FILTER-MODIFIERS,
FILTER-REGEX, FILTER-TYPES, FILTER-WARNINGS, FILTER-ERRORS, OUTPUT-TRANSFORMERS, OUTPUT-VALUES, OUTPUT-JSON.

The 0.3.0 plugin `x` (conformance.filter_strategies) runs the string and uint64 cases end to end; the
3.x types are tested at compiler level over FieldInfo entries of those types (conformance.typed_fields).
"""
import base64
import re
from ipaddress import ip_address, ip_network

import pytest
from hypothesis import given, strategies as st

from conformance.filter_strategies import STRING_OPS, WORDS, checks, event_lists
from conformance.properties.test_filter_language import loaded, run
from conformance.typed_fields import compile_warnings, evaluate, render, render_json, typed_fields
from reference.filter import Check, FieldRef, FilterError, ListValue, parse
from reference.filter.ast import Identifier, Literal, Transformer, quote, to_text
from reference.host.event_fields import EventContext, FieldTable
from reference.output import FormatError, Formatter

SAMPLE_WORDS = ["nginx", "NGINX", "NgInX", "/usr/bin/bash", "bash", "a/b/", "", "aGVsbG8=", "bmdpbng=", "two words",
                "Ünïcode", "!!"]


def ascii_lower(text: str) -> str:
    return text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))


def ascii_upper(text: str) -> str:
    return text.translate(str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def b64_model(text: str):
    if len(text) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text):
        return None
    return base64.b64decode(text).decode("utf-8", errors="replace")


#: the transformers as the spec describes them, applied to a printed value
MODELS = {"tolower": ascii_lower, "toupper": ascii_upper, "basename": lambda t: t.split("/")[-1],
          "len": lambda t: str(len(t.encode())), "b64": b64_model}


def printed(format_text, registry, source, events):
    formatter = Formatter(format_text, FieldTable(registry, "x"))
    return [formatter.format(EventContext(e, formatter.plan, source)) for e in events]


word_events = st.lists(st.fixed_dictionaries({}, optional={"x.word": st.sampled_from(SAMPLE_WORDS)}),
                       min_size=1, max_size=5)


@pytest.mark.clause("FILTER-TRANSFORMERS", "OUTPUT-TRANSFORMERS")
@given(st.sampled_from(sorted(MODELS)), word_events, st.sampled_from(SAMPLE_WORDS + ["5", "13", "hello", "nginx"]))
def test_a_transformer_in_a_filter_equals_it_applied_to_the_printed_value(name, events, constant):
    if name == "len" and not constant.isdigit():
        constant = str(len(constant.encode()))  # len gives a number: compare with one
    registry, source, stream = loaded(events)
    plain = printed("%x.word", registry, source, stream)
    transformed = printed(f"%{name}(x.word)", registry, source, stream)
    expected = [None if p is None else MODELS[name](p) for p in plain]
    assert transformed == expected
    assert run(f"{name}(x.word) = {quote(constant)}", registry, source, stream) == [t == constant for t in expected]


@pytest.mark.clause("FILTER-TRANSFORMERS", "FILTER-PRINT")
@pytest.mark.parametrize("text, tree", [
    ("tolower(a.b) = x", Check(Transformer("tolower", (FieldRef("a.b"),)), "=", "x")),
    ("len( toupper( a.b[k] ) ) > 3", Check(Transformer("len", (Transformer("toupper", (FieldRef("a.b", "k"),)),)), ">", "3")),
    ("join(',', a.l) = 'p,q'", Check(Transformer("join", (Literal(","), FieldRef("a.l"))), "=", "p,q")),
    ("getopt(a.l, \"ab:\")[b] exists", Check(Transformer("getopt", (FieldRef("a.l"), Literal("ab:")), "b"), "exists")),
    ("a.b = toupper(a.c)", Check(FieldRef("a.b"), "=", Transformer("toupper", (FieldRef("a.c"),)))),
    ("b64(a.b)[x] = y", Check(Transformer("b64", (FieldRef("a.b"),), "x"), "=", "y")),
])
def test_transformer_grammar(text, tree):
    assert parse(text) == tree
    assert parse(to_text(tree)) == tree


@pytest.mark.clause("FILTER-TRANSFORMERS", "FILTER-GRAMMAR")
@pytest.mark.parametrize("text, message, column", [
    ("tolower(1) = a", "expected a field or a nested valid transformer: 'val', 'tolower', 'toupper', 'b64', "
                       "'basename', 'len', 'join', 'concat', 'getopt'", 9),
    ("tolower(val(a.b)) = a", "expected a field or a nested valid transformer", 9),
    ("tolower(a.b = a", "expected a ')' token closing the transformer", 13),
    ("b64 (a.b) = a", "unexpected token after 'b64', expecting 'or', 'and'", 5),
    ("join(a.l, 1) = a", "expected a field, a nested valid transformer or a quoted string", 11),
    ("a.b = val(1)", "expected a field within 'val' transformer", 11),
    ("a.b = val(a.c a.d)", "expected a ')' token closing the transformer", 15),
    ("a.b = (x)", "expected a string value or a field with a valid transformer", 7),
    ("a.b in 3", "expected a list, an identifier, or a field with a valid transformer", 8),
    ("val(a.b) = 1", "unexpected token after 'val', expecting 'or', 'and'", 4),
])
def test_transformer_syntax_errors(text, message, column):
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert message in caught.value.reason
    assert caught.value.position.col == column


@pytest.mark.clause("FILTER-TRANSFORMERS")
@pytest.mark.parametrize("condition, values, expected", [
    ("tolower(t.s) = 'ünï'", {"t.s": "ÜNÏ"}, False),  # ASCII letters only
    ("toupper(t.s) = 'ÜNÏ'", {"t.s": "Ünï"}, False),
    ("toupper(t.s) = 'ÜNÏ'", {"t.s": "ÜNÏ"}, True),
    ("basename(t.s) = ''", {"t.s": "/a/b/"}, True), ("basename(t.s) = abc", {"t.s": "abc"}, True),
    ("b64(t.s) = hello", {"t.s": "aGVsbG8="}, True), ("b64(t.s) exists", {"t.s": "aGVsbG8"}, False),
    ("not b64(t.s) exists", {"t.s": "***"}, True),
    ("len(t.s) = 5", {"t.s": "ünï"}, True), ("len(t.list) = 3", {"t.list": ("a", "b", "c")}, True),
    ("len(t.nums) = 2", {"t.nums": (1, 2)}, True),
    ("tolower(t.list) intersects (ab)", {"t.list": ("AB", "C")}, True),
    ("join('-', t.list) = a-b-c", {"t.list": ("a", "b", "c")}, True),
    ("join(t.s, t.list) = a--b", {"t.list": ("a", "b"), "t.s": "--"}, True),
    ("join(t.s, t.list) exists", {"t.list": ("a", "b")}, False),
    ("concat(t.s, t.s2) = ab", {"t.s": "a", "t.s2": "b"}, True),
    ("concat(t.s, '/', toupper(t.s2)) = a/B", {"t.s": "a", "t.s2": "b"}, True),
    ("concat(t.s, t.s2) exists", {"t.s": "a"}, False),
    ("getopt(t.list, 'nt:') in (n, t, x)", {"t.list": ("-n", "-tx", "file")}, True),
    ("getopt(t.list, 'nt:')[t] = x", {"t.list": ("-n", "-t", "x", "-t", "y")}, False),
    ("getopt(t.list, 'nt:')[t] = y", {"t.list": ("-n", "-t", "x", "-t", "y")}, True),
    ("getopt(t.list, 'nt:')[t] = ''", {"t.list": ("-nt",)}, True),
    ("getopt(t.list, 'nt:')[n] = n", {"t.list": ("-nt", "v")}, True),
    ("getopt(t.list, 'nt:')[t] exists", {"t.list": ("file", "-t", "x")}, False),
    ("getopt(t.list, 'nt:')[t] exists", {"t.list": ("--", "-t", "x")}, False),
    ("getopt(t.list, 'nt:')[t] = x", {"t.list": ("--exec", "-t", "x")}, True),
    ("getopt(t.list, 'n') intersects ('?')", {"t.list": ("-q",)}, True),
    ("len(getopt(t.list, 'nt:')) = 3", {"t.list": ("-n", "-t", "x", "rest")}, True),
])
def test_transformer_semantics(condition, values, expected):
    assert evaluate(condition, values) is expected


@pytest.mark.clause("FILTER-TRANSFORMERS")
@pytest.mark.parametrize("condition, message", [
    ("tolower(t.n) = a", "can't add field transformer: type 'UINT64' is not supported by 'tolower' transformer "
                         "applied on field 't.n'"),
    ("basename(t.b) = a", "type 'BOOL' is not supported by 'basename' transformer applied on field 't.b'"),
    ("b64(t.ip) = a", "type 'IPADDR' is not supported by 'b64' transformer applied on field 't.ip'"),
    ("len(t.n) = 1", "type 'UINT64' is not supported by 'len' transformer applied on field 't.n'"),
    ("toupper(tolower(t.rel)) = a", "type 'RELTIME' is not supported by 'tolower'"),
    ("tolower(len(t.s)) = a", "type 'UINT64' is not supported by 'tolower' transformer applied on field 'len(t.s)'"),
    ("toupper(t.s)[x] = A", "transformer 'toupper' does not support field arguments"),
    ("join(',', t.list)[x] = A", "transformer 'join' does not support field arguments"),
    ("join(',') = a", "join() requires exactly 2 arguments: separator and list"),
    ("join(t.list, t.list) = a", "join() first argument (separator) must be a single value, not a list"),
    ("join(',', t.s) = a", "join() second argument must be a list"),
    ("concat(t.s) = a", "concat() requires at least 2 arguments"),
    ("concat(t.s, t.n) = a", "concat() arguments must be strings"),
    ("getopt(t.list) exists", "getopt() requires exactly 2 arguments: args list and optstring"),
    ("getopt(t.s, 'a') exists", "getopt() first argument must be a list"),
    ("getopt(t.list, t.list) exists", "getopt() second argument (optstring) must be a single value"),
    ("getopt(t.nums, 'a') exists", "getopt() arguments must be strings"),
    ("getopt(t.list, 'a')[ab] exists", "getopt() field argument must be a single option character"),
])
def test_transformer_type_errors(condition, message):
    with pytest.raises(FilterError) as caught:
        evaluate(condition, {})
    assert message in caught.value.reason
    assert caught.value.clause == "FILTER-TRANSFORMERS"


@pytest.mark.clause("FILTER-VAL")
@given(st.sampled_from(["x.i", "x.word", "x.path", "x.tag[a]", "evt.num"]), event_lists)
def test_val_of_a_field_equals_the_field_for_every_present_value(name, events):
    registry, source, stream = loaded(events)
    present = run(f"{name} exists", registry, source, stream)
    assert run(f"{name} = val({name})", registry, source, stream) == present
    assert run(f"{name} != val({name})", registry, source, stream) == [False] * len(stream)
    assert run(f"not {name} = val({name})", registry, source, stream) == [not p for p in present]


@pytest.mark.clause("FILTER-VAL")
@pytest.mark.parametrize("condition, values, expected", [
    ("t.s = val(t.s2)", {"t.s": "a", "t.s2": "a"}, True), ("t.s = val(t.s2)", {"t.s": "a"}, False),
    ("t.s < val(t.s2)", {"t.s": "a", "t.s2": "b"}, True), ("t.rel > val(t.rel)", {"t.rel": 2}, False),
    ("t.n >= val(t.n)", {"t.n": 3}, True), ("t.ip = val(t.ip2)", {"t.ip": ip_address("::1"), "t.ip2": ip_address("::1")}, True),
    ("t.s glob val(t.s2)", {"t.s": "abc", "t.s2": "a*"}, True),
    ("t.s in val(t.list)", {"t.s": "b", "t.list": ("a", "b")}, True),
    ("t.s in val(t.list)", {"t.s": "c", "t.list": ("a", "b")}, False),
    ("t.s = val(t.list)", {"t.s": "a", "t.list": ("a", "b")}, True),  # a scalar operator: the first value
    ("t.s = val(t.list)", {"t.s": "b", "t.list": ("a", "b")}, False),
    ("t.s = toupper(t.s2)", {"t.s": "AB", "t.s2": "ab"}, True),
    ("t.n = len(t.s)", {"t.n": 2, "t.s": "ab"}, True),
    ("t.list intersects val(t.list)", {"t.list": ("a",)}, True),
])
def test_field_comparisons(condition, values, expected):
    assert evaluate(condition, values) is expected


@pytest.mark.clause("FILTER-VAL")
@pytest.mark.parametrize("condition, message", [
    ("t.s = val(t.n)", "field 't.s' has type 'CHARBUF' while the right-hand side field 't.n' has incompatible type 'UINT64'"),
    ("t.n = val(t.rel)", "field 't.n' has type 'UINT64' while the right-hand side field 't.rel' has incompatible "
                         "type 'RELTIME'"),
    ("t.s = len(t.s2)", "field 't.s' has type 'CHARBUF' while the right-hand side field 'len(t.s2)' has "
                        "incompatible type 'UINT64'"),
    ("t.s pmatch val(t.s2)", "operator 'PMATCH' doesn't support right-hand side fields"),
    ("t.s regex val(t.s2)", "operator 'REGEX' doesn't support right-hand side fields"),
    ("t.net = val(t.net)", "field type 'IPNET' doesn't support right-hand side fields"),
    ("t.s = val(t.nope)", "filter_check called with nonexistent field t.nope"),
])
def test_field_comparison_errors(condition, message):
    with pytest.raises(FilterError) as caught:
        evaluate(condition, {})
    assert message in caught.value.reason


@pytest.mark.clause("FILTER-MODIFIERS")
@given(checks().filter(lambda c: c.op in STRING_OPS and c.op not in ("in", "intersects", "pmatch", "exists", "<", "<=",
                                                                      ">", ">=") and c.field.name.startswith("x.")
                       and c.field.name != "x.i"),
       st.sampled_from(["oneof", "anyof", "allof"]), event_lists)
def test_a_modifier_over_one_element_equals_the_plain_operator(check, modifier, events):
    registry, source, stream = loaded(events)
    modified = Check(check.field, check.op, ListValue((check.value,)), None, modifier)
    assert run(modified, registry, source, stream) == run(check, registry, source, stream)


@pytest.mark.clause("FILTER-MODIFIERS")
@given(st.lists(st.sampled_from(["ng", "in", "x", "NG", ""]), max_size=4), st.sampled_from(SAMPLE_WORDS))
def test_modifiers_count_the_matching_elements(items, word):
    registry, source, stream = loaded([{"x.word": word}])
    matching = sum(1 for item in items if item in word)
    for modifier, expected in (("oneof", matching == 1), ("anyof", matching >= 1), ("allof", matching == len(items))):
        node = Check(FieldRef("x.word"), "contains", ListValue(tuple(items)), None, modifier)
        assert run(node, registry, source, stream) == [expected]
        assert parse(to_text(node)) == node


@pytest.mark.clause("FILTER-MODIFIERS", "FILTER-GRAMMAR")
@pytest.mark.parametrize("text, tree", [
    ("a.b = oneof", Check(FieldRef("a.b"), "=", "oneof")),
    ("a.b = anyof and c.d exists", None),
    ("a.b = allof(x, y)", Check(FieldRef("a.b"), "=", ListValue(("x", "y")), None, "allof")),
    ("a.b startswith oneof my_list", Check(FieldRef("a.b"), "startswith", Identifier("my_list"), None, "oneof")),
    ("a.b = oneofx", Check(FieldRef("a.b"), "=", "oneofx")),
    ("a.b == 'oneof'", Check(FieldRef("a.b"), "==", "oneof")),
])
def test_modifier_grammar(text, tree):
    if tree is None:
        node = parse(text)
        assert node.children[0] == Check(FieldRef("a.b"), "=", "anyof")
    else:
        assert parse(text) == tree


# A small regular-expression language whose syntax and full-match meaning RE2 POSIX and Python's `re` share.
_atoms = st.sampled_from(["a", "b", "c", ".", "[ab]", "[^a]", "[a-c]", "[[:alpha:]]"])
regexes = st.recursive(_atoms, lambda inner: st.one_of(
    st.tuples(inner, inner).map("".join),
    st.tuples(inner, inner).map(lambda p: f"{p[0]}|{p[1]}"),
    inner.map(lambda p: f"({p})"),
    st.tuples(inner, st.sampled_from(["*", "+", "?", "{1,2}"])).map(lambda p: f"({p[0]}){p[1]}"),
), max_leaves=6)


def python_model(pattern: str):
    return re.compile(pattern.replace("[[:alpha:]]", "[A-Za-z]"), re.DOTALL)


@pytest.mark.clause("FILTER-REGEX")
@given(regexes, st.lists(st.text(alphabet="abcA", max_size=4), min_size=1, max_size=4))
def test_re2_and_the_reference_agree_on_every_generated_pattern(pattern, words):
    registry, source, stream = loaded([{"x.word": w} for w in words])
    model = python_model(pattern)
    assert run(f"x.word regex {quote(pattern)}", registry, source, stream) == \
        [model.fullmatch(w) is not None for w in words]


@pytest.mark.clause("FILTER-REGEX")
@pytest.mark.parametrize("pattern, word, expected", [
    ("ng.*", "nginx", True), ("gin", "nginx", False), ("a|ab", "ab", True), ("[[:digit:]]+", "123", True),
    ("a.c", "a\nc", False), ("(a+)(b*)", "aab", True), ("x*", "", True),
])
def test_regex_examples(pattern, word, expected):
    registry, source, stream = loaded([{"x.word": word}])
    assert run(f"x.word regex {quote(pattern)}", registry, source, stream) == [expected]


@pytest.mark.clause("FILTER-REGEX")
@pytest.mark.parametrize("pattern, reason", [
    ("\\d+", "invalid regex pattern: invalid escape sequence: \\d"),
    ("\\w", "invalid regex pattern: invalid escape sequence: \\w"),
    ("(", "invalid regex pattern: missing ): ("),
    ("(?i)nginx", "invalid regex pattern: "), ("a(?=b)", "invalid regex pattern: "), ("(a)\\1", "invalid regex pattern: "),
])
def test_patterns_re2_refuses_do_not_compile(pattern, reason):
    re.compile(pattern) if pattern != "(" else None  # Python's re accepts all but the bracket
    registry, source, stream = loaded([{}])
    with pytest.raises(FilterError) as caught:
        run(f"x.word regex {quote(pattern)}", registry, source, stream)
    assert caught.value.reason.startswith(reason)
    assert caught.value.clause == "FILTER-REGEX"


@pytest.mark.clause("FILTER-TYPES")
@pytest.mark.parametrize("condition, values, expected", [
    ("t.b = true", {"t.b": True}, True), ("t.b = false", {"t.b": True}, False), ("t.b != true", {"t.b": False}, True),
    ("t.b in (false, true)", {"t.b": False}, True), ("t.b intersects (true)", {"t.b": False}, False),
    ("t.rel < 1000", {"t.rel": 999}, True), ("t.rel = 010", {"t.rel": 10}, True), ("t.abs >= 5", {"t.abs": 4}, False),
    ("t.abs in (1, 2)", {"t.abs": 2}, True),
    ("t.ip = 10.0.0.1", {"t.ip": ip_address("10.0.0.1")}, True), ("t.ip != 10.0.0.1", {"t.ip": ip_address("10.0.0.2")}, True),
    ("t.ip = '::1'", {"t.ip": ip_address("::1")}, True), ("t.ip = '0:0::1'", {"t.ip": ip_address("::1")}, True),
    ("t.ip != '::1'", {"t.ip": ip_address("10.0.0.1")}, False),  # another family matches nothing
    ("t.ip in (10.0.0.1, '::1')", {"t.ip": ip_address("::1")}, True),
    ("t.net = 10.0.0.0/8", {"t.net": ip_network("10.1.0.0/16")}, True),
    ("t.net = 10.0.0.0/16", {"t.net": ip_network("10.1.0.0/16")}, False),
    ("t.net != 10.0.0.0/16", {"t.net": ip_network("10.1.0.0/16")}, True),
    ("t.net = 10.0.0.1/8", {"t.net": ip_network("10.2.0.0/16")}, True),
    ("t.net = 'fe80::/10'", {"t.net": ip_network("fe80::/64")}, True),
    ("t.net != 'fe80::/10'", {"t.net": ip_network("10.0.0.0/8")}, False),
    ("t.list in (a, b)", {"t.list": ("a", "b", "a")}, True), ("t.list in (a)", {"t.list": ("a", "b")}, False),
    ("t.list in (a)", {"t.list": ()}, True), ("t.list intersects (b, z)", {"t.list": ("a", "b")}, True),
    ("t.list intersects (z)", {"t.list": ("a", "b")}, False), ("t.list exists", {"t.list": ("a",)}, True),
    ("t.nums in (1, 02, 3)", {"t.nums": (2, 3)}, True), ("t.ips intersects ('::1')", {"t.ips": (ip_address("::1"),)}, True),
    ("not t.b = true", {}, True), ("t.b != true", {}, False),
])
def test_typed_comparisons(condition, values, expected):
    assert evaluate(condition, values) is expected


@pytest.mark.clause("FILTER-TYPES")
@pytest.mark.parametrize("condition, message", [
    ("t.b = maybe", "unrecognized boolean value maybe"), ("t.b = TRUE", "unrecognized boolean value TRUE"),
    ("t.b in (true, 1)", "unrecognized boolean value 1"),
    ("t.b contains x", "'contains' operator not supported for numeric filters"),
    ("t.b < 1", "'<' operator not supported for numeric filters"),
    ("t.rel contains 1", "'contains' operator not supported for numeric filters"),
    ("t.abs = x", "x is not a valid number"),
    ("t.ip = 1.2.3", "unrecognized IP address 1.2.3"), ("t.ip = 10.0.0.0/8", "unrecognized IP address 10.0.0.0/8"),
    ("t.ip > 1", "'>' operator not supported for ip address and network filters"),
    ("t.ip startswith 10", "'startswith' operator not supported for ip address and network filters"),
    ("t.net = 10.0.0.1", "unrecognized IP network 10.0.0.1"), ("t.net = 10.0.0.0/33", "unrecognized IP network 10.0.0.0/33"),
    ("t.net glob 1*", "'glob' operator not supported for ip address and network filters"),
    ("t.list = a", "'=' operator not supported list filters"),
    ("t.list contains a", "'contains' operator not supported list filters"),
    ("t.nums > 1", "'>' operator not supported list filters"),
    ("t.list pmatch (/a)", "'pmatch' operator not supported list filters"),
    ("t.ips in (1.2.3)", "unrecognized IP address 1.2.3"),
    ("t.s = 'a\\x00b'", "filter value cannot contain a NUL byte (\\x00)"),
    ("t.s bcontains 6162", "'bcontains' operator not supported for string filters"),
])
def test_typed_compile_errors(condition, message):
    with pytest.raises(FilterError) as caught:
        evaluate(condition, {})
    assert caught.value.reason == message


@pytest.mark.clause("FILTER-TYPES")
def test_buffer_operators_take_hex_operands():
    from conformance.typed_fields import typed_fields
    buffers = typed_fields(("t.buf", 7, False))
    assert evaluate("t.buf bcontains 6263", {"t.buf": b"abcd"}, buffers) is True
    assert evaluate("t.buf bstartswith 6263", {"t.buf": b"abcd"}, buffers) is False
    assert evaluate("t.buf bstartswith 6162", {"t.buf": b"abcd"}, buffers) is True
    assert evaluate("t.buf = abcd", {"t.buf": b"abcd"}, buffers) is True
    for bad in ("616", "zz", "6g"):
        with pytest.raises(FilterError, match="bcontains and bstartswith operator support hex strings only"):
            evaluate(f"t.buf bcontains {bad}", {}, buffers)
    with pytest.raises(FilterError, match="'glob' operator not supported for buffer filters"):
        evaluate("t.buf glob a*", {}, buffers)


@pytest.mark.clause("FILTER-WARNINGS")
@pytest.mark.parametrize("condition, warnings", [
    ("t.s = t.s2", ["'t.s2' may be a valid field misused as a const string value"]),
    ("t.s = 't.s2'", ["'t.s2' may be a valid field misused as a const string value"]),
    ("t.s = t.nope", []),
    ("t.s = val(t.s2)", []),
    ("t.s = 'toupper(x)'", ["'toupper(x)' may be a valid field transformer misused as a const string value"]),
    ("t.s = 'val(t.s2)'", ["'val(t.s2)' may be a valid field transformer misused as a const string value"]),
    ("t.s regex abc", ["regex check with 'abc' may be optimized with simpler operators such as '=', 'contains', "
                       "'startswith', 'endswith'"]),
    ("t.s regex 'a.c'", []), ("t.s = abc", []), ("t.s in (t.s2)", []),
])
def test_compile_warnings(condition, warnings):
    assert compile_warnings(condition) == warnings


@pytest.mark.clause("FILTER-WARNINGS")
def test_falco_reports_condition_warnings():
    from conformance.properties.test_rules_files import load, rule
    ruleset = load(rule(condition="x.word = x.path"))
    warnings = [(m.code, m.message) for m in ruleset.results.warnings()]
    assert ("LOAD_COMPILE_CONDITION", "'x.path' may be a valid field misused as a const string value") in warnings


@pytest.mark.clause("FILTER-ERRORS")
@pytest.mark.parametrize("text, message", [
    ("a.b = 1 andb", "filter error at index 8, line 1, column 9: expected blank or '(' after 'and'"),
    ("a.b = 1\nand\rc.d <", "filter error at index 17, line 3, column 6: expected a number value or a field with a "
                            "valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', "
                            "'concat', 'getopt'"),
])
def test_error_messages_give_index_line_and_column(text, message):
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert str(caught.value) == message


@pytest.mark.clause("FILTER-ERRORS")
def test_compile_errors_point_at_their_check_and_value_errors_at_the_value():
    with pytest.raises(FilterError) as caught:
        evaluate("t.s exists and\n t.b = maybe", {})
    assert str(caught.value) == "filter error at index 22, line 2, column 8: unrecognized boolean value maybe"
    with pytest.raises(FilterError) as caught:
        evaluate("t.s exists and\n t.n contains 1", {})
    assert str(caught.value) == ("filter error at index 16, line 2, column 2: 'contains' operator not supported for "
                                 "numeric filters")


@pytest.mark.clause("OUTPUT-TRANSFORMERS", "OUTPUT-VALUES")
@pytest.mark.parametrize("format_text, values, line", [
    ("%toupper(t.s) %len(t.s)", {"t.s": "alpha"}, "ALPHA 5"),
    ("%toupper(t.s)and%t.n", {"t.s": "a", "t.n": 1}, "Aand1"),
    ("[%3toupper(t.s)|%8len(t.list)]", {"t.s": "alpha", "t.list": ("a", "b")}, "[ALP|2       ]"),
    ("*%basename(t.s) %tolower(t.s2)", {"t.s": "/a/b"}, "b <NA>"),
    ("%basename(t.s) %tolower(t.s2)", {"t.s": "/a/b"}, None),
    ("%getopt(t.list, 'nt:') %getopt(t.list, 'nt:')[t] %join(',', t.list)", {"t.list": ("-n", "-tx")}, "(n,t,x) x -n,-tx"),
    ("%t.b %t.n %t.rel %t.abs", {"t.b": False, "t.n": 7, "t.rel": 8, "t.abs": 9}, "false 7 8 9"),
    ("%t.b", {"t.b": True}, "true"),
    ("%t.ip %t.ip2 %t.net", {"t.ip": ip_address("10.0.0.1"), "t.ip2": ip_address("fe80::1"),
                            "t.net": ip_network("10.0.0.0/8")}, "10.0.0.1 fe80::1 <IPNET>"),
    ("%t.ip|%t.ip2|%t.ips", {"t.ip": ip_address("::ffff:1.2.3.4"), "t.ip2": ip_address("::1.2.3.4"),
                            "t.ips": (ip_address("::1"), ip_address("::0.0.1.2"), ip_address("2001:db8::1"))},
     "::ffff:1.2.3.4|::1.2.3.4|(::1,::102,2001:db8::1)"),
    ("%t.list|%t.nums|%t.ips", {"t.list": ("a", "b c"), "t.nums": (1, 2), "t.ips": (ip_address("::1"),)},
     "(a,b c)|(1,2)|(::1)"),
])
def test_transformer_tokens_and_values_print(format_text, values, line):
    assert render(format_text, values) == line


@pytest.mark.clause("OUTPUT-TRANSFORMERS")
@pytest.mark.parametrize("format_text, message", [
    ("%val(t.s)", "invalid formatting token val(t.s)"),
    ("%tolower(t.n)", "invalid formatting token tolower(t.n): can't add field transformer: type 'UINT64'"),
    ("%tolower(t.s", "invalid formatting token tolower(t.s: expected a ')' token closing the transformer"),
    ("%toupper(t.nope)", "nonexistent field t.nope"),
])
def test_bad_transformer_tokens(format_text, message):
    with pytest.raises(FormatError) as caught:
        render(format_text, {})
    assert message in caught.value.message


@pytest.mark.clause("OUTPUT-JSON", "OUTPUT-TRANSFORMERS", "OUTPUT-VALUES")
def test_json_gives_typed_values_and_the_fields_inside_transformers():
    values = {"t.s": "alpha", "t.b": True, "t.n": 3, "t.list": ("a",), "t.nums": (1, 2), "t.ip": ip_address("1.2.3.4"),
              "t.net": ip_network("10.0.0.0/8")}
    assert render_json("*%toupper(t.s) %t.b %t.n %t.list %t.nums %t.ip %t.net %concat(t.s, t.s2)", values) == {
        "t.s": "alpha", "t.b": True, "t.n": 3, "t.list": ["a"], "t.nums": [1, 2], "t.ip": "1.2.3.4", "t.net": "<IPNET>",
        "t.s2": None}
    assert render_json("%len(t.s2)", values) is None


@pytest.mark.clause("OUTPUT-FORMAT")
@given(st.text(alphabet=st.characters(blacklist_characters="%*", blacklist_categories=("Cs",)), max_size=20))
def test_text_without_percent_prints_verbatim(text):
    registry, source, stream = loaded([{}, {"x.word": "a"}])
    assert printed(text, registry, source, stream) == [text, text]


@pytest.mark.clause("FILTER-PRINT", "FILTER-TRANSFORMERS", "FILTER-VAL")
@given(st.sampled_from(["tolower", "toupper", "b64", "basename", "len"]), st.sampled_from(WORDS),
       st.sampled_from(["=", "!=", "contains", "in"]))
def test_transformer_checks_print_back_to_the_same_tree(name, word, op):
    left = Transformer(name, (FieldRef("x.word"),))
    value = ListValue((word,)) if op == "in" else word
    for node in (Check(left, op, value), Check(FieldRef("x.word"), op if op != "in" else "=",
                                                 Transformer("val", (FieldRef("x.tag", word or "k"),)))):
        assert parse(to_text(node)) == node


# Buffers (libsinsp's BYTEBUF, type 7): no plugin field has the type, so a typed field of it stands in.
BUFFERS = typed_fields(("t.buf", 7, False), ("t.buf2", 7, False))
buffer_bytes = st.binary(max_size=5).map(lambda b: bytes(c % 4 + 0x61 for c in b))  # over b"abcd"


@pytest.mark.clause("FILTER-TYPES", "FILTER-OPERATORS")
@given(buffer_bytes, buffer_bytes, st.booleans())
def test_buffer_operators_compare_bytes(value, operand, upper_hex):
    text = quote(operand.decode())
    hex_text = operand.hex().upper() if upper_hex else operand.hex()  # hex digits of either case
    expected = {"=": value == operand, "==": value == operand, "!=": value != operand,
                "contains": operand in value, "startswith": value.startswith(operand),
                "endswith": value.endswith(operand)}
    for op, holds in expected.items():
        assert evaluate(f"t.buf {op} {text}", {"t.buf": value}, BUFFERS) is holds, op
    assert evaluate(f"t.buf in ({text}, zz)", {"t.buf": value}, BUFFERS) is (value in (operand, b"zz"))
    assert evaluate(f"t.buf intersects ({text})", {"t.buf": value}, BUFFERS) is (value == operand)
    if hex_text:
        assert evaluate(f"t.buf bcontains {hex_text}", {"t.buf": value}, BUFFERS) is (operand in value)
        assert evaluate(f"t.buf bstartswith {hex_text}", {"t.buf": value}, BUFFERS) is value.startswith(operand)


@pytest.mark.clause("FILTER-TYPES", "FILTER-OPERATORS")
@pytest.mark.parametrize("condition, value, expected", [
    ("t.buf == abcd", b"abcd", True), ("t.buf == abc", b"abcd", False), ("t.buf != abcd", b"abcd", False),
    ("t.buf != abc", b"abcd", True), ("t.buf in (abcd)", b"abcd", True), ("t.buf in (abc)", b"abcd", False),
    ("t.buf intersects (abcd)", b"abcd", True), ("t.buf intersects (abc)", b"abcd", False),
    ("t.buf contains bc", b"abcd", True), ("t.buf contains cb", b"abcd", False),
    ("t.buf startswith ab", b"abcd", True), ("t.buf startswith b", b"abcd", False),
    ("t.buf endswith cd", b"abcd", True), ("t.buf endswith c", b"abcd", False),
    ("t.buf bcontains 6A6B", b"ijkl", True), ("t.buf bcontains 6a6b", b"ijkl", True),
    ("t.buf bstartswith 696A", b"ijkl", True), ("t.buf bstartswith 6A", b"ijkl", False),
    ("t.buf = val(t.buf2)", b"abcd", True),
])
def test_buffer_comparisons(condition, value, expected):
    assert evaluate(condition, {"t.buf": value, "t.buf2": b"abcd"}, BUFFERS) is expected


@pytest.mark.clause("FILTER-COMPILE")
@given(st.integers(0, 10**30), st.integers(0, 30))
def test_number_constants_are_decimal_and_saturate_at_the_uint64_maximum(number, zeros):
    # leading zeros do not count towards the 20 digits of the largest uint64
    constant = "0" * zeros + str(number)
    read = min(number, 18446744073709551615)
    assert evaluate(f"t.n = {constant}", {"t.n": read}) is True
    assert evaluate(f"t.n = {constant}", {"t.n": read - 1 if read else 1}) is False


@pytest.mark.clause("FILTER-COMPILE")
@pytest.mark.parametrize("constant, read", [
    ("18446744073709551615", 18446744073709551615), ("18446744073709551614", 18446744073709551614),
    ("18446744073709551616", 18446744073709551615), ("18446744073709551621", 18446744073709551615),
    ("99999999999999999999", 18446744073709551615), ("10000000000000000000", 10000000000000000000),
    ("0000000000000000000000000042", 42), ("000000000000000000000", 0),
    ("1" * 5000, 18446744073709551615),  # far beyond what int() reads from text
])
def test_number_constant_examples(constant, read):
    assert evaluate(f"t.n = {constant}", {"t.n": read}) is True
    assert evaluate(f"t.n != {constant}", {"t.n": read}) is False


@pytest.mark.clause("FILTER-REGEX")
def test_a_refused_pattern_is_one_error_and_nothing_on_stderr(capfd):
    with pytest.raises(FilterError) as caught:
        evaluate("t.s regex 'a('", {})
    assert caught.value.reason == "invalid regex pattern: missing ): a("
    assert caught.value.clause == "FILTER-REGEX"
    assert capfd.readouterr().err == ""  # RE2's own log line would duplicate the error


@pytest.mark.clause("FILTER-TYPES", "FILTER-COMPILE", "FILTER-ERRORS")
@pytest.mark.parametrize("condition, message, clause", [
    ("t.s exists and t.s = 'a\\x00b'", "filter error at index 21, line 1, column 22: filter value cannot contain a NUL "
                                       "byte (\\x00)", "FILTER-COMPILE"),
    ("t.s exists and t.b = maybe", "filter error at index 21, line 1, column 22: unrecognized boolean value maybe",
     "FILTER-TYPES"),
    ("t.s exists and t.b in (true, x)", "filter error at index 29, line 1, column 30: unrecognized boolean value x",
     "FILTER-TYPES"),
    ("t.s exists and t.ip = 1.2", "filter error at index 22, line 1, column 23: unrecognized IP address 1.2",
     "FILTER-TYPES"),
    ("t.s exists and t.net = 1.2", "filter error at index 23, line 1, column 24: unrecognized IP network 1.2",
     "FILTER-TYPES"),
    ("t.s exists and t.net = 10.0.0.0", "filter error at index 23, line 1, column 24: unrecognized IP network "
                                        "10.0.0.0", "FILTER-TYPES"),
])
def test_value_errors_name_the_value_its_position_and_clause(condition, message, clause):
    with pytest.raises(FilterError) as caught:
        evaluate(condition, {})
    assert str(caught.value) == message
    assert caught.value.clause == clause


@pytest.mark.clause("FILTER-TYPES", "FILTER-ERRORS")
@pytest.mark.parametrize("operand", ["616", "zz", "6g", "6a6"])
def test_buffer_hex_errors_point_at_the_value(operand):
    with pytest.raises(FilterError) as caught:
        evaluate(f"t.buf exists and t.buf bcontains {operand}", {}, BUFFERS)
    assert str(caught.value) == ("filter error at index 33, line 1, column 34: bcontains and bstartswith operator "
                                 "support hex strings only")
    assert caught.value.clause == "FILTER-TYPES"


@pytest.mark.clause("FILTER-VAL", "FILTER-TRANSFORMERS", "FILTER-COMPILE", "FILTER-ERRORS")
@pytest.mark.parametrize("check, message, clause", [
    ("t.s regex val(t.s2)", "operator 'REGEX' doesn't support right-hand side fields", "FILTER-VAL"),
    ("t.s pmatch val(t.s2)", "operator 'PMATCH' doesn't support right-hand side fields", "FILTER-VAL"),
    ("t.net = val(t.net)", "field type 'IPNET' doesn't support right-hand side fields", "FILTER-VAL"),
    ("t.s = val(t.n)", "field 't.s' has type 'CHARBUF' while the right-hand side field 't.n' has incompatible type "
                       "'UINT64'", "FILTER-VAL"),
    ("t.s = toupper(t.n)", "can't add field transformer: type 'UINT64' is not supported by 'toupper' transformer "
                           "applied on field 't.n'", "FILTER-TRANSFORMERS"),
    ("t.s = val(t.nope)", "filter_check called with nonexistent field t.nope", "FILTER-COMPILE"),
    ("t.s = toupper(t.nope)", "filter_check called with nonexistent field t.nope", "FILTER-COMPILE"),
    ("toupper(t.nope) = a", "filter_check called with nonexistent field t.nope", "FILTER-COMPILE"),
    ("toupper(t.n) = a", "can't add field transformer: type 'UINT64' is not supported by 'toupper' transformer "
                         "applied on field 't.n'", "FILTER-TRANSFORMERS"),
])
def test_field_comparison_errors_point_at_their_check(check, message, clause):
    with pytest.raises(FilterError) as caught:
        evaluate(f"t.s exists and {check}", {})
    assert str(caught.value) == f"filter error at index 15, line 1, column 16: {message}"
    assert caught.value.clause == clause


@pytest.mark.clause("FILTER-VAL")
def test_val_on_the_left_of_a_built_tree_is_refused_at_its_check():
    # The grammar cannot produce it (FILTER-VAL); a tree built by hand still gets the error, at the check.
    from reference.filter import compile_filter
    from reference.filter.errors import Position
    from conformance.typed_fields import table
    where = Position(4, 1, 5)
    tree = Check(Transformer("toupper", (Transformer("val", (FieldRef("t.s"),)),)), "=", "a", where)
    with pytest.raises(FilterError) as caught:
        compile_filter(tree, table())
    assert str(caught.value) == ("filter error at index 4, line 1, column 5: 'val' can only be used on the right-hand "
                                 "side of a check")
    assert caught.value.clause == "FILTER-VAL"


@pytest.mark.clause("FILTER-WARNINGS")
def test_a_transformer_like_constant_warns_across_lines():
    assert compile_warnings("t.s = 'toupper(a\nb)'") == [
        "'toupper(a\nb)' may be a valid field transformer misused as a const string value"]
