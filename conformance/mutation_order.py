"""A pytest plugin for mutation runs (conformance/mutation.py): the tests that cover a mutant run fastest first.

mutmut runs a mutant's covering tests with -x, in no particular order, so a mutant that a 10 ms example
test kills may first wait for every slow Hypothesis property. Sorted by the durations mutmut measured in
its clean run, a killed mutant dies at the first fast test that tells it apart; a survivor costs the same.
Outside a mutation run (no mutmut, or no durations measured yet) the order is left as collected.
"""
from __future__ import annotations


def pytest_collection_modifyitems(session, config, items) -> None:
    try:
        from mutmut.state import state
    except ImportError:
        return
    durations = state().duration_by_test
    if durations:
        # Stable: tests with no measured duration keep their order, after the measured ones.
        items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
