"""The bounds on YAML nesting and aliases, at their edges (YAML-LIMITS, docs/spec.md): at most 200 nested
collections, at most 1,000,000 nodes with every alias counted as a copy of what it names, no alias inside
the value it names; each refusal a YAML error at the node's line and column. The callers' renderings
(rules files, falco.yaml) are in tests/test_rules_limits.py and tests/test_config_errors.py; here the
bounds are read at the YAML level, in-process and fast."""
from __future__ import annotations

import sys

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from reference.falco.rules.reader import ItemError, read_items
from reference.falco.yaml_limits import compose, compose_all, expanded_size

NESTING = "nesting deeper than 200 levels"


@pytest.fixture(autouse=True)
def python_stack_to_spare():
    """The bound under test is the composer's, not Python's: room for 230 levels however many frames each
    level takes (a mutation run's trampolines add two per call)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, 10_000))
    yield
    sys.setrecursionlimit(before)
CYCLE = "an alias refers to a value that contains it"


def nested(kinds: list[str], inner: str = "1") -> str:
    """Flow collections nested in the order of `kinds` ("seq" or "map"), `inner` in the deepest one."""
    opening = "".join("[" if kind == "seq" else "{k: " for kind in kinds)
    closing = "".join("]" if kind == "seq" else "}" for kind in reversed(kinds))
    return opening + inner + closing


def refusal(text: str, compose_with=compose) -> tuple[str, int, int]:
    """The YAML error's problem and its 0-based line and column (PyYAML's marks)."""
    with pytest.raises(yaml.YAMLError) as caught:
        compose_with(text)
    return caught.value.problem, caught.value.problem_mark.line, caught.value.problem_mark.column


def column_of_the_201st(kinds: list[str]) -> int:
    return sum(1 if kind == "seq" else 4 for kind in kinds[:200])


@pytest.mark.clause("YAML-LIMITS")
@given(st.lists(st.sampled_from(["seq", "map"]), min_size=1, max_size=200), st.sampled_from(["1", "", "[]", "{}"]))
def test_up_to_200_nested_collections_compose(kinds, inner):
    # an empty innermost collection is the 200th level only when it is one of the 200
    if inner in ("[]", "{}") and len(kinds) == 200:
        kinds = kinds[:199]
    document = compose(nested(kinds, inner))
    depth = 0
    while isinstance(document, (yaml.SequenceNode, yaml.MappingNode)):
        depth += 1
        document = (document.value[0] if isinstance(document, yaml.SequenceNode) else document.value[0][1]) \
            if document.value else None
    assert depth == len(kinds) + (1 if inner in ("[]", "{}") else 0)


@pytest.mark.clause("YAML-LIMITS")
@pytest.mark.parametrize("kinds", [["seq"] * 201, ["map"] * 201, ["seq", "map"] * 100 + ["map"],
                                   ["map"] * 150 + ["seq"] * 80], ids=["sequences", "mappings", "mixed", "deeper"])
def test_the_201st_nested_collection_is_refused_where_it_starts(kinds):
    assert refusal(nested(kinds)) == (NESTING, 0, column_of_the_201st(kinds))


@pytest.mark.clause("YAML-LIMITS")
@pytest.mark.parametrize("inner", ["1", "''", "&a v, *a"])
def test_a_scalar_or_an_alias_in_the_200th_collection_is_no_level(inner):
    assert compose(nested(["seq"] * 200, inner)) is not None


@pytest.mark.clause("YAML-LIMITS")
def test_nesting_is_counted_along_each_path_not_across_siblings():
    # 150 levels each, side by side, under one root: 151 deep, not 301
    text = "[" + nested(["seq"] * 150) + ", " + nested(["map"] * 150) + "]"
    assert len(compose(text).value) == 2
    assert refusal("- a\n- b\n- " + nested(["seq"] * 201) + "\n") == (NESTING, 2, 2 + 199)


@pytest.mark.clause("YAML-LIMITS")
def test_every_document_of_a_stream_is_bounded():
    deep = nested(["seq"] * 201)
    documents = compose_all("- a\n---\n" + nested(["seq"] * 199) + "\n---\n- b\n")
    assert [type(d).__name__ for d in documents] == ["SequenceNode"] * 3
    assert (documents[0].value[0].value, documents[2].value[0].value) == ("a", "b")
    assert refusal("- a\n---\n" + deep + "\n", compose_all) == (NESTING, 2, 200)


@pytest.mark.clause("YAML-LIMITS")
@pytest.mark.parametrize("text, size", [
    ("x", 1),
    ("[]", 1),
    ("[1, 2]", 3),
    ("{a: 1, b: [2]}", 6),  # a mapping counts its keys and its values
    ("[&a [1, 2], *a, *a]", 10),  # each alias a copy of the list it names
    ("[&a [1], [*a, *a]]", 8),  # a value reached along several paths is counted along each
    ("{&k key: 1, *k : 2}", 5),
])
def test_the_expanded_size_counts_every_alias_as_a_copy(text, size):
    assert expanded_size(compose(text)) == size
    assert expanded_size(compose(text), limit=size) == size
    assert refusal(text, lambda t: expanded_size(compose(t), limit=size - 1)) == (
        f"aliases expand this value to more than {size - 1} nodes", 0, 0)


@pytest.mark.clause("YAML-LIMITS")
def test_a_document_may_expand_to_a_million_nodes_and_no_more():
    # a: 10 nodes; b: a and 9 copies (101); c: b and 98 copies (10,000); d: c and 98 copies (990,001);
    # the document: d, 98 copies of b and 10 of a (1 + 990,001 + 9,898 + 100 = 1,000,000), then `extra` scalars
    def document(extra: int) -> str:
        a = "&a [" + ", ".join(["x"] * 9) + "]"
        b = "&b [" + a + ", *a" * 9 + "]"
        c = "&c [" + b + ", *b" * 98 + "]"
        d = "[" + c + ", *c" * 98 + "]"
        return "[" + d + ", *b" * 98 + ", *a" * 10 + ", y" * extra + "]"
    assert expanded_size(compose(document(0))) == 1_000_000
    assert len(compose_all(document(0))) == 1
    assert refusal(document(1)) == ("aliases expand this value to more than 1000000 nodes", 0, 0)
    assert refusal(document(1), compose_all)[0] == "aliases expand this value to more than 1000000 nodes"


@pytest.mark.clause("YAML-LIMITS")
def test_an_alias_inside_the_value_it_names_is_refused_at_that_value():
    assert refusal("- a\n- &r [b, [*r]]\n") == (CYCLE, 1, 2)
    assert refusal("&m {k: *m}") == (CYCLE, 0, 0)
    assert refusal("x: 1\n---\n- &r [*r]\n", compose_all) == (CYCLE, 2, 2)


@pytest.mark.clause("YAML-LIMITS")
def test_an_empty_text_is_no_document():
    assert compose("") is None and expanded_size(None) == 0
    assert compose_all("") == [] and compose_all("---\n...\n---\n") != []


@pytest.mark.clause("YAML-LIMITS", "RULES-SHAPE")
@pytest.mark.parametrize("before, line, column", [
    ("", 0, 3), ("a: 1\n", 1, 3), ("a: 1\r\n", 1, 3), ("a: 1\r", 1, 3), ("a: 1\x85", 1, 3), ("a: 1\u2028", 1, 3),
    ("a: 1\u2029", 1, 3), ("a: 1\n\r\nb: 2\n", 3, 3), ("a: 'x\x85y'\nb: 2\n", 3, 3),
])
def test_a_character_yaml_does_not_allow_is_a_yaml_error_at_its_line_and_column(before, line, column):
    text = before + "c: \x07\n"
    problem = "unacceptable character #x0007: special characters are not allowed"
    assert refusal(text) == (problem, line, column)
    assert refusal(text, compose_all) == (problem, line, column)
    # marked as PyYAML marks any problem of a text: its name, the character's index, line and column
    with pytest.raises(yaml.YAMLError) as caught:
        compose(text)
    mark = caught.value.problem_mark
    assert (mark.name, mark.index) == ("<unicode string>", text.index("\x07"))
    assert str(caught.value) == f'{problem}\n  in "<unicode string>", line {line + 1}, column {column + 1}'



@pytest.mark.clause("YAML-LIMITS", "RULES-SHAPE")
@pytest.mark.parametrize("text, message", [
    ("- " + nested(["seq"] * 201) + "\n", f"yaml: error at line 1, column 202: {NESTING}"),
    ("- list: l\n  items: &i [a, *i]\n", f"yaml: error at line 2, column 10: {CYCLE}"),
    ("- list: l\n  items: [a, \x01]\n", "yaml: error at line 2, column 14: unacceptable character #x0001: "
                                        "special characters are not allowed"),
])
def test_a_rules_file_reports_a_refusal_as_a_yaml_parse_error(text, message):
    with pytest.raises(ItemError) as caught:
        read_items(text, "rules.yaml")
    report = caught.value.report
    assert (report.code, report.message) == ("LOAD_ERR_YAML_PARSE", message)
    assert [(loc.item_type, loc.file, loc.line, loc.column) for loc in report.locations] == [
        ("rules content", "rules.yaml", 1, 1)]
