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

The generator (conformance/rules_strategies.py) gives each rules file with its meaning as data; the
model here evaluates that meaning (it never reads the rules text back), single checks with the filter
model of test_filter_language.
"""
from __future__ import annotations

import calendar
import io
import json
import os
import time
from dataclasses import replace

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from conformance.adapters.reference import utc
from conformance.filter_strategies import SOURCE_DEFINITION
from conformance.properties.test_filter_language import model_check, model_value
from conformance.rules_strategies import (BASE_TS, PRIORITY_NAMES, STEP, ModelRule, World, priority_number,
                                          scenarios)
from fake_plugins.misbehaving import variant
from reference.falco.app import run
from reference.filter import Check, FieldRef, ListValue

HOST = "model-host"


# The model of what a rule's condition means (falco-rules.md §2.5-2.8, §3.7).

def holds(world: World, tree, values: dict, num: int) -> bool:
    kind = tree[0]
    if kind == "check":
        return model_check(tree[1], model_value(tree[1].field, values, num))
    if kind == "and":
        return all(holds(world, c, values, num) for c in tree[1])
    if kind == "or":
        return any(holds(world, c, values, num) for c in tree[1])
    if kind == "not":
        return not holds(world, tree[1], values, num)
    if kind == "macro":
        return holds(world, world.macros[tree[1]], values, num)
    _, name, list_name, op = tree
    check = Check(FieldRef(name), op, ListValue(tuple(world.lists[list_name])))
    return model_check(check, model_value(check.field, values, num))


def rule_holds(world: World, rule: ModelRule, values: dict, num: int) -> bool:
    """Appends join texts with a space: `base and (t1) or (t2)`, in which `and` binds before `or`."""
    groups = [[rule.condition]]
    for joiner, tree in rule.appends:
        if joiner == "and":
            groups[-1].append(tree)
        else:
            groups.append([tree])
    return any(all(holds(world, t, values, num) for t in group) for group in groups)


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
            if excepted or not rule_holds(world, rule, values, num):
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
