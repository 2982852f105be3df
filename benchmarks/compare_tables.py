"""Two policy tables side by side: each policy under one setting against itself under another.

`benchmarks/policies.py` reports one table; a change to an operator or the backend is judged by
running the same searches (tasks, seeds, budget) again with it and pairing each search with its
twin by (task, seed). For every pair `A=B` (policy A of the first table, policy B of the second)
this reports, per task, both medians of the final node's test score and how many seeds the
second is better, worse or equal, then all tasks together with a two-sided sign test over the
pairs that are not ties; where the first table ran Optuna TPE, whether each median reaches
TPE's. A search without a final node counts as the worst score.

    python benchmarks/compare_tables.py benchmarks/results/policies_40x5 \\
        benchmarks/results/policies_ops_40x5 --pair greedy=greedy+ops mcts=mcts+ops
    python benchmarks/compare_tables.py bench-policies-all bench-jump --pair greedy=greedy

A folder is read as `results.json` where there is one, else every `results-part-*.json`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
from policies_report import final_node_test
from policy_contrasts import signed_score
from scipy.stats import binomtest

from airlab.journal import Node

PEER = "tpe"
Key = tuple[str, int]  # (task, seed)


def load_table(folder: Path) -> list[dict[str, Any]]:
    """A benchmark folder's searches: its merged `results.json`, else its parts."""
    merged = folder / "results.json"
    paths = [merged] if merged.is_file() else sorted(folder.glob("results-part-*.json"))
    if not paths:
        raise SystemExit(f"error: {folder}: no results.json or results-part-*.json")
    return [row for path in paths for row in json.loads(path.read_text())]


def final_test(result: dict[str, Any]) -> float:
    """The final node's test score, direction-normalised (higher is better; none: -inf), chosen
    as `airlab run` chooses it."""
    nodes = [Node.model_validate(node) for node in result["nodes"]]
    return signed_score(final_node_test(nodes, result["maximize"]), result["maximize"])


def by_search(results: list[dict[str, Any]], method: str) -> dict[Key, float]:
    return {(r["task"], r["seed"]): final_test(r) for r in results if r["method"] == method}


def _shown(value: float, maximize: bool) -> str:
    if not math.isfinite(value):
        return "none"
    return f"{value if maximize else -value:.4g}"


def compare(first: list[dict[str, Any]], second: list[dict[str, Any]], a: str, b: str) -> list[str]:
    """Markdown for one pair: a row per task, a total line with the sign test."""
    before, after = by_search(first, a), by_search(second, b)
    paired = sorted(set(before) & set(after))
    if not paired:
        raise SystemExit(f"error: no (task, seed) has both {a!r} in the first table and {b!r}")
    maximize = {r["task"]: r["maximize"] for r in first}
    peer = by_search(first, PEER)
    lines = [
        f"### {a} → {b}",
        "",
        "| task | seeds | median test, first | median test, second | second better / worse "
        "/ equal | reaches TPE's median (first → second) |",
        "|---|---|---|---|---|---|",
    ]
    totals = np.zeros(3, dtype=int)
    for task in sorted({task for task, _ in paired}):
        seeds = [key for key in paired if key[0] == task]
        x = np.array([before[key] for key in seeds])
        y = np.array([after[key] for key in seeds])
        counts = np.array([(y > x).sum(), (y < x).sum(), (y == x).sum()])
        totals += counts
        tpe = [value for (t, _), value in peer.items() if t == task]
        reach = "–"
        if tpe:
            bar = float(np.median(tpe))
            reach = f"{'yes' if np.median(x) >= bar else 'no'} → "
            reach += "yes" if np.median(y) >= bar else "no"
        lines.append(
            f"| {task} | {len(seeds)} | {_shown(float(np.median(x)), maximize[task])} | "
            f"{_shown(float(np.median(y)), maximize[task])} | "
            f"{' / '.join(map(str, counts))} | {reach} |"
        )
    wins, losses, ties = (int(v) for v in totals)
    p = binomtest(wins, wins + losses).pvalue if wins + losses else math.nan
    lines += [
        "",
        f"All {len(paired)} pairs: second better / worse / equal {wins} / {losses} / {ties}; "
        f"sign test over the {wins + losses} that differ p = {p:.3f}.",
        "",
    ]
    return lines


def _pair(text: str) -> tuple[str, str]:
    a, sep, b = text.partition("=")
    if not sep or not a or not b:
        raise argparse.ArgumentTypeError(
            f"--pair: expected A=B, e.g. greedy=greedy+ops, got {text!r}"
        )
    return a, b


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path, help="the first table's folder")
    parser.add_argument("second", type=Path, help="the second table's folder")
    parser.add_argument("--pair", type=_pair, nargs="+", required=True, metavar="A=B")
    parser.add_argument("--out", type=Path, help="also write the markdown here")
    args = parser.parse_args(argv)
    first, second = load_table(args.first), load_table(args.second)
    lines = [f"First table: {args.first}; second: {args.second}.", ""]
    for a, b in args.pair:
        lines += compare(first, second, a, b)
    text = "\n".join(lines)
    if args.out:
        args.out.write_text(text + "\n")
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
