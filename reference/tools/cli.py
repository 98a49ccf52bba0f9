"""The `plugref` command line.

Each command imports only the layers it uses, when it runs: `inspect` (what differential testing
starts over and over) never loads the Falco layer (jsonschema, YAML rules) or `plugin_check`
(Hypothesis).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys

from reference.errors import PlugrefError

COMMANDS = ("run", "validate", "check", "conformance", "inspect")
_LINES_PER_WRITE = 256


def inspect(args: argparse.Namespace) -> int:
    from reference.host.event_fields import ExtractionMode
    from reference.tools.inspector import Inspection, Inspector

    inspector = Inspector()
    try:
        settings = Inspection(plugins=args.plugin, input=args.input, filter=" ".join(args.filter) or None,
                              format=args.print, json=args.json, max_events=args.numevents, read=args.read,
                              write=args.write, extraction=ExtractionMode(args.extraction))
        if args.explain:
            if not settings.filter:
                raise PlugrefError("--explain needs a filter to explain, e.g. --explain 'evt.num > 10'")
            sys.stdout.write(inspector.explain(settings))
            return 0
        if args.list or args.list_plugins:
            for text in settings.plugins:
                inspector.load(text)
            listing = inspector.field_listing() if args.list else inspector.plugin_listing()
            print("\n".join(listing))
            return 0
        notes: list[str] = []
        lines = inspector.run(settings, notes)
        _start_up_done()
        pending: list[str] = []  # lines are written a few hundred at a time, not one call each
        try:
            with _terminate_as_interrupt():
                for line in lines:
                    pending.append(line)
                    if len(pending) >= _LINES_PER_WRITE:
                        sys.stdout.write("\n".join(pending) + "\n")
                        pending.clear()
        finally:
            if pending:
                sys.stdout.write("\n".join(pending) + "\n")
            lines.close()
            for note in notes:
                print(f"note: {note}", file=sys.stderr)
        return 0
    finally:
        inspector.registry.shutdown()


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that a run being written ends cleanly (INSPECT-OUTPUT-SAFE)."""


@contextlib.contextmanager
def _terminate_as_interrupt():
    def on_term(signum, frame):
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread: signals stay as they are
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def conformance(args: argparse.Namespace) -> int:
    import json

    from conformance import runner

    if args.coverage:
        missing = runner.coverage()
        print("\n".join(missing) if missing else "every clause of docs/spec.md has a case or a property")
        return 1 if missing else 0
    clauses = [c for c in (args.clauses or "").split(",") if c] or None
    report = runner.run(args.target, clauses, args.max_examples, not args.no_save,
                        tuple(args.layer or ("cases", "properties")), args.seed)
    if args.json:
        print(json.dumps(report.to_json(clauses), indent=2))
    elif args.markdown:
        print(report.markdown(), end="")
    else:
        print(report.text(clauses))
    return report.exit_status


def _add_run(commands) -> None:
    run = commands.add_parser("run", help="run rules on plugin events, as Falco does (no arguments: the bundled demo)",
                              description="Load the plugins of a falco.yaml, load rules files for their event "
                                          "sources, and print an alert for every event a rule matches. With no "
                                          "arguments, runs the bundled demo.")
    run.add_argument("-c", "--config", metavar="FALCO_YAML", help="the configuration (its plugins, load_plugins, "
                     "rules_files, priority, json_output)")
    run.add_argument("-r", "--rules", action="append", default=[], metavar="FILE", help="a rules file; repeatable")
    run.add_argument("--json", action="store_true", help="print alerts as JSON, one per line")
    run.add_argument("--plugins-dir", metavar="DIR", help="where relative library_path values resolve "
                     "(default: $PLUGREF_PLUGINS_DIR or /usr/share/falco/plugins)")
    run.add_argument("-n", "--numevents", type=int, metavar="N", help="stop after N events")


def _add_validate(commands) -> None:
    validate = commands.add_parser("validate", help="validate rules files, as falco -V does",
                                   description="Load rules files, as falco -V does, and print the load result of "
                                               "each: Ok, or its errors and warnings with where they are.")
    validate.add_argument("rules", nargs="+", metavar="RULES_FILE", help="a rules file; one or more")
    validate.add_argument("-c", "--config", metavar="FALCO_YAML", help="load these plugins first, for their sources "
                          "and fields")
    validate.add_argument("--json", action="store_true", help="print the load results as JSON")
    validate.add_argument("--plugins-dir", metavar="DIR", help="where relative library_path values resolve")


def _add_check(commands) -> None:
    check = commands.add_parser("check", help="check that one plugin honours the contract (for plugin authors)",
                                description="Load a native or Python plugin in a child process and run "
                                            "property-based checks on it; one line per check.")
    from reference.tools.plugin_check import add_check_arguments

    add_check_arguments(check)


def _add_conformance(commands) -> None:
    suite = commands.add_parser("conformance", help="run the conformance suite against an implementation",
                                description="Run the conformance suite (data cases and properties) against an "
                                            "implementation and report per clause of docs/spec.md.")
    suite.add_argument("--target", default="reference", help="reference (in-process), sysdig (0.29, as a "
                       "subprocess), or a command speaking the adapter protocol (docs/adapter-protocol.md)")
    suite.add_argument("--clauses", metavar="ID,ID", help="only these clauses")
    suite.add_argument("--json", action="store_true", help="print the report as JSON")
    suite.add_argument("--markdown", action="store_true", help="print the report as a Markdown page")
    suite.add_argument("--coverage", action="store_true", help="list the clauses that have no case or property")
    suite.add_argument("--max-examples", type=int, default=25, metavar="N",
                       help="examples per differential property (default 25)")
    suite.add_argument("--seed", type=int, metavar="N", help="a random seed for the differential properties (default: "
                       "derandomized, the same examples every run)")
    suite.add_argument("--layer", choices=["cases", "properties"], action="append",
                       help="run only this layer (repeatable; default: both)")
    suite.add_argument("--no-save", action="store_true", help="do not save counterexamples as cases")


def _add_inspect(commands) -> None:
    look = commands.add_parser("inspect", help="load plugins and print their events, as sysdig does",
                               description="Load plugins and print the events of a source plugin, filtered "
                                           "and formatted; the options are sysdig's.")
    look.add_argument("-H", "--plugin", action="append", default=[], metavar="PATH[:INIT]",
                      help="load a plugin: a .so path, a Python module (fake_plugins.counter) or a definition "
                           "file, with its init config after the first colon; repeatable")
    look.add_argument("-I", "--input", metavar="NAME|PATH[:OPEN]",
                      help="open this source plugin (a loaded plugin's name or path), with open params")
    look.add_argument("-r", "--read", metavar="FILE", help="read events from a capture file (.scap, plain or gzip)")
    look.add_argument("-w", "--write", metavar="FILE", help="write the events that pass the filter to a capture "
                      "file (gzip when it ends in .gz) instead of printing them")
    look.add_argument("-p", "--print", metavar="FORMAT", help="output format, e.g. '*%%evt.num %%x.word'; a "
                      "leading * prints <NA> for missing values")
    look.add_argument("-j", "--json", action="store_true", help="print each event as JSON with typed values")
    look.add_argument("-n", "--numevents", type=int, metavar="N", help="stop after N events that pass the filter")
    look.add_argument("-l", "--list", action="store_true", help="list the fields of the loaded plugins")
    look.add_argument("--list-plugins", action="store_true", help="list the loaded plugins")
    from reference.host.event_fields import ExtractionMode

    look.add_argument("--extraction", choices=[m.value for m in ExtractionMode], default="lazy",
                      help="lazy (default, as libsinsp): one field per extract_fields call, when needed; batched: "
                           "every field of a plugin in one call per event (the API allows it; many plugins break)")
    look.add_argument("--explain", action="store_true", help="print the Python function the filter compiles to "
                      "(for the source of -I, else of the first loaded source plugin) and read no event")
    look.add_argument("filter", nargs="*", help="the filter (condition), e.g. 'x.word in (nginx, sshd)'")


#: Each command's parser, by name (in the order `plugref --help` lists them).
_PARSERS = {"run": _add_run, "validate": _add_validate, "check": _add_check, "conformance": _add_conformance,
            "inspect": _add_inspect}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or, given the `command` being run, of that one only: building
    the others costs start-up time (argparse looks up translations for every parser), and the
    options of `check` come from plugin_check (Hypothesis)."""
    parser = argparse.ArgumentParser(prog="plugref", description="Reference implementation of the Falco plugin "
                                     "framework (plugin API 0.3.0 and 3.x) and its conformance suite.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, add_parser in _PARSERS.items():
        if command is None or command == name:
            add_parser(commands)
    return parser


def command_of(argv: list[str]) -> str | None:
    """The command named on a command line: the first word that is not an option (the top level
    has no options with a value)."""
    word = next((w for w in argv if not w.startswith("-")), None)
    return word if word in COMMANDS else None


def _start_up_done() -> None:
    """The objects start-up made set aside for good, and the cyclic collector on again (see main)."""
    gc.freeze()
    gc.enable()


def main(argv: list[str] | None = None) -> int:
    # Start-up (imports, parsers, plugins) runs with the cyclic collector paused, and what it made is
    # frozen before events flow: those objects live as long as the process, and collecting them again
    # and again (at exit too) found nothing yet took a tenth of a 24-event run, which differential
    # testing starts all day. They stay frozen: a process runs one command (tests that call main()
    # in-process unfreeze after each test: conftest.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _command(argv)
    finally:
        if collecting:
            gc.enable()


def _command(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(command_of(argv)).parse_args(argv)
    if args.command != "inspect":
        _start_up_done()  # the long runs of other commands are not start-up bound
    try:
        if args.command in ("run", "validate"):
            from reference.falco import app as falco_app

            if args.command == "run":
                return falco_app.run(args.config, args.rules, args.json, args.plugins_dir, args.numevents)
            return falco_app.validate(args.rules, args.config, args.json, args.plugins_dir)
        if args.command == "check":
            from reference.tools.plugin_check import run_check

            return run_check(args)
        if args.command == "conformance":
            return conformance(args)
        return inspect(args)
    except PlugrefError as exc:
        print(f"plugref: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except Terminated:
        print("plugref: stopped by SIGTERM", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("plugref: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of plugref's: say so plainly, the traceback only on request
        if os.environ.get("PLUGREF_DEBUG"):
            raise
        print(f"plugref: internal error: {type(exc).__name__}: {exc} (set PLUGREF_DEBUG=1 for the traceback, and "
              f"please report it)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
