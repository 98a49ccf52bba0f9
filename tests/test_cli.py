"""The `plugref` command: the demo a newcomer runs, and errors without tracebacks."""
import subprocess
import sys

import pytest

from reference.tools.cli import main


def test_demo_runs_rules_and_raises_alerts(capsys):
    assert main(["run"]) == 0
    out, err = capsys.readouterr()
    assert "Warning Shell run by root (proc=bash user=root n=2)" in out
    assert "Informational Fourth event (n=4 proc=python3)" in out
    assert "Fourth event (n=8" not in out  # the exception: n=8 is cron
    assert "Events read: 30" in out and "Alerts: 9" in out
    assert "Loaded plugin counter 0.1.0 (source plugin, event source counter)" in err
    assert "Not checked: 1 syscall rule(s), since plugref does not model the syscall source: Program execution" in err


def test_demo_stops_after_n_events(capsys):
    assert main(["run", "-n", "5"]) == 0
    assert "Events read: 5" in capsys.readouterr().out


def test_console_script_entry_point():
    result = subprocess.run([sys.executable, "-m", "reference.tools.cli", "run", "-n", "2"], capture_output=True, text=True)
    assert result.returncode == 0 and "Events read: 2" in result.stdout


def test_errors_go_to_stderr_without_traceback(tmp_path, capsys):
    rules = tmp_path / "bad.yaml"
    rules.write_text("- rule: x\n  desc: d\n  condition: counter.n >\n  output: o\n  priority: INFO\n"
                     "  source: counter\n")
    assert main(["run", "-r", str(rules)]) == 1
    err = capsys.readouterr().err
    assert "plugref: error: " in err and "Traceback" not in err
    assert f"{rules}: Invalid" in err and "LOAD_ERR_COMPILE_CONDITION (Error compiling condition): expected a number" \
        in err and f"In rule 'x': ({rules}:1:3)" in err


@pytest.mark.clause("RULES-RESULTS", "RULES-UNKNOWN-SOURCE")
def test_validate_prints_results_like_falco_v(tmp_path, capsys):
    import json

    good = "fake_plugins/demo/rules.yaml"
    assert main(["validate", good, "-c", "fake_plugins/demo/falco.yaml"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{good}: Ok, with warnings")
    # RULES-UNKNOWN-SOURCE: the demo's syscall rule is said not checked, in text and in JSON.
    assert "Not checked: 1 syscall rule(s), since plugref does not model the syscall source: Program execution" in out
    assert main(["validate", good, "-c", "fake_plugins/demo/falco.yaml", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["not_checked"] == {
        "source": "syscall", "reason": "plugref does not model the syscall source", "rules": ["Program execution"]}
    bad = tmp_path / "bad.yaml"
    bad.write_text("- macro: m\n  condition: nope\n")
    assert main(["validate", str(bad), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["falco_load_results"][0]["errors"][0]["message"] == "Undefined macro 'nope' used in filter."


def test_json_alerts(capsys):
    import json

    assert main(["run", "--json", "-n", "2"]) == 0
    out, err = capsys.readouterr()
    alert = json.loads(out.splitlines()[0])
    assert alert["rule"] == "Shell run by root" and alert["output_fields"]["counter.n"] == 2
    assert "Events read: 2" in err


def test_inspect_imports_neither_the_falco_layer_nor_the_plugin_checker():
    # `plugref inspect` is started for every differential example: it must not pay for jsonschema,
    # YAML rules (the Falco layer) or Hypothesis (plugref check), which it never uses. The plugin
    # has no init schema, so nothing needs jsonschema.
    from fake_plugins.native.build import build_generator

    plugin = str(build_generator())
    program = ("import sys\n"
               "from reference.tools.cli import main\n"
               f"status = main(['inspect', '-H', {plugin + ':5 2'!r}, '-I', {plugin!r}, '-p', '%x.i', 'x.i > 2'])\n"
               "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('hypothesis', 'jsonschema', 'yaml')\n"
               "               or m.startswith(('reference.falco', 'reference.tools.plugin_check')))\n"
               "print(status, heavy)\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.stdout.splitlines()[-1] == "0 []", result.stdout + result.stderr


def test_check_options_are_still_parsed_when_check_is_the_command():
    from reference.tools.cli import build_parser, command_of

    argv = ["check", "fake_plugins.counter", "--only", "load", "--max-events", "3"]
    args = build_parser(command_of(argv)).parse_args(argv)
    assert (args.command, args.only, args.max_events) == ("check", ["load"], 3)
    assert command_of(["inspect", "-I", "check"]) == "inspect"
