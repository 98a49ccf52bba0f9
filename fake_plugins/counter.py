"""A counter source plugin (like the registry's `dummy`): JSON events, a field with an argument.

Each event `k` (from the open params' start value, default 1) carries the JSON payload
`{"n": k, "proc": ..., "user": {"name": ...}}` and the timestamp BASE_TS + k ms, so runs are
reproducible. Init config (JSON): `max_events` (default 20) and `batch_size` (default 8).
"""
from __future__ import annotations

import json

from reference.contract.v0_3 import Event
from reference.sdk import GeneratorInstance, SourcePlugin, field

#: First ID of the registry's private block: free for plugins that are not registered.
PRIVATE_ID_BLOCK = 2**30
BASE_TS = 1_650_000_000_000_000_000
PROCS = ("nginx", "sshd", "bash", "cron", "python3")
USERS = ("alice", "bob", "root")


def payload(n: int) -> bytes:
    document = {"n": n, "proc": PROCS[n % len(PROCS)], "user": {"name": USERS[n % len(USERS)]}}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


class Counter(SourcePlugin):
    id = PRIVATE_ID_BLOCK + 1
    name = "counter"
    description = "Counts from a start value; each event is a small JSON document"
    contact = "https://example.invalid/plugref"
    version = "0.1.0"
    event_source = "counter"
    init_schema = {
        "type": "object",
        "properties": {
            "max_events": {"type": "integer", "minimum": 0},
            "batch_size": {"type": "integer", "minimum": 1},
        },
        "additionalProperties": False,
    }
    reports_progress = True

    def init(self, config: str) -> None:
        settings = json.loads(config or "{}")
        self.max_events = settings.get("max_events", 20)
        self.batch_size = settings.get("batch_size", 8)

    def open(self, params: str) -> GeneratorInstance:
        params = params.strip()
        if params and not (params.isascii() and params.isdigit()):
            raise ValueError(f"open params must be a decimal start value, not {params!r}")
        start = int(params or 1)
        instance = GeneratorInstance(
            (Event(payload(n), BASE_TS + n * 1_000_000) for n in range(start, start + self.max_events)),
            self.batch_size,
        )
        return instance

    def list_open_params(self) -> list[dict]:
        return [{"value": "1", "desc": "count from 1"}, {"value": "1000", "desc": "count from 1000"}]

    def event_to_string(self, data: bytes) -> str:
        return data.decode()

    @staticmethod
    def _document(event: Event) -> dict:
        return json.loads(event.data)

    @field("counter.n", "uint64", "The counter value of the event", display="Counter")
    def n(self, event: Event, arg: str) -> int:
        return self._document(event)["n"]

    @field("counter.divisible", "uint64", "1 if the counter value is divisible by the argument, else 0",
           arg_required=True)
    def divisible(self, event: Event, arg: str) -> int | None:
        if not (arg.isascii() and arg.isdigit()) or int(arg) == 0:
            return None  # no (or no usable) divisor: no value
        return int(self._document(event)["n"] % int(arg) == 0)

    @field("counter.proc", "string", "A process name the event names")
    def proc(self, event: Event, arg: str) -> str:
        return self._document(event)["proc"]

    @field("counter.user", "string", "A user name the event names")
    def user(self, event: Event, arg: str) -> str:
        return self._document(event)["user"]["name"]


PLUGIN = Counter
