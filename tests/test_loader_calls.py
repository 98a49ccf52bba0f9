"""What the framework passes to a plugin and makes of its answers, call by call: PLUGIN-LIFECYCLE (the state
init returned and the instance open returned come back in every call that takes them; the lifecycle state
after each call), EXTRACT-REQUEST (field_id is the index in get_fields, plugin-api.md §4.4), INIT-FAILURE
and the open errors (plugin-api.md §3.6)."""
import pytest

from fake_plugins.defined import DefinedLibrary
from fake_plugins.misbehaving import WELL_BEHAVED_EXTRACTOR, WELL_BEHAVED_SOURCE, variant
from reference.contract.lifecycle import State
from reference.contract.v0_3 import Event, ReturnCode
from reference.errors import LoadError, PluginCallError
from reference.host.loader import load_plugin


WITH_OPEN_PARAMS = variant(WELL_BEHAVED_SOURCE, open_params=[{"value": "a"}])


class RecordingLibrary(DefinedLibrary):
    """A definition plugin that records what each call receives."""

    def __init__(self, definition, **answers):
        super().__init__(definition)
        self.calls: list[tuple] = []
        self.answers = answers

    def init(self, config):
        self.calls.append(("init", config))
        state, rc = super().init(config)
        self.state = state
        return state, rc

    def open(self, state, params):
        self.calls.append(("open", state, params))
        if "open" in self.answers:
            return self.answers["open"]
        instance, rc = super().open(state, params)
        self.instance = instance
        return instance, rc

    def get_last_error(self, state):
        self.calls.append(("get_last_error", state))
        return self.answers.get("last_error", super().get_last_error(state))

    def close(self, state, instance):
        self.calls.append(("close", state, instance))

    def destroy(self, state):
        self.calls.append(("destroy", state))

    def get_progress(self, state, instance):
        self.calls.append(("get_progress", state, instance))
        return "42.00", 4200

    def event_to_string(self, state, data):
        self.calls.append(("event_to_string", state, data))
        return self.answers.get("event_to_string", "text of " + data.decode())

    def list_open_params(self, state):
        self.calls.append(("list_open_params", state))
        return self.answers.get("list_open_params", ('[{"value": "a"}]', ReturnCode.SUCCESS))

    def extract_fields(self, state, event, requests):
        self.calls.append(("extract_fields", state, [(r.field_id, r.field, r.arg, int(r.ftype)) for r in requests]))
        return super().extract_fields(state, event, requests)


@pytest.mark.clause("PLUGIN-LIFECYCLE")
def test_every_call_gets_back_the_state_and_the_instance():
    library = RecordingLibrary(WITH_OPEN_PARAMS)
    plugin = load_plugin(library)
    plugin.open()
    plugin.progress()
    plugin.event_to_string(b"e")
    plugin.list_open_params()
    plugin.close()
    plugin.destroy()
    state, instance = library.state, library.instance
    assert state is not None and instance is not None
    assert library.calls == [("init", ""), ("open", state, ""), ("get_progress", state, instance),
                             ("event_to_string", state, b"e"), ("list_open_params", state),
                             ("close", state, instance), ("destroy", state)]


@pytest.mark.clause("PLUGIN-LIFECYCLE")
def test_the_lifecycle_state_after_each_call():
    plugin = load_plugin(RecordingLibrary(WELL_BEHAVED_SOURCE))
    assert plugin.lifecycle.state is State.INITIALISED
    plugin.open("p")
    assert plugin.lifecycle.state is State.OPEN
    plugin.close()
    assert plugin.lifecycle.state is State.CLOSED
    plugin.open("q")
    assert plugin.lifecycle.state is State.OPEN
    plugin.shutdown()
    assert plugin.lifecycle.state is State.DESTROYED


@pytest.mark.clause("PLUGIN-LIFECYCLE")
def test_init_and_open_get_the_config_and_params_as_given():
    library = RecordingLibrary(WELL_BEHAVED_SOURCE)
    plugin = load_plugin(library, "cfg")
    plugin.open("params")
    assert library.calls[:2] == [("init", "cfg"), ("open", library.state, "params")]


@pytest.mark.clause("PLUGIN-LIFECYCLE")
def test_progress_is_none_without_the_symbol_and_the_plugins_answer_with_it():
    with_progress = load_plugin(RecordingLibrary(WELL_BEHAVED_SOURCE))
    with_progress.open()
    assert with_progress.progress() == ("42.00", 4200)
    without = load_plugin(RecordingLibrary(variant(WELL_BEHAVED_SOURCE, omit_symbols=["plugin_get_progress"])))
    without.open()
    assert without.progress() is None


@pytest.mark.clause("PLUGIN-LIFECYCLE")
@pytest.mark.parametrize("answer, expected", [("shown", "shown"), ("", ""), (None, None), (3, None)])
def test_event_to_string_gives_the_plugins_text_or_none(answer, expected):
    plugin = load_plugin(RecordingLibrary(WELL_BEHAVED_SOURCE, event_to_string=answer))
    assert plugin.event_to_string(b"e") == expected


@pytest.mark.clause("INIT-FAILURE")
@pytest.mark.parametrize("answer, rc", [(None, ReturnCode.FAILURE), (None, ReturnCode.SUCCESS), ("inst", ReturnCode.FAILURE),
                                        ("inst", ReturnCode.TIMEOUT)])
@pytest.mark.parametrize("last_error, said", [("bus unreachable", "bus unreachable"),
                                              ("", "open failed with no error message"),
                                              (None, "open failed with no error message")])
def test_open_fails_unless_it_returns_an_instance_and_success(answer, rc, last_error, said):
    plugin = load_plugin(RecordingLibrary(WELL_BEHAVED_SOURCE, open=(answer, rc), last_error=last_error))
    with pytest.raises(PluginCallError) as caught:
        plugin.open("p1")
    assert str(caught.value) == f"plugin ticker: cannot open event source with params 'p1': {said}"


@pytest.mark.clause("OPEN-PARAMS-LIST")
def test_a_failing_list_open_params_reports_the_last_error():
    plugin = load_plugin(RecordingLibrary(WITH_OPEN_PARAMS, list_open_params=("[]", ReturnCode.FAILURE),
                                          last_error="no devices"))
    with pytest.raises(PluginCallError) as caught:
        plugin.list_open_params()
    assert str(caught.value) == "error in plugin ticker: list_open_params has error no devices"


@pytest.mark.clause("EXTRACT-REQUEST")
def test_each_request_carries_the_fields_index_name_argument_and_type():
    library = RecordingLibrary(WELL_BEHAVED_SOURCE)
    plugin = load_plugin(library)
    count, label = plugin.info.field("ticker.count"), plugin.info.field("ticker.label")
    assert plugin.info.field("ticker.nope") is None
    plugin.extract(Event(b"{}", 1, 1), [(label, "a"), (count, "")])
    # get_fields lists ticker.count then ticker.label; uint64 is 8, string 9 (plugin-api.md §2.2)
    assert library.calls[-1] == ("extract_fields", library.state, [(1, "ticker.label", "a", 9),
                                                                   (0, "ticker.count", "", 8)])


@pytest.mark.clause("EXT-SOURCES")
def test_an_empty_extract_event_sources_names_the_library():
    library = DefinedLibrary(variant(WELL_BEHAVED_EXTRACTOR, extract_event_sources_json=""))
    with pytest.raises(LoadError) as caught:
        load_plugin(library)
    assert caught.value.clause == "EXT-SOURCES"
    assert str(caught.value) == ("cannot load plugin definition:tagger: error in plugin tagger: "
                                 "get_extract_event_sources returned an empty string")


SCHEMA = {"type": "object", "required": ["x"], "properties": {"x": {"type": "object", "properties": {
    "y": {"type": "integer"}}}}}


@pytest.mark.clause("INIT-SCHEMA")
@pytest.mark.parametrize("config, reason", [
    ("not json", "error in plugin ticker: init config is not a valid json"),
    ("{}", "error in plugin ticker init config: In <root>, 'x' is a required property"),
    ('{"x": {"y": "s"}}', "error in plugin ticker init config: In /x/y, 's' is not of type 'integer'"),
])
def test_init_config_errors_name_the_library_and_where_in_the_config(config, reason):
    with pytest.raises(LoadError) as caught:
        load_plugin(DefinedLibrary(variant(WELL_BEHAVED_SOURCE, init_schema=SCHEMA)), config)
    assert caught.value.clause == "INIT-SCHEMA"
    assert str(caught.value) == f"cannot load plugin definition:ticker: {reason}"


@pytest.mark.clause("INIT-FAILURE")
def test_a_failed_init_reads_the_last_error_then_destroys_the_state():
    from reference.host.loader import LoadedPlugin, read_info

    library = RecordingLibrary(variant(WELL_BEHAVED_SOURCE, init_error="no bus"))
    plugin = LoadedPlugin(library, read_info(library))
    with pytest.raises(LoadError) as caught:
        plugin.init("")
    assert str(caught.value) == "cannot load plugin definition:ticker: Could not initialize plugin: no bus"
    assert library.calls == [("init", ""), ("get_last_error", library.state), ("destroy", library.state)]
    assert plugin.lifecycle.state is State.DESTROYED


class SchemaLibrary(DefinedLibrary):
    def __init__(self, definition, answer):
        super().__init__(variant(definition, init_schema={}), "lib.so")  # exports plugin_get_init_schema
        self.answer = answer

    def get_init_schema(self):
        return self.answer


@pytest.mark.clause("INIT-SCHEMA")
@pytest.mark.parametrize("answer, reason", [
    (('{"type": "object"}', 7), "error in plugin ticker: get_init_schema returned an unknown schema type 7"),
    (("[1]", 1), "error in plugin ticker: get_init_schema did not return a json object"),
    (("{", 1), "error in plugin ticker: get_init_schema did not return a json object"),
])
def test_schema_errors_name_the_library(answer, reason):
    with pytest.raises(LoadError) as caught:
        load_plugin(SchemaLibrary(WELL_BEHAVED_SOURCE, answer))
    assert str(caught.value) == f"cannot load plugin lib.so: {reason}"
    assert caught.value.clause == "INIT-SCHEMA"


@pytest.mark.clause("INIT-SCHEMA")
def test_an_invalid_schema_names_the_library():
    with pytest.raises(LoadError) as caught:
        load_plugin(SchemaLibrary(WELL_BEHAVED_SOURCE, ('{"type": 12}', 1)))
    assert str(caught.value).startswith("cannot load plugin lib.so: error in plugin ticker: get_init_schema returned "
                                        "an invalid JSON schema: ")


@pytest.mark.clause("INIT-SCHEMA")
def test_a_schema_of_type_none_is_no_schema_whatever_its_text():
    plugin = load_plugin(SchemaLibrary(WELL_BEHAVED_SOURCE, ('{"type": "object", "required": ["x"]}', 0)), "free")
    assert plugin.info.init_schema is None


@pytest.mark.clause("PLUGIN-INFO-STRINGS", "PLUGIN-SYMBOLS")
@pytest.mark.parametrize("change, reason", [
    ({"name": None}, "plugin_get_name returned NULL"),
    ({"description": None}, "plugin_get_description returned NULL"),
    ({"contact": None}, "plugin_get_contact returned NULL"),
    ({"version": None}, "plugin_get_version returned NULL"),
    ({"omit_symbols": ["plugin_get_required_api_version"]}, "Could not resolve plugin_get_required_api_version function"),
    ({"omit_symbols": ["plugin_get_type"]}, "Could not resolve plugin_get_type function"),
    ({"omit_symbols": ["plugin_get_name"]}, "Dynamic library symbol plugin_get_name not present"),
])
def test_info_errors_name_the_library(change, reason):
    with pytest.raises(LoadError) as caught:
        load_plugin(DefinedLibrary(variant(WELL_BEHAVED_SOURCE, **change), "lib.so"))
    assert str(caught.value) == f"cannot load plugin lib.so: {reason}"


@pytest.mark.clause("INIT-FAILURE")
def test_init_returning_null_leaves_nothing_to_destroy():
    from reference.host.loader import LoadedPlugin, read_info

    library = RecordingLibrary(variant(WELL_BEHAVED_SOURCE, init_returns_null=True))
    plugin = LoadedPlugin(library, read_info(library))
    with pytest.raises(LoadError) as caught:
        plugin.init("")
    assert str(caught.value) == ("cannot load plugin definition:ticker: Could not initialize plugin: Plugin handle or "
                                 "get_last_error function not defined")
    assert library.calls == [("init", "")] and plugin.lifecycle.state is State.DESTROYED


@pytest.mark.clause("INIT-FAILURE")
@pytest.mark.parametrize("last_error", [None, 7])
def test_a_last_error_that_is_no_string_reads_as_empty(last_error):
    from reference.host.loader import LoadedPlugin, read_info

    library = RecordingLibrary(variant(WELL_BEHAVED_SOURCE, init_error="x"), last_error=last_error)
    plugin = LoadedPlugin(library, read_info(library))
    with pytest.raises(LoadError) as caught:
        plugin.init("")
    assert str(caught.value) == "cannot load plugin definition:ticker: Could not initialize plugin: "
