"""The checks of `plugref check` for 3.x plugins (clause CHECK-V3).

The load, registry, init and open checks of `checks.py` apply as they are (their calls have the
same shape in both contracts). The checks that read events and extract fields are redone here on
a `LoadedPluginV3`, so that a plugin meets the 3.x host: its scap events are checked as the host
checks them (V3-EVENT-CHECKS), fields are extracted one per call with arguments of the kinds they
declare (V3-FIELD-ARGS, V3-EXTRACT-ONE-FIELD), and every call is still announced to the parent
first, so a crash or hang names the call (CHECK-ISOLATION).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reference.contract.v0_3 import TS_NOW, Event, ReturnCode
from reference.contract.v3 import PPME_PLUGINEVENT_E
from reference.errors import LoadError, PlugrefError
from reference.host.engine import EventStream
from reference.host.falco_registry import NAME_PATTERN, SOURCE_PATTERN
from reference.host.loader_v3 import SYSCALL_SOURCE, LoadedPluginV3
from reference.tools.plugin_check.checks import (
    BATCH_CHECK_EVENTS,
    CALLS_AFTER_EOF,
    CHECKS,
    MAX_CONSECUTIVE_TIMEOUTS,
    CheckContext,
    CheckFailed,
    CheckSkipped,
    _progress_problem,
    _timestamp_problem,
    compare_alone_and_together,
    describe_bytes,
    failed,
)

#: Events extraction is tried on, at most.
MAX_EXTRACT_EVENTS = 50
#: Payloads an extraction-only plugin is tried on (it has no events of its own).
SYNTHETIC_PAYLOADS = (b"", b"{}", b"n=1", b"\xff\x00binary")


class Announcing:
    """A 3.x library whose every call is announced (with the context's detail) before it is made."""

    def __init__(self, ctx: CheckContext):
        self._ctx = ctx
        self._library = ctx.library.library

    def __getattr__(self, name: str):
        value = getattr(self._library, name)
        if not callable(value) or name.startswith("_"):
            return value

        def call(*args):
            # CHECK-ISOLATION: announced with its place in the process, and its return said, by
            # RecordingLibrary's own call (no replay: a fresh process replays 0.3.0 calls only)
            return self._ctx.library._call(name, *args)

        return call


@dataclass
class CollectionV3:
    events: list = field(default_factory=list)
    open_error: str | None = None
    batch_problems: list[str] = field(default_factory=list)
    batch_notes: list[str] = field(default_factory=list)
    progress_problems: list[str] = field(default_factory=list)
    progress_samples: int = 0


def loaded(ctx: CheckContext) -> LoadedPluginV3:
    """A freshly initialised 3.x plugin for one check."""
    if ctx.avoids("init"):
        raise CheckSkipped("init crashed or hung earlier (see the init check)")
    plugin = LoadedPluginV3(Announcing(ctx), ctx.info)
    ctx.library.detail = f"config {ctx.options.init_config!r}"
    try:
        plugin.init(ctx.options.init_config)
    except LoadError as exc:
        raise CheckSkipped(f"init failed: {exc.reason}") from None
    return plugin


def release(ctx: CheckContext, plugin: LoadedPluginV3, detail: str = "closing and destroying after use") -> None:
    if not ctx.avoids("teardown"):
        ctx.library.detail = detail
        plugin.shutdown()


def collect(ctx: CheckContext) -> CollectionV3:
    """Read the stream once through the 3.x host (cached on the context)."""
    cached = getattr(ctx, "_v3_collection", None)
    if cached is not None:
        return cached
    if ctx.avoids("next-batch") or ctx.avoids("open"):
        raise CheckSkipped("reading events crashed or hung earlier (see the next-batch and open checks)")
    found = CollectionV3()
    plugin = loaded(ctx)
    try:
        ctx.library.detail = f"params {ctx.options.open_params!r}"
        plugin.open(ctx.options.open_params)
    except PlugrefError as exc:
        found.open_error = exc.message
        release(ctx, plugin)
        ctx._v3_collection = found
        return found
    stream, timeouts = EventStream(plugin), 0
    with_progress = "plugin_get_progress" in ctx.symbols and not ctx.avoids("progress")
    while len(found.events) < ctx.options.max_events and not stream.ended:
        ctx.library.detail = f"event {len(found.events) + 1}"
        try:
            event = stream.next()
        except PlugrefError as exc:
            found.batch_problems.append(f"event {len(found.events) + 1}: {exc.message}")
            break
        if event is None:
            timeouts = 0 if stream.ended else timeouts + 1
            if timeouts >= MAX_CONSECUTIVE_TIMEOUTS:
                found.batch_notes.append(f"stopped after {timeouts} TIMEOUTs in a row")
                break
            continue
        timeouts = 0
        problem = _timestamp_problem(event.ts, ctx.options.allow_zero_ts)
        if problem:
            found.batch_problems.append(f"event {event.num}: {problem}")
        found.events.append(event)
        if with_progress and stream.count == len(found.events):  # the last event of its batch
            ctx.library.detail = f"after event {event.num}"
            text, pct = plugin.progress()
            found.progress_samples += 1
            problem = _progress_problem(text, pct)
            if problem:
                found.progress_problems.append(f"after event {event.num}: {problem}")
    else:
        if not stream.ended:
            found.batch_notes.append(f"stopped after {len(found.events)} events without EOF (--max-events)")
    if stream.ended:
        for attempt in range(1, CALLS_AFTER_EOF + 1):
            ctx.library.detail = f"call {attempt} after EOF"
            try:
                rc, batch = plugin.next_batch()
            except PlugrefError as exc:
                found.batch_problems.append(f"call {attempt} after EOF: {exc.message}")
                break
            if rc != ReturnCode.EOF or batch:
                found.batch_problems.append(f"call {attempt} after EOF answered {rc.name} with {len(batch)} events "
                                            f"(EOF must be final)")
                break
    release(ctx, plugin)
    ctx._v3_collection = found
    return found


def _source_events(ctx: CheckContext) -> CollectionV3:
    if not ctx.info.is_source:
        raise CheckSkipped("the plugin has no sourcing capability: no events of its own")
    found = collect(ctx)
    if found.open_error:
        raise CheckSkipped(f"cannot open the plugin: {found.open_error}")
    return found


def check_identity_v3(ctx: CheckContext) -> list[str]:
    """CHECK-V3: the registry's naming conventions; ID 0 with no source is valid in 3.x."""
    info, problems = ctx.info, []
    if not NAME_PATTERN.fullmatch(info.name):
        problems.append(f"name {info.name!r} does not follow the registry's naming convention {NAME_PATTERN.pattern}")
    if info.is_source and info.id and not SOURCE_PATTERN.fullmatch(info.event_source or ""):
        problems.append(f"event source {info.event_source!r} does not follow the registry's convention "
                        f"{SOURCE_PATTERN.pattern}")
    for source in info.extract_event_sources:
        if source != SYSCALL_SOURCE and not SOURCE_PATTERN.fullmatch(source):
            problems.append(f"extract event source {source!r} does not follow the registry's convention "
                            f"{SOURCE_PATTERN.pattern}")
    if problems:
        raise failed(problems)
    notes = [f"{name} not yet supported by plugref: not checked" for name in info.unsupported]
    return notes


def check_next_batch_v3(ctx: CheckContext) -> list[str]:
    found = _source_events(ctx)
    if found.batch_problems:
        raise failed(found.batch_problems, found.batch_notes)
    return [f"{len(found.events)} events read", *found.batch_notes]


def check_progress_v3(ctx: CheckContext) -> list[str]:
    if "plugin_get_progress" not in ctx.symbols:
        raise CheckSkipped("the plugin does not export plugin_get_progress")
    found = _source_events(ctx)
    if found.progress_problems:
        raise failed(found.progress_problems)
    if not found.progress_samples:
        raise CheckSkipped("no progress was read (no batch)")
    return []


def check_event_to_string_v3(ctx: CheckContext) -> list[str]:
    found = _source_events(ctx)
    if not found.events:
        raise CheckSkipped("no events to print")
    if "plugin_event_to_string" not in ctx.symbols:
        return ["the plugin does not export plugin_event_to_string: evt.plugininfo shows datalen= and the data"]
    plugin, problems = loaded(ctx), []
    for event in found.events:
        ctx.library.detail = f"event {event.num} ({describe_bytes(event.data, 24)})"
        try:
            text = plugin.library.event_to_string(plugin._state, plugin.event_input(event.as_plugin_input()))
        except PlugrefError as exc:
            problems.append(f"event {event.num}: {exc.message}")
            continue
        if not isinstance(text, str):
            problems.append(f"event {event.num}: event_to_string returned NULL")
    release(ctx, plugin)
    if problems:
        raise failed(problems)
    return []


def _arguments(info) -> list[str | None]:
    """The arguments each kind of field is tried with (V3-FIELD-ARGS)."""
    if info.is_index and info.is_key:
        return ["0", "key"]
    if info.is_index:
        return ["0", "1"] + ([] if info.arg_required else [None])
    if info.is_key:
        return ["key", "a.b"] + ([] if info.arg_required else [None])
    return [None]


def _extraction_events(ctx: CheckContext) -> list[Event]:
    """The plugin's own events, or synthetic plugin events for an extraction-only plugin."""
    if ctx.info.is_source:
        found = _source_events(ctx)
        events = [e.as_plugin_input() for e in found.events[:MAX_EXTRACT_EVENTS]]
        if not events:
            raise CheckSkipped("the plugin produced no events to extract from")
        return events
    now = time.time_ns()
    return [Event(payload, now, number) for number, payload in enumerate(SYNTHETIC_PAYLOADS, 1)]


def _extracting(ctx: CheckContext) -> LoadedPluginV3:
    """A fresh plugin that extracts from plugin events; skipped when its event codes exclude them."""
    plugin = loaded(ctx)
    if plugin.extract_event_types is not None and PPME_PLUGINEVENT_E not in plugin.extract_event_types:
        release(ctx, plugin)
        raise CheckSkipped("get_extract_event_types excludes plugin events (322): plugref delivers no others")
    return plugin


def check_extract_v3(ctx: CheckContext) -> list[str]:
    """Every field of every event (or of synthetic plugin events, for an extraction-only plugin),
    with every kind of argument, one call each, without error."""
    if not ctx.info.fields:
        raise CheckSkipped("the plugin declares no fields")
    events = _extraction_events(ctx)
    plugin, problems, values = _extracting(ctx), [], 0
    for event in events:
        evt = plugin.event_input(event)
        for info in ctx.info.fields:
            for arg in _arguments(info):
                ctx.library.detail = f"event {event.evtnum} ({describe_bytes(event.data, 24)}), {info.name}" + \
                    (f"[{arg}]" if arg is not None else "")
                try:
                    value = plugin.extract_one(evt, info, arg)
                except PlugrefError as exc:
                    problems.append(f"{ctx.library.detail}: {exc.message}")
                    continue
                values += value is not None
    release(ctx, plugin)
    if problems:
        raise failed(problems)
    return [f"{values} values extracted from {len(events)} events"]


def check_init_v3(ctx: CheckContext) -> list[str]:
    """The init check of checks.py, then init as the 3.x host does it: what follows init there
    (the event codes and the event schema check, V3-EVENT-SCHEMA) may refuse the plugin too."""
    notes = CHECKS["init"](ctx)
    plugin = LoadedPluginV3(Announcing(ctx), ctx.info)
    ctx.library.detail = f"config {ctx.options.init_config!r}, then the event schema check"
    try:
        plugin.init(ctx.options.init_config)
    except LoadError as exc:
        if exc.clause == "V3-EVENT-SCHEMA":
            raise failed([f"the 3.x host refuses the plugin after init: {exc.reason}"]) from None
        raise  # the init check above meets the same failure first
    release(ctx, plugin)
    return notes


def check_teardown_v3(ctx: CheckContext) -> list[str]:
    """Two states at once, then both destroyed; an open instance closed before its state."""
    first, second = loaded(ctx), loaded(ctx)
    release(ctx, first, "two states: the first one")
    if ctx.info.is_source and not ctx.avoids("open"):
        ctx.library.detail = f"two states: the second one, params {ctx.options.open_params!r}"
        try:
            second.open(ctx.options.open_params)
        except PlugrefError as exc:
            release(ctx, second, "two states: the second one, after a failed open")
            return [f"open failed, so close was not tried: {exc.message}"]
        release(ctx, second, "two states: the second one, open")
        return []
    release(ctx, second, "two states: the second one")
    return []


def check_batched_extraction_v3(ctx: CheckContext) -> list[str]:
    """CHECK-BATCHED-EXTRACTION on the 3.x host: every field with the arguments of its kind asked
    one per call (as 3.x hosts ask them), then together in one call (num_fields > 1, which the
    API allows); the comparison is the 0.3.0 check's."""
    if not ctx.info.fields:
        raise CheckSkipped("the plugin declares no fields")
    if ctx.avoids("extract"):
        raise CheckSkipped("extract_fields crashed or hung earlier (see the extract check)")
    events = _extraction_events(ctx)[:BATCH_CHECK_EVENTS]
    plugin = _extracting(ctx)
    wanted = [(info, arg) for info in ctx.info.fields for arg in _arguments(info)]

    def extract_rc(event: Event, asked: list) -> tuple[int, list]:
        ctx.library.detail = (f"event {event.evtnum} ({describe_bytes(event.data, 24)}), " +
                              ", ".join(f"{f.name}[{arg}]" if arg is not None else f.name for f, arg in asked))
        try:
            return plugin.extract_together(plugin.event_input(event), asked)
        except PlugrefError as exc:
            raise CheckFailed(f"{ctx.library.detail}: {exc.message}") from None

    try:
        return compare_alone_and_together(ctx, events, wanted, extract_rc)
    except CheckFailed as exc:
        raise CheckSkipped(f"extraction breaks the contract on its own (see the extract check): {exc.reason}") from None
    finally:
        release(ctx, plugin)


CHECKS_V3: dict[str, Callable[[CheckContext], list[str]]] = {
    **CHECKS,
    "batched-extraction": check_batched_extraction_v3,
    "identity": check_identity_v3,
    "init": check_init_v3,
    "next-batch": check_next_batch_v3,
    "extract": check_extract_v3,
    "event-to-string": check_event_to_string_v3,
    "progress": check_progress_v3,
    "teardown": check_teardown_v3,
}
