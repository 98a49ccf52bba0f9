"""Running the suite against an implementation and reporting per clause (`plugref conformance`).

Two layers run: the data cases (conformance/cases/) through the target's adapter, and the
properties: for the reference, its in-process properties and tests (pytest, selected and reported
by clause); for any other target, the differential properties, with the reference as oracle.
A target's expectation file (conformance/expectations/<target>.yaml) names the failures known and
accepted, each with a one-line reason; only failures it does not name, and entries that no longer
fail, make the exit status non-zero.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from conformance.adapters import make_adapter
from conformance.adapters.reference import ReferenceAdapter
from conformance.cases import load_cases, save_found
from conformance.catalogue import ROOT, cited_clauses, clause_ids
from conformance.differential import PROPERTIES, run_property
from conformance.matching import compare

EXPECTATIONS = Path(__file__).resolve().parent / "expectations"


@dataclass
class Outcome:
    id: str
    layer: str               # "case" or "property"
    clauses: list[str]
    status: str              # pass | fail | skip | error
    detail: str = ""
    expected: str | None = None   # the expectation file's reason, when this failure is known

    @property
    def unexpected_failure(self) -> bool:
        return self.status in ("fail", "error") and self.expected is None


@dataclass
class Report:
    target: str
    implementation: dict
    outcomes: list[Outcome] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)

    def by_clause(self, only: list[str] | None = None) -> dict[str, dict]:
        grouped: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            for clause in outcome.clauses:
                grouped[clause].append(outcome)
        table = {}
        for clause in only or clause_ids():
            entries = grouped.get(clause, [])
            failing = [o for o in entries if o.status in ("fail", "error")]
            if not entries:
                status, detail = "skip", "no case or differential property for this target checks it (in-process properties of the reference do)"
            elif any(o.unexpected_failure for o in failing):
                status = "fail"
                first = next(o for o in failing if o.unexpected_failure)
                detail = f"{first.id}: {first.detail}"
            elif failing:
                status = "departs"
                detail = "; ".join(f"{o.id}: {o.expected}" for o in failing)
            elif all(o.status == "skip" for o in entries):
                status, detail = "skip", entries[0].detail
            else:
                status, detail = "pass", f"{sum(o.status == 'pass' for o in entries)} passed"
            table[clause] = {"status": status, "detail": detail, "checks": [o.id for o in entries]}
        return table

    @property
    def exit_status(self) -> int:
        return 1 if any(o.unexpected_failure for o in self.outcomes) or self.stale else 0

    def text(self, only: list[str] | None = None) -> str:
        lines = [f"plugref conformance: target {self.target} "
                 f"({self.implementation.get('name', '?')} {self.implementation.get('version', '?')})"]
        counts = defaultdict(int)
        for clause, row in self.by_clause(only).items():
            counts[row["status"]] += 1
            lines.append(f"{row['status'].upper():8} {clause}" + (f": {row['detail']}" if row["status"] != "pass"
                                                                  else f" ({row['detail']})"))
        for entry in self.stale:
            lines.append(f"STALE    expectation {entry}: it no longer fails; remove it from the expectation file")
        for path in self.saved:
            lines.append(f"saved    counterexample as a case: {path}")
        lines.append("clauses: " + ", ".join(f"{counts[s]} {s}" for s in ("pass", "departs", "fail", "skip")))
        return "\n".join(lines)

    def to_json(self, only: list[str] | None = None) -> dict:
        return {"target": self.target, "implementation": self.implementation, "clauses": self.by_clause(only),
                "outcomes": [asdict(o) for o in self.outcomes], "stale_expectations": self.stale,
                "saved_cases": self.saved, "exit_status": self.exit_status}

    def markdown(self) -> str:
        rows = self.by_clause()
        lines = [f"# Conformance report: {self.implementation.get('name')} {self.implementation.get('version')}", "",
                 f"Made with `plugref conformance --target {self.target} --markdown`. Status per clause of "
                 "docs/spec.md: **pass**, **departs** (fails, and the target's expectation file names the "
                 "failure with its reason), **fail** (an unexpected failure), **skip** (not applicable to the "
                 "target, with the reason).", "",
                 "| clause | status | detail |", "|---|---|---|"]
        for clause, row in rows.items():
            detail = row["detail"].replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{clause}` | {row['status']} | {detail} |")
        departures = [o for o in self.outcomes if o.status in ("fail", "error") and o.expected]
        if departures:
            lines += ["", "## Departures", ""]
            for outcome in departures:
                lines.append(f"- `{outcome.id}` ({', '.join(outcome.clauses)}): {outcome.expected}  ")
                lines.append(f"  observed: {outcome.detail}")
        return "\n".join(lines) + "\n"


def load_expectations(target: str) -> dict[str, str]:
    path = EXPECTATIONS / f"{target}.yaml"
    if not path.is_file():
        return {}
    document = yaml.safe_load(path.read_text()) or {}
    if not isinstance(document, dict) or not all(isinstance(v, str) and v.strip() for v in document.values()):
        raise ValueError(f"{path}: must map case or property IDs to a one-line reason")
    return document


def safely(adapter, case: dict) -> dict:
    """The adapter's result; an exception in the implementation is that case's error, not the suite's end."""
    try:
        return adapter.run(case)
    except Exception as exc:  # the implementation under test is allowed to be broken
        return {"errored": {"message": f"{type(exc).__name__}: {exc}"}}


def _contract(version: str) -> str:
    return version.split(".", 1)[0]


def run_cases(adapter, cases: list[dict]) -> list[Outcome]:
    """Each case through the adapter; a case of a contract the target does not speak (by the API
    major of its `api_version` and the hello's `api_versions`) is skipped, naming both."""
    outcomes = []
    spoken = (adapter.describe() or {}).get("api_versions") or ["0.3.0"]
    for case in cases:
        if _contract(case["api_version"]) not in {_contract(v) for v in spoken}:
            outcomes.append(Outcome(case["id"], "case", case["clauses"], "skip",
                                    f"the target speaks API {', '.join(spoken)}, not the {case['api_version']} "
                                    f"contract of this case"))
            continue
        result = safely(adapter, case)
        if "skipped" in result:
            outcomes.append(Outcome(case["id"], "case", case["clauses"], "skip", result["skipped"]["reason"]))
        elif "errored" in result:
            outcomes.append(Outcome(case["id"], "case", case["clauses"], "error", result["errored"]["message"]))
        else:
            problems = compare(case["expect"], result["observed"])
            outcomes.append(Outcome(case["id"], "case", case["clauses"], "fail" if problems else "pass",
                                    "; ".join(problems)[:500]))
    return outcomes


def run_pytest_layer(clauses: list[str] | None) -> list[Outcome]:
    """The reference's in-process properties and tests, by clause (a subprocess running pytest)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "clauses.json"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "conformance.pytest_clauses", "-p", "no:cacheprovider",
                   f"--clause-report={report}", "tests", "conformance"]
        if clauses:
            command.append(f"--clauses={','.join(clauses)}")
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ})
        entries = json.loads(report.read_text()) if report.is_file() else []
    status = {"passed": "pass", "failed": "fail", "skipped": "skip"}
    outcomes = [Outcome(e["test"], "property", e["clauses"], status[e["outcome"]], e["detail"])
                for e in entries if e["clauses"]]
    if result.returncode not in (0, 1, 5):
        # Interrupted (a collection error, say): the properties did not run, which is a failure of them all.
        said = [line for line in result.stdout.splitlines() if line.startswith(("ERROR", "E "))][:2]
        outcomes.append(Outcome("pytest", "property", clauses or clause_ids(), "error",
                                f"the properties could not run (pytest exit status {result.returncode}): "
                                + " / ".join(said)[:400]))
    return outcomes


def run(target: str, clauses: list[str] | None = None, max_examples: int = 25, save: bool = True,
        layers: tuple[str, ...] = ("cases", "properties"), seed: int | None = None) -> Report:
    adapter = make_adapter(target)
    try:
        report = Report(target, adapter.describe().get("implementation", {}))
        cases = [c for c in load_cases() if not clauses or set(c["clauses"]) & set(clauses)]
        if "cases" in layers:
            report.outcomes += run_cases(adapter, cases)
        if "properties" in layers:
            if target == "reference":
                report.outcomes += run_pytest_layer(clauses)
            else:
                oracle = ReferenceAdapter()
                for prop in PROPERTIES:
                    if clauses and not set(prop.clauses) & set(clauses):
                        continue
                    status, detail, counterexample = run_property(prop, adapter, oracle, max_examples, seed)
                    report.outcomes.append(Outcome(f"differential/{prop.name}", "property", list(prop.clauses),
                                                   status, detail))
                    if counterexample is not None and save:
                        report.saved.append(str(save_found(counterexample, target).relative_to(ROOT)))
    finally:
        adapter.close()
    expectations = load_expectations(target)
    failing = set()
    for outcome in report.outcomes:
        if outcome.status in ("fail", "error") and outcome.id in expectations:
            outcome.expected = expectations[outcome.id]
            failing.add(outcome.id)
    ran = {o.id for o in report.outcomes}
    report.stale = sorted(entry for entry in expectations if entry in ran and entry not in failing)
    return report


def coverage() -> list[str]:
    """Clauses with neither a data case nor a property (a test citing it, or a differential property)."""
    covered = set(cited_clauses())
    covered |= {c for case in load_cases() for c in case["clauses"]}
    covered |= {c for prop in PROPERTIES for c in prop.clauses}
    return [c for c in clause_ids() if c not in covered]
