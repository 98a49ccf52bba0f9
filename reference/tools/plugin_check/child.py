"""The child side of `plugref check`: load the plugin, run the checks asked for, stream JSON lines.

Protocol (one JSON object per line on the protocol pipe, which is the child's original stdout;
fd 1 is pointed at stderr first, so that whatever the plugin prints cannot corrupt it):

    {"kind": "fatal", "message": ...}                  the target is no plugin at all; nothing else follows
    {"kind": "identity", "identity": {...}}            after read_info succeeded
    {"kind": "start", "check": name}                   before each check
    {"kind": "call", "call": "plugin_x", "detail": .., "nth": n, "total": m, "replay": {...} | null}
                                                       before each plugin call: its position (the
                                                       n-th call of plugin_x, the m-th in all) and
                                                       what replaying it alone takes
    {"kind": "returned"}                               after each plugin call (the per-call timeout
                                                       applies only between the two)
    {"kind": "result", "check": name, "status": "PASS|FAIL|SKIP", "reason": ..., "notes": [...]}
    {"kind": "done"}

A line that never comes is the information: the parent blames the last call announced.
"""
from __future__ import annotations

import base64
import json
import os
import sys
import traceback
from collections.abc import Callable

from reference.errors import LoadError, PlugrefError
from reference.host.libraries import open_library
from reference.contract.v0_3 import Event, ExtractRequest, FieldType
from reference.host.loader import read_info, speaks_v3, validate_init_config
from reference.tools.plugin_check.checks import (CHECKS, CheckContext, CheckFailed, CheckOptions, CheckSkipped,
                                                 CheckWarning, RecordingLibrary, describe_identity)


class Channel:
    def __init__(self, fd: int):
        self.fd = fd

    def send(self, message: dict) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            written = os.write(self.fd, data)
            data = data[written:]

    def announce(self, call: str | None, detail: str, *, nth: int | None = None, total: int | None = None,
                 replay: dict | None = None) -> None:
        """A plugin call about to be made, or (call None) the last one returned."""
        if call is None:
            self.send({"kind": "returned"})
            return
        self.send({"kind": "call", "call": call, "detail": detail, "nth": nth, "total": total, "replay": replay})


def run_checks(options: CheckOptions, names: list[str], channel: Channel) -> None:
    try:
        library = open_library(options.target)
    except PlugrefError as exc:
        channel.send({"kind": "fatal", "message": exc.message})
        return
    channel.send({"kind": "start", "check": "load"})
    channel.announce("plugin_get_info", "reading the plugin's info (read_info)")
    try:
        try:
            info = read_info(library)
        finally:
            channel.announce(None, "")  # CHECK-ISOLATION: every call announced says when it returns
    except LoadError as exc:
        reason = f"{exc.reason} [{exc.clause}]"
        for name in names:
            channel.send({"kind": "start", "check": name})
            if name == "load":
                channel.send({"kind": "result", "check": name, "status": "FAIL", "reason": reason, "notes": []})
            else:
                channel.send({"kind": "result", "check": name, "status": "SKIP",
                              "reason": "the plugin does not load", "notes": []})
        channel.send({"kind": "done"})
        return
    channel.send({"kind": "identity", "identity": describe_identity(library, info)})
    context = CheckContext(options, RecordingLibrary(library, channel.announce), info)
    checks = CHECKS
    if speaks_v3(info):  # the event and extraction checks of the 3.x host (CHECK-V3)
        from reference.tools.plugin_check.checks_v3 import CHECKS_V3 as checks
    for name in names:
        channel.send({"kind": "start", "check": name})
        status, reason, notes = check_outcome(checks[name], context)
        channel.send({"kind": "result", "check": name, "status": status, "reason": reason, "notes": notes})
    channel.send({"kind": "done"})


def check_outcome(check: Callable[[CheckContext], list[str] | None], context: CheckContext) -> tuple[str, str, list[str]]:
    """(status, reason, notes) of one check run: PASS, FAIL, WARN or SKIP (CHECK-REPORT)."""
    try:
        return "PASS", "", check(context) or []
    except CheckFailed as exc:
        return "FAIL", exc.reason, exc.warnings
    except CheckWarning as exc:
        return "WARN", exc.reason, exc.notes
    except CheckSkipped as exc:
        return "SKIP", exc.reason, []
    except PlugrefError as exc:
        return "FAIL", exc.message, []
    except Exception as exc:  # a bug of plugref's, not of the plugin: say so rather than blame it
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return "FAIL", (f"plugref check error (please report): {type(exc).__name__}: {exc} "
                        f"at {os.path.basename(where.filename)}:{where.lineno}"), []


def _protocol_channel() -> Channel:
    """The protocol on the original stdout; fd 1 pointed at stderr, so that the plugin's and Hypothesis'
    prints never get into it."""
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    return Channel(protocol_fd)


def _job_options(job: dict) -> CheckOptions:
    return CheckOptions(**{**job["options"], "avoid": frozenset(job["options"].get("avoid", ()))})


def main(job_text: str) -> int:
    channel = _protocol_channel()
    job = json.loads(job_text)
    run_checks(_job_options(job), job["checks"], channel)
    sys.stdout.flush()
    return 0


def replay_call(options: CheckOptions, call: str, replay: dict, channel: Channel) -> None:
    """Make `call` again with its recorded arguments, in this fresh process, after only the calls
    it needs (load, init with --init, open): a crash that comes back is the call's own."""
    library = open_library(options.target)
    info = read_info(library)
    if call == "plugin_init":
        state, rc = library.init(replay["config"])
        channel.send({"kind": "replayed", "rc": rc})
        return
    state, rc = library.init(validate_init_config(info, options.init_config, library.location))
    if call == "plugin_open":
        _, rc = library.open(state, replay["params"])
    elif call == "plugin_event_to_string":
        library.event_to_string(state, base64.b64decode(replay["data"]))
    elif call == "plugin_extract_fields":
        event = Event(base64.b64decode(replay["data"]), replay["ts"], replay["evtnum"])
        requests = [ExtractRequest(i, name, arg, FieldType(ftype)) for i, name, arg, ftype in replay["requests"]]
        rc = library.extract_fields(state, event, requests)
    channel.send({"kind": "replayed", "rc": rc})


def replay_main(job_text: str) -> int:
    channel = _protocol_channel()
    job = json.loads(job_text)
    try:
        replay_call(_job_options(job), job["call"], job["replay"], channel)
    except PlugrefError as exc:  # refused, not crashed: the call returned
        channel.send({"kind": "replayed", "error": exc.message})
    sys.stdout.flush()
    return 0
