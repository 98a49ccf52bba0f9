"""The set of loaded plugins, and the loading rules that concern more than one plugin.

`PluginRegistry.add(plugin)` admits a plugin only if the whole set still obeys:
PLUGIN-NAME-UNIQUE, SRC-ID-RULES, SRC-ID-UNIQUE, SRC-EXCLUSIVE and FIELD-OVERLAP. A refused plugin
leaves the set as it was. Routing of events to extractors (EXT-SOURCES) is answered here too.
"""
from __future__ import annotations

from reference.errors import LoadError
from reference.contract.fields import BUILTIN_EVENT_FIELDS, FieldInfo
from reference.contract.v0_3 import PluginLibrary
from reference.host.loader import LoadedPlugin, PluginInfo, loaded_plugin, read_info, speaks_v3

#: ID 0 is the registry's "zero value" and names no plugin.
ZERO_ID = 0
#: Reserved by the registry for development: anyone may use it, so events may collide.
TEST_ID = 999
#: IDs from 2^31 are reserved or internal to the framework; plugins must not use them.
FIRST_FORBIDDEN_ID = 2**31

#: Stands for "whatever event source": extractors that name no source apply to it.
ANY_SOURCE = None


def id_diagnostics(info: PluginInfo) -> tuple[str | None, str | None]:
    """SRC-ID-RULES for one source plugin: (error, warning), each None when there is none."""
    if info.id == ZERO_ID:
        from reference.host.falco_registry import registered_id  # reads YAML: only on this error path
        registered = registered_id(info.name)
        hint = f"; the plugin registry gives {info.name} ID {registered}" if registered else ""
        return (f"source plugin {info.name} has ID 0, which is not a valid source plugin ID "
                f"(0 is reserved as the zero value){hint}", None)
    if info.id >= FIRST_FORBIDDEN_ID:
        return (f"source plugin {info.name} has ID {info.id}, in the block reserved for the framework "
                f"(plugins may use IDs up to {FIRST_FORBIDDEN_ID - 1})", None)
    if info.id == TEST_ID:
        return (None, f"source plugin {info.name} uses ID 999, reserved for development: its events may be "
                      f"confused with those of other plugins in development")
    return (None, None)


def extractor_applies(info: PluginInfo, source: str | None) -> bool:
    """EXT-SOURCES: does extractor `info` extract from events of `source`?"""
    return not info.extract_event_sources or (source is not None and source in info.extract_event_sources)


class PluginRegistry:
    """The plugins loaded into one framework instance, in load order."""

    def __init__(self) -> None:
        self.plugins: list[LoadedPlugin] = []
        self.warnings: list[str] = []

    def by_name(self, name: str) -> LoadedPlugin | None:
        return next((p for p in self.plugins if p.name == name), None)

    def source_plugins(self) -> list[LoadedPlugin]:
        return [p for p in self.plugins if p.info.is_source]

    def source_plugin_for(self, source: str) -> LoadedPlugin | None:
        return next((p for p in self.source_plugins() if p.info.event_source == source), None)

    def source_plugin_by_id(self, plugin_id: int) -> LoadedPlugin | None:
        return next((p for p in self.source_plugins() if p.info.id == plugin_id), None)

    def extractors_for(self, source: str | None) -> list[LoadedPlugin]:
        return [p for p in self.plugins if not p.info.is_source and extractor_applies(p.info, source)]

    def providers(self, source: str | None) -> list[LoadedPlugin]:
        """The plugins whose fields apply to events of `source`: its source plugin first."""
        own = self.source_plugin_for(source) if source is not None else None
        return ([own] if own else []) + self.extractors_for(source)

    def known_sources(self) -> list[str]:
        sources = [p.info.event_source for p in self.source_plugins()]
        for p in self.plugins:
            sources.extend(p.info.extract_event_sources)
        return list(dict.fromkeys(sources))

    def resolve_field(self, source: str, name: str) -> tuple[LoadedPlugin, FieldInfo] | None:
        """The plugin and field that extract `name` from events of `source`, if any."""
        for plugin in self.providers(source):
            found = plugin.info.field(name)
            if found is not None:
                return plugin, found
        return None

    # The rules.

    def _check(self, info: PluginInfo, where: str) -> str | None:
        """Raise LoadError if `info` cannot join the set; return a warning or None."""
        if speaks_v3(info):
            from reference.host.registry_v3 import check_v3

            return check_v3(self, info, where)
        if self.by_name(info.name) is not None:
            raise LoadError(where, f"found multiple plugins with name {info.name}. Aborting.",
                            "PLUGIN-NAME-UNIQUE")
        warning = None
        if info.is_source:
            error, warning = id_diagnostics(info)
            if error:
                raise LoadError(where, error, "SRC-ID-RULES")
            same_id = self.source_plugin_by_id(info.id)
            if same_id is not None:
                raise LoadError(where, f"source plugin {info.name} has ID {info.id}, already used by source plugin "
                                       f"{same_id.name}", "SRC-ID-UNIQUE")
            same_source = self.source_plugin_for(info.event_source)
            if same_source is not None:
                raise LoadError(where, f"event source {info.event_source} is already provided by source plugin "
                                       f"{same_source.name}; only one source plugin per event source may be loaded",
                                "SRC-EXCLUSIVE")
        overlap = self._field_overlap(info)
        if overlap:
            raise LoadError(where, overlap, "FIELD-OVERLAP")
        return warning

    def _field_overlap(self, info: PluginInfo) -> str | None:
        """FIELD-OVERLAP: with `info` added, is any field name defined twice for some event source?"""
        if info.is_source:
            contexts = [info.event_source]
        elif info.extract_event_sources:
            contexts = list(info.extract_event_sources)
        else:
            contexts = self.known_sources() + [ANY_SOURCE]
        for source in contexts:
            owners: dict[str, str] = {name: "the framework (built-in field)" for name in BUILTIN_EVENT_FIELDS}
            candidates = [p.info for p in self.providers(source)]
            if info.is_source:
                candidates = [info] + candidates
            else:
                candidates.append(info)
            for candidate in candidates:
                for f in candidate.fields:
                    if f.name in owners:
                        where = f"event source {source}" if source is not None else "any event source"
                        return (f"plugin {info.name}: field {f.name} is defined twice for {where}: by "
                                f"{owners[f.name]} and by plugin {candidate.name}")
                    owners[f.name] = f"plugin {candidate.name}"
        return None

    def add(self, plugin: LoadedPlugin) -> str | None:
        """Admit `plugin` (already initialised) or raise LoadError; returns a warning if any."""
        warning = self._check(plugin.info, plugin.where)
        self.plugins.append(plugin)
        if warning:
            self.warnings.append(warning)
        return warning

    def load(self, library: PluginLibrary, config: str = "") -> LoadedPlugin:
        """Read a library, check it against the set, init it and add it.

        The set rules run before init, so a plugin the set would refuse is never initialised.
        """
        info = read_info(library)
        self._check(info, library.location)
        plugin = loaded_plugin(library, info)
        plugin.init(config)
        self.add(plugin)
        return plugin

    def shutdown(self) -> None:
        for plugin in reversed(self.plugins):
            plugin.shutdown()
