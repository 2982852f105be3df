"""Runs to report on: a hand-made journal with every kind of node (fast, exact), and one real
finished search on a tiny task (slower, built once per session and shared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airlab.journal import Journal, NodeStatus
from airlab.runner import Run, RunConfig
from tiny_task import write_tiny_task

T0 = 1_700_000_000.0


def _finish(journal: Journal, node_id: int, worker: str, start: float, **fields) -> None:
    journal.update(
        node_id,
        status=NodeStatus.RUNNING,
        created_at=T0 + start - 0.5,
        started_at=T0 + start,
        worker=worker,
    )
    journal.update(node_id, finished_at=T0 + start + 5.0, exec_seconds=5.0, **fields)


def write_synthetic_run(root: Path) -> Path:
    """Seven nodes: two drafts (one buggy), improve, debug, a worse improve, a crossover, and one
    still running. Node 2 is final; node 4 also has a select score the view must not show."""
    root.mkdir(parents=True)
    journal = Journal.create(root / "journal.sqlite")
    journal.set_meta(
        config={"task": "tiny", "policy": "greedy", "backend": "templates", "seed": 3},
        task_name="tiny",
        metric="accuracy",
        direction="maximize",
        status="complete",
        created_at=T0,
        elapsed_s=60.0,
        final_node=2,
    )
    code = "import pandas as pd\nprint('cv accuracy', 0.8)\n"
    journal.add("draft", note="draft 1")
    _finish(
        journal,
        0,
        "worker-1",
        1,
        status=NodeStatus.GOOD,
        plan="Draft: logistic regression",
        code=code,
        search_score=0.80,
        self_reported_score=0.82,
        stdout_tail="cv accuracy 0.82\n",
        tokens_in=100,
        tokens_out=50,
        cost_usd=0.01,
    )
    journal.add("draft", note="draft 2")
    _finish(
        journal,
        1,
        "worker-2",
        1,
        status=NodeStatus.BUGGY,
        plan="Draft: a forest",
        code="raise ValueError('boom')\n",
        failure="error",
        error="ValueError: boom",
        stderr_tail="Traceback ...\nValueError: boom\n",
    )
    journal.add("improve", [0], meta={"transcript": [{"role": "user", "content": "improve it"}]})
    _finish(
        journal,
        2,
        "worker-1",
        7,
        status=NodeStatus.GOOD,
        plan="Improve: tune C",
        code=code.replace("0.8", "0.9") + "# tuned\n",
        search_score=0.90,
        self_reported_score=0.95,
        select_score=0.88,
        test_score=0.87,
    )
    journal.add("debug", [1])
    _finish(
        journal,
        3,
        "worker-2",
        7,
        status=NodeStatus.GOOD,
        plan="Debug: fix the raise",
        code=code,
        search_score=0.85,
        self_reported_score=0.84,
    )
    journal.add("improve", [2])
    _finish(
        journal,
        4,
        "worker-1",
        13,
        status=NodeStatus.GOOD,
        plan="Improve: worse",
        code=code,
        search_score=0.70,
        select_score=0.99,
    )
    journal.add("crossover", [2, 3])
    _finish(
        journal,
        5,
        "worker-2",
        13,
        status=NodeStatus.GOOD,
        plan="Crossover",
        code=code,
        search_score=0.85,
        self_reported_score=0.86,
    )
    journal.add("improve", [5])
    journal.update(
        6, status=NodeStatus.RUNNING, created_at=T0 + 18.5, started_at=T0 + 19, worker="worker-1"
    )
    journal.close()
    result = {
        "run_id": root.name,
        "task": "tiny",
        "seed": 0,
        "direction": "maximize",
        "agent": "greedy/templates",
        "baseline": 0.75,
        "scores": {"search": 0.9},
    }
    (root / "result.json").write_text(json.dumps(result))
    return root


@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_run(tmp_path_factory.mktemp("synthetic") / "run-synthetic")


@pytest.fixture(scope="session")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 5-step greedy search with the offline backend on a tiny task."""
    base = tmp_path_factory.mktemp("real")
    task = write_tiny_task(base / "tiny")
    config = RunConfig.model_validate(
        {
            "task": str(task),
            "budget": {"steps": 5},
            "workers": 2,
            "seed": 1,
            "runs_dir": str(base / "runs"),
            "run_name": "tiny-run",
            "policy_params": {"num_drafts": 2},
            "backend_options": {"bug_rate": 0.3},
            "limits": {"time_s": 60},
        }
    )
    run = Run.create(config)
    run.execute()
    run.journal.close()
    return run.folder.root


@pytest.fixture
def make_synthetic_run():
    """`write_synthetic_run` for tests that need several runs in their own folders."""
    return write_synthetic_run
