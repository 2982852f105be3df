"""The skeleton's encoder put in front of an estimator fitted on the raw table, before it runs.

The skeleton builds `encode` (a ColumnTransformer: text and category columns one-hot encoded,
numbers imputed) and fits `make_pipeline(encode, estimator)`; the model is to replace only the
estimator. Retyping it, the 1.5B local model kept `encode = ColumnTransformer(...)` and wrote
`model = LinearRegression()` / `model.fit(X, y)` on the raw features (9 of 188 recorded writes,
live on grunfeld and modechoice: `could not convert string to float: 'Chrysler'` at fit, every
time, and again in each debug answer that kept it). The repair puts the encoder back in front:
`model = make_pipeline(encode, LinearRegression())` (inside a search, its estimator: the
`search_params` repair after it then gives the grid the step's name). Only where that is
certain: exactly one ColumnTransformer is bound, once, on an earlier line, and read nowhere; the
fitted name is bound once to a scikit-learn estimator's constructor (or a search of one); what
it is fitted on is bound once to a column selection of a table (`train[FEATURES]`), not to
something derived; and the script asks the fitted model only what a pipeline also answers.
"""

from __future__ import annotations

import ast

from airlab import pyast
from airlab.operators.io_prelude import split_future
from airlab.operators.names import (
    attributes_of,
    bindings_of,
    loads_of,
    names_read,
    one_value_bindings,
)
from airlab.operators.search_params import SEARCHES
from airlab.operators.sklearn_names import ESTIMATOR_MODULES, sklearn_modules

ENCODERS = frozenset({"ColumnTransformer", "make_column_transformer"})
PIPELINE_ANSWERS = frozenset(
    {
        "fit",
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "score",
        "classes_",
        "n_features_in_",
        "get_params",
        "set_params",
        "best_estimator_",
        "best_params_",
        "best_score_",
        "cv_results_",
    }
)
"""What a script may ask the fitted model that a pipeline (or a search of one) answers too."""
IMPORT = "from sklearn.pipeline import make_pipeline"


def encode_before_estimator(code: str) -> tuple[str, list[int]]:
    """(the script with its unused encoder put in front of the estimator fitted on the raw
    features, the lines changed: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    bindings = bindings_of(tree)
    values = one_value_bindings(bindings)
    read = names_read(tree)
    encoders = [
        name
        for name, value in values.items()
        if pyast.called_name(value) in ENCODERS and len(bindings[name]) == 1 and name not in read
    ]
    if len(encoders) != 1:
        return code, []
    encoder = values[encoders[0]]
    assert isinstance(encoder, ast.expr)
    modules = sklearn_modules(tree)
    edits: dict[int, tuple[ast.Call, str]] = {}
    sources = _column_sources(encoder, values)
    for node in ast.walk(tree):
        fitted = _fitted_on_raw_features(node, values, sources)
        if fitted is None or not _asked_only_what_a_pipeline_answers(tree, fitted):
            continue
        estimator = _estimator_of(values[fitted], values, tree)
        if estimator is None or estimator.lineno <= encoder.lineno:
            continue
        if modules.get(str(pyast.called_name(estimator))) not in ESTIMATOR_MODULES:
            continue
        source = ast.get_source_segment(code, estimator)
        edits[id(estimator)] = (estimator, f"make_pipeline({encoders[0]}, {source})")
    if not edits:
        return code, []
    spans = list(edits.values())
    changed = pyast.replace_spans(code, spans)
    lines = sorted({call.lineno for call, _ in spans})
    if "make_pipeline" not in bindings:
        head, body = split_future(changed)
        changed = f"{head}{IMPORT}\n{body}"
        lines = [line + 1 for line in lines]
    return changed, lines


def _column_sources(encoder: ast.expr, values: dict[str, ast.AST]) -> set[str]:
    """The names the encoder's column lists are derived from, not the lists themselves: for
    the skeleton's `NUMERIC` and `CATEGORICAL`, `X` and `FEATURES` (a selection by `NUMERIC`
    holds only some of the encoder's columns)."""
    direct = names_read(encoder)
    found = set(direct)
    for _ in range(2):
        found |= {n for name in found if name in values for n in names_read(values[name])}
    return found - direct


def _fitted_on_raw_features(
    node: ast.AST, values: dict[str, ast.AST], sources: set[str]
) -> str | None:
    """The name in `name.fit(X, ...)` where `X` is bound once to a column selection of a
    table (`train[FEATURES]`) by the names the encoder's columns come from (or is itself one
    of them); None for anything else."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "fit"
        and isinstance(node.func.value, ast.Name)
        and node.args
        and isinstance(node.args[0], ast.Name)
    ):
        return None
    features = values.get(node.args[0].id)
    if not (isinstance(features, ast.Subscript) and isinstance(features.value, ast.Name)):
        return None
    by = names_read(features.slice)
    if node.args[0].id not in sources and not (by and by <= sources):
        return None  # a selection the encoder's columns may not be in
    return node.func.value.id if node.func.value.id in values else None


def _estimator_of(value: ast.AST, values: dict[str, ast.AST], tree: ast.Module) -> ast.Call | None:
    """The estimator's constructor call: the value itself, or a search's estimator (through a
    name only where the search is all that reads it: wrapped, it stays a pipeline for any other
    use too)."""
    if not isinstance(value, ast.Call):
        return None
    if pyast.called_name(value) in SEARCHES:
        inner: ast.AST | None = pyast.argument(value, 0, "estimator")
        if isinstance(inner, ast.Name):
            inner = values.get(inner.id) if len(loads_of(tree, inner.id)) == 1 else None
        return inner if isinstance(inner, ast.Call) else None
    return value


def _asked_only_what_a_pipeline_answers(tree: ast.Module, name: str) -> bool:
    return all(node.attr in PIPELINE_ANSWERS for node in attributes_of(tree, name))
