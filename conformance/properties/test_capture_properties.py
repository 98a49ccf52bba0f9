"""Capture files: CAPTURE-FORMAT (round trip), CAPTURE-GZIP, CAPTURE-BLOCK-TYPES (any mix of event
block types), CAPTURE-BAD-FILE (mutated captures are read or refused with an offset, never
anything else), CAPTURE-PLUGIN-VERSION (the major rule over generated versions)."""
from __future__ import annotations

import gzip
import io
import re
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.host.capture import (
    EV_BLOCK_TYPE, EV_BLOCK_TYPE_V2, EV_BLOCK_TYPE_V2_LARGE, EVF_BLOCK_TYPE, EVF_BLOCK_TYPE_V2,
    EVF_BLOCK_TYPE_V2_LARGE, MIN_EVENT_BLOCK, CaptureError, CaptureWriter, check_plugin_versions,
    plugin_event_block, read_capture, section_header_block,
)
from reference.host.engine import PluginEvent

EVENT_BLOCK_TYPES = [EV_BLOCK_TYPE, EVF_BLOCK_TYPE, EV_BLOCK_TYPE_V2, EVF_BLOCK_TYPE_V2, EV_BLOCK_TYPE_V2_LARGE,
                     EVF_BLOCK_TYPE_V2_LARGE]

plugin_events = st.builds(
    lambda ts, pid, data: PluginEvent(0, ts, pid, "", data),
    st.integers(0, 2**64 - 1), st.integers(1, 2**32 - 1), st.binary(max_size=40))


def written(events, *, compress=False, plugins=None) -> bytes:
    out = io.BytesIO()
    with CaptureWriter(out, compress=compress, plugins=plugins) as writer:
        for event in events:
            writer.write(event)
    return out.getvalue()


@pytest.mark.clause("CAPTURE-FORMAT", "CAPTURE-GZIP")
@given(st.lists(plugin_events, max_size=20), st.booleans(),
       st.dictionaries(st.integers(1, 2**32 - 1), st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=3))
def test_written_events_read_back_in_order(events, compress, plugins):
    raw = written(events, compress=compress, plugins=plugins)
    assert raw[:2] == b"\x1f\x8b" if compress else raw[:4] == b"\x0a\x0d\x0d\x0a"
    reader = read_capture(io.BytesIO(raw))
    assert reader.compressed == compress
    if plugins:
        assert {k: (v.name, v.version) for k, v in reader.plugins.items()} == plugins
    else:
        assert reader.plugins is None
    got = list(reader)
    assert [(e.ts, e.plugin_id, e.data, e.tid, e.type) for e in got] == \
        [(e.ts, e.plugin_id, e.data, -1, 322) for e in events]
    assert all(e.block_type == EV_BLOCK_TYPE_V2_LARGE for e in got)


@pytest.mark.clause("CAPTURE-BLOCK-TYPES")
@given(st.lists(st.tuples(st.sampled_from(EVENT_BLOCK_TYPES), plugin_events, st.integers(0, 0xFFFF),
                          st.integers(0, 1)), max_size=10))
def test_every_event_block_type_is_read(blocks):
    raw = section_header_block() + b"".join(
        plugin_event_block(e.ts, e.plugin_id, e.data, block_type=t, cpuid=cpu, flags=flags)
        for t, e, cpu, flags in blocks)
    got = list(read_capture(io.BytesIO(raw)))
    expected = [(t, e.ts, e.plugin_id, e.data, cpu, flags if t in (EVF_BLOCK_TYPE, EVF_BLOCK_TYPE_V2,
                                                                    EVF_BLOCK_TYPE_V2_LARGE) else 0)
                for t, e, cpu, flags in blocks]
    assert [(g.block_type, g.ts, g.plugin_id, g.data, g.cpuid, g.flags) for g in got] == expected


# -- mutations -------------------------------------------------------------------------------

def block_offsets(raw: bytes) -> list[int]:
    offsets, at = [], 0
    while at + 8 <= len(raw):
        offsets.append(at)
        (total,) = struct.unpack_from("<I", raw, at + 4)
        if total < 12:
            break
        at += total
    return offsets


@st.composite
def mutated_captures(draw):
    events = draw(st.lists(plugin_events, min_size=1, max_size=6))
    raw = bytearray(written(events, plugins=draw(st.sampled_from([None, {7: ("p", "1.0.0")}]))))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "flip", "length", "append", "insert"]))
        if kind == "truncate" and raw:
            del raw[draw(st.integers(0, len(raw) - 1)):]
        elif kind == "flip" and raw:
            at = draw(st.integers(0, len(raw) - 1))
            raw[at] ^= draw(st.integers(1, 255))
        elif kind == "length" and len(raw) >= 8:
            # A length field: a block's header or trailer copy, an event len, or a parameter length.
            starts = block_offsets(bytes(raw))
            start = draw(st.sampled_from(starts)) if starts else 0
            field = draw(st.sampled_from([4, 18, 28, 34, 38, -4]))
            at = min(max(0, start + field if field > 0 else start + field + 8), len(raw) - 4)
            value = draw(st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 11, 12, 13, 2**31, 2**32 - 1])))
            raw[at:at + 4] = struct.pack("<I", value)
        elif kind == "append":
            raw += draw(st.binary(min_size=1, max_size=64))
        elif kind == "insert":
            at = draw(st.integers(0, len(raw)))
            raw[at:at] = draw(st.binary(min_size=1, max_size=16))
    compress = draw(st.booleans())
    return gzip.compress(bytes(raw), mtime=0) if compress else bytes(raw), len(raw)


@pytest.mark.clause("CAPTURE-BAD-FILE")
@given(mutated_captures())
def test_a_damaged_capture_is_read_or_refused_with_an_offset(case):
    raw, size = case
    count = 0
    try:
        for _ in read_capture(io.BytesIO(raw)):
            count += 1
            assert count <= size // MIN_EVENT_BLOCK
    except CaptureError as error:
        assert re.search(r": at byte \d+: ", str(error)), str(error)
        assert 0 <= error.offset <= size
        assert error.clause == "CAPTURE-BAD-FILE"


@pytest.mark.clause("CAPTURE-BAD-FILE")
@given(st.binary(max_size=200), st.booleans())
def test_garbage_is_refused_with_an_offset(garbage, compress):
    raw = gzip.compress(garbage, mtime=0) if compress else garbage
    with pytest.raises(CaptureError, match=r"at byte \d+: "):
        list(read_capture(io.BytesIO(raw)))


@pytest.mark.clause("CAPTURE-BAD-FILE")
@given(st.lists(plugin_events, min_size=1, max_size=5), st.data())
def test_a_truncated_capture_is_refused_unless_cut_between_blocks(events, data):
    raw = written(events)
    cut = data.draw(st.integers(0, len(raw) - 1))
    boundaries = [b for b in block_offsets(raw) if b >= 28]
    if cut in boundaries:
        # A cut between blocks is a shorter, whole capture (libscap: a clean EOF at a block boundary).
        assert [e.data for e in read_capture(io.BytesIO(raw[:cut]))] == [e.data for e in events][:boundaries.index(cut)]
    else:
        with pytest.raises(CaptureError, match=r"at byte \d+: "):
            list(read_capture(io.BytesIO(raw[:cut])))


versions = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)).map(lambda v: "%d.%d.%d" % v)


@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
@given(st.dictionaries(st.integers(1, 20), versions, max_size=4), st.dictionaries(st.integers(1, 20), versions,
                                                                                    max_size=4))
def test_only_a_different_major_of_a_recorded_and_loaded_plugin_is_an_error(recorded, loaded):
    raw = written([], plugins={i: (f"p{i}", v) for i, v in recorded.items()})
    record = read_capture(io.BytesIO(raw)).plugins
    errors = check_plugin_versions(record, loaded)
    clashing = sorted(i for i in recorded if i in loaded and recorded[i].split(".")[0] != loaded[i].split(".")[0])
    assert len(errors) == len(clashing)
    for i, error in zip(clashing, errors):
        assert f"p{i} (id {i})" in error and recorded[i] in error and loaded[i] in error
