"""Benchmark (not a test): reading a large capture with plugref, and with sysdig when installed.

    python benchmarks/capture_read.py [--events 1000000] [--gzip] [--keep DIR]

Writes a capture of small plugin events, then reads it in a child process (so that the maximum
RSS reported is the reader's own, not the writer's) and, when `sysdig` is on PATH, times
`sysdig -r FILE` on the same file with the native fake plugin of the same ID loaded so that sysdig
attributes and formats every event. Prints events/s, wall times and their ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reference.host.capture import CaptureWriter  # noqa: E402
from reference.host.engine import PluginEvent  # noqa: E402

PLUGIN_ID = 999
DEFINITION = {"name": "benchsrc", "id": PLUGIN_ID, "event_source": "benchsrc", "version": "1.0.0",
              "description": "benchmark source", "contact": "plugref",
              "fields": [{"type": "string", "name": "benchsrc.msg", "desc": "msg"}]}

READER = """
import resource, sys, time
from reference.host.capture import read_capture
start = time.perf_counter()
count = size = 0
for event in read_capture(sys.argv[1]):
    count += 1
    size += len(event.data)
elapsed = time.perf_counter() - start
print(count, size, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_capture(path: Path, events: int) -> float:
    start = time.perf_counter()
    with CaptureWriter(path, plugins={PLUGIN_ID: ("benchsrc", "1.0.0")}) as writer:
        for i in range(events):
            writer.write(PluginEvent(i + 1, 1_600_000_000_000_000_000 + i * 1000, PLUGIN_ID, "benchsrc",
                                     b"benchsrc.msg=event %d" % i))
    return time.perf_counter() - start


def baseline_rss() -> int:
    out = subprocess.run([sys.executable, "-c", "import resource, reference.host.capture; "
                          "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    return int(out)


def sysdig_plugin(directory: Path) -> Path | None:
    try:
        from fake_plugins.native.build import native_copy
        return native_copy(DEFINITION, directory)
    except Exception as exc:  # the benchmark still runs sysdig, without a plugin to attribute events
        print(f"native fake plugin unavailable ({exc}); sysdig runs without it")
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--gzip", action="store_true", help="write a gzip capture")
    parser.add_argument("--keep", type=Path, help="write the capture here and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="plugref-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / ("bench.scap.gz" if args.gzip else "bench.scap")
    try:
        wrote = write_capture(path, args.events)
        print(f"wrote {args.events} events, {path.stat().st_size} bytes, in {wrote:.2f} s: {path}")

        result = subprocess.run([sys.executable, "-c", READER, str(path)], capture_output=True, text=True,
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if result.returncode != 0:
            print(result.stderr)
            return 1
        count, size, plugref_s, rss_kib = result.stdout.split()
        plugref_s = float(plugref_s)
        print(f"plugref: {count} events ({size} payload bytes) in {plugref_s:.2f} s, "
              f"{int(count) / plugref_s:,.0f} events/s, max RSS {int(rss_kib) / 1024:.1f} MiB "
              f"(interpreter and imports alone: {baseline_rss() / 1024:.1f} MiB)")

        if shutil.which("sysdig") is None:
            print("sysdig: not installed, skipped")
            return 0
        plugin = sysdig_plugin(work / "plugin")
        command = ["sysdig", *(["-H", str(plugin)] if plugin else []), "-r", str(path)]
        start = time.perf_counter()
        run = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "TZ": "UTC"})
        sysdig_s = time.perf_counter() - start
        if run.returncode != 0:
            print(f"sysdig failed ({run.returncode}): {run.stderr.strip()}")
            return 1
        print(f"sysdig: {' '.join(command)} > /dev/null in {sysdig_s:.2f} s "
              f"({args.events / sysdig_s:,.0f} events/s, formatting each event)")
        print(f"ratio plugref/sysdig wall time: {plugref_s / sysdig_s:.2f}")
        print(json.dumps({"events": args.events, "plugref_s": round(plugref_s, 3), "sysdig_s": round(sysdig_s, 3),
                          "plugref_max_rss_kib": int(rss_kib)}))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
