"""Recursive-descent parser of the condition language (clause FILTER-GRAMMAR).

    Expr  := Or
    Or    := And ( 'or' (BLANK | before '(') And )*
    And   := Not ( 'and' (BLANK | before '(') Not )*
    Not   := ('not' BLANK+ | 'not' before '(')* Check          an even number of nots cancels
    Check := '(' Expr ')' | Field Condition | Identifier
    Field := FieldName ( '[' (QuotedStr | BareArg) ']' )?
    Condition := 'exists' | NumOp Number | StrOp (QuotedStr | BareStr)
               | ListOp ( '(' [Item (',' Item)*] ')' | Identifier )

Precedence is not > and > or. A run of `and` (or `or`) becomes one node with all its operands;
brackets make nested nodes. Older parsers (libsinsp before 0.10, so sysdig 0.29) refuse `and` and
`or` mixed without brackets; this one follows the current grammar (clause FILTER-MIXED-ANDOR).
"""
from __future__ import annotations

from reference.filter.depth import MAX_DEPTH, depth_error, room_for_depth, tree_depth
from reference.filter.ast import And, Check, FieldRef, Identifier, ListValue, Node, Not, Or
from reference.filter.errors import FilterError
from reference.filter.lexer import (BARE_ARGUMENT, BARE_STRING, FIELD_NAME, IDENTIFIER, LIST_OPERATORS, NUMBER,
                    NUMERIC_OPERATORS, Cursor)


_OPERATOR_LIST = ("'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', "
                  "'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'")


class _Parser:
    def __init__(self, text: str, max_depth: int):
        self.cursor = Cursor(text)
        self.depth = 0
        self.max_depth = max_depth

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.cursor.error(f"exceeded max depth limit of {self.max_depth}")

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

    def _condition(self, field: FieldRef, start: int) -> Check:
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
        if op in NUMERIC_OPERATORS:
            value = cursor.regex(NUMBER)
            if value is None:
                raise cursor.error("expected a number value")
            return Check(field, op, value, position)
        if op in LIST_OPERATORS:
            if cursor.literal("("):
                return Check(field, op, ListValue(self._list_items()), position)
            name_at = cursor.idx
            name = cursor.regex(IDENTIFIER)
            if name is None:
                raise cursor.error("expected a list or an identifier")
            return Check(field, op, Identifier(name, cursor.position(name_at)), position)
        value = cursor.quoted_string()
        if value is None:
            value = cursor.regex(BARE_STRING)
        if value is None:
            raise cursor.error("expected a string value")
        return Check(field, op, value, position)

    def _list_items(self) -> tuple[str, ...]:
        cursor = self.cursor
        items: list[str] = []
        cursor.blank()
        if cursor.literal(")"):
            return ()
        while True:
            cursor.blank()
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
