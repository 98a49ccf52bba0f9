"""RULES-APPEND-OVERRIDE on what random rules files rarely reach: `exceptions` appended to and replaced on an
existing rule, and the replace of `capture` and `capture_duration` (falco-rules.md §2.5). The messages are
Falco's (rule_loader_collector.cpp), written out here."""
import pytest
import yaml

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.defined import DefinedLibrary
from reference.falco.rules import RulesLoadError, load_rules
from reference.falco.rules.collector import Collector
from reference.falco.rules.loader import check_engine_version
from reference.falco.rules.reader import read_items
from reference.host.event_fields import FieldTable
from reference.host.registry import PluginRegistry

BASE = {"rule": "r", "desc": "d", "condition": "x.i > 1", "output": "o", "priority": "INFO", "source": "x",
        "exceptions": [{"name": "e1", "fields": ["x.word"], "values": [["nginx"]]}]}


def _yaml(*items) -> str:
    return yaml.safe_dump(list(items), sort_keys=False)


def collected(*items) -> Collector:
    """The collector after reading BASE, then each item as a later file."""
    collector = Collector()
    for number, text in enumerate([_yaml(BASE)] + [_yaml(item) for item in items]):
        for item in read_items(text, f"f{number}.yaml"):
            collector.collect(item, check_engine_version)
    return collector


def loaded_condition(*items) -> str:
    registry = PluginRegistry()
    registry.load(DefinedLibrary(SOURCE_DEFINITION))
    files = [(f"f{n}.yaml", text) for n, text in enumerate([_yaml(BASE)] + [_yaml(i) for i in items])]
    [rule] = load_rules(files, {"x": FieldTable(registry, "x")}).rules
    return rule.expanded


def load_error(*items) -> str:
    registry = PluginRegistry()
    registry.load(DefinedLibrary(SOURCE_DEFINITION))
    files = [(f"f{n}.yaml", text) for n, text in enumerate([_yaml(BASE)] + [_yaml(i) for i in items])]
    with pytest.raises(RulesLoadError) as caught:
        load_rules(files, {"x": FieldTable(registry, "x")})
    return caught.value.results.first_error().message


def exceptions_of(collector: Collector) -> list[tuple]:
    return [(e.name, e.fields, e.comps, e.values) for e in collector.rules["r"].exceptions]


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_override_replace_of_exceptions_drops_the_old_ones():
    later = {"rule": "r", "exceptions": [{"name": "e2", "fields": "x.word", "comps": "in", "values": ["bash"]}],
             "override": {"exceptions": "replace"}}
    assert exceptions_of(collected(later)) == [("e2", "x.word", "in", ["bash"])]
    assert loaded_condition(later) == "(x.i > 1) and not (x.word in (bash))"


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
@pytest.mark.parametrize("style", [{"override": {"exceptions": "append"}}, {"append": True}])
def test_appending_to_an_existing_exception_adds_only_values(style):
    later = {"rule": "r", "exceptions": [{"name": "e1", "values": [["sshd"]]}], **style}
    assert exceptions_of(collected(later)) == [("e1", ["x.word"], None, [["nginx"], ["sshd"]])]
    assert loaded_condition(later) == "(x.i > 1) and not ((x.word = nginx) or (x.word = sshd))"


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
@pytest.mark.parametrize("style", [{"override": {"exceptions": "append"}}, {"append": True}])
def test_appending_a_new_exception_adds_it_after_the_others(style):
    later = {"rule": "r", "exceptions": [{"name": "e2", "fields": "x.word", "values": ["bash"]}], **style}
    assert exceptions_of(collected(later)) == [("e1", ["x.word"], None, [["nginx"]]),
                                               ("e2", "x.word", None, ["bash"])]
    assert loaded_condition(later) == "(x.i > 1) and not ((x.word = nginx)) and not (x.word in (bash))"


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
@pytest.mark.parametrize("exception, message", [
    ({"name": "e1", "fields": ["x.word"], "values": [["sshd"]]},
     "Can not append exception fields to existing exception, only values"),
    ({"name": "e1", "comps": ["="], "values": [["sshd"]]},
     "Can not append exception comps to existing exception, only values"),
    ({"name": "e1", "fields": ["x.word"], "comps": ["="], "values": [["sshd"]]},
     "Can not append exception fields to existing exception, only values"),
    ({"name": "e2", "values": [["sshd"]]}, "Rule exception must have fields property with a list of fields"),
    ({"name": "e2", "fields": ["x.word"]}, "Rule exception must have values property with a list of values"),
    ({"name": "e2", "fields": ["x.word"], "values": []},
     "Rule exception must have values property with a list of values"),
])
@pytest.mark.parametrize("style", [{"override": {"exceptions": "append"}}, {"append": True}])
def test_appended_exception_errors(exception, message, style):
    assert load_error({"rule": "r", "exceptions": [exception], **style}) == message


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_a_legacy_append_needs_a_condition_or_exceptions():
    assert load_error({"rule": "r", "append": True, "output": "o"}) == \
        "Appended rule must have exceptions or condition property"


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
def test_capture_and_capture_duration_are_defined_and_replaced():
    defined = {**BASE, "rule": "c", "capture": True, "capture_duration": 3000}
    collector = collected(defined)
    assert (collector.rules["c"].capture, collector.rules["c"].capture_duration) == (True, 3000)
    assert (collector.rules["r"].capture, collector.rules["r"].capture_duration) == (False, 0)
    replaced = collected({"rule": "r", "capture": True, "capture_duration": 7,
                          "override": {"capture": "replace", "capture_duration": "replace"}})
    assert (replaced.rules["r"].capture, replaced.rules["r"].capture_duration) == (True, 7)
    back = collected(defined, {"rule": "c", "capture": False, "override": {"capture": "replace"}})
    assert (back.rules["c"].capture, back.rules["c"].capture_duration) == (False, 3000)


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
@pytest.mark.parametrize("key, value", [("capture", "sometimes"), ("capture_duration", "ten"),
                                        ("capture_duration", "-5")])
def test_capture_values_must_decode(key, value):
    assert load_error({"rule": "r", key: value, "override": {key: "replace"}}) == "Can't decode YAML scalar value"


@pytest.mark.clause("RULES-APPEND-OVERRIDE")
@pytest.mark.parametrize("key", ["capture", "capture_duration"])
def test_capture_keys_cannot_be_appended(key):
    assert load_error({"rule": "r", key: "1", "override": {key: "append"}}) == \
        f"Key '{key}' cannot be appended to, use 'replace' instead"
