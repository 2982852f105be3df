"""Imputing text columns with their most frequent value, before the script runs.

The skeleton encodes text and category columns with `make_pipeline(SimpleImputer(
strategy="most_frequent"), OneHotEncoder(...))` beside `SimpleImputer(strategy="median")` for
the numeric ones. The 1.5B local model, editing it, made the two imputers alike: 5 recorded
scripts (4 runs, drafts and debug answers) impute the text columns with the median or the mean,
which cannot read text: `could not convert string to float: 'Chrysler'` or `Cannot use median
strategy with non-numeric data`, every time, at fit. The repair sets that imputer's strategy
back to `"most_frequent"`, the one that works on any column, and only where the columns are
certainly not numeric: the column list of that transformer is a name bound once to the columns
not in a list bound to `select_dtypes("number")` (the skeleton's `CATEGORICAL`), or to a
`select_dtypes` excluding numbers. The transformer is the imputer itself or a pipeline that
contains it, written in place or as a name bound once. Anything else is left as written.
"""

from __future__ import annotations

import ast

from airlab import pyast
from airlab.operators.names import bindings_of, one_value_bindings
from airlab.operators.sklearn_names import pipeline_steps
from airlab.pyast import called_name, keyword_value

NUMERIC_STRATEGIES = frozenset({"median", "mean"})
REPLACEMENT = '"most_frequent"'
COLUMN_TRANSFORMERS = frozenset({"ColumnTransformer", "make_column_transformer"})


def impute_text_by_frequency(code: str) -> tuple[str, list[int]]:
    """(the script with each numeric imputation of text columns made `most_frequent`, the
    lines changed: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    bound = one_value_bindings(bindings_of(tree))
    numeric = {name for name, value in bound.items() if _selects_numbers(value)}
    text = {name for name, value in bound.items() if _lists_text(value, numeric)}
    edits: dict[int, ast.Constant] = {}
    for transformer, columns in _transformers(tree):
        if not (isinstance(columns, ast.Name) and columns.id in text):
            continue
        for strategy in _numeric_strategies(transformer, bound):
            edits[id(strategy)] = strategy
    if not edits:
        return code, []
    changed = [(node, REPLACEMENT) for node in edits.values()]
    return pyast.replace_spans(code, changed), sorted({node.lineno for node in edits.values()})


def column_lists(tree: ast.Module) -> set[str]:
    """The names a ColumnTransformer's entries use as their column lists."""
    return {columns.id for _, columns in _transformers(tree) if isinstance(columns, ast.Name)}


def _transformers(tree: ast.Module) -> list[tuple[ast.expr, ast.expr]]:
    """(transformer, columns) of every entry of a ColumnTransformer's list of
    `(name, transformer, columns)` and of `make_column_transformer((transformer, columns))`."""
    found: list[tuple[ast.expr, ast.expr]] = []
    for node in ast.walk(tree):
        name = called_name(node)
        if name not in COLUMN_TRANSFORMERS:
            continue
        assert isinstance(node, ast.Call)
        if name == "ColumnTransformer":
            listed = node.args[0] if node.args else keyword_value(node, "transformers")
            entries = listed.elts if isinstance(listed, ast.List | ast.Tuple) else []
            found += [
                (entry.elts[1], entry.elts[2])
                for entry in entries
                if isinstance(entry, ast.Tuple) and len(entry.elts) == 3
            ]
        else:
            found += [
                (entry.elts[0], entry.elts[1])
                for entry in node.args
                if isinstance(entry, ast.Tuple) and len(entry.elts) == 2
            ]
    return found


def _numeric_strategies(transformer: ast.expr, bound: dict[str, ast.AST]) -> list[ast.Constant]:
    """The `strategy="median"` (or mean) constants of the SimpleImputers the transformer is or
    chains."""
    value: ast.AST = transformer
    if isinstance(transformer, ast.Name) and transformer.id in bound:
        value = bound[transformer.id]
    if called_name(value) == "SimpleImputer":
        steps: list[ast.AST] = [value]
    elif (chained := pipeline_steps(value)) is not None:
        steps = [step for _, step in chained]
    else:
        return []
    found = []
    for step in steps:
        if called_name(step) != "SimpleImputer":
            continue
        assert isinstance(step, ast.Call)
        strategy = keyword_value(step, "strategy")
        if isinstance(strategy, ast.Constant) and strategy.value in NUMERIC_STRATEGIES:
            found.append(strategy)
    return found


def _selects_numbers(value: ast.AST) -> bool:
    """`list(X.select_dtypes("number").columns)` or `X.select_dtypes(include="number")
    .columns.tolist()` (`include=["number"]`, np.number alike)."""
    call = select_dtypes_call(value)
    if call is None:
        return False
    include = call.args[0] if call.args else keyword_value(call, "include")
    return (
        include is not None and _names_numbers(include) and keyword_value(call, "exclude") is None
    )


def _lists_text(value: ast.AST, numeric: set[str]) -> bool:
    """The columns not in a numeric list (`[c for c in FEATURES if c not in NUMERIC]`), or a
    `select_dtypes` excluding numbers."""
    if isinstance(value, ast.ListComp) and len(value.generators) == 1:
        return any(
            isinstance(condition, ast.Compare)
            and len(condition.ops) == 1
            and isinstance(condition.ops[0], ast.NotIn)
            and isinstance(condition.comparators[0], ast.Name)
            and condition.comparators[0].id in numeric
            for condition in value.generators[0].ifs
        )
    call = select_dtypes_call(value)
    if call is None:
        return False
    exclude = keyword_value(call, "exclude")
    included = call.args or keyword_value(call, "include") is not None  # could select numbers
    return exclude is not None and _names_numbers(exclude) and not included


def select_dtypes_call(value: ast.AST) -> ast.Call | None:
    """The `select_dtypes(...)` call whose columns `value` lists: `list(<it>.columns)`,
    `<it>.columns.tolist()` or `<it>.columns`."""
    if called_name(value) == "list" and isinstance(value, ast.Call) and len(value.args) == 1:
        value = value.args[0]
    elif (
        called_name(value) == "tolist"
        and isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
    ):
        value = value.func.value
    if isinstance(value, ast.Attribute) and value.attr == "columns":
        inner = value.value
        if called_name(inner) == "select_dtypes":
            assert isinstance(inner, ast.Call)
            return inner
    return None


def _names_numbers(kinds: ast.expr) -> bool:
    """`"number"`, `np.number`, or a list of only those."""
    elements = kinds.elts if isinstance(kinds, ast.List | ast.Tuple) else [kinds]
    return bool(elements) and all(
        (isinstance(e, ast.Constant) and e.value == "number")
        or (isinstance(e, ast.Attribute) and e.attr == "number")
        for e in elements
    )
