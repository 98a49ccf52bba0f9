"""falco.yaml mistakes are config errors with file and line, exit 1 (CONFIG-ERRORS, YAML-LIMITS)."""
from __future__ import annotations

import json

import pytest

from reference.falco.config import parse_config
from reference.tools.cli import main
from tests.bounds import bounded

ENTRY = "plugins:\n  - name: counter\n    library_path: fake_plugins.counter\n"


def run(capsys, tmp_path, content: bytes | str, *extra) -> str:
    path = tmp_path / "falco.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    assert main(["run", "-c", str(path), *extra]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    return err.replace(str(path), "falco.yaml")


@pytest.mark.clause("CONFIG-ERRORS")
@pytest.mark.parametrize("content, line, says", [
    (b"plugins:\n  - name: \xff\n", 2, "not valid YAML: the file is not UTF-8 (byte 0xff at offset 19)"),
    (ENTRY + "    init_config: {[a]: 1}\n", 4, "init_config: a sequence cannot be a mapping key"),
    (ENTRY + "    init_config: {? {a: 1} : 1}\n", 4, "init_config: a mapping cannot be a mapping key"),
    ("plugins:\n  - name: counter\n    library_path: \"\"\n", 2, "plugin 'counter' has an empty 'library_path'"),
    ("plugins:\n  - name: counter\n    library_path: [\n", 4, "not valid YAML"),
    (ENTRY + "    init_config: " + "[" * 500 + "]" * 500 + "\n", 4, "not valid YAML: nesting deeper than 200 levels"),
    (ENTRY + "    init_config: &a {x: *a}\n", 4, "an alias refers to a value that contains it"),
], ids=["not-utf8", "sequence-key", "mapping-key", "empty-library-path", "yaml-syntax", "deep", "recursive-alias"])
def test_config_mistakes_are_reported_with_file_and_line(capsys, tmp_path, content, line, says):
    err = run(capsys, tmp_path, content)
    assert f"plugref: error: Error reading config file (falco.yaml:{line}): " in err and says in err


@pytest.mark.clause("YAML-LIMITS")
def test_an_alias_bomb_in_init_config_is_refused_quickly(capsys, tmp_path):
    # 500 bytes that took 56 s and 2.5 GB before.
    levels = ["      a0: &a0 [x, y]"] + [f"      a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    err = bounded(lambda: run(capsys, tmp_path, ENTRY + "    init_config:\n" + "\n".join(levels) + "\n"))
    assert "Error reading config file (falco.yaml:23): not valid YAML: aliases expand this value to more than " \
           "1000000 nodes" in err


@pytest.mark.clause("YAML-LIMITS")
def test_aliases_that_expand_to_more_than_16_mib_of_json_are_refused():
    big = "x" * 100_000
    levels = [f"      s: &s0 [{big}, {big}]"] + [f"      s{i}: &s{i} [*s{i - 1}, *s{i - 1}]" for i in range(1, 9)]
    from reference.falco.config import ConfigError


    def refusal() -> str:
        with pytest.raises(ConfigError) as caught:
            parse_config(ENTRY + "    init_config:\n" + "\n".join(levels) + "\n", "falco.yaml")
        return str(caught.value)

    assert "(falco.yaml:5): could not load plugins config: init_config expands to more than 16777216 characters" \
           in bounded(refusal)


@pytest.mark.clause("CONFIG-ERRORS")
def test_scalars_json_cannot_hold_are_sent_as_their_text_as_falco_ignores_tags():
    text = ENTRY + ("    init_config: {date: 2020-01-01, bin: !!binary aGVsbG8=, inf: .inf, nan: .nan, "
                    "huge: " + "9" * 5000 + ", set: !!set {a, b}, n: 7, f: 1.5, t: true, z: null}\n")
    sent = json.loads(parse_config(text).plugins[0].init_config)
    # nlohmann writes non-finite numbers as null; an integer of 5000 digits goes as its text.
    assert sent == {"date": "2020-01-01", "bin": "aGVsbG8=", "inf": None, "nan": None, "huge": "9" * 5000,
                    "set": {"a": None, "b": None}, "n": 7, "f": 1.5, "t": True, "z": None}


@pytest.mark.clause("CONFIG-ERRORS")
def test_no_rules_files_and_no_rules_option_is_a_clean_error(capsys, tmp_path):
    err = run(capsys, tmp_path, ENTRY)
    assert "plugref: error: no rules: give rules files with -r, or rules_files in the configuration" in err


@pytest.mark.clause("CONFIG-ERRORS", "RULES-RESULTS")
@pytest.mark.parametrize("padding", [0, 1, 5])
def test_yaml_errors_have_the_same_1_based_line_in_rules_files_and_in_falco_yaml(capsys, tmp_path, padding):
    broken = "# comment\n" * padding + "a: 1\nb: [1, 2\nc: 3\n"  # the sequence is never closed
    line = padding + 3  # the ":" of "c: 3", inside the unclosed sequence
    err = run(capsys, tmp_path, broken)
    rules = tmp_path / "rules.yaml"
    rules.write_text(broken)
    assert main(["validate", str(rules)]) == 1
    out = capsys.readouterr().out
    assert f"Error reading config file (falco.yaml:{line}): not valid YAML" in err
    assert f"yaml: error at line {line}, " in out
