"""The 3.12 loader and the 3.x plugin driver (reference/host/loader_v3.py), against a scripted library: a
Python object answering the 3.x calls as a test sets them, so that each step of plugin_loader.c and each host
check is seen on its own, with libs' texts (plugin-api.md §1.5, §3.2, §4.1; docs/spec.md V3-* clauses).
"""
from __future__ import annotations

import json
import struct

import pytest

from reference.contract.lifecycle import State
from reference.contract.v0_3 import Event, ReturnCode
from reference.contract.v3 import Capability, ScapEvent, encode_plugin_event
from reference.errors import LoadError, PluginCallError
from reference.host.loader_v3 import (LoadedPluginV3, Owner, PluginInfoV3, detect_capabilities, event_info_fallback,
                                      read_info_v3, unsupported_warning)

COMMON = {"plugin_get_required_api_version", "plugin_get_version", "plugin_get_name", "plugin_get_description",
          "plugin_get_contact", "plugin_init", "plugin_destroy", "plugin_get_last_error"}
SOURCING = {"plugin_open", "plugin_close", "plugin_next_batch", "plugin_get_id", "plugin_get_event_source"}
EXTRACTION = {"plugin_get_fields", "plugin_extract_fields"}
FIELDS = json.dumps([{"type": "uint64", "name": "s.n", "desc": "n"},
                     {"type": "string", "name": "s.l", "desc": "l", "isList": True},
                     {"type": "string", "name": "s.k", "desc": "k", "arg": {"isKey": True, "isRequired": True}}])


class Scripted:
    """A 3.x library whose answers are attributes; `calls` records what the framework asked."""

    location = "scripted.so"

    def __init__(self, symbols=COMMON | SOURCING | EXTRACTION, **answers):
        self.symbols = frozenset(symbols)
        self.answers = {"get_required_api_version": "3.12.0", "get_version": "1.0.0", "get_name": "s",
                        "get_description": "d", "get_contact": "c", "get_id": 77, "get_event_source": "src",
                        "get_fields": FIELDS, "get_extract_event_sources": None, "get_extract_event_types": [],
                        "get_required_event_schema_version": None, "init": ("state", ReturnCode.SUCCESS),
                        "get_last_error": "init went wrong", "open": ("instance", ReturnCode.SUCCESS),
                        "next_batch": (ReturnCode.SUCCESS, []), "event_to_string": "text",
                        "extract": {}, "extract_rc": ReturnCode.SUCCESS, **answers}
        self.calls: list = []

    def __getattr__(self, call):
        answers = self.__dict__["answers"]
        if call not in answers:
            raise AttributeError(call)

        def answer(*args):
            self.calls.append((call,) + args)
            return answers[call]
        return answer

    def extract_fields(self, state, event, requests):
        self.calls.append(("extract_fields", state, event, [(r.field, r.arg_key, r.arg_index, r.arg_present, r.flist)
                                                            for r in requests]))
        for request in requests:
            request.values = list(self.answers["extract"].get(request.field, []))
        return self.answers["extract_rc"]

    def destroy(self, state):
        self.calls.append(("destroy", state))

    def close(self, state, instance):
        self.calls.append(("close", state, instance))


def _refusal(library) -> LoadError:
    with pytest.raises(LoadError) as error:
        read_info_v3(library)
    assert error.value.where == "scripted.so"
    return error.value


# Loading, step by step (V3-CONTRACT-DISPATCH, V3-REQUIRED-SYMBOLS, V3-CAPABILITIES, V3-SOURCE-ID)

@pytest.mark.clause("V3-CONTRACT-DISPATCH")
@pytest.mark.parametrize("required, message", [
    (None, "plugin provided an invalid required API version: 'None'"),
    ("3.12", "plugin provided an invalid required API version: '3.12'"),
    ("2.0.0", "plugin required API version '2.0.0' not compatible with the framework's API version '3.12.0': "
              "major versions disagree"),
    ("3.13.0", "plugin required API version '3.13.0' not compatible with the framework's API version '3.12.0': "
               "framework's minor is less than the requested one"),
    ("3.12.1", "plugin required API version '3.12.1' not compatible with the framework's API version '3.12.0': "
               "framework's patch is less than the requested one"),
])
def test_the_required_api_version_is_judged_first(required, message):
    error = _refusal(Scripted(get_required_api_version=required, get_version=None))
    assert (str(error), error.clause) == (f"cannot load plugin scripted.so: {message}", "V3-CONTRACT-DISPATCH")
    missing = _refusal(Scripted(symbols=COMMON - {"plugin_get_required_api_version"}))
    assert (missing.reason, missing.clause) == ("plugin_get_required_api_version symbol not implemented",
                                                "V3-CONTRACT-DISPATCH")


@pytest.mark.clause("V3-CONTRACT-DISPATCH")
@pytest.mark.parametrize("required", ["3.0.0", "3.11.9", "3.12.0", "3.12.0-rc1"])
def test_requests_the_framework_meets_load(required):
    assert read_info_v3(Scripted(get_required_api_version=required)).required_api_version == required


@pytest.mark.clause("V3-REQUIRED-SYMBOLS", "PLUGIN-VERSION-FORMAT", "PLUGIN-INFO-STRINGS")
def test_the_common_symbols_then_the_info_strings():
    order = ["version", "name", "description", "contact", "init", "destroy", "get_last_error"]
    for symbol in order:
        full = f"plugin_{symbol}" if symbol.startswith("get_") else f"plugin_{'get_' if symbol in order[:4] else ''}{symbol}"
        error = _refusal(Scripted(symbols=COMMON - {full}))
        assert (error.reason, error.clause) == (f"required symbol not implemented: '{full[7:]}'", "V3-REQUIRED-SYMBOLS")
    error = _refusal(Scripted(get_version="1.0"))
    assert (error.reason, error.clause) == ("plugin provided an invalid version string: '1.0'", "PLUGIN-VERSION-FORMAT")
    for call in ("get_version", "get_name", "get_description", "get_contact"):
        error = _refusal(Scripted(**{call: None}))
        assert (error.reason, error.clause) == (f"plugin_{call} returned NULL", "PLUGIN-INFO-STRINGS")
    error = _refusal(Scripted(get_name=5))
    assert error.reason == "plugin_get_name returned NULL"


@pytest.mark.clause("V3-CAPABILITIES")
@pytest.mark.parametrize("symbols, capabilities, errors", [
    (COMMON | SOURCING | EXTRACTION, Capability.SOURCING | Capability.EXTRACTION, []),
    (COMMON | {"plugin_open", "plugin_close", "plugin_next_batch"}, Capability.SOURCING, []),  # ID 0, no source
    (COMMON | {"plugin_open", "plugin_close"} | EXTRACTION, Capability.EXTRACTION | Capability.BROKEN,
     ["must implement all of 'plugin_open', 'plugin_close', and 'plugin_next_batch' (event sourcing)"]),
    (COMMON | {"plugin_next_batch"}, Capability.BROKEN,
     ["must implement all of 'plugin_open', 'plugin_close', and 'plugin_next_batch' (event sourcing)"]),
    (COMMON | {"plugin_extract_fields"}, Capability.BROKEN,
     ["must implement both 'plugin_get_fields' and 'plugin_extract_fields' (field extraction)"]),
    (COMMON | {"plugin_get_fields"}, Capability.NONE, []),  # get_fields alone is ignored
    (COMMON | {"plugin_parse_event"}, Capability.PARSING, []),
    (COMMON | {"plugin_get_async_events", "plugin_set_async_event_handler"}, Capability.ASYNC, []),
    (COMMON | {"plugin_set_async_event_handler"}, Capability.BROKEN,
     ["must implement both 'plugin_get_async_events' and 'plugin_set_async_event_handler' (async events)"]),
    (COMMON | {"plugin_get_async_events"}, Capability.NONE, []),
    (COMMON | {"plugin_capture_open", "plugin_capture_close"}, Capability.CAPTURE_LISTENING, []),
    (COMMON | {"plugin_capture_open"}, Capability.BROKEN,
     ["must implement both 'plugin_capture_open' and 'plugin_capture_close' (capture listening)"]),
    (COMMON | {"plugin_capture_close"}, Capability.NONE, []),
    (COMMON | SOURCING | EXTRACTION | {"plugin_parse_event", "plugin_get_async_events", "plugin_set_async_event_handler",
                                       "plugin_capture_open", "plugin_capture_close"},
     Capability.SOURCING | Capability.EXTRACTION | Capability.PARSING | Capability.ASYNC | Capability.CAPTURE_LISTENING,
     []),
    (COMMON | {"plugin_extract_fields", "plugin_set_async_event_handler", "plugin_capture_open"}, Capability.BROKEN,
     ["must implement both 'plugin_get_fields' and 'plugin_extract_fields' (field extraction)",
      "must implement both 'plugin_get_async_events' and 'plugin_set_async_event_handler' (async events)",
      "must implement both 'plugin_capture_open' and 'plugin_capture_close' (capture listening)"]),
])
def test_capabilities_come_from_the_symbols(symbols, capabilities, errors):
    assert detect_capabilities(Scripted(symbols=symbols)) == (capabilities, errors)


@pytest.mark.clause("V3-CAPABILITIES")
@pytest.mark.parametrize("answers, sourcing", [
    ({}, True), ({"get_id": 0, "get_event_source": ""}, True), ({"get_id": 0, "get_event_source": None}, True),
    ({"get_id": 0}, False), ({"get_event_source": ""}, False), ({"get_event_source": None}, False),
])
def test_a_sourcing_plugin_has_an_id_and_a_source_or_neither(answers, sourcing):
    caps, errors = detect_capabilities(Scripted(**answers))
    assert bool(caps & Capability.SOURCING) is sourcing
    assert errors == ([] if sourcing else
                      ["must implement both 'plugin_get_id' and 'plugin_get_event_source' or neither (event sourcing)"])
    only_source = Scripted(symbols=COMMON | SOURCING - {"plugin_get_id"})
    assert detect_capabilities(only_source)[1] == \
        ["must implement both 'plugin_get_id' and 'plugin_get_event_source' or neither (event sourcing)"]


@pytest.mark.clause("V3-CAPABILITIES")
def test_a_broken_or_capability_less_plugin_is_refused():
    error = _refusal(Scripted(symbols=COMMON | {"plugin_extract_fields", "plugin_capture_open"}))
    assert (error.reason, error.clause) == (
        "broken plugin capabilities: must implement both 'plugin_get_fields' and 'plugin_extract_fields' (field "
        "extraction), must implement both 'plugin_capture_open' and 'plugin_capture_close' (capture listening)",
        "V3-CAPABILITIES")
    error = _refusal(Scripted(symbols=COMMON))
    assert (error.reason, error.clause) == ("plugin does not implement any capability", "V3-CAPABILITIES")


@pytest.mark.clause("V3-SOURCE-ID", "V3-EXTRACT-SOURCES", "V3-FIELDS-JSON")
def test_what_the_loader_reads_of_a_plugin():
    info = read_info_v3(Scripted(symbols=COMMON | SOURCING | EXTRACTION | {"plugin_get_extract_event_sources",
                                                                            "plugin_parse_event"},
                                 get_extract_event_sources='["a", "", "src", "b"]'))
    assert (info.name, info.description, info.contact, info.version, info.type) == ("s", "d", "c", "1.0.0", None)
    assert (info.id, info.event_source, info.is_source, info.has_extraction) == (77, "src", True, True)
    assert info.extract_event_sources == ("a", "src", "b")  # empty names dropped, the own source once
    assert [f.name for f in info.fields] == ["s.n", "s.l", "s.k"]
    assert info.capabilities == Capability.SOURCING | Capability.EXTRACTION | Capability.PARSING
    assert info.capability_names() == ["sourcing", "extraction", "parsing"]
    assert info.unsupported == ("parsing",)
    assert (info.init_schema, info.init_schema_text) == (None, None)
    zero = read_info_v3(Scripted(get_id=0, get_event_source=""))
    assert (zero.id, zero.event_source, zero.extract_event_sources) == (0, "", ())
    no_id_symbol = read_info_v3(Scripted(symbols=COMMON | {"plugin_open", "plugin_close", "plugin_next_batch"}))
    assert (no_id_symbol.id, no_id_symbol.event_source, no_id_symbol.fields) == (0, "", ())
    extractor = read_info_v3(Scripted(symbols=COMMON | EXTRACTION))
    assert (extractor.id, extractor.event_source, extractor.is_source) == (None, None, False)
    first = read_info_v3(Scripted(get_id=1, get_event_source="first"))
    assert (first.id, first.event_source) == (1, "first")
    schema = '{"type": "object", "required": ["n"]}'
    with_schema = read_info_v3(Scripted(symbols=COMMON | SOURCING | {"plugin_get_init_schema"},
                                        get_init_schema=(schema, 1)))
    assert (with_schema.init_schema, with_schema.init_schema_text) == ({"type": "object", "required": ["n"]}, schema)


@pytest.mark.clause("V3-SOURCE-ID", "V3-EXTRACT-SOURCES", "V3-FIELDS-JSON")
@pytest.mark.parametrize("answers, reason, clause", [
    ({"get_id": 2**32}, f"plugin_get_id returned {2**32}, not a 32-bit unsigned ID", "V3-SOURCE-ID"),
    ({"get_id": -1}, "plugin_get_id returned -1, not a 32-bit unsigned ID", "V3-SOURCE-ID"),
    ({"get_id": "7"}, "plugin_get_id returned '7', not a 32-bit unsigned ID", "V3-SOURCE-ID"),
    ({"get_event_source": "syscall"}, "plugin can't implement the reserved event source 'syscall'", "V3-SOURCE-ID"),
    ({"get_id": 1, "get_event_source": "syscall"}, "plugin can't implement the reserved event source 'syscall'",
     "V3-SOURCE-ID"),
    ({"get_init_schema": ("[1]", 1)}, "error in plugin s: get_init_schema did not return a json object", "INIT-SCHEMA"),
    ({"get_fields": "[]"}, "error in plugin s: plugins with extraction capability must export at least one field",
     "V3-FIELDS-JSON"),
    ({"get_extract_event_sources": '{"a": 1}'}, "error in plugin s: 'get_extract_event_sources' did not return a json "
                                                "array", "V3-EXTRACT-SOURCES"),
    ({"get_extract_event_sources": '["a", 1]'}, "error in plugin s: 'get_extract_event_sources' did not return a json "
                                                "array", "V3-EXTRACT-SOURCES"),
    ({"get_extract_event_sources": "[oops"}, "error in plugin s: 'get_extract_event_sources' did not return a json "
                                             "array", "V3-EXTRACT-SOURCES"),
])
def test_what_the_loader_refuses_of_a_plugin(answers, reason, clause):
    error = _refusal(Scripted(symbols=COMMON | SOURCING | EXTRACTION | {"plugin_get_extract_event_sources",
                                                                         "plugin_get_init_schema"},
                              **{"get_init_schema": ("", 0), **answers}))
    assert (error.reason, error.clause) == (reason, clause)


@pytest.mark.clause("V3-EXTRACT-SOURCES")
@pytest.mark.parametrize("answer", [None, "", "[]"])
def test_no_extract_sources_is_the_empty_list(answer):
    info = read_info_v3(Scripted(symbols=COMMON | EXTRACTION | {"plugin_get_extract_event_sources"},
                                 get_extract_event_sources=answer))
    assert info.extract_event_sources == ()


@pytest.mark.clause("V3-CAPABILITIES")
def test_the_unsupported_warning_names_each_feature():
    info = read_info_v3(Scripted(symbols=COMMON | EXTRACTION | {"plugin_parse_event", "plugin_get_metrics",
                                                                  "plugin_capture_open", "plugin_capture_close"}))
    assert unsupported_warning(info) == ("plugin s: parsing, capture listening, metrics not yet supported by plugref: "
                                         "the plugin loads, but those functions are never called")
    assert unsupported_warning(read_info_v3(Scripted())) is None
    from conformance.harness import try_load
    from fake_plugins.misbehaving import WELL_BEHAVED_SOURCE

    plugin_0_3, _ = try_load(WELL_BEHAVED_SOURCE)
    assert unsupported_warning(plugin_0_3.info) is None and unsupported_warning(plugin_0_3) is None  # 0.3.0: none
    assert unsupported_warning(_loaded(Scripted(symbols=COMMON | SOURCING | {"plugin_get_metrics"}))) == \
        "plugin s: metrics not yet supported by plugref: the plugin loads, but those functions are never called"
    assert info.capability_names() == ["extraction", "parsing", "capture listening"]
    every = PluginInfoV3(required_api_version="3.12.0", type=None, name="e", description="", contact="",
                         version="1.0.0", fields=(), capabilities=Capability.SOURCING | Capability.EXTRACTION |
                         Capability.PARSING | Capability.ASYNC | Capability.CAPTURE_LISTENING)
    assert every.capability_names() == ["sourcing", "extraction", "parsing", "async", "capture listening"]


# Init, the owner and the event schema (V3-INIT-INPUT, V3-EVENT-SCHEMA)

def _loaded(library: Scripted, config: str = "") -> LoadedPluginV3:
    plugin = LoadedPluginV3(library, read_info_v3(library))
    plugin.init(config)
    return plugin


@pytest.mark.clause("V3-INIT-INPUT")
def test_init_gets_the_config_and_the_owner():
    library = Scripted()
    plugin = _loaded(library, "cfg")
    (call,) = [c for c in library.calls if c[0] == "init"]
    assert call == ("init", "cfg", plugin.owner)
    assert (plugin.owner.plugin_name, plugin.owner.last_error, plugin.owner.log) == ("s", None, [])
    assert plugin.lifecycle.state is State.INITIALISED


@pytest.mark.clause("V3-INIT-INPUT")
def test_a_failed_init_is_refused_with_the_plugin_last_error_and_destroyed():
    library = Scripted(init=("state", ReturnCode.FAILURE))
    plugin = LoadedPluginV3(library, read_info_v3(library))
    with pytest.raises(LoadError) as error:
        plugin.init("")
    assert (str(error.value), error.value.clause) == \
        ("cannot load plugin scripted.so: could not initialize plugin: init went wrong", "V3-INIT-INPUT")
    assert ("destroy", "state") in library.calls and plugin.lifecycle.state is State.DESTROYED


@pytest.mark.clause("V3-INIT-INPUT")
def test_init_without_a_state_is_refused_and_nothing_is_destroyed():
    library = Scripted(init=(None, ReturnCode.SUCCESS))
    plugin = LoadedPluginV3(library, read_info_v3(library))
    with pytest.raises(LoadError) as error:
        plugin.init("")
    assert (str(error.value), error.value.clause) == (
        "cannot load plugin scripted.so: could not initialize plugin: plugin handle or 'get_last_error' function "
        "not defined", "V3-INIT-INPUT")
    assert plugin.lifecycle.state is State.DESTROYED
    assert not [c for c in library.calls if c[0] in ("destroy", "get_last_error")]
    plugin.shutdown()
    assert not [c for c in library.calls if c[0] == "destroy"]


@pytest.mark.clause("V3-INIT-INPUT")
def test_the_owner_keeps_what_the_plugin_logs():
    owner = Owner("s")
    owner.log_message("comp", "hello", 6)
    owner.log_message(None, "no component", 42)  # a severity outside the enum is kept as given
    owner.log_message("", "empty component", 3)
    assert owner.log == [("comp", 6, "hello"), ("s", 42, "no component"), ("s", 3, "empty component")]
    assert type(owner.log[0][1]).__name__ == "LogSeverity" and type(owner.log[1][1]) is int


@pytest.mark.clause("V3-EVENT-SCHEMA", "V3-EXTRACT-SOURCES")
@pytest.mark.parametrize("answers, types, error", [
    ({}, frozenset({322}), None),                                                 # its own source: plugin events
    ({"get_extract_event_types": [2, 3], "get_required_event_schema_version": "4.0.0"}, frozenset({2, 3}), None),
    ({"get_extract_event_types": [322]}, frozenset({322}), None),                 # plugin events alone: no check
    ({"get_extract_event_types": [2]},
     frozenset({2}), "plugin s required event schema version '3.0.0' not compatible with the event schema version in "
                     "use '4.1.0': major versions disagree"),                     # the default, 3.0.0
    ({"get_extract_event_types": [2], "get_required_event_schema_version": "4.2.0"},
     frozenset({2}), "plugin s required event schema version '4.2.0' not compatible with the event schema version in "
                     "use '4.1.0': framework's minor is less than the requested one"),
    ({"get_extract_event_types": [2], "get_required_event_schema_version": "x"},
     frozenset({2}), "plugin s provided an invalid required event schema version: 'x'"),
    ({"get_extract_event_types": [2], "get_required_event_schema_version": 4},
     frozenset({2}), "plugin s provided an invalid required event schema version: '4'"),
])
def test_a_plugin_reading_libscap_events_is_held_to_the_schema(answers, types, error):
    library = Scripted(symbols=COMMON | SOURCING | EXTRACTION | {"plugin_get_extract_event_types",
                                                                 "plugin_get_required_event_schema_version"},
                       **answers)
    plugin = LoadedPluginV3(library, read_info_v3(library))
    if error is None:
        plugin.init("")
        assert plugin.extract_event_types == types
        assert ("get_extract_event_types", "state") in library.calls
        return
    with pytest.raises(LoadError) as refused:
        plugin.init("")
    assert (refused.value.where, refused.value.reason, refused.value.clause) == ("scripted.so", error, "V3-EVENT-SCHEMA")
    assert ("get_required_event_schema_version", "state") in library.calls
    assert ("destroy", "state") in library.calls


@pytest.mark.clause("V3-EVENT-SCHEMA", "V3-EXTRACT-SOURCES")
def test_the_codes_an_extractor_applies_to():
    def types(symbols=COMMON | EXTRACTION, **answers):
        library = Scripted(symbols=symbols | {"plugin_get_required_event_schema_version"},
                           get_required_event_schema_version="4.0.0", **answers)
        plugin = LoadedPluginV3(library, read_info_v3(library))
        assert plugin.extract_event_types is None  # not known before init
        plugin.init("")
        return plugin.extract_event_types

    assert types() is None                                              # no sources: every code
    with_sources = COMMON | EXTRACTION | {"plugin_get_extract_event_sources"}
    assert types(with_sources, get_extract_event_sources='["a"]') == frozenset({322})
    assert types(with_sources, get_extract_event_sources='["a", "syscall"]') is None
    assert types(COMMON | SOURCING) == frozenset()                      # no extraction: no codes


# Events (V3-EVENT-CHECKS)

def _batch(events, **answers) -> list[Event]:
    # an ID-0 plugin's fields apply to every code: it names the event schema it needs (V3-EVENT-SCHEMA)
    plugin = _loaded(Scripted(COMMON | SOURCING | EXTRACTION | {"plugin_get_required_event_schema_version"},
                              next_batch=(ReturnCode.SUCCESS, events), get_required_event_schema_version="4.0.0",
                              **answers))
    plugin.open("")
    return plugin.next_batch()[1]


def _raw(plugin_id, payload=b"p", ts=5, event_type=322, nparams=2, tid=9) -> bytes:
    """A libscap event of `nparams` parameters: the plugin ID and the payload first (as many as fit), then empty ones."""
    params = [struct.pack("<I", plugin_id), payload, *[b""] * (nparams - 2)][:nparams]
    body = b"".join(struct.pack("<I", len(p)) for p in params) + b"".join(params)
    return struct.pack("<QQIHI", ts, tid, 26 + len(body), event_type, nparams) + body


@pytest.mark.clause("V3-EVENT-CHECKS")
def test_a_plugin_event_becomes_its_payload_and_time():
    assert _batch([_raw(77, b"one", 10), _raw(0, b"two", 20)]) == [Event(b"one", 10), Event(b"two", 20)]


@pytest.mark.clause("V3-EVENT-CHECKS")
@pytest.mark.parametrize("raw, message", [
    (_raw(77, event_type=323), "malformed plugin event produced by plugin: 's'"),
    (_raw(77, nparams=3), "malformed plugin event produced by plugin: 's'"),
    (_raw(8), "unexpected plugin ID in plugin event: plugin='s', expected_id=77, actual_id=8"),
    (b"short", "malformed plugin event produced by plugin: 's' (5 bytes, less than the 26-byte event header)"),
])
def test_an_event_the_host_would_not_take_is_refused(raw, message):
    with pytest.raises(PluginCallError) as error:
        _batch([raw])
    assert str(error.value) == message


@pytest.mark.clause("V3-EVENT-CHECKS", "V3-SOURCE-ID")
@pytest.mark.parametrize("raw, message", [
    (_raw(0), "malformed plugin event produced by plugin (no ID): 's'"),
    (_raw(0, nparams=1), "malformed plugin event produced by plugin (no ID): 's'"),
    (_raw(5, event_type=3), "plugin 's' (ID 0, no specific source) produced an event of type 3: plugref delivers "
                            "plugin events (322) only; other libscap events are not yet supported"),
    (_raw(5), "plugin 's' (ID 0) produced an event of plugin ID 5: events on behalf of other sources are not yet "
              "supported by plugref"),
])
def test_an_id_zero_plugin_events_are_refused(raw, message):
    with pytest.raises(PluginCallError) as error:
        _batch([raw], get_id=0, get_event_source="")
    assert str(error.value) == message


@pytest.mark.clause("NEXT-BATCH-DEFERRED-RC")
def test_next_batch_answers_its_code_and_refuses_an_unknown_one():
    plugin = _loaded(Scripted(next_batch=(ReturnCode.EOF, [])))
    plugin.open("params")
    assert ("open", "state", "params") in plugin.library.calls
    assert plugin.next_batch() == (ReturnCode.EOF, [])
    assert ("next_batch", "state", "instance") in plugin.library.calls
    plugin.library.answers["next_batch"] = (ReturnCode.TIMEOUT, [])
    code, events = plugin.next_batch()
    assert (code, type(code), events) == (ReturnCode.TIMEOUT, ReturnCode, [])
    plugin.library.answers["next_batch"] = (9, [])
    with pytest.raises(PluginCallError) as error:
        plugin.next_batch()
    assert str(error.value) == "plugin s: next_batch returned the unknown code 9"


@pytest.mark.clause("V3-EVENT-FORMAT")
def test_the_event_input_a_plugin_receives():
    plugin = _loaded(Scripted())
    own = plugin.event_input(Event(b"data", 7, 3))
    assert (own.evtnum, own.evtsrc) == (3, "src")
    assert ScapEvent.decode(own.evt) == ScapEvent(7, 2**64 - 1, 322, (struct.pack("<I", 77), b"data"))

    other = Event(b"x", 1, 2)
    attributed = plugin.event_input(type("AttributedEvent", (), {"data": b"x", "ts": 1, "evtnum": 2,
                                                                 "plugin_id": 0, "source": ""})())
    assert (ScapEvent.decode(attributed.evt).plugin_id, attributed.evtsrc) == (0, "")
    extractor = _loaded(Scripted(symbols=COMMON | EXTRACTION | {"plugin_get_required_event_schema_version"},
                                 get_required_event_schema_version="4.0.0"))
    bare = extractor.event_input(other)
    assert (ScapEvent.decode(bare.evt).plugin_id, bare.evtsrc) == (0, "")


@pytest.mark.clause("V3-EVENT-FORMAT")
def test_event_to_string_falls_back_to_the_libs_text():
    plugin = _loaded(Scripted(symbols=COMMON | SOURCING | EXTRACTION | {"plugin_event_to_string"}))
    assert plugin.event_to_string(b"abc") == "text"
    (call,) = [c for c in plugin.library.calls if c[0] == "event_to_string"]
    # the framework has the data alone (as 0.3.0's event_to_string takes it): the event is the plugin's, at time 0
    assert call[1] == "state" and ScapEvent.decode(call[2].evt) == ScapEvent(0, 2**64 - 1, 322,
                                                                             (struct.pack("<I", 77), b"abc"))
    for answer in ("", None, 5):
        plugin.library.answers["event_to_string"] = answer
        assert plugin.event_to_string(b"abc") == "datalen=3 data=abc"
    without = _loaded(Scripted())
    assert without.event_to_string(b"abc") == "datalen=3 data=abc"
    assert not [c for c in without.library.calls if c[0] == "event_to_string"]


@pytest.mark.clause("V3-EVENT-FORMAT")
@pytest.mark.parametrize("data, text", [
    (b"", "datalen=0 data="),
    (b" ~", "datalen=2 data= ~"),                         # 32 and 126 are printable
    (b"x" * 50, "datalen=50 data=" + "x" * 50),
    (b"y" * 51, "datalen=51 data=" + "y" * 50 + "[...]"),
    (b"\x1f", "<binary>"), (b"a\x7f", "<binary>"), (b"\xff", "<binary>"),
])
def test_the_fallback_text_of_an_event(data, text):
    assert event_info_fallback(data) == text


# Extraction (V3-EXTRACT-ONE-FIELD, V3-FIELD-ARGS)

@pytest.mark.clause("V3-EXTRACT-ONE-FIELD", "V3-FIELD-ARGS")
def test_each_field_is_one_call_with_its_parsed_argument():
    plugin = _loaded(Scripted(extract={"s.n": [4], "s.l": ["a", "b"], "s.k": ["v"]}))
    n, listed, keyed = plugin.info.fields
    event = Event(b"p", 5, 1)
    assert plugin.extract(event, [(n, ""), (listed, ""), (keyed, "key")]) == [4, ("a", "b"), "v"]
    calls = [c[3] for c in plugin.library.calls if c[0] == "extract_fields"]
    assert calls == [[("s.n", None, 0, False, False)], [("s.l", None, 0, False, True)], [("s.k", "key", 0, True, False)]]
    assert plugin.extract_requests(event, [(n, "")]) == [4]
    assert plugin.prepare_request(n, "a") == (n, "a")
    # an argument the field refuses is no value (the filter or format that wrote it was refused already)
    assert plugin.extract(event, [(keyed, "")]) == [None]
    assert plugin.extract_together(plugin.event_input(event), [(n, None), (listed, None)]) == \
        (ReturnCode.SUCCESS, [4, ("a", "b")])


@pytest.mark.clause("V3-EXTRACT-ONE-FIELD", "EXTRACT-FAILURE-NO-VALUE")
def test_no_value_failure_and_too_many_values():
    plugin = _loaded(Scripted(extract={"s.n": [1, 2]}))
    n, listed, _ = plugin.info.fields
    event = Event(b"p", 5, 1)
    assert plugin.extract(event, [(listed, "")]) == [None]  # res_len 0: no value
    with pytest.raises(PluginCallError) as error:
        plugin.extract(event, [(n, "")])
    assert str(error.value) == \
        "plugin s: extract_fields returned 2 values for s.n, which is not a list field (res_len must be 0 or 1)"
    plugin.library.answers["extract_rc"] = ReturnCode.FAILURE
    assert plugin.extract_together(plugin.event_input(event), [(n, None), (listed, None)]) == \
        (ReturnCode.FAILURE, [None, None])


@pytest.mark.clause("V3-EXTRACT-SOURCES")
def test_an_extractor_of_other_codes_is_not_asked_about_plugin_events():
    library = Scripted(symbols=COMMON | EXTRACTION | {"plugin_get_extract_event_types",
                                                      "plugin_get_required_event_schema_version"},
                       get_extract_event_types=[2], get_required_event_schema_version="4.0.0", extract={"s.n": [1]})
    plugin = _loaded(library)
    assert plugin.extract(Event(b"p", 5, 1), [(plugin.info.fields[0], "")]) == [None]
    assert not [c for c in library.calls if c[0] == "extract_fields"]


@pytest.mark.clause("PLUGIN-LIFECYCLE")
def test_each_call_is_checked_against_the_lifecycle():
    from reference.errors import LifecycleError

    plugin = LoadedPluginV3(Scripted(), read_info_v3(Scripted()))
    for call, attempt in (("event_to_string", lambda: plugin.event_to_string(b"x")),
                          ("extract_fields", lambda: plugin.extract(Event(b"x", 1, 1), [(plugin.info.fields[0], "")]))):
        with pytest.raises(LifecycleError) as refused:
            attempt()
        assert refused.value.call == call and refused.value.state == "loaded"
    plugin.init("")
    with pytest.raises(LifecycleError, match="^plugin s: init is not allowed in state initialised"):
        plugin.init("")
    with pytest.raises(LifecycleError, match="^plugin s: next_batch is not allowed in state initialised"):
        plugin.next_batch()


@pytest.mark.clause("INIT-SCHEMA", "V3-INIT-INPUT")
def test_the_init_config_is_checked_against_the_schema_first():
    library = Scripted(symbols=COMMON | SOURCING | {"plugin_get_init_schema"},
                       get_init_schema=('{"type": "object"}', 1))
    plugin = LoadedPluginV3(library, read_info_v3(library))
    with pytest.raises(LoadError) as error:
        plugin.init("[")
    assert str(error.value) == "cannot load plugin scripted.so: error in plugin s: init config is not a valid json"
    assert not [c for c in library.calls if c[0] == "init"]
    plugin.init("")
    assert ("init", "{}", plugin.owner) in library.calls  # with a schema, no config is {}


@pytest.mark.clause("V3-EXTRACT-SOURCES", "V3-EXTRACT-ONE-FIELD")
def test_an_extractor_of_every_code_is_asked_about_plugin_events():
    library = Scripted(symbols=COMMON | EXTRACTION | {"plugin_get_required_event_schema_version"},
                       get_required_event_schema_version="4.0.0", extract={"s.n": [3]})
    plugin = _loaded(library)
    assert plugin.extract_event_types is None
    assert plugin.extract(Event(b"p", 5, 1), [(plugin.info.fields[0], "")]) == [3]
