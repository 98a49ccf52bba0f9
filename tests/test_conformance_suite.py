"""The conformance suite as a product: SUITE-CASES, SUITE-ADAPTERS, SUITE-REPORT, SUITE-COVERAGE,
SUITE-COUNTEREXAMPLES, SUITE-SYSDIG-REPORT."""
import json
import sys

import jsonschema
import pytest
import yaml

from conformance import cases as case_module
from conformance import runner
from conformance.adapters.protocol import ProtocolAdapter
from conformance.adapters.reference import ReferenceAdapter
from conformance.cases import CaseError, load_cases
from conformance.catalogue import ROOT, clause_ids
from conformance.differential import PROPERTIES, run_property
from conformance.matching import compare

EXAMPLE = f"{sys.executable} -m conformance.adapters.example"


@pytest.mark.clause("SUITE-CASES")
def test_cases_are_valid_unique_and_name_real_clauses():
    cases = load_cases()
    assert len(cases) >= 50
    known = set(clause_ids())
    assert all(set(c["clauses"]) <= known for c in cases)
    assert len({c["id"] for c in cases}) == len(cases)


@pytest.mark.clause("SUITE-CASES")
def test_every_case_passes_on_the_reference():
    adapter = ReferenceAdapter()
    failures = {c["id"]: compare(c["expect"], adapter.run(c)["observed"]) for c in load_cases()}
    assert {k: v for k, v in failures.items() if v} == {}


@pytest.mark.clause("SUITE-CASES")
def test_a_malformed_case_file_is_refused_by_name(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps([{"id": "x", "clauses": ["NOT-A CLAUSE"]}]))
    with pytest.raises(CaseError, match="bad.json case 0"):
        load_cases(tmp_path)
    (tmp_path / "bad.json").write_text(json.dumps([]))
    case = {k: v for k, v in load_cases()[0].items() if not k.startswith("_")}
    (tmp_path / "a.json").write_text(json.dumps([case, case]))
    with pytest.raises(CaseError, match=f"case id {case['id']} is also in"):
        load_cases(tmp_path)


@pytest.mark.clause("SUITE-ADAPTERS")
def test_the_example_adapter_speaks_the_protocol_end_to_end():
    schema = json.loads((ROOT / "conformance" / "schema" / "protocol.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema["$defs"]["hello_response"])
    adapter = ProtocolAdapter(EXAMPLE)
    try:
        hello = adapter.describe()
        validator.validate(hello)
        assert hello["implementation"]["name"] == "plugref"
        for case in load_cases()[:12]:
            result = adapter.run(case)
            assert "observed" in result and compare(case["expect"], result["observed"]) == []
    finally:
        adapter.close()


@pytest.mark.clause("SUITE-ADAPTERS")
def test_a_dying_or_silent_adapter_gives_errored_results(tmp_path):
    dies = tmp_path / "dies.py"
    dies.write_text("import sys, json\nline = sys.stdin.readline()\n"
                    "print(json.dumps({'implementation': {'name': 'x', 'version': '0'}, 'api_versions': [],"
                    " 'capabilities': []}), flush=True)\nsys.stdin.readline()\nsys.exit(3)\n")
    adapter = ProtocolAdapter(f"{sys.executable} {dies}", timeout=5)
    result = adapter.run(load_cases()[0])
    assert "errored" in result and "ended" in result["errored"]["message"]
    silent = tmp_path / "silent.py"
    silent.write_text("import sys, json, time\nsys.stdin.readline()\n"
                      "print(json.dumps({'implementation': {'name': 'x', 'version': '0'}, 'api_versions': [],"
                      " 'capabilities': []}), flush=True)\ntime.sleep(30)\n")
    adapter = ProtocolAdapter(f"{sys.executable} {silent}", timeout=1)
    result = adapter.run(load_cases()[0])
    adapter.close()
    assert result == {"errored": {"message": "no response within 1 s"}}


@pytest.mark.clause("SUITE-REPORT")
def test_report_per_clause_with_expectations_and_stale_entries(monkeypatch, tmp_path):
    monkeypatch.setattr(runner, "make_adapter", lambda target: _FailingOne())
    monkeypatch.setattr(runner, "EXPECTATIONS", tmp_path)
    report = runner.run("fake", layers=("cases",))
    first = load_cases()[0]
    assert report.exit_status == 1
    assert report.by_clause()[first["clauses"][0]]["status"] == "fail"
    (tmp_path / "fake.yaml").write_text(yaml.safe_dump({first["id"]: "known departure"}))
    report = runner.run("fake", layers=("cases",))
    assert report.exit_status == 0 and report.by_clause()[first["clauses"][0]]["status"] == "departs"
    (tmp_path / "fake.yaml").write_text(yaml.safe_dump({first["id"]: "known", load_cases()[1]["id"]: "stale"}))
    report = runner.run("fake", layers=("cases",))
    assert report.stale == [load_cases()[1]["id"]] and report.exit_status == 1
    assert "STALE" in report.text() and json.loads(json.dumps(report.to_json()))["exit_status"] == 1


class _FailingOne(ReferenceAdapter):
    def describe(self):
        return {"implementation": {"name": "fake", "version": "0"}}

    def run(self, case):
        if case["id"] == load_cases()[0]["id"]:
            return {"observed": {"error": "nope"}}
        return super().run(case)


@pytest.mark.clause("SUITE-COVERAGE")
def test_every_clause_has_a_case_or_a_property():
    assert runner.coverage() == []


@pytest.mark.clause("SUITE-COUNTEREXAMPLES")
def test_a_differential_property_finds_shrinks_and_saves_a_counterexample(monkeypatch, tmp_path):
    filters = next(p for p in PROPERTIES if p.name == "filters")

    class WrongFilter(ReferenceAdapter):
        def run(self, case):
            result = super().run(case)
            if "!=" in case.get("filter", "") and "lines" in result.get("observed", {}):
                result["observed"]["lines"] = result["observed"]["lines"] + ["extra"]
            return result

    status, detail, counterexample = run_property(filters, WrongFilter(), ReferenceAdapter(), max_examples=200)
    assert status == "fail" and "lines differ" in detail
    assert "!=" in counterexample["filter"]
    monkeypatch.setattr(case_module, "FOUND", tmp_path)
    saved = case_module.save_found(counterexample, "wrong")
    [case] = json.loads(saved.read_text())
    assert case["id"].startswith("found/wrong/filters-")
    assert compare(case["expect"], ReferenceAdapter().run(case)["observed"]) == []


@pytest.mark.clause("SUITE-SYSDIG-REPORT")
def test_committed_sysdig_report_names_every_departure_of_the_expectation_file():
    report = (ROOT / "docs" / "sysdig-0.29-report.md").read_text()
    expectations = yaml.safe_load((ROOT / "conformance" / "expectations" / "sysdig.yaml").read_text())
    for entry in expectations:
        assert f"`{entry}`" in report
    assert "load/duplicate-id" in expectations and "load/overlapping-extractor" in expectations
