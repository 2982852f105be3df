"""The offline backend: real scikit-learn solutions written from templates, seeded and exact.

It lets the whole pipeline run with no model and no key. It writes several model families for
classification and regression, varies preprocessing and hyperparameters, and — like a real agent —
sometimes writes a bug, so that debug chains are exercised too (`bug_rate`, default 0.15).
Imported competitions get scripts of their submission's shape (`shape.py`): one probability
column per class, several regression targets, TF-IDF features of text columns (linear models
only, whose sparse inputs they take). Under `edit_format=diff`, improve and debug answer as a
chat model would: SEARCH/REPLACE blocks that turn the parent's script into the new one
(`Candidate.edit`), which the operator applies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from airlab.backends.base import Candidate, ProgramWriter, WriteRequest
from airlab.backends.templates import moves
from airlab.backends.templates.forecast import FORECAST_METRICS, render_forecast
from airlab.backends.templates.memory import RECIPE_KEY, improve_with_memory
from airlab.backends.templates.models import MODELS, Problem
from airlab.backends.templates.recipe import Recipe
from airlab.backends.templates.render import CV_SCORING, render
from airlab.backends.templates.shape import (
    Shape,
    flat,
    one_item_list_target,
    read_train,
    shape_of,
)
from airlab.errors import BackendError
from airlab.journal.node import Node
from airlab.lessons.retrieve import preferred_families
from airlab.operators.diff_edit import EDIT_OPERATORS
from airlab.operators.ideation import family_count
from airlab.operators.options import IdeaDiversity
from airlab.operators.patches import diff_blocks, render_blocks
from airlab.tasks.importers.common import decode_lists
from airlab.tasks.spec import TaskSpec
from airlab.tasks.task import Task

TEXT_FAMILIES = ("linear",)
"""Model families drafted for tasks with text columns (they take sparse TF-IDF features)."""


class TemplatesBackend(ProgramWriter):
    """Writes candidates from recipes; every operator is supported."""

    name = "templates"

    def __init__(
        self, bug_rate: float = 0.15, jump_rate: float = 0.0, tune_rate: float = 0.0
    ) -> None:
        rates = {"bug_rate": bug_rate, "jump_rate": jump_rate, "tune_rate": tune_rate}
        for name, rate in rates.items():
            if not 0 <= rate <= 1:
                raise BackendError(f"templates backend: {name} must be in [0, 1], got {rate}")
        self.bug_rate = bug_rate
        self.jump_rate = jump_rate
        self.tune_rate = tune_rate

    def describe(self) -> str:
        extra = "".join(
            f", {name}={rate}"
            for name, rate in (("jump_rate", self.jump_rate), ("tune_rate", self.tune_rate))
            if rate
        )
        return f"templates (offline scikit-learn solutions, bug_rate={self.bug_rate}{extra})"

    def write(self, request: WriteRequest) -> Candidate:
        task = request.task
        if task.is_text:  # a plan or revision task: a text from sections, no script
            from airlab.backends.templates.plans import write_plan

            return write_plan(request)
        problem = problem_of(task)
        shape = shape_of(task) if problem != "forecasting" else Shape()
        families = TEXT_FAMILIES if shape.text else None
        rng = np.random.default_rng([request.seed, request.node_id, 7])
        log_ok = problem == "regression" and positive_target(task)
        diversity = request.options.diversity is True
        idea = request.idea
        if request.operator == "draft" and idea is not None and RECIPE_KEY in idea:
            bug = moves.maybe_bug(rng, self.bug_rate)
            recipe = Recipe.from_dict(idea[RECIPE_KEY]).with_bug(bug)
            plan = f"Draft ({idea['family']}), idea {int(idea.get('index', 0)) + 1}: "
            plan += f"{moves.describe_member(recipe.members[0])}."
        elif request.operator == "draft":
            written = [n for n in request.history if RECIPE_KEY in n.meta]
            if diversity:  # every model the run wrote, so drafts go to the least-used family
                used = [m.model for n in written for m in _recipe(n).members]
            else:
                used = [_recipe(n).members[0].model for n in written if n.operator == "draft"]
            recipe, plan = moves.draft(
                problem,
                used,
                rng,
                bug_rate=self.bug_rate,
                log_target_ok=log_ok,
                least_used=diversity,
                families=families,
                preferred=preferred_families(request.lessons),
            )
        elif request.operator == "improve" and request.options.memory is True:
            recipe, plan = improve_with_memory(
                _parent_recipe(request, 0),
                request.history,
                rng,
                maximize=task.spec.maximize,
                bug_rate=self.bug_rate,
                log_target_ok=log_ok,
                pca_ok=not shape.text,
                jump_rate=self.jump_rate,
                tune_rate=self.tune_rate,
            )
        elif request.operator == "improve":
            recipe, plan = moves.improve(
                _parent_recipe(request, 0),
                rng,
                bug_rate=self.bug_rate,
                log_target_ok=log_ok,
                pca_ok=not shape.text,
                jump_rate=self.jump_rate,
                tune_rate=self.tune_rate,
            )
        elif request.operator == "debug":
            parent = request.parents[0]
            recipe, plan = moves.debug(
                _parent_recipe(request, 0),
                parent.failure,
                parent.error,
                rng,
                bug_rate=self.bug_rate,
            )
        elif request.operator == "crossover":
            if len(request.parents) < 2:
                raise BackendError("templates backend: crossover needs two parents")
            recipe, plan = moves.crossover(
                _parent_recipe(request, 0), _parent_recipe(request, 1), rng, bug_rate=self.bug_rate
            )
        else:
            raise BackendError(f"templates backend: operator {request.operator!r} is not supported")
        drafted = sorted({MODELS[m.model].family for m in recipe.members})
        meta = {
            RECIPE_KEY: recipe.to_dict(),
            "family": drafted[0] if len(drafted) == 1 else "ensemble",
            "models": [m.model for m in recipe.members],
        }
        code = render_recipe(recipe, task, plan=plan)
        if request.options.edit_format == "diff" and request.operator in EDIT_OPERATORS:
            blocks = diff_blocks(request.parents[0].code, code)
            if blocks:
                return Candidate(plan=plan, code="", meta=meta, edit=render_blocks(blocks))
        return Candidate(plan=plan, code=code, meta=meta)

    def propose_ideas(
        self, task: Task, *, k: int, level: IdeaDiversity, seed: int
    ) -> list[dict[str, object]]:
        """The ideation step offline: K first solutions at `level` (`moves.ideas`), each with
        its family, a one-line plan and the recipe its draft will write."""
        problem = problem_of(task)
        shape = shape_of(task) if problem != "forecasting" else Shape()
        rng = np.random.default_rng([seed, 13])
        planned = moves.ideas(
            problem,
            k,
            lambda available: family_count(k, level, available),
            rng,
            families=TEXT_FAMILIES if shape.text else None,
        )
        return [
            {
                "family": MODELS[recipe.members[0].model].family,
                "plan": plan,
                RECIPE_KEY: recipe.to_dict(),
            }
            for recipe, plan in planned
        ]


def render_recipe(recipe: Recipe, task: Task, *, plan: str) -> str:
    """The script of `recipe` for `task` exactly as the backend writes it (forecasting tasks get
    the forecasting template); peers searching the same space (benchmarks) render through it."""
    problem = problem_of(task)
    if problem == "forecasting":
        return render_forecast(recipe, _written_spec(task.spec, problem), plan=plan)
    shape = shape_of(task)
    return render(recipe, _written_spec(task.spec, problem, shape), plan=plan, shape=shape)


def problem_of(task: Task) -> Problem:
    """The kind of solution the templates write for `task` (peers searching the same space use it
    too); a task they cannot serve is a one-line error."""
    if len(task.spec.target_columns) != 1:
        if task.spec.time_column is not None:
            raise BackendError(
                f"templates backend: no forecasting template for {len(task.spec.target_columns)}"
                f" target columns (task {task.name!r})"
            )
        shape = shape_of(task)
        return "classification" if shape.kind == "class_probabilities" else "regression"
    if task.spec.time_column is not None:
        if task.spec.metric not in FORECAST_METRICS:
            raise BackendError(
                f"templates backend: no forecasting template for metric {task.spec.metric!r}"
            )
        return "forecasting"
    if _has_template_metric(task.spec):
        kind = task.metric.kind
        return "classification" if kind in ("label", "probability") else "regression"
    # A task's own metric: judge from the training target what kind of prediction it wants.
    target = task.spec.target_columns[0]
    train = read_train(task, nrows=None, columns=[target])
    if target not in train.columns:
        raise BackendError(f"templates backend: the training table has no column {target!r}")
    values = _target_values(train[target])
    numeric = pd.api.types.is_numeric_dtype(values)
    few_whole_values = numeric and (values % 1 == 0).all() and values.nunique() <= 20
    return "classification" if not numeric or few_whole_values else "regression"


def _target_values(values: pd.Series) -> pd.Series:
    """A target's values; one-item lists (`[0.95]`, AIRS's ZINC) stand for their item."""
    values = values.dropna()
    if one_item_list_target(values):
        decoded = decode_lists(values.to_frame())[values.name]
        return decoded.map(lambda v: flat(v)[0]).astype(float)
    return values


def _has_template_metric(spec: TaskSpec) -> bool:
    return not spec.has_own_grader and spec.metric in CV_SCORING


def _written_spec(spec: TaskSpec, problem: Problem, shape: Shape | None = None) -> TaskSpec:
    """The spec a script is written for: a metric without a template is validated by a proxy
    (log loss for class probabilities, accuracy for labels, RMSE for numbers)."""
    if shape is not None and shape.kind == "class_probabilities":
        return spec.model_copy(update={"metric": "log_loss"})
    if problem == "forecasting" or (_has_template_metric(spec) and len(spec.target_columns) == 1):
        return spec
    return spec.model_copy(update={"metric": "accuracy" if problem == "classification" else "rmse"})


def positive_target(task: Task) -> bool:
    """Whether a log-transformed target is an option (every training target is positive)."""
    targets = list(task.spec.target_columns)
    train = read_train(task, nrows=None, columns=targets)
    if any(t not in train.columns for t in targets):
        return False
    values = pd.DataFrame({t: _target_values(train[t]) for t in targets})
    numeric = all(pd.api.types.is_numeric_dtype(values[t]) for t in targets)
    return bool(numeric and (values > 0).all().all())


def _recipe(node: Node) -> Recipe:
    return Recipe.from_dict(node.meta[RECIPE_KEY])


def _parent_recipe(request: WriteRequest, index: int) -> Recipe:
    try:
        parent = request.parents[index]
    except IndexError:
        raise BackendError(f"templates backend: {request.operator} needs a parent") from None
    if RECIPE_KEY not in parent.meta:
        raise BackendError(
            f"templates backend cannot {request.operator} node {parent.id}: it was not written "
            "by the templates backend"
        )
    return _recipe(parent)
