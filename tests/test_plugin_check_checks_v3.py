"""The 3.x checks of `plugref check` (reference/tools/plugin_check/checks_v3.py, clause CHECK-V3) in-process.

tests/test_plugin_check_v3.py runs the tool on the native 3.x fake in child processes; here each check is called
directly on a `CheckContext` over a small `reference.sdk_v3` plugin with one behaviour changed at a time, so that
what each check reports (status, reason, notes) and the calls it announces are pinned.
"""
from __future__ import annotations

import time

import pytest

from reference.contract.v0_3 import Event
from reference.errors import PlugrefError
from reference.host.loader import read_info
from reference.sdk import GeneratorInstance
from reference.sdk_v3 import Plugin, PythonLibraryV3, field
from reference.tools.plugin_check import checks_v3
from reference.tools.plugin_check.checks import (CheckContext, CheckFailed, CheckOptions, CheckSkipped, CheckWarning,
                                                 RecordingLibrary)
from reference.tools.plugin_check.child import check_outcome

pytestmark = pytest.mark.clause("CHECK-V3")


def context(plugin_class, **options) -> tuple[CheckContext, list[tuple]]:
    calls: list[tuple] = []

    def announce(call, detail, *, nth=None, total=None, replay=None):
        calls.append((call, detail, nth, total))

    library = PythonLibraryV3(plugin_class, plugin_class.__name__)
    return CheckContext(CheckOptions(plugin_class.__name__, **options), RecordingLibrary(library, announce),
                        read_info(library)), calls


def outcome(name: str, plugin_class, **options) -> tuple[str, str, list[str]]:
    ctx, _ = context(plugin_class, **options)
    return check_outcome(checks_v3.CHECKS_V3[name], ctx)


def called(calls) -> list[str]:
    return [c[0] for c in calls if c[0] is not None]


class Stepping(GeneratorInstance):
    """Progress: the share of the events handed out so far."""

    def __init__(self, events, batch_size, total):
        super().__init__(events, batch_size)
        self.given, self.total = 0, total

    def next_batch(self):
        batch = super().next_batch()
        self.given += len(batch)
        return batch

    def progress(self):
        permyriad = self.given * 10000 // self.total
        return f"{permyriad / 100:.2f}", permyriad


class Ticks(Plugin):
    """Five events "n=1".."n=5", two a batch, with progress; fields of each argument kind."""

    name = "ticks"
    id = 2**30 + 77
    event_source = "ticks"
    version = "1.0.0"
    description = "ticks"
    contact = "plugref"
    reports_progress = True
    count = 5
    timestamps = None

    def open(self, params):
        if params == "fail":
            raise RuntimeError("cannot open 'fail'")
        stamps = self.timestamps or [n * 10**9 for n in range(1, self.count + 1)]
        return Stepping((Event(f"n={n}".encode(), ts) for n, ts in zip(range(1, self.count + 1), stamps)),
                        2, self.count)

    def event_to_string(self, event):
        return f"tick {event.data.decode()}"

    @field("ticks.n", "uint64", "the tick")
    def n(self, event, arg):
        return int(event.data.decode()[2:])

    @field("ticks.word", "string", "by index", arg_index=True)
    def word(self, event, arg):
        return f"w{arg.index}" if arg.present else "none"

    @field("ticks.tag", "string", "by key", arg_key=True, arg_required=True)
    def tag(self, event, arg):
        return f"{arg.key}:{event.data.decode()}"


# --- every call announced, with its place and its return (CHECK-ISOLATION) ---

@pytest.mark.clause("CHECK-ISOLATION")
def test_each_3x_call_is_announced_with_its_place_and_its_return():
    ctx, calls = context(Ticks, init_config="")
    checks_v3.check_teardown_v3(ctx)
    assert calls[:2] == [("plugin_init", "config ''", 1, 1), (None, "", None, None)]
    made = [c for c in calls if c[0] is not None]
    assert [c[3] for c in made] == list(range(1, len(made) + 1))
    assert all(calls[i + 1][0] is None for i, c in enumerate(calls) if c[0] is not None)
    assert [c[2] for c in made if c[0] == "plugin_init"] == [1, 2]
    assert ("plugin_open", "two states: the second one, params ''") in [(c[0], c[1]) for c in made]
    del calls[:]
    announcing = checks_v3.Announcing(ctx)
    assert announcing.location == "Ticks" and announcing.symbols == ctx.library.library.symbols  # not calls
    assert announcing._fields is ctx.library.library._fields
    assert announcing._fail == ctx.library.library._fail  # a private helper, not a plugin call: not wrapped
    assert calls == []


@pytest.mark.clause("CHECK-ISOLATION")
def test_a_3x_call_that_raises_still_says_it_returned():
    ctx, calls = context(Ticks)
    announcing = checks_v3.Announcing(ctx)

    def refuse(*args):
        raise PlugrefError("refused")
    ctx.library.library.refused_call = refuse
    with pytest.raises(PlugrefError):
        announcing.refused_call()
    assert calls == [("plugin_refused_call", "", 1, 1), (None, "", None, None)]


# --- next-batch and progress ---

def test_a_well_behaved_3x_stream_passes():
    assert outcome("next-batch", Ticks) == ("PASS", "", ["5 events read"])
    assert outcome("next-batch", Ticks, max_events=3) == \
        ("PASS", "", ["3 events read", "stopped after 3 events without EOF (--max-events)"])


def test_the_3x_stream_is_read_once_with_details():
    ctx, calls = context(Ticks)
    found = checks_v3.collect(ctx)
    assert checks_v3.collect(ctx) is found
    details = [(c[0], c[1]) for c in calls if c[0] is not None]
    assert details[:3] == [("plugin_init", "config ''"), ("plugin_open", "params ''"), ("plugin_next_batch", "event 1")]
    assert ("plugin_next_batch", "call 3 after EOF") in details
    assert details[-2:] == [("plugin_close", "closing and destroying after use"),
                            ("plugin_destroy", "closing and destroying after use")]
    assert [e.num for e in found.events] == [1, 2, 3, 4, 5]


@pytest.mark.clause("CHECK-PROGRESS")
def test_progress_is_read_after_each_batch_of_a_3x_plugin():
    ctx, calls = context(Ticks)
    assert checks_v3.check_progress_v3(ctx) == []
    progress = [c[1] for c in calls if c[0] == "plugin_get_progress"]
    assert progress == ["after event 2", "after event 4", "after event 5"]
    assert checks_v3.collect(ctx).progress_samples == 3

    class NoProgress(Ticks):
        reports_progress = False
    assert outcome("progress", NoProgress) == ("SKIP", "the plugin does not export plugin_get_progress", [])
    ctx, calls = context(Ticks, avoid=frozenset({"progress"}))
    assert checks_v3.collect(ctx).progress_samples == 0 and "plugin_get_progress" not in called(calls)

    class NoEvents(Ticks):
        count = 0
    assert outcome("progress", NoEvents) == ("SKIP", "no progress was read (no batch)", [])


class Overflowing(Stepping):
    def progress(self):
        return "120.00", 12000


class BadProgress(Ticks):
    def open(self, params):
        return Overflowing((Event(f"n={n}".encode(), n) for n in (1, 2, 3)), 2, 3)


@pytest.mark.clause("CHECK-PROGRESS")
def test_progress_out_of_range_fails_a_3x_plugin():
    status, reason, notes = outcome("progress", BadProgress)
    assert (status, reason) == ("FAIL", "after event 2: progress 12000 is outside 0..10000 (text '120.00') "
                                        "(and 1 more)")
    assert notes == ["after event 3: progress 12000 is outside 0..10000 (text '120.00')"]


class ZeroTimes(Ticks):
    timestamps = [5, 0, 0, 6, 7]


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_timestamp_zero_fails_a_3x_stream_unless_allowed():
    status, reason, notes = outcome("next-batch", ZeroTimes)
    assert status == "FAIL"
    assert reason.startswith("event 2: timestamp 0 (unset?") and reason.endswith("(and 1 more)")
    assert notes[0].startswith("event 3: timestamp 0")
    assert outcome("next-batch", ZeroTimes, allow_zero_ts=True) == ("PASS", "", ["5 events read"])


class Timeouts(Ticks):
    def open(self, params):
        from reference.sdk import TIMEOUT
        return GeneratorInstance([Event(b"n=1", 1)] + [TIMEOUT] * 300, 2)


class SomeTimeouts(Ticks):
    def open(self, params):
        from reference.sdk import TIMEOUT
        return GeneratorInstance([TIMEOUT] * 199 + [Event(b"n=1", 1)] + [TIMEOUT] * 199 + [Event(b"n=2", 2)], 2)


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_200_timeouts_in_a_row_end_a_3x_reading():
    assert outcome("next-batch", Timeouts) == ("PASS", "", ["1 events read", "stopped after 200 TIMEOUTs in a row"])
    assert outcome("next-batch", SomeTimeouts) == ("PASS", "", ["2 events read"])


class WrongEvents(Ticks):
    def open(self, params):
        class Instance(GeneratorInstance):
            def next_batch(self):
                return [b"\x01\x02"]
        return Instance([])


class Failing(Ticks):
    def open(self, params):
        class Instance(GeneratorInstance):
            calls = 0

            def next_batch(self):
                self.calls += 1
                if self.calls > 1:
                    raise RuntimeError("the bus is gone")
                return [Event(b"n=1", 1)]
        return Instance([])


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_events_the_3x_host_refuses_fail_next_batch():
    status, reason, _ = outcome("next-batch", WrongEvents)
    assert status == "FAIL" and reason.startswith("event 1: malformed plugin event produced by plugin: 'ticks'")
    assert outcome("next-batch", Failing)[:2] == \
        ("FAIL", "event 2: plugin ticks: next_batch failed: the bus is gone")


def after_eof(monkeypatch, answers: dict) -> CheckContext:
    """A context over Ticks whose next_batch answers `answers[n]` at the n-th call after the first EOF."""
    ctx, _ = context(Ticks)
    library = ctx.library.library
    original = library.next_batch
    after = []

    def next_batch(state, instance):
        if after or getattr(instance, "_ended", False):
            after.append(None)
            answer = answers.get(len(after))
            if isinstance(answer, Exception):
                raise answer
            if answer is not None:
                return answer
        return original(state, instance)
    monkeypatch.setattr(library, "next_batch", next_batch)
    return ctx


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_eof_must_stay_final_on_a_3x_stream(monkeypatch):
    from reference.contract.v0_3 import ReturnCode
    from reference.contract.v3 import encode_plugin_event
    late = (ReturnCode.SUCCESS, [encode_plugin_event(0, b"n=9", 9)])
    found = checks_v3.collect(after_eof(monkeypatch, {}))
    assert found.batch_problems == [] and len(found.events) == 5
    assert checks_v3.collect(after_eof(monkeypatch, {1: late})).batch_problems == \
        ["call 1 after EOF answered SUCCESS with 1 events (EOF must be final)"]
    assert checks_v3.collect(after_eof(monkeypatch, {3: (ReturnCode.TIMEOUT, [])})).batch_problems == \
        ["call 3 after EOF answered TIMEOUT with 0 events (EOF must be final)"]
    assert checks_v3.collect(after_eof(monkeypatch, {3: (ReturnCode.EOF, late[1])})).batch_problems == \
        ["call 3 after EOF answered EOF with 1 events (EOF must be final)"]
    assert checks_v3.collect(after_eof(monkeypatch, {4: late})).batch_problems == []
    assert checks_v3.collect(after_eof(monkeypatch, {2: PlugrefError("refused after EOF")})).batch_problems == \
        ["call 2 after EOF: refused after EOF"]


def test_a_3x_open_that_fails_skips_the_reading_checks():
    ctx, calls = context(Ticks, open_params="fail")
    for check in (checks_v3.check_next_batch_v3, checks_v3.check_progress_v3, checks_v3.check_event_to_string_v3):
        with pytest.raises(CheckSkipped, match=r"^cannot open the plugin: .*cannot open 'fail'"):
            check(ctx)
    assert called(calls)[-1] == "plugin_destroy"
    for family in ("next-batch", "open"):
        assert outcome("next-batch", Ticks, avoid=frozenset({family})) == \
            ("SKIP", "reading events crashed or hung earlier (see the next-batch and open checks)", [])
    ctx, calls = context(Ticks, open_params="fail", avoid=frozenset({"teardown"}))
    assert checks_v3.collect(ctx).open_error and "plugin_destroy" not in called(calls)


class Extracting(Ticks):
    """No sourcing: extraction only."""

    open = None
    event_to_string = None
    id = 0
    event_source = ""
    extract_event_sources = ["ticks"]


def test_an_extraction_only_plugin_has_no_events_of_its_own():
    reason = "the plugin has no sourcing capability: no events of its own"
    assert outcome("next-batch", Extracting) == ("SKIP", reason, [])
    assert outcome("event-to-string", Extracting) == ("SKIP", reason, [])


# --- identity ---

def test_identity_of_a_3x_plugin():
    assert outcome("identity", Ticks) == ("PASS", "", [])
    assert outcome("identity", Extracting) == ("PASS", "", [])  # ID 0 with no source is valid
    assert outcome("identity", type("T", (Ticks,), {"name": "Ticks"}))[:2] == \
        ("FAIL", "name 'Ticks' does not follow the registry's naming convention ^[a-z]+[a-z0-9-_]*$")
    class SourceOnly(Plugin):  # no fields: no extract sources of its own either
        name, id, event_source, version, open = "ticks", 2**30 + 77, "Ticks", "1.0.0", Ticks.open
    assert outcome("identity", SourceOnly) == \
        ("FAIL", "event source 'Ticks' does not follow the registry's convention ^[a-z]+[a-z0-9_]*$", [])
    assert outcome("identity", type("T", (Extracting,), {"event_source": "Ticks", "extract_event_sources": []})) == \
        ("PASS", "", [])  # ID 0: no source to name
    assert outcome("identity", type("T", (Extracting,), {"extract_event_sources": ["syscall", "ticks"]})) == \
        ("PASS", "", [])
    status, reason, notes = outcome("identity", type("T", (Extracting,), {"extract_event_sources": ["Sys", "a-b"]}))
    assert (status, reason) == ("FAIL", "extract event source 'Sys' does not follow the registry's convention "
                                        "^[a-z]+[a-z0-9_]*$ (and 1 more)")
    assert notes == ["extract event source 'a-b' does not follow the registry's convention ^[a-z]+[a-z0-9_]*$"]


class Parsing(Ticks):
    def parse_event(self, event):
        return None


def test_identity_notes_the_features_plugref_does_not_check():
    status, _, notes = outcome("identity", Parsing)
    assert status == "PASS" and notes == ["parsing not yet supported by plugref: not checked"]


# --- event-to-string ---

def test_every_3x_event_prints():
    assert outcome("event-to-string", Ticks) == ("PASS", "", [])
    ctx, calls = context(Ticks)
    checks_v3.check_event_to_string_v3(ctx)
    printed = [c[1] for c in calls if c[0] == "plugin_event_to_string"]
    assert printed == [f"event {n} (b'n={n}')" for n in range(1, 6)]

    class Silent(Ticks):
        event_to_string = None
    assert outcome("event-to-string", Silent) == \
        ("PASS", "", ["the plugin does not export plugin_event_to_string: evt.plugininfo shows datalen= and the data"])

    class Empty(Ticks):
        count = 0
    assert outcome("event-to-string", Empty) == ("SKIP", "no events to print", [])


def test_a_3x_event_to_string_that_fails_or_gives_no_text_fails(monkeypatch):
    ctx, _ = context(Ticks)
    library = ctx.library.library
    answers = iter([None, PlugrefError("not valid UTF-8"), "fine", "fine", None])

    def event_to_string(state, event):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer
    monkeypatch.setattr(library, "event_to_string", event_to_string)
    with pytest.raises(CheckFailed) as failure:
        checks_v3.check_event_to_string_v3(ctx)
    assert failure.value.reason == "event 1: event_to_string returned NULL (and 2 more)"
    assert failure.value.warnings == ["event 2: not valid UTF-8", "event 5: event_to_string returned NULL"]


# --- extract ---

def test_arguments_of_each_kind():
    from reference.contract.fields_v3 import FieldInfoV3
    from reference.contract.field_types import AnyFieldType

    def info(**flags):
        return FieldInfoV3(0, "f.x", AnyFieldType.STRING, "", **flags)
    assert checks_v3._arguments(info()) == [None]
    assert checks_v3._arguments(info(is_index=True)) == ["0", "1", None]
    assert checks_v3._arguments(info(is_index=True, arg_required=True)) == ["0", "1"]
    assert checks_v3._arguments(info(is_key=True)) == ["key", "a.b", None]
    assert checks_v3._arguments(info(is_key=True, arg_required=True)) == ["key", "a.b"]
    assert checks_v3._arguments(info(is_key=True, is_index=True)) == ["0", "key"]
    assert checks_v3._arguments(info(is_key=True, is_index=True, arg_required=True)) == ["0", "key"]


@pytest.mark.clause("CHECK-EXTRACT")
def test_every_3x_field_extracts_with_the_arguments_of_its_kind():
    ctx, calls = context(Ticks)
    assert checks_v3.check_extract_v3(ctx) == ["30 values extracted from 5 events"]
    asked = [c[1] for c in calls if c[0] == "plugin_extract_fields"]
    assert asked[:6] == ["event 1 (b'n=1'), ticks.n", "event 1 (b'n=1'), ticks.word[0]",
                         "event 1 (b'n=1'), ticks.word[1]", "event 1 (b'n=1'), ticks.word",
                         "event 1 (b'n=1'), ticks.tag[key]", "event 1 (b'n=1'), ticks.tag[a.b]"]
    assert len(asked) == 30
    assert checks_v3.check_extract_v3(context(Ticks, max_events=2)[0]) == ["12 values extracted from 2 events"]
    # four synthetic events: ticks.word three times on each, ticks.tag twice on the three that decode, ticks.n on n=1
    assert outcome("extract", Extracting) == ("PASS", "", ["19 values extracted from 4 events"])


def test_an_extraction_only_plugin_is_tried_on_synthetic_events():
    ctx, calls = context(Extracting)
    before = time.time_ns()
    events = checks_v3._extraction_events(ctx)
    assert [e.data for e in events] == [b"", b"{}", b"n=1", b"\xff\x00binary"]
    assert [e.evtnum for e in events] == [1, 2, 3, 4] and all(before <= e.ts <= time.time_ns() for e in events)
    assert all(e.data for e in checks_v3._extraction_events(context(Ticks)[0]))  # a source: its own events


class Lying(Ticks):
    @field("ticks.n", "uint64", "the tick")
    def n(self, event, arg):
        if event.data == b"n=3":
            raise ValueError("three is bad")
        return int(event.data.decode()[2:])


@pytest.mark.clause("CHECK-EXTRACT")
def test_a_3x_extraction_the_host_refuses_fails_naming_event_and_field(monkeypatch):
    ctx, _ = context(Ticks)
    library = ctx.library.library

    def extract_fields(state, event, requests):
        raise PlugrefError("res_len 2 for a field that is not a list")
    monkeypatch.setattr(library, "extract_fields", extract_fields)
    with pytest.raises(CheckFailed) as failure:
        checks_v3.check_extract_v3(ctx)
    assert failure.value.reason == "event 1 (b'n=1'), ticks.n: res_len 2 for a field that is not a list (and 29 more)"
    assert failure.value.warnings[:2] == ["event 1 (b'n=1'), ticks.word[0]: res_len 2 for a field that is not a list",
                                          "event 1 (b'n=1'), ticks.word[1]: res_len 2 for a field that is not a list"]
    assert outcome("extract", Lying) == ("PASS", "", ["29 values extracted from 5 events"])  # failure: no value


def test_extraction_is_skipped_without_fields_events_or_plugin_events():
    class NoFields(Plugin):
        name = "nofields"
        id = 2**30 + 78
        event_source = "nofields"
        version = "1.0.0"
        open = Ticks.open
    assert outcome("extract", NoFields) == ("SKIP", "the plugin declares no fields", [])
    assert outcome("batched-extraction", NoFields) == ("SKIP", "the plugin declares no fields", [])

    class Empty(Ticks):
        count = 0
    assert outcome("extract", Empty) == ("SKIP", "the plugin produced no events to extract from", [])

    class SyscallsOnly(Extracting):
        extract_event_types = [1, 2]
        required_event_schema_version = "4.0.0"
    ctx, calls = context(SyscallsOnly)
    with pytest.raises(CheckSkipped, match=r"^get_extract_event_types excludes plugin events \(322\): plugref "
                                           r"delivers no others$"):
        checks_v3.check_extract_v3(ctx)
    assert called(calls)[-1] == "plugin_destroy"
    assert outcome("extract", type("P", (SyscallsOnly,), {"extract_event_types": [322, 1]}))[0] == "PASS"


# --- init ---

class Refusing(Ticks):
    def init(self, config):
        if config == "no":
            raise RuntimeError("init says no")


def test_init_of_a_3x_plugin_as_the_host_does_it():
    assert outcome("init", Ticks) == ("PASS", "", [])
    ctx, calls = context(Ticks)
    checks_v3.check_init_v3(ctx)
    assert called(calls) == ["plugin_init", "plugin_destroy", "plugin_init", "plugin_destroy"]
    assert calls[4][1] == "config '', then the event schema check"
    assert outcome("init", Refusing, init_config="no")[:2] == ("FAIL", "init with config 'no' failed (rc 1): init says no")

    class OldSchema(Extracting):
        extract_event_sources = ["syscall"]
        required_event_schema_version = "2.0.0"
    status, reason, _ = outcome("init", OldSchema)
    assert status == "FAIL"
    assert reason.startswith("the 3.x host refuses the plugin after init: plugin ticks required event schema version "
                             "'2.0.0' not compatible")


def test_a_3x_init_failure_not_of_the_event_schema_is_the_init_checks(monkeypatch):
    from reference.errors import LoadError
    ctx, _ = context(Ticks)

    def refuse(plugin, config):
        raise LoadError("ticks", "could not initialize plugin: later", "V3-INIT-INPUT")
    monkeypatch.setattr(checks_v3.LoadedPluginV3, "init", refuse)
    with pytest.raises(LoadError):
        checks_v3.check_init_v3(ctx)


def test_a_3x_plugin_made_for_a_check_is_skipped_when_init_fails_or_crashed():
    ctx, _ = context(Refusing, init_config="no")
    with pytest.raises(CheckSkipped, match=r"^init failed: could not initialize plugin: init says no$"):
        checks_v3.loaded(ctx)
    ctx, calls = context(Ticks, avoid=frozenset({"init"}))
    with pytest.raises(CheckSkipped, match=r"^init crashed or hung earlier \(see the init check\)$"):
        checks_v3.loaded(ctx)
    assert calls == []


# --- teardown ---

@pytest.mark.clause("CHECK-TEARDOWN")
def test_3x_teardown_destroys_two_states_and_closes_an_open_one():
    ctx, calls = context(Ticks)
    assert checks_v3.check_teardown_v3(ctx) == []
    assert [(c[0], c[1]) for c in calls if c[0] is not None] == [
        ("plugin_init", "config ''"), ("plugin_init", "config ''"),
        ("plugin_destroy", "two states: the first one"),
        ("plugin_open", "two states: the second one, params ''"),
        ("plugin_close", "two states: the second one, open"), ("plugin_destroy", "two states: the second one, open")]
    ctx, calls = context(Ticks, open_params="fail")
    checks_v3.check_teardown_v3(ctx)
    assert [(c[0], c[1]) for c in calls if c[0] is not None][-3:] == [
        ("plugin_open", "two states: the second one, params 'fail'"),
        ("plugin_get_last_error", "two states: the second one, params 'fail'"),
        ("plugin_destroy", "two states: the second one, after a failed open")]
    assert outcome("teardown", Ticks, open_params="fail")[0] == "PASS"
    status, _, notes = outcome("teardown", Ticks, open_params="fail")
    assert notes[0].startswith("open failed, so close was not tried: ") and "cannot open 'fail'" in notes[0]
    ctx, calls = context(Ticks, avoid=frozenset({"open"}))
    assert checks_v3.check_teardown_v3(ctx) == [] and "plugin_open" not in called(calls)
    ctx, calls = context(Extracting)
    assert checks_v3.check_teardown_v3(ctx) == [] and "plugin_open" not in called(calls)
    assert [c[1] for c in calls if c[0] == "plugin_destroy"] == ["two states: the first one",
                                                                 "two states: the second one"]
    ctx, calls = context(Ticks, avoid=frozenset({"teardown"}))
    checks_v3.check_teardown_v3(ctx)
    assert "plugin_destroy" not in called(calls) and "plugin_close" not in called(calls)


# --- batched-extraction ---

@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_3x_batched_extraction_passes_when_values_agree():
    assert outcome("batched-extraction", Ticks) == \
        ("PASS", "", ["6 requests on 5 events read the same alone and in one call"])
    ctx, calls = context(Ticks)
    checks_v3.check_batched_extraction_v3(ctx)
    together = [c[1] for c in calls if c[0] == "plugin_extract_fields" and "," in c[1].split("), ", 1)[1]]
    assert together[0] == "event 1 (b'n=1'), ticks.word[0], ticks.word[1]"
    assert "event 1 (b'n=1'), ticks.n, ticks.word[0], ticks.word[1], ticks.word, ticks.tag[key], ticks.tag[a.b]" \
        in together
    assert outcome("batched-extraction", Ticks, avoid=frozenset({"extract"})) == \
        ("SKIP", "extract_fields crashed or hung earlier (see the extract check)", [])


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_3x_batched_extraction_warns_about_shared_results(monkeypatch):
    ctx, _ = context(Ticks)
    library = ctx.library.library
    original = library.extract_fields

    def shared(state, event, requests):
        rc = original(state, event, requests)
        for request in requests:
            request.values = list(requests[-1].values)
        return rc
    monkeypatch.setattr(library, "extract_fields", shared)
    with pytest.raises(CheckWarning) as warning:
        checks_v3.check_batched_extraction_v3(ctx)
    assert "ticks.word, ticks.tag: two arguments of one field in one call read the same value" in warning.value.reason


@pytest.mark.clause("CHECK-BATCHED-EXTRACTION")
def test_3x_batched_extraction_leaves_refused_answers_to_extract(monkeypatch):
    ctx, calls = context(Ticks)

    def refuse(state, event, requests):
        raise PlugrefError("refused")
    monkeypatch.setattr(ctx.library.library, "extract_fields", refuse)
    with pytest.raises(CheckSkipped) as skipped:
        checks_v3.check_batched_extraction_v3(ctx)
    assert skipped.value.reason == ("extraction breaks the contract on its own (see the extract check): "
                                    "event 1 (b'n=1'), ticks.n: refused")
    assert called(calls)[-1] == "plugin_destroy"


# --- details and what each call is given ---

class LongTicks(Ticks):
    """Ticks whose payloads are longer than the 24 bytes a detail quotes."""

    def open(self, params):
        return GeneratorInstance((Event(b"n=" + str(n).zfill(30).encode(), n) for n in (1, 2)), 2)


def test_a_3x_detail_quotes_24_bytes_of_the_payload():
    quoted = "b'n=0000000000000000000000'..."
    ctx, calls = context(LongTicks)
    checks_v3.check_extract_v3(ctx)
    checks_v3.check_event_to_string_v3(ctx)
    checks_v3.check_batched_extraction_v3(ctx)
    details = {c[0]: [] for c in calls}
    for c in calls:
        details[c[0]].append(c[1])
    assert details["plugin_event_to_string"][0] == f"event 1 ({quoted})"
    assert details["plugin_extract_fields"][0] == f"event 1 ({quoted}), ticks.n"
    assert f"event 1 ({quoted}), ticks.word[0], ticks.word[1]" in details["plugin_extract_fields"]


def test_event_to_string_is_given_each_event_as_the_host_holds_it(monkeypatch):
    from reference.contract.v3 import ScapEvent
    ctx, _ = context(Ticks)
    library = ctx.library.library
    given = []
    original = library.event_to_string

    def event_to_string(state, event):
        scap = ScapEvent.decode(event.evt)
        given.append((scap.payload, scap.plugin_id, event.evtnum))
        return original(state, event)
    monkeypatch.setattr(library, "event_to_string", event_to_string)
    checks_v3.check_event_to_string_v3(ctx)
    assert given == [(f"n={n}".encode(), 2**30 + 77, n) for n in range(1, 6)]


class OnlyYes(Ticks):
    def init(self, config):
        if config != "yes":
            raise RuntimeError(f"init wants 'yes', not {config!r}")


def test_the_3x_host_inits_with_the_given_config():
    assert outcome("init", OnlyYes, init_config="yes") == ("PASS", "", [])


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_a_3x_failure_keeps_the_reading_notes():
    status, _, notes = outcome("next-batch", ZeroTimes, max_events=3)
    assert status == "FAIL" and notes[-1] == "stopped after 3 events without EOF (--max-events)"


class TimeoutsThenEof(Ticks):
    def open(self, params):
        from reference.sdk import TIMEOUT
        return GeneratorInstance([Event(b"n=1", 1)] + [TIMEOUT] * 199, 2)


@pytest.mark.clause("CHECK-NEXT-BATCH")
def test_eof_after_199_timeouts_is_the_end_not_200_timeouts():
    assert outcome("next-batch", TimeoutsThenEof) == ("PASS", "", ["1 events read"])


def test_a_failed_3x_open_is_read_once():
    ctx, calls = context(Ticks, open_params="fail")
    found = checks_v3.collect(ctx)
    made = len(calls)
    assert checks_v3.collect(ctx) is found and len(calls) == made
