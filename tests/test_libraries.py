"""Where a plugin library comes from (reference/host/libraries.py `open_library`): a Python module (its
PLUGIN class picks the SDK's contract, V3-CONTRACT-DISPATCH), a plugin definition file (`.json`, `.yaml`,
`.yml`; DEFINITION-KEYS) or a native library (a `.so` name, or any path with a `/`). A spec that names no
plugin is refused with `cannot load plugin <spec>: <why>` (RELIABILITY-BAD-INPUT).
"""
from __future__ import annotations

import json
import os
import sys
import textwrap

import pytest
import yaml

from fake_plugins.misbehaving import WELL_BEHAVED_SOURCE
from reference.errors import PlugrefError
from reference.host.libraries import open_library


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    """A folder on sys.path for one-off plugin modules; `write(name, text)` adds one."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(name: str, text: str) -> str:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text))
        return name

    yield write
    for name in [m for m in sys.modules if m.startswith("plugref_test_lib_")]:
        del sys.modules[name]


def _refused(spec: str) -> str:
    with pytest.raises(PlugrefError) as error:
        open_library(spec)
    assert error.value.clause is None  # no plugin yet, so no rule of the contract was broken
    return str(error.value)


@pytest.mark.clause("V3-CONTRACT-DISPATCH")
def test_a_module_plugin_is_driven_by_the_contract_of_its_sdk():
    from reference.sdk import PythonLibrary
    from reference.sdk_v3 import PythonLibraryV3

    counter = open_library("fake_plugins.counter")
    assert type(counter) is PythonLibrary and counter.get_name() == "counter"
    assert counter.location == "fake_plugins.counter"  # errors name the plugin as the user did
    v3_demo = open_library("fake_plugins.v3_demo")
    assert type(v3_demo) is PythonLibraryV3 and v3_demo.get_name() == "v3demo"
    assert v3_demo.location == "fake_plugins.v3_demo"


@pytest.mark.clause("V3-CONTRACT-DISPATCH")
def test_a_module_without_plugin_may_make_its_library(module_dir):
    module_dir("plugref_test_lib_factory", """
        from fake_plugins.defined import DefinedLibrary
        def library():
            return DefinedLibrary({"name": "made", "type": 1, "id": 999, "event_source": "made"})
    """)
    assert open_library("plugref_test_lib_factory").get_name() == "made"
    # with a PLUGIN class as well, the class decides
    module_dir("plugref_test_lib_both", """
        from fake_plugins.counter import Counter as PLUGIN
        def library():
            raise AssertionError("not called when the module has a PLUGIN class")
    """)
    assert open_library("plugref_test_lib_both").get_name() == "counter"
    # a non-callable `library` is no factory
    module_dir("plugref_test_lib_not_callable", """
        library = "counter"
    """)
    assert _refused("plugref_test_lib_not_callable") == ("cannot load plugin plugref_test_lib_not_callable: "
                                                         "the module has no PLUGIN class (a reference.sdk plugin)")


@pytest.mark.clause("RELIABILITY-BAD-INPUT")
def test_a_module_that_is_not_a_plugin_is_refused_by_name(module_dir):
    assert _refused("plugref_no_such_module").startswith(
        "cannot load plugin plugref_no_such_module: no Python module of that name (No module named ")
    assert _refused("json") == "cannot load plugin json: the module has no PLUGIN class (a reference.sdk plugin)"
    module_dir("plugref_test_lib_instance", """
        from fake_plugins.counter import Counter
        PLUGIN = Counter()
    """)
    assert _refused("plugref_test_lib_instance") == \
        "cannot load plugin plugref_test_lib_instance: the module has no PLUGIN class (a reference.sdk plugin)"
    module_dir("plugref_test_lib_other_class", """
        PLUGIN = dict
    """)
    assert _refused("plugref_test_lib_other_class") == \
        "cannot load plugin plugref_test_lib_other_class: the module has no PLUGIN class (a reference.sdk plugin)"


@pytest.mark.clause("DEFINITION-KEYS")
@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_a_definition_file_is_read_by_its_suffix(tmp_path, suffix):
    path = tmp_path / f"ticker{suffix}"
    path.write_text(json.dumps(WELL_BEHAVED_SOURCE) if suffix == ".json" else yaml.safe_dump(WELL_BEHAVED_SOURCE))
    assert open_library(str(path)).get_name() == WELL_BEHAVED_SOURCE["name"]
    missing = tmp_path / f"missing{suffix}"
    assert _refused(str(missing)) == f"cannot load plugin {missing}: no such definition file"


@pytest.mark.clause("DEFINITION-KEYS", "RELIABILITY-BAD-INPUT")
def test_a_definition_file_that_cannot_be_read_says_why_on_one_line(tmp_path):
    broken_yaml = tmp_path / "broken.yaml"
    broken_yaml.write_text("name: [unclosed\ntype: 1\n")
    message = _refused(str(broken_yaml))
    assert message.startswith(f"cannot load plugin {broken_yaml}: not a valid plugin definition: ")
    # PyYAML's own account, each line break a space
    assert "\n" not in message and "but got ':'   in \"<unicode string>\", line 2, column 5:" in message
    wrong_key = tmp_path / "wrong.json"
    wrong_key.write_text(json.dumps(dict(WELL_BEHAVED_SOURCE, batch_size=-1)))
    assert _refused(str(wrong_key)) == \
        f"cannot load plugin {wrong_key}: not a valid plugin definition: batch_size must be an integer >= 0"
    folder = tmp_path / "folder.json"
    folder.mkdir()
    assert _refused(str(folder)) == f"cannot load plugin {folder}: no such definition file"
    unreadable = tmp_path / "unreadable.yaml"
    unreadable.write_bytes(b"name: \xff\xfe\n")
    assert _refused(str(unreadable)).startswith(f"cannot load plugin {unreadable}: not a valid plugin definition: ")


@pytest.mark.clause("NATIVE-API-DISPATCH", "RELIABILITY-BAD-INPUT")
def test_a_native_library_is_named_by_its_suffix_or_a_path(tmp_path, make_native, monkeypatch):
    for spec in ("missing.so", "libmissing.so.1", str(tmp_path / "missing"), "./missing"):
        assert _refused(spec) == f"cannot load plugin {spec}: no such file"
    native = make_native(WELL_BEHAVED_SOURCE)
    monkeypatch.chdir(native.parent)
    library = open_library(f"./{native.name}")
    assert library.get_name() == WELL_BEHAVED_SOURCE["name"]
    assert library.location == str(native.resolve())  # the library is named by where it really is
    assert os.path.isabs(library.location)
