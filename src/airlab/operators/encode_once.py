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
"""

from __future__ import annotations

import ast

from airlab import pyast
from airlab.operators.names import bindings_of
from airlab.pyast import called_name

TRANSFORMER_CALLS = frozenset({"ColumnTransformer", "make_column_transformer"})


def encode_once(code: str) -> tuple[str, list[int]]:
    """(the script with each doubled encoding unwrapped, the lines changed: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    bindings = {  # names bound exactly once in the script, by `name = value`
        name: values[0]
        for name, values in bindings_of(tree).items()
        if len(values) == 1 and values[0] is not None
    }
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
    source = code.encode()
    starts = _line_starts(source)
    lines = []
    for call, wrapped in sorted(doubled, key=lambda item: _offset(starts, item[0]), reverse=True):
        start = _offset(starts, call)
        end = starts[(call.end_lineno or call.lineno) - 1] + (call.end_col_offset or 0)
        source = source[:start] + wrapped.encode() + source[end:]
        lines.append(call.lineno)
    return source.decode(), sorted(lines)


def _first_step(value: ast.AST) -> str | None:
    """The name of a pipeline's first step: `make_pipeline(E, ...)` or
    `Pipeline([("name", E), ...])` (also as `steps=`)."""
    if not isinstance(value, ast.Call):
        return None
    called = called_name(value)
    if called == "make_pipeline":
        return _name(value.args[0]) if value.args else None
    if called != "Pipeline":
        return None
    steps = (
        value.args[0]
        if value.args
        else next((k.value for k in value.keywords if k.arg == "steps"), None)
    )
    if not isinstance(steps, ast.List | ast.Tuple) or not steps.elts:
        return None
    first = steps.elts[0]
    if isinstance(first, ast.Tuple) and len(first.elts) == 2:
        return _name(first.elts[1])
    return None


def _name(value: ast.AST) -> str | None:
    return value.id if isinstance(value, ast.Name) else None


def _line_starts(source: bytes) -> list[int]:
    """The byte offset where each line starts (the AST's columns count UTF-8 bytes)."""
    starts = [0]
    for index, byte in enumerate(source):
        if byte == 0x0A:
            starts.append(index + 1)
    return starts


def _offset(starts: list[int], node: ast.expr) -> int:
    return starts[node.lineno - 1] + node.col_offset
