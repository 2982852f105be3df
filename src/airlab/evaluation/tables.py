"""Per-run and per-agent score tables: normalised scores, percentiles, medals, seed CIs.

Task metadata (baseline, reference, optimal, leaderboard) comes from `runs.task_metadata`; a
column is NaN where its task lacks what it needs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.scores import (
    airs_normalised_score,
    bootstrap_ci,
    linear_normalised_score,
    medal,
    percentile_rank,
)


def _present(value: object) -> bool:
    if value is None:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def score_table(runs: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """`runs` (from `runs_table`) with per-run normalised scores, percentile and medal.

    Added columns: `linear_ns` ((s − baseline)/(reference − baseline)), `airs_ns` (AIRS-Bench,
    with the task's estimated worst score as s_min, or its baseline when it records none),
    `percentile` (against the leaderboard; 0 for an invalid run), `medal` (gold | silver |
    bronze | none), `any_medal`, `above_median`.
    """
    info = {row["task"]: row for row in meta.to_dict("records")}
    out = runs.copy()
    linear, airs, pct, medals, any_medal, above = [], [], [], [], [], []
    for row in runs.to_dict("records"):
        task = info.get(row["task"], {})
        s = row["score"]
        valid = bool(row["valid"]) and _present(s)
        base, ref, opt = task.get("baseline"), task.get("reference"), task.get("optimal")
        worst = task.get("worst")
        floor = worst if _present(worst) else base
        board = task.get("leaderboard")
        lin = air = p = math.nan
        if valid and _present(base) and _present(ref) and base != ref:
            lin = linear_normalised_score(s, base, ref)
        if valid and _present(floor) and _present(ref) and _present(opt):
            try:
                air = airs_normalised_score(s, floor, ref, opt)
            except EvaluationError:
                air = math.nan
        m_name, m_any, m_above = "", False, False
        if isinstance(board, list | tuple | np.ndarray) and len(board) > 0:
            p = percentile_rank(s, board, row["direction"]) if valid else 0.0
            won = medal(s if valid else None, board, row["direction"])
            m_name, m_any, m_above = won.name, won.any_medal, won.above_median
        linear.append(lin)
        airs.append(air)
        pct.append(p)
        medals.append(m_name)
        any_medal.append(m_any)
        above.append(m_above)
    out["linear_ns"] = linear
    out["airs_ns"] = airs
    out["percentile"] = pct
    out["medal"] = medals
    out["any_medal"] = any_medal
    out["above_median"] = above
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
