"""falco.yaml: CONFIG-PLUGINS, CONFIG-LOAD-PLUGINS, CONFIG-LIBRARY-PATH, CONFIG-SOURCE-NAME."""
import json
import posixpath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.falco.config import ConfigError, parse_config, resolve_library_path
from reference.falco.app import load_plugins

PLUGINS = """
plugins:
  - name: counter
    library_path: fake_plugins.counter
    init_config:
      max_events: 3
      batch_size: 2
    open_params: "  7  "
  - name: json
    library_path: fake_plugins.json_extractor
    init_config: ""
  - name: raw
    library_path: libraw.so
    init_config: '{"b": 1, "a": 2}'
"""


@pytest.mark.clause("CONFIG-PLUGINS")
def test_entries_are_read_with_maps_as_sorted_compact_json_and_params_trimmed():
    config = parse_config(PLUGINS, "f.yaml", "/plugins")
    counter, json_entry, raw = config.plugins
    assert counter.init_config == '{"batch_size":2,"max_events":3}' and counter.open_params == "7"
    assert json_entry.init_config == "" and raw.init_config == '{"b": 1, "a": 2}'
    assert raw.library_path == "/plugins/libraw.so" and counter.library_path == "fake_plugins.counter"
    assert [p.line for p in config.plugins] == [3, 9, 12]


# YAML escapes non-BMP characters as two surrogates, which it does not join back: stay in the BMP.
BMP = st.characters(max_codepoint=0xFFFF, blacklist_categories=("Cs",))


@pytest.mark.clause("CONFIG-PLUGINS")
@given(st.dictionaries(st.text(BMP, min_size=1, max_size=5), st.integers() | st.text(BMP, max_size=5) | st.booleans(),
                       min_size=1, max_size=4))
def test_any_init_config_map_is_sent_as_compact_sorted_json(settings):
    text = "plugins:\n  - name: p\n    library_path: m\n    init_config: " + json.dumps(settings) + "\n"
    sent = parse_config(text).plugins[0].init_config
    assert sent == json.dumps(settings, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.clause("CONFIG-PLUGINS")
@pytest.mark.parametrize("text, message, line", [
    ("plugins: 3\n", "'plugins' must be a list", 1),
    ("plugins:\n  - library_path: x\n", "plugins entry has no 'name'", 2),
    ("plugins:\n  - name: a\n", "plugins entry has no 'library_path'", 2),
    ("plugins:\n  - name: a\n    library_path: [x]\n", "library_path must be a string", 3),
    ("plugins:\n  - 7\n", "each plugins entry must be a map", 2),
    ("plugins:\n  - name: a\n    library_path: m\n    init_config: [1]\n", "init_config must be a map or a string", 4),
    ("plugins: [\n", "not valid YAML", None),
])
def test_malformed_entries_name_file_and_line(text, message, line):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "falco.yaml")
    assert message in str(caught.value)
    if line:
        assert f"(falco.yaml:{line})" in str(caught.value)


LOAD = "plugins:\n  - {name: a, library_path: ma}\n  - {name: b, library_path: mb}\n  - {name: c, library_path: mc}\n"


@pytest.mark.clause("CONFIG-LOAD-PLUGINS")
@pytest.mark.parametrize("load, names", [
    ("", ["a", "b", "c"]), ("load_plugins: [c, a]\n", ["c", "a"]), ("load_plugins: []\n", []),
    ("load_plugins:\n", []), ("load_plugins: b\n", ["b"]),
])
def test_load_plugins_selects_and_orders(load, names):
    assert [p.name for p in parse_config(LOAD + load).selected_plugins()] == names


@pytest.mark.clause("CONFIG-LOAD-PLUGINS")
def test_unknown_name_in_load_plugins_is_an_error():
    with pytest.raises(ConfigError, match="Cannot load plugin 'z': plugin config not found for given name"):
        parse_config(LOAD + "load_plugins: [a, z]\n").selected_plugins()


relative_paths = st.lists(st.sampled_from(["a", "b.so", "..", ".", "sub"]), min_size=1, max_size=5).map("/".join)


@pytest.mark.clause("CONFIG-LIBRARY-PATH")
@given(relative_paths)
def test_relative_paths_resolve_inside_the_plugins_directory_or_are_refused(path):
    joined = posixpath.normpath(posixpath.join("/plugins/dir", path))
    inside = joined.startswith("/plugins/dir/")
    if "/" not in path and not path.endswith(".so"):
        assert resolve_library_path(path, "/plugins/dir") == path  # a Python module name
        return
    if inside:
        assert resolve_library_path(path, "/plugins/dir") == joined
    else:
        with pytest.raises(ConfigError, match=f"plugin library_path '{path}' resolves outside the plugins directory"):
            resolve_library_path(path, "/plugins/dir")


@pytest.mark.clause("CONFIG-LIBRARY-PATH")
def test_plugins_directory_from_option_then_environment(monkeypatch):
    text = "plugins:\n  - {name: a, library_path: x/lib.so}\n"
    assert parse_config(text).plugins[0].library_path == "/usr/share/falco/plugins/x/lib.so"
    monkeypatch.setenv("PLUGREF_PLUGINS_DIR", "/env/dir")
    assert parse_config(text).plugins[0].library_path == "/env/dir/x/lib.so"
    assert parse_config(text, directory="/opt/p").plugins[0].library_path == "/opt/p/x/lib.so"
    assert parse_config("plugins:\n  - {name: a, library_path: /abs/lib.so}\n").plugins[0].library_path == "/abs/lib.so"


@pytest.mark.clause("CONFIG-SOURCE-NAME")
def test_source_plugin_must_be_configured_under_its_own_name():
    config = parse_config("plugins:\n  - {name: ticks, library_path: fake_plugins.counter}\n", "f.yaml")
    with pytest.raises(ConfigError, match="the configured name of a source plugin must be its own name") as caught:
        load_plugins(config)
    assert "(f.yaml:2)" in str(caught.value)
    extractor = parse_config("plugins:\n  - {name: anything, library_path: fake_plugins.json_extractor}\n")
    loaded = load_plugins(extractor)
    assert [p.name for p in loaded.registry.plugins] == ["json"]


@pytest.mark.clause("CONFIG-PLUGINS")
def test_a_plugin_that_fails_to_load_is_reported_with_its_entry():
    config = parse_config("plugins:\n  - name: counter\n    library_path: fake_plugins.counter\n"
                          "    init_config: {max_events: -1}\n", "f.yaml")
    with pytest.raises(ConfigError) as caught:
        load_plugins(config)
    assert "(f.yaml:2)" in str(caught.value) and "plugin 'counter'" in str(caught.value)
    assert "In /max_events" in str(caught.value)
