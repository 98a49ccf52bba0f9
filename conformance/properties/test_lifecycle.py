"""PLUGIN-LIFECYCLE: the framework makes a call only in a state that allows it."""
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from conformance.harness import try_load
from fake_plugins.misbehaving import WELL_BEHAVED_SOURCE, variant
from reference.contract.v0_3 import Event
from reference.errors import LifecycleError
from reference.contract.lifecycle import ALLOWED, State, table_markdown
from reference.host.loader import LoadedPlugin, read_info
from fake_plugins.defined import DefinedLibrary

CALLS = ["init", "open", "next_batch", "get_progress", "close", "destroy", "extract_fields", "event_to_string",
         "get_last_error", "list_open_params", "init_failing"]


class LifecycleMachine(RuleBasedStateMachine):
    """Drives one plugin with random calls; a plain model says which must be refused."""

    def __init__(self):
        super().__init__()
        self.fails_init = False
        self.plugin = None
        # The model: what has happened, not which state it makes.
        self.initialised = self.init_failed = self.opened = self.destroyed = False

    def _make(self, failing: bool):
        definition = variant(WELL_BEHAVED_SOURCE, init_error="boom") if failing else WELL_BEHAVED_SOURCE
        library = DefinedLibrary(definition)
        self.plugin = LoadedPlugin(library, read_info(library))

    def legal(self, call: str) -> bool:
        alive = not self.destroyed
        if call in ("init", "init_failing"):
            return not (self.initialised or self.init_failed or self.destroyed)
        if call == "get_last_error":
            return alive and (self.initialised or self.init_failed)
        if call in ("next_batch", "get_progress", "close"):
            return alive and self.opened
        if call == "open":
            return alive and self.initialised and not self.opened
        if call == "destroy":
            return alive and (self.initialised or self.init_failed) and not self.opened
        return alive and self.initialised  # extract_fields, event_to_string, list_open_params

    @rule(call=st.sampled_from(CALLS))
    def make_call(self, call):
        if self.plugin is None:
            self._make(call == "init_failing")
        actions = {
            "init": lambda: self.plugin.init(""),
            "init_failing": lambda: self.plugin.init(""),
            "open": lambda: self.plugin.open(""),
            "next_batch": self.plugin.next_batch,
            "get_progress": self.plugin.progress,
            "close": self.plugin.close,
            "destroy": self.plugin.destroy,
            "extract_fields": lambda: self.plugin.extract(Event(b"x=1", 1, 1), [(self.plugin.info.fields[0], "")]),
            "event_to_string": lambda: self.plugin.event_to_string(b"x"),
            "get_last_error": self.plugin.last_error,
            "list_open_params": self.plugin.list_open_params,
        }
        legal = self.legal(call)
        try:
            actions[call]()
        except LifecycleError as error:
            assert not legal, f"{call} refused in a legal state: {error}"
            assert error.clause == "PLUGIN-LIFECYCLE"
            return
        except Exception as error:  # noqa: BLE001 - init failure is a LoadError, legal
            assert call in ("init", "init_failing") and legal, error
        else:
            assert legal, f"{call} accepted in state {self.plugin.lifecycle.state}"
        self._apply(call)

    def _apply(self, call):
        if call in ("init", "init_failing"):
            failed = self.plugin.library.definition.get("init_error") is not None
            # A failed init is cleaned up by the framework: the plugin is destroyed.
            self.init_failed, self.initialised, self.destroyed = False, not failed, failed
        elif call == "open":
            self.opened = True
        elif call == "close":
            self.opened = False
        elif call == "destroy":
            self.destroyed, self.initialised, self.init_failed = True, False, False

    @invariant()
    def state_matches_model(self):
        if self.plugin is None:
            return
        state = self.plugin.lifecycle.state
        if self.destroyed:
            assert state is State.DESTROYED
        elif self.opened:
            assert state is State.OPEN
        elif self.initialised:
            assert state in (State.INITIALISED, State.CLOSED)
        else:
            assert state is State.LOADED


TestLifecycle = pytest.mark.clause("PLUGIN-LIFECYCLE")(LifecycleMachine.TestCase)


@pytest.mark.clause("PLUGIN-LIFECYCLE")
def test_shutdown_from_any_state_ends_destroyed():
    for steps in ([], ["open"], ["open", "close"]):
        plugin, _ = try_load(WELL_BEHAVED_SOURCE)
        for step in steps:
            getattr(plugin, step)()
        plugin.shutdown()
        assert plugin.lifecycle.state is State.DESTROYED
        plugin.shutdown()  # twice is harmless


@pytest.mark.clause("PLUGIN-LIFECYCLE")
def test_refusal_names_plugin_call_and_state():
    plugin, _ = try_load(WELL_BEHAVED_SOURCE)
    with pytest.raises(LifecycleError) as caught:
        plugin.next_batch()
    assert str(caught.value) == ("plugin ticker: next_batch is not allowed in state initialised "
                                 "(allowed in: open)")


@pytest.mark.clause("PLUGIN-LIFECYCLE")
def test_documented_table_is_the_enforced_table():
    from pathlib import Path
    spec = (Path(__file__).resolve().parents[2] / "docs" / "spec.md").read_text()
    assert table_markdown() in spec
    assert set(ALLOWED) <= set(CALLS)
