"""Taking one class's probabilities as a column, not a one-column table, before the script runs.

`model.predict_proba(X)[:, [1]]` is an array of shape (n, 1): one column, still two-dimensional.
`pd.DataFrame({ID: test[ID], "chosen": it})` refuses it (`Per-column arrays must each be
1-dimensional`), and `sorted(it)` or a CSV of it writes `[0.99]` where a number belongs. The
1.5B local model wrote it in 6 recorded scripts (three runs of the binary modechoice task); what
it means is the class's probabilities, `[:, 1]`. The repair drops the inner brackets where the
result is certainly used as a column: given directly to a `DataFrame` or a column assignment, or
bound once to a name read only there.
"""

from __future__ import annotations

import ast

from airlab import pyast
from airlab.operators.names import loads_of, single_bindings
from airlab.pyast import called_name

PROBABILITIES = frozenset({"predict_proba", "predict_log_proba"})


def take_probability_columns(code: str) -> tuple[str, list[int]]:
    """(the script with each `predict_proba(...)[:, [k]]` used as a column made `[:, k]`, the
    lines changed: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    single = single_bindings(tree)
    edits: list[tuple[ast.expr, str]] = []
    for node in ast.walk(tree):
        column = _one_column_index(node)
        if column is None:
            continue
        assert isinstance(node, ast.Subscript)
        if not _used_as_column(node, tree, single):
            continue
        edits.append((node.slice, f":, {ast.get_source_segment(code, column)}"))
    if not edits:
        return code, []
    return pyast.replace_spans(code, edits), sorted({node.lineno for node, _ in edits})


def _one_column_index(node: ast.AST) -> ast.expr | None:
    """`k` of `<...>.predict_proba(...)[:, [k]]`; None for anything else."""
    if not (
        isinstance(node, ast.Subscript)
        and called_name(node.value) in PROBABILITIES
        and isinstance(node.slice, ast.Tuple)
        and len(node.slice.elts) == 2
    ):
        return None
    rows, columns = node.slice.elts
    if not (
        isinstance(rows, ast.Slice)
        and rows.lower is None
        and rows.upper is None
        and rows.step is None
        and isinstance(columns, ast.List)
        and len(columns.elts) == 1
        and not isinstance(columns.elts[0], ast.Starred)
    ):
        return None
    return columns.elts[0]


def _used_as_column(node: ast.Subscript, tree: ast.Module, single: dict[str, ast.AST]) -> bool:
    """Whether the one-column table is certainly used as a column: a DataFrame's value or a
    column assignment's, itself or through a name bound once to it and read only so."""
    if _is_column_value(node, tree):
        return True
    names = [name for name, value in single.items() if value is node]
    if len(names) != 1:
        return False
    reads = loads_of(tree, names[0])
    return bool(reads) and all(_is_column_value(read, tree) for read in reads)


def _is_column_value(node: ast.expr, tree: ast.Module) -> bool:
    for parent in ast.walk(tree):
        if (
            isinstance(parent, ast.Call)
            and called_name(parent) == "DataFrame"
            and parent.args
            and isinstance(parent.args[0], ast.Dict)
            and any(value is node for value in parent.args[0].values)
        ):
            return True
        if (
            isinstance(parent, ast.Assign)
            and parent.value is node
            and len(parent.targets) == 1
            and isinstance(parent.targets[0], ast.Subscript)
        ):
            return True
    return False
