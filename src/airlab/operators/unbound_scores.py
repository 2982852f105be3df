"""Dropping a self-made score against targets no line binds, before the script runs.

The test rows have no target, yet the 1.5B local model scores its test predictions against one:
`rmse = mean_squared_error(y_test, predictions)`, or `(y_pred - y_val).mean()` with `y_val`
never bound (7 recorded scripts, two whole debug chains: told the name is read before any line
binds it, the model kept the line each time). The line is the script's own report, which airlab
does not need (it scores the submission itself), and it certainly dies of a NameError, usually
before the submission is written. The repair turns it into a marked `pass`, with the lines that
only carry its result on (`print(rmse)`), where all of this holds: the name is a held-out or
true target's (`y_test`, `y_val`, `y_true`; never the training `y`), no line binds it anywhere
(after the other repairs), every read of it is in a plain statement at the script's top level
(an assignment to names, or an expression such as a `print`), every statement reading a result
of those is too, and none of them fits a model or writes a file. Anything else is left for
`check_names`.
"""

from __future__ import annotations

import ast
import re

from airlab import pyast
from airlab.operators.names import ALWAYS_DEFINED, bound_anywhere, names_read

TARGET_LIKE = re.compile(
    r"^y_?(test|val|valid|validation|true|hold|holdout|dev|eval)", re.IGNORECASE
)
"""The held-out or true targets a script scores against (`y_test`, `y_val`, `y_true`); never
`y`, the training target, whose absence the I/O prelude or `check_names` handles."""
FITS = frozenset({"fit", "fit_transform", "fit_predict"})
MARK = "pass  # airlab: scored against `{name}`, which no line binds (the test rows have no target)"
WRITES = frozenset({"to_csv", "savetxt", "save", "write", "dump", "to_parquet", "to_json"})


def drop_unbound_scores(code: str) -> tuple[str, list[int]]:
    """(the script with each top-level statement scoring against an unbound target-like name,
    and those carrying its result, turned into a marked `pass`; the lines: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    bound = bound_anywhere(code)
    if bound is None:
        return code, []
    unbound = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name)
        and isinstance(node.ctx, ast.Load)
        and TARGET_LIKE.match(node.id)
        and node.id not in bound
        and node.id not in ALWAYS_DEFINED
    }
    if not unbound:
        return code, []
    dropped: list[tuple[ast.stmt, str]] = []
    root = {name: name for name in unbound}  # a name whose value a dropped line made -> its target
    for statement in tree.body:
        culprits = sorted(names_read(statement) & root.keys())
        if not culprits:
            continue
        if not _plain(statement) or _calls(statement, WRITES | FITS):
            return code, []  # a compound statement, a write or a fit reads it: not a score
        target = root[culprits[0]]
        dropped.append((statement, target))
        root.update(dict.fromkeys(_bound_by(statement), target))
    if not dropped:
        return code, []
    edits = [(statement, MARK.format(name=name)) for statement, name in dropped]
    return pyast.replace_spans(code, edits), [statement.lineno for statement, _ in dropped]


def _plain(statement: ast.stmt) -> bool:
    """An expression statement, or an assignment to plain names."""
    if isinstance(statement, ast.Expr):
        return True
    if isinstance(statement, ast.Assign):
        return all(
            isinstance(part, ast.Name)
            for target in statement.targets
            for part in (target.elts if isinstance(target, ast.Tuple) else [target])
        )
    return False


def _calls(statement: ast.stmt, methods: frozenset[str]) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in methods
        for n in ast.walk(statement)
    )


def _bound_by(statement: ast.stmt) -> set[str]:
    return {
        n.id
        for n in ast.walk(statement)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
