"""The ctypes bridge: a native plugin `.so` seen as a `reference.contract.v0_3.PluginLibrary`.

`open_native(path)` loads the library, reads the API version it requires and picks the bridge
for that contract: 0.x here (`NativeLibrary`), 3.x in `reference.host.native_v3`. The bridge
copies everything a plugin hands out at once, because plugin memory is valid only until the
plugin's next call, and it turns NULLs, invalid UTF-8 and absurd batches into plugref errors
rather than crashes.
"""
from __future__ import annotations

import ctypes
import os
import re
import struct
import sys
from pathlib import Path
from typing import Any

from reference.contract.v0_3 import ALL_SYMBOLS, Event, ExtractRequest, FieldType, ReturnCode
from reference.errors import LoadError, PluginCallError

# Read on every event: Python 3.11 looks an enum member up through a descriptor (~0.5 us), a module name is not.
_SUCCESS = ReturnCode.SUCCESS

#: The process's memory as one read-only byte view, made once (nothing is read until sliced):
#: a payload at address A of N bytes is copied out of plugin memory as `[A:A + N].tobytes()`, a
#: copy like `ctypes.string_at(A, N)` but without a foreign call per event.
_PROCESS_MEMORY = memoryview((ctypes.c_char * sys.maxsize).from_address(0)).toreadonly()

#: Limits past which a next_batch answer is taken for garbage rather than data.
MAX_BATCH_EVENTS = 1_000_000
MAX_EVENT_BYTES = 64 * 1024 * 1024
#: extract_fields argument arrays kept ready, one per (fields, arguments) shape.
MAX_PREPARED_SHAPES = 4096


class NativeEvent(ctypes.Structure):
    """`ss_plugin_event` of API 0.3.0."""

    _fields_ = [("evtnum", ctypes.c_uint64), ("data", ctypes.c_void_p), ("datalen", ctypes.c_uint32),
                ("ts", ctypes.c_uint64)]


class NativeExtractField(ctypes.Structure):
    """`ss_plugin_extract_field` of API 0.3.0."""

    _fields_ = [("field_id", ctypes.c_uint32), ("field", ctypes.c_char_p), ("arg", ctypes.c_char_p),
                ("ftype", ctypes.c_uint32), ("field_present", ctypes.c_bool), ("res_str", ctypes.c_void_p),
                ("res_u64", ctypes.c_uint64)]


assert ctypes.sizeof(NativeEvent) == 32, "ss_plugin_event must be 32 bytes"
assert ctypes.sizeof(NativeExtractField) == 48, "ss_plugin_extract_field must be 48 bytes"
assert NativeExtractField.field_present.offset == 28 and NativeExtractField.res_str.offset == 32
assert NativeEvent.ts.offset == 24

#: `ss_plugin_event` as `struct` reads it (evtnum, data, datalen, ts, with the C padding).
_EVENT_LAYOUT = struct.Struct("@QPIQ")
assert _EVENT_LAYOUT.size == ctypes.sizeof(NativeEvent), "ss_plugin_event as struct must match ctypes"
#: `ss_plugin_event` without its data pointer (zeros in its place): what `PreparedExtraction.run` writes at once.
_EVENT_NUMBERS = struct.Struct("@Q8xIQ")
assert _EVENT_NUMBERS.size == _EVENT_LAYOUT.size


class NativeEventInput(ctypes.Structure):
    """`ss_plugin_event` as extract_fields receives it: the same layout as `NativeEvent`, with the
    payload as a `c_char_p`, so that assigning the event's bytes points the plugin at them in place
    and keeps them referenced by the struct until the next event replaces them."""

    _fields_ = [("evtnum", ctypes.c_uint64), ("data", ctypes.c_char_p), ("datalen", ctypes.c_uint32),
                ("ts", ctypes.c_uint64)]


assert ctypes.sizeof(NativeEventInput) == ctypes.sizeof(NativeEvent)


#: extract_fields seen with no argument types: the prepared call passes its four arguments ready
#: made (the state, the event struct and the field array as `c_void_p`s, the count as a small
#: int), which ctypes hands to the C function as they are, with no conversion or type check per call.
_EXTRACT_PREPARED = ctypes.CFUNCTYPE(ctypes.c_int32)


class PreparedExtraction:
    """One extract_fields call made ready once and reused for every event: the function, the
    argument array (kept here, so that its address stays valid), and typed views on each slot's
    answer: `field_present`, `res_u64`, and `res_str` read as a C string, with whether the field
    is a number.

    `run(state, event)` makes the call; `answer(i)` then copies slot `i`'s value out. Both
    `NativeLibrary.extract_fields` (the contract's call, results written into the requests) and
    `prepared_call` (one field of one host event, the lazy extraction of libsinsp) are these two steps.
    """

    __slots__ = ("library", "function", "fields", "fields_pointer", "count", "requests", "results", "presents",
                 "state", "state_pointer", "where")

    def __init__(self, library: "NativeLibrary", function, fields: ctypes.Array, requests: list[ExtractRequest]):
        self.library = library
        self.function = function
        self.fields = fields
        self.fields_pointer = ctypes.c_void_p(ctypes.addressof(fields))
        self.count = len(requests)
        self.requests = tuple(requests)  # keeps the identities the call is cached under
        self.state: Any = None
        self.state_pointer = ctypes.c_void_p(None)
        self.where = f"plugin {library.location}: extract_fields"
        size = ctypes.sizeof(NativeExtractField)
        self.results = [(ctypes.c_bool.from_buffer(fields, i * size + NativeExtractField.field_present.offset),
                         ctypes.c_uint64.from_buffer(fields, i * size + NativeExtractField.res_u64.offset),
                         ctypes.c_char_p.from_buffer(fields, i * size + NativeExtractField.res_str.offset),
                         request.ftype == FieldType.UINT64)
                        for i, request in enumerate(requests)]
        self.presents = tuple(present for present, _number, _text, _is_number in self.results)

    def run(self, state: Any, event: Event) -> int:
        """extract_fields of these fields for `event` (its payload, ts and evtnum); the return code."""
        library = self.library
        if event is not library._event_of_input or type(event.data) is not bytes:
            # The one event struct every call shares, filled once per event (a host asks several
            # fields of the same event). The plugin reads the payload in place: it stays
            # referenced by the struct until the next event replaces it, and the event itself is
            # kept, so that its identity is not reused meanwhile. A payload that is not immutable
            # bytes is copied, and on every call.
            data = event.data
            data = data if type(data) is bytes else bytes(data)
            # evtnum, datalen and ts in one write (the pointer's place is written as zeros), then the pointer.
            _EVENT_NUMBERS.pack_into(library._event_input, 0, event.evtnum, len(data), event.ts)
            library._event_input_data.value = data or None
            library._event_of_input = event if type(event.data) is bytes else None
        if state != self.state:
            self.state, self.state_pointer = state, ctypes.c_void_p(state)
        for present in self.presents:
            present.value = False  # a plugin that skips a field must not leave an old answer
        return self.function(self.state_pointer, library._event_input_pointer, self.count, self.fields_pointer)

    def answer(self, i: int) -> str | int | None:
        """Slot `i`'s value after a successful `run`, copied out now (NATIVE-MEMORY-COPY): the
        plugin's memory is valid only until its next call, so `text.value` copies the C string
        into a Python bytes object before anything else is asked; None when the plugin left the
        field unset."""
        present, number, text, is_number = self.results[i]
        if not present.value:
            return None
        if is_number:
            return number.value
        raw = text.value
        if raw is None:
            raise PluginCallError(f"{self.where} marked string field {self.requests[i].field} present with a "
                                  f"NULL res_str")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return self.library._decoded("plugin_extract_fields", raw)  # raises, saying where


_P = ctypes.c_void_p
_STR = ctypes.c_void_p  # strings come back as raw pointers so that NULL and bad bytes can be told apart
_U32P = ctypes.POINTER(ctypes.c_uint32)
_I32P = ctypes.POINTER(ctypes.c_int32)

#: symbol -> (restype, argtypes)
_SIGNATURES: dict[str, tuple[Any, list]] = {
    "plugin_get_required_api_version": (_STR, []),
    "plugin_get_type": (ctypes.c_uint32, []),
    "plugin_init": (_P, [ctypes.c_char_p, _I32P]),
    "plugin_destroy": (None, [_P]),
    "plugin_get_last_error": (_STR, [_P]),
    "plugin_get_id": (ctypes.c_uint32, []),
    "plugin_get_name": (_STR, []),
    "plugin_get_description": (_STR, []),
    "plugin_get_contact": (_STR, []),
    "plugin_get_version": (_STR, []),
    "plugin_get_event_source": (_STR, []),
    "plugin_get_fields": (_STR, []),
    "plugin_open": (_P, [_P, ctypes.c_char_p, _I32P]),
    "plugin_close": (None, [_P, _P]),
    "plugin_next_batch": (ctypes.c_int32, [_P, _P, _U32P, ctypes.POINTER(ctypes.POINTER(NativeEvent))]),
    "plugin_get_progress": (_STR, [_P, _P, _U32P]),
    "plugin_event_to_string": (_STR, [_P, ctypes.c_char_p, ctypes.c_uint32]),
    "plugin_extract_fields": (ctypes.c_int32, [_P, ctypes.POINTER(NativeEventInput), ctypes.c_uint32,
                                               ctypes.POINTER(NativeExtractField)]),
    "plugin_list_open_params": (_STR, [_P, _I32P]),
    "plugin_get_extract_event_sources": (_STR, []),
    "plugin_get_init_schema": (_STR, [_U32P]),
}

#: Info strings read at load: a bad one is a load error under the clause that reads it.
_INFO_CLAUSES = {
    "plugin_get_required_api_version": "API-VERSION-FORMAT",
    "plugin_get_name": "PLUGIN-INFO-STRINGS",
    "plugin_get_description": "PLUGIN-INFO-STRINGS",
    "plugin_get_contact": "PLUGIN-INFO-STRINGS",
    "plugin_get_version": "PLUGIN-INFO-STRINGS",
    "plugin_get_event_source": "PLUGIN-INFO-STRINGS",
    "plugin_get_fields": "FIELDS-JSON",
    "plugin_get_extract_event_sources": "EXT-SOURCES",
    "plugin_get_init_schema": "INIT-SCHEMA",
}


def _dlopen(path: str) -> ctypes.CDLL:
    """dlopen `path` (made absolute, so that no library search path is consulted)."""
    absolute = os.path.abspath(path)
    if not os.path.exists(absolute):
        raise LoadError(path, f"error loading plugin {path}: no such file", "PLUGIN-SYMBOLS")
    if os.path.isdir(absolute):
        raise LoadError(path, f"error loading plugin {path}: is a directory, not a shared library",
                        "PLUGIN-SYMBOLS")
    try:
        return ctypes.CDLL(absolute, mode=os.RTLD_NOW | os.RTLD_LOCAL)
    except OSError as exc:
        raise LoadError(path, f"error loading plugin {path}: {exc}", "PLUGIN-SYMBOLS") from None


class NativeLibrary:
    """A 0.x (type-based contract, API 0.2/0.3) plugin behind ctypes."""

    #: next_batch's events are made here, from the C structs: bytes payloads, integer timestamps.
    builds_events = True

    def __init__(self, path: str | os.PathLike, handle: ctypes.CDLL | None = None):
        self.location = str(path)
        self._dll = handle if handle is not None else _dlopen(self.location)
        self._fn: dict[str, Any] = {}
        self._slots: dict[tuple, Any] = {}
        self._prepared: dict[Any, PreparedExtraction] = {}
        self._extract_prepared = None
        self._event_input = NativeEventInput()
        self._event_input_pointer = ctypes.c_void_p(ctypes.addressof(self._event_input))
        # Its data pointer as a c_char_p of its own: setting that is a third of the cost of the
        # struct's field (per event), and it keeps the bytes referenced the same way.
        self._event_input_data = ctypes.c_char_p.from_buffer(self._event_input, NativeEventInput.data.offset)
        self._event_of_input: Any = None
        present = []
        for symbol in ALL_SYMBOLS:
            try:
                fn = getattr(self._dll, symbol)
            except AttributeError:
                continue
            fn.restype, fn.argtypes = _SIGNATURES[symbol]
            self._fn[symbol] = fn
            present.append(symbol)
        self.symbols = frozenset(present)

    def __repr__(self) -> str:
        return f"NativeLibrary({self.location!r})"

    # Plumbing.

    def _call(self, symbol: str, *args):
        fn = self._fn.get(symbol)
        if fn is None:
            raise PluginCallError(f"plugin {self.location}: {symbol} is not exported by the library")
        return fn(*args)

    def _text(self, symbol: str, pointer: int | None, *, lenient: bool = False) -> str | None:
        """Copy a C string the plugin returned; NULL is None."""
        if not pointer:
            return None
        return self._decoded(symbol, ctypes.string_at(pointer), lenient=lenient)

    def _decoded(self, symbol: str, raw: bytes, *, lenient: bool = False) -> str:
        """`raw`, a C string the plugin returned, as text; not UTF-8 is the plugin's error."""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if lenient:
                return raw.decode("utf-8", "backslashreplace")
            what = (f"{symbol} returned a string that is not valid UTF-8 "
                    f"({exc.reason} at byte {exc.start}: {raw[:60]!r})")
            if symbol in _INFO_CLAUSES:
                raise LoadError(self.location, what, _INFO_CLAUSES[symbol]) from None
            raise PluginCallError(f"plugin {self.location}: {what}") from None

    def _info(self, symbol: str) -> str | None:
        return self._text(symbol, self._call(symbol))

    @staticmethod
    def _handle(value: Any) -> ctypes.c_void_p:
        return ctypes.c_void_p(value)

    # Info.

    def get_required_api_version(self) -> str | None:
        return self._info("plugin_get_required_api_version")

    def get_type(self) -> int:
        return int(self._call("plugin_get_type"))

    def get_id(self) -> int:
        return int(self._call("plugin_get_id"))

    def get_name(self) -> str | None:
        return self._info("plugin_get_name")

    def get_description(self) -> str | None:
        return self._info("plugin_get_description")

    def get_contact(self) -> str | None:
        return self._info("plugin_get_contact")

    def get_version(self) -> str | None:
        return self._info("plugin_get_version")

    def get_event_source(self) -> str | None:
        return self._info("plugin_get_event_source")

    def get_fields(self) -> str | None:
        return self._info("plugin_get_fields")

    def get_extract_event_sources(self) -> str | None:
        return self._info("plugin_get_extract_event_sources")

    def get_init_schema(self) -> tuple[str | None, int]:
        schema_type = ctypes.c_uint32(0)
        pointer = self._call("plugin_get_init_schema", ctypes.byref(schema_type))
        return self._text("plugin_get_init_schema", pointer), schema_type.value

    # Lifecycle.

    def init(self, config: str) -> tuple[Any, int]:
        rc = ctypes.c_int32(ReturnCode.FAILURE)
        state = self._call("plugin_init", config.encode("utf-8"), ctypes.byref(rc))
        return (state or None), rc.value

    def destroy(self, state: Any) -> None:
        self._call("plugin_destroy", self._handle(state))

    def get_last_error(self, state: Any) -> str | None:
        # Lenient: this text explains a failure already under way, and must not replace it.
        return self._text("plugin_get_last_error", self._call("plugin_get_last_error", self._handle(state)),
                          lenient=True)

    def open(self, state: Any, params: str) -> tuple[Any, int]:
        rc = ctypes.c_int32(ReturnCode.FAILURE)
        instance = self._call("plugin_open", self._handle(state), params.encode("utf-8"), ctypes.byref(rc))
        return (instance or None), rc.value

    def close(self, state: Any, instance: Any) -> None:
        self._call("plugin_close", self._handle(state), self._handle(instance))

    def _batch(self, state: Any, instance: Any, element: type) -> tuple[int, int, Any, str]:
        """Call next_batch, whose array holds `element`s (the contract's event or event pointer):
        (rc, count, array, where), the count and the array checked before anything is read."""
        nevts = ctypes.c_uint32(0)
        evts = ctypes.POINTER(element)()
        rc = self._call("plugin_next_batch", self._handle(state), self._handle(instance), ctypes.byref(nevts),
                        ctypes.byref(evts))
        count = nevts.value
        where = f"plugin {self.location}: next_batch"
        if count == 0:
            return rc, 0, evts, where
        if count > MAX_BATCH_EVENTS:
            raise PluginCallError(f"{where} returned {count} events in one batch (more than {MAX_BATCH_EVENTS})")
        if not evts:
            raise PluginCallError(f"{where} returned {count} events but a NULL event array")
        return rc, count, evts, where

    def next_batch(self, state: Any, instance: Any) -> tuple[int, list[Event]]:
        rc, count, evts, where = self._batch(state, instance, NativeEvent)
        if count == 0:
            return rc, []
        # The array is read in one copy and unpacked by `struct`, rather than through a ctypes
        # view per event; the payloads are then copied one by one.
        array = ctypes.string_at(evts, count * _EVENT_LAYOUT.size)
        events = []
        memory, append, new = _PROCESS_MEMORY, events.append, tuple.__new__
        for _evtnum, data, length, ts in _EVENT_LAYOUT.iter_unpack(array):
            if length > MAX_EVENT_BYTES or (length and not data):
                raise PluginCallError(self._bad_event(where, len(events), data, length))
            # Each payload copied now, into bytes of our own; Event(payload, ts) made as the tuple
            # it is (its constructor is a Python function, run per event).
            append(new(Event, (memory[data:data + length].tobytes() if length else b"", ts, 0)))
        return rc, events

    @staticmethod
    def _bad_event(where: str, index: int, data: int | None, length: int) -> str:
        if length > MAX_EVENT_BYTES:
            return f"{where}: event {index} of the batch has datalen {length} (more than {MAX_EVENT_BYTES})"
        return f"{where}: event {index} of the batch has datalen {length} but NULL data"

    def get_progress(self, state: Any, instance: Any) -> tuple[str | None, int]:
        pct = ctypes.c_uint32(0)
        pointer = self._call("plugin_get_progress", self._handle(state), self._handle(instance), ctypes.byref(pct))
        return self._text("plugin_get_progress", pointer), pct.value

    def event_to_string(self, state: Any, data: bytes) -> str | None:
        pointer = self._call("plugin_event_to_string", self._handle(state), bytes(data), len(data))
        return self._text("plugin_event_to_string", pointer)

    def _extract_slots(self, requests: list[ExtractRequest]):
        """The ss_plugin_extract_field array for these requests, built once per shape and reused.

        A host asks the same few (field, argument) shapes on every event (one field per call, as
        libsinsp does, or a filter's whole set in batched mode), so each array and its encoded
        names are built once; the encoded bytes stay referenced with the array.
        """
        shape = tuple((r.field_id, r.field, r.arg or "", int(r.ftype)) for r in requests)
        fields = self._slots.get(shape)
        if fields is None:
            if len(self._slots) >= MAX_PREPARED_SHAPES:
                self._slots.clear()  # a host generating shapes without end (a checker): start over
            fields = (NativeExtractField * max(len(shape), 1))()
            encoded = []
            for slot, (field_id, name, arg, ftype) in zip(fields, shape):
                name_bytes, arg_bytes = name.encode("utf-8"), arg.encode("utf-8")
                encoded += [name_bytes, arg_bytes]
                slot.field_id, slot.field, slot.ftype = field_id, name_bytes, ftype
                slot.arg = arg_bytes  # never NULL: an absent argument is "" (EXTRACT-ARG-EMPTY)
            fields._encoded = encoded
            self._slots[shape] = fields
        return fields

    def _prepare(self, key: Any, requests: list[ExtractRequest]) -> PreparedExtraction:
        """The extract_fields call for these request objects, prepared and kept under `key`.

        A host prepares its requests once (when it compiles a filter or a format) and passes the
        same objects on every event, so the call is kept under their identities, which cost
        nothing to compute; the entry holds the requests, so that an identity cannot be reused
        while it is kept. Requests made afresh for every call only miss here and fall back to
        the shape cache of `_extract_slots`.
        """
        if self._extract_prepared is None:
            if "plugin_extract_fields" not in self._fn:
                self._call("plugin_extract_fields")  # raises: not exported
            address = ctypes.cast(self._fn["plugin_extract_fields"], ctypes.c_void_p).value
            self._extract_prepared = _EXTRACT_PREPARED(address)
        if len(self._prepared) >= MAX_PREPARED_SHAPES:
            self._prepared.clear()
        prepared = self._prepared[key] = PreparedExtraction(self, self._extract_prepared,
                                                            self._extract_slots(requests), requests)
        return prepared

    def extract_fields(self, state: Any, event: Event, requests: list[ExtractRequest]) -> int:
        key = id(requests[0]) if len(requests) == 1 else tuple(map(id, requests))
        prepared = self._prepared.get(key) or self._prepare(key, requests)
        rc = prepared.run(state, event)
        if rc != _SUCCESS:
            return rc  # the framework takes no value from a failed call
        for i, request in enumerate(requests):
            value = prepared.answer(i)
            request.field_present = value is not None
            if value is None:
                continue
            if prepared.results[i][3]:
                request.res_u64 = value
            else:
                request.res_str = value
        return rc

    def prepared_call(self, request: ExtractRequest):
        """(run, answer) of the extract_fields call for `request` alone, prepared once:
        `run(state, event)` calls the plugin for an event (anything with the `data`, `ts` and
        `evtnum` of `ss_plugin_event`, such as the host's own event) and gives the return code,
        `answer(0)` then the copied value. The lazy, one-field-per-call extraction of libsinsp."""
        prepared = self._prepared.get(id(request)) or self._prepare(id(request), [request])
        return prepared.run, prepared.answer

    def list_open_params(self, state: Any) -> tuple[str | None, int]:
        rc = ctypes.c_int32(ReturnCode.FAILURE)
        pointer = self._call("plugin_list_open_params", self._handle(state), ctypes.byref(rc))
        return self._text("plugin_list_open_params", pointer), rc.value


_VERSION_PREFIX = re.compile(r"\s*(\d+)\.(\d+)\.(\d+)")


def open_native(path: str | os.PathLike) -> NativeLibrary:
    """The PluginLibrary of the native plugin at `path`, chosen by the API major it requires.

    Raises LoadError when the file is no loadable library, or asks for a contract plugref has no
    bridge for. An unparsable version goes through to the loader, which reports it (API-VERSION-FORMAT).
    """
    where = str(path)
    handle = _dlopen(where)
    try:
        getter = handle.plugin_get_required_api_version
    except AttributeError:
        raise LoadError(where, "Could not resolve plugin_get_required_api_version function",
                        "PLUGIN-SYMBOLS") from None
    getter.restype, getter.argtypes = _STR, []
    pointer = getter()
    raw = ctypes.string_at(pointer) if pointer else None
    match = _VERSION_PREFIX.match(raw.decode("utf-8", "replace")) if raw is not None else None
    major = int(match.group(1)) if match else 0
    if major == 0:
        return NativeLibrary(where, handle)
    if major == 3:
        from reference.host.native_v3 import NativeLibraryV3  # it builds on this module

        return NativeLibraryV3(where, handle)
    if major in (1, 2):
        raise LoadError(where, f"plugin requires API version {raw.decode('utf-8', 'replace')}: the 1.x/2.x "
                               f"native contract is not implemented by this bridge (only 0.x and 3.x are)",
                        "API-VERSION-COMPAT")
    raise LoadError(where, f"plugin requires API version {raw.decode('utf-8', 'replace')}, a major version "
                           f"no plugin API has (known: 0, 1, 2, 3)", "API-VERSION-COMPAT")


def is_native_path(spec: str | Path) -> bool:
    """Does `spec` name a native library (by suffix)?"""
    return Path(spec).suffix == ".so" or ".so." in Path(spec).name
