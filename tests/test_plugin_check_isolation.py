"""The parent side of `plugref check` in-process (clause CHECK-ISOLATION): how a child that dies or goes quiet
is read (the protocol, the per-call timeout and the grace between calls, the stderr quoted), whom a crash is
blamed on, how the pending checks run again avoiding the failed family, and the replay of the last call.

The children here are small scripts speaking the protocol (child.py's side is tests/test_plugin_check_child.py);
tests/test_plugin_check.py runs real plugins that crash and hang.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from reference.errors import PlugrefError
from reference.tools.plugin_check import isolation
from reference.tools.plugin_check.checks import CheckOptions
from reference.tools.plugin_check.isolation import CheckOutcome, _ChildEnd

pytestmark = pytest.mark.clause("CHECK-ISOLATION")

REAL_POPEN, REAL_RUN = subprocess.Popen, subprocess.run
ALL = ["load", "identity", "registry", "init", "init-schema-configs", "init-invalid-configs", "open",
       "next-batch", "extract", "batched-extraction", "event-to-string", "progress", "teardown"]


# --- small pieces: exits, ordinals, the stderr quoted, the owner of a call ---

@pytest.mark.parametrize("returncode, said", [
    (-11, "crashed (SIGSEGV)"), (-6, "crashed (SIGABRT)"), (-9, "crashed (SIGKILL)"),
    (-200, "crashed (signal 200)"), (0, "exited with status 0"), (3, "exited with status 3"),
])
def test_how_a_child_ended_is_said(returncode, said):
    assert isolation._describe_exit(returncode) == said


@pytest.mark.parametrize("n, said", [
    (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (9, "9th"), (10, "10th"), (11, "11th"), (12, "12th"),
    (13, "13th"), (19, "19th"), (20, "20th"), (21, "21st"), (22, "22nd"), (23, "23rd"), (32, "32nd"),
    (100, "100th"), (101, "101st"), (110, "110th"), (111, "111th"), (112, "112th"), (113, "113th"),
    (120, "120th"), (121, "121st"), (210, "210th"), (1002, "1002nd"),
])
def test_positions_are_english_ordinals(n, said):
    assert isolation._ordinal(n) == said


def test_the_last_two_lines_of_stderr_are_quoted(tmp_path):
    path = tmp_path / "stderr"
    path.write_bytes(b"first\n\n  second  \nthird\n\n")
    assert isolation._stderr_tail(str(path)) == "second | third"
    path.write_bytes(b"only\n")
    assert isolation._stderr_tail(str(path)) == "only"
    path.write_bytes(b"")
    assert isolation._stderr_tail(str(path)) == ""
    assert isolation._stderr_tail(str(tmp_path / "missing")) == ""


def test_the_quoted_stderr_is_short_and_taken_from_its_end(tmp_path):
    path = tmp_path / "stderr"
    path.write_bytes(b"early line\n" * 1000 + b"a" * 5000 + b"\n" + b"b" * 400 + b"\n")
    tail = isolation._stderr_tail(str(path))
    assert len(tail) == 300 and tail.startswith("a" * 100)  # the line of a's, cut to its last 4 KiB
    assert "early" not in tail
    path.write_bytes(b"x" * 4000 + b"\nlast \xff\n")  # not UTF-8: replaced, not refused
    assert isolation._stderr_tail(str(path)) == ("x" * 4000 + " | last \ufffd")[:300]


@pytest.mark.parametrize("call, current, owner", [
    ("plugin_init", "init", "init"),
    ("plugin_init", "init-schema-configs", "init-schema-configs"),   # init checks own their own inits
    ("plugin_init", "init-invalid-configs", "init-invalid-configs"),
    ("plugin_init", "open", "init"),
    ("plugin_open", "next-batch", "open"),
    ("plugin_list_open_params", "identity", "open"),
    ("plugin_next_batch", "extract", "next-batch"),
    ("reread_batch", "progress", "next-batch"),
    ("plugin_get_progress", "next-batch", "progress"),
    ("plugin_event_to_string", "open", "event-to-string"),
    ("plugin_extract_fields", "extract", "extract"),
    ("plugin_extract_fields", "batched-extraction", "batched-extraction"),  # both extraction checks
    ("plugin_extract_fields", "next-batch", "extract"),
    ("plugin_close", "open", "teardown"),
    ("plugin_destroy", "init", "teardown"),
    ("plugin_get_info", "load", "load"),                              # a call nobody owns: the running check
    (None, "progress", "progress"),
])
def test_a_crash_is_blamed_on_the_check_that_owns_the_call(call, current, owner):
    assert isolation._owner(call, current) == owner


def test_the_quoted_stderr_is_read_from_the_last_4_kib(tmp_path):
    path = tmp_path / "stderr"
    path.write_bytes(b"P" + b"Q" + b"w" * 4094 + b"\n")  # 4097 bytes: the last 4096 start at the Q
    assert isolation._stderr_tail(str(path)) == ("Q" + "w" * 4094)[:300]


def test_the_grace_between_plugin_calls_is_60_seconds():
    assert isolation.STARTUP_GRACE_SECONDS == 60.0


# --- _run_child: a scripted child speaking the protocol ---

class ScriptedChild:
    """Replaces the child process by `python -c SCRIPT`, keeping what the parent passed."""

    def __init__(self, monkeypatch, script: str):
        self.script = textwrap.dedent(script)
        self.commands: list[list[str]] = []
        def popen(command, **kwargs):
            self.commands.append(command)
            return REAL_POPEN([sys.executable, "-c", self.script], **kwargs)
        monkeypatch.setattr(isolation.subprocess, "Popen", popen)

    def job(self) -> dict:
        command = self.commands[-1]
        assert command[:4] == [sys.executable, "-m", "reference.tools.plugin_check", "--child"]
        return json.loads(command[4])


SAY = """
import json, os, sys, time
def say(**message):
    os.write(1, (json.dumps(message) + "\\n").encode())
"""


def run_child(monkeypatch, script, timeout=5.0, names=("load",), options=None):
    child = ScriptedChild(monkeypatch, SAY + textwrap.dedent(script))
    seen: list[dict] = []
    end = isolation._run_child(options or CheckOptions("plugin.so"), list(names), timeout, seen.append)
    return end, seen, child


def test_a_child_that_finishes_reports_done_and_every_message_but_returns(monkeypatch):
    end, seen, child = run_child(monkeypatch, """
        say(kind="start", check="load")
        say(kind="call", call="plugin_get_info", detail="info", nth=1, total=1, replay=None)
        say(kind="returned")
        say(kind="identity", identity={"name": "x"})
        say(kind="result", check="load", status="PASS", reason="", notes=[])
        say(kind="done")
    """)
    assert end.finished and end.how == "exited with status 0"
    assert end.current is None and end.last_call is None
    assert [m["kind"] for m in seen] == ["start", "call", "identity", "result", "done"]
    assert child.job() == {"options": {"target": "plugin.so", "init_config": "", "open_params": "",
                                       "registry": None, "seed": 0, "max_examples": 50, "max_events": 1000,
                                       "allow_zero_ts": False, "avoid": []}, "checks": ["load"]}


def test_the_job_names_the_checks_and_the_families_to_avoid_in_order(monkeypatch):
    options = CheckOptions("p.so", init_config="{}", seed=4, avoid=frozenset({"teardown", "extract"}))
    _, _, child = run_child(monkeypatch, 'say(kind="done")', names=("open", "init"), options=options)
    job = child.job()
    assert job["checks"] == ["open", "init"]
    assert job["options"]["avoid"] == ["extract", "teardown"] and job["options"]["seed"] == 4


def test_a_child_that_crashes_in_a_call_says_which_call_and_its_stderr(monkeypatch):
    end, seen, _ = run_child(monkeypatch, """
        say(kind="start", check="load")
        say(kind="result", check="load", status="PASS", reason="", notes=[])
        say(kind="start", check="extract")
        say(kind="call", call="plugin_extract_fields", detail="event 3", nth=7, total=40, replay={"data": ""})
        sys.stderr.write("panic: runtime error\\n\\ngoroutine 1\\n")
        sys.stderr.flush()
        os.kill(os.getpid(), 11)
    """)
    assert not end.finished and end.how == "crashed (SIGSEGV)"
    assert end.current == "extract"
    assert end.last_call == {"kind": "call", "call": "plugin_extract_fields", "detail": "event 3", "nth": 7,
                             "total": 40, "replay": {"data": ""}}
    assert end.stderr_tail == "panic: runtime error | goroutine 1"


def test_a_call_that_returned_stays_the_last_call_until_its_check_ends(monkeypatch):
    end, _, _ = run_child(monkeypatch, """
        say(kind="start", check="open")
        say(kind="call", call="plugin_open", detail="params 1", nth=1, total=1, replay=None)
        say(kind="returned")
        sys.exit(4)
    """)
    assert end.how == "exited with status 4" and end.current == "open"
    assert end.last_call["call"] == "plugin_open"
    end, _, _ = run_child(monkeypatch, """
        say(kind="start", check="open")
        say(kind="call", call="plugin_open", detail="params 1", nth=1, total=1, replay=None)
        say(kind="result", check="open", status="PASS", reason="", notes=[])
        say(kind="start", check="progress")
        sys.exit(4)
    """)
    assert end.current == "progress" and end.last_call is None


def test_messages_split_across_reads_are_put_back_together(monkeypatch):
    end, seen, _ = run_child(monkeypatch, """
        line = json.dumps({"kind": "result", "check": "load", "status": "PASS", "reason": "r" * 200000,
                           "notes": []}) + "\\n"
        for i in range(0, len(line), 999):
            os.write(1, line[i:i + 999].encode())
            time.sleep(0.0005)
        say(kind="done")
    """)
    assert end.finished and len(seen) == 2 and seen[0]["reason"] == "r" * 200000


def test_a_message_arriving_in_parts_is_no_call_in_progress(monkeypatch):
    monkeypatch.setattr(isolation, "STARTUP_GRACE_SECONDS", 30.0)
    end, seen, _ = run_child(monkeypatch, """
        os.write(1, b'{"kind": "sta')
        time.sleep(1.0)  # longer than the call timeout: only the grace applies
        os.write(1, b'rt", "check": "init"}\\n')
        say(kind="done")
    """, timeout=0.4)
    assert end.finished and seen == [{"kind": "start", "check": "init"}, {"kind": "done"}]


def test_the_child_reads_no_input(monkeypatch):
    """Its stdin is /dev/null, not the checker's (a plugin reading stdin must not wait for the user)."""
    monkeypatch.setattr(isolation, "STARTUP_GRACE_SECONDS", 3.0)  # a child waiting for input is given up soon
    read_end, write_end = os.pipe()
    saved = os.dup(0)
    os.dup2(read_end, 0)  # the checker's own stdin: a pipe nobody writes to
    try:
        replayed = ScriptedReplay(monkeypatch, 'say(kind="replayed", rc=0, text=sys.stdin.read())')
        said = isolation._replay(CheckOptions("p.so"), "plugin_open", {}, 2.0)
        end, seen, _ = run_child(monkeypatch, """
            say(kind="stdin", text=sys.stdin.read())
            say(kind="done")
        """, timeout=2.0)
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(read_end)
        os.close(write_end)
    assert end.finished and seen[0] == {"kind": "stdin", "text": ""}
    assert "plugin_open returned normally" in said and replayed.commands


def test_a_call_that_does_not_return_within_the_timeout_is_killed(monkeypatch):
    monkeypatch.setattr(isolation, "STARTUP_GRACE_SECONDS", 30.0)
    end, _, _ = run_child(monkeypatch, """
        say(kind="start", check="next-batch")
        say(kind="call", call="plugin_next_batch", detail="batch 2", nth=2, total=9, replay=None)
        time.sleep(60)
    """, timeout=0.5)
    assert not end.finished and end.how == "timed out (no answer within 0.5 s)"
    assert end.last_call["call"] == "plugin_next_batch" and end.current == "next-batch"


def test_a_call_slower_than_the_timeout_is_killed_even_if_it_would_return(monkeypatch):
    monkeypatch.setattr(isolation, "STARTUP_GRACE_SECONDS", 30.0)
    end, _, _ = run_child(monkeypatch, """
        say(kind="start", check="open")
        say(kind="call", call="plugin_open", detail="", nth=1, total=1, replay=None)
        time.sleep(3.0)
        say(kind="returned")
        say(kind="done")
    """, timeout=0.5)
    assert not end.finished and end.how == "timed out (no answer within 0.5 s)"


def test_between_calls_the_child_gets_the_grace_not_the_call_timeout(monkeypatch):
    monkeypatch.setattr(isolation, "STARTUP_GRACE_SECONDS", 30.0)
    end, _, _ = run_child(monkeypatch, """
        time.sleep(1.0)  # starting up: importing Hypothesis
        say(kind="start", check="next-batch")
        say(kind="call", call="plugin_next_batch", detail="", nth=1, total=1, replay=None)
        say(kind="returned")
        time.sleep(1.0)  # drawing inputs
        os.write(1, (json.dumps(dict(kind="call", call="plugin_next_batch", detail="", nth=2, total=2, replay=None))
                     + "\\n" + json.dumps(dict(kind="result", check="next-batch", status="PASS", reason="",
                                                notes=[])) + "\\n").encode())  # one write: no wait in the call
        time.sleep(1.0)
        say(kind="done")
    """, timeout=0.4)
    assert end.finished and end.how == "exited with status 0"


def test_the_grace_bounds_a_child_quiet_between_calls(monkeypatch):
    monkeypatch.setattr(isolation, "STARTUP_GRACE_SECONDS", 0.5)
    end, _, _ = run_child(monkeypatch, """
        say(kind="start", check="init")
        time.sleep(60)
    """, timeout=0.2)
    assert end.how == "timed out (no answer within 0.2 s)" and end.current == "init" and end.last_call is None


def test_a_call_timeout_longer_than_the_grace_applies_between_calls_too(monkeypatch):
    monkeypatch.setattr(isolation, "STARTUP_GRACE_SECONDS", 0.2)
    end, _, _ = run_child(monkeypatch, """
        time.sleep(0.8)
        say(kind="start", check="init")
        time.sleep(0.8)
        say(kind="done")
    """, timeout=10.0)
    assert end.finished


# --- _replay: the last call made again alone ---

class ScriptedReplay:
    def __init__(self, monkeypatch, script: str):
        self.commands: list[list[str]] = []
        self.timeouts: list[float] = []
        def run(command, **kwargs):
            self.commands.append(command)
            self.timeouts.append(kwargs["timeout"])
            return REAL_RUN([sys.executable, "-c", SAY + textwrap.dedent(script)], **kwargs)
        monkeypatch.setattr(isolation.subprocess, "run", run)


def test_a_replay_that_returns_says_the_failure_depends_on_the_calls_before(monkeypatch):
    replayed = ScriptedReplay(monkeypatch, 'say(kind="replayed", rc=0)')
    options = CheckOptions("p.so", avoid=frozenset({"open"}))
    said = isolation._replay(options, "plugin_init", {"config": "{}"}, 5.0)
    assert said == ("made again alone in a fresh process, plugin_init returned normally: the failure depends on "
                    "the calls made before it in the same process")
    command = replayed.commands[0]
    assert command[:4] == [sys.executable, "-m", "reference.tools.plugin_check", "--replay"]
    job = json.loads(command[4])
    assert job["call"] == "plugin_init" and job["replay"] == {"config": "{}"}
    assert job["options"]["target"] == "p.so" and job["options"]["avoid"] == ["open"]
    assert replayed.timeouts == [60.0]  # the grace: the fresh process imports everything again


def test_a_replay_that_refuses_the_call_also_returned(monkeypatch):
    ScriptedReplay(monkeypatch, 'print(); say(kind="replayed", error="init config refused")')
    assert "plugin_open returned normally" in isolation._replay(CheckOptions("p.so"), "plugin_open", {}, 100.0)


@pytest.mark.parametrize("script, said", [
    ('os.kill(os.getpid(), 11)', "made again alone in a fresh process, plugin_open crashed (SIGSEGV) too"),
    ('say(kind="replayed", rc=0); sys.stdout.flush(); os.kill(os.getpid(), 6)',
     "made again alone in a fresh process, plugin_open crashed (SIGABRT) too"),
    ('say(kind="other"); sys.exit(0)', "made again alone in a fresh process, plugin_open exited with status 0 too"),
    ('sys.exit(3)', "made again alone in a fresh process, plugin_open exited with status 3 too"),
])
def test_a_replay_that_fails_again_says_how(monkeypatch, script, said):
    ScriptedReplay(monkeypatch, script)
    assert isolation._replay(CheckOptions("p.so"), "plugin_open", {"params": ""}, 5.0) == said


def test_a_replay_that_hangs_says_so(monkeypatch):
    replayed = ScriptedReplay(monkeypatch, "time.sleep(60)")
    monkeypatch.setattr(isolation, "STARTUP_GRACE_SECONDS", 0.3)
    assert isolation._replay(CheckOptions("p.so"), "plugin_extract_fields", {}, 0.1) == \
        "made again alone in a fresh process, plugin_extract_fields hung too"
    assert replayed.timeouts == [0.3]


def test_a_replay_gets_the_call_timeout_when_it_is_longer_than_the_grace(monkeypatch):
    replayed = ScriptedReplay(monkeypatch, 'say(kind="replayed", rc=0)')
    isolation._replay(CheckOptions("p.so"), "plugin_open", {}, 90.0)
    assert replayed.timeouts == [90.0]


# --- run_isolated: children one after another until every check has an outcome ---

class Children:
    """Scripted children for run_isolated: each a list of messages and how it ended."""

    def __init__(self, monkeypatch, *scripts):
        self.scripts = list(scripts)
        self.jobs: list[tuple[list[str], frozenset, float]] = []
        self.replays: list[tuple[str, dict]] = []
        monkeypatch.setattr(isolation, "_run_child", self.run_child)
        monkeypatch.setattr(isolation, "_replay", self.replay)

    def run_child(self, options, names, timeout, on_message):
        self.jobs.append((names, options.avoid, timeout))
        messages, end = self.scripts.pop(0)
        for message in messages:
            on_message(message)
        return end

    def replay(self, options, call, replay, timeout):
        self.replays.append((call, replay, options.avoid, timeout))
        return f"made again alone in a fresh process, {call} crashed (SIGSEGV) too"


def result(check, status="PASS", reason="", notes=None):
    return {"kind": "result", "check": check, "status": status, "reason": reason, "notes": notes or []}


def done(*checks):
    return [result(c) for c in checks] + [{"kind": "done"}], _ChildEnd(True, None, None, "exited with status 0", "")


def died(current, how="crashed (SIGSEGV)", call=None, stderr="", results=(), **call_fields):
    last = None if call is None else {"kind": "call", "call": call, **call_fields}
    return [result(c) for c in results], _ChildEnd(False, current, last, how, stderr)


def test_load_runs_first_and_teardown_last_in_one_child(monkeypatch):
    children = Children(monkeypatch, done("load", "init", "open", "teardown"))
    run = isolation.run_isolated(CheckOptions("p.so"), ["teardown", "open", "init"], 3.0)
    assert children.jobs == [(["load", "init", "open", "teardown"], frozenset(), 3.0)]
    assert list(run.outcomes) == ["init", "open", "teardown"]  # load was not asked for and passed
    assert run.outcomes["init"] == CheckOutcome("init", "PASS", "", [])


def test_the_identity_and_notes_reported_are_kept(monkeypatch):
    identity = {"kind": "identity", "identity": {"name": "counter"}}
    messages = [identity, result("load"), result("identity", notes=["ID 999 is for development"]),
                {"kind": "done"}]
    Children(monkeypatch, (messages, _ChildEnd(True, None, None, "exited with status 0", "")))
    run = isolation.run_isolated(CheckOptions("p.so"), ALL[:2], 3.0)
    assert run.identity == {"name": "counter"}
    assert run.outcomes["identity"].notes == ["ID 999 is for development"]


def test_a_check_the_child_never_reported_is_skipped(monkeypatch):
    Children(monkeypatch, done("load"))
    run = isolation.run_isolated(CheckOptions("p.so"), ["load", "open"], 3.0)
    assert run.outcomes["open"] == CheckOutcome("open", "SKIP", "not run (the child stopped early)")


def test_a_fatal_message_is_an_error_of_the_target(monkeypatch):
    Children(monkeypatch, ([{"kind": "fatal", "message": "cannot load plugin x: no such file"}],
                           _ChildEnd(False, None, None, "exited with status 0", "")))
    with pytest.raises(PlugrefError, match="^cannot load plugin x: no such file$"):
        isolation.run_isolated(CheckOptions("x"), ALL, 3.0)


def test_a_crash_in_the_running_checks_own_call_fails_it_and_the_rest_run_avoiding_it(monkeypatch):
    children = Children(monkeypatch,
                        died("open", call="plugin_open", results=("load", "init"), detail="params '1'", nth=2,
                             total=31, replay={"params": "1"}, stderr="segfault at 0"),
                        done("next-batch", "teardown"))
    run = isolation.run_isolated(CheckOptions("p.so"), ["init", "open", "next-batch", "teardown"], 3.0)
    assert children.jobs[1] == (["next-batch", "teardown"], frozenset({"open"}), 3.0)
    assert run.outcomes["open"] == CheckOutcome(
        "open", "FAIL", "the plugin crashed (SIGSEGV) in plugin_open (params '1'), the 2nd plugin_open call of the "
                        "process (31st plugin call); stderr: segfault at 0; made again alone in a fresh process, "
                        "plugin_open crashed (SIGSEGV) too", last_call="plugin_open")
    assert children.replays == [("plugin_open", {"params": "1"}, frozenset(), 3.0)]  # the child's options
    assert run.outcomes["next-batch"].status == run.outcomes["teardown"].status == "PASS"


def test_a_reason_says_only_what_is_known(monkeypatch):
    Children(monkeypatch, died("open", how="exited with status 2", call="plugin_open", results=("load",),
                               detail="", nth=None, total=None, replay=None),
             done())
    run = isolation.run_isolated(CheckOptions("p.so"), ["open"], 3.0)
    assert run.outcomes["open"].reason == "the plugin exited with status 2 in plugin_open"
    Children(monkeypatch, died("open", how="timed out (no answer within 3 s)", results=("load",)), done())
    run = isolation.run_isolated(CheckOptions("p.so"), ["open"], 3.0)
    assert run.outcomes["open"] == CheckOutcome("open", "FAIL", "the plugin timed out (no answer within 3 s)",
                                                last_call=None)


def test_a_crash_in_a_call_another_check_owns_fails_that_check_and_reruns_the_interrupted_one(monkeypatch):
    children = Children(monkeypatch,
                        died("open", call="plugin_close", results=("load",), detail="", nth=1, total=9,
                             replay=None),
                        done("open"))
    run = isolation.run_isolated(CheckOptions("p.so"), ["open", "teardown"], 3.0)
    assert children.jobs[1] == (["open"], frozenset({"teardown"}), 3.0)
    assert run.outcomes["teardown"].status == "FAIL"
    assert run.outcomes["teardown"].reason == ("the plugin crashed (SIGSEGV) in plugin_close, the 1st plugin_close "
                                               "call of the process (9th plugin call), while running the open check")
    assert run.outcomes["teardown"].last_call == "plugin_close" and run.outcomes["teardown"].name == "teardown"
    assert run.outcomes["open"].status == "PASS" and children.replays == []


def test_a_check_interrupted_twice_by_other_checks_defects_is_skipped(monkeypatch):
    children = Children(monkeypatch,
                        died("extract", call="plugin_close", results=("load",)),
                        died("extract", call="plugin_get_progress"),
                        done("next-batch"))
    run = isolation.run_isolated(CheckOptions("p.so"), ["next-batch", "extract", "progress", "teardown"], 3.0)
    assert children.jobs[0][0] == ["load", "next-batch", "extract", "progress", "teardown"]
    assert run.outcomes["extract"] == CheckOutcome(
        "extract", "SKIP", "interrupted twice by defects of other checks (last: progress)")
    assert run.outcomes["teardown"].status == run.outcomes["progress"].status == "FAIL"
    assert children.jobs[2][1] == frozenset({"teardown", "progress"})


def test_a_crash_in_a_call_whose_owner_already_has_an_outcome_fails_the_running_check(monkeypatch):
    children = Children(monkeypatch,
                        died("progress", call="plugin_open", results=("load", "open")),
                        done())
    run = isolation.run_isolated(CheckOptions("p.so"), ["open", "progress"], 3.0)
    assert run.outcomes["open"].status == "PASS"
    assert run.outcomes["progress"].status == "FAIL" and "in plugin_open" in run.outcomes["progress"].reason
    assert len(children.jobs) == 1  # nothing left to run


def test_a_crash_in_a_call_owned_by_a_check_not_selected_fails_the_running_check(monkeypatch):
    Children(monkeypatch, died("open", call="plugin_close", results=("load",)), done())
    run = isolation.run_isolated(CheckOptions("p.so"), ["open"], 3.0)
    assert list(run.outcomes) == ["open"] and run.outcomes["open"].status == "FAIL"


def test_a_failure_of_a_check_not_selected_is_still_reported(monkeypatch):
    Children(monkeypatch, ([result("load", "FAIL", "does not load"), {"kind": "done"}],
                           _ChildEnd(True, None, None, "exited with status 0", "")))
    run = isolation.run_isolated(CheckOptions("p.so"), ["open"], 3.0)
    assert list(run.outcomes) == ["load", "open"] and run.outcomes["load"].status == "FAIL"


@pytest.mark.parametrize("current, call", [("load", None), ("load", "plugin_get_info"), ("load", "plugin_init"),
                                           (None, None)])
def test_a_crash_while_loading_fails_load_and_skips_the_rest(monkeypatch, current, call):
    children = Children(monkeypatch, died(current, call=call, detail="info", nth=1, total=1, replay=None))
    run = isolation.run_isolated(CheckOptions("p.so"), ["identity", "init"], 3.0)
    assert len(children.jobs) == 1
    assert run.outcomes["load"].status == "FAIL" and run.outcomes["load"].reason.startswith("the plugin crashed")
    assert run.outcomes["load"].name == "load" and run.identity is None
    assert run.outcomes["load"].last_call == call
    assert run.outcomes["identity"] == CheckOutcome("identity", "SKIP", "the plugin does not load")
    assert run.outcomes["init"] == CheckOutcome("init", "SKIP", "the plugin does not load")
    assert {o.status for n, o in run.outcomes.items() if n != "load"} == {"SKIP"}


def test_a_child_that_dies_before_starting_a_check_blames_the_first_pending(monkeypatch):
    children = Children(monkeypatch, died(None, results=("load", "init")), done("teardown"))
    run = isolation.run_isolated(CheckOptions("p.so"), ["init", "open", "teardown"], 3.0)
    assert run.outcomes["open"].status == "FAIL" and run.outcomes["open"].reason == "the plugin crashed (SIGSEGV)"
    assert children.jobs[1] == (["teardown"], frozenset({"open"}), 3.0)


def test_a_child_that_dies_after_reporting_every_check_blames_none(monkeypatch):
    children = Children(monkeypatch, died(None, results=("load", "open")))
    run = isolation.run_isolated(CheckOptions("p.so"), ["load", "open"], 3.0)
    assert {name: o.status for name, o in run.outcomes.items()} == {"load": "PASS", "open": "PASS"}
    assert len(children.jobs) == 1


def test_replays_get_the_options_of_the_child_that_crashed(monkeypatch):
    children = Children(monkeypatch,
                        died("open", call="plugin_close", results=("load",)),
                        died("open", call="plugin_open", replay={"params": ""}),
                        done())
    isolation.run_isolated(CheckOptions("p.so"), ["open", "teardown"], 7.5)
    assert children.replays == [("plugin_open", {"params": ""}, frozenset({"teardown"}), 7.5)]


def test_avoided_families_given_are_kept(monkeypatch):
    children = Children(monkeypatch, done("load"))
    isolation.run_isolated(CheckOptions("p.so", avoid=frozenset({"teardown"})), ["load"], 3.0)
    assert children.jobs[0][1] == frozenset({"teardown"})
