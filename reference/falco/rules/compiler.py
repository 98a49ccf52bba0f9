"""Compiling collected rules for the loaded event sources (clauses RULES-LISTS, RULES-MACROS,
RULES-EXCEPTIONS, RULES-UNKNOWN-SOURCE, RULES-COMPILE).

Lists are substituted as text; macros are parsed to ASTs (never compiled on their own, so a
macro whose fields only an unloaded source defines harms nobody) and spliced into the rules that
use them; a rule is compiled with the fields of its own source, and skipped with a warning when
no loaded plugin provides that source.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from reference.host.event_fields import ExtractionPlan, FieldTable
from reference.filter import And, Check, CompiledFilter, FilterError, Identifier, Not, Or, compile_filter, parse
from reference.filter.ast import ListValue, Node
from reference.filter.depth import MAX_DEPTH, depth_error, room_for_depth
from reference.output import Formatter
from reference.falco.rules.collector import (LIST_OPERATORS, PRIORITIES, Collector, ExceptionDef, RuleDef,
                                             exception_problem)
from reference.falco.rules.results import Location, Message

_BOUNDARY = " \t\n\r(),="
#: RULES-EXPANSION-LIMITS: what lists and macros may expand a condition to. Falco's largest shipped
#: conditions expand to a few thousand characters; doubling lists or macros reach these in ~20 lines.
MAX_LIST_ITEMS = 100_000
MAX_CONDITION_CHARS = 1_000_000
MAX_CONDITION_NODES = 100_000
#: What an unknown field's error says, in a condition and in an output (Falco's other signs, `unknown event
#: type` and `unknown filter:`, name syscall-source errors plugref never gives).
_UNKNOWN_FILTER_SIGNS = ("nonexistent field", "invalid formatting token")


class CompileError(Exception):
    def __init__(self, message: Message):
        super().__init__(message.message)
        self.report = message


class ConditionTooLarge(Exception):
    """A condition that list substitution would make larger than MAX_CONDITION_CHARS."""


@dataclass
class CompiledRule:
    name: str
    source: str
    priority: int
    tags: frozenset[str]
    enabled: bool
    condition: CompiledFilter
    formatter: Formatter
    plan: ExtractionPlan
    #: The condition as compiled (lists and exceptions expanded), for display.
    expanded: str

    @property
    def priority_name(self) -> str:
        return PRIORITIES[self.priority]


def _quote_item(item: str) -> str:
    return f'"{item}"' if " " in item and not item.startswith(("'", '"')) else item


def expand_lists(text: str, lists: dict[str, list[str]]) -> tuple[str, set[str]]:
    """Substitute every list name bounded by start/end or ` \\t\\n\\r(),=` with its items, as text.

    The substitution applies even inside quoted strings (as Falco's does). An empty list also
    takes one adjacent comma away. Returns the text and the lists used.
    """
    used = set()
    for name, items in lists.items():
        pattern = re.compile(rf"(?:(?<=[{re.escape(_BOUNDARY)}])|^){re.escape(name)}(?=[{re.escape(_BOUNDARY)}]|$)")
        if not pattern.search(text):
            continue
        used.add(name)
        replacement = ", ".join(_quote_item(i) for i in items)
        grows = len(pattern.findall(text)) * (len(replacement) - len(name))
        if len(text) + grows > MAX_CONDITION_CHARS:
            raise ConditionTooLarge(f"Condition expands to more than {MAX_CONDITION_CHARS} characters when list "
                                    f"'{name}' is substituted")
        if items:
            text = pattern.sub(lambda _: replacement, text)
        else:
            text = re.sub(rf"(?:(?<=[{re.escape(_BOUNDARY)}])|^){re.escape(name)}\s*,\s*|,\s*{re.escape(name)}"
                          rf"(?=[{re.escape(_BOUNDARY)}]|$)", "", text)
            text = pattern.sub("", text)
    return text, used


def resolved_lists(collector: Collector) -> dict[str, list[str]]:
    """Each list's items, with items naming an earlier list replaced by that list's items."""
    lists: dict[str, list[str]] = {}
    for definition in sorted(collector.lists.values(), key=lambda d: d.index):
        items: list[str] = []
        chars = 0
        for item in definition.items:
            more = lists[item] if item in lists else [item]
            items.extend(more)
            chars += sum(map(len, more))
            if len(items) > MAX_LIST_ITEMS or chars > MAX_CONDITION_CHARS:
                raise CompileError(Message("LOAD_ERR_VALIDATE", f"List expands to more than {MAX_LIST_ITEMS} items or "
                                                                f"{MAX_CONDITION_CHARS} characters", definition.locations))
        lists[definition.name] = items
    return lists


def _exception_value(value: str | list, comp: str) -> str:
    """One field's value: a list becomes `(a, b)`; a scalar under a list operator is put in brackets."""
    if isinstance(value, list):
        return "(" + ", ".join(_quote_item(v) for v in value) + ")"
    if comp in LIST_OPERATORS and not value.startswith("("):
        return f"({_quote_item(value)})"
    return _quote_item(value)


def exception_condition(exception: ExceptionDef, context: tuple[Location, ...]) -> str | None:
    """RULES-EXCEPTIONS: the text of one exception (to be negated), or None when it has no values."""
    if not exception.values:
        return None
    where = context + (exception.location,)
    if isinstance(exception.fields, list):
        comps = exception.comps if isinstance(exception.comps, list) else ["="] * len(exception.fields)
        alternatives = []
        for value in exception.values:
            if not isinstance(value, list) or len(value) != len(exception.fields):
                raise CompileError(Message("LOAD_ERR_VALIDATE", "Fields and values lists must have equal length",
                                           where))
            checks = [f"{f} {c} {_exception_value(v, c)}" for f, c, v in zip(exception.fields, comps, value)]
            alternatives.append("(" + " and ".join(checks) + ")")
        return "(" + " or ".join(alternatives) + ")"
    comp = exception.comps or "in"
    values = []
    for value in exception.values:
        if isinstance(value, list):
            raise CompileError(Message("LOAD_ERR_VALIDATE", "Expected values array to contain a list of strings",
                                       where))
        values.append(_quote_item(value))
    return f"({exception.fields} {comp} ({', '.join(values)}))"


def validate_exception(exception: ExceptionDef, table: FieldTable | None, context: tuple[Location, ...]) -> None:
    """RULES-EXCEPTIONS-SHAPE: fields, comps and values agree; fields exist for the rule's source."""
    problem = exception_problem(exception, table)
    if problem:
        raise CompileError(Message("LOAD_ERR_VALIDATE", problem,
                                   context + (exception.location,)))


class MacroResolver:
    """Splices macro ASTs in place of identifiers (RULES-MACROS)."""

    def __init__(self, collector: Collector, lists: dict[str, list[str]]):
        self.collector = collector
        self.asts: dict[str, Node] = {}
        self.used_lists: set[str] = set()
        self.used_macros: set[str] = set()
        self._nodes = self._level = 0
        for macro in collector.macros.values():
            try:
                text, used = expand_lists(macro.condition, lists)
            except ConditionTooLarge as exc:
                raise CompileError(Message("LOAD_ERR_COMPILE_CONDITION", str(exc),
                                           within(macro.locations, macro.condition_location))) from None
            self.used_lists |= used
            try:
                self.asts[macro.name] = parse(text)
            except FilterError as exc:
                raise CompileError(Message("LOAD_ERR_COMPILE_CONDITION", exc.reason,
                                           within(macro.locations, macro.condition_location, exc))) from None

    def check_all(self) -> None:
        """Every macro's references must resolve, used or not."""
        for macro in self.collector.macros.values():
            self.expand(self.asts[macro.name], macro.latest_index, (macro.name,), macro.locations)

    def expand(self, node: Node, visible_before: int | None, stack: tuple[str, ...],
               locations: tuple[Location, ...]) -> Node:
        """`node` with its macros spliced in, bounded in size and depth (RULES-EXPANSION-LIMITS, FILTER-DEPTH)."""
        self._nodes = self._level = 0
        with room_for_depth():
            return self.resolve(node, visible_before, stack, locations)

    def resolve(self, node: Node, visible_before: int | None, stack: tuple[str, ...],
                locations: tuple[Location, ...]) -> Node:
        self._nodes += 1
        if self._nodes > MAX_CONDITION_NODES:
            raise CompileError(Message("LOAD_ERR_COMPILE_CONDITION", f"Condition expands to more than "
                                       f"{MAX_CONDITION_NODES} nodes when its macros are spliced in", locations))
        self._level += 1
        try:
            # FILTER-DEPTH: the and/or/not nodes and macro references on the path are its levels; the
            # check at its end is none (a check alone is depth 0), so 1000 of them above a check pass
            if self._level > MAX_DEPTH and not isinstance(node, Check):
                raise CompileError(Message("LOAD_ERR_COMPILE_CONDITION", depth_error().reason, locations))
            return self._resolve(node, visible_before, stack, locations)
        finally:
            self._level -= 1

    def _resolve(self, node: Node, visible_before: int | None, stack: tuple[str, ...],
                 locations: tuple[Location, ...]) -> Node:
        if isinstance(node, Identifier):
            macro = self.collector.macros.get(node.name)
            if macro is None or (visible_before is not None and macro.first_index >= visible_before):
                raise CompileError(Message("LOAD_ERR_VALIDATE", f"Undefined macro '{node.name}' used in filter.",
                                           locations))
            if node.name in stack:
                raise CompileError(Message("LOAD_ERR_VALIDATE", f"reference loop in macro '{node.name}'", locations))
            self.used_macros.add(node.name)
            return self.resolve(self.asts[node.name], macro.latest_index, stack + (node.name,), locations)
        if isinstance(node, (And, Or)):
            return type(node)(tuple(self.resolve(c, visible_before, stack, locations) for c in node.children))
        if isinstance(node, Not):
            return Not(self.resolve(node.child, visible_before, stack, locations))
        if isinstance(node, Check) and isinstance(node.value, Identifier):
            # An undefined list name after a list operator is one literal value.
            return Check(node.field, node.op, ListValue((node.value.name,)), node.position, node.modifier)
        return node


def within(locations: tuple[Location, ...], condition: Location | None, error: FilterError | None = None
           ) -> tuple[Location, ...]:
    """Locations of a condition problem: the item, the condition, and where in it (when known).

    The position inside the condition is added to the condition's YAML position, so it is exact
    for plain scalars and approximate for block scalars.
    """
    if condition is None:
        return locations
    out = locations + (condition,)
    position = error.position if error is not None else None
    if position is not None:
        line = condition.line + position.line - 1
        column = condition.column + position.col - 1 if position.line == 1 else position.col
        out += (Location("condition expression", "", condition.file, line, column),)
    return out


def compile_rule(rule: RuleDef, table: FieldTable, lists: dict[str, list[str]], macros: MacroResolver,
                 extra_output: str) -> tuple[CompiledRule | None, list[Message]]:
    """RULES-COMPILE: output first, then condition; skip-if-unknown-filter turns field errors into a skip."""
    warnings: list[Message] = []
    for exception in rule.exceptions:
        validate_exception(exception, table, rule.locations)
    text = rule.condition
    negated = [c for c in (exception_condition(e, rule.locations) for e in rule.exceptions) if c]
    if negated:
        text = f"({text}) and " + " and ".join(f"not {c}" for c in negated)
    try:
        expanded, used = expand_lists(text, lists)
    except ConditionTooLarge as exc:
        raise CompileError(Message("LOAD_ERR_COMPILE_CONDITION", str(exc),
                                   within(rule.locations, rule.condition_location))) from None
    macros.used_lists |= used
    output = f"{rule.output} {extra_output}".strip()  # the rule's output is trimmed already
    plan = ExtractionPlan()
    try:
        try:
            formatter = Formatter("*" + output, table, plan)
        except FilterError as exc:
            raise CompileError(Message("LOAD_ERR_COMPILE_OUTPUT", str(exc),
                                       within(rule.locations, rule.output_location))) from None
        try:
            tree = macros.expand(parse(expanded), None, (), within(rule.locations, rule.condition_location))
            condition = compile_filter(tree, table, plan, text=expanded)
        except FilterError as exc:
            raise CompileError(Message("LOAD_ERR_COMPILE_CONDITION", exc.reason,
                                       within(rule.locations, rule.condition_location, exc))) from None
    except CompileError as exc:
        if rule.skip_if_unknown_filter and any(sign in exc.report.message for sign in _UNKNOWN_FILTER_SIGNS):
            warnings.append(Message("LOAD_UNKNOWN_FILTER", exc.report.message, exc.report.locations))
            return None, warnings
        raise
    warnings.extend(Message("LOAD_COMPILE_CONDITION", warning, within(rule.locations, rule.condition_location))
                    for warning in condition.warnings)  # FILTER-WARNINGS
    compiled = CompiledRule(rule.name, rule.source, rule.priority, frozenset(rule.tags), rule.enabled, condition,
                            formatter, plan, expanded)
    return compiled, warnings
