"""`plugref conformance` in-process: its options reach the suite, and its report forms (docs/cli.md,
SUITE-REPORT, SUITE-COVERAGE, SUITE-COUNTEREXAMPLES)."""
from __future__ import annotations

import functools
import json
import shlex
import sys
import tempfile
from pathlib import Path

import pytest

from conformance import cases as case_module
from conformance import runner
from conformance.cases import load_cases
from conformance.catalogue import ROOT, clause_ids
from reference.tools.cli import main

# Two clauses with data cases; only their cases run.
CHOSEN = ["OUTPUT-JSON", "FILTER-OPERATORS"]
# The clause of the differential property `api-versions` (a plugin loads exactly when its required
# API version is compatible): cheap examples.
API_VERSIONS = "API-VERSION-FORMAT"

# An implementation behind the adapter protocol: the reference, recording each case it is given
# (one JSON line in LOG), and, when WRONG, loading every plugin whatever its required API version.
ADAPTER = '''
import json, sys
sys.path.insert(0, {root!r})
from conformance.adapters.reference import ReferenceAdapter

adapter = ReferenceAdapter()
with open({log!r}, "a") as log:
    for line in sys.stdin:
        request = json.loads(line)
        if request["cmd"] == "stop":
            break
        if request["cmd"] == "hello":
            response = adapter.describe()
        else:
            case = request["case"]
            log.write(json.dumps(case) + "\\n")
            log.flush()
            response = {{"seq": request["seq"], **adapter.run(case)}}
            if {wrong!r} and "verdicts" in response.get("observed", {{}}):
                response["observed"]["verdicts"] = ["ok" for _ in response["observed"]["verdicts"]]
        print(json.dumps(response), flush=True)
'''


def conformance(capsys, *args: str) -> tuple[int, str]:
    status = main(["conformance", *args])
    out, err = capsys.readouterr()
    assert err == ""
    return status, out


class Implementation:
    """A target command, and the cases it was given, run by run."""

    def __init__(self, folder: Path, wrong: bool = False):
        self.log = folder / ("wrong.jsonl" if wrong else "cases.jsonl")
        script = folder / ("wrong.py" if wrong else "adapter.py")
        script.write_text(ADAPTER.format(root=str(ROOT), log=str(self.log), wrong=wrong))
        self.target = shlex.join([sys.executable, str(script)])

    def cases_given(self) -> list[dict]:
        """The cases given since the last call."""
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        self.log.unlink()
        return [json.loads(line) for line in lines]


@pytest.mark.clause("SUITE-COVERAGE")
def test_coverage_says_every_clause_is_checked(capsys):
    assert conformance(capsys, "--coverage") == (0, "every clause of docs/spec.md has a case or a property\n")


@pytest.mark.clause("SUITE-COVERAGE")
def test_coverage_lists_the_clauses_nothing_checks_and_exits_1(capsys, monkeypatch, tmp_path):
    spec = tmp_path / "spec.md"
    unchecked = ["NOBODY-" + "CHECKS-THIS", "NOR-" + "THIS"]  # built here, so that no citation names them
    spec.write_text((ROOT / "docs" / "spec.md").read_text() + "".join(f"\n### `{c}`: new\nText.\n" for c in unchecked))
    monkeypatch.setattr(runner, "clause_ids", functools.partial(clause_ids, spec))
    assert conformance(capsys, "--coverage") == (1, "NOBODY-CHECKS-THIS\nNOR-THIS\n")


@pytest.mark.clause("SUITE-REPORT")
def test_the_text_report_has_a_line_per_chosen_clause(capsys):
    status, out = conformance(capsys, "--layer", "cases", "--clauses", ",".join(CHOSEN))
    first, *rows, last = out.splitlines()
    assert status == 0 and first.startswith("plugref conformance: target reference (plugref ")
    assert [row.split()[:2] for row in rows] == [["PASS", clause] for clause in CHOSEN]
    assert last == "clauses: 2 pass, 0 departs, 0 fail, 0 skip"


@pytest.mark.clause("SUITE-REPORT")
def test_the_json_report_is_the_same_as_data(capsys):
    status, out = conformance(capsys, "--target", "reference", "--layer", "cases", "--clauses", ",".join(CHOSEN) + ",",
                              "--json")
    assert status == 0 and out.startswith('{\n  "target": "reference",\n  "implementation": {\n    "name": "plugref"')
    report = json.loads(out)
    assert list(report["clauses"]) == CHOSEN and report["exit_status"] == 0
    assert report["outcomes"] and all(o["layer"] == "case" and set(o["clauses"]) & set(CHOSEN)
                                      for o in report["outcomes"])
    assert all(row["status"] == "pass" for row in report["clauses"].values())


@pytest.mark.clause("SUITE-REPORT")
def test_without_clauses_every_case_runs_and_every_clause_is_reported(capsys):
    status, out = conformance(capsys, "--layer", "cases", "--json")
    report = json.loads(out)
    assert status == 0 and list(report["clauses"]) == clause_ids()
    assert sorted(o["id"] for o in report["outcomes"]) == sorted(case["id"] for case in load_cases())


@pytest.mark.clause("SUITE-REPORT")
def test_the_markdown_report_is_a_page_of_every_clause(capsys):
    status, out = conformance(capsys, "--layer", "cases", "--clauses", CHOSEN[0], "--markdown")
    assert status == 0 and out.startswith("# Conformance report: plugref ")
    assert out.endswith(" |\n")  # the page's own last line break, no other
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert len(rows) == len(clause_ids()) and f"| `{CHOSEN[0]}` | pass | " in out


def test_a_seed_draws_the_same_examples_again_and_max_examples_bounds_them(capsys, tmp_path):
    implementation = Implementation(tmp_path)

    def examples(*args: str) -> list[str]:
        status, out = conformance(capsys, "--target", implementation.target, "--layer", "properties", "--clauses",
                                  API_VERSIONS, "--max-examples", "4", "--json", *args)
        [outcome] = json.loads(out)["outcomes"]
        assert status == 0 and outcome["id"] == "differential/api-versions"
        assert outcome["detail"] == "4 generated cases agree"
        return [case["plugins"][0]["definition"]["required_api_version"] for case in implementation.cases_given()]

    first = examples("--seed", "1")
    assert len(first) == 4
    assert examples("--seed", "1") == first
    assert examples("--seed", "2") != first


def test_both_layers_run_unless_one_is_chosen(capsys, tmp_path):
    implementation = Implementation(tmp_path)

    def layers(*args: str) -> set[str]:
        status, out = conformance(capsys, "--target", implementation.target, "--clauses", API_VERSIONS,
                                  "--max-examples", "2", "--json", *args)
        assert status == 0
        implementation.cases_given()
        return {o["layer"] for o in json.loads(out)["outcomes"]}

    assert layers() == {"case", "property"}
    assert layers("--layer", "cases") == {"case"}
    assert layers("--layer", "properties") == {"property"}
    assert layers("--layer", "properties", "--layer", "cases") == {"case", "property"}


@pytest.mark.clause("SUITE-COUNTEREXAMPLES")
def test_a_counterexample_is_saved_as_a_case_unless_no_save(capsys, monkeypatch, tmp_path):
    wrong = Implementation(tmp_path, wrong=True)
    with tempfile.TemporaryDirectory(dir=ROOT, prefix=".test-found-") as found:
        monkeypatch.setattr(case_module, "FOUND", Path(found))
        arguments = ["--target", wrong.target, "--layer", "properties", "--clauses", API_VERSIONS, "--max-examples",
                     "5", "--json"]
        status, out = conformance(capsys, *arguments, "--no-save")
        assert status == 1 and json.loads(out)["saved_cases"] == [] and list(Path(found).iterdir()) == []
        status, out = conformance(capsys, *arguments)
        [saved] = json.loads(out)["saved_cases"]
        assert status == 1 and [str(p.relative_to(ROOT)) for p in Path(found).iterdir()] == [saved]
        [case] = json.loads((ROOT / saved).read_text())
        assert case["id"].startswith(f"found/{wrong.target}/api-versions-")
