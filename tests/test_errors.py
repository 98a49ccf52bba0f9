"""The errors plugref reports (reference/errors.py): the message a user reads and the clause it names.

The message forms are those of docs/spec.md: `cannot load plugin <where>: …` for a load error
(PLUGIN-ANSWER-TYPES, and libs' own prefix, api §3.1) and
`plugin <name>: <call> is not allowed in state <state> (allowed in: ...)` for a call the lifecycle
table refuses (PLUGIN-LIFECYCLE).
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.errors import LifecycleError, LoadError, PluginCallError, PlugrefError

_texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@pytest.mark.clause("PLUGIN-ANSWER-TYPES")
@given(_texts, _texts, st.sampled_from(["INIT-FAILURE", "PLUGIN-SYMBOLS", "API-VERSION-COMPAT"]))
def test_a_load_error_is_prefixed_with_the_plugin_it_could_not_load(where, reason, clause):
    error = LoadError(where, reason, clause)
    assert str(error) == error.message == f"cannot load plugin {where}: {reason}"
    assert (error.where, error.reason, error.clause) == (where, reason, clause)
    assert isinstance(error, PlugrefError)


@pytest.mark.clause("PLUGIN-LIFECYCLE")
def test_a_lifecycle_error_names_the_plugin_the_call_its_state_and_where_it_is_allowed():
    error = LifecycleError("ticker", "next_batch", "closed", ["open"])
    assert str(error) == error.message == \
        "plugin ticker: next_batch is not allowed in state closed (allowed in: open)"
    assert (error.call, error.state, error.clause) == ("next_batch", "closed", "PLUGIN-LIFECYCLE")
    several = LifecycleError("ticker", "open", "open", ["initialised", "closed"])
    assert str(several) == "plugin ticker: open is not allowed in state open (allowed in: initialised, closed)"


def test_an_error_without_a_clause_says_so():
    error = PlugrefError("no input: name a source plugin with -I, or a capture file with -r")
    assert (str(error), error.message, error.clause) == \
        ("no input: name a source plugin with -I, or a capture file with -r",) * 2 + (None,)
    assert PlugrefError("m", "INSPECT-OUTPUT-SAFE").clause == "INSPECT-OUTPUT-SAFE"
    running = PluginCallError("plugin ticker: next_batch answered 3 (int), not a pair", "PLUGIN-ANSWER-TYPES")
    assert (str(running), running.clause) == \
        ("plugin ticker: next_batch answered 3 (int), not a pair", "PLUGIN-ANSWER-TYPES")
