"""The plugin API 3.x contract (3.12.0): capabilities, scap-format events, input structs.

What the C headers of API 3.12 (`plugin_api.h`, `plugin_types.h`, `plugin_loader.h`) carry, in
Python form. A 3.x *plugin library* answers the calls of `PluginLibraryV3`: a Python plugin behind
`reference.sdk_v3.PythonLibraryV3`, or a native `.so` behind `reference.host.native_v3`. The 0.3.0
contract lives beside it in `v0_3`; what the two share (return codes, schema types, field types)
is imported from there and from `field_types`, not redefined.

The ctypes structs below are laid out as api §1.3 says (LP64); the bridge uses them and
tests/test_contract_v3.py checks every size and offset against the header facts (clause
V3-STRUCT-LAYOUT).
"""
from __future__ import annotations

import ctypes
import enum
import struct
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from reference.contract.field_types import ANY_FIELD_TYPE_NAMES, AnyFieldType
from reference.contract.v0_3 import TS_NOW, ReturnCode, SchemaType

__all__ = ["FRAMEWORK_API_VERSION", "FRAMEWORK_EVENT_SCHEMA_VERSION", "DEFAULT_REQUIRED_EVENT_SCHEMA_VERSION",
           "PLUGIN_MAX_ERRLEN", "PLUGIN_EVENT_PAYLOAD_OFFSET", "EVENT_HEADER_SIZE",
           "PPME_PLUGINEVENT_E", "PPME_ASYNCEVENT_E", "TID_NONE", "TS_NOW", "Capability", "ReturnCode",
           "SchemaType", "AnyFieldType", "ANY_FIELD_TYPE_NAMES", "LogSeverity", "ALL_SYMBOLS",
           "REQUIRED_SYMBOLS", "UNSUPPORTED_FEATURES", "ScapEvent", "EventInput", "ExtractRequestV3",
           "encode_plugin_event", "PluginLibraryV3"]

#: The 3.x API version this framework implements (`PLUGIN_API_VERSION_STR`).
FRAMEWORK_API_VERSION = "3.12.0"
#: The event schema version a plugin asks for when it does not say (3.12: a missing
#: `plugin_get_required_event_schema_version` or a NULL answer; api §1.4).
DEFAULT_REQUIRED_EVENT_SCHEMA_VERSION = "3.0.0"
#: The libscap event schema version the framework says is "in use" when it checks a plugin's
#: requirement (V3-EVENT-SCHEMA). plugin-api.md gives the rule but not this number; it is libscap's
#: `SCAP_MINIMUM_DRIVER_SCHEMA_VERSION` (4.1.0 in libs' userspace/libscap/scap.h of the libs 0.22+
#: era), the value Falco 0.43 names in the message (`... the event schema version in use '4.1.0'`).
FRAMEWORK_EVENT_SCHEMA_VERSION = "4.1.0"
#: Bound of loader error strings and async error buffers, NUL included.
PLUGIN_MAX_ERRLEN = 1024
#: 26 (header) + 2 x 4 (param lengths) + 4 (plugin ID): where a plugin event's payload starts (3.11).
PLUGIN_EVENT_PAYLOAD_OFFSET = 38
#: `sizeof(ss_plugin_event)`, the packed libscap `ppm_evt_hdr`.
EVENT_HEADER_SIZE = 26
#: libscap event codes a plugin meets.
PPME_PLUGINEVENT_E = 322
PPME_ASYNCEVENT_E = 402
#: The tid of every plugin event: the host forces (uint64)-1.
TID_NONE = 2**64 - 1


class Capability(enum.IntFlag):
    """`plugin_caps_t` (plugin_loader.h). No bit exists for metrics, set_config or routines."""

    NONE = 0
    SOURCING = 1 << 0
    EXTRACTION = 1 << 1
    PARSING = 1 << 2
    ASYNC = 1 << 3
    CAPTURE_LISTENING = 1 << 4
    BROKEN = 1 << 31


class LogSeverity(enum.IntEnum):
    """`ss_plugin_log_severity`, what a plugin passes to the log function of its init input (3.3)."""

    FATAL = 1
    CRITICAL = 2
    ERROR = 3
    WARNING = 4
    NOTICE = 5
    INFO = 6
    DEBUG = 7
    TRACE = 8


#: Every symbol of the 3.12 contract, in the order of the `plugin_api` vtable (dump_state sits mid-table).
ALL_SYMBOLS = (
    "plugin_get_required_api_version",
    "plugin_get_version",
    "plugin_get_name",
    "plugin_get_description",
    "plugin_get_contact",
    "plugin_get_init_schema",
    "plugin_init",
    "plugin_destroy",
    "plugin_get_last_error",
    "plugin_get_id",
    "plugin_get_event_source",
    "plugin_open",
    "plugin_close",
    "plugin_list_open_params",
    "plugin_get_progress",
    "plugin_event_to_string",
    "plugin_next_batch",
    "plugin_get_extract_event_types",
    "plugin_get_extract_event_sources",
    "plugin_get_fields",
    "plugin_extract_fields",
    "plugin_get_parse_event_types",
    "plugin_get_parse_event_sources",
    "plugin_parse_event",
    "plugin_get_async_event_sources",
    "plugin_get_async_events",
    "plugin_set_async_event_handler",
    "plugin_dump_state",
    "plugin_set_config",
    "plugin_get_metrics",
    "plugin_capture_open",
    "plugin_capture_close",
    "plugin_get_required_event_schema_version",
)

#: Symbols every 3.x plugin exports, in the order `plugin_check_required_symbols` checks them (V3-REQUIRED-SYMBOLS).
REQUIRED_SYMBOLS = (
    "plugin_get_required_api_version",
    "plugin_get_version",
    "plugin_get_name",
    "plugin_get_description",
    "plugin_get_contact",
    "plugin_init",
    "plugin_destroy",
    "plugin_get_last_error",
)

#: What plugref does not do yet, by the name a report uses, and the symbols that reveal it
#: (clause V3-CAPABILITIES: detected and reported, never silently ignored).
UNSUPPORTED_FEATURES = {
    "parsing": ("plugin_parse_event",),
    "async events": ("plugin_get_async_events", "plugin_set_async_event_handler", "plugin_dump_state"),
    "capture listening": ("plugin_capture_open", "plugin_capture_close"),
    "metrics": ("plugin_get_metrics",),
    "dynamic configuration": ("plugin_set_config",),
}


# The C structs (api §1.3). Pointers that plugref never follows are plain c_void_p.

class CEvent(ctypes.Structure):
    """`ss_plugin_event`: the packed 26-byte libscap event header; parameters follow it in memory."""

    _pack_ = 1
    _fields_ = [("ts", ctypes.c_uint64), ("tid", ctypes.c_uint64), ("len", ctypes.c_uint32),
                ("type", ctypes.c_uint16), ("nparams", ctypes.c_uint32)]


class CEventInput(ctypes.Structure):
    """`ss_plugin_event_input`."""

    _fields_ = [("evt", ctypes.c_void_p), ("evtnum", ctypes.c_uint64), ("evtsrc", ctypes.c_char_p)]


class CByteBuffer(ctypes.Structure):
    """`ss_plugin_byte_buffer` (2.1): what an ipaddr or ipnet value is."""

    _fields_ = [("len", ctypes.c_uint32), ("ptr", ctypes.c_void_p)]


class CExtractValueOffsets(ctypes.Structure):
    """`ss_plugin_extract_value_offsets` (3.11)."""

    _fields_ = [("start", ctypes.POINTER(ctypes.c_uint32)), ("length", ctypes.POINTER(ctypes.c_uint32))]


class CExtractField(ctypes.Structure):
    """`ss_plugin_extract_field`: `res` and `res_len` are the plugin's answer, the rest the request."""

    _fields_ = [("res", ctypes.c_void_p), ("res_len", ctypes.c_uint64), ("field_id", ctypes.c_uint32),
                ("field", ctypes.c_char_p), ("arg_key", ctypes.c_char_p), ("arg_index", ctypes.c_uint64),
                ("arg_present", ctypes.c_uint32), ("ftype", ctypes.c_uint32), ("flist", ctypes.c_uint32)]


#: `const char* get_owner_last_error(ss_plugin_owner_t*)`
GET_OWNER_LAST_ERROR_FN = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)
#: `void log_fn(ss_plugin_owner_t*, const char* component, const char* msg, ss_plugin_log_severity)`
LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint32)


class CInitInput(ctypes.Structure):
    """`ss_plugin_init_input`; `tables` is NULL: plugref offers no state tables yet (V3-INIT-INPUT)."""

    _fields_ = [("config", ctypes.c_char_p), ("owner", ctypes.c_void_p),
                ("get_owner_last_error", GET_OWNER_LAST_ERROR_FN), ("tables", ctypes.c_void_p),
                ("log_fn", LOG_FN)]


class CTableReaderVtable(ctypes.Structure):
    """`ss_plugin_table_reader_vtable` (deprecated), embedded by value in the extract input."""

    _fields_ = [("get_table_name", ctypes.c_void_p), ("get_table_size", ctypes.c_void_p),
                ("get_table_entry", ctypes.c_void_p), ("read_entry_field", ctypes.c_void_p)]


class CFieldExtractInput(ctypes.Structure):
    """`ss_plugin_field_extract_input`, newest layout: older 3.x plugins read only a prefix."""

    _fields_ = [("owner", ctypes.c_void_p), ("get_owner_last_error", GET_OWNER_LAST_ERROR_FN),
                ("num_fields", ctypes.c_uint32), ("fields", ctypes.POINTER(CExtractField)),
                ("table_reader", CTableReaderVtable), ("table_reader_ext", ctypes.c_void_p),
                ("value_offsets", ctypes.POINTER(CExtractValueOffsets))]


class CSetConfigInput(ctypes.Structure):
    """`ss_plugin_set_config_input`."""

    _fields_ = [("config", ctypes.c_char_p)]


# Events.

_HEADER = struct.Struct("<QQIHI")
_PLUGIN_PARAMS = struct.Struct("<III")


class EventFormatError(ValueError):
    """Bytes that are not a well-formed scap event; the message says which part is wrong."""


@dataclass(frozen=True)
class ScapEvent:
    """A libscap event as bytes decode to: the header and the raw parameters (V3-EVENT-FORMAT).

    Plugin events (type 322) are the only kind plugref delivers; their first parameter is the
    plugin ID (u32) and the second the payload.
    """

    ts: int
    tid: int
    type: int
    params: tuple[bytes, ...]

    @property
    def is_plugin_event(self) -> bool:
        return self.type == PPME_PLUGINEVENT_E and len(self.params) == 2 and len(self.params[0]) == 4

    @property
    def plugin_id(self) -> int:
        return struct.unpack("<I", self.params[0])[0]

    @property
    def payload(self) -> bytes:
        return self.params[1]

    @classmethod
    def decode(cls, raw: bytes) -> ScapEvent:
        """Parse `raw` (one whole event). Plugin events have u32 parameter lengths (EF_LARGE_PAYLOAD),
        which is the only width plugref reads; other types are decoded the same way and refused later."""
        if len(raw) < EVENT_HEADER_SIZE:
            raise EventFormatError(f"{len(raw)} bytes, less than the {EVENT_HEADER_SIZE}-byte event header")
        ts, tid, length, event_type, nparams = _HEADER.unpack_from(raw)
        if length != len(raw):
            raise EventFormatError(f"header len {length} but the event has {len(raw)} bytes")
        lengths_end = EVENT_HEADER_SIZE + 4 * nparams
        if lengths_end > length:
            raise EventFormatError(f"nparams {nparams} does not fit in event len {length}")
        lengths = struct.unpack_from(f"<{nparams}I", raw, EVENT_HEADER_SIZE)
        params, offset = [], lengths_end
        for index, param_len in enumerate(lengths):
            if offset + param_len > length:
                raise EventFormatError(f"param {index} len {param_len} exceeds event len {length}")
            params.append(bytes(raw[offset:offset + param_len]))
            offset += param_len
        return cls(ts, tid, event_type, tuple(params))


def encode_plugin_event(plugin_id: int, payload: bytes, ts: int = TS_NOW, tid: int = TID_NONE) -> bytes:
    """The bytes of a PPME_PLUGINEVENT_E: header, two u32 lengths (4, len), the ID, the payload."""
    length = PLUGIN_EVENT_PAYLOAD_OFFSET + len(payload)
    return (_HEADER.pack(ts, tid, length, PPME_PLUGINEVENT_E, 2)
            + _PLUGIN_PARAMS.pack(4, len(payload), plugin_id) + bytes(payload))


@dataclass(frozen=True)
class EventInput:
    """`ss_plugin_event_input`: the event bytes, the host's event number and the source name."""

    evt: bytes
    evtnum: int
    evtsrc: str


@dataclass
class ExtractRequestV3:
    """One `ss_plugin_extract_field`: the request, then the plugin's answer in `values`.

    `arg_key` is None unless the field is isKey; `arg_index` is the parsed index (0 when absent,
    as libs 1.x-2025 does); `arg_present` says brackets were given. After the call `values` is the
    list of `res_len` values read by type, [] meaning "no value" (V3-EXTRACT-ONE-FIELD).
    """

    field_id: int
    field: str
    ftype: AnyFieldType
    flist: bool = False
    arg_key: str | None = None
    arg_index: int = 0
    arg_present: bool = False
    values: list = field(default_factory=list)


@runtime_checkable
class PluginLibraryV3(Protocol):
    """The framework's view of a 3.x plugin: the C functions, one method each.

    As in `v0_3.PluginLibrary`: methods are the symbols without `plugin_`, NULL is None,
    out-parameters are returned, and only symbols in `symbols` may be called. Events cross as the
    bytes of whole scap events; `init` receives the owner (an `Owner` of `reference.host.loader_v3`)
    whose last error and log function the init input carries.
    """

    location: str
    symbols: frozenset[str]
    #: "3": which contract this library speaks (the adapter protocol and reports name it).
    contract: str

    def get_required_api_version(self) -> str | None: ...
    def get_version(self) -> str | None: ...
    def get_name(self) -> str | None: ...
    def get_description(self) -> str | None: ...
    def get_contact(self) -> str | None: ...
    def get_id(self) -> int: ...
    def get_event_source(self) -> str | None: ...
    def get_fields(self) -> str | None: ...
    def get_extract_event_sources(self) -> str | None: ...
    def get_extract_event_types(self, state: Any) -> list[int]: ...
    def get_required_event_schema_version(self, state: Any) -> str | None: ...
    def get_init_schema(self) -> tuple[str | None, int]: ...
    def init(self, config: str, owner: Any) -> tuple[Any, int]: ...
    def destroy(self, state: Any) -> None: ...
    def get_last_error(self, state: Any) -> str | None: ...
    def open(self, state: Any, params: str) -> tuple[Any, int]: ...
    def close(self, state: Any, instance: Any) -> None: ...
    def next_batch(self, state: Any, instance: Any) -> tuple[int, list[bytes]]: ...
    def get_progress(self, state: Any, instance: Any) -> tuple[str | None, int]: ...
    def event_to_string(self, state: Any, event: EventInput) -> str | None: ...
    def extract_fields(self, state: Any, event: EventInput, requests: list[ExtractRequestV3]) -> int: ...
    def list_open_params(self, state: Any) -> tuple[str | None, int]: ...
