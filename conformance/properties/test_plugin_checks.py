"""Rules a single plugin must obey to load: PLUGIN-TYPE, PLUGIN-SYMBOLS, PLUGIN-INFO-STRINGS,
FIELDS-JSON, SRC-EVENT-SOURCE, EXT-SOURCES, INIT-SCHEMA, INIT-FAILURE."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.harness import try_load
from conformance.strategies import field_entries
from fake_plugins.misbehaving import MISBEHAVING, WELL_BEHAVED_EXTRACTOR, WELL_BEHAVED_SOURCE, variant
from reference.contract.v0_3 import TYPE_REQUIRED_SYMBOLS, PluginType
from reference.contract.fields import FieldsError, parse_fields_json
from reference.contract.lifecycle import State
from reference.host.libraries import open_library
from reference.host.registry import PluginRegistry


@pytest.mark.clause("PLUGIN-SYMBOLS", "PLUGIN-TYPE")
@pytest.mark.parametrize("definition", [WELL_BEHAVED_SOURCE, WELL_BEHAVED_EXTRACTOR], ids=["source", "extractor"])
def test_well_behaved_definitions_load(definition):
    plugin, error = try_load(definition)
    assert error is None
    assert plugin.lifecycle.state is State.INITIALISED


@pytest.mark.clause("API-VERSION-COMPAT", "API-VERSION-FORMAT", "PLUGIN-VERSION-FORMAT", "PLUGIN-TYPE",
                    "PLUGIN-SYMBOLS", "FIELDS-JSON", "SRC-ID-RULES", "INIT-FAILURE", "EXT-SOURCES")
@pytest.mark.parametrize("name", sorted(MISBEHAVING))
def test_each_misbehaving_plugin_is_refused_with_its_rule(name):
    definition, clause, text = MISBEHAVING[name]
    plugin, error = try_load(definition)
    assert plugin is None
    assert error.clause == clause
    assert text in str(error)
    assert str(error).startswith(f"cannot load plugin definition:{definition['name']}: ")


@pytest.mark.clause("PLUGIN-TYPE")
@given(st.integers(min_value=-5, max_value=2**32 - 1).filter(lambda t: t not in (1, 2)))
def test_types_other_than_source_and_extractor_are_refused(plugin_type):
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, type=plugin_type))
    assert error.clause == "PLUGIN-TYPE" and "Wrong plugin type." in str(error)


@pytest.mark.clause("PLUGIN-SYMBOLS")
@given(st.sampled_from([PluginType.SOURCE, PluginType.EXTRACTOR]), st.data())
def test_missing_required_symbol_is_named(plugin_type, data):
    base = WELL_BEHAVED_SOURCE if plugin_type == PluginType.SOURCE else WELL_BEHAVED_EXTRACTOR
    required = TYPE_REQUIRED_SYMBOLS[plugin_type]
    missing = data.draw(st.sets(st.sampled_from(required), min_size=1))
    plugin, error = try_load(variant(base, omit_symbols=sorted(missing)))
    assert plugin is None and error.clause == "PLUGIN-SYMBOLS"
    # The loader names the first missing symbol in its checking order.
    if "plugin_get_required_api_version" in missing:
        assert "Could not resolve plugin_get_required_api_version function" in str(error)
    elif "plugin_get_type" in missing:
        assert "Could not resolve plugin_get_type function" in str(error)
    else:
        order = [s for s in ("plugin_get_last_error", "plugin_get_name", "plugin_get_description",
                             "plugin_get_contact", "plugin_get_version") if s in missing]
        first = order[0] if order else next(s for s in required if s in missing)
        assert f"Dynamic library symbol {first} not present" in str(error)


@pytest.mark.clause("PLUGIN-SYMBOLS")
@pytest.mark.parametrize("optional", ["plugin_get_init_schema", "plugin_get_progress", "plugin_list_open_params",
                                      "plugin_get_fields", "plugin_extract_fields"])
def test_optional_source_symbols_may_be_missing(optional):
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, omit_symbols=[optional]))
    assert error is None


@pytest.mark.clause("PLUGIN-INFO-STRINGS")
@pytest.mark.parametrize("key", ["name", "description", "contact", "version", "event_source"])
def test_null_info_string_is_refused(key):
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, **{key: None}))
    assert error.clause == "PLUGIN-INFO-STRINGS"
    assert f"plugin_get_{key} returned NULL" in str(error)


@pytest.mark.clause("SRC-EVENT-SOURCE")
def test_source_plugin_needs_an_event_source():
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, event_source=""))
    assert error.clause == "SRC-EVENT-SOURCE"


def field_errors(entry: dict) -> str | None:
    """The loader's message for one entry, derived from the rule's statement in docs/spec.md."""
    for key in ("type", "name", "desc"):
        if entry.get(key) in (None, ""):
            return f"field JSON entry has no {key}"
    if entry["type"] not in ("string", "uint64"):
        return f"invalid field type {entry['type']}"
    # An optional key set to null is absent (libsinsp reads each with a default).
    if entry.get("argRequired") is not None and not isinstance(entry["argRequired"], bool):
        return f"field {entry['name']} argRequired property is not boolean "
    if entry.get("properties") is not None and not isinstance(entry["properties"], list):
        return f"field {entry['name']} properties property is not array "
    return None


broken_entries = st.builds(
    lambda entry, key, value: {**entry, key: value} if value != "<drop>" else
    {k: v for k, v in entry.items() if k != key},
    field_entries(),
    st.sampled_from(["type", "name", "desc", "argRequired", "properties"]),
    st.sampled_from(["<drop>", "", "int64", "ipaddr", 1, True, "x.y", None]),
).filter(lambda e: all(isinstance(e.get(k, ""), str) for k in ("type", "name", "desc"))
         and all(isinstance(p, str) for p in (e.get("properties") if isinstance(e.get("properties"), list) else [])))


@pytest.mark.clause("FIELDS-JSON")
@given(st.lists(st.one_of(field_entries(), broken_entries), max_size=5))
def test_fields_json_accepted_exactly_when_every_entry_is_valid(entries):
    expected = next((e for e in map(field_errors, entries) if e), None)
    try:
        fields = parse_fields_json(json.dumps(entries))
    except FieldsError as exc:
        assert str(exc) == expected
    else:
        assert expected is None
        assert [(f.field_id, f.name, f.type.name.lower()) for f in fields] == \
               [(i, e["name"], e["type"]) for i, e in enumerate(entries)]


@pytest.mark.clause("FIELDS-JSON")
@pytest.mark.parametrize("text, message", [
    (None, "get_fields returned a null string"),
    ("not json", "get_fields returned an invalid JSON"),
    ('{"type": "string"}', "get_fields returned an invalid JSON"),
    ('[1]', "field JSON entry is not an object"),
    ('[{"type": "string", "name": "a.b", "desc": "d", "properties": [1]}]', "field a.b properties value is not string "),
    ('[{"type": 9, "name": "a.b", "desc": "d"}]', "field JSON entry type is not a string"),
    ('[]', None),
    # plugin-sdk-go v0.1.0 writes "properties":null for every field; null optional keys are absent.
    ('[{"type": "uint64", "name": "dummy.value", "desc": "d", "display": null, "argRequired": null, '
     '"properties": null}]', None),
    ('[{"type": "uint64", "name": "a.b", "desc": "d", "properties": {}}]', "field a.b properties property is not array "),
    ('[{"type": "uint64", "name": "a.b", "desc": "d", "argRequired": "yes"}]',
     "field a.b argRequired property is not boolean "),
    ('[{"type": null, "name": "a.b", "desc": "d"}]', "field JSON entry has no type"),
])
def test_fields_json_examples(text, message):
    try:
        parse_fields_json(text)
    except FieldsError as exc:
        assert str(exc) == message
    else:
        assert message is None


@pytest.mark.clause("EXT-SOURCES")
@pytest.mark.parametrize("raw, message", [
    ("", "get_extract_event_sources returned an empty string"),
    (None, "get_extract_event_sources returned an empty string"),
    ('{"a": 1}', "get_extract_event_sources did not return a json array"),
    ('["ok", 3]', "get_extract_event_sources did not return a json array"),
    ("[", "get_extract_event_sources did not return a json array"),
])
def test_extract_event_sources_must_be_a_json_array_of_strings(raw, message):
    plugin, error = try_load(variant(WELL_BEHAVED_EXTRACTOR, extract_event_sources_json=raw))
    assert error.clause == "EXT-SOURCES"
    assert str(error).endswith(f"error in plugin tagger: {message}")


@pytest.mark.clause("EXT-SOURCES")
@given(st.lists(st.sampled_from(["a", "b", "c"]), max_size=4))
def test_extract_event_sources_are_read_as_a_set_in_order(sources):
    plugin, error = try_load(variant(WELL_BEHAVED_EXTRACTOR, extract_event_sources=sources))
    assert plugin.info.extract_event_sources == tuple(dict.fromkeys(sources))


COUNTER_SCHEMA_KEYS = {"max_events": 0, "batch_size": 1}


def counter_config_problems(config: dict) -> set[str]:
    """The keys a config for the counter's schema gets wrong, by reading the schema's intent."""
    return {key for key, value in config.items()
            if key not in COUNTER_SCHEMA_KEYS or isinstance(value, bool) or not isinstance(value, int)
            or value < COUNTER_SCHEMA_KEYS[key]}


@pytest.mark.clause("INIT-SCHEMA")
@given(st.dictionaries(st.sampled_from(["max_events", "batch_size", "extra"]),
                       st.one_of(st.integers(-2, 40), st.text(max_size=3), st.booleans(), st.none()), max_size=3))
def test_init_config_is_validated_against_the_schema(config):
    registry = PluginRegistry()
    problems = counter_config_problems(config)
    try:
        plugin = registry.load(open_library("fake_plugins.counter"), json.dumps(config))
    except Exception as error:  # noqa: BLE001 - the assertion says what was expected
        assert problems, error
        assert error.clause == "INIT-SCHEMA"
        assert str(error).startswith("cannot load plugin fake_plugins.counter: error in plugin counter init config: ")
        assert any(f"'{key}'" in str(error) or f"/{key}," in str(error) for key in problems)
    else:
        assert not problems
        assert plugin.lifecycle.state is State.INITIALISED


@pytest.mark.clause("INIT-SCHEMA")
@pytest.mark.parametrize("config, message", [
    ("", None),
    ("{}", None),
    ("not json", "error in plugin counter: init config is not a valid json"),
    ('{"max_events": "ten"}', "error in plugin counter init config: In /max_events, 'ten' is not of type 'integer'"),
])
def test_init_config_examples(config, message):
    try:
        PluginRegistry().load(open_library("fake_plugins.counter"), config)
    except Exception as error:  # noqa: BLE001
        assert str(error).endswith(message)
    else:
        assert message is None


@pytest.mark.clause("INIT-SCHEMA")
def test_empty_config_reaches_init_as_an_empty_object_only_with_a_schema():
    seen = []

    class Recording:
        def __init__(self, definition):
            from fake_plugins.defined import DefinedLibrary
            self.inner = DefinedLibrary(definition)

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def init(self, config):
            seen.append(config)
            return self.inner.init(config)

    with_schema = variant(WELL_BEHAVED_SOURCE, init_schema={"type": "object"})
    PluginRegistry().load(Recording(with_schema), "")
    PluginRegistry().load(Recording(WELL_BEHAVED_SOURCE), "")
    PluginRegistry().load(Recording(WELL_BEHAVED_SOURCE), "free text, no schema")
    assert seen == ["{}", "", "free text, no schema"]


@pytest.mark.clause("INIT-SCHEMA")
@pytest.mark.parametrize("raw, message", [
    ("[1, 2]", "get_init_schema did not return a json object"),
    ("{", "get_init_schema did not return a json object"),
    ('{"type": 12}', "get_init_schema returned an invalid JSON schema"),
])
def test_broken_schemas_are_refused(raw, message):
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, init_schema_json=raw))
    assert error.clause == "INIT-SCHEMA" and message in str(error)


@pytest.mark.clause("INIT-FAILURE")
@given(st.text(min_size=1, max_size=30))
def test_init_failure_surfaces_the_last_error(message):
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, init_error=message))
    assert error.clause == "INIT-FAILURE"
    assert str(error) == f"cannot load plugin definition:ticker: Could not initialize plugin: {message}"


@pytest.mark.clause("INIT-FAILURE")
def test_failed_init_leaves_nothing_loaded():
    registry = PluginRegistry()
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, init_error="no"), registry)
    assert error and registry.plugins == []
    plugin, error = try_load(WELL_BEHAVED_SOURCE, registry)
    assert error is None and registry.plugins == [plugin]
