"""Recursive-descent parser of the condition language (clause FILTER-GRAMMAR).

    Expr  := Or
    Or    := And ( 'or' (BLANK | before '(') And )*
    And   := Not ( 'and' (BLANK | before '(') Not )*
    Not   := ('not' BLANK+ | 'not' before '(')* Check          an even number of nots cancels
    Check := '(' Expr ')' | FieldOrTr Condition | Identifier
    Field := FieldName ( '[' (QuotedStr | BareArg) ']' )?
    FieldOrTr := Field | Tr
    Tr    := TrName '(' (Field | Tr) ')' Arg?                  tolower toupper b64 basename len
           | MultiName '(' Operand (',' Operand)* ')' Arg?     join concat getopt; Operand: Field | Tr | QuotedStr
    Val   := 'val(' Field ')'
    Condition := 'exists' | NumOp (Number | Val | Tr) | StrOp (QuotedStr | BareStr | Val | Tr)
               | StrOp Modifier ('(' [Item (',' Item)*] ')' | Identifier)
               | ListOp ( '(' [Item (',' Item)*] ')' | Val | Tr | Identifier )

A transformer name must touch its `(`; blanks are allowed inside the brackets. A modifier word
(`oneof`, `anyof`, `allof`) not followed by a list or a list name is a plain value.

Precedence is not > and > or. A run of `and` (or `or`) becomes one node with all its operands;
brackets make nested nodes. Older parsers (libsinsp before 0.10, so sysdig 0.29) refuse `and` and
`or` mixed without brackets; this one follows the current grammar (clause FILTER-MIXED-ANDOR).
"""
from __future__ import annotations

from reference.filter.depth import MAX_DEPTH, depth_error, room_for_depth, tree_depth
from reference.filter.ast import (And, Check, FieldRef, Identifier, ListValue, Literal, Node, Not, Operand, Or,
                                  Transformer)
from reference.filter.errors import FilterError
from reference.filter.lexer import (BARE_ARGUMENT, BARE_STRING, FIELD_NAME, IDENTIFIER, LIST_OPERATORS, MODIFIERS,
                                    MULTI_TRANSFORMERS, NUMBER, NUMERIC_OPERATORS, TRANSFORMERS, VAL, Cursor)


_OPERATOR_LIST = ("'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', "
                  "'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'")
#: libsinsp lists `val` among the transformers in its messages, even where val is not allowed.
TRANSFORMER_LIST = ", ".join(f"'{name}'" for name in (VAL,) + TRANSFORMERS)


class _Parser:
    def __init__(self, text: str, max_depth: int):
        self.cursor = Cursor(text)
        self.depth = 0
        self.max_depth = max_depth

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise depth_error(self.cursor.position(), self.max_depth)  # at the bracket that passes the limit

    def parse(self) -> Node:
        if not self.cursor.text.strip(" \t\b\r\n"):
            raise FilterError("filter input string is empty", None, "FILTER-GRAMMAR")
        self.cursor.blank()
        node = self.expr()
        self.cursor.blank()
        if not self.cursor.at_end():
            raise self.cursor.error(f"unexpected token after '{self.cursor.last_token}', expecting 'or', 'and'")
        return node

    def expr(self) -> Node:
        return self._chain("or", Or, self._and)

    def _and(self) -> Node:
        return self._chain("and", And, self._not)

    def _chain(self, keyword: str, kind, operand) -> Node:
        children = [operand()]
        while True:
            self.cursor.blank()
            if not self.cursor.peek(keyword):
                break
            keyword_at = self.cursor.idx
            self.cursor.literal(keyword)
            if not self.cursor.blank() and not self.cursor.peek("("):
                raise self.cursor.error(f"expected blank or '(' after '{keyword}'", keyword_at)
            children.append(operand())
        return children[0] if len(children) == 1 else kind(tuple(children))

    def _not(self) -> Node:
        negate = False
        while self.cursor.peek("not"):
            after = self.cursor.idx + 3
            text = self.cursor.text
            if after < len(text) and (text[after] in " \t\b\r\n" or text[after] == "("):
                self.cursor.literal("not")
                self.cursor.blank()
                negate = not negate
            else:
                break  # "notb" and the like are identifiers
        return Not(self._check()) if negate else self._check()

    def _check(self) -> Node:
        cursor = self.cursor
        if cursor.literal("("):
            self._enter()
            cursor.blank()
            node = self.expr()
            cursor.blank()
            if not cursor.literal(")"):
                raise cursor.error("expected a ')' token")
            self.depth -= 1
            return node
        start = cursor.idx
        name = cursor.regex(FIELD_NAME)
        if name is not None:
            field = FieldRef(name, self._argument())
            return self._condition(field, start)
        transformer = self.transformer()
        if transformer is not None:
            return self._condition(transformer, start)
        identifier = cursor.regex(IDENTIFIER)
        if identifier is not None:
            return Identifier(identifier, cursor.position(start))
        raise cursor.error("expected a '(' token, a field check, or an identifier")

    def _argument(self) -> str | None:
        cursor = self.cursor
        if not cursor.literal("["):
            return None
        arg = cursor.quoted_string()
        if arg is None:
            arg = cursor.regex(BARE_ARGUMENT)
        if arg is None:
            raise cursor.error("expected a valid field argument: a quoted string or a bare string")
        if not cursor.literal("]"):
            raise cursor.error("expected a ']' token")
        return arg

    def transformer(self) -> Transformer | None:
        """A transformer expression starting here (clause FILTER-TRANSFORMERS), or None if none starts here."""
        cursor = self.cursor
        name = cursor.transformer_name(TRANSFORMERS)
        if name is None:
            return None
        self._enter()
        cursor.blank()
        if name in MULTI_TRANSFORMERS:
            operands = [self._multi_operand()]
            cursor.blank()
            while cursor.literal(","):
                cursor.blank()
                operands.append(self._multi_operand())
                cursor.blank()
        else:
            operands = [self._single_operand()]
            cursor.blank()
        if not cursor.literal(")"):
            raise cursor.error("expected a ')' token closing the transformer")
        self.depth -= 1
        return Transformer(name, tuple(operands), self._argument())

    def _single_operand(self) -> Operand:
        name = self.cursor.regex(FIELD_NAME)
        if name is not None:
            return FieldRef(name, self._argument())
        nested = self.transformer()
        if nested is None:
            raise self.cursor.error(f"expected a field or a nested valid transformer: {TRANSFORMER_LIST}")
        return nested

    def _multi_operand(self) -> Operand:
        literal = self.cursor.quoted_string()
        if literal is not None:
            return Literal(literal)
        name = self.cursor.regex(FIELD_NAME)
        if name is not None:
            return FieldRef(name, self._argument())
        nested = self.transformer()
        if nested is None:
            raise self.cursor.error(f"expected a field, a nested valid transformer or a quoted string: "
                                    f"{TRANSFORMER_LIST}")
        return nested

    def _value_transformer(self) -> Transformer | None:
        """`val(field)` or a transformer on the right-hand side; None if neither starts here."""
        cursor = self.cursor
        if cursor.transformer_name((VAL,)) is None:
            return self.transformer()
        cursor.blank()
        name = cursor.regex(FIELD_NAME)
        if name is None:
            raise cursor.error(f"expected a field within '{VAL}' transformer")
        field = FieldRef(name, self._argument())
        cursor.blank()
        if not cursor.literal(")"):
            raise cursor.error("expected a ')' token closing the transformer")
        return Transformer(VAL, (field,))

    def _modifier(self) -> tuple[str, ListValue | Identifier] | None:
        """`oneof (...)` and the like; None (nothing consumed) when the word is a plain value."""
        cursor = self.cursor
        for word in MODIFIERS:
            after = cursor.idx + len(word)
            if not cursor.peek(word) or after >= len(cursor.text) or cursor.text[after] not in " \t\b\r\n(":
                continue
            saved = cursor.idx, cursor.last_token
            cursor.idx = after
            cursor.blank()
            if cursor.literal("("):
                return word, ListValue(self._list_items())
            name_at = cursor.idx
            name = cursor.regex(IDENTIFIER)
            if name is not None and name not in ("and", "or", "not"):
                return word, Identifier(name, cursor.position(name_at))
            cursor.idx, cursor.last_token = saved
        return None

    def _condition(self, field: FieldRef | Transformer, start: int) -> Check:
        cursor = self.cursor
        cursor.blank()
        op_at = cursor.idx
        op = cursor.operator()
        position = cursor.position(start)
        if op is None:
            raise cursor.error(f"expected a valid check operator: one of {_OPERATOR_LIST}", op_at)
        if op == "exists":
            return Check(field, op, None, position)
        cursor.blank()
        value_at = cursor.idx
        if op in NUMERIC_OPERATORS:
            value = self._value_transformer() or cursor.regex(NUMBER)
            if value is None:
                raise cursor.error(f"expected a number value or a field with a valid transformer: {TRANSFORMER_LIST}")
            return Check(field, op, value, position, value_positions=(cursor.position(value_at),))
        if op in LIST_OPERATORS:
            if cursor.literal("("):
                starts: list[int] = []
                items = self._list_items(starts)
                return Check(field, op, ListValue(items), position,
                             value_positions=tuple(cursor.position(i) for i in starts))
            transformer = self._value_transformer()
            if transformer is not None:
                return Check(field, op, transformer, position)
            name_at = cursor.idx
            name = cursor.regex(IDENTIFIER)
            if name is None:
                raise cursor.error(f"expected a list, an identifier, or a field with a valid transformer: "
                                   f"{TRANSFORMER_LIST}")
            return Check(field, op, Identifier(name, cursor.position(name_at)), position)
        modified = self._modifier()
        if modified is not None:
            return Check(field, op, modified[1], position, modified[0])
        value = self._value_transformer()
        if value is None:
            value = cursor.quoted_string()
        if value is None:
            value = cursor.regex(BARE_STRING)
        if value is None:
            raise cursor.error(f"expected a string value or a field with a valid transformer: {TRANSFORMER_LIST}")
        return Check(field, op, value, position, value_positions=(cursor.position(value_at),))

    def _list_items(self, starts: list[int] | None = None) -> tuple[str, ...]:
        """The items of a list after its `(`; `starts` gets the index where each item begins."""
        starts = [] if starts is None else starts
        cursor = self.cursor
        items: list[str] = []
        cursor.blank()
        if cursor.literal(")"):
            return ()
        while True:
            cursor.blank()
            starts.append(cursor.idx)
            item = cursor.quoted_string()
            if item is None:
                item = cursor.regex(BARE_STRING)
            if item is None:
                raise cursor.error("expected a string value")
            items.append(item)
            cursor.blank()
            if cursor.literal(")"):
                return tuple(items)
            if not cursor.literal(","):
                raise cursor.error("expected a ')' token")


def parse(text: str, max_depth: int = MAX_DEPTH) -> Node:
    """The AST of a condition, or FilterError naming what is wrong and where (FILTER-DEPTH past the limit)."""
    try:
        with room_for_depth():
            tree = _Parser(text, max_depth).parse()
    except RecursionError:
        raise depth_error() from None
    tree_depth(tree)
    return tree


def parse_transformer(text: str, start: int, max_depth: int = MAX_DEPTH) -> tuple[Transformer, int]:
    """The transformer expression at `start` of `text` (an output format's token) and where it ends."""
    parser = _Parser(text, max_depth)
    parser.cursor.idx = start
    try:
        with room_for_depth():
            node = parser.transformer()
    except RecursionError:
        raise depth_error() from None
    if node is None:
        raise parser.cursor.error("expected a valid transformer")
    return node, parser.cursor.idx
