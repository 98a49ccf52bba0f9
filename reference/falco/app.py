"""What `plugref run` and `plugref validate` do, as Falco does it: falco.yaml's plugins loaded,
rules files loaded for the loaded sources, source plugins opened, alerts raised.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from reference.falco.alerts import Alert, AlertEngine, RunSummary
from reference.falco.config import ConfigError, FalcoConfig, PluginConfig, load_config
from reference.errors import PlugrefError
from reference.host.event_fields import FieldTable
from reference.host.libraries import open_library
from reference.host.loader import LoadedPlugin
from reference.host.registry import PluginRegistry
from reference.falco.rules import RuleSet, RulesLoadError, load_rules
from reference.falco.rules.collector import parse_priority

DEMO = Path(__file__).resolve().parents[2] / "fake_plugins" / "demo"
DEMO_CONFIG = DEMO / "falco.yaml"
DEMO_RULES = DEMO / "rules.yaml"


@dataclass
class Loaded:
    config: FalcoConfig
    registry: PluginRegistry
    entries: dict[str, PluginConfig]   # plugin name -> its config entry

    def sources(self) -> dict[str, FieldTable]:
        return {p.info.event_source: FieldTable(self.registry, p.info.event_source)
                for p in self.registry.source_plugins()}

    def versions(self) -> dict[str, str]:
        return {p.name: p.info.version for p in self.registry.plugins}


def load_plugins(config: FalcoConfig) -> Loaded:
    """CONFIG-*: load the selected plugins in order; a source plugin's configured name must be its own."""
    registry = PluginRegistry()
    entries = {}
    try:
        for entry in config.selected_plugins():
            try:
                plugin = registry.load(open_library(entry.library_path), entry.init_config)
            except PlugrefError as exc:
                raise ConfigError(config.file, entry.line, f"plugin '{entry.name}': {exc}", exc.clause or
                                  "CONFIG-PLUGINS") from None
            if plugin.info.is_source and plugin.name != entry.name:
                raise ConfigError(config.file, entry.line,
                                  f"plugin '{entry.name}' is the source plugin '{plugin.name}': the configured name of "
                                  f"a source plugin must be its own name, by which it is opened",
                                  "CONFIG-SOURCE-NAME")
            entries[plugin.name] = entry
    except PlugrefError:
        registry.shutdown()
        raise
    return Loaded(config, registry, entries)


def load_ruleset(loaded: Loaded, rules_files: list[str]) -> RuleSet:
    return load_rules(rules_files, loaded.sources(), loaded.versions(), loaded.config.append_output)


def run(config_path: str | None, rules_files: list[str], json_output: bool, plugins_dir: str | None,
        max_events: int | None, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    config = load_config(config_path or DEMO_CONFIG, plugins_dir)
    if not rules_files:
        rules_files = config.rules_files if config_path else [str(DEMO_RULES)]
    if not rules_files:
        raise PlugrefError("no rules: give rules files with -r, or rules_files in the configuration")
    json_output = json_output or config.json_output
    loaded = load_plugins(config)
    try:
        for plugin in loaded.registry.plugins:
            kind = (f"source plugin, event source {plugin.info.event_source}" if plugin.info.is_source
                    else "extractor plugin")
            print(f"Loaded plugin {plugin.name} {plugin.info.version} ({kind}) from {plugin.where}", file=err)
        for warning in [*config.warnings, *loaded.registry.warnings]:
            print(f"warning: {warning}", file=err)
        ruleset = load_ruleset(loaded, rules_files)
        for warning in ruleset.results.warnings():
            print(f"warning: {warning.verbose()}", file=err)
        if ruleset.results.not_checked_line():
            print(f"warning: {ruleset.results.not_checked_line()}", file=err)
        sources = loaded.registry.source_plugins()
        if not sources:
            raise PlugrefError("no source plugin is loaded: nothing to read events from")
        for plugin in sources:
            plugin.open(loaded.entries[plugin.name].open_params)
        engine = AlertEngine(ruleset, parse_priority(config.priority), rule_matching=config.rule_matching)

        def emit(alert: Alert) -> None:
            print(json.dumps(alert.to_json(), ensure_ascii=False) if json_output else alert.text(), file=out)

        progress = ProgressBar(err) if err.isatty() else None
        summary = engine.run(sources, emit, max_events, progress.update if progress else None)
        if progress:
            progress.finish()
        print("\n".join(summary.lines()), file=err if json_output else out)
        return 0
    finally:
        loaded.registry.shutdown()


class ProgressBar:
    """A one-line progress bar on a terminal, fed by get_progress (ENGINE-STREAM)."""

    def __init__(self, stream, interval: float = 0.2):
        self.stream, self.interval, self.clock = stream, interval, time.monotonic
        self.last: float | None = None  # the first update is always drawn

    def update(self, summary: RunSummary, plugin: LoadedPlugin) -> None:
        now = self.clock()
        if self.last is not None and now - self.last < self.interval:
            return
        self.last = now
        answer = plugin.progress()
        permyriad = min(max(answer[1], 0), 10000) if answer else 0
        filled = permyriad * 30 // 10000
        self.stream.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {permyriad / 100:6.2f}%  "
                          f"events {sum(summary.events.values())}  alerts {sum(summary.alerts.values())}")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\r" + " " * 70 + "\r")
        self.stream.flush()


def validate(rules_files: list[str], config_path: str | None, json_output: bool, plugins_dir: str | None,
             out=None) -> int:
    """`falco -V`: load the rules (for the plugins of the configuration, if any) and print the results.

    Stricter than Falco 0.31.1's `-V`, which ran before plugins loaded and skipped every plugin-source
    rule: as current Falco, plugin-source rules and required_plugin_versions are checked (RULES-RESULTS).
    """
    out = out or sys.stdout
    loaded = load_plugins(load_config(config_path, plugins_dir) if config_path else FalcoConfig("(no configuration)"))
    try:
        try:
            results = load_ruleset(loaded, rules_files).results
        except RulesLoadError as exc:
            results = exc.results
        if json_output or loaded.config.json_output:
            print(json.dumps(results.to_json(), indent=2), file=out)
        else:
            print(results.verbose(), file=out)
        return 0 if results.successful else 1
    finally:
        loaded.registry.shutdown()
