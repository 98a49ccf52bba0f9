"""Writing 3.x plugins in Python: capabilities by the methods a class defines (clause V3-SDK-CAPABILITIES).

    class Ticks(Plugin):
        id = 2**30 + 77           # sourcing: `open` is defined, so id and event_source are exported
        name = "ticks"
        event_source = "ticks"
        version = "0.1.0"

        def open(self, params):
            return GeneratorInstance(Event(str(n).encode(), ts=n) for n in range(10))

        @field("ticks.n", "uint64", "the tick number")          # extraction: fields are declared
        def n(self, event, arg):
            return int(event.data)

        @field("ticks.digits", "uint64", "digits", is_list=True)
        def digits(self, event, arg):
            return [int(c) for c in event.data.decode()]

    PLUGIN = Ticks

As in the 0.3.0 SDK (`reference.sdk`, whose instances, `EndOfStream`, `Timeout` and
`GeneratorInstance` are reused): fields are declared on their extractors, `None` means no value,
exceptions become return codes with the message as last error, EOF is sticky. Events are
returned as `Event(data, ts)` and encoded by the SDK as 322 plugin events with plugin ID 0, which
the host fills in (as the SDKs' encoders do); an instance may also return the bytes of a whole
scap event. A field method receives an `EventView` and a `FieldArg`.

Defining `parse_event`, `get_async_events`, `capture_open`, `get_metrics` or `set_config`
exports the matching symbols, so the loader detects those capabilities and reports them as not
yet supported. `PythonLibraryV3(cls)` presents the class through `reference.contract.v3.PluginLibraryV3`.
"""
from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from reference.contract.field_types import ANY_FIELD_TYPE_NAMES, AnyFieldType
from reference.contract.v0_3 import Event, ReturnCode, SchemaType
from reference.contract.v3 import (
    FRAMEWORK_API_VERSION,
    UNSUPPORTED_FEATURES,
    EventInput,
    ExtractRequestV3,
    ScapEvent,
    encode_plugin_event,
)
from reference.sdk import (EndOfStream, GeneratorInstance, Instance, PluginClassCalls, Timeout,  # noqa: F401
                           declared_fields)

_INTEGER_TYPES = (AnyFieldType.UINT64, AnyFieldType.RELTIME, AnyFieldType.ABSTIME)


@dataclass(frozen=True)
class FieldArg:
    """The argument of one request: `key` (isKey fields), `index` (isIndex fields), `present` (brackets)."""

    key: str | None = None
    index: int = 0
    present: bool = False


@dataclass(frozen=True)
class EventView:
    """What a field method sees of an event: payload, time, number, source and plugin ID."""

    data: bytes
    ts: int
    evtnum: int
    source: str
    plugin_id: int


@dataclass(frozen=True)
class FieldDeclaration:
    name: str
    type: str
    desc: str
    display: str = ""
    is_list: bool = False
    arg_index: bool = False
    arg_key: bool = False
    arg_required: bool = False
    add_output: bool = False
    properties: tuple[str, ...] = ()

    def to_json(self) -> dict:
        entry: dict[str, Any] = {"type": self.type, "name": self.name, "desc": self.desc}
        if self.display:
            entry["display"] = self.display
        if self.is_list:
            entry["isList"] = True
        arg = {k: True for k, v in (("isIndex", self.arg_index), ("isKey", self.arg_key),
                                    ("isRequired", self.arg_required)) if v}
        if arg:
            entry["arg"] = arg
        if self.add_output:
            entry["addOutput"] = True
        if self.properties:
            entry["properties"] = list(self.properties)
        return entry


def field(name: str, type: str, desc: str, *, display: str = "", is_list: bool = False, arg_index: bool = False,
          arg_key: bool = False, arg_required: bool = False, add_output: bool = False,
          properties: Iterable[str] = ()) -> Callable:
    """Declare the decorated method `(self, event: EventView, arg: FieldArg) -> value | list | None`."""
    if type not in ANY_FIELD_TYPE_NAMES:
        raise ValueError(f"field {name}: type must be one of {sorted(ANY_FIELD_TYPE_NAMES)}, not {type!r}")
    if arg_required and not (arg_index or arg_key):
        raise ValueError(f"field {name}: arg_required needs arg_index or arg_key")
    declaration = FieldDeclaration(name, type, desc, display, is_list, arg_index, arg_key, arg_required, add_output,
                                   tuple(properties))

    def mark(method: Callable) -> Callable:
        method.field_declaration = declaration
        return method

    return mark


#: Method name -> the symbols it exports, for the features plugref detects but does not drive.
_UNSUPPORTED_METHODS = {
    "parse_event": UNSUPPORTED_FEATURES["parsing"],
    "get_async_events": ("plugin_get_async_events", "plugin_set_async_event_handler"),
    "capture_open": UNSUPPORTED_FEATURES["capture listening"],
    "get_metrics": UNSUPPORTED_FEATURES["metrics"],
    "set_config": UNSUPPORTED_FEATURES["dynamic configuration"],
}

_COMMON_SYMBOLS = ("plugin_get_required_api_version", "plugin_get_version", "plugin_get_name",
                   "plugin_get_description", "plugin_get_contact", "plugin_init", "plugin_destroy",
                   "plugin_get_last_error")


class Plugin:
    """A 3.x plugin. Define `open` for sourcing, declare fields for extraction."""

    required_api_version: str = FRAMEWORK_API_VERSION
    name: str = ""
    description: str = ""
    contact: str = ""
    version: str = "0.0.0"
    init_schema: dict | None = None
    #: Sourcing: 0 with source "" means "no specific source".
    id: int = 0
    event_source: str = ""
    #: Export get_progress (the instance's `progress` is then called).
    reports_progress: bool = False
    #: Extraction: the sources and event codes it applies to; None does not export the call.
    extract_event_sources: list[str] | None = None
    extract_event_types: list[int] | None = None
    #: The libscap event schema version the plugin needs (3.12, V3-EVENT-SCHEMA); None does not
    #: export the call, which the host reads as "3.0.0".
    required_event_schema_version: str | None = None

    def init(self, config: str) -> None:
        """Called once with the init config; raise to fail. `self.log(msg)` reaches the host's log."""

    def destroy(self) -> None:
        pass

    def log(self, message: str, severity: int = 6) -> None:
        owner = getattr(self, "_owner", None)
        if owner is not None:
            owner.log_message(None, message, severity)

    @classmethod
    def field_methods(cls) -> list[tuple[FieldDeclaration, str]]:
        return declared_fields(cls)

    @classmethod
    def defines(cls, method: str) -> bool:
        return callable(getattr(cls, method, None))

    @classmethod
    def exported_symbols(cls) -> frozenset[str]:
        symbols = set(_COMMON_SYMBOLS)
        if cls.init_schema is not None:
            symbols.add("plugin_get_init_schema")
        if cls.defines("open"):
            symbols |= {"plugin_open", "plugin_close", "plugin_next_batch", "plugin_get_id",
                        "plugin_get_event_source"}
            if cls.defines("event_to_string"):
                symbols.add("plugin_event_to_string")
            if cls.defines("list_open_params"):
                symbols.add("plugin_list_open_params")
            if cls.reports_progress:
                symbols.add("plugin_get_progress")
        if cls.field_methods():
            symbols |= {"plugin_get_fields", "plugin_extract_fields"}
            if cls.extract_event_sources is not None:
                symbols.add("plugin_get_extract_event_sources")
            if cls.extract_event_types is not None:
                symbols.add("plugin_get_extract_event_types")
        if cls.required_event_schema_version is not None:
            symbols.add("plugin_get_required_event_schema_version")
        for method, revealing in _UNSUPPORTED_METHODS.items():
            if cls.defines(method):
                symbols |= set(revealing)
        return frozenset(symbols)


class _State:
    def __init__(self):
        self.plugin: Plugin | None = None  # set once init succeeds
        self.last_error = ""


def _wire_address(value: Any, network: bool):
    """An ipaddr/ipnet value as it crosses the C contract: 4 or 16 bytes (api §4.4), so a network
    keeps its address and loses its prefix, exactly as a native plugin's value does."""
    if network:
        address = value.network_address if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)) \
            else ipaddress.ip_address(value)
        return ipaddress.ip_network(address.packed)
    return ipaddress.ip_address(ipaddress.ip_address(value).packed)  # an IPv6 scope does not cross


def _checked(declaration: FieldDeclaration, value: Any):
    """One value of a field, checked against its declared type (the SDK's boundary check)."""
    ftype = ANY_FIELD_TYPE_NAMES[declaration.type]
    wrong = TypeError(f"field {declaration.name} is {declaration.type} but the plugin returned {value!r}")
    if ftype in _INTEGER_TYPES:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
            raise wrong
        return value
    if ftype == AnyFieldType.STRING:
        if not isinstance(value, str) or "\0" in value:
            raise wrong
        return value
    if ftype == AnyFieldType.BOOL:
        if not isinstance(value, bool):
            raise wrong
        return value
    try:
        return _wire_address(value, ftype == AnyFieldType.IPNET)
    except (ValueError, TypeError, AttributeError):
        raise wrong from None


class PythonLibraryV3(PluginClassCalls):
    """A 3.x Python plugin class seen through `reference.contract.v3.PluginLibraryV3`."""

    contract = "3"

    def get_extract_event_types(self, state: _State) -> list[int]:
        return list(self.plugin_class.extract_event_types or [])

    def get_required_event_schema_version(self, state: _State) -> str | None:
        return self.plugin_class.required_event_schema_version

    def init(self, config: str, owner: Any = None) -> tuple[_State, int]:
        state = _State()
        try:
            plugin = self.plugin_class()
            plugin._owner = owner
            plugin.init(config)
        except Exception as exc:  # the failure becomes the last error, as in the SDKs
            state.last_error = str(exc) or type(exc).__name__
            return state, ReturnCode.FAILURE
        state.plugin = plugin
        return state, ReturnCode.SUCCESS

    def next_batch(self, state: _State, instance: Instance) -> tuple[int, list[bytes]]:
        if getattr(instance, "_ended", False):
            return ReturnCode.EOF, []
        try:
            batch = list(instance.next_batch())
        except EndOfStream:
            instance._ended = True
            return ReturnCode.EOF, []
        except Timeout:
            return ReturnCode.TIMEOUT, []
        except Exception as exc:
            return self._fail(state, exc), []
        # ID 0 inside the event: the host fills in the plugin's ID.
        return ReturnCode.SUCCESS, [e if isinstance(e, bytes) else encode_plugin_event(0, e.data, e.ts)
                                    for e in batch]

    def get_progress(self, state: _State, instance: Instance) -> tuple[str, int]:
        return instance.progress()

    @staticmethod
    def _view(event: EventInput) -> EventView:
        scap = ScapEvent.decode(event.evt)
        return EventView(scap.payload, scap.ts, event.evtnum, event.evtsrc, scap.plugin_id)

    def event_to_string(self, state: _State, event: EventInput) -> str:
        try:
            return state.plugin.event_to_string(self._view(event))
        except Exception as exc:
            self._fail(state, exc)
            return ""

    def extract_fields(self, state: _State, event: EventInput, requests: list[ExtractRequestV3]) -> int:
        """Each request in turn; the first that fails fails the call (as plugin-sdk-cpp does)."""
        view = self._view(event)
        for request in requests:
            if not 0 <= request.field_id < len(self._fields):
                state.last_error = f"no known field: {request.field}"
                return ReturnCode.FAILURE
            declaration, method_name = self._fields[request.field_id]
            try:
                value = getattr(state.plugin, method_name)(
                    view, FieldArg(request.arg_key, request.arg_index, request.arg_present))
                if value is None:
                    request.values = []
                elif declaration.is_list:
                    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                        raise TypeError(f"field {declaration.name} is a list field but the plugin returned {value!r}")
                    request.values = [_checked(declaration, v) for v in value]
                else:
                    request.values = [_checked(declaration, value)]
            except Exception as exc:
                return self._fail(state, exc)
        return ReturnCode.SUCCESS

    def list_open_params(self, state: _State) -> tuple[str, int]:
        try:
            return json.dumps(state.plugin.list_open_params() or []), ReturnCode.SUCCESS
        except Exception as exc:
            return "", self._fail(state, exc)
