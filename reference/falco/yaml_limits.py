"""Reading YAML with bounds, for rules files and falco.yaml (clause YAML-LIMITS).

Two things in a small YAML text can cost without bound: nesting (the composer recurses once per
level) and aliases (`&a [*b, *b]` doubles at each level, so 30 lines describe a billion nodes).
Documents are composed with a nesting limit, and a document whose nodes, with every alias counted
as a copy of what it names, exceed a limit is refused before anything walks it. Both refusals are
YAML errors with the position of the node at fault, so callers report them as they report any
YAML syntax error (LOAD_ERR_YAML_PARSE in a rules file, a config error in falco.yaml).
"""
from __future__ import annotations

import re

import yaml
from yaml.composer import ComposerError
from yaml.error import Mark, MarkedYAMLError
from yaml.reader import ReaderError

#: Nested collections allowed in one document (rules files nest about 6 deep, configs about 10).
MAX_YAML_DEPTH = 200
#: Nodes one document may expand to, aliases counted as expanded.
MAX_YAML_NODES = 1_000_000


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader, with a nesting limit in the composer."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        # Only collections nest (a scalar or an alias inside the deepest one is no level of its own).
        nesting = 1 if self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent) else 0
        self._depth += nesting
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise ComposerError(None, None, f"nesting deeper than {MAX_YAML_DEPTH} levels",
                                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= nesting


def expanded_size(root: yaml.Node | None, limit: int = MAX_YAML_NODES) -> int:
    """The nodes `root` stands for with every alias expanded, counted without expanding anything
    (each distinct node once); ComposerError past `limit` or on a node that contains itself."""
    if root is None:
        return 0
    sizes: dict[int, int] = {}
    # Depth first: a node opened and not sized yet is on the path to the node being looked at, so
    # meeting it again means it contains itself.
    opened: set[int] = set()
    pending: list[tuple[yaml.Node, bool]] = [(root, False)]
    while pending:
        node, children_done = pending.pop()
        key = id(node)
        if children_done:
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > limit:
                raise ComposerError(None, None, f"aliases expand this value to more than {limit} nodes",
                                    node.start_mark)
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in opened:
            raise ComposerError(None, None, "an alias refers to a value that contains it", node.start_mark)
        opened.add(key)
        pending.append((node, True))
        pending.extend((child, False) for child in _children(node))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


#: What PyYAML counts as a line break when it numbers lines.
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def _loader(text: str) -> _BoundedLoader:
    """A loader for `text`. A character YAML does not allow (a control character) is refused before any
    parsing, by an error that has no line; it is given one here, so that callers report it as they report
    a syntax error: with its line and column, not as PyYAML's multi-line report."""
    try:
        return _BoundedLoader(text)
    except ReaderError as exc:
        before = text[:exc.position]
        breaks = _LINE_BREAK.findall(before)
        line_start = max((m.end() for m in _LINE_BREAK.finditer(before)), default=0)
        mark = Mark("<unicode string>", exc.position, len(breaks), exc.position - line_start, None, None)
        raise MarkedYAMLError(None, None, str(exc).split("\n")[0], mark) from None


def compose_all(text: str) -> list[yaml.Node]:
    """Every document of `text`, bounded in nesting and expanded size; yaml.YAMLError otherwise."""
    loader = _loader(text)
    try:
        documents = []
        while loader.check_node():
            document = loader.get_node()
            expanded_size(document)
            documents.append(document)
        return documents
    finally:
        loader.dispose()


def compose(text: str) -> yaml.Node | None:
    """The single document of `text` (None if empty), bounded as compose_all."""
    loader = _loader(text)
    try:
        document = loader.get_single_node()
        expanded_size(document)
        return document
    finally:
        loader.dispose()
