"""Importers turn MLE-bench, MLGym and AIRS-Bench layouts into task folders that grade right."""

import pandas as pd
import pytest
import yaml

from airlab.errors import TaskError
from airlab.grading import Grader
from airlab.runner import Run, RunConfig
from airlab.tasks import load_task
from airlab.tasks.importers import import_airs, import_mlebench, import_mlgym


def _perfect(task):
    answers = task.read_answers()
    return answers[[task.spec.id_column, *task.spec.target_columns]]


def test_mlebench_competition_keeps_its_grader_and_leaderboard(tmp_path, mlebench_writer):
    task = import_mlebench(mlebench_writer(tmp_path / "src"), tmp_path / "task")
    spec = task.spec
    assert spec.name == "tiny-survival" and spec.grader == "grade.py"
    assert spec.direction == "maximize"  # the leaderboard's best-first scores fall
    assert spec.id_column == "PassengerKey" and spec.target_columns == ["label"]
    assert task.leaderboard_scores()[0] == 0.95
    assert not (task.public_dir / "grade.py").exists()
    grader = Grader(task)
    assert grader.grade(_perfect(task), ("search", "select", "test")).scores["test"] == 1.0
    wrong = _perfect(task).assign(label="maybe")
    assert grader.grade(wrong, ("search",)).scores["search"] == 0.0
    answers = task.read_answers()
    assert set(answers["split"]) == {"search", "select", "test"}


def test_mlebench_direction_from_an_ascending_leaderboard(tmp_path, mlebench_writer):
    src = mlebench_writer(tmp_path / "src")
    pd.DataFrame({"score": [0.1, 0.2, 0.4]}).to_csv(src / "leaderboard.csv", index=False)
    assert import_mlebench(src, tmp_path / "task").spec.direction == "minimize"
    pd.DataFrame({"score": [0.3, 0.3]}).to_csv(src / "leaderboard.csv", index=False)
    with pytest.raises(TaskError, match="pass --direction"):
        import_mlebench(src, tmp_path / "other")


def test_mlebench_without_grade_py_is_named(tmp_path, mlebench_writer):
    src = mlebench_writer(tmp_path / "src")
    (src / "grade.py").unlink()
    with pytest.raises(TaskError, match=r"grade\.py: file not found"):
        import_mlebench(src, tmp_path / "task")


def test_mlgym_task_hides_labels_and_evaluate_py(tmp_path, mlgym_writer):
    config = mlgym_writer(tmp_path / "MLGym")
    task = import_mlgym(config, tmp_path / "task")
    spec = task.spec
    assert spec.name == "tiny-classification" and spec.metric == "accuracy"
    assert spec.id_column == "RowId" and spec.labels == ["no", "yes"]
    assert spec.limits.time_s == 120
    public = {path.name for path in task.public_dir.iterdir()}
    assert public == {"train.csv", "test.csv", "sample_submission.csv"}
    assert "0.8" in task.description
    grade = Grader(task).grade(_perfect(task), ("test",))
    assert grade.valid and grade.scores["test"] == 1.0


def test_mlgym_unknown_metric_asks_for_one(tmp_path, mlgym_writer):
    config = mlgym_writer(tmp_path / "MLGym")
    data = yaml.safe_load(config.read_text())
    data["baseline_scores"] = [{"Reward Mean": 1.0}]
    config.write_text(yaml.safe_dump(data))
    with pytest.raises(TaskError, match="has no airlab equivalent; pass --metric"):
        import_mlgym(config, tmp_path / "task")
    assert import_mlgym(config, tmp_path / "task2", metric="f1_macro").spec.metric == "f1_macro"


def test_airs_task_grades_with_its_evaluate_and_keeps_normalisation(tmp_path, airs_writer):
    task = import_airs(airs_writer(tmp_path / "src"), tmp_path / "task")
    spec = task.spec
    assert spec.metric == "MeanAbsoluteError" and spec.direction == "minimize"
    assert spec.reference.score == 0.08 and spec.worst_score == 3.0 and spec.optimal_score == 0.0
    assert list(pd.read_csv(task.public_dir / "test.csv").columns) == ["id", "u", "v"]
    grader = Grader(task)
    assert grader.grade(_perfect(task), ("test",)).scores["test"] == 0.0
    shifted = _perfect(task).assign(strength=lambda f: f["strength"] + 0.5)
    assert grader.grade(shifted, ("test",)).scores["test"] == pytest.approx(0.5)


def test_import_refuses_a_non_empty_destination(tmp_path, airs_writer):
    (tmp_path / "task").mkdir()
    (tmp_path / "task" / "keep.txt").write_text("mine")
    with pytest.raises(TaskError, match="already exists and is not empty"):
        import_airs(airs_writer(tmp_path / "src"), tmp_path / "task")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["mlebench", "mlgym", "airs"])
def test_imported_task_runs_a_short_search(
    kind, tmp_path, mlebench_writer, mlgym_writer, airs_writer
):
    writers = {
        "mlebench": lambda: import_mlebench(mlebench_writer(tmp_path / "src"), tmp_path / "t"),
        "mlgym": lambda: import_mlgym(mlgym_writer(tmp_path / "src"), tmp_path / "t"),
        "airs": lambda: import_airs(airs_writer(tmp_path / "src"), tmp_path / "t"),
    }
    task = writers[kind]()
    config = RunConfig.model_validate(
        {
            "task": str(task.root),
            "budget": {"steps": 2},
            "workers": 1,
            "runs_dir": str(tmp_path / "runs"),
            "backend_options": {"bug_rate": 0.0},
            "limits": {"time_s": 60},
        }
    )
    result = Run.create(config).execute()
    assert result.status == "complete"
    assert result.valid_submission, result
    assert load_task(task.root).spec.name == task.name
