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


def sync_tests_lines(spec: Path = SPEC) -> list[str]:
    """Rewrite each clause's `- Tests:` line from the citations; returns the clauses changed.

    The Tests lines are derived data: this keeps them true after tests move or are added.
    """
    cited = cited_clauses()
    text = spec.read_text()
    sections = re.split(r"(?m)^(?=### `)", text)
    changed = []
    for i, section in enumerate(sections):
        match = _HEADING.match(section)
        if not match or match.group(1) not in cited:
            continue
        line = "- Tests: " + ", ".join(f"`{f}`" for f in sorted(cited[match.group(1)])) + "."
        updated = re.sub(r"(?m)^- Tests: .*$", line, section, count=1)
        if updated != section:
            sections[i] = updated
            changed.append(match.group(1))
    spec.write_text("".join(sections))
    return changed


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--sync"]:
        sys.exit("usage: python -m conformance.catalogue --sync   (rewrite the Tests lines of docs/spec.md)")
    print("updated:", ", ".join(sync_tests_lines()) or "nothing")
