"""The child side of `plugref check`: load the plugin, run the checks asked for, stream JSON lines.

Protocol (one JSON object per line on the protocol pipe, which is the child's original stdout;
fd 1 is pointed at stderr first, so that whatever the plugin prints cannot corrupt it):

    {"kind": "fatal", "message": ...}                  the target is no plugin at all; nothing else follows
    {"kind": "identity", "identity": {...}}            after read_info succeeded
    {"kind": "start", "check": name}                   before each check
    {"kind": "call", "call": "plugin_x", "detail": ..} before each plugin call
    {"kind": "result", "check": name, "status": "PASS|FAIL|SKIP", "reason": ..., "notes": [...]}
    {"kind": "done"}

A line that never comes is the information: the parent blames the last call announced.
"""
from __future__ import annotations

import json
import os
import sys
import traceback

from reference.errors import LoadError, PlugrefError
from reference.host.libraries import open_library
from reference.host.loader import read_info
from reference.tools.plugin_check.checks import CHECKS, CheckContext, CheckFailed, CheckOptions, CheckSkipped, RecordingLibrary, describe_identity


class Channel:
    def __init__(self, fd: int):
        self.fd = fd

    def send(self, message: dict) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            written = os.write(self.fd, data)
            data = data[written:]

    def announce(self, call: str, detail: str) -> None:
        self.send({"kind": "call", "call": call, "detail": detail})


def run_checks(options: CheckOptions, names: list[str], channel: Channel) -> None:
    try:
        library = open_library(options.target)
    except PlugrefError as exc:
        channel.send({"kind": "fatal", "message": exc.message})
        return
    channel.send({"kind": "start", "check": "load"})
    channel.announce("plugin_get_info", "reading the plugin's info (read_info)")
    try:
        info = read_info(library)
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
    if getattr(info, "contract", "0") == "3":  # the event and extraction checks of the 3.x host (CHECK-V3)
        from reference.tools.plugin_check.checks_v3 import CHECKS_V3 as checks
    for name in names:
        channel.send({"kind": "start", "check": name})
        status, reason, notes = "PASS", "", []
        try:
            notes = checks[name](context) or []
        except CheckFailed as exc:
            status, reason, notes = "FAIL", exc.reason, exc.warnings
        except CheckSkipped as exc:
            status, reason = "SKIP", exc.reason
        except PlugrefError as exc:
            status, reason = "FAIL", exc.message
        except Exception as exc:  # a bug of plugref's, not of the plugin: say so rather than blame it
            where = traceback.extract_tb(exc.__traceback__)[-1]
            status, reason = "FAIL", (f"plugref check error (please report): {type(exc).__name__}: {exc} "
                                      f"at {os.path.basename(where.filename)}:{where.lineno}")
        channel.send({"kind": "result", "check": name, "status": status, "reason": reason, "notes": notes})
    channel.send({"kind": "done"})


def main(job_text: str) -> int:
    protocol_fd = os.dup(1)
    os.dup2(2, 1)  # the plugin's and Hypothesis' prints go to stderr, never into the protocol
    job = json.loads(job_text)
    options = CheckOptions(**{**job["options"], "avoid": frozenset(job["options"].get("avoid", ()))})
    run_checks(options, job["checks"], Channel(protocol_fd))
    sys.stdout.flush()
    return 0
