"""Adapters put an implementation under test behind one interface: `describe()` and `run(case)`.

`run` returns `{"observed": {...}}`, `{"skipped": {"reason": ...}}` or `{"errored": {"message": ...}}`
(the protocol's run responses, docs/adapter-protocol.md). Adapters observe; the runner judges.
"""
from __future__ import annotations

from typing import Protocol


class Adapter(Protocol):
    name: str

    def describe(self) -> dict: ...
    def run(self, case: dict) -> dict: ...
    def close(self) -> None: ...


def make_adapter(target: str) -> Adapter:
    """`reference`, `sysdig`, or a command line speaking the protocol."""
    if target == "reference":
        from .reference import ReferenceAdapter
        return ReferenceAdapter()
    if target == "sysdig":
        from .sysdig import SysdigAdapter
        return SysdigAdapter()
    from .protocol import ProtocolAdapter
    return ProtocolAdapter(target)
