"""End to end: `result.json` and the closing summary carry the final node's test score against
the task's benchmark numbers (normalised scores, leaderboard percentile, medal), equal to what
`airlab report` computes from the same run; a task without those numbers gets nulls."""

from __future__ import annotations

import pytest
from rich.console import Console

from airlab.cli.display import relative_rows, result_table
from airlab.evaluation.runs import find_runs, load_result, runs_table, task_metadata
from airlab.evaluation.tables import relative_scores, score_table
from airlab.result import RESULT_SCHEMA_VERSION, RelativeScores
from airlab.runner import Run, RunConfig


def _run(task_root, tmp_path):
    config = RunConfig.model_validate(
        {
            "task": str(task_root),
            "budget": {"steps": 2},
            "workers": 1,
            "runs_dir": str(tmp_path / "runs"),
            "policy_params": {"num_drafts": 2},
            "limits": {"time_s": 60},
        }
    )
    run = Run.create(config)
    return run, run.execute()


def _summary(run, result) -> str:
    console = Console(width=200, record=True)
    console.print(result_table(run, result))
    return console.export_text()


@pytest.mark.slow
def test_benchmark_numbers_reach_result_json_and_the_summary(make_task, tmp_path):
    root = make_task(
        "bench",
        baseline={"score": 0.55, "note": "sample", "of": "sample-submission"},
        reference={"score": 0.97, "note": "SOTA"},
        worst_score=0.4,
        leaderboard="leaderboard.csv",
    )
    scores = [0.99 - 0.01 * i for i in range(60)]  # 0.99 ... 0.40, best first
    (root / "leaderboard.csv").write_text("score\n" + "\n".join(map(str, scores)) + "\n")
    run, result = _run(root, tmp_path)
    assert result.valid_submission and result.schema_version == RESULT_SCHEMA_VERSION
    expected = relative_scores(
        result.scores.test,
        "maximize",
        baseline=0.55,
        reference=0.97,
        optimal=1.0,
        worst=0.4,
        leaderboard=scores,
    )
    written = load_result(run.folder.root).relative_scores
    assert written == expected == result.relative_scores
    assert None not in (written.airs_ns, written.linear_ns, written.percentile, written.medal)
    # what `airlab report` shows for this run
    runs = find_runs([run.folder.root])
    row = score_table(runs_table(runs), task_metadata(runs)).iloc[0]
    assert row["airs_ns"] == pytest.approx(written.airs_ns)
    assert row["percentile"] == pytest.approx(written.percentile)
    assert row["medal"] == written.medal
    text = _summary(run, result)
    for label, value in relative_rows(result):
        assert label in text and value in text
    assert "AIRS normalised score" in text and "medal" in text


@pytest.mark.slow
def test_a_task_without_benchmark_numbers_gets_nulls(make_task, tmp_path):
    run, result = _run(make_task("plain"), tmp_path)
    assert result.valid_submission
    assert load_result(run.folder.root).relative_scores == RelativeScores()
    assert relative_rows(result) == []
    assert "medal" not in _summary(run, result)
