"""docs/cli.md is the reference of the command line: each command's --help must say what it says
(summary, description, every option with its value, choices and help text, and no option it does
not list), and the options whose value matters are checked by parsing command lines."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from reference.tools.cli import build_parser, command_of, main

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
COMMANDS = ["run", "validate", "check", "conformance", "inspect"]
TABLE_HEADER = "| Option | Value | Choices | Default | Description |"


def normalised(text: str) -> str:
    """Whitespace-insensitive text: argparse wraps help to the terminal's width."""
    return " ".join(text.split())


def cell_text(cell: str) -> str:
    """A table cell as plain text: no code marks, `\\|` is a pipe."""
    return normalised(cell.replace("\\|", "\x00").replace("`", "").replace("\x00", "|"))


def cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def read_doc() -> dict:
    """{"description": ..., "summaries": {command: summary},
        "commands": {command: {"description": ..., "rows": [row dict...]}}}"""
    text = DOC.read_text()
    title, *sections = re.split(r"(?m)^## ", text)
    description = title.split("\n\n")[1]
    summaries = {}
    for row in title.splitlines():
        match = re.match(r"\| \[`(\w+)`\]\(#plugref-\w+\) \| (.*) \|$", row)
        if match:
            summaries[match[1]] = match[2]
    commands = {}
    for section in sections:
        heading, _, body = section.partition("\n")
        match = re.fullmatch(r"`plugref (\w+)`", heading.strip())
        if not match:
            continue
        paragraphs = body.strip().split("\n\n")
        lines = body.splitlines()
        start = lines.index(TABLE_HEADER) + 2
        rows = []
        for line in lines[start:]:
            if not line.startswith("|"):
                break
            option, value, choices, default, help_text = cells(line)
            rows.append({"names": [cell_text(n) for n in option.split(",")], "value": cell_text(value),
                         "choices": [cell_text(c) for c in choices.split(",")] if choices else [],
                         "default": default, "help": cell_text(help_text)})
        commands[match[1]] = {"description": normalised(paragraphs[0]), "rows": rows}
    return {"description": normalised(description), "summaries": summaries, "commands": commands}


DOCUMENTED = read_doc()


def help_of(capsys, monkeypatch, *argv: str) -> str:
    monkeypatch.setenv("COLUMNS", "1000")  # one line per option: no wrapping to undo
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--help"])
    assert stopped.value.code == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def listed(help_text: str) -> dict[str, str]:
    """Each option and positional argument a --help lists, as {its invocation: its help text}."""
    entries: dict[str, list[str]] = {}
    section, current = None, None
    for line in help_text.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            section, current = line, None
        elif section in ("options:", "positional arguments:") and line.startswith("  "):
            if line.startswith("   "):  # the help text, on the line after a long invocation
                entries[current].append(line)
            else:
                current, *rest = re.split(r"\s{2,}", line.strip(), maxsplit=1)
                entries[current] = rest
    return {name: normalised(" ".join(words)) for name, words in entries.items()}


def listed_names(help_text: str) -> set[str]:
    """Every option string and positional argument a --help lists."""
    return {part.split(" ")[0] for name in listed(help_text) for part in name.split(", ")}


def invocation(row: dict) -> str:
    """How argparse names an option in --help: each option string with its value."""
    return ", ".join(f"{name} {row['value']}" if row["value"] else name for name in row["names"])


def test_the_reference_documents_every_command_in_the_order_plugref_lists_them():
    assert list(DOCUMENTED["summaries"]) == COMMANDS
    assert list(DOCUMENTED["commands"]) == COMMANDS


def test_plugref_help_lists_each_command_with_its_documented_summary(capsys, monkeypatch):
    text = help_of(capsys, monkeypatch)
    assert text.startswith("usage: plugref [-h] {run,validate,check,conformance,inspect} ...\n")
    assert normalised(text.split("\n\n")[1]) == DOCUMENTED["description"]  # the paragraph after the usage
    commands = dict(re.findall(r"(?m)^    (\w+) {2,}(\S.*)$", text))  # argparse indents the commands by four
    assert commands == DOCUMENTED["summaries"]
    assert listed_names(text) == {"{run,validate,check,conformance,inspect}", "-h", "--help"}


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_shows_the_documented_description_and_options(capsys, monkeypatch, command):
    text = help_of(capsys, monkeypatch, command)
    assert text.startswith(f"usage: plugref {command} [-h]")
    documented = DOCUMENTED["commands"][command]
    assert normalised(text.split("\n\n")[1]) == documented["description"]
    options = listed(text)
    for row in documented["rows"]:
        assert options.get(invocation(row)) == row["help"], row["names"]


@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_has_an_option_the_reference_does_not_list(capsys, monkeypatch, command):
    documented = {name for row in DOCUMENTED["commands"][command]["rows"] for name in row["names"]}
    assert listed_names(help_of(capsys, monkeypatch, command)) == documented | {"-h", "--help"}


def _minimal(command: str) -> list[str]:
    """The least command line of each command: its required arguments."""
    return {"validate": ["validate", "rules.yaml"], "check": ["check", "fake_plugins.counter"]}.get(command, [command])


def parse(argv: list[str]):
    return build_parser(command_of(argv)).parse_args(argv)


def _destination(row: dict) -> str:
    return max(row["names"], key=len).lstrip("-").replace("-", "_")


# What each command sees when an option is not given (docs/cli.md says it in words).
DEFAULTS = {
    "run": {"config": None, "rules": [], "json": False, "plugins_dir": None, "numevents": None},
    "validate": {"config": None, "json": False, "plugins_dir": None},
    "check": {"init": "", "open": "", "registry": None, "json": False, "seed": None, "max_examples": 50,
              "max_events": 1000, "timeout": 10.0, "only": None, "allow_zero_ts": False},
    "conformance": {"target": "reference", "clauses": None, "json": False, "markdown": False, "coverage": False,
                    "max_examples": 25, "seed": None, "layer": None, "no_save": False},
    "inspect": {"plugin": [], "input": None, "read": None, "write": None, "print": None, "json": False,
                "numevents": None, "list": False, "list_plugins": False, "extraction": "lazy", "explain": False,
                "filter": []},
}


@pytest.mark.parametrize("command", COMMANDS)
def test_options_not_given_take_their_documented_defaults(command):
    args = vars(parse(_minimal(command)))
    assert {k: args[k] for k in DEFAULTS[command]} == DEFAULTS[command]
    for row in DOCUMENTED["commands"][command]["rows"]:
        value = re.fullmatch(r"`([^`]*)`", row["default"])
        if row["names"][0].startswith("-") and value:  # a default written as a value is that value
            seen = args[_destination(row)]
            assert (f"{seen:g}" if isinstance(seen, float) else str(seen)) == value[1], row["names"]


@pytest.mark.parametrize("command", COMMANDS)
def test_switches_are_off_unless_given(command):
    for row in DOCUMENTED["commands"][command]["rows"]:
        if row["names"][0].startswith("-") and not row["value"]:
            for name in row["names"]:
                assert getattr(parse([*_minimal(command), name]), _destination(row)) is True, name
            assert getattr(parse(_minimal(command)), _destination(row)) is False


@pytest.mark.parametrize("command", COMMANDS)
def test_options_with_choices_take_exactly_the_documented_ones(capsys, command):
    for row in DOCUMENTED["commands"][command]["rows"]:
        if not row["choices"]:
            continue
        if row["value"].startswith("{"):
            assert row["value"] == "{" + ",".join(row["choices"]) + "}"
        for choice in row["choices"]:
            expected = [choice] if "repeatable" in row["help"] else choice  # each repeatable one is a list
            assert getattr(parse([*_minimal(command), row["names"][0], choice]), _destination(row)) == expected
        with pytest.raises(SystemExit) as stopped:
            parse([*_minimal(command), row["names"][0], "no-such-choice"])
        assert stopped.value.code == 2
        err = capsys.readouterr().err
        offered = err.split("choose from", 1)[1]
        assert re.findall(r"'([^']*)'", offered) == row["choices"]


@pytest.mark.parametrize("argv, expected", [
    (["run", "-n", "5", "-r", "a.yaml", "--rules", "b.yaml"], {"numevents": 5, "rules": ["a.yaml", "b.yaml"]}),
    (["run", "--numevents", "7", "-c", "f.yaml", "--plugins-dir", "/p"],
     {"numevents": 7, "config": "f.yaml", "plugins_dir": "/p"}),
    (["validate", "a.yaml", "b.yaml", "--config", "f.yaml"], {"rules": ["a.yaml", "b.yaml"], "config": "f.yaml"}),
    (["conformance", "--max-examples", "7", "--seed", "9", "--layer", "cases", "--layer", "properties",
      "--clauses", "A-B,C-D", "--target", "sysdig"],
     {"max_examples": 7, "seed": 9, "layer": ["cases", "properties"], "clauses": "A-B,C-D", "target": "sysdig"}),
    (["inspect", "-n", "3", "-H", "a", "--plugin", "b:x", "-I", "a:1", "-p", "%evt.num", "x.i", ">", "1"],
     {"numevents": 3, "plugin": ["a", "b:x"], "input": "a:1", "print": "%evt.num", "filter": ["x.i", ">", "1"]}),
    (["inspect", "--numevents", "4", "--read", "c.scap", "--write", "d.scap", "--print", "%x.i"],
     {"numevents": 4, "read": "c.scap", "write": "d.scap", "print": "%x.i", "filter": []}),
    (["check", "fake_plugins.counter", "--max-examples", "3", "--max-events", "4", "--timeout", "2.5", "--seed", "6",
      "--only", "load", "--only", "init", "--init", "{}", "--open", "o", "--registry", "r.yaml"],
     {"target": "fake_plugins.counter", "max_examples": 3, "max_events": 4, "timeout": 2.5, "seed": 6,
      "only": ["load", "init"], "init": "{}", "open": "o", "registry": "r.yaml"}),
])
def test_values_are_parsed_as_the_reference_says(argv, expected):
    args = vars(parse(argv))
    assert {k: args[k] for k in expected} == expected
    assert all(type(args[k]) is type(v) for k, v in expected.items())


@pytest.mark.parametrize("argv, says", [
    (["run", "-n", "five"], "argument -n/--numevents: invalid int value: 'five'"),
    (["inspect", "-n", "2.5"], "argument -n/--numevents: invalid int value: '2.5'"),
    (["conformance", "--max-examples", "x"], "argument --max-examples: invalid int value: 'x'"),
    (["conformance", "--seed", "x"], "argument --seed: invalid int value: 'x'"),
    (["check", "p", "--max-examples", "0"], "argument --max-examples: must be at least 1, not 0"),
    (["check", "p", "--max-events", "-3"], "argument --max-events: must be at least 1, not -3"),
    (["check", "p", "--timeout", "soon"], "argument --timeout: invalid float value: 'soon'"),
    (["validate"], "the following arguments are required: RULES_FILE"),
    (["check"], "the following arguments are required: PATH_OR_MODULE"),
    ([], "the following arguments are required: command"),
    (["bogus"], "argument command: invalid choice: 'bogus' (choose from 'run', 'validate', 'check', 'conformance', "
                "'inspect')"),
])
def test_a_malformed_command_line_is_a_usage_error(capsys, argv, says):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: plugref") and says in err


def test_the_command_is_the_first_word_that_is_not_an_option():
    assert command_of(["-h", "run", "-n", "3"]) == "run"
    assert command_of(["--help"]) is None
    assert command_of([]) is None
    assert command_of(["bogus", "run"]) is None  # not a command: the parser says so, naming the commands


def test_the_parser_of_one_command_knows_that_command_only(capsys):
    assert parse(["run"]).command == "run"
    with pytest.raises(SystemExit):
        build_parser("run").parse_args(["validate", "a.yaml"])
    assert "invalid choice: 'validate' (choose from 'run')" in capsys.readouterr().err
    for command in COMMANDS:
        assert build_parser().parse_args(_minimal(command)).command == command
