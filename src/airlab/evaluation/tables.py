"""Per-run and per-agent score tables: normalised scores, percentiles, medals, seed CIs.

`relative_scores` is the one computation of a run's benchmark-relative numbers: `score_table`
(what `airlab report` writes) and the runner's `result.json` both call it.

Task metadata (baseline, reference, optimal, leaderboard) comes from `runs.task_metadata`; a
column is NaN where its task lacks what it needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.scores import (
    airs_normalised_score,
    bootstrap_ci,
    is_better,
    linear_normalised_score,
    medal,
    percentile_rank,
)
from airlab.result import RelativeScores


def _present(value: object) -> bool:
    if value is None:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def relative_scores(
    score: float | None,
    direction: str,
    *,
    baseline: float | None = None,
    reference: float | None = None,
    optimal: float | None = None,
    worst: float | None = None,
    leaderboard: Sequence[float] | None = None,
) -> RelativeScores:
    """One run's score against its task's benchmark numbers: what `score_table` shows for it and
    what the runner writes to `result.json`. `score` None (or NaN) is a run without a valid
    submission. Each field is None where the task lacks what it needs."""
    valid = _present(score)
    s = float(score) if valid else math.nan  # type: ignore[arg-type]
    floor = worst if _present(worst) else baseline
    out = RelativeScores()
    if valid and _present(baseline) and _present(reference) and baseline != reference:
        out.linear_ns = linear_normalised_score(s, baseline, reference)  # type: ignore[arg-type]
    if valid and _present(floor) and _present(reference) and _present(optimal):
        try:
            out.airs_ns = airs_normalised_score(s, floor, reference, optimal)  # type: ignore[arg-type]
        except EvaluationError:
            out.airs_ns = None
    if leaderboard is not None and len(leaderboard) > 0:
        out.percentile = percentile_rank(s, leaderboard, direction) if valid else 0.0
        won = medal(s if valid else None, leaderboard, direction)
        out.medal = won.name  # type: ignore[assignment]
        out.above_median = won.above_median
    if _present(baseline):
        out.reaches_baseline = valid and not is_better(baseline, s, direction)  # type: ignore[arg-type]
    return out


def score_table(runs: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """`runs` (from `runs_table`) with per-run normalised scores, percentile and medal.

    Added columns: `linear_ns` ((s − baseline)/(reference − baseline)), `airs_ns` (AIRS-Bench,
    with the task's estimated worst score as s_min, or its baseline when it records none),
    `percentile` (against the leaderboard; 0 for an invalid run), `medal` (gold | silver |
    bronze | none), `any_medal`, `above_median`, `reaches_baseline` (None without a baseline).
    Each row is `relative_scores` of the run.
    """
    info = {row["task"]: row for row in meta.to_dict("records")}
    out = runs.copy()
    linear, airs, pct, medals, any_medal, above, reaches = [], [], [], [], [], [], []
    for row in runs.to_dict("records"):
        task = info.get(row["task"], {})
        board = task.get("leaderboard")
        rel = relative_scores(
            row["score"] if bool(row["valid"]) else None,
            row["direction"],
            baseline=task.get("baseline"),
            reference=task.get("reference"),
            optimal=task.get("optimal"),
            worst=task.get("worst"),
            leaderboard=list(board) if isinstance(board, list | tuple | np.ndarray) else None,
        )
        linear.append(math.nan if rel.linear_ns is None else rel.linear_ns)
        airs.append(math.nan if rel.airs_ns is None else rel.airs_ns)
        pct.append(math.nan if rel.percentile is None else rel.percentile)
        medals.append(rel.medal or "")
        any_medal.append(rel.medal not in (None, "none"))
        above.append(bool(rel.above_median))
        reaches.append(rel.reaches_baseline)
    out["linear_ns"] = linear
    out["airs_ns"] = airs
    out["percentile"] = pct
    out["medal"] = medals
    out["any_medal"] = any_medal
    out["above_median"] = above
    out["reaches_baseline"] = reaches
    return out


def seed_summary(
    table: pd.DataFrame,
    column: str = "score",
    by: tuple[str, ...] = ("agent", "task"),
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean of `column` over seeds for each group, with a bootstrap CI over the seeds."""
    if column not in table.columns:
        raise EvaluationError(f"table has no column {column!r}")
    rows = []
    for key, group in table.groupby(list(by), sort=True):
        ci = bootstrap_ci(group[column].astype(float), n_boot=n_boot, level=level, seed=seed)
        keys = key if isinstance(key, tuple) else (key,)
        rows.append(
            {
                **dict(zip(by, keys, strict=True)),
                "n": ci.n,
                "mean": ci.estimate,
                "low": ci.low,
                "high": ci.high,
            }
        )
    return pd.DataFrame(rows)


def agent_summary(scored: pd.DataFrame) -> pd.DataFrame:
    """Per agent: runs, tasks, valid-submission rate, medal rates, mean percentile and scores."""
    rows = []
    for agent, group in scored.groupby("agent", sort=True):
        row = {
            "agent": agent,
            "runs": len(group),
            "tasks": group["task"].nunique(),
            "valid_rate": float(group["valid"].mean()),
        }
        for col in ("any_medal", "above_median"):
            if col in group:
                row[f"{col}_rate"] = float(group[col].astype(float).mean())
        for col in ("percentile", "linear_ns", "airs_ns"):
            if col in group:
                row[f"mean_{col}"] = (
                    float(group[col].mean()) if group[col].notna().any() else math.nan
                )
        rows.append(row)
    return pd.DataFrame(rows)
