"""Fitting a model the script predicts with and never fits, before it runs.

The 1.5B local model scores its model with `cross_val_score(model, X, y)` (which fits copies)
or fits a search, then predicts with the model itself: `NotFittedError` at the first predict,
every time (4 recorded writes, 3 of them in one round of live runs: a booster only
cross-validated, and `make_pipeline(encode, grid.best_estimator_)` built after the search and
never fitted). The repair adds `model.fit(X, y)` on the line before the first top-level statement
that predicts with it, where that is certain: the name is bound once, to a scikit-learn
estimator or pipeline constructor; no line fits it (nor hands it to anything but scoring and
search helpers, which fit copies); and every training pair the script fits or scores with
elsewhere is the same two names, bound by then.
"""

from __future__ import annotations

import ast

from airlab import pyast
from airlab.operators.names import (
    attributes_of,
    bindings_of,
    loads_of,
    one_value_bindings,
    read_before_binding,
)
from airlab.operators.search_params import SEARCHES
from airlab.operators.sklearn_names import ESTIMATOR_MODULES, PIPELINES, sklearn_modules

PREDICTS = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function"})
SCORERS = frozenset({"cross_val_score", "cross_validate", "cross_val_predict"})
"""Helpers that fit copies of the estimator they are given, never the estimator itself."""
HARMLESS = SCORERS | set(SEARCHES) | {"clone", "print", "make_pipeline"}
HARMLESS_ATTRIBUTES = PREDICTS | {"get_params", "set_params", "classes_"}


def fit_unfitted_models(code: str) -> tuple[str, list[int]]:
    """(the script with `name.fit(X, y)` added before the first prediction of each model it
    never fits, the lines added: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    bindings = bindings_of(tree)
    values = one_value_bindings(bindings)
    modules = sklearn_modules(tree)
    pair = _training_pair(tree)
    if pair is None:
        return code, []
    inserts: dict[int, str] = {}  # a top-level statement's line -> the fit to put before it
    for name, value in values.items():
        if len(bindings[name]) != 1 or not _is_model(value, modules):
            continue
        first = _first_prediction(tree, name)
        if first is None or not _only_predicted(tree, name):
            continue
        indent = " " * first.col_offset
        inserts.setdefault(first.lineno, "")
        inserts[first.lineno] += f"{indent}{name}.fit({pair[0]}, {pair[1]})\n"
    if not inserts:
        return code, []
    lines = code.splitlines(keepends=True)
    for line in sorted(inserts, reverse=True):
        lines.insert(line - 1, inserts[line])
    fitted = "".join(lines)
    early = read_before_binding(fitted) or {}
    if any(name in early for name in pair):
        return code, []  # the pair is not bound where the fit goes
    added, offset = [], 0
    for line in sorted(inserts):
        count = inserts[line].count("\n")
        added += [line + offset + k for k in range(count)]
        offset += count
    return fitted, added


def _training_pair(tree: ast.Module) -> tuple[str, str] | None:
    """The one (features, target) pair of names the script fits or scores with (`.fit(X, y)`,
    `cross_val_score(m, X, y)`); None where there is none, or more than one."""
    pairs: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        args: list[ast.expr] = []
        if isinstance(node.func, ast.Attribute) and node.func.attr == "fit":
            args = node.args[:2]
        elif pyast.called_name(node) in SCORERS:
            args = node.args[1:3]
        if len(args) == 2 and all(isinstance(a, ast.Name) for a in args):
            first, second = args
            assert isinstance(first, ast.Name) and isinstance(second, ast.Name)
            pairs.add((first.id, second.id))
    return next(iter(pairs)) if len(pairs) == 1 else None


def _is_model(value: ast.AST, modules: dict[str, str]) -> bool:
    called = pyast.called_name(value)
    if called in PIPELINES:
        return modules.get(called) == "sklearn.pipeline"
    return called is not None and modules.get(called) in ESTIMATOR_MODULES


def _first_prediction(tree: ast.Module, name: str) -> ast.stmt | None:
    """The first top-level statement that predicts with `name`."""
    for statement in tree.body:
        if any(node.attr in PREDICTS for node in attributes_of(statement, name)):
            return statement
    return None


def _only_predicted(tree: ast.Module, name: str) -> bool:
    """Every read of `name` is a prediction (or harmless attribute) of it, or an argument of a
    helper that fits copies: nothing fits it, or may."""
    asked = attributes_of(tree, name)
    if any(node.attr not in HARMLESS_ATTRIBUTES for node in asked):
        return False
    allowed = {id(node.value) for node in asked}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and pyast.called_name(node) in HARMLESS:
            given = [*node.args, *(k.value for k in node.keywords)]
            allowed |= {id(a) for a in given if isinstance(a, ast.Name) and a.id == name}
    return all(id(n) in allowed for n in loads_of(tree, name))
