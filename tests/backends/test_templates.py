import ast
import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from airlab.backends import WriteRequest, make_backend
from airlab.backends.templates import moves
from airlab.backends.templates.models import MODELS, models_for
from airlab.backends.templates.recipe import BUGS, Member, Preprocessing, Recipe
from airlab.backends.templates.render import render
from airlab.errors import BackendError
from airlab.journal import Node, NodeStatus
from airlab.tasks import load_task


@pytest.fixture
def task(make_task):
    return load_task(make_task())


def _node(node_id, candidate, **fields):
    return Node(
        id=node_id,
        operator=fields.pop("operator", "draft"),
        code=candidate.code,
        plan=candidate.plan,
        meta=candidate.meta,
        status=NodeStatus.GOOD,
        **fields,
    )


def test_same_request_gives_same_code(task):
    backend = make_backend("templates")
    first = backend.write(WriteRequest("draft", task, (), (), seed=3, node_id=5))
    again = backend.write(WriteRequest("draft", task, (), (), seed=3, node_id=5))
    other = backend.write(WriteRequest("draft", task, (), (), seed=4, node_id=5))
    assert first == again
    assert first.code != other.code or first.plan != other.plan


def test_drafts_explore_new_families(task):
    backend = make_backend("templates", {"bug_rate": 0.0})
    history: list[Node] = []
    for node_id in range(5):
        candidate = backend.write(WriteRequest("draft", task, (), tuple(history), 0, node_id))
        history.append(_node(node_id, candidate))
    families = [n.meta["family"] for n in history]
    assert len(set(families)) == 5


@pytest.mark.parametrize(
    "metric",
    ["accuracy", "roc_auc", "log_loss", "f1_macro", "rmse", "mae", "r2", "poisson_deviance"],
)
def test_every_model_renders_valid_python(make_task, metric):
    kind = "regression" if metric in ("rmse", "mae", "r2", "poisson_deviance") else "classification"
    direction = (
        "minimize" if metric in ("rmse", "mae", "log_loss", "poisson_deviance") else "maximize"
    )
    spec = load_task(make_task(kind=kind, metric=metric, direction=direction)).spec
    for model in models_for(kind):
        for prep in (Preprocessing(), Preprocessing(scaler="quantile", pca=0.95)):
            recipe = Recipe(members=(Member(model.key, model.defaults(), prep),))
            code = render(recipe, spec, plan="plan")
            ast.parse(code)
            assert "self_reported_score" in code and "submission.csv" in code
            if metric in ("roc_auc", "log_loss"):
                assert "predict_proba" in code


def test_recipe_round_trips_through_json():
    recipe = Recipe(
        members=(
            Member("mlp_classifier", {"hidden_layer_sizes": (128, 64), "alpha": 1e-4}),
            Member("svm", {"C": 2.0, "gamma": "scale"}, Preprocessing(scaler="robust")),
        ),
        bug="wrong_target",
    )
    assert Recipe.from_dict(json.loads(json.dumps(recipe.to_dict()))) == recipe


def test_improve_makes_one_change():
    member = Member("svm", MODELS["svm"].defaults())
    parent = Recipe(members=(member,))
    for seed in range(30):
        child, plan = moves.improve(parent, np.random.default_rng(seed), bug_rate=0.0)
        assert child != parent, plan
        assert plan.startswith("Improve:")
        changed_params = {
            k for k in member.params if child.members[0].params[k] != member.params[k]
        }
        changed_prep = child.members[0].preprocessing != member.preprocessing
        assert len(changed_params) + int(changed_prep) <= 1


def test_debug_removes_the_bug_and_shrinks_after_timeout():
    forest = Member("random_forest_classifier", MODELS["random_forest_classifier"].defaults())
    buggy = Recipe(members=(forest,), bug="missing_import")
    fixed, plan = moves.debug(buggy, "error", "NameError: x", np.random.default_rng(0), bug_rate=0)
    assert fixed.bug is None and "imported" in plan
    smaller, plan = moves.debug(
        Recipe(members=(forest,)), "timeout", None, np.random.default_rng(0), bug_rate=0
    )
    assert smaller.members[0].params["n_estimators"] < forest.params["n_estimators"]
    assert "time limit" in plan


def test_crossover_builds_a_voting_ensemble(task):
    backend = make_backend("templates", {"bug_rate": 0.0})
    a = backend.write(WriteRequest("draft", task, (), (), 0, 0))
    b = backend.write(WriteRequest("draft", task, (), (_node(0, a),), 0, 1))
    child = backend.write(WriteRequest("crossover", task, (_node(0, a), _node(1, b)), (), 0, 2))
    assert "VotingClassifier" in child.code
    assert child.meta["family"] in ("ensemble", a.meta["family"])
    assert len(child.meta["models"]) == 2


def test_foreign_parents_are_refused(task):
    backend = make_backend("templates")
    stranger = Node(id=0, operator="draft", code="print(1)", status=NodeStatus.BUGGY)
    with pytest.raises(BackendError, match="not written by the templates backend"):
        backend.write(WriteRequest("debug", task, (stranger,), (), 0, 1))


def test_a_jump_reaches_settings_far_from_the_parent():
    """k = 1 neighbours (the best digits setting TPE found) is 3 sigma of small steps from the
    default 5, and C = 300 many steps from 1: small steps rarely get there, jumps do, within the
    range and never to the value already there."""
    knn = Recipe(members=(Member("knn_classifier", MODELS["knn_classifier"].defaults()),))
    svm = Recipe(members=(Member("svm", MODELS["svm"].defaults()),))

    def tried(parent, name, jump_rate):
        values = []
        for seed in range(300):
            child, plan = moves.improve(
                parent, np.random.default_rng(seed), bug_rate=0.0, jump_rate=jump_rate
            )
            if child.members[0].params[name] != parent.members[0].params[name]:
                values.append(child.members[0].params[name])
                assert ("try " if jump_rate == 1 else "change ") + name in plan, plan
        return values

    small = tried(knn, "n_neighbors", 0.0)
    jumps = tried(knn, "n_neighbors", 1.0)
    assert small.count(1) <= 1 and 1 in jumps and max(jumps) > 20
    assert all(1 <= k <= 50 and k != 5 for k in jumps)
    c_jumps = tried(svm, "C", 1.0)
    assert max(tried(svm, "C", 0.0)) < 30 < max(c_jumps) and min(c_jumps) < 0.03
    assert all(1e-3 <= c <= 1e3 for c in c_jumps)
    # off (the default): the same draws and moves as before the option existed (these four
    # plans were written by the code before it)
    assert [
        moves.improve(svm, np.random.default_rng(seed), bug_rate=0.0)[1] for seed in range(4)
    ] == [
        "Improve: switch scaling from standard to quantile.",
        "Improve: change gamma from 'scale' to 0.1.",
        "Improve: change C from 1.0 to 0.719.",
        "Improve: change C from 1.0 to 1.4.",
    ]


def test_a_tuned_model_is_searched_by_its_script_and_left_to_the_search(task, tmp_path):
    """tune_rate hands an untuned model to a randomized search the script runs on folds of the
    training data; a tuned model's hyperparameters are then the search's (improve moves only
    its preprocessing, and never tunes it twice), a timeout drops the search, and the script
    runs to a valid submission."""
    from airlab.grading import Grader

    knn = Recipe(members=(Member("knn_classifier", MODELS["knn_classifier"].defaults()),))
    tuned, plan = moves.improve(knn, np.random.default_rng(0), bug_rate=0.0, tune_rate=1.0)
    assert tuned.members[0].tuned and tuned.cv_folds == 3, plan
    assert "tune the hyperparameters of the k-nearest neighbours" in plan.lower()
    assert "randomized search" in plan
    assert Recipe.from_dict(json.loads(json.dumps(tuned.to_dict()))) == tuned
    for seed in range(40):
        child, plan = moves.improve(tuned, np.random.default_rng(seed), bug_rate=0.0, tune_rate=1.0)
        assert child.members[0].tuned and child.members[0].params == tuned.members[0].params, plan
    fixed, plan = moves.debug(tuned, "timeout", None, np.random.default_rng(0), bug_rate=0.0)
    assert not fixed.members[0].tuned and "instead of a randomized search" in plan
    code = render(tuned, task.spec, plan="tuned")
    assert "'kneighborsclassifier__n_neighbors': [1, 2, 3, 4, 5," in code, code
    # one search over the whole model on the script's folds, fitted once: no cross-validation
    # around it (that would run the search once per fold and again for the submission)
    assert code.count("RandomizedSearchCV(") == 1 and "cross_val_score" not in code, code
    result, workdir = _run(code, task, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "self_reported_score:" in result.stdout
    grade = Grader(task).grade((workdir / "submission.csv").read_bytes(), ("search",))
    assert grade.valid, grade.reason


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["class_probabilities", "multi_target", "log_target_ensemble"])
def test_tuned_scripts_of_every_shape_run_and_report_the_search(kind, tmp_path):
    """A tuned member keeps its place in the search's parameter paths wherever it sits: under a
    target transform, inside a voting ensemble, fitted once per target, or predicting one
    probability column per class."""
    from airlab.backends.templates.shape import Shape
    from airlab.tasks.spec import TaskSpec

    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 3))
    train = {"id": np.arange(90), "a": x[:, 0], "b": x[:, 1], "c": x[:, 2]}
    test = {"id": np.arange(90, 120), **{k: rng.normal(size=30) for k in "abc"}}
    fields = {"name": "t", "title": "t", "id_column": "id"}
    knn = Member("knn_regressor", MODELS["knn_regressor"].defaults(), tuned=True)
    if kind == "class_probabilities":
        train["species"] = np.array(["p", "q", "r"])[np.argmax(x, axis=1)]
        spec = {"type": "classification", "metric": "log_loss", "direction": "minimize"}
        spec["target_columns"] = ["p", "q", "r"]
        shape = Shape(kind="class_probabilities", label="species")
        knn = Member("knn_classifier", MODELS["knn_classifier"].defaults(), tuned=True)
        recipe = Recipe(members=(knn,), cv_folds=3)
    elif kind == "multi_target":
        train |= {"t1": np.exp(x[:, 0]), "t2": x[:, 1] ** 2}
        spec = {"type": "regression", "metric": "rmse", "direction": "minimize"}
        spec["target_columns"] = ["t1", "t2"]
        shape = Shape(kind="multi_target", nonnegative=True)
        recipe = Recipe(members=(knn,), cv_folds=3)
    else:
        train["y"] = np.exp(x[:, 0])
        spec = {"type": "regression", "metric": "rmse", "direction": "minimize"}
        spec["target_columns"] = ["y"]
        shape = Shape()
        ridge = Member("ridge", MODELS["ridge"].defaults())
        recipe = Recipe(members=(ridge, knn), cv_folds=3, log_target=True)
    code = render(recipe, TaskSpec.model_validate({**fields, **spec}), plan="tuned", shape=shape)
    assert code.count("RandomizedSearchCV(") == 1 and "cross_val_score" not in code, code
    workdir = tmp_path / "work"
    (workdir / "public").mkdir(parents=True)
    pd.DataFrame(train).to_csv(workdir / "public" / "train.csv", index=False)
    pd.DataFrame(test).to_csv(workdir / "public" / "test.csv", index=False)
    (workdir / "solution.py").write_text(code)
    result = subprocess.run(
        [sys.executable, "solution.py"], cwd=workdir, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "self_reported_score:" in result.stdout
    submission = pd.read_csv(workdir / "submission.csv")
    assert list(submission["id"]) == list(test["id"])
    assert list(submission.columns[1:]) == spec["target_columns"], submission.columns
    assert submission.iloc[:, 1:].notna().all().all()


def test_bad_options_are_named():
    with pytest.raises(BackendError, match="unknown option 'temperature'"):
        make_backend("templates", {"temperature": 1})
    with pytest.raises(BackendError, match="bug_rate"):
        make_backend("templates", {"bug_rate": 3})
    with pytest.raises(BackendError, match="jump_rate"):
        make_backend("templates", {"jump_rate": -0.1})
    with pytest.raises(BackendError, match="tune_rate"):
        make_backend("templates", {"tune_rate": 1.5})


def _run(code, task, tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    (workdir / "public").symlink_to(task.public_dir) if not (workdir / "public").exists() else None
    (workdir / "submission.csv").unlink(missing_ok=True)
    (workdir / "solution.py").write_text(code)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "solution.py"],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    ), workdir


@pytest.mark.slow
def test_clean_scripts_run_and_each_bug_really_breaks_them(task, tmp_path):
    from airlab.grading import Grader

    grader = Grader(task)
    recipe = Recipe(members=(Member("logistic_regression", {"C": 1.0}),))
    result, workdir = _run(render(recipe, task.spec, plan="clean"), task, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "self_reported_score:" in result.stdout
    assert grader.grade((workdir / "submission.csv").read_bytes(), ("search",)).valid
    for bug in BUGS:
        result, workdir = _run(
            render(replace(recipe, bug=bug), task.spec, plan=bug), task, tmp_path
        )
        submission = workdir / "submission.csv"
        crashed = result.returncode != 0
        invalid = (
            submission.exists() and not grader.grade(submission.read_bytes(), ("search",)).valid
        )
        assert crashed or invalid, bug
