"""Memory for the templates backend: what earlier nodes of the run teach an improvement.

With the operator-set option `memory`, an improvement does not write a solution the run already
tried, nor repeat a move (e.g. "raise the SVM's C") that made a solution worse before; it redraws
a few times and, when every draw is ruled out, keeps the last one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypeGuard

import numpy as np

from airlab.backends.templates import moves
from airlab.backends.templates.recipe import Recipe
from airlab.journal.node import Node
from airlab.journal.tree import visible_score

RECIPE_KEY = "recipe"
MEMORY_DRAWS = 8


def recipe_of(node: Node) -> Recipe | None:
    data = node.meta.get(RECIPE_KEY)
    return None if data is None else Recipe.from_dict(data)


def fingerprint(recipe: Recipe) -> str:
    """The solution a recipe describes, bugs aside."""
    return json.dumps(recipe.with_bug(None).to_dict(), sort_keys=True)


def move_key(parent: Recipe, child: Recipe) -> str:
    """What an improvement changed, coarsely: parameter and direction, or the new setting."""
    parts = []
    if parent.log_target != child.log_target:
        parts.append(f"log_target={child.log_target}")
    for before, after in zip(parent.members, child.members, strict=False):
        model = after.model
        if before.tuned != after.tuned:
            parts.append(f"{model}.tuned={after.tuned}")
        for name in sorted(set(before.params) | set(after.params)):
            old, new = before.params.get(name), after.params.get(name)
            if old == new:
                continue
            if _number(old) and _number(new):
                parts.append(f"{model}.{name}:{'up' if new > old else 'down'}")
            else:
                parts.append(f"{model}.{name}={new!r}")
        for name in ("impute", "scaler", "pca"):
            old, new = getattr(before.preprocessing, name), getattr(after.preprocessing, name)
            if old != new:
                shown = ("on" if new else "off") if name == "pca" else new
                parts.append(f"{model}.{name}={shown}")
    return ";".join(parts)


def failed_moves(history: Sequence[Node], *, maximize: bool) -> set[str]:
    """Moves of earlier improvements that scored worse than their parent."""
    by_id = {node.id: node for node in history}
    failed = set()
    for node in history:
        # history holds agent views: under self_reported fitness, the self-reported scores
        score = visible_score(node)
        if node.operator != "improve" or score is None or not node.parent_ids:
            continue
        parent = by_id.get(node.parent_ids[0])
        parent_score = None if parent is None else visible_score(parent)
        if parent is None or parent_score is None:
            continue
        worse = score < parent_score if maximize else score > parent_score
        child_recipe, parent_recipe = recipe_of(node), recipe_of(parent)
        if worse and child_recipe is not None and parent_recipe is not None:
            failed.add(move_key(parent_recipe, child_recipe))
    return failed


def improve_with_memory(
    parent: Recipe,
    history: Sequence[Node],
    rng: np.random.Generator,
    *,
    maximize: bool,
    bug_rate: float,
    log_target_ok: bool,
    pca_ok: bool = True,
    jump_rate: float = 0.0,
    tune_rate: float = 0.0,
) -> tuple[Recipe, str]:
    """An improvement that neither repeats a tried solution nor a move that failed before."""
    tried = {fingerprint(r) for r in map(recipe_of, history) if r is not None}
    failed = failed_moves(history, maximize=maximize)
    skipped = 0
    while True:
        recipe, plan = moves.improve(
            parent,
            rng,
            bug_rate=bug_rate,
            log_target_ok=log_target_ok,
            pca_ok=pca_ok,
            jump_rate=jump_rate,
            tune_rate=tune_rate,
        )
        repeat = fingerprint(recipe) in tried or move_key(parent, recipe) in failed
        if not repeat or skipped == MEMORY_DRAWS - 1:
            break
        skipped += 1
    if skipped:
        plan += f" (memory: skipped {skipped} move(s) tried or failed before)"
    return recipe, plan


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
