"""Capture (.scap) files of plugin events: writing and streaming them back.

Clauses CAPTURE-FORMAT, CAPTURE-BLOCK-TYPES, CAPTURE-GZIP, CAPTURE-BAD-FILE, CAPTURE-PLUGIN-VERSION
and CAPTURE-SYSDIG-INTEROP (docs/capture-clauses.md).

A capture is a section header block followed by blocks `{u32 type; u32 total_length; body;
padding; u32 total_length}`, every integer little-endian (api §5.2). plugref writes what sysdig
0.29.3 writes for a plugin capture, checked byte for byte: a 28-byte section header with no
options and one EV_BLOCK_TYPE_V2_LARGE (0x221) block per event, cpuid 0, tid -1. The one
addition is a plugref block (`PLUGREF_BLOCK_TYPE`) right after the section header that records
the name and version of each source plugin, so that a reader can apply the "same major version"
rule; libscap readers skip unknown blocks that come before the first event.

The reader streams: it reads the file in pieces of `READ_CHUNK` bytes and checks each block where
it lies in the piece, so memory does not grow with the file; a block longer than a piece is
gathered piece by piece up to its length (skipped blocks are not gathered at all), so a lying
length field costs nothing before the file runs out.
"""
from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import struct
import zlib
from collections.abc import Iterator, Mapping
from typing import BinaryIO, NamedTuple

from reference.host.engine import PluginEvent
from reference.errors import PlugrefError
from reference.contract.versions import parse_version

SHB_BLOCK_TYPE = 0x0A0D0D0A
SHB_MAGIC = 0x1A2B3C4D
SHB_MAJOR = 1
SHB_MINOR = 2
SHB_SECTION_LENGTH_UNKNOWN = 0xFFFFFFFFFFFFFFFF

EV_BLOCK_TYPE = 0x204
EV_BLOCK_TYPE_INT = 0x8010ABCD  # the legacy spelling of 0x204 found in old captures
EVF_BLOCK_TYPE = 0x208
EV_BLOCK_TYPE_V2 = 0x216
EVF_BLOCK_TYPE_V2 = 0x217
EV_BLOCK_TYPE_V2_LARGE = 0x221
EVF_BLOCK_TYPE_V2_LARGE = 0x222

#: Reads "PLRF" in a hex dump. Outside every libscap block type (0x2xx and the 0x8xxxABCD legacy
#: ones), so libscap treats it as unknown and skips it when it precedes the first event.
PLUGREF_BLOCK_TYPE = 0x46524C50
PLUGREF_RECORD_FORMAT = 1

PPME_PLUGINEVENT_E = 322
SCAP_DF_STATE_ONLY = 1

V1_HEADER = struct.Struct("<QqIH")     # ts, tid, len, type
V2_HEADER = struct.Struct("<QqIHI")    # ts, tid, len, type, nparams
PLUGIN_PARAMS = struct.Struct("<III")  # len(plugin_id)=4, len(data), plugin_id
_BLOCK_HEAD = struct.Struct("<II")
_U32 = struct.Struct("<I")
_SHB_BODY = struct.Struct("<IHHQ")

#: (has a u32 flags word after cpuid, event header)
_EVENT_BLOCKS = {
    EV_BLOCK_TYPE: (False, V1_HEADER),
    EV_BLOCK_TYPE_INT: (False, V1_HEADER),
    EVF_BLOCK_TYPE: (True, V1_HEADER),
    EV_BLOCK_TYPE_V2: (False, V2_HEADER),
    EVF_BLOCK_TYPE_V2: (True, V2_HEADER),
    EV_BLOCK_TYPE_V2_LARGE: (False, V2_HEADER),
    EVF_BLOCK_TYPE_V2_LARGE: (True, V2_HEADER),
}
#: The same, as the reader uses it: (where the event header starts in the block body, that header,
#: its size, whether it has nparams).
_EVENT_LAYOUTS = {block_type: (6 if has_flags else 2, header, header.size, header is V2_HEADER)
                  for block_type, (has_flags, header) in _EVENT_BLOCKS.items()}

#: Block header, cpuid, the 22-byte v1 event header and trailer, padded: no event block is smaller,
#: so a file of N bytes holds at most N // MIN_EVENT_BLOCK events.
MIN_EVENT_BLOCK = 36
#: No single block may claim more than this; libscap's own reader buffer is far smaller.
MAX_BLOCK = 64 * 1024 * 1024
#: The largest payload the writer accepts: its 0x221 block (the payload and 52 bytes of block header, cpuid,
#: event header, parameter lengths, plugin ID and trailer) must fit the reader's one-block limit.
MAX_WRITTEN_DATA = MAX_BLOCK - 52
READ_CHUNK = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
#: A named tuple made from a tuple of its fields, without the Python frame of its generated __new__
#: (the reader makes one per event).
_new_tuple = tuple.__new__


class CaptureError(PlugrefError):
    """A capture file that cannot be read (clause CAPTURE-BAD-FILE): names the file, the byte
    offset (of the uncompressed stream for gzip files) and what is wrong there."""

    def __init__(self, name: str, offset: int | None, reason: str):
        where = f"at byte {offset}: " if offset is not None else ""
        super().__init__(f"capture file {name}: {where}{reason}", "CAPTURE-BAD-FILE")
        self.name = name
        self.offset = offset
        self.reason = reason


class CaptureEvent(NamedTuple):
    """One event block. For PPME_PLUGINEVENT_E (322) `plugin_id` and `data` (the payload) are
    decoded; for any other type `plugin_id` is None and `data` holds the raw parameter bytes that
    follow the event header (their length widths depend on the event table, which plugref lacks).
    `nparams` is None for v1 blocks (0x204/0x208), whose header has no such field. A named tuple,
    the lightest immutable record: the reader makes one per event."""

    offset: int
    block_type: int
    cpuid: int
    flags: int
    ts: int
    tid: int
    type: int
    nparams: int | None
    plugin_id: int | None
    data: bytes

    @property
    def state_only(self) -> bool:
        return bool(self.flags & SCAP_DF_STATE_ONLY)

    def to_plugin_event(self, num: int, source: str = "", first_ts: int | None = None) -> PluginEvent:
        """The framework's event; the number is the consumer's (sinsp counts from 1 per capture), and so
        is the first event's timestamp (for evt.reltime)."""
        if self.type != PPME_PLUGINEVENT_E:
            raise ValueError(f"event of type {self.type} at byte {self.offset} is not a plugin event")
        # Made as the tuple it is: PluginEvent's constructor is a Python function, and this runs per event.
        return _new_tuple(PluginEvent, (num, self.ts, self.plugin_id, source, self.data, first_ts))


class SectionHeader(NamedTuple):
    offset: int
    major: int
    minor: int
    section_length: int


class RecordedPlugin(NamedTuple):
    """A source plugin as a plugref capture records it (clause CAPTURE-PLUGIN-VERSION)."""

    name: str
    version: str


def _pad4(n: int) -> int:
    return (n + 3) & ~3


def _block(block_type: int, body: bytes) -> bytes:
    total = _pad4(8 + len(body) + 4)
    return b"".join((_BLOCK_HEAD.pack(block_type, total), body,
                     b"\0" * (total - 12 - len(body)), _U32.pack(total)))


def section_header_block() -> bytes:
    """Exactly the 28 bytes sysdig 0.29 writes. No options: sysdig 0.29 fails on a longer SHB."""
    return _block(SHB_BLOCK_TYPE, _SHB_BODY.pack(SHB_MAGIC, SHB_MAJOR, SHB_MINOR, SHB_SECTION_LENGTH_UNKNOWN))


def plugin_event_block(ts: int, plugin_id: int, data: bytes, *, block_type: int = EV_BLOCK_TYPE_V2_LARGE,
                       cpuid: int = 0, flags: int = 0, tid: int = -1) -> bytes:
    """One event block holding a PPME_PLUGINEVENT_E (any event block type; v1 ones get a v1 header)."""
    has_flags, header = _EVENT_BLOCKS[block_type]
    length = header.size + PLUGIN_PARAMS.size + len(data)
    fields = (ts, tid, length, PPME_PLUGINEVENT_E) + ((2,) if header is V2_HEADER else ())
    body = b"".join((struct.pack("<H", cpuid), _U32.pack(flags) if has_flags else b"", header.pack(*fields),
                     PLUGIN_PARAMS.pack(4, len(data), plugin_id), data))
    return _block(block_type, body)


def plugref_record_block(plugins: Mapping[int, tuple[str, str] | RecordedPlugin]) -> bytes:
    entries = []
    for plugin_id, value in sorted(plugins.items()):
        name, version = (value.name, value.version) if isinstance(value, RecordedPlugin) else value
        if not (isinstance(plugin_id, int) and 0 < plugin_id < 2**32):
            raise ValueError(f"plugin id {plugin_id!r} is not a non-zero u32")
        if not (isinstance(name, str) and isinstance(version, str)):
            raise ValueError(f"plugin {plugin_id}: name and version must be strings")
        entries.append({"id": plugin_id, "name": name, "version": version})
    text = json.dumps({"format": PLUGREF_RECORD_FORMAT, "plugins": entries}, separators=(",", ":"))
    return _block(PLUGREF_BLOCK_TYPE, text.encode())


class CaptureWriter:
    """Writes plugin events as a capture that sysdig 0.29 reads (clauses CAPTURE-FORMAT,
    CAPTURE-SYSDIG-INTEROP).

    `plugins` ({plugin_id: (name, version)}) is recorded before any event, the only place where
    libscap readers tolerate an unknown block. A path ending in `.gz`, or `compress=True`, gives a
    gzip file, as `sysdig -z` does. A file object passed in is flushed, not closed.
    """

    def __init__(self, target: str | os.PathLike | BinaryIO, *,
                 plugins: Mapping[int, tuple[str, str] | RecordedPlugin] | None = None,
                 compress: bool | None = None):
        record = plugref_record_block(plugins) if plugins else b""
        if isinstance(target, (str, os.PathLike)):
            compress = str(target).endswith(".gz") if compress is None else compress
            self._owned = open(target, "wb")
        else:
            self._owned = None
        self._base = base = self._owned or target
        # Level 6, zlib's default, as libscap's gzopen(path, "wb") writes (CAPTURE-GZIP), not gzip's 9.
        self._gzip = gzip.GzipFile(fileobj=base, mode="wb", compresslevel=6, mtime=0) if compress else None
        self._out = self._gzip or base
        self.count = 0
        self.closed = False
        self._out.write(section_header_block() + record)

    def write(self, event: PluginEvent) -> None:
        ts, plugin_id, data = event.ts, event.plugin_id, bytes(event.data)
        if not 0 <= ts < 2**64:
            raise ValueError(f"timestamp {ts} does not fit in u64")
        # ID 0 is "malformed plugin event (no ID)" to libs (api §4.1).
        if not 0 < plugin_id < 2**32:
            raise ValueError(f"plugin id {plugin_id} is not a non-zero u32")
        if len(data) > MAX_WRITTEN_DATA:
            raise ValueError(f"event data of {len(data)} bytes does not fit in a {MAX_BLOCK}-byte block "
                             f"(at most {MAX_WRITTEN_DATA} bytes)")
        self._out.write(plugin_event_block(ts, plugin_id, data))
        self.count += 1

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._gzip is not None:
            self._gzip.close()
        if self._owned is not None:
            self._owned.close()
        else:
            getattr(self._base, "flush", lambda: None)()

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Prefixed(io.RawIOBase):
    """A non-seekable stream with the bytes already taken off its front put back."""

    def __init__(self, prefix: bytes, rest: BinaryIO):
        self._prefix, self._rest = prefix, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n], self._prefix = self._prefix[:n], self._prefix[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class CaptureReader(Iterator[CaptureEvent]):
    """The events of a capture, in file order, with one piece of the file (and at most one block
    larger than a piece) in memory at a time.

    Opening reads the section header and every block up to the first event, as libscap does, so
    `section` and `plugins` are known before the first event is asked for. `plugins` is None when
    the capture has no plugref record (e.g. sysdig wrote it), else {plugin_id: RecordedPlugin}.
    Offsets count from the start of the capture (of the uncompressed stream for gzip files).
    """

    def __init__(self, source: str | os.PathLike | BinaryIO, *, max_block: int = MAX_BLOCK):
        self.max_block = max_block
        self.plugins: dict[int, RecordedPlugin] | None = None
        self.section: SectionHeader | None = None
        self.sections = 0
        self.skipped_blocks = 0
        self.compressed = False
        self._size: int | None = None
        self._owned: BinaryIO | None = None
        self._done = False
        self._pending: CaptureEvent | None = None
        if isinstance(source, (str, os.PathLike)):
            self.name = str(source)
            try:
                self._owned = raw = open(source, "rb")
            except OSError as exc:
                raise CaptureError(self.name, None, f"cannot open: {exc.strerror or exc}") from None
        else:
            raw = source
            self.name = str(getattr(source, "name", "<stream>"))
        try:
            self._open(raw)
            self._events = self._blocks()
            self._pending = next(self._events, None)
        except BaseException:
            self.close()
            raise

    # -- opening -----------------------------------------------------------------------------

    def _open(self, raw: BinaryIO) -> None:
        magic, raw = self._peek_magic(raw)
        if magic == _GZIP_MAGIC:
            self.compressed = True
            self._f = gzip.GzipFile(fileobj=raw, mode="rb")
        else:
            self._f = raw
            self._size = self._remaining_size(raw)
        self._read_piece = getattr(self._f, "read1", self._f.read)

    def _peek_magic(self, raw: BinaryIO) -> tuple[bytes, BinaryIO]:
        try:
            if hasattr(raw, "peek"):
                return raw.peek(2)[:2], raw
            if raw.seekable():
                start = raw.tell()
                magic = raw.read(2)
                raw.seek(start)
                return magic, raw
            magic = raw.read(2)
            return magic, io.BufferedReader(_Prefixed(magic, raw))
        except OSError as exc:
            raise CaptureError(self.name, 0, f"cannot read: {exc.strerror or exc}") from None

    @staticmethod
    def _remaining_size(raw: BinaryIO) -> int | None:
        """Bytes from the current position to the end, when the file can tell (regular files)."""
        try:
            if raw.seekable():
                start = raw.tell()
                end = raw.seek(0, io.SEEK_END)
                raw.seek(start)
                return end - start
        except (OSError, ValueError, AttributeError):
            pass
        return None

    # -- reading pieces of the file ------------------------------------------------------------

    def _fail(self, offset: int | None, reason: str):
        raise CaptureError(self.name, offset, reason)

    def _piece(self, offset: int) -> bytes:
        """The next piece of the file, at most READ_CHUNK bytes (b"" at the end). One read of the
        stream each (`read1`), so damage in a gzip stream is noticed within one piece of the blocks
        that reach it; `offset` is the block being read, for the error."""
        try:
            return self._read_piece(READ_CHUNK)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            self._fail(offset, f"gzip data is corrupt or truncated: {exc}")
        except OSError as exc:
            self._fail(offset, f"cannot read: {exc.strerror or exc}")

    def _refill(self, buffer: bytes, at: int, n: int, offset: int) -> bytes:
        """`buffer` from `at` on, followed by enough of the file to hold `n` bytes, or all the file has
        left. Pieces are joined only up to `n`, which the caller has checked against MAX_BLOCK (and
        the size of a plain file), so a length field promising more than the file holds never
        allocates that much."""
        parts = [buffer[at:]]
        have = len(parts[0])
        while have < n:
            part = self._piece(offset)
            if not part:
                break
            parts.append(part)
            have += len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _skip(self, buffer: bytes, at: int, offset: int, block_type: int, total: int) -> tuple[bytes, int]:
        """Passes over the block at buffer[at] without keeping it (its trailer checked), reading a
        large one piece by piece so that it is never held whole: (buffer, at) of what follows it."""
        trailer_at = at + total - 4
        if trailer_at > len(buffer):
            seen = len(buffer) - at  # bytes of the block read so far
            while seen < total - 4:
                buffer = self._piece(offset)
                if not buffer:
                    self._fail(offset, f"block type 0x{block_type:x}: file ends inside the block "
                                       f"({seen} of {total} bytes)")
                seen += len(buffer)
            trailer_at = len(buffer) - (seen - (total - 4))
        if len(buffer) - trailer_at < 4:
            buffer, trailer_at = self._refill(buffer, trailer_at, 4, offset), 0
            if len(buffer) < 4:
                self._fail(offset, f"block type 0x{block_type:x}: file ends inside the block trailer")
        (trailer,) = _U32.unpack_from(buffer, trailer_at)
        if trailer != total:
            self._fail(offset + total - 4, f"block type 0x{block_type:x}: wrong block total length, "
                                           f"header={total}, trailer={trailer}")
        return buffer, trailer_at + 4

    # -- blocks ------------------------------------------------------------------------------

    def _blocks(self) -> Iterator[CaptureEvent]:
        """Every block of the file in turn, checked, and the event of each event block.

        The file is read in pieces of READ_CHUNK bytes into `buffer`; `at` is where the next block
        starts in it and `offset` where in the file. A block is checked where it lies in the buffer
        (no copy of it is made), and only an event's payload is cut out of it.
        """
        buffer, at, offset = b"", 0, 0
        max_block, size, event_layouts = self.max_block, self._size, _EVENT_LAYOUTS
        block_head = _BLOCK_HEAD.unpack_from
        in_events = False  # an event was read in this section
        try:
            while True:
                if len(buffer) - at < 8:
                    buffer, at = self._refill(buffer, at, 8, offset), 0
                    if len(buffer) < 8:
                        if not buffer:
                            if offset == 0:
                                self._fail(0, "file is empty: expected a section header block")
                            return
                        self._fail(offset, f"file ends inside a block header ({len(buffer)} of 8 bytes)")
                block_type, total = block_head(buffer, at)
                if offset == 0 and block_type != SHB_BLOCK_TYPE:
                    # Before trusting any length, say the plain thing: this is not a capture.
                    self._fail(0, f"not a capture file: expected a section header block (0x{SHB_BLOCK_TYPE:08x}), "
                                  f"found block type 0x{block_type:x}")
                if total < 12:
                    self._fail(offset, f"block type 0x{block_type:x}: block length {total} is smaller than the "
                                       f"12 bytes of its header and trailer")
                if size is not None and total > size - offset:
                    self._fail(offset, f"block type 0x{block_type:x}: block length {total} exceeds the remaining "
                                       f"{size - offset} bytes")
                if total > max_block:
                    self._fail(offset, f"block type 0x{block_type:x}: block length {total} exceeds the "
                                       f"{max_block}-byte limit for one block")
                if total % 4:
                    self._fail(offset, f"block type 0x{block_type:x}: block length {total} is not a multiple of 4")
                layout = event_layouts.get(block_type)
                if layout is None and block_type != SHB_BLOCK_TYPE:
                    if in_events:
                        # libscap restarts on any other block after events and finds no section header
                        # there: a damaged event block must not vanish silently (CAPTURE-BAD-FILE).
                        self._fail(offset, f"invalid block type 0x{block_type:x} after an event: only event blocks "
                                           f"and a new section header may follow events")
                    if block_type != PLUGREF_BLOCK_TYPE:
                        buffer, at = self._skip(buffer, at, offset, block_type, total)
                        offset += total
                        self.skipped_blocks += 1
                        continue
                elif block_type == SHB_BLOCK_TYPE and total < 28:
                    self._fail(offset, f"section header block length {total} is smaller than 28")
                # The block is read whole: an event, a section header or plugref's record.
                if len(buffer) - at < total:
                    buffer, at = self._refill(buffer, at, total, offset), 0
                    if len(buffer) < total:
                        self._fail(offset, f"block type 0x{block_type:x}: file ends inside the block "
                                           f"({len(buffer)} of {total} bytes)")
                end = at + total - 4
                (trailer,) = _U32.unpack_from(buffer, end)
                if trailer != total:
                    self._fail(offset + total - 4, f"block type 0x{block_type:x}: wrong block total length, "
                                                   f"header={total}, trailer={trailer}")
                if layout is not None:
                    in_events = True
                    yield self._event(offset, block_type, layout, buffer, at + 8, end)
                elif block_type == SHB_BLOCK_TYPE:
                    # A concatenated capture: libscap restarts on the new section, and so does plugref.
                    self._section_header(offset, buffer[at + 8:end])
                    in_events = False
                else:
                    self._read_record(offset, buffer[at + 8:end])
                at += total
                offset += total
        finally:
            self.close()

    def _section_header(self, offset: int, body: bytes) -> None:
        magic, major, minor, length = _SHB_BODY.unpack_from(body)
        if magic != SHB_MAGIC:
            swapped = " (byte-swapped: big-endian captures are not supported)" if magic == 0x4D3C2B1A else ""
            self._fail(offset + 8, f"invalid magic number 0x{magic:08x}, expected 0x{SHB_MAGIC:08x}{swapped}")
        if major != SHB_MAJOR:
            self._fail(offset + 12, f"capture format version {major}.{minor} is not supported (major must be 1)")
        self.section = SectionHeader(offset, major, minor, length)
        self.sections += 1

    def _read_record(self, offset: int, body: bytes) -> None:
        try:
            record = json.loads(body.rstrip(b"\0").decode("utf-8"))
            entries = record["plugins"]
            plugins = {}
            for entry in entries:
                plugin_id, name, version = entry["id"], entry["name"], entry["version"]
                if not (type(plugin_id) is int and isinstance(name, str) and isinstance(version, str)):
                    raise TypeError
                plugins[plugin_id] = RecordedPlugin(name, version)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            self._fail(offset, "the plugref plugin record is not a JSON object "
                               '{"plugins": [{"id": int, "name": str, "version": str}, ...]}')
        self.plugins = {**(self.plugins or {}), **plugins}

    def _event(self, offset: int, block_type: int, layout: tuple[int, struct.Struct, int, bool], block: bytes,
               body: int, end: int) -> CaptureEvent:
        """The event of the block at `offset`, whose body is block[body:end] (padding included)."""
        start, header, header_size, has_nparams = layout
        at = body + start  # the event header
        available = end - at
        if available < header_size:
            self._fail(offset, f"event block type 0x{block_type:x} of {end - body + 12} bytes is too short for "
                               f"its {start}-byte prefix and {header_size}-byte event header")
        cpuid = block[body] | block[body + 1] << 8
        flags = _U32.unpack_from(block, body + 2)[0] if start == 6 else 0
        if has_nparams:
            ts, tid, length, etype, nparams = header.unpack_from(block, at)
        else:
            ts, tid, length, etype = header.unpack_from(block, at)
            nparams = None
        where = offset + 8 + start
        if length < header_size:
            self._fail(where, f"invalid event: len {length} is smaller than the event header size {header_size}")
        if length > available:
            self._fail(where, f"invalid event: len {length} is larger than the {available} bytes available "
                              f"in the block")
        if available - length > 3:
            self._fail(where, f"invalid event: len {length} leaves {available - length} bytes of its block unused "
                              f"(at most 3 bytes of padding)")
        params_at = at + header_size
        if etype == PPME_PLUGINEVENT_E:
            if nparams is not None and nparams != 2:
                self._fail(where, f"invalid plugin event: nparams {nparams}, expected 2")
            if length < header_size + PLUGIN_PARAMS.size:
                self._fail(where, f"invalid plugin event: len {length} is too short for its parameters")
            len0, len1, plugin_id = PLUGIN_PARAMS.unpack_from(block, params_at)
            if len0 != 4:
                self._fail(where, f"invalid plugin event: plugin ID parameter has length {len0}, expected 4")
            if header_size + 8 + len0 + len1 != length:
                self._fail(where, f"invalid plugin event: data length {len1} disagrees with event len {length}")
            data_at = params_at + 12  # PLUGIN_PARAMS.size
            return _new_tuple(CaptureEvent, (offset, block_type, cpuid, flags, ts, tid, etype, nparams, plugin_id,
                                             block[data_at:data_at + len1]))
        # Parameter lengths are at least 2 bytes each, whatever the event table says.
        if nparams is not None and nparams * 2 > length - header_size:
            self._fail(where, f"invalid event: nparams {nparams} does not fit in event len {length}")
        return _new_tuple(CaptureEvent, (offset, block_type, cpuid, flags, ts, tid, etype, nparams, None,
                                         block[params_at:at + length]))

    # -- iteration ---------------------------------------------------------------------------

    def __iter__(self) -> Iterator[CaptureEvent]:
        # The block generator itself (after the event read on opening), so that a loop over the
        # reader resumes it directly rather than through __next__.
        if self._pending is None:
            return self._events
        first, self._pending = self._pending, None
        return itertools.chain((first,), self._events)

    def __next__(self) -> CaptureEvent:
        if self._pending is not None:
            event, self._pending = self._pending, None
            return event
        return next(self._events)

    def close(self) -> None:
        if self._done:
            return
        self._done = True
        self._pending = None
        events = getattr(self, "_events", None)
        if events is not None and not events.gi_running:
            events.close()
        f = getattr(self, "_f", None)
        if f is not None and self.compressed:
            f.close()
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> CaptureReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_capture(source: str | os.PathLike | BinaryIO, *, max_block: int = MAX_BLOCK) -> CaptureReader:
    """Stream the events of a plain or gzip capture (see CaptureReader). Raises CaptureError."""
    return CaptureReader(source, max_block=max_block)


def check_plugin_versions(recorded: Mapping[int, RecordedPlugin | tuple[str, str]] | None,
                          loaded: Mapping[int, str]) -> list[str]:
    """CAPTURE-PLUGIN-VERSION: for each plugin ID both recorded in the capture and loaded now, the
    plugin versions must have the same major. No record (None) means no check. A recorded ID with no
    loaded plugin is not an error here: its events simply have no source (api §4.2)."""
    if not recorded:
        return []
    errors = []
    for plugin_id, value in sorted(recorded.items()):
        if plugin_id not in loaded:
            continue
        name, wrote = (value.name, value.version) if isinstance(value, RecordedPlugin) else value
        reads = loaded[plugin_id]
        old, new = parse_version(wrote), parse_version(reads)
        if old is None:
            errors.append(f"plugin {name} (id {plugin_id}): the capture records version {wrote!r}, "
                          f"which is not x.y.z")
        elif new is None:
            errors.append(f"plugin {name} (id {plugin_id}): the loaded plugin's version {reads!r} is not x.y.z")
        elif old.major != new.major:
            errors.append(f"plugin {name} (id {plugin_id}): the capture was written by version {wrote} and the "
                          f"loaded plugin is version {reads}; the major versions must match")
    return errors


__all__ = [
    "CaptureError", "CaptureEvent", "CaptureReader", "CaptureWriter", "RecordedPlugin", "SectionHeader",
    "check_plugin_versions", "read_capture", "plugin_event_block", "section_header_block",
    "plugref_record_block",
]
