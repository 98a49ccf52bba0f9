"""Output templates: `-p` formats and rule outputs (clause OUTPUT-FORMAT).

A format is literal text with tokens `%field`, `%field[arg]` and `%Nfield` (N: a fixed width, the
value padded with spaces or cut). Every `%` starts a token. A token is the longest name after `%`
that is a field of the source (so `%x.wordand` is `x.word` then `and`). A leading `*` prints a
missing value as `<NA>` (clause OUTPUT-MISSING); without it an event with a missing value prints
nothing at all. JSON output maps each token (`name` or `name[arg]`) to its typed value, `null`
when missing (clause OUTPUT-JSON).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from reference.host.event_fields import EventContext, ExtractionPlan, FieldTable, ResolvedField
from reference.filter.ast import FieldRef
from reference.filter.errors import FilterError
from reference.filter.lexer import BARE_ARGUMENT, FIELD_NAME, Cursor

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
    ref: FieldRef
    resolved: ResolvedField
    width: int | None

    @property
    def key(self) -> str:
        return self.ref.text()


class Formatter:
    """A compiled format for the events of one source."""

    def __init__(self, text: str, table: FieldTable, plan: ExtractionPlan | None = None):
        self.text = text
        self.plan = plan if plan is not None else ExtractionPlan()
        self.keep_missing = text.startswith("*")
        self.parts: list[str | Token] = []
        self._parse(text[1:] if self.keep_missing else text, table)

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
            # Many digits are too wide before they are a number (int() refuses over 4300 digits).
            width = (int(digits or "0") if len(digits) <= 9 else MAX_FIELD_WIDTH + 1) if width_match else None
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
        name, i = text[i:end], end
        arg = None
        if text.startswith("[", i):
            cursor = Cursor(text)
            cursor.idx = i + 1
            arg = cursor.quoted_string()
            if arg is None:
                arg = cursor.regex(BARE_ARGUMENT)
            if arg is None or not cursor.literal("]"):
                raise FormatError(f"invalid field argument in {text[i - len(name):]}")
            i = cursor.idx
        if resolved.builtin is not None and arg is not None:
            raise FormatError(f"{name} does not allow nor require an argument but one is provided: {arg}")
        if resolved.arg_required and not arg:
            raise FormatError(f"{name} requires an argument but none provided")
        self.plan.add(resolved, arg or "")
        return Token(FieldRef(name, arg), resolved, width), i

    def tokens(self) -> list[Token]:
        return [p for p in self.parts if isinstance(p, Token)]

    def format(self, context: EventContext) -> str | None:
        """The line for this event, or None when a value is missing and the format has no `*`."""
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = context.value(part.resolved, part.ref.arg or "")
            if value is None:
                if not self.keep_missing:
                    return None
                text = NOT_AVAILABLE
            else:
                display = part.resolved.builtin.display if part.resolved.builtin else None
                text = display(value) if display else str(value)
            if part.width is not None:
                text = text[:part.width].ljust(part.width)
            out.append(text)
        return "".join(out)

    def values(self, context: EventContext) -> dict[str, str | int | None] | None:
        """Token -> typed value, for JSON output (time fields as raw ns); None as `format` gives None."""
        values = {}
        for token in self.tokens():
            builtin = token.resolved.builtin
            if builtin is not None and builtin.json_is_timestamp:
                value = context.event.ts
            else:
                value = context.value(token.resolved, token.ref.arg or "")
            if value is None and not self.keep_missing:
                return None
            values[token.key] = value
        return values
