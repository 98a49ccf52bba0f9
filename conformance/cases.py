"""The data layer of the suite: language-agnostic cases under conformance/cases/ (JSON).

Each file holds a list of cases; each case has a stable ID (never reused), the clauses it checks,
the API version, what to do (`kind` and its inputs) and what must be observed (`expect`). The
files are checked against conformance/schema/case.schema.json when loaded.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
SCHEMA = HERE / "schema" / "case.schema.json"
FOUND = CASES / "found"


class CaseError(ValueError):
    pass


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))


def load_cases(folder: Path = CASES) -> list[dict]:
    """Every case, in file and list order; CaseError names the file and the problem."""
    validator = _validator()
    cases, seen = [], {}
    for path in sorted(folder.rglob("*.json")):
        try:
            entries = json.loads(path.read_text())
        except ValueError as exc:
            raise CaseError(f"{path}: not JSON: {exc}") from None
        for index, case in enumerate(entries if isinstance(entries, list) else [entries]):
            error = next(iter(sorted(validator.iter_errors(case), key=lambda e: e.path)), None)
            if error is not None:
                where = "/".join(map(str, error.absolute_path)) or "<case>"
                raise CaseError(f"{path} case {index} ({case.get('id', '?') if isinstance(case, dict) else '?'}): "
                                f"at {where}: {error.message}")
            if case["id"] in seen:
                raise CaseError(f"{path}: case id {case['id']} is also in {seen[case['id']]}")
            seen[case["id"]] = path
            case = dict(case, _file=str(path.relative_to(folder)))
            cases.append(case)
    return cases


def content_hash(case: dict) -> str:
    """A hash of what a case does and expects (not its description), to tell semantic edits."""
    body = {k: v for k, v in case.items() if k not in ("description", "_file")}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]


def save_found(case: dict, target: str) -> Path:
    """Keep a counterexample a property found as a data case (conformance/cases/found/)."""
    FOUND.mkdir(parents=True, exist_ok=True)
    case = {k: v for k, v in case.items() if not k.startswith("_")}
    case["id"] = f"found/{target}/{case['id'].rsplit('/', 1)[-1]}-{content_hash(case)}"
    path = FOUND / f"{case['id'].replace('/', '-')}.json"
    path.write_text(json.dumps([case], indent=2) + "\n")
    return path
