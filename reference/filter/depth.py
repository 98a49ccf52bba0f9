"""One nesting limit for conditions, shared by parsing, compiling, printing and evaluating (clause FILTER-DEPTH).

Falco parses conditions with a depth limit of 1000 (`set_max_depth(1000)`) and sysdig accepts 1000
nested brackets. Past the limit every stage gives the same error, `exceeded max depth limit of
1000`, instead of running out of Python stack. The depth of a tree is its longest chain of
and/or/not nodes; the parser also counts brackets, which nest without adding nodes.

Each stage is recursive and spends a few Python frames per level, so it runs with room for
`MAX_DEPTH` levels (`room_for_depth`) whatever the interpreter's default recursion limit is.
"""
from __future__ import annotations

import contextlib
import functools
import sys
from contextvars import ContextVar

from reference.filter.errors import FilterError, Position

MAX_DEPTH = 1000
#: Python frames one level may take in the deepest stage (the parser: about six per bracket).
_FRAMES_PER_LEVEL = 8
_ROOM = _FRAMES_PER_LEVEL * MAX_DEPTH + 500


def depth_error(position: Position | None = None, limit: int = MAX_DEPTH) -> FilterError:
    """The error of every stage past the limit: no position (libsinsp's gives none either), but the
    parser's, which names the bracket that passes its limit."""
    return FilterError(f"exceeded max depth limit of {limit}", position, "FILTER-DEPTH")


def tree_depth(node) -> int:
    """The longest chain of and/or/not nodes from `node` down (a check alone is 0). Iterative."""
    from reference.filter.ast import And, Not, Or

    deepest, pending = 0, [(node, 0)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, (And, Or)):
            pending.extend((child, depth + 1) for child in current.children)
        elif isinstance(current, Not):
            pending.append((current.child, depth + 1))
        else:
            deepest = max(deepest, depth)
            continue
        if depth + 1 > MAX_DEPTH:
            raise depth_error()
    return deepest


@contextlib.contextmanager
def room_for_depth():
    """Raise the recursion limit to what MAX_DEPTH levels need, for the duration of one stage."""
    limit = sys.getrecursionlimit()
    if limit < _ROOM:
        sys.setrecursionlimit(_ROOM)
    try:
        yield
    finally:
        if limit < _ROOM:
            sys.setrecursionlimit(limit)


_inside = ContextVar("inside_depth_limited", default=False)


def depth_limited(function):
    """For a recursive function of a tree: the outermost call checks the depth and makes room."""
    @functools.wraps(function)
    def guarded(node, *args, **kwargs):
        if _inside.get():
            return function(node, *args, **kwargs)
        tree_depth(node)
        token = _inside.set(True)
        try:
            with room_for_depth():
                return function(node, *args, **kwargs)
        finally:
            _inside.reset(token)
    return guarded
