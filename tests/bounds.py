"""Running a test's work in a child process with a memory and time bound (RELIABILITY-BAD-INPUT).

A test of a bound (YAML aliases, macro expansion, ...) must fail, not take the machine down, when the
bound is gone: with the bound switched off, a 500-byte bomb asks for gigabytes. Measuring the peak
after the fact cannot stop that, so the work runs in a forked child whose address space is capped;
past the cap it gets MemoryError (or is killed), and the parent reports that as a failed test.
"""
from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import traceback
from typing import Any, Callable

#: Address space the child may add to what the test process already has mapped.
MEGABYTES = 768
#: Wall-clock seconds the child may run (the machine may be shared).
SECONDS = 120.0


class BoundExceeded(AssertionError):
    """The work went past its memory or time bound, or died."""


def _mapped_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmSize in /proc/self/status")


def _run_child(write_end: int, work: Callable[[], Any], megabytes: int) -> None:
    try:
        limit = _mapped_bytes() + megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            outcome = ("value", work())
        except MemoryError:
            outcome = ("bound", f"MemoryError past {megabytes} MB of address space")
        except BaseException as exc:  # handed to the parent, raised there as it was
            try:  # exceptions whose __init__ takes other arguments do not survive the round trip
                pickle.loads(pickle.dumps(exc))
                outcome = ("raised", exc)
            except Exception:
                outcome = ("failed", "".join(traceback.format_exception(exc)))
        data = pickle.dumps(outcome)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)


def bounded(work: Callable[[], Any], *, megabytes: int = MEGABYTES, seconds: float = SECONDS) -> Any:
    """`work()` run in a forked child: its value, or its exception raised here; BoundExceeded if it
    went past `megabytes` of new address space or `seconds`, or died."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _run_child(write_end, work, megabytes)
    os.close(write_end)
    chunks = []
    try:
        with os.fdopen(read_end, "rb") as pipe:
            while True:
                ready, _, _ = select.select([pipe], [], [], seconds)
                if not ready:
                    os.kill(pid, signal.SIGKILL)
                    raise BoundExceeded(f"the work ran longer than {seconds:.0f} s")
                chunk = pipe.read1(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        _, status = os.waitpid(pid, 0)
    if not chunks:
        raise BoundExceeded(f"the child died ({_describe(status)}) before giving an answer")
    kind, payload = pickle.loads(b"".join(chunks))
    if kind == "value":
        return payload
    if kind == "raised":
        raise payload
    if kind == "failed":
        raise AssertionError(f"the work raised an exception that cannot be handed back:\n{payload}")
    raise BoundExceeded(payload)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    return f"exit {os.waitstatus_to_exitcode(status)}"
