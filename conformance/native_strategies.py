"""Hypothesis strategies for definitions that both fake plugins (Python and native) accept.

They are "valid-ish": well-formed definitions in the format of fake_plugins/defined.py, with
events, arguments and batch scripts, and now and then something a loader must refuse (a bad API
version, fields that are not JSON, a failing init), so the parity property covers verdicts too.
"""
from __future__ import annotations

from hypothesis import strategies as st

PREFIXES = ("abc", "nat", "xyz")
WORDS = ("def", "count", "word", "x1")
ARGS = ("", "a", "1", "x/y", "k=v")

field_names = st.builds(lambda p, w: f"{p}.{w}", st.sampled_from(PREFIXES), st.sampled_from(WORDS))

#: Text values: no ';' (the payload separator) and no NUL (C strings end there); some look numeric.
text_values = st.one_of(
    st.text(alphabet=st.characters(blacklist_characters=";\0", blacklist_categories=("Cs", "Cc")), max_size=8),
    st.sampled_from(["", "0", "007", "18446744073709551615", "18446744073709551616", "-1", "1.5", " 1",
                     "it's", 'say "hi"', "a=b", "\u00e9t\u00e9"]),
)
uint_values = st.one_of(st.integers(min_value=0, max_value=2**64 - 1), st.sampled_from([0, 1, 2**63, 2**64 - 1]))

bad_api_versions = st.sampled_from(["1.0.0", "0.4.0", "zero.three", "0.3", "", "2.0.0", "0.1.0"])
bad_fields_json = st.sampled_from(["[{\"name\": ", "{\"name\": \"a.b\"}", "[1]", "", "null",
                                   "[{\"type\": \"uint64\", \"name\": \"abc.def\"}]"])


@st.composite
def field_lists(draw) -> list[dict]:
    names = draw(st.lists(field_names, max_size=4, unique=True))
    return [{"type": draw(st.sampled_from(["uint64", "string"])), "name": n, "desc": f"the {n} field"}
            for n in names]


@st.composite
def definition_events(draw, fields: list[dict]) -> list[dict]:
    events = []
    for _ in range(draw(st.integers(0, 5))):
        ts = draw(st.one_of(st.just("now"), st.integers(0, 2**64 - 1), st.sampled_from([0, 1000, 2**64 - 1])))
        if draw(st.integers(0, 9)) == 0:
            events.append({"ts": ts, "data": draw(text_values)})
            continue
        values = {}
        for entry in fields:
            if not draw(st.booleans()):
                continue
            arg = draw(st.sampled_from(ARGS))
            key = f"{entry['name']}[{arg}]" if arg else entry["name"]
            # Sometimes a value of the wrong kind: text in a uint64 field must fail extraction.
            if entry["type"] == "uint64" and draw(st.integers(0, 4)) > 0:
                values[key] = draw(uint_values)
            else:
                values[key] = draw(text_values)
        events.append({"ts": ts, "values": values})
    return events


batch_steps = st.fixed_dictionaries(
    {"events": st.integers(0, 3), "rc": st.sampled_from(["success", "timeout", "eof", "failure"])},
    optional={"error": st.sampled_from(["", "scripted failure", "it's broken"])},
)


@st.composite
def native_definitions(draw) -> dict:
    """A definition for the parity property: a source or an extractor, mostly loadable."""
    is_source = draw(st.integers(0, 3)) > 0
    fields = draw(field_lists())
    name = draw(st.sampled_from(["natone", "nattwo", "n-3"]))
    definition: dict = {
        "required_api_version": draw(st.sampled_from(["0.3.0", "0.2.0", "0.3.0"])),
        "type": 1 if is_source else 2,
        "name": name,
        "description": f"generated plugin {name}",
        "contact": "generated",
        "version": draw(st.sampled_from(["1.0.0", "0.1.0", "1.2"])),
        "fields": fields,
    }
    if is_source:
        definition["id"] = draw(st.sampled_from([1, 999, 2**30 + 7, 0, 2**31]) | st.integers(1, 2**31 - 1))
        definition["event_source"] = draw(st.sampled_from(["natsrc", "other", ""]))
        definition["events"] = draw(definition_events(fields))
        if draw(st.booleans()):
            definition["batch_size"] = draw(st.integers(1, 3))
        if draw(st.booleans()):
            definition["batches"] = draw(st.lists(batch_steps, max_size=4))
    elif draw(st.booleans()):
        definition["extract_event_sources"] = draw(st.lists(st.sampled_from(["natsrc", "other"]), max_size=2))
    if not fields and draw(st.booleans()):
        del definition["fields"]
    trouble = draw(st.integers(0, 9))
    if trouble == 0:
        definition["required_api_version"] = draw(bad_api_versions)
    elif trouble == 1:
        definition.pop("fields", None)
        definition["fields_json"] = draw(bad_fields_json)
    elif trouble == 2:
        definition["init_error"] = draw(st.sampled_from(["", "cannot reach the bus", "caf\u00e9 closed"]))
    elif trouble == 3:
        definition["init_returns_null"] = True
    elif trouble == 4 and is_source:
        definition["open_error"] = "no such device"
    elif trouble == 5:
        definition["omit_symbols"] = draw(st.lists(st.sampled_from(["plugin_next_batch", "plugin_get_progress",
                                                                    "plugin_get_fields", "plugin_get_name"]),
                                                   max_size=1))
    return definition
