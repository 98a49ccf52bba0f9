"""The `plugref` command line."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from .api import FRAMEWORK_API_VERSION
from .engine import EventStream
from .inspector import Inspection, Inspector
from .errors import PlugrefError
from .libraries import open_library
from .registry import PluginRegistry

#: The demo: (plugin, init config), in load order, then the source to open and the fields to show.
DEMO_PLUGINS = (("fake_plugins.counter", '{"max_events": 12, "batch_size": 5}'),
                ("fake_plugins.json_extractor", ""))
DEMO_SOURCE = "counter"
DEMO_FIELDS = (("counter.n", ""), ("counter.divisible", "3"), ("counter.proc", ""),
               ("json.value", "/user/name"), ("json.value", "/nope"))


def _describe(registry: PluginRegistry) -> list[str]:
    lines = [f"{len(registry.plugins)} plugins loaded into a plugin API {FRAMEWORK_API_VERSION} framework:"]
    for plugin in registry.plugins:
        info = plugin.info
        if info.is_source:
            kind = f"source plugin, ID {info.id}, event source {info.event_source}"
        else:
            sources = ", ".join(info.extract_event_sources) or "every event source"
            kind = f"extractor plugin for {sources}"
        lines.append(f"  {info.name} {info.version}: {kind}")
        lines.append(f"    fields: {', '.join(f.name + ('[arg]' if f.arg_required else '') for f in info.fields)}")
    return lines


def run_demo(max_events: int | None) -> int:
    registry = PluginRegistry()
    try:
        for spec, config in DEMO_PLUGINS:
            registry.load(open_library(spec), config)
        for line in _describe(registry):
            print(line)
        for warning in registry.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        source = registry.source_plugin_for(DEMO_SOURCE)
        source.open("")
        resolved = [(registry.resolve_field(DEMO_SOURCE, name), arg) for name, arg in DEMO_FIELDS]
        print("events:")
        stream = EventStream(source)
        for event in stream:
            raw = event.as_plugin_input()
            shown = []
            for (plugin, field_info), arg in resolved:
                value = plugin.extract(raw, [(field_info, arg)])[0]
                label = f"{field_info.name}[{arg}]" if arg else field_info.name
                shown.append(f"{label}={'<NA>' if value is None else value}")
            when = datetime.fromtimestamp(event.ts / 1e9, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
            print(f"  {event.num} {when}Z {event.source} {source.event_to_string(event.data)}")
            print(f"      {' '.join(shown)}")
            if max_events is not None and event.num >= max_events:
                break
        print(f"summary: {stream.count} events read from {source.name}")
        return 0
    finally:
        registry.shutdown()


def inspect(args: argparse.Namespace) -> int:
    inspector = Inspector()
    try:
        settings = Inspection(plugins=args.plugin, input=args.input, filter=" ".join(args.filter) or None,
                              format=args.print, json=args.json, max_events=args.numevents)
        if args.list or args.list_plugins:
            for text in settings.plugins:
                inspector.load(text)
            listing = inspector.field_listing() if args.list else inspector.plugin_listing()
            print("\n".join(listing))
            return 0
        for line in inspector.run(settings):
            print(line)
        return 0
    finally:
        inspector.registry.shutdown()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plugref", description="Reference implementation of the Falco plugin "
                                     "framework (plugin API 0.3.0) and its conformance suite.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the bundled demo: Python plugins loaded, checked and driven")
    run.add_argument("-n", "--numevents", type=int, default=None, help="stop after N events")

    look = commands.add_parser("inspect", help="load plugins and print their events, as sysdig does",
                               description="Load plugins and print the events of a source plugin, filtered "
                                           "and formatted; the options are sysdig's.")
    look.add_argument("-H", "--plugin", action="append", default=[], metavar="PATH[:INIT]",
                      help="load a plugin: a .so path, a Python module (fake_plugins.counter) or a definition "
                           "file, with its init config after the first colon; repeatable")
    look.add_argument("-I", "--input", metavar="NAME|PATH[:OPEN]",
                      help="open this source plugin (a loaded plugin's name or path), with open params")
    look.add_argument("-p", "--print", metavar="FORMAT", help="output format, e.g. '*%%evt.num %%x.word'; a "
                      "leading * prints <NA> for missing values")
    look.add_argument("-j", "--json", action="store_true", help="print each event as JSON with typed values")
    look.add_argument("-n", "--numevents", type=int, metavar="N", help="stop after N events that pass the filter")
    look.add_argument("-l", "--list", action="store_true", help="list the fields of the loaded plugins")
    look.add_argument("--list-plugins", action="store_true", help="list the loaded plugins")
    look.add_argument("filter", nargs="*", help="the filter (condition), e.g. 'x.word in (nginx, sshd)'")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return run_demo(args.numevents)
        return inspect(args)
    except PlugrefError as exc:
        print(f"plugref: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
