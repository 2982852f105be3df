"""The offline action space: recipe moves of the templates backend, as answers the env reads.

With the templates backend a step is a move on a recipe (switch the model family, move one
hyperparameter, change the scaler, PCA or imputation). Each move has a name that means the same
on every task ("C×2", "scaler=robust", "family=gbdt"), so a policy learned on some tasks can be
applied to others. `answer` renders the moved recipe to the very script the templates backend
would write and wraps it as a model's answer (plan + fenced code), the env's action.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from airlab.backends.templates.backend import render_recipe
from airlab.backends.templates.models import MODELS, Problem, models_for
from airlab.backends.templates.recipe import IMPUTERS, SCALERS, Member, Preprocessing, Recipe
from airlab.tasks.task import Task


@dataclass(frozen=True)
class Move:
    """A named change to a recipe and the recipe it gives."""

    name: str
    recipe: Recipe


def default_member(model: str) -> Member:
    spec = MODELS[model]
    return Member(
        model, spec.defaults(), Preprocessing(scaler="standard" if spec.scale_sensitive else "none")
    )


def family_models(problem: Problem) -> dict[str, str]:
    """One model per family (the first the templates list) for `problem`."""
    chosen: dict[str, str] = {}
    for spec in models_for(problem):
        chosen.setdefault(spec.family, spec.key)
    return chosen


def moves(recipe: Recipe, problem: Problem) -> list[Move]:
    """Every move from a single-model recipe; moves that change nothing are left out."""
    member = recipe.members[0]
    spec = MODELS[member.model]
    found: list[Move] = []

    def add(name: str, changed: Member, **recipe_changes: Any) -> None:
        moved = replace(recipe, members=(changed,), bug=None, **recipe_changes)
        if moved != recipe:
            found.append(Move(name, moved))

    for name, param in spec.params.items():
        value = member.params.get(name, param.default)
        if param.kind == "choice":
            for choice in param.choices:
                if choice != value:
                    add(f"{name}={choice}", replace(member, params={**member.params, name: choice}))
            continue
        for label, factor in (("×2", 2.0), ("÷2", 0.5)):
            if param.kind == "float":
                step = 0.2 * (param.high - param.low)
                new: float | int = float(value) + (step if factor > 1 else -step)
            else:
                new = float(value) * factor
            new = min(max(new, param.low), param.high)
            new = round(new) if param.kind == "int" else float(f"{new:.3g}")
            add(f"{name}{label}", replace(member, params={**member.params, name: new}))
    prep = member.preprocessing
    for scaler in SCALERS:
        if scaler != prep.scaler:
            add(f"scaler={scaler}", replace(member, preprocessing=replace(prep, scaler=scaler)))
    pca = None if prep.pca else 0.95
    add(f"pca={pca or 'off'}", replace(member, preprocessing=replace(prep, pca=pca)))
    for impute in IMPUTERS:
        if impute != prep.impute:
            add(f"impute={impute}", replace(member, preprocessing=replace(prep, impute=impute)))
    for family, model in family_models(problem).items():
        if family != spec.family:
            add(f"family={family}", default_member(model))
    return found


def answer(recipe: Recipe, task: Task, plan: str) -> str:
    """The env action for `recipe`: a plan and the templates backend's script for it."""
    code = render_recipe(recipe, task, plan=plan)
    return f"{plan}\n\n```python\n{code}```\n"
