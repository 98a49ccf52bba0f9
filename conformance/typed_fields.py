"""A field table over FieldInfo entries of any field type, for compiler-level tests of the typed comparisons.

The 0.3.0 contract allows only uint64 and string fields; the 3.x types (reltime, abstime, bool,
ipaddr, ipnet, list fields) come with the 3.x plugin contract. Until a 3.x plugin can be loaded
end to end, the filter compiler is tested against this small provider: it answers the
`FieldTable` questions (which field a name is) and gives each event's values as the 3.x
contract delivers them (int, bool, `ipaddress` objects, str, tuples for lists).
"""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field

from reference.contract.field_types import AnyFieldType
from reference.contract.fields import FieldInfo
from reference.host.engine import PluginEvent
from reference.host.event_fields import EventContext, ExtractionPlan, FieldTable
from reference.filter import compile_filter, parse
from reference.output import Formatter


@dataclass
class _Info:
    fields: list[FieldInfo]

    def field(self, name: str) -> FieldInfo | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(eq=False)
class TypedProvider:
    """A source `t` whose plugin extracts the values of the current event by (name, arg)."""

    info: _Info
    name: str = "typed"
    values: dict = dataclass_field(default_factory=dict)

    def extract(self, event, wanted):
        return [self.values.get(info.name if not arg else f"{info.name}[{arg}]") for info, arg in wanted]

    # the loaded-plugin calls EventContext makes (EXTRACT-BATCHED)
    def prepare_request(self, info, arg):
        return info, arg

    def extract_requests(self, event, requests):
        return self.extract(event, requests)

    def field_extractor(self, request):
        return lambda event: self.extract(event, [request])[0]

    # registry questions FieldTable asks
    def providers(self, source):
        return [self]

    def resolve_field(self, source, name):
        found = self.info.field(name)
        return (self, found) if found is not None else None


def typed_fields(*entries: tuple[str, AnyFieldType, bool]) -> TypedProvider:
    """Fields given as (name, type, is_list)."""
    infos = [FieldInfo(i, name, kind, f"a field of type {int(kind)}", is_list=is_list)
             for i, (name, kind, is_list) in enumerate(entries)]
    return TypedProvider(_Info(infos))


#: the fields the typed tests use
TYPED = typed_fields(
    ("t.n", AnyFieldType.UINT64, False), ("t.s", AnyFieldType.STRING, False), ("t.s2", AnyFieldType.STRING, False),
    ("t.rel", AnyFieldType.RELTIME, False), ("t.abs", AnyFieldType.ABSTIME, False),
    ("t.b", AnyFieldType.BOOL, False), ("t.ip", AnyFieldType.IPADDR, False), ("t.ip2", AnyFieldType.IPADDR, False),
    ("t.net", AnyFieldType.IPNET, False), ("t.list", AnyFieldType.STRING, True),
    ("t.nums", AnyFieldType.UINT64, True), ("t.ips", AnyFieldType.IPADDR, True),
)


def table(provider: TypedProvider = TYPED) -> FieldTable:
    return FieldTable(provider, "t")


def _context(provider: TypedProvider, values: dict, plan: ExtractionPlan) -> EventContext:
    provider.values = values
    return EventContext(PluginEvent(1, 10, 999, "t", b""), plan, provider)


def evaluate(condition: str, values: dict, provider: TypedProvider = TYPED) -> bool:
    compiled = compile_filter(parse(condition), table(provider))
    return compiled.matches(_context(provider, values, compiled.plan))


def compile_warnings(condition: str, provider: TypedProvider = TYPED) -> list[str]:
    return compile_filter(parse(condition), table(provider)).warnings


def render(format_text: str, values: dict, provider: TypedProvider = TYPED) -> str | None:
    formatter = Formatter(format_text, table(provider))
    return formatter.format(_context(provider, values, formatter.plan))


def render_json(format_text: str, values: dict, provider: TypedProvider = TYPED) -> dict | None:
    formatter = Formatter(format_text, table(provider))
    return formatter.values(_context(provider, values, formatter.plan))
