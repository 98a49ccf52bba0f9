"""What `plugref` does around each command, in-process: where its options go, how a run's lines are
written, and how it ends (exit statuses 0, 1, 2, 70, 130 and 143 of docs/cli.md)."""
from __future__ import annotations

import os
import signal
import sys
import textwrap

import pytest

import reference.tools
from reference.tools import inspector as inspector_module
from reference.tools.cli import main

# A source plugin whose open params say how its run ends: "HOW:AT:COUNT" gives COUNT events
# numbered from 1, and at event AT, HOW happens: `term` (SIGTERM to its own process), `interrupt`
# (Ctrl-C), `fail` (its generator raises, a plugin failure) or `none`.
SCRIPTED_PLUGIN = '''
import os
import signal

from reference.contract.v0_3 import Event
from reference.sdk import GeneratorInstance, SourcePlugin, field


def events(how, at, count):
    for n in range(1, count + 1):
        if n == at and how == "term":
            if not callable(signal.getsignal(signal.SIGTERM)):
                raise RuntimeError("plugref installed no SIGTERM handler: the signal would kill the tests")
            os.kill(os.getpid(), signal.SIGTERM)
        elif n == at and how == "interrupt":
            raise KeyboardInterrupt
        elif n == at and how == "fail":
            raise ValueError("planted failure")
        yield Event(b"%d" % n, ts=n)


class Scripted(SourcePlugin):
    id = 2**30 + 93
    name = "scripted"
    event_source = "scripted"
    version = "0.1.0"

    def open(self, params):
        how, at, count = params.split(":")
        return GeneratorInstance(events(how, int(at), int(count)), batch_size=1)

    @field("scripted.n", "uint64", "the event's number")
    def n(self, event, arg):
        return int(event.data)

    @field("scripted.collector", "string", "whether the cyclic garbage collector runs, and holds a frozen start-up")
    def collector(self, event, arg):
        import gc

        return ("on" if gc.isenabled() else "off") + (" frozen" if gc.get_freeze_count() else "")

    @field("scripted.odd", "string", "odd for an odd number; extracting it from an even one fails")
    def odd(self, event, arg):
        if int(event.data) % 2 == 0:
            raise ValueError("not odd")
        return "odd"


PLUGIN = Scripted
'''


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scripted")
    (folder / "cli_scripted_plugin.py").write_text(SCRIPTED_PLUGIN)
    sys.path.insert(0, str(folder))
    yield "cli_scripted_plugin"
    sys.path.remove(str(folder))


def inspect_scripted(plugin: str, how: str, *args: str) -> int:
    return main(["inspect", "-H", plugin, "-I", f"scripted:{how}", "-p", "%scripted.n", *args])


class RecordedOutput:
    """A stdout that keeps each write apart."""

    def __init__(self, fails: bool = False):
        self.writes: list[str] = []
        self.fails = fails

    def write(self, text: str) -> int:
        if self.fails:
            raise BrokenPipeError(32, "Broken pipe")
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("count, lines_per_write", [(600, [256, 256, 88]), (257, [256, 1]), (3, [3])])
def test_lines_are_written_256_at_a_time_and_the_rest_at_the_end(monkeypatch, scripted, count, lines_per_write):
    output = RecordedOutput()
    monkeypatch.setattr(sys, "stdout", output)
    assert inspect_scripted(scripted, f"none:0:{count}") == 0
    assert [text.count("\n") for text in output.writes] == lines_per_write
    assert all(text.endswith("\n") for text in output.writes)
    assert "".join(output.writes) == "".join(f"{n}\n" for n in range(1, count + 1))


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_sigterm_mid_run_prints_the_lines_so_far_and_exits_143(capsys, scripted):
    before = signal.getsignal(signal.SIGTERM)
    assert inspect_scripted(scripted, "term:3:10") == 143
    assert capsys.readouterr() == ("1\n2\n", "plugref: stopped by SIGTERM\n")
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is plugref's only while lines are written


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_ctrl_c_mid_run_prints_the_lines_so_far_and_exits_130(capsys, scripted):
    assert inspect_scripted(scripted, "interrupt:3:10") == 130
    assert capsys.readouterr() == ("1\n2\n", "plugref: interrupted\n")


def test_an_inspect_run_in_another_thread_leaves_signals_alone(capsys, scripted):
    import threading

    status = []
    worker = threading.Thread(target=lambda: status.append(inspect_scripted(scripted, "none:0:2")))
    worker.start()
    worker.join()
    assert status == [0] and capsys.readouterr() == ("1\n2\n", "")


def test_a_closed_output_pipe_ends_quietly_with_0(capsys, monkeypatch, scripted):
    monkeypatch.setattr(sys, "stdout", RecordedOutput(fails=True))
    assert inspect_scripted(scripted, "none:0:5") == 0
    assert capsys.readouterr().err == ""


@pytest.mark.clause("RELIABILITY-BAD-INPUT")
def test_a_bug_is_an_internal_error_70_with_the_traceback_only_on_request(capsys, monkeypatch, scripted):
    def planted_bug(self, settings, notes=None):
        raise RuntimeError("planted bug")

    monkeypatch.setattr(inspector_module.Inspector, "run", planted_bug)
    monkeypatch.delenv("PLUGREF_DEBUG", raising=False)
    assert inspect_scripted(scripted, "none:0:1") == 70
    assert capsys.readouterr() == ("", "plugref: internal error: RuntimeError: planted bug (set PLUGREF_DEBUG=1 for "
                                       "the traceback, and please report it)\n")
    monkeypatch.setenv("PLUGREF_DEBUG", "1")
    with pytest.raises(RuntimeError, match="planted bug"):
        inspect_scripted(scripted, "none:0:1")


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_notes_go_to_stderr_before_the_error(capsys, tmp_path, scripted):
    output = tmp_path / "out.scap"
    assert inspect_scripted(scripted, "fail:3:5", "-w", str(output)) == 1
    out, err = capsys.readouterr()
    note, error = err.splitlines()
    assert out == "" and not output.exists()
    assert note.startswith(f"note: {output} was left as it was; the 2 events written before the stop are in ")
    assert error == "plugref: error: plugin scripted: next_batch failed: planted failure"


@pytest.mark.clause("EXTRACT-BATCHED")
def test_extraction_mode_lazy_asks_a_field_only_when_needed_batched_asks_all(capsys, scripted):
    # `scripted.odd` fails for even numbers: lazily it is never asked for event 2 (the `or` is decided
    # by scripted.n = 2); batched, event 2's one call asks both fields and fails, so event 2 has no values.
    condition = "scripted.n = 2 or scripted.odd = odd"
    for mode in ([], ["--extraction", "lazy"]):
        assert inspect_scripted(scripted, "none:0:3", *mode, condition) == 0
        assert capsys.readouterr().out == "1\n2\n3\n"
    assert inspect_scripted(scripted, "none:0:3", "--extraction", "batched", condition) == 0
    assert capsys.readouterr().out == "1\n3\n"


def test_explain_prints_the_compiled_filter_and_reads_no_event(capsys, scripted):
    # the input would stop the run at its first event: --explain never opens it
    assert inspect_scripted(scripted, "interrupt:1:1", "--explain", "scripted.n", ">", "1") == 0
    out, err = capsys.readouterr()
    assert err == "" and "# scripted.n > 1\n" in out and out.startswith("# Names used below:\n")
    assert "def condition(context):" in out


def test_explain_without_a_filter_says_what_it_needs(capsys, scripted):
    assert inspect_scripted(scripted, "none:0:1", "--explain") == 1
    assert capsys.readouterr() == ("", "plugref: error: --explain needs a filter to explain, e.g. --explain "
                                       "'evt.num > 10'\n")


def test_inspect_does_not_load_the_plugin_checker(monkeypatch, capsys, scripted):
    # docs/architecture: each command imports only the layers it uses; inspect (started for every
    # differential example) never pays for plugin_check and Hypothesis, whose options only `check` has.
    monkeypatch.delitem(sys.modules, "reference.tools.plugin_check", raising=False)
    monkeypatch.delattr(reference.tools, "plugin_check", raising=False)
    assert inspect_scripted(scripted, "none:0:1") == 0
    assert "reference.tools.plugin_check" not in sys.modules


@pytest.fixture
def config_with_a_relative_library(tmp_path, monkeypatch):
    monkeypatch.delenv("PLUGREF_PLUGINS_DIR", raising=False)
    config = tmp_path / "falco.yaml"
    config.write_text("plugins:\n  - name: lib\n    library_path: sub/lib.so\n")
    return config


@pytest.mark.clause("CONFIG-LIBRARY-PATH")
@pytest.mark.parametrize("command", [["run", "-r", "fake_plugins/demo/rules.yaml"],
                                     ["validate", "fake_plugins/demo/rules.yaml"]])
def test_run_and_validate_load_the_given_configuration_from_the_given_plugins_dir(
        capsys, tmp_path, config_with_a_relative_library, command):
    config = config_with_a_relative_library
    assert main([*command, "-c", str(config), "--plugins-dir", str(tmp_path / "plugins")]) == 1
    assert capsys.readouterr().err == (f"plugref: error: Error reading config file ({config}:2): plugin 'lib': "
                                       f"cannot load plugin {tmp_path}/plugins/sub/lib.so: no such file\n")
    assert main([*command, "-c", str(config)]) == 1
    assert "cannot load plugin /usr/share/falco/plugins/sub/lib.so: no such file" in capsys.readouterr().err


def test_check_gets_its_options(capsys, tmp_path):
    missing = tmp_path / "missing.so"
    assert main(["check", str(missing)]) == 2
    assert capsys.readouterr().err == f"plugref check: error: no such file: {missing}\n"


def test_without_arguments_main_reads_the_command_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["plugref", "validate", "fake_plugins/demo/rules.yaml", "-c",
                                      "fake_plugins/demo/falco.yaml"])
    assert main() == 0
    assert capsys.readouterr().out.startswith("fake_plugins/demo/rules.yaml: Ok, with warnings\n")


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_the_collector_runs_while_events_flow_and_is_on_again_after_the_command(scripted, capsys):
    # Start-up runs with the cyclic collector paused and its objects frozen once events flow (a
    # start-up cost only): a long run must still collect its garbage, and a caller keeps its collector.
    import gc

    assert gc.isenabled()
    assert main(["inspect", "-H", scripted, "-I", "scripted:none:0:3", "-p", "%scripted.collector"]) == 0
    assert capsys.readouterr().out.splitlines() == ["on frozen"] * 3
    assert gc.isenabled()
    assert main(["inspect", "-H", scripted, "-l"]) == 0  # ends before any event: start-up only
    assert gc.isenabled()
    gc.disable()
    try:
        main(["inspect", "-H", scripted, "-l"])
        assert not gc.isenabled()  # as the caller had it
    finally:
        gc.enable()


@pytest.mark.clause("FALCO-RUN")
def test_the_collector_runs_while_falco_rules_see_events_too(scripted, tmp_path, capsys):
    config = tmp_path / "falco.yaml"
    config.write_text(f"plugins:\n  - name: scripted\n    library_path: {scripted}\n    open_params: none:0:2\n"
                      "load_plugins: [scripted]\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text("- rule: Each\n  desc: every event\n  condition: scripted.n > 0\n"
                     "  output: collector %scripted.collector\n  priority: WARNING\n  source: scripted\n")
    assert main(["run", "-c", str(config), "-r", str(rules)]) == 0
    alerts = [line.split(": ", 1)[1] for line in capsys.readouterr().out.splitlines() if line[:2].isdigit()]
    assert alerts == ["Warning collector on frozen"] * 2
