"""Edges of the condition language that random conditions rarely reach: FILTER-OPERATORS (case folding at
the ends of A-Z, numeric and byte-wise boundaries, fnmatch's literal `[`), FILTER-GRAMMAR (blanks inside
brackets, a list operator without a list), FILTER-ESCAPES (an escaped closing quote), OUTPUT-FORMAT (a
field argument without its `]`). The expected values come from falco-rules.md §3.3, §3.4, §3.7 and §4."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.defined import DefinedLibrary
from fake_plugins.misbehaving import variant
from reference.filter import And, Check, FieldRef, FilterError, Identifier, Not, Or, compile_filter, parse
from reference.host.engine import EventStream
from reference.host.event_fields import EventContext, FieldTable
from reference.host.registry import PluginRegistry
from reference.output import FormatError, Formatter


def _source(values: list[dict]):
    registry = PluginRegistry()
    definition = variant(SOURCE_DEFINITION, events=[{"ts": 10 + i, "values": v} for i, v in enumerate(values)])
    source = registry.load(DefinedLibrary(definition))
    source.open("")
    return registry, source, list(EventStream(source))


def matches(condition: str, values: list[dict]) -> list[bool]:
    registry, source, events = _source(values)
    compiled = compile_filter(parse(condition), FieldTable(registry, "x"))
    return [compiled.matches(EventContext(e, compiled.plan, source)) for e in events]


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


# The letters at both ends of A-Z and their neighbours in ASCII ('@' before 'A', '[' after 'Z', '`' before
# 'a', '{' after 'z'), plus non-ASCII letters that strcasestr does not fold.
CASE_EDGES = "@AZ[`az{gGÉé"


@pytest.mark.clause("FILTER-OPERATORS")
@given(st.text(CASE_EDGES, max_size=4), st.text(CASE_EDGES, max_size=6))
def test_icontains_folds_ascii_letters_only(needle, haystack):
    # strcasestr folds ASCII: bytes.lower() is exactly that (it leaves É and é apart).
    expected = needle.encode().lower() in haystack.encode().lower()
    assert matches(f"x.word icontains {_quoted(needle)}", [{"x.word": haystack}]) == [expected]


@pytest.mark.clause("FILTER-OPERATORS")
@pytest.mark.parametrize("needle, word, expected", [
    ("a", "A", True), ("A", "a", True), ("z", "Z", True), ("Z", "z", True), ("NGINX", "nginx", True),
    ("@", "`", False), ("[", "{", False), ("é", "É", False),
])
def test_icontains_examples(needle, word, expected):
    assert matches(f"x.word icontains {_quoted(needle)}", [{"x.word": word}]) == [expected]


@pytest.mark.clause("FILTER-OPERATORS")
@pytest.mark.parametrize("op, results", [
    # rhs 10 against the values 9, 10, 11
    ("=", [False, True, False]), ("==", [False, True, False]), ("!=", [True, False, True]),
    ("<", [True, False, False]), ("<=", [True, True, False]), (">", [False, False, True]),
    (">=", [False, True, True]),
])
def test_numeric_comparisons_at_the_boundary(op, results):
    assert matches(f"x.i {op} 10", [{"x.i": 9}, {"x.i": 10}, {"x.i": 11}]) == results


@pytest.mark.clause("FILTER-OPERATORS")
@pytest.mark.parametrize("op, results", [
    # byte-wise (strcmp) against the rhs "5": values "4", "5", "6", "50"
    ("<", [True, False, False, False]), ("<=", [True, True, False, False]),
    (">", [False, False, True, True]), (">=", [False, True, True, True]),
])
def test_string_comparisons_are_bytewise_at_the_boundary(op, results):
    # The grammar wants a number after these operators, so the rhs is a number compared as text.
    assert matches(f"x.word {op} 5", [{"x.word": "4"}, {"x.word": "5"}, {"x.word": "6"}, {"x.word": "50"}]) == results


@pytest.mark.clause("FILTER-OPERATORS")
@pytest.mark.parametrize("pattern, word, expected", [
    # fnmatch(3): a '[' that no ']' closes is an ordinary character.
    ("a[b", "a[b", True), ("a[b", "ab", False), ("a[b*", "a[bcd", True), ("[", "[", True),
    ("a[!b", "a[!b", True),
    # a ']' right after '[' (or after '[!') belongs to the class
    ("[]a]", "]", True), ("[]a]", "a", True), ("[!]a]", "]", False), ("[!]a]", "b", True),
    ("[a-c]x", "bx", True), ("[a-c]x", "dx", False), ("[^a]", "b", True),
    ("a?c", "a/c", True), ("*", "", True), ("a*", "b", False),
    ("[]]", "]", True), ("[]", "[]", True), ("[!]]", "a", True), ("[!]]", "]", False), ("[!a]", "a", False),
    ("[!a]", "!", True), ("[^a]", "a", False), ("[a]", "a", True), ("[ab", "[ab", True), ("[!", "[!", True),
    ("]a[b]", "]ab", True), ("[a]b]", "ab]", True), ("[a]b]", "b", False), ("[\\\\]", "\\", True),
    ("[\\\\]", "X", False), ("[X]", "X", True), ("[a]*]", "axyz]", True), ("[a]*]", "a]", True),
    # ranges, a reversed one being empty; '-' first or last is a member
    ("[z-a]", "a", False), ("[z-a]", "-", False), ("[!z-a]", "q", True), ("[a-]", "-", True), ("[a-]", "b", False),
    ("[-a]", "-", True), ("[]-a]", "^", True), ("[]-a]", "b", False), ("[a-a]", "a", True), ("[a-a]", "b", False),
    ("[xya-c]", "-", False), ("[xya-c]", "b", True), ("[a-cx]", "x", True), ("[a-cx]", "d", False),
    ("[ab]", "X", False), ("[ab]", "b", True),
    # inside brackets a backslash makes the next character a member (glibc's fnmatch without FNM_NOESCAPE)
    ("[\\a]", "a", True), ("[\\a]", "\\", False), ("[\\]]", "]", True), ("[a\\-c]", "-", True),
    ("[a\\-c]", "b", False), ("[\\!a]", "!", True), ("[\\!a]", "b", False),
    # a backslash makes the next character literal; a trailing one matches nothing (glibc: "trailing \ loses")
    ("a\\*", "a*", True), ("a\\*", "ab", False), ("a\\?", "a?", True), ("a\\?", "ab", False),
])
def test_glob_brackets_as_fnmatch(pattern, word, expected):
    assert matches(f"x.word glob {_quoted(pattern)}", [{"x.word": word}]) == [expected]


@pytest.mark.clause("FILTER-OPERATORS")
@pytest.mark.parametrize("pattern, word", [("a\\", "a\\"), ("a\\", "a"), ("\\", "\\"), ("\\", "")])
def test_a_glob_ending_in_a_backslash_matches_nothing(pattern, word):
    # A bare value, since a quoted string cannot end with an escaped backslash.
    assert matches(f"x.word glob {pattern}", [{"x.word": word}]) == [False]


@pytest.mark.clause("FILTER-OPERATORS")
@pytest.mark.parametrize("path, word, expected", [
    ("/", "/usr/bin", True), ("/", "/", True), ("/", "usr", False), ("/opt/dir/", "/opt/dir", True),
    ("/opt/dir/", "/opt/dir/f", True), ("/opt/dir/", "/opt/dirx", False), ("/opt/dir//", "/opt/dir/f", True),
])
def test_pmatch_ignores_trailing_slashes_and_root_prefixes_everything(path, word, expected):
    assert matches(f"x.word pmatch ({path})", [{"x.word": word}]) == [expected]


@pytest.mark.clause("FILTER-OPERATORS")
@pytest.mark.parametrize("pattern, word, expected", [
    ("A[B", "a[b", True), ("[A-C]X", "bx", True), ("N?INX", "nginx", True), ("é", "É", False),
])
def test_iglob_folds_ascii_case(pattern, word, expected):
    assert matches(f"x.word iglob {_quoted(pattern)}", [{"x.word": word}]) == [expected]


@pytest.mark.clause("FILTER-GRAMMAR")
@pytest.mark.parametrize("text", ["( a.b exists)", "(a.b exists )", "(\ta.b exists\n)", "( ( a.b exists ) )",
                                  "not ( a.b exists)"])
def test_blanks_inside_brackets_are_skipped(text):
    node = parse(text)
    while not isinstance(node, Check):
        node = node.child
    assert node == Check(FieldRef("a.b"), "exists")


@pytest.mark.clause("FILTER-GRAMMAR", "FILTER-ERRORS")
@pytest.mark.parametrize("text, column", [("a.b in 3", 8), ("a.b pmatch 'x'", 12), ("a.b intersects", 15)])
def test_a_list_operator_needs_a_list_or_a_list_name(text, column):
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert "expected a list" in str(caught.value)
    assert caught.value.clause == "FILTER-GRAMMAR"
    assert caught.value.position.col == column


@pytest.mark.clause("FILTER-ESCAPES")
@pytest.mark.parametrize("quoted, value", [
    (r'"x\""', 'x"'), (r"'x\''", "x'"), (r'"\"x"', '"x'), (r'"a\"b\"c"', 'a"b"c'),
])
def test_an_escaped_quote_does_not_close_the_string(quoted, value):
    assert parse(f"a.b = {quoted}") == Check(FieldRef("a.b"), "=", value)


@pytest.mark.clause("FILTER-ESCAPES")
@pytest.mark.parametrize("text", [r'a.b = "x\\"', r"a.b = 'x\\'", r'a.b = "x\"'])
def test_a_quoted_string_cannot_end_with_an_escaped_backslash(text):
    # falco-rules.md §3.2: the closing delimiter is the first one not directly preceded by a backslash.
    with pytest.raises(FilterError, match="unterminated"):
        parse(text)


@pytest.mark.clause("OUTPUT-FORMAT")
@pytest.mark.parametrize("text", ["%x.tag[abc", "%x.tag[", "%x.tag[]", "%x.tag['a'", "a %x.tag[abc b"])
def test_a_field_argument_must_be_closed(text):
    registry, _, _ = _source([])
    with pytest.raises(FormatError) as caught:
        Formatter(text, FieldTable(registry, "x"))
    assert "x.tag[" in str(caught.value)


@pytest.mark.clause("OUTPUT-FORMAT")
def test_a_closed_field_argument_is_read():
    registry, source, events = _source([{"x.tag[abc]": "v"}])
    formatter = Formatter("%x.tag[abc]]", FieldTable(registry, "x"))
    assert formatter.format(EventContext(events[0], formatter.plan, source)) == "v]"


@pytest.mark.clause("OUTPUT-FORMAT")
def test_a_quoted_field_argument_is_unquoted():
    registry, source, events = _source([{"x.tag[a b]": "v"}])
    formatter = Formatter("%x.tag['a b']|%x.tag[\"a b\"]", FieldTable(registry, "x"))
    assert formatter.format(EventContext(events[0], formatter.plan, source)) == "v|v"


@pytest.mark.clause("OUTPUT-FORMAT")
def test_a_format_keeps_its_text_and_names_its_tokens():
    registry, _, _ = _source([])
    formatter = Formatter("*a %x.tag[k] %3toupper(x.word) %evt.num", FieldTable(registry, "x"))
    assert formatter.text == "*a %x.tag[k] %3toupper(x.word) %evt.num"
    assert [(t.key, t.width) for t in formatter.tokens()] == [("x.tag[k]", None), ("toupper(x.word)", 3),
                                                             ("evt.num", None)]


@pytest.mark.clause("OUTPUT-FORMAT", "FILTER-COMPILE")
@pytest.mark.parametrize("text, message", [
    ("%", "invalid formatting syntax: formatting cannot end with a %"),
    ("a %evt.num %", "invalid formatting syntax: formatting cannot end with a %"),
    ("%12", "invalid formatting syntax: formatting cannot end with a number"),
    ("%evt.num %007", "invalid formatting syntax: formatting cannot end with a number"),
    ("%nope here", "invalid formatting token nope here"),
    ("%x.tag", "x.tag requires an argument but none provided"),
])
def test_format_errors_word_for_word(text, message):
    registry, _, _ = _source([])
    with pytest.raises(FormatError) as caught:
        Formatter(text, FieldTable(registry, "x"))
    assert (str(caught.value), caught.value.reason, caught.value.clause) == (message, message, "OUTPUT-FORMAT")


@pytest.mark.clause("FILTER-OPERATORS")
@pytest.mark.parametrize("path, word, expected", [("/opt/X", "/opt/Y", False), ("/opt/X", "/opt/X/f", True),
                                                  ("/opt/dirX", "/opt/dir/f", False)])
def test_pmatch_strips_only_slashes(path, word, expected):
    assert matches(f"x.word pmatch ({path})", [{"x.word": word}]) == [expected]


@pytest.mark.clause("FILTER-OPERATORS")
def test_glob_to_regex_is_fnmatch_without_flags_unless_asked():
    from reference.filter.compiler import glob_to_regex
    assert glob_to_regex("N*").fullmatch("nginx") is None
    assert glob_to_regex("N*", casefold=True).fullmatch("nginx") is not None


@pytest.mark.clause("FILTER-PLUGIN-FIELDS")
@pytest.mark.parametrize("condition, expected", [("x.tag[a] = one", True), ("x.tag[b] exists", False),
                                                 ("x.tag[a] exists", True), ("x.tag[b] != one", False)])
def test_a_field_argument_reaches_the_extraction(condition, expected):
    assert matches(condition, [{"x.tag[a]": "one"}]) == [expected]


@pytest.mark.clause("FILTER-COMPILE", "FILTER-ERRORS")
@pytest.mark.parametrize("text, column", [
    # the position of the check (its field), of the unresolved name, or of a bad value (FILTER-ERRORS)
    ("x.i = 1 and x.i = abc", 19), ("x.word exists or x.i in (1, x)", 29), ("x.i = 1 and x.nope = 1", 13),
    ("x.word = a and x.tag = a", 16), ("x.i = 1 and evt.num[1] = 1", 13), 
    ("x.i = 1 and some_macro", 13), ("x.i = 1 and x.word in some_list", 23), ("x.i = 1 and\n  x.i = abc", 9),
    ("x.i = 1 and x.tag exists", 13), ("x.i = 1 and evt.num[1] > 1", 13), ("x.i = 1 and x.tag in (a)", 13),
    ("x.i = 1 and x.tag > 1", 13), ("x.i = 1 and x.tag in some_list", 13),
])
def test_compile_errors_name_their_position(text, column):
    registry, _, _ = _source([])
    with pytest.raises(FilterError) as caught:
        compile_filter(parse(text), FieldTable(registry, "x"))
    assert caught.value.clause == "FILTER-COMPILE"
    assert caught.value.position is not None and caught.value.position.col == column
    assert caught.value.position.line == (2 if "\n" in text else 1)


TRANSFORMERS_LISTED = "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'"
@pytest.mark.clause("FILTER-REGEX", "FILTER-ERRORS")
def test_a_pattern_re2_refuses_is_reported_at_its_check():
    registry, _, _ = _source([])
    with pytest.raises(FilterError) as caught:
        compile_filter(parse("x.i = 1 and x.word regex '('"), FieldTable(registry, "x"))
    assert str(caught.value) == "filter error at index 12, line 1, column 13: invalid regex pattern: missing ): ("


OPERATORS_LISTED = ("'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', "
                    "'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'")


@pytest.mark.clause("FILTER-GRAMMAR", "FILTER-ERRORS")
@pytest.mark.parametrize("text, expected", [
    # falco-rules.md §3.1-§3.4: libsinsp's current texts, whole
    ("", "filter error: filter input string is empty"),
    ("a.b[] = 1", "filter error at index 4, line 1, column 5: expected a valid field argument: a quoted string or a bare "
                  "string"),
    ("a.b[x = 1", "filter error at index 5, line 1, column 6: expected a ']' token"),
    ("a.b < x", f"filter error at index 6, line 1, column 7: expected a number value or a field with a valid "
                f"transformer: {TRANSFORMERS_LISTED}"),
    ("a.b in (x,)", "filter error at index 10, line 1, column 11: expected a string value"),
    ("a.b in (x y)", "filter error at index 10, line 1, column 11: expected a ')' token"),
    ("a.b = (x)", f"filter error at index 6, line 1, column 7: expected a string value or a field with a valid "
                  f"transformer: {TRANSFORMERS_LISTED}"),
    ("a.b containsx", f"filter error at index 4, line 1, column 5: expected a valid check operator: one of {OPERATORS_LISTED}"),
    ("(a.b exists", "filter error at index 11, line 1, column 12: expected a ')' token"),
    ("a.b exists andb", "filter error at index 11, line 1, column 12: expected blank or '(' after 'and'"),
    ("a.b exists c", "filter error at index 11, line 1, column 12: unexpected token after 'exists', expecting 'or', 'and'"),
    ("a.b in 3", f"filter error at index 7, line 1, column 8: expected a list, an identifier, or a field with a "
                 f"valid transformer: {TRANSFORMERS_LISTED}"),
    ("a.b exists and 3", "filter error at index 15, line 1, column 16: expected a '(' token, a field check, or an identifier"),
    ("\f", "filter error at index 0, line 1, column 1: expected a '(' token, a field check, or an identifier"),
    ("a.b =", f"filter error at index 5, line 1, column 6: expected a string value or a field with a valid "
              f"transformer: {TRANSFORMERS_LISTED}"),
])
def test_grammar_errors_word_for_word(text, expected):
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert str(caught.value) == expected


@pytest.mark.clause("FILTER-GRAMMAR")
@pytest.mark.parametrize("text", ["not", "notX", "not_a", "not1"])
def test_not_without_a_blank_or_bracket_after_it_is_an_identifier(text):
    assert parse(text) == Identifier(text)


@pytest.mark.clause("FILTER-GRAMMAR")
@pytest.mark.parametrize("blank", [" ", "\t", "\b", "\r", "\n"])
def test_every_blank_separates_not_and_or(blank):
    check = Check(FieldRef("a.b"), "exists")
    assert parse(f"not{blank}a.b exists") == Not(check)
    assert parse(f"a.b exists{blank}and{blank}a.b exists") == And((check, check))
    assert parse(f"a.b exists{blank}or{blank}a.b exists") == Or((check, check))


@pytest.mark.clause("FILTER-GRAMMAR")
@pytest.mark.parametrize("text", [" ", "\t\b\r\n ", "\n\n"])
def test_only_blanks_is_the_empty_filter(text):
    # Blanks are space, \t, \b, \r, \n (falco-rules.md §3.2); \f and \v are not.
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert str(caught.value) == "filter error: filter input string is empty"
    assert caught.value.clause == "FILTER-GRAMMAR"


@pytest.mark.clause("FILTER-GRAMMAR")
def test_a_name_of_capitals_is_an_identifier():
    assert parse("XX") == Identifier("XX") and parse(" X ") == Identifier("X")
