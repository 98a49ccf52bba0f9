"""Instructions per event of the reference path, sysdig 0.29 and the CPython floor, counted by callgrind.

    python benchmarks/instructions.py                  # every workload (a few minutes)
    python benchmarks/instructions.py --only W1 W2     # some of them

A count of instructions is the same however loaded the machine is (`report.py`'s seconds are not),
so this report is the one to compare two versions of plugref with, or a change with its base. Each
workload runs under `valgrind --tool=callgrind` twice, for --small and --large events, and the
difference over the difference in events is its cost per event: start-up and the plugin's own
set-up cancel out.

Workloads: W1 and W2 of `report.py` (the generator plugin, `-p '%x.i %x.word' 'x.word in (nginx,
sshd) and x.i > 100'`, live with -I and from a capture with -r), for plugref, sysdig and the
floor (`cpython_floor.py`); then plugref's W1 taken apart, each row one part more than the one
before it: events only (a filter on a built-in field that no event passes), one plugin field
extracted and tested per event (`x.i > 10**8`, no event passes), and every event printed
(`x.i > 100`). The last rows are the reader of W2 alone, and the reader with the numbering of
the inspector.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inspect_vs_sysdig import FILTER, FORMAT, ROOT, write_capture  # noqa: E402

from fake_plugins.native.build import build_generator  # noqa: E402

_COLLECTED = re.compile(rb"Collected : (\d+)")
FLOOR = Path(__file__).resolve().parent / "cpython_floor.py"
#: The reader of W2 alone, then with the inspector's numbering: a loop over the events, nothing printed.
READER = ("import sys\nfrom reference.host.capture import read_capture\n"
          "for _ in read_capture(sys.argv[1]): pass\n")
NUMBERED = ("import sys\nfrom reference.host.capture import read_capture\nfrom reference.tools.inspector import "
            "Inspector\nfor _ in Inspector()._numbered(read_capture(sys.argv[1])): pass\n")


def instructions(command: list[str]) -> int:
    """Instructions callgrind counts for the whole of `command` (its output thrown away)."""
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    found = _COLLECTED.search(run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"{' '.join(command)} failed under callgrind: {run.stderr.decode(errors='replace')[-500:]}")
    return int(found.group(1))


def workloads(plugin: Path, captures: dict[int, Path]) -> dict[str, tuple[str, Callable[[int], list[str]]]]:
    """name -> (what, events -> command)."""
    python = sys.executable

    def inspect(fmt: str, condition: str, from_capture: bool = False):
        def command(n: int) -> list[str]:
            source = ["-r", str(captures[n])] if from_capture else ["-I", str(plugin)]
            return [python, "-m", "reference.tools.cli", "inspect", "-H", f"{plugin}:{n} 64", *source, "-p", fmt,
                    condition]
        return command

    def sysdig(from_capture: bool):
        def command(n: int) -> list[str]:
            source = ["-r", str(captures[n])] if from_capture else ["-I", str(plugin)]
            return ["sysdig", "-H", f"{plugin}:{n} 64", *source, "-p", FORMAT, FILTER]
        return command

    return {
        "sysdig W1": ("sysdig 0.29, events from the plugin (-I)", sysdig(False)),
        "floor W1": ("cpython_floor.py, the same job", lambda n: [python, str(FLOOR), str(plugin), "--events", str(n)]),
        "W1": ("plugref, the same", inspect(FORMAT, FILTER)),
        "sysdig W2": ("sysdig 0.29, events from a capture (-r)", sysdig(True)),
        "floor W2": ("cpython_floor.py, the same job", lambda n: [python, str(FLOOR), str(plugin), "--capture",
                                                                  str(captures[n])]),
        "W2": ("plugref, the same", inspect(FORMAT, FILTER, True)),
        "events": ("W1's events, a built-in field tested, none printed", inspect(FORMAT, "evt.num > 100000000")),
        "+1 field": ("and one plugin field extracted and tested, none printed", inspect(FORMAT, "x.i > 100000000")),
        "+print": ("and every event printed (its second field extracted)", inspect(FORMAT, "x.i > 100")),
        "reader": ("W2's capture reader alone", lambda n: [python, "-c", READER, str(captures[n])]),
        "+numbered": ("and the inspector's numbering", lambda n: [python, "-c", NUMBERED, str(captures[n])]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20_000, help="events of the first run (default 20,000)")
    parser.add_argument("--large", type=int, default=60_000, help="events of the second run (default 60,000)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="these workloads only")
    args = parser.parse_args()
    for tool in ("sysdig", "valgrind"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (apt-get install -y {tool})", file=sys.stderr)
            return 2
    if args.large <= args.small:
        parser.error("--large must be more than --small")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        plugin = folder / "generator.so"
        shutil.copyfile(build_generator(), plugin)
        captures = {n: write_capture(plugin, n, folder / f"{n}.scap") for n in (args.small, args.large)}
        table = workloads(plugin, captures)
        unknown = set(args.only or ()) - set(table)
        if unknown:
            parser.error(f"no workload {', '.join(sorted(unknown))}; there are {', '.join(table)}")
        per_event = {}
        print(f"{'workload':11} {'per event':>10} {'x sysdig':>9}  what")
        for workload, (what, command) in table.items():
            if args.only and workload not in args.only:
                continue
            cost = (instructions(command(args.large)) - instructions(command(args.small))) / (args.large - args.small)
            per_event[workload] = cost
            peer = per_event.get(f"sysdig {workload.split()[-1]}") if workload.split()[-1] in ("W1", "W2") else None
            ratio = f"{cost / peer:8.1f}x" if peer and not workload.startswith("sysdig") else f"{'':9}"
            print(f"{workload:11} {cost:10.0f} {ratio}  {what}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
