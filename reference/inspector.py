"""An inspection session, as `sysdig` runs one: plugins loaded, a source opened, events filtered
and printed with a format. `plugref inspect` is a thin command line over this.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from .engine import EventStream, PluginEvent
from .errors import PlugrefError
from .event_fields import BUILTINS, EventContext, ExtractionPlan, FieldTable
from .filter import compile_filter, parse
from .libraries import open_library
from .loader import LoadedPlugin
from .output import Formatter
from .registry import PluginRegistry

#: sysdig's line for plugin events when no -p is given (clause OUTPUT-DEFAULT).
DEFAULT_FORMAT = "*%evt.num %evt.datetime.s [%evt.pluginname] %evt.plugininfo"


def split_spec(text: str) -> tuple[str, str]:
    """`PATH[:CONFIG]` as sysdig reads it: the config is everything after the first colon."""
    spec, _, config = text.partition(":")
    return spec, config


@dataclass
class Inspection:
    plugins: list[str] = field(default_factory=list)   # -H PATH[:INIT]
    input: str | None = None                           # -I NAME|PATH[:OPEN]
    filter: str | None = None
    format: str | None = None                          # -p
    json: bool = False                                 # -j
    max_events: int | None = None                      # -n


class Inspector:
    def __init__(self, registry: PluginRegistry | None = None):
        self.registry = registry or PluginRegistry()
        self._by_spec: dict[str, LoadedPlugin] = {}

    def load(self, text: str) -> LoadedPlugin:
        spec, config = split_spec(text)
        plugin = self.registry.load(open_library(spec), config)
        self._by_spec[spec] = plugin
        return plugin

    def input_plugin(self, text: str) -> tuple[LoadedPlugin, str]:
        """The source plugin `-I NAME|PATH[:OPEN]` designates (loading it if given by path)."""
        spec, params = split_spec(text)
        plugin = self._by_spec.get(spec) or self.registry.by_name(spec)
        if plugin is None:
            plugin = self.load(spec)
        if not plugin.info.is_source:
            raise PlugrefError(f"plugin {plugin.name} is not a source plugin and cannot be used as input.")
        return plugin, params

    def lines(self, source: LoadedPlugin, events: Iterator[PluginEvent], settings: Inspection) -> Iterator[str]:
        """The printed line of every event that passes the filter (and formats)."""
        table = FieldTable(self.registry, source.info.event_source)
        plan = ExtractionPlan()
        condition = compile_filter(parse(settings.filter), table, plan, text=settings.filter) \
            if settings.filter else None
        formatter = Formatter(settings.format or DEFAULT_FORMAT, table, plan)
        passed = 0
        sources_by_id: dict[int, LoadedPlugin | None] = {}
        for event in events:
            if settings.max_events is not None and passed >= settings.max_events:
                return
            if event.plugin_id not in sources_by_id:
                sources_by_id[event.plugin_id] = self.registry.source_plugin_by_id(event.plugin_id)
            context = EventContext(event, plan, sources_by_id[event.plugin_id])
            if condition is not None and not condition.matches(context):
                continue
            passed += 1
            if settings.json:
                values = formatter.values(context)
                if values is not None:
                    yield json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            else:
                line = formatter.format(context)
                if line is not None:
                    yield line

    def run(self, settings: Inspection) -> Iterator[str]:
        for text in settings.plugins:
            self.load(text)
        if settings.input is None:
            raise PlugrefError("no input: name a source plugin with -I")
        source, params = self.input_plugin(settings.input)
        source.open(params)
        yield from self.lines(source, iter(EventStream(source)), settings)

    def field_listing(self) -> list[str]:
        """`-l`: the fields, by class, as sysdig lists them."""
        out = ["Field Class:                  evt (All event types)", ""]
        out += [f"{name:30}" for name in BUILTINS]
        for plugin in self.registry.plugins:
            out += ["", "-------------------------------", f"Field Class:                  {plugin.name} (plugin)", ""]
            for info in plugin.info.fields:
                suffix = "[arg]" if info.arg_required else ""
                out.append(f"{info.name + suffix:30}{info.desc}")
        return out

    def plugin_listing(self) -> list[str]:
        """`--list-plugins`: the loaded plugins, as sysdig -Il shows them."""
        out = [f"{len(self.registry.plugins)} Plugins Loaded:", ""]
        for plugin in self.registry.plugins:
            info = plugin.info
            out += [f"Name: {info.name}", f"Description: {info.description}", f"Contact: {info.contact}",
                    f"Version: {info.version}",
                    f"Init Config Schema: {json.dumps(info.init_schema) if info.init_schema else ''}"]
            if info.is_source:
                params = ", ".join(entry["value"] for entry in plugin.list_open_params())
                out += ["Type: source plugin", f"ID: {info.id}", f"Suggested Open Params: {params}"]
            else:
                sources = ", ".join(info.extract_event_sources) or "(all)"
                out += ["Type: extractor plugin", f"Extract Event Sources: {sources}"]
            out.append("")
        return out
