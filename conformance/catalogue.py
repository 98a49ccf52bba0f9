"""The clause catalogue: the rules of docs/spec.md, by stable ID, and the tests that cite them.

A clause is a level-3 heading of docs/spec.md that starts with its ID in backticks:
``### `API-VERSION-COMPAT`: ...``. Tests cite clauses with ``@pytest.mark.clause("ID", ...)``.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "docs" / "spec.md"
TEST_FOLDERS = (ROOT / "tests", ROOT / "conformance")

_HEADING = re.compile(r"^### `([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)`", re.MULTILINE)
_CITATION = re.compile(r"""clause\(([^)]*)\)""")
_ID = re.compile(r"""["']([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)["']""")


def clause_ids(spec: Path = SPEC) -> list[str]:
    """Clause IDs in the order docs/spec.md defines them."""
    return _HEADING.findall(spec.read_text())


def cited_clauses() -> dict[str, set[str]]:
    """clause ID -> the test files that cite it."""
    cited: dict[str, set[str]] = {}
    for folder in TEST_FOLDERS:
        for path in folder.rglob("test_*.py"):
            for citation in _CITATION.findall(path.read_text()):
                for clause in _ID.findall(citation):
                    cited.setdefault(clause, set()).add(str(path.relative_to(ROOT)))
    return cited
