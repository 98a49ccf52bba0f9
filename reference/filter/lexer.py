"""Tokens of the filter language, read from a cursor over the text (clause FILTER-GRAMMAR).

The language is lexed on demand, as libsinsp's hand-written parser does: what a piece of text
is depends on where the parser stands (`x.y` is a field on the left of an operator and a plain
value on the right). Token shapes are those of libsinsp's parser (POSIX classes written as Python
regular expressions).
"""
from __future__ import annotations

import bisect
import re

from reference.filter.errors import FilterError, Position

BLANKS = " \t\b\r\n"
IDENTIFIER = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*")
FIELD_NAME = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+")
BARE_ARGUMENT = re.compile(r"""[^][\"'\s]+""")
BARE_STRING = re.compile(r"""[^()"'\s=,]+""")
NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|[+\-]?[0-9]+[.]?[0-9]*([eE][+\-][0-9]+)?")

UNARY_OPERATORS = ("exists",)
NUMERIC_OPERATORS = ("<=", "<", ">=", ">")
STRING_OPERATORS = ("==", "=", "!=", "glob", "iglob", "contains", "icontains", "bcontains", "startswith",
                    "bstartswith", "endswith", "regex")
LIST_OPERATORS = ("intersects", "in", "pmatch")
ALL_OPERATORS = UNARY_OPERATORS + NUMERIC_OPERATORS + STRING_OPERATORS + LIST_OPERATORS

#: Transformers of one field (clause FILTER-TRANSFORMERS); each name must touch its `(`.
SINGLE_TRANSFORMERS = ("tolower", "toupper", "b64", "basename", "len")
#: Transformers of several operands, separated by commas.
MULTI_TRANSFORMERS = ("join", "concat", "getopt")
TRANSFORMERS = SINGLE_TRANSFORMERS + MULTI_TRANSFORMERS
#: `val(field)`: a right-hand side field (clause FILTER-VAL).
VAL = "val"
#: Words between a string operator and a list (clause FILTER-MODIFIERS).
MODIFIERS = ("oneof", "anyof", "allof")


class Cursor:
    """A position in the filter text, with the lexing helpers the parser needs."""

    def __init__(self, text: str):
        self.text = text
        self.idx = 0
        self.last_token = ""
        self._line_breaks: list[int] | None = None

    def position(self, idx: int | None = None) -> Position:
        idx = self.idx if idx is None else idx
        if self._line_breaks is None:  # once per text, so positions cost O(log n), not O(n)
            self._line_breaks = [i for i, c in enumerate(self.text) if c in "\r\n"]
        line = bisect.bisect_left(self._line_breaks, idx)  # the breaks before idx
        start = self._line_breaks[line - 1] + 1 if line else 0
        return Position(idx, line + 1, idx - start + 1)

    def error(self, message: str, idx: int | None = None) -> FilterError:
        return FilterError(message, self.position(idx), "FILTER-GRAMMAR")

    def at_end(self) -> bool:
        return self.idx >= len(self.text)

    def peek(self, literal: str) -> bool:
        return self.text.startswith(literal, self.idx)

    def literal(self, literal: str) -> bool:
        if self.peek(literal):
            self.idx += len(literal)
            self.last_token = literal
            return True
        return False

    def blank(self) -> bool:
        """Skip blanks; True if there were any."""
        start = self.idx
        while self.idx < len(self.text) and self.text[self.idx] in BLANKS:
            self.idx += 1
        return self.idx > start

    def regex(self, pattern: re.Pattern) -> str | None:
        match = pattern.match(self.text, self.idx)
        if not match:
            return None
        self.idx = match.end()
        self.last_token = match.group(0)
        return self.last_token

    def operator(self) -> str | None:
        """The check operator here; word operators need a blank after them."""
        for op in ALL_OPERATORS:
            if self.peek(op):
                after = self.idx + len(op)
                wordy = op[0].isalpha()
                needs_blank = wordy and op not in LIST_OPERATORS and op not in UNARY_OPERATORS
                if needs_blank and (after >= len(self.text) or self.text[after] not in BLANKS):
                    continue
                self.idx = after
                self.last_token = op
                return op
        return None

    def transformer_name(self, names: tuple[str, ...]) -> str | None:
        """One of `names` directly followed by `(` (both consumed), or None."""
        for name in names:
            if self.peek(name + "("):
                self.idx += len(name) + 1
                self.last_token = name + "("
                return name
        return None

    def quoted_string(self) -> str | None:
        """A "..." or '...' string, unescaped (clause FILTER-ESCAPES); None if none starts here."""
        if self.idx >= len(self.text) or self.text[self.idx] not in "\"'":
            return None
        delimiter = self.text[self.idx]
        end = self.idx + 1
        while True:
            end = self.text.find(delimiter, end)
            if end < 0:
                raise self.error(f"unterminated {delimiter}-quoted string")
            if self.text[end - 1] != "\\":
                break
            end += 1
        start = self.idx
        raw = self.text[start + 1:end]
        self.idx = end + 1
        self.last_token = self.text[start:self.idx]
        return unescape(raw, delimiter, self, start)


_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "\\": "\\", "/": "/"}


def unescape(raw: str, delimiter: str, cursor: Cursor, start: int) -> str:
    out = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = raw[i + 1]  # raw never ends in a backslash: quoted_string closes only at a delimiter not after one
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
        elif e == " ":
            out.append("\\")  # libsinsp quirk: backslash-space is one backslash
        elif e in "\"'":
            if e != delimiter:
                other = "'" if e == '"' else '"'
                raise cursor.error(f"invalid \\{e} escape in {other}-quoted string", start)
            out.append(e)
        elif e == "x":
            digits = raw[i + 2:i + 4]
            if len(digits) < 2:
                raise cursor.error("truncated hex char escape sequence", start)
            if not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise cursor.error(f"invalid hex char escape sequence: {digits}", start)
            out.append(chr(int(digits, 16)))
            i += 2
        else:
            raise cursor.error(f"unsupported string escape sequence: \\{e}", start)
        i += 2
    return "".join(out)
