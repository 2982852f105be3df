"""Taking the encoder's column kinds from the features, not the training table, before it runs.

The skeleton writes `NUMERIC = list(X.select_dtypes("number").columns)`: the numeric columns of
the features. Retyping it, the 1.5B local model wrote `train.select_dtypes(...)` (a wine draft
and its debug answer, live): the training table also holds the id and the target, so the
ColumnTransformer asks the features for `cultivar` (`Some column names are not columns of the
dataframe: {'cultivar'}`), every time. The repair reads the kinds from the features again, where
that is certain: the table is a frame read by `read_csv`, exactly one name is bound to a list of
its columns (`X = train[FEATURES]`, one value), and the list is a column list of a
ColumnTransformer. Where that name is bound on an earlier line the table becomes it (`X`); where
it is bound later but what it selects with is not (a live grunfeld draft built its encoder
before `X, X_test = train[FEATURES], test[FEATURES]`), the table becomes the selection written
out (`train[FEATURES]`), as it is where no name holds the features but one selection of the
table by a column list is written inside an expression (a debug answer's
`X = encode.fit_transform(train[FEATURES])`).
"""

from __future__ import annotations

import ast

from airlab import pyast
from airlab.operators.names import bindings_of, is_column_list, names_read, one_value_bindings
from airlab.operators.text_imputer import column_lists, select_dtypes_call
from airlab.pyast import called_name


def select_from_features(code: str) -> tuple[str, list[int]]:
    """(the script with each encoder column list read from the training table read from its
    features instead, the lines changed: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    bound = one_value_bindings(bindings_of(tree))
    frames = {name for name, value in bound.items() if called_name(value) == "read_csv"}
    selections: dict[str, list[str]] = {}  # a frame -> names bound to a list of its columns
    for name, value in bound.items():
        if (
            isinstance(value, ast.Subscript)
            and isinstance(value.value, ast.Name)
            and value.value.id in frames
            and is_column_list(value.slice, bound)
        ):
            selections.setdefault(value.value.id, []).append(name)
    features = {frame: names[0] for frame, names in selections.items() if len(names) == 1}
    unnamed = _unnamed_selections(tree, frames - set(selections), bound)
    used = column_lists(tree)
    edits: list[tuple[ast.expr, str]] = []
    for name, value in bound.items():
        call = select_dtypes_call(value)
        if call is None or name not in used or not isinstance(call.func, ast.Attribute):
            continue
        table = call.func.value
        if isinstance(table, ast.Name) and table.id in unnamed:
            if _bound_before(unnamed[table.id], bound, table.lineno):
                edits.append((table, ast.unparse(unnamed[table.id])))
            continue
        if not (isinstance(table, ast.Name) and table.id in features):
            continue
        selection = bound[features[table.id]]
        if not isinstance(selection, ast.expr):
            continue
        if selection.lineno < table.lineno:
            edits.append((table, features[table.id]))  # the features are bound by then
        elif _bound_before(selection, bound, table.lineno):
            edits.append((table, ast.unparse(selection)))  # their selection, written out
    if not edits:
        return code, []
    return pyast.replace_spans(code, edits), sorted({node.lineno for node, _ in edits})


def _unnamed_selections(
    tree: ast.Module, frames: set[str], bound: dict[str, ast.AST]
) -> dict[str, ast.Subscript]:
    """Per frame no name holds a selection of: its one selection by a named column list
    written inside an expression (`encode.fit_transform(train[FEATURES])`), where there is
    exactly one."""
    found: dict[str, dict[str, ast.Subscript]] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in frames
            and isinstance(node.slice, ast.Name)
            and is_column_list(node.slice, bound)
        ):
            found.setdefault(node.value.id, {})[ast.unparse(node)] = node
    return {frame: next(iter(s.values())) for frame, s in found.items() if len(s) == 1}


def _bound_before(selection: ast.expr, bound: dict[str, ast.AST], line: int) -> bool:
    """Every name the selection reads is bound (to one value) on a line before `line`."""
    for name in names_read(selection):
        value = bound.get(name)
        if not (isinstance(value, ast.expr) and value.lineno < line):
            return False
    return True
