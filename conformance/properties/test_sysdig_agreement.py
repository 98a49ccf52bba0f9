"""plugref and sysdig 0.29 print the same lines for the same plugin, filter and format.

sysdig is a native implementation of API 0.3.0; the native fake plugin runs in both. Where sysdig
departs from the spec, the explicit tests at the end show it (and the clause records it).
Clauses: OUTPUT-FORMAT, OUTPUT-MISSING, OUTPUT-JSON, OUTPUT-DEFAULT, EVT-FIELDS, FILTER-OPERATORS,
FILTER-MIXED-ANDOR, FILTER-PLUGIN-FIELDS.
"""
import json
import os
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.filter_strategies import BASE_TS, SOURCE_DEFINITION, event_lists, formats, sysdig_conditions
from fake_plugins.misbehaving import variant
from reference.filter.ast import to_text
from conformance.adapters.reference import local_time
from reference.tools.inspector import Inspection, Inspector

pytestmark = pytest.mark.skipif(shutil.which("sysdig") is None, reason="sysdig 0.29 is not installed")

def definition_for(events: list[dict]) -> dict:
    return variant(SOURCE_DEFINITION, events=[{"ts": BASE_TS + i * 1_000_001_000, "values": v}
                                              for i, v in enumerate(events)], batch_size=2)


def sysdig_lines(path, args: list[str], tz: str = "UTC") -> list[str]:
    result = subprocess.run(["sysdig", "-H", str(path), "-I", str(path), *args], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "TZ": tz})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def plugref_lines(path, settings: Inspection) -> list[str]:
    inspector = Inspector()
    try:
        settings.plugins, settings.input = [str(path)], str(path)
        return list(inspector.run(settings))
    finally:
        inspector.registry.shutdown()


@pytest.mark.clause("OUTPUT-FORMAT", "OUTPUT-MISSING", "EVT-FIELDS")
@settings(max_examples=40)
@given(event_lists, formats(), st.sampled_from(["UTC", "Asia/Kolkata"]))
def test_formats_print_as_in_sysdig(make_native, events, fmt, tz):
    path = make_native(definition_for(events))
    with local_time(tz):
        assert plugref_lines(path, Inspection(format=fmt)) == sysdig_lines(path, ["-p", fmt], tz)


@pytest.mark.clause("OUTPUT-JSON")
@settings(max_examples=25)
@given(event_lists, formats())
def test_json_output_as_in_sysdig(make_native, events, fmt):
    path = make_native(definition_for(events))
    with local_time("UTC"):
        ours = [json.loads(line) for line in plugref_lines(path, Inspection(format=fmt, json=True))]
    theirs = [json.loads(line) for line in sysdig_lines(path, ["-j", "-p", fmt])]
    assert ours == theirs


@pytest.mark.clause("FILTER-OPERATORS", "FILTER-MISSING-VALUE")
@settings(max_examples=40)
@given(event_lists, sysdig_conditions, st.integers(1, 4) | st.none())
def test_filters_select_as_in_sysdig(make_native, events, condition, limit):
    path = make_native(definition_for(events))
    text = to_text(condition)
    args = ["-p", "*%evt.num %x.word"] + (["-n", str(limit)] if limit else []) + [text]
    with local_time("UTC"):
        ours = plugref_lines(path, Inspection(format="*%evt.num %x.word", filter=text, max_events=limit))
    assert ours == sysdig_lines(path, args)


@pytest.mark.clause("OUTPUT-DEFAULT", "OUTPUT-JSON")
def test_default_line_and_default_json(make_native):
    path = make_native(definition_for([{"x.i": 1, "x.word": "nginx"}, {}]))
    with local_time("UTC"):
        assert plugref_lines(path, Inspection()) == sysdig_lines(path, []) == [
            "1 2022-04-15 05:20:00 [xsrc] x.i=1;x.word=nginx", "2 2022-04-15 05:20:01 [xsrc] "]
        ours = [json.loads(line) for line in plugref_lines(path, Inspection(json=True))]
    assert ours == [json.loads(line) for line in sysdig_lines(path, ["-j"])]


@pytest.mark.clause("OUTPUT-FORMAT")
@pytest.mark.parametrize("fmt", ["%", "x %% y", "%nope.field y", "%12"])
def test_bad_formats_are_refused_with_sysdigs_words(make_native, fmt):
    path = make_native(definition_for([{}]))
    result = subprocess.run(["sysdig", "-H", str(path), "-I", str(path), "-p", fmt], capture_output=True, text=True,
                            timeout=60)
    theirs = (result.stdout + result.stderr).strip().splitlines()[-1]
    with pytest.raises(Exception) as caught:
        plugref_lines(path, Inspection(format=fmt))
    assert str(caught.value) == theirs


@pytest.mark.clause("OPEN-PARAMS-LIST")
def test_list_plugins_is_sysdigs_il_listing_for_a_source_and_an_extractor(make_native):
    from fake_plugins.native.build import build_well_behaved_extractor

    source = make_native(definition_for([{}]))
    extractor = build_well_behaved_extractor()
    result = subprocess.run(["sysdig", "-H", str(source), "-H", str(extractor), "-I", str(source), "-Il"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # sysdig first names its plugin search path, which plugref has none of.
    theirs = [line for line in result.stdout.splitlines() if not line.startswith("Plugin search paths")]
    inspector = Inspector()
    try:
        for spec in (source, extractor):
            inspector.load(str(spec))
        ours = inspector.plugin_listing()
    finally:
        inspector.registry.shutdown()
    assert ours == theirs
    assert "Type: extractor plugin" in theirs


# Where sysdig 0.29 departs from the spec.

@pytest.mark.clause("OUTPUT-FORMAT")
def test_sysdig_misreads_text_glued_to_a_plugin_field_token(make_native):
    path = make_native(definition_for([{"x.i": 5, "x.tag[a]": "A"}]))
    with local_time("UTC"):
        assert plugref_lines(path, Inspection(format="*%x.i=%x.tag[a] %x.i")) == ["5=A 5"]
        assert plugref_lines(path, Inspection(format="*%x.tag['a']")) == ["A"]
    assert sysdig_lines(path, ["-p", "*%x.i=%x.tag[a] %x.i"]) == ["<NA> 5"]
    assert sysdig_lines(path, ["-p", "*%x.tag['a']"]) == ["<NA>"]


@pytest.mark.clause("FILTER-PLUGIN-FIELDS")
@pytest.mark.parametrize("prefix", ["n", "nat", "net"])
def test_sysdig_refuses_filters_on_fields_starting_with_n(make_native, prefix):
    definition = variant(SOURCE_DEFINITION, name=f"{prefix}src", event_source=prefix,
                         fields=[{"type": "string", "name": f"{prefix}.word", "desc": "a word"}],
                         events=[{"ts": 1, "values": {f"{prefix}.word": "nginx"}}, {"ts": 2, "values": {}}])
    path = make_native(definition)
    text = f"{prefix}.word = nginx"
    assert plugref_lines(path, Inspection(format="%evt.num", filter=text)) == ["1"]
    result = subprocess.run(["sysdig", "-H", str(path), "-I", str(path), "-p", "%evt.num", text],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "filter error at position 1: syntax error in filter" in result.stdout + result.stderr


@pytest.mark.clause("FILTER-MIXED-ANDOR")
def test_sysdig_refuses_mixed_and_or_plugref_follows_precedence(make_native):
    path = make_native(definition_for([{}, {}, {}]))
    text = "evt.num = 1 or evt.num = 2 and evt.num = 3"
    assert plugref_lines(path, Inspection(format="%evt.num", filter=text)) == ["1"]
    result = subprocess.run(["sysdig", "-H", str(path), "-I", str(path), "-p", "%evt.num", text],
                            capture_output=True, text=True, timeout=60)
    assert "expression mixes 'and' and 'or' in an ambiguous way. Please use brackets." in result.stdout + result.stderr
    assert sysdig_lines(path, ["-p", "%evt.num", "evt.num = 1 or (evt.num = 2 and evt.num = 3)"]) == ["1"]


@pytest.mark.clause("EVT-FIELDS")
def test_sysdig_ignores_daylight_saving_time_plugref_does_not(make_native):
    path = make_native(definition_for([{}]))  # 2022-04-15: summer time in Paris (UTC+2)
    with local_time("Europe/Paris"):
        assert plugref_lines(path, Inspection(format="%evt.time.s")) == ["07:20:00"]
    assert sysdig_lines(path, ["-p", "%evt.time.s"], "Europe/Paris") == ["06:20:00"]
