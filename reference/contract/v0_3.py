"""The plugin API 0.3.0 contract: constants, events and the calls a framework makes.

Everything here is what the C header of API 0.3.0 (`plugin_info.h`) carries, in Python form.
A *plugin library* is anything that answers these calls the way a shared library exporting the
`plugin_*` symbols would: a Python plugin behind `reference.sdk.PythonLibrary`, or a native `.so`
behind the ctypes bridge. The framework (`reference.host.loader`) talks only to this contract, so one
engine drives both kinds alike.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

#: The plugin API version this framework implements (clause API-VERSION-COMPAT).
FRAMEWORK_API_VERSION = "0.3.0"

#: `ts` value by which a plugin asks the framework to stamp the event with the current time.
TS_NOW = 2**64 - 1


class PluginType(enum.IntEnum):
    """`ss_plugin_type` (clause PLUGIN-TYPE)."""

    SOURCE = 1
    EXTRACTOR = 2


class ReturnCode(enum.IntEnum):
    """`ss_plugin_rc`."""

    SUCCESS = 0
    FAILURE = 1
    TIMEOUT = -1
    EOF = 2
    NOT_SUPPORTED = 3


class FieldType(enum.IntEnum):
    """`ss_plugin_field_type` values a 0.3.0 plugin may declare."""

    UINT64 = 8
    STRING = 9


#: Field type names as they appear in get_fields JSON.
FIELD_TYPE_NAMES = {"uint64": FieldType.UINT64, "string": FieldType.STRING}
# Read on every event: Python 3.11 looks an enum member up through a descriptor (~0.5 us), a module name is not.
_UINT64 = FieldType.UINT64


class SchemaType(enum.IntEnum):
    """`ss_plugin_schema_type` returned by get_init_schema."""

    NONE = 0
    JSON = 1


class Event(NamedTuple):
    """`ss_plugin_event`: what next_batch hands out and extract_fields receives.

    `evtnum` is ignored when a plugin produces the event; the framework numbers events from 1 and
    passes that number back on extraction. A named tuple, not a dataclass: one is made per event,
    and a tuple is the lightest immutable record Python has.
    """

    data: bytes
    ts: int = TS_NOW
    evtnum: int = 0


@dataclass
class ExtractRequest:
    """`ss_plugin_extract_field`: one field the framework asks for, and the plugin's answer.

    `arg` is the text between the brackets of `field[arg]`; with no brackets a plugin receives an
    empty string, never NULL (clause EXTRACT-ARG-EMPTY). The plugin sets `field_present` and the
    value of the declared type.
    """

    field_id: int
    field: str
    arg: str
    ftype: FieldType
    field_present: bool = False
    res_str: str | None = None
    res_u64: int | None = None

    @property
    def value(self) -> str | int | None:
        """The extracted value, or None when the plugin gave none."""
        if not self.field_present:
            return None
        return self.res_u64 if self.ftype == _UINT64 else self.res_str


#: Every symbol of the 0.3.0 contract, in the order of the header.
ALL_SYMBOLS = (
    "plugin_get_required_api_version",
    "plugin_get_type",
    "plugin_init",
    "plugin_destroy",
    "plugin_get_last_error",
    "plugin_get_id",
    "plugin_get_name",
    "plugin_get_description",
    "plugin_get_contact",
    "plugin_get_version",
    "plugin_get_event_source",
    "plugin_get_fields",
    "plugin_open",
    "plugin_close",
    "plugin_next_batch",
    "plugin_get_progress",
    "plugin_event_to_string",
    "plugin_extract_fields",
    "plugin_list_open_params",
    "plugin_get_extract_event_sources",
    "plugin_get_init_schema",
)

#: Symbols every plugin needs, checked in this order by the 0.3.0 loader (clause PLUGIN-SYMBOLS).
BASE_REQUIRED_SYMBOLS = (
    "plugin_get_required_api_version",
    "plugin_get_last_error",
    "plugin_get_name",
    "plugin_get_description",
    "plugin_get_contact",
    "plugin_get_version",
)

#: Symbols each type needs on top of the base set, in the loader's order (clause PLUGIN-SYMBOLS).
TYPE_REQUIRED_SYMBOLS = {
    PluginType.SOURCE: (
        "plugin_get_required_api_version",
        "plugin_get_type",
        "plugin_init",
        "plugin_destroy",
        "plugin_get_last_error",
        "plugin_get_id",
        "plugin_get_name",
        "plugin_get_description",
        "plugin_get_contact",
        "plugin_get_version",
        "plugin_get_event_source",
        "plugin_open",
        "plugin_close",
        "plugin_next_batch",
        "plugin_event_to_string",
    ),
    PluginType.EXTRACTOR: (
        "plugin_get_required_api_version",
        "plugin_get_type",
        "plugin_init",
        "plugin_destroy",
        "plugin_get_last_error",
        "plugin_get_name",
        "plugin_get_description",
        "plugin_get_contact",
        "plugin_get_version",
        "plugin_get_fields",
        "plugin_extract_fields",
    ),
}


@runtime_checkable
class PluginLibrary(Protocol):
    """The framework's view of a plugin: the 0.3.0 C functions, one method each.

    Methods are named after the C symbols without the `plugin_` prefix. A C `NULL` string is
    `None`; out-parameters become returned tuples. `state` and `instance` are opaque handles the
    plugin made. Only symbols listed in `symbols` may be called.
    """

    #: Where the library came from (a path or a module name), for error messages.
    location: str
    #: The `plugin_*` symbols this library exports.
    symbols: frozenset[str]

    def get_required_api_version(self) -> str | None: ...
    def get_type(self) -> int: ...
    def get_id(self) -> int: ...
    def get_name(self) -> str | None: ...
    def get_description(self) -> str | None: ...
    def get_contact(self) -> str | None: ...
    def get_version(self) -> str | None: ...
    def get_event_source(self) -> str | None: ...
    def get_fields(self) -> str | None: ...
    def get_extract_event_sources(self) -> str | None: ...
    def get_init_schema(self) -> tuple[str | None, int]: ...
    def init(self, config: str) -> tuple[Any, int]: ...
    def destroy(self, state: Any) -> None: ...
    def get_last_error(self, state: Any) -> str | None: ...
    def open(self, state: Any, params: str) -> tuple[Any, int]: ...
    def close(self, state: Any, instance: Any) -> None: ...
    def next_batch(self, state: Any, instance: Any) -> tuple[int, list[Event]]: ...
    def get_progress(self, state: Any, instance: Any) -> tuple[str | None, int]: ...
    def event_to_string(self, state: Any, data: bytes) -> str | None: ...
    def extract_fields(self, state: Any, event: Event, requests: list[ExtractRequest]) -> int: ...
    def list_open_params(self, state: Any) -> tuple[str | None, int]: ...

