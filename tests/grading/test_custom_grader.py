"""A task's own grade.py: used instead of a registered metric, run outside the sandbox."""

import pytest
import yaml

from airlab.errors import TaskError
from airlab.grading import Grader
from airlab.tasks import load_task

GRADE_PY = '''
import pandas as pd


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    """Share of rows within 0.5 of the answer; raises on a non-numeric prediction."""
    merged = submission.merge(answers, on="id", suffixes=("_pred", "_true"))
    if len(merged) != len(answers):
        raise ValueError("ids do not match")
    predicted = pd.to_numeric(merged["y_pred"], errors="raise")
    return float(((predicted - merged["y_true"]).abs() < 0.5).mean())
'''


@pytest.fixture
def custom_task(make_task):
    root = make_task(kind="regression")
    data = yaml.safe_load((root / "task.yaml").read_text())
    data.update(metric="within_half", direction="maximize", grader="grade.py")
    (root / "task.yaml").write_text(yaml.safe_dump(data))
    (root / "grade.py").write_text(GRADE_PY)
    return root


def _answers_as_submission(task):
    answers = task.read_answers()
    return answers[["id", "y"]]


def test_custom_grader_scores_each_split(custom_task):
    task = load_task(custom_task)
    grader = Grader(task)
    assert grader.metric.name == "within_half" and grader.metric.maximize
    perfect = grader.grade(_answers_as_submission(task), ("search", "select", "test"))
    assert perfect.valid and perfect.scores == {"search": 1.0, "select": 1.0, "test": 1.0}
    shifted = _answers_as_submission(task).assign(y=lambda f: f["y"] + 1.0)
    assert grader.grade(shifted, ("search",)).scores["search"] == 0.0


def test_custom_grader_exception_makes_submission_invalid(custom_task):
    task = load_task(custom_task)
    bad = _answers_as_submission(task).assign(y="oops")
    grade = Grader(task).grade(bad, ("search",))
    assert not grade.valid
    assert "grade.py rejected the submission on search" in grade.reason


def test_missing_grader_file_and_missing_function_are_named(custom_task):
    (custom_task / "grade.py").unlink()
    with pytest.raises(TaskError, match=r"field 'grader': file 'grade\.py' not found"):
        load_task(custom_task)
    (custom_task / "grade.py").write_text("def score(a, b):\n    return 0\n")
    with pytest.raises(TaskError, match=r"grade\.py: defines no function grade"):
        Grader(load_task(custom_task))


def test_grader_outside_the_task_folder_is_rejected(custom_task):
    data = yaml.safe_load((custom_task / "task.yaml").read_text())
    data["grader"] = "../elsewhere.py"
    (custom_task / "task.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(TaskError, match="field 'grader' must be a file inside the task folder"):
        load_task(custom_task)


def test_unregistered_metric_without_grader_still_fails(custom_task):
    data = yaml.safe_load((custom_task / "task.yaml").read_text())
    del data["grader"]
    (custom_task / "task.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(TaskError, match="field 'metric': unknown metric 'within_half'"):
        load_task(custom_task)
