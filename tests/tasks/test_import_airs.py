"""AIRS-Bench import against a fixture in the repository's real layout
(tests/tasks/fixtures/airs-bench/airsbench/tasks/rad/NAME): metadata.yaml, project_description.md,
evaluate.py importing `datasets` (and `torch`), data/ as prepare.py and evaluate_prepare.py
write it (CSV exports)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from airlab.curation import check_task
from airlab.errors import TaskError
from airlab.grading.grader import Grader
from airlab.tasks.importers.airs import import_airs
from airlab.tasks.spec import SplitSource
from airlab.tasks.task import SPLITS

RAD = Path(__file__).parent / "fixtures" / "airs-bench" / "airsbench" / "tasks" / "rad"
YELP = RAD / "SentimentAnalysisYelpReviewFullAccuracy"
SICK = RAD / "TextualSimilaritySickSpearmanCorrelation"


def test_metadata_scores_and_own_evaluate_are_kept(tmp_path):
    task = import_airs(SICK, tmp_path / "t")
    assert task.spec.reference.score == 0.854
    assert task.spec.optimal_score == 1.0 and task.spec.worst_score == pytest.approx(-0.5870786)
    assert task.spec.metric == "airs:SpearmanCorrelation" and task.spec.direction == "maximize"
    assert (task.root / "airs" / "evaluate.py").is_file()  # imports torch and datasets
    assert not (task.root / "airs" / "prepare.py").exists()
    # the test set is AIRS's whole test split; search and select come from its training rows
    answers = task.read_answers()
    assert (answers["split"] == "test").sum() == len(pd.read_csv(SICK / "data/test.csv"))
    assert task.spec.hidden_splits.source == SplitSource.TRAIN


def test_evaluate_py_grades_in_a_subprocess_without_datasets_installed(tmp_path):
    task = import_airs(YELP, tmp_path / "t")
    answers = task.read_answers()
    perfect = answers[["id", "label"]]
    grade = Grader(task).grade(perfect, SPLITS)
    assert grade.valid, grade.reason
    assert grade.scores == {split: 1.0 for split in SPLITS}
    # all splits go to evaluate.py in one subprocess (grade_many); one split alone, the same
    sample = task.sample_submission_path.read_bytes()
    together = Grader(task).grade(sample, SPLITS).scores
    alone = {split: Grader(task).grade(sample, [split]).scores[split] for split in SPLITS}
    assert together == pytest.approx(alone)


def test_description_says_where_the_data_really_is(tmp_path):
    task = import_airs(YELP, tmp_path / "t")
    note, original = task.description.split("# Overview", 1)
    assert "overrides the description below" in note and "public/train.csv" in note
    assert "load_from_disk('./data/train')" in original  # AIRS's text is kept, after the note


def _variant(tmp_path: Path, source: Path, edit) -> Path:
    folder = tmp_path / source.name
    shutil.copytree(source, folder)
    edit(folder)
    return folder


def test_list_valued_scoring_column_and_sibling_modules(tmp_path):
    def edit(folder: Path) -> None:
        meta = yaml.safe_load((folder / "metadata.yaml").read_text())
        meta["logging_info"]["scoring_column"] = ["label"]  # as the time-series tasks write it
        (folder / "metadata.yaml").write_text(yaml.safe_dump(meta))
        (folder / "utils.py").write_text(
            "from datasets import Dataset\n\n\ndef as_ints(xs):\n    return [int(x) for x in xs]\n"
        )
        script = (folder / "evaluate.py").read_text()
        script = script.replace(
            "import pandas as pd\n", "import pandas as pd\nfrom utils import as_ints\n"
        )
        script = script.replace(
            "labels = [int(x)", "labels = as_ints(labels)\n    labels = [int(x)"
        )
        (folder / "evaluate.py").write_text(script)

    task = import_airs(_variant(tmp_path, YELP, edit), tmp_path / "t")
    assert task.spec.target_columns == ["label"]
    assert (task.root / "airs" / "utils.py").is_file()
    assert Grader(task).grade(task.read_answers()[["id", "label"]], SPLITS).valid


def test_hugging_face_folders_need_datasets_or_a_csv_export(tmp_path, monkeypatch):
    def edit(folder: Path) -> None:
        (folder / "data" / "train.csv").unlink()
        (folder / "data" / "train").mkdir()
        (folder / "data" / "train" / "state.json").write_text("{}")

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "datasets" else real_find_spec(name, *a),
    )
    with pytest.raises(TaskError, match="pip install datasets"):
        import_airs(_variant(tmp_path, YELP, edit), tmp_path / "t")


def test_a_hugging_face_folder_is_read_with_datasets(tmp_path):
    """The split as prepare.py leaves it with `save_to_disk` (Arrow files), not a CSV."""
    datasets = pytest.importorskip("datasets")
    train = pd.read_csv(YELP / "data" / "train.csv")

    def edit(folder: Path) -> None:
        (folder / "data" / "train.csv").unlink()
        datasets.Dataset.from_pandas(train).save_to_disk(str(folder / "data" / "train"))

    from_arrow = import_airs(_variant(tmp_path / "hf", YELP, edit), tmp_path / "t-hf")
    from_csv = import_airs(YELP, tmp_path / "t-csv")
    for name in ("train.csv", "test.csv"):
        assert (from_arrow.public_dir / name).read_bytes() == (
            from_csv.public_dir / name
        ).read_bytes()
    assert from_arrow.read_answers().equals(from_csv.read_answers())


def test_imported_airs_tasks_pass_task_check_as_is(tmp_path):
    # through the API; every fixture is imported and checked through the command line in
    # test_unaided_airs.py
    report = check_task(import_airs(YELP, tmp_path / YELP.name), sandbox="process")
    assert report.ok, report.problems


def test_numpy_reprs_in_a_csv_export_are_refused_and_jsonl_exports_keep_lists(tmp_path):
    train = pd.read_csv(YELP / "data" / "train.csv")

    def reprs(folder: Path) -> None:  # what Dataset.to_csv writes for a list feature
        train.assign(counts=["[6 6 8 1]"] * len(train)).to_csv(folder / "data" / "train.csv")

    with pytest.raises(TaskError, match=r"column 'counts' holds numpy reprs.*to_json\('train"):
        import_airs(_variant(tmp_path / "reprs", YELP, reprs), tmp_path / "t")

    def jsonl(folder: Path) -> None:
        (folder / "data" / "train.csv").unlink()
        rows = train.assign(counts=[[6, 6, 8, i] for i in range(len(train))])
        rows.to_json(folder / "data" / "train.jsonl", orient="records", lines=True)

    task = import_airs(_variant(tmp_path / "jsonl", YELP, jsonl), tmp_path / "t2")
    written = pd.read_csv(task.public_dir / "train.csv")["counts"]
    assert written.str.fullmatch(r"\[6, 6, 8, \d+\]").all()  # JSON lists, read back exactly
