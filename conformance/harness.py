"""Loading definitions into a fresh framework, for the properties."""
from __future__ import annotations

from fake_plugins.defined import DefinedLibrary
from reference.errors import LoadError
from reference.host.registry import PluginRegistry


def try_load(definition: dict, registry: PluginRegistry | None = None, config: str = ""):
    """(plugin, None) when `definition` loads into `registry`, else (None, LoadError)."""
    registry = registry if registry is not None else PluginRegistry()
    try:
        return registry.load(DefinedLibrary(definition), config), None
    except LoadError as error:
        return None, error
