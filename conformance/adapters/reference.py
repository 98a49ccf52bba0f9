"""The reference, in-process: plugins are the Python fake plugin (DefinedLibrary) of each definition."""
from __future__ import annotations

import json
import os
import tempfile
import time
from contextlib import contextmanager

from fake_plugins.defined import DefinedLibrary
from fake_plugins.native.build import build_v3_plugin
from reference.host.native import open_native
from reference.falco.alerts import AlertEngine
from reference.host.capture import CaptureWriter
from reference.host.engine import EventStream
from reference.errors import PlugrefError
from reference.host.event_fields import FieldTable
from reference.tools.inspector import Inspection, Inspector
from reference.host.registry import PluginRegistry
from reference.falco.rules import RulesLoadError, load_rules

CAPABILITIES = ["load", "inspect", "capture", "rules"]


@contextmanager
def local_time(tz: str):
    """Run in the local time zone `tz` (as a process started with TZ set would), then restore it."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def utc():
    """Cases are written for TZ=UTC."""
    return local_time("UTC")


class ReferenceAdapter:
    name = "reference"

    def __init__(self, library_factory=DefinedLibrary):
        self.library_factory = library_factory

    def describe(self) -> dict:
        return {"implementation": {"name": "plugref", "version": "0.1.0", "language": "python"},
                "api_versions": ["0.3.0", "3.12.0"], "capabilities": CAPABILITIES}

    def close(self) -> None:
        pass

    def _library(self, plugin: dict):
        if "v3_fake" in plugin:  # a 3.x case: the native 3.x fake, built with the case's defines
            defines = dict((d.partition("=")[0], d.partition("=")[2] or None) for d in plugin["v3_fake"])
            return open_native(build_v3_plugin(defines))
        return self.library_factory(plugin["definition"])

    def run(self, case: dict) -> dict:
        try:
            with utc():
                return {"observed": getattr(self, f"_{case['kind']}")(case)}
        except PlugrefError as exc:
            return {"observed": {"error": str(exc)}}

    def _load(self, case: dict) -> dict:
        registry = PluginRegistry()
        verdicts = []
        try:
            for plugin in case["plugins"]:
                try:
                    registry.load(self._library(plugin), plugin.get("init_config", ""))
                    verdicts.append("ok")
                except PlugrefError as exc:
                    verdicts.append({"error": str(exc)})
        finally:
            registry.shutdown()
        return {"verdicts": verdicts}

    def _inspector(self, case: dict) -> tuple[Inspector, list]:
        inspector = Inspector()
        loaded = [inspector.registry.load(self._library(p), p.get("init_config", "")) for p in case["plugins"]]
        return inspector, loaded

    def _settings(self, case: dict) -> Inspection:
        return Inspection(filter=case.get("filter"), format=case.get("format"), json=case.get("json", False),
                          max_events=case.get("max_events"))

    def _events(self, inspector, loaded, case):
        source = loaded[case.get("input", 0)]
        source.open(case.get("open_params", ""))
        return source, iter(EventStream(source))

    def _inspect(self, case: dict) -> dict:
        inspector, loaded = self._inspector(case)
        try:
            source, events = self._events(inspector, loaded, case)
            lines = list(inspector.lines(source.info.event_source, events, self._settings(case)))
        finally:
            inspector.registry.shutdown()
        return self._output(case, lines)

    @staticmethod
    def _output(case: dict, lines: list[str]) -> dict:
        if case.get("json"):
            return {"json_lines": [json.loads(line) for line in lines]}
        return {"lines": lines}

    def _capture(self, case: dict) -> dict:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "case.scap")
            inspector, loaded = self._inspector(case)
            try:
                source, events = self._events(inspector, loaded, case)
                recorded = {p.info.id: (p.name, p.info.version) for p in inspector.registry.source_plugins()}
                with CaptureWriter(path, plugins=recorded) as writer:
                    list(inspector.lines(source.info.event_source, events, Inspection(filter=case.get("filter")),
                                         writer))
            finally:
                inspector.registry.shutdown()
            inspector, loaded = self._inspector(case)
            try:
                settings = Inspection(format=case.get("format"), json=case.get("json", False))
                lines = list(inspector.lines(loaded[case.get("input", 0)].info.event_source,
                                             inspector.capture_events(path, []), settings))
            finally:
                inspector.registry.shutdown()
        return self._output(case, lines)

    def _rules(self, case: dict) -> dict:
        registry = PluginRegistry()
        try:
            plugins = [registry.load(self._library(p), p.get("init_config", "")) for p in case["plugins"]]
            sources = {p.info.event_source: FieldTable(registry, p.info.event_source)
                       for p in registry.source_plugins()}
            try:
                ruleset = load_rules([("case.yaml", case["rules"])], sources,
                                     {p.name: p.info.version for p in plugins})
            except RulesLoadError as exc:
                return {"error": str(exc)}
            warnings = [m.message for m in ruleset.results.warnings()]
            source = plugins[case.get("input", 0)]
            source.open(case.get("open_params", ""))
            alerts = []
            engine = AlertEngine(ruleset, clock=lambda: 0, rule_matching=case.get("rule_matching", "first"))
            engine.run([source], alerts.append, case.get("max_events"), idle_sleep=0)
            if case.get("json"):
                # The host name is the machine's, not the case's: it is left out.
                documents = [{k: v for k, v in a.to_json().items() if k != "hostname"} for a in alerts]
                return {"json_lines": documents, "warnings": warnings}
            return {"alerts": [a.text() for a in alerts], "warnings": warnings}
        finally:
            registry.shutdown()

