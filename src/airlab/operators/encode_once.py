"""Unwrapping a pipeline that would encode the data twice, before the script runs.

The skeleton builds `encode` (a ColumnTransformer selecting columns by name) and fits
`make_pipeline(encode, estimator)`. The 1.5B local model, told to replace the estimator and keep
`encode`, most often wrote `estimator = make_pipeline(encode, SomeModel())`: the skeleton's line
then encodes twice, and the second ColumnTransformer, given the first one's array, dies of
"Specifying the columns using strings is only supported for dataframes" (4 of the 8 failed
scripts of one measured run). The repair is mechanical: where `make_pipeline(E, N)` wraps a
name `N` whose one binding is a pipeline that already starts from the same transformer `E`,
the call becomes `N`. Anything less certain (a name bound twice, a transformer built some other
way, a pipeline over another transformer) is left as written.

The same double encoding came another way (6 of 187 recorded writes): `X = encode.fit_transform(X)`
and `X_test = encode.transform(X_test)` written before the skeleton's `make_pipeline(encode,
estimator).fit(X, y)`; the debug chain repeated it three times under the known-error line.
Where a pipeline starting with that `encode` is later given the rebound name, the line goes
(marked `pass`): the pipeline encodes the frame itself.
"""

from __future__ import annotations

import ast

from airlab import pyast
from airlab.operators.names import single_bindings
from airlab.operators.sklearn_names import pipeline_steps
from airlab.pyast import called_name

TRANSFORMER_CALLS = frozenset({"ColumnTransformer", "make_column_transformer"})


def encode_once(code: str) -> tuple[str, list[int]]:
    """(the script with each doubled encoding unwrapped and each encoding outside a pipeline
    that encodes dropped, the lines changed: [] when none)."""
    unwrapped, lines = _unwrap_doubled(code)
    kept, dropped = _drop_outside_encoding(unwrapped)
    return kept, sorted(lines + dropped)


def _unwrap_doubled(code: str) -> tuple[str, list[int]]:
    """`make_pipeline(encode, estimator)` where `estimator` already starts with `encode`."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    bindings = single_bindings(tree)
    transformers = {
        name for name, value in bindings.items() if called_name(value) in TRANSFORMER_CALLS
    }
    if not transformers:
        return code, []
    encoded = {
        name: first
        for name, value in bindings.items()
        if (first := _first_step(value)) is not None and first in transformers
    }
    doubled = [
        (call, wrapped)
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and called_name(call) == "make_pipeline"
        and len(call.args) == 2
        and not call.keywords
        and all(isinstance(arg, ast.Name) for arg in call.args)
        and (wrapped := _name(call.args[1])) in encoded
        and encoded[wrapped] == _name(call.args[0])
    ]
    if not doubled:
        return code, []
    return pyast.replace_spans(code, doubled), sorted(call.lineno for call, _ in doubled)


ENCODING_METHODS = frozenset({"fit_transform", "transform"})
USING_METHODS = frozenset({"fit", "predict", "predict_proba", "score", "fit_predict"})
DROPPED_MARK = "pass  # airlab: the pipeline encodes already, so this line went:"


def _drop_outside_encoding(code: str) -> tuple[str, list[int]]:
    """`X = encode.fit_transform(X)` (or `.transform`) where a pipeline starting with the same
    `encode` is later fitted, scored or asked to predict on `X`: the pipeline's
    ColumnTransformer would get the array and fail ("Specifying the columns using strings is
    only supported for dataframes"). The line becomes `pass`, marked, and `X` stays the frame.
    Only such in-place lines (the same name on both sides), one line each."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    single = single_bindings(tree)
    transformers = {n for n, v in single.items() if called_name(v) in TRANSFORMER_CALLS}
    pipelines = {n: first for n, v in single.items() if (first := _fitted_first(v)) in transformers}
    uses = _pipeline_uses(tree, pipelines)  # (transformer, data name, line) of each use
    dropped = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr in ENCODING_METHODS
            and node.value.args
            and _name(node.value.args[0]) == node.targets[0].id
            and node.lineno == node.end_lineno
        ):
            continue
        encoder, data = _name(node.value.func.value), node.targets[0].id
        if encoder in transformers and any(
            e == encoder and d == data and line > node.lineno for e, d, line in uses
        ):
            dropped.append(node)
    if not dropped:
        return code, []
    marked = [(node, f"{DROPPED_MARK} {ast.get_source_segment(code, node)}") for node in dropped]
    return pyast.replace_spans(code, marked), sorted(n.lineno for n in dropped)


def _pipeline_uses(tree: ast.Module, pipelines: dict[str, str]) -> list[tuple[str, str, int]]:
    """Where a pipeline starting with a transformer gets data by name: `P.fit(X, ...)`,
    `make_pipeline(E, ...).predict(X)`, `cross_val_score(P, X, ...)`."""

    def first_of(value: ast.AST) -> str | None:
        return pipelines.get(value.id) if isinstance(value, ast.Name) else _fitted_first(value)

    uses = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        names = [a.id for a in call.args if isinstance(a, ast.Name)]
        if isinstance(call.func, ast.Attribute) and call.func.attr in USING_METHODS:
            first = first_of(call.func.value)
            if first is not None:
                uses += [(first, name, call.lineno) for name in names]
        for index, argument in enumerate(call.args):
            first = first_of(argument)
            if first is not None:
                uses += [(first, name, call.lineno) for name in names[index:]]
    return uses


def _fitted_first(value: ast.AST) -> str | None:
    """A pipeline's first step, the pipeline also as `make_pipeline(...).fit(...)` (which
    returns the pipeline)."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "fit"
    ):
        return _first_step(value.func.value)
    return _first_step(value)


def _first_step(value: ast.AST) -> str | None:
    """The name of a pipeline's first step: `make_pipeline(E, ...)` or
    `Pipeline([("name", E), ...])` (also as `steps=`)."""
    steps = pipeline_steps(value)
    return _name(steps[0][1]) if steps else None


def _name(value: ast.AST) -> str | None:
    return value.id if isinstance(value, ast.Name) else None
