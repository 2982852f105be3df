"""Benchmark: does the category-expert ensemble (SoCE) beat its baselines on finished runs?

Issue 24's bar for the ensemble: better on `select` than the uniform soup of every valid node and
than the best single node by search score. This reads a folder of finished runs (any policy,
any task with a mixable metric; the policy benchmark keeps its runs under `--out`/runs), builds
SoCE from each run's valid nodes at each correlation threshold asked for, and scores every
mixture and both baselines on `select` (the weights and experts see only `search`). Nothing is
recorded in the runs. Per threshold it reports wins, ties and losses against each baseline, a
two-sided sign test over the runs that are not ties, the mean rank of every method within a
run (1 = best), and how many experts SoCE kept.

    python benchmarks/policies.py --candidates 40 --seeds 5 --tasks all --out bench-policies-all
    python benchmarks/ensembles.py bench-policies-all/runs --out bench-ensembles

Writes `ensembles.md` (tables) and `results.json` (one row per run).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from airlab.ensemble.build import baselines, valid_predictions
from airlab.ensemble.soce import EnsembleError, combine, soup_of_category_experts
from airlab.errors import AirlabError
from airlab.grading.grader import Grader
from airlab.journal import Journal
from airlab.result import RunStatus
from airlab.runner.layout import OpenRun, RunFolder
from airlab.tasks.bundled import resolve_task

SELECT = "select"
BASELINES = ("best single", "uniform soup")


def soce_name(threshold: float) -> str:
    return f"SoCE t={threshold:g}"


def run_row(run_dir: Path, thresholds: list[float]) -> dict[str, Any] | None:
    """One run's select scores (direction-normalised: higher is better) of both baselines and
    of SoCE at each threshold; None for a run with fewer than two valid nodes. A run not
    complete (one still searching beside this) is refused."""
    folder = RunFolder.existing(run_dir)
    with Journal.open(folder.journal) as journal:
        status = journal.meta().status
        if status != RunStatus.COMPLETE:
            raise EnsembleError(f"the run is {status}, not complete")
        task = resolve_task(OpenRun(folder, journal).task_ref)
        nodes = journal.nodes()
    grader = Grader(task)
    predictions = valid_predictions(grader, folder, nodes)
    if len(predictions) < 2:
        return None
    sign = 1.0 if grader.metric.maximize else -1.0
    against = baselines(grader, nodes, predictions)

    def normalised(score: float | None) -> float:
        return -math.inf if score is None else sign * score

    def on_select(frames: list[pd.DataFrame], weights: list[float] | tuple[float, ...]) -> float:
        grade = grader.grade(combine(grader, frames, weights), (SELECT,))
        return normalised(grade.scores.get(SELECT) if grade.valid else None)

    row: dict[str, Any] = {
        "run": run_dir.name,
        "task": task.spec.name,
        "valid_nodes": len(predictions),
        "best single": normalised(against.best_single_select),
        "uniform soup": normalised(against.uniform_select),
    }
    for threshold in thresholds:
        soup = soup_of_category_experts(grader, predictions, threshold=threshold)
        frames = [predictions[key] for key in soup.experts]
        row[soce_name(threshold)] = on_select(frames, soup.weights)
        row[f"experts t={threshold:g}"] = len(soup.experts)
    return row


def _beats_both(table: pd.DataFrame, name: str) -> int:
    return int(((table[name] > table[BASELINES[0]]) & (table[name] > table[BASELINES[1]])).sum())


def report(rows: list[dict[str, Any]], thresholds: list[float]) -> list[str]:
    """Markdown: each SoCE threshold against each baseline, and every method's mean rank."""
    table = pd.DataFrame(rows)
    methods = [*BASELINES, *(soce_name(t) for t in thresholds)]
    lines = [
        f"{len(table)} runs on {table['task'].nunique()} tasks, scored on `select` "
        "(direction-normalised; SoCE's experts and weights were fitted on `search`).",
        "",
        "| SoCE | vs best single: wins / ties / losses | sign test p | vs uniform soup: wins / "
        "ties / losses | sign test p | beats both | mean experts |",
        "|---|---|---|---|---|---|---|",
    ]
    for threshold in thresholds:
        name = soce_name(threshold)
        cells = []
        for baseline in BASELINES:
            wins = int((table[name] > table[baseline]).sum())
            losses = int((table[name] < table[baseline]).sum())
            p = binomtest(wins, wins + losses).pvalue if wins + losses else math.nan
            cells += [f"{wins} / {len(table) - wins - losses} / {losses}", f"{p:.3f}"]
        lines.append(
            f"| t={threshold:g} | " + " | ".join(cells) + f" | {_beats_both(table, name)}/"
            f"{len(table)} | {table[f'experts t={threshold:g}'].mean():.1f} |"
        )
    ranks = table[methods].rank(axis=1, ascending=False).mean()
    lines += [
        "",
        "Mean rank within a run (1 = best; ties share their mean rank): "
        + ", ".join(f"{method} {ranks[method]:.2f}" for method in methods)
        + ".",
        "",
        "| task | runs | " + " | ".join(f"{soce_name(t)} beats both" for t in thresholds) + " |",
        "|---|---|" + "---|" * len(thresholds),
    ]
    for task, part in table.groupby("task"):
        cells = [str(_beats_both(part, soce_name(t))) for t in thresholds]
        lines.append(f"| {task} | {len(part)} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, help="a folder of finished run folders")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.0, 0.5, 0.9])
    parser.add_argument("--out", type=Path, default=Path("bench-ensembles"))
    args = parser.parse_args(argv)
    if not args.runs.is_dir():
        sys.exit(f"error: {args.runs}: not a folder of runs")
    started = time.monotonic()
    rows = []
    for run_dir in sorted(p for p in args.runs.iterdir() if (p / "journal.sqlite").is_file()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                row = run_row(run_dir, args.thresholds)
        except (AirlabError, EnsembleError) as exc:
            print(f"  {run_dir.name}: skipped ({exc})")
            continue
        if row is not None:
            rows.append(row)
            print(f"  {run_dir.name}: {row['valid_nodes']} valid nodes")
    if not rows:
        sys.exit(f"error: {args.runs}: no finished run with two valid nodes to mix")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))
    lines = [
        "# SoCE against its baselines on finished runs",
        "",
        *report(rows, args.thresholds),
        "",
        f"Wall time {time.monotonic() - started:.0f} s.",
    ]
    (args.out / "ensembles.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
