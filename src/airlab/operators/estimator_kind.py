"""An estimator of the other kind becomes its twin of the task's kind, before the script runs.

Asked for a draft "clearly different" from the last, the 1.5B local model reaches for
`MLPClassifier` on grunfeld, whose target is a continuous amount (3 recorded drafts): the fit
dies of `Unknown label type: continuous` every time, and the debug answer blames the
categorical columns; on wine, a classification task, it drafted an `MLPRegressor`, whose
continuous predictions are no label (`unknown label '-0.035'`). Each of these classes has a twin
of the same family in the same module, taking the same hyperparameters, so on a task whose spec
says `regression` a classifier becomes its regressor, and on a `classification` task scored on
labels a regressor its classifier (where probabilities are scored, a regressor of 0/1 targets
is a fair model, left alone), at its import and at its calls, where that is certain: every use of
the name is `from sklearn.<its module> import <name>` (unaliased) or a call of it, or the script
never binds it (the auto-imports import it from scikit-learn), and every call gives only
keywords both classes take (a call with `class_weight`, `criterion="gini"` or `probability=`
keeps its class). Anything else is left as written.
"""

from __future__ import annotations

import ast

from airlab import pyast
from airlab.operators.names import bindings_of
from airlab.tasks.task import Task

TWINS = {
    "RandomForestClassifier": ("sklearn.ensemble", "RandomForestRegressor"),
    "ExtraTreesClassifier": ("sklearn.ensemble", "ExtraTreesRegressor"),
    "GradientBoostingClassifier": ("sklearn.ensemble", "GradientBoostingRegressor"),
    "HistGradientBoostingClassifier": ("sklearn.ensemble", "HistGradientBoostingRegressor"),
    "AdaBoostClassifier": ("sklearn.ensemble", "AdaBoostRegressor"),
    "BaggingClassifier": ("sklearn.ensemble", "BaggingRegressor"),
    "MLPClassifier": ("sklearn.neural_network", "MLPRegressor"),
    "KNeighborsClassifier": ("sklearn.neighbors", "KNeighborsRegressor"),
    "DecisionTreeClassifier": ("sklearn.tree", "DecisionTreeRegressor"),
    "SVC": ("sklearn.svm", "SVR"),
    "LinearSVC": ("sklearn.svm", "LinearSVR"),
}
"""A classifier -> (the module both live in, its regressor twin)."""

# fmt: off
SHARED_KEYWORDS = frozenset({
    "n_estimators", "max_depth", "max_features", "max_leaf_nodes", "min_samples_leaf",
    "min_samples_split", "min_impurity_decrease", "random_state", "n_jobs", "verbose",
    "warm_start", "bootstrap", "max_samples", "learning_rate", "max_iter", "l2_regularization",
    "max_bins", "early_stopping", "validation_fraction", "n_iter_no_change", "tol", "subsample",
    "hidden_layer_sizes", "activation", "solver", "alpha", "batch_size", "learning_rate_init",
    "momentum", "n_neighbors", "weights", "algorithm", "leaf_size", "p", "metric", "C", "kernel",
    "degree", "gamma", "coef0", "shrinking", "cache_size", "epsilon", "ccp_alpha",
})
# fmt: on
"""Keywords a twin takes wherever its class does (but `NOT_IN_THE_TWIN`'s)."""
NOT_IN_THE_TWIN = {
    "SVC": frozenset({"random_state"}),  # SVR has no seed
    "GradientBoostingRegressor": frozenset({"alpha"}),  # the quantile of the huber loss
    "SVR": frozenset({"epsilon"}),
    "LinearSVR": frozenset({"epsilon"}),
}
"""Keywords of `SHARED_KEYWORDS` a class takes and its twin does not."""


def twins_for(task_type: str, *, scores_labels: bool) -> dict[str, tuple[str, str]]:
    """The renames a task calls for: classifiers to regressors on a regression task, regressors
    to classifiers on a classification task scored on labels (whose continuous predictions are
    no label; where probabilities are scored, a regressor of 0/1 targets is a fair model), none
    on any other."""
    if task_type == "regression":
        return TWINS
    if task_type == "classification" and scores_labels:
        return {twin: (module, name) for name, (module, twin) in TWINS.items()}
    return {}


def estimators_for_task(code: str, task: Task) -> tuple[str, list[str]]:
    """(the script with each estimator of the other kind renamed to its twin of the task's kind,
    the classes renamed: [] when none)."""
    twins = twins_for(task.spec.type, scores_labels=task.metric.kind == "label")
    if not twins:
        return code, []
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    bindings = bindings_of(tree)
    edits: list[tuple[ast.expr | ast.stmt, str]] = []
    renamed: list[str] = []
    for name, (module, twin) in twins.items():
        uses = _uses(tree, name, module, twin)
        if uses is None or not uses[1]:  # not certain, or never called
            continue
        imports, calls = uses
        if len(bindings.get(name, [])) != len(imports):
            continue  # bound by something else too
        edits += [(statement, _renamed_import(statement, name, twin)) for statement in imports]
        edits += [(call.func, twin) for call in calls]
        renamed.append(name)
    if not edits:
        return code, []
    return pyast.replace_spans(code, edits), renamed


def _uses(
    tree: ast.Module, name: str, module: str, twin: str
) -> tuple[list[ast.ImportFrom], list[ast.Call]] | None:
    """(the statements importing `name` from `module`, its calls), or None when it is used
    any other way, imported from elsewhere, or called with a keyword the twin may lack."""
    imports: list[ast.ImportFrom] = []
    calls: list[ast.Call] = []
    called: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(
            (a.asname or a.name) == name for a in node.names
        ):
            if node.module != module or any(a.name == name and a.asname for a in node.names):
                return None
            if any(a.name == twin for a in node.names):
                return None  # the twin is imported beside it: one line would name it twice
            imports.append(node)
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
        ):
            allowed = SHARED_KEYWORDS - NOT_IN_THE_TWIN.get(name, frozenset())
            if any(k.arg is None or k.arg not in allowed for k in node.keywords):
                return None
            calls.append(node)
            called.add(id(node.func))
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]
    if any(id(n) not in called for n in names):
        return None  # passed around, compared, subclassed: not only called
    return imports, calls


def _renamed_import(statement: ast.ImportFrom, name: str, twin: str) -> str:
    """`from m import a, <name>` with the twin in its place (one logical line)."""
    parts = [twin if a.name == name else _alias(a) for a in statement.names]
    return f"from {statement.module} import {', '.join(parts)}"


def _alias(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name
