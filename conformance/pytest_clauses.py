"""A pytest plugin for the suite's property layer: select tests by clause, record outcomes by clause.

    python -m pytest -p conformance.pytest_clauses --clauses A,B --clause-report out.json

Used by `plugref conformance --target reference`, which runs the in-process properties and tests
of the reference and reports them per clause.
"""
from __future__ import annotations

import json


def pytest_addoption(parser):
    group = parser.getgroup("plugref clauses")
    group.addoption("--clauses", default="", help="run only the tests citing one of these clause IDs (comma-separated)")
    group.addoption("--clause-report", default="", help="write each test's clauses and outcome to this JSON file")


def _clauses(item) -> list[str]:
    return [c for marker in item.iter_markers("clause") for c in marker.args]


def pytest_collection_modifyitems(config, items):
    wanted = {c for c in config.getoption("--clauses").split(",") if c}
    if not wanted:
        return
    kept = [item for item in items if wanted & set(_clauses(item))]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


class _Recorder:
    def __init__(self, path: str):
        self.path = path
        self.outcomes: dict[str, dict] = {}

    def pytest_runtest_logreport(self, report):
        entry = self.outcomes.setdefault(report.nodeid, {"outcome": "passed", "detail": ""})
        if report.failed:
            entry["outcome"] = "failed"
            entry["detail"] = str(report.longrepr).splitlines()[-1][:300] if report.longrepr else ""
        elif report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"
            entry["detail"] = report.longrepr[2] if isinstance(report.longrepr, tuple) else "skipped"

    def pytest_collection_finish(self, session):
        self.clauses = {item.nodeid: _clauses(item) for item in session.items}

    def pytest_sessionfinish(self, session):
        document = [{"test": nodeid, "clauses": self.clauses.get(nodeid, []), **entry}
                    for nodeid, entry in self.outcomes.items()]
        with open(self.path, "w") as handle:
            json.dump(document, handle, indent=1)


def pytest_configure(config):
    path = config.getoption("--clause-report")
    if path:
        config.pluginmanager.register(_Recorder(path), "plugref-clause-recorder")
