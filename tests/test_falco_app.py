"""`plugref run` and `plugref validate` as commands (FALCO-RUN, FALCO-VALIDATE): what they read, what they
print where, and their exit status. The plugins are definition files (docs/fake-plugin-definitions.md)
written here, loaded through falco.yaml entries.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from reference.contract.v0_3 import Event
from reference.falco.app import ProgressBar, load_plugins, run, validate
from reference.falco.config import ConfigError, parse_config
from reference.sdk import GeneratorInstance, SourcePlugin, field
from reference.tools.cli import main

DEMO = Path(__file__).resolve().parents[1] / "fake_plugins" / "demo"
TICKS = [(1700000000000000000, "1", "café"), (1700000001000000000, "2", "b"), (1700000002000000000, "3", "c")]


def ticker(**changes) -> dict:
    """A source plugin (ID 999: it loads with a warning) of three events with the fields ticker.n and ticker.word."""
    return {"name": "ticker", "type": 1, "id": 999, "event_source": "ticks", "version": "1.2.0",
            "fields": [{"type": "uint64", "name": "ticker.n", "desc": "the count"},
                       {"type": "string", "name": "ticker.word", "desc": "a word"}],
            "events": [{"ts": ts, "values": {"ticker.n": n, "ticker.word": word}} for ts, n, word in TICKS],
            **changes}


EXTRACTOR = {"name": "wordlen", "type": 2, "version": "0.3.0", "extract_event_sources": ["ticks"],
             "fields": [{"type": "uint64", "name": "wordlen.n", "desc": "n"}]}
RULE = "- rule: {name}\n  desc: d\n  condition: {condition}\n  output: {output}\n  priority: {priority}\n  source: ticks\n"
ALL_TICKS = RULE.format(name="Any tick", condition="ticker.n > 0", output="w=%ticker.word n=%ticker.n",
                        priority="WARNING")


#: The plugins of this module destroyed so far (a run destroys what it loaded, whatever happens).
DESTROYED: list[str] = []


class Keeper(SourcePlugin):
    """A Python source plugin (this module, as a library_path) that says when it is destroyed."""
    id = 2**30 + 51
    name = "keeper"
    event_source = "kept"
    version = "1.0.0"

    def open(self, params):
        return GeneratorInstance([Event(b"k", 10**18)])

    def destroy(self):
        DESTROYED.append(self.name)

    @field("keeper.one", "uint64", "always 1")
    def one(self, event, arg):
        return 1


PLUGIN = Keeper
KEEPER_ENTRY = "plugins:\n  - name: keeper\n    library_path: tests.test_falco_app\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def setup(tmp_path, config: str = "", rules: str | None = ALL_TICKS, plugin: dict | None = None) -> tuple[str, str]:
    """falco.yaml (loading the ticker from tmp_path/plugins, relative to the plugins directory) and a rules file."""
    plugins = tmp_path / "plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "ticker.json").write_text(json.dumps(plugin or ticker()))
    (plugins / "wordlen.json").write_text(json.dumps(EXTRACTOR))
    falco_yaml = tmp_path / "falco.yaml"
    falco_yaml.write_text("plugins:\n  - name: ticker\n    library_path: ticker.json\n" + config)
    rules_file = tmp_path / "rules.yaml"
    if rules is not None:
        rules_file.write_text(rules)
    return str(falco_yaml), str(rules_file)


def outputs(text: str) -> list[str]:
    """The alerts of a text run without their time prefix (ALERT-TEXT: `<time>: <Priority> <output>`)."""
    return [line.split(": ", 1)[1] for line in text.splitlines() if line[:2].isdigit()]


def run_in(tmp_path, config_path, rules, json_output=False, max_events=None, err=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    status = run(config_path, rules, json_output, str(tmp_path / "plugins"), max_events, out, err)
    return status, out.getvalue(), err.getvalue()


# plugref run


@pytest.mark.clause("FALCO-RUN", "ALERT-TEXT", "ENGINE-STREAM")
def test_a_run_says_what_loaded_and_ends_with_the_summary_on_stdout(tmp_path):
    config_path, rules = setup(tmp_path, "  - name: wordlen\n    library_path: wordlen.json\n")
    status, out, err = run_in(tmp_path, config_path, [rules])
    assert status == 0
    assert outputs(out) == ["Warning w=café n=1", "Warning w=b n=2", "Warning w=c n=3"]
    assert out.endswith("Events read: 3\n  ticker: 3\nAlerts: 3\n  Any tick: 3\n")
    plugins = tmp_path / "plugins"
    assert err.splitlines()[:3] == [
        f"Loaded plugin ticker 1.2.0 (source plugin, event source ticks) from {plugins / 'ticker.json'}",
        f"Loaded plugin wordlen 0.3.0 (extractor plugin) from {plugins / 'wordlen.json'}",
        "warning: source plugin ticker uses ID 999, reserved for development: its events may be confused with "
        "those of other plugins in development"]
    assert "\r" not in err  # not a terminal: no progress bar


@pytest.mark.clause("FALCO-RUN", "ALERT-JSON")
@pytest.mark.parametrize("option, config", [(True, ""), (False, "json_output: true\n")])
def test_json_alerts_leave_stdout_to_json_lines_and_keep_non_ascii_text(tmp_path, option, config):
    config_path, rules = setup(tmp_path, config)
    status, out, err = run_in(tmp_path, config_path, [rules], json_output=option)
    assert status == 0
    lines = out.splitlines()
    assert [json.loads(line)["output_fields"]["ticker.word"] for line in lines] == ["café", "b", "c"]
    assert '"ticker.word": "café"' in lines[0]  # written as it is, not as \u00e9
    assert err.endswith("Events read: 3\n  ticker: 3\nAlerts: 3\n  Any tick: 3\n")


@pytest.mark.clause("FALCO-RUN", "CONFIG-RUN-KEYS", "ENGINE-RULES-PER-SOURCE")
def test_rules_files_come_from_the_configuration_when_none_is_given(tmp_path):
    second = RULE.format(name="Notice n", condition="ticker.n = 2", output="second", priority="NOTICE")
    (tmp_path / "second.yaml").write_text(second)
    config_path, rules = setup(tmp_path, f"rules_files: [{tmp_path / 'rules.yaml'}, {tmp_path / 'second.yaml'}]\n"
                                         "priority: warning\n")
    status, out, err = run_in(tmp_path, config_path, [])
    assert status == 0
    assert outputs(out) == ["Warning w=café n=1", "Warning w=b n=2", "Warning w=c n=3"]  # Notice is below warning
    status, out, err = run_in(tmp_path, config_path, [str(tmp_path / "second.yaml")])  # -r wins
    assert status == 0 and outputs(out) == []


@pytest.mark.clause("FALCO-RUN")
def test_without_rules_files_the_run_stops(tmp_path, capsys):
    config_path, _ = setup(tmp_path, rules=None)
    assert main(["run", "-c", config_path, "--plugins-dir", str(tmp_path / "plugins")]) == 1
    captured = capsys.readouterr()
    assert captured.err == "plugref: error: no rules: give rules files with -r, or rules_files in the configuration\n"
    assert captured.out == ""


@pytest.mark.clause("FALCO-RUN")
def test_without_a_source_plugin_the_run_stops(tmp_path, capsys):
    config_path, rules = setup(tmp_path, "  - name: wordlen\n    library_path: wordlen.json\nload_plugins: [wordlen]\n",
                               rules="- list: l\n  items: [a]\n")
    assert main(["run", "-c", config_path, "-r", rules, "--plugins-dir", str(tmp_path / "plugins")]) == 1
    err = capsys.readouterr().err
    assert err.endswith("plugref: error: no source plugin is loaded: nothing to read events from\n")
    assert err.startswith("Loaded plugin wordlen 0.3.0 (extractor plugin) from ")


@pytest.mark.clause("FALCO-RUN", "CONFIG-LIBRARY-PATH")
def test_relative_library_paths_resolve_under_the_plugins_directory_given(tmp_path, capsys):
    config_path, rules = setup(tmp_path)
    status, out, err = run_in(tmp_path, config_path, [rules])
    assert status == 0 and len(outputs(out)) == 3
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert main(["run", "-c", config_path, "-r", rules, "--plugins-dir", str(elsewhere)]) == 1
    assert f"{elsewhere / 'ticker.json'}: no such definition file" in capsys.readouterr().err
    assert main(["validate", rules, "-c", config_path, "--plugins-dir", str(elsewhere)]) == 1
    assert f"{elsewhere / 'ticker.json'}: no such definition file" in capsys.readouterr().err
    assert main(["validate", rules, "-c", config_path, "--plugins-dir", str(tmp_path / "plugins")]) == 0
    assert capsys.readouterr().out.startswith(f"{rules}: Ok")


@pytest.mark.clause("FALCO-RUN", "CONFIG-APPEND-OUTPUT", "RULES-RESULTS")
def test_warnings_of_the_configuration_and_of_the_rules_go_to_stderr(tmp_path):
    config_path, rules = setup(tmp_path, "append_output:\n  - extra_fields: [a]\n",
                               rules=ALL_TICKS + "- macro: unused\n  condition: ticker.n = 1\n")
    status, out, err = run_in(tmp_path, config_path, [rules])
    assert status == 0
    lines = err.splitlines()
    at = lines.index(f"warning: {config_path}:5: append_output extra_fields is not yet supported by plugref: ignored")
    assert lines[at + 1].startswith("warning: source plugin ticker uses ID 999")
    assert lines[at + 2:at + 5] == [
        f"warning: In rules content: ({rules}:1:1)", f"    In macro 'unused': ({rules}:7:3)",
        "LOAD_UNUSED_MACRO (A macro is defined in the rules content but is not used by any other macro or rule.): "
        "Macro not referred to by any other rule/macro"]
    assert "warning:" not in out


@pytest.mark.clause("FALCO-RUN", "ENGINE-STREAM")
def test_open_params_reach_the_source_and_n_stops_the_run(tmp_path):
    # the demo's counter starts counting at its open params; the demo configuration opens it with "1"
    status, out, err = run_in(tmp_path, None, [], max_events=4)
    assert status == 0
    assert [line for line in out.splitlines() if "Fourth event" in line][0].endswith(
        "Informational Fourth event (n=4 proc=python3)")
    assert out.endswith("Events read: 4\n  counter: 4\nAlerts: 2\n  Shell run by root: 1\n  Every fourth event: 1\n")
    # opened at 11: event 11 is sshd's (11 % 5) as root (11 % 3), 12 a fourth event
    demo = (DEMO / "falco.yaml").read_text().replace('open_params: "1"', 'open_params: "11"')
    (tmp_path / "falco.yaml").write_text(demo)
    status, out, err = run_in(tmp_path, str(tmp_path / "falco.yaml"), [str(DEMO / "rules.yaml")], max_events=2)
    assert status == 0
    assert outputs(out) == ["Warning Shell run by root (proc=sshd user=root n=11)",
                            "Informational Fourth event (n=12 proc=bash)"]


@pytest.mark.clause("FALCO-RUN")
def test_the_demo_runs_its_rules_without_options(tmp_path):
    status, out, err = run_in(tmp_path, None, [])
    assert status == 0 and "Events read: 30\n" in out
    assert err.startswith("Loaded plugin counter 0.1.0 (source plugin, event source counter) from fake_plugins.counter\n"
                          "Loaded plugin json 0.1.0 (extractor plugin) from fake_plugins.json_extractor\n")


@pytest.mark.clause("FALCO-RUN", "CONFIG-RUN-KEYS")
@pytest.mark.parametrize("priority", ["loud", "[warning]"])
def test_an_unknown_priority_stops_the_run_naming_its_line(tmp_path, capsys, priority):
    config_path, rules = setup(tmp_path, f"priority: {priority}\n")
    assert main(["run", "-c", config_path, "-r", rules, "--plugins-dir", str(tmp_path / "plugins")]) == 1
    shown = "" if priority.startswith("[") else priority
    assert capsys.readouterr().err == (
        f'plugref: error: Error reading config file ({config_path}:4): Unknown priority "{shown}"--must be one of '
        f"emergency, alert, critical, error, warning, notice, informational, debug\n")


@pytest.mark.clause("CONFIG-RUN-KEYS")
@pytest.mark.parametrize("text, priority", [("priority: info\n", "info"), ("priority: INFORMATIONAL\n", "INFORMATIONAL"),
                                            ("priority: Emergency\n", "Emergency"), ("priority:\n", "debug"),
                                            ("priority: ~\n", "debug")])
def test_a_priority_is_any_priority_name_in_any_case(text, priority):
    assert parse_config(text).priority == priority
    with pytest.raises(ConfigError) as caught:
        parse_config(text + "priority: informative\n", "f.yaml")
    assert caught.value.clause == "CONFIG-RUN-KEYS"


@pytest.mark.clause("FALCO-RUN", "ENGINE-STREAM")
def test_on_a_terminal_a_progress_bar_is_drawn_and_blanked(tmp_path):
    config_path, rules = setup(tmp_path)
    status, out, err = run_in(tmp_path, config_path, [rules], err=Terminal())
    assert status == 0
    assert "\r[" in err and "%  events " in err
    assert err.endswith("\r" + " " * 70 + "\r")


# The progress bar


class Reporting:
    """What the bar asks of a source plugin: its progress, as get_progress answers (or None)."""

    def __init__(self, permyriad: int | None):
        self.answer = None if permyriad is None else (f"{permyriad}", permyriad)

    def progress(self):
        return self.answer


def summary(events: int, alerts: int):
    from reference.falco.alerts import RunSummary

    result = RunSummary()
    result.events["ticker"], result.alerts["r"] = events, alerts
    return result


@pytest.mark.clause("ENGINE-STREAM", "FALCO-RUN")
@pytest.mark.parametrize("permyriad, cells, shown", [
    (4200, 12, " 42.00"), (0, 0, "  0.00"), (1, 0, "  0.01"), (-5, 0, "  0.00"), (None, 0, "  0.00"),
    (9999, 29, " 99.99"), (10000, 30, "100.00"), (10001, 30, "100.00"), (12000, 30, "100.00"), (334, 1, "  3.34")])
def test_the_bar_shows_the_progress_clamped_in_30_cells(permyriad, cells, shown):
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar.clock = lambda: 0.0
    bar.update(summary(7, 2), Reporting(permyriad))
    assert stream.getvalue() == f"\r[{'#' * cells}{' ' * (30 - cells)}] {shown}%  events 7  alerts 2"
    bar.finish()
    assert stream.getvalue().endswith("alerts 2\r" + " " * 70 + "\r")


@pytest.mark.clause("ENGINE-STREAM", "FALCO-RUN")
def test_the_bar_is_redrawn_at_most_every_fifth_of_a_second():
    stream = io.StringIO()
    bar = ProgressBar(stream)
    times = iter([5.0, 5.1, 5.199, 5.2, 5.3, 5.45])
    bar.clock = lambda: next(times)
    drawn = []
    for events in range(6):
        before = stream.getvalue()
        bar.update(summary(events, 0), Reporting(100))
        drawn.append(stream.getvalue() != before)
    assert drawn == [True, False, False, True, False, True]
    # an update exactly one interval after the last one drawn is drawn (0.25 and its multiples are exact in binary)
    bar = ProgressBar(stream, interval=0.25)
    times = iter([1.0, 1.25, 1.4999, 1.5])
    bar.clock = lambda: next(times)
    drawn = []
    for events in range(4):
        before = stream.getvalue()
        bar.update(summary(events, 0), Reporting(100))
        drawn.append(stream.getvalue() != before)
    assert drawn == [True, True, False, True]


# plugref validate


@pytest.mark.clause("FALCO-VALIDATE", "RULES-RESULTS")
def test_validate_prints_the_results_to_its_stream_and_exits_by_success(tmp_path, capsys):
    config_path, rules = setup(tmp_path)
    out = io.StringIO()
    assert validate([rules], config_path, False, str(tmp_path / "plugins"), out) == 0
    assert out.getvalue() == f"{rules}: Ok\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULE.format(name="bad", condition="ticker.n >", output="o", priority="INFO"))
    out = io.StringIO()
    assert validate([rules, str(bad)], config_path, False, str(tmp_path / "plugins"), out) == 1
    assert out.getvalue().startswith(f"{rules}: Ok\n{bad}: Invalid\n1 Errors:\n")
    assert capsys.readouterr().out == ""  # all of it went to the stream given


@pytest.mark.clause("FALCO-VALIDATE", "RULES-RESULTS")
@pytest.mark.parametrize("option, config", [(True, ""), (False, "json_output: true\n")])
def test_validate_prints_json_indented_by_two_with_json_or_json_output(tmp_path, option, config):
    config_path, rules = setup(tmp_path, config)
    out = io.StringIO()
    assert validate([rules], config_path, option, str(tmp_path / "plugins"), out) == 0
    document = json.loads(out.getvalue())
    assert out.getvalue() == json.dumps(document, indent=2) + "\n"
    assert document["falco_load_results"][0]["name"] == rules
    assert document["falco_load_results"][0]["successful"] is True


@pytest.mark.clause("FALCO-VALIDATE", "RULES-UNKNOWN-SOURCE")
def test_validate_without_a_configuration_loads_no_plugin(tmp_path, capsys):
    _, rules = setup(tmp_path)
    assert main(["validate", rules]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{rules}: Ok, with warnings\n")
    assert "LOAD_UNKNOWN_SOURCE" in out  # the ticks source is not loaded: the rule is not checked


@pytest.mark.clause("FALCO-VALIDATE", "RULES-RESULTS")
def test_an_unreadable_rules_file_is_a_result_not_an_error(tmp_path, capsys):
    missing = tmp_path / "missing.yaml"
    assert main(["validate", str(missing), "--json"]) == 1
    captured = capsys.readouterr()
    result = json.loads(captured.out)["falco_load_results"][0]
    assert (result["name"], result["successful"], result["errors"][0]["code"]) == \
        (str(missing), False, "LOAD_ERR_FILE_READ")
    assert captured.err == ""


@pytest.mark.clause("FALCO-VALIDATE", "CONFIG-ERRORS")
def test_a_bad_configuration_is_an_error_of_validate(tmp_path, capsys):
    config_path, rules = setup(tmp_path, "json_output: maybe\n")
    assert main(["validate", rules, "-c", config_path]) == 1
    assert capsys.readouterr().err == \
        f"plugref: error: Error reading config file ({config_path}:4): json_output must be a boolean, not 'maybe'\n"


# load_plugins: what a refusal names


@pytest.mark.clause("CONFIG-PLUGINS", "CONFIG-SOURCE-NAME")
def test_a_refused_plugin_is_reported_with_its_entry_and_the_clause_it_broke(tmp_path):
    config_path, _ = setup(tmp_path, plugin=ticker(version="1.2"))
    base = "plugins:\n  - name: ticker\n    library_path: {}\n"
    plugins = tmp_path / "plugins"
    with pytest.raises(ConfigError) as caught:
        load_plugins(parse_config(base.format(plugins / "ticker.json"), "f.yaml"))
    assert str(caught.value).startswith("Error reading config file (f.yaml:2): plugin 'ticker': cannot load plugin ")
    assert caught.value.clause == "PLUGIN-VERSION-FORMAT"  # the loader's clause, kept
    with pytest.raises(ConfigError) as caught:
        load_plugins(parse_config(base.format(plugins / "none.json"), "f.yaml"))
    assert caught.value.clause == "CONFIG-PLUGINS"  # an error with no clause of its own
    (plugins / "ticker.json").write_text(json.dumps(ticker()))
    with pytest.raises(ConfigError) as caught:
        load_plugins(parse_config(base.replace("name: ticker", "name: tick").format(plugins / "ticker.json"), "f.yaml"))
    assert caught.value.clause == "CONFIG-SOURCE-NAME"
    assert str(caught.value) == ("Error reading config file (f.yaml:2): plugin 'tick' is the source plugin 'ticker': "
                                 "the configured name of a source plugin must be its own name, by which it is opened")


@pytest.mark.clause("FALCO-RUN")
@pytest.mark.parametrize("after, rules, status", [
    ("", "- rule: k\n  desc: d\n  condition: keeper.one = 1\n  output: o\n  priority: INFO\n  source: kept\n", 0),
    ("", "- rule: k\n  desc: d\n  condition: keeper.one >\n  output: o\n  priority: INFO\n  source: kept\n", 1),
    ("  - name: gone\n    library_path: /no/such/plugin.json\n", "[]\n", 1)])
def test_the_plugins_loaded_are_destroyed_after_a_run_and_after_an_error(tmp_path, capsys, after, rules, status):
    (tmp_path / "falco.yaml").write_text(KEEPER_ENTRY + after)
    (tmp_path / "rules.yaml").write_text(rules)
    DESTROYED.clear()
    assert main(["run", "-c", str(tmp_path / "falco.yaml"), "-r", str(tmp_path / "rules.yaml")]) == status
    assert DESTROYED == ["keeper"]
    capsys.readouterr()
    DESTROYED.clear()
    assert main(["validate", str(tmp_path / "rules.yaml"), "-c", str(tmp_path / "falco.yaml")]) == status
    assert DESTROYED == ["keeper"]
