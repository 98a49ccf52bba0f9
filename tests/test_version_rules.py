"""The version rules of reference/contract/versions.py, called directly: parse_version (API-VERSION-FORMAT,
PLUGIN-VERSION-FORMAT), api_version_compatible against the 0.3.0 framework by default (API-VERSION-COMPAT)
and plugin_version_compatible (RULES-PLUGIN-VERSIONS). conformance/properties/test_versions.py checks the
same rules through the loader.
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.strategies import malformed_versions, semver_triples, version_string
from reference.contract.versions import api_version_compatible, parse_version, plugin_version_compatible


@pytest.mark.clause("API-VERSION-FORMAT", "PLUGIN-VERSION-FORMAT")
def test_a_semantic_version_is_parsed_into_its_parts():
    version = parse_version("1.22.333-rc.1+build.5")
    assert (version.major, version.minor, version.patch, version.prerelease, version.build) == \
        (1, 22, 333, "rc.1", "build.5")


@pytest.mark.clause("API-VERSION-FORMAT", "PLUGIN-VERSION-FORMAT")
@given(st.one_of(malformed_versions, st.none(), st.integers(), st.binary(max_size=6)))
def test_anything_but_a_semantic_version_string_is_no_version(text):
    assert parse_version(text) is None


@pytest.mark.clause("API-VERSION-COMPAT")
@pytest.mark.parametrize("required, compatible", [
    ("0.3.0", True), ("0.2.9", True), ("0.1.0", True), ("0.0.7", True), ("0.3.0-rc1", True),
    ("0.3.1", False), ("0.4.0", False), ("1.0.0", False), ("1.3.0", False), ("3.0.0", False),
])
def test_without_a_framework_version_the_request_is_judged_against_0_3_0(required, compatible):
    assert api_version_compatible(parse_version(required)) is compatible


@pytest.mark.clause("API-VERSION-COMPAT")
@pytest.mark.parametrize("required, framework, compatible", [
    ("3.0.0", "3.12.0", True), ("3.12.0", "3.12.0", True), ("3.11.9", "3.12.0", True),
    ("3.12.1", "3.12.0", False), ("3.13.0", "3.12.0", False), ("2.0.0", "3.12.0", False),
    ("3.12.0", "3.12.4", True), ("3.12.5", "3.12.4", False), ("4.0.0", "3.12.0", False),
])
def test_a_request_is_judged_against_the_framework_given(required, framework, compatible):
    assert api_version_compatible(parse_version(required), parse_version(framework)) is compatible


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
@pytest.mark.parametrize("loaded, required, satisfied", [
    ("0.2.0", "0.1.0", True),    # no special case for 0.x
    ("0.1.0", "0.1.0", True), ("0.1.1", "0.1.0", True), ("0.1.0", "0.1.1", False),
    ("1.4.0", "1.3.9", True), ("1.3.9", "1.4.0", False), ("2.0.0", "1.9.9", False), ("1.9.9", "2.0.0", False),
    ("1.2.3-rc1", "1.2.3", True),  # pre-release and build parts play no role
    ("1.2", "1.0.0", False), ("1.2.0", "1.0", False), ("1.2.0", "1.0.0.0", False), ("x", "y", False),
])
def test_a_loaded_version_satisfies_a_required_one_of_its_major_that_is_not_newer(loaded, required, satisfied):
    assert plugin_version_compatible(loaded, required) is satisfied


@pytest.mark.clause("RULES-PLUGIN-VERSIONS")
@given(semver_triples(), semver_triples())
def test_plugin_version_rule_is_same_major_and_not_lower(loaded, required):
    expected = loaded[0] == required[0] and loaded >= required
    assert plugin_version_compatible(version_string(loaded), version_string(required)) is expected
