"""Loading rules files: every file read and collected in order, then everything compiled once,
then the plugin requirements checked (clauses RULES-ATOMIC, RULES-PLUGIN-VERSIONS, RULES-ENGINE-VERSION).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import semver

from reference.errors import PlugrefError
from reference.host.event_fields import FieldTable
from reference.contract.versions import parse_version, plugin_version_compatible
from reference.falco.config import AppendOutput
from reference.falco.rules.collector import PRIORITIES, Collector, RuleDef
from reference.falco.rules.compiler import CompiledRule, CompileError, MacroResolver, compile_rule, expand_lists, resolved_lists
from reference.falco.rules.reader import ItemError, read_items
from reference.falco.rules.results import SYSCALL_NOT_CHECKED, FileResult, LoadResults, Location, Message

#: The Falco engine version whose rules-file behaviour plugref follows.
ENGINE_VERSION = "0.63.0"
#: The source of rules without `source:`; Falco always loads it, plugref does not model it (RULES-UNKNOWN-SOURCE).
SYSCALL_SOURCE = "syscall"


class RulesLoadError(PlugrefError):
    """A load with errors: nothing of it is kept (RULES-ATOMIC)."""

    def __init__(self, results: LoadResults):
        # As Falco reports it: the requirement message, or the failing file's verbose block.
        if results.requirement_errors:
            text = results.first_error().message
        else:
            # the load stops at the first file that fails: it is the one
            text = next(f.verbose() for f in results.files if not f.successful)
        super().__init__(text, "RULES-ATOMIC")
        self.results = results


@dataclass
class RuleSet:
    rules: list[CompiledRule]
    results: LoadResults
    required_engine_version: str | None = None
    skipped: list[str] = field(default_factory=list)

    def enabled_for(self, source: str, min_priority: int = len(PRIORITIES) - 1) -> list[CompiledRule]:
        """The rules that run on events of `source`: enabled and at least as severe as `min_priority`."""
        return [r for r in self.rules if r.source == source and r.enabled and r.priority <= min_priority]


def check_engine_version(required: str) -> str | None:
    """RULES-ENGINE-VERSION: the problem with a required engine version, or None."""
    if plugin_version_compatible(ENGINE_VERSION, required):
        return None
    return f"Rules require engine version {required}, but engine version is {ENGINE_VERSION}"


def check_plugin_requirements(collector: Collector, loaded: dict[str, str]) -> list[Message]:
    """RULES-PLUGIN-VERSIONS: each entry, from every file, is checked on its own.

    The first alternative naming a loaded plugin decides the entry: compatible (same major,
    loaded >= required) satisfies it, incompatible fails it even if a later alternative would do.
    """
    errors = []
    for requirement in collector.requirements:
        for name, required in requirement.alternatives:
            if name not in loaded:
                continue
            version = loaded[name]
            if parse_version(version) is None:
                errors.append(Message("LOAD_ERR_VALIDATE", f"Plugin '{name}' has invalid version string '{version}'",
                                      requirement.locations))
            elif not plugin_version_compatible(version, required):
                errors.append(Message("LOAD_ERR_VALIDATE", f"Plugin '{name}' version '{version}' is not compatible "
                                                           f"with required plugin version '{required}'",
                                      requirement.locations))
            break
        else:  # no alternative is loaded
            choices = ", ".join(f"{n} (>= {v})" for n, v in requirement.alternatives)
            errors.append(Message("LOAD_ERR_VALIDATE", f"Plugin requirement not satisfied, must load one of: {choices}",
                                  requirement.locations))
    return errors


def _read_sources(files: list) -> list[tuple[str, str | None, str | None]]:
    """(name, text, read error) for each file (a path, or a (name, text) pair)."""
    out = []
    for entry in files:
        if isinstance(entry, tuple):
            out.append((entry[0], entry[1], None))
            continue
        try:
            out.append((str(entry), Path(entry).read_text(), None))
        except (OSError, UnicodeDecodeError) as exc:
            out.append((str(entry), None, f"Could not open file {entry} for reading: "
                                          f"{getattr(exc, 'strerror', None) or exc}"))
    return out


def appended_output(append_output: Iterable[AppendOutput], rule: RuleDef, table: FieldTable) -> str:
    """CONFIG-APPEND-OUTPUT: what falco.yaml's `append_output` entries add to this rule's output,
    in their order: each matching entry's `extra_output`, then, with `suggested_output`,
    `foo_bar=%foo.bar` for each format-suggested plugin field of the rule's source."""
    parts = []
    for entry in append_output:
        if not entry.matches(rule.source, rule.tags, rule.name):
            continue
        if entry.extra_output:
            parts.append(entry.extra_output)
        if entry.suggested_output:
            parts.extend(f"{name.replace('.', '_')}=%{name}" for name in table.suggested_names())
    return " ".join(parts)


def load_rules(files: list, sources: dict[str, FieldTable], loaded_plugins: dict[str, str] | None = None,
               append_output: Iterable[AppendOutput] = ()) -> RuleSet:
    """Load rules files for the given event sources (source -> its FieldTable).

    `loaded_plugins` maps plugin names to versions for required_plugin_versions; `append_output`
    is falco.yaml's (CONFIG-APPEND-OUTPUT). Raises RulesLoadError when any file has an error or a
    requirement is not met.
    """
    collector = Collector(sources)
    results = LoadResults()
    for name, text, read_error in _read_sources(files):
        result = FileResult(name)
        results.files.append(result)
        if read_error is not None:
            result.errors.append(Message("LOAD_ERR_FILE_READ", read_error, (Location("rules content", "", name, 1, 1),)))
            break
        try:
            for item in read_items(text, name):
                try:
                    collector.collect(item, check_engine_version)
                finally:
                    result.warnings.extend(item.warnings)
        except ItemError as exc:
            result.errors.append(exc.report)
            break  # Falco stops at the first file that fails
    if not results.successful:
        raise RulesLoadError(results)

    if not results.files:
        return RuleSet([], results)
    last = results.files[-1]  # what compiling finds is reported with the file read last
    rules: list[CompiledRule] = []
    skipped: list[str] = []
    try:
        lists = resolved_lists(collector)
        macros = MacroResolver(collector, lists)
        macros.check_all()
        for rule in sorted(collector.rules.values(), key=lambda r: r.index):
            table = sources.get(rule.source)
            if table is None:
                if rule.source == SYSCALL_SOURCE:
                    # Falco always has the syscall source and compiles these; plugref cannot: it says so.
                    last.warnings.append(Message("LOAD_UNKNOWN_SOURCE", SYSCALL_NOT_CHECKED, rule.locations))
                    results.not_checked.append(rule.name)
                else:
                    last.warnings.append(Message("LOAD_UNKNOWN_SOURCE", f"Unknown source {rule.source}, skipping",
                                                 rule.locations))
                skipped.append(rule.name)
                continue
            compiled, warnings = compile_rule(rule, table, lists, macros,
                                              appended_output(append_output, rule, table))
            last.warnings.extend(warnings)
            if compiled is None:
                skipped.append(rule.name)
            else:
                rules.append(compiled)
    except CompileError as exc:
        last.errors.append(exc.report)
        raise RulesLoadError(results) from None

    _unused_warnings(collector, macros, last)
    results.requirement_errors = check_plugin_requirements(collector, loaded_plugins or {})
    if not results.successful:
        raise RulesLoadError(results)
    # The highest by semantic-version precedence (semver.org §11); each was checked to parse.
    required = max(collector.required_engine_versions, key=semver.Version.parse, default=None)
    return RuleSet(rules, results, required, skipped)


def _unused_warnings(collector: Collector, macros: MacroResolver, result: FileResult) -> None:
    for macro in collector.macros.values():
        if macro.name not in macros.used_macros:
            result.warnings.append(Message("LOAD_UNUSED_MACRO", "Macro not referred to by any other rule/macro",
                                           macro.locations))
    used_lists = set(macros.used_lists)
    for definition in collector.lists.values():
        used_lists |= {item for item in definition.items if item in collector.lists}
    for definition in collector.lists.values():
        if definition.name not in used_lists:
            result.warnings.append(Message("LOAD_UNUSED_LIST", "List not referred to by any other rule/macro",
                                           definition.locations))


__all__ = ["ENGINE_VERSION", "CompiledRule", "RuleSet", "RulesLoadError", "check_plugin_requirements",
           "expand_lists", "load_rules"]
