"""MLGym import against a fixture in the repository's real layout (tests/tasks/fixtures/mlgym):
`configs/tasks/*.yaml` with `dataset_configs` → `configs/datasets/*.yaml` → `data_path`,
labels in `ground_truth.csv` / `answer.csv`, `{dataset_docs}`, `baseline_scores`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from airlab.curation import check_task
from airlab.errors import TaskError
from airlab.grading.grader import Grader
from airlab.tasks.importers.mlgym import import_mlgym
from airlab.tasks.spec import ScoreOf
from airlab.tasks.task import SPLITS

ROOT = Path(__file__).parent / "fixtures" / "mlgym"
TASKS = ROOT / "configs" / "tasks"


def test_titanic_reads_data_path_and_never_publishes_its_answer_like_sample(tmp_path):
    task = import_mlgym(TASKS / "titanic.yaml", tmp_path / "t")
    assert task.spec.metric == "accuracy" and task.spec.id_column == "PassengerId"
    assert task.spec.baseline.score == pytest.approx(0.76555)
    assert task.spec.baseline.of == ScoreOf.REPORTED
    # MLGym's titanic sample_submission.csv is the ground truth itself: airlab builds its own
    truth = pd.read_csv(ROOT / "data/titanic/data/ground_truth.csv")
    sample = pd.read_csv(task.public_dir / "sample_submission.csv")
    merged = truth.merge(sample, on="PassengerId", suffixes=("", "_sample"))
    assert len(merged) == len(truth)
    assert (merged["Survived"] != merged["Survived_sample"]).any()  # not the answers
    assert not (task.public_dir / "ground_truth.csv").exists()
    assert not (task.root / "public" / "evaluate.py").exists()
    answers = task.read_answers()
    assert sorted(answers.loc[answers["split"] == "test", "PassengerId"].astype(int)) == sorted(
        truth["PassengerId"]
    )


def test_dataset_docs_are_rendered_like_mlgym(tmp_path):
    task = import_mlgym(TASKS / "regressionKaggleHousePrice.yaml", tmp_path / "t")
    assert "{dataset_docs}" not in task.description
    assert "KAGGLEHOUSINGPRICE:\nMSSubClass" in task.description
    assert (task.public_dir / "validation.csv").is_file()
    assert not (task.public_dir / "answer.csv").exists()
    assert task.spec.metric == "rmse" and task.spec.baseline.score == pytest.approx(
        30340.1118, 1e-6
    )


def test_own_evaluate_script_grades_in_a_subprocess_like_the_registered_metric(tmp_path):
    own = import_mlgym(
        TASKS / "regressionKaggleHousePriceL1.yaml", tmp_path / "own", metric="evaluate"
    )
    registered = import_mlgym(TASKS / "regressionKaggleHousePriceL1.yaml", tmp_path / "reg")
    assert own.spec.grader == "grade.py" and own.spec.metric == "mlgym:rmse"
    assert own.spec.direction == "minimize"
    submission = own.sample_submission_path.read_bytes()
    ours = Grader(own).grade(submission, SPLITS)
    theirs = Grader(registered).grade(submission, SPLITS)
    assert ours.valid, ours.reason
    for split in SPLITS:
        assert ours.scores[split] == pytest.approx(theirs.scores[split])
        alone = Grader(own).grade(submission, [split])  # one split: grade(), not grade_many()
        assert alone.scores[split] == pytest.approx(theirs.scores[split])


def test_imported_mlgym_tasks_pass_task_check_as_is(tmp_path):
    for name in ("titanic", "regressionKaggleHousePrice"):
        report = check_task(
            import_mlgym(TASKS / f"{name}.yaml", tmp_path / name), sandbox="process"
        )
        assert report.ok, (name, report.problems)


def test_hub_dataset_is_refused_in_one_line(tmp_path):
    config = tmp_path / "configs" / "tasks" / "fmnist.yaml"
    config.parent.mkdir(parents=True)
    (tmp_path / "configs" / "datasets").mkdir()
    (tmp_path / "configs" / "datasets" / "fashionMnistHF.yaml").write_text(
        "data_path: zalando-datasets/fashion_mnist\nis_local: false\nname: Fashion MNIST\n"
    )
    config.write_text(
        "id: imageClassificationFMnist\nname: FMNIST\ndescription: x\n"
        "dataset_configs:\n- datasets/fashionMnistHF.yaml\nbaseline_scores:\n- accuracy: 0.8\n"
    )
    with pytest.raises(TaskError, match="Hugging Face hub"):
        import_mlgym(config, tmp_path / "t")


@pytest.mark.parametrize(
    ("name", "submits"),
    [
        ("rlBreakoutMinAtar", "a model checkpoint"),
        (
            "battleOfSexes",
            "Python code (evaluate.py imports the agent's edits of its starter code: `target.py`, "
            "`strategy.py`)",
        ),
        ("languageModelingFineWeb", "a trained language model"),
    ],
)
def test_tasks_without_a_csv_submission_are_refused_with_what_they_submit(tmp_path, name, submits):
    with pytest.raises(TaskError) as caught:
        import_mlgym(TASKS / f"{name}.yaml", tmp_path / "t")
    message = str(caught.value)
    assert "\n" not in message and f"{name}.yaml" in message
    assert submits in message and "airlab grades CSV submissions only" in message
    assert not (tmp_path / "t").exists()


def test_a_csv_task_whose_data_is_not_a_csv_table_says_so(tmp_path):
    with pytest.raises(TaskError, match=r"has no train\.csv or test\.csv .*_images\.parquet"):
        import_mlgym(TASKS / "imageCaptioningCOCO.yaml", tmp_path / "t")


def _edited(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of the fixture repository with one line of one task config changed."""
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(ROOT, root)
    config = root / "configs" / "tasks" / f"{name}.yaml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new))
    return config


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("training_timeout: 3600", "training_timeout: an hour", "field 'training_timeout'"),
        ("training_timeout: 3600", "training_timeout: -5", "field 'training_timeout'"),
        ("Accuracy: 0.76555", "Accuracy: high", "field 'baseline_scores.0.Accuracy'"),
        ("evaluation_read_only: true", "evaluation_readonly: true", "'evaluation_readonly'"),
    ],
)
def test_a_bad_config_value_is_one_line_naming_file_and_field(tmp_path, old, new, expected):
    config = _edited(tmp_path, "titanic", old, new)
    with pytest.raises(TaskError) as caught:
        import_mlgym(config, tmp_path / "t")
    message = str(caught.value)
    assert "\n" not in message and str(config) in message and expected in message


def test_training_timeout_becomes_the_candidate_time_limit(tmp_path):
    config = _edited(tmp_path, "titanic", "training_timeout: 3600", "training_timeout: 1234")
    assert import_mlgym(config, tmp_path / "t").spec.limits.time_s == 1234


def test_an_unregistered_metric_key_fails_at_import_with_a_suggestion(tmp_path):
    config = _edited(tmp_path, "titanic", "Accuracy: 0.76555", "Acuracy: 0.76555")
    with pytest.raises(
        TaskError,
        match=r"'Acuracy' names no registered metric \(did you mean "
        r"'accuracy'\?\); pass --metric NAME, or --metric evaluate",
    ):
        import_mlgym(config, tmp_path / "t")
    with pytest.raises(TaskError, match=r"option --metric: unknown metric 'acuracy'; did you mean"):
        import_mlgym(config, tmp_path / "t", metric="acuracy")
    assert not (tmp_path / "t").exists()


@pytest.mark.slow
def test_evaluate_key_missing_from_its_output_fails_at_import_not_in_the_run(tmp_path):
    config = _edited(tmp_path, "regressionKaggleHousePriceL1", "- rmse: 30340", "- RMSE: 30340")
    with pytest.raises(TaskError) as caught:
        import_mlgym(config, tmp_path / "t", metric="evaluate")
    message = str(caught.value)
    assert "evaluate.py printed no 'RMSE'" in message and "did you mean 'rmse'?" in message
    assert "\n" not in message and not (tmp_path / "t").exists()
