"""Benchmark: how long `airlab --help`, `--version` and a one-line option error take to start,
beside a bare `python -c pass` on the same machine at the same moment.

Each command runs as a whole process, in turn with the bare interpreter (A B A B ...), so a
machine that slows down mid-measurement slows both alike: the figure to quote is the median
ratio of each pair, and the median extra wall time over the bare interpreter. CPU time (user +
sys) is the operating system's account of each finished child. One warm-up round first.

    python benchmarks/cli_start.py              # 10 pairs per command
    python benchmarks/cli_start.py --runs 20
    PYTHONPATH=src python benchmarks/cli_start.py   # this checkout's airlab, not the installed one
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

BARE = ("-c", "pass")
COMMANDS = {
    "airlab --help": ("-m", "airlab", "--help"),
    "airlab --version": ("-m", "airlab", "--version"),
    "airlab run --steps 0 (error)": ("-m", "airlab", "run", "--task", "digits", "--steps", "0"),
    "airlab run --bogus (error)": ("-m", "airlab", "run", "--bogus"),
}


@dataclass(frozen=True)
class Sample:
    wall_s: float
    cpu_s: float


def run_once(args: tuple[str, ...]) -> Sample:
    """One whole process: wall time from outside, user + sys time from the kernel's account."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        env=os.environ,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, cpu)


def paired(args: tuple[str, ...], runs: int) -> tuple[list[Sample], list[Sample]]:
    """`runs` pairs of (command, bare interpreter), after one warm-up pair."""
    run_once(args), run_once(BARE)
    pairs = [(run_once(args), run_once(BARE)) for _ in range(runs)]
    return [a for a, _ in pairs], [b for _, b in pairs]


def spread(values: list[float]) -> str:
    return (
        f"{statistics.median(values):7.3f} ({min(values):.3f}–{max(values):.3f})" if values else "-"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="pairs per command (default 10)")
    options = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]} · {os.cpu_count()} CPUs · {options.runs} pairs each")
    print("seconds: median (min–max); ratio and extra: pair by pair against `python -c pass`")
    header = f"{'command':<30} {'wall':>22} {'cpu':>22} {'wall ratio':>12} {'extra wall':>12}"
    print(header)
    print("-" * len(header))
    bare_all: list[Sample] = []
    for label, args in COMMANDS.items():
        mine, bare = paired(args, options.runs)
        ratios = [a.wall_s / b.wall_s for a, b in zip(mine, bare, strict=True)]
        extra = [a.wall_s - b.wall_s for a, b in zip(mine, bare, strict=True)]
        bare_all += bare
        print(
            f"{label:<30} {spread([s.wall_s for s in mine]):>22} "
            f"{spread([s.cpu_s for s in mine]):>22} "
            f"{statistics.median(ratios):>11.1f}x {statistics.median(extra):>11.3f}s"
        )
    print(
        f"{'python -c pass':<30} {spread([b.wall_s for b in bare_all]):>22} "
        f"{spread([b.cpu_s for b in bare_all]):>22}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
