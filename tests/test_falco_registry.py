"""The falcosecurity plugin registry file, read and judged (reference/host/falco_registry.py).

REGISTRY-RULES: the registry tool's `Validate()` (plugins-and-sdks.md §1.3: its order, its words, the missing
"not" included); REGISTRY-IDENTITY: what a plugin's name, ID and source say against the registry. The layouts
are §1.1 (current) and the 2022 one (§1.3); the real registry's contents are §1.1's list.
conformance/properties/test_registry_file.py breaks the real registry at random; this file pins each rule.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from reference.host import falco_registry
from reference.host.falco_registry import (PluginIndex, RegistryEntry, RegistryFileError, identity_warnings,
                                           load_registry, parse_registry, registered_id, validate)

# The copies of the real registry kept with plugref (test_registry_file.py checks them against the shared spec's).
BUNDLED = Path(__file__).resolve().parents[1] / "conformance" / "data"


def _registry(text: str):
    return parse_registry(yaml.safe_load(textwrap.dedent(text)), "r.yaml")


CURRENT_LAYOUT = """
    reserved_sources: ["syscall", "internal", "plugins"]
    plugins:
      - name: zero
        reserved: true
        capabilities:
          sourcing: {supported: true, id: 0}
      - name: k8saudit
        capabilities:
          sourcing: {supported: true, id: 1, source: k8s_audit}
          extraction: {supported: true}
      - name: k8smeta
        capabilities:
          extraction: {supported: true, sources: [syscall]}
      - name: kafka
        capabilities:
          sourcing: {supported: true, id: 18, source: kafka}
          extraction: {supported: false}
      - name: offline
        capabilities:
          sourcing: {supported: false, id: 40, source: off}
      - just a string
      - name: bare
"""


@pytest.mark.clause("REGISTRY-RULES")
def test_the_current_layout_reads_each_plugin_capabilities():
    index = _registry(CURRENT_LAYOUT)
    assert index.reserved_sources == ("syscall", "internal", "plugins")
    assert index.entries == (
        RegistryEntry("zero", True, 0, "", (), True),        # no source: ""
        RegistryEntry("k8saudit", True, 1, "k8s_audit", (), False),
        RegistryEntry("k8smeta", False, None, None, ("syscall",), False),
        RegistryEntry("kafka", True, 18, "kafka", (), False),
        RegistryEntry("offline", False, None, None, (), False),  # sourcing not supported: no ID, no source
        RegistryEntry("bare", False, None, None, (), False),     # an item that is not a map is no plugin
    )
    assert _registry("plugins:\n  - name: noid\n    capabilities: {sourcing: {supported: true}}\n").entries == \
        (RegistryEntry("noid", True, 0, "", (), False),)
    assert _registry("plugins: []").reserved_sources == ()


@pytest.mark.clause("REGISTRY-RULES")
def test_the_2022_layout_reads_source_and_extractor_lists():
    index = _registry("""
        reserved_sources: [ "syscall" ]
        plugins:
          source:
            - {id: 1, source: k8s_audit, name: k8saudit}
            - {id: 999, source: test, name: test, reserved: true}
            - {name: noid}
          extractor:
            - {name: json}
            - {name: picky, sources: [k8s_audit, aws_cloudtrail], reserved: true}
    """)
    assert index.reserved_sources == ("syscall",)
    assert index.entries == (
        RegistryEntry("k8saudit", True, 1, "k8s_audit", (), False),
        RegistryEntry("test", True, 999, "test", (), True),
        RegistryEntry("noid", True, 0, "", (), False),
        RegistryEntry("json", False, None, None, (), False),
        RegistryEntry("picky", False, None, None, ("k8s_audit", "aws_cloudtrail"), True),
    )
    assert _registry("plugins: {source: [{name: only, id: 3, source: s}]}").entries == \
        (RegistryEntry("only", True, 3, "s", (), False),)
    assert _registry("plugins: {}").entries == ()


@pytest.mark.clause("REGISTRY-RULES")
@pytest.mark.parametrize("document, message", [
    (["a"], "r.yaml: not a plugin registry (no top-level 'plugins' key)"),
    ({"reserved_sources": []}, "r.yaml: not a plugin registry (no top-level 'plugins' key)"),
    (None, "r.yaml: not a plugin registry (no top-level 'plugins' key)"),
    ({"plugins": "k8saudit"}, "r.yaml: 'plugins' must be a list or a map of source/extractor lists"),
    ({"plugins": None}, "r.yaml: 'plugins' must be a list or a map of source/extractor lists"),
])
def test_a_document_that_is_no_registry_is_refused_by_name(document, message):
    with pytest.raises(RegistryFileError) as error:
        parse_registry(document, "r.yaml")
    assert str(error.value) == message
    with pytest.raises(RegistryFileError, match=r"^<registry>: "):
        parse_registry(document)


@pytest.mark.clause("REGISTRY-RULES")
def test_a_registry_file_that_cannot_be_read_says_why(tmp_path):
    missing = tmp_path / "missing.yaml"
    with pytest.raises(RegistryFileError) as error:
        load_registry(missing)
    assert str(error.value) == f"cannot read registry file {missing}: No such file or directory"
    broken = tmp_path / "broken.yaml"
    broken.write_text("plugins: [unclosed\n")
    with pytest.raises(RegistryFileError) as error:
        load_registry(str(broken))
    assert str(error.value).startswith(f"registry file {broken} is not valid YAML: ")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("- a\n")
    with pytest.raises(RegistryFileError) as error:
        load_registry(wrong)
    assert str(error.value) == f"{wrong}: not a plugin registry (no top-level 'plugins' key)"


@pytest.mark.clause("REGISTRY-RULES")
def test_the_real_registry_reads_as_plugins_and_sdks_describes_it():
    index = load_registry(BUNDLED / "registry.yaml")
    assert validate(index) is None
    assert index.reserved_sources == ("syscall", "internal", "plugins")
    ids = {e.id: e.name for e in index.entries if e.sourcing}
    assert sorted(ids) == [0] + list(range(1, 29)) + [999]
    assert (ids[0], ids[1], ids[2], ids[3], ids[4], ids[9], ids[18], ids[24], ids[28], ids[999]) == \
        ("plugin-id-zero-value", "k8saudit", "cloudtrail", "dummy", "dummy_c", "k8saudit-eks", "kafka", "collector",
         "coding_agent", "test")
    assert sorted(e.id for e in index.entries if e.source == "k8s_audit") == [1, 9, 16, 21, 22]
    extract_only = {e.name: e.extraction_sources for e in index.entries if not e.sourcing}
    assert extract_only == {"json": (), "k8smeta": ("syscall",), "container": ("syscall",), "krsi": ("syscall",)}
    assert [e.name for e in index.entries if e.reserved] == ["plugin-id-zero-value", "test"]
    old = load_registry(BUNDLED / "registry-2022.yaml")
    assert validate(old) is None
    assert {e.id: e.name for e in old.entries if e.sourcing} == {
        1: "k8saudit", 2: "cloudtrail", 3: "dummy", 4: "dummy_c", 5: "docker", 6: "seccompagent", 7: "okta",
        999: "test"}
    assert [e.name for e in old.entries if not e.sourcing] == ["json"]


def _source(name: str, plugin_id, source: str | None = "src") -> RegistryEntry:
    return RegistryEntry(name, True, plugin_id, source)


def _extractor(name: str) -> RegistryEntry:
    return RegistryEntry(name, False, None, None)


RESERVED = ("syscall", "internal", "plugins")


@pytest.mark.clause("REGISTRY-RULES")
@pytest.mark.parametrize("entries, error", [
    # validate_test.go's names
    ([_extractor("myplugin"), _extractor("plugin01"), _extractor("my-plugin"), _extractor("my_plugin")], None),
    *[([_extractor(name)], f"plugin name does follow the naming convention: '{name}'")
      for name in ("../target", "../../etc", "/tmp/evil", ".hidden", "a/b", "", "MyPlugin", "1plugin", "-a",
                   "myplugin\n")],  # Go's $ is the end of the text: no trailing newline
    ([_extractor("json"), _source("json", 1)], "plugin name is not unique: 'json'"),
    # the name rules come before the ID rules, for each entry in file order
    ([_source("a", 2**30), _extractor("Bad")], "source ID outside the allowed range (1073741823): '1073741824'"),
    ([_source("Bad", 2**30)], "plugin name does follow the naming convention: 'Bad'"),
    ([_source("a", 2**30 - 1)], None),
    ([_source("a", "7")], "source ID outside the allowed range (1073741823): '7'"),
    ([_source("a", None)], "source ID outside the allowed range (1073741823): 'None'"),
    # an ID is a u32 (plugins-and-sdks.md §1.2), which the tool's YAML decoder insists on
    ([_source("a", -1)], "source ID outside the allowed range (1073741823): '-1'"),
    ([_source("a", True)], "source ID outside the allowed range (1073741823): 'True'"),
    ([_source("a", 5), _source("b", 5)], "source ID is not unique: '5'"),
    ([_source("a", 0, ""), _source("b", 0, "")], "source ID is not unique: '0'"),  # 0 is held once too
    ([_source("a", 5, "k"), _source("b", 6, "k")], None),                          # sources may repeat
    ([_source("a", 0, "syscall")], None),                                          # ID 0: no source rules
    ([_source("a", 0, "Not A Source")], None),
    ([_source("a", 3, "syscall")], "forbidden source name: 'syscall'"),
    ([_source("a", 3, "plugins")], "forbidden source name: 'plugins'"),
    ([_source("a", 3, "")], "source name does follow the naming convention: ''"),
    ([_source("a", 3, None)], "source name does follow the naming convention: 'None'"),
    ([_source("a", 3, "k8s-audit")], "source name does follow the naming convention: 'k8s-audit'"),
    ([_source("a", 3, "k8s_audit\n")], "source name does follow the naming convention: 'k8s_audit\n'"),
    ([_source("a", 3, "k8s_audit2")], None),
    # an extraction-only entry has no ID to check
    ([_extractor("a"), _extractor("b"), RegistryEntry("c", False, 2**31, "Bad")], None),
])
def test_the_first_rule_broken_is_reported_in_the_registry_tool_words(entries, error):
    assert validate(PluginIndex(tuple(entries), RESERVED)) == error


INDEX = PluginIndex((_source("dummy", 3, "dummy"), _source("test", 999, "test"), _extractor("json"),
                     _source("zero", 0, "")), RESERVED)


@pytest.mark.clause("REGISTRY-IDENTITY")
@pytest.mark.parametrize("name, plugin_id, source, warnings", [
    ("dummy", 3, "dummy", []),
    ("other", 3, "x", ["plugin other uses ID 3, registered to plugin dummy"]),
    ("dummy", 4, "dummy", ["plugin dummy has ID 4, but the registry gives it ID 3"]),
    ("dummy", 3, "dummies", ["plugin dummy has event source dummies, but the registry gives it dummy"]),
    ("dummy", 999, "x", ["plugin dummy has ID 999, but the registry gives it ID 3",
                         "plugin dummy has event source x, but the registry gives it dummy"]),
    ("mine", 999, "test", []),          # 999 is shared: using it is no theft
    ("mine", 5, "anything", []),        # an unregistered plugin with a free ID
    ("json", 7, "json", []),            # a registered extractor has no ID or source to disagree with
    ("dummy", None, None, []),          # an extractor named like a source plugin: nothing to compare
    ("other", 0, "", ["plugin other uses ID 0, registered to plugin zero"]),
])
def test_a_plugin_is_warned_where_it_disagrees_with_the_registry(name, plugin_id, source, warnings):
    assert identity_warnings(INDEX, name, plugin_id, source) == warnings


@pytest.fixture
def bundled(monkeypatch):
    """Point the bundled copies at `paths` (and forget what was read before)."""
    def point(*paths):
        monkeypatch.setattr(falco_registry, "BUNDLED_REGISTRIES", tuple(paths))
        monkeypatch.setattr(falco_registry, "_bundled_cache", None)
    return point


@pytest.mark.clause("SRC-ID-RULES")
def test_the_registered_id_of_a_name_comes_from_the_bundled_copies(bundled, tmp_path):
    assert registered_id("dummy") == 3 and registered_id("k8saudit-eks") == 9
    assert registered_id("json") is None                  # extraction only
    assert registered_id("plugin-id-zero-value") is None  # 0 is no ID to suggest
    assert registered_id("no-such-plugin") is None
    later = tmp_path / "later.yaml"
    later.write_text("plugins: [{name: dummy, capabilities: {sourcing: {supported: true, id: 33, source: d}}},\n"
                     "          {name: onlyhere, capabilities: {sourcing: {supported: true, id: 44, source: o}}}]\n")
    # a copy missing from the installation is passed over; the first copy naming the plugin decides
    bundled(tmp_path / "missing.yaml", BUNDLED / "registry-2022.yaml", later)
    assert (registered_id("dummy"), registered_id("onlyhere"), registered_id("seccompagent")) == (3, 44, 6)
    later.write_text("plugins: [{name: onlyhere, capabilities: {sourcing: {supported: true, id: 55, source: o}}}]\n")
    assert registered_id("onlyhere") == 44  # the copies are read once


@pytest.mark.clause("REGISTRY-RULES")
@pytest.mark.parametrize("text", [
    "plugins:\n  - capabilities: {sourcing: {supported: true, id: 3, source: s}}\n",
    "plugins: {source: [{id: 3, source: s}]}\n",
    "plugins: {extractor: [{sources: [s]}]}\n",
])
def test_a_plugin_without_a_name_has_the_empty_name(text):
    index = _registry(text)
    assert [e.name for e in index.entries] == [""]
    assert validate(index) == "plugin name does follow the naming convention: ''"
