"""Broken task data is refused in one line, naming the file and column, before any step."""

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml

from airlab.errors import TaskError
from airlab.tasks import load_task
from airlab.tasks.checks import Severity, check_task_data, require_task_data


def _public(root):
    return root / "public"


def _rewrite(path, change):
    frame = pd.read_csv(path)
    change(frame).to_csv(path, index=False)


def _set_fields(root, **fields):
    data = yaml.safe_load((root / "task.yaml").read_text())
    data.update(fields)
    (root / "task.yaml").write_text(yaml.safe_dump(data))


def _empty_train(root):
    (_public(root) / "train.csv").write_text("id,a,b,c,y\n")


def _train_without_target(root):
    _rewrite(_public(root) / "train.csv", lambda f: f.drop(columns=["y"]))


def _test_without_feature(root):
    _rewrite(_public(root) / "test.csv", lambda f: f.drop(columns=["b"]))


def _test_with_unknown_column(root):
    _rewrite(_public(root) / "test.csv", lambda f: f.assign(z=1.0))


def _duplicate_train_ids(root):
    _rewrite(_public(root) / "train.csv", lambda f: f.assign(id=[0] * len(f)))


def _no_train(root):
    (_public(root) / "train.csv").unlink()


def _zero_byte_train(root):
    (_public(root) / "train.csv").write_text("")


def _json_train_without_target(root):
    frame = pd.read_csv(_public(root) / "train.csv").drop(columns=["y"])
    (_public(root) / "train.json").write_text(frame.to_json(orient="records"))
    (_public(root) / "train.csv").unlink()


def _train_only_column(root):
    _rewrite(_public(root) / "train.csv", lambda f: f.assign(known_later=1))


BROKEN = [
    (_empty_train, "public/train.csv", "has no rows", None),
    (_zero_byte_train, "public/train.csv", "is empty", None),
    (_train_without_target, "public/train.csv", "target column 'y' is missing", "y"),
    (_test_without_feature, "public/test.csv", "feature column 'b' of train.csv is missing", "b"),
    (_test_with_unknown_column, "public/test.csv", "column 'z' is not in train.csv", "z"),
    (_duplicate_train_ids, "public/train.csv", "id '0' (column 'id') appears more than once", "id"),
    (_no_train, "public/train.csv", "file not found", None),
    (_json_train_without_target, "public/train.json", "target column 'y' is missing", "y"),
    (_train_only_column, "public/test.csv", "feature column 'known_later'", "known_later"),
]


@pytest.mark.parametrize(("breaking", "file", "message", "column"), BROKEN)
def test_broken_data_is_one_error_naming_file_and_column(
    make_task, breaking, file, message, column
):
    root = make_task()
    task = load_task(root)
    assert check_task_data(task).ok  # the tiny task is sound: the break alone fails it
    breaking(root)
    report = check_task_data(task)
    first = report.errors[0]
    assert (first.file, first.column) == (file, column)
    assert message in first.message
    with pytest.raises(TaskError) as error:
        require_task_data(task)
    text = str(error.value)
    assert "\n" not in text and text.startswith(f"{root / file}: ") and message in text


def test_declared_train_only_columns_and_targets_elsewhere_are_accepted(make_task):
    root = make_task()
    _train_only_column(root)
    _set_fields(root, train_only_columns=["known_later"])
    assert check_task_data(load_task(root)).ok
    _train_without_target(root)
    assert not check_task_data(load_task(root)).ok
    _set_fields(root, targets_in_train=False)  # e.g. forecasting histories
    assert check_task_data(load_task(root)).ok


def test_one_hot_targets_are_found_in_a_label_column(make_task):
    """One probability column per class (MLE-bench): the label column holds the classes."""
    root = make_task()
    task = load_task(root)
    task = replace(task, spec=task.spec.model_copy(update={"target_columns": ["0", "1"]}))
    _rewrite(_public(root) / "train.csv", lambda f: f.rename(columns={"y": "label"}))
    report = check_task_data(task)
    assert report.ok, [str(f) for f in report.errors]
    _rewrite(_public(root) / "train.csv", lambda f: f.assign(label="other"))
    assert "target column '0' is missing" in check_task_data(task).errors[0].message


def test_a_json_training_table_of_records_is_checked_like_a_csv(make_task):
    root = make_task()
    frame = pd.read_csv(_public(root) / "train.csv")
    (_public(root) / "train.csv").unlink()
    (_public(root) / "train.json").write_text(frame.to_json(orient="records"))
    assert check_task_data(load_task(root)).findings == ()
    records = json.loads((_public(root) / "train.json").read_text())
    records.append(records[0])
    (_public(root) / "train.json").write_text(json.dumps(records))
    assert "appears more than once" in check_task_data(load_task(root)).errors[0].message


def test_what_cannot_be_checked_is_a_note_not_a_refusal(make_task):
    """Image competitions: no training table, test.csv holds ids; a JSON that is no table."""
    root = make_task()
    public = _public(root)
    (public / "train.csv").unlink()
    (public / "train").mkdir()
    report = check_task_data(load_task(root))
    assert report.ok and "training data not checked" in report.notes[0].message
    (public / "train.json").write_text('{"not": "records"}')
    report = check_task_data(load_task(root))
    assert report.ok and report.notes[0].file == "public/train.json"
    (public / "train.json").unlink()
    pd.DataFrame({"id": range(5), "y": [0, 1, 0, 1, 0]}).to_csv(public / "train.csv", index=False)
    _rewrite(public / "test.csv", lambda f: f[["id"]])
    assert "holds ids alone" in check_task_data(load_task(root)).errors[0].message
    (public / "test").mkdir()  # the inputs are files
    report = check_task_data(load_task(root))
    assert report.ok and report.notes[0].severity == Severity.NOTE


def test_cli_run_refuses_broken_data_before_a_run_folder_exists(make_task, tmp_path):
    root = make_task()
    _test_without_feature(root)
    result = subprocess.run(
        [sys.executable, "-m", "airlab", "run", "--task", str(root), "--steps", "2",
         "--runs-dir", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "public/test.csv: feature column 'b' of train.csv is missing" in lines[0]
    assert not (tmp_path / "runs").exists()


def test_mlebench_json_layout_is_checked_against_its_test_json(make_task):
    """random-acts-of-pizza's layout: train.json records with fields the test rows lack,
    test inputs in test.json, and test.csv of ids alone."""
    root = make_task()
    public = _public(root)
    train = pd.read_csv(public / "train.csv").assign(known_later=1)
    (public / "train.json").write_text(train.to_json(orient="records"))
    (public / "train.csv").unlink()
    test = pd.read_csv(public / "test.csv")
    (public / "test.json").write_text(test.to_json(orient="records"))
    test[["id"]].to_csv(public / "test.csv", index=False)
    report = check_task_data(load_task(root))
    assert str(report.errors[0]).startswith(
        "public/test.json: feature column 'known_later' of train.json is missing"
    )
    _set_fields(root, train_only_columns=["known_later"])  # what the importer declares
    assert check_task_data(load_task(root)).findings == ()
    records = json.loads((public / "train.json").read_text())
    for record in records:
        del record["y"]
    (public / "train.json").write_text(json.dumps(records))
    assert str(check_task_data(load_task(root)).errors[0]).startswith(
        "public/train.json: target column 'y' is missing"
    )


def test_importers_declare_what_the_benchmark_lays_out_by_design(tmp_path):
    """A training column the test rows lack, and targets the training rows do not hold, are
    written into task.yaml, so the imported folder passes the check it would otherwise fail."""
    from airlab.tasks.importers.common import Imported, SplitChoice, write_task
    from airlab.tasks.spec import SplitSource

    rng = np.random.default_rng(0)
    n = 30
    test = pd.DataFrame({"id": [f"t{i}" for i in range(n)], "a": rng.normal(size=n)})
    answers = pd.DataFrame({"id": test["id"], "y": rng.normal(size=n)})
    train = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "a": rng.normal(size=n)})
    spec = {
        "name": "imp",
        "title": "Imported",
        "type": "other",
        "metric": "rmse",
        "direction": "minimize",
        "id_column": "id",
        "target_columns": ["y"],
    }
    held_out = SplitChoice(SplitSource.HELD_OUT)

    def imported(train_frame):
        sample = answers.assign(y=0.0)
        return Imported(spec, "d", "id", test, answers, train=train_frame, sample=sample)

    task = write_task(tmp_path / "one", imported(train.assign(y=1.0, later=2)), held_out)
    assert task.spec.train_only_columns == ["later"] and task.spec.targets_in_train
    assert check_task_data(task).findings == ()
    task = write_task(tmp_path / "two", imported(train), held_out)  # histories, no targets
    assert task.spec.train_only_columns == [] and not task.spec.targets_in_train
    assert check_task_data(task).findings == ()


def test_gym_environment_refuses_broken_data_when_constructed(make_task, tmp_path):
    pytest.importorskip("gymnasium")
    from airlab.gym import make

    root = make_task()
    _empty_train(root)
    with pytest.raises(TaskError, match=r"public/train\.csv: has no rows"):
        make(str(root), runs_dir=tmp_path / "gym")
    assert not (tmp_path / "gym").exists()
