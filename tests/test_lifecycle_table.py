"""The lifecycle state machine itself (reference/contract/lifecycle.py `Lifecycle`), driven with any calls:
PLUGIN-LIFECYCLE's table, written out here from docs/spec.md. conformance/properties/test_lifecycle.py
drives it through a loaded plugin, which only ever records the calls that change the state.
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.contract.lifecycle import Lifecycle, State
from reference.errors import LifecycleError

# PLUGIN-LIFECYCLE: call -> {state it is allowed in: state after it succeeds}; "ok" keeps the state.
TABLE = {
    "init": {"loaded": "initialised"},
    "get_last_error": {"initialised": "ok", "init-failed": "ok", "open": "ok", "closed": "ok"},
    "open": {"initialised": "open", "closed": "open"},
    "next_batch": {"open": "ok"},
    "get_progress": {"open": "ok"},
    "close": {"open": "closed"},
    "event_to_string": {"initialised": "ok", "open": "ok", "closed": "ok"},
    "extract_fields": {"initialised": "ok", "open": "ok", "closed": "ok"},
    "list_open_params": {"initialised": "ok", "open": "ok", "closed": "ok"},
    "destroy": {"initialised": "destroyed", "init-failed": "destroyed", "closed": "destroyed"},
}
# ... and after a failed call: init fails into init-failed; close and destroy happen even when they fail.
AFTER_FAILURE = {"init": "init-failed", "close": "closed", "destroy": "destroyed"}
INFO_CALLS = ["get_name", "get_fields", "get_required_api_version"]  # no state: allowed in every state

calls = st.lists(st.tuples(st.sampled_from(sorted(TABLE) + INFO_CALLS), st.booleans()), max_size=12)


@pytest.mark.clause("PLUGIN-LIFECYCLE")
@given(calls)
def test_the_state_follows_the_table_and_refused_calls_leave_it_alone(steps):
    lifecycle = Lifecycle("ticker")
    state = "loaded"
    for call, succeeds in steps:
        assert lifecycle.state.value == state
        allowed = TABLE.get(call)
        if allowed is not None and state not in allowed:
            with pytest.raises(LifecycleError) as refused:
                lifecycle.check(call)
            names = ", ".join(s for s in ("loaded", "initialised", "init-failed", "open", "closed", "destroyed")
                              if s in allowed)
            assert str(refused.value) == f"plugin ticker: {call} is not allowed in state {state} (allowed in: {names})"
            continue
        lifecycle.check(call)
        lifecycle.record(call, succeeds)
        after = (allowed or {}).get(state, "ok") if succeeds else AFTER_FAILURE.get(call, "ok")
        state = state if after == "ok" else after
    assert lifecycle.state.value == state


@pytest.mark.clause("PLUGIN-LIFECYCLE")
@pytest.mark.parametrize("steps, calls_left", [
    ([], []),                                                   # loaded: nothing to undo
    ([("init", True)], ["destroy"]),
    ([("init", False)], ["destroy"]),                           # the framework destroys a failed init's state
    ([("init", True), ("open", True)], ["close", "destroy"]),   # an open plugin is closed before it is destroyed
    ([("init", True), ("open", True), ("close", True)], ["destroy"]),
    ([("init", True), ("destroy", True)], []),
])
def test_shutdown_takes_the_calls_from_the_state_to_destroyed(steps, calls_left):
    lifecycle = Lifecycle("ticker")
    for call, succeeds in steps:
        lifecycle.record(call, succeeds)
    assert lifecycle.shutdown_calls() == calls_left
    for call in calls_left:
        lifecycle.check(call)
        lifecycle.record(call, True)
    assert lifecycle.state is (State.DESTROYED if steps else State.LOADED)
