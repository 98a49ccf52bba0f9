"""Fields of the 3.x contract: get_fields JSON as libs HEAD validates it, and field arguments.

Clauses V3-FIELDS-JSON (api §3.3, HEAD column) and V3-FIELD-ARGS (api §4.4, 1.x-3.x). Messages
are libs' texts, trailing spaces included; the caller prefixes `error in plugin <name>: `. As in
0.3.0, a key whose value is JSON `null` is an absent one: libs HEAD reads each optional key with a
null default and checks its type only when it is not null.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from reference.contract.field_types import ANY_FIELD_TYPE_NAMES, AnyFieldType
from reference.contract.fields import FieldInfo, FieldsError, entry_basics, fields_json_entries, optional_key

#: Past this an index is not representable on 64 bits.
_MAX_INDEX = 2**64 - 1


@dataclass(frozen=True)
class FieldInfoV3(FieldInfo):
    """A get_fields entry of a 3.x plugin. `arg_required` is `arg.isRequired`."""

    is_list: bool = False
    is_index: bool = False
    is_key: bool = False
    add_output: bool = False

    @property
    def arg_allowed(self) -> bool:
        return self.is_index or self.is_key

    def argument_error(self, arg: str | None) -> str | None:
        """The V3-FIELD-ARGS error of writing this field with `arg` ("" or None: no brackets), or None."""
        try:
            parse_argument(self, arg or None)
        except FieldArgumentError as exc:
            return str(exc)
        return None

    def read_argument(self, text: str) -> tuple[str | None, int]:
        """The argument of this field in a format, read as libs HEAD reads it (`split_argument`)."""
        return split_argument(self, text)


def _flag(container: dict, key: str, message: str) -> bool:
    value = optional_key(container, key, False)
    if not isinstance(value, bool):
        raise FieldsError(message)
    return value


def parse_fields_json_v3(text: str | None) -> list[FieldInfoV3]:
    """Validate 3.x get_fields output (V3-FIELDS-JSON) and return its entries."""
    entries = fields_json_entries(text)
    if not entries:
        raise FieldsError("plugins with extraction capability must export at least one field")
    fields = []
    for field_id, entry in enumerate(entries):
        type_name, name, desc = entry_basics(entry, ANY_FIELD_TYPE_NAMES)
        display = optional_key(entry, "display", "")
        if not isinstance(display, str):
            raise FieldsError(f"field {name} display property is not string ")
        is_list = _flag(entry, "isList", f"field {name} isList property is not boolean ")
        add_output = _flag(entry, "addOutput", f"field {name} addOutput property is not boolean ")
        arg = optional_key(entry, "arg", {})
        if not isinstance(arg, dict):
            # libs reads the members of a non-object as absent; plugref names it instead.
            raise FieldsError(f"field {name} arg property is not an object")
        is_required = _flag(arg, "isRequired", f"field {name} isRequired property is not boolean")
        is_index = _flag(arg, "isIndex", f"field {name} isIndex property is not boolean")
        is_key = _flag(arg, "isKey", f"field {name} isKey property is not boolean")
        if is_required and not (is_index or is_key):
            raise FieldsError(f"field {name} arg has isRequired true, but none of isKey nor isIndex is true")
        properties = optional_key(entry, "properties", [])
        if not isinstance(properties, list):
            raise FieldsError(f"field {name} properties property is not array ")
        if not all(isinstance(p, str) for p in properties):
            raise FieldsError(f"field {name} properties value is not string ")
        # HEAD ignores the 0.3.0 top-level `argRequired`.
        fields.append(FieldInfoV3(field_id, name, ANY_FIELD_TYPE_NAMES[type_name], desc, display, is_required,
                                  tuple(properties), is_list, is_index, is_key, add_output))
    return fields


class FieldArgumentError(ValueError):
    """A field argument libs refuses at filter-compile time (V3-FIELD-ARGS)."""


_DIGITS = re.compile(r"[0-9]+")
#: What libsinsp's `trim` takes off both ends of the text it reads an argument from.
_BLANKS = " \t\n\r\f\v"


def split_argument(info: FieldInfoV3, text: str) -> tuple[str | None, int]:
    """The argument libs HEAD's plugin filtercheck reads from `text`, and how much of it the field takes.

    `text` starts with the field's name: the rest of a format from the field on, or a filter's
    `name[arg]`. Only the text before the first space counts; the argument runs from the first `[`
    to the next `]`. A `[` that does not follow the name belongs to no argument. Raises
    FieldArgumentError with libs' bracket messages (V3-FIELD-ARGS).
    """
    name = info.name
    word = text.split(" ", 1)[0].strip(_BLANKS)
    opening = word.find("[")
    if opening != len(name):
        return None, len(name)
    if opening + 1 >= len(word):
        raise FieldArgumentError(f"filter '{text}': {name} terminates with incomplete argument brackets")
    closing = word.find("]", opening + 1)
    if closing < 0:
        raise FieldArgumentError(f"filter '{text}': {name} has unbalanced argument brackets")
    return word[opening + 1:closing], closing + 1


def parse_argument(info: FieldInfoV3, arg: str | None, text: str | None = None) -> tuple[str | None, int, bool]:
    """(arg_key, arg_index, arg_present) for field `info` written with argument `arg`.

    `arg` is the text between the brackets, None without brackets; `text` is the whole field
    reference for the messages (default `name[arg]`). Index rules apply only to fields that are
    isIndex and not also isKey; a field that is both gets the key and, when numeric, the index.
    """
    present = arg is not None
    full = text or (f"{info.name}[{arg}]" if present else info.name)
    if present:
        # libs rebuilds `name[arg]` and reads it back: a blank or a `]` inside the argument cuts it.
        arg, _ = split_argument(info, full)
    if not present:
        if info.arg_required:
            raise FieldArgumentError(f"filter '{full}': {info.name} requires an argument but none provided")
        return None, 0, False
    if not info.arg_allowed:
        raise FieldArgumentError(f"filter '{full}': {info.name} does not allow nor require an argument "
                                 f"but one is provided: {arg}")
    index = 0
    if info.is_index:
        numeric = _DIGITS.fullmatch(arg) is not None
        if not info.is_key:
            if not numeric:
                raise FieldArgumentError(f"filter {full} {info.name} has an invalid index argument not "
                                         f"composed only by digits: {arg}")
            if len(arg) > 1 and arg.startswith("0"):
                raise FieldArgumentError(f"filter {full} {info.name} has an invalid index argument starting "
                                         f"with 0: {arg}")
            if int(arg) > _MAX_INDEX:
                raise FieldArgumentError(f"filter {full} {info.name} has an invalid index argument not "
                                         f"representable on 64 bit: {arg}")
        if numeric and int(arg) <= _MAX_INDEX:
            index = int(arg)
    return (arg if info.is_key else None), index, True

