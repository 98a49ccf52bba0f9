"""3.x plugins end to end: the loader, the set rules, the bridge, events, extraction, outputs,
the Python SDK, and a 0.3.0 and a 3.x plugin side by side.

The native plugin is fake_plugins/native/v3_plugin.c, built in variants; its Python twin is
fake_plugins/v3_demo.py. Expected texts are libs' messages (plugin-api.md §1.5, §3.2, §4.1, §4.4).
"""
from __future__ import annotations

import ipaddress
import shutil
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fake_plugins.native.build import build_v3_plugin
from fake_plugins.v3_demo import ExtractOnly, V3Demo
from reference.errors import LoadError, PluginCallError
from reference.host.capture import CaptureWriter, read_capture
from reference.host.engine import EventStream
from reference.host.libraries import open_library
from reference.host.loader_v3 import LoadedPluginV3, detect_capabilities, version_incompatibility
from reference.host.registry import PluginRegistry
from reference.sdk_v3 import Plugin, PythonLibraryV3, field
from reference.tools.inspector import Inspection, Inspector

import semver

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None, reason="no C compiler")

EVERY_FIELD = ("%evt.num %v3demo.n %v3demo.text %v3demo.even %v3demo.elapsed %v3demo.at %v3demo.addr %v3demo.addr6 "
               "%v3demo.net %v3demo.digits %v3demo.words %v3demo.word[1] %v3demo.tag[k] %evt.plugininfo")


def native(**defines) -> str:
    return str(build_v3_plugin(defines))


def load(spec: str, config: str = "") -> tuple[PluginRegistry, object]:
    registry = PluginRegistry()
    return registry, registry.load(open_library(spec), config)


def load_error(spec: str) -> LoadError:
    with pytest.raises(LoadError) as error:
        load(spec)
    return error.value


def inspect_lines(*plugins: str, input: str, fmt: str, filter: str | None = None, json: bool = False) -> list[str]:
    return list(Inspector().run(Inspection(plugins=list(plugins), input=input, format=fmt, filter=filter, json=json)))


# Contract dispatch and versions

@pytest.mark.clause("V3-CONTRACT-DISPATCH")
def test_the_required_major_picks_the_contract():
    _, plugin = load(native())
    assert isinstance(plugin, LoadedPluginV3) and plugin.info.contract == "3"
    error = load_error(native(API='"3.13.0"'))
    assert error.clause == "V3-CONTRACT-DISPATCH"
    assert error.reason == ("plugin required API version '3.13.0' not compatible with the framework's API version "
                            "'3.12.0': framework's minor is less than the requested one")
    # the bridge has no contract for major 4; an unparsable version goes to the 0.3.0 loader
    with pytest.raises(LoadError, match="a major version no plugin API has"):
        open_library(native(API='"4.0.0"'))
    assert load_error(native(API='"x.y"')).reason == "Could not parse version string from x.y"


@pytest.mark.clause("V3-CONTRACT-DISPATCH")
def test_a_python_3x_plugin_asking_another_major_gets_libs_messages():
    class Old(V3Demo):
        required_api_version = "0.3.0"

    class Bad(V3Demo):
        required_api_version = "3.x"

    with pytest.raises(LoadError, match="'0.3.0' not compatible with the framework's API version '3.12.0': "
                                        "major versions disagree"):
        PluginRegistry().load(PythonLibraryV3(Old))
    with pytest.raises(LoadError, match="plugin provided an invalid required API version: '3.x'"):
        PluginRegistry().load(PythonLibraryV3(Bad))


@pytest.mark.clause("V3-CONTRACT-DISPATCH")
def test_a_0_3_0_library_asking_for_3x_stays_with_the_0_3_0_loader():
    from fake_plugins.counter import PLUGIN as Counter
    from reference.sdk import PythonLibrary

    class Asks3(Counter):
        required_api_version = "3.0.0"

    with pytest.raises(LoadError, match="Unsupported plugin required api version 3.0.0") as error:
        PluginRegistry().load(PythonLibrary(Asks3))
    assert error.value.clause == "API-VERSION-COMPAT"


@pytest.mark.clause("V3-CONTRACT-DISPATCH")
def test_version_rules_are_those_of_plugin_loader_c():
    framework = semver.Version.parse("3.12.0")
    assert version_incompatibility(semver.Version.parse("3.0.0"), framework) is None
    assert version_incompatibility(semver.Version.parse("3.12.0"), framework) is None
    assert version_incompatibility(semver.Version.parse("3.12.1"), framework) == \
        "framework's patch is less than the requested one"
    assert version_incompatibility(semver.Version.parse("2.0.0"), framework) == "major versions disagree"


# Symbols and capabilities

@pytest.mark.clause("V3-REQUIRED-SYMBOLS")
@pytest.mark.parametrize("symbol", ["get_version", "get_name", "get_description", "get_contact", "init", "destroy",
                                    "get_last_error"])
def test_each_required_symbol_is_named_without_its_prefix(symbol):
    error = load_error(native(**{f"OMIT_{symbol}": None}))
    assert (error.clause, error.reason) == ("V3-REQUIRED-SYMBOLS", f"required symbol not implemented: '{symbol}'")


@pytest.mark.clause("V3-CAPABILITIES")
def test_capabilities_come_from_the_symbols():
    _, both = load(native())
    assert both.info.capability_names() == ["sourcing", "extraction"]
    _, extractor = load(native(EXTRACT_ONLY=None))
    assert extractor.info.capability_names() == ["extraction"] and not extractor.info.is_source
    error = load_error(native(BROKEN_SOURCING=None))
    assert error.reason == ("broken plugin capabilities: must implement all of 'plugin_open', 'plugin_close', and "
                            "'plugin_next_batch' (event sourcing)")
    error = load_error(native(OMIT_get_fields=None))
    assert error.reason == ("broken plugin capabilities: must implement both 'plugin_get_fields' and "
                            "'plugin_extract_fields' (field extraction)")
    error = load_error(native(EXTRACT_ONLY=None, OMIT_extract_fields=None))
    assert (error.clause, error.reason) == ("V3-CAPABILITIES", "plugin does not implement any capability")


@pytest.mark.clause("V3-CAPABILITIES")
def test_id_and_source_both_or_neither_and_the_joined_errors():
    class NoSource(V3Demo):
        event_source = ""

    class Everything(NoSource):
        def capture_open(self):
            pass

    symbols = PythonLibraryV3(Everything).symbols - {"plugin_capture_close", "plugin_get_fields"}
    library = PythonLibraryV3(Everything)
    library.symbols = symbols
    caps, errors = detect_capabilities(library)
    assert errors == ["must implement both 'plugin_get_id' and 'plugin_get_event_source' or neither (event sourcing)",
                      "must implement both 'plugin_get_fields' and 'plugin_extract_fields' (field extraction)",
                      "must implement both 'plugin_capture_open' and 'plugin_capture_close' (capture listening)"]
    with pytest.raises(LoadError, match="broken plugin capabilities: must implement both 'plugin_get_id' and "
                                        "'plugin_get_event_source' or neither \\(event sourcing\\), must implement"):
        PluginRegistry().load(library)


@pytest.mark.clause("V3-CAPABILITIES")
def test_capabilities_plugref_does_not_drive_are_reported_by_name():
    registry, plugin = load(native(PARSING=None))
    assert plugin.info.capability_names() == ["sourcing", "extraction", "parsing"]
    assert registry.warnings == ["plugin v3demo: parsing not yet supported by plugref: the plugin loads, but those "
                                 "functions are never called"]


# Sources, IDs, set rules

@pytest.mark.clause("V3-SOURCE-ID")
def test_id_zero_means_no_specific_source_and_syscall_is_reserved():
    class Zero(V3Demo):
        id = 0
        event_source = ""
        # with no source its fields apply to every event code: it must name the event schema (V3-EVENT-SCHEMA)
        required_event_schema_version = "4.1.0"

    class Syscall(V3Demo):
        event_source = "syscall"

    plugin = PluginRegistry().load(PythonLibraryV3(Zero))
    assert plugin.info.is_source and (plugin.info.id, plugin.info.event_source) == (0, "")
    with pytest.raises(LoadError, match="plugin can't implement the reserved event source 'syscall'") as error:
        PluginRegistry().load(PythonLibraryV3(Syscall))
    assert error.value.clause == "V3-SOURCE-ID"


@pytest.mark.clause("V3-SET-RULES")
def test_set_rules_of_the_plugin_manager():
    class Twin(V3Demo):
        name = "twin"
        event_source = "other"

    class SameSource(V3Demo):
        name = "samesource"
        id = 2**30 + 999

    class ZeroA(ExtractOnly):
        name = "zeroa"

    registry = PluginRegistry()
    registry.load(PythonLibraryV3(V3Demo))
    with pytest.raises(LoadError, match="found another plugin with name v3demo. Aborting."):
        registry.load(PythonLibraryV3(V3Demo))
    with pytest.raises(LoadError, match=f"found another plugin with ID {2**30 + 314}. Aborting.") as error:
        registry.load(PythonLibraryV3(Twin))
    assert error.value.clause == "V3-SET-RULES"
    # a shared source name is allowed in 3.x; its fields would overlap, so this one declares none
    SameSource.field_methods = classmethod(lambda cls: [])
    registry.load(PythonLibraryV3(SameSource))
    assert [p.name for p in registry.source_plugins()] == ["v3demo", "samesource"]


@pytest.mark.clause("V3-EXTRACT-SOURCES")
def test_extract_sources_add_the_plugin_own_source_and_event_types_default_to_322():
    _, plugin = load(native())
    assert plugin.info.extract_event_sources == ("v3demo",)
    assert plugin.extract_event_types == frozenset({322})
    _, extractor = load(native(EXTRACT_ONLY=None))
    assert extractor.info.extract_event_sources == ("v3demo",)

    # both read libscap events other than 322, so they name the event schema they need (V3-EVENT-SCHEMA)
    class Syscalls(ExtractOnly):
        name = "sys"
        extract_event_sources = ["syscall", ""]
        required_event_schema_version = "4.0.0"

    class OnlyOpen(ExtractOnly):
        name = "openonly"
        extract_event_types = [2, 3]
        required_event_schema_version = "4.0.0"

    syscalls = PluginRegistry().load(PythonLibraryV3(Syscalls))
    assert syscalls.info.extract_event_sources == ("syscall",) and syscalls.extract_event_types is None
    only_open = PluginRegistry().load(PythonLibraryV3(OnlyOpen))
    assert only_open.extract_event_types == frozenset({2, 3})

    class BadSources(ExtractOnly):
        name = "bad"

        @classmethod
        def exported_symbols(cls):
            return super().exported_symbols() | {"plugin_get_extract_event_sources"}

    library = PythonLibraryV3(BadSources)
    library.get_extract_event_sources = lambda: '{"a": 1}'
    with pytest.raises(LoadError, match="error in plugin bad: 'get_extract_event_sources' did not return a json array"):
        PluginRegistry().load(library)


# Init

@pytest.mark.clause("V3-INIT-INPUT")
@pytest.mark.parametrize("spec", ["native", "fake_plugins.v3_demo"])
def test_init_input_carries_config_owner_and_log(spec):
    spec = native() if spec == "native" else spec
    _, plugin = load(spec)
    assert plugin.owner.log == [("v3demo", 6, "initialised")]
    with pytest.raises(LoadError) as error:
        load(spec, "fail")
    assert (error.value.clause, error.value.reason) == \
        ("V3-INIT-INPUT", "could not initialize plugin: init refused the config 'fail'")


# Events

def stream(spec: str) -> list:
    _, plugin = load(spec)
    plugin.open("")
    return list(EventStream(plugin))


@pytest.mark.clause("V3-EVENT-CHECKS", "V3-EVENT-FORMAT")
def test_events_are_checked_and_attributed_by_the_host():
    events = stream(native())
    assert [(e.num, e.ts, e.plugin_id, e.source, e.data) for e in events] == \
        [(n, n * 10**9 + n, 2**30 + 314, "v3demo", f"n={n}".encode()) for n in range(1, 6)]
    # ID 0 inside the event: the host fills in the plugin's
    assert [e.plugin_id for e in stream(native(EVENT_ID_ZERO=None))] == [2**30 + 314] * 5
    with pytest.raises(PluginCallError, match=f"unexpected plugin ID in plugin event: plugin='v3demo', "
                                              f"expected_id={2**30 + 314}, actual_id=7"):
        stream(native(WRONG_ID=None))
    with pytest.raises(PluginCallError, match="malformed plugin event produced by plugin: 'v3demo'"):
        stream(native(WRONG_TYPE=None))
    with pytest.raises(PluginCallError,
                       match="malformed plugin event produced by plugin: 'v3demo' \\(param 1 len 43 exceeds event len 41"):
        stream(native(BAD_LEN=None))


@pytest.mark.clause("V3-EVENT-CHECKS")
def test_a_zero_id_plugin_event_is_malformed():
    class Zero(V3Demo):
        id = 0
        event_source = ""
        # with no source its fields apply to every event code: it must name the event schema (V3-EVENT-SCHEMA)
        required_event_schema_version = "4.1.0"

    with pytest.raises(PluginCallError, match="malformed plugin event produced by plugin \\(no ID\\): 'v3demo'"):
        registry = PluginRegistry()
        plugin = registry.load(PythonLibraryV3(Zero))
        plugin.open("")
        list(EventStream(plugin))


# Extraction and outputs

@pytest.mark.clause("V3-EXTRACT-ONE-FIELD")
def test_values_arrive_typed_one_field_per_call():
    calls = []

    class Counting(V3Demo):
        pass

    library = PythonLibraryV3(Counting)
    original = library.extract_fields

    def counting(state, event, requests):
        calls.append([request.field for request in requests])
        return original(state, event, requests)

    library.extract_fields = counting
    registry = PluginRegistry()
    plugin = registry.load(library)
    plugin.open("")
    event = next(iter(EventStream(plugin)))
    wanted = [(plugin.info.field(n), a) for n, a in (("v3demo.n", ""), ("v3demo.even", ""), ("v3demo.addr", ""),
                                                       ("v3demo.net", ""), ("v3demo.digits", ""),
                                                       ("v3demo.word", "1"), ("v3demo.odd", "")) ]
    assert plugin.extract(event.as_plugin_input(), wanted) == [
        1, False, ipaddress.ip_address("10.0.0.1"), ipaddress.ip_network("192.168.1.0/32"), (1, 10, 100), "one", 1]
    assert calls == [["v3demo.n"], ["v3demo.even"], ["v3demo.addr"], ["v3demo.net"], ["v3demo.digits"],
                     ["v3demo.word"], ["v3demo.odd"]]


@pytest.mark.clause("V3-EXTRACT-ONE-FIELD")
@pytest.mark.parametrize("variant, field_name, message", [
    ("LYING_RES_LEN", "n", "returned res_len 1099511627776"),
    ("SCALAR_AS_LIST", "n", "returned 2 values for v3demo.n, which is not a list field"),
    ("BAD_IP_LEN", "addr", "value 0 is a 5-byte buffer"),
])
def test_lying_answers_are_errors_not_crashes(variant, field_name, message):
    with pytest.raises(PluginCallError, match=message):
        spec = native(**{variant: None})
        inspect_lines(spec, input=spec, fmt=f"%v3demo.{field_name}")


@pytest.mark.clause("V3-OUTPUT-TYPES", "V3-SDK-CAPABILITIES")
@pytest.mark.parametrize("spec", ["native", "fake_plugins.v3_demo"])
def test_every_type_prints_as_libsinsp_prints_it(spec):
    spec = native() if spec == "native" else spec
    assert inspect_lines(spec, input=spec, fmt=EVERY_FIELD)[:2] == [
        "1 1 one false 1000 1000000001 10.0.0.1 fe80::1 <IPNET> (1,10,100) (n,one) one k=1 payload n=1",
        "2 2 two true 2000 2000000002 10.0.0.2 fe80::2 <IPNET> (2,20,200) (n,two) n k=2 payload n=2"
        .replace(" n k=2", " two k=2"),
    ]
    assert inspect_lines(spec, input=spec, fmt="*%evt.num %v3demo.odd")[:2] == ["1 1", "2 <NA>"]
    assert inspect_lines(spec, input=spec, fmt="%evt.num %v3demo.odd") == ["1 1", "3 3", "5 5"]
    assert inspect_lines(spec, input=spec, fmt="*%evt.num %v3demo.even %v3demo.digits %v3demo.addr %v3demo.odd",
                         json=True)[1] == \
        '{"evt.num":2,"v3demo.addr":"10.0.0.2","v3demo.digits":[2,20,200],"v3demo.even":true,"v3demo.odd":null}'


@pytest.mark.clause("V3-SET-RULES")
def test_a_refused_3x_plugin_is_named_by_its_location():
    registry, _ = load("fake_plugins.v3_demo")
    with pytest.raises(LoadError) as caught:
        registry.load(open_library("fake_plugins.v3_demo"))
    assert str(caught.value) == "cannot load plugin fake_plugins.v3_demo: found another plugin with name v3demo. Aborting."


@pytest.mark.clause("V3-FIELD-ARGS")
def test_argument_errors_are_found_when_the_format_or_filter_compiles():
    from reference.errors import PlugrefError

    spec = "fake_plugins.v3_demo"
    for fmt, message in (("%v3demo.word[01]", "invalid index argument starting with 0: 01"),
                         ("%v3demo.n[1]", "does not allow nor require an argument but one is provided: 1")):
        with pytest.raises(PlugrefError, match=message):
            inspect_lines(spec, input=spec, fmt=fmt)
    with pytest.raises(PlugrefError, match="not composed only by digits: x"):
        inspect_lines(spec, input=spec, fmt="%evt.num", filter="v3demo.word[x] = n")
    assert inspect_lines(spec, input=spec, fmt="%evt.num", filter="v3demo.word[0] = n and v3demo.digits intersects (30)") == ["3"]


@pytest.mark.clause("V3-FIELD-ARGS")
def test_bracket_errors_in_formats_and_filters_are_those_of_libs_head():
    from reference.errors import PlugrefError

    spec = "fake_plugins.v3_demo"
    # a format: libs reads the rest of the format from the field on, up to the first space
    for fmt, message in (("%evt.num %v3demo.word[", "filter 'v3demo.word[': v3demo.word terminates with incomplete "
                                                    "argument brackets"),
                         ("%v3demo.word[1 tail", "filter 'v3demo.word[1 tail': v3demo.word has unbalanced argument "
                                                 "brackets")):
        with pytest.raises(PlugrefError) as caught:
            inspect_lines(spec, input=spec, fmt=fmt)
        assert str(caught.value).endswith(message)
    # a filter: the argument read back from `name[arg]`, so a quoted blank cuts it
    with pytest.raises(PlugrefError) as caught:
        inspect_lines(spec, input=spec, fmt="%evt.num", filter='v3demo.word["0 1"] = n')
    assert str(caught.value).endswith("filter 'v3demo.word[0 1]': v3demo.word has unbalanced argument brackets")
    with pytest.raises(PlugrefError) as caught:
        inspect_lines(spec, input=spec, fmt="%evt.num", filter='v3demo.word[" 0"] = n')
    assert str(caught.value).endswith("filter 'v3demo.word[ 0]': v3demo.word terminates with incomplete argument "
                                      "brackets")
    # the argument ends at the first `]`; what follows is text
    assert inspect_lines(spec, input=spec, fmt="%evt.num %v3demo.word[0]]")[:1] == ["1 n]"]


@pytest.mark.clause("V3-SDK-CAPABILITIES")
def test_the_c_plugin_and_its_python_twin_print_the_same_lines():
    c, py = native(), "fake_plugins.v3_demo"
    assert inspect_lines(c, input=c, fmt=EVERY_FIELD) == inspect_lines(py, input=py, fmt=EVERY_FIELD)
    # the extraction-only builds, over the events of a source plugin without fields
    source, c_x, py_x = "fake_plugins.v3_source", native(EXTRACT_ONLY=None), "fake_plugins.v3_extract"
    native_lines = inspect_lines(source, c_x, input=source, fmt=EVERY_FIELD)
    assert native_lines == inspect_lines(source, py_x, input=source, fmt=EVERY_FIELD)
    assert native_lines[0].startswith("1 1 one false 1000 1000000001 10.0.0.1 ")
    # an extractor sees the event as the source plugin made it: its ID, its source name
    for extractor in (c_x, py_x):
        assert inspect_lines(source, extractor, input=source, fmt="%v3demo.source %v3demo.pluginid")[0] == \
            f"v3demo {2**30 + 314}"


@pytest.mark.clause("V3-SDK-CAPABILITIES")
def test_capabilities_of_a_python_plugin_are_the_methods_it_defines():
    class Extracts(Plugin):
        name = "x"

        @field("x.f", "bool", "d")
        def f(self, event, arg):
            return True

    class Sources(Plugin):
        name = "s"
        id = 5
        event_source = "s"

        def open(self, params):
            return None

    assert {"plugin_get_fields", "plugin_extract_fields"} <= PythonLibraryV3(Extracts).symbols
    assert "plugin_open" not in PythonLibraryV3(Extracts).symbols
    assert {"plugin_open", "plugin_close", "plugin_next_batch", "plugin_get_id", "plugin_get_event_source"} <= \
        PythonLibraryV3(Sources).symbols
    assert "plugin_get_fields" not in PythonLibraryV3(Sources).symbols
    assert PluginRegistry().load(PythonLibraryV3(Sources)).info.capability_names() == ["sourcing"]
    with pytest.raises(ValueError, match="arg_required needs arg_index or arg_key"):
        field("x.g", "string", "d", arg_required=True)


# A 0.3.0 and a 3.x plugin together

@pytest.mark.clause("V3-MIXED-CONTRACTS")
def test_a_0_3_0_and_a_3x_plugin_load_in_one_run_configuration(tmp_path):
    config = tmp_path / "falco.yaml"
    rules = tmp_path / "rules.yaml"
    config.write_text(f"""plugins:
  - name: counter
    library_path: fake_plugins.counter
    init_config:
      max_events: 3
  - name: v3demo
    library_path: {native()}
load_plugins: [counter, v3demo]
""")
    rules.write_text("""- rule: even v3
  desc: even counters of the 3.x plugin
  condition: v3demo.even = true
  output: "v3 %v3demo.n %v3demo.addr"
  priority: INFO
  source: v3demo
- rule: counter
  desc: every counter event
  condition: evt.num > 0
  output: "counter %evt.num"
  priority: INFO
  source: counter
""")
    result = subprocess.run([sys.executable, "-m", "reference.tools.cli", "run", "-c", str(config), "-r", str(rules)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "v3 2 10.0.0.2" in result.stdout and "v3 4 10.0.0.4" in result.stdout
    assert "counter 1" in result.stdout


@pytest.mark.clause("V3-MIXED-CONTRACTS", "V3-EVENT-FORMAT")
def test_captures_of_either_contract_read_with_a_plugin_of_the_other(tmp_path):
    """A capture holds plugin events (0x221 blocks) by plugin ID, not a contract."""
    old, new, c = "fake_plugins.v3_demo_v03", "fake_plugins.v3_demo", native()
    for writer, reader in ((old, new), (c, old), (new, c)):
        out = tmp_path / f"{writer.replace('/', '_')}.scap"
        list(Inspector().run(Inspection(plugins=[writer], input=writer, write=str(out))))
        events = list(read_capture(out))
        assert [(e.plugin_id, e.data) for e in events] == [(2**30 + 314, f"n={n}".encode()) for n in range(1, 6)]
        lines = list(Inspector().run(Inspection(plugins=[reader], read=str(out),
                                                format="%evt.num %evt.rawtime %v3demo.n %v3demo.text")))
        assert lines == [f"{n} {n * 10**9 + n} {n} {w}" for n, w in
                         ((1, "one"), (2, "two"), (3, "three"), (4, "four"), (5, "five"))], (writer, reader)
    out = tmp_path / "c.scap"
    list(Inspector().run(Inspection(plugins=[c], input=c, write=str(out))))
    assert list(Inspector().run(Inspection(plugins=[new], read=str(out), format="%v3demo.digits %v3demo.addr")))[:1] \
        == ["(1,10,100) 10.0.0.1"]


@pytest.mark.clause("V3-CAPABILITIES")
def test_inspect_says_what_plugref_does_not_drive(capsys):
    from reference.tools.cli import main

    spec = native(PARSING=None)
    assert main(["inspect", "-H", spec, "-I", spec, "-n", "1", "-p", "%evt.num"]) == 0
    out = capsys.readouterr()
    assert out.out == "1\n"
    assert "note: plugin v3demo: parsing not yet supported by plugref: the plugin loads, but those functions are " \
           "never called" in out.err
    assert main(["inspect", "-H", spec, "--list-plugins"]) == 0
    assert "Capabilities: sourcing, extraction, parsing (not yet supported by plugref: parsing)\n" in \
        capsys.readouterr().out


@pytest.mark.clause("V3-REQUIRED-SYMBOLS")
def test_a_bad_plugin_version_has_the_3x_message():
    class Unversioned(V3Demo):
        version = "1.2"

    with pytest.raises(LoadError) as error:
        PluginRegistry().load(PythonLibraryV3(Unversioned))
    assert error.value.reason == "plugin provided an invalid version string: '1.2'"


@pytest.mark.clause("V3-INIT-INPUT")
def test_the_init_schema_applies_to_3x_plugins_as_to_0_3_0_ones():
    seen = []

    class Configured(V3Demo):
        init_schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "additionalProperties": False}

        def init(self, config):
            seen.append(config)

    PluginRegistry().load(PythonLibraryV3(Configured), "")
    assert seen == ["{}"]  # an empty config is "{}" when there is a schema
    with pytest.raises(LoadError, match=r"error in plugin v3demo init config: In /n, 'x' is not of type 'integer'"):
        PluginRegistry().load(PythonLibraryV3(Configured), '{"n": "x"}')


@pytest.mark.clause("V3-OUTPUT-TYPES")
def test_plugininfo_without_event_to_string_falls_back_as_libs_head_does():
    spec = "fake_plugins.v3_source"
    from fake_plugins.v3_demo import SourceOnly

    class Silent(SourceOnly):
        event_to_string = None

    registry = PluginRegistry()
    plugin = registry.load(PythonLibraryV3(Silent))
    assert "plugin_event_to_string" not in plugin.library.symbols
    assert plugin.event_to_string(b"n=1") == "datalen=3 data=n=1"
    assert plugin.event_to_string(b"x" * 60) == "datalen=60 data=" + "x" * 50 + "[...]"
    assert plugin.event_to_string(b"\x00\x01") == "<binary>"
    assert inspect_lines(spec, input=spec, fmt="%evt.plugininfo")[0] == "payload n=1"


# The event schema a plugin requires (3.12)

SCHEMA_IN_USE = "4.1.0"  # libscap's schema version in use (Falco 0.43's message names it)


def _schema_message(required: str, why: str) -> str:
    return (f"plugin v3extract required event schema version '{required}' not compatible with the event schema "
            f"version in use '{SCHEMA_IN_USE}': {why}")


@pytest.mark.clause("V3-EVENT-SCHEMA")
def test_a_plugin_reading_every_event_code_is_held_to_the_event_schema_in_use():
    every = dict(EXTRACT_ONLY=None, ALL_EVENTS=None)
    # no symbol, or a NULL answer, means "3.0.0"
    for defines in (every, dict(every, EVENT_SCHEMA="NULL")):
        error = load_error(native(**defines))
        assert error.clause == "V3-EVENT-SCHEMA"
        assert error.reason == _schema_message("3.0.0", "major versions disagree")
    assert load_error(native(**every, EVENT_SCHEMA='"4.2.0"')).reason == \
        _schema_message("4.2.0", "framework's minor is less than the requested one")
    assert load_error(native(**every, EVENT_SCHEMA='"4.1.1"')).reason == \
        _schema_message("4.1.1", "framework's patch is less than the requested one")
    assert load_error(native(**every, EVENT_SCHEMA='"four"')).reason == \
        "plugin v3extract provided an invalid required event schema version: 'four'"
    for accepted in ('"4.0.0"', '"4.1.0"'):
        _, plugin = load(native(**every, EVENT_SCHEMA=accepted))
        assert plugin.extract_event_types is None
    # an extractor of plugin events (322) alone is not checked, whatever it asks for
    load(native(EXTRACT_ONLY=None, EVENT_SCHEMA='"9.0.0"'))
    load(native(EVENT_SCHEMA='"four"'))


class _EveryEvent(ExtractOnly):
    extract_event_sources = None


@pytest.mark.clause("V3-EVENT-SCHEMA")
@given(st.integers(0, 6), st.integers(0, 3), st.integers(0, 3))
def test_a_python_plugin_says_its_event_schema_with_a_class_attribute(major, minor, patch):
    required = f"{major}.{minor}.{patch}"
    plugin_class = type("Asks", (_EveryEvent,), {"required_event_schema_version": required})
    assert "plugin_get_required_event_schema_version" in PythonLibraryV3(plugin_class).symbols
    accepted = major == 4 and (minor, patch) <= (1, 0)
    try:
        PluginRegistry().load(PythonLibraryV3(plugin_class), "")
    except LoadError as exc:
        assert not accepted and exc.clause == "V3-EVENT-SCHEMA"
        assert exc.reason.startswith(f"plugin v3extract required event schema version '{required}' not compatible "
                                     f"with the event schema version in use '{SCHEMA_IN_USE}': ")
    else:
        assert accepted
    # without the attribute the call is not exported and the plugin asks for "3.0.0"
    assert "plugin_get_required_event_schema_version" not in PythonLibraryV3(_EveryEvent).symbols
    with pytest.raises(LoadError, match="required event schema version '3.0.0' not compatible"):
        PluginRegistry().load(PythonLibraryV3(_EveryEvent), "")
