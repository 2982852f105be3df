"""A run's benchmark-relative numbers (`relative_scores`): MLE-bench medals and percentile on the
fixture's leaderboard, AIRS-Bench's normalised score, nothing for a task without the data; and
`score_table` (what `airlab report` writes) gives the same numbers for the same run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from airlab.evaluation.runs import find_runs, load_result, runs_table, task_metadata
from airlab.evaluation.scores import (
    airs_normalised_score,
    linear_normalised_score,
    medal_thresholds,
    percentile_rank,
)
from airlab.evaluation.tables import relative_scores, score_table
from airlab.result import RelativeScores, RunResult
from airlab.tasks.importers.mlebench import leaderboard_direction, read_leaderboard

SPOOKY = Path(__file__).parents[1] / "tasks" / "fixtures" / "leaderboards"
SPOOKY = SPOOKY / "spooky-author-identification.csv"


@pytest.fixture(scope="module")
def spooky() -> tuple[list[float], str]:
    """The MLE-bench fixture's leaderboard (log loss) and direction, read as the importer does."""
    scores = read_leaderboard(SPOOKY)["score"].dropna()
    return [float(s) for s in scores], leaderboard_direction(scores)


def test_a_score_at_each_medal_threshold_wins_that_medal(spooky):
    board, direction = spooky
    assert direction == "minimize"
    cut = medal_thresholds(board, direction)
    assert cut.gold < cut.silver < cut.bronze < cut.median  # distinct, so each case is its own
    between = (cut.bronze + cut.median) / 2
    worse = max(board) + 1.0
    cases = [
        (cut.gold, "gold", True),
        (cut.silver, "silver", True),
        (cut.bronze, "bronze", True),
        (between, "none", True),
        (cut.median, "none", False),  # above the median is strict
        (worse, "none", False),
    ]
    for score, expected, above in cases:
        rel = relative_scores(score, direction, leaderboard=board)
        assert (rel.medal, rel.above_median) == (expected, above), score
        assert rel.percentile == pytest.approx(percentile_rank(score, board, direction))
    # just short of a threshold is the next medal down
    nudge = 1e-9
    assert relative_scores(cut.gold + nudge, direction, leaderboard=board).medal == "silver"
    assert relative_scores(worse, direction, leaderboard=board).percentile == 0.0


def test_airs_task_gets_its_normalised_score():
    # CoreferenceResolutionWinograndeAccuracy-like numbers: SOTA 0.854, worst 0.5, optimum 1
    kw = {"baseline": 0.6, "reference": 0.854, "optimal": 1.0, "worst": 0.5}
    at_reference = relative_scores(0.854, "maximize", **kw)
    at_worst = relative_scores(0.5, "maximize", **kw)
    assert at_reference.airs_ns == pytest.approx(1.0) and at_worst.airs_ns == pytest.approx(0.0)
    mid = relative_scores(0.7, "maximize", **kw)
    assert mid.airs_ns == pytest.approx(airs_normalised_score(0.7, 0.5, 0.854, 1.0))
    assert mid.linear_ns == pytest.approx(linear_normalised_score(0.7, 0.6, 0.854))
    assert mid.reaches_baseline and not at_worst.reaches_baseline
    assert mid.percentile is None and mid.medal is None  # no leaderboard


def test_a_task_without_the_data_gets_nulls_and_no_error():
    assert relative_scores(0.7, "maximize") == RelativeScores()
    assert relative_scores(None, "minimize", optimal=0.0) == RelativeScores()
    # an undefined AIRS scale (reference as far from the optimum as the worst score) is null
    assert relative_scores(0.7, "maximize", reference=0.8, optimal=1.0, worst=0.8).airs_ns is None


def test_a_run_without_a_valid_submission(spooky):
    board, direction = spooky
    rel = relative_scores(None, direction, baseline=1.0, leaderboard=board)
    assert (rel.percentile, rel.medal, rel.above_median) == (0.0, "none", False)
    assert rel.reaches_baseline is False and rel.airs_ns is None


@pytest.mark.parametrize("test", [0.2, 0.41, 0.6, 0.9, 0.95, None])
def test_result_json_numbers_equal_the_report_table(write_run, test):
    """What the runner writes for a run is the row `airlab report` computes from result.json."""
    fields = {"worst": 0.3, "leaderboard": list(np.linspace(0.4, 0.95, 50))}
    path = write_run("a", "t", 0, test, **fields)
    run = load_result(path)
    written = relative_scores(
        run.score("test"),
        run.direction,
        baseline=run.baseline,
        reference=run.reference,
        optimal=run.optimal,
        worst=run.worst,
        leaderboard=run.leaderboard,
    )
    runs = find_runs([path])
    row = score_table(runs_table(runs, "test"), task_metadata(runs)).iloc[0]
    for field in ("linear_ns", "airs_ns", "percentile"):
        ours = getattr(written, field)
        assert (ours is None and math.isnan(row[field])) or ours == pytest.approx(row[field])
    assert written.medal == row["medal"] and written.above_median == row["above_median"]
    assert written.reaches_baseline == row["reaches_baseline"]


def test_result_json_of_schema_2_reads_with_null_relative_scores(write_run):
    path = write_run("a", "t", 0, 0.8, schema_version=2)
    data = json.loads((path / "result.json").read_text())
    assert "relative_scores" not in data
    run = load_result(path)
    assert run.schema_version == 2 and run.relative_scores == RelativeScores()
    again = RunResult.model_validate_json(run.model_dump_json())
    assert again.relative_scores == RelativeScores()
