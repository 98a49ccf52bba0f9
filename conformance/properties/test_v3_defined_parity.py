"""NATIVE-PARITY for the 3.x contract: for any generated definition, the 3.x definition plugin in C
(fake_plugins/native/v3_defined.c) through the 3.x bridge behaves as its Python twin
(fake_plugins/defined_v3.py): the same verdict and error, events, values, texts and failures."""
from __future__ import annotations

import itertools
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.native_strategies import native_definitions
from conformance.properties.test_native_parity import observe
from fake_plugins.defined_v3 import DefinedLibraryV3
from fake_plugins.native.build import v3_native_copy
from reference.host.native import open_native

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None, reason="no C compiler")

#: 3.x versions a 3.12 framework takes, and one it refuses (the bridge refuses majors it has no contract for).
V3_VERSIONS = st.sampled_from(["3.12.0", "3.0.0", "3.1.4", "3.13.0", "3.12.1"])
_copies = itertools.count()


@pytest.fixture(scope="module")
def v3_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("v3defined")


@pytest.mark.clause("NATIVE-PARITY", "V3-CAPABILITIES", "V3-EVENT-CHECKS")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(definition=native_definitions(), version=V3_VERSIONS)
def test_the_3x_definition_plugin_in_c_matches_its_python_twin(v3_dir, definition, version):
    definition = dict(definition, required_api_version=version)
    python_side = observe(DefinedLibraryV3(definition), definition)
    native = open_native(v3_native_copy(definition, v3_dir / f"copy{next(_copies)}"))
    assert native.contract == "3"
    assert native.symbols == DefinedLibraryV3(definition).symbols
    assert observe(native, definition) == python_side
