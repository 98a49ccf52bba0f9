"""The child side of `plugref check` in-process (clause CHECK-ISOLATION): the JSON-lines protocol it streams
(fatal, identity, start, call, returned, result, done), how each check's outcome is reported, the protocol
kept apart from what the plugin prints, and a call replayed alone.

tests/test_plugin_check.py runs the child as a process under the parent; these drive it directly.
"""
from __future__ import annotations

import base64
import json
import os
import threading
import types

import pytest

from fake_plugins.misbehaving import WELL_BEHAVED_SOURCE, variant
from reference.errors import PlugrefError
from reference.tools.plugin_check import child
from reference.tools.plugin_check.checks import CheckFailed, CheckOptions, CheckSkipped, CheckWarning

pytestmark = pytest.mark.clause("CHECK-ISOLATION")

COUNTER = "fake_plugins.counter"


class Pipe:
    """A pipe whose read end is drained by a thread, so that a writer never blocks on a full pipe."""

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe()
        self.data = b""
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        while chunk := os.read(self.read_fd, 65536):
            self.data += chunk

    def messages(self) -> list[dict]:
        os.close(self.write_fd)
        self.reader.join(10)
        os.close(self.read_fd)
        assert self.data.endswith(b"\n") or not self.data
        return [json.loads(line) for line in self.data.decode().splitlines()]


def run(names, target=COUNTER, **options) -> list[dict]:
    pipe = Pipe()
    child.run_checks(CheckOptions(target, **options), names, child.Channel(pipe.write_fd))
    return pipe.messages()


def results(messages) -> dict[str, tuple[str, str, list]]:
    return {m["check"]: (m["status"], m["reason"], m["notes"]) for m in messages if m["kind"] == "result"}


def definition_file(tmp_path, definition: dict) -> str:
    path = tmp_path / f"{definition['name']}.json"
    path.write_text(json.dumps(definition))
    return str(path)


# --- the channel ---

def test_each_message_is_one_json_line():
    pipe = Pipe()
    channel = child.Channel(pipe.write_fd)
    channel.send({"kind": "start", "check": "load"})
    channel.announce("plugin_init", "config '{}'", nth=2, total=5, replay={"config": "{}"})
    channel.announce(None, "")
    channel.announce("plugin_destroy", "")
    assert pipe.messages() == [
        {"kind": "start", "check": "load"},
        {"kind": "call", "call": "plugin_init", "detail": "config '{}'", "nth": 2, "total": 5,
         "replay": {"config": "{}"}},
        {"kind": "returned"},
        {"kind": "call", "call": "plugin_destroy", "detail": "", "nth": None, "total": None, "replay": None},
    ]


def test_a_message_written_in_parts_arrives_whole(monkeypatch):
    """os.write may take only part of the data (a signal, a full pipe): the rest is written after."""
    pipe = Pipe()
    parts = []

    def short_write(fd, data):
        parts.append(len(data))
        return os.write(fd, data[:1000])
    monkeypatch.setattr(child, "os", types.SimpleNamespace(write=short_write))
    child.Channel(pipe.write_fd).send({"kind": "result", "reason": "y" * 5000})
    monkeypatch.undo()
    assert pipe.messages() == [{"kind": "result", "reason": "y" * 5000}]
    assert len(parts) == 6


def test_a_message_larger_than_the_pipe_arrives_whole():
    pipe = Pipe()
    big = "x" * 300_000  # several times a pipe's buffer: written in parts
    child.Channel(pipe.write_fd).send({"kind": "result", "reason": big})
    assert pipe.messages() == [{"kind": "result", "reason": big}]


# --- the checks' run ---

def test_a_plugin_that_loads_streams_identity_then_each_check_and_done():
    messages = run(["load", "identity"])
    kinds = [m["kind"] for m in messages]
    assert kinds[:4] == ["start", "call", "returned", "identity"]
    assert messages[0] == {"kind": "start", "check": "load"}
    assert messages[1] == {"kind": "call", "call": "plugin_get_info", "detail": "reading the plugin's info (read_info)",
                           "nth": None, "total": None, "replay": None}
    assert messages[2] == {"kind": "returned"}
    identity = next(m for m in messages if m["kind"] == "identity")["identity"]
    assert identity["name"] == "counter" and identity["version"] == "0.1.0"
    assert kinds.index("identity") < kinds.index("result")
    assert [m["check"] for m in messages if m["kind"] == "start"] == ["load", "load", "identity"]
    assert results(messages) == {"load": ("PASS", "", []), "identity": ("PASS", "", [])}
    assert messages[-1] == {"kind": "done"} and kinds.count("done") == 1


def test_plugin_calls_are_announced_with_their_place_and_returns():
    messages = run(["load", "init"])
    calls = [m for m in messages if m["kind"] == "call"]
    inits = [m for m in calls if m["call"] == "plugin_init"]
    assert inits and inits[0]["nth"] == 1 and inits[0]["replay"] == {"config": "{}"}  # INIT-SCHEMA: empty means {}
    assert [m["total"] for m in calls if m["total"] is not None] == list(range(1, len(calls)))
    after = [messages[i + 1]["kind"] for i, m in enumerate(messages) if m["kind"] == "call"]
    assert set(after) == {"returned"}  # every call announced is followed by its return
    assert results(messages)["init"][0] == "PASS"


def test_a_target_that_is_no_plugin_is_fatal_and_nothing_follows():
    messages = run(["load", "identity"], target="fake_plugins.no_such_plugin")
    assert len(messages) == 1 and messages[0]["kind"] == "fatal"
    assert messages[0]["message"].startswith("cannot load plugin fake_plugins.no_such_plugin")


def test_a_plugin_that_does_not_load_fails_load_and_skips_the_others(tmp_path):
    target = definition_file(tmp_path, variant(WELL_BEHAVED_SOURCE, name="old", required_api_version="1.0.0"))
    messages = run(["load", "identity", "init"], target=target)
    assert [m["kind"] for m in messages] == ["start", "call", "returned", "start", "result", "start", "result",
                                            "start", "result", "done"]
    assert [m["check"] for m in messages if m["kind"] == "start"] == ["load", "load", "identity", "init"]
    outcome = results(messages)
    status, reason, notes = outcome["load"]
    assert status == "FAIL" and notes == []
    assert "Unsupported plugin required api version 1.0.0" in reason and reason.endswith(" [API-VERSION-COMPAT]")
    assert outcome["identity"] == outcome["init"] == ("SKIP", "the plugin does not load", [])
    assert not any(m["kind"] == "identity" for m in messages)


def raising(exc: BaseException):
    def check(context):
        raise exc
    return check


def test_each_way_a_check_ends_is_its_status(monkeypatch):
    checks = {
        "load": lambda context: None,
        "identity": lambda context: ["a note"],
        "init": raising(CheckFailed("it broke", ["then this"])),
        "open": raising(CheckWarning("it would break", ["on a host"])),
        "progress": raising(CheckSkipped("nothing to do")),
        "extract": raising(PlugrefError("refused by the host")),
    }
    monkeypatch.setattr(child, "CHECKS", checks)
    outcome = results(run(list(checks)))
    assert outcome == {
        "load": ("PASS", "", []),
        "identity": ("PASS", "", ["a note"]),
        "init": ("FAIL", "it broke", ["then this"]),
        "open": ("WARN", "it would break", ["on a host"]),
        "progress": ("SKIP", "nothing to do", []),
        "extract": ("FAIL", "refused by the host", []),
    }


def looks_up(table):
    return table["missing"]  # a KeyError of plugref's own, two calls below the check


def test_a_bug_of_plugref_fails_the_check_saying_where_and_asking_for_a_report(monkeypatch):
    def broken(context):
        return looks_up({})
    monkeypatch.setattr(child, "CHECKS", {"load": broken, "identity": lambda context: []})
    outcome = results(run(["load", "identity"]))
    status, reason, _ = outcome["load"]
    line = looks_up.__code__.co_firstlineno + 1  # where it was raised, not where the check called
    assert status == "FAIL"
    assert reason == f"plugref check error (please report): KeyError: 'missing' at test_plugin_check_child.py:{line}"
    assert outcome["identity"] == ("PASS", "", [])  # the next check still runs


def test_a_plugin_of_the_3x_contract_runs_the_3x_checks(monkeypatch):
    from reference.tools.plugin_check import checks_v3
    monkeypatch.setattr(checks_v3, "CHECKS_V3", {"load": lambda context: ["the 3.x checks"]})
    monkeypatch.setattr(child, "CHECKS", {"load": lambda context: ["the 0.3.0 checks"]})
    assert results(run(["load"], target="fake_plugins.v3_source"))["load"][2] == ["the 3.x checks"]
    assert results(run(["load"]))["load"][2] == ["the 0.3.0 checks"]


# --- main: the protocol is the original stdout; what the plugin prints goes to stderr ---

@pytest.fixture
def restored_stdout():
    """fd 1 as the test found it (main points it at stderr), put back at the end of the test."""
    saved = os.dup(1)
    yield
    os.dup2(saved, 1)
    os.close(saved)


def job(names, **options) -> str:
    return json.dumps({"options": {"target": COUNTER, **options}, "checks": names})


def test_main_streams_the_protocol_on_stdout_and_the_plugins_prints_on_stderr(monkeypatch, capfd, restored_stdout):
    def noisy(context):
        os.write(1, b"the plugin writes to fd 1\n")
        assert context.options.avoid == frozenset({"teardown", "open"})
        assert context.options.init_config == '{"max_events": 3}'
        return []
    monkeypatch.setattr(child, "CHECKS", {"load": noisy})
    assert child.main(job(["load"], avoid=["teardown", "open"], init_config='{"max_events": 3}')) == 0
    out, err = capfd.readouterr()
    messages = [json.loads(line) for line in out.splitlines()]
    assert messages[-1] == {"kind": "done"} and results(messages) == {"load": ("PASS", "", [])}
    assert "the plugin writes to fd 1" in err


def test_main_without_avoid_avoids_nothing(monkeypatch, capfd, restored_stdout):
    seen = []
    monkeypatch.setattr(child, "CHECKS", {"load": lambda context: seen.append(context.options.avoid) or []})
    assert child.main(job(["load"])) == 0
    assert seen == [frozenset()]
    capfd.readouterr()


# --- a call made again alone ---

def replay(call, replay_args, **options) -> list[dict]:
    pipe = Pipe()
    child.replay_call(CheckOptions(COUNTER, **options), call, replay_args, child.Channel(pipe.write_fd))
    return pipe.messages()


def test_an_init_is_replayed_with_its_own_config():
    assert replay("plugin_init", {"config": '{"max_events": 2}'}) == [{"kind": "replayed", "rc": 0}]
    assert replay("plugin_init", {"config": "not json"}) == [{"kind": "replayed", "rc": 1}]


def test_an_open_is_replayed_after_init_with_the_given_config():
    assert replay("plugin_open", {"params": "5"}, init_config='{"max_events": 2}') == [{"kind": "replayed", "rc": 0}]
    assert replay("plugin_open", {"params": "five"}) == [{"kind": "replayed", "rc": 1}]


def test_event_to_string_and_extraction_are_replayed_on_the_recorded_event():
    data = base64.b64encode(b'{"n":4,"proc":"bash","user":{"name":"bob"}}').decode()
    assert replay("plugin_event_to_string", {"data": data}) == [{"kind": "replayed", "rc": 0}]
    requests = [[0, "counter.n", "", 8], [1, "counter.proc", "", 9]]
    assert replay("plugin_extract_fields", {"data": data, "ts": 5, "evtnum": 1, "requests": requests}) == \
        [{"kind": "replayed", "rc": 0}]
    broken = base64.b64encode(b"not json").decode()
    assert replay("plugin_extract_fields", {"data": broken, "ts": 5, "evtnum": 1, "requests": requests}) == \
        [{"kind": "replayed", "rc": 1}]


def test_replay_main_reports_a_refusal_as_an_answer(capfd, restored_stdout):
    text = json.dumps({"options": {"target": COUNTER, "init_config": '{"nope": 1}', "avoid": ["open"]},
                       "call": "plugin_open", "replay": {"params": "1"}})
    assert child.replay_main(text) == 0
    out, _ = capfd.readouterr()
    [message] = [json.loads(line) for line in out.splitlines()]
    assert message["kind"] == "replayed" and "init config" in message["error"]
    assert message["error"].startswith(f"cannot load plugin {COUNTER}: ") and "nope" in message["error"]


class Recording:
    """The counter plugin, with the calls a replay makes recorded (and a print to fd 1 in event_to_string)."""

    def __init__(self, library):
        self.library = library
        self.calls = []

    def __getattr__(self, name):
        return getattr(self.library, name)

    def init(self, config):
        self.calls.append(("init", config))
        return self.library.init(config)

    def open(self, state, params):
        self.calls.append(("open", params))
        return self.library.open(state, params)

    def event_to_string(self, state, data):
        os.write(1, b"the plugin prints while rendering\n")
        self.calls.append(("event_to_string", data))
        return self.library.event_to_string(state, data)

    def extract_fields(self, state, event, requests):
        self.calls.append(("extract_fields", event.data, event.ts, event.evtnum,
                           [(r.field_id, r.field, r.arg, int(r.ftype)) for r in requests]))
        return self.library.extract_fields(state, event, requests)


@pytest.fixture
def recording(monkeypatch):
    made = []

    def open_library(target):
        made.append(Recording(child_open_library(target)))
        return made[-1]
    child_open_library = child.open_library
    monkeypatch.setattr(child, "open_library", open_library)
    return made


def test_a_replay_makes_only_the_calls_it_needs_with_the_recorded_arguments(recording):
    data = b'{"n":4,"proc":"bash","user":{"name":"bob"}}'
    replay("plugin_event_to_string", {"data": base64.b64encode(data).decode()}, init_config='{"max_events": 2}')
    assert recording[-1].calls == [("init", '{"max_events": 2}'), ("event_to_string", data)]
    replay("plugin_extract_fields", {"data": base64.b64encode(data).decode(), "ts": 77, "evtnum": 5,
                                     "requests": [[0, "counter.n", "", 8], [1, "counter.divisible", "3", 8]]})
    assert recording[-1].calls == [("init", "{}"), ("extract_fields", data, 77, 5,
                                                    [(0, "counter.n", "", 8), (1, "counter.divisible", "3", 8)])]
    replay("plugin_open", {"params": "9"})
    assert recording[-1].calls == [("init", "{}"), ("open", "9")]
    replay("plugin_init", {"config": '{"batch_size": 2}'})
    assert recording[-1].calls == [("init", '{"batch_size": 2}')]


def test_replay_main_replays_the_call_of_the_job_on_the_protocol(capfd, restored_stdout, recording):
    data = base64.b64encode(b'{"n":1,"proc":"x","user":{"name":"y"}}').decode()
    stdout = os.dup(1)  # capfd's, to put back between the two runs
    text = json.dumps({"options": {"target": COUNTER}, "call": "plugin_event_to_string", "replay": {"data": data}})
    assert child.replay_main(text) == 0
    out, err = capfd.readouterr()
    assert [json.loads(line) for line in out.splitlines()] == [{"kind": "replayed", "rc": 0}]
    assert "the plugin prints while rendering" in err
    assert [c[0] for c in recording[-1].calls] == ["init", "event_to_string"]
    text = json.dumps({"options": {"target": COUNTER}, "call": "plugin_init", "replay": {"config": "not json"}})
    os.dup2(stdout, 1)  # the first replay pointed fd 1 at stderr
    os.close(stdout)
    assert child.replay_main(text) == 0
    out, err = capfd.readouterr()
    assert [json.loads(line) for line in out.splitlines()] == [{"kind": "replayed", "rc": 1}], (out, err)


@pytest.mark.clause("CHECK-ISOLATION")
def test_the_child_entry_runs_a_job_or_replays_a_call_and_refuses_anything_else(monkeypatch, capsys):
    from reference.tools.plugin_check import __main__ as entry, child

    monkeypatch.setattr(child, "main", lambda job: ("child", job))
    monkeypatch.setattr(child, "replay_main", lambda job: ("replay", job))
    assert entry.main(["--child", "{}"]) == ("child", "{}")
    assert entry.main(["--replay", "{}"]) == ("replay", "{}")
    for argv in ([], ["--child"], ["--child", "{}", "more"], ["--other", "{}"], ["{}", "--child"]):
        assert entry.main(argv) == 2
        assert capsys.readouterr().err == ("usage: python -m reference.tools.plugin_check --child JOB | --replay JOB "
                                           "(internal; use `plugref check`)\n")
