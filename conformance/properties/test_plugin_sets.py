"""Rules over the set of loaded plugins: PLUGIN-NAME-UNIQUE, SRC-ID-RULES, SRC-ID-UNIQUE,
SRC-EXCLUSIVE, FIELD-OVERLAP, EXT-ROUTING."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.harness import try_load
from conformance.strategies import ids, plugin_sets
from fake_plugins.misbehaving import CONFLICTING_PAIRS, WELL_BEHAVED_EXTRACTOR, WELL_BEHAVED_SOURCE, variant
from reference.contract.fields import BUILTIN_EVENT_FIELDS
from fake_plugins.defined import DefinedLibrary
from reference.errors import LoadError
from reference.host.loader import loaded_plugin, read_info
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


TICKER_ID = 1073741826  # WELL_BEHAVED_SOURCE's ID (2^30 + 2, in the private block)


@pytest.mark.clause("PLUGIN-NAME-UNIQUE", "SRC-ID-UNIQUE", "SRC-EXCLUSIVE", "FIELD-OVERLAP")
@pytest.mark.parametrize("second, message", [
    (variant(WELL_BEHAVED_EXTRACTOR, name="ticker"),
     "cannot load plugin definition:ticker: found multiple plugins with name ticker. Aborting."),
    (variant(WELL_BEHAVED_SOURCE, name="other", event_source="other"),
     f"cannot load plugin definition:other: source plugin other has ID {TICKER_ID}, already used by source "
     "plugin ticker"),
    (variant(WELL_BEHAVED_SOURCE, name="other", id=TICKER_ID + 1),
     "cannot load plugin definition:other: event source ticker is already provided by source plugin ticker; "
     "only one source plugin per event source may be loaded"),
    (variant(WELL_BEHAVED_EXTRACTOR, fields=[{"type": "string", "name": "ticker.label", "desc": "d"}]),
     "cannot load plugin definition:tagger: plugin tagger: field ticker.label is defined twice for event source "
     "ticker: by plugin ticker and by plugin tagger"),
])
def test_set_refusals_word_for_word(second, message):
    registry = PluginRegistry()
    assert try_load(WELL_BEHAVED_SOURCE, registry)[1] is None
    assert str(try_load(second, registry)[1]) == message
    # the same refusal for a plugin initialised apart and then added
    library = DefinedLibrary(second)
    plugin = loaded_plugin(library, read_info(library))
    plugin.init("")
    with pytest.raises(LoadError) as caught:
        registry.add(plugin)
    assert str(caught.value) == message
    assert [p.name for p in registry.plugins] == ["ticker"]


@pytest.mark.clause("FIELD-OVERLAP")
def test_a_builtin_field_and_extractors_for_every_source_are_named_in_the_overlap():
    builtin = variant(WELL_BEHAVED_SOURCE, fields=[{"type": "uint64", "name": "evt.num", "desc": "again"}])
    assert str(try_load(builtin)[1]) == ("cannot load plugin definition:ticker: plugin ticker: field evt.num is "
                                         "defined twice for event source ticker: by the framework (built-in field) "
                                         "and by plugin ticker")
    registry = PluginRegistry()
    assert try_load(variant(WELL_BEHAVED_EXTRACTOR, extract_event_sources=[]), registry)[1] is None
    again = variant(WELL_BEHAVED_EXTRACTOR, name="retagger", extract_event_sources=[])
    assert str(try_load(again, registry)[1]) == ("cannot load plugin definition:retagger: plugin retagger: field "
                                                 "tag.name is defined twice for any event source: by plugin tagger "
                                                 "and by plugin retagger")


@pytest.mark.clause("SRC-ID-RULES")
def test_id_errors_and_warning_word_for_word():
    registry = PluginRegistry()
    assert str(try_load(variant(WELL_BEHAVED_SOURCE, id=0), registry)[1]) == (
        "cannot load plugin definition:ticker: source plugin ticker has ID 0, which is not a valid source plugin ID "
        "(0 is reserved as the zero value)")
    # a name the kept registry lists gets its registered ID as a hint (dummy_c: ID 4)
    assert str(try_load(variant(WELL_BEHAVED_SOURCE, name="dummy_c", id=0), registry)[1]) == (
        "cannot load plugin definition:dummy_c: source plugin dummy_c has ID 0, which is not a valid source plugin ID "
        "(0 is reserved as the zero value); the plugin registry gives dummy_c ID 4")
    assert str(try_load(variant(WELL_BEHAVED_SOURCE, id=2**31), registry)[1]) == (
        "cannot load plugin definition:ticker: source plugin ticker has ID 2147483648, in the block reserved for the "
        "framework (plugins may use IDs up to 2147483647)")
    assert try_load(variant(WELL_BEHAVED_SOURCE, id=2**31 - 1), registry)[1] is None
    assert registry.warnings == []
    plugin, _ = try_load(variant(WELL_BEHAVED_SOURCE, name="dev", id=999, event_source="dev"), registry)
    assert registry.warnings == ["source plugin dev uses ID 999, reserved for development: its events may be "
                                 "confused with those of other plugins in development"]
    # an extractor has no ID to warn about: adding one answers no warning
    library = DefinedLibrary(WELL_BEHAVED_EXTRACTOR)
    extractor = loaded_plugin(library, read_info(library))
    extractor.init("")
    assert registry.add(extractor) is None and len(registry.warnings) == 1


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
