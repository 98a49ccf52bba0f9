"""`plugref check` (reference/tools/plugin_check): well-behaved plugins pass, each known defect fails its check."""
from __future__ import annotations

import argparse
import json
import shlex
import shutil
import time

import pytest
from hypothesis import given, settings

from fake_plugins.misbehaving import WELL_BEHAVED_SOURCE, variant
from fake_plugins.native.build import build_generator, build_well_behaved_extractor, native_copy
from fake_plugins.native.sdk_like import build_sdk_like
from fake_plugins.native.defects import build_defect, defect_names
from reference.tools.plugin_check import CHECK_CLAUSES, CHECK_NAMES, add_check_arguments, run_check
from reference.tools.plugin_check.configs import NOT_JSON, invalid_configs, is_valid_config, valid_configs

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed: native plugins cannot be built")
REGISTRY = "conformance/data/registry.yaml"
FAST = ("--seed", "7", "--max-examples", "10", "--timeout", "5")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="plugref check")
    add_check_arguments(parser)
    return parser.parse_args(list(argv))


def check_json(capsys, target: str, *options: str) -> tuple[int, dict]:
    status = run_check(parse(str(target), "--json", *FAST, *options))
    return status, json.loads(capsys.readouterr().out)


def statuses(document: dict) -> dict[str, str]:
    return {entry["name"]: entry["status"] for entry in document["checks"]}


def failures(document: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in document["checks"] if entry["status"] == "FAIL"}


def write_definition(tmp_path, definition: dict) -> str:
    path = tmp_path / f"{definition['name'].replace(' ', '_')}.json"
    path.write_text(json.dumps(definition))
    return str(path)


# Well-behaved plugins pass.


def _counter():
    return "fake_plugins.counter", ()


def _json_extractor():
    return "fake_plugins.json_extractor", ()


def _native_copy(tmp_path):
    return str(native_copy(WELL_BEHAVED_SOURCE, tmp_path / "native")), ()


def _generator():
    return str(build_generator()), ("--init", "300 16")


def _well_behaved_defect_base():
    return str(build_defect("well_behaved")), ()


def _native_extractor():
    return str(build_well_behaved_extractor()), ()


def _sdk_like_cloudtrail(tmp_path):
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": [
        {"eventTime": "2022-02-25T10:00:00Z", "eventName": "GetObject", "awsRegion": "us-east-1"},
        {"eventTime": "2022-02-25T10:00:01Z", "eventName": "ConsoleLogin", "userIdentity": {"type": "Root"}}]}))
    return str(build_sdk_like("cloudtrail")), ("--open", str(trail))


@pytest.mark.clause("CHECK-LOAD", "CHECK-INIT", "CHECK-OPEN", "CHECK-NEXT-BATCH", "CHECK-EXTRACT",
                    "CHECK-EVENT-TO-STRING", "CHECK-PROGRESS", "CHECK-TEARDOWN")
@pytest.mark.parametrize("make", [
    pytest.param(lambda tmp: _counter(), id="counter"),
    pytest.param(lambda tmp: _json_extractor(), id="json_extractor"),
    pytest.param(lambda tmp: ("python-definition", ()), id="definition"),
    pytest.param(_native_copy, id="native_copy", marks=needs_gcc),
    pytest.param(lambda tmp: _generator(), id="generator", marks=needs_gcc),
    pytest.param(lambda tmp: _well_behaved_defect_base(), id="defect_base", marks=needs_gcc),
    pytest.param(lambda tmp: _native_extractor(), id="native_extractor", marks=needs_gcc),
    pytest.param(_sdk_like_cloudtrail, id="sdk_like_cloudtrail", marks=needs_gcc),
])
def test_well_behaved_plugins_pass_every_check(capsys, tmp_path, make):
    target, options = make(tmp_path)
    if target == "python-definition":
        target = write_definition(tmp_path, WELL_BEHAVED_SOURCE)
    status, document = check_json(capsys, target, "--registry", REGISTRY, *options)
    assert failures(document) == {}
    assert status == 0 and document["summary"]["exit_status"] == 0
    assert set(statuses(document)) == set(CHECK_NAMES)
    assert statuses(document)["load"] == "PASS" and statuses(document)["teardown"] == "PASS"
    assert statuses(document)["batched-extraction"] == "PASS"


@pytest.mark.clause("CHECK-NEXT-BATCH", "CHECK-EXTRACT", "CHECK-EVENT-TO-STRING", "CHECK-PROGRESS")
def test_a_source_plugin_is_read_extracted_and_printed(capsys):
    status, document = check_json(capsys, "fake_plugins.counter", "--init", '{"max_events": 30}')
    checks = {entry["name"]: entry for entry in document["checks"]}
    assert status == 0
    assert "read 30 events" in checks["next-batch"]["notes"]
    assert any("4 fields on 30 events" in note for note in checks["extract"]["notes"])
    assert checks["progress"]["status"] == "PASS" and checks["event-to-string"]["status"] == "PASS"


# Each defect fails the check of its family, and only that one.

DEFECTS = [
    pytest.param("zero_events_success", {}, "next-batch", "SUCCESS with zero events",
                 marks=pytest.mark.clause("CHECK-NEXT-BATCH"), id="zero_events_success"),
    pytest.param("mutates_events", {}, "next-batch", "changed before the next next_batch call",
                 marks=pytest.mark.clause("CHECK-NEXT-BATCH"), id="mutates_events"),
    pytest.param("eof_not_final", {}, "next-batch", "EOF is not final",
                 marks=pytest.mark.clause("CHECK-NEXT-BATCH"), id="eof_not_final"),
    pytest.param("zero_timestamp", {}, "next-batch", "timestamp 0",
                 marks=pytest.mark.clause("CHECK-NEXT-BATCH"), id="zero_timestamp"),
    pytest.param("segfault_in_extract", {}, "extract", "crashed (SIGSEGV) in plugin_extract_fields (event 3",
                 marks=pytest.mark.clause("CHECK-EXTRACT", "CHECK-ISOLATION"), id="segfault_in_extract"),
    pytest.param("bad_field_values", {}, "extract", "not valid UTF-8",
                 marks=pytest.mark.clause("CHECK-EXTRACT"), id="bad_field_values"),
    pytest.param("bad_event_to_string", {}, "event-to-string", "not valid UTF-8",
                 marks=pytest.mark.clause("CHECK-EVENT-TO-STRING"), id="bad_event_to_string"),
    pytest.param("progress_out_of_range", {}, "progress", "outside 0..10000",
                 marks=pytest.mark.clause("CHECK-PROGRESS"), id="progress_out_of_range"),
    pytest.param("init_no_last_error", {}, "init-invalid-configs", "with an empty last error",
                 marks=pytest.mark.clause("CHECK-INIT"), id="init_no_last_error"),
    pytest.param("open_fails_silently", {}, "open", "'/var/log/app.log' failed",
                 marks=pytest.mark.clause("CHECK-OPEN"), id="open_fails_silently"),
    pytest.param("abort_in_close", {}, "teardown", "crashed (SIGABRT) in plugin_close",
                 marks=pytest.mark.clause("CHECK-TEARDOWN", "CHECK-ISOLATION"), id="abort_in_close"),
    pytest.param("abort_in_close", {"ABORT_IN_DESTROY": None}, "teardown", "crashed (SIGABRT) in plugin_destroy",
                 marks=pytest.mark.clause("CHECK-TEARDOWN", "CHECK-ISOLATION"), id="abort_in_destroy"),
    pytest.param("bad_identity", {}, "identity", "does not follow the registry's naming convention",
                 marks=pytest.mark.clause("CHECK-LOAD"), id="bad_identity"),
]


@needs_gcc
@pytest.mark.parametrize("name, defines, failing, text", DEFECTS)
def test_each_defect_fails_its_own_check(capsys, name, defines, failing, text):
    status, document = check_json(capsys, build_defect(name, defines))
    failed = failures(document)
    assert list(failed) == [failing], failed
    assert text in failed[failing]["reason"]
    assert failed[failing]["clause"] == CHECK_CLAUSES[failing]
    assert f"--only {failing}" in failed[failing]["reproduce"]
    assert status == 1 and document["summary"]["failed"] == 1


@needs_gcc
def test_every_defect_plugin_is_covered_by_a_test():
    covered = {param.values[0] for param in DEFECTS} | {"well_behaved", "hangs_in_next_batch", "init_accepts_invalid"}
    assert set(defect_names()) == covered


@needs_gcc
@pytest.mark.clause("CHECK-ISOLATION", "CHECK-NEXT-BATCH")
def test_a_hang_is_a_timeout_failure_and_the_other_checks_still_run(capsys):
    started = time.monotonic()
    status = run_check(parse(str(build_defect("hangs_in_next_batch")), "--json", "--seed", "1",
                             "--max-examples", "5", "--timeout", "1"))
    document = json.loads(capsys.readouterr().out)
    checks = {entry["name"]: entry for entry in document["checks"]}
    assert status == 1 and list(failures(document)) == ["next-batch"]
    assert "timed out" in checks["next-batch"]["reason"] and "plugin_next_batch (batch 2)" in checks["next-batch"]["reason"]
    assert checks["next-batch"]["last_call"] == "plugin_next_batch"
    for dependent in ("extract", "event-to-string", "progress"):
        assert checks[dependent]["status"] == "SKIP"
    assert checks["teardown"]["status"] == "PASS" and checks["open"]["status"] == "PASS"
    assert time.monotonic() - started < 20


@needs_gcc
@pytest.mark.clause("CHECK-ISOLATION", "CHECK-TEARDOWN")
def test_a_crash_in_a_call_another_check_owns_is_blamed_on_that_check(capsys):
    # close aborts first while the open check runs: teardown fails, open is run again and passes.
    status, document = check_json(capsys, build_defect("abort_in_close"))
    checks = {entry["name"]: entry for entry in document["checks"]}
    assert "while running the open check" in checks["teardown"]["reason"]
    assert "double free in plugin_close" in checks["teardown"]["reason"]  # the plugin's stderr, quoted
    assert checks["open"]["status"] == "PASS" and checks["next-batch"]["status"] == "PASS"


# Load rules, identity and the registry.


@pytest.mark.clause("CHECK-LOAD")
def test_a_plugin_that_does_not_load_fails_load_and_skips_the_rest(capsys, tmp_path):
    target = write_definition(tmp_path, variant(WELL_BEHAVED_SOURCE, name="old", required_api_version="1.0.0"))
    status, document = check_json(capsys, target)
    assert status == 1 and list(failures(document)) == ["load"]
    reason = failures(document)["load"]["reason"]
    assert "Unsupported plugin required api version 1.0.0" in reason and reason.endswith("[API-VERSION-COMPAT]")
    assert {s for name, s in statuses(document).items() if name != "load"} == {"SKIP"}


@pytest.mark.clause("CHECK-LOAD")
def test_the_development_id_is_a_warning_and_forbidden_ids_fail(capsys, tmp_path):
    status, document = check_json(capsys, write_definition(tmp_path, variant(WELL_BEHAVED_SOURCE, id=999)))
    identity = next(e for e in document["checks"] if e["name"] == "identity")
    assert status == 0 and identity["status"] == "PASS" and "reserved for development" in identity["notes"][0]
    status, document = check_json(capsys, write_definition(tmp_path, variant(WELL_BEHAVED_SOURCE, id=2**31 + 5)))
    assert list(failures(document)) == ["identity"]
    assert "reserved for the framework" in failures(document)["identity"]["reason"]


@pytest.mark.clause("CHECK-LOAD")
def test_the_registry_file_is_checked_when_given(capsys, tmp_path):
    impostor = variant(WELL_BEHAVED_SOURCE, name="cloudtrail", event_source="aws_cloudtrail")
    target = write_definition(tmp_path, impostor)
    status, document = check_json(capsys, target)
    assert status == 0 and statuses(document)["registry"] == "SKIP"
    status, document = check_json(capsys, target, "--registry", REGISTRY)
    assert list(failures(document)) == ["registry"]
    assert "the registry gives it ID 2" in failures(document)["registry"]["reason"]


# Init: the given config, configs drawn from the schema, invalid configs.


@pytest.mark.clause("CHECK-INIT")
def test_an_init_config_the_schema_refuses_fails_init(capsys):
    status, document = check_json(capsys, "fake_plugins.counter", "--init", '{"max_events": -1}')
    assert status == 1 and "init" in failures(document)
    assert "refused by the plugin's schema" in failures(document)["init"]["reason"]


@pytest.mark.clause("CHECK-INIT")
def test_a_plugin_refusing_configs_its_schema_accepts_fails(capsys, tmp_path):
    strict = variant(WELL_BEHAVED_SOURCE, init_schema={"type": "object", "properties": {"n": {"type": "integer"}}},
                     init_error="this plugin refuses every config")
    status, document = check_json(capsys, write_definition(tmp_path, strict))
    assert "which its schema accepts" in failures(document)["init-schema-configs"]["reason"]
    assert "this plugin refuses every config" in failures(document)["init"]["reason"]


SCHEMAS = [
    {"type": "object", "properties": {"max_events": {"type": "integer", "minimum": 0},
                                      "batch_size": {"type": "integer", "minimum": 1}},
     "additionalProperties": False},
    {"type": "object", "required": ["mode", "rate"],
     "properties": {"mode": {"enum": ["fast", "slow"]}, "rate": {"type": "number", "exclusiveMinimum": 0,
                                                                 "maximum": 10},
                    "tags": {"type": "array", "items": {"type": "string", "maxLength": 4}, "maxItems": 3},
                    "name": {"type": "string", "minLength": 1, "pattern": "^[a-z]+$"},
                    "debug": {"type": ["boolean", "null"]}}},
]


@pytest.mark.clause("CHECK-INIT")
@pytest.mark.parametrize("schema", SCHEMAS, ids=["counter", "richer"])
def test_generated_configs_are_valid_and_mutated_ones_invalid(schema):
    @settings(max_examples=60, database=None)
    @given(valid_configs(schema), invalid_configs(schema))
    def property_(good: str, bad: str) -> None:
        assert is_valid_config(schema, good)
        assert not is_valid_config(schema, bad)

    property_()
    assert not any(is_valid_config(schema, text) for text in NOT_JSON)


# The report: lines, JSON, exit status, reproduction, bad input.


@pytest.mark.clause("CHECK-REPORT")
def test_text_report_has_one_line_per_check_and_a_summary(capsys):
    status = run_check(parse("fake_plugins.counter", *FAST))
    lines = capsys.readouterr().out.splitlines()
    check_lines = [line for line in lines if line.split(" ", 1)[0] in ("PASS", "FAIL", "SKIP")]
    assert status == 0
    assert lines[0].startswith("plugref check fake_plugins.counter: python source plugin counter 0.1.0")
    assert [line.split()[1].rstrip(":") for line in check_lines] == list(CHECK_NAMES)
    assert "SKIP registry: no registry file given (--registry FILE)" in lines
    assert lines[-1] == "summary: 12 passed, 0 failed, 1 skipped (seed 7)"


@needs_gcc
@pytest.mark.clause("CHECK-REPORT")
def test_a_failure_line_says_how_to_reproduce_it_and_the_reproduction_fails_alike(capsys):
    target = str(build_defect("progress_out_of_range"))
    status = run_check(parse(target, *FAST))
    fail_lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL")]
    assert status == 1 and len(fail_lines) == 1
    assert fail_lines[0].startswith("FAIL progress: after batch 1: progress 12000 is outside 0..10000")
    command = fail_lines[0].rsplit("(reproduce: ", 1)[1].rstrip(")")
    words = shlex.split(command)
    assert words[:3] == ["plugref", "check", target] and "--only" in words
    status = run_check(parse(*words[2:]))
    again = capsys.readouterr().out.splitlines()
    assert status == 1 and [line for line in again if line.startswith(("PASS", "FAIL", "SKIP"))] == [
        line for line in again if line.startswith("FAIL progress")]


@pytest.mark.clause("CHECK-REPORT")
def test_json_report_carries_identity_checks_and_summary(capsys):
    status, document = check_json(capsys, "fake_plugins.json_extractor", "--only", "extract")
    assert status == 0
    assert document["plugin"]["name"] == "json" and document["plugin"]["type"] == "extractor"
    assert document["options"]["seed"] == 7
    assert [entry["name"] for entry in document["checks"]] == ["extract"]
    assert document["checks"][0]["clause"] == "CHECK-EXTRACT"
    assert document["summary"] == {"passed": 1, "warned": 0, "failed": 0, "skipped": 0, "exit_status": 0}


@pytest.mark.clause("CHECK-REPORT")
@pytest.mark.parametrize("argv, text", [
    (["/no/such/plugin.so"], "no such file: /no/such/plugin.so"),
    (["no_such_module_anywhere"], "neither a file nor an importable Python module"),
    (["reference.contract.v0_3"], "reference.contract.v0_3 is not a plugin"),
    (["/etc/hostname"], "/etc/hostname is not a plugin"),
    (["fake_plugins.counter", "--registry", "/no/such/registry.yaml"], "cannot read registry file"),
])
def test_bad_input_is_a_clear_error_with_exit_status_2(capsys, argv, text):
    status = run_check(parse(*argv))
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.startswith("plugref check: error: ") and text in captured.err
    assert "Traceback" not in captured.err + captured.out


# Plugins of the 2022 SDKs (fake_plugins/native/sdk_like) and the 0.3.0 framework's own rules.


@needs_gcc
@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_a_go_sdk_like_extractor_passes_with_a_warning_naming_the_fields_unsafe_under_batching(capsys):
    status, document = check_json(capsys, build_sdk_like("json"))
    checks = {entry["name"]: entry for entry in document["checks"]}
    assert status == 0 and failures(document) == {}
    warning = checks["batched-extraction"]
    assert warning["status"] == "WARN" and warning["clause"] == "CHECK-BATCHED-EXTRACTION"
    assert "json.value" in warning["reason"] and "two arguments of one field in one call read the same value" \
        in warning["reason"]
    assert "the whole call fails when one of" in warning["reason"]
    assert any("json.value[] and json.value[/a]" in note for note in warning["notes"])
    assert document["summary"]["warned"] == 1 and document["summary"]["exit_status"] == 0
    assert checks["extract"]["status"] == "PASS"  # one field per call, as libsinsp asks: fine


@needs_gcc
@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_the_text_report_shows_a_warning_line_and_counts_it(capsys):
    status = run_check(parse(str(build_sdk_like("json")), *FAST, "--only", "batched-extraction"))
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert any(line.startswith("WARN batched-extraction: unsafe under a host that asks several fields") for line in lines)
    assert lines[-1] == "summary: 0 passed, 1 warned, 0 failed, 0 skipped (seed 7)"


@needs_gcc
@pytest.mark.clause("CHECK-INIT")
def test_accepting_non_json_with_a_json_schema_is_no_failure(capsys):
    # The framework validates against the schema before init, so init never sees such a config.
    status, document = check_json(capsys, build_defect("init_accepts_invalid"))
    checks = {entry["name"]: entry for entry in document["checks"]}
    assert status == 0 and checks["init-invalid-configs"]["status"] == "PASS"
    assert any("its schema refuses" in note for note in checks["init-invalid-configs"]["notes"])


@needs_gcc
@pytest.mark.clause("CHECK-INIT")
def test_a_null_state_on_failed_init_is_what_the_header_allows(capsys):
    status, document = check_json(capsys, build_well_behaved_extractor())
    checks = {entry["name"]: entry for entry in document["checks"]}
    assert status == 0 and checks["init-invalid-configs"]["status"] == "PASS"
    assert any("NULL state, as the 0.3.0 header allows" in note for note in checks["init-invalid-configs"]["notes"])


@needs_gcc
@pytest.mark.clause("CHECK-ISOLATION")
def test_a_crash_says_its_place_in_the_process_and_how_it_behaves_alone(capsys):
    # plugin-sdk-go v0.1.0 panics at the 32nd plugin_init of a process; here the limit is 5.
    status, document = check_json(capsys, build_sdk_like("json", {"GOSDK_HANDLE_LIMIT": "5"}))
    reason = failures(document)["init-invalid-configs"]["reason"]
    assert "exited with status 2 in plugin_init" in reason and "the 6th plugin_init call of the process" in reason
    assert "panic: cgo handle table is full" in reason
    assert "made again alone in a fresh process, plugin_init returned normally: the failure depends on the calls " \
           "made before it" in reason
    status, document = check_json(capsys, build_defect("segfault_in_extract"), "--only", "extract")
    reason = failures(document)["extract"]["reason"]
    assert "plugin_extract_fields call of the process" in reason
    assert "made again alone in a fresh process, plugin_extract_fields crashed (SIGSEGV) too" in reason


@needs_gcc
@pytest.mark.clause("CHECK-EXTRACT", "CHECK-LOAD")
def test_a_cpp_sdk_like_plugin_throwing_out_of_extract_fails_extract(capsys):
    params = '{"start": 1, "maxEvents": 5}'
    status, document = check_json(capsys, build_sdk_like("dummy_c", {"DUMMY_C_ID": "4"}), "--open", params,
                                  "--registry", REGISTRY)
    extract = failures(document)["extract"]
    assert status == 1 and "crashed (SIGABRT) in plugin_extract_fields" in extract["reason"]
    assert "std::invalid_argument" in extract["reason"]  # the C++ runtime's words, from stderr
    # As released, dummy_c has ID 0: identity fails, naming the registry's ID.
    status, document = check_json(capsys, build_sdk_like("dummy_c"), "--open", params, "--only", "identity")
    assert "the plugin registry gives dummy_c ID 4" in failures(document)["identity"]["reason"]
