"""Loading one 3.x plugin: the checks of the 3.12 loader (plugin_loader.c, plugin.cpp), in order.

`reference.host.loader.read_info` hands a library here when it speaks the 3.x contract or asks
for an API major other than 0 (clause V3-CONTRACT-DISPATCH). `read_info_v3` gives a
`PluginInfoV3`, which the registry and the event pipeline use like a 0.3.0 `PluginInfo`:
`is_source` means CAP_SOURCING, `fields` are the extraction fields. `LoadedPluginV3` drives the
plugin: init with an `ss_plugin_init_input`, scap events checked as the host checks them, and
extraction one field per call.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reference.contract.fields import FieldInfo, FieldsError
from reference.contract.fields_v3 import FieldArgumentError, FieldInfoV3, parse_argument, parse_fields_json_v3
from reference.contract.field_types import AnyFieldType
from reference.contract.lifecycle import State
from reference.contract.v0_3 import Event, ReturnCode
from reference.contract.v3 import (
    DEFAULT_REQUIRED_EVENT_SCHEMA_VERSION,
    FRAMEWORK_API_VERSION,
    FRAMEWORK_EVENT_SCHEMA_VERSION,
    PPME_PLUGINEVENT_E,
    REQUIRED_SYMBOLS,
    TID_NONE,
    UNSUPPORTED_FEATURES,
    Capability,
    EventFormatError,
    EventInput,
    ExtractRequestV3,
    LogSeverity,
    ScapEvent,
    encode_plugin_event,
)
from reference.contract.versions import Version, parse_version
from reference.errors import LoadError, PluginCallError
from reference.host.loader import LoadedPlugin, PluginInfo, _read_init_schema, validate_init_config

#: The contract tag of a 3.x library or plugin info (`PluginLibraryV3.contract`).
CONTRACT = "3"
_FRAMEWORK = parse_version(FRAMEWORK_API_VERSION)
_EVENT_SCHEMA = parse_version(FRAMEWORK_EVENT_SCHEMA_VERSION)
#: The source name no sourcing plugin with an ID may take (V3-SOURCE-ID).
SYSCALL_SOURCE = "syscall"


def version_incompatibility(required: Version, framework: Version = _FRAMEWORK) -> str | None:
    """Why a 3.12 framework refuses `required`, in plugin_loader.c's words; None when it does not."""
    if required.major != framework.major:
        return "major versions disagree"
    if framework.minor < required.minor:
        return "framework's minor is less than the requested one"
    if framework.minor == required.minor and framework.patch < required.patch:
        return "framework's patch is less than the requested one"
    return None


def detect_capabilities(library: Any) -> tuple[Capability, list[str]]:
    """V3-CAPABILITIES: `plugin_get_capabilities` of plugin_loader.c, from the exported symbols.

    Returns the capability bits and the loader's error texts (BROKEN is set when there are any).
    """
    symbols = library.symbols
    caps, errors = Capability.NONE, []
    sourcing = ("plugin_open", "plugin_close", "plugin_next_batch")
    present = [s in symbols for s in sourcing]
    if all(present):
        has_id = "plugin_get_id" in symbols and library.get_id() != 0
        # The C code calls strlen unchecked; plugref takes NULL for "".
        has_source = "plugin_get_event_source" in symbols and bool(library.get_event_source())
        if has_id == has_source:
            caps |= Capability.SOURCING
        else:
            errors.append("must implement both 'plugin_get_id' and 'plugin_get_event_source' or neither "
                          "(event sourcing)")
    elif any(present):
        errors.append("must implement all of 'plugin_open', 'plugin_close', and 'plugin_next_batch' (event sourcing)")
    if "plugin_extract_fields" in symbols:
        if "plugin_get_fields" in symbols:
            caps |= Capability.EXTRACTION
        else:
            errors.append("must implement both 'plugin_get_fields' and 'plugin_extract_fields' (field extraction)")
    if "plugin_parse_event" in symbols:
        caps |= Capability.PARSING
    if "plugin_set_async_event_handler" in symbols:
        if "plugin_get_async_events" in symbols:
            caps |= Capability.ASYNC
        else:
            errors.append("must implement both 'plugin_get_async_events' and 'plugin_set_async_event_handler' "
                          "(async events)")
    if "plugin_capture_open" in symbols:
        if "plugin_capture_close" in symbols:
            caps |= Capability.CAPTURE_LISTENING
        else:
            errors.append("must implement both 'plugin_capture_open' and 'plugin_capture_close' "
                          "(capture listening)")
    if errors:
        caps |= Capability.BROKEN
    return caps, errors


def unsupported_features(symbols: frozenset[str]) -> tuple[str, ...]:
    """V3-CAPABILITIES: the features this plugin has that plugref does not drive yet, by name."""
    return tuple(name for name, revealing in UNSUPPORTED_FEATURES.items() if any(s in symbols for s in revealing))


@dataclass(frozen=True)
class PluginInfoV3(PluginInfo):
    """What a 3.x plugin says about itself. `type` is None: 3.x has capabilities, not types."""

    capabilities: Capability = Capability.NONE
    #: Features detected and not supported (V3-CAPABILITIES), e.g. ("parsing",).
    unsupported: tuple[str, ...] = ()
    contract: str = CONTRACT

    @property
    def is_source(self) -> bool:
        return bool(self.capabilities & Capability.SOURCING)

    @property
    def has_extraction(self) -> bool:
        return bool(self.capabilities & Capability.EXTRACTION)

    def capability_names(self) -> list[str]:
        names = [("sourcing", Capability.SOURCING), ("extraction", Capability.EXTRACTION),
                 ("parsing", Capability.PARSING), ("async", Capability.ASYNC),
                 ("capture listening", Capability.CAPTURE_LISTENING)]
        return [name for name, bit in names if self.capabilities & bit]


def _string(library: Any, call: str, where: str) -> str:
    value = getattr(library, call)()
    if not isinstance(value, str):
        raise LoadError(where, f"plugin_{call} returned NULL", "PLUGIN-INFO-STRINGS")
    return value


def _json_string_list(library: Any, call: str, name: str, where: str) -> list[str]:
    """`resolve_dylib_json_strlist`: NULL or "" is the empty list; empty strings are dropped."""
    if f"plugin_{call}" not in library.symbols:
        return []
    text = getattr(library, call)()
    if not text:
        return []
    try:
        values = json.loads(text)
    except (ValueError, RecursionError):
        values = None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise LoadError(where, f"error in plugin {name}: '{call}' did not return a json array", "V3-EXTRACT-SOURCES")
    return [v for v in values if v]


def read_info_v3(library: Any) -> PluginInfoV3:
    """Steps 2 to 8 of the 3.12 loader (api §3.2): everything but init. Raises LoadError."""
    where = library.location
    if "plugin_get_required_api_version" not in library.symbols:
        raise LoadError(where, "plugin_get_required_api_version symbol not implemented", "V3-CONTRACT-DISPATCH")
    required = library.get_required_api_version()
    parsed = parse_version(required)
    if parsed is None:
        raise LoadError(where, f"plugin provided an invalid required API version: '{required}'",
                        "V3-CONTRACT-DISPATCH")
    why = version_incompatibility(parsed)
    if why is not None:
        raise LoadError(where, f"plugin required API version '{required}' not compatible with the framework's API "
                               f"version '{FRAMEWORK_API_VERSION}': {why}", "V3-CONTRACT-DISPATCH")
    for symbol in REQUIRED_SYMBOLS:
        if symbol not in library.symbols:
            raise LoadError(where, f"required symbol not implemented: '{symbol.removeprefix('plugin_')}'",
                            "V3-REQUIRED-SYMBOLS")
    version = _string(library, "get_version", where)
    if parse_version(version) is None:
        raise LoadError(where, f"plugin provided an invalid version string: '{version}'", "PLUGIN-VERSION-FORMAT")
    name = _string(library, "get_name", where)
    description = _string(library, "get_description", where)
    contact = _string(library, "get_contact", where)

    caps, errors = detect_capabilities(library)
    if caps & Capability.BROKEN:
        raise LoadError(where, f"broken plugin capabilities: {', '.join(errors)}", "V3-CAPABILITIES")
    if caps == Capability.NONE:
        raise LoadError(where, "plugin does not implement any capability", "V3-CAPABILITIES")

    plugin_id, event_source = None, None
    if caps & Capability.SOURCING:
        plugin_id = library.get_id() if "plugin_get_id" in library.symbols else 0
        if not isinstance(plugin_id, int) or not 0 <= plugin_id < 2**32:
            raise LoadError(where, f"plugin_get_id returned {plugin_id!r}, not a 32-bit unsigned ID", "V3-SOURCE-ID")
        event_source = (library.get_event_source() or "") if plugin_id != 0 else ""
        if plugin_id != 0 and event_source == SYSCALL_SOURCE:
            raise LoadError(where, "plugin can't implement the reserved event source 'syscall'", "V3-SOURCE-ID")

    fields: list[FieldInfoV3] = []
    extract_sources: list[str] = []
    if caps & Capability.EXTRACTION:
        try:
            fields = parse_fields_json_v3(library.get_fields())
        except FieldsError as exc:
            raise LoadError(where, f"error in plugin {name}: {exc}", "V3-FIELDS-JSON") from None
        extract_sources = _json_string_list(library, "get_extract_event_sources", name, where)
        if event_source:
            extract_sources.append(event_source)

    init_schema, init_schema_text = _read_init_schema(library, name, where)
    return PluginInfoV3(
        required_api_version=required, type=None, name=name, description=description, contact=contact,
        version=version, fields=tuple(fields), id=plugin_id, event_source=event_source,
        extract_event_sources=tuple(dict.fromkeys(extract_sources)),
        init_schema=init_schema, init_schema_text=init_schema_text,
        capabilities=caps, unsupported=unsupported_features(library.symbols),
    )


def unsupported_warning(info: PluginInfo | Any) -> str | None:
    """The line that reports what plugref will not drive in this plugin (V3-CAPABILITIES); None for
    a 0.3.0 plugin or one without such features. Takes a PluginInfo or a loaded plugin."""
    info = getattr(info, "info", info)
    if not getattr(info, "unsupported", ()):
        return None
    return (f"plugin {info.name}: {', '.join(info.unsupported)} not yet supported by plugref: "
            f"the plugin loads, but those functions are never called")


class Owner:
    """The `ss_plugin_owner_t` a plugin receives: the framework's last error and its log (V3-INIT-INPUT)."""

    def __init__(self, plugin_name: str):
        self.plugin_name = plugin_name
        self.last_error: str | None = None
        self.log: list[tuple[str, LogSeverity | int, str]] = []

    def log_message(self, component: str | None, message: str, severity: int) -> None:
        """`log_fn`: a NULL component means the plugin's name."""
        try:
            severity = LogSeverity(severity)
        except ValueError:
            pass
        self.log.append((component or self.plugin_name, severity, message))


def event_info_fallback(data: bytes) -> str:
    """evt.plugininfo at HEAD when event_to_string is absent or empty (api §4.5)."""
    if all(32 <= b < 127 for b in data):
        return f"datalen={len(data)} data={data[:50].decode('ascii')}" + ("[...]" if len(data) > 50 else "")
    return "<binary>"


class LoadedPluginV3(LoadedPlugin):
    """A 3.x plugin the framework has loaded: the 0.3.0 `LoadedPlugin` with the 3.x calls."""

    info: PluginInfoV3

    def __init__(self, library: Any, info: PluginInfoV3):
        super().__init__(library, info)
        self.owner = Owner(info.name)
        #: None means every event type; set after init (V3-EXTRACT-SOURCES).
        self.extract_event_types: frozenset[int] | None = None

    def init(self, config: str) -> None:
        """V3-INIT-INPUT: init with an ss_plugin_init_input; the 3.12 messages on failure."""
        config = validate_init_config(self.info, config, self.where)
        self._enter("init")
        state, rc = self.library.init(config, self.owner)
        self._state = state
        if state is None:
            # No state: nothing to destroy, so the plugin ends here.
            self.lifecycle.state = State.DESTROYED
            raise LoadError(self.where, "could not initialize plugin: plugin handle or 'get_last_error' function "
                                        "not defined", "V3-INIT-INPUT")
        if rc != ReturnCode.SUCCESS:
            self.lifecycle.record("init", False)
            message = self.last_error()
            self.destroy()
            raise LoadError(self.where, f"could not initialize plugin: {message}", "V3-INIT-INPUT")
        self.lifecycle.record("init", True)
        self.extract_event_types = self._event_types()
        error = self._event_schema_error()
        if error is not None:
            self.destroy()
            raise LoadError(self.where, error, "V3-EVENT-SCHEMA")

    def _event_schema_error(self) -> str | None:
        """V3-EVENT-SCHEMA: why the event schema in use does not serve this plugin, or None.

        The check applies only to a plugin that reads libscap events other than plugin events,
        which is an extractor whose codes are not 322 alone (plugref drives no parsing)."""
        if self.extract_event_types is not None and self.extract_event_types <= {PPME_PLUGINEVENT_E}:
            return None
        required = None
        if "plugin_get_required_event_schema_version" in self.library.symbols:
            required = self.library.get_required_event_schema_version(self._state)
        if required is None:
            required = DEFAULT_REQUIRED_EVENT_SCHEMA_VERSION
        parsed = parse_version(required) if isinstance(required, str) else None
        if parsed is None:
            return f"plugin {self.name} provided an invalid required event schema version: '{required}'"
        why = version_incompatibility(parsed, _EVENT_SCHEMA)
        if why is None:
            return None
        return (f"plugin {self.name} required event schema version '{required}' not compatible with the event "
                f"schema version in use '{FRAMEWORK_EVENT_SCHEMA_VERSION}': {why}")

    def _event_types(self) -> frozenset[int] | None:
        """V3-EXTRACT-SOURCES: the event codes extraction applies to, computed after init."""
        if not self.info.has_extraction:
            return frozenset()
        codes = []
        if "plugin_get_extract_event_types" in self.library.symbols:
            codes = list(self.library.get_extract_event_types(self._state) or [])
        if codes:
            return frozenset(codes)
        sources = self.info.extract_event_sources
        return None if not sources or SYSCALL_SOURCE in sources else frozenset({PPME_PLUGINEVENT_E})

    def next_batch(self) -> tuple[ReturnCode, list[Event]]:
        """V3-EVENT-CHECKS: the plugin's scap events, checked as `next()` checks them; each becomes
        the (payload, ts) the engine numbers and attributes."""
        self._enter("next_batch")
        rc, raw_events = self.library.next_batch(self._state, self._instance)
        try:
            code = ReturnCode(rc)
        except ValueError:
            raise PluginCallError(f"plugin {self.name}: next_batch returned the unknown code {rc}") from None
        return code, [self._check_event(raw) for raw in raw_events]

    def _check_event(self, raw: bytes) -> Event:
        name, own_id = self.name, self.info.id or 0
        try:
            event = ScapEvent.decode(raw)
        except EventFormatError as exc:
            raise PluginCallError(f"malformed plugin event produced by plugin: '{name}' ({exc})") from None
        if own_id == 0:
            if event.type != PPME_PLUGINEVENT_E:
                raise PluginCallError(f"plugin '{name}' (ID 0, no specific source) produced an event of type "
                                      f"{event.type}: plugref delivers plugin events (322) only; other libscap "
                                      f"events are not yet supported")
            if not event.is_plugin_event or event.plugin_id == 0:
                raise PluginCallError(f"malformed plugin event produced by plugin (no ID): '{name}'")
            raise PluginCallError(f"plugin '{name}' (ID 0) produced an event of plugin ID {event.plugin_id}: "
                                  f"events on behalf of other sources are not yet supported by plugref")
        if not event.is_plugin_event:
            raise PluginCallError(f"malformed plugin event produced by plugin: '{name}'")
        if event.plugin_id not in (0, own_id):
            raise PluginCallError(f"unexpected plugin ID in plugin event: plugin='{name}', expected_id={own_id}, "
                                  f"actual_id={event.plugin_id}")
        # An ID of 0 is the plugin's own: the host fills it in, and forces tid to (uint64)-1.
        return Event(event.payload, event.ts)

    def event_input(self, event: Event) -> EventInput:
        """The ss_plugin_event_input of an event the framework holds (attributed or the plugin's own)."""
        # An event the engine attributed (engine.AttributedEvent) names its plugin and source; a bare
        # one is the plugin's own (event_to_string).
        plugin_id = getattr(event, "plugin_id", None)
        plugin_id = (self.info.id or 0) if plugin_id is None else plugin_id
        source = getattr(event, "source", None)
        source = (self.info.event_source or "") if source is None else source
        return EventInput(encode_plugin_event(plugin_id, event.data, event.ts, TID_NONE), event.evtnum, source)

    def event_to_string(self, data: bytes) -> str | None:
        self._enter("event_to_string")
        text = None
        if "plugin_event_to_string" in self.library.symbols:
            text = self.library.event_to_string(self._state, self.event_input(Event(data, 0)))
        return text if isinstance(text, str) and text else event_info_fallback(data)

    def prepare_request(self, field: FieldInfo, arg: str) -> tuple[FieldInfo, str]:
        """What extract_requests takes for `field[arg]`: a 3.x request struct is filled per call."""
        return field, arg

    def extract_requests(self, event: Event, requests: list[tuple[FieldInfo, str]]) -> list:
        """Values of prepared requests, one extract_fields call each (V3-EXTRACT-ONE-FIELD)."""
        return self.extract(event, requests)

    def extract(self, event: Event, wanted: list[tuple[FieldInfo, str]]) -> list:
        """Values of `wanted` (field, arg) pairs: one extract_fields call per field, as the host makes
        them (V3-EXTRACT-ONE-FIELD). An empty argument stands for "no brackets"."""
        evt = self.event_input(event)
        return [self.extract_one(evt, info, arg or None) for info, arg in wanted]

    def extract_one(self, evt: EventInput, info: FieldInfo, arg: str | None):
        """One field of one event: a typed value, a tuple for list fields, or None for no value."""
        if self.extract_event_types is not None and PPME_PLUGINEVENT_E not in self.extract_event_types:
            return None
        try:
            return self.extract_together(evt, [(info, arg)])[1][0]
        except FieldArgumentError:
            return None  # refused when the filter or format was compiled; never asked of the plugin

    def extract_together(self, evt: EventInput, wanted: list[tuple[FieldInfo, str | None]]) -> tuple[int, list]:
        """(rc, values) of the (field, arg) pairs in one extract_fields call. The host asks one field
        a call (extract_one); `plugref check` asks several, as a batching host may. Raises
        FieldArgumentError for an argument the field refuses."""
        requests = []
        for info, arg in wanted:
            arg_key, arg_index, arg_present = parse_argument(info, arg)
            requests.append(ExtractRequestV3(info.field_id, info.name, AnyFieldType(info.type), info.is_list,
                                             arg_key, arg_index, arg_present))
        self._enter("extract_fields")
        rc = self.library.extract_fields(self._state, evt, requests)
        if rc != ReturnCode.SUCCESS:
            return rc, [None] * len(requests)
        return rc, [self._value(info, request) for (info, _), request in zip(wanted, requests)]

    def _value(self, info: FieldInfo, request: ExtractRequestV3):
        if not request.values:
            return None
        if info.is_list:
            return tuple(request.values)
        if len(request.values) > 1:
            raise PluginCallError(f"plugin {self.name}: extract_fields returned {len(request.values)} values for "
                                  f"{info.name}, which is not a list field (res_len must be 0 or 1)")
        return request.values[0]
