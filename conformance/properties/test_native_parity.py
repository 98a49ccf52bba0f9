"""NATIVE-PARITY: the native fake plugin, through the ctypes bridge, behaves as DefinedLibrary.

For each generated definition both libraries are loaded into a fresh registry; they must reach
the same verdict with the same error, and once loaded produce the same events (with one fixed
clock, so "now" stamps compare equal), the same extracted values for every field and argument,
the same texts, progress and failures.
"""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings

from conformance.native_strategies import ARGS, native_definitions
from fake_plugins.defined import DefinedLibrary, encode_payload
from reference.contract.v0_3 import TS_NOW, Event
from reference.host.engine import EventStream
from reference.errors import PlugrefError
from reference.host.native import NativeLibrary
from reference.host.registry import PluginRegistry

FIXED_NOW = 1_700_000_000_123_456_789
MAX_PULLS = 60


def observe(library, definition: dict) -> list:
    """Everything the framework sees of `library`, as comparable data (errors included)."""
    seen: list = []
    registry = PluginRegistry()
    try:
        plugin = registry.load(library, "")
    except PlugrefError as error:
        return [("refused", type(error).__name__, error.clause, getattr(error, "reason", error.message))]
    info = plugin.info
    seen.append(("loaded", info.name, info.type, info.id, info.event_source, info.fields,
                 info.extract_event_sources, info.init_schema, registry.warnings))
    wanted = [(f, arg) for f in info.fields for arg in ARGS]
    try:
        if info.is_source:
            seen.append(("params", plugin.list_open_params()))
            plugin.open()
            stream = EventStream(plugin, clock=lambda: FIXED_NOW)
            inputs = []
            for _ in range(MAX_PULLS):
                if stream.ended:
                    break
                event = stream.next()
                seen.append(("event", event and (event.num, event.ts, event.data), plugin.progress()))
                if event is not None:
                    inputs.append(event.as_plugin_input())
        else:
            inputs = [Event(encode_payload(e), 10 + n, n + 1) for n, e in enumerate(definition.get("events", []))]
            inputs.append(Event(b"\xff\xfe=\xc3;abc.def=\xe2\x82", 5, 99))
        can_extract = "plugin_extract_fields" in library.symbols
        for event in inputs:
            if info.is_source:
                seen.append(("string", plugin.event_to_string(event.data)))
            # All at once, then one by one: a failing uint64 hides every value of its call only.
            if can_extract:
                seen.append(("all", plugin.extract(event, wanted)))
                seen.append(("each", [plugin.extract(event, [w])[0] for w in wanted]))
    except PlugrefError as error:
        seen.append(("error", type(error).__name__, error.message))
    finally:
        registry.shutdown()
    return seen


@pytest.mark.clause("NATIVE-PARITY")
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(definition=native_definitions())
def test_native_fake_matches_defined_library(make_native, definition):
    python_side = observe(DefinedLibrary(definition), definition)
    native = NativeLibrary(make_native(definition))
    assert native.symbols == DefinedLibrary(definition).symbols
    assert observe(native, definition) == python_side


@pytest.mark.clause("NATIVE-PARITY")
def test_now_is_substituted_for_both(make_native):
    definition = {"name": "nowish", "id": 5, "event_source": "nowish", "fields": [],
                  "events": [{"ts": "now", "data": "a"}, {"ts": 2**64 - 1, "data": "b"}, {"ts": 7, "data": "c"}]}
    for library in (DefinedLibrary(definition), NativeLibrary(make_native(definition))):
        state, _ = library.init("")
        instance, _ = library.open(state, "")
        raw = list(itertools.chain.from_iterable(library.next_batch(state, instance)[1] for _ in range(3)))
        assert [e.ts for e in raw] == [TS_NOW, TS_NOW, 7]
        plugin = PluginRegistry().load(library)
        plugin.open()
        assert [e.ts for e in EventStream(plugin, clock=lambda: 42)] == [42, 42, 7]
