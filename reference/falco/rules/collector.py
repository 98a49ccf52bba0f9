"""Collecting definitions across files: lists, macros, rules, and their appends and overrides
(clauses RULES-DEFINE, RULES-APPEND-OVERRIDE, RULES-EXCEPTIONS-SHAPE, RULES-PLUGIN-VERSIONS, RULES-ENGINE-VERSION).

Definitions accumulate over every file of a load; a later file may append to, override or
replace an earlier item. Errors stop the file they are in (ItemError).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from reference.contract.versions import parse_version
from reference.falco.rules.reader import Item, ItemError, is_null, mapping_keys
from reference.falco.rules.results import Location, Message

PRIORITIES = ("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug")
MACRO_NAME = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*")
LIST_NAME = re.compile(r"""[^()"'\s=,]+""")

RULE_APPENDABLE = {"condition", "output", "desc", "tags", "exceptions"}
RULE_REPLACEABLE = {"condition", "output", "desc", "priority", "capture", "capture_duration", "tags", "exceptions",
                    "enabled", "warn_evttypes", "skip-if-unknown-filter"}


def parse_priority(text: str) -> int | None:
    """The priority's number (0 Emergency .. 7 Debug), case-insensitive; `info` is Informational."""
    lowered = text.lower()
    if lowered == "info":
        return PRIORITIES.index("Informational")
    return next((i for i, name in enumerate(PRIORITIES) if name.lower() == lowered), None)


@dataclass
class ExceptionDef:
    name: str
    fields: list[str] | str | None
    comps: list[str] | str | None
    values: list
    #: Where the exception is: its errors are reported there.
    location: Location


#: Exception comps that take a list of values (a scalar value is put in brackets).
LIST_OPERATORS = {"in", "intersects", "pmatch"}
EXCEPTION_OPERATORS = {"=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains", "startswith",
                       "bstartswith", "endswith", "glob", "iglob", "in", "intersects", "pmatch", "regex", "exists"}


def exception_value(item: Item, node: yaml.Node, name: str, depth: int = 0):
    """RULES-EXCEPTIONS-SHAPE: one entry of `values`, read recursively as Falco's reader does: a scalar
    is its text, a sequence a list (so `[[a, b], 3]` is a value whose first part is the list a, b).

    Decision: a list may hold lists only at the top (one per field); deeper, Falco's compiler would
    silently print an empty item, so plugref refuses it.
    """
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode) and depth < 2:
        return [exception_value(item, v, name, depth + 1) for v in node.value]
    raise item.error("LOAD_ERR_VALIDATE", "Expected values array to contain a list of strings", node, "exception",
                     name)


def exception_problem(exception: ExceptionDef, table) -> str | None:
    """RULES-EXCEPTIONS-SHAPE: what is wrong with an exception's fields and comps, or None. Fields are
    checked against `table` (the rule's source's FieldTable) unless it is None (an unknown source)."""
    if exception.fields is None:
        return "Rule exception must have fields property with a list of fields"
    if isinstance(exception.fields, list):
        comps = exception.comps if exception.comps is not None else ["="] * len(exception.fields)
        if not isinstance(comps, list) or len(comps) != len(exception.fields):
            return "Fields and comps lists must have equal length"
        fields = exception.fields
    else:
        comps = [exception.comps or "in"]
        if comps[0] not in LIST_OPERATORS:
            return f"'{comps[0]}' is not a supported comparison operator"
        fields = [exception.fields]
    for comp in comps:
        if comp not in EXCEPTION_OPERATORS:
            return f"'{comp}' is not a supported comparison operator"
    if table is not None:
        for name in fields:
            if table.resolve(re.sub(r"\[.*\]$", "", name)) is None:
                return f"'{name}' is not a supported filter field"
    return None


@dataclass
class ListDef:
    name: str
    items: list[str]
    index: int
    locations: tuple[Location, ...]


@dataclass
class MacroDef:
    name: str
    condition: str
    first_index: int
    latest_index: int
    locations: tuple[Location, ...]
    condition_location: Location | None = None


@dataclass
class RuleDef:
    name: str
    condition: str
    output: str
    desc: str
    priority: int
    source: str
    index: int
    locations: tuple[Location, ...]
    enabled: bool = True
    tags: set[str] = field(default_factory=set)
    exceptions: list[ExceptionDef] = field(default_factory=list)
    skip_if_unknown_filter: bool = False
    condition_location: Location | None = None
    output_location: Location | None = None
    capture: bool = False
    capture_duration: int = 0
    warn_evttypes: bool = True


@dataclass
class VersionRequirement:
    """One required_plugin_versions entry: the plugin and its alternatives, in order."""

    alternatives: list[tuple[str, str]]
    locations: tuple[Location, ...]


class Collector:
    def __init__(self, sources: dict | None = None) -> None:
        #: event source -> FieldTable of the loaded sources, for the checks made when an item is collected.
        self.sources = sources if sources is not None else {}
        self.lists: dict[str, ListDef] = {}
        self.macros: dict[str, MacroDef] = {}
        self.rules: dict[str, RuleDef] = {}
        self.requirements: list[VersionRequirement] = []
        self.required_engine_versions: list[str] = []
        self._counter = 0

    def _next_index(self) -> int:
        self._counter += 1
        return self._counter

    # Items.

    def collect(self, item: Item, check_engine) -> None:
        handler = {"list": self._list, "macro": self._macro, "rule": self._rule,
                   "required_plugin_versions": self._plugin_versions,
                   "required_engine_version": self._engine_version}.get(item.kind)
        if handler is not None:
            if item.kind == "required_engine_version":
                handler(item, check_engine)
            else:
                handler(item)

    def _override_ops(self, item: Item, appendable: set[str], replaceable: set[str]) -> dict[str, str]:
        node = item.keys.get("override")
        if node is None:
            return {}
        if not isinstance(node, yaml.MappingNode):
            raise item.error("LOAD_ERR_YAML_VALIDATE", "Value is not a mapping", node, "overrides")
        if item.boolean("append", False):
            raise item.error("LOAD_ERR_YAML_VALIDATE", "Keys 'override' and 'append: true' cannot be used together. "
                             "Add an 'append' entry (e.g. 'condition: append') under 'override' instead.", node,
                             "overrides")
        ops = {}
        for key, op_node in mapping_keys(node).items():
            op = op_node.value if isinstance(op_node, yaml.ScalarNode) else ""
            allowed = [verb for verb, keys in (("append", appendable), ("replace", replaceable)) if key in keys]
            if op not in ("append", "replace"):
                raise item.error("LOAD_ERR_YAML_VALIDATE", f"Invalid override operation for key '{key}': '{op}'. "
                                 f"Allowed values are: {' '.join(allowed)} ", node, "overrides")
            if op == "append" and key not in appendable:
                raise item.error("LOAD_ERR_YAML_VALIDATE", f"Key '{key}' cannot be appended to, use 'replace' instead",
                                 node, "overrides")
            if op == "replace" and key not in replaceable:
                raise item.error("LOAD_ERR_YAML_VALIDATE", f"Key '{key}' cannot be replaced", node, "overrides")
            if key not in item.keys:
                raise item.error("LOAD_ERR_YAML_VALIDATE",
                                 f"An {op} override for '{key}' was specified but '{key}' is not defined", node,
                                 "overrides")
            ops[key] = op
        for key in item.keys:  # the item's name key and `override` itself are neither appendable nor replaceable
            if key not in ops and key in appendable | replaceable:
                raise item.error("LOAD_ERR_YAML_VALIDATE",
                                 f"Unexpected key '{key}': no corresponding entry under 'override' is defined.", node,
                                 "overrides")
        return ops

    def _legacy_append(self, item: Item) -> bool:
        appended = item.boolean("append", False)
        if appended:
            item.warn("LOAD_DEPRECATED_ITEM", "'append' key is deprecated. Add an 'append' entry (e.g. "
                                              "'condition: append') under 'override' instead.")
        return appended

    def _list(self, item: Item) -> None:
        name = item.scalar("list")
        if not LIST_NAME.fullmatch(name):
            item.warn("LOAD_INVALID_LIST_NAME", "List has an invalid name. List names should match a regular "
                                                "expression: ([^()\"'[:space:]=,]+)")
        items = item.sequence("items") if item.has("items") else None
        if items is None:
            item.scalar("items")  # raises the missing-key error
        ops = self._override_ops(item, {"items"}, {"items"})
        appending = self._legacy_append(item) or ops.get("items") == "append"
        if appending or ops.get("items") == "replace":
            previous = self._existing(item, self.lists, "list", name, "append" if appending else "replace", "items")
            previous.items = previous.items + items if appending else items
            return
        self.lists[name] = ListDef(name, items, self._next_index(), item.locations)

    def _macro(self, item: Item) -> None:
        name = item.scalar("macro")
        if not MACRO_NAME.fullmatch(name):
            item.warn("LOAD_INVALID_MACRO_NAME", "Macro has an invalid name. Macro names should match a regular "
                                                 "expression: ([a-zA-Z]+[a-zA-Z0-9_]*)")
        condition = item.scalar("condition")
        ops = self._override_ops(item, {"condition"}, {"condition"})
        appending = self._legacy_append(item) or ops.get("condition") == "append"
        if appending or ops.get("condition") == "replace":
            previous = self._existing(item, self.macros, "macro", name, "append" if appending else "replace",
                                      "condition")
            previous.condition = f"{previous.condition} {condition}" if appending else condition
            previous.latest_index = self._next_index()
            return
        index = self._next_index()
        first = self.macros[name].first_index if name in self.macros else index
        self.macros[name] = MacroDef(name, condition, first, index, item.locations,
                                     item.location("macro condition", "", item.keys["condition"]))

    def _exceptions(self, item: Item) -> list[ExceptionDef]:
        node = item.keys.get("exceptions")
        if is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise item.error("LOAD_ERR_YAML_VALIDATE", "Value is not a sequence", node, "exceptions")
        found, seen = [], set()
        for entry in node.value:
            if not isinstance(entry, yaml.MappingNode):
                raise item.error("LOAD_ERR_YAML_VALIDATE", "Rule exception item must be a mapping", entry, "exceptions")
            keys = mapping_keys(entry)
            sub = Item("exception", entry, keys, item.file, item.locations)
            name = sub.scalar("name")
            location = item.location("exception", name, entry)
            if name in seen:
                item.warn("LOAD_EXCEPTION_NAME_NOT_UNIQUE", f"Multiple definitions of exception '{name}' in the same rule")
            seen.add(name)

            def strings(key):
                value = keys.get(key)
                if is_null(value):
                    return None
                if isinstance(value, yaml.ScalarNode):
                    return value.value
                if isinstance(value, yaml.SequenceNode) and all(isinstance(v, yaml.ScalarNode) for v in value.value):
                    return [v.value for v in value.value]
                raise item.error("LOAD_ERR_YAML_VALIDATE", f"Rule exception {key} must be a string or a list of "
                                 f"strings", value, "exception", name)

            values_node = keys.get("values")
            values = []
            if not is_null(values_node):
                if not isinstance(values_node, yaml.SequenceNode):
                    raise item.error("LOAD_ERR_YAML_VALIDATE", "Rule exception must have values property with a "
                                     "list of values", values_node, "exception", name)
                values = [exception_value(item, value, name) for value in values_node.value]
            found.append(ExceptionDef(name, strings("fields"), strings("comps"), values, location))
        return found

    def _rule(self, item: Item) -> None:
        name = item.scalar("rule")
        ops = self._override_ops(item, RULE_APPENDABLE, RULE_REPLACEABLE)
        if self._legacy_append(item):
            previous = self._existing_rule(item, name, "append")
            condition = item.scalar("condition", required=False)
            exceptions = self._exceptions(item)
            if condition is None and not item.has("exceptions"):
                raise item.error("LOAD_ERR_YAML_VALIDATE", "Appended rule must have exceptions or condition property")
            if condition is not None:
                previous.condition = f"{previous.condition} {condition}"
            self._merge_exceptions(item, previous, exceptions)
            return
        if ops:
            first_op = next(iter(ops.values()))
            previous = self._existing_rule(item, name, first_op, next(iter(ops)))
            for key, op in ops.items():
                self._apply(item, previous, key, op)
            return
        defining = any(item.has(k) for k in ("condition", "output", "desc", "priority"))
        if not defining and item.has("enabled"):
            item.warn("LOAD_DEPRECATED_ITEM", "The standalone 'enabled' key usage is deprecated. The correct "
                                              "approach requires also a 'replace' entry under the 'override' key "
                                              "(i.e. 'enabled: replace').")
            previous = self.rules.get(name)
            if previous is None:
                raise item.error("LOAD_ERR_VALIDATE", "Rule has 'enabled' key but no rule by that name already exists")
            previous.enabled = item.boolean("enabled", True)
            return
        condition, output = item.scalar("condition"), item.scalar("output").strip()
        desc, priority_text = item.scalar("desc"), item.scalar("priority")
        priority = parse_priority(priority_text)
        if priority is None:
            raise item.error("LOAD_ERR_YAML_VALIDATE", "Invalid priority", item.keys["priority"], "value for 'priority'")
        source = item.scalar("source", required=False) or "syscall"
        exceptions = self._exceptions(item)
        for exception in exceptions:
            # Each definition's exceptions are checked when it is collected, even if a later one replaces it.
            problem = exception_problem(exception, self.sources.get(source))
            if problem:
                raise ItemError(Message("LOAD_ERR_VALIDATE", problem, item.locations + (exception.location,)))
        rule = RuleDef(name, condition, output, desc, priority, source, 0, item.locations,
                       enabled=item.boolean("enabled", True), tags=set(item.sequence("tags")),
                       exceptions=exceptions,
                       skip_if_unknown_filter=item.boolean("skip-if-unknown-filter", False),
                       capture=item.boolean("capture", False), capture_duration=self._capture_duration(item),
                       warn_evttypes=item.boolean("warn_evttypes", True),
                       condition_location=item.location("rule condition", "", item.keys["condition"]),
                       output_location=item.location("rule output", "", item.keys["output"]))
        previous = self.rules.get(name)
        if previous is not None:
            if previous.source != source:
                raise item.error("LOAD_ERR_VALIDATE", "Rule has been re-defined with a different source")
            rule.index = previous.index  # a redefinition keeps the rule's place
        else:
            rule.index = self._next_index()
        self.rules[name] = rule

    def _existing_rule(self, item: Item, name: str, op: str, key: str = "condition") -> RuleDef:
        return self._existing(item, self.rules, "rule", name, op, key)

    @staticmethod
    def _existing(item: Item, table: dict, kind: str, name: str, op: str, key: str):
        """The item an append or a replace applies to, or Falco's error when there is none."""
        previous = table.get(name)
        if previous is None:
            if op == "append":
                raise item.error("LOAD_ERR_VALIDATE", f"{kind.capitalize()} uses 'append' or 'override.{key}: append' "
                                                      f"but no {kind} by that name already exists")
            raise item.error("LOAD_ERR_VALIDATE", f"An 'override.{key}: replace' to a {kind} was requested but no "
                                                  f"{kind} by that name already exists")
        return previous

    def _apply(self, item: Item, rule: RuleDef, key: str, op: str) -> None:
        if key == "exceptions":
            exceptions = self._exceptions(item)
            if op == "replace":
                rule.exceptions = exceptions
            else:
                self._merge_exceptions(item, rule, exceptions)
        elif key == "tags":
            tags = set(item.sequence("tags"))
            rule.tags = rule.tags | tags if op == "append" else tags
        elif key in ("condition", "output", "desc"):
            text = item.scalar(key)
            if key == "output":
                text = text.strip()
            setattr(rule, key, f"{getattr(rule, key)} {text}" if op == "append" else text)
        elif key == "priority":
            priority = parse_priority(item.scalar("priority"))
            if priority is None:
                raise item.error("LOAD_ERR_YAML_VALIDATE", "Invalid priority", item.keys["priority"],
                                 "value for 'priority'")
            rule.priority = priority
        elif key == "enabled":
            rule.enabled = item.boolean("enabled", True)
        elif key == "skip-if-unknown-filter":
            rule.skip_if_unknown_filter = item.boolean(key, False)
        elif key == "warn_evttypes":
            rule.warn_evttypes = item.boolean(key, True)
        elif key == "capture":
            rule.capture = item.boolean(key, False)
        elif key == "capture_duration":
            rule.capture_duration = self._capture_duration(item)

    @staticmethod
    def _capture_duration(item: Item) -> int:
        """capture_duration: a non-negative whole number of milliseconds (0 when absent)."""
        if not item.has("capture_duration"):
            return 0
        text = item.scalar("capture_duration")
        if not (text.isascii() and text.isdigit()):
            raise item.error("LOAD_ERR_YAML_VALIDATE", "Can't decode YAML scalar value", item.keys["capture_duration"],
                             "value for 'capture_duration'")
        return int(text)

    def _merge_exceptions(self, item: Item, rule: RuleDef, appended: list[ExceptionDef]) -> None:
        existing = {e.name: e for e in rule.exceptions}
        for exception in appended:
            if exception.name in existing:
                for key in ("fields", "comps"):  # Falco checks fields first
                    if getattr(exception, key) is not None:
                        raise item.error("LOAD_ERR_VALIDATE", f"Can not append exception {key} to existing "
                                                              f"exception, only values")
                existing[exception.name].values = existing[exception.name].values + exception.values
                continue
            if exception.fields is None:
                raise item.error("LOAD_ERR_VALIDATE", "Rule exception must have fields property with a list of fields")
            if not exception.values:
                raise item.error("LOAD_ERR_VALIDATE", "Rule exception must have values property with a list of values")
            rule.exceptions.append(exception)

    def _plugin_versions(self, item: Item) -> None:
        node = item.keys["required_plugin_versions"]
        if not isinstance(node, yaml.SequenceNode):
            raise item.error("LOAD_ERR_YAML_VALIDATE", "Value of required_plugin_versions must be a sequence")
        for entry in node.value:
            if not isinstance(entry, yaml.MappingNode):
                raise item.error("LOAD_ERR_YAML_VALIDATE", "Plugin version must be a mapping", entry,
                                 "required plugin versions entry")
            sub = Item("plugin version", entry, mapping_keys(entry), item.file, item.locations)
            name, version = sub.scalar("name"), sub.scalar("version")
            location = item.location("required plugin versions entry", name, entry)
            sub.locations = item.locations + (location,)
            alternatives = [(name, version)]
            alt_node = sub.keys.get("alternatives")
            if alt_node is not None and not is_null(alt_node):
                if not isinstance(alt_node, yaml.SequenceNode):
                    raise sub.error("LOAD_ERR_YAML_VALIDATE", "Value of plugin version alternatives must be a sequence")
                for alternative in alt_node.value:
                    if not isinstance(alternative, yaml.MappingNode):
                        raise sub.error("LOAD_ERR_YAML_VALIDATE", "Plugin version alternative must be a mapping")
                    alt = Item("plugin version alternative", alternative, mapping_keys(alternative), item.file,
                               sub.locations)
                    alternatives.append((alt.scalar("name"), alt.scalar("version")))
            seen = set()
            for alt_name, alt_version in alternatives:
                if parse_version(alt_version) is None:
                    raise sub.error("LOAD_ERR_VALIDATE", f"Invalid required version '{alt_version}' for plugin "
                                                         f"'{alt_name}'")
                if alt_name in seen:
                    raise sub.error("LOAD_ERR_VALIDATE", f"Defined multiple alternative version requirements for "
                                                         f"plugin '{alt_name}'")
                seen.add(alt_name)
            self.requirements.append(VersionRequirement(alternatives, sub.locations))

    def _engine_version(self, item: Item, check_engine) -> None:
        text = item.scalar("required_engine_version")
        version = f"0.{int(text)}.0" if text.isdigit() and int(text) < 2**32 else text
        if parse_version(version) is None:
            raise item.error("LOAD_ERR_YAML_VALIDATE", f"Unable to parse engine version '{text}' as a semver string. "
                                                       f"Expected \"x.y.z\" semver format.")
        problem = check_engine(version)
        if problem:
            raise item.error("LOAD_ERR_VALIDATE", problem)
        self.required_engine_versions.append(version)
