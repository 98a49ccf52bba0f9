"""falco.yaml: the `plugins` entries and `load_plugins` (clauses CONFIG-PLUGINS, CONFIG-LOAD-PLUGINS,
CONFIG-LIBRARY-PATH, CONFIG-SOURCE-NAME), `rule_matching` (CONFIG-RULE-MATCHING), `append_output`
(CONFIG-APPEND-OUTPUT), plus the few other keys `plugref run` uses (CONFIG-RUN-KEYS).

Every malformed entry is reported with the file and line it is on.
"""
from __future__ import annotations

import json
import math
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from reference.errors import PlugrefError
from reference.falco.yaml_limits import compose

DEFAULT_PLUGINS_DIR = "/usr/share/falco/plugins"
PLUGINS_DIR_VARIABLE = "PLUGREF_PLUGINS_DIR"
_NULL_TAG = "tag:yaml.org,2002:null"
#: CONFIG-RULE-MATCHING: the values of `rule_matching`, the default first.
RULE_MATCHING = ("first", "all")


class ConfigError(PlugrefError):
    def __init__(self, file: str, line: int | None, message: str, clause: str = "CONFIG-PLUGINS"):
        where = f"{file}:{line}" if line else file
        super().__init__(f"Error reading config file ({where}): {message}", clause)


@dataclass(frozen=True)
class PluginConfig:
    name: str
    library_path: str
    init_config: str = ""
    open_params: str = ""
    line: int | None = None


@dataclass(frozen=True)
class AppendOutput:
    """One `append_output` entry (CONFIG-APPEND-OUTPUT): what it adds to the outputs of the rules it matches."""

    source: str | None = None
    #: The rule must have all of these tags.
    tags: frozenset[str] = frozenset()
    rule: str | None = None
    extra_output: str = ""
    #: Append `foo_bar=%foo.bar` for each format-suggested plugin field of the rule's source.
    suggested_output: bool = False

    def matches(self, source: str, tags: frozenset[str] | set[str], rule: str) -> bool:
        return ((self.source is None or self.source == source) and self.tags <= set(tags)
                and (self.rule is None or self.rule == rule))


@dataclass
class FalcoConfig:
    file: str
    plugins: list[PluginConfig] = field(default_factory=list)
    #: None when absent: every plugin is loaded.
    load_plugins: list[str] | None = None
    rules_files: list[str] = field(default_factory=list)
    priority: str = "debug"
    json_output: bool = False
    rule_matching: str = "first"
    append_output: list[AppendOutput] = field(default_factory=list)
    #: What plugref reads but does not do, said at startup.
    warnings: list[str] = field(default_factory=list)

    def selected_plugins(self) -> list[PluginConfig]:
        """CONFIG-LOAD-PLUGINS: the entries to load, in the order they load."""
        if self.load_plugins is None:
            return list(self.plugins)
        selected = []
        for name in self.load_plugins:
            entry = next((p for p in self.plugins if p.name == name), None)
            if entry is None:
                raise ConfigError(self.file, None, f"Cannot load plugin '{name}': plugin config not found for given "
                                                   f"name", "CONFIG-LOAD-PLUGINS")
            selected.append(entry)
        return selected


def plugins_dir(option: str | None = None) -> str:
    """The plugins directory: the option, else $PLUGREF_PLUGINS_DIR, else Falco's default."""
    return option or os.environ.get(PLUGINS_DIR_VARIABLE) or DEFAULT_PLUGINS_DIR


def is_module_name(library_path: str) -> bool:
    """A library_path with no slash and no file suffix names a Python plugin module."""
    return "/" not in library_path and not library_path.endswith((".so", ".json", ".yaml", ".yml"))


def resolve_library_path(library_path: str, directory: str, file: str = "falco.yaml",
                         line: int | None = None) -> str:
    """CONFIG-LIBRARY-PATH: absolute paths stay; relative ones resolve under the plugins directory
    and may not escape it; Python module names stay as they are."""
    if library_path == "" or library_path.startswith("/") or is_module_name(library_path):
        return library_path
    joined = posixpath.normpath(posixpath.join(directory, library_path))
    base = posixpath.normpath(directory)
    if not (joined == base or joined.startswith(base.rstrip("/") + "/")) or joined == base:
        raise ConfigError(file, line, f"plugin library_path '{library_path}' resolves outside the plugins directory "
                                      f"({directory})", "CONFIG-LIBRARY-PATH")
    return joined


#: What one init_config map may expand to (YAML aliases count as copies), as JSON text (YAML-LIMITS).
MAX_INIT_CONFIG_CHARS = 16 * 1024 * 1024
_SCALARS = yaml.constructor.SafeConstructor()


class _Budget:
    def __init__(self, file: str, node: yaml.Node):
        self.file, self.node, self.left = file, node, MAX_INIT_CONFIG_CHARS

    def spend(self, chars: int) -> None:
        self.left -= chars
        if self.left < 0:
            raise ConfigError(self.file, self.node.start_mark.line + 1,
                              f"could not load plugins config: init_config expands to more than "
                              f"{MAX_INIT_CONFIG_CHARS} characters of JSON (YAML aliases count as copies)",
                              "YAML-LIMITS")


def _json_text_size(value) -> int:
    return len(json.dumps(value, ensure_ascii=False))


def _json_value(node: yaml.Node, file: str, budget: _Budget):
    """A node as JSON data, its JSON text counted as it is built (compact: brackets, commas and colons
    included). Scalars the JSON types cannot hold (dates, !!binary, huge or non-finite
    numbers) are sent as their text or null, since Falco's converter ignores YAML tags; a key
    that is not a scalar cannot be a JSON key (CONFIG-ERRORS)."""
    if isinstance(node, yaml.MappingNode):
        budget.spend(2 + max(len(node.value) - 1, 0))  # {} and the commas
        out = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                kind = "sequence" if isinstance(key, yaml.SequenceNode) else "mapping"
                raise ConfigError(file, key.start_mark.line + 1, f"could not load plugins config: init_config: a "
                                                                 f"{kind} cannot be a mapping key")
            budget.spend(_json_text_size(key.value) + 1)  # a repeated key counts each time: an upper bound
            out[key.value] = _json_value(value, file, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        budget.spend(2 + max(len(node.value) - 1, 0))
        return [_json_value(item, file, budget) for item in node.value]
    value = _scalar_json_value(node)
    budget.spend(_json_text_size(value))
    return value


def _scalar_json_value(node: yaml.ScalarNode):
    if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                    "tag:yaml.org,2002:null"):
        try:
            value = _SCALARS.construct_object(node)
        except (ValueError, yaml.YAMLError):  # e.g. an integer of thousands of digits
            return node.value
        return None if isinstance(value, float) and not math.isfinite(value) else value  # nlohmann writes null
    return node.value


def _scalar(node: yaml.Node | None, file: str, what: str) -> str:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG):
        return ""
    if not isinstance(node, yaml.ScalarNode):
        raise ConfigError(file, node.start_mark.line + 1, f"could not load plugins config: {what} must be a string")
    return node.value


def _init_config(node: yaml.Node | None, file: str) -> str:
    """A map is sent as compact JSON with sorted keys; a scalar as its text; absent or null as ""."""
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG):
        return ""
    if isinstance(node, yaml.MappingNode):
        value = _json_value(node, file, _Budget(file, node))
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if isinstance(node, yaml.ScalarNode):
        return node.value
    raise ConfigError(file, node.start_mark.line + 1, "could not load plugins config: init_config must be a map or a "
                                                      "string, not a sequence")


def _rule_matching(node: yaml.Node, file: str) -> str:
    """CONFIG-RULE-MATCHING: `first` or `all` (without regard to case), else Falco's error."""
    text = node.value if isinstance(node, yaml.ScalarNode) else ""
    if text.lower() not in RULE_MATCHING:
        raise ConfigError(file, node.start_mark.line + 1, f"Unknown rule matching strategy \"{text}\"--must be one of "
                                                          f"{', '.join(RULE_MATCHING)}", "CONFIG-RULE-MATCHING")
    return text.lower()


def _priority(node: yaml.Node, file: str) -> str:
    """CONFIG-RUN-KEYS: a rule priority's name, without regard to case (`info` too), kept as written;
    anything else would leave the threshold unknown, so it is an error."""
    from reference.falco.rules.collector import PRIORITIES, parse_priority  # the rules package imports this one

    text = node.value if isinstance(node, yaml.ScalarNode) else ""
    if parse_priority(text) is None:
        raise ConfigError(file, node.start_mark.line + 1, f"Unknown priority \"{text}\"--must be one of "
                                                          f"{', '.join(p.lower() for p in PRIORITIES)}", "CONFIG-RUN-KEYS")
    return text


def _append_output(node: yaml.Node, config: FalcoConfig) -> None:
    """CONFIG-APPEND-OUTPUT: a list of maps of `match` {source, tags, rule}, `extra_output`,
    `suggested_output` (and `extra_fields`, not yet supported: a warning)."""
    file = config.file

    def refuse(at: yaml.Node, message: str) -> ConfigError:
        return ConfigError(file, at.start_mark.line + 1, message, "CONFIG-APPEND-OUTPUT")

    def text(at: yaml.Node | None, what: str) -> str | None:
        if at is None or (isinstance(at, yaml.ScalarNode) and at.tag == _NULL_TAG):
            return None
        if not isinstance(at, yaml.ScalarNode):
            raise refuse(at, f"append_output {what} must be a string")
        return at.value

    if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
        return
    if not isinstance(node, yaml.SequenceNode):
        raise refuse(node, "append_output must be a list of maps")
    for entry in node.value:
        if not isinstance(entry, yaml.MappingNode):
            raise refuse(entry, "each append_output entry must be a map")
        keys = {k.value: v for k, v in entry.value if isinstance(k, yaml.ScalarNode)}
        match = keys.get("match")
        source = rule = None
        tags: frozenset[str] = frozenset()
        if match is not None and not (isinstance(match, yaml.ScalarNode) and match.tag == _NULL_TAG):
            if not isinstance(match, yaml.MappingNode):
                raise refuse(match, "append_output match must be a map of source, tags and rule")
            conditions = {k.value: v for k, v in match.value if isinstance(k, yaml.ScalarNode)}
            source = text(conditions.get("source"), "match source")
            rule = text(conditions.get("rule"), "match rule")
            if "tags" in conditions:
                listed = conditions["tags"]
                if not (isinstance(listed, yaml.SequenceNode)
                        and all(isinstance(t, yaml.ScalarNode) for t in listed.value)):
                    raise refuse(listed, "append_output match tags must be a list of tags")
                tags = frozenset(t.value for t in listed.value)
        extra = text(keys.get("extra_output"), "extra_output") or ""
        suggested = keys.get("suggested_output")
        if suggested is not None and not isinstance(suggested, yaml.ScalarNode):
            raise refuse(suggested, "suggested_output must be a boolean")
        suggested_output = suggested is not None and suggested.tag != _NULL_TAG and \
            _boolean(suggested, file, "suggested_output")
        if keys.get("extra_fields") is not None:
            config.warnings.append(f"{file}:{keys['extra_fields'].start_mark.line + 1}: append_output extra_fields "
                                   f"is not yet supported by plugref: ignored")
        config.append_output.append(AppendOutput(source, tags, rule, extra, suggested_output))


def parse_config(text: str, file: str = "falco.yaml", directory: str | None = None) -> FalcoConfig:
    try:
        root = compose(text)  # YAML-LIMITS: nesting and aliases bounded
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(file, mark.line + 1 if mark else None,
                          f"not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    config = FalcoConfig(file)
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL_TAG):
        return config
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(file, root.start_mark.line + 1, "the configuration must be a map")
    keys = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    directory = plugins_dir(directory)

    node = keys.get("plugins")
    if node is not None and not (isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG):
        if not isinstance(node, yaml.SequenceNode):
            raise ConfigError(file, node.start_mark.line + 1, "could not load plugins config: 'plugins' must be a list")
        for entry in node.value:
            line = entry.start_mark.line + 1
            if not isinstance(entry, yaml.MappingNode):
                raise ConfigError(file, line, "could not load plugins config: each plugins entry must be a map")
            fields = {k.value: v for k, v in entry.value if isinstance(k, yaml.ScalarNode)}
            for required in ("name", "library_path"):
                if required not in fields:
                    raise ConfigError(file, line, f"could not load plugins config: plugins entry has no '{required}'")
            name = _scalar(fields["name"], file, "name")
            if not name:
                raise ConfigError(file, line, "could not load plugins config: plugins entry has an empty 'name'")
            library = _scalar(fields["library_path"], file, "library_path")
            if not library:
                raise ConfigError(file, line, f"could not load plugins config: plugin '{name}' has an empty "
                                              f"'library_path'", "CONFIG-ERRORS")
            config.plugins.append(PluginConfig(
                name=name,
                library_path=resolve_library_path(library, directory, file, line),
                init_config=_init_config(fields.get("init_config"), file),
                open_params=_scalar(fields.get("open_params"), file, "open_params").strip(),
                line=line,
            ))

    if "load_plugins" in keys:
        node = keys["load_plugins"]
        if isinstance(node, yaml.ScalarNode):
            config.load_plugins = [] if node.tag == _NULL_TAG else [node.value]
        elif isinstance(node, yaml.SequenceNode) and all(isinstance(v, yaml.ScalarNode) for v in node.value):
            config.load_plugins = [v.value for v in node.value]
        else:
            raise ConfigError(file, node.start_mark.line + 1, "load_plugins must be a list of plugin names",
                              "CONFIG-LOAD-PLUGINS")

    rules = keys.get("rules_files", keys.get("rules_file"))
    if isinstance(rules, yaml.SequenceNode):
        config.rules_files = [v.value for v in rules.value if isinstance(v, yaml.ScalarNode)]
    elif isinstance(rules, yaml.ScalarNode) and rules.tag != _NULL_TAG:
        config.rules_files = [rules.value]
    if "priority" in keys and not (isinstance(keys["priority"], yaml.ScalarNode) and keys["priority"].tag == _NULL_TAG):
        config.priority = _priority(keys["priority"], file)
    if "rule_matching" in keys and not (isinstance(keys["rule_matching"], yaml.ScalarNode)
                                        and keys["rule_matching"].tag == _NULL_TAG):
        config.rule_matching = _rule_matching(keys["rule_matching"], file)
    if isinstance(keys.get("json_output"), yaml.ScalarNode) and keys["json_output"].tag != _NULL_TAG:
        config.json_output = _boolean(keys["json_output"], file, "json_output")
    if "append_output" in keys:
        _append_output(keys["append_output"], config)
    return config


# yaml-cpp's bool decoding (CONFIG-RUN-KEYS): these words in lower, Capitalized or UPPER case, nothing else.
_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_FALSE = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}


def _boolean(node: yaml.ScalarNode, file: str, key: str) -> bool:
    if node.value in _TRUE:
        return True
    if node.value in _FALSE:
        return False
    raise ConfigError(file, node.start_mark.line + 1, f"{key} must be a boolean, not '{node.value}'",
                      "CONFIG-RUN-KEYS")


def load_config(path: str | Path, directory: str | None = None) -> FalcoConfig:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot read it: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(str(path), line, f"not valid YAML: the file is not UTF-8 (byte 0x{data[exc.start]:02x} at "
                                           f"offset {exc.start})", "CONFIG-ERRORS") from None
    return parse_config(text, str(path), directory)
