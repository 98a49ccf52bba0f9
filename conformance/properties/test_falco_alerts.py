"""The Falco layer against a model of Falco: ENGINE-RULES-PER-SOURCE, CONFIG-RULE-MATCHING, ALERT-TEXT,
ALERT-JSON, RULES-DEFINE, RULES-APPEND-OVERRIDE, RULES-LISTS, RULES-MACROS, RULES-EXCEPTIONS.

There is no Falco on this machine, so the "differential" property compares `plugref run` (falco.yaml,
rules files, plugin, alerts: the whole Falco layer) with an independent model written here from the
facts (falco-rules.md §2, §4; observed-hosts.md): random rules files of the kind real rules files
are (lists naming lists, nested macros, and/or/not trees of every operator, exceptions with list
values, appends, redefinitions, disabled rules, priorities and a priority threshold, outputs with
widths, arguments and missing values), random events, `rule_matching` first or all. Per event the
model says which rules raise an alert (first match in the order first defined, or every match), and
what the text alert and the JSON alert are.

The model builds its own meaning of each rule from the generated structure (it never reads the
rules text back); it evaluates single checks with the filter model of test_filter_language.
"""
from __future__ import annotations

import calendar
import io
import json
import os
import time
from dataclasses import dataclass, field, replace

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.adapters.reference import utc
from conformance.filter_strategies import SOURCE_DEFINITION, checks, event_lists
from conformance.properties.test_filter_language import model_check, model_value
from fake_plugins.misbehaving import variant
from reference.falco.app import run
from reference.filter import Check, FieldRef, ListValue
from reference.filter.ast import to_text

BASE_TS = 1_650_000_000_123_456_789
STEP = 1_000_001_000
HOST = "model-host"
PRIORITY_NAMES = ("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug")
PRIORITY_SPELLINGS = ["EMERGENCY", "alert", "Critical", "ERROR", "warning", "Notice", "info", "INFORMATIONAL",
                      "debug"]
LIST_ITEMS = ["nginx", "sshd", "bash", "NGINX", "ng", "two words", "/opt/dir", "relative/p"]
EXCEPTION_WORDS = ["nginx", "sshd", "bash", "two words", ""]


def priority_number(text: str) -> int:
    lowered = text.lower()
    return 6 if lowered == "info" else [p.lower() for p in PRIORITY_NAMES].index(lowered)


# The model's trees: ("check", Check) | ("and"|"or", [trees]) | ("not", tree) | ("macro", name)
# | ("list", field, list name, operator).

def render(tree) -> str:
    kind = tree[0]
    if kind == "check":
        return to_text(tree[1])
    if kind in ("and", "or"):
        return "(" + f" {kind} ".join(render(c) for c in tree[1]) + ")"
    if kind == "not":
        return f"not {render(tree[1])}"
    if kind == "macro":
        return tree[1]
    _, name, list_name, op = tree
    return f"{name} {op} ({list_name})"


@dataclass
class World:
    """What the model knows of the rules files: the lists' items and the macros' trees."""

    lists: dict[str, list[str]] = field(default_factory=dict)
    macros: dict[str, tuple] = field(default_factory=dict)

    def holds(self, tree, values: dict, num: int) -> bool:
        kind = tree[0]
        if kind == "check":
            return model_check(tree[1], model_value(tree[1].field, values, num))
        if kind == "and":
            return all(self.holds(c, values, num) for c in tree[1])
        if kind == "or":
            return any(self.holds(c, values, num) for c in tree[1])
        if kind == "not":
            return not self.holds(tree[1], values, num)
        if kind == "macro":
            return self.holds(self.macros[tree[1]], values, num)
        _, name, list_name, op = tree
        check = Check(FieldRef(name), op, ListValue(tuple(self.lists[list_name])))
        return model_check(check, model_value(check.field, values, num))


def leaves(lists: list[str], macros: list[str]):
    options = [checks().map(lambda c: ("check", c))]
    if lists:
        options.append(st.tuples(st.just("list"), st.sampled_from(["x.word", "x.path"]), st.sampled_from(lists),
                                 st.sampled_from(["in", "pmatch"])))
    if macros:
        options.append(st.tuples(st.just("macro"), st.sampled_from(macros)))
    return st.one_of(*options)


def trees(lists: list[str], macros: list[str], max_leaves: int = 4):
    return st.recursive(leaves(lists, macros), lambda children: st.one_of(
        children.map(lambda c: ("not", c)),
        st.tuples(st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=3))),
        max_leaves=max_leaves)


# Exceptions: the item as written, and the model's checks for one value of it.

@st.composite
def exception_items(draw) -> tuple[dict, list[list[Check]]]:
    if draw(st.booleans()):
        comp = draw(st.sampled_from([None, "in"]))
        values = draw(st.lists(st.sampled_from(EXCEPTION_WORDS[:4]), max_size=3))
        item = {"name": "e", "fields": "x.word", "values": values, **({"comps": comp} if comp else {})}
        return item, ([[Check(FieldRef("x.word"), "in", ListValue(tuple(values)))]] if values else [])
    # Two fields: a word (equal to one, or in a list of them) and a number below a bound.
    item = {"name": "e", "fields": ["x.word", "x.i"], "comps": ["in", "<"], "values": []}
    alternatives = []
    for _ in range(draw(st.integers(0, 2))):
        word = draw(st.sampled_from(EXCEPTION_WORDS[:4]) | st.lists(st.sampled_from(EXCEPTION_WORDS[:4]), min_size=1,
                                                                   max_size=2))
        bound = draw(st.sampled_from(["1", "3", "100"]))
        item["values"].append([word, bound])
        words = tuple(word) if isinstance(word, list) else (word,)
        alternatives.append([Check(FieldRef("x.word"), "in", ListValue(words)), Check(FieldRef("x.i"), "<", bound)])
    return item, alternatives


# Outputs: the text as written, and its tokens (None for literal text).

OUTPUT_TOKENS = ["x.i", "x.word", "x.path", "x.tag[a]", "x.tag[b]", "evt.num", "evt.time", "evt.rawtime",
                 "evt.pluginname", "evt.source"]


@st.composite
def outputs(draw) -> list[tuple[str, str | None, int | None]]:
    parts = [(draw(st.sampled_from(["alert", "Saw", "n"])), None, None)]
    for _ in range(draw(st.integers(0, 4))):
        parts.append((draw(st.sampled_from([" ", " | ", " x=", ": "])), None, None))
        parts.append(("", draw(st.sampled_from(OUTPUT_TOKENS)), draw(st.sampled_from([None, None, 3, 12]))))
    return parts


def output_text(parts) -> str:
    return "".join(text if token is None else f"%{'' if width is None else width}{token}"
                   for text, token, width in parts)


# The model of one event's fields (falco-rules.md §4, api §4.2): typed values, None when missing.

def field_value(token: str, values: dict, num: int, ts: int):
    if token == "evt.num":
        return num
    if token in ("evt.time", "evt.rawtime"):
        return ts
    if token == "evt.pluginname":
        return "xsrc"
    if token == "evt.source":
        return "x"
    return values.get(token)


def local_time(ts: int) -> str:  # the runs are in UTC
    hms = time.strftime("%H:%M:%S", time.gmtime(ts // 10**9))
    return f"{hms}.{ts % 10**9:09d}"


def printed(token: str, value) -> str:
    if value is None:
        return "<NA>"  # Falco always prepends `*` to rule outputs
    if token == "evt.time":
        return local_time(value)
    return str(value)


@dataclass
class ModelRule:
    name: str
    index: int  # the place of its first definition
    condition: tuple
    output: list
    priority: int
    tags: set
    enabled: bool = True
    exceptions: list = field(default_factory=list)  # per exception: its alternatives, each a list of checks
    #: Appended conditions, (and|or, tree) each: the texts are joined with a space, so the result reads
    #: `base and (t1) or (t2)`, which `and` binds before `or`.
    appends: list = field(default_factory=list)

    def holds(self, world: World, values: dict, num: int) -> bool:
        groups = [[self.condition]]
        for joiner, tree in self.appends:
            if joiner == "and":
                groups[-1].append(tree)
            else:
                groups.append([tree])
        return any(all(world.holds(t, values, num) for t in group) for group in groups)


@st.composite
def scenarios(draw):
    """(rules files, falco.yaml extra text, events, the model's rules in order, rule_matching, threshold)."""
    world = World()
    base_items: list[dict] = []
    list_names = []
    for i in range(draw(st.integers(0, 2))):
        name = f"l{i}"
        items = draw(st.lists(st.sampled_from(LIST_ITEMS + list_names), max_size=3))
        resolved = [v for item in items for v in (world.lists[item] if item in world.lists else [item])]
        world.lists[name] = resolved
        list_names.append(name)
        base_items.append({"list": name, "items": items})
    macro_names = []
    macro_items = []
    for i in range(draw(st.integers(0, 3))):
        name = f"m{i}"
        tree = draw(trees(list_names, macro_names, 3))  # a macro may use the macros before it
        world.macros[name] = tree
        macro_names.append(name)
        macro_items.append({"macro": name, "condition": render(tree)})
    rules: dict[str, ModelRule] = {}
    rule_items = []
    for i in range(draw(st.integers(1, 4))):
        name = f"rule {i}"
        rule = ModelRule(name, i, draw(trees(list_names, macro_names)), draw(outputs()),
                         0, set(draw(st.lists(st.sampled_from(["c", "a", "b"]), max_size=2))))
        spelling = draw(st.sampled_from(PRIORITY_SPELLINGS))
        rule.priority = priority_number(spelling)
        item = {"rule": name, "desc": "d", "condition": render(rule.condition), "output": output_text(rule.output),
                "priority": spelling, "source": "x", "tags": sorted(rule.tags)}
        if draw(st.booleans()):
            exception, alternatives = draw(exception_items())
            item["exceptions"] = [exception]
            rule.exceptions = [alternatives] if alternatives else []
        if draw(st.integers(0, 4)) == 0:
            item["enabled"] = False
            rule.enabled = False
        rules[name] = rule
        rule_items.append(item)
    # Lists and macros may come before or after the rules: rules see every macro and every list.
    after = draw(st.booleans())
    base = base_items + (rule_items + macro_items if after else macro_items + rule_items)
    later = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(sorted(rules)))
        rule = rules[name]
        kind = draw(st.sampled_from(["redefine", "append", "or-append", "tags", "enable"]))
        if kind == "redefine":
            condition, output = draw(trees(list_names, macro_names, 3)), draw(outputs())
            spelling = draw(st.sampled_from(PRIORITY_SPELLINGS))
            rules[name] = ModelRule(name, rule.index, condition, output, priority_number(spelling), set())
            later.append({"rule": name, "desc": "d2", "condition": render(condition), "output": output_text(output),
                          "priority": spelling, "source": "x"})
        elif kind in ("append", "or-append"):
            joiner = "and" if kind == "append" else "or"
            extra = draw(trees(list_names, macro_names, 2))
            rule.appends.append((joiner, extra))
            later.append({"rule": name, "condition": f"{joiner} ({render(extra)})", "override": {"condition": "append"}})
        elif kind == "tags":
            tags = set(draw(st.lists(st.sampled_from(["a", "d"]), min_size=1, max_size=2)))
            rule.tags |= tags
            later.append({"rule": name, "tags": sorted(tags), "override": {"tags": "append"}})
        else:
            rule.enabled = draw(st.booleans())
            later.append({"rule": name, "enabled": rule.enabled, "override": {"enabled": "replace"}})
    files = [yaml.safe_dump(base, sort_keys=False)] + ([yaml.safe_dump(later, sort_keys=False)] if later else [])
    matching = draw(st.sampled_from([None, "first", "all"]))
    threshold = draw(st.sampled_from([None, "debug", "notice", "warning", "critical"]))
    events = draw(event_lists)
    return files, matching, threshold, events, world, sorted(rules.values(), key=lambda r: r.index)


def model_alerts(rules: list[ModelRule], world: World, events: list[dict], matching: str | None,
                 threshold: str | None, base_ts: int = BASE_TS) -> tuple[list[str], list[dict]]:
    """The text and JSON alerts Falco raises, in order."""
    minimum = priority_number(threshold) if threshold else 7
    active = [r for r in rules if r.enabled and r.priority <= minimum]
    texts, documents = [], []
    for i, values in enumerate(events):
        num, ts = i + 1, base_ts + i * STEP
        for rule in active:
            excepted = any(all(model_check(c, model_value(c.field, values, num)) for c in alternative)
                           for alternatives in rule.exceptions for alternative in alternatives)
            if excepted or not rule.holds(world, values, num):
                continue
            message = "".join(
                text if token is None else
                (printed(token, field_value(token, values, num, ts)) if width is None else
                 printed(token, field_value(token, values, num, ts))[:width].ljust(width))
                for text, token, width in rule.output)
            line = f"{local_time(ts)}: {PRIORITY_NAMES[rule.priority]} {message}"
            fields = {token: field_value(token, values, num, ts) for _, token, _ in rule.output if token}
            fields["evt.time"] = ts
            texts.append(line)
            documents.append({"hostname": HOST, "output": line, "output_fields": dict(sorted(fields.items())),
                              "priority": PRIORITY_NAMES[rule.priority], "rule": rule.name, "source": "x",
                              "tags": sorted(rule.tags), "time": time.strftime(
                                  "%Y-%m-%dT%H:%M:%S", time.gmtime(ts // 10**9)) + f".{ts % 10**9:09d}Z"})
            if matching in (None, "first"):
                break
    return texts, documents


def run_falco(tmp, files, matching, threshold, events, json_output: bool) -> list[str]:
    definition = variant(SOURCE_DEFINITION, events=[{"ts": BASE_TS + i * STEP, "values": v}
                                                    for i, v in enumerate(events)], batch_size=2)
    plugin = os.path.join(tmp, "xsrc.json")
    with open(plugin, "w") as f:
        json.dump(definition, f)
    config = {"plugins": [{"name": "xsrc", "library_path": plugin}], "json_output": json_output}
    if matching:
        config["rule_matching"] = matching
    if threshold:
        config["priority"] = threshold
    config_path = os.path.join(tmp, "falco.yaml")
    with open(config_path, "w") as f:
        yaml.safe_dump(config, f)
    paths = []
    for i, text in enumerate(files):
        paths.append(os.path.join(tmp, f"rules{i}.yaml"))
        with open(paths[-1], "w") as f:
            f.write(text)
    out, err = io.StringIO(), io.StringIO()
    assert run(config_path, paths, False, None, None, out, err) == 0, err.getvalue()
    lines = out.getvalue().splitlines()
    return lines if json_output else lines[:next(i for i, line in enumerate(lines) if line.startswith("Events read:"))]


@pytest.mark.clause("ENGINE-RULES-PER-SOURCE", "CONFIG-RULE-MATCHING", "ALERT-TEXT", "ALERT-JSON", "RULES-DEFINE",
                    "RULES-APPEND-OVERRIDE", "RULES-LISTS", "RULES-MACROS", "RULES-EXCEPTIONS")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def test_the_falco_layer_selects_and_formats_alerts_as_falco(tmp_path_factory, scenario):
    files, matching, threshold, events, world, rules = scenario
    tmp = str(tmp_path_factory.mktemp("falco"))
    expected_texts, expected_documents = model_alerts(rules, world, events, matching, threshold)
    saved = os.environ.get("FALCO_HOSTNAME")
    os.environ["FALCO_HOSTNAME"] = HOST
    try:
        with utc():
            texts = run_falco(tmp, files, matching, threshold, events, json_output=False)
            documents = [json.loads(line) for line in run_falco(tmp, files, matching, threshold, events, True)]
    finally:
        if saved is None:
            os.environ.pop("FALCO_HOSTNAME", None)
        else:
            os.environ["FALCO_HOSTNAME"] = saved
    assert texts == expected_texts
    assert documents == expected_documents


def test_the_model_agrees_with_a_case_written_by_hand():
    """The model itself, on the facts' example: `22:13:20.000000000: Warning A 0` and its output_fields."""
    ts = 1_700_000_000 * 10**9
    rule = ModelRule("A", 0, ("check", Check(FieldRef("x.i"), "exists")), [("A ", None, None), ("", "x.i", None)],
                     4, set())
    texts, documents = model_alerts([rule, replace(rule, name="B", index=1)], World(), [{"x.i": 0}], None, None, ts)
    assert texts == ["22:13:20.000000000: Warning A 0"]
    assert documents[0]["output"] == texts[0] and documents[0]["output_fields"] == {"evt.time": ts, "x.i": 0}
    assert calendar.timegm(time.strptime(documents[0]["time"][:19], "%Y-%m-%dT%H:%M:%S")) == 1_700_000_000
