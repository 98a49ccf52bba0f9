"""`plugref inspect -r/-w` and sysdig 0.29 read each other's captures with the same output
(CAPTURE-SYSDIG-INTEROP), and events of unloaded plugins keep their evt.* fields (CAPTURE-UNKNOWN-PLUGIN)."""
import os
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.filter_strategies import SOURCE_DEFINITION, event_lists
from fake_plugins.misbehaving import variant
from reference.host.capture import CaptureWriter
from reference.host.engine import PluginEvent
from reference.errors import PlugrefError
from reference.tools.inspector import Inspection, Inspector

needs_sysdig = pytest.mark.skipif(shutil.which("sysdig") is None, reason="sysdig 0.29 is not installed")
FORMAT = "*%evt.num %evt.rawtime %evt.pluginname %x.i %x.word %x.tag[a] %evt.plugininfo"
BASE_TS = 1_650_000_000_000_000_000


def definition_for(events):
    return variant(SOURCE_DEFINITION, events=[{"ts": BASE_TS + i * 999, "values": v} for i, v in enumerate(events)],
                   batch_size=3)


def sysdig(*args) -> list[str]:
    result = subprocess.run(["sysdig", *map(str, args)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "TZ": "UTC"})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def plugref(**settings) -> list[str]:
    inspector = Inspector()
    try:
        return list(inspector.run(Inspection(**settings)))
    finally:
        inspector.registry.shutdown()


@needs_sysdig
@pytest.mark.clause("CAPTURE-SYSDIG-INTEROP")
@settings(max_examples=15)
@given(event_lists, st.sampled_from([None, "x.i > 2", "evt.num != 2"]))
def test_captures_cross_between_sysdig_and_plugref(make_native, tmp_path_factory, events, condition):
    folder = tmp_path_factory.mktemp("cap")
    path = make_native(definition_for(events))
    written_by_sysdig = folder / "s.scap"
    sysdig("-H", path, "-I", path, "-w", written_by_sysdig, *([condition] if condition else []))
    written_by_plugref = folder / "p.scap.gz"
    assert plugref(plugins=[str(path)], input=str(path), write=str(written_by_plugref), filter=condition) == []
    ours = plugref(plugins=[str(path)], read=str(written_by_sysdig), format=FORMAT)
    assert plugref(plugins=[str(path)], read=str(written_by_plugref), format=FORMAT) == ours
    if not ours:
        # libscap refuses a capture with no event (CAPTURE-FORMAT): nothing for sysdig to compare.
        return
    expected = sysdig("-H", path, "-r", written_by_sysdig, "-p", FORMAT)
    assert ours == expected
    assert sysdig("-H", path, "-r", written_by_plugref, "-p", FORMAT) == expected


@pytest.mark.clause("CAPTURE-UNKNOWN-PLUGIN")
def test_events_of_plugins_not_loaded_keep_their_evt_fields(tmp_path):
    capture = tmp_path / "mixed.scap"
    with CaptureWriter(capture) as writer:
        writer.write(PluginEvent(1, BASE_TS, 2**30 + 42, "x", b"x.i=5"))
        writer.write(PluginEvent(2, BASE_TS + 1, 12345, "", b"x.i=6"))
    definition = tmp_path / "xsrc.json"
    definition.write_text(__import__("json").dumps(SOURCE_DEFINITION))
    lines = plugref(plugins=[str(definition)], read=str(capture), format="*%evt.num %evt.rawtime %evt.pluginname %x.i")
    assert lines == [f"1 {BASE_TS} xsrc 5", f"2 {BASE_TS + 1} <NA> <NA>"]


@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
def test_reading_with_another_major_version_is_refused(tmp_path):
    capture = tmp_path / "v.scap"
    with CaptureWriter(capture, plugins={2**30 + 42: ("xsrc", "2.0.0")}) as writer:
        writer.write(PluginEvent(1, BASE_TS, 2**30 + 42, "x", b"x.i=5"))
    definition = tmp_path / "xsrc.json"
    definition.write_text(__import__("json").dumps(SOURCE_DEFINITION))  # version 1.0.0
    with pytest.raises(PlugrefError, match="major versions must match"):
        plugref(plugins=[str(definition)], read=str(capture))
    same_major = tmp_path / "same.json"
    same_major.write_text(__import__("json").dumps(variant(SOURCE_DEFINITION, version="2.9.1")))
    assert plugref(plugins=[str(same_major)], read=str(capture), format="%x.i") == ["5"]
