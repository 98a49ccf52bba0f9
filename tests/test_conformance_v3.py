"""The suite and the 3.x contract: cases name their contract, targets the contracts they speak (SUITE-CONTRACTS)."""
from __future__ import annotations

import shutil

import pytest

from conformance.adapters.reference import ReferenceAdapter
from conformance.cases import load_cases
from conformance.runner import run_cases

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None, reason="no C compiler")


class Speaks030Only(ReferenceAdapter):
    def describe(self) -> dict:
        return dict(super().describe(), api_versions=["0.3.0"])


def v3_cases() -> list[dict]:
    return [c for c in load_cases() if c["api_version"].startswith("3.")]


@pytest.mark.clause("SUITE-CONTRACTS")
def test_cases_of_a_contract_the_target_does_not_speak_are_skipped_by_name():
    cases = v3_cases()
    assert len(cases) >= 10
    outcomes = run_cases(Speaks030Only(), cases[:2])
    assert [o.status for o in outcomes] == ["skip", "skip"]
    assert outcomes[0].detail == "the target speaks API 0.3.0, not the 3.12.0 contract of this case"


@pytest.mark.clause("SUITE-CONTRACTS", "V3-EVENT-CHECKS", "V3-OUTPUT-TYPES", "V3-CAPABILITIES")
def test_the_reference_passes_the_3x_cases():
    outcomes = run_cases(ReferenceAdapter(), v3_cases())
    assert [(o.id, o.status, o.detail) for o in outcomes if o.status != "pass"] == []
    assert ReferenceAdapter().describe()["api_versions"] == ["0.3.0", "3.12.0"]
