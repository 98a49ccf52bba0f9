"""Reading a rules file: YAML documents into items, with the shape rules and their positions
(clauses RULES-SHAPE, RULES-ITEM-KEYS).

The YAML is composed into nodes (not plain Python values) so that every message can say where
it comes from. Scalars are decoded as Falco decodes them: booleans by yaml-cpp's spellings.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from reference.falco.rules.results import Location, Message
from reference.falco.yaml_limits import compose_all

ITEM_KINDS = ("required_engine_version", "required_plugin_versions", "list", "macro", "rule")
EXPECTED_KEYS = {
    "rule": {"rule", "condition", "output", "desc", "priority", "source", "enabled", "capture", "capture_duration",
             "warn_evttypes", "skip-if-unknown-filter", "tags", "exceptions", "override", "append"},
    "macro": {"macro", "condition", "append", "override"},
    "list": {"list", "items", "append", "override"},
    "required_engine_version": {"required_engine_version"},
    "required_plugin_versions": {"required_plugin_versions"},
}
_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_FALSE = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}
_NULL_TAG = "tag:yaml.org,2002:null"


class ItemError(Exception):
    """Stops reading a file: the message to report."""

    def __init__(self, message: Message):
        super().__init__(message.message)
        self.report = message


def is_null(node: yaml.Node | None) -> bool:
    return node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG)


@dataclass
class Item:
    """One top-level item of a rules file."""

    kind: str | None
    node: yaml.MappingNode
    keys: dict[str, yaml.Node]
    file: str
    locations: tuple[Location, ...] = ()
    warnings: list[Message] = field(default_factory=list)

    def position(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def location(self, item_type: str, name: str, node: yaml.Node) -> Location:
        line, column = self.position(node)
        return Location(item_type, name, self.file, line, column)

    def error(self, code: str, message: str, node: yaml.Node | None = None, item_type: str = "",
              name: str = "") -> ItemError:
        locations = self.locations
        if node is not None and item_type:
            locations = locations + (self.location(item_type, name, node),)
        return ItemError(Message(code, message, locations))

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(Message(code, message, self.locations))

    def has(self, key: str) -> bool:
        return key in self.keys

    def scalar(self, key: str, required: bool = True) -> str | None:
        """The text of a scalar key, with Falco's errors for what is not one."""
        node = self.keys.get(key)
        if node is None:
            if not required:
                return None
            raise self.error("LOAD_ERR_YAML_VALIDATE", f"Item has no mapping for key '{key}'")
        where = dict(node=node, item_type=f"value for '{key}'")
        if is_null(node):
            raise self.error("LOAD_ERR_YAML_VALIDATE", f"Mapping for key '{key}' is empty", **where)
        if not isinstance(node, yaml.ScalarNode):
            raise self.error("LOAD_ERR_YAML_VALIDATE", "Value is not a scalar value", **where)
        if node.value == "":
            raise self.error("LOAD_ERR_YAML_VALIDATE", "Value must be non-empty", **where)
        return node.value

    def boolean(self, key: str, default: bool) -> bool:
        text = self.scalar(key, required=False)
        if text is None:
            return default
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self.error("LOAD_ERR_YAML_VALIDATE", "Can't decode YAML scalar value", self.keys[key],
                         f"value for '{key}'")

    def sequence(self, key: str) -> list[str]:
        node = self.keys.get(key)
        if node is None or is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.error("LOAD_ERR_YAML_VALIDATE", "Value is not a sequence", node, f"value for '{key}'")
        values = []
        for entry in node.value:
            if not isinstance(entry, yaml.ScalarNode) or is_null(entry):
                raise self.error("LOAD_ERR_YAML_VALIDATE", "sequence value is not scalar", entry, f"value for '{key}'")
            values.append(entry.value)
        return values


def key_text(node: yaml.Node) -> str:
    """A mapping key as messages name it: a scalar's text; a collection (RULES-ITEM-KEYS: never a key any
    item expects) in flow style, `[a, {b: c}]`."""
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return "[" + ", ".join(key_text(entry) for entry in node.value) + "]"
    return "{" + ", ".join(f"{key_text(key)}: {key_text(value)}" for key, value in node.value) + "}"


def mapping_keys(node: yaml.MappingNode) -> dict[str, yaml.Node]:
    return {key_text(key_node): value_node for key_node, value_node in node.value}


def read_items(text: str, file: str) -> list[Item]:
    """The items of a rules file, or ItemError for the first shape error (clause RULES-SHAPE)."""
    content = Location("rules content", "", file, 1, 1)
    try:
        documents = compose_all(text)  # YAML-LIMITS: nesting and aliases bounded
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ItemError(Message("LOAD_ERR_YAML_PARSE", f"yaml: error{where}: {problem}", (content,))) from None
    items = []
    for document in documents:
        if is_null(document):
            continue
        if isinstance(document, yaml.MappingNode):
            raise ItemError(Message("LOAD_ERR_YAML_VALIDATE", "Rules content is not yaml array of objects",
                                    (content,)))
        if not isinstance(document, yaml.SequenceNode):
            raise ItemError(Message("LOAD_ERR_YAML_VALIDATE", "Rules content is not yaml", (content,)))
        for node in document.value:
            if is_null(node):
                continue
            if not isinstance(node, yaml.MappingNode):
                line, column = node.start_mark.line + 1, node.start_mark.column + 1
                raise ItemError(Message("LOAD_ERR_YAML_VALIDATE",
                                        "Unexpected element type. Each element should be a yaml associative array.",
                                        (content, Location("rules content item", "", file, line, column))))
            keys = mapping_keys(node)
            kind = next((k for k in ITEM_KINDS if k in keys), None)
            item = Item(kind, node, keys, file)
            name_node = keys.get(kind) if kind in ("list", "macro", "rule") else None
            name = name_node.value if isinstance(name_node, yaml.ScalarNode) and not is_null(name_node) else ""
            item_type = {"required_plugin_versions": "required plugin versions",
                         "required_engine_version": "required engine version"}.get(kind, kind or "rules content item")
            item.locations = (content, item.location(item_type, name, node))
            if kind is None:
                item.warn("LOAD_UNKNOWN_ITEM", "Unknown top level item")
            else:
                for key in keys:
                    if key not in EXPECTED_KEYS[kind]:
                        item.warn("LOAD_UNKNOWN_KEY", f"Unknown key '{key}'. The key will be ignored.")
            items.append(item)
    return items
