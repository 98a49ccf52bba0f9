"""falco.yaml keys besides plugins (CONFIG-RUN-KEYS): the document's shape, `rules_files`, `priority` and
`json_output` with yaml-cpp's booleans (falco-rules.md §1.1)."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.falco.config import ConfigError, parse_config

TRUE_WORDS = ["y", "yes", "true", "on"]
FALSE_WORDS = ["n", "no", "false", "off"]


def spelled(words):
    return [form for w in words for form in (w, w.capitalize(), w.upper())]


@pytest.mark.clause("CONFIG-RUN-KEYS")
@pytest.mark.parametrize("text", ["hello", "42", "- a\n- b\n", "'quoted'"])
def test_a_document_that_is_not_a_map_is_refused_with_its_line(text):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "f.yaml")
    assert str(caught.value) == "Error reading config file (f.yaml:1): the configuration must be a map"


@pytest.mark.clause("CONFIG-RUN-KEYS")
@pytest.mark.parametrize("text", ["", "~", "null", "# only a comment\n"])
def test_an_empty_document_is_the_default_config(text):
    config = parse_config(text, "f.yaml")
    assert (config.plugins, config.load_plugins, config.rules_files, config.priority, config.json_output) == \
        ([], None, [], "debug", False)


@pytest.mark.clause("CONFIG-RUN-KEYS")
@pytest.mark.parametrize("word, value", [(w, True) for w in spelled(TRUE_WORDS)] +
                         [(w, False) for w in spelled(FALSE_WORDS)])
def test_json_output_reads_yaml_cpp_booleans(word, value):
    assert parse_config(f"json_output: {word}\n").json_output is value


@pytest.mark.clause("CONFIG-RUN-KEYS")
@given(st.text("abefilnorstuyENORSTUY", min_size=1, max_size=5))
def test_anything_else_is_not_a_boolean(word):
    if word in spelled(TRUE_WORDS) + spelled(FALSE_WORDS) + ["null", "Null", "NULL"]:
        return  # a YAML null is an absent value
    with pytest.raises(ConfigError) as caught:
        parse_config(f"priority: info\njson_output: {word}\n", "f.yaml")
    assert str(caught.value) == f"Error reading config file (f.yaml:2): json_output must be a boolean, not '{word}'"


@pytest.mark.clause("CONFIG-RUN-KEYS")
@pytest.mark.parametrize("text", ["", "json_output:\n", "json_output: ~\n"])
def test_json_output_defaults_to_false(text):
    assert parse_config(text).json_output is False


@pytest.mark.clause("CONFIG-RUN-KEYS")
@pytest.mark.parametrize("text, files", [
    ("rules_files: [a.yaml, b.yaml]\n", ["a.yaml", "b.yaml"]),
    ("rules_files:\n  - /etc/r.yaml\n", ["/etc/r.yaml"]),
    ("rules_files: one.yaml\n", ["one.yaml"]),
    ("rules_file: [old.yaml]\n", ["old.yaml"]),
    ("rules_files: [new.yaml]\nrules_file: [old.yaml]\n", ["new.yaml"]),
    ("rules_files: ~\n", []),
    ("priority: warning\n", []),
])
def test_rules_files_is_a_list_or_one_name(text, files):
    assert parse_config(text).rules_files == files


@pytest.mark.clause("CONFIG-RUN-KEYS")
@pytest.mark.parametrize("text, priority", [("priority: warning\n", "warning"), ("", "debug"),
                                            ("priority: Critical\n", "Critical")])
def test_priority_is_read_as_written(text, priority):
    assert parse_config(text).priority == priority


@pytest.mark.clause("CONFIG-RULE-MATCHING")
@pytest.mark.parametrize("text, strategy", [
    ("", "first"), ("rule_matching:\n", "first"), ("rule_matching: ~\n", "first"), ("rule_matching: first\n", "first"),
    ("rule_matching: all\n", "all"), ("rule_matching: ALL\n", "all"), ("rule_matching: First\n", "first"),
    ("rule_matching: aLl\n", "all"),
])
def test_rule_matching_is_first_or_all_in_any_case(text, strategy):
    assert parse_config(text).rule_matching == strategy


@pytest.mark.clause("CONFIG-RULE-MATCHING")
@pytest.mark.parametrize("text, line, value", [
    ("priority: info\nrule_matching: sometimes\n", 2, "sometimes"), ("rule_matching: firsts\n", 1, "firsts"),
    ("rule_matching: ''\n", 1, ""), ("x: 1\n\nrule_matching: [all]\n", 3, ""), ("rule_matching: {a: 1}\n", 1, ""),
])
def test_any_other_rule_matching_is_falcos_error_with_its_line(text, line, value):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "f.yaml")
    assert str(caught.value) == (f"Error reading config file (f.yaml:{line}): Unknown rule matching strategy "
                                 f"\"{value}\"--must be one of first, all")
    assert caught.value.clause == "CONFIG-RULE-MATCHING"
