"""The checks of `plugref check` (reference/tools/plugin_check/checks.py) in-process, one plugin defect at a time.

`plugref check` runs these functions in a child process (tests/test_plugin_check.py drives the whole tool);
here each check is called directly on a `CheckContext` over a scripted Python plugin (a definition of
fake_plugins/defined.py, or a subclass of it with one defect), so that what each check reports for each
behaviour of a plugin is pinned: its status, its reason, its notes and the calls it makes.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import time

import pytest

from fake_plugins.defined import DefinedLibrary
from fake_plugins.misbehaving import WELL_BEHAVED_EXTRACTOR, WELL_BEHAVED_SOURCE, variant
from reference.contract.v0_3 import TS_NOW, Event, ExtractRequest, FieldType, ReturnCode
from reference.errors import PlugrefError
from reference.host.loader import read_info
from reference.tools.plugin_check import checks
from reference.tools.plugin_check.checks import (CheckContext, CheckFailed, CheckOptions, CheckSkipped, CheckWarning,
                                                 RecordingLibrary)
from reference.tools.plugin_check.child import check_outcome

REGISTRY = "conformance/data/registry.yaml"
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed: native plugins cannot be built")


def context(library, **options) -> tuple[CheckContext, list[tuple]]:
    """A check context over `library` and the list of the calls it announces: (call, detail, nth, total, replay);
    a return is (None, "", None, None, None)."""
    calls: list[tuple] = []

    def announce(call, detail, *, nth=None, total=None, replay=None):
        calls.append((call, detail, nth, total, replay))

    options.setdefault("max_examples", 5)
    return CheckContext(CheckOptions(library.location, **options), RecordingLibrary(library, announce),
                        read_info(library)), calls


def outcome(name: str, library, **options) -> tuple[str, str, list[str]]:
    """(status, reason, notes) of one check, as child.run_checks reports them."""
    ctx, _ = context(library, **options)
    return check_outcome(checks.CHECKS[name], ctx)


class WrongHandle(BaseException):
    """A call made with a state or instance the plugin did not hand out, or no longer holds (a BaseException, so
    that no check mistakes it for the plugin's own failure)."""


class Strict(DefinedLibrary):
    """The definition plugin, refusing every call made with a handle it did not hand out or has released, and a
    destroy before the close of its instances (the framework never does either, CHECK-TEARDOWN)."""

    def __init__(self, definition: dict, location: str | None = None):
        super().__init__(definition, location)
        self.states: set = set()
        self.instances: dict = {}  # instance -> its state

    def _live(self, state) -> None:
        if state not in self.states:
            raise WrongHandle(f"unknown or destroyed state {state!r}")

    def _open(self, state, instance) -> None:
        self._live(state)
        if self.instances.get(instance) is not state:
            raise WrongHandle(f"instance {instance!r} is not open on state {state!r}")

    def init(self, config):
        state, rc = super().init(config)
        if state is not None:
            self.states.add(state)
        return state, rc

    def destroy(self, state):
        self._live(state)
        if state in self.instances.values():
            raise WrongHandle("destroy before close")
        self.states.discard(state)

    def get_last_error(self, state):
        self._live(state)
        return super().get_last_error(state)

    def open(self, state, params):
        self._live(state)
        instance, rc = super().open(state, params)
        if instance is not None and rc == ReturnCode.SUCCESS:  # a failed open hands out nothing to close
            self.instances[instance] = state
        return instance, rc

    def close(self, state, instance):
        self._open(state, instance)
        del self.instances[instance]

    def next_batch(self, state, instance):
        self._open(state, instance)
        return super().next_batch(state, instance)

    def get_progress(self, state, instance):
        self._open(state, instance)
        return super().get_progress(state, instance)

    def event_to_string(self, state, data):
        self._live(state)
        return super().event_to_string(state, data)

    def extract_fields(self, state, event, requests):
        self._live(state)
        if type(event.ts) is not int or not 0 < event.ts < TS_NOW or event.evtnum < 1:
            raise WrongHandle(f"extraction from an event the framework would not hand over: {event!r}")
        return super().extract_fields(state, event, requests)

    def list_open_params(self, state):
        self._live(state)
        return super().list_open_params(state)


def source(**changes) -> DefinedLibrary:
    return Strict(variant(WELL_BEHAVED_SOURCE, **changes))


def extractor(**changes) -> DefinedLibrary:
    return Strict(variant(WELL_BEHAVED_EXTRACTOR, **changes))


def called(calls) -> list[str]:
    """The plugin calls made, in order (returns left out)."""
    return [c[0] for c in calls if c[0] is not None]


# --- reasons: the first problem quoted, the others counted and listed ---

def test_a_reason_quotes_the_first_problem_and_counts_the_others():
    assert checks.summarize(["one"]) == "one"
    assert checks.summarize(["one", "two", "three"]) == "one (and 2 more)"
    failure = checks.failed(["one", "two", "three"], ["a note"])
    assert failure.reason == "one (and 2 more)" and failure.warnings == ["two", "three", "a note"]
    many = [f"p{n}" for n in range(15)]
    assert checks.failed(many).warnings == [f"p{n}" for n in range(1, 10)]  # at most 10 problems shown in all
    assert checks.failed(["only"]).warnings == []


def test_bytes_are_described_up_to_a_limit():
    assert checks.describe_bytes(b"x" * 40) == repr(b"x" * 40)
    assert checks.describe_bytes(b"x" * 41) == repr(b"x" * 40) + "..."
    assert checks.describe_bytes(b"abcdef", 3) == "b'abc'..."


# --- every call announced before it is made, with its place in the process and its replay ---

@pytest.mark.clause("CHECK-ISOLATION")
def test_each_call_is_announced_with_its_place_and_replay_then_its_return():
    library = source()
    ctx, calls = context(library)
    recording = ctx.library
    recording.detail = "first"
    state, rc = recording.init("{}")
    assert rc == ReturnCode.SUCCESS
    recording.detail = "second"
    instance, _ = recording.open(state, "p")
    recording.event_to_string(state, b"ab")
    event = Event(b"ticker.count=4", 77, 3)
    request = ExtractRequest(1, "ticker.label", "a", FieldType.STRING)
    assert recording.extract_fields(state, event, [request]) == ReturnCode.SUCCESS
    recording.init("{}")
    assert calls == [
        ("plugin_init", "first", 1, 1, {"config": "{}"}), (None, "", None, None, None),
        ("plugin_open", "second", 1, 2, {"params": "p"}), (None, "", None, None, None),
        ("plugin_event_to_string", "second", 1, 3, {"data": "YWI="}), (None, "", None, None, None),
        ("plugin_extract_fields", "second", 1, 4,
         {"data": "dGlja2VyLmNvdW50PTQ=", "ts": 77, "evtnum": 3, "requests": [[1, "ticker.label", "a", 9]]}),
        (None, "", None, None, None),
        ("plugin_init", "second", 2, 5, {"config": "{}"}), (None, "", None, None, None),
    ]
    del calls[:]
    recording.get_progress(state, instance)
    recording.close(state, instance)
    recording.list_open_params(state)
    recording.get_last_error(state)
    recording.destroy(state)
    assert [c[0] for c in calls[::2]] == ["plugin_get_progress", "plugin_close", "plugin_list_open_params",
                                          "plugin_get_last_error", "plugin_destroy"]
    assert all(c[4] is None for c in calls[::2])  # no replay: only init, open, event_to_string, extract_fields
    assert [c[2] for c in calls[::2]] == [1, 1, 1, 1, 1] and [c[3] for c in calls[::2]] == [6, 7, 8, 9, 10]
    assert calls[1::2] == [(None, "", None, None, None)] * 5


class RaisingInit(Strict):
    def init(self, config):
        raise PlugrefError("init answered 7 (int), not a state")


@pytest.mark.clause("CHECK-ISOLATION")
def test_a_call_the_bridge_refuses_still_says_it_returned():
    ctx, calls = context(RaisingInit(WELL_BEHAVED_SOURCE))
    with pytest.raises(PlugrefError):
        ctx.library.init("{}")
    assert calls[-1] == (None, "", None, None, None)


class NoTextError(Strict):
    def get_last_error(self, state):
        return None


def test_a_last_error_that_is_not_text_reads_as_empty():
    ctx, _ = context(NoTextError(WELL_BEHAVED_SOURCE))
    state, _ = ctx.library.init("{}")
    assert ctx.library.get_last_error(state) == ""


class ReusedBuffer(Strict):
    """Hands out its events in one bytearray that get_progress (called between two batches) overwrites."""

    def next_batch(self, state, instance):
        rc, batch = super().next_batch(state, instance)
        self.buffers = [bytearray(e.data) for e in batch]
        return rc, [Event(buffer, e.ts) for buffer, e in zip(self.buffers, batch)]

    def get_progress(self, state, instance):
        for buffer in self.buffers:
            buffer[:] = b"overwritten"
        return super().get_progress(state, instance)


def test_a_python_batch_is_copied_and_re_read_from_the_objects_the_plugin_gave():
    library = ReusedBuffer(WELL_BEHAVED_SOURCE)
    ctx, calls = context(library)
    state, _ = ctx.library.init("{}")
    instance, _ = ctx.library.open(state, "")
    rc, batch, reread = ctx.library.next_batch(state, instance)
    assert rc == ReturnCode.SUCCESS
    assert batch == [Event(b"ticker.count=1;ticker.label[a]=one", 1000), Event(b"ticker.count=2;ticker.label[a]=two", 2000)]
    assert all(type(e.data) is bytes for e in batch)
    assert reread() == batch
    library.get_progress(state, instance)
    assert batch[0].data == b"ticker.count=1;ticker.label[a]=one"  # the copy kept
    assert reread() == [Event(b"overwritten", 1000), Event(b"overwritten", 2000)]
    assert calls[-2][0] == "plugin_next_batch" and calls[-1][0] is None
    ctx.library.next_batch(state, instance)
    rc, batch, reread = ctx.library.next_batch(state, instance)
    assert (rc, batch, reread) == (ReturnCode.EOF, [], None)


# --- next-batch (CHECK-NEXT-BATCH) ---

@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_a_well_behaved_stream_passes_and_says_how_many_events_were_read():
    assert outcome("next-batch", source()) == ("PASS", "", ["read 3 events"])
    assert outcome("next-batch", source(), max_events=2) == \
        ("PASS", "", ["stopped after 2 events without EOF (--max-events)", "read 2 events"])


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_success_with_zero_events_fails():
    status, reason, _ = outcome("next-batch", source(batches=[{"events": 1}, {"events": 0, "rc": "success"}]))
    assert status == "FAIL"
    assert reason == "batch 2: SUCCESS with zero events (the framework fails: unexpected 0 size event)"


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_a_failure_quotes_the_last_error():
    assert outcome("next-batch", source(batches=[{"events": 0, "rc": "failure", "error": "the bus is gone"}]))[:2] == \
        ("FAIL", "batch 1: next_batch failed: the bus is gone")
    assert outcome("next-batch", source(batches=[{"events": 1}, {"events": 0, "rc": "failure"}]))[:2] == \
        ("FAIL", "batch 2: next_batch failed: (no last error)")


class AnswersCode(Strict):
    """next_batch answers a fixed code (with the events of its script)."""

    code = ReturnCode.NOT_SUPPORTED

    def next_batch(self, state, instance):
        _, batch = super().next_batch(state, instance)
        return self.code, batch


class UnknownCode(AnswersCode):
    code = 7


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_not_supported_and_unknown_codes_fail():
    assert outcome("next-batch", AnswersCode(WELL_BEHAVED_SOURCE))[:2] == \
        ("FAIL", "batch 1: next_batch returned NOT_SUPPORTED")
    assert outcome("next-batch", UnknownCode(WELL_BEHAVED_SOURCE))[:2] == \
        ("FAIL", "batch 1: next_batch returned the unknown code 7")


class RefusedBatch(Strict):
    def next_batch(self, state, instance):
        if instance.position:
            raise PlugrefError("next_batch answered [1] (list), not an event list")
        return super().next_batch(state, instance)


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_a_batch_the_bridge_refuses_fails():
    assert outcome("next-batch", RefusedBatch(WELL_BEHAVED_SOURCE))[:2] == \
        ("FAIL", "batch 2: next_batch answered [1] (list), not an event list")


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_timestamp_zero_fails_unless_allowed_and_now_is_fine():
    zero = source(events=[{"ts": 5, "values": {}}, {"ts": 0, "values": {}}, {"ts": 0, "values": {}}], batch_size=1)
    status, reason, notes = outcome("next-batch", zero)
    assert status == "FAIL"
    assert reason.startswith("event 2 (batch 2): timestamp 0 (unset? use UINT64_MAX for \"now\", or pass "
                             "--allow-zero-ts if 0 is documented)") and reason.endswith(" (and 1 more)")
    assert notes[0].startswith("event 3 (batch 3): timestamp 0")
    assert outcome("next-batch", zero, allow_zero_ts=True) == ("PASS", "", ["read 3 events"])
    assert outcome("next-batch", source(events=[{"ts": "now", "values": {}}])) == ("PASS", "", ["read 1 events"])


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_a_timestamp_more_than_a_year_ahead_is_a_note():
    import time
    year_ns = 366 * 24 * 3600 * 10**9
    far = time.time_ns() + year_ns + 3600 * 10**9
    near = time.time_ns() + year_ns - 3600 * 10**9
    status, _, notes = outcome("next-batch", source(events=[{"ts": near, "values": {}}, {"ts": far, "values": {}}]))
    assert status == "PASS"
    assert notes == [f"event 2 (batch 1): timestamp {far} is more than a year in the future", "read 2 events"]
    assert outcome("next-batch", source(events=[{"ts": far, "values": {}}]), allow_zero_ts=True)[2][0] == \
        f"event 1 (batch 1): timestamp {far} is more than a year in the future"


class EndlessTimeouts(Strict):
    def next_batch(self, state, instance):
        if instance.position < 1:
            return super().next_batch(state, instance)
        return ReturnCode.TIMEOUT, []


class TimeoutsThenEvents(Strict):
    """199 TIMEOUTs, an event with TIMEOUT, 199 TIMEOUTs again, then the rest: never 200 in a row."""

    def next_batch(self, state, instance):
        instance.calls = getattr(instance, "calls", 0) + 1
        if instance.calls in range(1, 200) or instance.calls in range(201, 400):
            return ReturnCode.TIMEOUT, []
        if instance.calls == 200:
            _, batch = super().next_batch(state, instance)
            return ReturnCode.TIMEOUT, batch
        return super().next_batch(state, instance)


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_200_timeouts_in_a_row_end_the_reading_with_a_note():
    assert outcome("next-batch", EndlessTimeouts(variant(WELL_BEHAVED_SOURCE, batch_size=1))) == \
        ("PASS", "", ["stopped after 200 TIMEOUTs in a row", "read 1 events"])
    assert outcome("next-batch", TimeoutsThenEvents(variant(WELL_BEHAVED_SOURCE, batch_size=1))) == \
        ("PASS", "", ["read 3 events"])


class EventsAfterEof(Strict):
    """After EOF: `after` gives what the n-th call answers."""

    after: dict = {}

    def next_batch(self, state, instance):
        if instance.ended:
            instance.after_calls = getattr(instance, "after_calls", 0) + 1
            answer = self.after.get(instance.after_calls)
            if isinstance(answer, Exception):
                raise answer
            if answer is not None:
                return answer
        return super().next_batch(state, instance)


def after_eof(answers: dict) -> EventsAfterEof:
    library = EventsAfterEof(WELL_BEHAVED_SOURCE)
    library.after = answers
    return library


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_eof_must_stay_final_for_three_calls():
    more = (ReturnCode.EOF, [Event(b"late", 1)])
    assert outcome("next-batch", after_eof({1: more}))[:2] == \
        ("FAIL", "EOF is not final: call 1 after EOF (batch 3) returned 1 more events (rc 2)")
    assert outcome("next-batch", after_eof({3: (ReturnCode.TIMEOUT, [])}))[:2] == \
        ("FAIL", "EOF is not final: call 3 after EOF returned rc -1, not EOF")
    assert outcome("next-batch", after_eof({4: more})) == ("PASS", "", ["read 3 events"])
    assert outcome("next-batch", after_eof({2: PlugrefError("refused")}))[:2] == ("FAIL", "call 2 after EOF: refused")


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_the_stream_is_read_once_and_its_calls_are_detailed(monkeypatch):
    ctx, calls = context(source(), init_config="")
    assert ctx.collection().strings_checked == 3
    first = list(calls)
    ctx.collection()
    assert calls == first  # cached on the context
    details = [(c[0], c[1]) for c in calls if c[0] is not None]
    assert details[:2] == [("plugin_init", "config ''"), ("plugin_open", "params ''")]
    assert ("plugin_next_batch", "batch 1") in details and ("plugin_get_progress", "after batch 1") in details
    assert ("plugin_event_to_string", "event 1") in details and ("plugin_event_to_string", "event 3") in details
    assert ("plugin_next_batch", "call 3 after EOF") in details
    assert details[-2:] == [("plugin_close", "closing after use"), ("plugin_destroy", "destroying after use")]


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_an_event_changed_before_the_next_call_fails():
    status, reason, _ = outcome("next-batch", ReusedBuffer(WELL_BEHAVED_SOURCE))
    assert status == "FAIL"
    assert reason == ("event 1 (batch 1) changed before the next next_batch call: "
                      "b'ticker.count=1;ticker.label[a]=one' ts 1000 became b'overwritten' ts 1000 "
                      "(the plugin reused its memory too early) (and 1 more)")


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_re_reading_a_batch_that_fails_is_a_problem(monkeypatch):
    ctx, calls = context(source())
    original = ctx.library.next_batch

    def next_batch(state, instance):
        rc, batch, reread = original(state, instance)

        def refused():
            raise PlugrefError("event 0 of the batch has datalen 99 but NULL data")
        return rc, batch, refused if reread else None
    monkeypatch.setattr(ctx.library, "next_batch", next_batch)
    with pytest.raises(CheckFailed) as failure:
        checks.check_next_batch(ctx)
    assert failure.value.reason.startswith("batch 1: re-reading the batch failed: event 0 of the batch has datalen 99 "
                                           "but NULL data")
    assert ("reread_batch", "batch 1, before the next call", None, None, None) in \
        [(c[0], c[1], None, None, None) for c in calls]


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_an_open_that_fails_skips_reading():
    assert outcome("next-batch", source(open_error="no such file")) == \
        ("SKIP", "cannot open the plugin: open with params '' failed (rc 1, no instance): no such file", [])
    assert outcome("next-batch", extractor()) == ("SKIP", "extractor plugins produce no events", [])


def test_reading_is_skipped_when_its_calls_crashed_before():
    for family in ("next-batch", "open"):
        assert outcome("next-batch", source(), avoid=frozenset({family})) == \
            ("SKIP", "reading events crashed or hung earlier (see the next-batch and open checks)", [])


# --- progress (CHECK-PROGRESS) ---

@pytest.mark.clause("CHECK-PROGRESS")
@pytest.mark.parametrize("text, pct, problem", [
    (None, 0, None), (None, 10000, None), ("", 5000, None),
    ("50.00", 5000, None), ("50%", 5000, None), (" 50.0 % ", 5000, None), ("49.5", 4950, None),
    ("50", 4950, None),  # 49.5 shown to 0 decimals
    ("half way", 5000, None),  # free text is not compared
    ("40X", 5000, None),  # nor text that only starts like a number
    ("40%", 5000, "progress text '40%' disagrees with the percentage 50.00 (5000/10000)"),
    ("49.6", 4955, None),  # 49.55 shown to 1 decimal
    ("49.6", 4950, "progress text '49.6' disagrees with the percentage 49.50 (4950/10000)"),
    ("51", 4950, "progress text '51' disagrees with the percentage 49.50 (4950/10000)"),
    ("49", 5000, "progress text '49' disagrees with the percentage 50.00 (5000/10000)"),
    (None, -1, "progress -1 is outside 0..10000 (text None)"),
    ("100.01", 10001, "progress 10001 is outside 0..10000 (text '100.01')"),
])
def test_progress_is_in_range_and_its_numeric_text_agrees(text, pct, problem):
    assert checks._progress_problem(text, pct) == problem


class Progress(Strict):
    answers: list = []

    def get_progress(self, state, instance):
        answer = self.answers[min(instance.position, len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer


def progress(*answers) -> Progress:
    library = Progress(variant(WELL_BEHAVED_SOURCE, batch_size=1))
    library.answers = list(answers)
    return library


@pytest.mark.clause("CHECK-PROGRESS")
def test_progress_is_read_after_every_batch():
    assert outcome("progress", source()) == ("PASS", "", [])
    assert outcome("progress", progress(("10", 1000), ("200", 20000), ("30", 3000)))[:2] == \
        ("FAIL", "after batch 2: progress 20000 is outside 0..10000 (text '200')")
    assert outcome("progress", progress(("10", 1000), PlugrefError("refused"), ("30", 3000)))[:2] == \
        ("FAIL", "after batch 2: refused")
    assert outcome("progress", progress(("50", 5000), ("40", 4000), ("60", 6000))) == \
        ("PASS", "", ["progress went backwards: [5000, 4000, 6000, 6000]"])
    assert outcome("progress", progress(("50", 5000), ("50", 5000), ("50", 5000))) == ("PASS", "", [])


@pytest.mark.clause("CHECK-PROGRESS")
def test_progress_is_skipped_without_get_progress_or_batches():
    without = "the plugin does not export plugin_get_progress"
    assert outcome("progress", source(omit_symbols=["plugin_get_progress"])) == ("SKIP", without, [])
    assert outcome("progress", extractor()) == ("SKIP", without, [])
    assert outcome("progress", source(batches=[{"events": 0, "rc": "success"}])) == \
        ("SKIP", "no progress was read (no batch)", [])  # the first batch is refused: no progress after it
    assert outcome("progress", source(batches=[{"events": 0, "rc": "eof"}])) == ("PASS", "", [])  # read after EOF
    ctx, calls = context(source(omit_symbols=["plugin_get_progress"]))
    assert ctx.collection().progress_samples == [] and "plugin_get_progress" not in called(calls)
    ctx, calls = context(source(), avoid=frozenset({"progress"}))
    assert ctx.collection().events and "plugin_get_progress" not in called(calls)


# --- event-to-string (CHECK-EVENT-TO-STRING) ---

class Strings(Strict):
    answer = None

    def event_to_string(self, state, data):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def strings(answer) -> Strings:
    library = Strings(WELL_BEHAVED_SOURCE)
    library.answer = answer
    return library


@pytest.mark.clause("CHECK-EVENT-TO-STRING")
def test_every_event_must_print_as_a_string():
    assert outcome("event-to-string", source()) == ("PASS", "", [])
    status, reason, notes = outcome("event-to-string", strings(None))
    assert (status, reason) == ("FAIL", "event 1 (b'ticker.count=1;ticker.label[a]=one'): event_to_string returned "
                                        "NULL (and 2 more)")
    assert notes == ["event 2 (b'ticker.count=2;ticker.label[a]=two'): event_to_string returned NULL",
                     "event 3 (b'ticker.count=3'): event_to_string returned NULL"]
    assert outcome("event-to-string", strings(b"bytes"))[1] == \
        "event 1: event_to_string returned bytes, not a string (and 2 more)"
    assert outcome("event-to-string", strings(PlugrefError("not valid UTF-8")))[1] == \
        "event 1 (b'ticker.count=1;ticker.label[a]=one'): not valid UTF-8 (and 2 more)"


@pytest.mark.clause("CHECK-EVENT-TO-STRING")
def test_event_to_string_is_skipped_without_events_or_after_it_crashed():
    assert outcome("event-to-string", source(events=[])) == ("SKIP", "no events to print", [])
    ctx, calls = context(strings(None), avoid=frozenset({"event-to-string"}))
    assert ctx.collection().strings_checked == 0 and "plugin_event_to_string" not in called(calls)
    with pytest.raises(CheckSkipped):
        checks.check_event_to_string(ctx)


# --- load and identity (CHECK-LOAD) ---

@pytest.mark.clause("CHECK-LOAD")
def test_load_fails_fields_without_extract_fields_and_fields_declared_twice():
    assert outcome("load", source()) == ("PASS", "", [])
    assert outcome("load", source(omit_symbols=["plugin_extract_fields"]))[:2] == \
        ("FAIL", "declares 2 fields but does not export plugin_extract_fields")
    twice = WELL_BEHAVED_SOURCE["fields"] + [{"type": "string", "name": "ticker.count", "desc": "again"},
                                             {"type": "string", "name": "ticker.label", "desc": "again"}]
    assert outcome("load", source(fields=twice))[:2] == \
        ("FAIL", "declares the field(s) ticker.count, ticker.label more than once")
    assert outcome("load", source(fields=[], omit_symbols=["plugin_extract_fields"])) == ("PASS", "", [])


@pytest.mark.clause("CHECK-LOAD")
def test_an_empty_description_or_contact_is_a_note():
    assert outcome("load", source(description=" ", contact="")) == \
        ("PASS", "", ["get_description is empty", "get_contact is empty"])
    assert outcome("load", source(contact="\t")) == ("PASS", "", ["get_contact is empty"])


def with_info(library, **changes) -> CheckContext:
    ctx, _ = context(library)
    ctx.info = dataclasses.replace(ctx.info, **changes)
    return ctx


@pytest.mark.clause("CHECK-LOAD")
@pytest.mark.parametrize("changes, problem", [
    ({"name": "Ticker"}, "name 'Ticker' does not follow the registry's naming convention ^[a-z]+[a-z0-9-_]*$"),
    ({"name": "9ticker"}, "name '9ticker' does not follow the registry's naming convention ^[a-z]+[a-z0-9-_]*$"),
    ({"event_source": "tick-er"}, "event source 'tick-er' does not follow the registry's convention ^[a-z]+[a-z0-9_]*$"),
    ({"event_source": None}, "event source None does not follow the registry's convention ^[a-z]+[a-z0-9_]*$"),
    ({"event_source": "syscall"}, "event source 'syscall' belongs to the framework"),
    ({"id": 0}, "source plugin ticker has ID 0, which is not a valid source plugin ID (0 is reserved as the zero "
                "value)"),
    ({"id": 2**31}, "source plugin ticker has ID 2147483648, in the block reserved for the framework (plugins may "
                    "use IDs up to 2147483647)"),
])
def test_identity_fails_names_sources_and_ids_the_registry_would_refuse(changes, problem):
    ctx = with_info(source(), **changes)
    with pytest.raises(CheckFailed) as failure:
        checks.check_identity(ctx)
    assert failure.value.reason == problem


@pytest.mark.clause("CHECK-LOAD")
def test_identity_passes_good_names_notes_the_development_id_and_counts_several_problems():
    assert checks.check_identity(with_info(source(), name="tick-er_2", event_source="tick_2")) == []
    assert checks.check_identity(with_info(source(), id=999)) == [
        "source plugin ticker uses ID 999, reserved for development: its events may be confused with those of "
        "other plugins in development"]
    with pytest.raises(CheckFailed) as failure:
        checks.check_identity(with_info(source(), name="T", event_source="syscall", id=999))
    assert failure.value.reason.endswith("(and 1 more)")
    assert failure.value.warnings == ["event source 'syscall' belongs to the framework",
                                      "source plugin T uses ID 999, reserved for development: its events may be "
                                      "confused with those of other plugins in development"]


@pytest.mark.clause("CHECK-LOAD")
def test_identity_of_an_extractor_checks_its_extract_sources_only():
    assert outcome("identity", extractor()) == ("PASS", "", [])
    assert checks.check_identity(with_info(extractor(), id=0, event_source="Bad")) == []
    with pytest.raises(CheckFailed) as failure:
        checks.check_identity(with_info(extractor(), extract_event_sources=("ticker", "Bad", "ok-not")))
    assert failure.value.reason == ("extract event source 'Bad' does not follow the registry's convention "
                                    "^[a-z]+[a-z0-9_]*$ (and 1 more)")


# --- registry (CHECK-LOAD) ---

@pytest.mark.clause("CHECK-LOAD")
def test_registry_is_skipped_without_a_file():
    assert outcome("registry", source()) == ("SKIP", "no registry file given (--registry FILE)", [])


@pytest.mark.clause("CHECK-LOAD")
def test_a_plugin_the_registry_knows_otherwise_fails():
    status, reason, notes = outcome("registry", source(name="cloudtrail", id=5, event_source="docker"),
                                    registry=REGISTRY)
    assert status == "FAIL" and notes[-1:] != ["plugin cloudtrail is not in the registry"]
    assert reason == "plugin cloudtrail uses ID 5, registered to plugin docker (and 2 more)"
    assert notes == ["plugin cloudtrail has ID 5, but the registry gives it ID 2",
                     "plugin cloudtrail has event source docker, but the registry gives it aws_cloudtrail"]
    assert outcome("registry", source(name="cloudtrail", id=2, event_source="aws_cloudtrail"), registry=REGISTRY) == \
        ("PASS", "", [])


@pytest.mark.clause("CHECK-LOAD")
def test_a_reserved_source_fails_and_an_unregistered_plugin_is_a_note():
    assert outcome("registry", source(event_source="internal"), registry=REGISTRY) == \
        ("FAIL", "event source internal is reserved by the registry", ["plugin ticker is not in the registry"])
    assert outcome("registry", extractor(name="tagger", event_source="internal"), registry=REGISTRY) == \
        ("PASS", "", ["plugin tagger is not in the registry"])
    assert outcome("registry", source(), registry=REGISTRY) == ("PASS", "", ["plugin ticker is not in the registry"])


@pytest.mark.clause("CHECK-LOAD")
@pytest.mark.parametrize("plugin_id, public_note", [(2**30 - 1, True), (77777, True), (1000, True), (1, False),
                                                    (999, False), (2**30, False)])
def test_an_unregistered_id_of_the_public_block_is_a_note(plugin_id, public_note):
    status, _, notes = outcome("registry", source(name="nosuchplugin", id=plugin_id), registry=REGISTRY)
    expected = ["plugin nosuchplugin is not in the registry"]
    if public_note:
        expected.append(f"ID {plugin_id} is in the registry's public block but registered to no plugin "
                        f"(unregistered plugins use the private block from 1073741824)")
    if plugin_id == 1:  # ID 1 is k8saudit's: no note on the public block, it is registered
        assert (status, notes) == ("FAIL", expected)
    else:
        assert (status, notes) == ("PASS", expected)


@pytest.mark.clause("CHECK-LOAD")
def test_an_extractor_in_the_public_block_gets_no_id_note():
    ctx = with_info(extractor(), id=77)
    ctx.options.registry = REGISTRY
    assert checks.check_registry(ctx) == ["plugin tagger is not in the registry"]


# --- init (CHECK-INIT) ---

SCHEMA = {"type": "object", "properties": {"rate": {"type": "integer", "minimum": 1}}, "additionalProperties": False}


class Init(Strict):
    """init answers (state or None, rc); `error` is the last error of the returned state."""

    answer = (True, ReturnCode.SUCCESS)
    error = ""
    refuse = None

    def init(self, config):
        self.configs = getattr(self, "configs", []) + [config]
        has_state, rc = self.answer
        if self.refuse is not None and self.refuse(config):
            has_state, rc = True, ReturnCode.FAILURE
        state, _ = super().init(config)
        state.last_error = self.error
        return (state if has_state else None), rc


def init(answer=(True, ReturnCode.SUCCESS), error="", refuse=None, **changes) -> Init:
    library = Init(variant(WELL_BEHAVED_SOURCE, **changes))
    library.answer, library.error, library.refuse = answer, error, refuse
    return library


@pytest.mark.clause("CHECK-INIT")
def test_init_must_succeed_with_the_given_config():
    library = init(init_schema=SCHEMA)
    ctx, calls = context(library, init_config="")
    assert checks.check_init(ctx) == []
    assert called(calls) == ["plugin_init", "plugin_destroy"] and calls[0][1] == "config '{}'"
    assert library.configs == ["{}"]  # INIT-SCHEMA: an empty config is {} with a schema
    status, reason, _ = outcome("init", init(init_schema=SCHEMA), init_config='{"rate": 0}')
    assert status == "FAIL" and reason.startswith("the given init config is refused by the plugin's schema: ")
    assert "0 is less than the minimum of 1" in reason
    assert outcome("init", init(answer=(False, ReturnCode.SUCCESS)), init_config="x")[:2] == \
        ("FAIL", "init with config 'x' returned SUCCESS but a NULL state")
    assert outcome("init", init(answer=(False, ReturnCode.FAILURE)))[:2] == \
        ("FAIL", "init with config '' failed (rc 1) and returned a NULL state, so no reason can be read")
    assert outcome("init", init(answer=(True, ReturnCode.FAILURE), error="no bus"))[:2] == \
        ("FAIL", "init with config '' failed (rc 1): no bus")
    ctx, calls = context(init(answer=(True, ReturnCode.FAILURE)))
    with pytest.raises(CheckFailed, match=r"failed \(rc 1\): \(no last error\)$"):
        checks.check_init(ctx)
    assert called(calls) == ["plugin_init", "plugin_get_last_error", "plugin_destroy"]


@pytest.mark.clause("CHECK-INIT")
def test_init_states_are_leaked_when_teardown_crashed():
    ctx, calls = context(init(), avoid=frozenset({"teardown"}))
    assert checks.check_init(ctx) == []
    assert called(calls) == ["plugin_init"]


@pytest.mark.clause("CHECK-INIT")
def test_every_config_the_schema_accepts_must_init():
    library = init(init_schema=SCHEMA)
    assert outcome("init-schema-configs", library) == ("PASS", "", [])
    assert all("rate" not in json.loads(c) or json.loads(c)["rate"] >= 1 for c in library.configs)
    picky = init(init_schema=SCHEMA, refuse=lambda config: "rate" in config, error="no rate please")
    status, reason, _ = outcome("init-schema-configs", picky, max_examples=20)
    assert status == "FAIL" and reason.startswith("init refused the config {\"rate\": ")
    assert reason.endswith(", which its schema accepts: no rate please")
    assert outcome("init-schema-configs", init(init_schema=SCHEMA, answer=(False, ReturnCode.FAILURE)))[1] == \
        "init refused the config {}, which its schema accepts: NULL state (rc 1)"
    silent = init(init_schema=SCHEMA, answer=(True, ReturnCode.FAILURE))
    assert outcome("init-schema-configs", silent)[1] == \
        "init refused the config {}, which its schema accepts: (no last error)"


@pytest.mark.clause("CHECK-INIT")
def test_schema_configs_are_skipped_without_a_schema_or_after_init_crashed():
    assert outcome("init-schema-configs", init()) == ("SKIP", "the plugin has no init schema", [])
    assert outcome("init-schema-configs", init(init_schema=SCHEMA), avoid=frozenset({"init"})) == \
        ("SKIP", "init crashed or hung earlier (see the init check)", [])
    bounds = {"type": "object", "properties": {"a": {"type": "integer", "minimum": 5, "maximum": 1}}, "required": ["a"]}
    assert outcome("init-schema-configs", init(init_schema=bounds)) == \
        ("SKIP", "could not generate examples from the schema (Unsatisfiable)", [])  # no integer is 5..1
    nothing = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "not": {"required": ["a"]}}
    assert outcome("init-schema-configs", init(init_schema=nothing)) == \
        ("SKIP", "could not generate examples from the schema (Unsatisfiable)", [])


@pytest.mark.clause("CHECK-INIT")
def test_a_failed_init_that_returns_a_state_must_say_why():
    not_json = ["{", "not json", "{'single': 'quotes'}", '{"key": }', "[1, 2", '{"a": 1,}', '"unterminated', "{}}"]
    library = init(refuse=lambda config: True, error="bad config")
    ctx, calls = context(library)
    assert checks.check_init_invalid_configs(ctx) == []
    assert library.configs == not_json
    assert [c[1] for c in calls if c[0] == "plugin_init"] == [f"config {text!r}" for text in not_json]
    assert called(calls)[:3] == ["plugin_init", "plugin_get_last_error", "plugin_destroy"]
    assert outcome("init-invalid-configs", init(refuse=lambda config: True, error=" "))[:2] == \
        ("FAIL", "init failed on '{' (rc 1) with an empty last error (and 7 more)")
    assert outcome("init-invalid-configs", init(refuse=lambda config: True), avoid=frozenset({"init"})) == \
        ("SKIP", "init crashed or hung earlier (see the init check)", [])


@pytest.mark.clause("CHECK-INIT")
def test_a_null_state_and_an_accepted_config_the_schema_refuses_are_notes():
    assert outcome("init-invalid-configs", init(answer=(False, ReturnCode.FAILURE))) == ("PASS", "", [
        "init failed on 8 config(s) (e.g. '{') returning a NULL state, as the 0.3.0 header allows; users then see no "
        "reason (return a state with the last error to give one)"])
    assert outcome("init-invalid-configs", init()) == ("PASS", "", [])  # without a schema nothing is invalid
    status, _, notes = outcome("init-invalid-configs", init(init_schema=SCHEMA))
    assert status == "PASS" and len(notes) == 1
    assert notes[0].startswith("init accepted ") and " config(s) its schema refuses (e.g. '{'): fine under a framework " \
        "that validates first, as 0.3.0 does" in notes[0]


@pytest.mark.clause("CHECK-INIT")
def test_with_a_schema_configs_it_refuses_are_tried_too():
    library = init(init_schema=SCHEMA, refuse=lambda config: True, error="refused")
    assert outcome("init-invalid-configs", library, max_examples=10) == ("PASS", "", [])
    tried = library.configs[8:]
    assert tried and all(c not in ('{', 'not json') for c in tried)
    from reference.tools.plugin_check.configs import is_valid_config
    assert not any(is_valid_config(SCHEMA, c) for c in tried)
    silent = init(init_schema=SCHEMA, refuse=lambda config: config.startswith("{\""), error="")
    status, reason, _ = outcome("init-invalid-configs", silent, max_examples=10)
    assert status == "FAIL" and reason.startswith("init failed on '{\"") and "with an empty last error" in reason


# --- open (CHECK-OPEN) ---

class Opens(Strict):
    listed = ("", ReturnCode.SUCCESS)
    failing = ()

    def list_open_params(self, state):
        if isinstance(self.listed, Exception):
            raise self.listed
        if self.listed[1] != ReturnCode.SUCCESS:
            state.last_error = "cannot list"
        return self.listed

    def open(self, state, params):
        self.opened = getattr(self, "opened", []) + [params]
        if params in self.failing:
            state.last_error = f"cannot open {params}"
            return None, ReturnCode.FAILURE
        return super().open(state, params)


def opens(listed=None, failing=(), **changes) -> Opens:
    library = Opens(variant(WELL_BEHAVED_SOURCE, open_params=[], **changes))
    if listed is not None:
        library.listed = listed
    library.failing = failing
    return library


@pytest.mark.clause("CHECK-OPEN")
def test_open_tries_the_given_params_and_each_suggested_one_once():
    listed = json.dumps([{"value": "a", "desc": "A"}, {"value": "b"}, {"value": "a"}, {"value": "/x"}])
    library = opens((listed, ReturnCode.SUCCESS))
    ctx, calls = context(library, open_params="/x")
    assert checks.check_open(ctx) == []
    assert library.opened == ["/x", "a", "b"]
    assert called(calls) == ["plugin_init", "plugin_list_open_params"] + ["plugin_open", "plugin_close"] * 3 + \
        ["plugin_destroy"]
    assert [c[1] for c in calls if c[0] == "plugin_close"] == ["params '/x'", "params 'a'", "params 'b'"]
    assert calls[2][:2] == ("plugin_list_open_params", "")
    assert outcome("open", opens(("", ReturnCode.SUCCESS))) == ("PASS", "", [])
    assert outcome("open", opens(None, omit_symbols=["plugin_list_open_params"])) == ("PASS", "", [])


@pytest.mark.clause("CHECK-OPEN")
def test_a_failed_open_fails_with_its_last_error():
    listed = json.dumps([{"value": "a"}, {"value": "b"}])
    status, reason, notes = outcome("open", opens((listed, ReturnCode.SUCCESS), failing=("a", "b")))
    assert (status, reason) == ("FAIL", "open with params 'a' failed (rc 1, no instance): cannot open a (and 1 more)")
    assert notes == ["open with params 'b' failed (rc 1, no instance): cannot open b"]
    assert outcome("open", source(open_error=""))[1] == "open with params '' failed (rc 1, no instance): no last error"


class OpenWithoutSuccess(Strict):
    def open(self, state, params):
        instance, _ = DefinedLibrary.open(self, state, params)  # not one to close: the open failed
        return instance, ReturnCode.TIMEOUT


class OpenWithoutInstance(Strict):
    def open(self, state, params):
        return None, ReturnCode.SUCCESS


@pytest.mark.clause("CHECK-OPEN")
def test_open_needs_both_success_and_an_instance():
    assert outcome("open", OpenWithoutSuccess(WELL_BEHAVED_SOURCE))[1] == \
        "open with params '' failed (rc -1, an instance): no last error"
    assert outcome("open", OpenWithoutInstance(WELL_BEHAVED_SOURCE))[1] == \
        "open with params '' failed (rc 0, no instance): no last error"


@pytest.mark.clause("CHECK-OPEN")
@pytest.mark.parametrize("text", ['{"value": "a"}', '[{"value": 1}]', '["a"]', "[{", '[{"desc": "no value"}]',
                                  "[" * 5000])
def test_suggested_params_must_be_a_json_array_of_value_objects(text):
    status, reason, _ = outcome("open", opens((text, ReturnCode.SUCCESS)))
    assert status == "FAIL"
    assert reason == f"list_open_params did not return a JSON array of {{\"value\": ...}} objects: {text[:80]!r}"


@pytest.mark.clause("CHECK-OPEN")
def test_list_open_params_failing_or_refused_fails_open():
    assert outcome("open", opens(("", ReturnCode.FAILURE)))[:2] == ("FAIL", "list_open_params failed (rc 1): cannot list")

    class SilentList(Opens):
        def list_open_params(self, state):
            return "", ReturnCode.FAILURE
    assert outcome("open", SilentList(variant(WELL_BEHAVED_SOURCE, open_params=[])))[:2] == \
        ("FAIL", "list_open_params failed (rc 1): (no last error)")
    assert outcome("open", opens((None, ReturnCode.SUCCESS))) == ("PASS", "", [])
    assert outcome("open", opens(PlugrefError("answered 3 (int), not a string")))[:2] == \
        ("FAIL", "list_open_params: answered 3 (int), not a string")


@pytest.mark.clause("CHECK-OPEN")
def test_open_is_skipped_for_extractors_and_leaks_when_teardown_crashed():
    assert outcome("open", extractor()) == ("SKIP", "extractor plugins have no event source to open", [])
    ctx, calls = context(source(omit_symbols=["plugin_list_open_params"]), avoid=frozenset({"teardown"}))
    assert checks.check_open(ctx) == []
    assert called(calls) == ["plugin_init", "plugin_open"]
    assert outcome("open", init(answer=(True, ReturnCode.FAILURE), error="down")) == \
        ("SKIP", "init with config '' failed: down", [])


# --- states made for a check ---

def test_a_check_state_is_initialised_as_the_framework_would():
    ctx, calls = context(init(init_schema=SCHEMA), init_config='{"rate": 0}')
    with pytest.raises(CheckSkipped, match=r"^the init config is refused by the plugin's schema: .*0 is less than the minimum of 1"):
        ctx.init_state()
    assert calls == []
    ctx, calls = context(init(answer=(False, ReturnCode.SUCCESS)))
    with pytest.raises(CheckSkipped, match=r"^init with config '' returned no state \(rc 0\)$"):
        ctx.init_state()
    ctx, calls = context(init(answer=(True, ReturnCode.FAILURE)))
    with pytest.raises(CheckSkipped, match=r"^init with config '' failed: \(no last error\)$"):
        ctx.init_state()
    assert called(calls) == ["plugin_init", "plugin_get_last_error", "plugin_destroy"]
    ctx, calls = context(init(init_schema=SCHEMA), init_config='{"rate": 3}')
    assert ctx.init_state() is not None and calls[0][1] == "config '{\"rate\": 3}'"
    assert ctx.init_state('{"rate": 4}') is not None and calls[2][4] == {"config": '{"rate": 4}'}


# --- extract (CHECK-EXTRACT) ---

class Values(Strict):
    """Extraction gives `value` (or raises it) for the field named `field`, and the definition's values otherwise."""

    field = "ticker.count"
    value = None
    rc = ReturnCode.SUCCESS

    def extract_fields(self, state, event, requests):
        rc = super().extract_fields(state, event, requests)
        for request in requests:
            if request.field == self.field:
                if isinstance(self.value, Exception):
                    raise self.value
                request.field_present = True
                request.res_u64 = request.res_str = self.value
        return self.rc if rc == ReturnCode.SUCCESS else rc


def values(field, value, rc=ReturnCode.SUCCESS, base=WELL_BEHAVED_SOURCE) -> Values:
    library = Values(base)
    library.field, library.value, library.rc = field, value, rc
    return library


@pytest.mark.clause("CHECK-EXTRACT")
def test_every_field_on_every_event_passes_with_values_of_its_type():
    assert outcome("extract", source()) == \
        ("PASS", "", ["2 fields on 3 events, 3 values present without argument"])
    assert outcome("extract", source(), max_events=1) == \
        ("PASS", "", ["2 fields on 1 events, 1 values present without argument"])
    assert outcome("extract", extractor()) == ("PASS", "", ["1 fields on 8 events, 0 values present without argument"])


@pytest.mark.clause("CHECK-EXTRACT")
@pytest.mark.parametrize("field, value, problem", [
    ("ticker.count", "7", "field ticker.count is uint64 but the value is '7'"),
    ("ticker.count", True, "field ticker.count is uint64 but the value is True"),
    ("ticker.count", -1, "field ticker.count is uint64 but the value is -1"),
    ("ticker.count", 2**64, "field ticker.count is uint64 but the value is 18446744073709551616"),
    ("ticker.label", 7, "field ticker.label is string but the value is 7"),
    ("ticker.label", b"x", "field ticker.label is string but the value is b'x'"),
])
def test_a_value_of_another_type_fails(field, value, problem):
    status, reason, _ = outcome("extract", values(field, value))
    assert status == "FAIL"
    assert reason == f"event 1 (b'ticker.count=1;ticker.la'...), {field}: {problem}"


@pytest.mark.clause("CHECK-EXTRACT")
def test_the_edges_of_uint64_pass_and_failed_calls_have_no_value():
    assert outcome("extract", values("ticker.count", 2**64 - 1))[0] == "PASS"
    assert outcome("extract", values("ticker.count", 0))[0] == "PASS"
    assert outcome("extract", values("ticker.count", "wrong", rc=ReturnCode.FAILURE)) == \
        ("PASS", "", ["2 fields on 3 events, 0 values present without argument"])


@pytest.mark.clause("CHECK-EXTRACT")
def test_an_answer_the_bridge_refuses_fails_naming_the_event_and_field():
    status, reason, _ = outcome("extract", values("ticker.label", PlugrefError("not valid UTF-8")))
    assert status == "FAIL"
    assert reason == "event 1 (b'ticker.count=1;ticker.la'...), ticker.label: not valid UTF-8"


@pytest.mark.clause("CHECK-EXTRACT")
def test_generated_arguments_and_payloads_are_tried():
    ctx, calls = context(source())
    checks.check_extract(ctx)
    details = [c[1] for c in calls if c[0] == "plugin_extract_fields"]
    assert details[:2] == ["event 1 (b'ticker.count=1;ticker.la'...), ticker.count",
                           "event 1 (b'ticker.count=1;ticker.la'...), ticker.label"]
    assert any("[" in d for d in details[6:])  # with arguments too

    class OnlyWithArgs(Values):
        def extract_fields(self, state, event, requests):
            if any(r.arg for r in requests):
                raise PlugrefError("an argument broke it")
            return Strict.extract_fields(self, state, event, requests)
    status, reason, _ = outcome("extract", OnlyWithArgs(WELL_BEHAVED_SOURCE), max_examples=20)
    assert status == "FAIL" and reason.endswith(": an argument broke it") and "[" in reason

    own = {b"ticker.count=1;ticker.label[a]=one", b"ticker.count=2;ticker.label[a]=two", b"ticker.count=3"}

    class OnlyOnOddPayloads(Strict):
        def extract_fields(self, state, event, requests):
            if event.data not in checks.SAMPLE_PAYLOADS and event.data not in own:
                raise PlugrefError("an odd payload broke it")
            return super().extract_fields(state, event, requests)
    assert outcome("extract", OnlyOnOddPayloads(WELL_BEHAVED_EXTRACTOR), max_examples=20)[1].endswith(
        ": an odd payload broke it")  # an extractor sees any payload
    assert outcome("extract", OnlyOnOddPayloads(WELL_BEHAVED_SOURCE), max_examples=20)[0] == "PASS"  # its own only


@pytest.mark.clause("CHECK-EXTRACT")
def test_extraction_events_are_numbered_and_now_is_given_a_time():
    ctx, _ = context(source())
    import time
    before = time.time_ns()
    numbered = checks._extraction_events(ctx)
    assert [e.evtnum for e in numbered] == [1, 2, 3]
    assert [e.ts for e in numbered[:2]] == [1000, 2000] and before <= numbered[2].ts <= time.time_ns()
    ctx, _ = context(extractor())
    samples = checks._extraction_events(ctx)
    assert [e.data for e in samples] == list(checks.SAMPLE_PAYLOADS) and [e.evtnum for e in samples] == list(range(1, 9))
    assert all(before <= e.ts <= time.time_ns() for e in samples)


@pytest.mark.clause("CHECK-EXTRACT")
def test_extract_is_skipped_without_fields_or_events():
    assert outcome("extract", source(fields=[])) == ("SKIP", "the plugin declares no fields", [])
    assert outcome("extract", source(events=[])) == ("SKIP", "the plugin produced no events to extract from", [])


# --- batched-extraction (CHECK-BATCHED-EXTRACTION) ---

class OneBufferPerField(Strict):
    """plugin-sdk-go v0.1.0: the value of the last request of a field is what every request of it reads."""

    def extract_fields(self, state, event, requests):
        rc = super().extract_fields(state, event, requests)
        last = {r.field_id: r for r in requests}
        for r in requests:
            r.field_present, r.res_str, r.res_u64 = (last[r.field_id].field_present, last[r.field_id].res_str,
                                                     last[r.field_id].res_u64)
        return rc


class FirstFailureFailsAll(Strict):
    """The whole call fails when ticker.count has no value."""

    def extract_fields(self, state, event, requests):
        rc = super().extract_fields(state, event, requests)
        if any(r.field == "ticker.count" and not r.field_present for r in requests):
            return ReturnCode.FAILURE
        return rc


class ReadsDifferentlyTogether(Strict):
    def extract_fields(self, state, event, requests):
        rc = super().extract_fields(state, event, requests)
        if len(requests) > 2:
            for r in requests:
                if r.field == "ticker.count" and r.field_present:
                    r.res_u64 += 100
        return rc


LABELS = variant(WELL_BEHAVED_SOURCE, events=[
    {"ts": 1000, "values": {"ticker.count": 1, "ticker.label[a]": "one", "ticker.label[b]": "uno",
                            "ticker.label[key]": "eins"}},
    {"ts": 2000, "values": {"ticker.label[a]": "two"}},
])


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_a_plugin_reading_the_same_alone_and_together_passes():
    assert outcome("batched-extraction", Strict(LABELS)) == \
        ("PASS", "", ["13 requests on 2 events read the same alone and in one call"])
    assert outcome("batched-extraction", extractor()) == \
        ("PASS", "", ["1 requests on 8 events read the same alone and in one call"])


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_one_result_buffer_per_field_is_a_warning_naming_the_field():
    status, reason, notes = outcome("batched-extraction", OneBufferPerField(LABELS))
    assert status == "WARN"
    assert reason == ("unsafe under a host that asks several fields per extract_fields call (the API allows it; "
                      "libsinsp asks one at a time): ticker.label: two arguments of one field in one call read the "
                      "same value (one result buffer per field?)")
    assert notes == ["event 1: ticker.label[a] and ticker.label[b] are 'one' and 'uno' alone, but 'uno' and 'uno' "
                     "in one call"]


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_a_call_failing_as_a_whole_is_a_warning():
    status, reason, notes = outcome("batched-extraction", FirstFailureFailsAll(LABELS))
    assert status == "WARN"
    assert reason.endswith("the whole call fails when one of ticker.count, ticker.label fails")
    assert notes == ["event 2: the call failed as a whole (rc 1) though, asked alone, ticker.label have values; "
                     "failing alone: ticker.count, ticker.label"]


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_a_field_reading_differently_in_one_call_is_a_warning():
    status, reason, notes = outcome("batched-extraction", ReadsDifferentlyTogether(LABELS))
    assert status == "WARN"
    assert reason.endswith("libsinsp asks one at a time): ticker.count read differently in one call")
    assert notes == ["event 1: ticker.count is 1 alone but 101 in one call with the other fields"]


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_batched_extraction_leaves_broken_extraction_to_extract():
    assert outcome("batched-extraction", values("ticker.count", "7")) == \
        ("SKIP", "extraction breaks the contract on its own (see the extract check): event 1 "
                 "(b'ticker.count=1;ticker.la'...), ticker.count: field ticker.count is uint64 but the value is "
                 "'7'", [])
    assert outcome("batched-extraction", source(fields=[])) == ("SKIP", "the plugin declares no fields", [])
    assert outcome("batched-extraction", source(), avoid=frozenset({"extract"})) == \
        ("SKIP", "extract_fields crashed or hung earlier (see the extract check)", [])


# --- teardown (CHECK-TEARDOWN) ---

@pytest.mark.clause("CHECK-TEARDOWN")
def test_teardown_closes_and_destroys_from_every_state_of_a_source():
    ctx, calls = context(source())
    assert checks.check_teardown(ctx) == ["closed after EOF"]
    steps = [(c[0], c[1]) for c in calls if c[0] in ("plugin_init", "plugin_open", "plugin_close", "plugin_destroy")]
    assert steps == [
        ("plugin_init", "config ''"), ("plugin_init", "config ''"),
        ("plugin_destroy", "two states: the first one"), ("plugin_destroy", "two states: the second one"),
        ("plugin_init", "config ''"), ("plugin_destroy", "after init"),
        ("plugin_init", "config 'not json' (init may fail)"), ("plugin_destroy", "after init returned rc 0"),
        ("plugin_init", "config ''"), ("plugin_open", "params ''"), ("plugin_close", "open, no event read"),
        ("plugin_open", "params ''"), ("plugin_close", "reopened"), ("plugin_destroy", "after close"),
        ("plugin_init", "config ''"), ("plugin_open", f"params {checks.UNLIKELY_OPEN_PARAMS!r}"),
        ("plugin_close", "open with odd params succeeded"), ("plugin_destroy", "after close"),
        ("plugin_init", "config ''"), ("plugin_open", "params ''"), ("plugin_close", "after EOF"),
        ("plugin_destroy", "after EOF"),
    ]
    assert [c[4] for c in calls if c[0] == "plugin_init"][3] == {"config": "{"}


@pytest.mark.clause("CHECK-TEARDOWN")
def test_teardown_after_a_failed_init_a_failed_open_and_a_failed_batch():
    library = init(answer=(True, ReturnCode.SUCCESS), refuse=lambda config: config == "{",
                   batches=[{"events": 1}, {"events": 0, "rc": "failure"}])
    library.failing = ()
    ctx, calls = context(library)
    assert checks.check_teardown(ctx) == ["closed after a failed next_batch"]
    details = [c[1] for c in calls if c[0] == "plugin_destroy"]
    assert "after init returned rc 1" in details
    opener = opens(failing=(checks.UNLIKELY_OPEN_PARAMS,))
    ctx, calls = context(opener)
    checks.check_teardown(ctx)
    assert ("plugin_destroy", "after a failed open") in [(c[0], c[1]) for c in calls]
    assert not any(c[1] == "open with odd params succeeded" for c in calls)
    assert checks.check_teardown(context(RefusedBatch(WELL_BEHAVED_SOURCE))[0]) == ["closed after a failed next_batch"]
    endless = EndlessTimeouts(variant(WELL_BEHAVED_SOURCE, batch_size=1))
    ctx, calls = context(endless)
    assert checks.check_teardown(ctx) == ["closed after 1000 batches without EOF"]
    batches = [c[1] for c in calls if c[0] == "plugin_next_batch"]
    assert batches == [f"batch {n}" for n in range(1, 1001)]


@pytest.mark.clause("CHECK-TEARDOWN")
def test_teardown_with_null_states_or_failed_opens_makes_no_close():
    class NullOnBadConfig(Init):
        def init(self, config):
            state, rc = super().init(config)
            return (None, ReturnCode.FAILURE) if config == "{" else (state, rc)
    ctx, calls = context(NullOnBadConfig(WELL_BEHAVED_SOURCE))
    checks.check_teardown(ctx)
    assert not any(c[1].startswith("after init returned") for c in calls)
    ctx, calls = context(source(open_error="gone"))
    assert checks.check_teardown(ctx) == []
    assert "plugin_close" not in called(calls) and "plugin_next_batch" not in called(calls)
    assert [c[1] for c in calls if c[0] == "plugin_destroy"][-2:] == ["after close", "after a failed open"]


class FailsReopen(Strict):
    def open(self, state, params):
        state.opens = getattr(state, "opens", 0) + 1
        if state.opens == 2:
            return None, ReturnCode.FAILURE
        return super().open(state, params)


@pytest.mark.clause("CHECK-TEARDOWN")
def test_teardown_does_not_close_a_reopen_that_failed():
    ctx, calls = context(FailsReopen(WELL_BEHAVED_SOURCE))
    checks.check_teardown(ctx)
    assert [c[1] for c in calls if c[0] == "plugin_close"][:2] == ["open, no event read", "open with odd params succeeded"]


@pytest.mark.clause("CHECK-TEARDOWN")
def test_teardown_keeps_away_from_the_families_that_crashed():
    ctx, calls = context(source(), avoid=frozenset({"next-batch"}))
    assert checks.check_teardown(ctx) == [] and "plugin_next_batch" not in called(calls)
    ctx, calls = context(source(), avoid=frozenset({"open"}))
    assert checks.check_teardown(ctx) == [] and "plugin_open" not in called(calls)
    assert called(calls) == ["plugin_init", "plugin_init", "plugin_destroy", "plugin_destroy", "plugin_init",
                             "plugin_destroy", "plugin_init", "plugin_destroy"]
    assert outcome("teardown", source(), avoid=frozenset({"init"})) == \
        ("SKIP", "init crashed or hung earlier (see the init check)", [])


@pytest.mark.clause("CHECK-TEARDOWN")
def test_teardown_of_an_extractor_destroys_after_extraction():
    ctx, calls = context(extractor())
    assert checks.check_teardown(ctx) == []
    assert [(c[0], c[1]) for c in calls if c[0] is not None][-2:] == [
        ("plugin_extract_fields", "event 1 (b'{}'), tag.name"), ("plugin_destroy", "after extract_fields")]
    for avoided, fields in (({"extract"}, None), (set(), ())):
        ctx, calls = context(extractor(), avoid=frozenset(avoided))
        if fields is not None:
            ctx.info = dataclasses.replace(ctx.info, fields=fields)
        checks.check_teardown(ctx)
        assert "plugin_extract_fields" not in called(calls) and called(calls)[-1] == "plugin_destroy"
        assert len([c for c in called(calls) if c == "plugin_init"]) == 4


# --- a native plugin's batches are re-read from its own memory ---

@needs_gcc
@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_a_native_plugin_reusing_its_event_memory_too_early_fails():
    from fake_plugins.native.defects import build_defect
    from reference.host.libraries import open_library
    status, reason, _ = outcome("next-batch", open_library(str(build_defect("mutates_events"))))
    assert status == "FAIL" and "changed before the next next_batch call" in reason
    assert "(the plugin reused its memory too early)" in reason
    well = open_library(str(build_defect("well_behaved")))
    ctx, _ = context(well)
    assert ctx.library.native_batches is not None
    assert checks.describe_identity(well, ctx.info)["kind"] == "native"
    assert checks.check_next_batch(ctx)[-1].startswith("read ")
    extractor_library = open_library(str(__import__("fake_plugins.native.build", fromlist=["x"])
                                         .build_well_behaved_extractor()))
    assert context(extractor_library)[0].library.native_batches is None
    assert context(source())[0].library.native_batches is None


# --- the table of checks ---

def test_every_check_has_its_function_in_report_order():
    assert checks.CHECK_NAMES == ("load", "identity", "registry", "init", "init-schema-configs",
                                  "init-invalid-configs", "open", "next-batch", "extract", "batched-extraction",
                                  "event-to-string", "progress", "teardown")
    assert checks.describe_identity(source(), read_info(source())) == {
        "location": "definition:ticker", "kind": "python", "name": "ticker", "version": "1.2.3",
        "required_api_version": "0.3.0", "type": "source", "id": 2**30 + 2, "event_source": "ticker",
        "extract_event_sources": [], "fields": ["ticker.count", "ticker.label"], "has_init_schema": False}
    described = checks.describe_identity(extractor(init_schema=SCHEMA), read_info(extractor(init_schema=SCHEMA)))
    assert described["type"] == "extractor" and described["has_init_schema"] is True
    assert described["extract_event_sources"] == ["ticker"]


# --- a native batch read from the plugin's memory: what the reader refuses ---

def scripted_reader(rc: int, events: list[tuple[bytes | int | None, int, int]] | None, count: int | None = None):
    """A NativeBatchReader whose plugin_next_batch answers `rc`, `count` events (default: len(events)) and
    the array of `events` ((data or a size of zeros, datalen, ts); data None: NULL; events None: a NULL array)."""
    import ctypes
    from reference.host.native import NativeEvent
    reader = checks.NativeBatchReader.__new__(checks.NativeBatchReader)
    buffers = [ctypes.create_string_buffer(data) if data is not None else None for data, _, _ in events or []]
    array = (NativeEvent * max(len(events or []), 1))()
    for slot, (data, datalen, ts), buffer in zip(array, events or [], buffers):
        slot.data = ctypes.addressof(buffer) if buffer is not None else None
        slot.datalen, slot.ts = datalen, ts

    def next_batch(state, instance, count_ref, array_ref):
        reader.handles.append((state.value, instance.value))
        if count != -1:  # -1: the plugin leaves the count as it found it
            count_ref._obj.value = len(events or []) if count is None else count
        if events is not None:
            array_ref._obj.contents = array[0]
        return rc
    reader._next_batch = next_batch
    reader.keep, reader.handles = (buffers, array), []
    return reader


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_a_native_batch_is_read_from_the_plugins_memory_and_re_read_later():
    reader = scripted_reader(0, [(b"abc", 3, 5), (b"", 0, 6), (b"xyz", 2, 7)])
    rc, batch, reread = reader.next_batch(1, 2)
    assert rc == 0 and batch == [Event(b"abc", 5), Event(b"", 6), Event(b"xy", 7)]
    assert reread() == batch
    reader.keep[0][0][0:1] = b"Z"
    assert reread()[0] == Event(b"Zbc", 5)
    assert scripted_reader(2, [], count=0).next_batch(1, 2) == (2, [], None)
    assert scripted_reader(-1, None, count=0).next_batch(1, 2) == (-1, [], None)


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_a_native_batch_the_bridge_cannot_read_is_refused():
    with pytest.raises(PlugrefError, match=r"^next_batch returned 1000001 events in one batch \(more than 1000000\)$"):
        scripted_reader(0, None, count=1_000_001).next_batch(1, 2)
    with pytest.raises(PlugrefError, match=r"^next_batch returned 2 events but a NULL event array$"):
        scripted_reader(0, None, count=2).next_batch(1, 2)
    with pytest.raises(PlugrefError, match=r"^event 1 of the batch has datalen 5 but NULL data$"):
        scripted_reader(0, [(b"a", 1, 1), (None, 5, 1)]).next_batch(1, 2)
    with pytest.raises(PlugrefError, match=r"^event 0 of the batch has datalen 67108865$"):
        scripted_reader(0, [(b"a", 64 * 1024 * 1024 + 1, 1)]).next_batch(1, 2)
    assert scripted_reader(0, [(None, 0, 1)]).next_batch(1, 2)[1] == [Event(b"", 1)]
    largest = 64 * 1024 * 1024  # MAX_EVENT_BYTES: the largest event the bridge reads
    assert len(scripted_reader(0, [(largest, largest, 1)]).next_batch(1, 2)[1][0].data) == largest


# --- more of what the reports say ---

def test_each_outcome_exception_reads_as_its_reason():
    assert str(checks.CheckFailed("it broke")) == "it broke" and checks.CheckFailed("x").warnings == []
    assert str(checks.CheckWarning("it may break")) == "it may break" and checks.CheckWarning("x").notes == []
    assert str(checks.CheckSkipped("not run")) == "not run"


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_a_native_batch_without_an_event_count_is_empty_and_the_handles_are_passed_on():
    reader = scripted_reader(2, None, count=-1)  # the plugin leaves the count alone
    assert reader.next_batch(11, 12) == (2, [], None)
    assert reader.handles == [(11, 12)]
    with pytest.raises(PlugrefError, match=r"^next_batch returned 1000000 events but a NULL event array$"):
        scripted_reader(0, None, count=1_000_000).next_batch(1, 2)  # as many as a batch may hold


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_a_year_ahead_to_the_nanosecond_is_no_note(monkeypatch):
    import types
    now = 1_700_000_000 * 10**9
    monkeypatch.setattr(checks, "time", types.SimpleNamespace(time_ns=lambda: now, sleep=lambda s: None))
    year = 366 * 24 * 3600 * 10**9
    status, _, notes = outcome("next-batch", source(events=[{"ts": now + year, "values": {}},
                                                            {"ts": now + year + 1, "values": {}}]))
    assert notes == [f"event 2 (batch 1): timestamp {now + year + 1} is more than a year in the future",
                     "read 2 events"]


class ReusesSecondEvent(ReusedBuffer):
    def get_progress(self, state, instance):
        if len(self.buffers) > 1:
            self.buffers[1][:] = b"overwritten"
        return Strict.get_progress(self, state, instance)


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_the_changed_event_is_named_by_its_number_in_the_stream():
    status, reason, _ = outcome("next-batch", ReusesSecondEvent(WELL_BEHAVED_SOURCE))
    assert status == "FAIL" and reason.startswith("event 2 (batch 1) changed before the next next_batch call: "
                                                  "b'ticker.count=2;ticker.label[a]=two' ts 2000 became b'overwritten'")


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_a_failed_reading_keeps_its_notes():
    zero = source(events=[{"ts": 0, "values": {}}] * 3, batch_size=1)
    status, _, notes = outcome("next-batch", zero, max_events=2)
    assert status == "FAIL" and notes[-1] == "stopped after 2 events without EOF (--max-events)"


@pytest.mark.clause("CHECK-PROGRESS")
def test_progress_going_backwards_quotes_its_first_ten_samples():
    answers = [(None, pct) for pct in (9000, 8000, 7000, 6000, 5000, 4000, 3000, 2000, 1000, 500, 400, 300)]
    library = progress(*answers)
    library.definition["events"] = [{"ts": n, "values": {}} for n in range(1, 13)]
    assert outcome("progress", library) == \
        ("PASS", "", ["progress went backwards: [9000, 8000, 7000, 6000, 5000, 4000, 3000, 2000, 1000, 500]"])


def registry_file(tmp_path, plugins: list[dict]) -> str:
    path = tmp_path / "registry.yaml"
    path.write_text(json.dumps({"plugins": plugins}))
    return str(path)


@pytest.mark.clause("CHECK-LOAD")
def test_the_public_block_note_covers_ids_1_to_2_30_but_999(tmp_path):
    registry = registry_file(tmp_path, [{"name": "other", "capabilities": {"sourcing": {"supported": True, "id": 5,
                                                                                      "source": "other"}}}])
    public = "is in the registry's public block but registered to no plugin"
    for plugin_id, noted in ((1, True), (5, False), (999, False), (0, False)):
        ctx = with_info(source(name="mine"), id=plugin_id)
        ctx.options.registry = registry
        try:
            notes = checks.check_registry(ctx)
        except CheckFailed as exc:
            notes = exc.warnings
        assert any(public in note for note in notes) == noted, plugin_id


class FailsTogether(Strict):
    """The call fails as a whole when it asks more than `most` fields."""

    most = 2

    def extract_fields(self, state, event, requests):
        rc = super().extract_fields(state, event, requests)
        return ReturnCode.FAILURE if len(requests) > self.most else rc


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_a_call_failing_as_a_whole_with_no_value_alone_is_no_finding():
    assert outcome("batched-extraction", FailsTogether(variant(WELL_BEHAVED_SOURCE, events=[{"ts": 1, "values": {}}]))) == \
        ("PASS", "", ["13 requests on 1 events read the same alone and in one call"])


TWO_PLAIN_FIELDS = variant(WELL_BEHAVED_SOURCE, fields=[
    {"type": "uint64", "name": "ticker.count", "desc": "The tick count"},
    {"type": "string", "name": "ticker.name", "desc": "A name"}],
    events=[{"ts": 1, "values": {"ticker.count": 1, "ticker.name": "a"}}])


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_a_call_failing_though_every_field_has_a_value_alone():
    library = FailsTogether(TWO_PLAIN_FIELDS)
    library.most = 1
    status, reason, notes = outcome("batched-extraction", library)
    assert status == "WARN" and reason.endswith("the whole call fails when one of (none) fails")
    assert notes == ["event 1: the call failed as a whole (rc 1) though, asked alone, ticker.count, ticker.name have "
                     "values; failing alone: (none)"]
    ctx, calls = context(library)
    with pytest.raises(CheckWarning):
        checks.check_batched_extraction(ctx)
    assert "event 1 (b'ticker.count=1;ticker.na'...), ticker.count, ticker.name" in \
        [c[1] for c in calls if c[0] == "plugin_extract_fields"]


class VoidsThenDiffers(FirstFailureFailsAll):
    """Event 2 voids the call (no ticker.count); on event 3 ticker.count and ticker.label[a] read differently
    in one call."""

    def extract_fields(self, state, event, requests):
        rc = super().extract_fields(state, event, requests)
        if rc == ReturnCode.SUCCESS and len(requests) > 2 and b"ticker.count=3" in event.data:
            for r in requests:
                if r.field == "ticker.count":
                    r.res_u64 += 100
                elif r.arg == "a" and r.field_present:
                    r.res_str += "!"
        return rc


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_every_event_is_compared_and_every_finding_named():
    events = [{"ts": 1, "values": {"ticker.count": 1, "ticker.label[a]": "one"}},
              {"ts": 2, "values": {"ticker.label[a]": "two"}},
              {"ts": 3, "values": {"ticker.count": 3, "ticker.label[a]": "three"}}]
    status, reason, notes = outcome("batched-extraction", VoidsThenDiffers(variant(WELL_BEHAVED_SOURCE, events=events)))
    assert status == "WARN"
    assert reason.endswith("libsinsp asks one at a time): the whole call fails when one of ticker.count, "
                           "ticker.label fails; ticker.count, ticker.label[a] read differently in one call")
    assert notes[1:] == ["event 3: ticker.count is 3 alone but 103 in one call with the other fields",
                         "event 3: ticker.label[a] is 'three' alone but 'three!' in one call with the other fields"]


ALL_PROBES = {"ticker.label" + (f"[{arg}]" if arg else ""): f"v{n}"
              for n, arg in enumerate(("", "/a", "/b", "/b/c/0", "/user/name", "a", "b", "key", "0", "1", "2", "3"))}


class ChangesEverythingTogether(Strict):
    def extract_fields(self, state, event, requests):
        rc = super().extract_fields(state, event, requests)
        if len(requests) > 2:
            for r in requests:
                if r.field_present and r.res_str is not None:
                    r.res_str += "!"
        return rc


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_fields_reading_differently_are_named_up_to_eight():
    library = ChangesEverythingTogether(variant(WELL_BEHAVED_SOURCE, events=[{"ts": 1, "values": ALL_PROBES}]))
    status, reason, notes = outcome("batched-extraction", library)
    assert status == "WARN"
    assert reason.endswith("libsinsp asks one at a time): ticker.label, ticker.label[/a], ticker.label[/b], "
                           "ticker.label[/b/c/0], ticker.label[/user/name], ticker.label[a], ticker.label[b], "
                           "ticker.label[key] read differently in one call")
    assert len(notes) == 10  # at most LISTED_PROBLEMS notes


TWO_ARGUMENT_FIELDS = variant(WELL_BEHAVED_SOURCE, fields=[
    {"type": "string", "name": "ticker.label", "desc": "A label, by key", "argRequired": True},
    {"type": "string", "name": "ticker.tag", "desc": "A tag, by key", "argRequired": True}],
    events=[{"ts": 1, "values": {"ticker.label[a]": "one", "ticker.label[b]": "uno",
                                 "ticker.tag[a]": "x", "ticker.tag[b]": "y"}}])


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_every_field_with_one_result_buffer_is_named():
    status, reason, notes = outcome("batched-extraction", OneBufferPerField(TWO_ARGUMENT_FIELDS))
    assert status == "WARN" and reason.endswith("one at a time): ticker.label, ticker.tag: two arguments of one field "
                                                "in one call read the same value (one result buffer per field?)")
    assert notes == ["event 1: ticker.label[a] and ticker.label[b] are 'one' and 'uno' alone, but 'uno' and 'uno' in "
                     "one call",
                     "event 1: ticker.tag[a] and ticker.tag[b] are 'x' and 'y' alone, but 'y' and 'y' in one call"]


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_each_set_of_fields_failing_alone_is_named_once():
    events = [{"ts": 1, "values": {"ticker.count": 1}},
              {"ts": 2, "values": {"ticker.label[a]": "two"}},
              {"ts": 3, "values": {"ticker.label[a]": "three"}},
              {"ts": 4, "values": ALL_PROBES}]
    status, reason, notes = outcome("batched-extraction", FirstFailureFailsAll(variant(WELL_BEHAVED_SOURCE,
                                                                                       events=events)))
    assert status == "WARN"
    assert reason.endswith("the whole call fails when one of ticker.count; ticker.count, ticker.label fails")
    assert notes == ["event 2: the call failed as a whole (rc 1) though, asked alone, ticker.label have values; "
                     "failing alone: ticker.count, ticker.label",
                     "event 4: the call failed as a whole (rc 1) though, asked alone, ticker.label have values; "
                     "failing alone: ticker.count"]


LONG_NAMES = [f"ticker.a_field_with_a_rather_long_name_{n}" for n in range(8)]


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_the_fields_failing_alone_are_quoted_up_to_200_characters():
    fields = [{"type": "uint64", "name": "ticker.count", "desc": "d"}] + \
        [{"type": "string", "name": name, "desc": "d"} for name in LONG_NAMES]
    library = FailsTogether(variant(WELL_BEHAVED_SOURCE, fields=fields, events=[{"ts": 1, "values": {"ticker.count": 1}}]))
    status, reason, _ = outcome("batched-extraction", library)
    failing = ", ".join(sorted(LONG_NAMES))
    assert status == "WARN" and len(failing) > 200
    assert reason.endswith(f"the whole call fails when one of {failing[:200]} fails")


# --- the Hypothesis settings of a check: the same whatever profile the process has loaded ---

def loaded_profile(**changes):
    """A fixture body: a loaded profile unlike plugref's settings in every way (with `changes`), put back after."""
    from datetime import timedelta

    from hypothesis import Phase, settings
    previous = getattr(settings, "_current_profile", None) or "default"
    values = dict(max_examples=3, deadline=timedelta(milliseconds=50), derandomize=True, report_multiple_bugs=True,
                  print_blob=True, phases=(Phase.explicit,))
    values.update(changes)
    settings.register_profile("plugref-check-hostile", **values)
    settings.load_profile("plugref-check-hostile")
    yield values
    settings.load_profile(previous)


@pytest.fixture
def hostile_profile():
    yield from loaded_profile()


@pytest.fixture
def saving_profile():
    from hypothesis.database import InMemoryExampleDatabase
    yield from loaded_profile(derandomize=False, database=InMemoryExampleDatabase())


def drawn(seed_value: int, body=None) -> list[int]:
    from hypothesis import given, strategies as st
    ctx, _ = context(source(), seed=seed_value, max_examples=7)
    seen: list[int] = []

    @given(st.integers())
    def record(n: int) -> None:
        seen.append(n)
        if body:
            body(n)
    checks._run_property(ctx, record)
    return seen


def test_a_property_runs_max_examples_derandomized_by_the_seed_only(hostile_profile):
    first = drawn(11)
    assert len(first) == 7  # --max-examples, every phase that generates
    assert drawn(11) == first  # the same seed, the same inputs
    assert drawn(12) != first  # another seed, other inputs


def test_a_property_has_no_deadline(hostile_profile):
    # twice the hostile profile's 50 ms: Hypothesis lets a run exceed a deadline by a quarter before it fails
    assert len(drawn(3, lambda n: time.sleep(0.1))) == 7


def test_a_property_failing_two_ways_reports_one_and_saves_nothing(saving_profile, capsys):
    def two_bugs(n: int) -> None:
        if n > 0:
            raise AssertionError(f"{n} is positive")
        if n < 0:
            raise PlugrefError(f"{n} is negative")
    with pytest.raises(CheckFailed) as failure:
        drawn(5, two_bugs)
    assert failure.value.reason in ("1 is positive", "-1 is negative")  # shrunk, one bug reported
    assert saving_profile["database"].data == {}  # no example database
    assert "reproduce_failure" not in capsys.readouterr().out


def test_an_unexpected_exception_of_a_property_fails_naming_it():
    with pytest.raises(CheckFailed) as failure:
        drawn(5, lambda n: 1 // 0)
    assert failure.value.reason == "ZeroDivisionError: integer division or modulo by zero"


def test_a_native_batch_is_read_with_the_handles_it_was_asked_with():
    ctx, _ = context(source())
    ctx.library.native_batches = scripted_reader(2, [], count=0)
    assert ctx.library.next_batch(21, 22) == (2, [], None)
    assert ctx.library.native_batches.handles == [(21, 22)]
