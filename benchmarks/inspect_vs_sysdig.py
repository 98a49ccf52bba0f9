"""Wall time of `plugref inspect` against `sysdig` on the same events, side by side.

    python benchmarks/inspect_vs_sysdig.py [N]                  # from the source plugin
    python benchmarks/inspect_vs_sysdig.py [N] --from-capture   # from a capture of it (-r)

Both read N events (default 1,000,000) of the generator plugin (fake_plugins/native/generator.c),
live or from a capture sysdig wrote of them, with the format `%x.i %x.word` and the filter
`x.word in (nginx, sshd) and x.i > 100`, writing to /dev/null; the two outputs are first checked
equal on a small run. The targets of the filter and capture issues are plugref at most 3x
sysdig's wall time.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fake_plugins.native.build import build_generator  # noqa: E402

FORMAT = "%x.i %x.word"
FILTER = "x.word in (nginx, sshd) and x.i > 100"


def commands(plugin: Path, events: int, capture: Path | None = None) -> dict[str, list[str]]:
    spec = f"{plugin}:{events} 64"
    source = ["-r", str(capture)] if capture else ["-I", str(plugin)]
    return {
        "sysdig": ["sysdig", "-H", spec, *source, "-p", FORMAT, FILTER],
        "plugref": [sys.executable, "-m", "reference.tools.cli", "inspect", "-H", spec, *source, "-p", FORMAT, FILTER],
    }


def write_capture(plugin: Path, events: int, path: Path) -> Path:
    subprocess.run(["sysdig", "-H", f"{plugin}:{events} 64", "-I", str(plugin), "-w", str(path)],
                   stdout=subprocess.DEVNULL, check=True)
    return path


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--from-capture", action="store_true", help="read a capture of the events (-r)")
    args = parser.parse_args()
    if shutil.which("sysdig") is None:
        print("sysdig is not installed (apt-get install -y sysdig)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        plugin = Path(folder) / "generator.so"
        shutil.copyfile(build_generator(), plugin)
        small_capture = write_capture(plugin, 2000, Path(folder) / "small.scap") if args.from_capture else None
        small = commands(plugin, 2000, small_capture)
        outputs = {name: subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
                   for name, cmd in small.items()}
        if outputs["sysdig"] != outputs["plugref"]:
            print("the two outputs differ on 2000 events", file=sys.stderr)
            return 1
        capture = write_capture(plugin, args.events, Path(folder) / "full.scap") if args.from_capture else None
        full = commands(plugin, args.events, capture)
        times = {name: timed(cmd) for name, cmd in full.items()}
    origin = "from a capture (-r)" if args.from_capture else "from the source plugin (-I)"
    for name, seconds in times.items():
        print(f"{name:8} {args.events} events {origin}: {seconds:.2f} s ({args.events / seconds:,.0f} events/s)")
    print(f"ratio plugref/sysdig: {times['plugref'] / times['sysdig']:.1f}x (target: at most 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
