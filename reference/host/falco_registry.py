"""The falcosecurity plugin registry file (`registry.yaml`): its rules and what it says of a plugin.

Two layouts exist: the current one (`plugins: [{name, capabilities: {sourcing: {id, source}, ...}}]`)
and the one used until May 2022 (`plugins: {source: [...], extractor: [...]}`). Both read into
`RegistryEntry` values. `validate` applies the registry tool's rules (clause REGISTRY-RULES);
`identity_warnings` compares a loaded plugin with the registry (clause REGISTRY-IDENTITY).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from reference.errors import PlugrefError

# The registry tool's Go expressions, printed as they are. Go's `$` is the end of the text, Python's also
# matches before a final newline: use them with fullmatch, never match.
NAME_PATTERN = re.compile(r"^[a-z]+[a-z0-9-_]*$")
SOURCE_PATTERN = re.compile(r"^[a-z]+[a-z0-9_]*$")
MAX_PUBLIC_ID = 2**30 - 1


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    sourcing: bool
    id: int | None
    source: str | None
    extraction_sources: tuple[str, ...] = ()
    reserved: bool = False


@dataclass(frozen=True)
class PluginIndex:
    entries: tuple[RegistryEntry, ...]
    reserved_sources: tuple[str, ...] = ()

    def by_name(self, name: str) -> RegistryEntry | None:
        return next((e for e in self.entries if e.name == name), None)

    def by_id(self, plugin_id: int) -> RegistryEntry | None:
        return next((e for e in self.entries if e.sourcing and e.id == plugin_id), None)


class RegistryFileError(PlugrefError):
    pass


def _entry_from_current(item: dict) -> RegistryEntry:
    capabilities = item.get("capabilities") or {}
    sourcing = capabilities.get("sourcing") or {}
    extraction = capabilities.get("extraction") or {}
    is_sourcing = bool(sourcing.get("supported"))
    return RegistryEntry(
        name=str(item.get("name", "")),
        sourcing=is_sourcing,
        id=sourcing.get("id", 0) if is_sourcing else None,
        source=sourcing.get("source", "") if is_sourcing else None,
        extraction_sources=tuple(extraction.get("sources") or ()),
        reserved=bool(item.get("reserved", False)),
    )


def parse_registry(document: object, origin: str = "<registry>") -> PluginIndex:
    """Read a registry document (already YAML-decoded) in either layout."""
    if not isinstance(document, dict) or "plugins" not in document:
        raise RegistryFileError(f"{origin}: not a plugin registry (no top-level 'plugins' key)")
    plugins = document["plugins"]
    if isinstance(plugins, list):
        entries = tuple(_entry_from_current(item) for item in plugins if isinstance(item, dict))
    elif isinstance(plugins, dict):
        entries = tuple(
            RegistryEntry(name=str(item.get("name", "")), sourcing=True, id=item.get("id", 0),
                          source=item.get("source", ""), reserved=bool(item.get("reserved", False)))
            for item in plugins.get("source") or ()
        ) + tuple(
            RegistryEntry(name=str(item.get("name", "")), sourcing=False, id=None, source=None,
                          extraction_sources=tuple(item.get("sources") or ()),
                          reserved=bool(item.get("reserved", False)))
            for item in plugins.get("extractor") or ()
        )
    else:
        raise RegistryFileError(f"{origin}: 'plugins' must be a list or a map of source/extractor lists")
    return PluginIndex(entries, tuple(document.get("reserved_sources") or ()))


def load_registry(path: str | Path) -> PluginIndex:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise RegistryFileError(f"cannot read registry file {path}: {exc.strerror}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegistryFileError(f"registry file {path} is not valid YAML: {exc}") from None
    return parse_registry(document, str(path))


def validate(index: PluginIndex) -> str | None:
    """REGISTRY-RULES: the first rule the registry breaks, in the registry tool's order and words."""
    names: set[str] = set()
    ids: set[int] = set()
    for entry in index.entries:
        if not NAME_PATTERN.fullmatch(entry.name):
            return f"plugin name does follow the naming convention: '{entry.name}'"
        if entry.name in names:
            return f"plugin name is not unique: '{entry.name}'"
        names.add(entry.name)
        if not entry.sourcing:
            continue
        # An ID is a u32 (the tool's YAML decoder refuses anything else): a bool or a negative number is none.
        if type(entry.id) is not int or not 0 <= entry.id <= MAX_PUBLIC_ID:
            return f"source ID outside the allowed range ({MAX_PUBLIC_ID}): '{entry.id}'"
        if entry.id in ids:
            return f"source ID is not unique: '{entry.id}'"
        ids.add(entry.id)
        if entry.id != 0:
            if entry.source in index.reserved_sources:
                return f"forbidden source name: '{entry.source}'"
            if not SOURCE_PATTERN.fullmatch(entry.source or ""):
                return f"source name does follow the naming convention: '{entry.source}'"
    return None


def identity_warnings(index: PluginIndex, name: str, plugin_id: int | None, source: str | None) -> list[str]:
    """REGISTRY-IDENTITY: where a plugin's name, ID or source disagree with the registry."""
    warnings = []
    if plugin_id is not None and plugin_id != 999:
        owner = index.by_id(plugin_id)
        if owner is not None and owner.name != name:
            warnings.append(f"plugin {name} uses ID {plugin_id}, registered to plugin {owner.name}")
    entry = index.by_name(name)
    if entry is not None and plugin_id is not None and entry.sourcing and entry.id != plugin_id:
        warnings.append(f"plugin {name} has ID {plugin_id}, but the registry gives it ID {entry.id}")
    if entry is not None and source is not None and entry.sourcing and entry.source != source:
        warnings.append(f"plugin {name} has event source {source}, but the registry gives it {entry.source}")
    return warnings


#: Copies of the falcosecurity registry kept with plugref (current, then early 2022), consulted
#: only to make an error more helpful, never to decide one.
BUNDLED_REGISTRIES = tuple(Path(__file__).resolve().parents[2] / "conformance" / "data" / name
                           for name in ("registry.yaml", "registry-2022.yaml"))
_bundled_cache: list[PluginIndex] | None = None


def registered_id(name: str) -> int | None:
    """The sourcing ID a bundled copy of the registry gives plugin `name`, if any."""
    global _bundled_cache
    if _bundled_cache is None:
        _bundled_cache = []
        for path in BUNDLED_REGISTRIES:
            try:
                _bundled_cache.append(load_registry(path))
            except PlugrefError:
                continue  # a copy missing from this installation: the hint is only a hint
    for index in _bundled_cache:
        entry = index.by_name(name)
        if entry is not None and entry.sourcing and entry.id:
            return entry.id
    return None
