"""Capture files, case by case: the exact bytes written, every event block type, skipped blocks,
gzip, the errors for bad files (with their offsets), the plugin version record, and sysdig 0.29
reading what plugref writes and plugref reading what sysdig writes."""
from __future__ import annotations

import gzip
import io
import os
import shutil
import struct
import subprocess

import pytest

from fake_plugins.defined import encode_payload
from reference.host.capture import (
    PLUGREF_BLOCK_TYPE, CaptureError, CaptureWriter, RecordedPlugin,
    check_plugin_versions, plugin_event_block, read_capture, section_header_block,
)
from reference.host.engine import PluginEvent

SHB = bytes.fromhex("0a0d0d0a 1c000000 4d3c2b1a 0100 0200 ffffffffffffffff 1c000000")


def block(block_type: int, body: bytes) -> bytes:
    total = (8 + len(body) + 4 + 3) // 4 * 4
    return struct.pack("<II", block_type, total) + body + b"\0" * (total - 12 - len(body)) + struct.pack("<I", total)


def event(ts, pid, data, num=0):
    return PluginEvent(num, ts, pid, "src", data)


def write(events, **kwargs) -> bytes:
    out = io.BytesIO()
    with CaptureWriter(out, **kwargs) as writer:
        for e in events:
            writer.write(e)
    return out.getvalue()


def read(raw: bytes):
    return list(read_capture(io.BytesIO(raw)))


def error_of(raw: bytes) -> CaptureError:
    with pytest.raises(CaptureError) as info:
        read(raw)
    return info.value


# -- CAPTURE-FORMAT ------------------------------------------------------------------------

@pytest.mark.clause("CAPTURE-FORMAT")
def test_the_section_header_is_the_28_bytes_sysdig_writes():
    assert section_header_block() == SHB
    assert write([]) == SHB


@pytest.mark.clause("CAPTURE-FORMAT")
def test_a_plugin_event_block_byte_by_byte():
    raw = write([event(0x0102030405060708, 999, b"abc")])[28:]
    assert raw == bytes.fromhex(
        "21020000 38000000"          # EV_BLOCK_TYPE_V2_LARGE, total 56 = pad4(8+2+41+4)
        "0000"                       # cpuid
        "0807060504030201"           # ts
        "ffffffffffffffff"           # tid -1
        "29000000 4201 02000000"     # len 41, type 322, nparams 2
        "04000000 03000000"          # param lengths (u32: EF_LARGE_PAYLOAD)
        "e7030000 616263"            # plugin_id 999, data
        "00"                         # padding
        "38000000")                  # trailer


@pytest.mark.clause("CAPTURE-FORMAT")
def test_read_events_carry_offset_header_and_payload():
    raw = write([event(5, 7, b"hello"), event(6, 8, b"")])
    first, second = read(raw)
    assert (first.offset, first.block_type, first.cpuid, first.flags, first.ts, first.tid, first.type,
            first.nparams, first.plugin_id, first.data) == (28, 0x221, 0, 0, 5, -1, 322, 2, 7, b"hello")
    assert second.offset == 28 + 60 and second.data == b""
    # Numbering is the consumer's: the reader has none to give; so is the source name (none given: "").
    assert second.to_plugin_event(2, "src") == PluginEvent(2, 6, 8, "src", b"")
    assert second.to_plugin_event(2) == PluginEvent(2, 6, 8, "", b"")
    # The first event's ts (for evt.reltime) is the consumer's too, and goes through as given.
    assert second.to_plugin_event(2, "src", first_ts=5).first_ts == 5
    assert second.to_plugin_event(2, "src").first_ts is None


@pytest.mark.clause("CAPTURE-FORMAT")
def test_only_a_plugin_event_becomes_a_framework_event():
    open_exit = SHB + block(0x221, struct.pack("<H", 0) + struct.pack("<QqIHI", 11, 42, 30, 3, 2) + b"\1\0\0\0")
    (syscall,) = read(open_exit)
    with pytest.raises(ValueError) as caught:
        syscall.to_plugin_event(1)
    assert str(caught.value) == "event of type 3 at byte 28 is not a plugin event"


@pytest.mark.clause("CAPTURE-BLOCK-TYPES")
def test_an_evf_block_written_without_flags_has_flags_0():
    raw = plugin_event_block(7, 9, b"z", block_type=0x222)
    assert raw[8:10] == b"\0\0" and raw[10:14] == b"\0\0\0\0"  # cpuid 0, flags 0 (not state-only)
    (got,) = read(SHB + raw)
    assert (got.flags, got.state_only, got.data) == (0, False, b"z")


@pytest.mark.clause("CAPTURE-FORMAT")
def test_the_writer_refuses_what_the_format_cannot_hold():
    writer = CaptureWriter(io.BytesIO())
    for bad in (event(-1, 1, b""), event(2**64, 1, b""), event(1, 0, b""), event(1, 2**32, b"")):
        with pytest.raises(ValueError):
            writer.write(bad)
    assert writer.count == 0


@pytest.mark.clause("CAPTURE-FORMAT", "CAPTURE-GZIP")
def test_paths_plain_and_gz(tmp_path):
    events = [event(i, 3, b"x" * i) for i in range(5)]
    for name in ("a.scap", "a.scap.gz"):
        with CaptureWriter(tmp_path / name) as writer:
            for e in events:
                writer.write(e)
        head = (tmp_path / name).read_bytes()[:2]
        assert (head == b"\x1f\x8b") == name.endswith(".gz")
        with read_capture(tmp_path / name) as reader:
            assert [(e.ts, e.data) for e in reader] == [(e.ts, e.data) for e in events]
            assert reader.compressed == name.endswith(".gz")


@pytest.mark.clause("CAPTURE-GZIP")
def test_gzip_is_detected_by_its_magic_not_the_name(tmp_path):
    raw = write([event(1, 2, b"z")])
    (tmp_path / "plain.gz").write_bytes(raw)
    (tmp_path / "packed.scap").write_bytes(gzip.compress(raw))
    for name in ("plain.gz", "packed.scap"):
        assert [e.data for e in read_capture(tmp_path / name)] == [b"z"]
    # Concatenated gzip members are one stream, as for zlib's gzread.
    double = gzip.compress(raw[:40]) + gzip.compress(raw[40:])
    assert [e.data for e in read(double)] == [b"z"]


@pytest.mark.clause("CAPTURE-GZIP")
def test_a_non_seekable_stream_is_read():
    raw = gzip.compress(write([event(1, 2, b"p")]))

    class Pipe(io.RawIOBase):
        def __init__(self):
            self.data = io.BytesIO(raw)

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = self.data.read(min(len(buffer), 7))
            buffer[:len(chunk)] = chunk
            return len(chunk)

    assert [e.data for e in read_capture(Pipe())] == [b"p"]


# -- CAPTURE-BLOCK-TYPES -------------------------------------------------------------------

def v1_event(ts, tid, etype, params):
    return struct.pack("<QqIH", ts, tid, 22 + len(params), etype) + params


def v2_event(ts, tid, etype, nparams, params):
    return struct.pack("<QqIHI", ts, tid, 26 + len(params), etype, nparams) + params


@pytest.mark.clause("CAPTURE-BLOCK-TYPES")
@pytest.mark.parametrize("block_type, flags", [
    # The codes of plugin-api.md §5 (event blocks), written out rather than taken from the reader.
    (0x204, None), (0x8010ABCD, None), (0x208, 1), (0x216, None), (0x217, 1), (0x221, None), (0x222, 1)],
    ids=lambda v: hex(v) if v and v > 1 else str(v))
def test_every_event_block_type_with_a_plugin_event_and_a_syscall_event(block_type, flags):
    v1 = block_type in (0x204, 0x8010ABCD, 0x208)  # EV, its legacy spelling, EVF: the 22-byte v1 header
    prefix = struct.pack("<H", 3) + (struct.pack("<I", flags) if flags is not None else b"")
    plugin_params = struct.pack("<III", 4, 2, 77) + b"hi"
    # An open exit (type 3) with u16 lengths: two params of 2 and 4 bytes.
    sys_params = struct.pack("<HH", 2, 4) + b"\x01\x00" + b"/tmp"
    if v1:
        bodies = [v1_event(10, -1, 322, plugin_params), v1_event(11, 42, 3, sys_params)]
    else:
        bodies = [v2_event(10, -1, 322, 2, plugin_params), v2_event(11, 42, 3, 2, sys_params)]
    raw = SHB + b"".join(block(block_type, prefix + b) for b in bodies)
    plugin, syscall = read(raw)
    assert (plugin.block_type, plugin.cpuid, plugin.flags, plugin.ts, plugin.tid, plugin.type, plugin.plugin_id,
            plugin.data) == (block_type, 3, flags or 0, 10, -1, 322, 77, b"hi")
    assert plugin.state_only == bool(flags)
    assert (syscall.ts, syscall.tid, syscall.type, syscall.plugin_id, syscall.data) == (11, 42, 3, None, sys_params)
    assert syscall.nparams == (None if v1 else 2)
    assert plugin.nparams == (None if v1 else 2)


@pytest.mark.clause("CAPTURE-BLOCK-TYPES")
def test_unknown_and_metadata_blocks_before_the_first_event_are_skipped():
    e1, e2 = (plugin_event_block(ts, 5, b"d%d" % ts) for ts in (1, 2))
    skipped = [block(0x201, b"machine info"), block(0x215, b"proc list" * 10), block(0x218, b"fd list"),
               block(0x8002ABCD, b"legacy mi"), block(0x12345678, b"unknown" * 100), block(0x300, b"")]
    raw = SHB + b"".join(skipped) + e1 + e2
    reader = read_capture(io.BytesIO(raw))
    assert [(e.ts, e.data, e.offset) for e in reader] == [
        (1, b"d1", 28 + sum(map(len, skipped))), (2, b"d2", len(raw) - len(e2))]
    assert reader.skipped_blocks == len(skipped)
    # A new section starts over: its metadata blocks come before its events again.
    again = raw + SHB + skipped[0] + plugin_event_block(3, 5, b"d3")
    assert [e.data for e in read_capture(io.BytesIO(again))] == [b"d1", b"d2", b"d3"]


@pytest.mark.clause("CAPTURE-BAD-FILE", "CAPTURE-BLOCK-TYPES")
@pytest.mark.parametrize("block_type", [0x201, 0x218, 0x12345678, 0x204 ^ 0x1000])
def test_a_non_event_block_after_an_event_is_refused_with_its_offset(block_type):
    # sysdig 0.29: "scap error: could not restart capture: invalid block type", after the events before it.
    e1, e2 = (plugin_event_block(ts, 5, b"d%d" % ts) for ts in (1, 2))
    raw = SHB + e1 + block(block_type, b"x" * 8) + e2
    reader = read_capture(io.BytesIO(raw))
    assert next(reader).data == b"d1"
    with pytest.raises(CaptureError) as caught:
        next(reader)
    assert str(caught.value) == (f"capture file <stream>: at byte {28 + len(e1)}: invalid block type "
                                 f"0x{block_type:x} after an event: only event blocks and a new section header "
                                 f"may follow events")


@pytest.mark.clause("CAPTURE-BAD-FILE")
def test_a_flipped_bit_in_a_block_type_stops_the_inspection(tmp_path, capsys):
    from reference.tools.cli import main

    events = [event(ts, 2**30 + 42, b"x.i=%d" % ts) for ts in (1, 2, 3)]
    raw = bytearray(write(events))
    second = raw.index(plugin_event_block(2, 2**30 + 42, b"x.i=2"))
    raw[second + 1] ^= 0x10  # 0x221 -> 0x1221: an unknown block type
    path = tmp_path / "flipped.scap"
    path.write_bytes(bytes(raw))
    assert main(["inspect", "-H", "fake_plugins.counter", "-r", str(path), "-p", "%evt.num"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == ["1"]
    assert f"at byte {second}: invalid block type 0x1221 after an event" in err


@pytest.mark.clause("CAPTURE-BLOCK-TYPES")
def test_a_concatenated_capture_restarts_at_its_section_header():
    raw = write([event(1, 1, b"a")]) + write([event(2, 1, b"b")])
    reader = read_capture(io.BytesIO(raw))
    assert [e.data for e in reader] == [b"a", b"b"] and reader.sections == 2


@pytest.mark.clause("CAPTURE-BLOCK-TYPES")
def test_an_empty_capture_reads_as_no_events():
    # libscap refuses it ("no events in file"); plugref reads it as empty (docs/capture-clauses.md).
    assert read(SHB) == []


# -- CAPTURE-BAD-FILE ----------------------------------------------------------------------

GOOD = write([event(1, 9, b"abc"), event(2, 9, b"defgh")])   # blocks at 28 (56 bytes) and 84 (60 bytes)


def patched(raw: bytes, at: int, fmt: str, value) -> bytes:
    raw = bytearray(raw)
    struct.pack_into(fmt, raw, at, value)
    return bytes(raw)


@pytest.mark.clause("CAPTURE-BAD-FILE")
@pytest.mark.parametrize("raw, offset, reason", [
    (b"", 0, "file is empty"),
    (b"GIF89a" + b"\0" * 30, 0, "not a capture file: expected a section header block (0x0a0d0d0a), found block type"),
    (patched(GOOD, 8, "<I", 0x4D3C2B1A), 8, "invalid magic number 0x4d3c2b1a, expected 0x1a2b3c4d (byte-swapped"),
    (patched(GOOD, 12, "<H", 2), 12, "capture format version 2.2 is not supported"),
    (patched(GOOD, 32, "<I", 0xFFFFFFFF), 28, "block length 4294967295 exceeds the remaining 116 bytes"),
    (patched(GOOD, 32, "<I", 8), 28, "block length 8 is smaller than the 12 bytes"),
    (patched(GOOD, 32, "<I", 58), 28, "block length 58 is not a multiple of 4"),
    (patched(GOOD, 80, "<I", 60), 80, "wrong block total length, header=56, trailer=60"),
    (patched(GOOD, 54, "<I", 43), 38, "invalid event: len 43 is larger than the 42 bytes available in the block"),
    (patched(GOOD, 54, "<I", 20), 38, "invalid event: len 20 is smaller than the event header size 26"),
    (patched(GOOD, 60, "<I", 3), 38, "invalid plugin event: nparams 3, expected 2"),
    (patched(GOOD, 64, "<I", 8), 38, "invalid plugin event: plugin ID parameter has length 8"),
    (patched(GOOD, 68, "<I", 4), 38, "invalid plugin event: data length 4 disagrees with event len 41"),
    (GOOD[:100], 84, "block length 60 exceeds the remaining 16 bytes"),
    (GOOD[:30], 28, "file ends inside a block header (2 of 8 bytes)"),
    (GOOD + b"junk", 144, "file ends inside a block header (4 of 8 bytes)"),
    (GOOD + b"\0" * 8, 144, "block length 0 is smaller than the 12 bytes"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_files_name_the_offset_and_the_fault(raw, offset, reason):
    error = error_of(raw)
    assert error.offset == offset
    assert reason in error.reason
    assert str(error).startswith(f"capture file <stream>: at byte {offset}: ") or raw == b""
    assert error.clause == "CAPTURE-BAD-FILE"


@pytest.mark.clause("CAPTURE-BAD-FILE")
def test_the_message_names_the_file(tmp_path):
    path = tmp_path / "x.scap"
    path.write_bytes(patched(GOOD, 32, "<I", 0xFFFFFFFF))
    with pytest.raises(CaptureError) as info:
        list(read_capture(path))
    assert str(info.value) == (f"capture file {path}: at byte 28: block type 0x221: block length 4294967295 "
                               f"exceeds the remaining 116 bytes")
    with pytest.raises(CaptureError, match="cannot open"):
        read_capture(tmp_path / "missing.scap")


@pytest.mark.clause("CAPTURE-BAD-FILE")
def test_good_events_before_the_damage_are_delivered_first():
    reader = read_capture(io.BytesIO(GOOD[:100]))
    assert next(reader).data == b"abc"
    with pytest.raises(CaptureError, match="at byte 84: "):
        next(reader)
    with pytest.raises(StopIteration):
        next(reader)


@pytest.mark.clause("CAPTURE-BAD-FILE")
def test_gzip_damage_is_a_capture_error_and_absurd_lengths_are_capped():
    packed = gzip.compress(GOOD)
    error = error_of(packed[:len(packed) - 12])
    assert "gzip data is corrupt or truncated" in error.reason or "file ends" in error.reason
    # The size of a gzip stream is unknown before the end: the per-block limit applies.
    error = error_of(gzip.compress(patched(GOOD, 32, "<I", 0xFFFFFFF0)))
    assert error.offset == 28 and "exceeds the 67108864-byte limit" in error.reason  # 64 MiB
    # A length under the limit but past the end is found out when the data runs short.
    error = error_of(gzip.compress(patched(GOOD, 32, "<I", 0x100000)))
    assert error.offset == 28 and "file ends inside the block (116 of 1048576 bytes)" in error.reason


@pytest.mark.clause("CAPTURE-BAD-FILE")
def test_a_broken_plugref_record_is_an_error():
    raw = SHB + block(PLUGREF_BLOCK_TYPE, b'{"plugins": 3}') + GOOD[28:]
    assert error_of(raw).offset == 28
    # Only the zero padding is taken off the record: anything else after the JSON is damage.
    for tail in (b"X", b"XX\0\0", b" \0x"):
        raw = SHB + block(PLUGREF_BLOCK_TYPE, b'{"format":1,"plugins":[]}' + tail) + GOOD[28:]
        assert error_of(raw).offset == 28


# -- CAPTURE-PLUGIN-VERSION ----------------------------------------------------------------

@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
def test_the_writer_records_its_plugins_before_the_first_event():
    raw = write([event(1, 999, b"a")], plugins={999: ("capsrc", "1.2.3"), 5: ("other", "0.1.0")})
    assert raw[28:32] == b"PLRF"
    record_length = struct.unpack_from("<I", raw, 32)[0]
    assert raw[28 + record_length:28 + record_length + 4] == b"\x21\x02\x00\x00"
    reader = read_capture(io.BytesIO(raw))
    assert reader.plugins == {999: RecordedPlugin("capsrc", "1.2.3"), 5: RecordedPlugin("other", "0.1.0")}
    assert [e.data for e in reader] == [b"a"]


@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
def test_same_major_is_required_of_recorded_and_loaded_plugins():
    recorded = {999: RecordedPlugin("capsrc", "1.2.3"), 5: RecordedPlugin("other", "0.1.0")}
    assert check_plugin_versions(recorded, {999: "1.9.0", 5: "0.0.1"}) == []
    assert check_plugin_versions(recorded, {999: "2.0.0"}) == [
        "plugin capsrc (id 999): the capture was written by version 1.2.3 and the loaded plugin is version "
        "2.0.0; the major versions must match"]
    # 0.x is a major like any other: 0.1.0 and 1.0.0 differ.
    assert len(check_plugin_versions(recorded, {5: "1.0.0"})) == 1
    # A recorded plugin that is not loaded, or a loaded one not recorded: nothing to compare.
    assert check_plugin_versions(recorded, {42: "9.0.0"}) == []
    assert check_plugin_versions({1: ("p", "one")}, {1: "1.0.0"}) == [
        "plugin p (id 1): the capture records version 'one', which is not x.y.z"]
    assert check_plugin_versions({1: ("p", "1.0.0")}, {1: "one"}) == [
        "plugin p (id 1): the loaded plugin's version 'one' is not x.y.z"]


@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
def test_a_capture_without_a_record_is_not_checked():
    reader = read_capture(io.BytesIO(GOOD))
    assert reader.plugins is None
    assert check_plugin_versions(reader.plugins, {9: "7.0.0"}) == []


# -- CAPTURE-SYSDIG-INTEROP ----------------------------------------------------------------

needs_sysdig = pytest.mark.skipif(shutil.which("sysdig") is None, reason="sysdig is not installed")

DEFINITION = {
    "name": "capsrc", "id": 999, "event_source": "capsrc", "version": "1.2.3",
    "description": "native fake plugin for the capture checks", "contact": "plugref",
    "fields": [{"type": "string", "name": "capsrc.msg", "desc": "the msg value"}],
    "events": [{"ts": 1_000_000_000, "values": {"capsrc.msg": "hello"}}, {"ts": 2_000_000_123, "data": "abc"},
               {"ts": 3_000_000_000, "data": ""}, {"ts": 4_000_000_000, "values": {"capsrc.msg": "x y"}}],
}


def sysdig(*args, cwd):
    env = {**os.environ, "TZ": "UTC"}
    return subprocess.run(["sysdig", *args], capture_output=True, text=True, timeout=60, cwd=cwd, env=env)


@needs_sysdig
@pytest.mark.clause("CAPTURE-SYSDIG-INTEROP")
@pytest.mark.parametrize("compress", [False, True])
def test_plugref_reads_what_sysdig_writes_byte_for_byte(make_native, tmp_path, compress):
    plugin = make_native(DEFINITION)
    target = tmp_path / "sysdig.scap"
    result = sysdig("-H", str(plugin), "-I", str(plugin), *(["-z"] if compress else []), "-w", str(target),
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = [(e["ts"], 999, encode_payload(e)) for e in DEFINITION["events"]]
    reader = read_capture(target)
    assert reader.compressed == compress and reader.plugins is None
    assert [(e.ts, e.plugin_id, e.data, e.tid, e.block_type) for e in reader] == \
        [x + (-1, 0x221) for x in expected]  # EV_BLOCK_TYPE_V2_LARGE, as sysdig writes plugin events
    # And plugref writes the very same bytes for those events.
    raw = target.read_bytes()
    events = [event(ts, pid, data) for ts, pid, data in expected]
    if compress:
        # The deflate data too (zlib level 6); only the gzip header's OS byte differs (CAPTURE-GZIP).
        assert write(events, compress=True)[10:] == raw[10:]
        raw = gzip.decompress(raw)
    assert write(events) == raw


@needs_sysdig
@pytest.mark.clause("CAPTURE-SYSDIG-INTEROP", "CAPTURE-PLUGIN-VERSION")
@pytest.mark.parametrize("name", ["plugref.scap", "plugref.scap.gz"])
def test_sysdig_reads_what_plugref_writes(make_native, tmp_path, name):
    plugin = make_native(DEFINITION)
    events = [event(1_000_000_000, 999, b"capsrc.msg=first"), event(1_500_000_007, 999, b"plain text"),
              event(2_000_000_000, 999, b""), event(2_500_000_000, 12345, b"not ours")]
    target = tmp_path / name
    with CaptureWriter(target, plugins={999: ("capsrc", "1.2.3")}) as writer:
        for e in events:
            writer.write(e)
    result = sysdig("-H", str(plugin), "-r", str(target), "-p",
                    "*%evt.num %evt.rawtime %thread.tid %evt.plugininfo|%capsrc.msg|%evt.pluginname", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "1 1000000000 -1 capsrc.msg=first|first|capsrc",
        "2 1500000007 -1 plain text|<NA>|capsrc",
        "3 2000000000 -1 |<NA>|capsrc",
        # No loaded plugin has ID 12345: the event has no source, and so no plugin fields.
        "4 2500000000 -1 <NA>|<NA>|<NA>",
    ]
