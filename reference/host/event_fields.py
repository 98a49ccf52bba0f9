"""Fields as filters and formats see them: the built-in `evt.*` fields and the plugins' fields.

A `FieldTable` answers, for the events of one source, which field a name designates and what
type it has; an `EventContext` gives the values of one event, calling each plugin's
extract_fields **once per event** with every field the filter and the format need (clause
EXTRACT-BATCHED) and caching the answers.

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

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from reference.contract.v0_3 import FieldType
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


@dataclass
class ExtractionPlan:
    """Every (plugin field, argument) a filter and a format need, grouped by plugin."""

    wanted: dict[LoadedPlugin, list[tuple[FieldInfo, str]]] = field(default_factory=dict)

    def add(self, resolved: ResolvedField, arg: str) -> None:
        if resolved.plugin is None:
            return
        pairs = self.wanted.setdefault(resolved.plugin, [])
        if (resolved.info, arg) not in pairs:
            pairs.append((resolved.info, arg))


class EventContext:
    """The values of one event's fields, extracted on first use and then cached."""

    def __init__(self, event: PluginEvent, plan: ExtractionPlan, source_plugin: LoadedPlugin | None):
        self.event = event
        self.plan = plan
        self.source_plugin = source_plugin
        self._plugin_values: dict[LoadedPlugin, dict[tuple[str, str], str | int | None]] = {}
        self._builtin_values: dict[str, str | int | None] = {}

    def value(self, resolved: ResolvedField, arg: str) -> str | int | None:
        if resolved.builtin is not None:
            if resolved.name not in self._builtin_values:
                self._builtin_values[resolved.name] = resolved.builtin.value(self)
            return self._builtin_values[resolved.name]
        values = self._plugin_values.get(resolved.plugin)
        if values is None:
            values = self._extract(resolved.plugin)
        return values.get((resolved.name, arg))

    def _extract(self, plugin: LoadedPlugin) -> dict:
        """One extract_fields call with every field of the plan for this plugin."""
        wanted = self.plan.wanted.get(plugin, [])
        if self.source_plugin is None or not wanted:
            values = {}
        else:
            results = plugin.extract(self.event.as_plugin_input(), wanted)
            values = {(info.name, arg): value for (info, arg), value in zip(wanted, results)}
        self._plugin_values[plugin] = values
        return values
