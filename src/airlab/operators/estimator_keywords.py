"""Renaming the keywords a scikit-learn estimator knows by another name, before the script runs.

The 1.5B local model gives `HistGradientBoostingClassifier` the forests' and XGBoost's
`n_estimators=...` (4 recorded scripts, drafts and improve answers) or `n_iter=...` (1):
`TypeError: ... got an unexpected keyword argument 'n_estimators'` at construction, every time.
The histogram boosters call the number of boosting iterations `max_iter`, in every release that
has them, so the repair renames the keyword where the call certainly is one of them (the name
imported from `sklearn.ensemble`, or the script importing nothing else by that name, as the
auto-imports then bind it) and does not give `max_iter` already. Nothing else is renamed: other
unknown keywords have no certain counterpart.
"""

from __future__ import annotations

import ast

from airlab import pyast
from airlab.operators.sklearn_names import sklearn_modules

RENAMES: dict[str, dict[str, str]] = {
    "HistGradientBoostingClassifier": {"n_estimators": "max_iter", "n_iter": "max_iter"},
    "HistGradientBoostingRegressor": {"n_estimators": "max_iter", "n_iter": "max_iter"},
}
"""Per scikit-learn class: keywords the model gives it -> the class's own name for them."""
MODULE = "sklearn.ensemble"


def rename_estimator_keywords(code: str) -> tuple[str, list[int]]:
    """(the script with each keyword of `RENAMES` renamed, the lines changed: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    sklearn_names = _bound_by_sklearn(tree)
    edits: list[tuple[ast.keyword, str]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        renames = RENAMES.get(node.func.id)
        if renames is None or node.func.id not in sklearn_names:
            continue
        given = {k.arg for k in node.keywords}
        for keyword in node.keywords:
            new = renames.get(keyword.arg or "")
            if new is not None and new not in given:
                edits.append((keyword, new))
                given.add(new)
    if not edits:
        return code, []
    renamed = [(k, f"{new}={ast.get_source_segment(code, k.value)}") for k, new in edits]
    return pyast.replace_spans(code, renamed), sorted({k.lineno for k, _ in edits})


def _bound_by_sklearn(tree: ast.Module) -> set[str]:
    """The names of `RENAMES` that are scikit-learn's histogram boosters (imported unaliased
    from `sklearn.ensemble` and bound no other way, or bound nowhere: the auto-imports bind
    them)."""
    modules = sklearn_modules(tree)
    return {name for name in RENAMES if modules.get(name) == MODULE}
