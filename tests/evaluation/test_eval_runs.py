"""Reading run folders: tolerant schema, one-line errors naming the file, the long table."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from airlab.evaluation.errors import RunResultError
from airlab.evaluation.runs import (
    RunResult,
    find_runs,
    load_result,
    runs_table,
    task_metadata,
)
from airlab.evaluation.scores import airs_normalised_score
from airlab.evaluation.tables import agent_summary, score_table, seed_summary


def test_load_result_ignores_extra_keys(write_run) -> None:
    folder = write_run("greedy/templates", "digits", 0, 0.91)
    run = load_result(folder)
    assert isinstance(run, RunResult)
    assert run.agent == "greedy/templates"
    assert run.score("test") == 0.91
    assert run.draft_families == ["gbdt", "linear", "svm"]


def test_invalid_submission_has_no_score(write_run) -> None:
    run = load_result(write_run("a", "t", 0, 0.5, valid_submission=False))
    assert run.score() is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"run_id": "x"}), "missing required field 'agent'"),
    ],
)
def test_bad_result_json_names_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "run1" / "result.json"
    path.parent.mkdir()
    path.write_text(content)
    with pytest.raises(RunResultError, match=message) as info:
        load_result(path.parent)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_field_value_is_named(write_run) -> None:
    folder = write_run("a", "t", 0, 0.5, direction="sideways")
    with pytest.raises(RunResultError, match="field 'direction'"):
        load_result(folder)


def test_find_runs_recurses_and_dedupes(write_run, tmp_path: Path) -> None:
    one = write_run("a", "t", 0, 0.5)
    write_run("b", "t", 0, 0.6)
    runs = find_runs([tmp_path / "runs", one, one / "result.json"])
    assert len(runs) == 2
    with pytest.raises(RunResultError, match="no such file or folder"):
        find_runs([tmp_path / "missing"])


def test_find_runs_with_nothing_found(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunResultError, match=r"no result\.json found under"):
        find_runs([tmp_path / "empty"])


def test_runs_table_and_metadata(write_run) -> None:
    write_run("a", "t", 0, 0.9)
    write_run("a", "t", 1, None)
    write_run("b", "t", 0, 0.7, scores={"search": 0.1, "select": 0.2, "test": 0.7})
    write_run("b", "u", 0, 3.0, direction="minimize", leaderboard=None, baseline=None)
    runs = find_runs([write_run("a", "u", 0, 2.0, direction="minimize").parents[2]])
    table = runs_table(runs, "test")
    assert len(table) == 5
    assert table["valid"].sum() == 4
    assert table.loc[table["run_id"] == "b-t-0", "select"].item() == 0.2
    search = runs_table(runs, "search")
    assert search.loc[search["run_id"] == "b-t-0", "score"].item() == 0.1
    meta = task_metadata(runs)
    assert list(meta["task"]) == ["t", "u"]
    assert meta.loc[meta["task"] == "u", "baseline"].item() == 0.5  # from a's run of u

    scored = score_table(table, meta)
    row = scored[scored["run_id"] == "a-t-0"].iloc[0]
    assert row["linear_ns"] == pytest.approx(1.0)  # baseline 0.5, reference 0.9
    assert row["medal"] in {"gold", "silver", "bronze", "none"}
    invalid = scored[scored["run_id"] == "a-t-1"].iloc[0]
    assert invalid["percentile"] == 0.0 and invalid["medal"] == "none"
    assert math.isnan(invalid["linear_ns"])

    summary = seed_summary(scored, "score")
    a_t = summary[(summary["agent"] == "a") & (summary["task"] == "t")].iloc[0]
    assert a_t["n"] == 1 and a_t["mean"] == 0.9
    agents = agent_summary(scored)
    assert agents.set_index("agent").loc["a", "valid_rate"] == pytest.approx(2 / 3)


def test_bad_split_is_rejected(write_run) -> None:
    runs = find_runs([write_run("a", "t", 0, 0.9)])
    with pytest.raises(RunResultError, match="split"):
        runs_table(runs, "train")  # type: ignore[arg-type]


def test_failed_runs_are_left_out_of_rankings(tmp_path):
    import json

    from airlab.evaluation.errors import RunResultError
    from airlab.evaluation.runs import find_runs

    base = {"agent": "a", "task": "t", "seed": 0, "direction": "maximize"}
    for name, status in (("ok", "complete"), ("down", "failed")):
        (tmp_path / name).mkdir()
        data = {**base, "run_id": name, "status": status}
        (tmp_path / name / "result.json").write_text(json.dumps(data))
    assert [run.run_id for _, run in find_runs([tmp_path])] == ["ok"]
    with pytest.raises(RunResultError, match="only failed runs"):
        find_runs([tmp_path / "down"])


def test_airs_normalised_score_uses_the_recorded_worst_score(write_run) -> None:
    # an AIRS task whose baseline ties the SOTA reference: only its estimated worst score
    # gives the NS scale (it came out NaN when `worst` was dropped on the way to the table)
    path = write_run("a", "airs", 0, 0.8, baseline=0.854, reference=0.854, worst=-0.587)
    runs = find_runs([path.parents[2]])
    meta = task_metadata(runs)
    assert meta["worst"].item() == -0.587
    row = score_table(runs_table(runs, "test"), meta).iloc[0]
    assert row["airs_ns"] == pytest.approx(airs_normalised_score(0.8, -0.587, 0.854, 1.0))
