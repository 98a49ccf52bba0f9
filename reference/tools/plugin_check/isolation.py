"""The parent side of `plugref check`: run the checks in child processes and survive the plugin.

A child runs the pending checks in order and streams its progress (child.py). When it dies (a
signal, an exit) or goes quiet for longer than the per-call timeout, the parent kills it and
blames the last call it announced: the check that owns that call (CALL_OWNERS) fails, naming the
call and its detail. The family is then avoided by the next child, which runs the checks still
pending, so a crash in close fails `teardown` and the other checks still run (leaking their states).
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field

from reference.errors import PlugrefError
from reference.tools.plugin_check.checks import CALL_OWNERS, CHECK_NAMES, CheckOptions

#: Importing hypothesis and jsonschema takes a while: the first line may come late.
STARTUP_GRACE_SECONDS = 60.0
#: Lines of the child's stderr quoted in a crash report.
STDERR_TAIL_LINES = 2


@dataclass
class CheckOutcome:
    name: str
    status: str
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    #: The plugin call the child was in when it died or hung, for failures found by isolation.
    last_call: str | None = None


@dataclass
class CheckRun:
    identity: dict | None
    outcomes: dict[str, CheckOutcome]


@dataclass
class _ChildEnd:
    finished: bool
    current: str | None
    #: The last "call" message: call, detail, nth, total, replay.
    last_call: dict | None
    how: str
    stderr_tail: str


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"crashed ({signal.Signals(-returncode).name})"
        except ValueError:
            return f"crashed (signal {-returncode})"
    return f"exited with status {returncode}"


def _stderr_tail(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 4096))
            lines = [line.strip() for line in handle.read().decode("utf-8", "replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-STDERR_TAIL_LINES:])[:300]


def _run_child(options: CheckOptions, names: list[str], timeout: float, on_message) -> _ChildEnd:
    job = json.dumps({"options": {**asdict(options), "avoid": sorted(options.avoid)}, "checks": names})
    with tempfile.NamedTemporaryFile(prefix="plugref-check-", suffix=".stderr", delete=False) as stderr_file:
        stderr_path = stderr_file.name
    try:
        with open(stderr_path, "wb") as stderr:
            process = subprocess.Popen([sys.executable, "-m", "reference.tools.plugin_check", "--child", job],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
        current, last_call, finished, timed_out = None, None, False, False
        pending = b""
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + max(timeout, STARTUP_GRACE_SECONDS)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    process.kill()
                    break
                if not selector.select(remaining):
                    continue
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                in_call = False
                for line in lines:
                    message = json.loads(line)
                    kind = message["kind"]
                    in_call = kind == "call"
                    if kind == "start":
                        current, last_call = message["check"], None
                    elif kind == "call":
                        last_call = message
                    elif kind == "result":
                        current, last_call = None, None
                    elif kind == "done":
                        finished = True
                    if kind != "returned":
                        on_message(message)
                # --timeout bounds a plugin call; between calls plugref itself works (Hypothesis
                # drawing inputs, a loaded machine), which only the grace period bounds.
                deadline = time.monotonic() + (timeout if in_call else max(timeout, STARTUP_GRACE_SECONDS))
        process.stdout.close()
        returncode = process.wait()
        how = f"timed out (no answer within {timeout:g} s)" if timed_out else _describe_exit(returncode)
        return _ChildEnd(finished, current, last_call, how, _stderr_tail(stderr_path))
    finally:
        os.unlink(stderr_path)


def _ordinal(n: int) -> str:
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _replay(options: CheckOptions, call: str, replay: dict, timeout: float) -> str:
    """Make `call` again alone in a fresh process (after load, init and open only); what happened."""
    job = json.dumps({"options": {**asdict(options), "avoid": sorted(options.avoid)}, "call": call,
                      "replay": replay})
    command = [sys.executable, "-m", "reference.tools.plugin_check", "--replay", job]
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=max(timeout, STARTUP_GRACE_SECONDS))
    except subprocess.TimeoutExpired:
        return f"made again alone in a fresh process, {call} hung too"
    answered = any(json.loads(line).get("kind") == "replayed" for line in result.stdout.splitlines() if line.strip())
    if answered and result.returncode == 0:
        return (f"made again alone in a fresh process, {call} returned normally: the failure depends on the calls "
                f"made before it in the same process")
    return f"made again alone in a fresh process, {call} {_describe_exit(result.returncode)} too"


def _owner(call: str | None, current: str) -> str:
    """The check a crash in `call` fails: its owner, except that init checks own their own inits
    and both extraction checks their own extract_fields calls."""
    owner = CALL_OWNERS.get(call, current)
    if owner == "init" and current.startswith("init"):
        return current
    if owner == "extract" and current == "batched-extraction":
        return current
    return owner


def run_isolated(options: CheckOptions, selected: list[str], timeout: float) -> CheckRun:
    """Run `selected` checks (in CHECK_NAMES order, `load` always first) in as many children as it takes."""
    outcomes: dict[str, CheckOutcome] = {}
    identity: dict | None = None
    interrupted: set[str] = set()
    avoid: set[str] = set(options.avoid)
    wanted = [name for name in CHECK_NAMES if name in selected or name == "load"]
    # teardown runs last: by then the other checks have shown whether close and destroy crash.
    order = [name for name in wanted if name != "teardown"] + [name for name in wanted if name == "teardown"]

    fatal: list[str] = []

    def on_message(message: dict) -> None:
        nonlocal identity
        if message["kind"] == "fatal":
            fatal.append(message["message"])
        elif message["kind"] == "identity":
            identity = message["identity"]
        elif message["kind"] == "result":
            outcomes[message["check"]] = CheckOutcome(message["check"], message["status"], message["reason"],
                                                      message.get("notes") or [])

    while True:
        pending = [name for name in order if name not in outcomes]
        if not pending:
            break
        child_options = CheckOptions(**{**asdict(options), "avoid": frozenset(avoid)})
        end = _run_child(child_options, pending, timeout, on_message)
        if fatal:
            raise PlugrefError(fatal[0])
        if end.finished:
            for name in pending:
                outcomes.setdefault(name, CheckOutcome(name, "SKIP", "not run (the child stopped early)"))
            break
        # Died before a check started: the first one not reported is blamed; none left, nothing is.
        current = end.current or next((n for n in pending if n not in outcomes), None)
        if current is None:
            break
        last = end.last_call or {}
        call, detail = last.get("call"), last.get("detail") or ""
        where = f" in {call}" + (f" ({detail})" if detail else "") if call else ""
        if call and last.get("nth"):
            where += f", the {_ordinal(last['nth'])} {call} call of the process ({_ordinal(last['total'])} plugin call)"
        reason = f"the plugin {end.how}{where}" + (f"; stderr: {end.stderr_tail}" if end.stderr_tail else "")
        if call and last.get("replay") is not None:
            reason += "; " + _replay(child_options, call, last["replay"], timeout)
        owner = _owner(call, current)
        if current == "load":  # no call is load's own: owner is load only when current is
            outcomes["load"] = CheckOutcome("load", "FAIL", reason, last_call=call)
            for name in order:
                outcomes.setdefault(name, CheckOutcome(name, "SKIP", "the plugin does not load"))
            break
        avoid.add(owner)
        if owner != current and owner in order and owner not in outcomes:
            outcomes[owner] = CheckOutcome(owner, "FAIL", f"{reason}, while running the {current} check",
                                           last_call=call)
            if current in interrupted:
                outcomes[current] = CheckOutcome(current, "SKIP", f"interrupted twice by defects of other checks "
                                                                  f"(last: {owner})")
            interrupted.add(current)  # run again, avoiding the calls that crashed
        else:
            outcomes[current] = CheckOutcome(current, "FAIL", reason, last_call=call)
    return CheckRun(identity, {name: outcomes[name] for name in CHECK_NAMES if name in outcomes and
                               (name in selected or outcomes[name].status == "FAIL")})
