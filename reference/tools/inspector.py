"""An inspection session, as `sysdig` runs one: plugins loaded, a source opened, events filtered
and printed with a format. `plugref inspect` is a thin command line over this.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reference.host.engine import EventStream, PluginEvent
from reference.errors import PlugrefError
from reference.host.event_fields import BUILTINS, EventContext, ExtractionMode, ExtractionPlan, FieldTable
from reference.filter import compile_filter, parse
from reference.host.libraries import open_library
from reference.host.loader import LoadedPlugin, speaks_v3
from reference.output import Formatter
from reference.tools.output_file import ReplacingOutput, same_file
from reference.host.registry import PluginRegistry

if TYPE_CHECKING:  # the capture layer is imported by the runs that read or write one (-r, -w)
    from reference.host.capture import CaptureWriter

_UNSEEN = object()  # a plugin ID not looked up yet

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
    read: str | None = None                            # -r FILE
    write: str | None = None                           # -w FILE
    extraction: ExtractionMode = ExtractionMode.LAZY   # --extraction (EXTRACT-BATCHED)


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

    def _table(self, source: str | None) -> FieldTable:
        return FieldTable(self.registry, source)

    def lines(self, default_source: str | None, events: Iterator[PluginEvent], settings: Inspection,
              writer: CaptureWriter | None = None) -> Iterator[str]:
        """The printed line of every event that passes the filter (and formats); with a writer,
        the passing events are written to it instead."""
        compiled: dict[str | None, tuple] = {}
        by_event_source: dict[str | None, tuple] = {}  # the registry is asked once per source, not per event

        def for_source(source: str | None):
            if source in by_event_source:
                return by_event_source[source]
            # Events of a source no loaded plugin provides read with the default table: their
            # evt.* fields have values, their plugin fields none (CAPTURE-UNKNOWN-PLUGIN).
            key = source if self.registry.source_plugin_for(source or "") else default_source
            if key not in compiled:
                table, plan = self._table(key), ExtractionPlan()
                condition = compile_filter(parse(settings.filter), table, plan, text=settings.filter) \
                    if settings.filter else None
                compiled[key] = (condition, Formatter(settings.format or DEFAULT_FORMAT, table, plan), plan)
            by_event_source[source] = compiled[key]
            return compiled[key]

        for_source(default_source)  # compile errors show before any event is read
        passed = 0
        sources_by_id: dict[int, LoadedPlugin | None] = {}
        # Read once: the settings do not change during the run (this loop runs once per event).
        max_events, as_json, extraction = settings.max_events, settings.json, settings.extraction
        # What the events of one plugin and source are read with, looked up again only when an
        # event comes from another plugin or source than the one before it.
        last_id = last_source = _UNSEEN
        for event in events:
            if max_events is not None and passed >= max_events:
                return
            if event.plugin_id != last_id or event.source != last_source:
                last_id, last_source = event.plugin_id, event.source
                source_plugin = sources_by_id.get(last_id, _UNSEEN)
                if source_plugin is _UNSEEN:
                    source_plugin = sources_by_id[last_id] = self.registry.source_plugin_by_id(last_id)
                condition, formatter, plan = for_source(last_source)
                matches = condition.predicate if condition is not None else None
                format_line = formatter.format
                context = EventContext(event, plan, source_plugin, extraction)
            else:
                context.renew(event)
            if matches is not None and not matches(context):
                continue
            passed += 1
            if writer is not None:
                writer.write(event)
            elif as_json:
                values = formatter.values(context)
                if values is not None:
                    yield json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            else:
                line = format_line(context)
                if line is not None:
                    yield line

    def explain(self, settings: Inspection) -> str:
        """`--explain`: the source of the Python function `settings.filter` compiles to, for the
        events of the source plugin -I names (else of the first loaded one); no event is read.
        The function is the one `lines` runs: a teaching view of what the condition means."""
        for text in settings.plugins:
            self.load(text)
        if settings.input is not None:
            source = self.input_plugin(settings.input)[0].info.event_source
        else:
            sources = self.registry.source_plugins()
            source = sources[0].info.event_source if sources else None
        compiled = compile_filter(parse(settings.filter), self._table(source), ExtractionPlan(), text=settings.filter)
        return compiled.source

    def capture_events(self, path: str, notes: list[str]) -> Iterator[PluginEvent]:
        """The plugin events of a capture, numbered from 1, attributed to the loaded source plugins.
        The file is opened and its header checked now, so a bad file is refused before any output.

        CAPTURE-PLUGIN-VERSION: the plugins that wrote the capture must have the major version of
        those loaded now; a capture without plugref's record is read without that check.
        """
        from reference.host.capture import check_plugin_versions, read_capture

        reader = read_capture(path)
        loaded = {p.info.id: p.info.version for p in self.registry.source_plugins()}
        if reader.plugins is None:
            notes.append(f"capture {path} has no plugin version record: plugin versions not checked")
        errors = check_plugin_versions(reader.plugins, loaded)
        if errors:
            reader.close()
            raise PlugrefError("; ".join(errors), "CAPTURE-PLUGIN-VERSION")
        return self._numbered(reader)

    def _numbered(self, reader) -> Iterator[PluginEvent]:
        from reference.host.capture import PPME_PLUGINEVENT_E

        num, first_ts = 0, None
        source_names: dict[int, str] = {}  # plugin ID -> event source, looked up once per ID
        for event in reader:
            num += 1  # every event counts, as in sysdig, even those plugref cannot interpret
            if first_ts is None:
                first_ts = event.ts
            if event.type != PPME_PLUGINEVENT_E:
                continue
            plugin_id = event.plugin_id
            source = source_names.get(plugin_id)
            if source is None:
                plugin = self.registry.source_plugin_by_id(plugin_id)
                source = source_names[plugin_id] = plugin.info.event_source if plugin else ""
            yield event.to_plugin_event(num, source, first_ts)

    def run(self, settings: Inspection, notes: list[str] | None = None) -> Iterator[str]:
        """The printed lines (none with -w). Everything that can be refused (plugins, input,
        filter, format) is checked before an output file is opened (clause INSPECT-OUTPUT-SAFE)."""
        notes = notes if notes is not None else []
        for text in settings.plugins:
            self.load(text)
        # What plugref does not drive in a 3.x plugin is said, never silently ignored (V3-CAPABILITIES).
        if any(speaks_v3(p.info) for p in self.registry.plugins):
            from reference.host.loader_v3 import unsupported_warning  # a 0.3.0 run does without the 3.x layer

            notes.extend(w for w in map(unsupported_warning, self.registry.plugins) if w)
        if settings.read is not None:
            if settings.write is not None and same_file(settings.read, settings.write):
                raise PlugrefError(f"-r and -w name the same file ({settings.write}): writing would destroy the "
                                   f"capture being read; write to another file", "INSPECT-OUTPUT-SAFE")
            sources = self.registry.source_plugins()
            default = sources[0].info.event_source if sources else None
            events = self.capture_events(settings.read, notes)
        elif settings.input is not None:
            source, params = self.input_plugin(settings.input)
            source.open(params)
            default, events = source.info.event_source, iter(EventStream(source))
        else:
            raise PlugrefError("no input: name a source plugin with -I, or a capture file with -r")
        if settings.write is None:
            yield from self.lines(default, events, settings)
            return
        next(self.lines(default, iter(()), settings), None)  # filter and format errors, before the output
        recorded = {p.info.id: (p.name, p.info.version) for p in self.registry.source_plugins()}
        from reference.host.capture import CaptureWriter

        output = ReplacingOutput(settings.write)
        writer = None
        try:
            writer = CaptureWriter(output.stream, plugins=recorded, compress=settings.write.endswith(".gz"))
            yield from self.lines(default, events, settings, writer)
            writer.close()
        except OSError as exc:
            raise output.write_error(exc) from None
        except BaseException:
            if writer is not None:
                try:
                    writer.close()  # what was written stays a readable capture
                except OSError:
                    pass
            kept = output.abandon(keep=writer is not None and writer.count > 0)
            where = f"; the {writer.count} events written before the stop are in {kept}" if kept else ""
            notes.append(f"{settings.write} was left as it was{where}")
            raise
        output.commit()

    def field_listing(self) -> list[str]:
        """`-l`: the fields, by class, as sysdig lists them."""
        out = ["Field Class:                  evt (All event types)", ""]
        out += [f"{name:30}" for name in BUILTINS]
        for plugin in self.registry.plugins:
            out += ["", "-------------------------------", f"Field Class:                  {plugin.name} (plugin)", ""]
            for info in plugin.info.fields:
                if info.hidden:
                    continue  # "hidden" fields are for tables, not for users (EPF_TABLE_ONLY)
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
                    f"Init Config Schema: {info.init_schema_text or ''}"]
            if speaks_v3(info):  # capabilities, and what plugref does not drive (V3-CAPABILITIES)
                unsupported = (f" (not yet supported by plugref: {', '.join(info.unsupported)})"
                               if info.unsupported else "")
                out.append(f"Capabilities: {', '.join(info.capability_names())}{unsupported}")
            if info.is_source:
                # sysdig 0.29: one line per suggestion under the heading, `value: desc` (value alone without desc)
                out += ["Type: source plugin", f"ID: {info.id}", "Suggested Open Params:"]
                out += [f"{entry['value']}: {entry['desc']}" if entry.get("desc") else entry["value"]
                        for entry in plugin.list_open_params()]
            else:
                out.append("Type: extractor plugin")  # sysdig 0.29 names no extract sources here
            out.append("")
        return [*out, ""]  # sysdig ends the listing with one more empty line
