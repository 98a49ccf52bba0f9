"""The set rules a 3.x plugin joins under (`sinsp_plugin_manager::add`, api §3.2 step 9).

Clause V3-SET-RULES: names are unique; two sourcing plugins may not share a non-zero ID; ID 0
("no specific source") may repeat; several plugins may share one source name (libs keeps the
first for `set_input_plugin`). The field-overlap rule of the registry applies as for 0.3.0
plugins (Falco's per-source check). A 0.3.0 plugin joining the same set is checked by the 0.3.0
rules (`reference.host.registry`); real hosts hold one contract each (clause V3-MIXED-CONTRACTS).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from reference.errors import LoadError
from reference.host.loader_v3 import PluginInfoV3, unsupported_warning

if TYPE_CHECKING:
    from reference.host.registry import PluginRegistry


def check_v3(registry: PluginRegistry, info: PluginInfoV3, where: str) -> str | None:
    """Raise LoadError if the 3.x plugin `info` cannot join `registry`; return a warning or None."""
    if registry.by_name(info.name) is not None:
        raise LoadError(where, f"found another plugin with name {info.name}. Aborting.", "V3-SET-RULES")
    if info.is_source and info.id:
        if any(p.info.is_source and p.info.id == info.id for p in registry.plugins):
            raise LoadError(where, f"found another plugin with ID {info.id}. Aborting.", "V3-SET-RULES")
    overlap = registry._field_overlap(info)
    if overlap:
        raise LoadError(where, overlap, "FIELD-OVERLAP")
    return unsupported_warning(info)
