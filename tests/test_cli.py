"""The `plugref` command: the demo a newcomer runs, and errors without tracebacks."""
import subprocess
import sys

import pytest

from reference.cli import main


def test_demo_runs_and_shows_plugins_events_and_fields(capsys):
    assert main(["run", "-n", "3"]) == 0
    out = capsys.readouterr().out
    assert "counter 0.1.0: source plugin" in out and "json 0.1.0: extractor plugin for every event source" in out
    assert 'counter.n=3 counter.divisible[3]=1' in out
    assert "json.value[/nope]=<NA>" in out
    assert "summary: 3 events read from counter" in out


def test_demo_runs_to_the_end_of_the_stream(capsys):
    assert main(["run"]) == 0
    assert "summary: 12 events read from counter" in capsys.readouterr().out


def test_console_script_entry_point():
    result = subprocess.run([sys.executable, "-m", "reference.cli", "run", "-n", "1"], capture_output=True, text=True)
    assert result.returncode == 0 and "1 events read" in result.stdout


def test_plugin_errors_go_to_stderr_without_traceback(monkeypatch, capsys):
    monkeypatch.setattr("reference.cli.DEMO_PLUGINS", (("fake_plugins.nope", ""),))
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("plugref: error: cannot load plugin fake_plugins.nope:") and "Traceback" not in err
