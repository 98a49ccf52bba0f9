"""Fields: what a plugin's get_fields JSON declares, and the framework's built-in event fields.

Clause FIELDS-JSON. Error texts are those of the 0.3.0 loader (`resolve_dylib_symbols`),
including their trailing spaces. libsinsp reads every key with a default, so a key whose value is
JSON `null` is the same as an absent one: plugin-sdk-go v0.1.0 writes `"properties":null` for
every field, and hand-written plugins of the time `"argRequired":null` or `"display":null`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from reference.contract.v0_3 import FIELD_TYPE_NAMES, FieldType

#: Fields the framework itself defines for every plugin event (clause FIELD-OVERLAP).
BUILTIN_EVENT_FIELDS = (
    "evt.num",
    "evt.time",
    "evt.time.s",
    "evt.time.iso8601",
    "evt.datetime",
    "evt.datetime.s",
    "evt.rawtime",
    "evt.rawtime.s",
    "evt.rawtime.ns",
    "evt.reltime",
    "evt.reltime.s",
    "evt.reltime.ns",
    "evt.pluginname",
    "evt.plugininfo",
    "evt.source",
    "evt.is_async",
    "evt.asynctype",
    "evt.hostname",
)


class FieldsError(ValueError):
    """get_fields output breaks FIELDS-JSON; the message is the loader's text without the plugin."""


@dataclass(frozen=True)
class FieldInfo:
    """One entry of get_fields. `field_id` is its index, which extract_fields receives."""

    field_id: int
    name: str
    type: FieldType
    desc: str
    display: str = ""
    arg_required: bool = False
    properties: tuple[str, ...] = ()
    is_list: bool = False

    @property
    def hidden(self) -> bool:
        return "hidden" in self.properties


def _required_string(entry: dict, key: str) -> str:
    value = entry.get(key)
    if value is None or value == "":
        raise FieldsError(f"field JSON entry has no {key}")
    if not isinstance(value, str):
        # jsoncpp would throw its own exception here; plugref names the key instead.
        raise FieldsError(f"field JSON entry {key} is not a string")
    return value


def optional_key(entry: dict, key: str, default):
    """An optional key's value; absent and `null` both give the default."""
    value = entry.get(key)
    return default if value is None else value


def fields_json_entries(text: str | None) -> list:
    """get_fields output as a JSON array (every contract): NULL and anything else refused."""
    if text is None:
        raise FieldsError("get_fields returned a null string")
    try:
        entries = json.loads(text)
    except (ValueError, RecursionError):
        raise FieldsError("get_fields returned an invalid JSON") from None
    if not isinstance(entries, list):
        raise FieldsError("get_fields returned an invalid JSON")
    return entries


def entry_basics(entry, type_names) -> tuple[str, str, str]:
    """An entry's required keys, every contract alike: (type, name, desc), the type one of `type_names`."""
    if not isinstance(entry, dict):
        raise FieldsError("field JSON entry is not an object")
    type_name = _required_string(entry, "type")
    name = _required_string(entry, "name")
    desc = _required_string(entry, "desc")
    if type_name not in type_names:
        raise FieldsError(f"invalid field type {type_name}")
    return type_name, name, desc


def parse_fields_json(text: str | None) -> list[FieldInfo]:
    """Validate get_fields output and return its entries (clause FIELDS-JSON)."""
    entries = fields_json_entries(text)
    fields = []
    for field_id, entry in enumerate(entries):
        type_name, name, desc = entry_basics(entry, FIELD_TYPE_NAMES)
        display = optional_key(entry, "display", "")
        if not isinstance(display, str):
            raise FieldsError(f"field {name} display property is not string ")
        arg_required = optional_key(entry, "argRequired", False)
        if not isinstance(arg_required, bool):
            raise FieldsError(f"field {name} argRequired property is not boolean ")
        properties = optional_key(entry, "properties", [])
        if not isinstance(properties, list):
            raise FieldsError(f"field {name} properties property is not array ")
        if not all(isinstance(p, str) for p in properties):
            raise FieldsError(f"field {name} properties value is not string ")
        fields.append(
            FieldInfo(field_id, name, FIELD_TYPE_NAMES[type_name], desc, display, arg_required,
                      tuple(properties))
        )
    return fields

