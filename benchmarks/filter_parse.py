"""Benchmark (not a test): parsing long conditions, to show that parsing is linear in their length.

    python benchmarks/filter_parse.py [--checks 1000,2000,4000,8000,16000]

Parses conditions of N or-ed checks, one per line (`x.i = 0\\n or x.i = 1 ...`), and prints the
time for each N and the ratio to the previous N. A linear parser doubles its time when N doubles
(ratio ≈ 2); the lexer that counted newlines from offset 0 for every token was quadratic (ratio ≈ 4;
4,000 checks took 18.7 s, sysdig 0.29 1.25 s). The reference peer is the time per doubling, not
another program: sysdig parses filters only together with a capture or a live source.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reference.filter import parse  # noqa: E402


def condition(checks: int) -> str:
    return "\n or ".join(f"x.i = {i}" for i in range(checks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", default="1000,2000,4000,8000,16000")
    sizes = [int(n) for n in parser.parse_args().checks.split(",")]
    previous = None
    for size in sizes:
        text = condition(size)
        started = time.perf_counter()
        parse(text)
        elapsed = time.perf_counter() - started
        ratio = f"{elapsed / previous:5.2f}x" if previous else "     -"
        print(f"{size:7d} checks  {len(text):9d} chars  {elapsed:8.3f} s  {ratio}")
        previous = elapsed


if __name__ == "__main__":
    main()
