"""Compiling a condition against the fields of a source, and evaluating it on events.

Compile time (clause FILTER-COMPILE): every field must exist for the source (exact name), take an
argument when it requires one, and support the operator for its type (clause FILTER-TYPES);
right-hand values are converted to the field's type (`abc is not a valid number`), regexes are
compiled with RE2 (clause FILTER-REGEX), transformers are checked (clause FILTER-TRANSFORMERS),
right-hand fields must have the left side's type (clause FILTER-VAL). Suspicious constants give
warnings, not errors (clause FILTER-WARNINGS).

Evaluation (clause FILTER-MISSING-VALUE): a left or right side with no value makes its check false
for every operator, `!=` and `exists` included; `not` applies afterwards. Operators (clause
FILTER-OPERATORS) behave as libsinsp's: strcmp-like comparisons on bytes, ASCII case folding,
fnmatch globs, full-match regexes, component-wise path prefixes for pmatch.

Every check is compiled the same way: its left side to an `Operand` (a field or a transformer,
giving a value, a tuple for lists, or None), its right side to the values to compare with
(constants converted once, or a right-hand operand read per event), and one test per value.
The whole condition then becomes the source of one Python function, `condition(context)`, whose
expressions read each field from the event's value table (asking it only when reached), compare
it in place where the operator is one of Python's comparisons (else call the tests by name), and
combine checks with Python's `and`, `or` and `not`, which stop early as libsinsp does
(`CompiledFilter.source`; `plugref inspect --explain FILTER` prints it).
"""
from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from reference.contract.field_types import AnyFieldType
from reference.host.event_fields import EventContext, ExtractionPlan, FieldRequest, FieldTable, ResolvedField
from reference.filter.ast import (And, Check, FieldRef, Identifier, ListValue, Literal, Node, Not, Or, Transformer,
                                  to_text)
from reference.filter.depth import room_for_depth, tree_depth
from reference.filter.errors import FilterError, Position
from reference.filter.lexer import FIELD_NAME, MULTI_TRANSFORMERS, TRANSFORMERS, VAL
from reference.filter import transformers
from reference.filter.transformers import Shape, TransformerTypeError, type_name

#: libsinsp's PT_BYTEBUF: no plugin field has it, but the buffer operators are defined on it.
BYTEBUF = 7
NUMERIC_TYPES = {AnyFieldType.UINT64, AnyFieldType.RELTIME, AnyFieldType.ABSTIME}
IP_TYPES = {AnyFieldType.IPADDR, AnyFieldType.IPNET}

#: Trees up to this depth evaluate within any recursion limit; deeper ones get room first.
_SHALLOW = 100

STRING_OPERATORS = {"=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "startswith", "endswith",
                    "glob", "iglob", "in", "intersects", "pmatch", "regex", "exists"}
NUMERIC_OPERATORS = {"=", "==", "!=", "<", "<=", ">", ">=", "in", "intersects", "exists"}
BOOL_OPERATORS = {"=", "==", "!=", "in", "intersects", "exists"}
IP_OPERATORS = {"=", "==", "!=", "in", "intersects", "exists"}
BUFFER_OPERATORS = {"=", "==", "!=", "contains", "bcontains", "startswith", "bstartswith", "endswith", "in",
                    "intersects", "exists"}
LIST_FIELD_OPERATORS = {"in", "intersects", "exists"}
LIST_OPERATORS = {"in", "intersects", "pmatch"}
#: libsinsp's upper-case operator names (`to_string(cmpop)`), for the right-hand field messages
OPERATOR_NAMES = {"=": "EQ", "==": "EQ", "!=": "NE", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE",
                  "contains": "CONTAINS", "icontains": "ICONTAINS", "bcontains": "BCONTAINS", "startswith": "STARTSWITH",
                  "bstartswith": "BSTARTSWITH", "endswith": "ENDSWITH", "glob": "GLOB", "iglob": "IGLOB", "in": "IN",
                  "intersects": "INTERSECTS", "pmatch": "PMATCH", "regex": "REGEX"}

Predicate = Callable[[EventContext], bool]
Test = Callable[[object], bool]


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


def _bracket(pattern: str, start: int) -> tuple[str, int] | None:
    """The regex for the fnmatch bracket expression opening at `start`, and the index of its `]`;
    None when no `]` closes it (then the `[` is an ordinary character). As glibc reads it: `!` or `^`
    first negates, a `]` first is a member, a backslash makes the next character a member, `a-z` is a
    range (an empty one when reversed)."""
    i = start + 1
    negated = i < len(pattern) and pattern[i] in "!^"
    i += negated
    members: list[tuple[str, bool]] = []  # (character, escaped)
    while True:
        if i >= len(pattern):
            return None
        c = pattern[i]
        if c == "]" and members:
            break
        if c == "\\":
            i += 1
            if i == len(pattern):
                return None
            members.append((pattern[i], True))
        else:
            members.append((c, False))
        i += 1
    parts, k = [], 0
    while k < len(members):
        low = members[k][0]
        if k + 2 < len(members) and members[k + 1] == ("-", False):
            high = members[k + 2][0]
            if low <= high:
                parts.append(f"{re.escape(low)}-{re.escape(high)}")
            k += 3
        else:
            parts.append(re.escape(low))
            k += 1
    if not parts:  # only reversed ranges: a class without members
        return ("." if negated else "(?!)"), i
    return f"[{'^' if negated else ''}{''.join(parts)}]", i


def glob_to_regex(pattern: str, casefold: bool = False) -> re.Pattern:
    """fnmatch(3) with no flags: `*` and `?` also match `/`, `[...]` classes, backslash escapes (a trailing
    backslash matches nothing, a `[` that no `]` closes is literal)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "\\":
            if i + 1 == len(pattern):
                return re.compile("(?!)")  # fnmatch: a trailing backslash matches nothing
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[" and (bracket := _bracket(pattern, i)) is not None:
            regex, i = bracket
            out.append(regex)
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE | re.ASCII if casefold else 0))


def compile_regex(pattern: str, position=None):
    """RE2 with libsinsp's `RE2::POSIX` options (POSIX syntax, leftmost-longest); FilterError when RE2 refuses."""
    import re2  # here, not at start-up: only the regex operator needs it

    options = re2.Options()
    options.posix_syntax = True
    options.longest_match = True
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        reason = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        raise FilterError(f"invalid regex pattern: {reason}", position, "FILTER-REGEX") from None


def _path_prefix_of(prefix: str, value: str) -> bool:
    prefix = prefix.rstrip("/") or "/"
    return value == prefix or value.startswith(prefix if prefix.endswith("/") else prefix + "/")


#: The operators whose test of one value against a constant is one of Python's comparisons: all
#: of them on numbers (and bools), the equalities on strings (whose ordering compares bytes). The
#: condition's source writes these in place (`v1 > 100`, `v2 in {'nginx', 'sshd'}`); the tests
#: made for the other paths (lists, modifiers, right-hand fields) are the same comparisons.
PYTHON_COMPARISONS = {"=": "==", "==": "==", "in": "==", "intersects": "==", "!=": "!=",
                      "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_STRING_COMPARISONS = {"=", "==", "in", "intersects", "!="}
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge}


def _comparison_test(op: str, rhs) -> Callable[[object], bool]:
    compare = _COMPARE[PYTHON_COMPARISONS[op]]
    return lambda v: compare(v, rhs)


def written_in_place(op: str, field_type: int) -> str | None:
    """The Python comparison a check of `op` on a `field_type` value against constants is, or
    None when its test is more than one comparison."""
    if field_type in NUMERIC_TYPES or field_type == AnyFieldType.BOOL:
        return PYTHON_COMPARISONS.get(op)
    if field_type == AnyFieldType.STRING and op in _STRING_COMPARISONS:
        return PYTHON_COMPARISONS[op]
    return None


def _string_test(op: str, rhs, position) -> Callable[[str], bool]:
    if op in _STRING_COMPARISONS:
        return _comparison_test(op, rhs)
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
        regex = compile_regex(rhs, position)
        return lambda v: regex.fullmatch(v) is not None
    if op == "pmatch":
        return lambda v: _path_prefix_of(rhs, v)
    raise AssertionError(op)


def _numeric_test(op: str, rhs) -> Callable[[int], bool]:
    return _comparison_test(op, rhs)


def _ip_test(op: str, field_type: int, rhs) -> Test:
    """Addresses compare by equality, networks by containment; another IP family never matches, not even `!=`."""
    if field_type == AnyFieldType.IPNET:
        def holds(v):
            return rhs.version == v.version and v.network_address in rhs
    else:
        def holds(v):
            return rhs.version == v.version and v == rhs
    if op == "!=":
        return lambda v: rhs.version == v.version and not holds(v)
    return holds


def _buffer_test(op: str, rhs: bytes) -> Test:
    return {"=": lambda v: v == rhs, "==": lambda v: v == rhs, "in": lambda v: v == rhs,
            "intersects": lambda v: v == rhs, "!=": lambda v: v != rhs, "contains": lambda v: rhs in v,
            "bcontains": lambda v: rhs in v, "startswith": lambda v: v.startswith(rhs),
            "bstartswith": lambda v: v.startswith(rhs), "endswith": lambda v: v.endswith(rhs)}[op]


def value_test(op: str, field_type: int, rhs, position=None) -> Test:
    """The test one left-hand value must pass against one right-hand value of the same type."""
    if field_type in NUMERIC_TYPES or field_type == AnyFieldType.BOOL:
        return _numeric_test(op, rhs)
    if field_type in IP_TYPES:
        return _ip_test(op, field_type, rhs)
    if field_type == BYTEBUF:
        return _buffer_test(op, rhs)
    return _string_test(op, rhs, position)


def operators_for(shape: Shape) -> tuple[set[str], str]:
    """The operators a left side supports, and the name libsinsp's refusal gives it (`flt_is_comparable`)."""
    if shape.is_list:
        return LIST_FIELD_OPERATORS, "list"
    if shape.type in NUMERIC_TYPES:
        return NUMERIC_OPERATORS, "numeric"
    if shape.type == AnyFieldType.BOOL:
        return BOOL_OPERATORS, "numeric"  # libsinsp reuses the numeric text for bool
    if shape.type in IP_TYPES:
        return IP_OPERATORS, "ip address and network"
    if shape.type == BYTEBUF:
        return BUFFER_OPERATORS, "buffer"
    return STRING_OPERATORS, "string"


def convert(text: str, shape: Shape, op: str, position) -> object:
    """A right-hand constant as a value of the left side's (element) type (libsinsp's value_parser)."""
    if "\0" in text:
        raise FilterError("filter value cannot contain a NUL byte (\\x00)", position, "FILTER-COMPILE")
    kind = shape.type
    if kind in NUMERIC_TYPES:
        return _to_uint64(text, position)
    if kind == AnyFieldType.BOOL:
        if text not in ("true", "false"):
            raise FilterError(f"unrecognized boolean value {text}", position, "FILTER-TYPES")
        return text == "true"
    if kind == AnyFieldType.IPADDR:
        try:
            return ipaddress.ip_address(text)
        except ValueError:
            raise FilterError(f"unrecognized IP address {text}", position, "FILTER-TYPES") from None
    if kind == AnyFieldType.IPNET:
        try:
            if "/" not in text:
                raise ValueError(text)
            return ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise FilterError(f"unrecognized IP network {text}", position, "FILTER-TYPES") from None
    if kind == BYTEBUF:
        if op in ("bcontains", "bstartswith"):
            if len(text) % 2 or not re.fullmatch(r"[0-9a-fA-F]*", text):
                raise FilterError("bcontains and bstartswith operator support hex strings only", position,
                                  "FILTER-TYPES")
            return bytes.fromhex(text)
        return text.encode()
    return text


@dataclass
class Operand:
    """A compiled side of a check: a field or a transformer, with the shape of what it gives."""

    text: str
    shape: Shape
    #: the value for an event: a scalar, a tuple for a list, or None for no value
    value: Callable[[EventContext], object]
    #: the plain fields it reads (JSON output lists them)
    fields: tuple[FieldRef, ...] = ()
    #: for a plain field, its prepared request (compiled code reads its value from the event's table)
    request: FieldRequest | None = None


def field_is_list(resolved: ResolvedField) -> bool:
    return bool(resolved.info is not None and getattr(resolved.info, "is_list", False))


@dataclass
class CompiledFilter:
    """A condition ready to run on events of one source: one Python function, `predicate`, made
    from the generated `source` (what `plugref inspect --explain` prints) run in `namespace` (the
    requests, tests and operands it names)."""

    text: str | None
    predicate: Predicate
    plan: ExtractionPlan
    #: what libsinsp warns about while compiling (clause FILTER-WARNINGS)
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    namespace: dict = field(default_factory=dict)

    def matches(self, context: EventContext) -> bool:
        return self.predicate(context)


class OperandCompiler:
    """Fields and transformers against a field table; also used by output formats."""

    def __init__(self, table: FieldTable, plan: ExtractionPlan):
        self.table = table
        self.plan = plan

    def resolve(self, ref: FieldRef, position) -> ResolvedField:
        name, arg = ref.name, ref.arg
        resolved = self.table.resolve(name)
        if resolved is None:
            raise FilterError(f"filter_check called with nonexistent field {ref.text()}", position, "FILTER-COMPILE")
        if resolved.builtin is not None and arg is not None:
            raise FilterError(f"{name} does not allow nor require an argument but one is provided: {arg}",
                              position, "FILTER-COMPILE")
        if resolved.arg_required and not arg:
            raise FilterError(f"{name} requires an argument but none provided", position, "FILTER-COMPILE")
        argument_error = getattr(resolved.info, "argument_error", None)  # 3.x fields (V3-FIELD-ARGS)
        error = argument_error(arg) if argument_error is not None else None
        if error:
            raise FilterError(error, position, "V3-FIELD-ARGS")
        return resolved

    def operand(self, node: FieldRef | Transformer | Literal, position) -> Operand:
        if isinstance(node, Literal):
            constant = node.value
            return Operand(node.text(), Shape(AnyFieldType.STRING), lambda c: constant)
        if isinstance(node, FieldRef):
            resolved = self.resolve(node, position)
            arg = node.arg or ""
            request = self.plan.add(resolved, arg)
            shape = Shape(int(resolved.type), field_is_list(resolved))
            return Operand(node.text(), shape, request.value_in, (node,), request)
        return self.transformer(node, position)

    def transformer(self, node: Transformer, position) -> Operand:
        name = node.name
        if name == VAL:
            raise FilterError("'val' can only be used on the right-hand side of a check", position,
                              "FILTER-VAL")
        inner = [self.operand(operand, position) for operand in node.operands]
        fields = tuple(f for operand in inner for f in operand.fields)
        try:
            if name in MULTI_TRANSFORMERS:
                shape = transformers.multi_shape(name, [o.shape for o in inner], node.arg)
            else:
                if node.arg is not None:
                    raise TransformerTypeError(f"transformer '{name}' does not support field arguments")
                shape = transformers.single_shape(name, inner[0].shape, inner[0].text)
        except TransformerTypeError as exc:
            raise FilterError(str(exc), position, "FILTER-TRANSFORMERS") from None
        if name not in MULTI_TRANSFORMERS:
            single = inner[0]

            def value(context):
                got = single.value(context)
                return None if got is None else transformers.apply_single(name, got)
        else:
            arg = node.arg

            def value(context):
                values = [operand.value(context) for operand in inner]
                if any(v is None for v in values):
                    return None
                return transformers.apply_multi(name, values, arg)
        return Operand(node.text(), shape, value, fields)


#: A generated function holds at most this many levels of `and`/`or`/`not` and this many children
#: of one `and`/`or`; deeper or wider parts become functions of their own, so that any condition
#: within FILTER-DEPTH compiles and runs within Python's limits on nesting.
_LEVELS_PER_FUNCTION = 24
_CHILDREN_PER_FUNCTION = 64
#: A check with up to this many right-hand constants names each test in the source; a longer list
#: is one list of tests, which `_any_passes` tries in turn.
_INLINE_TESTS = 8


def _comment(text: str) -> str:
    """`text` as one line of a comment (what is not printable, escaped)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _identifier(text: str) -> str:
    return re.sub(r"\W", "_", text, flags=re.ASCII).strip("_") or "operand"


class _Compiler(OperandCompiler):
    """Compiles a condition to the source of one Python function, `condition(context)`.

    Each check is an expression over the event's value table (`kept`, by request slot): the left
    value is read, or asked once with `value(request)` (lazy extraction: only when the check is
    reached), then tested; `and`, `or` and `not` are Python's, which stop at the first child that
    decides, as libsinsp does. Tests, operands and requests are named in the function's namespace.
    """

    def __init__(self, table: FieldTable, plan: ExtractionPlan):
        super().__init__(table, plan)
        self.warnings: list[str] = []
        self.namespace: dict[str, object] = {}
        self.legend: list[str] = []
        self.functions: list[str] = []
        self.requests: dict[int, str] = {}  # id of a request -> its name
        self.checks = 0

    def name(self, hint: str, value: object, what: str) -> str:
        """A new name in the namespace for `value`, explained in the legend."""
        name = f"{_identifier(hint)}_{len(self.namespace)}"
        self.namespace[name] = value
        self.legend.append(f"#   {name}: {_comment(what)}")
        return name

    def source(self, node: Node) -> str:
        """The module text: the legend, the helper functions, then `condition`."""
        body = self.function("condition", node)
        legend = ["# Names used below:", *self.legend] if self.legend else []
        return "\n".join([*legend, *self.functions, body]) + "\n"

    def function(self, name: str, node: Node) -> str:
        expression = self.expression(node, 0, "        ")
        return (f"def {name}(context):\n    kept, value = context.kept, context.value\n"
                f"    return (\n        {expression}\n    )\n")

    def helper(self, node: Node) -> str:
        """`node` as a function of its own; the call that stands for it."""
        name = f"part_{len(self.functions) + 1}"
        index = len(self.functions)
        self.functions.append("")  # its number is taken now: the parts inside it get the next ones
        self.functions[index] = self.function(name, node)
        return f"{name}(context)"

    def expression(self, node: Node, level: int, indent: str) -> str:
        if isinstance(node, (And, Or, Not)) and level >= _LEVELS_PER_FUNCTION:
            return self.helper(node)
        if isinstance(node, (And, Or)):
            children = list(node.children)
            joiner = "and" if isinstance(node, And) else "or"
            if len(children) > _CHILDREN_PER_FUNCTION:
                step = _CHILDREN_PER_FUNCTION
                groups = [children[i:i + step] for i in range(0, len(children), step)]
                parts = [self.helper(type(node)(tuple(group))) if len(group) > 1 else
                         self.expression(group[0], level + 1, indent + "    ") for group in groups]
            else:
                parts = [self.expression(child, level + 1, indent + "    ") for child in children]
            inner = indent + "    "
            return "(\n" + inner + f"\n{inner}{joiner}\n{inner}".join(parts) + f"\n{indent})"
        if isinstance(node, Not):
            inner = indent + "    "
            return f"(not (\n{inner}{self.expression(node.child, level + 1, inner)}\n{indent}))"
        if isinstance(node, Identifier):
            raise FilterError(f"unexpected identifier '{node.name}'", node.position, "FILTER-COMPILE")
        return self.check(node, indent)

    def value_source(self, operand: Operand) -> str:
        """The expression giving an operand's value: a plain field from the value table (asked
        when not there yet), anything else through its compiled function."""
        request = operand.request
        if request is not None:
            name = self.requests.get(id(request))
            if name is None:
                name = self.requests[id(request)] = self.name(
                    request.resolved.name, request, f"the request for {operand.text} (its value: kept[{request.slot}])")
            return f"(kept[{request.slot}] if {request.slot} in kept else value({name}))"
        name = self.name(operand.text, operand.value, f"the value of {operand.text}")
        return f"{name}(context)"

    def check(self, check: Check, indent: str = "        ") -> str:
        left = self.operand(check.field, check.position)
        op = check.op
        allowed, kind = operators_for(left.shape)
        if op not in allowed:
            # libsinsp's list text lacks its "for".
            where = "list filters" if kind == "list" else f"for {kind} filters"
            raise FilterError(f"'{op}' operator not supported {where}", check.position, "FILTER-COMPILE")
        self.checks += 1
        written = _comment(to_text(check))
        label = f"# {written}"
        value = self.value_source(left)
        if op == "exists":
            return f"{label}\n{indent}({value} is not None)"
        variable = f"v{self.checks}"
        combine = _combiner(op, check.modifier, left.shape.is_list)
        # Right-hand constants are converted once (constant_values); a right-hand field per event (tests_for).
        if isinstance(check.value, Transformer):
            tests_for = self.name("tests", self.field_tests(check, left),
                                  f"the tests of the right-hand side of {written}, per event")
            combined = self.name("combine", combine, f"how the tests of {written} make one verdict")
            verdict = f"(tests := {tests_for}(context)) is not None and {combined}({variable}, tests)"
        else:
            values = self.constant_values(check, left)
            comparison = written_in_place(op, left.shape.type) if combine is _any_passes else None
            tests = [] if comparison is not None else \
                [value_test(op, left.shape.type, value, check.position) for value in values]
            if comparison is not None:
                verdict = _comparison_source(variable, comparison, values)
            elif combine is _any_passes and len(tests) <= _INLINE_TESTS:
                names = [self.name(f"test{self.checks}", test, f"the test of {written} against {text!r}")
                         for test, text in zip(tests, self.rhs(check))]
                # An empty list has no test to pass: the check is false.
                verdict = "(" + " or ".join(f"{name}({variable})" for name in names) + ")" if names else "False"
            else:
                names = self.name(f"tests{self.checks}", tests, f"the tests of {written}")
                combined = self.name("combine", combine, f"how the tests of {written} make one verdict")
                verdict = f"{combined}({variable}, {names})"
        # FILTER-MISSING-VALUE: no left value, the check is false whatever the operator.
        return f"{label}\n{indent}(({variable} := {value}) is not None and {verdict})"

    def constant_values(self, check: Check, left: Operand) -> list[object]:
        """The right-hand constants, each converted to the left side's type once."""
        texts = self.rhs(check)
        if not isinstance(check.value, (ListValue, Identifier)):
            self.warn_about_constant(check, texts[0])
        element = Shape(left.shape.type)
        return [convert(t, element, check.op, self.value_position(check, i)) for i, t in enumerate(texts)]

    def field_tests(self, check: Check, left: Operand) -> Callable[[EventContext], list[Test] | None]:
        """One test per value of the right-hand field in each event; None when it has no value."""
        right = self.right_operand(check, left)
        scalar = check.op not in LIST_OPERATORS and not left.shape.is_list

        def tests_for(context: EventContext) -> list[Test] | None:
            other = right.value(context)
            if other is None:
                return None
            others = other if right.shape.is_list else (other,)
            if scalar:
                others = others[:1]  # a scalar operator compares with the first value
            return [value_test(check.op, left.shape.type, o, check.position) for o in others]

        return tests_for

    def right_operand(self, check: Check, left: Operand) -> Operand:
        """val(field) or a transformer on the right-hand side (clause FILTER-VAL)."""
        node = check.value
        if check.op in ("pmatch", "regex"):
            raise FilterError(f"operator '{OPERATOR_NAMES[check.op]}' doesn't support right-hand side fields",
                              check.position, "FILTER-VAL")
        if left.shape.type == AnyFieldType.IPNET:
            raise FilterError("field type 'IPNET' doesn't support right-hand side fields", check.position,
                              "FILTER-VAL")
        right = self.operand(node.operands[0], check.position) if node.name == VAL else \
            self.transformer(node, check.position)
        if right.shape.type != left.shape.type:
            raise FilterError(f"field '{left.text}' has type '{type_name(left.shape.type)}' while the right-hand "
                              f"side field '{right.text}' has incompatible type '{type_name(right.shape.type)}'",
                              check.position, "FILTER-VAL")
        return right

    @staticmethod
    def value_position(check: Check, index: int):
        """Where value `index` of the check starts (the check's own position when unknown)."""
        positions = check.value_positions
        return positions[index] if index < len(positions) else check.position

    def rhs(self, check: Check) -> tuple[str, ...]:
        value = check.value
        if isinstance(value, ListValue):
            return value.items
        if isinstance(value, Identifier):
            # The Falco layer expands the lists it knows before compiling (RULES-LISTS): a name left is unknown.
            raise FilterError(f"unexpected identifier '{value.name}'", value.position, "FILTER-COMPILE")
        return (value,)

    def warn_about_constant(self, check: Check, text: str) -> None:
        """libsinsp's warnings on a single constant value (clause FILTER-WARNINGS)."""
        name = re.fullmatch(f"({FIELD_NAME.pattern})" + r"(\[.*\])?", text)
        if name and self.table.resolve(name.group(1)) is not None:
            self.warnings.append(f"'{text}' may be a valid field misused as a const string value")
        elif re.fullmatch("(" + "|".join((VAL,) + TRANSFORMERS) + r")\(.*\)", text, re.DOTALL):
            self.warnings.append(f"'{text}' may be a valid field transformer misused as a const string value")
        if check.op == "regex" and not re.search(r"[\\.+*?()|\[\]{}^$]", text):
            self.warnings.append(f"regex check with '{text}' may be optimized with simpler operators such as "
                                 "'=', 'contains', 'startswith', 'endswith'")


def _combiner(op: str, modifier: str | None, left_is_list: bool) -> Callable[[object, list[Test]], bool]:
    """How the tests of the right-hand values make one verdict (FILTER-MODIFIERS, FILTER-TYPES for lists)."""
    if left_is_list:
        if op == "in":  # every element is one of the values
            return lambda values, tests: all(any(t(v) for t in tests) for v in values)
        return lambda values, tests: any(t(v) for v in values for t in tests)
    if modifier == "oneof":
        return lambda value, tests: sum(1 for t in tests if t(value)) == 1
    if modifier == "allof":
        return lambda value, tests: all(t(value) for t in tests)
    # anyof, list operators, and a scalar operator with its single value
    return _any_passes


def _comparison_source(variable: str, comparison: str, values: list[object]) -> str:
    """`variable` compared with the constants `values` in Python source, the constants written
    as literals (their reprs are Python literals: str, int and bool); several values are a
    membership test of a set, which Python builds once, at compile time."""
    if not values:
        return "False"  # an empty list has no value to equal
    if len(values) == 1:
        return f"({variable} {comparison} {values[0]!r})"
    # Only the list operators take several constants, and those written in place (in,
    # intersects) are equalities.
    return f"({variable} in {{{', '.join(dict.fromkeys(repr(v) for v in values))}}})"


def _any_passes(value, tests: list[Test]) -> bool:
    """Does `value` pass one of `tests`? (a loop: cheaper than any() over a generator, per event)"""
    for test in tests:
        if test(value):
            return True
    return False


def compile_filter(node: Node, table: FieldTable, plan: ExtractionPlan | None = None, *,
                   text: str | None = None) -> CompiledFilter:
    """Compile `node` for the fields of `table`; what it extracts is added to `plan`."""
    plan = plan if plan is not None else ExtractionPlan()
    depth = tree_depth(node)  # FILTER-DEPTH: the same limit as the parser's
    compiler = _Compiler(table, plan)
    with room_for_depth():
        source = compiler.source(node)
    namespace = dict(compiler.namespace)
    exec(compile(source, "<condition>", "exec"), namespace)
    predicate = namespace["condition"]
    if depth > _SHALLOW:  # transformers nested deeply evaluate recursively
        shallow = predicate

        def predicate(context: EventContext) -> bool:
            with room_for_depth():
                return shallow(context)
    return CompiledFilter(text, predicate, plan, compiler.warnings, source, compiler.namespace)
