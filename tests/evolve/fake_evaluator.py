"""An evaluator that runs nothing: each task's score is a fixed function of the agent's
agent.yaml, so the loop's properties are tested in milliseconds."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from airlab.evolve import TaskResult


class FormulaEvaluator:
    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.evaluated: list[tuple[str, tuple[str, ...]]] = []
        self.smoked: list[str] = []

    def smoke(self, agent_dir: Path, work: Path) -> str | None:
        self.smoked.append(agent_dir.name)
        return None

    def evaluate(self, agent_dir: Path, tasks: list[str], work: Path) -> list[TaskResult]:
        time.sleep(self.delay_s)
        self.evaluated.append((agent_dir.name, tuple(tasks)))
        spec = yaml.safe_load((agent_dir / "agent.yaml").read_text())
        params = spec.get("policy", {}).get("params", {})
        drafts = params.get("num_drafts", 5)
        debug = params.get("debug_prob", 0.5)
        results = []
        for index, task in enumerate(tasks):
            score = 1.0 / (1.0 + abs(drafts - 3)) * (0.5 + debug / 2) - 0.01 * index
            results.append(
                TaskResult(
                    task=task,
                    score=score,
                    failures={"error": drafts % 2},
                    trajectory=f"node 0 draft: plan -> {score}",
                )
            )
        return results
