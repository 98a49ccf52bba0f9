"""API-VERSION-FORMAT, API-VERSION-COMPAT, PLUGIN-VERSION-FORMAT."""
import pytest
import semver
from hypothesis import given

from conformance.harness import try_load
from conformance.strategies import malformed_versions, semver_triples, version_string
from fake_plugins.misbehaving import WELL_BEHAVED_SOURCE, variant
from reference.contract.versions import api_version_compatible


def compatible_by_tuples(framework, required) -> bool:
    """The rule, said another way: same major, and (minor, patch) no newer than the framework's."""
    return required[0] == framework[0] and required[1:] <= framework[1:]


@pytest.mark.clause("API-VERSION-COMPAT")
@given(semver_triples(), semver_triples())
def test_compatibility_agrees_with_tuple_formulation(framework, required):
    got = api_version_compatible(semver.Version(*required), semver.Version(*framework))
    assert got == compatible_by_tuples(framework, required)


@pytest.mark.clause("API-VERSION-COMPAT")
@given(semver_triples())
def test_loader_accepts_exactly_the_compatible_requests(required):
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, required_api_version=version_string(required)))
    assert (plugin is not None) == compatible_by_tuples((0, 3, 0), required)
    if error:
        assert error.clause == "API-VERSION-COMPAT"
        assert f"Unsupported plugin required api version {version_string(required)}" in str(error)


@pytest.mark.clause("API-VERSION-COMPAT")
@pytest.mark.parametrize("required, loads", [("0.3.0", True), ("0.2.0", True), ("0.1.9", True), ("0.3.1", False),
                                             ("0.4.0", False), ("1.0.0", False), ("3.0.0", False),
                                             ("0.3.0-rc1", True)])
def test_compatibility_examples(required, loads):
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, required_api_version=required))
    assert (plugin is not None) == loads, error


@pytest.mark.clause("API-VERSION-FORMAT")
@given(malformed_versions)
def test_malformed_api_version_is_refused_by_name(text):
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, required_api_version=text))
    assert plugin is None
    assert error.clause == "API-VERSION-FORMAT"
    assert str(error) == f"cannot load plugin definition:ticker: Could not parse version string from {text}"


@pytest.mark.clause("API-VERSION-FORMAT")
def test_null_api_version_is_refused():
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, required_api_version=None))
    assert error.clause == "API-VERSION-FORMAT"


@pytest.mark.clause("PLUGIN-VERSION-FORMAT")
@given(malformed_versions)
def test_malformed_plugin_version_is_refused(text):
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, version=text))
    assert plugin is None and error.clause == "PLUGIN-VERSION-FORMAT"
    assert f"Could not parse version string from {text}" in str(error)


@pytest.mark.clause("PLUGIN-VERSION-FORMAT")
@given(semver_triples())
def test_any_semver_plugin_version_loads(parts):
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, version=version_string(parts)))
    assert error is None and plugin.info.version == version_string(parts)
