"""falco.yaml `append_output` (CONFIG-APPEND-OUTPUT): `extra_output` and `suggested_output` appended to
the outputs of the rules an entry matches, in Falco's form (falco-rules.md §2.8 "Per rule", §4
"append_output"; a plugin field's `addOutput` is EPF_FORMAT_SUGGESTED, plugin-api.md §3.3).

The plugin is the module's own PLUGIN: a 3.x Python plugin with two format-suggested fields."""
from __future__ import annotations

import io
import json

import pytest

from reference.contract.v0_3 import Event
from reference.falco.app import run
from reference.falco.config import ConfigError, parse_config
from reference.sdk_v3 import GeneratorInstance, Plugin, field


class Suggesting(Plugin):
    name = "sugg"
    id = 2**30 + 77
    event_source = "sugg"
    version = "1.0.0"

    def open(self, params):
        return GeneratorInstance([Event(f"n={n}".encode(), n * 10**9) for n in (1, 2)])

    @field("sugg.n", "uint64", "the counter", add_output=True)
    def n(self, event, arg):
        return int(event.data.decode()[2:])

    @field("sugg.word", "string", "a word", add_output=True)
    def word(self, event, arg):
        return ("zero", "one", "two")[int(event.data.decode()[2:])]

    @field("sugg.plain", "string", "not suggested")
    def plain(self, event, arg):
        return "p"


PLUGIN = Suggesting

RULES = """
- rule: Tagged
  desc: d
  condition: sugg.n = 1
  output: tagged %sugg.plain
  priority: WARNING
  source: sugg
  tags: [t1, t2]
- rule: Other
  desc: d
  condition: sugg.n = 2
  output: other
  priority: WARNING
  source: sugg
  tags: [t2]
"""


def alerts(tmp_path, append_output: str, json_output: bool = False) -> list[str]:
    (tmp_path / "rules.yaml").write_text(RULES)
    (tmp_path / "falco.yaml").write_text(f"plugins:\n  - name: sugg\n    library_path: {__name__}\n"
                                         f"rules_files: [{tmp_path / 'rules.yaml'}]\n{append_output}")
    out, err = io.StringIO(), io.StringIO()
    assert run(str(tmp_path / "falco.yaml"), [], json_output, None, None, out, err) == 0, err.getvalue()
    lines = [line for line in out.getvalue().splitlines() if ": Warning " in line or line.startswith("{")]
    return [line.split(": Warning ", 1)[1] for line in lines] if not json_output else lines


@pytest.mark.clause("CONFIG-APPEND-OUTPUT")
def test_extra_output_and_suggested_fields_are_appended_to_the_rules_they_match(tmp_path):
    assert alerts(tmp_path, """append_output:
  - match:
      source: sugg
    extra_output: "on %evt.pluginname"
  - match:
      tags: [t1]
    suggested_output: true
  - match:
      rule: Other
    extra_output: "(other)"
  - match:
      source: syscall
    extra_output: never
""") == ["tagged p on sugg sugg_n=1 sugg_word=one", "other on sugg (other)"]


@pytest.mark.clause("CONFIG-APPEND-OUTPUT")
def test_without_append_output_the_outputs_are_the_rules_own(tmp_path):
    assert alerts(tmp_path, "") == ["tagged p", "other"]
    # suggested_output false adds nothing; every tag of the match must be the rule's
    assert alerts(tmp_path, """append_output:
  - suggested_output: false
    extra_output: ""
  - match:
      tags: [t1, t3]
    extra_output: never
""") == ["tagged p", "other"]


@pytest.mark.clause("CONFIG-APPEND-OUTPUT")
def test_suggested_fields_are_json_output_fields_too(tmp_path):
    (line,) = alerts(tmp_path, "append_output:\n  - match: {rule: Tagged}\n    suggested_output: yes\n",
                     json_output=True)[:1]
    alert = json.loads(line)
    assert alert["output"].endswith(": Warning tagged p sugg_n=1 sugg_word=one")
    assert alert["output_fields"] == {"evt.time": 1000000000, "sugg.n": 1, "sugg.plain": "p", "sugg.word": "one"}


@pytest.mark.clause("CONFIG-APPEND-OUTPUT")
@pytest.mark.parametrize("text, message", [
    ("append_output: 3\n", "append_output must be a list of maps"),
    ("append_output:\n  - 3\n", "each append_output entry must be a map"),
    ("append_output:\n  - match: [a]\n", "append_output match must be a map of source, tags and rule"),
    ("append_output:\n  - match: {tags: t1}\n", "append_output match tags must be a list of tags"),
    ("append_output:\n  - extra_output: [a]\n", "append_output extra_output must be a string"),
    ("append_output:\n  - suggested_output: maybe\n", "suggested_output must be a boolean, not 'maybe'"),
])
def test_a_malformed_append_output_is_a_config_error_with_its_line(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "f.yaml")
    assert str(caught.value).startswith("Error reading config file (f.yaml:")
    assert str(caught.value).endswith(message)


@pytest.mark.clause("CONFIG-APPEND-OUTPUT")
def test_extra_fields_are_reported_as_not_yet_supported():
    config = parse_config("append_output:\n  - extra_fields:\n      - evt.num\n", "f.yaml")
    assert config.warnings == ["f.yaml:3: append_output extra_fields is not yet supported by plugref: ignored"]


@pytest.mark.clause("CONFIG-APPEND-OUTPUT")
@pytest.mark.parametrize("text, line, message", [
    ("append_output:\n  - match:\n      source:\n        - a\n", 4, "append_output match source must be a string"),
    ("append_output:\n  - match:\n      rule:\n        - a\n", 4, "append_output match rule must be a string"),
    ("append_output:\n  - match: every\n", 2, "append_output match must be a map of source, tags and rule"),
    ("append_output:\n  - match:\n      tags:\n        - [a]\n", 4, "append_output match tags must be a list of tags"),
    ("append_output:\n  - extra_output: x\n    suggested_output:\n      - true\n", 4,
     "suggested_output must be a boolean"),
    ("\n\nappend_output:\n  - 3\n", 4, "each append_output entry must be a map"),
])
def test_each_malformed_part_of_an_entry_is_refused_at_its_own_line(text, line, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "f.yaml")
    assert str(caught.value) == f"Error reading config file (f.yaml:{line}): {message}"
    assert caught.value.clause == "CONFIG-APPEND-OUTPUT"


@pytest.mark.clause("CONFIG-APPEND-OUTPUT")
def test_an_entry_without_match_or_with_a_null_match_applies_to_every_rule():
    for text in ("append_output:\n  - extra_output: x\n", "append_output:\n  - match: ~\n    extra_output: x\n",
                 "append_output:\n  - match: {source: ~, rule: ~}\n    extra_output: x\n"):
        (entry,) = parse_config(text, "f.yaml").append_output
        assert entry.extra_output == "x"
        assert entry.matches("syscall", set(), "Any rule") and entry.matches("", {"t"}, "")


@pytest.mark.clause("CONFIG-APPEND-OUTPUT")
def test_tags_match_a_rule_that_has_every_one_of_them_and_maybe_more():
    (entry,) = parse_config("append_output:\n  - match: {tags: [a, b]}\n", "f.yaml").append_output
    assert entry.matches("s", {"a", "b"}, "r")  # exactly the entry's tags
    assert entry.matches("s", {"a", "b", "c"}, "r")
    assert not entry.matches("s", {"a"}, "r")
    (entry,) = parse_config("append_output:\n  - match: {source: s, rule: r}\n", "f.yaml").append_output
    assert entry.matches("s", set(), "r")
    assert not entry.matches("other", set(), "r") and not entry.matches("s", set(), "other")
