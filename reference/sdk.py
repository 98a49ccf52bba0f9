"""Writing plugins in Python: small base classes, and the adapter that gives them the C contract.

A Python plugin is a class::

    class Counter(SourcePlugin):
        id = 999
        name = "counter"
        event_source = "counter"
        ...
        def open(self, params):
            return GeneratorInstance(self.generate(params))

        @field("counter.value", "uint64", "The counter value")
        def value(self, event, arg):
            return int(event.data)

Fields are declared next to the code that extracts them (their order gives the field IDs), a
returned `None` means "no value", exceptions become return codes with the message as last error
(`EndOfStream` -> EOF, `Timeout` -> TIMEOUT, anything else -> FAILURE), and EOF is sticky.
`PythonLibrary(cls)` presents such a class through `reference.contract.v0_3.PluginLibrary`, exactly the
calls a native plugin answers, so the framework cannot tell the two apart.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from reference.contract.v0_3 import (
    ALL_SYMBOLS,
    FIELD_TYPE_NAMES,
    FRAMEWORK_API_VERSION,
    Event,
    ExtractRequest,
    FieldType,
    PluginType,
    ReturnCode,
    SchemaType,
)


class EndOfStream(Exception):
    """Raised by an instance when its stream has no more events (return code EOF)."""


class Timeout(Exception):
    """Raised by an instance when no event is ready now (return code TIMEOUT)."""


#: Yield this from a GeneratorInstance generator to report a timeout.
TIMEOUT = object()


@dataclass(frozen=True)
class FieldDeclaration:
    name: str
    type: str
    desc: str
    display: str = ""
    arg_required: bool = False
    properties: tuple[str, ...] = ()

    def to_json(self) -> dict:
        entry = {"type": self.type, "name": self.name, "desc": self.desc}
        if self.display:
            entry["display"] = self.display
        if self.arg_required:
            entry["argRequired"] = True
        if self.properties:
            entry["properties"] = list(self.properties)
        return entry


def field(name: str, type: str, desc: str, *, display: str = "", arg_required: bool = False,
          properties: Iterable[str] = ()) -> Callable:
    """Declare the decorated method `(self, event, arg) -> value | None` as the extractor of a field."""
    if type not in FIELD_TYPE_NAMES:
        raise ValueError(f"field {name}: type must be one of {sorted(FIELD_TYPE_NAMES)}, not {type!r}")
    declaration = FieldDeclaration(name, type, desc, display, arg_required, tuple(properties))

    def mark(method: Callable) -> Callable:
        method.field_declaration = declaration
        return method

    return mark


class Instance:
    """An open event stream. Override `next_batch`; `progress` and `close` are optional."""

    def next_batch(self) -> list[Event]:
        raise NotImplementedError

    def progress(self) -> tuple[str, int]:
        """(text, percentage * 100), e.g. ("42.00", 4200); only used when the plugin reports progress."""
        return ("", 0)

    def close(self) -> None:
        pass


class GeneratorInstance(Instance):
    """An instance fed by an iterator of events; `TIMEOUT` items report a timeout.

    A batch holds at most `batch_size` events and ends early at a timeout or at the end of the
    iterator, which then shows as EOF on the next call.
    """

    def __init__(self, events: Iterable[Event | object], batch_size: int = 16):
        self._events: Iterator = iter(events)
        self._batch_size = batch_size
        self._pending_timeout = False

    def next_batch(self) -> list[Event]:
        if self._pending_timeout:
            self._pending_timeout = False
            raise Timeout()
        batch = []
        for item in self._events:
            if item is TIMEOUT:
                if not batch:
                    raise Timeout()
                self._pending_timeout = True
                return batch
            batch.append(item)
            if len(batch) >= self._batch_size:
                return batch
        if not batch:
            raise EndOfStream()
        return batch



def declared_fields(plugin_class: type) -> list[tuple]:
    """(declaration, method name) of every method a `field` decorator marked, base classes first
    (their order gives the field IDs). A method redefined in a subclass keeps its first place and
    takes the subclass's declaration, as the method itself overrides the base's."""
    found, place = [], {}
    for klass in reversed(plugin_class.__mro__):
        for attr, value in vars(klass).items():
            declaration = getattr(value, "field_declaration", None)
            if declaration is None:
                continue
            if attr in place:
                found[place[attr]] = (declaration, attr)
            else:
                place[attr] = len(found)
                found.append((declaration, attr))
    return found


class Plugin:
    """What source and extractor plugins share. Subclass SourcePlugin or ExtractorPlugin."""

    type: PluginType
    required_api_version: str = FRAMEWORK_API_VERSION
    name: str = ""
    description: str = ""
    contact: str = ""
    version: str = "0.0.0"
    #: A JSON schema (as a dict) for the init config, or None for none.
    init_schema: dict | None = None

    def init(self, config: str) -> None:
        """Called once with the init config string; raise to fail."""

    def destroy(self) -> None:
        pass

    @classmethod
    def field_methods(cls) -> list[tuple[FieldDeclaration, str]]:
        """(declaration, method name) of every declared field, in declaration order."""
        return declared_fields(cls)

    @classmethod
    def exported_symbols(cls) -> frozenset[str]:
        raise NotImplementedError


class SourcePlugin(Plugin):
    type = PluginType.SOURCE
    id: int = 0
    event_source: str = ""
    #: Export get_progress (the instance's `progress` is then called).
    reports_progress: bool = False

    def open(self, params: str) -> Instance:
        raise NotImplementedError

    def event_to_string(self, data: bytes) -> str:
        return data.decode("utf-8", "replace")

    def list_open_params(self) -> list[dict] | None:
        """Suggested open params as [{"value": ..., "desc": ...}], or None to not export the call."""
        return None

    @classmethod
    def exported_symbols(cls) -> frozenset[str]:
        optional = {"plugin_get_init_schema": cls.init_schema is not None,
                    "plugin_get_fields": bool(cls.field_methods()),
                    "plugin_extract_fields": bool(cls.field_methods()),
                    "plugin_get_progress": cls.reports_progress,
                    "plugin_list_open_params": cls.list_open_params is not SourcePlugin.list_open_params,
                    "plugin_get_extract_event_sources": False}
        return frozenset(s for s in ALL_SYMBOLS if optional.get(s, True))


class ExtractorPlugin(Plugin):
    type = PluginType.EXTRACTOR
    #: Event sources this extractor applies to; None or [] means every source.
    extract_event_sources: list[str] | None = None

    @classmethod
    def exported_symbols(cls) -> frozenset[str]:
        own = {"plugin_get_required_api_version", "plugin_get_type", "plugin_init", "plugin_destroy",
               "plugin_get_last_error", "plugin_get_name", "plugin_get_description",
               "plugin_get_contact", "plugin_get_version", "plugin_get_fields", "plugin_extract_fields"}
        if cls.init_schema is not None:
            own.add("plugin_get_init_schema")
        if cls.extract_event_sources is not None:
            own.add("plugin_get_extract_event_sources")
        return frozenset(own)


class _State:
    """What `init` hands the framework: the plugin object and its last error."""

    def __init__(self):
        self.plugin: Plugin | None = None  # set once init succeeds
        self.last_error = ""


def _check_value(declaration: FieldDeclaration, value: Any) -> None:
    expected = FIELD_TYPE_NAMES[declaration.type]
    if expected == FieldType.UINT64:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
            raise TypeError(f"field {declaration.name} is uint64 but the plugin returned {value!r}")
    elif not isinstance(value, str) or "\0" in value:
        raise TypeError(f"field {declaration.name} is string but the plugin returned {value!r}")


class PluginClassCalls:
    """The calls that every contract makes of a Python plugin class in the same way: its info, its
    fields, its schema, and the state and instance calls that do not depend on the contract.
    `PythonLibrary` (0.3.0) and `reference.sdk_v3.PythonLibraryV3` (3.x) add the rest."""

    def __init__(self, plugin_class: type[Plugin], location: str | None = None):
        self.plugin_class = plugin_class
        self.location = location or f"{plugin_class.__module__}.{plugin_class.__qualname__}"
        self.symbols = plugin_class.exported_symbols()
        self._fields = plugin_class.field_methods()

    def get_required_api_version(self) -> str:
        return self.plugin_class.required_api_version

    def get_id(self) -> int:
        return self.plugin_class.id

    def get_name(self) -> str:
        return self.plugin_class.name

    def get_description(self) -> str:
        return self.plugin_class.description

    def get_contact(self) -> str:
        return self.plugin_class.contact

    def get_version(self) -> str:
        return self.plugin_class.version

    def get_event_source(self) -> str:
        return self.plugin_class.event_source

    def get_fields(self) -> str:
        return json.dumps([declaration.to_json() for declaration, _ in self._fields])

    def get_extract_event_sources(self) -> str:
        return json.dumps(self.plugin_class.extract_event_sources or [])

    def get_init_schema(self) -> tuple[str, int]:
        if self.plugin_class.init_schema is None:
            return ("", SchemaType.NONE)
        return (json.dumps(self.plugin_class.init_schema), SchemaType.JSON)

    def destroy(self, state: _State) -> None:
        if state.plugin is not None:
            try:
                state.plugin.destroy()
            except Exception:  # destroy has no way to report; nothing to do
                pass

    def get_last_error(self, state: _State) -> str:
        return state.last_error

    def _fail(self, state: _State, exc: BaseException) -> int:
        state.last_error = str(exc) or type(exc).__name__
        return ReturnCode.FAILURE

    def open(self, state: _State, params: str) -> tuple[Instance | None, int]:
        try:
            return state.plugin.open(params), ReturnCode.SUCCESS
        except Exception as exc:
            return None, self._fail(state, exc)

    def close(self, state: _State, instance: Instance) -> None:
        try:
            instance.close()
        except Exception as exc:
            self._fail(state, exc)


class PythonLibrary(PluginClassCalls):
    """A Python plugin class seen through the 0.3.0 C contract (`reference.contract.v0_3.PluginLibrary`)."""

    # Info calls: no state needed.
    def get_type(self) -> int:
        declared = self.plugin_class.type  # the loader refuses what is not an integer (PLUGIN-ANSWER-TYPES)
        return int(declared) if isinstance(declared, int) else declared

    # Calls on a state.
    def init(self, config: str) -> tuple[_State, int]:
        state = _State()
        try:
            plugin = self.plugin_class()
            plugin.init(config)
        except Exception as exc:  # the plugin's failure becomes its last error, as in the SDKs
            state.last_error = str(exc) or type(exc).__name__
            return state, ReturnCode.FAILURE
        state.plugin = plugin
        return state, ReturnCode.SUCCESS

    def next_batch(self, state: _State, instance: Instance) -> tuple[int, list[Event]]:
        if getattr(instance, "_ended", False):
            return ReturnCode.EOF, []
        try:
            return ReturnCode.SUCCESS, list(instance.next_batch())
        except EndOfStream:
            instance._ended = True  # EOF is final: the plugin is not asked again
            return ReturnCode.EOF, []
        except Timeout:
            return ReturnCode.TIMEOUT, []
        except Exception as exc:
            return self._fail(state, exc), []

    def get_progress(self, state: _State, instance: Instance) -> tuple[str, int]:
        return instance.progress()

    def event_to_string(self, state: _State, data: bytes) -> str:
        try:
            return state.plugin.event_to_string(data)
        except Exception as exc:
            self._fail(state, exc)
            return ""

    def extract_fields(self, state: _State, event: Event, requests: list[ExtractRequest]) -> int:
        for request in requests:
            if not 0 <= request.field_id < len(self._fields):
                state.last_error = f"no known field: {request.field}"
                return ReturnCode.FAILURE
            declaration, method_name = self._fields[request.field_id]
            try:
                value = getattr(state.plugin, method_name)(event, request.arg)
                if value is not None:
                    _check_value(declaration, value)
            except Exception as exc:
                return self._fail(state, exc)
            request.field_present = value is not None
            if value is None:
                continue
            if declaration.type == "uint64":
                request.res_u64 = value
            else:
                request.res_str = value
        return ReturnCode.SUCCESS

    def list_open_params(self, state: _State) -> tuple[str, int]:
        try:
            return json.dumps(state.plugin.list_open_params() or []), ReturnCode.SUCCESS
        except Exception as exc:
            return "", self._fail(state, exc)
