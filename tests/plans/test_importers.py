"""Importers: research-plan-gen records (JSONL, Parquet) and PaperBench trees become task folders
that read back with the shared rubric model."""

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from airlab.errors import TaskError
from airlab.plans.folder import PlanKind, PlanTaskDraft, slug, write_plan_task
from airlab.plans.importers import (
    import_paperbench,
    import_rpg,
    load_paperbench_rubric,
    rubric_from_paperbench,
)
from airlab.plans.rubric import Rubric, RubricItem, load_rubric, tree_score

RECORDS = [
    {
        "Goal": "Find out whether warm restarts help. Keep compute fixed.",
        "Rubric": ["Compares at equal compute", "Uses several seeds", "Reports variance"],
        "Reference solution": "Train with and without restarts at equal budget.",
    },
    {
        "goal": "Measure label noise robustness.\nUse two datasets.",
        "rubric": ["Injects noise at several rates", "Uses two datasets", "Has a clean baseline"],
        "reference_solution": "Corrupt labels symmetrically.",
        "article_id": "abc",
    },
]


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def test_rpg_jsonl_records_become_task_folders(tmp_path: Path) -> None:
    folders = import_rpg(_jsonl(tmp_path / "ml-test.jsonl", RECORDS), tmp_path / "out")
    assert [f.name for f in folders] == ["plan-ml-test-001", "plan-ml-test-002"]
    spec = yaml.safe_load((folders[0] / "task.yaml").read_text())
    assert spec["kind"] == "plan" and spec["title"] == "Find out whether warm restarts help"
    assert "hidden_splits" in spec and isinstance(spec["hidden_splits"]["seed"], int)
    rubric = load_rubric(folders[1] / "private" / "rubric.yaml")
    assert [leaf.text for leaf in rubric.leaves()] == RECORDS[1]["rubric"]
    assert (folders[1] / "description.md").read_text().startswith("Measure label noise")
    assert (folders[0] / "private" / "reference.md").read_text().startswith("Train with")
    assert "id abc" in yaml.safe_load((folders[1] / "task.yaml").read_text())["source"]
    assert not (folders[0] / "public").exists()  # nothing for the agent beyond the goal


def test_rpg_parquet_reads_like_jsonl(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "train.parquet"
    pd.DataFrame(RECORDS[:1]).to_parquet(path)
    (folder,) = import_rpg(path, tmp_path / "out", prefix="rpg")
    assert folder.name == "plan-rpg-001"
    leaves = load_rubric(folder / "private" / "rubric.yaml").leaves()
    assert [leaf.text for leaf in leaves] == RECORDS[0]["Rubric"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"Rubric": ["a"]}, "record 1: no 'Goal'"),
        ({"Goal": "g"}, "no 'Rubric'"),
        ({"Goal": "g", "Rubric": ["a", ""]}, r"'Rubric'\[1\]"),
        ({"Goal": "g", "Rubric": 3}, "expected a list"),
    ],
)
def test_a_bad_record_is_one_line_naming_it(tmp_path: Path, record: dict, message: str) -> None:
    with pytest.raises(TaskError, match=message):
        import_rpg(_jsonl(tmp_path / "x.jsonl", [record]), tmp_path / "out")


def test_a_broken_jsonl_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps(RECORDS[0]) + "\n{not json\n")
    with pytest.raises(TaskError, match=r"x\.jsonl:2: not valid JSON"):
        import_rpg(path, tmp_path / "out")


def test_an_existing_folder_is_not_overwritten_unless_asked(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "x.jsonl", RECORDS[:1])
    import_rpg(path, tmp_path / "out")
    with pytest.raises(TaskError, match="already a task folder"):
        import_rpg(path, tmp_path / "out")
    import_rpg(path, tmp_path / "out", overwrite=True)


def _pb_leaf(text: str, weight: int, category: str | None = "Code Development") -> dict:
    return {
        "id": text,
        "requirements": text,
        "weight": weight,
        "sub_tasks": [],
        "task_category": category,
    }


PB_TREE = {
    "id": "root",
    "requirements": "Reproduce the paper",
    "weight": 1,
    "task_category": None,
    "sub_tasks": [
        {
            "id": "g",
            "requirements": "Method",
            "weight": 3,
            "task_category": None,
            "sub_tasks": [_pb_leaf("implements A", 1), _pb_leaf("implements B", 2, "Execution")],
        },
        _pb_leaf("reports table 1", 1, "Result Analysis"),
        _pb_leaf("ignored item", 0),
        {
            "id": "z",
            "requirements": "all-zero group",
            "weight": 2,
            "sub_tasks": [_pb_leaf("zero child", 0)],
        },
    ],
}


def test_paperbench_tree_maps_onto_the_rubric_model_and_scores_alike() -> None:
    rubric = rubric_from_paperbench(PB_TREE)
    leaves = rubric.leaves()
    assert [(leaf.id, leaf.text, leaf.weight) for leaf in leaves] == [
        ("1.1", "implements A", 1.0),
        ("1.2", "implements B", 2.0),
        ("2", "reports table 1", 1.0),
    ]
    assert leaves[1].category == "Execution" and leaves[2].category == "Result Analysis"
    # PaperBench's rule by hand: method = (1*1 + 2*0)/3; root = (3*method + 1*1)/4 = 0.5
    assert tree_score(rubric, {"1.1": 1, "1.2": 0, "2": 1}) == pytest.approx(0.5)


def test_paperbench_errors_name_the_node(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(PB_TREE))
    bad["sub_tasks"][0]["sub_tasks"][1]["requirements"] = ""
    with pytest.raises(TaskError, match=r"sub_tasks\[0\]\.sub_tasks\[1\]: field 'requirements'"):
        rubric_from_paperbench(bad)
    bad["sub_tasks"][0]["sub_tasks"][1] = _pb_leaf("x", -1)
    with pytest.raises(TaskError, match="'weight'"):
        rubric_from_paperbench(bad)
    path = tmp_path / "rubric.json"
    path.write_text("{")
    with pytest.raises(TaskError, match="not valid JSON"):
        load_paperbench_rubric(path)


def test_paperbench_import_writes_a_plan_or_a_revision_task(tmp_path: Path) -> None:
    path = tmp_path / "my-paper" / "rubric.json"
    path.parent.mkdir()
    path.write_text(json.dumps(PB_TREE))
    folder = import_paperbench(path, tmp_path / "out", goal="Plan the replication.")
    assert folder.name == "plan-my-paper"
    assert load_rubric(folder / "private" / "rubric.yaml") == rubric_from_paperbench(PB_TREE)
    revision = import_paperbench(
        path, tmp_path / "out", goal="Revise it.", name="plan-rev", paper="The paper."
    )
    assert yaml.safe_load((revision / "task.yaml").read_text())["kind"] == "revision"
    assert (revision / "public" / "paper.md").read_text() == "The paper.\n"


def test_writer_checks_name_and_revision_paper(tmp_path: Path) -> None:
    rubric = Rubric(items=[RubricItem(text="x")])
    with pytest.raises(TaskError, match="must match"):
        write_plan_task(
            tmp_path, PlanTaskDraft(name="Bad Name", title="t", goal="g", rubric=rubric)
        )
    with pytest.raises(TaskError, match="needs the paper"):
        write_plan_task(
            tmp_path,
            PlanTaskDraft(
                name="plan-x", title="t", goal="g", rubric=rubric, kind=PlanKind.REVISION
            ),
        )
    assert slug("Robustness to Label Noise!") == "plan-robustness-to-label-noise"
    assert slug("plan-x") == "plan-x"
