"""The capture writer's edges (CAPTURE-FORMAT, CAPTURE-GZIP, CAPTURE-PLUGIN-VERSION): what it refuses to
write, the plugref record byte for byte, gzip chosen by suffix or flag and reproducible (gzip header mtime 0)."""
import gzip
import io
import struct
import zlib

import pytest

from reference.host.capture import CaptureError, CaptureWriter, RecordedPlugin, plugref_record_block, read_capture
from reference.host.engine import PluginEvent


@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
def test_the_record_is_compact_json_sorted_by_id():
    block = plugref_record_block({7: ("b", "2.0.0"), 3: RecordedPlugin("a", "1.0.0")})
    body = b'{"format":1,"plugins":[{"id":3,"name":"a","version":"1.0.0"},{"id":7,"name":"b","version":"2.0.0"}]}'
    total = (12 + len(body) + 3) // 4 * 4
    assert block == struct.pack("<II", 0x46524C50, total) + body + b"\0" * (total - 12 - len(body)) + \
        struct.pack("<I", total)


@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
@pytest.mark.parametrize("plugins, message", [
    ({0: ("a", "1.0.0")}, "plugin id 0 is not a non-zero u32"),
    ({2**32: ("a", "1.0.0")}, "plugin id 4294967296 is not a non-zero u32"),
    ({"7": ("a", "1.0.0")}, "plugin id '7' is not a non-zero u32"),
    ({5: ("a", 1)}, "plugin 5: name and version must be strings"),
    ({5: (None, "1.0.0")}, "plugin 5: name and version must be strings"),
])
def test_a_bad_record_entry_is_refused(plugins, message):
    with pytest.raises(ValueError, match=f"^{message}$".replace("(", r"\(").replace(")", r"\)")):
        plugref_record_block(plugins)


@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
def test_the_largest_id_is_recorded():
    assert b'"id":4294967295' in plugref_record_block({2**32 - 1: ("a", "1.0.0")})


@pytest.mark.clause("CAPTURE-FORMAT")
@pytest.mark.parametrize("ts, plugin_id, message", [
    (-1, 5, "timestamp -1 does not fit in u64"), (2**64, 5, "timestamp 18446744073709551616 does not fit in u64"),
    (1, 0, "plugin id 0 is not a non-zero u32"), (1, 2**32, "plugin id 4294967296 is not a non-zero u32"),
])
def test_events_that_do_not_fit_are_refused(ts, plugin_id, message):
    with CaptureWriter(io.BytesIO()) as writer:
        with pytest.raises(ValueError) as caught:
            writer.write(PluginEvent(1, ts, plugin_id, "s", b"d"))
    assert str(caught.value) == message


@pytest.mark.clause("CAPTURE-GZIP")
def test_gzip_by_suffix_unless_told_and_reproducible(tmp_path):
    events = [PluginEvent(1, 10, 5, "s", b"a")]
    outputs = {}
    for name, compress in (("a.scap.gz", None), ("b.scap.gz", None), ("c.scap", None), ("d.scap.gz", False),
                           ("e.scap", True)):
        with CaptureWriter(tmp_path / name, compress=compress) as writer:
            for e in events:
                writer.write(e)
        outputs[name] = (tmp_path / name).read_bytes()
    gz = [n for n, raw in outputs.items() if raw[:2] == b"\x1f\x8b"]
    assert gz == ["a.scap.gz", "b.scap.gz", "e.scap"]
    with CaptureWriter(tmp_path / "a.scap.gz") as writer:
        for e in events:
            writer.write(e)
    assert (tmp_path / "a.scap.gz").read_bytes() == outputs["a.scap.gz"]  # no timestamp in the gzip header
    assert outputs["a.scap.gz"][4:8] == b"\0\0\0\0"
    assert gzip.decompress(outputs["a.scap.gz"]) == outputs["c.scap"] == outputs["d.scap.gz"]


@pytest.mark.clause("CAPTURE-FORMAT")
def test_a_stream_passed_in_is_flushed_not_closed_and_close_is_idempotent():
    class Counting(io.BytesIO):
        flushes = 0

        def flush(self):
            Counting.flushes += 1
            super().flush()

    out = Counting()
    writer = CaptureWriter(out)
    writer.write(PluginEvent(1, 10, 5, "s", b"a"))
    assert not writer.closed
    writer.close()
    writer.close()
    assert writer.closed is True and not out.closed and Counting.flushes >= 1
    assert [e.data for e in read_capture(io.BytesIO(out.getvalue()))] == [b"a"]


RECORD_FAULT = ('the plugref plugin record is not a JSON object {"plugins": [{"id": int, "name": str, "version": '
                'str}, ...]}')


def _record(body: bytes) -> bytes:
    total = (12 + len(body) + 3) // 4 * 4
    return struct.pack("<II", 0x46524C50, total) + body + b"\0" * (total - 12 - len(body)) + struct.pack("<I", total)


SHB = bytes.fromhex("0a0d0d0a 1c000000 4d3c2b1a 0100 0200 ffffffffffffffff 1c000000")


@pytest.mark.clause("CAPTURE-BAD-FILE", "CAPTURE-PLUGIN-VERSION")
@pytest.mark.parametrize("body", [
    b'{"plugins": [{"id": "3", "name": "a", "version": "1.0.0"}]}',
    b'{"plugins": [{"id": 3, "name": 4, "version": "1.0.0"}]}',
    b'{"plugins": [{"id": 3, "name": "a", "version": 1}]}',
    b'{"plugins": [{"id": true, "name": "a", "version": "1.0.0"}]}',
    b'{"plugins": [{"id": 3, "name": "a"}]}', b'{"plugins": 3}', b'[1]', b'{', b'\xff',
])
def test_a_bad_record_is_a_capture_error_word_for_word(body):
    with pytest.raises(CaptureError) as caught:
        list(read_capture(io.BytesIO(SHB + _record(body))))
    assert (caught.value.offset, caught.value.reason) == (28, RECORD_FAULT)


@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
def test_a_record_padded_with_nuls_reads():
    reader = read_capture(io.BytesIO(SHB + _record(b'{"plugins": [{"id": 3, "name": "a", "version": "1.0.0"}]}\0\0')))
    assert reader.plugins == {3: RecordedPlugin("a", "1.0.0")}


class _Sink:
    """A target with only write(): it keeps the size and the first 8 bytes (type, total length) of each write."""

    def __init__(self):
        self.size, self.heads = 0, []

    def write(self, data):
        self.size += len(data)
        self.heads.append(bytes(data[:8]))
        return len(data)


@pytest.mark.clause("CAPTURE-FORMAT", "CAPTURE-BAD-FILE")
def test_the_largest_payload_is_the_one_whose_block_is_64_mib():
    # A 0x221 block is the payload and 52 bytes: type, length, cpuid, the 26-byte event header, two u32
    # parameter lengths, the plugin ID and the trailer; a reader takes at most 64 MiB as one block.
    sink = _Sink()
    writer = CaptureWriter(sink)
    writer.write(PluginEvent(1, 10, 5, "s", bytes(64 * 1024 * 1024 - 52)))
    assert sink.heads[-1] == struct.pack("<II", 0x221, 64 * 1024 * 1024)
    with pytest.raises(ValueError) as caught:
        writer.write(PluginEvent(2, 10, 5, "s", bytes(64 * 1024 * 1024 - 51)))
    assert str(caught.value) == "event data of 67108813 bytes does not fit in a 67108864-byte block (at most 67108812 bytes)"
    assert writer.count == 1
    writer.close()  # a target without flush() is not flushed, and nothing fails
    assert sink.size == 28 + 64 * 1024 * 1024


@pytest.mark.clause("CAPTURE-FORMAT")
def test_count_is_the_number_of_events_written():
    out = io.BytesIO()
    with CaptureWriter(out) as writer:
        assert writer.count == 0
        for ts in range(3):
            writer.write(PluginEvent(ts, ts, 5, "s", b"x"))
            assert writer.count == ts + 1
    assert len(list(read_capture(io.BytesIO(out.getvalue())))) == 3


@pytest.mark.clause("CAPTURE-GZIP", "CAPTURE-SYSDIG-INTEROP")
def test_gzip_data_is_deflated_at_zlib_default_level_as_sysdig_writes_it():
    # libscap opens a -z capture with gzopen(path, "wb"): zlib's default level, 6. The events vary
    # enough for levels 5, 6, 7 and 9 to give different deflate streams.
    events = [PluginEvent(i, 1000 + i, 999, "s", f"message number {i % 37} ".encode() * (i % 5)) for i in range(3000)]
    plain, packed = io.BytesIO(), io.BytesIO()
    for out, compress in ((plain, False), (packed, True)):
        with CaptureWriter(out, compress=compress) as writer:
            for e in events:
                writer.write(e)
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    level6 = deflate.compress(plain.getvalue()) + deflate.flush()
    raw = packed.getvalue()
    assert raw[:4] == b"\x1f\x8b\x08\x00"  # gzip, deflate, no flags (no file name)
    assert raw[10:-8] == level6
    for level in (5, 7, 9):
        other = zlib.compressobj(level, zlib.DEFLATED, -15)
        assert other.compress(plain.getvalue()) + other.flush() != level6
    assert struct.unpack("<II", raw[-8:]) == (zlib.crc32(plain.getvalue()), len(plain.getvalue()))
