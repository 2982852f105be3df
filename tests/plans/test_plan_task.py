"""The plan task folder: `kind: plan` in task.yaml, the rubric in private/, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab.errors import TaskError
from airlab.tasks.task import load_task

from .conftest import PLAN_TASK


def test_the_fixture_loads_as_a_plan_task():
    task = load_task(PLAN_TASK)
    assert task.is_text and task.spec.kind == "plan"
    assert task.spec.metric == "rubric" and task.spec.maximize
    assert task.metric.best_value == 1.0
    assert len(task.rubric.leaves()) == 12
    assert task.reference_text and task.paper_text is None


def test_a_task_yaml_without_kind_is_a_code_task(make_task):
    task = load_task(make_task())
    assert task.spec.kind == "code" and not task.is_text


def test_a_code_task_still_needs_its_table_fields(plan_task: Path):
    text = (plan_task / "task.yaml").read_text().replace("kind: plan", "kind: code")
    (plan_task / "task.yaml").write_text(text)
    with pytest.raises(TaskError, match="missing required field"):
        load_task(plan_task)


def test_unknown_field_gets_did_you_mean(plan_task: Path):
    (plan_task / "task.yaml").write_text(
        (plan_task / "task.yaml").read_text() + "hiden_splits: {seed: 1}\n"
    )
    with pytest.raises(TaskError, match="hidden_splits"):
        load_task(plan_task)


def test_a_plan_task_refuses_a_metric(plan_task: Path):
    (plan_task / "task.yaml").write_text((plan_task / "task.yaml").read_text() + "metric: rmse\n")
    with pytest.raises(TaskError, match="graded by its rubric"):
        load_task(plan_task)


def test_missing_or_tiny_rubric_is_one_line(plan_task: Path):
    rubric = plan_task / "private" / "rubric.yaml"
    rubric.write_text("items:\n  - text: one\n  - text: two\n")
    with pytest.raises(TaskError, match="at least 3 items"):
        load_task(plan_task)
    rubric.unlink()
    with pytest.raises(TaskError, match=r"rubric\.yaml: file not found"):
        load_task(plan_task)


def test_a_revision_needs_its_paper(plan_task: Path):
    text = (plan_task / "task.yaml").read_text().replace("kind: plan", "kind: revision")
    (plan_task / "task.yaml").write_text(text)
    with pytest.raises(TaskError, match=r"paper\.md: file not found"):
        load_task(plan_task)
    (plan_task / "public").mkdir()
    (plan_task / "public" / "paper.md").write_text("# A paper\n")
    assert load_task(plan_task).paper_text == "# A paper\n"


def test_the_split_is_seeded_from_task_yaml(plan_task: Path):
    first = load_task(plan_task).item_split
    (plan_task / "task.yaml").write_text(
        (plan_task / "task.yaml").read_text().replace("seed: 7", "seed: 8")
    )
    assert load_task(plan_task).item_split != first
    assert load_task(PLAN_TASK).item_split == first


def test_task_check_flags_a_rubric_item_written_in_the_goal(plan_task: Path):
    from airlab.curation import check_task

    report = check_task(load_task(plan_task))
    assert report.ok and any("split sizes: search 6" in n for n in report.notes)
    leaked = load_task(plan_task).rubric.leaves()[4].text
    (plan_task / "description.md").write_text(
        (plan_task / "description.md").read_text() + f"\nHint: {leaked}\n"
    )
    report = check_task(load_task(plan_task))
    assert not report.ok and "rubric item 2.1 is written out" in report.problems[0]


def test_the_offline_writer_revises_a_paper(plan_task: Path, tmp_path: Path):
    from airlab.runner import Run, RunConfig

    text = (plan_task / "task.yaml").read_text().replace("kind: plan", "kind: revision")
    (plan_task / "task.yaml").write_text(text)
    (plan_task / "public").mkdir()
    (plan_task / "public" / "paper.md").write_text("# Curricula for addition\n\nOur paper.\n")
    config = RunConfig.model_validate(
        {"task": str(plan_task), "runs_dir": str(tmp_path / "runs"), "budget": {"steps": 3}}
    )
    run = Run.create(config)
    assert run.execute().valid_submission
    assert (run.folder.best / "plan.md").read_text().startswith("# Curricula for addition")
