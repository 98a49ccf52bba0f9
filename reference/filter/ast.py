"""The AST of a condition, and its printing (clause FILTER-PRINT).

Printing follows Falco's `condition_compiled` form: `(a and b)`, `not a`, `<field> <op> <value>`,
lists as `(v1, v2)`, transformers as `name(a,b)` then `[arg]`, values quoted and escaped only when
they must be, so that parsing the printed text gives the same tree back.
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
        return self.name + argument_text(self.arg)


@dataclass(frozen=True)
class Literal:
    """A string constant given as an argument of a multi-argument transformer (`join(",", x.list)`)."""

    value: str

    def text(self) -> str:
        return quote(self.value)


@dataclass(frozen=True)
class Transformer:
    """`name(operand, ...)` with an optional `[arg]` after the closing bracket (clause FILTER-TRANSFORMERS).

    `val(x.y)` is a Transformer named `val` too: it marks a right-hand side field (clause FILTER-VAL).
    """

    name: str
    operands: tuple["Operand", ...]
    arg: str | None = None

    def text(self) -> str:
        inner = ",".join(operand.text() for operand in self.operands)
        return f"{self.name}({inner})" + argument_text(self.arg)


Operand = FieldRef | Transformer | Literal


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
    field: FieldRef | Transformer
    op: str
    value: str | ListValue | Identifier | Transformer | None = None  # None for `exists`
    position: Position | None = None
    #: `oneof`, `anyof` or `allof` between a string operator and its list (clause FILTER-MODIFIERS)
    modifier: str | None = None
    #: Where the value starts (one position per item of a list), for errors about a value.
    value_positions: tuple[Position, ...] = ()

    def _key(self):
        return self.field, self.op, self.value, self.modifier

    def __eq__(self, other):
        return isinstance(other, Check) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())


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


def argument_text(arg: str | None) -> str:
    """`[arg]` as written after a field or a transformer; nothing when there is no argument."""
    if arg is None:
        return ""
    bare = re.fullmatch(r"""[^][\"'\s]+""", arg)
    return f"[{arg if bare else quote(arg)}]"


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


def _to_text(node: Node) -> str:
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
    if node.modifier is not None:
        text += f" {node.modifier}"
    if isinstance(node.value, ListValue):
        text += " (" + ", ".join(value_text(v) for v in node.value.items) + ")"
    elif isinstance(node.value, Identifier):
        text += f" {node.value.name}"
    elif isinstance(node.value, Transformer):
        text += f" {node.value.text()}"
    elif node.value is not None:
        text += f" {value_text(node.value)}"
    return text


#: The printed condition (FILTER-PRINT), within the depth limit (FILTER-DEPTH). Wrapped rather than decorated
#: so that mutation testing (which leaves decorated functions alone) reaches the printer.
to_text = depth_limited(_to_text)
