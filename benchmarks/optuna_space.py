"""Adapter: the templates backend's search space as an Optuna define-by-run space.

A trial chooses one model of the task's problem kind, that model's hyperparameters (the ranges
the templates' `improve` moves within), and the preprocessing (imputer, scaler, PCA, and the log
target where the target is positive). The result is a templates `Recipe`, rendered to the same
script the templates backend would write, run in the same sandbox and scored by the same hidden
grader as airlab's nodes. Ensembles are outside this space: airlab reaches them only through
its crossover operator.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import optuna

from airlab.backends.templates.backend import render_recipe
from airlab.backends.templates.models import Param, Problem, models_for
from airlab.backends.templates.recipe import IMPUTERS, SCALERS, Member, Preprocessing, Recipe
from airlab.failures import Failure
from airlab.grading.grader import Grader
from airlab.journal import Node, NodeStatus
from airlab.sandbox import Sandbox
from airlab.sandbox.base import ExecutionLimits, ExecutionRequest
from airlab.tasks import Task
from airlab.tasks.provenance import hidden_data

PCA_CHOICES = ("none", "0.9", "0.95", "0.99")


def suggest_recipe(trial: optuna.Trial, problem: Problem, *, log_target_ok: bool) -> Recipe:
    """One templates recipe from a trial; parameter names are `model`, `<model>.<param>`, ..."""
    specs = {spec.key: spec for spec in models_for(problem)}
    key = trial.suggest_categorical("model", sorted(specs))
    spec = specs[key]
    params = {name: _suggest(trial, f"{key}.{name}", param) for name, param in spec.params.items()}
    pca = trial.suggest_categorical("pca", PCA_CHOICES)
    preprocessing = Preprocessing(
        impute=trial.suggest_categorical("impute", IMPUTERS),
        scaler=trial.suggest_categorical("scaler", SCALERS),
        pca=None if pca == "none" else float(pca),
    )
    log_target = log_target_ok and trial.suggest_categorical("log_target", (False, True))
    return Recipe(members=(Member(key, params, preprocessing),), log_target=bool(log_target))


def _suggest(trial: optuna.Trial, name: str, param: Param) -> Any:
    if param.kind == "log":
        return trial.suggest_float(name, param.low, param.high, log=True)
    if param.kind == "int":
        return trial.suggest_int(name, int(param.low), int(param.high), log=param.log_int)
    if param.kind == "float":
        return trial.suggest_float(name, param.low, param.high)
    # Choices may be None, numbers, strings or tuples; Optuna takes their labels.
    labels = [repr(choice) for choice in param.choices]
    return param.choices[labels.index(trial.suggest_categorical(name, labels))]


@dataclass(frozen=True)
class Evaluator:
    """Runs a recipe like a node of a run: same script, sandbox, limits and hidden grader."""

    task: Task
    sandbox: Sandbox
    limits: ExecutionLimits
    hidden_paths: tuple[Path, ...]

    @cached_property
    def grader(self) -> Grader:
        return Grader(self.task)

    def __call__(self, recipe: Recipe, node_id: int) -> Node:
        """A finished Node graded on every hidden split (search for the sampler, select and
        test for the benchmark's choice of final node)."""
        member = recipe.members[0]
        plan = f"Optuna trial: {member.model} " + ", ".join(
            f"{k}={v}" for k, v in member.params.items()
        )
        code = render_recipe(recipe, self.task, plan=plan)
        with tempfile.TemporaryDirectory(prefix="airlab-optuna-") as workdir:
            execution = self.sandbox.run(
                ExecutionRequest(
                    script=code,
                    workdir=Path(workdir),
                    public_dir=self.task.public_dir,
                    limits=self.limits,
                    hidden_paths=self.hidden_paths,
                    hidden_data=hidden_data(self.task.spec),
                )
            )
        fields: dict[str, Any] = {
            "id": node_id,
            "operator": "optuna",
            "plan": plan,
            "exec_seconds": execution.duration_s,
        }
        if execution.failure is not None:
            return Node(**fields, status=NodeStatus.BUGGY, failure=execution.failure)
        grade = self.grader.grade(execution.submission, ("search", "select", "test"))
        if not grade.valid:
            return Node(**fields, status=NodeStatus.BUGGY, failure=Failure.INVALID_SUBMISSION)
        return Node(
            **fields,
            status=NodeStatus.GOOD,
            search_score=grade.scores["search"],
            select_score=grade.scores["select"],
            test_score=grade.scores["test"],
        )
