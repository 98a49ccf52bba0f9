"""Blocks larger than the 1 MiB read piece (CAPTURE-BAD-FILE: "read in 1 MiB pieces, so a lying length costs
nothing"): an event or an unknown block of a few MiB reads whole, from a file, a pipe-like stream and gzip, and
one cut short names how much of it the file held. Block layouts are those of plugin-api.md §5."""
import gzip
import io
import random
import struct

import pytest

from reference.host.capture import CaptureError, read_capture

MIB = 1024 * 1024
SHB = bytes.fromhex("0a0d0d0a 1c000000 4d3c2b1a 0100 0200 ffffffffffffffff 1c000000")


def pad4(n: int) -> int:
    return (n + 3) // 4 * 4


def plugin_event_0x221(ts: int, plugin_id: int, data: bytes) -> bytes:
    """EV_BLOCK_TYPE_V2_LARGE (0x221): u16 cpuid, the 26-byte v2 header of event 322 with 2 u32-length params
    (plugin ID, data), the params, padding, the total again."""
    params = struct.pack("<III", 4, len(data), plugin_id) + data
    event = struct.pack("<QqIHI", ts, -1, 26 + len(params), 322, 2) + params
    body = struct.pack("<H", 0) + event
    total = pad4(8 + len(body) + 4)
    return struct.pack("<II", 0x221, total) + body + b"\0" * (total - 12 - len(body)) + struct.pack("<I", total)


def unknown_block(block_type: int, size: int) -> bytes:
    total = pad4(12 + size)
    return struct.pack("<II", block_type, total) + bytes(range(256)) * (size // 256) + b"\0" * (
        total - 12 - size // 256 * 256) + struct.pack("<I", total)


class Unseekable(io.RawIOBase):
    """A stream whose size cannot be known in advance (a pipe)."""

    def __init__(self, data: bytes):
        self._inner = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._inner.read(min(len(buffer), 65536))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def payload(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def sources(raw: bytes):
    return {"file": io.BytesIO(raw), "pipe": io.BufferedReader(Unseekable(raw)), "gzip": io.BytesIO(gzip.compress(raw))}


@pytest.mark.clause("CAPTURE-BAD-FILE")
@pytest.mark.parametrize("kind", ["file", "pipe", "gzip"])
@pytest.mark.parametrize("size", [MIB - 60, MIB + 5, 2 * MIB + 3])
def test_an_event_larger_than_one_read_piece_reads_whole(kind, size):
    data = payload(size)
    raw = SHB + unknown_block(0x12345678, 2 * MIB + 100) + plugin_event_0x221(5, 77, data) + \
        plugin_event_0x221(6, 77, b"after")
    events = list(read_capture(sources(raw)[kind]))
    assert [(e.ts, e.plugin_id, len(e.data)) for e in events] == [(5, 77, size), (6, 77, 5)]
    assert events[0].data == data
    assert events[0].offset == 28 + pad4(12 + 2 * MIB + 100)


@pytest.mark.clause("CAPTURE-BAD-FILE")
@pytest.mark.parametrize("kind", ["pipe", "gzip"])
@pytest.mark.parametrize("kept", [MIB + 8, 2 * MIB + 4])  # a piece and a few bytes; two pieces
def test_a_large_block_cut_short_says_how_much_the_file_held(kind, kept):
    # Without a known size (pipe, gzip), the reader only finds out when the data runs short.
    block = plugin_event_0x221(5, 77, payload(2 * MIB + 64))
    raw = SHB + block[:kept]
    with pytest.raises(CaptureError) as caught:
        list(read_capture(sources(raw)[kind]))
    assert caught.value.offset == 28
    assert f"file ends inside the block ({kept} of {len(block)} bytes)" in caught.value.reason


@pytest.mark.clause("CAPTURE-BAD-FILE")
@pytest.mark.parametrize("kind", ["pipe", "gzip"])
def test_a_large_unknown_block_cut_short_is_refused_too(kind):
    block = unknown_block(0x12345678, 2 * MIB + 64)
    raw = SHB + block[:MIB + 20]
    with pytest.raises(CaptureError) as caught:
        list(read_capture(sources(raw)[kind]))
    assert caught.value.offset == 28 and "file ends inside the block" in caught.value.reason


def skipped_block(size: int, trailer: int | None = None) -> bytes:
    total = pad4(12 + size)
    return struct.pack("<II", 0x12345678, total) + b"s" * (total - 12) + struct.pack("<I", total if trailer is None
                                                                                     else trailer)


@pytest.mark.clause("CAPTURE-BAD-FILE")
@pytest.mark.parametrize("kind", ["pipe", "gzip"])
@pytest.mark.parametrize("kept, reason", [
    (18, "block type 0x12345678: file ends inside the block (18 of 28 bytes)"),
    (23, "block type 0x12345678: file ends inside the block (23 of 28 bytes)"),
    (26, "block type 0x12345678: file ends inside the block trailer"),
])
def test_a_skipped_block_cut_short(kind, kept, reason):
    raw = SHB + skipped_block(16)[:kept]
    with pytest.raises(CaptureError) as caught:
        list(read_capture(sources(raw)[kind]))
    assert (caught.value.offset, caught.value.reason) == (28, reason)


@pytest.mark.clause("CAPTURE-BAD-FILE")
@pytest.mark.parametrize("kind", ["file", "pipe", "gzip"])
def test_a_skipped_block_with_a_wrong_trailer(kind):
    raw = SHB + skipped_block(16, trailer=99) + plugin_event_0x221(5, 77, b"x")
    with pytest.raises(CaptureError) as caught:
        list(read_capture(sources(raw)[kind]))
    # the offset is that of the trailer: 28 (the section header) + 28 (the block) - 4
    assert (caught.value.offset, caught.value.reason) == (
        52, "block type 0x12345678: wrong block total length, header=28, trailer=99")



class Pieces(io.RawIOBase):
    """A pipe that hands out at most `piece` bytes a read: read through `pieces()`, the reader's pieces
    are then `piece` bytes each, the first (the one peeked at for the gzip magic) included."""

    def __init__(self, data: bytes, piece: int):
        self._inner, self._piece = io.BytesIO(data), piece

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._inner.read(min(len(buffer), self._piece))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def pieces(raw: bytes, piece: int) -> io.BufferedReader:
    return io.BufferedReader(Pieces(raw, piece), buffer_size=piece)


def skipped_block_with_trailer_at(trailer_at: int) -> bytes:
    """A skipped block right after the section header, whose trailer begins at file offset `trailer_at`."""
    return skipped_block(trailer_at + 4 - 28 - 12)


@pytest.mark.clause("CAPTURE-BAD-FILE")
@pytest.mark.parametrize("piece, trailer_at", [
    (65536, 3 * 65536 - 4),  # the trailer ends a read piece
    (65538, 3 * 65538 - 2),  # it straddles two pieces (blocks are 4-aligned, these pieces are not)
    (65536, 3 * 65536),      # it begins a piece
    (65536, 3 * 65536 + 4),  # it follows a piece's first bytes
])
@pytest.mark.parametrize("then", ["an event", "the end of the file"])
def test_a_skipped_block_is_passed_over_wherever_its_trailer_falls_between_read_pieces(piece, trailer_at, then):
    # A block of a type plugref does not read is skipped piece by piece, its trailer checked
    # wherever the read pieces cut it; what follows it is read as if it were not there.
    block = skipped_block_with_trailer_at(trailer_at)
    assert len(block) == trailer_at + 4 - 28
    after = plugin_event_0x221(5, 77, b"after") if then == "an event" else b""
    raw = SHB + block + after
    for kind, source in {"pieces": pieces(raw, piece), **sources(raw)}.items():
        reader = read_capture(source)
        assert [(e.ts, e.data) for e in reader] == ([(5, b"after")] if after else []), kind
        assert reader.skipped_blocks == 1, kind


@pytest.mark.clause("CAPTURE-BAD-FILE")
@pytest.mark.parametrize("piece, trailer_at, kept", [
    (65536, 3 * 65536, 0),      # the file ends at a piece's end, where the trailer would begin
    (65538, 3 * 65538 - 2, 2),  # it ends at a piece's end, inside the trailer
    (65536, 3 * 65536, 3),      # it ends inside the trailer, in the next piece
])
def test_a_skipped_block_whose_file_ends_before_its_trailer_does(piece, trailer_at, kept):
    block = skipped_block_with_trailer_at(trailer_at)
    raw = SHB + block[:len(block) - 4 + kept]
    with pytest.raises(CaptureError) as caught:
        list(read_capture(pieces(raw, piece)))
    assert (caught.value.offset, caught.value.reason) == (28, "block type 0x12345678: file ends inside the block trailer")


@pytest.mark.clause("CAPTURE-BAD-FILE")
def test_a_gzip_stream_cut_inside_a_skipped_block_names_that_block():
    raw = SHB + skipped_block(3 * MIB) + plugin_event_0x221(5, 77, b"after")
    compressed = gzip.compress(raw)
    with pytest.raises(CaptureError) as caught:
        list(read_capture(io.BytesIO(compressed[:len(compressed) // 2])))
    assert caught.value.offset == 28 and caught.value.reason.startswith("gzip data is corrupt or truncated")


class FailingAtTheEnd(Pieces):
    """A pipe whose device fails where its data ends: the read after the last byte raises EIO."""

    def readinto(self, buffer):
        count = super().readinto(buffer)
        if count == 0:
            raise OSError(5, "Input/output error")
        return count


@pytest.mark.clause("CAPTURE-BAD-FILE")
@pytest.mark.parametrize("piece, trailer_at, kept", [
    (65538, 3 * 65538 - 2, 2),  # the trailer straddles two pieces: its last 2 bytes are read apart
    (65536, 3 * 65536, 0),      # it begins a piece: all its 4 bytes are read apart
])
def test_a_read_failing_at_a_skipped_blocks_trailer_names_that_block(piece, trailer_at, kept):
    block = skipped_block_with_trailer_at(trailer_at)
    raw = SHB + block[:len(block) - 4 + kept]
    with pytest.raises(CaptureError) as caught:
        list(read_capture(io.BufferedReader(FailingAtTheEnd(raw, piece), buffer_size=piece)))
    assert (caught.value.offset, caught.value.reason) == (28, "cannot read: Input/output error")
