"""`plugref check`'s parent side (CHECK-REPORT): what it refuses before any plugin loads, the report it
prints for the checks' outcomes, the command that reproduces a failure, and the exit status.

The checks themselves run in a child (tests/test_plugin_check.py); here the report is built from outcomes
written out, and the few real runs are of one quick check.
"""
from __future__ import annotations

import argparse
import os
import json
import shlex

import pytest
from hypothesis import given, strategies as st

from reference.tools.plugin_check import add_check_arguments, draw_seed, report, reproduction, run_check
from reference.tools.plugin_check.isolation import CheckOutcome, CheckRun

NOT_A_PLUGIN_FILE = ("is not a plugin: a plugin is a .so library (give a path with a slash or a .so suffix), "
                     "a definition file (.json, .yaml, .yml) or a Python module")
SOURCE_IDENTITY = {"kind": "python", "type": "source", "name": "ticker", "version": "1.2.3", "id": 999,
                   "event_source": "ticks"}
EXTRACTOR_IDENTITY = {"kind": "native", "type": "extractor", "name": "jx", "version": "0.4.0", "id": 0,
                      "event_source": ""}


def fresh_parse(*argv: str) -> argparse.Namespace:
    """`plugref check ARGV` parsed by a parser given its options here, in the test."""
    parser = argparse.ArgumentParser(prog="plugref check")
    add_check_arguments(parser)
    return parser.parse_args(list(argv))


# The tests of what the options do parse with one parser made when this module loads; only the tests of the
# options themselves (below) make theirs, so that mutation testing runs just those on the options' code.
_PARSER = argparse.ArgumentParser(prog="plugref check")
add_check_arguments(_PARSER)


def parse(*argv: str) -> argparse.Namespace:
    return _PARSER.parse_args(list(argv))


def refusal(capsys, *argv: str) -> str:
    """The reason `plugref check ARGV` gives for refusing its input (checking the refusal's form)."""
    status = run_check(parse(*argv))
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    assert captured.err.startswith("plugref check: error: ") and captured.err.endswith("\n")
    return captured.err[len("plugref check: error: "):-1]


# Refusals, before any plugin is loaded.


@pytest.mark.clause("CHECK-REPORT")
@pytest.mark.parametrize("target", ["/no/such/plugin", "missing.so", "libmissing.so.1", "missing.json",
                                    "missing.yaml", "missing.yml", "no/such/module"])
def test_a_file_target_that_does_not_exist_is_no_such_file(capsys, tmp_path, monkeypatch, target):
    monkeypatch.chdir(tmp_path)
    assert refusal(capsys, target) == f"no such file: {target}"


@pytest.mark.clause("CHECK-REPORT")
def test_a_directory_is_not_a_plugin(capsys, tmp_path, monkeypatch):
    assert refusal(capsys, str(tmp_path)) == f"{tmp_path} is a directory, not a plugin"
    (tmp_path / "plugins.json").mkdir()
    monkeypatch.chdir(tmp_path)
    assert refusal(capsys, "plugins.json") == "plugins.json is a directory, not a plugin"


@pytest.mark.clause("CHECK-REPORT")
def test_a_name_that_is_no_module_says_so_with_the_import_systems_reason(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert refusal(capsys, "no_such_module_anywhere") == \
        "no_such_module_anywhere is neither a file nor an importable Python module"
    assert refusal(capsys, "no_such_package_anywhere.counter") == \
        "no_such_package_anywhere.counter is neither a file nor an importable Python module " \
        "(No module named 'no_such_package_anywhere')"


@pytest.mark.clause("CHECK-REPORT")
@pytest.mark.parametrize("name", ["README.md", "notes", "plugin.txt"])
def test_an_existing_file_named_like_a_module_is_not_a_plugin(capsys, tmp_path, monkeypatch, name):
    (tmp_path / name).write_text("not a plugin\n")
    monkeypatch.chdir(tmp_path)
    assert refusal(capsys, name) == f"{name} {NOT_A_PLUGIN_FILE}"


@pytest.mark.clause("CHECK-REPORT", "REGISTRY-RULES")
def test_a_bad_registry_file_is_refused_with_the_registry_readers_message(capsys, tmp_path):
    missing = tmp_path / "registry.yaml"
    assert refusal(capsys, "fake_plugins.counter", "--registry", str(missing)) == \
        f"cannot read registry file {missing}: No such file or directory"
    missing.write_text("plugins: [\n")
    assert refusal(capsys, "fake_plugins.counter", "--registry", str(missing)).startswith(
        f"registry file {missing} is not valid YAML: ")


@pytest.mark.clause("CHECK-REPORT")
@pytest.mark.parametrize("timeout, shown", [("0", "0"), ("-1.5", "-1.5"), ("-0", "-0"), ("nan", "nan"),
                                           ("inf", "inf"), ("86400.5", "86400.5"), ("1e300", "1e+300")])
def test_a_timeout_is_more_than_zero_and_at_most_a_day(capsys, timeout, shown):
    assert refusal(capsys, "fake_plugins.counter", "--timeout", timeout) == \
        f"--timeout must be more than 0 and at most 86400 seconds, not {shown}"


@pytest.mark.clause("CHECK-REPORT")
@pytest.mark.parametrize("timeout", ["86400", "0.5"])
def test_a_timeout_up_to_a_day_is_accepted(capsys, timeout):
    assert run_check(parse("fake_plugins.counter", "--only", "load", "--seed", "1", "--timeout", timeout)) == 0
    assert capsys.readouterr().out.endswith("PASS load\nsummary: 1 passed, 0 failed, 0 skipped (seed 1)\n")


@pytest.mark.clause("CHECK-REPORT")
def test_the_target_is_checked_before_the_registry_and_the_registry_before_the_timeout(capsys, tmp_path):
    missing = tmp_path / "registry.yaml"
    assert refusal(capsys, "/no/such.so", "--registry", str(missing), "--timeout", "0") == "no such file: /no/such.so"
    assert refusal(capsys, "fake_plugins.counter", "--registry", str(missing), "--timeout", "0").startswith(
        "cannot read registry file")


@pytest.mark.clause("CHECK-REPORT")
def test_with_json_a_refusal_is_also_a_json_document_on_stdout(capsys):
    status = run_check(parse("/no/such.so", "--json"))
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err == "plugref check: error: no such file: /no/such.so\n"
    document = {"target": "/no/such.so", "error": "no such file: /no/such.so", "summary": {"exit_status": 2}}
    assert captured.out == json.dumps(document, indent=2) + "\n"


@pytest.mark.clause("CHECK-REPORT")
@pytest.mark.parametrize("option", ["--max-examples", "--max-events"])
def test_counts_below_one_are_usage_errors(capsys, option):
    with pytest.raises(SystemExit) as stopped:
        fresh_parse("fake_plugins.counter", option, "0")
    assert stopped.value.code == 2
    assert f"argument {option}: must be at least 1, not 0" in capsys.readouterr().err
    for text in ("x", "1.5", ""):
        with pytest.raises(SystemExit):
            fresh_parse("fake_plugins.counter", option, text)
        assert f"argument {option}: must be a whole number, not '{text}'" in capsys.readouterr().err
    assert getattr(fresh_parse("fake_plugins.counter", option, "1"), option[2:].replace("-", "_")) == 1


@pytest.mark.clause("CHECK-REPORT")
def test_the_options_and_their_defaults():
    assert vars(fresh_parse("t")) == {"target": "t", "init": "", "open": "", "registry": None, "json": False,
                                      "seed": None, "max_examples": 50, "max_events": 1000, "timeout": 10.0,
                                      "only": None, "allow_zero_ts": False}
    given = fresh_parse("t", "--init", "{}", "--open", "o", "--registry", "r.yaml", "--json", "--seed", "12",
                        "--max-examples", "3", "--max-events", "4", "--timeout", "2.5", "--only", "open",
                        "--only", "load", "--allow-zero-ts")
    assert vars(given) == {"target": "t", "init": "{}", "open": "o", "registry": "r.yaml", "json": True, "seed": 12,
                           "max_examples": 3, "max_events": 4, "timeout": 2.5, "only": ["open", "load"],
                           "allow_zero_ts": True}


@pytest.mark.clause("CHECK-REPORT")
def test_a_target_the_child_cannot_load_is_not_a_plugin(capsys, tmp_path):
    target = tmp_path / "plugin.json"
    target.write_text("[1, 2]\n")
    reason = refusal(capsys, str(target), "--only", "load")
    assert reason.startswith(f"{target} is not a plugin: ")


# The report of a run.


def outcomes(*entries: CheckOutcome) -> dict[str, CheckOutcome]:
    return {entry.name: entry for entry in entries}


@pytest.mark.clause("CHECK-REPORT")
def test_the_text_report_has_the_headline_one_line_per_check_with_notes_and_the_summary():
    run = CheckRun(SOURCE_IDENTITY, outcomes(
        CheckOutcome("load", "PASS", notes=["loaded in 2 ms"]),
        CheckOutcome("identity", "WARN", "ID 999 is for development only", ["see the registry"]),
        CheckOutcome("registry", "SKIP", "no registry file given (--registry FILE)"),
        CheckOutcome("init", "FAIL", "init refused '{}'", ["first note", "second note"]),
        CheckOutcome("open", "PASS")))
    text, status = report(parse("fake_plugins.ticker"), 1234, run)
    assert status == 1
    assert text.splitlines() == [
        "plugref check fake_plugins.ticker: python source plugin ticker 1.2.3, ID 999, event source ticks",
        "PASS load",
        "    note: loaded in 2 ms",
        "WARN identity: ID 999 is for development only",
        "    note: see the registry",
        "SKIP registry: no registry file given (--registry FILE)",
        "FAIL init: init refused '{}' (reproduce: plugref check fake_plugins.ticker --only init --seed 1234)",
        "    note: first note",
        "    note: second note",
        "PASS open",
        "summary: 2 passed, 1 warned, 1 failed, 1 skipped (seed 1234)"]


@pytest.mark.clause("CHECK-REPORT")
def test_an_extractor_headline_has_no_id_and_a_run_without_identity_names_only_the_target():
    run = CheckRun(EXTRACTOR_IDENTITY, outcomes(CheckOutcome("load", "PASS"), CheckOutcome("extract", "PASS")))
    text, status = report(parse("./libjx.so"), 5, run)
    assert status == 0
    assert text.splitlines() == ["plugref check ./libjx.so: native extractor plugin jx 0.4.0", "PASS load",
                                 "PASS extract", "summary: 2 passed, 0 failed, 0 skipped (seed 5)"]
    text, status = report(parse("./libjx.so"), 6, CheckRun(None, outcomes(CheckOutcome("load", "FAIL", "no such symbol"))))
    assert status == 1
    assert text.splitlines() == ["plugref check ./libjx.so",
                                 "FAIL load: no such symbol (reproduce: plugref check ./libjx.so --only load --seed 6)",
                                 "summary: 0 passed, 1 failed, 0 skipped (seed 6)"]


@pytest.mark.clause("CHECK-REPORT")
def test_warnings_and_skips_do_not_fail_the_run():
    run = CheckRun(SOURCE_IDENTITY, outcomes(CheckOutcome("load", "PASS"), CheckOutcome("identity", "WARN", "w"),
                                             CheckOutcome("progress", "SKIP", "s")))
    assert report(parse("t"), 1, run)[1] == 0
    assert report(parse("t", "--json"), 1, run)[1] == 0


@pytest.mark.clause("CHECK-REPORT")
def test_the_json_report_is_one_document_with_the_options_checks_and_summary():
    run = CheckRun(SOURCE_IDENTITY, outcomes(
        CheckOutcome("load", "PASS"),
        CheckOutcome("registry", "SKIP", "no registry file given (--registry FILE)"),
        CheckOutcome("init-schema-configs", "WARN", "slow", ["n1"]),
        CheckOutcome("next-batch", "FAIL", "the plugin crashed", ["n2"], last_call="plugin_next_batch (batch 1)"),
        CheckOutcome("batched-extraction", "PASS"),
        CheckOutcome("teardown", "FAIL", "double free")))
    args = parse("fake_plugins.ticker", "--json", "--init", '{"a": 1}', "--open", "p q", "--max-events", "7",
                 "--timeout", "2.5")
    text, status = report(args, 42, run)
    assert status == 1
    common = "plugref check fake_plugins.ticker --only {} --seed 42 --init '{{\"a\": 1}}' --open 'p q' " \
             "--max-events 7 --timeout 2.5"
    document = {
        "target": "fake_plugins.ticker",
        "plugin": SOURCE_IDENTITY,
        "options": {"init": '{"a": 1}', "open": "p q", "registry": None, "seed": 42, "max_examples": 50,
                    "max_events": 7, "timeout": 2.5},
        "checks": [
            {"name": "load", "clause": "CHECK-LOAD", "status": "PASS", "reason": "", "notes": [],
             "last_call": None, "reproduce": None},
            {"name": "registry", "clause": "CHECK-LOAD", "status": "SKIP",
             "reason": "no registry file given (--registry FILE)", "notes": [], "last_call": None, "reproduce": None},
            {"name": "init-schema-configs", "clause": "CHECK-INIT", "status": "WARN", "reason": "slow",
             "notes": ["n1"], "last_call": None, "reproduce": None},
            {"name": "next-batch", "clause": "CHECK-NEXT-BATCH", "status": "FAIL", "reason": "the plugin crashed",
             "notes": ["n2"], "last_call": "plugin_next_batch (batch 1)", "reproduce": common.format("next-batch")},
            {"name": "batched-extraction", "clause": "CHECK-BATCHED-EXTRACTION", "status": "PASS", "reason": "",
             "notes": [], "last_call": None, "reproduce": None},
            {"name": "teardown", "clause": "CHECK-TEARDOWN", "status": "FAIL", "reason": "double free", "notes": [],
             "last_call": None, "reproduce": common.format("teardown")}],
        "summary": {"passed": 2, "warned": 1, "failed": 2, "skipped": 1, "exit_status": 1}}
    assert text == json.dumps(document, indent=2)


@pytest.mark.clause("CHECK-REPORT")
def test_every_check_reports_under_its_clause():
    names = ["load", "identity", "registry", "init", "init-schema-configs", "init-invalid-configs", "open",
             "next-batch", "extract", "batched-extraction", "event-to-string", "progress", "teardown"]
    clauses = ["CHECK-LOAD", "CHECK-LOAD", "CHECK-LOAD", "CHECK-INIT", "CHECK-INIT", "CHECK-INIT", "CHECK-OPEN",
               "CHECK-NEXT-BATCH", "CHECK-EXTRACT", "CHECK-BATCHED-EXTRACTION", "CHECK-EVENT-TO-STRING",
               "CHECK-PROGRESS", "CHECK-TEARDOWN"]
    run = CheckRun(SOURCE_IDENTITY, outcomes(*(CheckOutcome(name, "PASS") for name in names)))
    document = json.loads(report(parse("t", "--json"), 0, run)[0])
    assert [(c["name"], c["clause"]) for c in document["checks"]] == list(zip(names, clauses))


# The command that reproduces a failure.


@pytest.mark.clause("CHECK-REPORT")
def test_the_reproduction_carries_only_the_options_that_differ_from_their_defaults():
    assert reproduction(parse("fake_plugins.counter"), 9, "open") == \
        "plugref check fake_plugins.counter --only open --seed 9"
    # the defaults written out are still the defaults
    defaults = parse("fake_plugins.counter", "--init", "", "--open", "", "--max-examples", "50", "--max-events", "1000",
                     "--timeout", "10", "--json", "--seed", "3", "--only", "load")
    assert reproduction(defaults, 9, "open") == "plugref check fake_plugins.counter --only open --seed 9"
    every = parse("./my plugin.so", "--timeout", "3", "--allow-zero-ts", "--registry", "reg.yaml", "--max-examples", "5",
                  "--open", "file:///tmp/a b", "--init", '{"rate": 10}', "--max-events", "1")
    assert reproduction(every, 0, "next-batch") == (
        "plugref check './my plugin.so' --only next-batch --seed 0 --init '{\"rate\": 10}' --open 'file:///tmp/a b' "
        "--registry reg.yaml --max-examples 5 --max-events 1 --timeout 3 --allow-zero-ts")
    dashes = parse("t", "--init=-1", "--open=--only", "--registry=-r.yaml")
    assert reproduction(dashes, 1, "init") == "plugref check t --only init --seed 1 --init=-1 --open=--only " \
                                              "--registry=-r.yaml"


@pytest.mark.clause("CHECK-REPORT")
@given(init=st.text(min_size=1), open_params=st.text(min_size=1), seed=st.integers(0, 2**32 - 1),
       timeout=st.floats(0.001, 1e6), examples=st.integers(1, 10**6))
def test_a_reproduction_parses_back_to_the_same_options(init, open_params, seed, timeout, examples):
    args = parse("fake_plugins.counter", f"--init={init}", f"--open={open_params}", "--timeout", repr(timeout),
                 "--max-examples", str(examples))
    words = shlex.split(reproduction(args, seed, "extract"))
    assert words[:2] == ["plugref", "check"]
    again = fresh_parse(*words[2:])
    assert (again.target, again.init, again.open, again.seed, again.only, again.max_examples) == \
        ("fake_plugins.counter", init, open_params, seed, ["extract"], examples)
    assert again.timeout == pytest.approx(timeout, rel=1e-5)


# Real runs of one quick check: the options reach the checks.


@pytest.mark.clause("CHECK-REPORT")
def test_without_a_seed_one_is_drawn_and_shown(capsys):
    seeds = set()
    for _ in range(2):
        assert run_check(parse("fake_plugins.counter", "--only", "load", "--json")) == 0
        document = json.loads(capsys.readouterr().out)
        assert [c["name"] for c in document["checks"]] == ["load"]
        seed = document["options"]["seed"]
        assert isinstance(seed, int) and 0 <= seed < 2**32
        seeds.add(seed)
    assert len(seeds) == 2  # two draws from 2^32 seeds that agree: once in four billion runs


@pytest.mark.clause("CHECK-REPORT", "CHECK-LOAD")
def test_only_runs_the_checks_named_after_load(capsys):
    assert run_check(parse("fake_plugins.counter", "--only", "identity", "--only", "load", "--seed", "4")) == 0
    lines = capsys.readouterr().out.splitlines()
    # counter declares the first ID of the registry's private block, 2^30 + 1
    assert lines == ["plugref check fake_plugins.counter: python source plugin counter 0.1.0, ID 1073741825, event source "
                     "counter", "PASS load", "PASS identity", "summary: 2 passed, 0 failed, 0 skipped (seed 4)"]


@pytest.mark.clause("CHECK-REPORT")
def test_a_drawn_seed_is_any_of_the_2_to_the_32():
    seeds = [draw_seed() for _ in range(400)]
    assert all(isinstance(seed, int) and 0 <= seed < 2**32 for seed in seeds)
    # 400 draws all in one half of the range, or all equal: a chance of 2^-399
    assert max(seeds) >= 2**31 and min(seeds) < 2**31


@pytest.mark.clause("CHECK-REPORT")
def test_only_accepts_check_names_alone(capsys):
    with pytest.raises(SystemExit) as stopped:
        fresh_parse("fake_plugins.counter", "--only", "loading")
    assert stopped.value.code == 2
    assert "argument --only: invalid choice: 'loading'" in capsys.readouterr().err


def checks_of(capsys, *argv: str) -> tuple[int, dict[str, dict]]:
    status = run_check(parse(*argv, "--json", "--seed", "5"))
    return status, {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)["checks"]}


@pytest.mark.clause("CHECK-REPORT", "CHECK-INIT", "CHECK-OPEN")
def test_init_and_open_reach_the_checks(capsys):
    status, checks = checks_of(capsys, "fake_plugins.counter", "--only", "init", "--only", "open")
    assert status == 0 and (checks["init"]["status"], checks["open"]["status"]) == ("PASS", "PASS")
    # counter's schema wants max_events >= 0; its open params are a decimal start value
    status, checks = checks_of(capsys, "fake_plugins.counter", "--only", "init", "--init", '{"max_events": -1}')
    assert status == 1 and "refused by the plugin's schema" in checks["init"]["reason"]
    status, checks = checks_of(capsys, "fake_plugins.counter", "--only", "open", "--open", "abc")
    assert status == 1 and checks["open"]["reason"].startswith("open with params 'abc' failed")


@pytest.mark.clause("CHECK-REPORT", "CHECK-LOAD")
def test_the_registry_given_reaches_the_registry_check(capsys):
    status, checks = checks_of(capsys, "fake_plugins.counter", "--only", "registry")
    assert checks["registry"]["status"] == "SKIP"
    status, checks = checks_of(capsys, "fake_plugins.counter", "--only", "registry", "--registry",
                               "conformance/data/registry.yaml")
    assert checks["registry"]["status"] == "PASS" and checks["registry"]["notes"] == [
        "plugin counter is not in the registry"]


@pytest.mark.clause("CHECK-REPORT", "CHECK-NEXT-BATCH")
def test_max_events_bounds_the_events_read(capsys):
    # counter sends its 20 events (its default max_events) in batches of 8, then EOF
    status, checks = checks_of(capsys, "fake_plugins.counter", "--only", "next-batch")
    assert status == 0 and checks["next-batch"]["notes"] == ["read 20 events"]
    status, checks = checks_of(capsys, "fake_plugins.counter", "--only", "next-batch", "--max-events", "3")
    assert status == 0 and checks["next-batch"]["notes"] == ["stopped after 8 events without EOF (--max-events)",
                                                            "read 8 events"]


ZERO_TS_SOURCE = {"name": "zerots", "type": 1, "id": 2**30 + 52, "event_source": "zero", "version": "1.0.0",
                  "fields": [{"type": "uint64", "name": "zerots.n", "desc": "n"}],
                  "events": [{"ts": 0, "values": {"zerots.n": "1"}}]}


@pytest.mark.clause("CHECK-REPORT", "CHECK-NEXT-BATCH")
def test_allow_zero_ts_accepts_timestamp_zero(capsys, tmp_path):
    target = tmp_path / "zerots.json"
    target.write_text(json.dumps(ZERO_TS_SOURCE))
    status, checks = checks_of(capsys, str(target), "--only", "next-batch")
    assert status == 1 and checks["next-batch"]["status"] == "FAIL"
    status, checks = checks_of(capsys, str(target), "--only", "next-batch", "--allow-zero-ts")
    assert status == 0 and checks["next-batch"]["status"] == "PASS"


ACCEPTING_SOURCE = {**ZERO_TS_SOURCE, "name": "accepting", "id": 2**30 + 53,
                    "events": [{"ts": 1000, "values": {"zerots.n": "1"}}],
                    "init_schema": {"type": "object", "properties": {"n": {"type": "integer"}},
                                    "additionalProperties": False}}


@pytest.mark.clause("CHECK-REPORT", "CHECK-INIT")
def test_max_examples_is_the_number_of_examples_drawn(capsys, tmp_path):
    # the plugin accepts every config, even those its schema refuses: the note counts those it was given
    target = tmp_path / "accepting.json"
    target.write_text(json.dumps(ACCEPTING_SOURCE))
    counts = []
    for examples in ("1", "40"):
        status, checks = checks_of(capsys, str(target), "--only", "init-invalid-configs", "--max-examples", examples)
        note = next(n for n in checks["init-invalid-configs"]["notes"] if n.startswith("init accepted "))
        counts.append(int(note.split()[2]))
    assert counts[0] < counts[1]


@pytest.mark.clause("CHECK-REPORT", "CHECK-INIT")
def test_the_seed_decides_the_inputs_drawn(capsys, tmp_path):
    # the same plugin as above: how many distinct refused configs it accepted shows which were drawn
    target = tmp_path / "accepting.json"
    target.write_text(json.dumps(ACCEPTING_SOURCE))

    def accepted(seed: str) -> str:
        status = run_check(parse(str(target), "--only", "init-invalid-configs", "--max-examples", "40", "--json",
                                 "--seed", seed))
        notes = json.loads(capsys.readouterr().out)["checks"][-1]["notes"]
        return next(n for n in notes if n.startswith("init accepted ")).split()[2]

    counts = [accepted(seed) for seed in ("1", "2", "3")]
    assert accepted("1") == counts[0]  # the same seed, the same inputs: a run can be repeated
    assert len(set(counts)) > 1  # other seeds, other inputs


SEED_RECORDER = '''
import os

from reference.sdk import SourcePlugin


class SeedRecorder(SourcePlugin):
    id = 2**30 + 94
    name = "seedrecorder"
    event_source = "seedrecorder"
    version = "0.1.0"
    init_schema = {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}}}

    def init(self, config):
        with open(os.environ["SEED_RECORD"], "a") as record:
            record.write(config + "\\n")


PLUGIN = SeedRecorder
'''


@pytest.mark.clause("CHECK-REPORT", "CHECK-INIT")
def test_the_seed_given_decides_the_configs_the_checks_draw(tmp_path, capsys, monkeypatch):
    # The same --seed draws the same inputs (that is what the reproduce command relies on); another draws others.
    (tmp_path / "seed_recorder_plugin.py").write_text(SEED_RECORDER)
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.syspath_prepend(str(tmp_path))
    drawn = []
    for seed in ("3", "3", "4"):
        record = tmp_path / f"record-{len(drawn)}.txt"
        monkeypatch.setenv("SEED_RECORD", str(record))
        run_check(parse("seed_recorder_plugin", "--only", "init-schema-configs", "--seed", seed,
                        "--max-examples", "20"))
        assert f"(seed {seed})" in capsys.readouterr().out
        drawn.append(record.read_text().splitlines())
    assert len(drawn[0]) > 5
    assert drawn[0] == drawn[1]
    assert drawn[0] != drawn[2]
