"""Validating and evaluating a child: a smoke run, then staged evaluation through `airlab sweep`.

A child's evaluation is an ordinary sweep of one agent over some tasks (its folder under the
archive's `evals/`), so it runs on the archive's pool (local or Ray), and a driver killed in the
middle of one resumes it like any sweep. Scores are normalised per task with the evaluation
package (linear or AIRS-Bench, where the task records its baseline and reference); a task that
records neither is normalised over the archive (min-max of the members' direction-aware scores),
so every task weighs alike in a member's mean.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Protocol

import numpy as np

from airlab.errors import AirlabError
from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.scores import airs_normalised_score, bootstrap_ci, linear_normalised_score
from airlab.evolve.archive import EvolveSettings, Member, TaskResult


class Evaluator(Protocol):
    """Runs agents on tasks. `smoke` answers None (it works) or the reason it does not."""

    def smoke(self, agent_dir: Path, work: Path) -> str | None: ...

    def evaluate(self, agent_dir: Path, tasks: list[str], work: Path) -> list[TaskResult]: ...


def _sweep_agent(agent_dir: Path) -> dict[str, str]:
    from airlab.agents import load_agent

    agent = load_agent(agent_dir)
    fields = agent.spec.run_fields()
    return {
        "source": str(agent.root),
        "name": agent.name,
        "hash": agent.content_hash,
        "policy": fields["policy"],
        "backend": fields["backend"],
    }


class SweepEvaluator:
    """Each evaluation is one `airlab sweep` of the agent; the smoke run one step on a tiny task."""

    def __init__(self, settings: EvolveSettings) -> None:
        self.settings = settings

    def _sweep(self, agent_dir: Path, tasks: list[str], work: Path, steps: int) -> list[Path]:
        from airlab.runner.sweep import Sweep, load_spec

        spec = load_spec(
            {
                "tasks": tasks,
                "agents": [_sweep_agent(agent_dir)],
                "seeds": [self.settings.seed],
                "workers": self.settings.workers,
                "pool": self.settings.pool,
                "base": {"budget": {"steps": steps}},
            },
            str(work),
        )
        sweep = Sweep.create_or_continue(work, spec)
        states = sweep.execute()
        return [sweep.runs_dir / name for name in states]

    def smoke(self, agent_dir: Path, work: Path) -> str | None:
        from airlab.testing.tasks import write_tiny_task

        task = work / "task"
        if not (task / "task.yaml").is_file():
            write_tiny_task(task, name="smoke")
        try:
            (run,) = self._sweep(agent_dir, [str(task)], work / "sweep", steps=1)
        except AirlabError as exc:
            return f"smoke run: {exc}"
        return _run_problem(run)

    def evaluate(self, agent_dir: Path, tasks: list[str], work: Path) -> list[TaskResult]:
        runs = self._sweep(agent_dir, tasks, work, steps=self.settings.steps)
        return [task_result(task, run) for task, run in zip(tasks, runs, strict=True)]


def _run_problem(run: Path) -> str | None:
    from airlab.evaluation.runs import load_result

    try:
        result = load_result(run / "result.json")
    except AirlabError as exc:
        return f"smoke run: {exc}"
    if result.status != "complete":
        return f"smoke run: {result.status}: {result.error or 'no reason recorded'}"
    return None


def task_result(task: str, run: Path) -> TaskResult:
    """One task's run folder → the archive's record of it."""
    from airlab.evaluation.runs import load_result
    from airlab.journal import Journal
    from airlab.result import RunStatus

    failures: Counter[str] = Counter()
    lines: list[str] = []
    journal = run / "journal.sqlite"
    if journal.is_file():
        with Journal.open(journal) as opened:
            for node in opened.nodes():
                if node.failure is not None:
                    failures[str(node.failure.value)] += 1
                outcome = (
                    f"failed ({node.failure.value})"
                    if node.failure is not None
                    else f"search score {node.search_score}"
                )
                plan = " ".join(node.plan.split())[:160]
                lines.append(f"node {node.id} {node.operator}: {plan} -> {outcome}")
    try:
        result = load_result(run / "result.json")
    except AirlabError:
        return TaskResult(
            task=task, failures=dict(failures), trajectory="\n".join(lines), run=str(run)
        )
    # only the framework's hidden test score of a complete run with a valid submission counts:
    # never the self-reported score, the search or select split, nor a NaN or infinite score
    # (those count as no submission, 0, rather than dropping the task from the mean)
    score = result.score("test") if result.status == RunStatus.COMPLETE else None
    if score is not None and not math.isfinite(score):
        score = None
    return TaskResult(
        task=task,
        score=score,
        direction=result.direction,
        normalised=_finite(
            _task_normalised(score, result.baseline, result.reference, result.optimal, result.worst)
        ),
        failures=dict(failures),
        trajectory="\n".join(lines),
        run=str(run),
    )


def _task_normalised(
    score: float | None,
    baseline: float | None,
    reference: float | None,
    optimal: float | None,
    worst: float | None,
) -> float | None:
    if score is None:
        return None
    try:
        if baseline is not None and reference is not None:
            return linear_normalised_score(score, baseline, reference)
        floor = worst if worst is not None else baseline
        if floor is not None and reference is not None and optimal is not None:
            return airs_normalised_score(score, floor, reference, optimal)
    except EvaluationError:
        return None
    return None


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


# ---- scoring over the archive -------------------------------------------------------------
def normalised_scores(members: list[Member]) -> dict[int, dict[str, float]]:
    """Member → task → normalised score: the task's own where it has one, else min-max over the
    archive's direction-aware scores (all alike: 1). No valid submission, or a score that is
    not finite, counts as 0: a task is never dropped from a member's mean."""
    raw: dict[str, dict[int, float]] = {}
    for member in members:
        for r in member.results:
            score = _finite(r.score)
            if score is not None and r.normalised is None:
                oriented = -score if r.direction == "minimize" else score
                raw.setdefault(r.task, {})[member.id] = oriented
    bounds = {t: (min(v.values()), max(v.values())) for t, v in raw.items()}
    out: dict[int, dict[str, float]] = {}
    for member in members:
        scores: dict[str, float] = {}
        for r in member.results:
            if _finite(r.normalised) is not None:
                scores[r.task] = float(r.normalised)  # type: ignore[arg-type]
            elif _finite(r.score) is None or r.normalised is not None:
                scores[r.task] = 0.0
            else:
                low, high = bounds[r.task]
                value = raw[r.task][member.id]
                scores[r.task] = 1.0 if high == low else (value - low) / (high - low)
        out[member.id] = scores
    return out


def aggregate(scores: dict[str, float], seed: int = 0) -> tuple[float, float, float]:
    """Mean normalised score over tasks with a bootstrap CI over the tasks."""
    values = [v for v in scores.values() if math.isfinite(v)]
    if not values:
        return (math.nan, math.nan, math.nan)
    ci = bootstrap_ci(np.asarray(values), n_boot=2000, seed=seed)
    return (ci.estimate, ci.low, ci.high)
