"""Driving a source plugin: NEXT-BATCH-EMPTY-SUCCESS, NEXT-BATCH-DEFERRED-RC, EVT-NUM-FROM-ONE, TS-NOW,
EXTRACT-ARG-EMPTY, EXTRACT-FAILURE-NO-VALUE."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.harness import try_load
from conformance.strategies import event_values
from fake_plugins.defined import encode_payload
from fake_plugins.misbehaving import WELL_BEHAVED_SOURCE, variant
from fake_plugins.defined import DefinedLibrary
from reference.contract.v0_3 import TS_NOW, Event, ExtractRequest, FieldType
from reference.host.engine import EventStream
from reference.errors import PluginCallError
from reference.host.registry import PluginRegistry

NOW = 123_456_789


def opened(definition):
    plugin, error = try_load(definition)
    assert error is None, error
    plugin.open("")
    return plugin


def drain(plugin, limit=1000):
    """Events and timeouts as the stream reports them, until EOF."""
    stream, seen = EventStream(plugin, clock=lambda: NOW), []
    while not stream.ended and len(seen) < limit:
        event = stream.next()
        seen.append("timeout" if event is None and not stream.ended else event)
    return [s for s in seen if s is not None]


steps = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["success", "timeout", "eof"])), max_size=6)


@pytest.mark.clause("NEXT-BATCH-DEFERRED-RC", "EVT-NUM-FROM-ONE", "TS-NOW")
@given(st.lists(st.one_of(st.integers(0, 10**18), st.just("now")), max_size=8), steps)
def test_stream_delivers_every_batch_before_its_return_code(timestamps, script):
    events = [{"ts": ts, "values": {"ticker.count": i}} for i, ts in enumerate(timestamps)]
    # A SUCCESS batch with no event breaks NEXT-BATCH-EMPTY-SUCCESS (tested apart): leave those out.
    remaining, kept = len(events), []
    for n, rc in script:
        if rc == "success" and min(n, remaining) == 0:
            continue
        kept.append({"events": n, "rc": rc})
        remaining -= min(n, remaining)
    script = kept
    seen = drain(opened(variant(WELL_BEHAVED_SOURCE, events=events, batches=script)))

    # Expected, from the statement: each scripted batch in order, then its code; after the
    # script, one event per batch; EOF ends the stream.
    expected, position = [], 0
    for step in script:
        batch = events[position:position + step["events"]]
        position += len(batch)
        expected.extend(batch)
        if step["rc"] == "timeout":
            expected.append("timeout")
        if step["rc"] == "eof":
            break
    else:
        expected.extend(events[position:])
    assert [s if s == "timeout" else s.data for s in seen] == \
           [e if e == "timeout" else encode_payload(e) for e in expected]
    delivered = [s for s in seen if s != "timeout"]
    assert [e.num for e in delivered] == list(range(1, len(delivered) + 1))
    produced = [e for e in expected if e != "timeout"]
    assert [e.ts for e in delivered] == [NOW if p["ts"] == "now" else p["ts"] for p in produced]


@pytest.mark.clause("NEXT-BATCH-EMPTY-SUCCESS")
def test_success_with_no_events_is_an_error():
    plugin = opened(variant(WELL_BEHAVED_SOURCE, batches=[{"events": 0, "rc": "success"}]))
    with pytest.raises(PluginCallError, match="unexpected 0 size event returned by plugin ticker"):
        EventStream(plugin).next()


@pytest.mark.clause("NEXT-BATCH-DEFERRED-RC")
def test_failure_after_events_reports_last_error_after_delivering_them():
    plugin = opened(variant(WELL_BEHAVED_SOURCE, batches=[{"events": 2, "rc": "failure", "error": "bus gone"}]))
    stream = EventStream(plugin)
    assert [stream.next().num, stream.next().num] == [1, 2]
    with pytest.raises(PluginCallError, match="next_batch failed: bus gone"):
        stream.next()


class ReusedBuffers:
    """A library wrapper whose next_batch hands out its events in buffers it reuses at the next call, as
    the API lets a plugin do (a bytearray per position in the batch)."""

    def __init__(self, library):
        self.library, self.buffers = library, []

    def __getattr__(self, name):
        return getattr(self.library, name)

    def next_batch(self, state, instance):
        rc, events = self.library.next_batch(state, instance)
        while len(self.buffers) < len(events):
            self.buffers.append(bytearray())
        for buffer, event in zip(self.buffers, events):
            buffer[:] = event.data
        return rc, [Event(buffer, event.ts, event.evtnum) for buffer, event in zip(self.buffers, events)]


@pytest.mark.clause("NEXT-BATCH-DEFERRED-RC")
def test_each_payload_is_kept_though_the_plugin_reuses_its_buffers():
    definition = variant(WELL_BEHAVED_SOURCE, events=[{"ts": 1 + i, "values": {"ticker.count": i}} for i in range(3)],
                         batches=[{"events": 1, "rc": "success"}] * 3)
    plugin = PluginRegistry().load(ReusedBuffers(DefinedLibrary(definition)))
    plugin.open("")
    events = list(EventStream(plugin))
    assert [e.data for e in events] == [b"ticker.count=0", b"ticker.count=1", b"ticker.count=2"]
    assert {type(e.data) for e in events} == {bytes}


class NotSupported:
    """A library wrapper whose next_batch answers NOT_SUPPORTED (3) with no event."""

    def __init__(self, library):
        self.library, self.errors_read = library, 0

    def __getattr__(self, name):
        return getattr(self.library, name)

    def next_batch(self, state, instance):
        return 3, []

    def get_last_error(self, state):
        self.errors_read += 1
        return self.library.get_last_error(state)


@pytest.mark.clause("NEXT-BATCH-DEFERRED-RC")
def test_not_supported_fails_without_reading_the_last_error():
    library = NotSupported(DefinedLibrary(WELL_BEHAVED_SOURCE))
    plugin = PluginRegistry().load(library)
    plugin.open("")
    with pytest.raises(PluginCallError) as caught:
        EventStream(plugin).next()
    assert str(caught.value) == "plugin ticker: next_batch failed: return code NOT_SUPPORTED"
    assert library.errors_read == 0


@pytest.mark.clause("TS-NOW")
def test_now_is_stamped_from_the_clock():
    assert TS_NOW == 2**64 - 1
    plugin = opened(variant(WELL_BEHAVED_SOURCE, events=[{"ts": "now", "values": {}}]))
    assert EventStream(plugin, clock=lambda: 42).next().ts == 42


class ArgRecorder:
    """A library wrapper that records the arguments extract_fields receives."""

    def __init__(self, library):
        self.library, self.args = library, []

    def __getattr__(self, name):
        return getattr(self.library, name)

    def extract_fields(self, state, event, requests):
        self.args.extend(r.arg for r in requests)
        return self.library.extract_fields(state, event, requests)


@pytest.mark.clause("EXTRACT-ARG-EMPTY")
@given(st.data())
def test_values_round_trip_and_absent_argument_is_empty_string(data):
    fields = WELL_BEHAVED_SOURCE["fields"]
    values = data.draw(event_values(fields))
    plugin = opened(variant(WELL_BEHAVED_SOURCE, events=[{"ts": 1, "values": values}]))
    recorder = ArgRecorder(plugin.library)
    plugin.library = recorder
    event = EventStream(plugin).next().as_plugin_input()
    for info in plugin.info.fields:
        for arg in ("", "a", "1", "x/y"):
            key = f"{info.name}[{arg}]" if arg else info.name
            assert plugin.extract(event, [(info, arg)]) == [values.get(key)]
    assert "" in recorder.args and None not in recorder.args


@pytest.mark.clause("EXTRACT-FAILURE-NO-VALUE")
def test_failing_extraction_gives_no_value_for_every_requested_field():
    plugin = opened(variant(WELL_BEHAVED_SOURCE, events=[{"ts": 1, "data": "ticker.count=NaN;ticker.label[a]=x"}]))
    event = EventStream(plugin).next().as_plugin_input()
    count, label = plugin.info.fields
    assert plugin.extract(event, [(label, "a")]) == ["x"]
    assert plugin.extract(event, [(count, ""), (label, "a")]) == [None, None]
    # Fields the plugin filled before it failed do not count either.
    assert plugin.extract(event, [(label, "a"), (count, "")]) == [None, None]


@pytest.mark.clause("EXTRACT-FAILURE-NO-VALUE")
def test_request_without_field_present_has_no_value():
    request = ExtractRequest(0, "a.b", "", FieldType.STRING, field_present=False, res_str="stale")
    assert request.value is None
