"""Comparing what an implementation observed with what a case expects.

Errors are matched by a text they must contain, not by their whole wording (implementations word
errors differently; the clause says which error). Everything else must be equal.
"""
from __future__ import annotations


def compare(expect: dict, observed: dict) -> list[str]:
    """The differences, each a short sentence; empty when the observation satisfies the case."""
    problems = []
    if "verdicts" in expect:
        got = observed.get("verdicts")
        if not isinstance(got, list) or len(got) != len(expect["verdicts"]):
            return [f"expected {len(expect['verdicts'])} load verdicts, observed {got!r}"]
        for index, (want, have) in enumerate(zip(expect["verdicts"], got)):
            if want == "ok" and have != "ok":
                problems.append(f"plugin {index}: expected to load, refused: {have.get('error') if isinstance(have, dict) else have}")
            elif want != "ok":
                if have == "ok":
                    problems.append(f"plugin {index}: expected refusal containing {want['error']!r}, but it loaded")
                elif want["error"] not in str(have.get("error", "")):
                    problems.append(f"plugin {index}: expected an error containing {want['error']!r}, got "
                                    f"{have.get('error')!r}")
    if "error" in expect:
        if "error" not in observed:
            problems.append(f"expected an error containing {expect['error']!r}, observed none")
        elif expect["error"] not in observed["error"]:
            problems.append(f"expected an error containing {expect['error']!r}, got {observed['error']!r}")
    elif "error" in observed and "verdicts" not in expect:
        problems.append(f"unexpected error: {observed['error']}")
    for key in ("lines", "json_lines", "alerts"):
        if key in expect and observed.get(key) != expect[key]:
            problems.append(f"{key} differ: expected {expect[key]!r}, observed {observed.get(key)!r}")
    for text in expect.get("warnings", []):
        if not any(text in warning for warning in observed.get("warnings", [])):
            problems.append(f"expected a warning containing {text!r}, observed {observed.get('warnings')!r}")
    return problems
