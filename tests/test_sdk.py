"""The Python SDK (SDK-EXCEPTIONS) and the bundled Python plugins."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fake_plugins.json_extractor import JsonExtractor, resolve_pointer, _MISSING
from reference.contract.v0_3 import Event, ExtractRequest, FieldType, ReturnCode
from reference.host.engine import EventStream
from reference.host.libraries import open_library
from reference.host.registry import PluginRegistry
from reference.sdk import (EndOfStream, GeneratorInstance, PythonLibrary, SourcePlugin, TIMEOUT,
                           field)


class Flaky(SourcePlugin):
    id = 2**30 + 50
    name = "flaky"
    event_source = "flaky"
    version = "1.0.0"

    def init(self, config):
        if config == "fail":
            raise RuntimeError("config says fail")

    def open(self, params):
        return GeneratorInstance([Event(b"1", 1), TIMEOUT, Event(b"2", 2), Event(b"3", 3)], batch_size=5)

    @field("flaky.value", "uint64", "the payload as a number")
    def value(self, event, arg):
        if event.data == b"bad":
            raise ValueError("cannot read payload")
        if event.data == b"wrongtype":
            return "not a number"
        return int(event.data)


@pytest.mark.clause("SDK-EXCEPTIONS")
def test_exceptions_become_return_codes_and_last_error():
    library = PythonLibrary(Flaky)
    state, rc = library.init("fail")
    assert rc == ReturnCode.FAILURE and library.get_last_error(state) == "config says fail"
    state, rc = library.init("")
    instance, rc = library.open(state, "")
    assert library.next_batch(state, instance) == (ReturnCode.SUCCESS, [Event(b"1", 1)])
    assert library.next_batch(state, instance) == (ReturnCode.TIMEOUT, [])
    assert library.next_batch(state, instance) == (ReturnCode.SUCCESS, [Event(b"2", 2), Event(b"3", 3)])
    assert library.next_batch(state, instance) == (ReturnCode.EOF, [])
    assert library.next_batch(state, instance) == (ReturnCode.EOF, [])  # EOF is sticky

    request = ExtractRequest(0, "flaky.value", "", FieldType.UINT64)
    assert library.extract_fields(state, Event(b"bad"), [request]) == ReturnCode.FAILURE
    assert library.get_last_error(state) == "cannot read payload"
    assert library.extract_fields(state, Event(b"wrongtype"), [request]) == ReturnCode.FAILURE
    assert "is uint64" in library.get_last_error(state)


@pytest.mark.clause("SDK-EXCEPTIONS")
def test_sdk_plugin_exports_what_its_type_needs():
    library = PythonLibrary(Flaky)
    assert {"plugin_next_batch", "plugin_get_fields", "plugin_extract_fields"} <= library.symbols
    assert "plugin_get_init_schema" not in library.symbols
    assert json.loads(library.get_fields()) == [{"type": "uint64", "name": "flaky.value",
                                                 "desc": "the payload as a number"}]


@pytest.mark.clause("SDK-EXCEPTIONS")
@given(st.integers(1, 50), st.integers(1, 7))
def test_batching_never_changes_the_event_stream(max_events, batch_size):
    registry = PluginRegistry()
    counter = registry.load(open_library("fake_plugins.counter"),
                            json.dumps({"max_events": max_events, "batch_size": batch_size}))
    counter.open("5")
    numbers = [json.loads(e.data)["n"] for e in EventStream(counter)]
    assert numbers == list(range(5, 5 + max_events))


# The RFC 6901 examples and the json plugin's own expectations (plugins-and-sdks.md §2.4).
RFC_DOCUMENT = {"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6,
                " ": 7, "m~n": 8}


@pytest.mark.parametrize("pointer, value", [("", RFC_DOCUMENT), ("/foo", ["bar", "baz"]), ("/foo/0", "bar"),
                                            ("/", 0), ("/a~1b", 1), ("/c%d", 2), ("/e^f", 3), ("/g|h", 4),
                                            ("/i\\j", 5), ("/k\"l", 6), ("/ ", 7), ("/m~0n", 8),
                                            ("/foo/2", _MISSING), ("/foo/01", _MISSING), ("nope", _MISSING)])
def test_rfc6901_pointers(pointer, value):
    assert resolve_pointer(RFC_DOCUMENT, pointer) == value or (value is _MISSING and
                                                               resolve_pointer(RFC_DOCUMENT, pointer) is _MISSING)


@pytest.mark.parametrize("arg, expected", [("/value", "hello"), ("/list/0/intvalue", "1"),
                                           ("/list/0/floatvalue", "2.5"), ("/~0~1escaped", 'hello"2'),
                                           ("invalid_pointer", None),
                                           ("", '{"list":[{"intvalue":1,"floatvalue":2.5}],"value":"hello",'
                                                '"~/escaped":"hello\\"2"}')])
def test_json_value(arg, expected):
    document = b'{"list":[{"intvalue":1,"floatvalue":2.5}],"value":"hello","~/escaped":"hello\\"2"}'
    library = PythonLibrary(JsonExtractor)
    state, _ = library.init("")
    request = ExtractRequest(0, "json.value", arg, FieldType.STRING)
    assert library.extract_fields(state, Event(document, 7, 1), [request]) == ReturnCode.SUCCESS
    assert request.value == expected


def test_json_extractor_ignores_payloads_that_are_not_json():
    library = PythonLibrary(JsonExtractor)
    state, _ = library.init("")
    requests = [ExtractRequest(i, n, "", FieldType.STRING) for i, n in enumerate(["json.value", "json.obj",
                                                                                  "json.rawtime"])]
    assert library.extract_fields(state, Event(b"k=v", 7, 1), requests) == ReturnCode.SUCCESS
    assert [r.value for r in requests] == [None, None, None]


class Relapsing(SourcePlugin):
    """Its instance ends, then would produce again: the SDK must not ask it."""
    id = 2**30 + 51
    name = "relapsing"
    event_source = "relapsing"
    version = "1.0.0"

    def open(self, params):
        class Instance(GeneratorInstance):
            calls = 0

            def next_batch(self):
                Instance.calls += 1
                if Instance.calls == 1:
                    raise EndOfStream()
                return [Event(b"late", 1)]

        return Instance([])


@pytest.mark.clause("SDK-EXCEPTIONS")
def test_eof_is_final_even_if_the_instance_would_produce_again():
    library = PythonLibrary(Relapsing)
    state, _ = library.init("")
    instance, _ = library.open(state, "")
    assert library.next_batch(state, instance) == (ReturnCode.EOF, [])
    assert library.next_batch(state, instance) == (ReturnCode.EOF, [])
