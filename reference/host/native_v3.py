"""The ctypes bridge of the 3.x contract: a native `.so` seen as a `reference.contract.v3.PluginLibraryV3`.

`reference.host.native.open_native` picks this bridge when the plugin requires an API major of
3 (clause NATIVE-API-DISPATCH). The structs are those of `reference.contract.v3` (clause
V3-STRUCT-LAYOUT). As in the 0.3.0 bridge, everything a plugin hands out is copied at once (its
memory is valid only until its next call), and NULLs, invalid UTF-8, absurd batches, events whose
`len` is not believable and lying `res_len` answers become plugref errors rather than crashes
(clause V3-EXTRACT-ONE-FIELD).
"""
from __future__ import annotations

import ctypes
import ipaddress
import os
from typing import Any

from reference.contract.field_types import AnyFieldType
from reference.contract.v0_3 import ReturnCode
from reference.contract.v3 import (
    ALL_SYMBOLS,
    EVENT_HEADER_SIZE,
    GET_OWNER_LAST_ERROR_FN,
    LOG_FN,
    CByteBuffer,
    CEvent,
    CEventInput,
    CExtractField,
    CFieldExtractInput,
    CInitInput,
    EventInput,
    ExtractRequestV3,
)
from reference.errors import PluginCallError
from reference.host.native import MAX_EVENT_BYTES, NativeLibrary, _dlopen

#: Past this many values one extract answer is taken for a lying res_len.
MAX_FIELD_VALUES = 65536
#: Past this many codes get_extract_event_types is taken for garbage.
MAX_EVENT_TYPES = 65536

_P = ctypes.c_void_p
_STR = ctypes.c_void_p
_U32P = ctypes.POINTER(ctypes.c_uint32)
_I32P = ctypes.POINTER(ctypes.c_int32)

#: symbol -> (restype, argtypes) for the symbols plugref calls; the rest are only looked up.
_SIGNATURES: dict[str, tuple[Any, list]] = {
    "plugin_get_required_api_version": (_STR, []),
    "plugin_get_version": (_STR, []),
    "plugin_get_name": (_STR, []),
    "plugin_get_description": (_STR, []),
    "plugin_get_contact": (_STR, []),
    "plugin_get_init_schema": (_STR, [_U32P]),
    "plugin_init": (_P, [ctypes.POINTER(CInitInput), _I32P]),
    "plugin_destroy": (None, [_P]),
    "plugin_get_last_error": (_STR, [_P]),
    "plugin_get_id": (ctypes.c_uint32, []),
    "plugin_get_event_source": (_STR, []),
    "plugin_open": (_P, [_P, ctypes.c_char_p, _I32P]),
    "plugin_close": (None, [_P, _P]),
    "plugin_list_open_params": (_STR, [_P, _I32P]),
    "plugin_get_progress": (_STR, [_P, _P, _U32P]),
    "plugin_event_to_string": (_STR, [_P, ctypes.POINTER(CEventInput)]),
    "plugin_next_batch": (ctypes.c_int32, [_P, _P, _U32P, ctypes.POINTER(ctypes.POINTER(_P))]),
    # 3.0.0 took only the count; the extra cdecl argument is harmless to those plugins (api §2.4).
    "plugin_get_extract_event_types": (ctypes.POINTER(ctypes.c_uint16), [_U32P, _P]),
    "plugin_get_extract_event_sources": (_STR, []),
    "plugin_get_required_event_schema_version": (_STR, [_P]),
    "plugin_get_fields": (_STR, []),
    "plugin_extract_fields": (ctypes.c_int32, [_P, ctypes.POINTER(CEventInput), ctypes.POINTER(CFieldExtractInput)]),
}


class NativeLibraryV3(NativeLibrary):
    """A 3.x (capability contract, scap-format events) plugin behind ctypes."""

    contract = "3"
    #: The 0.3.0 bridge's prepared one-field call does not apply: a 3.x request is another struct.
    prepared_call = None

    def __init__(self, path: str | os.PathLike, handle: ctypes.CDLL | None = None):
        # The 0.3.0 bridge's plumbing (_call, _text, info getters) is shared; the symbol table is 3.x's.
        self.location = str(path)
        self._dll = handle if handle is not None else _dlopen(self.location)
        self._fn: dict[str, Any] = {}
        present = []
        for symbol in ALL_SYMBOLS:
            try:
                fn = getattr(self._dll, symbol)
            except AttributeError:
                continue
            if symbol in _SIGNATURES:
                fn.restype, fn.argtypes = _SIGNATURES[symbol]
            self._fn[symbol] = fn
            present.append(symbol)
        self.symbols = frozenset(present)
        self._owners: dict[int, Any] = {}
        self._owner_errors: dict[int, ctypes.Array] = {}
        # The callbacks must outlive every call that may use them: they are kept with the library.
        self._get_owner_last_error = GET_OWNER_LAST_ERROR_FN(self._owner_last_error)
        self._log = LOG_FN(self._log_message)
        self._owner_tags: list[ctypes.c_int] = []
        self._state_owners: dict[int, int] = {}

    def __repr__(self) -> str:
        return f"NativeLibraryV3({self.location!r})"

    def get_type(self) -> int:
        raise PluginCallError(f"plugin {self.location}: the 3.x contract has no plugin_get_type")

    # The owner: the handle a plugin passes back to the framework's callbacks.

    def _owner_handle(self, owner: Any) -> int:
        tag = ctypes.c_int(len(self._owner_tags))
        self._owner_tags.append(tag)
        address = ctypes.addressof(tag)
        self._owners[address] = owner
        return address

    def _owner_last_error(self, handle: int | None) -> int | None:
        owner = self._owners.get(handle or 0)
        text = getattr(owner, "last_error", None)
        if not text:
            return None
        buffer = ctypes.create_string_buffer(text.encode("utf-8"))
        self._owner_errors[handle] = buffer  # valid until the next call, as the host's string is
        return ctypes.addressof(buffer)

    def _log_message(self, handle: int | None, component: bytes | None, message: bytes | None, severity: int) -> None:
        owner = self._owners.get(handle or 0)
        if owner is not None:
            owner.log_message(component.decode("utf-8", "replace") if component else None,
                              (message or b"").decode("utf-8", "replace"), int(severity))

    # Calls.

    def init(self, config: str, owner: Any = None) -> tuple[Any, int]:
        rc = ctypes.c_int32(ReturnCode.FAILURE)
        handle = self._owner_handle(owner)
        init_input = CInitInput(config.encode("utf-8"), handle, self._get_owner_last_error, None, self._log)
        state = self._call("plugin_init", ctypes.byref(init_input), ctypes.byref(rc))
        if state:
            self._state_owners[state] = handle  # the extract input carries the same owner
        return (state or None), rc.value

    def destroy(self, state: Any) -> None:
        self._state_owners.pop(state, None)
        super().destroy(state)

    def next_batch(self, state: Any, instance: Any) -> tuple[int, list[bytes]]:
        rc, count, evts, where = self._batch(state, instance, _P)
        events = []
        for i in range(count):
            pointer = evts[i]
            if not pointer:
                raise PluginCallError(f"{where}: event {i} of the batch is a NULL pointer")
            length = CEvent.from_address(pointer).len
            if not EVENT_HEADER_SIZE <= length <= MAX_EVENT_BYTES:
                raise PluginCallError(f"malformed plugin event produced by plugin: '{self.location}' (event {i} "
                                      f"of the batch has len {length}, outside {EVENT_HEADER_SIZE}.."
                                      f"{MAX_EVENT_BYTES})")
            events.append(ctypes.string_at(pointer, length))
        return rc, events

    @staticmethod
    def _event_input(event: EventInput) -> tuple[CEventInput, Any]:
        """The C event input, and the buffers it points into (to keep alive during the call)."""
        buffer = ctypes.create_string_buffer(bytes(event.evt), len(event.evt))
        source = event.evtsrc.encode("utf-8")
        return CEventInput(ctypes.addressof(buffer), event.evtnum, source), (buffer, source)

    def event_to_string(self, state: Any, event: EventInput) -> str | None:
        c_input, _keep = self._event_input(event)
        return self._text("plugin_event_to_string",
                          self._call("plugin_event_to_string", self._handle(state), ctypes.byref(c_input)))

    def get_extract_event_types(self, state: Any) -> list[int]:
        count = ctypes.c_uint32(0)
        codes = self._call("plugin_get_extract_event_types", ctypes.byref(count), self._handle(state))
        if count.value == 0:
            return []
        if count.value > MAX_EVENT_TYPES or not codes:
            raise PluginCallError(f"plugin {self.location}: get_extract_event_types returned {count.value} codes "
                                  f"{'at NULL' if not codes else f'(more than {MAX_EVENT_TYPES})'}")
        return [int(codes[i]) for i in range(count.value)]

    def get_required_event_schema_version(self, state: Any) -> str | None:
        symbol = "plugin_get_required_event_schema_version"
        return self._text(symbol, self._call(symbol, self._handle(state)))

    def extract_fields(self, state: Any, event: EventInput, requests: list[ExtractRequestV3]) -> int:
        """The fields of `requests` in one call (num_fields = their number; the host asks one); each
        answer lands in its request's `values`."""
        c_input, keep = self._event_input(event)
        c_fields = (CExtractField * len(requests))()
        texts = []  # the field names and keys must outlive the call
        for c_field, request in zip(c_fields, requests):
            texts.append(name := ctypes.c_char_p(request.field.encode("utf-8")))
            texts.append(key := ctypes.c_char_p(request.arg_key.encode("utf-8") if request.arg_key is not None
                                                else None))
            c_field.field_id, c_field.field, c_field.arg_key = request.field_id, name, key
            c_field.arg_index, c_field.arg_present = request.arg_index, int(request.arg_present)
            c_field.ftype, c_field.flist = int(request.ftype), int(request.flist)
        # value_offsets stays NULL: plugref asks for no offsets (3.11 makes them optional).
        extract_input = CFieldExtractInput(self._state_owners.get(state), self._get_owner_last_error, len(requests),
                                           c_fields)
        rc = self._call("plugin_extract_fields", self._handle(state), ctypes.byref(c_input),
                        ctypes.byref(extract_input))
        del keep, texts
        if rc != ReturnCode.SUCCESS:
            return rc
        for c_field, request in zip(c_fields, requests):
            request.values = self._values(request, c_field.res, c_field.res_len)
        return rc

    def _values(self, request: ExtractRequestV3, res: int | None, count: int) -> list:
        where = f"plugin {self.location}: extract_fields for {request.field}"
        if count == 0:
            return []
        if count > MAX_FIELD_VALUES:
            raise PluginCallError(f"{where} returned res_len {count} (more than {MAX_FIELD_VALUES} values)")
        if not res:
            raise PluginCallError(f"{where} returned res_len {count} with a NULL res")
        ftype = AnyFieldType(request.ftype)
        if ftype in (AnyFieldType.UINT64, AnyFieldType.RELTIME, AnyFieldType.ABSTIME):
            array = ctypes.cast(res, ctypes.POINTER(ctypes.c_uint64))
            return [int(array[i]) for i in range(count)]
        if ftype == AnyFieldType.BOOL:
            array = ctypes.cast(res, ctypes.POINTER(ctypes.c_uint32))
            return [array[i] != 0 for i in range(count)]
        if ftype == AnyFieldType.STRING:
            array = ctypes.cast(res, ctypes.POINTER(ctypes.c_void_p))
            values = []
            for i in range(count):
                if not array[i]:
                    raise PluginCallError(f"{where}: value {i} is a NULL string")
                values.append(self._text("plugin_extract_fields", array[i]))
            return values
        buffers = ctypes.cast(res, ctypes.POINTER(CByteBuffer))
        values = []
        for i in range(count):
            buffer = buffers[i]
            if buffer.len not in (4, 16) or not buffer.ptr:
                raise PluginCallError(f"{where}: value {i} is a {buffer.len}-byte buffer at "
                                      f"{'NULL' if not buffer.ptr else 'an address'}; an {ftype.name.lower()} is "
                                      f"4 (IPv4) or 16 (IPv6) bytes")
            packed = ctypes.string_at(buffer.ptr, buffer.len)
            values.append(ipaddress.ip_address(packed) if ftype == AnyFieldType.IPADDR
                          else ipaddress.ip_network(packed))
        return values
