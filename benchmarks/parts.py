"""Splitting a benchmark's searches into parts that run separately, and merging their results.

`--part I/N` deals the searches to N parts, each task's in turn, so each part holds every task's
searches in equal shares, mixes methods and seeds, and the parts take about the same time; each
part writes its own results file, and `--merge` refuses to report until every part of one split
is there, each search once.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

PART_FILE = "results-part-{index}-of-{count}.json"


def part_of(text: str) -> tuple[int, int]:
    """`I/N` with 1 <= I <= N, for argparse (a bad value is its one-line error)."""
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--part: expected I/N, e.g. 2/8, got {text!r}") from None
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"--part: need 1 <= I <= N, got {text!r}")
    return index, count


def merge_parts(out: Path) -> list[dict[str, Any]]:
    """Every part's searches, once each; refuses a missing part or parts of different splits."""
    paths = sorted(out.glob(PART_FILE.format(index="*", count="*")))
    if not paths:
        raise SystemExit(f"--merge: no {PART_FILE.format(index='I', count='N')} in {out}")
    splits = {path.stem.rsplit("-of-", 1)[1] for path in paths}
    if len(splits) != 1:
        raise SystemExit(f"--merge: parts of different splits in {out} (of {sorted(splits)})")
    count = int(splits.pop())
    have = {int(path.stem.split("-")[2]) for path in paths}
    missing = sorted(set(range(1, count + 1)) - have)
    if missing:
        raise SystemExit(f"--merge: part(s) {missing} of {count} not run yet in {out}")
    results = [row for path in paths for row in json.loads(path.read_text())]
    keys = [(r["method"], r["task"], r["seed"]) for r in results]
    if len(set(keys)) != len(keys):
        raise SystemExit(f"--merge: a search appears in two parts in {out}")
    revisions = sorted({str(r.get("revision", "unknown")) for r in results})
    if len(revisions) > 1:
        raise SystemExit(f"--merge: the parts in {out} ran different code ({', '.join(revisions)})")
    return results


def code_revision() -> str:
    """The commit the benchmark's code is at (`+changes` when src/ or benchmarks/ differ from it),
    recorded in every result so that parts run in different sessions are known to be comparable."""
    here = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--", "src", "benchmarks"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if changed else "")


def select_part(
    jobs: Sequence[T], part: tuple[int, int], key: Callable[[T], Hashable] | None = None
) -> list[T]:
    """Part I of N of `jobs`, in their order. The jobs are dealt to the N parts like cards, those
    of one `key` (a task) one after another, so each part holds each key's jobs in equal shares
    (give or take one) and the parts differ in size by at most one. Dealing the list as it comes
    would give each part one task whenever the jobs cycle through N tasks: with 12 tasks in 12
    parts, one part of only the slowest task."""
    index, count = part
    groups: dict[Hashable, list[int]] = {}
    for k, job in enumerate(jobs):
        groups.setdefault(key(job) if key else None, []).append(k)
    dealt = [k for members in groups.values() for k in members]
    chosen = {k for position, k in enumerate(dealt) if position % count == index - 1}
    return [job for k, job in enumerate(jobs) if k in chosen]
