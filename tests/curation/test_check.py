"""`task check` finds what is wrong with a folder; `task score` grades a file on every split."""

import shutil

import pandas as pd
import pytest
import yaml

from airlab.curation import check_task, score_submission
from airlab.errors import TaskError
from airlab.tasks import load_task

pytestmark = pytest.mark.slow  # each check runs scripts in the sandbox (a few seconds each)

BASELINE = """
import pandas as pd
from sklearn.linear_model import LogisticRegression

train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
model = LogisticRegression().fit(train[["a", "b", "c"]], train["y"])
pd.DataFrame({"id": test["id"], "y": model.predict(test[["a", "b", "c"]])}).to_csv(
    "submission.csv", index=False
)
"""


@pytest.fixture
def checked_task(make_task):
    root = make_task()
    (root / "baseline.py").write_text(BASELINE)
    return root


def _set_baseline(root, score):
    data = yaml.safe_load((root / "task.yaml").read_text())
    data["baseline"] = {"score": score, "note": "logistic regression"}
    (root / "task.yaml").write_text(yaml.safe_dump(data))


def test_a_sound_task_passes_and_its_baseline_is_measured(checked_task):
    report = check_task(load_task(checked_task), sandbox="process")
    assert report.ok, report.problems
    measured = report.baseline_scores["test"]
    assert 0.5 < measured <= 1.0
    _set_baseline(checked_task, measured)
    assert check_task(load_task(checked_task), sandbox="process").ok


def test_a_wrong_recorded_baseline_is_a_problem(checked_task):
    _set_baseline(checked_task, 0.123)
    report = check_task(load_task(checked_task), sandbox="process")
    assert any("records baseline 0.123000" in p for p in report.problems)


def test_a_missing_or_crashing_baseline_is_a_problem(checked_task):
    (checked_task / "baseline.py").write_text("raise SystemExit('no model today')\n")
    report = check_task(load_task(checked_task), sandbox="process")
    assert any("baseline.py failed (error)" in p for p in report.problems)
    (checked_task / "baseline.py").unlink()
    report = check_task(load_task(checked_task), sandbox="process")
    assert any("every task needs a real baseline" in p for p in report.problems)


def test_a_baseline_no_better_than_the_sample_submission_is_a_problem(checked_task):
    shutil.copy(checked_task / "public" / "sample_submission.csv", checked_task / "copy.csv")
    (checked_task / "baseline.py").write_text(
        "import shutil\nshutil.copy('public/sample_submission.csv', 'submission.csv')\n"
    )
    report = check_task(load_task(checked_task), sandbox="process")
    assert any("no better than sample_submission.csv" in p for p in report.problems)


def test_a_reference_solution_must_beat_the_baseline(checked_task):
    (checked_task / "reference.py").write_text(BASELINE)  # a tie is not a stronger solution
    report = check_task(load_task(checked_task), sandbox="process")
    assert any(
        "reference.py scores" in p and "no better than baseline.py" in p for p in report.problems
    )
    weak = BASELINE.replace('["a", "b", "c"]', '["b"]')  # y depends mostly on a
    (checked_task / "baseline.py").write_text(weak)
    report = check_task(load_task(checked_task), sandbox="process")
    assert report.ok, report.problems
    assert any(n.startswith("reference.py scores") for n in report.notes)


def test_answers_placed_in_public_are_found(checked_task):
    shutil.copy(checked_task / "private" / "answers.csv", checked_task / "public" / "answers.csv")
    report = check_task(load_task(checked_task), sandbox="process", run_baseline=False)
    assert any("a candidate can read hidden files" in p for p in report.problems)


def test_overlapping_splits_are_a_problem(checked_task):
    path = checked_task / "private" / "answers.csv"
    answers = pd.read_csv(path)
    answers.loc[answers["split"] == "select", "split"] = "search"
    answers.to_csv(path, index=False)
    with pytest.raises(TaskError, match=r"split .select. has no rows"):
        load_task(checked_task)


def test_score_submission_grades_every_split(checked_task):
    task = load_task(checked_task)
    answers = task.read_answers()
    path = checked_task / "perfect.csv"
    answers[["id", "y"]].to_csv(path, index=False)
    grade = score_submission(task, path)
    assert grade.valid and grade.scores == {"search": 1.0, "select": 1.0, "test": 1.0}


def test_broken_data_is_a_problem_and_the_baseline_is_not_run(checked_task):
    test = checked_task / "public" / "test.csv"
    pd.read_csv(test).drop(columns=["b"]).to_csv(test, index=False)
    report = check_task(load_task(checked_task), sandbox="process")
    assert report.problems == [
        "public/test.csv: feature column 'b' of train.csv is missing (a column only the training "
        "rows have by design goes in task.yaml's train_only_columns)"
    ]
    assert report.baseline_scores == {}


def test_a_crashing_baseline_is_reported_by_its_whole_last_line(checked_task):
    """A long traceback's tail is cut at a byte count; the problem is its exception line."""
    (checked_task / "baseline.py").write_text(
        "import sys\n"
        "for i in range(200):\n"
        "    print(f'  File \"deep.py\", line {i}, in frame_{i}', file=sys.stderr)\n"
        "raise ValueError('the column b is gone')\n"
    )
    report = check_task(load_task(checked_task), sandbox="process")
    assert report.problems == ["baseline.py failed (error): ValueError: the column b is gone"]
