"""Filter errors carry the position of what is wrong (clause FILTER-ERRORS)."""
from __future__ import annotations

from dataclasses import dataclass

from reference.errors import PlugrefError


@dataclass(frozen=True)
class Position:
    """0-based index; 1-based line and column (a `\\r` or `\\n` starts a new line)."""

    idx: int
    line: int
    col: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.col}"


class FilterError(PlugrefError):
    """`filter error at index N, line L, column C: <reason>`, as current libsinsp words it (clause FILTER-ERRORS).

    `reason` is libsinsp's text of the problem; without a known position the prefix is `filter error: `.
    """

    def __init__(self, message: str, position: Position | None = None, clause: str = "FILTER-ERRORS"):
        where = f" at index {position.idx}, {position}" if position else ""
        super().__init__(f"filter error{where}: {message}", clause)
        self.reason = message
        self.position = position
