"""Rules over the set of loaded plugins: PLUGIN-NAME-UNIQUE, SRC-ID-RULES, SRC-ID-UNIQUE,
SRC-EXCLUSIVE, FIELD-OVERLAP, EXT-ROUTING."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.harness import try_load
from conformance.strategies import ids, plugin_sets
from fake_plugins.misbehaving import CONFLICTING_PAIRS, WELL_BEHAVED_EXTRACTOR, WELL_BEHAVED_SOURCE, variant
from reference.contract.fields import BUILTIN_EVENT_FIELDS
from reference.host.registry import PluginRegistry

ALL = "every source"


def contexts(definition: dict) -> set | str:
    """The event sources whose events a plugin's fields apply to (ALL: every source)."""
    if definition["type"] == 1:
        return {definition["event_source"]}
    return set(definition.get("extract_event_sources") or ()) or ALL


def share_events(a: dict, b: dict) -> bool:
    ca, cb = contexts(a), contexts(b)
    return ca == ALL or cb == ALL or bool(ca & cb)


def expected_refusal(accepted: list[dict], new: dict) -> str | None:
    """The clause `new` breaks when added after `accepted`, per the statements of docs/spec.md."""
    if any(p["name"] == new["name"] for p in accepted):
        return "PLUGIN-NAME-UNIQUE"
    sources = [p for p in accepted if p["type"] == 1]
    if new["type"] == 1:
        if new["id"] == 0 or new["id"] >= 2**31:
            return "SRC-ID-RULES"
        if any(p["id"] == new["id"] for p in sources):
            return "SRC-ID-UNIQUE"
        if any(p["event_source"] == new["event_source"] for p in sources):
            return "SRC-EXCLUSIVE"
    names = [f["name"] for f in new["fields"]]
    if len(set(names)) != len(names) or set(names) & set(BUILTIN_EVENT_FIELDS):
        return "FIELD-OVERLAP"
    for other in accepted:
        if share_events(new, other) and set(names) & {f["name"] for f in other["fields"]}:
            return "FIELD-OVERLAP"
    return None


@pytest.mark.clause("PLUGIN-NAME-UNIQUE", "SRC-ID-RULES", "SRC-ID-UNIQUE", "SRC-EXCLUSIVE", "FIELD-OVERLAP")
@given(plugin_sets)
def test_registry_admits_exactly_what_the_rules_allow(definitions):
    registry = PluginRegistry()
    accepted = []
    for definition in definitions:
        expected = expected_refusal(accepted, definition)
        plugin, error = try_load(definition, registry)
        assert (error.clause if error else None) == expected, error
        if plugin:
            accepted.append(definition)
    assert [p.name for p in registry.plugins] == [d["name"] for d in accepted]


@pytest.mark.clause("PLUGIN-NAME-UNIQUE", "SRC-ID-UNIQUE", "SRC-EXCLUSIVE", "FIELD-OVERLAP")
@given(plugin_sets)
def test_every_admitted_set_obeys_the_set_rules(definitions):
    registry = PluginRegistry()
    for definition in definitions:
        try_load(definition, registry)
    infos = [p.info for p in registry.plugins]
    sources = [i for i in infos if i.is_source]
    assert len({i.name for i in infos}) == len(infos)
    assert len({i.id for i in sources}) == len(sources)
    assert len({i.event_source for i in sources}) == len(sources)
    for source in {i.event_source for i in sources} | {"never-loaded-source"}:
        names = list(BUILTIN_EVENT_FIELDS)
        for plugin in registry.providers(source):
            names.extend(f.name for f in plugin.info.fields)
        assert len(names) == len(set(names)), source


@pytest.mark.clause("PLUGIN-NAME-UNIQUE", "SRC-ID-UNIQUE", "SRC-EXCLUSIVE", "FIELD-OVERLAP")
@pytest.mark.parametrize("name", sorted(CONFLICTING_PAIRS))
def test_conflicting_pairs_each_load_alone_but_not_together(name):
    first, second, clause = CONFLICTING_PAIRS[name]
    assert try_load(second)[1] is None
    registry = PluginRegistry()
    assert try_load(first, registry)[1] is None
    plugin, error = try_load(second, registry)
    assert error.clause == clause
    assert [p.name for p in registry.plugins] == [first["name"]]


@pytest.mark.clause("SRC-ID-RULES")
@given(ids)
def test_id_rules(plugin_id):
    registry = PluginRegistry()
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, id=plugin_id), registry)
    if plugin_id == 0 or plugin_id >= 2**31:
        assert error.clause == "SRC-ID-RULES"
    else:
        assert error is None
        warned = any("999" in w and "development" in w for w in registry.warnings)
        assert warned == (plugin_id == 999)


@pytest.mark.clause("FIELD-OVERLAP")
@pytest.mark.parametrize("builtin", BUILTIN_EVENT_FIELDS)
def test_no_plugin_may_redefine_a_builtin_field(builtin):
    fields = [{"type": "string", "name": builtin, "desc": "again"}]
    for base in (WELL_BEHAVED_SOURCE, WELL_BEHAVED_EXTRACTOR):
        plugin, error = try_load(variant(base, fields=fields))
        assert error.clause == "FIELD-OVERLAP" and builtin in str(error)


@pytest.mark.clause("FIELD-OVERLAP")
def test_same_field_name_is_fine_for_different_sources():
    registry = PluginRegistry()
    other = variant(WELL_BEHAVED_SOURCE, name="other", id=2**30 + 9, event_source="other")
    assert try_load(WELL_BEHAVED_SOURCE, registry)[1] is None
    assert try_load(other, registry)[1] is None
    scoped = variant(WELL_BEHAVED_EXTRACTOR, extract_event_sources=["other"],
                     fields=[{"type": "string", "name": "tag.name", "desc": "d"}])
    assert try_load(scoped, registry)[1] is None


@pytest.mark.clause("FIELD-OVERLAP")
def test_an_extractor_for_every_source_overlaps_a_later_source_plugin():
    registry = PluginRegistry()
    everywhere = variant(WELL_BEHAVED_EXTRACTOR, extract_event_sources=[],
                         fields=[{"type": "uint64", "name": "ticker.count", "desc": "d"}])
    assert try_load(everywhere, registry)[1] is None
    plugin, error = try_load(WELL_BEHAVED_SOURCE, registry)
    assert error.clause == "FIELD-OVERLAP"
    assert "field ticker.count is defined twice for event source ticker" in str(error)


@pytest.mark.clause("EXT-ROUTING")
@given(st.lists(st.sampled_from(["alpha", "beta", "gamma"]), max_size=3), st.sampled_from(["alpha", "beta", "gamma"]))
def test_extractor_applies_to_listed_sources_or_every_source(listed, source):
    registry = PluginRegistry()
    plugin, error = try_load(variant(WELL_BEHAVED_EXTRACTOR, extract_event_sources=listed), registry)
    applies = plugin in registry.extractors_for(source)
    assert applies == (not listed or source in listed)
    resolved = registry.resolve_field(source, "tag.name")
    assert (resolved is not None) == applies


@pytest.mark.clause("EXT-ROUTING")
def test_extractor_for_every_source_answers_no_value_for_foreign_payloads():
    from reference.host.engine import EventStream
    from reference.host.libraries import open_library

    registry = PluginRegistry()
    registry.load(open_library("fake_plugins.json_extractor"))
    ticker, _ = try_load(WELL_BEHAVED_SOURCE, registry)
    plugin, field = registry.resolve_field("ticker", "json.value")
    ticker.open("")
    for event in EventStream(ticker, clock=lambda: 5):
        assert plugin.extract(event.as_plugin_input(), [(field, "/a")]) == [None]
