"""The real falcosecurity registry: REGISTRY-RULES and REGISTRY-IDENTITY."""
import filecmp
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.host.falco_registry import (PluginIndex, RegistryEntry, identity_warnings, load_registry, parse_registry,
                                      validate)

DATA = Path(__file__).resolve().parents[1] / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "spec"
CURRENT = load_registry(DATA / "registry.yaml")
OLD = load_registry(DATA / "registry-2022.yaml")


@pytest.mark.clause("REGISTRY-RULES")
@pytest.mark.skipif(not SHARED.is_dir(), reason="no ../shared/spec beside this checkout")
@pytest.mark.parametrize("name", ["registry.yaml", "registry-2022.yaml"])
def test_bundled_registry_copies_match_the_shared_spec(name):
    assert filecmp.cmp(DATA / name, SHARED / name, shallow=False)


@pytest.mark.clause("REGISTRY-RULES")
def test_real_registries_pass_the_registry_rules():
    assert validate(CURRENT) is None and validate(OLD) is None
    assert CURRENT.by_id(3).name == "dummy" and CURRENT.by_id(999).name == "test"
    assert OLD.by_name("json").sourcing is False
    # Event sources are not unique: five k8s_audit plugins.
    assert len([e for e in CURRENT.entries if e.source == "k8s_audit"]) == 5


@pytest.mark.clause("REGISTRY-RULES")
@given(st.data())
def test_breaking_the_real_registry_is_caught(data):
    sourcing = [e for e in CURRENT.entries if e.sourcing and e.id not in (0, 999)]
    victim = data.draw(st.sampled_from(sourcing))
    other = data.draw(st.sampled_from([e for e in sourcing if e is not victim]))
    how = data.draw(st.sampled_from(["dup-id", "dup-name", "bad-name", "bad-source", "reserved-source", "big-id"]))
    changed = {"dup-id": dict(id=other.id), "dup-name": dict(name=other.name), "bad-name": dict(name="Bad Name"),
               "bad-source": dict(source="Bad-Source"), "reserved-source": dict(source="syscall"),
               "big-id": dict(id=2**30)}[how]
    entries = tuple(RegistryEntry(**{**vars(e), **changed}) if e is victim else e for e in CURRENT.entries)
    error = validate(PluginIndex(entries, CURRENT.reserved_sources))
    expected = {"dup-id": "source ID is not unique", "dup-name": "plugin name is not unique",
                "bad-name": "plugin name does follow the naming convention", "bad-source": "source name does follow",
                "reserved-source": "forbidden source name", "big-id": "source ID outside the allowed range"}[how]
    assert error is not None and error.startswith(expected)


@pytest.mark.clause("REGISTRY-IDENTITY")
@given(st.sampled_from([e for e in CURRENT.entries if e.sourcing and e.id not in (0, 999)]))
def test_registered_identities_raise_no_warning_and_stolen_ids_do(entry):
    assert identity_warnings(CURRENT, entry.name, entry.id, entry.source) == []
    warnings = identity_warnings(CURRENT, "impostor", entry.id, entry.source)
    assert warnings == [f"plugin impostor uses ID {entry.id}, registered to plugin {entry.name}"]


@pytest.mark.clause("REGISTRY-IDENTITY")
def test_registered_name_with_another_id_warns():
    assert identity_warnings(CURRENT, "dummy", 12345, "dummy") == [
        "plugin dummy has ID 12345, but the registry gives it ID 3"]
    assert identity_warnings(CURRENT, "test-plugin", 999, "test") == []


@pytest.mark.clause("REGISTRY-RULES")
def test_not_a_registry_is_a_clear_error():
    from reference.host.falco_registry import RegistryFileError
    with pytest.raises(RegistryFileError, match="not a plugin registry"):
        parse_registry(["a"], "x.yaml")
