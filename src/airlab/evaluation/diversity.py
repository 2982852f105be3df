"""Ideation diversity: how varied an agent's initial drafts are, and whether it pays off.

After "Ideation diversity" (arXiv 2511.15593): the diversity of a run is the Shannon entropy of
the distribution of approach families (gbdt, cnn, transformer, linear, ...) among its initial
drafts. We report it in bits (log base 2: one bit = an even split between two families; k
equally used families give log2 k bits), with the number of distinct families, per run and per
agent, and relate it to final performance across runs (Pearson and Spearman correlations with
seeded bootstrap CIs over runs). Drafts whose family could not be told (`UNCLASSIFIED_FAMILY`:
a constant baseline, an invented class name) are counted apart, never as a family of their
own: one such draft beside four gradient-boosting ones would otherwise read as 0.72 bits.

Performance must be comparable across tasks, so the default is the run's percentile among all
runs of the same task (direction-aware, ties averaged, 1 = best; an invalid run scores 0).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import pearsonr, rankdata, spearmanr

from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.runs import RunResult
from airlab.result import UNCLASSIFIED_FAMILY


def _labels(families: Sequence[str]) -> list[str]:
    return [str(f).strip().lower() for f in families if str(f).strip()]


def unclassified(families: Sequence[str]) -> int:
    """How many drafts no family was found for."""
    return sum(1 for f in _labels(families) if f == UNCLASSIFIED_FAMILY)


def family_distribution(families: Sequence[str]) -> dict[str, float]:
    """Share of each approach family among the classified drafts, most frequent first (ties:
    by name)."""
    counts = Counter(f for f in _labels(families) if f != UNCLASSIFIED_FAMILY)
    total = sum(counts.values())
    if total == 0:
        return {}
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {k: v / total for k, v in items}


def shannon_entropy(families: Sequence[str], base: float = 2.0) -> float:
    """H = −Σ p log_base p of the family distribution (bits by default; 0 for no drafts)."""
    probs = np.array(list(family_distribution(families).values()))
    if probs.size == 0:
        return 0.0
    return float(-(probs * np.log(probs)).sum() / math.log(base)) + 0.0


def task_percentiles(table: pd.DataFrame) -> pd.Series:
    """Each run's percentile among the runs of its task: (n − rank)/(n − 1), rank 1 = best.

    Direction-aware; tied scores share their average rank; invalid runs (NaN score) tie last; a
    task with a single run gives it 1.
    """
    out = pd.Series(np.nan, index=table.index, dtype=float)
    for _, group in table.groupby("task"):
        s = group["score"].astype(float).to_numpy()
        sign = np.where(group["direction"].to_numpy() == "minimize", -1.0, 1.0)
        oriented = np.where(np.isnan(s), -np.inf, s * sign)
        n = len(group)
        if n == 1:
            out[group.index] = 1.0
            continue
        ranks = rankdata(-oriented, method="average")
        out[group.index] = (n - ranks) / (n - 1)
    return out


def run_diversity(
    runs: Sequence[RunResult] | pd.DataFrame, families: Sequence[Sequence[str]] | None = None
) -> pd.DataFrame:
    """Per run: agent, task, seed, n_drafts, unclassified, distinct_families, entropy_bits,
    distribution, score.

    Pass RunResults, or a runs table (from `runs_table`) with the matching `families` lists.
    Adds `performance`, the run's percentile among the runs of its task.
    """
    if isinstance(runs, pd.DataFrame):
        if families is None or len(families) != len(runs):
            raise EvaluationError("run_diversity: pass one families list per row of the table")
        base = runs.reset_index(drop=True).copy()
        fams = [list(f) for f in families]
    else:
        base = pd.DataFrame(
            [
                {
                    "run_id": r.run_id,
                    "agent": r.agent,
                    "task": r.task,
                    "seed": r.seed,
                    "direction": r.direction,
                    "valid": r.score() is not None,
                    "score": math.nan if r.score() is None else r.score(),
                }
                for r in runs
            ]
        )
        fams = [list(r.draft_families) for r in runs]
    if base.empty:
        raise EvaluationError("run_diversity: no runs")
    base["n_drafts"] = [len(f) for f in fams]
    base["unclassified"] = [unclassified(f) for f in fams]
    base["distinct_families"] = [len(family_distribution(f)) for f in fams]
    base["entropy_bits"] = [shannon_entropy(f) for f in fams]
    base["distribution"] = [
        ", ".join(f"{k} {v:.0%}" for k, v in family_distribution(f).items()) for f in fams
    ]
    base["performance"] = task_percentiles(base)
    return base


def agent_diversity(
    table: pd.DataFrame, families: Sequence[Sequence[str]] | None = None
) -> pd.DataFrame:
    """Per agent: runs, mean entropy and distinct families per run, mean performance, and the
    entropy of all its drafts pooled (`pooled_entropy_bits`) when `families` is given."""
    rows = []
    for agent, group in table.groupby("agent", sort=True):
        row = {
            "agent": agent,
            "runs": len(group),
            "mean_entropy_bits": float(group["entropy_bits"].mean()),
            "mean_distinct_families": float(group["distinct_families"].mean()),
            "mean_performance": float(group["performance"].mean()),
        }
        if families is not None:
            pooled = [f for i in group.index for f in families[i]]
            row["pooled_entropy_bits"] = shannon_entropy(pooled)
        rows.append(row)
    return pd.DataFrame(rows)


def correlation_with_ci(
    x: Sequence[float],
    y: Sequence[float],
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Pearson and Spearman r of (x, y), their p-values, and bootstrap percentile CIs."""
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    ok = ~(np.isnan(xa) | np.isnan(ya))
    xa, ya = xa[ok], ya[ok]
    out = {"n": float(len(xa))}
    constant = len(xa) < 3 or np.ptp(xa) == 0 or np.ptp(ya) == 0
    if constant:
        for name in ("pearson", "spearman"):
            out.update({name: math.nan, f"{name}_p": math.nan})
            out.update({f"{name}_low": math.nan, f"{name}_high": math.nan})
        return out
    # every resample at once (the same draws as one at a time); resamples where x or y is
    # constant have no correlation and are left out
    idx = np.random.default_rng(seed).integers(0, len(xa), (n_boot, len(xa)))
    xs, ys = xa[idx], ya[idx]
    usable = (np.ptp(xs, axis=1) > 0) & (np.ptp(ys, axis=1) > 0)
    xs, ys = xs[usable], ys[usable]
    for name, fn, rows_x, rows_y in (
        ("pearson", pearsonr, xs, ys),
        ("spearman", spearmanr, rankdata(xs, axis=1), rankdata(ys, axis=1)),
    ):
        res = fn(xa, ya)
        out[name] = float(res.statistic)
        out[f"{name}_p"] = float(res.pvalue)
        stats = _row_pearson(rows_x, rows_y)
        lo, hi = (
            np.percentile(stats, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
            if stats.size
            else (math.nan, math.nan)
        )
        out[f"{name}_low"], out[f"{name}_high"] = float(lo), float(hi)
    return out


def _row_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r of each row pair (Spearman's, on ranks)."""
    dx = x - x.mean(axis=1, keepdims=True)
    dy = y - y.mean(axis=1, keepdims=True)
    r = (dx * dy).sum(axis=1) / np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))
    return np.clip(r, -1.0, 1.0)


def diversity_vs_performance(
    table: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Correlations across runs of entropy and of distinct families with performance."""
    rows = []
    for feature in ("entropy_bits", "distinct_families"):
        stats = correlation_with_ci(table[feature], table["performance"], n_boot=n_boot, seed=seed)
        rows.append({"feature": feature, "target": "performance", **stats})
    return pd.DataFrame(rows)
