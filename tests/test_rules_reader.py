"""Reading a rules file into items (RULES-SHAPE, RULES-ITEM-KEYS in docs/spec.md; falco-rules.md §2.1, §2.2):
document shapes, item kinds, the keys each kind expects, scalars, booleans and sequences with Falco's
errors and where they are. Read with read_items directly, in-process; what loading does with the items is
in conformance/properties/test_rules_files.py and tests/test_rules_collector_edges.py."""
from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from reference.falco.rules.reader import ItemError, read_items

#: falco-rules.md §2.1: the keys each kind expects (0.44+).
EXPECTED = {
    "rule": ["rule", "condition", "output", "desc", "priority", "source", "enabled", "capture", "capture_duration",
             "warn_evttypes", "skip-if-unknown-filter", "tags", "exceptions", "override", "append"],
    "macro": ["macro", "condition", "append", "override"],
    "list": ["list", "items", "append", "override"],
    "required_engine_version": ["required_engine_version"],
    "required_plugin_versions": ["required_plugin_versions"],
}
ITEM_TYPES = {"rule": "rule", "macro": "macro", "list": "list", "required_engine_version": "required engine version",
              "required_plugin_versions": "required plugin versions"}
#: yaml-cpp's spellings of the booleans (falco-rules.md §2.2).
TRUE = ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]
FALSE = ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]


def read(text: str, file: str = "f.yaml"):
    return read_items(text, file)


def error(text: str):
    """The ItemError's code, message and locations as (item type, item name, file, line, column)."""
    with pytest.raises(ItemError) as caught:
        read(text)
    report = caught.value.report
    return report.code, report.message, [(loc.item_type, loc.item_name, loc.file, loc.line, loc.column)
                                         for loc in report.locations]


def item_error(item, call):
    with pytest.raises(ItemError) as caught:
        call(item)
    report = caught.value.report
    return report.code, report.message, [(loc.item_type, loc.item_name, loc.line, loc.column)
                                         for loc in report.locations]


def warnings(items):
    return [(m.code, m.message) for item in items for m in item.warnings]


CONTENT = ("rules content", "", "f.yaml", 1, 1)


@pytest.mark.clause("RULES-SHAPE")
@pytest.mark.parametrize("text, message, more", [
    ("rule: x\n", "Rules content is not yaml array of objects", []),
    ("just text\n", "Rules content is not yaml", []),
    ("- list: l\n  items: []\n---\n42\n", "Rules content is not yaml", []),
    ("- list: l\n  items: []\n- 3\n", "Unexpected element type. Each element should be a yaml associative array.",
     [("rules content item", "", "f.yaml", 3, 3)]),
    ("- [a]\n", "Unexpected element type. Each element should be a yaml associative array.",
     [("rules content item", "", "f.yaml", 1, 3)]),
])
def test_a_document_must_be_a_sequence_of_maps(text, message, more):
    assert error(text) == ("LOAD_ERR_YAML_VALIDATE", message, [CONTENT] + more)


@pytest.mark.clause("RULES-SHAPE")
def test_null_documents_and_items_are_skipped():
    items = read("---\n---\n~\n---\n- ~\n- list: l\n  items: [a]\n-\n---\n- macro: m\n  condition: x\n")
    assert [(item.kind, item.scalar(item.kind)) for item in items] == [("list", "l"), ("macro", "m")]
    assert read("") == [] and read("# only a comment\n") == []


@pytest.mark.clause("RULES-SHAPE", "RULES-RESULTS")
@pytest.mark.parametrize("text, where", [
    ("- rule: [unclosed\n", "at line 2, column 1"),
    ("- a: 1\n b: 2\n", "at line 2, column 2"),
    ("- rule: r\n  desc: a\x07\n", "at line 2, column 10"),
])
def test_invalid_yaml_is_a_parse_error_with_its_position(text, where):
    code, message, locations = error(text)
    assert (code, locations) == ("LOAD_ERR_YAML_PARSE", [CONTENT])
    assert message.startswith(f"yaml: error {where}: ")
    assert "\n" not in message


@pytest.mark.clause("RULES-SHAPE", "RULES-RESULTS")
def test_every_location_is_in_the_file_read():
    [item] = read("- list: l\n  items: [a]\n", "/rules/my.yaml")
    assert [(loc.item_type, loc.item_name, loc.file, loc.line, loc.column) for loc in item.locations] == [
        ("rules content", "", "/rules/my.yaml", 1, 1), ("list", "l", "/rules/my.yaml", 1, 3)]


@pytest.mark.clause("RULES-ITEM-KEYS")
@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_every_expected_key_is_read_without_a_warning(kind):
    # the reader reads keys, not what they mean: every expected key at once is no unknown key
    text = "- " + "\n  ".join(f"{key}: v" for key in EXPECTED[kind]) + "\n"
    [item] = read(text)
    assert item.kind == kind and warnings([item]) == []


@pytest.mark.clause("RULES-ITEM-KEYS")
@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("key", ["colour", "source", "items", "condition", "name", "Rule"])
def test_a_key_the_kind_does_not_expect_warns(kind, key):
    [item] = read(f"- {kind}: v\n  {key}: w\n")
    expected = [] if key in EXPECTED[kind] else [("LOAD_UNKNOWN_KEY", f"Unknown key '{key}'. The key will be ignored.")]
    assert warnings([item]) == expected
    assert [(loc.item_type, loc.item_name) for loc in item.locations] == [
        ("rules content", ""), (ITEM_TYPES[kind], "v" if kind in ("rule", "macro", "list") else "")]


@pytest.mark.clause("RULES-ITEM-KEYS")
@given(st.permutations(sorted(EXPECTED)), st.integers(1, 5))
def test_the_kind_is_the_first_key_present_in_falcos_order(keys, count):
    order = ["required_engine_version", "required_plugin_versions", "list", "macro", "rule"]
    present = keys[:count]
    [item] = read("- " + "\n  ".join(f"{key}: v" for key in present) + "\n")
    assert item.kind == min(present, key=order.index)


@pytest.mark.clause("RULES-ITEM-KEYS")
def test_an_item_of_no_kind_warns_and_is_located_as_a_rules_content_item():
    [item] = read("- list: l\n  items: [a]\n- colour: red\n")[1:]
    assert item.kind is None
    assert warnings([item]) == [("LOAD_UNKNOWN_ITEM", "Unknown top level item")]
    assert [(loc.item_type, loc.item_name, loc.line, loc.column) for loc in item.locations] == [
        ("rules content", "", 1, 1), ("rules content item", "", 3, 3)]


@pytest.mark.clause("RULES-ITEM-KEYS", "RULES-RESULTS")
@pytest.mark.parametrize("value, name", [("r", "r"), ("'a b'", "a b"), ("~", ""), ("[r]", ""), ("''", "")])
def test_an_item_is_named_by_its_kind_key_when_that_is_a_scalar(value, name):
    [item] = read(f"- rule: {value}\n")
    assert (item.locations[1].item_type, item.locations[1].item_name) == ("rule", name)


@pytest.mark.clause("RULES-ITEM-KEYS")
def test_a_key_that_is_no_scalar_is_an_unknown_key_named_in_flow_style():
    [item] = read("- list: l\n  items: [a]\n  [items]: [b]\n  ? - x\n    - {k: [v, w], j: ''}\n  : 2\n  {}: 3\n")
    assert item.scalar("list") == "l" and item.sequence("items") == ["a"]
    assert warnings([item]) == [("LOAD_UNKNOWN_KEY", f"Unknown key '{key}'. The key will be ignored.")
                                for key in ("[items]", "[x, {k: [v, w], j: }]", "{}")]
    assert len(item.keys) == 5


def the_item(text: str):
    [item] = read(text)
    return item


@pytest.mark.clause("RULES-SHAPE")
@pytest.mark.parametrize("value, message, column", [
    ("~", "Mapping for key 'desc' is empty", 9),
    ("null", "Mapping for key 'desc' is empty", 9),
    ("[a]", "Value is not a scalar value", 9),
    ("{a: 1}", "Value is not a scalar value", 9),
    ("''", "Value must be non-empty", 9),
])
def test_a_scalar_key_with_no_text_is_refused_at_its_value(value, message, column):
    item = the_item(f"- rule: r\n  desc: {value}\n")
    assert item_error(item, lambda i: i.scalar("desc")) == ("LOAD_ERR_YAML_VALIDATE", message, [
        ("rules content", "", 1, 1), ("rule", "r", 1, 3), ("value for 'desc'", "", 2, column)])


@pytest.mark.clause("RULES-SHAPE")
def test_a_missing_scalar_key_is_refused_in_the_item_unless_optional():
    item = the_item("- rule: r\n  desc: d\n")
    assert item_error(item, lambda i: i.scalar("output")) == (
        "LOAD_ERR_YAML_VALIDATE", "Item has no mapping for key 'output'", [("rules content", "", 1, 1),
                                                                           ("rule", "r", 1, 3)])
    assert item.scalar("output", required=False) is None
    assert item.scalar("desc", required=False) == "d" and item.scalar("desc") == "d"
    assert item_error(the_item("- rule: r\n  desc:\n"), lambda i: i.scalar("desc", required=False))[1] == (
        "Mapping for key 'desc' is empty")


@pytest.mark.clause("RULES-SHAPE")
@pytest.mark.parametrize("text, value", [(t, True) for t in TRUE] + [(t, False) for t in FALSE])
def test_booleans_take_yaml_cpps_spellings(text, value):
    item = the_item(f"- rule: r\n  enabled: {text}\n")
    assert item.boolean("enabled", not value) is value


@pytest.mark.clause("RULES-SHAPE")
@pytest.mark.parametrize("text", ["maybe", "1", "0", "tRUE", "yES", "oN", "t", "'yes '"])
def test_other_spellings_are_no_boolean(text):
    item = the_item(f"- rule: r\n  enabled: {text}\n")
    assert item_error(item, lambda i: i.boolean("enabled", True)) == (
        "LOAD_ERR_YAML_VALIDATE", "Can't decode YAML scalar value", [
            ("rules content", "", 1, 1), ("rule", "r", 1, 3), ("value for 'enabled'", "", 2, 12)])


@pytest.mark.clause("RULES-SHAPE")
def test_an_absent_boolean_takes_its_default():
    item = the_item("- rule: r\n")
    assert item.boolean("enabled", True) is True and item.boolean("enabled", False) is False


@pytest.mark.clause("RULES-SHAPE")
def test_sequences_of_scalars():
    item = the_item("- list: l\n  items: [a, 'b c', 3]\n  tags: ~\n")
    assert item.sequence("items") == ["a", "b c", "3"]
    assert item.sequence("tags") == [] and item.sequence("absent") == []
    bad = the_item("- list: l\n  items: a\n  tags: [a, [b]]\n  more: [a, ~]\n")
    where = [("rules content", "", 1, 1), ("list", "l", 1, 3)]
    assert item_error(bad, lambda i: i.sequence("items")) == (
        "LOAD_ERR_YAML_VALIDATE", "Value is not a sequence", where + [("value for 'items'", "", 2, 10)])
    assert item_error(bad, lambda i: i.sequence("tags")) == (
        "LOAD_ERR_YAML_VALIDATE", "sequence value is not scalar", where + [("value for 'tags'", "", 3, 13)])
    assert item_error(bad, lambda i: i.sequence("more")) == (
        "LOAD_ERR_YAML_VALIDATE", "sequence value is not scalar", where + [("value for 'more'", "", 4, 13)])


@pytest.mark.clause("RULES-SHAPE", "RULES-RESULTS")
def test_an_error_is_located_in_a_node_only_with_an_item_type():
    item = the_item("- rule: r\n  desc: d\n")
    node = item.keys["desc"]
    assert [loc.item_type for loc in item.error("LOAD_ERR_VALIDATE", "m", node, "exception", "e").report.locations] \
        == ["rules content", "rule", "exception"]
    assert item.error("LOAD_ERR_VALIDATE", "m", node, "exception", "e").report.locations[-1].item_name == "e"
    assert len(item.error("LOAD_ERR_VALIDATE", "m", node).report.locations) == 2
    assert len(item.error("LOAD_ERR_VALIDATE", "m", None, "exception").report.locations) == 2
    assert str(item.error("LOAD_ERR_VALIDATE", "the text")) == "the text"
    item.warn("LOAD_UNUSED_LIST", "w")
    assert [(m.code, m.message, m.locations) for m in item.warnings] == [("LOAD_UNUSED_LIST", "w", item.locations)]


@pytest.mark.clause("RULES-SHAPE")
def test_yaml_values_are_read_as_their_text():
    # a rules file's scalars are strings: numbers, booleans and dates are not converted
    item = the_item("- rule: r\n  desc: 0x10\n  output: 2024-01-01\n  priority: yes\n")
    assert (item.scalar("desc"), item.scalar("output"), item.scalar("priority")) == ("0x10", "2024-01-01", "yes")
    assert isinstance(item.node, yaml.MappingNode)
