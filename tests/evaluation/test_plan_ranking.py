"""`airlab rank` over plan tasks: plan generators ranked across goals (SCO, voting), with CIs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from airlab.evaluation.reporting import rank_table
from airlab.evaluation.runs import find_runs, runs_table
from airlab.runner import Run, RunConfig

PLAN_TASK = Path(__file__).resolve().parents[1] / "fixtures" / "plan-tiny"


@pytest.mark.slow
def test_plan_generators_rank_across_goals(tmp_path):
    for name, seed in (("plan-a", 1), ("plan-b", 2)):
        folder = Path(shutil.copytree(PLAN_TASK, tmp_path / name))
        spec = (folder / "task.yaml").read_text()
        spec = spec.replace("name: plan-tiny", f"name: {name}").replace("seed: 7", f"seed: {seed}")
        (folder / "task.yaml").write_text(spec)
        for policy, steps in (("greedy", 6), ("mcts", 2)):
            config = RunConfig.model_validate(
                {
                    "task": str(folder),
                    "policy": policy,
                    "budget": {"steps": steps},
                    "runs_dir": str(tmp_path / "runs"),
                }
            )
            Run.create(config).execute()
    table = runs_table(find_runs([tmp_path / "runs"]), "test")
    assert set(table["task"]) == {"plan-a", "plan-b"}
    report = rank_table(table, method="sco,borda", bootstrap=20)
    for method in ("sco", "borda"):
        frame = report.results[method].to_frame()
        assert set(frame["agent"]) == {"greedy/templates", "mcts/templates"}
        assert frame["tasks"].eq(2).all()
