"""Loading one plugin: the checks of the 0.3.0 loader, in its order, then init.

`load_plugin(library, config)` turns a `PluginLibrary` (Python or native) into a `LoadedPlugin`,
or raises `LoadError` naming the library, the rule (clause ID) and what is wrong. The rules that
concern a *set* of plugins (unique names and IDs, one source plugin per source, field overlap)
live in `reference.host.registry`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from reference.contract.v0_3 import (
    BASE_REQUIRED_SYMBOLS,
    FRAMEWORK_API_VERSION,
    TYPE_REQUIRED_SYMBOLS,
    Event,
    ExtractRequest,
    FieldType,
    PluginLibrary,
    PluginType,
    ReturnCode,
    SchemaType,
)
from reference.errors import LoadError, PluginCallError
from reference.contract.fields import FieldInfo, FieldsError, parse_fields_json
from reference.contract.lifecycle import ALLOWED, Lifecycle, State
from reference.contract.versions import api_version_compatible, parse_version


# Read on every event: Python 3.11 looks an enum member up through a descriptor (~0.5 us), a module name is not.
_SUCCESS = ReturnCode.SUCCESS


def speaks_v3(library_or_info: Any) -> bool:
    """V3-CONTRACT-DISPATCH: is this library (or the info read from it) of the 3.x contract? Yes when
    the native bridge chose the 3.x bridge by the API major the .so requires, or the Python plugin
    is written with `reference.sdk_v3`; both say so by their `contract` tag."""
    return getattr(library_or_info, "contract", "0") == "3"


def _call_failed(rc: int) -> bool:
    """Does this extract_fields return code void the call's values? Any code but SUCCESS does:
    the 0.3.0 framework takes no value from a failed call (EXTRACT-FAILURE-NO-VALUE)."""
    return rc != _SUCCESS


@dataclass(frozen=True)
class PluginInfo:
    """What a plugin says about itself, read and validated at load."""

    required_api_version: str
    type: PluginType
    name: str
    description: str
    contact: str
    version: str
    fields: tuple[FieldInfo, ...]
    id: int | None = None
    event_source: str | None = None
    #: Extractors only: the sources named by get_extract_event_sources; empty means every source.
    extract_event_sources: tuple[str, ...] = ()
    init_schema: dict | None = None
    #: The init schema exactly as get_init_schema returned it (what `--list-plugins` prints).
    init_schema_text: str | None = None

    @property
    def is_source(self) -> bool:
        return self.type == PluginType.SOURCE

    def field(self, name: str) -> FieldInfo | None:
        return next((f for f in self.fields if f.name == name), None)


def wrong_answer(call: str, value: Any, expected: str) -> str:
    """PLUGIN-ANSWER-TYPES: the text for an answer of the wrong type (a Python plugin can give any)."""
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{call} answered {shown} ({type(value).__name__}), not {expected}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_pair(answer: Any, first, second=_is_int) -> bool:
    """An answer of two values, as (text, code) or (handle, code) calls give."""
    return isinstance(answer, tuple) and len(answer) == 2 and first(answer[0]) and second(answer[1])


def _text_or_null(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _call_string(library: PluginLibrary, call: str, where: str) -> str:
    value = getattr(library, call)()
    if value is None:
        raise LoadError(where, f"plugin_{call} returned NULL", "PLUGIN-INFO-STRINGS")
    if not isinstance(value, str):
        raise LoadError(where, wrong_answer(f"plugin_{call}", value, "a string"), "PLUGIN-ANSWER-TYPES")
    return value


def _check_symbols(library: PluginLibrary, where: str, symbols: tuple[str, ...]) -> None:
    for symbol in symbols:
        if symbol not in library.symbols:
            raise LoadError(where, f"Dynamic library symbol {symbol} not present", "PLUGIN-SYMBOLS")


def _parse_extract_event_sources(library: PluginLibrary, name: str, where: str) -> tuple[str, ...]:
    """EXT-SOURCES: get_extract_event_sources, when exported, is a JSON array of strings."""
    if "plugin_get_extract_event_sources" not in library.symbols:
        return ()
    text = library.get_extract_event_sources()
    if not _text_or_null(text):
        raise LoadError(where, wrong_answer("plugin_get_extract_event_sources", text, "a string"), "PLUGIN-ANSWER-TYPES")
    if text is None or text == "":
        raise LoadError(where, f"error in plugin {name}: get_extract_event_sources returned an empty string",
                        "EXT-SOURCES")
    try:
        sources = json.loads(text)
    except (ValueError, RecursionError):
        sources = None
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise LoadError(where, f"error in plugin {name}: get_extract_event_sources did not return a json array",
                        "EXT-SOURCES")
    return tuple(dict.fromkeys(sources))


def _read_init_schema(library: PluginLibrary, name: str, where: str) -> tuple[dict | None, str | None]:
    """INIT-SCHEMA: the schema a plugin exports and its text, or (None, None) when it has none."""
    if "plugin_get_init_schema" not in library.symbols:
        return None, None
    answer = library.get_init_schema()
    if not _is_pair(answer, _text_or_null):
        raise LoadError(where, wrong_answer("plugin_get_init_schema", answer, "a string and a schema type"),
                        "PLUGIN-ANSWER-TYPES")
    text, schema_type = answer
    if schema_type not in (SchemaType.NONE, SchemaType.JSON):
        raise LoadError(where, f"error in plugin {name}: get_init_schema returned an unknown schema type "
                               f"{schema_type}", "INIT-SCHEMA")
    if schema_type == SchemaType.NONE or not text:
        return None, None
    try:
        schema = json.loads(text)
    except (ValueError, RecursionError):
        schema = None
    if not isinstance(schema, dict):
        raise LoadError(where, f"error in plugin {name}: get_init_schema did not return a json object",
                        "INIT-SCHEMA")
    import jsonschema  # here, not at the top: only plugins with an init schema need it (start-up time)

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise LoadError(where, f"error in plugin {name}: get_init_schema returned an invalid JSON schema: "
                               f"{exc.message}", "INIT-SCHEMA") from None
    return schema, text


def read_info(library: PluginLibrary) -> PluginInfo:
    """Steps 2 to 7 of the 0.3.0 loader: everything but init. Raises LoadError.

    A library of the 3.x contract (the native bridge chose it by the API major; or a `sdk_v3`
    plugin) is read by the 3.x loader instead (clause V3-CONTRACT-DISPATCH).
    """
    # V3-CONTRACT-DISPATCH: the library speaks the 3.x calls when the native bridge chose the 3.x
    # bridge by the API major the .so requires, or the Python plugin is written with
    # `reference.sdk_v3`. Whatever version it then asks for is judged by the 3.12 rules; a 0.3.0
    # library is judged here, whatever it asks for.
    if speaks_v3(library):
        from reference.host.loader_v3 import read_info_v3  # it builds on this module; 0.3.0 runs never load it

        return read_info_v3(library)
    where = library.location
    if "plugin_get_required_api_version" not in library.symbols:
        raise LoadError(where, "Could not resolve plugin_get_required_api_version function",
                        "PLUGIN-SYMBOLS")
    required = library.get_required_api_version()
    if not _text_or_null(required):
        raise LoadError(where, wrong_answer("plugin_get_required_api_version", required, "a string"),
                        "PLUGIN-ANSWER-TYPES")
    parsed = parse_version(required)
    if parsed is None:
        raise LoadError(where, f"Could not parse version string from {required}", "API-VERSION-FORMAT")
    if not api_version_compatible(parsed):
        raise LoadError(where, f"Unsupported plugin required api version {required} "
                               f"(framework API version is {FRAMEWORK_API_VERSION})", "API-VERSION-COMPAT")
    if "plugin_get_type" not in library.symbols:
        raise LoadError(where, "Could not resolve plugin_get_type function", "PLUGIN-SYMBOLS")
    raw_type = library.get_type()
    if not _is_int(raw_type):
        raise LoadError(where, wrong_answer("plugin_get_type", raw_type, "an integer"), "PLUGIN-ANSWER-TYPES")
    if raw_type not in (PluginType.SOURCE, PluginType.EXTRACTOR):
        raise LoadError(where, f"Wrong plugin type. (got {raw_type}; 1 is source, 2 is extractor)",
                        "PLUGIN-TYPE")
    plugin_type = PluginType(raw_type)

    _check_symbols(library, where, BASE_REQUIRED_SYMBOLS)
    name = _call_string(library, "get_name", where)
    description = _call_string(library, "get_description", where)
    contact = _call_string(library, "get_contact", where)
    version = _call_string(library, "get_version", where)
    if parse_version(version) is None:
        raise LoadError(where, f"Could not parse version string from {version}", "PLUGIN-VERSION-FORMAT")

    fields: list[FieldInfo] = []
    if "plugin_get_fields" in library.symbols:
        text = library.get_fields()
        if not _text_or_null(text):
            raise LoadError(where, wrong_answer(f"plugin {name}: plugin_get_fields", text, "a string"),
                            "PLUGIN-ANSWER-TYPES")
        try:
            fields = parse_fields_json(text)
        except FieldsError as exc:
            raise LoadError(where, f"error in plugin {name}: {exc}", "FIELDS-JSON") from None

    _check_symbols(library, where, TYPE_REQUIRED_SYMBOLS[plugin_type])

    plugin_id = event_source = None
    extract_sources: tuple[str, ...] = ()
    if plugin_type == PluginType.SOURCE:
        plugin_id = library.get_id()
        event_source = _call_string(library, "get_event_source", where)
        if not isinstance(plugin_id, int) or not 0 <= plugin_id < 2**32:
            raise LoadError(where, f"plugin_get_id returned {plugin_id!r}, not a 32-bit unsigned ID",
                            "SRC-ID-RULES")
        if event_source == "":
            raise LoadError(where, f"source plugin {name} has an empty event source", "SRC-EVENT-SOURCE")
    else:
        extract_sources = _parse_extract_event_sources(library, name, where)

    init_schema, init_schema_text = _read_init_schema(library, name, where)
    return PluginInfo(
        required_api_version=required, type=plugin_type, name=name, description=description,
        contact=contact, version=version, fields=tuple(fields), id=plugin_id,
        event_source=event_source, extract_event_sources=extract_sources,
        init_schema=init_schema, init_schema_text=init_schema_text,
    )


def validate_init_config(info: PluginInfo, config: str, where: str) -> str:
    """INIT-SCHEMA: check `config` against the plugin's schema; return the string init receives.

    With a schema, an empty config means `{}` and that is what init gets; without one the config
    passes through verbatim.
    """
    if info.init_schema is None:
        return config
    config = config or "{}"
    try:
        document = json.loads(config)
    except (ValueError, RecursionError):
        raise LoadError(where, f"error in plugin {info.name}: init config is not a valid json",
                        "INIT-SCHEMA") from None
    import jsonschema

    validator = jsonschema.validators.validator_for(info.init_schema)(info.init_schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        location = "/" + "/".join(str(part) for part in error.absolute_path) if error.absolute_path else "<root>"
        raise LoadError(where, f"error in plugin {info.name} init config: In {location}, {error.message}",
                        "INIT-SCHEMA")
    return config


def _as_rc(value: Any) -> ReturnCode | None:
    try:
        return ReturnCode(value)
    except ValueError:
        return None


class LoadedPlugin:
    """A plugin the framework has loaded: its info, its state handle and its lifecycle.

    Every call goes through the lifecycle table (PLUGIN-LIFECYCLE) and turns contract breaches
    into `PluginCallError`, so a misbehaving plugin cannot take the framework down.
    """

    def __init__(self, library: PluginLibrary, info: PluginInfo):
        self.library = library
        self.info = info
        self.lifecycle = Lifecycle(info.name)
        self._state: Any = None
        self._instance: Any = None

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def where(self) -> str:
        return self.library.location

    def _enter(self, call: str) -> None:
        self.lifecycle.check(call)

    def last_error(self) -> str:
        self._enter("get_last_error")
        text = self.library.get_last_error(self._state)
        return text if isinstance(text, str) else ""

    def init(self, config: str) -> None:
        """INIT-FAILURE: init, surfacing the plugin's last error when it fails."""
        config = validate_init_config(self.info, config, self.where)
        self._enter("init")
        answer = self.library.init(config)
        if not _is_pair(answer, lambda state: True):
            self.lifecycle.state = State.DESTROYED  # no state to destroy
            raise LoadError(self.where, wrong_answer(f"plugin {self.name}: init", answer, "a state and a return code"),
                            "PLUGIN-ANSWER-TYPES")
        state, rc = answer
        self._state = state
        if state is None:
            self.lifecycle.record("init", False)
            self.lifecycle.state = State.DESTROYED  # nothing to destroy
            raise LoadError(self.where, "Could not initialize plugin: Plugin handle or get_last_error function "
                                        "not defined", "INIT-FAILURE")
        if rc != ReturnCode.SUCCESS:
            self.lifecycle.record("init", False)
            message = self.last_error()
            self.destroy()
            raise LoadError(self.where, f"Could not initialize plugin: {message}", "INIT-FAILURE")
        self.lifecycle.record("init", True)

    def open(self, params: str = "") -> None:
        self._enter("open")
        answer = self.library.open(self._state, params)
        if not _is_pair(answer, lambda instance: True):
            raise PluginCallError(wrong_answer(f"plugin {self.name}: open", answer, "an instance and a return code"))
        instance, rc = answer
        if rc != ReturnCode.SUCCESS or instance is None:
            message = self.last_error() or "open failed with no error message"
            raise PluginCallError(f"plugin {self.name}: cannot open event source with params {params!r}: {message}")
        self._instance = instance
        self.lifecycle.record("open", True)

    def next_batch(self) -> tuple[ReturnCode, list[Event]]:
        self._enter("next_batch")
        answer = self.library.next_batch(self._state, self._instance)
        if not _is_pair(answer, _is_int, lambda events: isinstance(events, (list, tuple))):
            raise PluginCallError(wrong_answer(f"plugin {self.name}: next_batch", answer,
                                               "a return code and a list of events"))
        rc, events = answer
        code = _as_rc(rc)
        if code is None:
            raise PluginCallError(f"plugin {self.name}: next_batch returned the unknown code {rc}")
        # A bridge that builds the events itself from the C structs (bytes payloads, integer
        # timestamps) vouches for their types; what any other library returns is checked.
        for event in () if getattr(self.library, "builds_events", False) else events:
            if not (isinstance(event, Event) and isinstance(event.data, (bytes, bytearray, memoryview))
                    and _is_int(event.ts)):
                raise PluginCallError(wrong_answer(f"plugin {self.name}: next_batch", event,
                                                   "an event with bytes data and an integer timestamp"))
        return code, events

    def progress(self) -> tuple[str, int] | None:
        self._enter("get_progress")
        if "plugin_get_progress" not in self.library.symbols:
            return None
        answer = self.library.get_progress(self._state, self._instance)
        if not _is_pair(answer, _text_or_null):
            raise PluginCallError(wrong_answer(f"plugin {self.name}: get_progress", answer, "a string and a number"))
        return answer

    def close(self) -> None:
        self._enter("close")
        try:
            self.library.close(self._state, self._instance)
        finally:
            self._instance = None
            self.lifecycle.record("close", True)

    def destroy(self) -> None:
        self._enter("destroy")
        try:
            self.library.destroy(self._state)
        finally:
            self._state = None
            self.lifecycle.record("destroy", True)

    def shutdown(self) -> None:
        """Close if open, then destroy: always safe to call."""
        for call in self.lifecycle.shutdown_calls():
            getattr(self, call)()

    def event_to_string(self, data: bytes) -> str | None:
        self._enter("event_to_string")
        text = self.library.event_to_string(self._state, data)
        return text if isinstance(text, str) else None

    def list_open_params(self) -> list[dict]:
        """The suggested open params; errors use the 0.3.0 texts."""
        self._enter("list_open_params")
        if "plugin_list_open_params" not in self.library.symbols:
            return []
        answer = self.library.list_open_params(self._state)
        if not _is_pair(answer, _text_or_null):
            raise PluginCallError(wrong_answer(f"plugin {self.name}: list_open_params", answer,
                                               "a string and a return code"))
        text, rc = answer
        prefix = f"error in plugin {self.name}"
        if rc != ReturnCode.SUCCESS:
            raise PluginCallError(f"{prefix}: list_open_params has error {self.last_error()}")
        try:
            entries = json.loads(text) if text else []
        except (ValueError, RecursionError):
            entries = None
        if not isinstance(entries, list):
            raise PluginCallError(f"{prefix}: list_open_params returned a non-array JSON")
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
                raise PluginCallError(f"{prefix}: list_open_params has entry with no value")
        return entries

    @staticmethod
    def prepare_request(field: FieldInfo, arg: str) -> ExtractRequest:
        """The extract_fields struct for `field[arg]`, built once and reused for every event."""
        return ExtractRequest(field.field_id, field.name, arg, field.type)

    def field_extractor(self, request: ExtractRequest) -> Callable[[Any], str | int | None]:
        """A function giving the value of the prepared `request` for a host event (a
        `PluginEvent`), one extract_fields call each time: how a lazy host asks a field (clause
        EXTRACT-BATCHED). A bridge that can prepare the call once (the native one) gives it
        ready, its values typed by construction; any other library is asked through
        `extract_requests`. A failed call gives no value (EXTRACT-FAILURE-NO-VALUE)."""
        prepare = getattr(self.library, "prepared_call", None)
        if prepare is None:
            def extract(event) -> str | int | None:
                return self.extract_requests(event.as_plugin_input(), [request])[0]

            return extract
        call, answer = prepare(request)
        lifecycle, allowed, plugin, failed = self.lifecycle, ALLOWED["extract_fields"], self, _call_failed

        def extract_native(event) -> str | int | None:
            if lifecycle.state not in allowed:
                lifecycle.check("extract_fields")  # raises, as _enter does
            return None if failed(call(plugin._state, event)) else answer(0)

        return extract_native

    def extract(self, event: Event, wanted: list[tuple[FieldInfo, str]]) -> list[str | int | None]:
        """Values of `wanted` (field, arg) pairs for `event`, in one extract_fields call."""
        return self.extract_requests(event, [self.prepare_request(f, arg) for f, arg in wanted])

    def extract_requests(self, event: Event, requests: list[ExtractRequest]) -> list[str | int | None]:
        """Values of prepared `requests` for `event`, in one extract_fields call.

        A failing call, or a field the plugin leaves unset, gives no value (None): the 0.3.0
        framework does not consult the last error here (clause EXTRACT-FAILURE-NO-VALUE).
        """
        self.lifecycle.check("extract_fields")  # as _enter does (inlined: this runs per field of every event)
        for request in requests:  # an answer of the last event must not pass for this one's
            request.field_present, request.res_str, request.res_u64 = False, None, None
        rc = self.library.extract_fields(self._state, event, requests)
        if _call_failed(rc):
            return [None] * len(requests)
        values = [request.value for request in requests]
        for request, value in zip(requests, values):
            if value is None:
                continue
            numeric = request.ftype == FieldType.UINT64
            if not (_is_int(value) and 0 <= value < 2**64 if numeric else isinstance(value, str)):
                raise PluginCallError(wrong_answer(f"plugin {self.name}: extract_fields of {request.field}", value,
                                                   "a uint64" if numeric else "a string"))
        return values


def loaded_plugin(library: PluginLibrary, info: PluginInfo) -> LoadedPlugin:
    """The LoadedPlugin that drives `info`'s contract (V3-CONTRACT-DISPATCH)."""
    if speaks_v3(info):
        from reference.host.loader_v3 import LoadedPluginV3

        return LoadedPluginV3(library, info)
    return LoadedPlugin(library, info)


def load_plugin(library: PluginLibrary, config: str = "") -> LoadedPlugin:
    """Read, check and init one plugin (0.3.0 loader steps 1 to 8)."""
    plugin = loaded_plugin(library, read_info(library))
    plugin.init(config)
    return plugin
