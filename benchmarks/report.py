"""The speed report of the reference path, side by side with sysdig 0.29, in one run.

    python benchmarks/report.py                      # the full report (several minutes)
    python benchmarks/report.py --events 100000 --memory 100000,500000 --runs 3 --no-conformance

Workloads (the events of the generator plugin, fake_plugins/native/generator.c, with the format
`%x.i %x.word` and the filter `x.word in (nginx, sshd) and x.i > 100`, printed to /dev/null):
    W1      N events from the source plugin (-I), N = --events (default 1,000,000)
    W2      the same events from a capture sysdig wrote of them (-r)
    floor W1, floor W2  the same jobs done by one CPython + ctypes loop with no framework and none of
            the spec's checks (cpython_floor.py): the ratio no pure-Python host can go under here
    tiny    24 events from the source plugin: the whole process, start-up included, which is
            what differential testing pays on every example
    memory  peak RSS of the process for each count of --memory (default 1M and 5M): it must not
            grow with the number of events
    import  `import reference.tools.cli` in a fresh interpreter (no sysdig peer)
    conformance  wall time of `plugref conformance --target reference --no-save` (no peer)

The commands run as a user runs them: with buffered output and a bytecode cache (in a temporary
folder), whatever PYTHONUNBUFFERED and PYTHONDONTWRITEBYTECODE say in the calling environment;
an unbuffered stdout alone costs plugref a system call per line. Timings are of whole processes. The machine may be shared, so each workload runs plugref and
sysdig in turn, A B A B ..., and the ratio quoted is the median of the pair-by-pair ratios (with
its min and max); single times are medians too. The two outputs are first checked equal.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inspect_vs_sysdig import ROOT, commands, write_capture  # noqa: E402

from fake_plugins.native.build import build_generator  # noqa: E402

TINY_EVENTS = 24
#: The environment of every measured command (see the module docstring); the cache folder is set in main.
ENVIRONMENT = {name: value for name, value in os.environ.items()
               if name not in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE")}


def measured(command: list[str], check: bool = True) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of one run of `command`, its output thrown away; with
    `check`, a failing run ends the report."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=ENVIRONMENT)
    # wait4 gives this child's own resource use (RUSAGE_CHILDREN would mix in every earlier child).
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if check and process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {error.strip()}")
    return elapsed, usage.ru_maxrss


class Row:
    def __init__(self, name: str, what: str):
        self.name, self.what = name, what
        self.plugref: list[float] = []
        self.sysdig: list[float] = []
        self.rss: list[int] = []
        self.sysdig_rss: list[int] = []

    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.plugref, self.sysdig)]


def paired(row: Row, pair: dict[str, list[str]], runs: int, warmup: bool = False) -> Row:
    if warmup:  # one run of each, not counted (the long runs are warmed by the output check)
        measured(pair["plugref"])
        measured(pair["sysdig"])
    for _ in range(runs):
        seconds, rss = measured(pair["plugref"])
        row.plugref.append(seconds)
        row.rss.append(rss)
        seconds, rss = measured(pair["sysdig"])
        row.sysdig.append(seconds)
        row.sysdig_rss.append(rss)
    return row


def alone(row: Row, command: list[str], runs: int, check: bool = True) -> Row:
    for _ in range(runs):
        seconds, rss = measured(command, check)
        row.plugref.append(seconds)
        row.rss.append(rss)
    return row


def check_same_output(plugin: Path, folder: Path, make_commands=None, what: str = "plugref") -> None:
    """`what` (the pair's "plugref" command, from `make_commands`, by default the reference path's)
    prints sysdig's lines, live and from a capture, for 2000 events."""
    make_commands = make_commands or commands
    capture = write_capture(plugin, 2000, folder / "check.scap")
    for pair in (make_commands(plugin, 2000), make_commands(plugin, 2000, capture)):
        outputs = {name: subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT,
                                        env=ENVIRONMENT).stdout
                   for name, cmd in pair.items()}
        if outputs["sysdig"] != outputs["plugref"] or not outputs["sysdig"]:
            raise SystemExit(f"{what} and sysdig print different lines for 2000 events ({' '.join(pair['plugref'])})")


def floor_commands(plugin: Path, events: int, capture: Path | None = None) -> dict[str, list[str]]:
    """The floor of CPython on a workload (benchmarks/cpython_floor.py), paired with the same sysdig run."""
    source = ["--capture", str(capture)] if capture else ["--events", str(events)]
    return {"sysdig": commands(plugin, events, capture)["sysdig"],
            "plugref": [sys.executable, str(Path(__file__).resolve().parent / "cpython_floor.py"), str(plugin),
                        *source]}


def print_report(rows: list[Row]) -> None:
    print(f"{'workload':12} {'plugref s':>10} {'sysdig s':>9} {'ratio':>7} {'(min-max)':>13} "
          f"{'plugref MiB':>11} {'sysdig MiB':>10}  what")
    for row in rows:
        mine = f"{statistics.median(row.plugref):10.3f}"
        peer = f"{statistics.median(row.sysdig):9.3f}" if row.sysdig else f"{'-':>9}"
        ratios = row.ratios()
        ratio = f"{statistics.median(ratios):6.1f}x" if ratios else f"{'-':>7}"
        spread = f"({min(ratios):.1f}-{max(ratios):.1f})" if ratios else ""
        rss = f"{max(row.rss) / 1024:11.1f}" if row.rss else f"{'-':>11}"
        peer_rss = f"{max(row.sysdig_rss) / 1024:10.1f}" if row.sysdig_rss else f"{'-':>10}"
        print(f"{row.name:12} {mine} {peer} {ratio} {spread:>13} {rss} {peer_rss}  {row.what}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events of W1 and W2 (default 1,000,000)")
    parser.add_argument("--memory", default="1000000,5000000", metavar="N,N",
                        help="event counts of the peak-memory runs (default 1000000,5000000)")
    parser.add_argument("--runs", type=int, default=3, help="paired runs of W1, W2 and memory (default 3)")
    parser.add_argument("--tiny-runs", type=int, default=11, help="paired runs of the 24-event run (default 11)")
    parser.add_argument("--no-conformance", action="store_true", help="leave out the conformance wall time")
    args = parser.parse_args()
    if shutil.which("sysdig") is None:
        print("sysdig is not installed (apt-get install -y sysdig)", file=sys.stderr)
        return 2
    memory_counts = [int(n) for n in args.memory.split(",") if n]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        ENVIRONMENT["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        plugin = folder / "generator.so"
        shutil.copyfile(build_generator(), plugin)
        check_same_output(plugin, folder)

        check_same_output(plugin, folder, floor_commands, "the CPython floor")

        rows.append(paired(Row("W1", f"{args.events} events from the source plugin (-I)"),
                           commands(plugin, args.events), args.runs))
        rows.append(paired(Row("floor W1", "W1's job in one CPython + ctypes loop, no framework (cpython_floor.py)"),
                           floor_commands(plugin, args.events), args.runs))
        capture = write_capture(plugin, args.events, folder / "full.scap")
        rows.append(paired(Row("W2", f"{args.events} events from a capture (-r)"),
                           commands(plugin, args.events, capture), args.runs))
        rows.append(paired(Row("floor W2", "W2's job in one CPython loop, no framework (cpython_floor.py)"),
                           floor_commands(plugin, args.events, capture), args.runs))
        capture.unlink()
        rows.append(paired(Row("tiny", f"{TINY_EVENTS} events from the source plugin, whole process"),
                           commands(plugin, TINY_EVENTS), args.tiny_runs, warmup=True))
        for count in memory_counts:
            row = Row(f"memory {count // 1000}k", f"{count} events (-I): peak RSS")
            if count == args.events:  # the W1 runs measured it already
                row.plugref, row.sysdig, row.rss, row.sysdig_rss = rows[0].plugref, rows[0].sysdig, rows[0].rss, \
                    rows[0].sysdig_rss
            else:
                paired(row, commands(plugin, count), 1)
            rows.append(row)
        rows.append(alone(Row("import", "python -c 'import reference.tools.cli', whole process"),
                          [sys.executable, "-c", "import reference.tools.cli"], args.tiny_runs))
        if not args.no_conformance:
            rows.append(alone(Row("conformance", "plugref conformance --target reference --no-save"),
                              [sys.executable, "-m", "reference.tools.cli", "conformance", "--target", "reference",
                               "--no-save"], 1, check=False))
    print_report(rows)
    memory = [row for row in rows if row.name.startswith("memory")]
    if len(memory) >= 2:
        growth = max(memory[-1].rss) / max(memory[0].rss)
        print(f"peak RSS at {memory_counts[-1]} events / at {memory_counts[0]}: {growth:.2f} (flat is 1.00)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
