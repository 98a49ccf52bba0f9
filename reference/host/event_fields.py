"""Fields as filters and formats see them: the built-in `evt.*` fields and the plugins' fields.

A `FieldTable` answers, for the events of one source, which field a name designates and what
type it has. Compiling a filter or a format turns each field reference into a `FieldRequest`,
prepared once and kept in an `ExtractionPlan`; an `EventContext` gives the values of one event.

Extraction is done as libsinsp 0.3.0 does it (clause EXTRACT-BATCHED): **one field per
extract_fields call**, asked only when the filter (which stops early) or the format needs the
value, and each value kept for the rest of the event, so that a field asked twice is extracted
once. Real plugins depend on this (plugin-sdk-go keeps one result buffer per field ID and fails a
whole call at the first failing field). `ExtractionMode.BATCHED`, asked for explicitly, instead
extracts every planned field of a plugin in one call at the plugin's first field: the API allows
it, and `plugref check` uses it to tell plugins that would break under such a host.

Built-in fields of plugin events (clause EVT-FIELDS), as sysdig prints them; times in the local
time zone (TZ) unless the name says UTC:
    evt.num            event number, from 1
    evt.time           HH:MM:SS.nnnnnnnnn
    evt.time.s         HH:MM:SS
    evt.time.iso8601   YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000 (UTC)
    evt.datetime       YYYY-MM-DD HH:MM:SS.nnnnnnnnn
    evt.datetime.s     YYYY-MM-DD HH:MM:SS
    evt.rawtime        ns since the epoch; .s seconds; .ns the nanoseconds part (9 digits)
    evt.reltime        ns since the first event of the stream (9 digits at least); .s seconds; .ns the
                       nanoseconds part (9 digits)
In JSON output the time fields are the raw timestamp (ns), as sysdig prints them.
    evt.pluginname     the source plugin's name
    evt.plugininfo     the source plugin's event_to_string of the event
    evt.source         the event source (not in sysdig 0.29)
    evt.is_async       `false`: a plugin event is not an async event (not in sysdig 0.29)
    evt.asynctype      no value: only async events have one (not in sysdig 0.29)
    evt.hostname       the host's name, or $FALCO_HOSTNAME (not in sysdig 0.29)
"""
from __future__ import annotations

import enum
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reference.contract.v0_3 import ExtractRequest, FieldType
from reference.host.engine import PluginEvent
from reference.contract.fields import BUILTIN_EVENT_FIELDS, FieldInfo
from reference.host.loader import LoadedPlugin
from reference.host.registry import PluginRegistry


def _clock(ts: int, utc: bool = False) -> time.struct_time:
    return time.gmtime(ts // 10**9) if utc else time.localtime(ts // 10**9)


def _time(ts: int) -> str:
    return time.strftime("%H:%M:%S", _clock(ts)) + f".{ts % 10**9:09d}"


def _datetime(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", _clock(ts)) + f".{ts % 10**9:09d}"


def _iso8601(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", _clock(ts, utc=True)) + f".{ts % 10**9:09d}+0000"


def _reltime(event: PluginEvent) -> int:
    """ns since the first event of the stream the event came in (sinsp's first event of the capture)."""
    return event.ts - (event.ts if event.first_ts is None else event.first_ts)


def host_name() -> str:
    """The host's name, as Falco's libs report it: $FALCO_HOSTNAME when set, else the kernel's."""
    import socket  # here, not at start-up: only evt.hostname asks

    return os.environ.get("FALCO_HOSTNAME") or socket.gethostname()


def _padded(value: int) -> str:
    return f"{value:09d}"


@dataclass(frozen=True)
class Builtin:
    name: str
    type: FieldType
    value: Callable[["EventContext"], str | int | None]
    #: Time fields print as text but are the raw timestamp in JSON output, as in sysdig.
    json_is_timestamp: bool = False
    #: How the value prints in text output, when not as str(value).
    display: Callable[[int], str] | None = None


BUILTINS = {b.name: b for b in (
    Builtin("evt.num", FieldType.UINT64, lambda c: c.event.num),
    Builtin("evt.time", FieldType.STRING, lambda c: _time(c.event.ts), True),
    Builtin("evt.time.s", FieldType.STRING, lambda c: time.strftime("%H:%M:%S", _clock(c.event.ts)), True),
    Builtin("evt.time.iso8601", FieldType.STRING, lambda c: _iso8601(c.event.ts), True),
    Builtin("evt.datetime", FieldType.STRING, lambda c: _datetime(c.event.ts), True),
    Builtin("evt.datetime.s", FieldType.STRING,
            lambda c: time.strftime("%Y-%m-%d %H:%M:%S", _clock(c.event.ts)), True),
    Builtin("evt.rawtime", FieldType.UINT64, lambda c: c.event.ts),
    Builtin("evt.rawtime.s", FieldType.UINT64, lambda c: c.event.ts // 10**9),
    Builtin("evt.rawtime.ns", FieldType.UINT64, lambda c: c.event.ts % 10**9, display=_padded),
    Builtin("evt.reltime", FieldType.UINT64, lambda c: _reltime(c.event), display=_padded),
    Builtin("evt.reltime.s", FieldType.UINT64, lambda c: _reltime(c.event) // 10**9),
    Builtin("evt.reltime.ns", FieldType.UINT64, lambda c: _reltime(c.event) % 10**9, display=_padded),
    Builtin("evt.pluginname", FieldType.STRING, lambda c: c.source_plugin.name if c.source_plugin else None),
    Builtin("evt.plugininfo", FieldType.STRING,
            lambda c: c.source_plugin.event_to_string(c.event.data) if c.source_plugin else None),
    Builtin("evt.source", FieldType.STRING, lambda c: c.event.source or None),
    # A bool in libs; the text `false` here, which filters and prints as libs' bool does for its values.
    Builtin("evt.is_async", FieldType.STRING, lambda c: "false"),
    Builtin("evt.asynctype", FieldType.STRING, lambda c: None),
    Builtin("evt.hostname", FieldType.STRING, lambda c: host_name()),
)}
assert tuple(BUILTINS) == BUILTIN_EVENT_FIELDS


@dataclass(frozen=True)
class ResolvedField:
    """What a field reference designates: a built-in, or a plugin's field."""

    name: str
    type: FieldType
    builtin: Builtin | None = None
    plugin: LoadedPlugin | None = None
    info: FieldInfo | None = None

    @property
    def arg_required(self) -> bool:
        return bool(self.info and self.info.arg_required)


class FieldTable:
    """The fields that apply to events of one source, in a given set of plugins."""

    def __init__(self, registry: PluginRegistry, source: str):
        self.registry = registry
        self.source = source

    def resolve(self, name: str) -> ResolvedField | None:
        if name in BUILTINS:
            builtin = BUILTINS[name]
            return ResolvedField(name, builtin.type, builtin=builtin)
        found = self.registry.resolve_field(self.source, name)
        if found is None:
            return None
        plugin, info = found
        return ResolvedField(name, info.type, plugin=plugin, info=info)

    def names(self) -> list[str]:
        names = list(BUILTINS)
        for plugin in self.registry.providers(self.source):
            names.extend(f.name for f in plugin.info.fields)
        return names

    def suggested_names(self) -> list[str]:
        """The plugin fields flagged for output (`addOutput`, EPF_FORMAT_SUGGESTED), in load order."""
        return [f.name for plugin in self.registry.providers(self.source) for f in plugin.info.fields
                if getattr(f, "add_output", False)]


class ExtractionMode(enum.Enum):
    """How a host asks plugins for the fields of one event (clause EXTRACT-BATCHED)."""

    #: As libsinsp 0.3.0: one field per extract_fields call, when it is needed.
    LAZY = "lazy"
    #: Every planned field of a plugin in one call, at the first one needed (opt-in).
    BATCHED = "batched"


#: Every distinct (plugin, field, argument) a process compiles gets a small number, its position
#: in the per-event value table (`EventContext.kept`): the same for the same reference in every
#: plan, so that plans merged from several rules share one table.
_SLOTS: dict[tuple, int] = {}


class FieldRequest:
    """One field reference of a compiled filter or format (a field and its argument), prepared
    once at compile time and reused for every event: its `slot` is the position of its value in
    the event's value table, and for a plugin field `extract_request` is the struct handed to
    extract_fields each time, and `extract(event)` the lazy one-field call prepared for it."""

    __slots__ = ("resolved", "arg", "key", "slot", "extract_request", "alone", "builtin", "plugin", "extract")

    def __init__(self, resolved: ResolvedField, arg: str):
        self.resolved = resolved
        self.arg = arg
        # Copied from `resolved`: read for every event, one attribute away rather than two.
        self.builtin: Builtin | None = resolved.builtin
        self.plugin: LoadedPlugin | None = resolved.plugin
        plugin = resolved.plugin
        self.key = (plugin.name if plugin is not None else None, resolved.name, arg)
        self.slot = _SLOTS.setdefault(self.key, len(_SLOTS))
        self.extract_request: ExtractRequest | None = (
            plugin.prepare_request(resolved.info, arg) if plugin is not None else None)
        #: the arguments of a batched extraction of this field alone, built once: ([self], [its struct])
        self.alone = ([self], [self.extract_request])
        #: prepared at the first event that asks it (the plugin is initialised by then)
        self.extract: Callable[[PluginEvent], str | int | None] = self._first_extract

    def _first_extract(self, event: PluginEvent) -> str | int | None:
        self.extract = self.plugin.field_extractor(self.extract_request)
        return self.extract(event)

    def value_in(self, context: "EventContext") -> str | int | None:
        """This field's value for the event of `context` (what a compiled filter or format reads):
        the kept one when it was asked already, else `EventContext.value`."""
        value = context.kept.get(self.slot, _UNKNOWN)
        return context.value(self) if value is _UNKNOWN else value

    def __repr__(self) -> str:
        return f"FieldRequest({self.resolved.name}[{self.arg}])" if self.arg else f"FieldRequest({self.resolved.name})"


class ExtractionPlan:
    """Every field reference the filters and formats compiled with it need, each prepared once."""

    def __init__(self) -> None:
        self.requests: dict[tuple, FieldRequest] = {}
        self._batches: dict[LoadedPlugin, list[FieldRequest]] | None = None

    def add(self, resolved: ResolvedField, arg: str) -> FieldRequest:
        """The request for `resolved[arg]`: the same object for the same field and argument."""
        request = FieldRequest(resolved, arg)
        known = self.requests.get(request.key)
        if known is not None:
            return known
        self.requests[request.key] = request
        self._batches = None
        return request

    def batch(self, plugin: LoadedPlugin) -> list[FieldRequest]:
        """The requests for `plugin`'s fields, in plan order (what BATCHED mode asks in one call)."""
        if self._batches is None:
            batches: dict[LoadedPlugin, list[FieldRequest]] = {}
            for request in self.requests.values():
                if request.plugin is not None:
                    batches.setdefault(request.plugin, []).append(request)
            self._batches = batches
        return self._batches.get(plugin, [])

    @classmethod
    def merged(cls, plans: Iterable["ExtractionPlan"]) -> "ExtractionPlan":
        """One plan with the requests of all `plans` (the first of each key kept)."""
        merged = cls()
        for plan in plans:
            for key, request in plan.requests.items():
                merged.requests.setdefault(key, request)
        return merged


# Read on every event: Python 3.11 looks an enum member up through a descriptor (~0.5 us), a module name is not.
_BATCHED = ExtractionMode.BATCHED
_UNKNOWN = object()  # no value kept yet (None is a kept value: the field has none)


class EventContext:
    """The values of one event's fields, each extracted at its first use and then kept."""

    __slots__ = ("event", "plan", "source_plugin", "mode", "kept", "_plugin_input", "_batched")

    def __init__(self, event: PluginEvent, plan: ExtractionPlan, source_plugin: LoadedPlugin | None,
                 mode: ExtractionMode = ExtractionMode.LAZY):
        self.plan = plan
        self.source_plugin = source_plugin
        self.mode = mode
        self.renew(event)

    def renew(self, event: PluginEvent) -> "EventContext":
        """This context made the one of `event`, nothing kept (the plan, source plugin and mode
        stay): a loop over the events of one source reuses one context, not one made per event."""
        self.event = event
        #: the values asked so far, by request slot (None: the field has no value for this event)
        self.kept: dict[int, str | int | None] = {}
        self._plugin_input = None
        self._batched = None
        return self

    def value(self, request: FieldRequest) -> str | int | None:
        values = self.kept
        slot = request.slot
        value = values.get(slot, _UNKNOWN)
        if value is not _UNKNOWN:
            return value
        builtin = request.builtin
        if builtin is not None:
            value = values[slot] = builtin.value(self)
            return value
        if self.source_plugin is None:
            # An event of a source no loaded plugin provides: nobody is asked (CAPTURE-UNKNOWN-PLUGIN).
            values[slot] = None
            return None
        if self.mode is _BATCHED:
            batched = self._batched if self._batched is not None else set()
            self._batched = batched
            if request.plugin not in batched:
                batched.add(request.plugin)
                batch = self.plan.batch(request.plugin)
                self._extract(request.plugin, batch, [r.extract_request for r in batch])
                if slot in values:
                    return values[slot]
            self._extract(request.plugin, *request.alone)
            return values[slot]
        # As libsinsp: this field alone, in one extract_fields call, now that it is needed.
        value = values[slot] = request.extract(self.event)
        return value

    def _extract(self, plugin: LoadedPlugin, requests: list[FieldRequest], structs: list[ExtractRequest]) -> None:
        """One extract_fields call for `requests` (all of `plugin`; `structs` are their
        extract_requests), their values kept."""
        if self._plugin_input is None:
            self._plugin_input = self.event.as_plugin_input()
        results = plugin.extract_requests(self._plugin_input, structs)
        values = self.kept
        for request, value in zip(requests, results):
            values[request.slot] = value
