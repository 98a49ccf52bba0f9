"""The alert engine: events from the open source plugins, the enabled rules of the event's source in
the order they were first defined, the first matching rule's alert out (or every matching rule's, with
`rule_matching: all`) (clauses ENGINE-RULES-PER-SOURCE, ENGINE-STREAM, ALERT-TEXT, ALERT-JSON).
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from reference.host.engine import EventStream, PluginEvent
from reference.host.event_fields import EventContext, ExtractionPlan, _iso8601, _time, host_name
from reference.host.loader import LoadedPlugin
from reference.falco.rules import CompiledRule, RuleSet

PRIORITY_NAMES = ("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug")


@dataclass(frozen=True)
class Alert:
    rule: str
    priority: str
    source: str
    tags: tuple[str, ...]
    ts: int
    #: The rule's output, formatted (without the prefix).
    output: str
    #: The rule output's tokens and their typed values (without the prefix's evt.time).
    output_fields: dict

    def text(self) -> str:
        """ALERT-TEXT: Falco's format `*%evt.time: <Priority> <output>`, evt.time being local
        HH:MM:SS.nnnnnnnnn."""
        return f"{_time(self.ts)}: {self.priority} {self.output}"

    def to_json(self, hostname: str | None = None) -> dict:
        """ALERT-JSON: the whole line (prefix included) as `output`; the prefix's evt.time (ns) among
        `output_fields`, whose keys are sorted as every key of the document."""
        fields = dict(sorted({**self.output_fields, "evt.time": self.ts}.items()))
        return {"hostname": hostname or host_name(), "output": self.text(), "output_fields": fields,
                "priority": self.priority, "rule": self.rule, "source": self.source, "tags": list(self.tags),
                "time": _iso8601(self.ts).replace("+0000", "Z")}


@dataclass
class RunSummary:
    events: Counter = field(default_factory=Counter)       # source plugin name -> events read
    alerts: Counter = field(default_factory=Counter)       # rule name -> alerts

    def lines(self) -> list[str]:
        out = [f"Events read: {sum(self.events.values())}"]
        out += [f"  {name}: {count}" for name, count in self.events.items()]
        out.append(f"Alerts: {sum(self.alerts.values())}")
        out += [f"  {rule}: {count}" for rule, count in self.alerts.most_common()]
        return out


def alerts_for(event: PluginEvent, context: EventContext, rules: list[CompiledRule], rule_matching: str = "first"
               ) -> Iterator[Alert]:
    """ENGINE-RULES-PER-SOURCE: the alerts `rules` (the event's source's, in the order first defined)
    raise for one event: the first matching rule's, or with `rule_matching: all` every matching rule's."""
    for rule in rules:
        if not rule.condition.matches(context):
            continue
        output = rule.formatter.format(context)
        yield Alert(rule.name, PRIORITY_NAMES[rule.priority], rule.source, tuple(sorted(rule.tags)), event.ts,
                    output, rule.formatter.values(context))
        if rule_matching == "first":
            return


class AlertEngine:
    def __init__(self, ruleset: RuleSet, min_priority: int = len(PRIORITY_NAMES) - 1, clock=time.time_ns,
                 rule_matching: str = "first"):
        self.ruleset = ruleset
        self.min_priority = min_priority
        self.clock = clock
        self.rule_matching = rule_matching

    def run(self, sources: list[LoadedPlugin], on_alert: Callable[[Alert], None],
            max_events: int | None = None, on_progress: Callable[[RunSummary, LoadedPlugin], None] | None = None,
            idle_sleep: float = 0.001) -> RunSummary:
        """Pull events from every (open) source plugin in turn until each reaches EOF.

        TIMEOUT means "no event now": the source is asked again in the next round; when every
        source timed out in a round the engine sleeps briefly instead of spinning.
        """
        summary = RunSummary()
        streams = [EventStream(plugin, self.clock) for plugin in sources]
        rules = {p.info.event_source: self.ruleset.enabled_for(p.info.event_source, self.min_priority)
                 for p in sources}
        # Every rule's plan, merged per source: one value cache per event serves all the rules.
        plans = {source: ExtractionPlan.merged(rule.plan for rule in source_rules)
                 for source, source_rules in rules.items()}
        total = 0
        while streams:
            produced = False
            for stream in list(streams):
                event = stream.next()
                if event is None:
                    if stream.ended:
                        streams.remove(stream)
                    continue
                produced = True
                total += 1
                plugin = stream.plugin
                summary.events[plugin.name] += 1
                context = EventContext(event, plans[event.source], plugin)
                for alert in alerts_for(event, context, rules[event.source], self.rule_matching):
                    summary.alerts[alert.rule] += 1
                    on_alert(alert)
                if on_progress is not None:
                    on_progress(summary, plugin)
                if max_events is not None and total >= max_events:
                    return summary
            if not produced and streams:
                time.sleep(idle_sleep)
        return summary
