"""Benchmark: does higher ideation diversity give better runs? (arXiv 2511.15593's question).

The same greedy search (5 ideas, 5 drafts, then improve and debug) at the same step budget, with
the ideation step's knob at low, medium and high (`-O ideas=5 -O idea_diversity=LEVEL`), on the
bundled tasks and several seeds. Only the knob differs between the arms: same seeds, same
budget, same final-node protocol. With a model the run assigns the ideas' families (nested
across levels, as the templates plan theirs) and the model plans each, since a small model
asked to choose them at a level may not (`--model-families` asks it anyway). Each run's
ideation diversity is measured as `airlab report` measures it (Shannon entropy of its drafts'
families, `evaluation.diversity`), its performance is its percentile among all runs of its task
(1 = best; an invalid run 0), and the report gives per level the mean entropy and performance
with bootstrap CIs, the paired high − low difference per (task, seed), and the correlation of
entropy with performance across runs.

    python benchmarks/diversity.py                          # offline (templates), < 20 min
    python benchmarks/diversity.py --tasks all --seeds 5    # larger
    python benchmarks/diversity.py --base-url http://127.0.0.1:8000/v1 --model qwen \\
        --tasks breast-cancer diabetes --seeds 3            # a local OpenAI-compatible server

Writes `diversity.md` (tables) and `results.json` (one row per run). Each finished run's row is
kept under `--out`/rows as it ends, so the same command run again (after a kill, or in another
session) runs only what is missing; a run whose settings changed runs again.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import execution_cache

from airlab.evaluation.diversity import (
    correlation_with_ci,
    family_distribution,
    shannon_entropy,
    task_percentiles,
    unclassified,
)
from airlab.runner import Run, RunConfig
from airlab.tasks import code_task_names, resolve_task

LEVELS = ("low", "medium", "high")
DEFAULT_TASKS = ("breast-cancer", "diabetes", "fair")
"""Quick bundled tasks (two classification, one regression): the default size fits 20 min."""


@dataclass(frozen=True)
class Job:
    task: str
    level: str
    seed: int
    steps: int
    ideas: int
    out: str
    sandbox: str
    time_limit: float
    backend: str
    bug_rate: float
    assign_families: bool = False


MODEL_OPTIONS = {"temperature": 0.7, "timeout_s": 1800.0, "max_retries": 2}
"""A local model's calls: one at a time, each allowed the minutes a small CPU server takes.
With a model the runs make no analysis calls (`-O analysis=false`): the knob changes the
drafts, and an analysis after every execution would double each run's time at every level."""

ROWS = "rows"
"""The folder under --out keeping each finished run's row, so a rerun continues."""


def _row_path(job: Job) -> Path:
    return Path(job.out) / ROWS / f"{job.task}-{job.level}-seed{job.seed}.json"


def finished_row(job: Job) -> dict[str, Any] | None:
    """The row an earlier invocation kept for this run, if it ran with the same settings."""
    try:
        row = json.loads(_row_path(job).read_text())
    except (OSError, ValueError):  # not run yet, or a file cut short
        return None
    same = all(row.get(key) == value for key, value in asdict(job).items() if key != "out")
    return row if same else None


def keep_row(job: Job, row: dict[str, Any]) -> None:
    """Written whole or not at all: a kill loses at most the run in progress."""
    path = _row_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(row))
    os.replace(temporary, path)


def measured(families: list[str]) -> dict[str, Any]:
    """The run's diversity as `airlab report` measures it, from its drafts' families: what a row
    keeps when written and what the report measures again from old rows."""
    return {
        "entropy_bits": shannon_entropy(families),
        "distinct_families": len(family_distribution(families)),
        "unclassified": unclassified(families),
    }


def run_job(job: Job) -> dict[str, Any]:
    """One run; its drafts' families, entropy and final test score."""
    if job.sandbox == execution_cache.NAME:  # worker processes may not inherit the registry
        execution_cache.enable(Path(job.out) / "cache")
    offline = job.backend == "templates"
    config = RunConfig.model_validate(
        {
            "task": job.task,
            "policy": "greedy",
            "policy_params": {"num_drafts": job.ideas, "debug_prob": 0.5},
            "operator_options": {
                "ideas": job.ideas,
                "idea_diversity": job.level,
                "assign_families": job.assign_families,
                **({} if offline else {"analysis": False}),
            },
            "backend": job.backend,
            "backend_options": {"bug_rate": job.bug_rate} if offline else MODEL_OPTIONS,
            "budget": {"steps": job.steps},
            "workers": 1,
            # a llama.cpp server answers one request at a time: calls queued beside it only
            # time out, and the server still computes the abandoned ones
            "llm_concurrency": None if offline else 1,
            "seed": job.seed,
            "sandbox": job.sandbox,
            "limits": {"time_s": job.time_limit},
            "preflight": False,
            "runs_dir": str(Path(job.out) / "runs"),
            "run_name": f"{job.task}-{job.level}-seed{job.seed}",
        }
    )
    started = time.monotonic()
    run = Run.create(config)
    result = run.execute()
    families = list(result.draft_families)
    ideas = run.journal.get_meta("ideas") or []  # what the ideation call proposed
    return {
        **asdict(job),
        "direction": result.direction,
        "score": math.nan if result.scores.test is None else result.scores.test,
        "families": families,
        **measured(families),
        "idea_families": [idea["family"] for idea in ideas],
        "valid_nodes": result.good_nodes,
        "nodes": result.nodes,
        "seconds": time.monotonic() - started,
    }


def bootstrap_mean(values: np.ndarray, *, seed: int, n_boot: int = 2000) -> tuple[float, ...]:
    """Mean and its 95% percentile-bootstrap CI (NaNs dropped)."""
    values = values[~np.isnan(values)]
    if values.size == 0:
        return (math.nan, math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = rng.choice(values, (n_boot, values.size)).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return (float(values.mean()), float(low), float(high))


def _proposed(part: pd.DataFrame) -> str:
    """Mean distinct families among the ideas the ideation call proposed (the knob's ask),
    beside those the drafts were classified as (what was written); "—" in rows from before
    the ideas were recorded."""
    if "idea_families" not in part or part["idea_families"].isna().any():
        return "—"
    return f"{part['idea_families'].map(lambda families: len(set(families))).mean():.1f}"


def report(rows: list[dict[str, Any]], *, seed: int = 0) -> list[str]:
    """The markdown tables: per level, paired high − low, and the correlation. The diversity
    columns are measured again from each row's families (rows keep what was measured when they
    were written; the measure may have changed since)."""
    table = pd.DataFrame(rows)
    again = pd.DataFrame([measured(families) for families in table["families"]], index=table.index)
    table[list(again.columns)] = again
    table["performance"] = task_percentiles(table)
    lines = [
        "| diversity | runs | entropy (bits) [95% CI] | distinct families | families proposed | "
        "unclassified drafts | performance [95% CI] | valid nodes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for level in LEVELS:
        part = table[table["level"] == level]
        if part.empty:
            continue
        ent = bootstrap_mean(part["entropy_bits"].to_numpy(float), seed=seed)
        perf = bootstrap_mean(part["performance"].to_numpy(float), seed=seed)
        lines.append(
            f"| {level} | {len(part)} | {ent[0]:.2f} [{ent[1]:.2f}, {ent[2]:.2f}] | "
            f"{part['distinct_families'].mean():.1f} | {_proposed(part)} | "
            f"{part['unclassified'].sum()}/{part['families'].map(len).sum()} | "
            f"{perf[0]:.2f} [{perf[1]:.2f}, {perf[2]:.2f}] | "
            f"{part['valid_nodes'].sum()}/{part['nodes'].sum()} |"
        )
    pivot = table.pivot_table(index=["task", "seed"], columns="level", values="performance")
    if {"low", "high"} <= set(pivot.columns):
        diff = (pivot["high"] - pivot["low"]).to_numpy(float)
        diff = diff[~np.isnan(diff)]  # pairs whose two runs both finished
        mean, low, high = bootstrap_mean(diff, seed=seed)
        wins = int((diff > 0).sum())
        losses = int((diff < 0).sum())
        lines += [
            "",
            f"Paired high − low performance over {len(diff)} (task, seed) pairs: {mean:+.2f} "
            f"[{low:+.2f}, {high:+.2f}]; high better in {wins}, worse in {losses}.",
        ]
    corr = correlation_with_ci(table["entropy_bits"], table["performance"], seed=seed)
    lines += [
        f"Entropy vs performance across {int(corr['n'])} runs: Spearman "
        f"{corr['spearman']:+.2f} [{corr['spearman_low']:+.2f}, {corr['spearman_high']:+.2f}], "
        f"Pearson {corr['pearson']:+.2f} [{corr['pearson_low']:+.2f}, "
        f"{corr['pearson_high']:+.2f}].",
        "",
        "| task | " + " | ".join(f"{level} test score (mean)" for level in LEVELS) + " |",
        "|---|" + "---|" * len(LEVELS),
    ]
    for task, part in table.groupby("task"):
        cells = [f"{part[part['level'] == level]['score'].mean():.4g}" for level in LEVELS]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks", nargs="+", default=list(DEFAULT_TASKS), help="or 'all' (the code tasks)"
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8, help="budget of every run")
    parser.add_argument("--ideas", type=int, default=5, help="K: ideas proposed, then drafted")
    parser.add_argument("--levels", nargs="+", default=list(LEVELS), choices=LEVELS)
    parser.add_argument("--jobs", type=int, default=2, help="runs at once")
    parser.add_argument("--out", default="bench-diversity")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per candidate")
    parser.add_argument("--bug-rate", type=float, default=0.0, help="templates bug rate")
    parser.add_argument("--base-url", help="an OpenAI-compatible server (…/v1): the local model")
    parser.add_argument("--model", default="local", help="the served model's name")
    parser.add_argument(
        "--model-families",
        action="store_true",
        help="with a model: let it choose the ideas' families at each level, as the prompt asks "
        "(default: the run assigns them, nested across levels, and the model plans each)",
    )
    args = parser.parse_args(argv)
    tasks = code_task_names() if args.tasks == ["all"] else args.tasks
    for name in tasks:  # prepare each bundled task once, before the workers race to do it
        resolve_task(name)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    backend = "templates"
    if args.base_url:
        backend = f"openai-compatible/{args.model}@{args.base_url.rstrip('/')}"
        args.jobs = 1  # one model server: one run at a time
    assign = bool(args.base_url) and not args.model_families  # templates plan their own
    sandbox = execution_cache.enable(out / "cache")
    jobs = [
        Job(task, level, seed, args.steps, args.ideas, str(out), sandbox, args.time_limit,
            backend, args.bug_rate, assign)
        for seed in range(args.seeds)
        for task in tasks
        for level in args.levels
    ]  # fmt: skip
    started = time.monotonic()
    kept = {job: finished_row(job) for job in jobs}
    todo = [job for job in jobs if kept[job] is None]
    print(
        f"{len(jobs)} runs of {args.steps} steps, {args.jobs} at a time ({backend}); "
        f"{len(jobs) - len(todo)} kept from an earlier invocation"
    )
    with contextlib.ExitStack() as stack:
        if args.jobs > 1:
            runs = stack.enter_context(ProcessPoolExecutor(args.jobs)).map(run_job, todo)
        else:  # one at a time (the model server's case): in this process
            runs = map(run_job, todo)
        for job, row in zip(todo, runs, strict=True):
            keep_row(job, row)
            kept[job] = row
            print(
                f"  {row['task']:>14} {row['level']:>6} seed {row['seed']}: "
                f"{row['entropy_bits']:.2f} bits, test {row['score']:.4g}, {row['seconds']:.0f} s"
            )
    rows = [row for row in kept.values() if row is not None]
    (out / "results.json").write_text(json.dumps(rows, indent=1))
    lines = [
        f"# Ideation diversity: {len(rows)} runs, {args.steps} steps, K={args.ideas} ({backend})",
        "",
        *report(rows),
        "",
        f"Wall time {time.monotonic() - started:.0f} s.",
    ]
    (out / "diversity.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
