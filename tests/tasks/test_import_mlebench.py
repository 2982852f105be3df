"""MLE-bench import against a fixture in the real layout (tests/tasks/fixtures/mle-bench*):
a clone with `mlebench/competitions/ID/{config.yaml,grade.py,classes.py,leaderboard.csv}`, the
lite split file as it is in the repository, and the data folder `mlebench prepare` writes."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from airlab.curation import check_task
from airlab.errors import TaskError
from airlab.evaluation.scores import medal, medal_thresholds
from airlab.grading.grader import Grader
from airlab.tasks.importers.common import SplitChoice
from airlab.tasks.importers.mlebench import (
    import_mlebench,
    import_mlebench_split,
    leaderboard_direction,
)
from airlab.tasks.spec import ScoreOf, SplitSource
from airlab.tasks.task import SPLITS

FIXTURES = Path(__file__).parent / "fixtures"
CLONE = FIXTURES / "mle-bench"
DATA = FIXTURES / "mle-bench-data"
BOARDS = FIXTURES / "leaderboards"
SPOOKY = "spooky-author-identification"
LEAF = "leaf-classification"
NOMAD = "nomad2018-predict-transparent-conductors"
PIZZA = "random-acts-of-pizza"


@pytest.fixture
def mlebench(monkeypatch):
    """The fixture clone's `mlebench` package importable, as after `pip install -e` of a clone."""
    monkeypatch.syspath_prepend(str(CLONE))
    yield
    for name in [m for m in sys.modules if m == "mlebench" or m.startswith("mlebench.")]:
        del sys.modules[name]
    importlib.invalidate_caches()


def _import(tmp_path: Path, competition: str, **kwargs):
    return import_mlebench(competition, tmp_path / competition, data_dir=DATA, **kwargs)


def test_lfs_pointer_leaderboard_is_one_line_naming_the_fix(tmp_path, mlebench):
    with pytest.raises(TaskError) as error:
        _import(tmp_path, SPOOKY)
    message = str(error.value)
    assert "Git LFS pointer" in message and "--leaderboard FILE" in message
    assert "\n" not in message


def test_test_set_stays_whole_and_search_select_come_from_training_rows(tmp_path, mlebench):
    task = _import(tmp_path, SPOOKY, leaderboard=BOARDS / f"{SPOOKY}.csv")
    answers = task.read_answers()
    competition_test = pd.read_csv(DATA / SPOOKY / "prepared/private/test.csv", dtype={"id": str})
    test_rows = answers[answers["split"] == "test"]
    assert sorted(test_rows["id"]) == sorted(competition_test["id"])
    original_train = pd.read_csv(DATA / SPOOKY / "prepared/public/train.csv", dtype={"id": str})
    public_train = pd.read_csv(task.public_dir / "train.csv", dtype={"id": str})
    moved = answers[answers["split"] != "test"]
    assert set(moved["split"]) == {"search", "select"}
    assert set(moved["id"]) <= set(original_train["id"])
    assert not set(moved["id"]) & set(public_train["id"])
    assert len(public_train) + len(moved) == len(original_train)
    # the moved rows' answers are one-hot from the training label column, as MLE-bench writes them
    truth = original_train.set_index("id").loc[moved["id"], "author"]
    assert (moved.set_index("id")[["EAP", "HPL", "MWS"]].idxmax(axis=1) == truth).all()
    assert task.spec.hidden_splits.source == SplitSource.TRAIN
    assert task.spec.hidden_splits.seed == 20240701


def test_test_score_is_the_competition_graders_on_its_whole_test_set(tmp_path, mlebench):
    task = _import(tmp_path, LEAF)
    grade_module = importlib.import_module(f"mlebench.competitions.{LEAF}.grade")
    sample = pd.read_csv(DATA / LEAF / "prepared/public/sample_submission.csv")
    answers = pd.read_csv(DATA / LEAF / "prepared/private/test.csv")
    theirs = grade_module.grade(sample, answers)  # MLE-bench's own call, relative imports and all
    assert task.spec.grade_fn == f"mlebench.competitions.{LEAF}.grade:grade"
    assert task.spec.baseline.of == ScoreOf.SAMPLE_SUBMISSION
    assert task.spec.baseline.score == pytest.approx(theirs)
    grade = Grader(task).grade(task.sample_submission_path.read_bytes(), SPLITS)
    assert grade.valid and grade.scores["test"] == pytest.approx(theirs)


def test_colliding_ids_of_moved_training_rows_are_renumbered(tmp_path, mlebench):
    task = _import(tmp_path, NOMAD)  # MLE-bench numbers train and test ids from 1 each
    ids = pd.read_csv(task.public_dir / "test.csv")["id"]
    assert ids.is_unique
    answers = task.read_answers()
    assert len(answers[answers["split"] == "test"]) == 30
    assert task.spec.target_columns == ["formation_energy_ev_natom", "bandgap_energy_ev"]


def test_imported_competition_passes_task_check_as_is(tmp_path, mlebench):
    task = _import(tmp_path, NOMAD)
    report = check_task(task, sandbox="process")
    assert report.ok, report.problems
    assert report.baseline_scores["test"] == pytest.approx(task.spec.baseline.score)


def test_held_out_choice_cuts_the_three_splits_from_the_test_rows(tmp_path, mlebench):
    choice = SplitChoice(source=SplitSource.HELD_OUT, seed=3)
    task = _import(tmp_path, NOMAD, splits=choice)
    answers = task.read_answers()
    assert len(answers) == 30 and set(answers["split"]) == set(SPLITS)
    assert len(pd.read_csv(task.public_dir / "train.csv")) == 150


def test_lite_split_imports_what_is_prepared(tmp_path, mlebench):
    result = import_mlebench_split("lite", tmp_path / "lite", data_dir=DATA)
    assert sorted(result.imported) == [LEAF, NOMAD, PIZZA]
    assert list(result.failed) == [SPOOKY] and "LFS pointer" in result.failed[SPOOKY]
    assert len(result.skipped) == 18  # the rest of the 22 lite ids: not prepared here
    again = import_mlebench_split("lite", tmp_path / "again", data_dir=DATA, leaderboards=BOARDS)
    assert sorted(again.imported) == [LEAF, NOMAD, PIZZA, SPOOKY] and not again.failed


def test_without_mlebench_installed_the_error_says_how_to_install(tmp_path):
    with pytest.raises(TaskError, match=r"pip install -e PATH/TO/mle-bench"):
        import_mlebench(CLONE / "mlebench/competitions" / LEAF, tmp_path / "t", data_dir=DATA)


def test_direction_follows_mlebench_is_lower_better():
    assert leaderboard_direction(pd.Series([0.1, 0.2, 0.3])) == "minimize"
    assert leaderboard_direction(pd.Series([0.9, 0.5, 0.1])) == "maximize"
    assert leaderboard_direction(pd.Series([0.5, 0.4, 0.5])) == "maximize"  # top == bottom


def test_cli_imports_the_lite_split(tmp_path):
    # the clone first, then the path the tests run with (so the airlab under test is the one run)
    path = os.pathsep.join(p for p in (str(CLONE), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-m", "airlab", "task", "import", "--from", "mlebench", "--all", "lite",
         str(tmp_path / "lite"), "--data", str(DATA), "--leaderboard", str(BOARDS)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "lite: 4 imported, 18 skipped, 0 failed" in result.stdout


def _copy_competition(tmp_path: Path, competition: str) -> tuple[Path, Path]:
    """A writable copy of the fixture clone and data folder."""
    clone, data = tmp_path / "clone", tmp_path / "data"
    shutil.copytree(CLONE, clone)
    shutil.copytree(DATA / competition, data / competition)
    return clone, data


def test_config_names_the_sample_and_answers_files(tmp_path, mlebench):
    # some competitions name them sampleSubmission.csv and answers.jsonl-style files
    clone, data = _copy_competition(tmp_path, NOMAD)
    prepared = data / NOMAD / "prepared"
    (prepared / "public" / "sample_submission.csv").rename(prepared / "public/sampleSubmission.csv")
    answers = pd.read_csv(prepared / "private" / "test.csv")
    answers.to_json(prepared / "private" / "test.jsonl", orient="records", lines=True)
    config_path = clone / "mlebench/competitions" / NOMAD / "config.yaml"
    config = config_path.read_text()
    config = config.replace("public/sample_submission.csv", "public/sampleSubmission.csv")
    config = config.replace("private/test.csv", "private/test.jsonl")
    config_path.write_text(config)
    task = import_mlebench(NOMAD, tmp_path / "t", clone=clone, data_dir=data)
    assert task.spec.sample_submission == "sampleSubmission.csv"
    assert (task.public_dir / "sampleSubmission.csv").is_file()
    assert not (task.public_dir / "sample_submission.csv").exists()
    assert "public/sampleSubmission.csv" in task.description
    assert len(task.read_answers()) == 30 + 30  # 30 test rows, 30 moved training rows


def test_medals_on_the_imported_leaderboard_follow_mlebench_rank_score(tmp_path, mlebench):
    task = _import(tmp_path, SPOOKY, leaderboard=BOARDS / f"{SPOOKY}.csv")
    scores = task.leaderboard_scores()
    assert len(scores) == 300  # MLE-bench: 250 <= N < 1000 → places 10 + int(0.002 N), 50, 100
    thresholds = medal_thresholds(scores, task.spec.direction)
    csv_order = pd.read_csv(BOARDS / f"{SPOOKY}.csv")["score"]
    assert thresholds.gold == csv_order.iloc[10 + int(300 * 0.002) - 1]
    assert thresholds.silver == csv_order.iloc[50 - 1]
    assert thresholds.bronze == csv_order.iloc[100 - 1]
    assert thresholds.median == csv_order.median()
    assert medal(thresholds.silver, scores, task.spec.direction).name == "silver"
    assert task.spec.reference.score == csv_order.min()  # the leaderboard's best (log loss)


def test_a_failed_import_leaves_no_folder_behind(tmp_path, mlebench):
    clone, data = _copy_competition(tmp_path, NOMAD)
    sample = data / NOMAD / "prepared/public/sample_submission.csv"
    pd.read_csv(sample).drop(columns="bandgap_energy_ev").assign(bandgap_energy_ev=-1.0).to_csv(
        sample, index=False
    )  # negative predictions: MLE-bench's RMSLE grader rejects the sample submission
    with pytest.raises(TaskError, match="not a valid submission"):
        import_mlebench(NOMAD, tmp_path / "t", clone=clone, data_dir=data)
    assert not (tmp_path / "t").exists()


def test_an_archived_copy_of_train_is_not_published_when_rows_move(tmp_path, mlebench):
    clone, data = _copy_competition(tmp_path, NOMAD)
    public = data / NOMAD / "prepared" / "public"
    shutil.make_archive(str(public / "train.csv"), "zip", public, "train.csv")  # train.csv.zip
    (public / "test.zip").write_bytes(b"")
    task = import_mlebench(NOMAD, tmp_path / "t", clone=clone, data_dir=data)
    assert not (task.public_dir / "train.csv.zip").exists()  # it holds the moved rows' labels
    assert (task.public_dir / "test.zip").exists()
    held_out = SplitChoice(source=SplitSource.HELD_OUT)
    kept = import_mlebench(NOMAD, tmp_path / "h", clone=clone, data_dir=data, splits=held_out)
    assert (kept.public_dir / "train.csv.zip").exists()


def _records(path: Path) -> list[dict]:
    import json

    return json.loads(path.read_text())


def test_json_training_table_keeps_mlebench_layout_and_the_test_set_whole(tmp_path, mlebench):
    """random-acts-of-pizza: `train.json` and `test.json` stay JSON in `public/`; search and
    select come out of the training objects (their labels 0/1 as the answers hold them)."""
    task = _import(tmp_path, PIZZA)
    public = DATA / PIZZA / "prepared" / "public"
    source_train, source_test = _records(public / "train.json"), _records(public / "test.json")
    train, test = _records(task.public_dir / "train.json"), _records(task.public_dir / "test.json")
    assert task.spec.hidden_splits.source == SplitSource.TRAIN
    assert list(train[0]) == list(source_train[0])  # the objects' fields, in their order
    by_id = {r["request_id"]: r for r in source_train}
    assert all(row == by_id[row["request_id"]] for row in train)  # values as they were
    assert "NaN" not in (task.public_dir / "train.json").read_text()  # nulls stay null
    assert isinstance(train[0]["requester_subreddits_at_request"], list)
    assert isinstance(train[0]["requester_received_pizza"], bool)
    assert set(test[0]) == set(source_test[0])  # test objects keep only the request-time fields
    moved = len(source_train) - len(train)
    assert moved == round(0.2 * len(source_train))
    assert len(test) == len(source_test) + moved
    ids = pd.read_csv(task.public_dir / "test.csv")
    assert list(ids.columns) == ["request_id"]
    assert sorted(ids["request_id"]) == sorted(r["request_id"] for r in test)
    answers = task.read_answers()
    assert set(answers["requester_received_pizza"].astype(int)) <= {0, 1}
    whole = answers[answers["split"] == "test"]
    assert sorted(whole["request_id"]) == sorted(r["request_id"] for r in source_test)
    # no public copy holds the moved rows' labels; the zipped tables would be stale
    assert not (task.public_dir / "train.zip").exists()
    assert not (task.public_dir / "test.zip").exists()
    assert "`public/train.json`" in task.description and "`public/test.json`" in task.description
    assert task.spec.baseline.of == ScoreOf.SAMPLE_SUBMISSION
    assert task.spec.baseline.score == pytest.approx(0.5)  # all-zero sample: AUC 0.5
    assert check_task(task, sandbox="process").ok
    # the offline templates read the inputs where they are: test.json, not the ids-only test.csv
    from airlab.backends.templates.shape import shape_of

    shape = shape_of(task)
    assert (shape.train_file, shape.test_file) == ("train.json", "test.json")


def test_json_training_table_with_held_out_splits_is_copied_as_it_is(tmp_path, mlebench):
    choice = SplitChoice(source=SplitSource.HELD_OUT)
    task = _import(tmp_path, PIZZA, splits=choice)
    public = DATA / PIZZA / "prepared" / "public"
    for name in ("train.json", "train.zip", "test.zip"):
        assert (task.public_dir / name).read_bytes() == (public / name).read_bytes(), name
    assert _records(task.public_dir / "test.json") == _records(public / "test.json")


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_json_tables_are_written_back_as_they_were_read(tmp_path, suffix):
    import json

    from airlab.tasks.importers.common import read_table, write_table

    rows = [
        {"request_id": "t3_a", "n": 3, "flair": None, "ok": True, "subs": ["pics"], "x": 1.5},
        {"request_id": "t3_b", "n": None, "flair": "shroom", "ok": False, "subs": [], "x": 2.0},
    ]
    source = tmp_path / f"train{suffix}"
    if suffix == ".json":
        source.write_text(json.dumps(rows, indent=4))
    else:
        source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    again = tmp_path / f"again{suffix}"
    write_table(read_table(source), again)
    assert again.read_text() == source.read_text()
    source.write_text('{"not": "a list"}' if suffix == ".json" else "{broken\n")
    with pytest.raises(TaskError, match=f"train{suffix}: "):
        read_table(source)
