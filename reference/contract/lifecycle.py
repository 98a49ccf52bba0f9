"""The plugin lifecycle: one state machine for every plugin the framework drives (clause PLUGIN-LIFECYCLE).

    LOADED --init ok--> INITIALISED --open ok--> OPEN --close--> CLOSED --open ok--> OPEN ...
    LOADED --init fails--> INIT_FAILED
    INITIALISED | INIT_FAILED | CLOSED --destroy--> DESTROYED

The table below is the single source of truth: the framework consults it before every call, the
documentation prints it, and the stateful conformance test draws its legal moves from it.
Info calls (get_name, get_fields, ...) take no plugin state and are allowed in every state.
"""
from __future__ import annotations

import enum

from reference.errors import LifecycleError


class State(enum.Enum):
    LOADED = "loaded"
    INITIALISED = "initialised"
    INIT_FAILED = "init-failed"
    OPEN = "open"
    CLOSED = "closed"
    DESTROYED = "destroyed"


_WITH_STATE = (State.INITIALISED, State.OPEN, State.CLOSED)

#: call -> states in which the framework may make it.
ALLOWED = {
    "init": (State.LOADED,),
    "get_last_error": (State.INITIALISED, State.INIT_FAILED, State.OPEN, State.CLOSED),
    "open": (State.INITIALISED, State.CLOSED),
    "next_batch": (State.OPEN,),
    "get_progress": (State.OPEN,),
    "close": (State.OPEN,),
    "event_to_string": _WITH_STATE,
    "extract_fields": _WITH_STATE,
    "list_open_params": _WITH_STATE,
    # The framework closes an open plugin before destroying it (see Lifecycle.shutdown_calls).
    "destroy": (State.INITIALISED, State.INIT_FAILED, State.CLOSED),
}

#: (call, succeeded) -> the state after it; calls not listed keep the state.
TRANSITIONS = {
    ("init", True): State.INITIALISED,
    ("init", False): State.INIT_FAILED,
    ("open", True): State.OPEN,
    ("close", True): State.CLOSED,
    ("close", False): State.CLOSED,
    ("destroy", True): State.DESTROYED,
    ("destroy", False): State.DESTROYED,
}


class Lifecycle:
    """Tracks one plugin's state and refuses calls the table does not allow."""

    def __init__(self, plugin_name: str):
        self.plugin_name = plugin_name
        self.state = State.LOADED

    def check(self, call: str) -> None:
        allowed = ALLOWED.get(call)
        if allowed is not None and self.state not in allowed:
            raise LifecycleError(self.plugin_name, call, self.state.value, [s.value for s in allowed])

    def record(self, call: str, succeeded: bool) -> None:
        self.state = TRANSITIONS.get((call, succeeded), self.state)

    def shutdown_calls(self) -> list[str]:
        """The calls that bring the plugin from its current state to DESTROYED."""
        if self.state is State.OPEN:
            return ["close", "destroy"]
        if self.state in (State.INITIALISED, State.INIT_FAILED, State.CLOSED):
            return ["destroy"]
        return []


def table_markdown() -> str:
    """The ALLOWED table as Markdown, for docs/spec.md."""
    states = list(State)
    lines = ["| call | " + " | ".join(s.value for s in states) + " |",
             "|---|" + "---|" * len(states)]
    for call, allowed in ALLOWED.items():
        after = TRANSITIONS.get((call, True))
        cells = [(after.value if after else "ok") if s in allowed else "" for s in states]
        lines.append(f"| {call} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
