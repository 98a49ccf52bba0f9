"""The property layer for implementations other than the reference: differential properties.

Hypothesis generates cases (plugins, events, formats, filters, sets of plugins); the reference,
in-process, says what must be observed; the implementation under test must observe the same. A
counterexample is shrunk and saved as a data case (conformance/cases/found/), so that it stays a
plain, language-agnostic case after the run.
"""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as with_seed
from hypothesis import strategies as st

from conformance.filter_strategies import BASE_TS, SOURCE_DEFINITION, event_lists, formats, sysdig_conditions
from conformance.matching import compare
from conformance.rules_strategies import scenarios
from conformance.strategies import plugin_sets, semver_triples, version_string
from fake_plugins.misbehaving import WELL_BEHAVED_SOURCE, variant
from reference.filter.ast import to_text


@dataclass(frozen=True)
class DifferentialProperty:
    name: str
    clauses: tuple[str, ...]
    description: str
    cases: st.SearchStrategy
    #: Compare only whether each plugin loads, not the wording of the refusal.
    verdicts_only: bool = False


def _source(events: list[dict]) -> dict:
    return variant(SOURCE_DEFINITION, events=[{"ts": BASE_TS + i * 1_000_001_000, "values": v}
                                              for i, v in enumerate(events)], batch_size=2)


def _case(name: str, clauses, kind: str, plugins: list[dict], **inputs) -> dict:
    return {"id": f"differential/{name}", "clauses": list(clauses), "api_version": "0.3.0", "kind": kind,
            "description": f"found by the differential property {name}", "plugins": plugins, **inputs, "expect": {}}


FALCO_ALERT_CLAUSES = ("ENGINE-RULES-PER-SOURCE", "CONFIG-RULE-MATCHING", "ALERT-JSON", "RULES-LISTS", "RULES-MACROS",
                       "RULES-EXCEPTIONS", "RULES-APPEND-OVERRIDE")


def _rules_case(scenario) -> dict:
    """A rules case of a generated scenario: its files as one (definitions accumulate alike), JSON alerts."""
    files, matching, _, events, _, _ = scenario
    return _case("falco-alerts", FALCO_ALERT_CLAUSES, "rules", [{"definition": _source(events)}], input=0,
                 rules="".join(files), json=True, **({"rule_matching": matching} if matching else {}))


PROPERTIES = [
    DifferentialProperty(
        "formats", ("OUTPUT-FORMAT", "OUTPUT-MISSING", "EVT-FIELDS"),
        "Any format over any events prints the same lines.",
        st.builds(lambda events, fmt: _case("formats", ("OUTPUT-FORMAT", "OUTPUT-MISSING", "EVT-FIELDS"), "inspect",
                                            [{"definition": _source(events)}], input=0, format=fmt),
                  event_lists, formats())),
    DifferentialProperty(
        "json", ("OUTPUT-JSON",), "Any format prints the same JSON.",
        st.builds(lambda events, fmt: _case("json", ("OUTPUT-JSON",), "inspect", [{"definition": _source(events)}],
                                            input=0, format=fmt, json=True), event_lists, formats())),
    DifferentialProperty(
        "filters", ("FILTER-OPERATORS", "FILTER-MISSING-VALUE", "FILTER-PLUGIN-FIELDS"),
        "Any filter (that the older grammar also reads) selects the same events.",
        st.builds(lambda events, condition, limit: _case(
            "filters", ("FILTER-OPERATORS", "FILTER-MISSING-VALUE", "FILTER-PLUGIN-FIELDS"), "inspect",
            [{"definition": _source(events)}], input=0, format="*%evt.num %x.word", filter=to_text(condition),
            **({"max_events": limit} if limit else {})),
            event_lists, sysdig_conditions, st.integers(1, 4) | st.none())),
    DifferentialProperty(
        "captures", ("CAPTURE-FORMAT", "CAPTURE-SYSDIG-INTEROP"),
        "Events written to a capture and read back print the same lines.",
        st.builds(lambda events: _case("captures", ("CAPTURE-FORMAT", "CAPTURE-SYSDIG-INTEROP"), "capture",
                                       [{"definition": _source(events)}], input=0,
                                       format="*%evt.num %evt.rawtime %x.i %x.word"),
                  event_lists.filter(lambda e: len(e) > 0))),
    DifferentialProperty(
        "api-versions", ("API-VERSION-COMPAT", "API-VERSION-FORMAT"),
        "A plugin loads exactly when its required API version is compatible.",
        st.builds(lambda parts: _case("api-versions", ("API-VERSION-COMPAT",), "load",
                                      [{"definition": variant(WELL_BEHAVED_SOURCE,
                                                              required_api_version=version_string(parts))}]),
                  semver_triples()),
        verdicts_only=True),
    DifferentialProperty(
        "plugin-sets", ("PLUGIN-NAME-UNIQUE", "SRC-ID-RULES", "SRC-ID-UNIQUE", "SRC-EXCLUSIVE", "FIELD-OVERLAP"),
        "A set of plugins loads plugin by plugin with the same verdicts.",
        st.builds(lambda definitions: _case(
            "plugin-sets", ("PLUGIN-NAME-UNIQUE", "SRC-ID-RULES", "SRC-ID-UNIQUE", "SRC-EXCLUSIVE", "FIELD-OVERLAP"),
            "load", [{"definition": d} for d in definitions]), plugin_sets),
        verdicts_only=True),
    DifferentialProperty(
        "falco-alerts", FALCO_ALERT_CLAUSES,
        "Random rules files (lists, nested macros, exceptions, appends, redefinitions) raise the same JSON alerts, "
        "first-match or all-match.",
        scenarios().map(_rules_case)),
]


def _expected(observed: dict, verdicts_only: bool) -> dict:
    if verdicts_only and "verdicts" in observed:
        return {"verdicts": ["ok" if v == "ok" else {"error": ""} for v in observed["verdicts"]]}
    return observed


def run_property(prop: DifferentialProperty, adapter, oracle, max_examples: int, seed: int | None = None
                 ) -> tuple[str, str, dict | None]:
    """(status, detail, counterexample case) for one property against one adapter."""
    found: dict = {}
    counts = {"run": 0, "skipped": 0}

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=seed is None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    @given(prop.cases)
    def agrees(case: dict) -> None:
        reference = oracle.run(case)
        if "observed" not in reference:
            return
        case = dict(case, expect=_expected(reference["observed"], prop.verdicts_only))
        try:
            result = adapter.run(case)
        except Exception as exc:  # the implementation under test is allowed to be broken
            result = {"errored": {"message": f"{type(exc).__name__}: {exc}"}}
        if "skipped" in result:
            counts["skipped"] += 1
            return
        counts["run"] += 1
        observed = result.get("observed", {"error": result.get("errored", {}).get("message", "errored")})
        problems = compare(case["expect"], observed)
        if problems:
            found.update(case=case, problems=problems)
            raise AssertionError("; ".join(problems))

    if seed is not None:  # the same seed draws the same examples (derandomize is off above)
        agrees = with_seed(seed)(agrees)
    try:
        agrees()
    except AssertionError:
        return "fail", "; ".join(found.get("problems", []))[:400], found.get("case")
    if counts["run"] == 0:
        return "skip", "the implementation skipped every generated case", None
    return "pass", f"{counts['run']} generated cases agree", None


