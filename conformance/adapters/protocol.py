"""An implementation in any language, behind the JSON-lines protocol (docs/adapter-protocol.md).

The adapter starts the command, says hello, sends one `run` per case and reads one response per
line. A response that does not come within the timeout, or a command that dies, gives an
`errored` result for that case and the command is started again for the next one.
"""
from __future__ import annotations

import json
import queue
import shlex
import subprocess
import threading

from reference.errors import PlugrefError

PROTOCOL_VERSION = 1
TIMEOUT = 60
#: An interpreter starting on a loaded machine can take a while: the hello gets more time than a case.
STARTUP_TIMEOUT = 60


class ProtocolAdapter:
    def __init__(self, command: str, timeout: float = TIMEOUT):
        self.command = shlex.split(command)
        self.name = command
        self.timeout = timeout
        self.process = None
        self.lines: queue.Queue = queue.Queue()
        self.hello: dict | None = None
        self.seq = 0

    def _start(self) -> None:
        self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, args=(self.process, self.lines), daemon=True).start()
        self.hello = self._ask({"cmd": "hello", "protocol_version": PROTOCOL_VERSION},
                               max(self.timeout, STARTUP_TIMEOUT))

    @staticmethod
    def _pump(process, lines) -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    def _ask(self, request: dict, timeout: float | None = None) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.lines.get(timeout=timeout or self.timeout)
        if line is None:
            raise ConnectionError(f"the adapter command ended (exit status {self.process.wait()})")
        return json.loads(line)

    def describe(self) -> dict:
        if self.process is None:
            try:
                self._start()
            except (queue.Empty, ConnectionError, BrokenPipeError, OSError, ValueError) as exc:
                self._kill()
                raise PlugrefError(f"cannot start the adapter {' '.join(self.command)!r}: "
                                   f"{getattr(exc, 'strerror', None) or exc or 'no hello within the timeout'}") from None
        return self.hello

    def run(self, case: dict) -> dict:
        if self.process is None or self.process.poll() is not None:
            try:
                self._start()
            except (queue.Empty, ConnectionError, BrokenPipeError, OSError, ValueError) as exc:
                self._kill()
                return {"errored": {"message": f"the adapter did not start: {type(exc).__name__}: {exc}"}}
        self.seq += 1
        request = {"cmd": "run", "seq": self.seq, "case": {k: v for k, v in case.items() if not k.startswith("_")}}
        try:
            response = self._ask(request)
        except queue.Empty:
            self._kill()
            return {"errored": {"message": f"no response within {self.timeout} s"}}
        except (ConnectionError, BrokenPipeError, ValueError) as exc:
            self._kill()
            return {"errored": {"message": f"adapter failed: {exc}"}}
        if response.get("seq") != self.seq:
            return {"errored": {"message": f"response for seq {response.get('seq')}, expected {self.seq}"}}
        return {k: v for k, v in response.items() if k != "seq"}

    def _kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.process.stdin.write(json.dumps({"cmd": "stop"}) + "\n")
                self.process.stdin.flush()
                self.process.wait(timeout=5)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self._kill()
