"""falco.yaml errors word for word, with the clause each belongs to: every error is `Error reading config file
(<file>:<line>): <what>` (CONFIG-PLUGINS), the file as given to load_config, the line of the entry at fault."""
import pytest

from reference.falco.config import ConfigError, is_module_name, load_config, parse_config, resolve_library_path

PREFIX = "Error reading config file"


def error_of(text: str, file: str = "conf.yaml", directory: str = "/plugins") -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, file, directory)
    return caught.value


@pytest.mark.clause("CONFIG-PLUGINS")
@pytest.mark.parametrize("text, where, what", [
    ("plugins:\n  - name: ''\n    library_path: m\n", "conf.yaml:2",
     "could not load plugins config: plugins entry has an empty 'name'"),
    ("plugins:\n  - name: [a]\n    library_path: m\n", "conf.yaml:2",
     "could not load plugins config: name must be a string"),
    ("plugins:\n  - name: a\n    library_path: m\n    open_params: [p]\n", "conf.yaml:4",
     "could not load plugins config: open_params must be a string"),
    ("plugins: 3\n", "conf.yaml:1", "could not load plugins config: 'plugins' must be a list"),
    ("plugins:\n  - a\n", "conf.yaml:2", "could not load plugins config: each plugins entry must be a map"),
])
def test_plugins_entry_errors(text, where, what):
    error = error_of(text)
    assert str(error) == f"{PREFIX} ({where}): {what}"
    assert error.clause == "CONFIG-PLUGINS"


@pytest.mark.clause("CONFIG-PLUGINS")
def test_absent_and_null_strings_are_empty_and_params_are_trimmed():
    config = parse_config("plugins:\n  - name: a\n    library_path: m\n    open_params: ~\n"
                          "  - name: b\n    library_path: m\n    open_params: '  p q  '\n    init_config: ~\n")
    assert [(p.name, p.open_params, p.init_config) for p in config.plugins] == [("a", "", ""), ("b", "p q", "")]


@pytest.mark.clause("CONFIG-PLUGINS")
def test_an_init_config_map_keeps_non_ascii_text():
    [entry] = parse_config("plugins:\n  - name: a\n    library_path: m\n    init_config: {k: é}\n").plugins
    assert entry.init_config == '{"k":"é"}'


@pytest.mark.clause("CONFIG-LOAD-PLUGINS")
@pytest.mark.parametrize("text, line", [("load_plugins: {a: 1}\n", 1), ("x: 1\nload_plugins: [[a]]\n", 2)])
def test_load_plugins_of_the_wrong_shape(text, line):
    error = error_of(text)
    assert str(error) == f"{PREFIX} (conf.yaml:{line}): load_plugins must be a list of plugin names"
    assert error.clause == "CONFIG-LOAD-PLUGINS"


@pytest.mark.clause("CONFIG-LOAD-PLUGINS")
def test_an_unknown_load_plugins_name_names_the_file():
    config = parse_config("plugins:\n  - {name: a, library_path: m}\nload_plugins: [b]\n", "conf.yaml")
    with pytest.raises(ConfigError) as caught:
        config.selected_plugins()
    assert str(caught.value) == (f"{PREFIX} (conf.yaml): Cannot load plugin 'b': plugin config not found for "
                                 f"given name")
    assert caught.value.clause == "CONFIG-LOAD-PLUGINS"


@pytest.mark.clause("CONFIG-ERRORS", "YAML-LIMITS")
@pytest.mark.parametrize("text, where, what", [
    ("plugins:\n  - name: a\n    library_path: m\n    init_config: " + "[" * 300 + "]" * 300 + "\n", "conf.yaml:4",
     "not valid YAML: nesting deeper than 200 levels"),
    ("a: 1\nb: &x [*x]\n", "conf.yaml:2", "not valid YAML: an alias refers to a value that contains it"),
], ids=["deep", "recursive-alias"])
def test_yaml_errors_word_for_word(text, where, what):
    # The message is the problem alone, on one line: its line is in the prefix, not PyYAML's report after it.
    error = error_of(text)
    assert str(error) == f"{PREFIX} ({where}): {what}"


@pytest.mark.clause("CONFIG-ERRORS")
@pytest.mark.parametrize("text, line", [("a: \x00\n", 1), ("a: 1\nb: [1, \x07]\n", 2), ("a: 1\r\n\r\nb: \x1b\n", 3)])
def test_a_control_character_is_a_yaml_error_on_its_line(text, line):
    # YAML allows no C0 control character but tab and line breaks; the error has the character's line.
    error = error_of(text)
    assert str(error).startswith(f"{PREFIX} (conf.yaml:{line}): not valid YAML: ")
    assert "\n" not in str(error) and "unicode string" not in str(error)


@pytest.mark.clause("CONFIG-LIBRARY-PATH")
def test_a_path_outside_the_plugins_directory_names_file_line_and_directory():
    error = error_of("plugins:\n  - name: a\n    library_path: m\n  - name: b\n    library_path: ../x.so\n")
    assert str(error) == (f"{PREFIX} (conf.yaml:4): plugin library_path '../x.so' resolves outside the plugins "
                          f"directory (/plugins)")
    assert error.clause == "CONFIG-LIBRARY-PATH"
    with pytest.raises(ConfigError) as caught:
        resolve_library_path("../y.so", "/plugins")
    assert str(caught.value) == (f"{PREFIX} (falco.yaml): plugin library_path '../y.so' resolves outside the "
                                 f"plugins directory (/plugins)")


@pytest.mark.clause("CONFIG-LIBRARY-PATH")
@pytest.mark.parametrize("path, directory, resolved", [
    ("", "/plugins", ""), ("/abs/p.so", "/plugins", "/abs/p.so"), ("sub/p.so", "/plugins/", "/plugins/sub/p.so"),
    ("p.so", "/plugins//", "/plugins/p.so"), ("fake_plugins.counter", "/plugins", "fake_plugins.counter"),
    ("p.so", "/opt/X", "/opt/X/p.so"), ("p.so", "/opt/pluginsX", "/opt/pluginsX/p.so"),
    ("p.so", "/opt/d ", "/opt/d /p.so"), ("p.so", "/", "/p.so"),
])
def test_library_paths_resolve(path, directory, resolved):
    assert resolve_library_path(path, directory) == resolved


@pytest.mark.clause("CONFIG-LIBRARY-PATH")
@pytest.mark.parametrize("path, module", [("fake_plugins.counter", True), ("libx.so", False), ("p.json", False),
                                          ("p.yaml", False), ("p.yml", False), ("dir/m", False), ("p.YAML", True)])
def test_what_names_a_python_module(path, module):
    assert is_module_name(path) is module


@pytest.mark.clause("CONFIG-PLUGINS")
def test_load_config_reads_the_file_and_names_it_in_errors(tmp_path):
    good = tmp_path / "falco.yaml"
    good.write_text("plugins:\n  - name: a\n    library_path: sub/p.so\n")
    [entry] = load_config(good, str(tmp_path / "plugins")).plugins
    assert entry.library_path == str(tmp_path / "plugins" / "sub" / "p.so")
    bad = tmp_path / "bad.yaml"
    bad.write_text("plugins:\n  - name: ''\n    library_path: m\n")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert str(caught.value).startswith(f"{PREFIX} ({bad}:2): ")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "missing.yaml")
    assert str(caught.value) == f"{PREFIX} ({tmp_path / 'missing.yaml'}): cannot read it: No such file or directory"
    assert caught.value.clause == "CONFIG-PLUGINS"


@pytest.mark.clause("CONFIG-RUN-KEYS")
def test_a_bad_boolean_belongs_to_the_run_keys():
    assert error_of("json_output: maybe\n").clause == "CONFIG-RUN-KEYS"


@pytest.mark.clause("CONFIG-PLUGINS")
def test_the_file_is_falco_yaml_unless_named():
    with pytest.raises(ConfigError) as caught:
        parse_config("plugins: 3\n")
    assert str(caught.value).startswith(f"{PREFIX} (falco.yaml:1): ")


@pytest.mark.clause("CONFIG-ERRORS")
@pytest.mark.parametrize("data, line, offset", [(b"a: 1\nb: \xff\n\n\n", 2, 8), (b"\nb: \xfe", 2, 4), (b"\xc3", 1, 0)])
def test_a_file_that_is_not_utf8_names_the_line_of_the_bad_byte(tmp_path, data, line, offset):
    path = tmp_path / "falco.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (f"{PREFIX} ({path}:{line}): not valid YAML: the file is not UTF-8 "
                                 f"(byte 0x{data[offset]:02x} at offset {offset})")
    assert caught.value.clause == "CONFIG-ERRORS"


@pytest.mark.clause("CONFIG-ERRORS")
def test_an_empty_library_path_is_a_config_error():
    error = error_of("plugins:\n  - name: a\n    library_path: ''\n")
    assert str(error) == f"{PREFIX} (conf.yaml:2): could not load plugins config: plugin 'a' has an empty 'library_path'"
    assert error.clause == "CONFIG-ERRORS"


MIB_16 = 16 * 1024 * 1024


def init_config_of_json_size(size: int) -> str:
    """A plugins entry whose init_config is sent as exactly `size` characters of compact JSON:
    {"a":[1023 aliases of a 16382-character string],"b":"<filler>","c":{},"d":[]}."""
    fixed = 2 + len('"a":') + (2 + 1023 * (16382 + 2) + 1022) + 1 + len('"b":') + 2 + len(',"c":{},"d":[]')
    items = ", ".join(["*s"] * 1022)
    return (f"plugins:\n  - name: a\n    library_path: m\n    init_config:\n      a: [&s {'x' * 16382}, {items}]\n"
            f"      b: {'y' * (size - fixed)}\n      c: {{}}\n      d: []\n")


@pytest.mark.clause("YAML-LIMITS")
def test_init_config_may_expand_to_16_mib_of_json_and_no_more():
    [entry] = parse_config(init_config_of_json_size(MIB_16)).plugins
    assert len(entry.init_config) == MIB_16
    error = error_of(init_config_of_json_size(MIB_16 + 1))
    assert str(error) == (f"{PREFIX} (conf.yaml:5): could not load plugins config: init_config expands to more than "
                          f"16777216 characters of JSON (YAML aliases count as copies)")
    assert error.clause == "YAML-LIMITS"


@pytest.mark.clause("CONFIG-ERRORS")
@pytest.mark.parametrize("init_config, kind", [("{a: {[x]: 1}}", "sequence"), ("{a: [1, {? {x: 1} : 1}]}", "mapping")])
def test_a_collection_as_a_key_deep_in_init_config_names_the_file_and_line(init_config, kind):
    error = error_of(f"plugins:\n  - name: a\n    library_path: m\n    init_config: {init_config}\n")
    assert str(error) == f"{PREFIX} (conf.yaml:4): could not load plugins config: init_config: a {kind} cannot be a " \
                         f"mapping key"
