"""Output templates: `-p` formats and rule outputs (clause OUTPUT-FORMAT).

A format is literal text with tokens `%field`, `%field[arg]`, `%transformer(...)` and `%N...` (N: a
fixed width, the value padded with spaces or cut). Every `%` starts a token; text without `%` is
kept verbatim. A field token is the longest name after `%` that is a field of the source (so
`%x.wordand` is `x.word` then `and`); a transformer token is the transformer expression of the
filter language (clause OUTPUT-TRANSFORMERS). A leading `*` prints a missing value as `<NA>`
(clause OUTPUT-MISSING); without it an event with a missing value prints nothing at all. Values
print by type (clause OUTPUT-VALUES). JSON output maps each field token (`name` or `name[arg]`),
and each field inside a transformer token, to its typed value, `null` when missing (clause
OUTPUT-JSON).
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from reference.host.event_fields import EventContext, ExtractionPlan, FieldRequest, FieldTable, ResolvedField
from reference.filter.ast import FieldRef, Transformer
from reference.filter.compiler import Operand, OperandCompiler
from reference.filter.errors import FilterError
from reference.filter.lexer import BARE_ARGUMENT, FIELD_NAME, TRANSFORMERS, Cursor
from reference.filter.parser import parse_transformer

NOT_AVAILABLE = "<NA>"
#: The widest `%Nfield` (clause OUTPUT-WIDTH-LIMIT): a value padded to it is still one line.
MAX_FIELD_WIDTH = 4096


class FormatError(FilterError):
    """A format that cannot be compiled; the messages are sysdig's."""

    def __init__(self, message: str):
        super().__init__(message, None, "OUTPUT-FORMAT")
        self.message = message
        self.args = (message,)


def _shortened(text: str, keep: int = 20) -> str:
    return text if len(text) <= keep else text[:keep] + "..."


@dataclass(frozen=True)
class Token:
    ref: FieldRef | Transformer
    #: the field a field token designates (None for a transformer token)
    resolved: ResolvedField | None
    width: int | None
    operand: Operand

    @property
    def key(self) -> str:
        return self.ref.text()

    @property
    def json_fields(self) -> tuple[FieldRef, ...]:
        """The JSON keys it gives: the field itself, or the fields inside a transformer (as Falco does)."""
        return self.operand.fields


def ipv6_text(address: ipaddress.IPv6Address) -> str:
    """inet_ntop's text: like Python's, but an embedded IPv4 address (mapped or compatible) is dotted."""
    packed = address.packed
    if address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    if packed[:12] == bytes(12) and packed[12:14] != b"\0\0":
        return f"::{ipaddress.IPv4Address(packed[12:])}"
    return str(address)


def display(value) -> str:
    """A value as text output prints it (libsinsp's rawval_to_string, plugin fields in decimal)."""
    if type(value) is str or type(value) is int:  # the common cases first (not bool: a subclass of int)
        return str(value)
    if isinstance(value, ipaddress.IPv6Address):
        return ipv6_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return "<IPNET>"
    if isinstance(value, tuple):
        return "(" + ",".join(display(v) for v in value) + ")"
    return str(value)


def json_value(value):
    """A value as JSON output gives it: numbers, booleans, strings, arrays for lists."""
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    return display(value)


class Formatter:
    """A compiled format for the events of one source."""

    def __init__(self, text: str, table: FieldTable, plan: ExtractionPlan | None = None):
        self.text = text
        self.plan = plan if plan is not None else ExtractionPlan()
        self.keep_missing = text.startswith("*")
        self.operands = OperandCompiler(table, self.plan)
        self.parts: list[str | Token] = []
        self._parse(text[1:] if self.keep_missing else text, table)
        # Each part, built once: literal text, or a token with what gives its value, how it prints, its width.
        self._pieces = [(part, None, None, None) if isinstance(part, str) else
                        (None, part.operand.value, self._printer(part), part.width)
                        for part in self.parts]
        # The JSON keys of each token and the prepared request of each, built once per format.
        self._json_keys = {id(token): [(ref.text(), self.plan.add(table.resolve(ref.name), ref.arg or ""))
                                       for ref in token.json_fields] for token in self.tokens()}

    def _parse(self, text: str, table: FieldTable) -> None:
        literal, i = [], 0
        while i < len(text):
            if text[i] != "%":
                literal.append(text[i])
                i += 1
                continue
            if literal:
                self.parts.append("".join(literal))
                literal = []
            i += 1
            width_match = re.compile(r"[0-9]+").match(text, i)
            digits = width_match.group(0).lstrip("0") if width_match else ""
            # A width of zero is no width, as sysdig 0.29 prints it (`%0evt.num` is the whole number).
            # Many digits are too wide before they are a number (int() refuses over 4300 digits).
            width = (int(digits) if len(digits) <= 9 else MAX_FIELD_WIDTH + 1) if digits else None
            if width is not None and width > MAX_FIELD_WIDTH:
                raise FormatError(f"invalid formatting syntax: field width {_shortened(width_match.group(0))} exceeds the "
                                  f"maximum of {MAX_FIELD_WIDTH}")
            i = width_match.end() if width_match else i
            if i >= len(text):
                raise FormatError("invalid formatting syntax: formatting cannot end with a number" if width_match
                                  else "invalid formatting syntax: formatting cannot end with a %")
            token, i = self._token(text, i, table, width)
            self.parts.append(token)
        if literal:
            self.parts.append("".join(literal))

    def _token(self, text: str, i: int, table: FieldTable, width: int | None) -> tuple[Token, int]:
        if any(text.startswith(name + "(", i) for name in TRANSFORMERS):
            return self._transformer_token(text, i, width)
        match = FIELD_NAME.match(text, i)
        if not match:
            raise FormatError(f"invalid formatting token {text[i:]}")
        # The longest prefix of the name that is a field of this source.
        for end in range(match.end(), i, -1):
            resolved = table.resolve(text[i:end])
            if resolved is not None:
                break
        else:
            raise FormatError(f"invalid formatting token {text[i:]}")
        name, start, i = text[i:end], i, end
        arg = None
        read_argument = getattr(resolved.info, "read_argument", None)  # 3.x fields (V3-FIELD-ARGS)
        if read_argument is not None:
            try:
                arg, taken = read_argument(text[start:])
            except ValueError as exc:
                raise FormatError(str(exc)) from None
            i = start + taken
        elif text.startswith("[", i):
            cursor = Cursor(text)
            cursor.idx = i + 1
            arg = cursor.quoted_string()
            if arg is None:
                arg = cursor.regex(BARE_ARGUMENT)
            if arg is None or not cursor.literal("]"):
                raise FormatError(f"invalid field argument in {text[i - len(name):]}")
            i = cursor.idx
        ref = FieldRef(name, arg)
        try:
            operand = self.operands.operand(ref, None)
        except FilterError as exc:
            raise FormatError(exc.reason) from None
        return Token(ref, resolved, width, operand), i

    def _transformer_token(self, text: str, i: int, width: int | None) -> tuple[Token, int]:
        """`%toupper(x.word)` and the like (clause OUTPUT-TRANSFORMERS)."""
        try:
            node, end = parse_transformer(text, i)
            operand = self.operands.operand(node, None)
        except FilterError as exc:
            raise FormatError(f"invalid formatting token {text[i:]}: {exc.reason}") from None
        return Token(node, None, width, operand), end

    def _json_requests(self, token: Token) -> list[tuple[str, FieldRequest]]:
        return self._json_keys[id(token)]

    def tokens(self) -> list[Token]:
        return [p for p in self.parts if isinstance(p, Token)]

    @staticmethod
    def _printer(token: Token):
        """How a token's values print: a built-in's own way (evt.rawtime.ns: 9 digits), else by type."""
        builtin = token.resolved.builtin if token.resolved is not None else None
        return builtin.display if builtin is not None and builtin.display else display

    def format(self, context: EventContext) -> str | None:
        """The line for this event, or None when a value is missing and the format has no `*`."""
        out = []
        for literal, value_of, printer, width in self._pieces:
            if literal is not None:
                out.append(literal)
                continue
            value = value_of(context)
            if value is None:
                if not self.keep_missing:
                    return None
                text = NOT_AVAILABLE
            else:
                text = printer(value)
            if width is not None:
                text = text[:width].ljust(width)
            out.append(text)
        return "".join(out)

    def values(self, context: EventContext) -> dict[str, str | int | None] | None:
        """Token -> typed value, for JSON output (time fields as raw ns); None as `format` gives None."""
        values = {}
        for token in self.tokens():
            if token.operand.value(context) is None and not self.keep_missing:
                return None
            for key, request in self._json_requests(token):
                builtin = request.resolved.builtin
                if builtin is not None and builtin.json_is_timestamp:
                    value = context.event.ts
                else:
                    value = json_value(context.value(request))
                values[key] = value
        return values
