"""Every call of the 3.x Python SDK's adapter (reference/sdk_v3.py), in-process: capabilities by the methods a
class defines (clause V3-SDK-CAPABILITIES), the fields JSON of 3.x (isList, arg, addOutput; api §2.1), events
encoded as 322 plugin events with plugin ID 0 (V3-EVENT-FORMAT), and the values of each field type checked at
the boundary, with failures reported as in the 0.3.0 SDK (SDK-EXCEPTIONS).
"""
from __future__ import annotations

import ipaddress
import json
import struct

import pytest

from reference.contract.field_types import AnyFieldType
from reference.contract.v0_3 import Event
from reference.contract.v3 import EventInput, ExtractRequestV3
from reference.sdk import EndOfStream, GeneratorInstance, Instance, Timeout
from reference.sdk_v3 import EventView, FieldArg, Plugin, PythonLibraryV3, field

pytestmark = pytest.mark.clause("V3-SDK-CAPABILITIES")

SUCCESS, FAILURE, TIMEOUT_RC, EOF = 0, 1, -1, 2
COMMON = {"plugin_get_required_api_version", "plugin_get_version", "plugin_get_name", "plugin_get_description",
          "plugin_get_contact", "plugin_init", "plugin_destroy", "plugin_get_last_error"}
SOURCING = {"plugin_open", "plugin_close", "plugin_next_batch", "plugin_get_id", "plugin_get_event_source"}
EXTRACTION = {"plugin_get_fields", "plugin_extract_fields"}


def plugin_event(plugin_id: int, payload: bytes, ts: int, tid: int = 2**64 - 1) -> bytes:
    """A PPME_PLUGINEVENT_E (type 322) written out from api §1.3: the 26-byte header (ts u64, tid u64, len u32,
    type u16, nparams u32), two u32 parameter lengths, the u32 plugin ID and the payload."""
    length = 26 + 8 + 4 + len(payload)
    return struct.pack("<QQIHI", ts, tid, length, 322, 2) + struct.pack("<III", 4, len(payload), plugin_id) + payload


class Nothing(Plugin):
    name = "nothing"


class Ticks(Plugin):
    id = 2**30 + 77
    name = "ticks"
    description = "ticks"
    contact = "c"
    version = "0.1.0"
    event_source = "ticks"
    init_schema = {"type": "object"}
    reports_progress = True
    extract_event_sources = ["ticks"]
    extract_event_types = [322]
    required_event_schema_version = "3.1.0"

    def init(self, config):
        self.config = config
        self.log("started")
        self.log("loud", 3)
        if config == "fail":
            raise RuntimeError("config says fail")
        if config == "silent":
            raise RuntimeError()

    def open(self, params):
        if params == "refuse":
            raise OSError("cannot open")
        if params == "raw":
            return GeneratorInstance([b"\x01" * 30])
        return GeneratorInstance([Event(b"a", 5), Event(b"bc", 6)], batch_size=4)

    def event_to_string(self, event: EventView) -> str:
        if event.data == b"bad":
            raise ValueError("unreadable")
        return f"{event.data.decode()} at {event.ts} #{event.evtnum} from {event.source} by {event.plugin_id}"

    def list_open_params(self):
        if self.config == "broken":
            raise ValueError("cannot list")
        return None if self.config == "none" else [{"value": "x"}]

    @field("ticks.n", "uint64", "n", display="N")
    def n(self, event, arg):
        return self.answer(event)

    @field("ticks.s", "string", "s", arg_key=True, arg_required=True, add_output=True, properties=("hidden",))
    def s(self, event, arg):
        return self.answer(event) if event.data != b"arg" else f"{arg.key}/{arg.index}/{arg.present}"

    @field("ticks.list", "uint64", "l", is_list=True, arg_index=True)
    def lst(self, event, arg):
        return self.answer(event)

    @field("ticks.b", "bool", "b")
    def b(self, event, arg):
        return self.answer(event)

    @field("ticks.ip", "ipaddr", "ip")
    def ip(self, event, arg):
        return self.answer(event)

    @field("ticks.net", "ipnet", "net")
    def net(self, event, arg):
        return self.answer(event)

    @field("ticks.rel", "reltime", "rel")
    def rel(self, event, arg):
        return self.answer(event)

    @field("ticks.abs", "abstime", "abs")
    def abs(self, event, arg):
        return self.answer(event)

    ANSWERS: dict = {}

    def answer(self, event):
        value = self.ANSWERS[event.data]
        if isinstance(value, Exception):
            raise value
        return value


class Host:
    def __init__(self):
        self.messages = []

    def log_message(self, component, message, severity):
        self.messages.append((component, message, severity))


def started(config="", owner=None):
    library = PythonLibraryV3(Ticks)
    state, rc = library.init(config, owner)
    return library, state, rc


# --- declarations and capabilities ---

def test_field_declarations_are_checked():
    with pytest.raises(ValueError) as caught:
        field("x.y", "int64", "d")
    assert str(caught.value) == ("field x.y: type must be one of ['abstime', 'bool', 'ipaddr', 'ipnet', 'reltime', "
                                 "'string', 'uint64'], not 'int64'")
    with pytest.raises(ValueError) as caught:
        field("x.y", "string", "d", arg_required=True)
    assert str(caught.value) == "field x.y: arg_required needs arg_index or arg_key"
    field("x.y", "string", "d", arg_required=True, arg_index=True)


def test_the_3x_fields_json_says_lists_args_and_outputs_only_when_set():
    fields = json.loads(PythonLibraryV3(Ticks).get_fields())
    assert fields[:3] == [
        {"type": "uint64", "name": "ticks.n", "desc": "n", "display": "N"},
        {"type": "string", "name": "ticks.s", "desc": "s", "arg": {"isKey": True, "isRequired": True},
         "addOutput": True, "properties": ["hidden"]},
        {"type": "uint64", "name": "ticks.list", "desc": "l", "isList": True, "arg": {"isIndex": True}},
    ]
    assert [f["type"] for f in fields[3:]] == ["bool", "ipaddr", "ipnet", "reltime", "abstime"]


def test_each_declaration_option_reaches_the_fields_json():
    # Declared here, not at import: the decorator runs inside the test.
    class Declared(Plugin):
        @field("d.plain", "string", "plain")
        def plain(self, event, arg):
            return "p"

        @field("d.all", "uint64", "all", display="All", is_list=True, arg_index=True, arg_key=True,
               arg_required=True, add_output=True, properties=["p", "q"])
        def every(self, event, arg):
            return [1]

        @field("d.index", "ipaddr", "index only", arg_index=True)
        def index(self, event, arg):
            return None

    assert json.loads(PythonLibraryV3(Declared).get_fields()) == [
        {"type": "string", "name": "d.plain", "desc": "plain"},
        {"type": "uint64", "name": "d.all", "desc": "all", "display": "All", "isList": True,
         "arg": {"isIndex": True, "isKey": True, "isRequired": True}, "addOutput": True, "properties": ["p", "q"]},
        {"type": "ipaddr", "name": "d.index", "desc": "index only", "arg": {"isIndex": True}},
    ]
    [(plain, _), (every, _), _] = Declared.field_methods()
    assert (plain.display, plain.is_list, plain.arg_index, plain.arg_key, plain.arg_required, plain.add_output,
            plain.properties) == ("", False, False, False, False, False, ())
    assert every.properties == ("p", "q")


def test_a_plugin_with_nothing_exports_only_the_common_symbols():
    assert PythonLibraryV3(Nothing).symbols == COMMON


def test_every_capability_exports_its_symbols():
    assert PythonLibraryV3(Ticks).symbols == COMMON | SOURCING | EXTRACTION | {
        "plugin_get_init_schema", "plugin_event_to_string", "plugin_list_open_params", "plugin_get_progress",
        "plugin_get_extract_event_sources", "plugin_get_extract_event_types",
        "plugin_get_required_event_schema_version"}


def test_sourcing_alone_and_extraction_alone():
    class Source(Plugin):
        def open(self, params):
            return GeneratorInstance([])

    class Extractor(Plugin):
        @field("e.f", "string", "f")
        def f(self, event, arg):
            return "x"

    assert PythonLibraryV3(Source).symbols == COMMON | SOURCING
    assert PythonLibraryV3(Extractor).symbols == COMMON | EXTRACTION

    class Orphans(Extractor):  # sourcing options without open; extraction options apply to extraction
        event_to_string = staticmethod(lambda event: "")
        reports_progress = True
        list_open_params = staticmethod(lambda: [])
    assert PythonLibraryV3(Orphans).symbols == COMMON | EXTRACTION


@pytest.mark.parametrize("method, symbols", [
    ("parse_event", {"plugin_parse_event"}),
    ("get_async_events", {"plugin_get_async_events", "plugin_set_async_event_handler"}),
    ("capture_open", {"plugin_capture_open", "plugin_capture_close"}),
    ("get_metrics", {"plugin_get_metrics"}),
    ("set_config", {"plugin_set_config"}),
])
def test_a_capability_plugref_does_not_drive_still_exports_its_symbols(method, symbols):
    defining = type("Defining", (Nothing,), {method: lambda self, *args: None})
    assert PythonLibraryV3(defining).symbols == COMMON | symbols
    not_callable = type("NotCallable", (Nothing,), {method: "a value, not a method"})
    assert PythonLibraryV3(not_callable).symbols == COMMON


# --- info ---

def test_info_answers_the_class_attributes():
    library = PythonLibraryV3(Ticks)
    assert library.contract == "3"
    assert library.get_required_api_version() == "3.12.0"
    assert PythonLibraryV3(Nothing).get_version() == "0.0.0"
    assert (PythonLibraryV3(Nothing).get_id(), PythonLibraryV3(Nothing).get_event_source()) == (0, "")
    assert library.get_extract_event_types(None) == [322]
    assert PythonLibraryV3(Nothing).get_extract_event_types(None) == []
    assert library.get_required_event_schema_version(None) == "3.1.0"
    assert PythonLibraryV3(Nothing).get_required_event_schema_version(None) is None


# --- init and the log ---

def test_init_hands_the_plugin_the_hosts_log_and_reports_failures():
    host = Host()
    library, state, rc = started("", host)
    assert rc == SUCCESS and state.plugin.config == ""
    assert host.messages == [(None, "started", 6), (None, "loud", 3)]  # INFO unless said; NULL component
    library, state, rc = started("fail", Host())
    assert rc == FAILURE and library.get_last_error(state) == "config says fail" and state.plugin is None
    library, state, rc = started("silent")
    assert rc == FAILURE and library.get_last_error(state) == "RuntimeError"
    library, state, rc = started("")  # no host log: logging is a no-op
    assert rc == SUCCESS
    Ticks().log("a plugin made outside a library logs nowhere")


# --- the stream ---

def test_events_are_encoded_as_plugin_events_with_id_0_and_raw_events_passed_on():
    library, state, _ = started()
    instance, rc = library.open(state, "")
    assert rc == SUCCESS
    assert library.next_batch(state, instance) == (SUCCESS, [plugin_event(0, b"a", 5), plugin_event(0, b"bc", 6)])
    assert library.next_batch(state, instance) == (EOF, [])
    assert library.next_batch(state, instance) == (EOF, [])
    raw, _ = library.open(state, "raw")
    assert library.next_batch(state, raw) == (SUCCESS, [b"\x01" * 30])
    assert library.open(state, "refuse") == (None, FAILURE) and library.get_last_error(state) == "cannot open"


def test_eof_is_sticky_timeouts_pass_and_failures_are_reported():
    class Scripted(Instance):
        def __init__(self, steps):
            self.steps = list(steps)

        def next_batch(self):
            step = self.steps.pop(0)
            if isinstance(step, BaseException):
                raise step
            return step

        def progress(self):
            return ("12.50", 1250)

    library, state, _ = started()
    instance = Scripted([Timeout(), ZeroDivisionError("oops"), [Event(b"z", 1)], EndOfStream(), [Event(b"y", 2)]])
    assert library.next_batch(state, instance) == (TIMEOUT_RC, [])
    assert library.next_batch(state, instance) == (FAILURE, []) and library.get_last_error(state) == "oops"
    assert library.next_batch(state, instance) == (SUCCESS, [plugin_event(0, b"z", 1)])
    assert library.get_progress(state, instance) == ("12.50", 1250)
    assert library.next_batch(state, instance) == (EOF, [])
    assert library.next_batch(state, instance) == (EOF, []) and instance.steps == [[Event(b"y", 2)]]


# --- event_to_string and extraction see the event decoded ---

def event_input(payload: bytes, ts=9, plugin_id=2**30 + 77, evtnum=4, source="ticks") -> EventInput:
    return EventInput(plugin_event(plugin_id, payload, ts), evtnum, source)


def test_event_to_string_sees_payload_time_number_source_and_plugin_id():
    library, state, _ = started()
    assert library.event_to_string(state, event_input(b"hi")) == f"hi at 9 #4 from ticks by {2**30 + 77}"
    assert library.event_to_string(state, event_input(b"bad")) == ""
    assert library.get_last_error(state) == "unreadable"


def extract(payload: bytes, answer, field_id: int, ftype, **request):
    Ticks.ANSWERS = {payload: answer}
    library, state, _ = started()
    req = ExtractRequestV3(field_id, "ticks.f", AnyFieldType(ftype), **request)
    rc = library.extract_fields(state, event_input(payload), [req])
    return rc, req.values, library.get_last_error(state)


N, S, LIST, B, IP, NET, REL, ABS = range(8)


@pytest.mark.parametrize("field_id, ftype, answer, values", [
    (N, 8, 0, [0]), (N, 8, 2**64 - 1, [2**64 - 1]), (N, 8, None, []),
    (REL, 20, 5, [5]), (ABS, 21, 2**63, [2**63]),
    (S, 9, "text", ["text"]), (S, 9, "", [""]),
    (B, 25, True, [True]), (B, 25, False, [False]),
    (LIST, 8, [1, 2, 3], [1, 2, 3]), (LIST, 8, (), []), (LIST, 8, range(4, 5), [4]),
    (IP, 40, "10.0.0.1", [ipaddress.ip_address("10.0.0.1")]),
    (IP, 40, ipaddress.ip_address("::1"), [ipaddress.ip_address("::1")]),
    (IP, 40, b"\x7f\x00\x00\x01", [ipaddress.ip_address("127.0.0.1")]),
    (NET, 41, ipaddress.ip_network("10.1.0.0/16"), [ipaddress.ip_network("10.1.0.0/32")]),  # the prefix is lost
    (NET, 41, "192.168.0.7", [ipaddress.ip_network("192.168.0.7/32")]),
    (NET, 41, ipaddress.ip_network("fe80::/64"), [ipaddress.ip_network("fe80::/128")]),
    (IP, 40, ipaddress.ip_address("fe80::1%eth0"), [ipaddress.ip_address("fe80::1")]),  # 16 bytes: no scope
    (IP, 40, "fe80::2%1", [ipaddress.ip_address("fe80::2")]),
])
def test_each_type_is_answered_as_it_crosses_the_contract(field_id, ftype, answer, values):
    assert extract(b"e", answer, field_id, ftype) == (SUCCESS, values, "")


@pytest.mark.parametrize("field_id, ftype, answer", [
    (N, 8, -1), (N, 8, 2**64), (N, 8, True), (N, 8, "1"), (REL, 20, 1.5), (ABS, 21, False),
    (S, 9, b"bytes"), (S, 9, "a\0b"), (S, 9, 3),
    (B, 25, 1), (B, 25, "true"),
    (IP, 40, "not an address"), (IP, 40, 3.5), (NET, 41, 3.5),
])
def test_a_value_of_the_wrong_type_fails_the_call_naming_field_type_and_value(field_id, ftype, answer):
    rc, _, error = extract(b"e", answer, field_id, ftype)
    name = ["ticks.n", "ticks.s", "ticks.list", "ticks.b", "ticks.ip", "ticks.net", "ticks.rel", "ticks.abs"][field_id]
    kind = ["uint64", "string", "uint64", "bool", "ipaddr", "ipnet", "reltime", "abstime"][field_id]
    assert rc == FAILURE and error == f"field {name} is {kind} but the plugin returned {answer!r}"


@pytest.mark.parametrize("answer", ["123", b"12", 7])
def test_a_list_field_needs_a_list(answer):
    rc, _, error = extract(b"e", answer, LIST, 8)
    assert rc == FAILURE and error == f"field ticks.list is a list field but the plugin returned {answer!r}"


def test_a_wrong_item_of_a_list_fails_the_call():
    rc, _, error = extract(b"e", [1, -2], LIST, 8)
    assert rc == FAILURE and error == "field ticks.list is uint64 but the plugin returned -2"


def test_a_field_method_that_raises_fails_the_call_with_its_message():
    assert extract(b"e", KeyError("no such key"), S, 9)[::2] == (FAILURE, "'no such key'")
    assert extract(b"e", LookupError(), S, 9)[::2] == (FAILURE, "LookupError")


def test_the_argument_reaches_the_field_method():
    Ticks.ANSWERS = {}
    library, state, _ = started()
    req = ExtractRequestV3(S, "ticks.s", AnyFieldType.STRING, arg_key="k", arg_index=3, arg_present=True)
    assert library.extract_fields(state, event_input(b"arg"), [req]) == SUCCESS and req.values == ["k/3/True"]
    plain = ExtractRequestV3(S, "ticks.s", AnyFieldType.STRING)
    assert library.extract_fields(state, event_input(b"arg"), [plain]) == SUCCESS and plain.values == ["None/0/False"]


def test_requests_are_answered_in_turn_and_the_first_failure_ends_the_call():
    Ticks.ANSWERS = {b"e": 4}
    library, state, _ = started()
    first, second = ExtractRequestV3(N, "ticks.n", AnyFieldType.UINT64), ExtractRequestV3(REL, "ticks.rel",
                                                                                        AnyFieldType.RELTIME)
    assert library.extract_fields(state, event_input(b"e"), [first, second]) == SUCCESS
    assert first.values == second.values == [4]
    failing, after = ExtractRequestV3(S, "ticks.s", AnyFieldType.STRING), ExtractRequestV3(N, "ticks.n",
                                                                                         AnyFieldType.UINT64)
    assert library.extract_fields(state, event_input(b"e"), [failing, after]) == FAILURE
    assert after.values == []


@pytest.mark.parametrize("field_id", [-1, 8, 50])
def test_a_field_id_not_declared_fails_the_call(field_id):
    Ticks.ANSWERS = {b"e": 1}
    library, state, _ = started()
    ok = ExtractRequestV3(N, "ticks.n", AnyFieldType.UINT64)
    unknown = ExtractRequestV3(field_id, "ticks.nope", AnyFieldType.UINT64)
    assert library.extract_fields(state, event_input(b"e"), [ok, unknown]) == FAILURE
    assert library.get_last_error(state) == "no known field: ticks.nope"


def test_list_open_params_is_json_and_its_failure_the_last_error():
    library, state, _ = started()
    assert library.list_open_params(state) == ('[{"value": "x"}]', SUCCESS)
    library, state, _ = started("none")
    assert library.list_open_params(state) == ("[]", SUCCESS)
    library, state, _ = started("broken")
    assert library.list_open_params(state) == ("", FAILURE) and library.get_last_error(state) == "cannot list"


def test_field_args_and_event_views_default_to_no_argument():
    assert FieldArg() == FieldArg(None, 0, False)
    view = EventView(b"d", 1, 2, "s", 3)
    assert (view.data, view.ts, view.evtnum, view.source, view.plugin_id) == (b"d", 1, 2, "s", 3)
