"""Field transformers (clause FILTER-TRANSFORMERS): what each one accepts, gives and does to a value.

A transformer wraps operands (fields, nested transformers and, for the multi-argument ones,
quoted string constants). Its type rules are checked at compile time with libsinsp's messages;
at evaluation it maps the operands' values to a new value, or to None (no value) when an operand
has none or the transformation fails (`b64` on text that is not base64).

    tolower, toupper   string -> string, ASCII letters only (C locale)
    basename           string -> the text after the last `/` (all of it when there is none)
    b64                string -> the base64 decoding (standard alphabet, padding required)
    len                string -> UINT64 byte length; any list -> its number of elements
    join(sep, list)    the list's elements joined by sep, one string
    concat(a, b, ...)  the strings one after the other (at least two operands)
    getopt(list, opts) getopt(3) over an argument list: options (and their values) as a list;
                       with `[c]` the value (or name) of the last option `c`, no value when absent

The single-operand transformers apply element by element to a list.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass

from reference.contract.field_types import AnyFieldType

STRING = AnyFieldType.STRING
UINT64 = AnyFieldType.UINT64

#: libsinsp's names of the field types, as its messages print them (`param_type_to_string`)
TYPE_NAMES = {AnyFieldType.UINT64: "UINT64", AnyFieldType.STRING: "CHARBUF", AnyFieldType.RELTIME: "RELTIME",
              AnyFieldType.ABSTIME: "ABSTIME", AnyFieldType.BOOL: "BOOL", AnyFieldType.IPADDR: "IPADDR",
              AnyFieldType.IPNET: "IPNET"}


def type_name(field_type: int) -> str:
    return TYPE_NAMES.get(field_type, str(int(field_type)))


class TransformerTypeError(ValueError):
    """An operand a transformer does not accept; the message is libsinsp's."""


@dataclass(frozen=True)
class Shape:
    """The type of an operand's value, and whether it is a list of values of that type."""

    type: int
    is_list: bool = False


def _ascii_map(text: str, offset: int, low: str, high: str) -> str:
    return "".join(chr(ord(c) + offset) if low <= c <= high else c for c in text)


def to_lower(text: str) -> str:
    return _ascii_map(text, 32, "A", "Z")


def to_upper(text: str) -> str:
    return _ascii_map(text, -32, "a", "z")


def base_name(text: str) -> str:
    return text.rsplit("/", 1)[-1]


def b64_decode(text: str) -> str | None:
    try:
        decoded = base64.b64decode(text.encode(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded.decode("utf-8", errors="replace")


_SINGLE: dict[str, Callable[[str], str | None]] = {
    "tolower": to_lower, "toupper": to_upper, "basename": base_name, "b64": b64_decode}


def _each(function: Callable[[str], str | None], value):
    if isinstance(value, tuple):
        results = tuple(function(v) for v in value)
        return None if any(r is None for r in results) else results
    return function(value)


def single_shape(name: str, operand: Shape, operand_text: str) -> Shape:
    """The shape a one-operand transformer gives, or TransformerTypeError."""
    accepted = operand.type == STRING or (name == "len" and operand.is_list)
    if not accepted:
        raise TransformerTypeError(f"can't add field transformer: type '{type_name(operand.type)}' is not supported "
                                   f"by '{name}' transformer applied on field '{operand_text}'")
    if name == "len":
        return Shape(UINT64)
    return operand


def apply_single(name: str, value):
    if name == "len":
        return len(value) if isinstance(value, tuple) else len(value.encode())
    return _each(_SINGLE[name], value)


def _no_argument(name: str, arg: str | None, shape: Shape) -> Shape:
    """The operands are checked first, then the argument (libsinsp's order)."""
    if arg is not None:
        raise TransformerTypeError(f"transformer '{name}' does not support field arguments")
    return shape


def multi_shape(name: str, operands: list[Shape], arg: str | None) -> Shape:
    """The shape of join/concat/getopt over these operands, or TransformerTypeError (libsinsp's texts)."""
    if name == "join":
        if len(operands) != 2:
            raise TransformerTypeError("join() requires exactly 2 arguments: separator and list")
        if operands[0].is_list:
            raise TransformerTypeError("join() first argument (separator) must be a single value, not a list")
        if not operands[1].is_list:
            raise TransformerTypeError("join() second argument must be a list")
        return _no_argument(name, arg, Shape(STRING))
    if name == "concat":
        if len(operands) < 2:
            raise TransformerTypeError("concat() requires at least 2 arguments")
        if any(o.type != STRING or o.is_list for o in operands):
            raise TransformerTypeError("concat() arguments must be strings")
        return _no_argument(name, arg, Shape(STRING))
    if len(operands) != 2:
        raise TransformerTypeError("getopt() requires exactly 2 arguments: args list and optstring")
    if not operands[0].is_list:
        raise TransformerTypeError("getopt() first argument must be a list")
    if operands[1].is_list:
        raise TransformerTypeError("getopt() second argument (optstring) must be a single value")
    if operands[0].type != STRING or operands[1].type != STRING:
        raise TransformerTypeError("getopt() arguments must be strings")
    if arg is not None and len(arg) != 1:
        raise TransformerTypeError("getopt() field argument must be a single option character")
    return Shape(STRING, is_list=arg is None)


def _text(value) -> str:
    return value if isinstance(value, str) else str(value)


def apply_multi(name: str, values: list, arg: str | None):
    """The transformed value; values are the operands' values, none of them None."""
    if name == "join":
        return _text(values[0]).join(_text(v) for v in values[1])
    if name == "concat":
        return "".join(values)
    return getopt(values[0], values[1], arg)


def getopt(args: tuple[str, ...], optstring: str, selector: str | None):
    """getopt(3)-like scan: stops at `--` or the first non-option, skips `--long` options.

    Without a selector: each option name, then its value when it takes one; `?` for an unknown
    option; a missing value is an empty string and ends the scan. With a selector: the value
    (or the name, for an option without value) of the last occurrence, or None.
    """
    body = optstring[1:] if optstring.startswith(":") else optstring
    valid, with_value = set(), set()
    i = 0
    while i < len(body):
        if body[i] != ":":
            valid.add(body[i])
            if i + 1 < len(body) and body[i + 1] == ":":
                with_value.add(body[i])
                i += 1
        i += 1
    results, selected = [], None
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            break
        if len(word) > 2 and word.startswith("--"):
            index += 1
            continue
        if len(word) < 2 or word[0] != "-":
            break
        for position in range(1, len(word)):
            option = word[position]
            if option not in valid:
                if selector is None:
                    results.append("?")
                continue
            wanted = selector is None or option == selector
            if option not in with_value:
                if wanted:
                    selected = option
                    results.append(option)
                continue
            if position + 1 < len(word):
                value = word[position + 1:]
            elif index + 1 < len(args):
                index += 1
                value = args[index]
            else:
                if wanted:
                    selected = ""
                    results.append("")
                break
            if wanted:
                selected = value
                results.extend((option, value))
            break
        index += 1
    if selector is not None:
        return selected
    return tuple(results)
