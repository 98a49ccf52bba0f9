"""Random Falco rules files of the kind real ones are, with what the generator meant by them.

Lists naming earlier lists, macros using earlier macros, and/or/not trees of every operator (the
checks of filter_strategies), exceptions with scalar and list values, outputs with widths, arguments
and missing values, priorities in any case, disabled rules; then a second file that redefines,
appends to (`and`/`or`), adds tags to, enables or disables rules. Each scenario comes with its
meaning as data (trees, lists, rules): the properties' models evaluate it; nothing here evaluates.

A tree is ("check", Check) | ("and"|"or", [trees]) | ("not", tree) | ("macro", name) |
("list", field, list name, operator).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from hypothesis import strategies as st

from conformance.filter_strategies import checks, event_lists
from reference.filter import Check, FieldRef, ListValue
from reference.filter.ast import to_text

BASE_TS = 1_650_000_000_123_456_789
STEP = 1_000_001_000
PRIORITY_NAMES = ("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug")
PRIORITY_SPELLINGS = ["EMERGENCY", "alert", "Critical", "ERROR", "warning", "Notice", "info", "INFORMATIONAL",
                      "debug"]
LIST_ITEMS = ["nginx", "sshd", "bash", "NGINX", "ng", "two words", "/opt/dir", "relative/p"]
EXCEPTION_WORDS = ["nginx", "sshd", "bash", "two words", ""]


def priority_number(text: str) -> int:
    lowered = text.lower()
    return 6 if lowered == "info" else [p.lower() for p in PRIORITY_NAMES].index(lowered)


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
    """What the generator wrote besides rules: the lists' items (resolved) and the macros' trees."""

    lists: dict[str, list[str]] = field(default_factory=dict)
    macros: dict[str, tuple] = field(default_factory=dict)


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



@dataclass
class ModelRule:
    """A rule as the generator meant it, after every redefinition and override."""

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


@st.composite
def scenarios(draw):
    """(rules files, rule_matching, priority threshold, events, World, the rules in the order first defined)."""
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
