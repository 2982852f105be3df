"""Finished runs: read `result.json` files into validated records and a long table.

A finished run is a folder holding `result.json` (written by the runner). `find_runs` accepts run
folders, parent folders (searched recursively) and result files; `runs_table` flattens the runs
into one row per run, the input of every ranking.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from airlab.evaluation.errors import RunResultError
from airlab.params import describe_error
from airlab.result import RunResult, Split, SplitScores

RESULT_FILE = "result.json"
__all__ = ["RESULT_FILE", "RunResult", "Split", "SplitScores", "find_runs", "load_result"]


def load_result(path: str | Path) -> RunResult:
    """Read one `result.json` (or the folder holding it); one-line errors name the file."""
    p = Path(path)
    if p.is_dir():
        p = p / RESULT_FILE
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunResultError(f"{p}: no such file") from None
    except OSError as exc:
        raise RunResultError(f"{p}: cannot read ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunResultError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise RunResultError(f"{p}: expected a JSON object, got {type(data).__name__}")
    try:
        return RunResult.model_validate(data)
    except ValidationError as exc:
        raise RunResultError(describe_error(str(p), exc, RunResult)) from None


def find_result_files(paths: Iterable[str | Path]) -> list[Path]:
    """result.json files under the given run folders, parent folders or files (sorted, unique)."""
    found: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            found.add(p.resolve())
        elif p.is_dir():
            found.update(f.resolve() for f in p.rglob(RESULT_FILE) if f.is_file())
        else:
            raise RunResultError(f"{p}: no such file or folder")
    return sorted(found)


def find_runs(paths: Iterable[str | Path]) -> list[tuple[Path, RunResult]]:
    """Load every run found under `paths`; raises if none is found. Runs that stopped because
    their backend failed (`status: failed`, resumable) are left out: they say nothing about the
    agent, only about its endpoint."""
    paths = list(paths)
    files = find_result_files(paths)
    if not files:
        shown = ", ".join(str(p) for p in paths) or "(no paths)"
        raise RunResultError(f"no {RESULT_FILE} found under {shown}")
    loaded = [(f.parent, load_result(f)) for f in files]
    runs = [(root, run) for root, run in loaded if run.status != "failed"]
    if not runs:
        shown = ", ".join(str(p) for p in paths)
        raise RunResultError(
            f"only failed runs under {shown} ({len(loaded)}: their backend stopped them; "
            "`airlab resume` them once it works)"
        )
    return runs


def runs_table(
    runs: Iterable[RunResult | tuple[Path, RunResult]], split: Split = "test"
) -> pd.DataFrame:
    """One row per run: identity, the chosen split's score (NaN if invalid) and run statistics.

    Columns: run_id, agent, task, seed, policy, backend, metric, direction, status, valid,
    score, search, select, test, nodes, buggy_nodes, elapsed_s, tokens_in, tokens_out,
    cost_usd, n_drafts, path. `valid` is True when the run has a valid submission with a score
    on `split`.
    """
    if split not in ("search", "select", "test"):
        raise RunResultError(f"split must be search, select or test, got {split!r}")
    rows = []
    for item in runs:
        path, run = item if isinstance(item, tuple) else (None, item)
        score = run.score(split)
        rows.append(
            {
                "run_id": run.run_id,
                "agent": run.agent,
                "task": run.task,
                "seed": run.seed,
                "policy": run.policy,
                "backend": run.backend,
                "metric": run.metric,
                "direction": run.direction,
                "status": run.status.value,
                "valid": score is not None,
                "score": math.nan if score is None else score,
                "search": run.scores.search,
                "select": run.scores.select,
                "test": run.scores.test,
                "nodes": run.nodes,
                "buggy_nodes": run.buggy_nodes,
                "elapsed_s": run.elapsed_s,
                "tokens_in": run.tokens_in,
                "tokens_out": run.tokens_out,
                "cost_usd": run.cost_usd,
                "n_drafts": len(run.draft_families),
                "path": "" if path is None else str(path),
            }
        )
    return pd.DataFrame(rows)


def task_metadata(runs: Iterable[RunResult | tuple[Path, RunResult]]) -> pd.DataFrame:
    """Per task: metric, direction, baseline, reference, optimal, worst, leaderboard.

    Each field is taken from the first run (in the given order) of that task that has it.
    """
    meta: dict[str, dict[str, object]] = {}
    for item in runs:
        run = item[1] if isinstance(item, tuple) else item
        row = meta.setdefault(run.task, {"task": run.task})
        keys = ("metric", "direction", "baseline", "reference", "optimal", "worst", "leaderboard")
        for key in keys:
            value = getattr(run, key)
            if row.get(key) in (None, "") and value not in (None, ""):
                row[key] = value
    cols = ["task", "metric", "direction", "baseline", "reference", "optimal", "worst"]
    cols.append("leaderboard")
    df = pd.DataFrame(list(meta.values()), columns=cols)
    return df.sort_values("task").reset_index(drop=True)
