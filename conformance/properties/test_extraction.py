"""How the host asks plugins for field values: EXTRACT-BATCHED (lazy, one field per call, as
libsinsp 0.3.0; batched only when asked for), EXTRACT-ARG-EMPTY on the host path."""
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.filter_strategies import SOURCE_DEFINITION, conditions, event_lists, formats
from fake_plugins.defined import DefinedLibrary
from fake_plugins.misbehaving import variant
from conformance.properties.test_filter_language import model_check
from reference.filter import And, FieldRef, Not, Or, compile_filter, parse
from reference.filter.ast import to_text
from reference.host.engine import EventStream, PluginEvent
from reference.contract.fields import BUILTIN_EVENT_FIELDS
from reference.host.event_fields import EventContext, ExtractionMode, ExtractionPlan, FieldTable
from reference.host.registry import PluginRegistry
from reference.output import Formatter


class RecordingLibrary(DefinedLibrary):
    """Records every extract_fields call as (event number, ((field, arg), ...))."""

    def __init__(self, definition):
        super().__init__(definition)
        self.calls = []

    def extract_fields(self, state, event, requests):
        self.calls.append((event.evtnum, tuple((r.field, r.arg) for r in requests)))
        return super().extract_fields(state, event, requests)


def loaded(events: list[dict]):
    library = RecordingLibrary(variant(SOURCE_DEFINITION, events=[{"ts": 10 + i, "values": v}
                                                                   for i, v in enumerate(events)]))
    registry = PluginRegistry()
    source = registry.load(library)
    source.open("")
    return library, registry, source, list(EventStream(source))


def run(library, registry, source, stream, condition: str | None, fmt: str, mode=ExtractionMode.LAZY):
    table = FieldTable(registry, "x")
    compiled = compile_filter(parse(condition), table) if condition else None
    plan = compiled.plan if compiled else None
    formatter = Formatter(fmt, table, plan)
    library.calls.clear()
    lines = []
    for event in stream:
        context = EventContext(event, formatter.plan, source, mode)
        if compiled is None or compiled.matches(context):
            lines.append(formatter.format(context))
            lines.append(formatter.format(context))  # asked again: served from the event's values
    return lines


@pytest.mark.clause("EXTRACT-BATCHED", "EXTRACT-ARG-EMPTY")
def test_one_field_per_call_when_needed_and_each_value_once_per_event():
    library, registry, source, stream = loaded([{"x.i": 1, "x.word": "a"}, {"x.i": 2}, {}])
    run(library, registry, source, stream, "x.i > 0 or x.word = a or x.tag[a] exists or x.path exists",
        "*%x.i %x.word %x.tag[b] %x.path %evt.num")
    assert library.calls == [
        # x.i > 0 is true: the rest of the `or` is never asked; then the format, x.i already known.
        (1, (("x.i", ""),)), (1, (("x.word", ""),)), (1, (("x.tag", "b"),)), (1, (("x.path", ""),)),
        (2, (("x.i", ""),)), (2, (("x.word", ""),)), (2, (("x.tag", "b"),)), (2, (("x.path", ""),)),
        # Nothing is true: every check is asked, and the event is not printed.
        (3, (("x.i", ""),)), (3, (("x.word", ""),)), (3, (("x.tag", "a"),)), (3, (("x.path", ""),)),
    ]


@pytest.mark.clause("EXTRACT-BATCHED")
def test_a_false_and_stops_extraction():
    library, registry, source, stream = loaded([{"x.i": 0, "x.word": "a"}])
    assert run(library, registry, source, stream, "x.i > 0 and x.word = a", "%x.word") == []
    assert library.calls == [(1, (("x.i", ""),))]


@pytest.mark.clause("EXTRACT-BATCHED")
def test_batched_mode_asks_every_planned_field_of_the_plugin_in_one_call():
    library, registry, source, stream = loaded([{"x.i": 1, "x.word": "a"}, {}])
    lines = run(library, registry, source, stream, "x.i > 0 or x.tag[a] exists", "*%x.i %x.word %x.tag[b]",
                ExtractionMode.BATCHED)
    every = (("x.i", ""), ("x.tag", "a"), ("x.word", ""), ("x.tag", "b"))
    assert library.calls == [(1, every), (2, every)]
    assert lines == ["1 a <NA>", "1 a <NA>"]


@pytest.mark.clause("EXTRACT-BATCHED")
def test_batched_mode_over_one_renewed_context_asks_once_per_event():
    library, registry, source, stream = loaded([{"x.i": 1, "x.word": "a"}, {"x.i": 2}])
    formatter = Formatter("*%x.i %x.word", FieldTable(registry, "x"))
    library.calls.clear()
    context = EventContext(stream[0], formatter.plan, source, ExtractionMode.BATCHED)
    lines = [formatter.format(context.renew(event)) for event in stream]
    assert lines == ["1 a", "2 <NA>"]
    assert library.calls == [(1, (("x.i", ""), ("x.word", ""))), (2, (("x.i", ""), ("x.word", "")))]


@pytest.mark.clause("EXTRACT-BATCHED")
def test_batched_mode_asks_a_field_outside_the_plan_alone_after_the_plan():
    library, registry, source, stream = loaded([{"x.i": 1, "x.word": "a"}])
    table = FieldTable(registry, "x")
    plan, elsewhere = ExtractionPlan(), ExtractionPlan()
    word = plan.add(table.resolve("x.word"), "")
    number = elsewhere.add(table.resolve("x.i"), "")
    library.calls.clear()
    context = EventContext(stream[0], plan, source, ExtractionMode.BATCHED)
    assert (context.value(word), context.value(number), context.value(number)) == ("a", 1, 1)
    assert library.calls == [(1, (("x.word", ""),)), (1, (("x.i", ""),))]
    assert ExtractionPlan().batch(source) == []


@pytest.mark.clause("EXTRACT-BATCHED", "OUTPUT-JSON")
def test_json_values_are_extracted_once_per_event():
    library, registry, source, stream = loaded([{"x.word": "a"}])
    formatter = Formatter("%x.word %toupper(x.word)", FieldTable(registry, "x"))
    library.calls.clear()
    assert formatter.values(EventContext(stream[0], formatter.plan, source)) == {"x.word": "a"}
    assert library.calls == [(1, (("x.word", ""),))]


@pytest.mark.clause("EXTRACT-BATCHED")
def test_a_plan_prepares_each_field_and_argument_once():
    library, registry, source, stream = loaded([])
    table = FieldTable(registry, "x")
    plan = ExtractionPlan()
    tag_a = plan.add(table.resolve("x.tag"), "a")
    assert plan.add(table.resolve("x.tag"), "a") is tag_a
    tag_b = plan.add(table.resolve("x.tag"), "b")
    assert tag_b is not tag_a and tag_b.slot != tag_a.slot
    assert (tag_a.arg, repr(tag_a), repr(plan.add(table.resolve("x.word"), ""))) == \
        ("a", "FieldRequest(x.tag[a])", "FieldRequest(x.word)")
    other = ExtractionPlan()
    word = other.add(table.resolve("x.word"), "")
    again = other.add(table.resolve("x.tag"), "a")
    merged = ExtractionPlan.merged([plan, other])
    assert list(merged.requests.values()) == [tag_a, tag_b, plan.add(table.resolve("x.word"), "")]
    assert word is not merged.requests[word.key] and again is not tag_a
    assert merged.batch(source) == [tag_a, tag_b, plan.add(table.resolve("x.word"), "")]


@pytest.mark.clause("EXTRACT-BATCHED")
def test_arguments_never_asked_before_get_their_own_values():
    fresh = [f"k{uuid.uuid4().hex}" for _ in range(2)]  # slots are per process: these are new ones
    library, registry, source, stream = loaded([{f"x.tag[{fresh[0]}]": "A", f"x.tag[{fresh[1]}]": "B"}])
    formatter = Formatter(f"%x.tag[{fresh[0]}] %x.tag[{fresh[1]}]", FieldTable(registry, "x"))
    assert formatter.format(EventContext(stream[0], formatter.plan, source)) == "A B"


@pytest.mark.clause("EXTRACT-BATCHED", "FIELD-OVERLAP")
def test_one_field_name_of_two_plugins_for_two_sources_is_two_requests():
    registry = PluginRegistry()
    for name, plugin_id in (("x", 2**30 + 71), ("y", 2**30 + 72)):
        registry.load(DefinedLibrary(variant(SOURCE_DEFINITION, name=f"{name}src", id=plugin_id, event_source=name)))
    plan = ExtractionPlan()
    from_x = plan.add(FieldTable(registry, "x").resolve("x.word"), "")
    from_y = plan.add(FieldTable(registry, "y").resolve("x.word"), "")
    assert (from_x.plugin.name, from_y.plugin.name) == ("xsrc", "ysrc") and from_x.slot != from_y.slot


@pytest.mark.clause("CAPTURE-UNKNOWN-PLUGIN")
def test_without_a_source_plugin_a_plugin_field_has_no_value_and_nobody_is_asked():
    library, registry, source, stream = loaded([{"x.word": "a"}])
    formatter = Formatter("*%evt.num %x.word", FieldTable(registry, "x"))
    library.calls.clear()
    assert formatter.format(EventContext(stream[0], formatter.plan, None)) == "1 <NA>"
    assert formatter.values(EventContext(stream[0], formatter.plan, None)) == {"evt.num": 1, "x.word": None}
    assert library.calls == []


@pytest.mark.clause("EVT-FIELDS")
def test_an_event_outside_a_stream_is_its_own_first_for_reltime():
    library, registry, source, stream = loaded([{"x.i": 1}, {"x.i": 2}])
    alone = PluginEvent(7, 12_345_000_000_042, stream[1].plugin_id, "x", stream[1].data)  # no stream's first_ts
    formatter = Formatter("%evt.reltime %evt.reltime.s %evt.reltime.ns", FieldTable(registry, "x"))
    assert formatter.format(EventContext(stream[1], formatter.plan, source)) == "000000001 0 000000001"
    assert formatter.format(EventContext(alone, formatter.plan, source)) == "000000000 0 000000000"


@pytest.mark.clause("FILTER-COMPILE")
def test_a_table_names_the_builtins_then_the_plugin_fields():
    library, registry, source, stream = loaded([])
    table = FieldTable(registry, "x")
    assert table.names() == list(BUILTIN_EVENT_FIELDS) + ["x.i", "x.word", "x.path", "x.tag"]
    assert table.suggested_names() == []  # 0.3.0 fields have no addOutput flag


def needed_fields(node, values: dict) -> list[tuple[str, str]]:
    """The plugin fields a left-to-right, stopping-early evaluation looks at, in order (a model)."""
    seen: list[tuple[str, str]] = []

    def value(field: FieldRef):
        if field.name.startswith("x."):
            key = (field.name, field.arg or "")
            if key not in seen:
                seen.append(key)
        return values.get(f"{field.name}[{field.arg}]" if field.arg else field.name)

    def evaluate(n) -> bool:
        if isinstance(n, And):
            return all(evaluate(c) for c in n.children)
        if isinstance(n, Or):
            return any(evaluate(c) for c in n.children)
        if isinstance(n, Not):
            return not evaluate(n.child)
        got = value(n.field)
        return model_check(n, got) if n.field.name.startswith("x.") else True

    evaluate(node)
    return seen


@pytest.mark.clause("EXTRACT-BATCHED")
@given(conditions().filter(lambda n: "evt." not in str(n)), event_lists)
def test_lazy_extraction_asks_what_a_stopping_evaluation_needs_one_field_at_a_time(node, events):
    library, registry, source, stream = loaded(events)
    table = FieldTable(registry, "x")
    compiled = compile_filter(node, table)
    for event, values in zip(stream, events):
        library.calls.clear()
        compiled.matches(EventContext(event, compiled.plan, source))
        assert all(len(fields) == 1 for _, fields in library.calls)
        assert [fields[0] for _, fields in library.calls] == needed_fields(node, values), to_text(node)


@pytest.mark.clause("EXTRACT-BATCHED")
@given(event_lists, formats(), st.sampled_from([None, "x.i > 2", "x.word exists or x.tag[a] = nginx"]))
def test_both_modes_print_the_same_lines_for_a_well_behaved_plugin(events, fmt, condition):
    library, registry, source, stream = loaded(events)
    lazy = run(library, registry, source, stream, condition, fmt)
    batched = run(library, registry, source, stream, condition, fmt, ExtractionMode.BATCHED)
    assert lazy == batched
