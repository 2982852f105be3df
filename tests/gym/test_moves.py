"""The offline action space: recipe moves that change something, as answers the env reads."""

from __future__ import annotations

from airlab.backends.templates.backend import render_recipe
from airlab.backends.templates.recipe import Recipe
from airlab.gym.moves import answer, default_member, family_models, moves
from airlab.operators.parsing import parse_answer
from airlab.tasks import resolve_task


def test_moves_change_the_recipe_and_name_what_they_change():
    recipe = Recipe((default_member("svm"),), cv_folds=3)
    found = {m.name: m.recipe for m in moves(recipe, "classification")}
    assert all(r != recipe for r in found.values())
    assert found["C×2"].members[0].params["C"] == 2.0
    assert found["scaler=robust"].members[0].preprocessing.scaler == "robust"
    assert found["family=gbdt"].members[0].model == family_models("classification")["gbdt"]
    assert "family=svm" not in found and all(r.cv_folds == 3 for r in found.values())


def test_a_move_at_its_bound_is_left_out():
    member = default_member("knn_classifier")
    low = Recipe(
        (member.__class__(member.model, {**member.params, "n_neighbors": 1}, member.preprocessing),)
    )
    names = [m.name for m in moves(low, "classification")]
    assert "n_neighbors÷2" not in names and "n_neighbors×2" in names


def test_answer_is_read_back_as_the_templates_script():
    task = resolve_task("digits")
    recipe = Recipe((default_member("logistic_regression"),))
    parsed = parse_answer(answer(recipe, task, "Move: C×2."))
    assert parsed is not None and parsed.complete and parsed.plan == "Move: C×2."
    assert parsed.code == render_recipe(recipe, task, plan="Move: C×2.")
