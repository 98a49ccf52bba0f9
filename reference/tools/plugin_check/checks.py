"""The checks of `plugref check`, run inside the child process against one plugin library.

Each check is a function of a `CheckContext` that returns normally (PASS, possibly with warnings)
or raises `CheckFailed` / `CheckSkipped`. Every plugin call goes through `RecordingLibrary`, which
announces it to the parent first: when the plugin kills or hangs the process, the parent knows the
call that did it. The parent may ask a child to avoid whole call families (`CheckOptions.avoid`)
that already crashed, so that one defect fails one check and does not take the others down.
"""
from __future__ import annotations

import base64
import ctypes
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from reference.contract.v0_3 import TS_NOW, Event, ExtractRequest, FieldType, PluginLibrary, ReturnCode
from reference.errors import LoadError, PlugrefError
from reference.host.falco_registry import NAME_PATTERN, SOURCE_PATTERN, identity_warnings, load_registry
from reference.contract.fields import FieldInfo
from reference.host.loader import PluginInfo, validate_init_config
from reference.host.native import MAX_BATCH_EVENTS, MAX_EVENT_BYTES, NativeEvent, NativeLibrary
from reference.host.registry import id_diagnostics
from reference.tools.plugin_check.configs import NOT_JSON, invalid_configs, is_valid_config, valid_configs

#: The order checks are reported in.
CHECK_NAMES = ("load", "identity", "registry", "init", "init-schema-configs", "init-invalid-configs", "open",
               "next-batch", "extract", "batched-extraction", "event-to-string", "progress", "teardown")

#: The check that owns each plugin call: a crash or hang in that call fails this check.
CALL_OWNERS = {
    "plugin_init": "init",
    "plugin_open": "open",
    "plugin_list_open_params": "open",
    "plugin_next_batch": "next-batch",
    "reread_batch": "next-batch",
    "plugin_get_progress": "progress",
    "plugin_event_to_string": "event-to-string",
    "plugin_extract_fields": "extract",
    "plugin_close": "teardown",
    "plugin_destroy": "teardown",
}

#: Calls after EOF that must all answer EOF with no events.
CALLS_AFTER_EOF = 3
#: Consecutive TIMEOUTs after which reading stops (a live source may have nothing to say).
MAX_CONSECUTIVE_TIMEOUTS = 200
#: A timestamp this far in the future is suspicious (ns).
FUTURE_SLACK_NS = 366 * 24 * 3600 * 10**9
#: Open params that no plugin documents; used to reach "open failed".
UNLIKELY_OPEN_PARAMS = "\x01plugref-check: params no plugin accepts\x01"
#: Problems quoted in a reason (kept short); the others are counted there and listed as notes.
QUOTED_PROBLEMS = 1
LISTED_PROBLEMS = 10


class CheckFailed(Exception):
    def __init__(self, reason: str, warnings: list[str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.warnings = warnings or []


class CheckWarning(Exception):
    """The plugin keeps the contract but would break under a host the API allows (status WARN)."""

    def __init__(self, reason: str, notes: list[str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.notes = notes or []


class CheckSkipped(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class CheckOptions:
    target: str
    init_config: str = ""
    open_params: str = ""
    registry: str | None = None
    seed: int = 0
    max_examples: int = 50
    max_events: int = 1000
    allow_zero_ts: bool = False
    #: Families (check names) whose calls crashed or hung earlier: make none of their calls.
    avoid: frozenset[str] = frozenset()


def summarize(problems: list[str]) -> str:
    quoted = "; ".join(problems[:QUOTED_PROBLEMS])
    more = len(problems) - QUOTED_PROBLEMS
    return quoted + (f" (and {more} more)" if more > 0 else "")


def failed(problems: list[str], notes: list[str] | None = None) -> CheckFailed:
    """A failure quoting the first problem, with the next ones as notes."""
    return CheckFailed(summarize(problems), problems[QUOTED_PROBLEMS:LISTED_PROBLEMS] + (notes or []))


def describe_bytes(data: bytes, limit: int = 40) -> str:
    return repr(data[:limit]) + ("..." if len(data) > limit else "")


class NativeBatchReader:
    """next_batch of a native plugin with the plugin's own memory kept, so that it can be re-read.

    dlopen of the same file returns the library NativeLibrary already loaded, so the state and
    instance handles it made are valid here.
    """

    def __init__(self, location: str):
        library = ctypes.CDLL(os.path.abspath(location), mode=os.RTLD_NOW | os.RTLD_LOCAL)
        self._next_batch = library.plugin_next_batch
        self._next_batch.restype = ctypes.c_int32
        self._next_batch.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint32),
                                     ctypes.POINTER(ctypes.POINTER(NativeEvent))]

    def next_batch(self, state: Any, instance: Any) -> tuple[int, list[Event], Callable[[], list[Event]] | None]:
        count = ctypes.c_uint32(0)
        array = ctypes.POINTER(NativeEvent)()
        rc = self._next_batch(ctypes.c_void_p(state), ctypes.c_void_p(instance), ctypes.byref(count),
                              ctypes.byref(array))
        total = count.value
        if total == 0:
            return rc, [], None
        if total > MAX_BATCH_EVENTS:
            raise PlugrefError(f"next_batch returned {total} events in one batch (more than {MAX_BATCH_EVENTS})")
        if not array:
            raise PlugrefError(f"next_batch returned {total} events but a NULL event array")
        return rc, self.read(array, total), lambda: self.read(array, total)

    @staticmethod
    def read(array, total: int) -> list[Event]:
        events = []
        for index in range(total):
            raw = array[index]
            if raw.datalen > MAX_EVENT_BYTES:
                raise PlugrefError(f"event {index} of the batch has datalen {raw.datalen}")
            if raw.datalen and not raw.data:
                raise PlugrefError(f"event {index} of the batch has datalen {raw.datalen} but NULL data")
            events.append(Event(ctypes.string_at(raw.data, raw.datalen) if raw.datalen else b"", raw.ts))
        return events


class RecordingLibrary:
    """A PluginLibrary whose every call is announced (with `detail`) before it is made.

    Each announcement also says the call's position in the process (the n-th call of that
    function, the m-th plugin call in all) and, for the calls that can be made again alone, what
    it takes to replay it (`replay`): a crash may depend on the calls before it (a 32nd init is
    not a bad config), and replaying the call in a fresh process tells the two apart.
    """

    def __init__(self, library: PluginLibrary, announce: Callable[..., None]):
        self.library = library
        self.announce = announce
        self.detail = ""
        self.counts: dict[str, int] = {}
        self.total = 0
        # Extractors export no next_batch: only a native source plugin's batches are re-read.
        self.native_batches = NativeBatchReader(library.location) \
            if isinstance(library, NativeLibrary) and "plugin_next_batch" in library.symbols else None

    def _announce(self, call: str, replay: dict | None = None) -> None:
        self.counts[call] = self.counts.get(call, 0) + 1
        self.total += 1
        self.announce(call, self.detail, nth=self.counts[call], total=self.total, replay=replay)

    def _call(self, symbol: str, *args, replay: dict | None = None):
        self._announce(f"plugin_{symbol}", replay)
        try:
            return getattr(self.library, symbol)(*args)
        finally:
            self.announce_return()

    def announce_return(self) -> None:
        self.announce(None, "")

    def init(self, config: str):
        return self._call("init", config, replay={"config": config})

    def destroy(self, state):
        return self._call("destroy", state)

    def get_last_error(self, state) -> str:
        text = self._call("get_last_error", state)
        return text if isinstance(text, str) else ""

    def open(self, state, params: str):
        return self._call("open", state, params, replay={"params": params})

    def close(self, state, instance):
        return self._call("close", state, instance)

    def get_progress(self, state, instance):
        return self._call("get_progress", state, instance)

    def event_to_string(self, state, data: bytes):
        return self._call("event_to_string", state, data, replay={"data": base64.b64encode(data).decode()})

    def extract_fields(self, state, event: Event, requests: list[ExtractRequest]) -> int:
        replay = {"data": base64.b64encode(event.data).decode(), "ts": event.ts, "evtnum": event.evtnum,
                  "requests": [[r.field_id, r.field, r.arg, int(r.ftype)] for r in requests]}
        return self._call("extract_fields", state, event, requests, replay=replay)

    def list_open_params(self, state):
        return self._call("list_open_params", state)

    def next_batch(self, state, instance) -> tuple[int, list[Event], Callable[[], list[Event]] | None]:
        """(rc, copies of the events, a function re-reading the plugin's memory of them)."""
        self._announce("plugin_next_batch")
        try:
            if self.native_batches is not None:
                return self.native_batches.next_batch(state, instance)
            rc, events = self.library.next_batch(state, instance)
        finally:
            self.announce_return()
        originals = list(events)
        copies = [Event(bytes(e.data), e.ts) for e in originals]
        # A Python plugin may hand out a bytearray and reuse it: re-read the very objects it gave.
        return rc, copies, (lambda: [Event(bytes(e.data), e.ts) for e in originals]) if copies else None


@dataclass
class Collection:
    """What reading the event stream once with the given config and params showed."""

    events: list[Event] = field(default_factory=list)
    open_error: str | None = None
    batch_problems: list[str] = field(default_factory=list)
    batch_notes: list[str] = field(default_factory=list)
    progress_samples: list[tuple[str | None, int]] = field(default_factory=list)
    progress_problems: list[str] = field(default_factory=list)
    string_problems: list[str] = field(default_factory=list)
    strings_checked: int = 0


class CheckContext:
    def __init__(self, options: CheckOptions, library: RecordingLibrary, info: PluginInfo):
        self.options = options
        self.library = library
        self.info = info
        self._collection: Collection | None = None

    @property
    def symbols(self) -> frozenset[str]:
        return self.library.library.symbols

    def avoids(self, family: str) -> bool:
        return family in self.options.avoid

    def hypothesis(self, test: Callable) -> Callable:
        configured = settings(max_examples=self.options.max_examples, database=None, deadline=None,
                              derandomize=False, report_multiple_bugs=False, print_blob=False,
                              phases=(Phase.explicit, Phase.generate, Phase.shrink),
                              suppress_health_check=list(HealthCheck))(test)
        return seed(self.options.seed)(configured)

    # States and instances, released unless teardown is known to crash.

    def init_state(self, config: str | None = None) -> Any:
        """A state initialised the way the framework would with `config` (default: --init)."""
        if self.avoids("init"):
            raise CheckSkipped("init crashed or hung earlier (see the init check)")
        config = self.options.init_config if config is None else config
        try:
            text = validate_init_config(self.info, config, self.library.library.location)
        except LoadError as exc:
            raise CheckSkipped(f"the init config is refused by the plugin's schema: {exc.reason}") from None
        self.library.detail = f"config {text!r}"
        state, rc = self.library.init(text)
        if state is None:
            raise CheckSkipped(f"init with config {text!r} returned no state (rc {rc})")
        if rc != ReturnCode.SUCCESS:
            error = self.library.get_last_error(state)
            self.release(state)
            raise CheckSkipped(f"init with config {text!r} failed: {error or '(no last error)'}")
        return state

    def release(self, state: Any, instance: Any = None) -> None:
        if self.avoids("teardown"):
            return  # leaked on purpose: the child process ends soon
        if instance is not None:
            self.library.detail = "closing after use"
            self.library.close(state, instance)
        self.library.detail = "destroying after use"
        self.library.destroy(state)

    def open_instance(self, state: Any, params: str) -> tuple[Any, str | None]:
        """(instance, None) or (None, why open failed)."""
        self.library.detail = f"params {params!r}"
        instance, rc = self.library.open(state, params)
        if rc == ReturnCode.SUCCESS and instance is not None:
            return instance, None
        error = self.library.get_last_error(state)
        return None, f"open with params {params!r} failed (rc {rc}, {'no instance' if instance is None else 'an instance'})" \
                     f": {error or 'no last error'}"

    def collection(self) -> Collection:
        if self._collection is None:
            self._collection = collect_events(self)
        return self._collection


# Reading the stream once: next_batch contracts, with progress and event_to_string between batches.


def _timestamp_problem(ts: int, allow_zero: bool) -> str | None:
    if ts == 0 and not allow_zero:
        return "timestamp 0 (unset? use UINT64_MAX for \"now\", or pass --allow-zero-ts if 0 is documented)"
    return None


def _progress_problem(text: str | None, pct: int) -> str | None:
    if not 0 <= pct <= 10000:
        return f"progress {pct} is outside 0..10000 (text {text!r})"
    if not text:
        return None
    number = text.strip().rstrip("%").strip()
    try:
        shown = float(number)
    except ValueError:
        return None  # free text: nothing to compare
    decimals = len(number.split(".", 1)[1]) if "." in number else 0
    if abs(shown - pct / 100) > 0.5 * 10**-decimals + 1e-9:
        return f"progress text {text!r} disagrees with the percentage {pct / 100:.2f} ({pct}/10000)"
    return None


def collect_events(ctx: CheckContext) -> Collection:
    found = Collection()
    if ctx.avoids("next-batch") or ctx.avoids("open"):
        raise CheckSkipped("reading events crashed or hung earlier (see the next-batch and open checks)")
    library, options = ctx.library, ctx.options
    state = ctx.init_state()
    instance, found.open_error = ctx.open_instance(state, options.open_params)
    if instance is None:
        ctx.release(state)
        return found
    with_progress = "plugin_get_progress" in ctx.symbols and not ctx.avoids("progress")
    with_strings = not ctx.avoids("event-to-string")
    now = time.time_ns()
    batch_number = timeouts = 0
    while len(found.events) < options.max_events:
        batch_number += 1
        library.detail = f"batch {batch_number}"
        try:
            rc, batch, reread = library.next_batch(state, instance)
        except PlugrefError as exc:
            found.batch_problems.append(f"batch {batch_number}: {exc.message}")
            break
        if rc not in set(ReturnCode):
            found.batch_problems.append(f"batch {batch_number}: next_batch returned the unknown code {rc}")
            break
        if rc == ReturnCode.SUCCESS and not batch:
            found.batch_problems.append(f"batch {batch_number}: SUCCESS with zero events (the framework fails: "
                                        f"unexpected 0 size event)")
            break
        for index, event in enumerate(batch):
            where = f"event {len(found.events) + index + 1} (batch {batch_number})"
            problem = _timestamp_problem(event.ts, options.allow_zero_ts)
            if problem:
                found.batch_problems.append(f"{where}: {problem}")
            elif event.ts != TS_NOW and event.ts > now + FUTURE_SLACK_NS:
                found.batch_notes.append(f"{where}: timestamp {event.ts} is more than a year in the future")
        first_number = len(found.events) + 1
        found.events.extend(batch)
        # Between two next_batch calls the framework asks for progress and prints events.
        if with_progress:
            library.detail = f"after batch {batch_number}"
            try:
                text, pct = library.get_progress(state, instance)
            except PlugrefError as exc:
                found.progress_problems.append(f"after batch {batch_number}: {exc.message}")
            else:
                found.progress_samples.append((text, pct))
                problem = _progress_problem(text, pct)
                if problem:
                    found.progress_problems.append(f"after batch {batch_number}: {problem}")
        if with_strings:
            for offset, event in enumerate(batch):
                found.strings_checked += 1
                problem = _string_problem(ctx, state, event, first_number + offset)
                if problem:
                    found.string_problems.append(problem)
        if reread is not None:
            library.announce("reread_batch", f"batch {batch_number}, before the next call")
            try:
                again = reread()
            except PlugrefError as exc:
                again = None
                found.batch_problems.append(f"batch {batch_number}: re-reading the batch failed: {exc.message}")
            library.announce_return()
            for offset, (before, after) in enumerate(zip(batch, again or batch)):
                if before != after:
                    found.batch_problems.append(
                        f"event {first_number + offset} (batch {batch_number}) changed before the next next_batch call: "
                        f"{describe_bytes(before.data)} ts {before.ts} became {describe_bytes(after.data)} ts {after.ts} "
                        f"(the plugin reused its memory too early)")
                    break
        if rc == ReturnCode.EOF:
            _check_eof_is_final(ctx, state, instance, found, batch_number)
            break
        if rc == ReturnCode.FAILURE:
            error = library.get_last_error(state)
            found.batch_problems.append(f"batch {batch_number}: next_batch failed: {error or '(no last error)'}")
            break
        if rc == ReturnCode.NOT_SUPPORTED:
            found.batch_problems.append(f"batch {batch_number}: next_batch returned NOT_SUPPORTED")
            break
        if rc == ReturnCode.TIMEOUT and not batch:
            timeouts += 1
            if timeouts >= MAX_CONSECUTIVE_TIMEOUTS:
                found.batch_notes.append(f"stopped after {timeouts} TIMEOUTs in a row")
                break
            time.sleep(0.001)
        else:
            timeouts = 0
    else:
        found.batch_notes.append(f"stopped after {len(found.events)} events without EOF (--max-events)")
    ctx.release(state, instance)
    return found


def _check_eof_is_final(ctx: CheckContext, state: Any, instance: Any, found: Collection, batch_number: int) -> None:
    for attempt in range(1, CALLS_AFTER_EOF + 1):
        ctx.library.detail = f"call {attempt} after EOF"
        try:
            rc, batch, _ = ctx.library.next_batch(state, instance)
        except PlugrefError as exc:
            found.batch_problems.append(f"call {attempt} after EOF: {exc.message}")
            return
        if batch:
            found.batch_problems.append(f"EOF is not final: call {attempt} after EOF (batch {batch_number}) returned "
                                        f"{len(batch)} more events (rc {rc})")
            return
        if rc != ReturnCode.EOF:
            found.batch_problems.append(f"EOF is not final: call {attempt} after EOF returned rc {rc}, not EOF")
            return


def _string_problem(ctx: CheckContext, state: Any, event: Event, number: int) -> str | None:
    ctx.library.detail = f"event {number}"
    try:
        text = ctx.library.event_to_string(state, event.data)
    except PlugrefError as exc:
        return f"event {number} ({describe_bytes(event.data)}): {exc.message}"
    if text is None:
        return f"event {number} ({describe_bytes(event.data)}): event_to_string returned NULL"
    if not isinstance(text, str):
        return f"event {number}: event_to_string returned {type(text).__name__}, not a string"
    return None


# The checks.


def check_load(ctx: CheckContext) -> list[str]:
    """read_info has already succeeded when a context exists; add what the loader leaves alone."""
    info, warnings = ctx.info, []
    if info.fields and "plugin_extract_fields" not in ctx.symbols:
        raise CheckFailed(f"declares {len(info.fields)} fields but does not export plugin_extract_fields")
    names = [f.name for f in info.fields]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise CheckFailed(f"declares the field(s) {', '.join(repeated)} more than once")
    for what in ("description", "contact"):
        if not getattr(info, what).strip():
            warnings.append(f"get_{what} is empty")
    return warnings


def check_identity(ctx: CheckContext) -> list[str]:
    info, problems, warnings = ctx.info, [], []
    if not NAME_PATTERN.fullmatch(info.name):
        problems.append(f"name {info.name!r} does not follow the registry's naming convention {NAME_PATTERN.pattern}")
    if info.is_source:
        if not SOURCE_PATTERN.fullmatch(info.event_source or ""):
            problems.append(f"event source {info.event_source!r} does not follow the registry's convention "
                            f"{SOURCE_PATTERN.pattern}")
        if info.event_source == "syscall":
            problems.append("event source 'syscall' belongs to the framework")
        error, warning = id_diagnostics(info)
        if error:
            problems.append(error)
        if warning:
            warnings.append(warning)
    for source in info.extract_event_sources:
        if not SOURCE_PATTERN.fullmatch(source):
            problems.append(f"extract event source {source!r} does not follow the registry's convention "
                            f"{SOURCE_PATTERN.pattern}")
    if problems:
        raise failed(problems, warnings)
    return warnings


def check_registry(ctx: CheckContext) -> list[str]:
    if not ctx.options.registry:
        raise CheckSkipped("no registry file given (--registry FILE)")
    index = load_registry(ctx.options.registry)
    info = ctx.info
    problems = identity_warnings(index, info.name, info.id, info.event_source)
    if info.is_source and info.event_source in index.reserved_sources:
        problems.append(f"event source {info.event_source} is reserved by the registry")
    warnings = []
    if index.by_name(info.name) is None:
        warnings.append(f"plugin {info.name} is not in the registry")
        if info.is_source and 0 < info.id < 2**30 and index.by_id(info.id) is None and info.id != 999:
            warnings.append(f"ID {info.id} is in the registry's public block but registered to no plugin "
                            f"(unregistered plugins use the private block from {2**30})")
    if problems:
        raise failed(problems, warnings)
    return warnings


def check_init(ctx: CheckContext) -> list[str]:
    config = ctx.options.init_config
    try:
        text = validate_init_config(ctx.info, config, ctx.library.library.location)
    except LoadError as exc:
        raise CheckFailed(f"the given init config is refused by the plugin's schema: {exc.reason}") from None
    ctx.library.detail = f"config {text!r}"
    state, rc = ctx.library.init(text)
    if state is None and rc == ReturnCode.SUCCESS:
        raise CheckFailed(f"init with config {text!r} returned SUCCESS but a NULL state")
    if state is None:
        raise CheckFailed(f"init with config {text!r} failed (rc {rc}) and returned a NULL state, so no reason can "
                          f"be read")
    if rc != ReturnCode.SUCCESS:
        error = ctx.library.get_last_error(state)
        ctx.release(state)
        raise CheckFailed(f"init with config {text!r} failed (rc {rc}): {error or '(no last error)'}")
    ctx.release(state)
    return []


def _run_property(ctx: CheckContext, test: Callable) -> None:
    """Run a Hypothesis property; its failure (after shrinking) becomes CheckFailed."""
    try:
        ctx.hypothesis(test)()
    except CheckFailed:
        raise
    except (AssertionError, PlugrefError) as exc:
        raise CheckFailed(str(exc)) from None
    except Exception as exc:  # Hypothesis' own verdicts: unsatisfiable filters, flaky failures
        name = type(exc).__name__
        if name in ("Unsatisfiable", "FailedHealthCheck"):
            raise CheckSkipped(f"could not generate examples from the schema ({name})") from None
        raise CheckFailed(f"{name}: {exc}") from None


def check_init_schema_configs(ctx: CheckContext) -> list[str]:
    schema = ctx.info.init_schema
    if schema is None:
        raise CheckSkipped("the plugin has no init schema")
    if ctx.avoids("init"):
        raise CheckSkipped("init crashed or hung earlier (see the init check)")

    @given(valid_configs(schema))
    def every_valid_config_inits(config: str) -> None:
        ctx.library.detail = f"config {config!r}"
        state, rc = ctx.library.init(config)
        assert state is not None, f"init refused the config {config}, which its schema accepts: NULL state (rc {rc})"
        if rc != ReturnCode.SUCCESS:
            error = ctx.library.get_last_error(state)
            ctx.release(state)
            raise AssertionError(f"init refused the config {config}, which its schema accepts: "
                                 f"{error or '(no last error)'}")
        ctx.release(state)

    _run_property(ctx, every_valid_config_inits)  # it runs at least one example, or skips as unsatisfiable
    return []


def _invalid_config_problem(ctx: CheckContext, config: str, accepted: list[str], null_states: list[str]) -> str | None:
    ctx.library.detail = f"config {config!r}"
    state, rc = ctx.library.init(config)
    if rc == ReturnCode.SUCCESS and state is not None:
        ctx.release(state)
        if ctx.info.init_schema is not None:
            # With a JSON schema the framework refuses what the schema refuses (non-JSON included)
            # before init, so the plugin may rely on it.
            accepted.append(config)
        return None
    if state is None:
        # The 0.3.0 header asks for NULL on failure; the framework then says only "Plugin handle or
        # get_last_error function not defined". Returning a state with the error is friendlier.
        null_states.append(config)
        return None
    error = ctx.library.get_last_error(state)
    ctx.release(state)
    if not error.strip():
        return f"init failed on {config!r} (rc {rc}) with an empty last error"
    return None


def check_init_invalid_configs(ctx: CheckContext) -> list[str]:
    if ctx.avoids("init"):
        raise CheckSkipped("init crashed or hung earlier (see the init check)")
    accepted: list[str] = []
    null_states: list[str] = []
    problems = [p for p in (_invalid_config_problem(ctx, text, accepted, null_states) for text in NOT_JSON) if p]
    if problems:
        raise failed(problems)
    if ctx.info.init_schema is not None:
        @given(invalid_configs(ctx.info.init_schema))
        def every_invalid_config_fails_cleanly(config: str) -> None:
            if config in NOT_JSON or is_valid_config(ctx.info.init_schema, config):
                return
            problem = _invalid_config_problem(ctx, config, accepted, null_states)
            assert problem is None, problem

        _run_property(ctx, every_invalid_config_fails_cleanly)
    notes = []
    if null_states:
        unique = list(dict.fromkeys(null_states))
        notes.append(f"init failed on {len(unique)} config(s) (e.g. {unique[0]!r}) returning a NULL state, as the "
                     f"0.3.0 header allows; users then see no reason (return a state with the last error to give one)")
    if accepted:
        unique = list(dict.fromkeys(accepted))
        notes.append(f"init accepted {len(unique)} config(s) its schema refuses (e.g. {unique[0]!r}): fine under a "
                     f"framework that validates first, as 0.3.0 does")
    return notes


def check_open(ctx: CheckContext) -> list[str]:
    if not ctx.info.is_source:
        raise CheckSkipped("extractor plugins have no event source to open")
    state = ctx.init_state()
    problems = []
    params = [ctx.options.open_params]
    if "plugin_list_open_params" in ctx.symbols:
        ctx.library.detail = ""
        try:
            text, rc = ctx.library.list_open_params(state)
        except PlugrefError as exc:
            text, rc = None, None
            problems.append(f"list_open_params: {exc.message}")
        if rc == ReturnCode.SUCCESS:
            try:
                entries = json.loads(text) if text else []
            except (ValueError, RecursionError):
                entries = None
            if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("value"), str)
                                                        for e in entries):
                problems.append(f"list_open_params did not return a JSON array of {{\"value\": ...}} objects: "
                                f"{(text or '')[:80]!r}")
            else:
                params += [e["value"] for e in entries]
        elif rc is not None:
            problems.append(f"list_open_params failed (rc {rc}): {ctx.library.get_last_error(state) or '(no last error)'}")
    for value in dict.fromkeys(params):
        instance, error = ctx.open_instance(state, value)
        if instance is None:
            problems.append(error)
        elif not ctx.avoids("teardown"):
            ctx.library.detail = f"params {value!r}"
            ctx.library.close(state, instance)
    ctx.release(state)
    if problems:
        raise failed(problems)
    return []


def _needs_source_events(ctx: CheckContext) -> Collection:
    if not ctx.info.is_source:
        raise CheckSkipped("extractor plugins produce no events")
    found = ctx.collection()
    if found.open_error:
        raise CheckSkipped(f"cannot open the plugin: {found.open_error}")
    return found


def check_next_batch(ctx: CheckContext) -> list[str]:
    found = _needs_source_events(ctx)
    if found.batch_problems:
        raise failed(found.batch_problems, found.batch_notes)
    return found.batch_notes + [f"read {len(found.events)} events"]


def check_event_to_string(ctx: CheckContext) -> list[str]:
    found = _needs_source_events(ctx)
    if not found.strings_checked:
        raise CheckSkipped("no events to print")
    if found.string_problems:
        raise failed(found.string_problems)
    return []


def check_progress(ctx: CheckContext) -> list[str]:
    if not ctx.info.is_source or "plugin_get_progress" not in ctx.symbols:
        raise CheckSkipped("the plugin does not export plugin_get_progress")
    found = _needs_source_events(ctx)
    if found.progress_problems:
        raise failed(found.progress_problems)
    if not found.progress_samples:
        raise CheckSkipped("no progress was read (no batch)")
    values = [pct for _, pct in found.progress_samples]
    if any(later < earlier for earlier, later in zip(values, values[1:])):
        return [f"progress went backwards: {values[:10]}"]
    return []


#: Payloads an extractor may be handed: it sees every event of its sources, so any bytes at all.
SAMPLE_PAYLOADS = (b"", b"{}", b'{"a": 1, "b": {"c": [1, 2]}}', b"[1, 2, 3]", b"key=value;n=1", b"\xff\xfe\x00\x01",
                   bytes(range(256)), b"x" * 4096)
#: Arguments worth trying on any field, then generated ones.
SAMPLE_ARGS = ("", "0", "1", "10", "a", "key", "/", "/a", "/user/name", "-1", "18446744073709551616", "[", "]")
ARGS = st.sampled_from(SAMPLE_ARGS) | st.text(st.characters(exclude_characters="\0"), max_size=16)


def _type_problem(f: FieldInfo, value: object) -> str | None:
    if value is None:
        return None
    if f.type == FieldType.UINT64:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
            return f"field {f.name} is uint64 but the value is {value!r}"
    elif not isinstance(value, str):
        return f"field {f.name} is string but the value is {value!r}"
    return None


def _extract_rc(ctx: CheckContext, state: Any, event: Event,
                wanted: list[tuple[FieldInfo, str]]) -> tuple[int, list[object]]:
    """One extract_fields call: its return code and the values (None: no value), type-checked."""
    requests = [ExtractRequest(f.field_id, f.name, arg, f.type) for f, arg in wanted]
    ctx.library.detail = (f"event {event.evtnum} ({describe_bytes(event.data, 24)}), "
                          + ", ".join(f"{f.name}[{arg!r}]" if arg else f.name for f, arg in wanted))
    try:
        rc = ctx.library.extract_fields(state, event, requests)
    except PlugrefError as exc:
        raise CheckFailed(f"{ctx.library.detail}: {exc.message}") from None
    if rc != ReturnCode.SUCCESS:
        return rc, [None] * len(requests)  # no value (EXTRACT-FAILURE-NO-VALUE)
    values = [request.value for request in requests]
    for (f, _), value in zip(wanted, values):
        problem = _type_problem(f, value)
        if problem:
            raise CheckFailed(f"{ctx.library.detail}: {problem}")
    return rc, values


def _extract(ctx: CheckContext, state: Any, event: Event, wanted: list[tuple[FieldInfo, str]]) -> list[object]:
    return _extract_rc(ctx, state, event, wanted)[1]


def _extraction_events(ctx: CheckContext) -> list[Event]:
    """The events to extract from: those read (source plugins) or sample payloads (extractors)."""
    now = time.time_ns()
    if ctx.info.is_source:
        raw_events = _needs_source_events(ctx).events[:ctx.options.max_events]
        if not raw_events:
            raise CheckSkipped("the plugin produced no events to extract from")
    else:
        raw_events = [Event(payload, now) for payload in SAMPLE_PAYLOADS]
    return [Event(e.data, now if e.ts == TS_NOW else e.ts, number) for number, e in enumerate(raw_events, 1)]


def check_extract(ctx: CheckContext) -> list[str]:
    """Every field, one per call as libsinsp asks them, with no argument and with generated ones."""
    info = ctx.info
    if not info.fields:
        raise CheckSkipped("the plugin declares no fields")
    events = _extraction_events(ctx)
    state = ctx.init_state()
    fields = list(info.fields)
    present = 0
    for event in events:
        present += sum(_extract(ctx, state, event, [(f, "")])[0] is not None for f in fields)

    @given(st.sampled_from(events), st.sampled_from(fields), ARGS)
    def any_argument_is_safe(event: Event, f: FieldInfo, arg: str) -> None:
        _extract(ctx, state, event, [(f, arg)])

    _run_property(ctx, any_argument_is_safe)
    if not info.is_source:
        now = time.time_ns()

        @given(st.binary(max_size=512) | st.text(max_size=64).map(str.encode), st.sampled_from(fields), ARGS)
        def any_payload_is_safe(data: bytes, f: FieldInfo, arg: str) -> None:
            _extract(ctx, state, Event(data, now, 1), [(f, arg)])

        _run_property(ctx, any_payload_is_safe)
    ctx.release(state)
    return [f"{len(fields)} fields on {len(events)} events, {present} values present without argument"]


#: Arguments tried together on one field (JSON pointers, keys, indexes), so that two requests of
#: the same field in one call are likely to have different values.
PROBE_ARGS = ("", "/a", "/b", "/b/c/0", "/user/name", "a", "b", "key", "0", "1", "2", "3")
#: Events the batched-extraction check looks at (each costs one call per request, and one batch).
BATCH_CHECK_EVENTS = 50


def check_batched_extraction(ctx: CheckContext) -> list[str]:
    """The fields of each event asked one per call and then all in one call, as a batching host
    would: the API allows it, libsinsp 0.3.0 does not do it, and plugins built with some SDKs
    break under it (one result buffer per field ID; the whole call failing at the first field)."""
    info = ctx.info
    if not info.fields:
        raise CheckSkipped("the plugin declares no fields")
    if ctx.avoids("extract"):
        raise CheckSkipped("extract_fields crashed or hung earlier (see the extract check)")
    events = _extraction_events(ctx)[:BATCH_CHECK_EVENTS]
    state = ctx.init_state()
    wanted = [(f, arg) for f in info.fields for arg in (PROBE_ARGS if f.arg_required else ("",))]
    try:
        return compare_alone_and_together(ctx, events, wanted,
                                          lambda event, asked: _extract_rc(ctx, state, event, asked))
    except CheckFailed as exc:
        raise CheckSkipped(f"extraction breaks the contract on its own (see the extract check): {exc.reason}") from None
    finally:
        ctx.release(state)


#: One extract_fields call of a check: (event, [(field, arg), ...]) -> (rc, the values, None: no value).
ExtractCall = Callable[[Event, list[tuple[FieldInfo, Any]]], tuple[int, list[object]]]


def compare_alone_and_together(ctx: CheckContext, events: list[Event], wanted: list[tuple[FieldInfo, Any]],
                               extract_rc: ExtractCall) -> list[str]:
    """CHECK-BATCHED-EXTRACTION for either contract: each (field, arg) of `wanted` asked alone, then
    two arguments of one field together, then all in one call; differences are a WARN.
    `extract_rc` makes one call of the plugin's contract and raises CheckFailed when the plugin
    breaks it."""
    info = ctx.info
    aliased: dict[str, str] = {}
    voided: dict[str, str] = {}
    differing: dict[str, str] = {}
    for event in events:
        alone = [extract_rc(event, [w])[1][0] for w in wanted]
        # One field under two arguments whose values differ, the two in one call.
        for f in info.fields:
            present = {}
            for (g, arg), value in zip(wanted, alone):
                if g is f and value is not None and value not in present.values():
                    present[arg] = value
            if len(present) < 2 or f.name in aliased:
                continue
            (first, a), (second, b) = list(present.items())[:2]
            rc, (x, y) = extract_rc(event, [(f, first), (f, second)])
            if rc == ReturnCode.SUCCESS and (x, y) != (a, b):
                aliased[f.name] = (f"event {event.evtnum}: {f.name}[{first}] and {f.name}[{second}] are {a!r} and "
                                   f"{b!r} alone, but {x!r} and {y!r} in one call")
        # Every field together.
        rc, together = extract_rc(event, wanted)
        if rc != ReturnCode.SUCCESS:
            if any(v is not None for v in alone):
                failing = sorted({f.name for (f, _), v in zip(wanted, alone) if v is None})
                good = sorted({f.name for (f, _), v in zip(wanted, alone) if v is not None})
                key = ", ".join(failing) or "(none)"
                voided.setdefault(key, f"event {event.evtnum}: the call failed as a whole (rc {rc}) though, asked "
                                       f"alone, {', '.join(good)} have values; failing alone: {key}")
            continue
        for (f, arg), a, t in zip(wanted, alone, together):
            label = f"{f.name}[{arg}]" if arg else f.name
            if a != t and f.name not in aliased:
                differing.setdefault(label, f"event {event.evtnum}: {label} is {a!r} alone but {t!r} in one "
                                            f"call with the other fields")
    findings = []
    if aliased:
        findings.append(f"{', '.join(aliased)}: two arguments of one field in one call read the same value (one "
                        f"result buffer per field?)")
    if voided:
        findings.append(f"the whole call fails when one of {'; '.join(sorted(voided))[:200]} fails")
    if differing:
        findings.append(f"{', '.join(list(differing)[:8])} read differently in one call")
    if findings:
        notes = list(aliased.values()) + list(voided.values()) + list(differing.values())
        raise CheckWarning("unsafe under a host that asks several fields per extract_fields call (the API allows "
                           "it; libsinsp asks one at a time): " + "; ".join(findings), notes[:LISTED_PROBLEMS])
    return [f"{len(wanted)} requests on {len(events)} events read the same alone and in one call"]


def check_teardown(ctx: CheckContext) -> list[str]:
    """close and destroy from every state the framework can leave a plugin in."""
    library, notes = ctx.library, []
    first, second = ctx.init_state(), ctx.init_state()  # skipped when init crashed earlier
    library.detail = "two states: the first one"
    library.destroy(first)
    library.detail = "two states: the second one"
    library.destroy(second)
    state = ctx.init_state()
    library.detail = "after init"  # after init_state, which details its own init call
    library.destroy(state)

    library.detail = "config 'not json' (init may fail)"
    state, rc = library.init("{")
    if state is not None:
        library.detail = f"after init returned rc {rc}"
        library.destroy(state)

    if ctx.info.is_source and not ctx.avoids("open"):
        state = ctx.init_state()
        instance, _ = ctx.open_instance(state, ctx.options.open_params)
        if instance is not None:
            library.detail = "open, no event read"
            library.close(state, instance)
            instance, _ = ctx.open_instance(state, ctx.options.open_params)
            if instance is not None:
                library.detail = "reopened"
                library.close(state, instance)
        library.detail = "after close"
        library.destroy(state)

        state = ctx.init_state()
        instance, error = ctx.open_instance(state, UNLIKELY_OPEN_PARAMS)
        if instance is not None:
            library.detail = "open with odd params succeeded"
            library.close(state, instance)
        library.detail = "after a failed open" if instance is None else "after close"
        library.destroy(state)

        if not ctx.avoids("next-batch"):
            state = ctx.init_state()
            instance, _ = ctx.open_instance(state, ctx.options.open_params)
            if instance is not None:
                reached = "1000 batches without EOF"
                for number in range(1, 1001):
                    library.detail = f"batch {number}"
                    try:
                        rc, _, _ = library.next_batch(state, instance)
                    except PlugrefError:
                        reached = "a failed next_batch"
                        break
                    if rc == ReturnCode.EOF:
                        reached = "EOF"
                        break
                    if rc == ReturnCode.FAILURE:
                        reached = "a failed next_batch"
                        break
                library.detail = f"after {reached}"
                library.close(state, instance)
                library.destroy(state)
                notes.append(f"closed after {reached}")
    elif not ctx.info.is_source and not ctx.avoids("extract") and ctx.info.fields:
        state = ctx.init_state()
        f = ctx.info.fields[0]
        _extract(ctx, state, Event(b"{}", time.time_ns(), 1), [(f, "")])
        library.detail = "after extract_fields"
        library.destroy(state)
    return notes


CHECKS: dict[str, Callable[[CheckContext], list[str]]] = {
    "load": check_load,
    "identity": check_identity,
    "registry": check_registry,
    "init": check_init,
    "init-schema-configs": check_init_schema_configs,
    "init-invalid-configs": check_init_invalid_configs,
    "open": check_open,
    "next-batch": check_next_batch,
    "extract": check_extract,
    "batched-extraction": check_batched_extraction,
    "event-to-string": check_event_to_string,
    "progress": check_progress,
    "teardown": check_teardown,
}
assert tuple(CHECKS) == CHECK_NAMES


def describe_identity(library: PluginLibrary, info: PluginInfo) -> dict:
    return {
        "location": library.location,
        "kind": "native" if isinstance(library, NativeLibrary) else "python",
        "name": info.name,
        "version": info.version,
        "required_api_version": info.required_api_version,
        "type": "source" if info.is_source else "extractor",
        "id": info.id,
        "event_source": info.event_source,
        "extract_event_sources": list(info.extract_event_sources),
        "fields": [f.name for f in info.fields],
        "has_init_schema": info.init_schema is not None,
    }

