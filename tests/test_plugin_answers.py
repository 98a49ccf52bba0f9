"""Plugin answers of the wrong type are refused, naming the plugin and the call (PLUGIN-ANSWER-TYPES), and the
source answers that name no usable ID or event source, naming the library; a 3.x library is driven by the 3.x
loader (V3-CONTRACT-DISPATCH);
definition files with keys of the wrong type are not valid definitions (DEFINITION-KEYS)."""
from __future__ import annotations

import itertools

import pytest
import yaml

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.defined import DefinedLibrary
from fake_plugins.misbehaving import variant
from fake_plugins.v3_demo import V3Demo
from reference.contract.lifecycle import State
from reference.contract.v0_3 import Event, ReturnCode
from reference.errors import LoadError, PluginCallError
from reference.host.engine import EventStream
from reference.host.loader import LoadedPlugin, loaded_plugin, read_info
from reference.host.loader_v3 import LoadedPluginV3
from reference.host.registry import PluginRegistry
from reference.sdk_v3 import PythonLibraryV3
from reference.tools.cli import main

DEFINITION = variant(SOURCE_DEFINITION, events=[{"ts": 1, "values": {"x.i": 1, "x.word": "w"}}])


@pytest.mark.clause("DEFINITION-KEYS")
@pytest.mark.parametrize("key, value, says", [
    ("fields", "x.i", "fields must be a list of JSON values"),
    ("fields", ["2020-01-01"], None),  # a list of JSON values: the loader judges the entries (FIELDS-JSON)
    ("omit_symbols", {"plugin_open": 1}, "omit_symbols must be a list of symbol names"),
    ("batch_size", None, "batch_size must be an integer >= 0"),
    ("batch_size", -1, "batch_size must be an integer >= 0"),
    ("events", [{"ts": "soon"}], "events must be a list of {ts: u64 | now"),
    ("events", "none", "events must be a list of"),
    ("batches", [{"events": 1, "rc": "maybe"}], "batches must be a list of {events: n >= 0"),
    ("type", "source", "type must be an integer"),
    ("id", 1.5, "id must be an integer"),
    ("name", ["x"], "name must be a string or null"),
    ("fields_json", 5, "fields_json must be a string or null"),
    ("init_schema", [1], "init_schema must be a mapping (a JSON schema) or null"),
    ("init_error", 3, "init_error must be a string"),
    ("init_returns_null", "yes", "init_returns_null must be true or false"),
], ids=lambda v: str(v)[:20])
def test_definition_files_with_keys_of_the_wrong_type(capsys, tmp_path, key, value, says):
    path = tmp_path / "d.yaml"
    path.write_text(yaml.safe_dump(variant(DEFINITION, **{key: value})))
    code = main(["inspect", "-H", str(path), "-I", "xsrc", "-n", "1"])
    err = capsys.readouterr().err
    assert "internal error" not in err
    if says is None:
        assert "not a valid plugin definition" not in err and "field JSON entry is not an object" in err
    else:
        assert code == 1 and f"cannot load plugin {path}: not a valid plugin definition: {says}" in err


@pytest.mark.clause("DEFINITION-KEYS")
def test_a_date_where_json_is_expected_is_not_a_valid_definition(capsys, tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(yaml.safe_dump(DEFINITION).replace("fields:\n", "fields:\n- 2020-01-01\n", 1))
    assert main(["inspect", "-H", str(path), "-I", "xsrc"]) == 1
    assert "not a valid plugin definition: fields must be a list of JSON values" in capsys.readouterr().err


class Answering(DefinedLibrary):
    """A well-behaved library except for one call, which answers `answer`."""

    def __init__(self, call: str, answer, definition: dict = DEFINITION):
        super().__init__(variant(definition, init_schema={"type": "object"}, open_params=[]), "answering")
        self._call, self._answer = call, answer

    def __getattribute__(self, name):
        if not name.startswith("_") and name == object.__getattribute__(self, "_call"):
            answer = object.__getattribute__(self, "_answer")
            return lambda *args: answer
        return object.__getattribute__(self, name)


@pytest.mark.clause("PLUGIN-ANSWER-TYPES")
@pytest.mark.parametrize("call, answer, says", [
    ("get_required_api_version", 3, "plugin_get_required_api_version answered 3 (int), not a string"),
    ("get_type", "1", "plugin_get_type answered '1' (str), not an integer"),
    ("get_type", True, "plugin_get_type answered True (bool), not an integer"),
    ("get_name", 5, "plugin_get_name answered 5 (int), not a string"),
    ("get_version", b"1.0.0", "plugin_get_version answered b'1.0.0' (bytes), not a string"),
    ("get_fields", [{"name": "x.i"}], "plugin xsrc: plugin_get_fields answered [{'name': 'x.i'}] (list), not a string"),
    ("get_init_schema", "{}", "plugin_get_init_schema answered '{}' (str), not a string and a schema type"),
    ("init", None, "plugin xsrc: init answered None (NoneType), not a state and a return code"),
    ("init", 7, "plugin xsrc: init answered 7 (int), not a state and a return code"),
    ("get_event_source", 7, "plugin_get_event_source answered 7 (int), not a string"),
    # a value is shown whole up to 60 characters, else its first 57 and "..."
    ("get_version", b"x" * 57, "plugin_get_version answered b'" + "x" * 57 + "' (bytes), not a string"),
    ("get_version", b"x" * 58, "plugin_get_version answered b'" + "x" * 55 + "... (bytes), not a string"),
])
def test_wrong_answers_at_load_are_load_errors(call, answer, says):
    registry = PluginRegistry()
    with pytest.raises(LoadError) as caught:
        registry.load(Answering(call, answer))
    assert str(caught.value) == f"cannot load plugin answering: {says}"
    assert caught.value.clause == "PLUGIN-ANSWER-TYPES"


#: An extractor of source x: only extractors are asked get_extract_event_sources.
EXTRACTOR = variant(DEFINITION, type=2, extract_event_sources=["x"])


@pytest.mark.clause("PLUGIN-ANSWER-TYPES")
@pytest.mark.parametrize("answer, shown", [(5, "5 (int)"), (["x"], "['x'] (list)")])
def test_an_extractor_answering_its_sources_with_no_string_is_a_load_error(answer, shown):
    with pytest.raises(LoadError) as caught:
        PluginRegistry().load(Answering("get_extract_event_sources", answer, EXTRACTOR))
    assert str(caught.value) == f"cannot load plugin answering: plugin_get_extract_event_sources answered {shown}, " \
                                "not a string"
    assert caught.value.clause == "PLUGIN-ANSWER-TYPES"


@pytest.mark.parametrize("call, answer, says, clause", [
    ("get_event_source", None, "plugin_get_event_source returned NULL", "PLUGIN-INFO-STRINGS"),
    ("get_event_source", "", "source plugin xsrc has an empty event source", "SRC-EVENT-SOURCE"),
    ("get_id", 2**32, "plugin_get_id returned 4294967296, not a 32-bit unsigned ID", "SRC-ID-RULES"),
    ("get_id", "7", "plugin_get_id returned '7', not a 32-bit unsigned ID", "SRC-ID-RULES"),
])
def test_a_source_answering_no_usable_id_or_event_source_is_a_load_error(call, answer, says, clause):
    """PLUGIN-INFO-STRINGS, SRC-EVENT-SOURCE, SRC-ID-RULES: the error names the library."""
    with pytest.raises(LoadError) as caught:
        PluginRegistry().load(Answering(call, answer))
    assert str(caught.value) == f"cannot load plugin answering: {says}"
    assert caught.value.clause == clause


@pytest.mark.clause("PLUGIN-ANSWER-TYPES", "PLUGIN-LIFECYCLE")
def test_a_plugin_whose_init_answers_no_pair_is_destroyed():
    library = Answering("init", 7)
    plugin = loaded_plugin(library, read_info(library))
    with pytest.raises(LoadError):
        plugin.init("")
    assert plugin.lifecycle.state is State.DESTROYED


@pytest.mark.clause("PLUGIN-ANSWER-TYPES")
@pytest.mark.parametrize("call, answer, says", [
    ("open", 3, "plugin xsrc: open answered 3 (int), not an instance and a return code"),
    ("next_batch", [ReturnCode.SUCCESS], "plugin xsrc: next_batch answered [<ReturnCode.SUCCESS: 0>] (list), not a "
                                         "return code and a list of events"),
    ("next_batch", (ReturnCode.SUCCESS, ["x.i=1"]), "plugin xsrc: next_batch answered 'x.i=1' (str), not an event with "
                                                    "bytes data and an integer timestamp"),
    ("next_batch", (ReturnCode.SUCCESS, [Event("x.i=1", 1)]), "plugin xsrc: next_batch answered Event("),
    ("next_batch", (ReturnCode.SUCCESS, [Event(b"x.i=1", "1")]), "plugin xsrc: next_batch answered Event("),
])
def test_wrong_answers_while_running_are_plugin_call_errors(call, answer, says):
    registry = PluginRegistry()
    plugin = registry.load(Answering(call, answer))
    with pytest.raises(PluginCallError) as caught:
        plugin.open("")
        # bounded: the plugin answers the same batch for ever, so a host that took it would never end
        list(itertools.islice(EventStream(plugin), 100))
    assert str(caught.value).startswith(says)


@pytest.mark.clause("PLUGIN-ANSWER-TYPES")
def test_progress_open_params_and_extracted_values_of_the_wrong_type_are_refused():
    registry = PluginRegistry()
    plugin = registry.load(Answering("get_progress", 50))
    plugin.open("")
    with pytest.raises(PluginCallError, match=r"plugin xsrc: get_progress answered 50 \(int\), not a string and a "
                                              r"number"):
        plugin.progress()
    plugin = PluginRegistry().load(Answering("list_open_params", "[]"))
    with pytest.raises(PluginCallError) as caught:
        plugin.list_open_params()
    assert str(caught.value) == "plugin xsrc: list_open_params answered '[]' (str), not a string and a return code"


class WrongValues(DefinedLibrary):
    """Answers x.i with a string and x.word with a number."""

    def extract_fields(self, state, event, requests):
        for request in requests:
            request.field_present = True
            request.res_u64, request.res_str = "7", 7
        return ReturnCode.SUCCESS


@pytest.mark.clause("PLUGIN-ANSWER-TYPES")
@pytest.mark.parametrize("field, says", [("x.i", "extract_fields of x.i answered '7' (str), not a uint64"),
                                         ("x.word", "extract_fields of x.word answered 7 (int), not a string")])
def test_extracted_values_of_the_wrong_type_are_refused(field, says):
    plugin = PluginRegistry().load(WrongValues(DEFINITION, "wrong"))
    plugin.open("")
    event = next(iter(EventStream(plugin))).as_plugin_input()
    info = plugin.info.field(field)
    with pytest.raises(PluginCallError) as caught:
        plugin.extract(event, [(info, "")])
    assert str(caught.value) == f"plugin xsrc: {says}"


class Answers(DefinedLibrary):
    """Answers each field of an extract_fields call with `answers[field]`: (field_present, res_u64, res_str)."""

    def __init__(self, answers: dict):
        super().__init__(DEFINITION, "answers")
        self.answers = answers

    def extract_fields(self, state, event, requests):
        for request in requests:
            if request.field in self.answers:
                request.field_present, request.res_u64, request.res_str = self.answers[request.field]
        return ReturnCode.SUCCESS


def _extract(answers: dict, fields: list[str]):
    plugin = PluginRegistry().load(Answers(answers))
    plugin.open("")
    event = next(iter(EventStream(plugin))).as_plugin_input()
    return plugin.extract(event, [(plugin.info.field(name), "") for name in fields])


@pytest.mark.clause("PLUGIN-ANSWER-TYPES")
def test_a_uint64_is_an_integer_below_two_to_the_64():
    assert _extract({"x.i": (True, 2**64 - 1, None)}, ["x.i"]) == [18446744073709551615]
    with pytest.raises(PluginCallError) as caught:
        _extract({"x.i": (True, 2**64, None)}, ["x.i"])
    assert str(caught.value) == "plugin xsrc: extract_fields of x.i answered 18446744073709551616 (int), not a uint64"


@pytest.mark.clause("PLUGIN-ANSWER-TYPES", "EXTRACT-FAILURE-NO-VALUE")
def test_a_wrong_value_after_a_field_with_no_value_is_refused():
    with pytest.raises(PluginCallError) as caught:
        _extract({"x.word": (True, None, 7)}, ["x.i", "x.word"])
    assert str(caught.value) == "plugin xsrc: extract_fields of x.word answered 7 (int), not a string"


class ValuesOnly(DefinedLibrary):
    """Sets res_u64 and res_str of every request but never field_present."""

    def extract_fields(self, state, event, requests):
        for request in requests:
            request.res_u64, request.res_str = 7, "w"
        return ReturnCode.SUCCESS


@pytest.mark.clause("EXTRACT-FAILURE-NO-VALUE")
def test_a_value_set_without_field_present_is_no_value():
    assert _extract({"x.i": (False, 7, None), "x.word": (False, None, "w")}, ["x.i", "x.word"]) == [None, None]
    plugin = PluginRegistry().load(ValuesOnly(DEFINITION, "values-only"))
    plugin.open("")
    event = next(iter(EventStream(plugin))).as_plugin_input()
    assert plugin.extract(event, [(plugin.info.field("x.i"), ""), (plugin.info.field("x.word"), "")]) == [None, None]


@pytest.mark.clause("V3-CONTRACT-DISPATCH")
def test_a_library_of_the_3x_contract_is_driven_by_the_3x_loader():
    library = PythonLibraryV3(V3Demo)
    assert isinstance(loaded_plugin(library, read_info(library)), LoadedPluginV3)
    assert isinstance(PluginRegistry().load(PythonLibraryV3(V3Demo)), LoadedPluginV3)
    assert type(PluginRegistry().load(Answering("get_progress", 50))) is LoadedPlugin
