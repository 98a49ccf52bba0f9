"""Hypothesis strategies for conditions, formats and the events they run on.

The field table is a small source plugin `x` (a definition, so it loads as a Python and as a
native plugin): `x.i` (uint64), `x.word`, `x.path` (strings), `x.tag[arg]` (string, argument
required), plus built-in `evt.*` fields. Events carry a value for some of the fields only, so
that checks on missing values are exercised all the time.
"""
from __future__ import annotations

from hypothesis import strategies as st

from reference.filter.ast import And, Check, FieldRef, ListValue, Not, Or

SOURCE_DEFINITION = {
    "required_api_version": "0.3.0",
    "type": 1,
    "id": 2**30 + 42,
    "name": "xsrc",
    "description": "generated events for filter properties",
    "contact": "plugref",
    "version": "1.0.0",
    "event_source": "x",
    "fields": [
        {"type": "uint64", "name": "x.i", "desc": "a number"},
        {"type": "string", "name": "x.word", "desc": "a word"},
        {"type": "string", "name": "x.path", "desc": "a path"},
        {"type": "string", "name": "x.tag", "desc": "a tag by key", "argRequired": True},
    ],
}

FIELD_TYPES = {"x.i": "uint64", "x.word": "string", "x.path": "string", "x.tag": "string",
               "evt.num": "uint64", "evt.pluginname": "string"}
STRING_OPS = ["=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "startswith", "endswith", "glob",
              "iglob", "in", "intersects", "pmatch", "regex", "exists"]
NUMERIC_OPS = ["=", "==", "!=", "<", "<=", ">", ">=", "in", "intersects", "exists"]
LIST_OPS = {"in", "intersects", "pmatch"}

WORDS = ["nginx", "sshd", "NGINX", "bash", "ng", "inx", "", "two words", "x=y", "a,b", "q\"uote", "back\\slash",
         "xsrc", "tab\there"]
PATHS = ["/", "/opt", "/opt/dir", "/opt/dir/sub/f", "/opt/di", "/usr/bin/ls", "relative/p"]
GLOBS = ["*", "ng*", "*inx", "?sh?", "*/dir/*", "/opt/*", "N*X", "[bn]*", "[!n]*"]
REGEXES = ["ng.*", ".*", "[a-z]+", "sshd|bash", "x"]
TAG_ARGS = ["a", "b", "k/1"]
NUMBERS = [0, 1, 2, 3, 5, 100, 2**64 - 1]


def _string_values(op: str):
    if op in ("glob", "iglob"):
        # Backslash escapes are covered by explicit examples (the model uses Python's fnmatch, which has none).
        return st.sampled_from(GLOBS + [w for w in WORDS if "\\" not in w])
    if op == "regex":
        return st.sampled_from(REGEXES)
    return st.sampled_from(WORDS + PATHS)


@st.composite
def checks(draw) -> Check:
    name = draw(st.sampled_from(sorted(FIELD_TYPES)))
    arg = draw(st.sampled_from(TAG_ARGS)) if name == "x.tag" else None
    numeric = FIELD_TYPES[name] == "uint64"
    op = draw(st.sampled_from(NUMERIC_OPS if numeric else STRING_OPS))
    if op == "exists":
        return Check(FieldRef(name, arg), op, None)
    if numeric or op in ("<", "<=", ">", ">="):  # the grammar wants a number after these
        values = st.sampled_from(NUMBERS).map(str)
    else:
        values = _string_values(op)
    if op in LIST_OPS:
        return Check(FieldRef(name, arg), op, ListValue(tuple(draw(st.lists(values, max_size=3)))))
    return Check(FieldRef(name, arg), op, draw(values))


def conditions(max_leaves: int = 6):
    return st.recursive(
        checks(),
        lambda children: st.one_of(
            children.map(Not),
            st.lists(children, min_size=2, max_size=3).map(lambda c: And(tuple(c))),
            st.lists(children, min_size=2, max_size=3).map(lambda c: Or(tuple(c))),
        ),
        max_leaves=max_leaves,
    )


@st.composite
def event_values(draw) -> dict:
    """Values of one event (the definition's `values`), some fields missing."""
    values = {}
    if draw(st.booleans()):
        values["x.i"] = draw(st.sampled_from(NUMBERS))
    if draw(st.booleans()):
        values["x.word"] = draw(st.sampled_from([w for w in WORDS if ";" not in w and "=" not in w]))
    if draw(st.booleans()):
        values["x.path"] = draw(st.sampled_from(PATHS))
    for arg in TAG_ARGS:
        if draw(st.booleans()):
            values[f"x.tag[{arg}]"] = draw(st.sampled_from(["nginx", "sshd", "/opt/dir/f"]))
    return values


event_lists = st.lists(event_values(), min_size=1, max_size=6)

#: Timestamps of generated events start here (2022-04-15 05:20:00.123456789 UTC).
BASE_TS = 1_650_000_000_123_456_789


# Formats and conditions that sysdig 0.29 can run too (for agreement and differential properties).

PLUGIN_TOKENS = ["x.i", "x.word", "x.path"] + [f"x.tag[{a}]" for a in TAG_ARGS]
EVT_TOKENS = ["evt.num", "evt.pluginname", "evt.plugininfo", "evt.rawtime", "evt.rawtime.s", "evt.rawtime.ns",
              "evt.reltime", "evt.reltime.s", "evt.reltime.ns", "evt.time", "evt.time.s", "evt.time.iso8601",
              "evt.datetime", "evt.datetime.s"]
LITERALS = [" ", " | ", "=", ":", "x", " - "]
#: sysdig 0.29 reads a plugin field token up to the next blank (see the departure test below).
LITERALS_AFTER_PLUGIN_FIELDS = [" ", " | ", " - "]


@st.composite
def formats(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        width = draw(st.sampled_from(["", "", "", "3", "12", "0", "007"]))  # 0 is no width (OUTPUT-FORMAT)
        token = draw(st.sampled_from(PLUGIN_TOKENS + EVT_TOKENS))
        parts.append(f"%{width}{token}")
        parts.append(draw(st.sampled_from(LITERALS_AFTER_PLUGIN_FIELDS if token.startswith("x.") else LITERALS)))
    return ("*" if draw(st.booleans()) else "") + "".join(parts).rstrip()


SYSDIG_NUMBERS = ["0", "1", "2", "3", "5", str(BASE_TS)]


@st.composite
def sysdig_checks(draw) -> Check:
    """Checks sysdig 0.29 can run: with the operators its parser knows, on fields not starting with 'n'."""
    name = draw(st.sampled_from(["evt.num", "evt.pluginname", "evt.plugininfo", "evt.rawtime", "x.i", "x.word",
                                 "x.path", "x.tag"]))
    arg = draw(st.sampled_from(TAG_ARGS)) if name == "x.tag" else None
    numeric = name in ("evt.num", "evt.rawtime", "x.i")
    op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "in", "exists"] if numeric else
                              ["=", "!=", "contains", "icontains", "startswith", "endswith", "glob", "in",
                               "exists"]))
    if op == "exists":
        return Check(FieldRef(name, arg), op)
    if numeric:
        values = st.sampled_from(SYSDIG_NUMBERS)
    else:
        values = st.sampled_from(["xsrc", "XSRC", "x.i=", "x.word=nginx", "*nginx*", "x.*", "sshd", "two words",
                                  "nginx", "/opt", "/opt/*", "NGINX", "bash"])
    if op == "in":
        return Check(FieldRef(name, arg), op, ListValue(tuple(draw(st.lists(values, min_size=1, max_size=3)))))
    return Check(FieldRef(name, arg), op, draw(values))


sysdig_conditions = st.recursive(sysdig_checks(), lambda children: st.one_of(
    children.map(Not),
    st.lists(children, min_size=2, max_size=3).map(lambda c: And(tuple(c))),
    st.lists(children, min_size=2, max_size=3).map(lambda c: Or(tuple(c)))), max_leaves=4)


