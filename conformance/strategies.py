"""Hypothesis strategies for plugins, fields, versions and events.

Values are plain JSON-serialisable data: plugin *definitions* in the format of
fake_plugins/defined.py, which both the Python and the native fake plugin accept. Pools are
small on purpose, so that generated sets of plugins collide on names, IDs, sources and fields
often enough to exercise every set rule.
"""
from __future__ import annotations

from hypothesis import strategies as st

from reference.contract.fields import BUILTIN_EVENT_FIELDS

#: Version parts: small numbers collide often around the framework's 0.3.0.
version_parts = st.integers(min_value=0, max_value=5)


@st.composite
def semver_triples(draw) -> tuple[int, int, int]:
    return (draw(version_parts), draw(version_parts), draw(version_parts))


def version_string(parts: tuple[int, int, int]) -> str:
    return ".".join(map(str, parts))


#: Strings that are not `x.y.z` semantic versions.
malformed_versions = st.one_of(
    st.sampled_from(["", "0.3", "0", "v0.3.0", "0.3.0.1", "0.03.0", "zero.three.0", "0.3.x", " 0.3.0",
                     "0.3.0 ", "0.-3.0", "1..0"]),
    # No "-" or "+": those start the pre-release and build parts of a valid semantic version.
    st.text(alphabet="0123456789.abc", max_size=8).filter(lambda s: s.count(".") != 2 or not all(
        p.isdigit() and (p == "0" or not p.startswith("0")) for p in s.split("."))),
)

field_types = st.sampled_from(["uint64", "string"])
name_words = st.sampled_from(["alpha", "beta", "gamma", "delta"])


@st.composite
def field_entries(draw, prefixes=("alpha", "beta", "gamma")) -> dict:
    """One valid get_fields entry; names come from a small pool (and sometimes are built-ins)."""
    name = draw(st.one_of(
        st.builds(lambda p, w: f"{p}.{w}", st.sampled_from(prefixes), name_words),
        st.sampled_from(BUILTIN_EVENT_FIELDS[:3]),
    ))
    entry = {"type": draw(field_types), "name": name, "desc": f"the {name} field"}
    if draw(st.booleans()):
        entry["argRequired"] = draw(st.booleans())
    if draw(st.booleans()):
        entry["display"] = name.upper()
    if draw(st.booleans()):
        entry["properties"] = draw(st.lists(st.sampled_from(["hidden", "info", "conversation", "other"]),
                                            max_size=2))
    return entry


ids = st.one_of(st.sampled_from([0, 1, 2, 999, 2**30 + 5, 2**31 - 1, 2**31, 2**32 - 1]),
                st.integers(min_value=0, max_value=2**32 - 1))
event_sources = st.sampled_from(["alpha", "beta", "gamma"])
plugin_names = st.sampled_from(["one", "two", "three", "four", "five", "six"])


@st.composite
def source_definitions(draw) -> dict:
    name = draw(plugin_names)
    return {
        "required_api_version": "0.3.0",
        "type": 1,
        "id": draw(st.sampled_from([0, 3, 7, 999, 2**31]) | st.integers(1, 12)),
        "name": name,
        "description": f"generated source plugin {name}",
        "contact": "generated",
        "version": "1.0.0",
        "event_source": draw(event_sources),
        "fields": draw(st.lists(field_entries(), max_size=3)),
    }


@st.composite
def extractor_definitions(draw) -> dict:
    name = draw(plugin_names)
    definition = {
        "required_api_version": "0.3.0",
        "type": 2,
        "name": name,
        "description": f"generated extractor plugin {name}",
        "contact": "generated",
        "version": "1.0.0",
        "fields": draw(st.lists(field_entries(), min_size=1, max_size=3)),
    }
    sources = draw(st.none() | st.lists(event_sources, max_size=2))
    if sources is not None:
        definition["extract_event_sources"] = sources
    return definition


plugin_definitions = st.one_of(source_definitions(), extractor_definitions())
plugin_sets = st.lists(plugin_definitions, min_size=1, max_size=6)


@st.composite
def event_values(draw, fields: list[dict]) -> dict:
    """Values for some of `fields`, with and without arguments, for a definition event."""
    values = {}
    for entry in fields:
        if not draw(st.booleans()):
            continue
        key = entry["name"]
        if draw(st.booleans()):
            key += f"[{draw(st.sampled_from(['a', '1', 'x/y']))}]"
        if entry["type"] == "uint64":
            values[key] = draw(st.integers(min_value=0, max_value=2**64 - 1))
        else:
            values[key] = draw(st.text(alphabet=st.characters(blacklist_characters=";=\0",
                                                              blacklist_categories=("Cs",)), max_size=8))
    return values
