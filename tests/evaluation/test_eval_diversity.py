"""Ideation diversity: entropy in bits, distinct families, relation to performance, plots."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airlab.evaluation.diversity import (
    agent_diversity,
    correlation_with_ci,
    diversity_vs_performance,
    family_distribution,
    run_diversity,
    shannon_entropy,
    task_percentiles,
    unclassified,
)
from airlab.evaluation.runs import find_runs


def test_entropy_in_bits() -> None:
    assert shannon_entropy([]) == 0.0
    assert shannon_entropy(["gbdt"] * 5) == 0.0
    assert shannon_entropy(["gbdt", "cnn"]) == pytest.approx(1.0)
    assert shannon_entropy(["a", "b", "c", "d"]) == pytest.approx(2.0)
    assert shannon_entropy(["a", "a", "b", "c"]) == pytest.approx(1.5)
    assert shannon_entropy(["a", "b"], base=math.e) == pytest.approx(math.log(2))


def test_family_distribution_normalises_labels() -> None:
    dist = family_distribution(["GBDT", "gbdt ", "cnn", ""])
    assert dist == {"gbdt": pytest.approx(2 / 3), "cnn": pytest.approx(1 / 3)}


def test_unclassified_drafts_are_counted_apart_not_as_a_family() -> None:
    """Four gradient-boosting drafts and a constant baseline are one family (0 bits), not the
    0.72 bits of two; the baseline is counted as unclassified."""
    drafts = ["gradient_boosting"] * 4 + ["unknown"]
    assert shannon_entropy(drafts) == 0.0
    assert family_distribution(drafts) == {"gradient_boosting": 1.0}
    assert unclassified(drafts) == 1
    assert shannon_entropy(["unknown", "unknown"]) == 0.0 and unclassified(["Unknown "]) == 1


def test_task_percentiles_direction_ties_and_invalid() -> None:
    table = pd.DataFrame(
        {
            "task": ["t", "t", "t", "u", "u", "v"],
            "score": [0.9, 0.9, math.nan, 1.0, 2.0, 5.0],
            "direction": ["maximize"] * 3 + ["minimize"] * 2 + ["maximize"],
        }
    )
    pct = task_percentiles(table)
    assert pct.tolist() == [0.75, 0.75, 0.0, 1.0, 0.0, 1.0]


def test_run_and_agent_diversity_from_runs(write_run, tmp_path: Path) -> None:
    write_run("wide", "t", 0, 0.9, draft_families=["gbdt", "cnn", "linear", "svm"])
    write_run("wide", "t", 1, 0.85, draft_families=["gbdt", "cnn", "knn", "mlp"])
    write_run("narrow", "t", 0, 0.7, draft_families=["gbdt", "gbdt", "gbdt", "linear"])
    write_run("narrow", "t", 1, None, draft_families=["gbdt", "gbdt", "gbdt", "gbdt"])
    runs = [r for _, r in find_runs([tmp_path / "runs"])]
    table = run_diversity(runs)
    wide = table[table["agent"] == "wide"]
    assert wide["entropy_bits"].tolist() == [2.0, 2.0]
    assert wide["distinct_families"].tolist() == [4, 4]
    narrow = table[table["agent"] == "narrow"].set_index("seed")
    assert narrow.loc[1, "entropy_bits"] == 0.0
    assert narrow.loc[0, "distribution"] == "gbdt 75%, linear 25%"
    per_agent = agent_diversity(table, [r.draft_families for r in runs]).set_index("agent")
    assert per_agent.loc["wide", "mean_distinct_families"] == 4
    assert per_agent.loc["wide", "pooled_entropy_bits"] > 2.0
    assert per_agent.loc["wide", "mean_performance"] > per_agent.loc["narrow", "mean_performance"]
    corr = diversity_vs_performance(table, n_boot=200)
    row = corr.set_index("feature").loc["entropy_bits"]
    assert row["pearson"] > 0.8 and row["spearman"] > 0.8
    assert row["pearson_low"] <= row["pearson"] <= row["pearson_high"]


def test_correlation_with_constant_input_is_nan() -> None:
    out = correlation_with_ci([1, 1, 1, 1], [1, 2, 3, 4], n_boot=10)
    assert math.isnan(out["pearson"]) and out["n"] == 4


def test_correlation_recovers_a_known_relation() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = 0.6 * x + 0.8 * rng.normal(size=200)
    out = correlation_with_ci(x, y, n_boot=300, seed=1)
    assert out["pearson_low"] < 0.6 < out["pearson_high"]
    assert out["pearson_p"] < 1e-6


def test_plots_write_png(write_run, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from airlab.evaluation.plots import plot_diversity, plot_rank_bars

    write_run("a", "t", 0, 0.9, draft_families=["gbdt", "cnn"])
    write_run("b", "t", 0, 0.5, draft_families=["gbdt", "gbdt"])
    table = run_diversity([r for _, r in find_runs([tmp_path / "runs"])])
    written = plot_diversity(table, tmp_path / "out" / "diversity.png")
    assert written == [tmp_path / "out" / "diversity.png"]
    assert written[0].stat().st_size > 1000
    frame = pd.DataFrame(
        {
            "method": ["sco", "sco", "elo", "elo"],
            "agent": ["a", "b", "a", "b"],
            "rating": [60.0, 40.0, 1100.0, 900.0],
            "rating_low": [55.0, 35.0, 1000.0, 850.0],
            "rating_high": [65.0, 45.0, 1200.0, 950.0],
        }
    )
    bars = plot_rank_bars(frame, tmp_path / "out" / "ranks.png")
    assert bars[0].exists()
