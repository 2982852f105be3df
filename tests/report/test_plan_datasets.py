"""Datasets from plan runs: SFT with the reference solution, judged preference pairs, RL steps
with rubric rewards; the answers are plans, and no rubric item is in any record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airlab.report.datasets import export_dataset
from airlab.runner import Run, RunConfig
from airlab.tasks.task import load_task

PLAN_TASK = Path(__file__).resolve().parents[1] / "fixtures" / "plan-tiny"


@pytest.fixture(scope="module")
def plan_run(tmp_path_factory) -> Path:
    runs = tmp_path_factory.mktemp("plan-runs")
    config = RunConfig.model_validate(
        {
            "task": str(PLAN_TASK),
            "runs_dir": str(runs),
            "budget": {"steps": 8},
            "policy_params": {"num_drafts": 3},
        }
    )
    run = Run.create(config)
    run.execute()
    return run.folder.root


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("kind", ["sft", "preferences", "rl"])
def test_plan_datasets_hold_plans_and_no_rubric_item(plan_run, tmp_path, kind):
    out = tmp_path / f"{kind}.jsonl"
    export_dataset(kind, [plan_run], out, mixed_prompts=True)
    records = read(out)
    assert records
    text = out.read_text()
    for leaf in load_task(PLAN_TASK).rubric.leaves():
        assert json.dumps(leaf.text)[1:-1] not in text
    assert "```python" not in text
    if kind == "sft":
        sources = [r["metadata"].get("source") for r in records]
        assert sources.count("reference") == 1
        reference = records[sources.index("reference")]
        assert reference["messages"][-1]["content"] == load_task(PLAN_TASK).reference_text
        assert "Your step: write a research plan" in reference["messages"][1]["content"]
    if kind == "preferences":
        assert all(r["chosen"] != r["rejected"] for r in records)
    if kind == "rl":
        assert all("reward" in r for r in records)
