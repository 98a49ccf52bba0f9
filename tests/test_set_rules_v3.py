"""The set rules a 3.x plugin joins under (reference/host/registry_v3.py): V3-SET-RULES (libs 3.12's
`sinsp_plugin_manager::add`, plugin-api.md §3.2 step 9) and FIELD-OVERLAP, with Python 3.x plugins.

Messages are libs': `found another plugin with name <n>. Aborting.` and `found another plugin with ID <id>.
Aborting.`, behind plugref's own `cannot load plugin <where>: ` prefix.
"""
from __future__ import annotations

import pytest

from fake_plugins.v3_demo import V3Demo
from reference.errors import LoadError
from reference.host.registry import PluginRegistry
from reference.sdk_v3 import Plugin, PythonLibraryV3, field

DEMO_ID = 2**30 + 314  # fake_plugins/v3_demo.py's V3Demo


def _refusal(registry: PluginRegistry, plugin_class: type, location: str) -> LoadError:
    with pytest.raises(LoadError) as error:
        registry.load(PythonLibraryV3(plugin_class, location))
    return error.value


def _no_fields(plugin_class: type) -> type:
    """`plugin_class` without its fields (so that sharing a source does not overlap them)."""
    return type(plugin_class.__name__, (plugin_class,), {"field_methods": classmethod(lambda cls: [])})


@pytest.mark.clause("V3-SET-RULES")
def test_a_second_plugin_of_a_name_is_refused():
    registry = PluginRegistry()
    registry.load(PythonLibraryV3(V3Demo))
    renamed_source = type("Twin", (_no_fields(V3Demo),), {"id": DEMO_ID + 1, "event_source": "twin"})
    error = _refusal(registry, renamed_source, "second.py")
    assert str(error) == "cannot load plugin second.py: found another plugin with name v3demo. Aborting."
    assert (error.where, error.clause) == ("second.py", "V3-SET-RULES")


@pytest.mark.clause("V3-SET-RULES")
def test_two_sourcing_plugins_may_not_share_a_nonzero_id():
    registry = PluginRegistry()
    registry.load(PythonLibraryV3(V3Demo))
    same_id = type("SameId", (_no_fields(V3Demo),), {"name": "sameid", "event_source": "other"})
    error = _refusal(registry, same_id, "sameid.py")
    assert str(error) == f"cannot load plugin sameid.py: found another plugin with ID {DEMO_ID}. Aborting."
    assert (error.where, error.clause) == ("sameid.py", "V3-SET-RULES")
    # a different ID, or the same source name, is no conflict
    registry.load(PythonLibraryV3(type("SameSource", (same_id,), {"id": DEMO_ID + 1, "event_source": "v3demo"})))
    assert [p.name for p in registry.source_plugins()] == ["v3demo", "sameid"]


@pytest.mark.clause("V3-SET-RULES", "V3-SOURCE-ID")
def test_id_zero_may_repeat():
    registry = PluginRegistry()
    for name in ("anyone", "anytwo"):
        registry.load(PythonLibraryV3(type(name, (_no_fields(V3Demo),), {"name": name, "id": 0, "event_source": ""})))
    assert [(p.name, p.info.id, p.info.event_source) for p in registry.source_plugins()] == \
        [("anyone", 0, ""), ("anytwo", 0, "")]


class Duplicate(Plugin):
    """An extractor for v3demo events that declares v3demo.n again."""

    name, version, description, contact = "dup", "0.1.0", "d", "c"
    extract_event_sources = ["v3demo"]

    @field("v3demo.n", "uint64", "the v3demo source's field")
    def n(self, event, arg):
        return 1


class Distinct(Plugin):
    name, version, description, contact = "distinct", "0.1.0", "d", "c"
    extract_event_sources = ["v3demo"]

    @field("distinct.n", "uint64", "a field of its own")
    def n(self, event, arg):
        return 1


@pytest.mark.clause("FIELD-OVERLAP")
def test_a_3x_extractor_may_not_define_a_field_its_source_defines():
    registry = PluginRegistry()
    registry.load(PythonLibraryV3(V3Demo))
    error = _refusal(registry, Duplicate, "dup.py")
    assert str(error) == ("cannot load plugin dup.py: plugin dup: field v3demo.n is defined twice for event source "
                          "v3demo: by plugin v3demo and by plugin dup")
    assert (error.where, error.clause) == ("dup.py", "FIELD-OVERLAP")
    registry.load(PythonLibraryV3(Distinct))
    assert [p.name for p in registry.plugins] == ["v3demo", "distinct"]


@pytest.mark.clause("V3-CAPABILITIES")
def test_joining_reports_what_plugref_will_not_drive():
    class Parsing(V3Demo):
        def parse_event(self, event):
            return None

    registry = PluginRegistry()
    registry.load(PythonLibraryV3(Parsing))
    assert registry.warnings == ["plugin v3demo: parsing not yet supported by plugref: the plugin loads, but those "
                                 "functions are never called"]
