"""The definition-driven plugin (fake_plugins/defined.py) speaking API 3.x: `DefinedLibraryV3`.

The same definitions and answers as `DefinedLibrary`, through `reference.contract.v3.PluginLibraryV3`,
exactly as its native twin fake_plugins/native/v3_defined.c wraps defined_plugin.c: events are
encoded as 322 events with plugin ID 0 (the host fills it in), event_to_string and extract_fields
read the payload at byte 38, one field a call with the argument passed on as text (the key, or the
index in decimal when brackets were given, else ""), uint64 and string fields only. A definition
for it asks for a 3.x API version (`required_api_version: "3.12.0"`), so that the native bridge
picks the 3.x contract; `type` 2 means "no sourcing symbols".
"""
from __future__ import annotations

from reference.contract.v0_3 import Event, ExtractRequest, FieldType, ReturnCode
from reference.contract.v3 import EventInput, ExtractRequestV3, ScapEvent, encode_plugin_event
from fake_plugins.defined import DefinedLibrary


class DefinedLibraryV3:
    """`reference.contract.v3.PluginLibraryV3` answering from a definition."""

    contract = "3"

    def __init__(self, definition: dict, location: str | None = None):
        self._inner = DefinedLibrary(definition, location)
        self.definition = definition
        self.location = self._inner.location
        self.symbols = self._inner.symbols - {"plugin_get_type"}

    def __getattr__(self, name: str):
        # the calls whose shape 3.x kept: info strings, destroy, last error, open, close, progress, open params
        return getattr(self._inner, name)

    def init(self, config: str, owner=None):
        return self._inner.init(config)

    def get_extract_event_types(self, state) -> list[int]:
        return []

    def next_batch(self, state, instance) -> tuple[int, list[bytes]]:
        rc, events = self._inner.next_batch(state, instance)
        return rc, [encode_plugin_event(0, e.data, e.ts) for e in events]

    @staticmethod
    def _payload(event: EventInput) -> Event:
        scap = ScapEvent.decode(event.evt)
        return Event(scap.payload, scap.ts, event.evtnum)

    def event_to_string(self, state, event: EventInput) -> str:
        return self._inner.event_to_string(state, self._payload(event).data)

    def extract_fields(self, state, event: EventInput, requests: list[ExtractRequestV3]) -> int:
        olds = []
        for request in requests:
            if request.ftype not in (FieldType.UINT64, FieldType.STRING):
                state.last_error = "the definition plugin extracts uint64 and string fields only"
                return ReturnCode.FAILURE
            if request.arg_key is not None:
                arg = request.arg_key
            else:
                arg = str(request.arg_index) if request.arg_present else ""
            olds.append(ExtractRequest(request.field_id, request.field, arg, FieldType(request.ftype)))
        rc = self._inner.extract_fields(state, self._payload(event), olds)
        for request, old in zip(requests, olds):
            request.values = [old.value] if rc == ReturnCode.SUCCESS and old.field_present else []
        return rc
