"""`plugref check` on 3.x plugins (CHECK-V3): the native 3.x fake and its variants, and the Python twins.

Each run starts child processes: one variant per check family here; the other misbehaviours are
met by the host in tests/test_plugins_v3.py."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from fake_plugins.native.build import build_v3_plugin

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None, reason="no C compiler")


def check(target: str) -> tuple[int, dict[str, str]]:
    result = subprocess.run([sys.executable, "-m", "reference.tools.cli", "check", target, "--seed", "1"],
                            capture_output=True, text=True, timeout=300)
    lines = {}
    for line in result.stdout.splitlines():
        status, _, rest = line.partition(" ")
        if status in ("PASS", "FAIL", "SKIP", "WARN"):
            name, _, reason = rest.partition(":")
            lines[name] = f"{status}{':' + reason if reason else ''}"
    return result.returncode, lines


@pytest.mark.clause("CHECK-V3")
def test_a_well_behaved_3x_plugin_passes_every_check():
    code, lines = check(str(build_v3_plugin()))
    assert code == 0, lines
    assert [lines[n] for n in ("load", "identity", "init", "open", "next-batch", "extract", "event-to-string",
                               "teardown")] == ["PASS"] * 8
    code, lines = check("fake_plugins.v3_extract")
    assert code == 0 and lines["extract"] == "PASS" and lines["next-batch"].startswith("SKIP")


@pytest.mark.clause("CHECK-V3")
@pytest.mark.parametrize("variant, check_name, text", [
    ("WRONG_ID", "next-batch", "unexpected plugin ID in plugin event: plugin='v3demo', expected_id=1073742138, "
                               "actual_id=7"),
    ("LYING_RES_LEN", "extract", "v3demo.n: plugin"),
])
def test_a_misbehaving_3x_plugin_fails_the_check_that_meets_it(variant, check_name, text):
    code, lines = check(str(build_v3_plugin({variant: None})))
    assert code == 1
    assert lines[check_name].startswith("FAIL") and text in lines[check_name], lines
    assert lines["load"] == "PASS"


@pytest.mark.clause("CHECK-V3", "CHECK-BATCHED-EXTRACTION")
def test_batched_extraction_is_checked_for_3x_extractors_too():
    # per-field result buffers: the same values alone and in one call
    for target in (str(build_v3_plugin()), "fake_plugins.v3_demo"):
        code, lines = check(target)
        assert code == 0 and lines["batched-extraction"] == "PASS", lines
    # one set of buffers for every field of a call: fine one field a call, wrong several at once
    code, lines = check(str(build_v3_plugin({"SHARED_RESULTS": None})))
    warning = lines["batched-extraction"]
    assert code == 0 and lines["extract"] == "PASS"
    assert warning.startswith("WARN: unsafe under a host that asks several fields per extract_fields call"), lines
    assert "v3demo.word, v3demo.tag: two arguments of one field in one call read the same value" in warning


@pytest.mark.clause("CHECK-V3", "V3-EVENT-SCHEMA")
def test_init_fails_when_the_3x_host_refuses_the_event_schema_the_plugin_needs():
    code, lines = check(str(build_v3_plugin({"EXTRACT_ONLY": None, "ALL_EVENTS": None})))
    assert code == 1
    assert lines["init"].startswith("FAIL: the 3.x host refuses the plugin after init: plugin v3extract required "
                                    "event schema version '3.0.0' not compatible with the event schema version in "
                                    "use '4.1.0': major versions disagree"), lines
    code, lines = check(str(build_v3_plugin({"EXTRACT_ONLY": None, "ALL_EVENTS": None, "EVENT_SCHEMA": '"4.1.0"'})))
    assert code == 0 and lines["init"] == "PASS", lines
