"""A JSON extractor plugin (like the registry's `json`): applies to every event source.

`json.value[/a/b/0]` follows an RFC 6901 pointer; a string comes out as is, any other value as
compact JSON; the empty pointer gives the whole document. Payloads that are not JSON, and
pointers that do not resolve, give no value: an extractor that names no event source sees every
event and must answer "no value" to what it does not understand (clause EXT-SOURCES).
"""
from __future__ import annotations

import json

from reference.contract.v0_3 import Event
from reference.sdk import ExtractorPlugin, field

_MISSING = object()


def resolve_pointer(document: object, pointer: str) -> object:
    """RFC 6901: the value `pointer` designates in `document`, or _MISSING."""
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        return _MISSING
    current = document
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict):
            if token not in current:
                return _MISSING
            current = current[token]
        elif isinstance(current, list):
            if not token.isdigit() or (len(token) > 1 and token[0] == "0") or int(token) >= len(current):
                return _MISSING
            current = current[int(token)]
        else:
            return _MISSING
    return current


def _parse(event: Event) -> object:
    if not event.data[:1] in (b"{", b"["):
        return _MISSING
    try:
        return json.loads(event.data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _MISSING


class JsonExtractor(ExtractorPlugin):
    name = "json"
    description = "Extracts values from events whose payload is a JSON document"
    contact = "https://example.invalid/plugref"
    version = "0.1.0"

    def init(self, config: str) -> None:
        self._cached: tuple[int, bytes, object] | None = None

    def _document(self, event: Event) -> object:
        # Several fields of one event are extracted in a row: parse each payload once.
        if self._cached is None or self._cached[:2] != (event.evtnum, event.data):
            self._cached = (event.evtnum, event.data, _parse(event))
        return self._cached[2]

    @field("json.value", "string", "The value an RFC 6901 pointer designates, e.g. json.value[/user/name]",
           arg_required=True)
    def value(self, event: Event, arg: str) -> str | None:
        found = resolve_pointer(self._document(event), arg)
        if found is _MISSING:
            return None
        if isinstance(found, str):
            return found
        return json.dumps(found, separators=(",", ":"), ensure_ascii=False)

    @field("json.obj", "string", "The whole document, indented")
    def obj(self, event: Event, arg: str) -> str | None:
        document = self._document(event)
        return None if document is _MISSING else json.dumps(document, indent=2, ensure_ascii=False)

    @field("json.rawtime", "string", "The event timestamp in nanoseconds, as text")
    def rawtime(self, event: Event, arg: str) -> str | None:
        return None if self._document(event) is _MISSING else str(event.ts)


PLUGIN = JsonExtractor
