"""Every call of the 0.3.0 Python SDK's adapter (reference/sdk.py), in-process: the symbols each plugin class
exports (api §2.2 symbol sets), its info and fields JSON, and how each call reports a plugin's failure
(clause SDK-EXCEPTIONS: EndOfStream is EOF and sticky, Timeout is TIMEOUT, any other exception FAILURE with its
message, or its type's name, as last error; a value of the wrong type is FAILURE; None is no value).
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.contract.v0_3 import Event, ExtractRequest, FieldType
from reference.sdk import (TIMEOUT, EndOfStream, ExtractorPlugin, GeneratorInstance, Instance, Plugin,
                           PythonLibrary, SourcePlugin, Timeout, declared_fields, field)

pytestmark = pytest.mark.clause("SDK-EXCEPTIONS")

SUCCESS, FAILURE, TIMEOUT_RC, EOF = 0, 1, -1, 2  # ss_plugin_rc
UINT64, STRING = 8, 9                             # ss_plugin_field_type

SOURCE_REQUIRED = {"plugin_get_required_api_version", "plugin_get_type", "plugin_init", "plugin_destroy",
                   "plugin_get_last_error", "plugin_get_id", "plugin_get_name", "plugin_get_description",
                   "plugin_get_contact", "plugin_get_version", "plugin_get_event_source", "plugin_open",
                   "plugin_close", "plugin_next_batch", "plugin_event_to_string"}
EXTRACTOR_REQUIRED = {"plugin_get_required_api_version", "plugin_get_type", "plugin_init", "plugin_destroy",
                      "plugin_get_last_error", "plugin_get_name", "plugin_get_description", "plugin_get_contact",
                      "plugin_get_version", "plugin_get_fields", "plugin_extract_fields"}


class Bare(SourcePlugin):
    """A source plugin with nothing optional."""
    id = 7
    name = "bare"
    event_source = "bare"

    def open(self, params):
        return GeneratorInstance([])


class Full(SourcePlugin):
    id = 2**30 + 9
    name = "full"
    description = "every optional part"
    contact = "https://example.invalid"
    version = "2.3.4"
    event_source = "full"
    init_schema = {"type": "object"}
    reports_progress = True

    def init(self, config):
        self.config = config
        if config == "fail":
            raise RuntimeError("config says fail")
        if config == "silent":
            raise KeyError()  # no message: the last error is the type's name

    def open(self, params):
        if params == "refuse":
            raise OSError("no such stream")
        return Progressing()

    def list_open_params(self):
        if self.config == "no params":
            return None
        if self.config == "broken params":
            raise ValueError("cannot list")
        return [{"value": "a", "desc": "the a stream"}]

    def event_to_string(self, data):
        if data == b"bad":
            raise ValueError("unreadable")
        return data.decode().upper()

    @field("full.num", "uint64", "a number", display="Number")
    def num(self, event, arg):
        return {b"none": None, b"notnum": None, b"zero": 0, b"str": "7", b"neg": -1, b"big": 2**64, b"max": 2**64 - 1,
                b"true": True}.get(event.data, len(event.data))

    @field("full.text", "string", "a text", arg_required=True, properties=("hidden", "conversation"))
    def text(self, event, arg):
        if event.data == b"raise":
            raise LookupError("no text")
        if event.data == b"silent":
            raise LookupError()
        return {b"none": None, b"nul": "a\0b", b"num": 5}.get(event.data, f"{event.data.decode()}[{arg}]")

    def destroy(self):
        if self.config == "bad destroy":
            raise RuntimeError("destroy fails")
        self.destroyed = True


class Progressing(Instance):
    def __init__(self):
        self.batches = [[Event(b"1", 1)], [Event(b"2", 2), Event(b"3", 3)]]

    def next_batch(self):
        if not self.batches:
            raise EndOfStream()
        batch = self.batches.pop(0)
        if batch[0].data == b"2" and not getattr(self, "timed_out", False):
            self.timed_out = True
            self.batches.insert(0, batch)
            raise Timeout()
        return batch

    def progress(self):
        return ("50.00", 5000)

    def close(self):
        raise RuntimeError("close fails")


class Tagger(ExtractorPlugin):
    name = "tagger"

    @field("tag.name", "string", "the tag")
    def tag(self, event, arg):
        return "t"


# --- declarations ---

def test_a_field_type_other_than_uint64_or_string_is_refused():
    with pytest.raises(ValueError) as caught:
        field("x.y", "int64", "no")
    assert str(caught.value) == "field x.y: type must be one of ['string', 'uint64'], not 'int64'"


def test_the_fields_json_has_the_optional_keys_only_when_set():
    assert json.loads(PythonLibrary(Full).get_fields()) == [
        {"type": "uint64", "name": "full.num", "desc": "a number", "display": "Number"},
        {"type": "string", "name": "full.text", "desc": "a text", "argRequired": True,
         "properties": ["hidden", "conversation"]},
    ]
    assert PythonLibrary(Bare).get_fields() == "[]"


def test_each_declaration_option_reaches_the_fields_json():
    # Declared here, not at import: the decorator runs inside the test.
    class Declared(SourcePlugin):
        @field("d.plain", "string", "plain text")
        def plain(self, event, arg):
            return "p"

        @field("d.all", "uint64", "all options", display="All", arg_required=True, properties=["a", "b"])
        def every(self, event, arg):
            return 1

    assert json.loads(PythonLibrary(Declared).get_fields()) == [
        {"type": "string", "name": "d.plain", "desc": "plain text"},
        {"type": "uint64", "name": "d.all", "desc": "all options", "display": "All", "argRequired": True,
         "properties": ["a", "b"]},
    ]
    [(plain, _), (every, _)] = declared_fields(Declared)
    assert (plain.display, plain.arg_required, plain.properties) == ("", False, ())
    assert every.properties == ("a", "b")


def test_fields_of_base_classes_come_first_and_a_redefined_one_keeps_its_place_with_its_new_declaration():
    class Child(Full):
        @field("child.extra", "uint64", "more")
        def extra(self, event, arg):
            return 1

        @field("full.num", "uint64", "redefined")
        def num(self, event, arg):
            return 2

    assert [(d.name, attr) for d, attr in declared_fields(Child)] == [
        ("full.num", "num"), ("full.text", "text"), ("child.extra", "extra")]
    assert [d.name for d, _ in Child.field_methods()] == ["full.num", "full.text", "child.extra"]
    # the subclass's declaration, not the base's, describes the field it now extracts
    assert json.loads(PythonLibrary(Child).get_fields())[0] == {"type": "uint64", "name": "full.num",
                                                                "desc": "redefined"}


def test_a_field_method_redefined_under_another_field_name_replaces_the_base_field_in_its_place():
    class Renamed(Full):
        @field("renamed.num", "uint64", "the same method, another field")
        def num(self, event, arg):
            return 3

    assert [d.name for d, _ in declared_fields(Renamed)] == ["renamed.num", "full.text"]


# --- exported symbols (api §2.2) ---

def test_a_source_plugin_exports_the_required_symbols_and_the_optional_ones_it_has():
    assert PythonLibrary(Bare).symbols == SOURCE_REQUIRED
    assert PythonLibrary(Full).symbols == SOURCE_REQUIRED | {
        "plugin_get_init_schema", "plugin_get_fields", "plugin_extract_fields", "plugin_get_progress",
        "plugin_list_open_params"}


def test_an_extractor_exports_its_required_symbols_and_the_optional_ones_it_has():
    assert PythonLibrary(Tagger).symbols == EXTRACTOR_REQUIRED

    class Everything(Tagger):
        init_schema = {"type": "object"}
        extract_event_sources = []

    assert PythonLibrary(Everything).symbols == EXTRACTOR_REQUIRED | {"plugin_get_init_schema",
                                                                       "plugin_get_extract_event_sources"}


def test_the_base_plugin_class_names_no_symbols():
    with pytest.raises(NotImplementedError):
        Plugin.exported_symbols()


# --- info calls ---

def test_info_calls_answer_the_class_attributes():
    library = PythonLibrary(Full)
    assert library.location == f"{__name__}.Full"
    assert PythonLibrary(Full, "somewhere.py").location == "somewhere.py"
    assert library.get_required_api_version() == "0.3.0"
    assert (library.get_type(), library.get_id(), library.get_name(), library.get_description(),
            library.get_contact(), library.get_version(), library.get_event_source()) == \
        (1, 2**30 + 9, "full", "every optional part", "https://example.invalid", "2.3.4", "full")
    assert type(library.get_type()) is int
    assert library.get_init_schema() == ('{"type": "object"}', 1)
    assert PythonLibrary(Bare).get_init_schema() == ("", 0)
    assert PythonLibrary(Bare).get_version() == "0.0.0"
    assert PythonLibrary(Tagger).get_type() == 2
    assert PythonLibrary(Tagger).get_extract_event_sources() == "[]"

    class Sourced(Tagger):
        extract_event_sources = ["a", "b"]
    assert PythonLibrary(Sourced).get_extract_event_sources() == '["a", "b"]'

    class OddType(Bare):
        type = "source"  # not an integer: passed on for the loader to refuse (PLUGIN-ANSWER-TYPES)
    assert PythonLibrary(OddType).get_type() == "source"


# --- init, destroy, last error ---

def test_init_failures_become_the_last_error():
    library = PythonLibrary(Full)
    state, rc = library.init("fail")
    assert rc == FAILURE and library.get_last_error(state) == "config says fail"
    state, rc = library.init("silent")
    assert rc == FAILURE and library.get_last_error(state) == "KeyError"
    library.destroy(state)  # a failed init's state is destroyable
    state, rc = library.init("{}")
    assert rc == SUCCESS and library.get_last_error(state) == "" and state.plugin.config == "{}"
    library.destroy(state)
    assert state.plugin.destroyed


def test_a_failing_destroy_is_swallowed():
    library = PythonLibrary(Full)
    state, _ = library.init("bad destroy")
    library.destroy(state)
    assert not hasattr(state.plugin, "destroyed")


# --- open, next_batch, progress, close ---

def test_the_stream_maps_timeouts_and_the_end_and_eof_is_sticky():
    library = PythonLibrary(Full)
    state, _ = library.init("")
    instance, rc = library.open(state, "")
    assert rc == SUCCESS
    assert library.next_batch(state, instance) == (SUCCESS, [Event(b"1", 1)])
    assert library.next_batch(state, instance) == (TIMEOUT_RC, [])
    assert library.get_progress(state, instance) == ("50.00", 5000)
    assert library.next_batch(state, instance) == (SUCCESS, [Event(b"2", 2), Event(b"3", 3)])
    assert library.next_batch(state, instance) == (EOF, [])
    instance.batches = [[Event(b"9", 9)]]  # the instance would produce again: not asked
    assert library.next_batch(state, instance) == (EOF, [])
    library.close(state, instance)
    assert library.get_last_error(state) == "close fails"


def test_an_open_that_raises_fails_with_its_message():
    library = PythonLibrary(Full)
    state, _ = library.init("")
    assert library.open(state, "refuse") == (None, FAILURE)
    assert library.get_last_error(state) == "no such stream"


def test_a_next_batch_that_raises_anything_else_fails_with_its_message():
    class Broken(Instance):
        def next_batch(self):
            raise ZeroDivisionError("division by zero in the plugin")

    library = PythonLibrary(Full)
    state, _ = library.init("")
    assert library.next_batch(state, Broken()) == (FAILURE, [])
    assert library.get_last_error(state) == "division by zero in the plugin"
    assert library.next_batch(state, Broken()) == (FAILURE, [])  # a failure is not sticky like EOF


def test_the_default_instance_reports_no_progress_and_closes_quietly():
    instance = Instance()
    assert instance.progress() == ("", 0)
    assert instance.close() is None
    with pytest.raises(NotImplementedError):
        instance.next_batch()
    library = PythonLibrary(Bare)
    state, _ = library.init("")
    library.close(state, instance)
    assert library.get_last_error(state) == ""


# --- the generator instance ---

def events(n: int) -> list[Event]:
    return [Event(str(i).encode(), i) for i in range(n)]


def drain(instance) -> list:
    """What successive next_batch calls give, up to the end: batches, "timeout", then "eof"."""
    seen = []
    while True:
        try:
            seen.append(instance.next_batch())
        except Timeout:
            seen.append("timeout")
        except EndOfStream:
            seen.append("eof")
            return seen


def test_a_generator_batch_holds_at_most_batch_size_events():
    assert drain(GeneratorInstance(events(5), batch_size=2)) == [events(5)[0:2], events(5)[2:4], events(5)[4:], "eof"]
    assert drain(GeneratorInstance(events(4), batch_size=2)) == [events(4)[0:2], events(4)[2:], "eof"]
    assert drain(GeneratorInstance(events(40))) == [events(40)[0:16], events(40)[16:32], events(40)[32:], "eof"]
    assert drain(GeneratorInstance([])) == ["eof"]


def test_a_timeout_ends_the_batch_and_is_reported_next():
    stream = [Event(b"a", 1), TIMEOUT, Event(b"b", 2), TIMEOUT, TIMEOUT, Event(b"c", 3)]
    assert drain(GeneratorInstance(stream, batch_size=5)) == [
        [Event(b"a", 1)], "timeout", [Event(b"b", 2)], "timeout", "timeout", [Event(b"c", 3)], "eof"]
    assert drain(GeneratorInstance([TIMEOUT, Event(b"x", 1)])) == ["timeout", [Event(b"x", 1)], "eof"]


@given(st.lists(st.one_of(st.just(TIMEOUT), st.integers(0, 99)), max_size=30), st.integers(1, 6))
def test_batches_keep_every_event_in_order(items, batch_size):
    stream = [item if item is TIMEOUT else Event(b"%d" % item, item) for item in items]
    seen = drain(GeneratorInstance(stream, batch_size=batch_size))
    assert seen[-1] == "eof" and seen.count("eof") == 1
    batches = [s for s in seen if s not in ("timeout", "eof")]
    assert all(1 <= len(b) <= batch_size for b in batches)
    assert [e for b in batches for e in b] == [e for e in stream if e is not TIMEOUT]
    assert seen.count("timeout") == stream.count(TIMEOUT)


# --- event_to_string, extract_fields, list_open_params ---

def test_event_to_string_failures_give_an_empty_text_and_the_last_error():
    library = PythonLibrary(Full)
    state, _ = library.init("")
    assert library.event_to_string(state, b"ok") == "OK"
    assert library.event_to_string(state, b"bad") == ""
    assert library.get_last_error(state) == "unreadable"
    bare_state, _ = PythonLibrary(Bare).init("")
    assert PythonLibrary(Bare).event_to_string(bare_state, b"caf\xc3\xa9 \xff") == "caf\u00e9 \ufffd"


def request(field_id, name="full.num", arg="", ftype=UINT64):
    return ExtractRequest(field_id, name, arg, FieldType(ftype))


def test_extracted_values_go_to_the_slot_of_their_type():
    library = PythonLibrary(Full)
    state, _ = library.init("")
    num, text = request(0), request(1, "full.text", "k", STRING)
    assert library.extract_fields(state, Event(b"abc"), [num, text]) == SUCCESS
    assert (num.field_present, num.res_u64, num.res_str) == (True, 3, None)
    assert (text.field_present, text.res_str, text.res_u64) == (True, "abc[k]", None)
    top, zero = request(0), request(0)
    assert library.extract_fields(state, Event(b"max"), [top]) == SUCCESS and top.res_u64 == 2**64 - 1
    assert library.extract_fields(state, Event(b"zero"), [zero]) == SUCCESS
    assert (zero.field_present, zero.res_u64) == (True, 0)


def test_none_is_no_value_and_the_next_fields_are_still_extracted():
    library = PythonLibrary(Full)
    state, _ = library.init("")
    num, text = request(0), request(1, "full.text", "", STRING)
    num.field_present = True  # left over from an earlier call
    assert library.extract_fields(state, Event(b"none"), [num, text]) == SUCCESS
    assert (num.field_present, num.res_u64) == (False, None)
    assert (text.field_present, text.res_str) == (False, None)
    after = request(1, "full.text", "x", STRING)
    assert library.extract_fields(state, Event(b"notnum"), [request(0), after]) == SUCCESS
    assert (after.field_present, after.res_str) == (True, "notnum[x]")


@pytest.mark.parametrize("data, field_id, said", [
    (b"str", 0, "field full.num is uint64 but the plugin returned '7'"),
    (b"neg", 0, "field full.num is uint64 but the plugin returned -1"),
    (b"big", 0, f"field full.num is uint64 but the plugin returned {2**64}"),
    (b"true", 0, "field full.num is uint64 but the plugin returned True"),
    (b"nul", 1, "field full.text is string but the plugin returned 'a\\x00b'"),
    (b"num", 1, "field full.text is string but the plugin returned 5"),
    (b"raise", 1, "no text"),
    (b"silent", 1, "LookupError"),
])
def test_a_wrong_value_or_an_exception_fails_the_call_with_the_reason(data, field_id, said):
    library = PythonLibrary(Full)
    state, _ = library.init("")
    ftype = UINT64 if field_id == 0 else STRING
    assert library.extract_fields(state, Event(data), [request(field_id, ftype=ftype)]) == FAILURE
    assert library.get_last_error(state) == said


@pytest.mark.parametrize("field_id", [-1, 2, 99])
def test_a_field_id_the_plugin_does_not_declare_fails_the_call(field_id):
    library = PythonLibrary(Full)
    state, _ = library.init("")
    assert library.extract_fields(state, Event(b"x"), [request(0), request(field_id, "nope.field")]) == FAILURE
    assert library.get_last_error(state) == "no known field: nope.field"


def test_list_open_params_is_json_and_its_failure_the_last_error():
    library = PythonLibrary(Full)
    state, _ = library.init("")
    assert library.list_open_params(state) == ('[{"value": "a", "desc": "the a stream"}]', SUCCESS)
    state, _ = library.init("no params")
    assert library.list_open_params(state) == ("[]", SUCCESS)
    state, _ = library.init("broken params")
    assert library.list_open_params(state) == ("", FAILURE)
    assert library.get_last_error(state) == "cannot list"
