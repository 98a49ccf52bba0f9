"""Throughput and memory of the ctypes bridge: N events through next_batch + extract_fields.

    python benchmarks/bridge_throughput.py [N] [--batch B]

The generator plugin (fake_plugins/native/generator.c) makes events on the fly (so the plugin's
own memory does not grow with N) and the loop pulls them through `reference.host.native.NativeLibrary`,
extracting a uint64 and a string field from each. Max RSS is printed at 10% and 100% of the run: with the
bridge copying and releasing everything per call, the two should be about equal.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fake_plugins.native.build import build_generator  # noqa: E402
from reference.contract.v0_3 import ExtractRequest, FieldType, ReturnCode  # noqa: E402
from reference.host.native import NativeLibrary  # noqa: E402

def max_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("gcc") is None:
        print("gcc is needed to build the benchmark plugin", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        so_file = Path(folder, "generator.so")
        shutil.copyfile(build_generator(), so_file)
        library = NativeLibrary(so_file)
        state, rc = library.init(f"{args.events} {args.batch}")
        instance, rc = library.open(state, "")
        checkpoint = max(args.events // 10, 1)
        seen = 0
        rss_at_10 = None
        start = time.perf_counter()
        while True:
            rc, events = library.next_batch(state, instance)
            for event in events:
                requests = [ExtractRequest(0, "x.i", "", FieldType.UINT64),
                            ExtractRequest(1, "x.word", "", FieldType.STRING)]
                library.extract_fields(state, event, requests)
                if requests[0].res_u64 != seen + 1:  # the bridge must hand back this very event
                    raise SystemExit(f"event {seen}: extracted {requests[0].res_u64}")
                seen += 1
                if seen == checkpoint:
                    rss_at_10 = max_rss_kib()
            if rc != ReturnCode.SUCCESS:
                break  # the generator's last events come with EOF
        elapsed = time.perf_counter() - start
        library.close(state, instance)
        library.destroy(state)
    rss_at_100 = max_rss_kib()
    print(f"events: {seen} in {elapsed:.2f} s = {seen / elapsed:,.0f} events/s "
          f"(next_batch of {args.batch} + one extract_fields of 2 fields per event)")
    print(f"max RSS at 10%: {rss_at_10} KiB; at 100%: {rss_at_100} KiB; "
          f"growth: {rss_at_100 - (rss_at_10 or 0)} KiB "
          f"({(rss_at_100 - (rss_at_10 or 0)) * 1024 / max(seen - checkpoint, 1):.3f} bytes/event)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
