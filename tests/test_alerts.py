"""The alert engine: ENGINE-RULES-PER-SOURCE, ENGINE-STREAM, ALERT-TEXT, ALERT-JSON."""

from pathlib import Path

import pytest
import yaml

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.defined import DefinedLibrary
from fake_plugins.misbehaving import variant
from reference.falco.alerts import AlertEngine, alerts_for
from reference.falco.config import ConfigError, parse_config
from reference.host.engine import EventStream
from reference.host.event_fields import EventContext, ExtractionPlan, FieldTable
from reference.host.registry import PluginRegistry
from reference.falco.rules import load_rules

TS = 1_650_000_000_123_456_789
Y_SOURCE = variant(SOURCE_DEFINITION, name="ysrc", id=2**30 + 43, event_source="y",
                   fields=[{"type": "uint64", "name": "y.i", "desc": "n"}])
RULES = [
    {"rule": "big x", "desc": "d", "condition": "x.i > 1", "output": "x=%x.i word=%x.word", "priority": "WARNING",
     "source": "x", "tags": ["b", "a"]},
    {"rule": "big y", "desc": "d", "condition": "y.i > 1", "output": "y=%y.i", "priority": "DEBUG", "source": "y"},
    {"rule": "x without word", "desc": "d", "condition": "not x.word exists", "output": "no word n=%evt.num",
     "priority": "NOTICE", "source": "x"},
    {"rule": "any x", "desc": "d", "condition": "evt.num > 0", "output": "num=%evt.num", "priority": "INFO",
     "source": "x", "enabled": False},
]


def setup(x_events, y_events, x_batches=(), min_priority=7, rule_matching="first"):
    registry = PluginRegistry()
    x = registry.load(DefinedLibrary(variant(SOURCE_DEFINITION, events=x_events, batches=list(x_batches))))
    y = registry.load(DefinedLibrary(variant(Y_SOURCE, events=y_events)))
    ruleset = load_rules([("r.yaml", yaml.safe_dump(RULES, sort_keys=False))],
                         {"x": FieldTable(registry, "x"), "y": FieldTable(registry, "y")})
    x.open("")
    y.open("")
    return AlertEngine(ruleset, min_priority, clock=lambda: 42, rule_matching=rule_matching), [x, y]


def events(values, base=TS):
    return [{"ts": base + i, "values": v} for i, v in enumerate(values)]


@pytest.mark.clause("ENGINE-RULES-PER-SOURCE", "ENGINE-STREAM")
@pytest.mark.parametrize("rule_matching", ["first", "all"])
def test_rules_run_on_their_own_source_only_and_every_event_is_read(rule_matching):
    engine, sources = setup(events([{"x.i": 5, "x.word": "a"}, {"x.i": 1}, {"x.i": 9}]), events([{"y.i": 3}, {"y.i": 0}]),
                            rule_matching=rule_matching)
    alerts = []
    summary = engine.run(sources, alerts.append)
    # "x without word" would match every y event too, were it run on them. The third x event matches
    # "big x" and "x without word": the first defined raises the alert, or both with `all`.
    expected = [("big x", "x=5 word=a"), ("big x", "x=9 word=<NA>"), ("big y", "y=3"), ("x without word", "no word n=2")]
    if rule_matching == "all":
        expected.append(("x without word", "no word n=3"))
    assert sorted((a.rule, a.output) for a in alerts) == expected
    assert summary.events == {"xsrc": 3, "ysrc": 2}
    assert summary.alerts == {"big x": 2, "big y": 1, "x without word": 1 if rule_matching == "first" else 2}


@pytest.mark.clause("ENGINE-RULES-PER-SOURCE")
def test_priority_threshold_disables_less_severe_rules():
    engine, sources = setup(events([{"x.i": 5, "x.word": "w"}]), events([{"y.i": 3}]), min_priority=4)
    alerts = []
    engine.run(sources, alerts.append)
    assert [a.rule for a in alerts] == ["big x"]


@pytest.mark.clause("ENGINE-STREAM")
def test_timeout_means_retry_and_eof_ends_the_source():
    x_events = events([{"x.i": 2}, {"x.i": 3}, {"x.i": 4}])
    engine, sources = setup(x_events, [], x_batches=[{"events": 0, "rc": "timeout"}, {"events": 1, "rc": "timeout"},
                                                     {"events": 0, "rc": "timeout"}, {"events": 2, "rc": "eof"}])
    alerts = []
    summary = engine.run(sources, alerts.append, idle_sleep=0)
    assert [a.output for a in alerts if a.rule == "big x"] == ["x=2 word=<NA>", "x=3 word=<NA>", "x=4 word=<NA>"]
    assert summary.events["xsrc"] == 3


@pytest.mark.clause("ENGINE-STREAM")
def test_max_events_stops_the_run():
    engine, sources = setup(events([{"x.i": 2}] * 10), events([{"y.i": 2}] * 10))
    assert sum(engine.run(sources, lambda a: None, max_events=5).events.values()) == 5


@pytest.mark.clause("ALERT-TEXT", "ALERT-JSON")
def test_alert_text_and_json(utc):
    engine, sources = setup(events([{"x.i": 7}]), [])
    [alert] = [a for a in _collect(engine, sources) if a.rule == "big x"]
    assert alert.text() == "05:20:00.123456789: Warning x=7 word=<NA>"
    document = alert.to_json(hostname="h")
    # The prefix `*%evt.time: <Priority> ` belongs to the output, and its evt.time (ns) to output_fields.
    assert document == {"hostname": "h", "output": "05:20:00.123456789: Warning x=7 word=<NA>",
                        "output_fields": {"evt.time": TS, "x.i": 7, "x.word": None},
                        "priority": "Warning", "rule": "big x", "source": "x", "tags": ["a", "b"],
                        "time": "2022-04-15T05:20:00.123456789Z"}


def _collect(engine, sources):
    found = []
    engine.run(sources, found.append)
    return found


@pytest.mark.clause("ENGINE-STREAM")
def test_progress_bar_is_fed_by_get_progress():
    import io

    from reference.falco.alerts import RunSummary
    from reference.falco.app import ProgressBar

    engine, sources = setup(events([{"x.i": 2}] * 4), [])
    stream = io.StringIO()
    bar = ProgressBar(stream, interval=0)
    engine.run(sources[:1], lambda a: None, on_progress=bar.update)
    bar.finish()
    text = stream.getvalue()
    assert "100.00%" in text and "events 4" in text and "alerts 4" in text
    assert isinstance(RunSummary().lines(), list)


@pytest.mark.clause("CONFIG-RULE-MATCHING")
@pytest.mark.parametrize("text, expected", [("", "first"), ("rule_matching: first\n", "first"),
                                            ("rule_matching: all\n", "all"), ("rule_matching: ALL\n", "all"),
                                            ("rule_matching:\n", "first")])
def test_rule_matching_is_first_unless_configured(text, expected):
    assert parse_config(text).rule_matching == expected


@pytest.mark.clause("CONFIG-RULE-MATCHING")
@pytest.mark.parametrize("value", ["every", "[first]", "1"])
def test_an_unknown_rule_matching_is_a_config_error(value):
    with pytest.raises(ConfigError) as caught:
        parse_config(f"priority: debug\nrule_matching: {value}\n", "f.yaml")
    shown = value if not value.startswith("[") else ""
    assert str(caught.value) == (f'Error reading config file (f.yaml:2): Unknown rule matching strategy "{shown}"'
                                 f'--must be one of first, all')


@pytest.mark.clause("CONFIG-RULE-MATCHING", "ENGINE-RULES-PER-SOURCE")
def test_run_reads_rule_matching(tmp_path, capsys):
    from reference.tools.cli import main

    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump([
        {"rule": f"r{i}", "desc": "d", "condition": "counter.n = 2", "output": f"r{i} n=%counter.n",
         "priority": "INFO", "source": "counter"} for i in (1, 2)], sort_keys=False))
    demo = (Path(__file__).resolve().parents[1] / "fake_plugins" / "demo" / "falco.yaml").read_text()
    for matching, expected in (("", ["r1 n=2"]), ("rule_matching: all\n", ["r1 n=2", "r2 n=2"])):
        config = tmp_path / "falco.yaml"
        config.write_text(demo + matching)
        assert main(["run", "-c", str(config), "-r", str(rules)]) == 0
        out = capsys.readouterr().out
        assert [line.split(" Informational ")[1] for line in out.splitlines() if " Informational " in line] == expected
    config.write_text(demo + "rule_matching: most\n")
    assert main(["run", "-c", str(config), "-r", str(rules)]) == 1
    assert 'Unknown rule matching strategy "most"--must be one of first, all' in capsys.readouterr().err


@pytest.mark.clause("ENGINE-RULES-PER-SOURCE")
def test_without_a_rule_matching_the_first_matching_rule_alone_alerts():
    engine, sources = setup(events([{"x.i": 9}]), [])
    default = AlertEngine(engine.ruleset, engine.min_priority, clock=engine.clock)  # no rule_matching given
    alerts = []
    default.run(sources, alerts.append)
    # "big x" and "x without word" both match; only the first defined alerts
    assert [a.rule for a in alerts] == ["big x"]
    engine, sources = setup(events([{"x.i": 9}]), [])
    rules = engine.ruleset.enabled_for("x", engine.min_priority)
    event = EventStream(sources[0], engine.clock).next()
    context = EventContext(event, ExtractionPlan.merged(rule.plan for rule in rules), sources[0])
    assert [a.rule for a in alerts_for(event, context, rules)] == ["big x"]


@pytest.mark.clause("TS-NOW")
def test_events_stamped_now_take_the_engines_clock():
    engine, sources = setup([{"ts": "now", "values": {"x.i": 9}}], [])  # the engine's clock says 42
    alerts = []
    engine.run(sources, alerts.append)
    assert [(a.rule, a.ts) for a in alerts] == [("big x", 42)]


@pytest.mark.clause("ENGINE-STREAM")
def test_a_source_with_no_event_now_does_not_hold_the_others_back():
    # Sources are read in turn: x's TIMEOUT ("no event now") leaves the round to y, whose event
    # is read first; x is asked again in the next round.
    engine, sources = setup(events([{"x.i": 2}]), events([{"y.i": 2}]),
                            x_batches=[{"events": 0, "rc": "timeout"}, {"events": 1, "rc": "eof"}])
    summary = engine.run(sources, lambda alert: None, max_events=1, idle_sleep=0)
    assert (summary.events["xsrc"], summary.events["ysrc"]) == (0, 1)
