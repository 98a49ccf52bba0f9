"""The AST of a condition, and its printing (clause FILTER-PRINT).

Printing follows Falco's `condition_compiled` form: `(a and b)`, `not a`, `<field> <op> <value>`,
lists as `(v1, v2)`, values quoted and escaped only when they must be, so that parsing the
printed text gives the same tree back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from reference.filter.depth import depth_limited
from reference.filter.errors import Position


@dataclass(frozen=True)
class FieldRef:
    name: str
    arg: str | None = None  # None: no brackets; "" is an empty but present argument

    def text(self) -> str:
        if self.arg is None:
            return self.name
        bare = re.fullmatch(r"""[^][\"'\s]+""", self.arg)
        return f"{self.name}[{self.arg if bare else quote(self.arg)}]"


@dataclass(frozen=True)
class ListValue:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Identifier:
    """A bare word where a check or a list may stand: a macro or list name for the Falco layer."""

    name: str
    position: Position | None = None

    def __eq__(self, other):
        return isinstance(other, Identifier) and other.name == self.name

    def __hash__(self):
        return hash(("identifier", self.name))


@dataclass(frozen=True)
class Check:
    field: FieldRef
    op: str
    value: str | ListValue | Identifier | None = None  # None for `exists`
    position: Position | None = None

    def __eq__(self, other):
        return isinstance(other, Check) and (self.field, self.op, self.value) == (other.field, other.op, other.value)

    def __hash__(self):
        return hash((self.field, self.op, self.value))


@dataclass(frozen=True)
class Not:
    child: "Node"


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


Node = And | Or | Not | Check | Identifier

_MUST_QUOTE = re.compile(r"""[\s=\\"'\0()\,]""")
_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\", '"': '\\"'}


def quote(value: str) -> str:
    text = "".join(_ESCAPES.get(c, c) for c in value)
    if text.endswith("\\"):
        # A quote right after a backslash does not close the string; "\ " also reads as one backslash.
        text = text[:-2] + "\\ "
    return '"' + text + '"'


def value_text(value: str) -> str:
    """A value as it can be written back: bare when the lexer would read it back whole."""
    if value == "" or _MUST_QUOTE.search(value):
        return quote(value)
    return value


@depth_limited
def to_text(node: Node) -> str:
    if isinstance(node, (And, Or)):
        joiner = " and " if isinstance(node, And) else " or "
        return "(" + joiner.join(to_text(child) for child in node.children) + ")"
    if isinstance(node, Not):
        inner = to_text(node.child)
        # "not not x" would read back as x: keep an inner negation in brackets.
        return f"not ({inner})" if isinstance(node.child, Not) else f"not {inner}"
    if isinstance(node, Identifier):
        return node.name
    text = f"{node.field.text()} {node.op}"
    if isinstance(node.value, ListValue):
        text += " (" + ", ".join(value_text(v) for v in node.value.items) + ")"
    elif isinstance(node.value, Identifier):
        text += f" {node.value.name}"
    elif node.value is not None:
        text += f" {value_text(node.value)}"
    return text
