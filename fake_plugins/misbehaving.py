"""Definitions of plugins that break one loading rule each (see fake_plugins/defined.py).

`WELL_BEHAVED_SOURCE` and `WELL_BEHAVED_EXTRACTOR` load; each entry of `MISBEHAVING` is a
variant that must be refused, with the clause it breaks. Plugins that break a rule only in
company (a duplicate ID, overlapping fields) are pairs in `CONFLICTING_PAIRS`.
"""
from __future__ import annotations

import copy

WELL_BEHAVED_SOURCE = {
    "required_api_version": "0.3.0",
    "type": 1,
    "id": 2**30 + 2,
    "name": "ticker",
    "description": "A scripted source plugin",
    "contact": "https://example.invalid/plugref",
    "version": "1.2.3",
    "event_source": "ticker",
    "fields": [
        {"type": "uint64", "name": "ticker.count", "desc": "The tick count"},
        {"type": "string", "name": "ticker.label", "desc": "A label, by key", "argRequired": True},
    ],
    "events": [
        {"ts": 1000, "values": {"ticker.count": 1, "ticker.label[a]": "one"}},
        {"ts": 2000, "values": {"ticker.count": 2, "ticker.label[a]": "two"}},
        {"ts": "now", "values": {"ticker.count": 3}},
    ],
    "batch_size": 2,
}

WELL_BEHAVED_EXTRACTOR = {
    "required_api_version": "0.2.0",
    "type": 2,
    "name": "tagger",
    "description": "A scripted extractor plugin",
    "contact": "https://example.invalid/plugref",
    "version": "0.1.0",
    "extract_event_sources": ["ticker"],
    "fields": [{"type": "string", "name": "tag.name", "desc": "The tag"}],
}


def variant(base: dict, **changes) -> dict:
    definition = copy.deepcopy(base)
    definition.update(changes)
    return definition


#: name -> (definition, clause it breaks, text the error contains)
MISBEHAVING = {
    "bad_api_version_major": (variant(WELL_BEHAVED_SOURCE, required_api_version="1.0.0"),
                              "API-VERSION-COMPAT", "Unsupported plugin required api version 1.0.0"),
    "bad_api_version_minor": (variant(WELL_BEHAVED_SOURCE, required_api_version="0.4.0"),
                              "API-VERSION-COMPAT", "Unsupported plugin required api version 0.4.0"),
    "unparsable_api_version": (variant(WELL_BEHAVED_SOURCE, required_api_version="zero.three"),
                               "API-VERSION-FORMAT", "Could not parse version string from zero.three"),
    "unparsable_plugin_version": (variant(WELL_BEHAVED_SOURCE, version="1.2"),
                                  "PLUGIN-VERSION-FORMAT", "Could not parse version string from 1.2"),
    "wrong_type": (variant(WELL_BEHAVED_SOURCE, type=3), "PLUGIN-TYPE", "Wrong plugin type."),
    "missing_next_batch": (variant(WELL_BEHAVED_SOURCE, omit_symbols=["plugin_next_batch"]),
                           "PLUGIN-SYMBOLS", "Dynamic library symbol plugin_next_batch not present"),
    "fields_not_json": (variant(WELL_BEHAVED_SOURCE, fields_json="[{\"name\": "),
                        "FIELDS-JSON", "get_fields returned an invalid JSON"),
    "fields_not_array": (variant(WELL_BEHAVED_SOURCE, fields_json="{\"name\": \"a.b\"}"),
                         "FIELDS-JSON", "get_fields returned an invalid JSON"),
    "field_without_desc": (variant(WELL_BEHAVED_SOURCE, fields=[{"type": "string", "name": "ticker.x"}]),
                           "FIELDS-JSON", "field JSON entry has no desc"),
    "field_bad_type": (variant(WELL_BEHAVED_SOURCE, fields=[{"type": "ipaddr", "name": "ticker.x", "desc": "d"}]),
                       "FIELDS-JSON", "invalid field type ipaddr"),
    "zero_id": (variant(WELL_BEHAVED_SOURCE, id=0), "SRC-ID-RULES", "ID 0"),
    "internal_id": (variant(WELL_BEHAVED_SOURCE, id=2**31), "SRC-ID-RULES", "reserved for the framework"),
    "failing_init": (variant(WELL_BEHAVED_SOURCE, init_error="cannot reach the event bus"),
                     "INIT-FAILURE", "Could not initialize plugin: cannot reach the event bus"),
    "null_init": (variant(WELL_BEHAVED_SOURCE, init_returns_null=True),
                  "INIT-FAILURE", "Plugin handle or get_last_error function not defined"),
    "bad_extract_sources": (variant(WELL_BEHAVED_EXTRACTOR, extract_event_sources_json="\"ticker\""),
                            "EXT-SOURCES", "get_extract_event_sources did not return a json array"),
}

#: name -> (first, second, clause the pair breaks): each loads alone, the second is refused after the first.
CONFLICTING_PAIRS = {
    "duplicate_id": (WELL_BEHAVED_SOURCE,
                     variant(WELL_BEHAVED_SOURCE, name="ticker2", event_source="ticker2",
                             fields=[{"type": "uint64", "name": "ticker2.count", "desc": "d"}]),
                     "SRC-ID-UNIQUE"),
    "same_event_source": (WELL_BEHAVED_SOURCE,
                          variant(WELL_BEHAVED_SOURCE, name="ticker2", id=2**30 + 3,
                                  fields=[{"type": "uint64", "name": "ticker2.count", "desc": "d"}]),
                          "SRC-EXCLUSIVE"),
    "overlapping_fields": (WELL_BEHAVED_SOURCE,
                           variant(WELL_BEHAVED_EXTRACTOR,
                                   fields=[{"type": "uint64", "name": "ticker.count", "desc": "again"}]),
                           "FIELD-OVERLAP"),
    "duplicate_name": (WELL_BEHAVED_SOURCE,
                       variant(WELL_BEHAVED_EXTRACTOR, name="ticker"), "PLUGIN-NAME-UNIQUE"),
}
