import gc
import os

import pytest

from hypothesis import HealthCheck, settings

# Native fake plugin fixtures (gcc builds, copies with definitions) for the tests that need them.
pytest_plugins = ["fake_plugins.native.fixtures"]

# CI runs derandomized, so that a red run is reproducible from its log; locally, explore.
settings.register_profile("default", deadline=None, max_examples=100,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True,
                          print_blob=True)
# Mutation runs (conformance/mutation.py) run the tests once per mutant: fixed examples, fewer of them.
settings.register_profile("mutation", parent=settings.get_profile("ci"), max_examples=30, print_blob=False)
# The long fuzz run (tests/test_fuzz_inputs.py, docs/reliability.md): by hand or nightly.
settings.register_profile("fuzz", parent=settings.get_profile("default"), print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def utc():
    """Run a test in TZ=UTC, as the cases and the sysdig comparisons are written."""
    from conformance.adapters.reference import utc as in_utc

    with in_utc():
        yield


@pytest.fixture(autouse=True)
def _collectable_after_each_test():
    """plugref's main() leaves what its run made frozen (gc.freeze, for start-up time), as a process
    runs one command; tests call it in-process again and again, so each test hands those objects
    back to the cyclic collector."""
    yield
    gc.unfreeze()
