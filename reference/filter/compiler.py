"""Compiling a condition against the fields of a source, and evaluating it on events.

Compile time (clause FILTER-COMPILE): every field must exist for the source (exact name), take an
argument when it requires one, and support the operator for its type; right-hand values are
converted to the field's type (`abc is not a valid number`), regexes are compiled.

Evaluation (clause FILTER-MISSING-VALUE): a field with no value makes its check false for every
operator, `!=` and `exists` included; `not` applies afterwards. Operators (clause FILTER-OPERATORS)
behave as libsinsp's: strcmp-like comparisons on bytes, ASCII case folding, fnmatch globs, full-
match regexes, component-wise path prefixes for pmatch.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from reference.contract.v0_3 import FieldType
from reference.host.event_fields import EventContext, ExtractionPlan, FieldTable, ResolvedField
from reference.filter.ast import And, Check, Identifier, ListValue, Node, Not, Or
from reference.filter.depth import room_for_depth, tree_depth
from reference.filter.errors import FilterError

#: Trees up to this depth evaluate within any recursion limit; deeper ones get room first.
_SHALLOW = 100

STRING_OPERATORS = {"=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "startswith", "endswith",
                    "glob", "iglob", "in", "intersects", "pmatch", "regex", "exists"}
NUMERIC_OPERATORS = {"=", "==", "!=", "<", "<=", ">", ">=", "in", "intersects", "exists"}

Predicate = Callable[[EventContext], bool]


def _to_uint64(text: str, position) -> int:
    """The whole text as a decimal number, as sscanf("%lu%c") == 1 reads it."""
    match = re.fullmatch(r"[ \t\n\r\f\v]*([+-]?)([0-9]+)", text)
    if not match:
        raise FilterError(f"{text} is not a valid number", position, "FILTER-COMPILE")
    digits = match.group(2).lstrip("0")
    # glibc saturates on overflow; more than 20 digits overflow anyway (and int() refuses 4300 and more).
    number = min(int(digits or "0"), 2**64 - 1) if len(digits) <= 20 else 2**64 - 1
    return (-number) % 2**64 if match.group(1) == "-" else number


def _ascii_lower(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def glob_to_regex(pattern: str, casefold: bool = False) -> re.Pattern:
    """fnmatch(3) with no flags: `*` and `?` also match `/`, `[...]` classes, backslash escapes."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[":
            end = i + 1
            if end < len(pattern) and pattern[end] in "!^":
                end += 1
            if end < len(pattern) and pattern[end] == "]":
                end += 1
            end = pattern.find("]", end)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:end]
                negated = body[:1] in ("!", "^")
                body = body[1:] if negated else body
                body = body.replace("\\", "\\\\")
                out.append(f"[{'^' if negated else ''}{body}]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE | re.ASCII if casefold else 0))


def _path_prefix_of(prefix: str, value: str) -> bool:
    prefix = prefix.rstrip("/") or "/"
    return value == prefix or value.startswith(prefix if prefix.endswith("/") else prefix + "/")


def _string_test(op: str, rhs, position) -> Callable[[str], bool]:
    if op in ("=", "=="):
        return lambda v: v == rhs
    if op == "!=":
        return lambda v: v != rhs
    if op in ("<", "<=", ">", ">="):
        key = rhs.encode()
        compare = {"<": lambda a: a < key, "<=": lambda a: a <= key, ">": lambda a: a > key,
                   ">=": lambda a: a >= key}[op]
        return lambda v: compare(v.encode())
    if op == "contains":
        return lambda v: rhs in v
    if op == "icontains":
        folded = _ascii_lower(rhs)
        return lambda v: folded in _ascii_lower(v)
    if op == "startswith":
        return lambda v: v.startswith(rhs)
    if op == "endswith":
        return lambda v: v.endswith(rhs)
    if op in ("glob", "iglob"):
        pattern = glob_to_regex(rhs, casefold=op == "iglob")
        return lambda v: pattern.fullmatch(v) is not None
    if op == "regex":
        try:
            pattern = re.compile(rhs)
        except re.error as exc:
            raise FilterError(f"invalid regex pattern: {exc}", position, "FILTER-COMPILE") from None
        return lambda v: pattern.fullmatch(v) is not None
    if op in ("in", "intersects"):
        members = frozenset(rhs)
        return lambda v: v in members
    if op == "pmatch":
        return lambda v: any(_path_prefix_of(p, v) for p in rhs)
    raise AssertionError(op)


def _numeric_test(op: str, rhs) -> Callable[[int], bool]:
    if op in ("in", "intersects"):
        members = frozenset(rhs)
        return lambda v: v in members
    return {"=": lambda v: v == rhs, "==": lambda v: v == rhs, "!=": lambda v: v != rhs, "<": lambda v: v < rhs,
            "<=": lambda v: v <= rhs, ">": lambda v: v > rhs, ">=": lambda v: v >= rhs}[op]


@dataclass
class CompiledFilter:
    """A condition ready to run on events of one source."""

    text: str | None
    predicate: Predicate
    plan: ExtractionPlan

    def matches(self, context: EventContext) -> bool:
        return self.predicate(context)


class _Compiler:
    def __init__(self, table: FieldTable, plan: ExtractionPlan,
                 lists: dict[str, tuple[str, ...]] | None = None):
        self.table = table
        self.plan = plan
        self.lists = lists or {}

    def node(self, node: Node) -> Predicate:
        if isinstance(node, And):
            parts = [self.node(child) for child in node.children]
            return lambda c: all(p(c) for p in parts)
        if isinstance(node, Or):
            parts = [self.node(child) for child in node.children]
            return lambda c: any(p(c) for p in parts)
        if isinstance(node, Not):
            inner = self.node(node.child)
            return lambda c: not inner(c)
        if isinstance(node, Identifier):
            raise FilterError(f"unexpected identifier '{node.name}'", node.position, "FILTER-COMPILE")
        return self.check(node)

    def resolve(self, check: Check) -> tuple[ResolvedField, str]:
        name, arg = check.field.name, check.field.arg
        resolved = self.table.resolve(name)
        if resolved is None:
            raise FilterError(f"filter_check called with nonexistent field {check.field.text()}", check.position,
                              "FILTER-COMPILE")
        if resolved.builtin is not None and arg is not None:
            raise FilterError(f"{name} does not allow nor require an argument but one is provided: {arg}",
                              check.position, "FILTER-COMPILE")
        if resolved.arg_required and not arg:
            raise FilterError(f"{name} requires an argument but none provided", check.position, "FILTER-COMPILE")
        return resolved, arg or ""

    def check(self, check: Check) -> Predicate:
        resolved, arg = self.resolve(check)
        op = check.op
        numeric = resolved.type == FieldType.UINT64
        allowed = NUMERIC_OPERATORS if numeric else STRING_OPERATORS
        if op not in allowed:
            kind = "numeric" if numeric else "string"
            raise FilterError(f"'{op}' operator not supported for {kind} filters", check.position, "FILTER-COMPILE")
        self.plan.add(resolved, arg)
        if op == "exists":
            return lambda c: c.value(resolved, arg) is not None
        rhs = self.rhs(check)
        if numeric:
            converted = [_to_uint64(v, check.position) for v in rhs] if isinstance(rhs, tuple) else \
                _to_uint64(rhs, check.position)
            test = _numeric_test(op, converted)
        else:
            test = _string_test(op, rhs, check.position)

        def predicate(context: EventContext) -> bool:
            value = context.value(resolved, arg)
            return value is not None and test(value)

        return predicate

    def rhs(self, check: Check) -> str | tuple[str, ...]:
        value = check.value
        if isinstance(value, ListValue):
            return value.items
        if isinstance(value, Identifier):
            if value.name not in self.lists:
                raise FilterError(f"unexpected identifier '{value.name}'", value.position, "FILTER-COMPILE")
            return self.lists[value.name]
        return value


def compile_filter(node: Node, table: FieldTable, plan: ExtractionPlan | None = None, *,
                   text: str | None = None, lists: dict[str, tuple[str, ...]] | None = None) -> CompiledFilter:
    """Compile `node` for the fields of `table`; what it extracts is added to `plan`."""
    plan = plan if plan is not None else ExtractionPlan()
    depth = tree_depth(node)  # FILTER-DEPTH: the same limit as the parser's
    with room_for_depth():
        predicate = _Compiler(table, plan, lists).node(node)
    if depth > _SHALLOW:
        shallow = predicate

        def predicate(context: EventContext) -> bool:
            with room_for_depth():
                return shallow(context)
    return CompiledFilter(text, predicate, plan)
