"""`plugref check`: property-based checks of one plugin against the 0.3.0 contract (project issue 8).

    plugref check PATH_OR_MODULE [--init CONFIG] [--open PARAMS] [--registry FILE] [--json]
                  [--seed N] [--max-examples N] [--max-events N] [--timeout S] [--only CHECK]

The checks run in a child process (isolation.py), so that a plugin that crashes or hangs fails a
check, naming the call it was in, instead of taking the checker down. Each check is in checks.py;
configs drawn from init schemas are in configs.py. The CLI wires `add_check_arguments` and
`run_check`; docs/plugin-check.md is the user's guide.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import random
import shlex
import sys
from pathlib import Path

from reference.errors import PlugrefError
from reference.host.falco_registry import load_registry
from reference.host.libraries import DEFINITION_SUFFIXES
from reference.host.native import is_native_path
from reference.tools.plugin_check.checks import CHECK_NAMES, CheckOptions
from reference.tools.plugin_check.isolation import CheckOutcome, CheckRun, run_isolated

__all__ = ["add_check_arguments", "run_check", "CHECK_NAMES", "CHECK_CLAUSES"]

#: The docs/spec.md clause each check reports under.
CHECK_CLAUSES = {
    "load": "CHECK-LOAD", "identity": "CHECK-LOAD", "registry": "CHECK-LOAD",
    "init": "CHECK-INIT", "init-schema-configs": "CHECK-INIT", "init-invalid-configs": "CHECK-INIT",
    "open": "CHECK-OPEN", "next-batch": "CHECK-NEXT-BATCH", "extract": "CHECK-EXTRACT",
    "batched-extraction": "CHECK-BATCHED-EXTRACTION",
    "event-to-string": "CHECK-EVENT-TO-STRING", "progress": "CHECK-PROGRESS", "teardown": "CHECK-TEARDOWN",
}

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_MAX_EXAMPLES = 50
DEFAULT_MAX_EVENTS = 1000
DEFAULT_TIMEOUT = 10.0
#: The longest --timeout: a day is as good as none, and the parent's wait (epoll) takes no more than 24 days.
MAX_TIMEOUT = 86400.0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `plugref check`, added to `parser` (a subcommand's parser)."""
    parser.add_argument("target", metavar="PATH_OR_MODULE",
                        help="the plugin: a .so path, a Python module (fake_plugins.counter) or a definition file")
    parser.add_argument("--init", metavar="CONFIG", default="", help="init config the plugin must accept (default: empty)")
    parser.add_argument("--open", metavar="PARAMS", default="", help="open params the plugin must accept (default: empty)")
    parser.add_argument("--registry", metavar="FILE", help="a falcosecurity registry.yaml to check name, ID and source against")
    parser.add_argument("--json", action="store_true", help="print one JSON document (for CI) instead of lines")
    parser.add_argument("--seed", type=int, metavar="N", help="seed of the generated inputs (default: random, printed)")
    parser.add_argument("--max-examples", type=_positive, default=DEFAULT_MAX_EXAMPLES, metavar="N",
                        help=f"generated examples per property (default {DEFAULT_MAX_EXAMPLES})")
    parser.add_argument("--max-events", type=_positive, default=DEFAULT_MAX_EVENTS, metavar="N",
                        help=f"events read and extracted from at most (default {DEFAULT_MAX_EVENTS})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"longest a single plugin call may take (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--only", action="append", choices=CHECK_NAMES, metavar="CHECK",
                        help=f"run only this check (repeatable): {', '.join(CHECK_NAMES)}")
    parser.add_argument("--allow-zero-ts", action="store_true",
                        help="accept events with timestamp 0 (when the plugin documents it)")


def _target_problem(target: str) -> str | None:
    """Why `target` cannot name a plugin, found without loading it (the parent never loads plugins)."""
    path = Path(target)
    if path.suffix in DEFINITION_SUFFIXES or is_native_path(target) or "/" in target:
        if not path.exists():
            return f"no such file: {target}"
        if path.is_dir():
            return f"{target} is a directory, not a plugin"
        return None
    try:
        found, why = importlib.util.find_spec(target), ""
    except (ImportError, ValueError) as exc:
        found, why = None, f" ({exc})"
    if found is not None:
        return None
    if path.is_file():
        return (f"{target} is not a plugin: a plugin is a .so library (give a path with a slash or a .so "
                f"suffix), a definition file ({', '.join(DEFINITION_SUFFIXES)}) or a Python module")
    return f"{target} is neither a file nor an importable Python module{why}"


def draw_seed() -> int:
    """A seed for a run given none: any of the 2^32 (CHECK-REPORT), so that runs explore new inputs."""
    return random.randrange(2**32)


def reproduction(args: argparse.Namespace, seed: int, check: str) -> str:
    words = ["plugref", "check", args.target, "--only", check, "--seed", str(seed)]
    for option, value, default in (("--init", args.init, ""), ("--open", args.open, ""),
                                   ("--registry", args.registry, None),
                                   ("--max-examples", args.max_examples, DEFAULT_MAX_EXAMPLES),
                                   ("--max-events", args.max_events, DEFAULT_MAX_EVENTS),
                                   ("--timeout", args.timeout, DEFAULT_TIMEOUT)):
        if value != default:
            text = f"{value:g}" if isinstance(value, float) else str(value)
            # a value that starts with a dash would be read as an option: it goes after an `=`
            words += [f"{option}={text}"] if text.startswith("-") else [option, text]
    if args.allow_zero_ts:
        words.append("--allow-zero-ts")
    return shlex.join(words)


def _headline(target: str, identity: dict | None) -> str:
    if identity is None:
        return f"plugref check {target}"
    kind = f"{identity['kind']} {identity['type']} plugin {identity['name']} {identity['version']}"
    if identity["type"] == "source":
        kind += f", ID {identity['id']}, event source {identity['event_source']}"
    return f"plugref check {target}: {kind}"


def _line(outcome: CheckOutcome, reproduce: str | None) -> str:
    if outcome.status == "PASS":
        return f"PASS {outcome.name}"
    if outcome.status == "SKIP":
        return f"SKIP {outcome.name}: {outcome.reason}"
    if outcome.status == "WARN":
        return f"WARN {outcome.name}: {outcome.reason}"
    return f"FAIL {outcome.name}: {outcome.reason} (reproduce: {reproduce})"


def report(args: argparse.Namespace, seed: int, run: CheckRun) -> tuple[str, int]:
    """The printed report and the exit status."""
    counts = {status: sum(o.status == status for o in run.outcomes.values())
              for status in ("PASS", "WARN", "FAIL", "SKIP")}
    status = EXIT_FAILED if counts["FAIL"] else EXIT_PASSED
    reproductions = {name: reproduction(args, seed, name) for name, o in run.outcomes.items() if o.status == "FAIL"}
    if args.json:
        document = {
            "target": args.target,
            "plugin": run.identity,
            "options": {"init": args.init, "open": args.open, "registry": args.registry, "seed": seed,
                        "max_examples": args.max_examples, "max_events": args.max_events, "timeout": args.timeout},
            "checks": [{"name": o.name, "clause": CHECK_CLAUSES[o.name], "status": o.status, "reason": o.reason,
                        "notes": o.notes, "last_call": o.last_call, "reproduce": reproductions.get(o.name)}
                       for o in run.outcomes.values()],
            "summary": {"passed": counts["PASS"], "warned": counts["WARN"], "failed": counts["FAIL"],
                        "skipped": counts["SKIP"], "exit_status": status},
        }
        return json.dumps(document, indent=2), status
    lines = [_headline(args.target, run.identity)]
    for outcome in run.outcomes.values():
        lines.append(_line(outcome, reproductions.get(outcome.name)))
        lines += [f"    note: {note}" for note in outcome.notes]
    warned = f"{counts['WARN']} warned, " if counts["WARN"] else ""
    lines.append(f"summary: {counts['PASS']} passed, {warned}{counts['FAIL']} failed, {counts['SKIP']} skipped "
                 f"(seed {seed})")
    return "\n".join(lines), status


def _error(args: argparse.Namespace, message: str) -> int:
    if args.json:
        print(json.dumps({"target": args.target, "error": message,
                          "summary": {"exit_status": EXIT_BAD_INPUT}}, indent=2))
    print(f"plugref check: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def run_check(args: argparse.Namespace) -> int:
    """Run `plugref check` with parsed `args`; prints the report and returns the exit status."""
    problem = _target_problem(args.target)
    if problem:
        return _error(args, problem)
    if args.registry:
        try:
            load_registry(args.registry)
        except PlugrefError as exc:
            return _error(args, exc.message)
    if not 0 < args.timeout <= MAX_TIMEOUT:  # nan is neither
        return _error(args, f"--timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds, not {args.timeout:g}")
    seed = args.seed if args.seed is not None else draw_seed()
    options = CheckOptions(target=args.target, init_config=args.init, open_params=args.open, registry=args.registry,
                           seed=seed, max_examples=args.max_examples, max_events=args.max_events,
                           allow_zero_ts=args.allow_zero_ts)
    try:
        run = run_isolated(options, list(args.only or CHECK_NAMES), args.timeout)
    except PlugrefError as exc:
        return _error(args, f"{args.target} is not a plugin: {exc.message}")
    text, status = report(args, seed, run)
    print(text)
    return status
