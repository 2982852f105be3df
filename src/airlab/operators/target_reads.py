"""Finding a read of the target column from the test data, before the script runs.

`public/test.csv` has no target column, and the prompts say so; small models still compute
their "self-reported score" by reading the target from it (`test_hidden = pd.read_csv(
"public/test.csv"); y_hidden = test_hidden[TARGETS[0]]`), often after the submission is
written, and the run dies of a KeyError. The pass is conservative, because a false alarm costs a
script that would have run: a name counts as test data only when every binding of it reads
`test.csv` or narrows such a frame (`test[FEATURES]`, `test.copy()`), so `train, test =
train_test_split(...)` never counts; a read is flagged only before the script stores that column
into the same frame, and not inside a `try` or an `if` that looks at `.columns`.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from airlab.operators.names import bindings_of
from airlab.pyast import called_name

_NARROWING_METHODS = frozenset(
    {"copy", "drop", "dropna", "fillna", "reset_index", "set_index", "head", "tail", "sample"}
)


def _reads_test_csv(value: ast.AST) -> bool:
    """`<anything>.read_csv("...test.csv", ...)` (any path ending in test.csv)."""
    return (
        isinstance(value, ast.Call)
        and called_name(value) == "read_csv"
        and bool(value.args)
        and isinstance(value.args[0], ast.Constant)
        and isinstance(value.args[0].value, str)
        and value.args[0].value.replace("\\", "/").split("/")[-1] == "test.csv"
    )


def _narrows(value: ast.AST, frames: set[str]) -> bool:
    """`frame[...]` or `frame.copy()` (and other row or column narrowing) of a test frame."""
    if isinstance(value, ast.Subscript):
        return isinstance(value.value, ast.Name) and value.value.id in frames
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in _NARROWING_METHODS
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id in frames
    )


def _test_frames(bindings: dict[str, list[ast.AST | None]]) -> set[str]:
    """Names every binding of which is the test data or a narrowing of it (to a fixpoint)."""
    frames: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, values in bindings.items():
            if name in frames:
                continue
            if all(v is not None and (_reads_test_csv(v) or _narrows(v, frames)) for v in values):
                frames.add(name)
                changed = True
    return frames


def _target_names(bindings: dict[str, list[ast.AST | None]], targets: set[str]) -> set[str]:
    """Names bound only to a target's name (`TARGET = "y"`) or to a list of them."""

    def is_target_value(value: ast.AST | None) -> bool:
        if isinstance(value, ast.Constant):
            return value.value in targets
        if isinstance(value, ast.List | ast.Tuple):
            return bool(value.elts) and all(is_target_value(e) for e in value.elts)
        return False

    return {
        name for name, values in bindings.items() if values and all(map(is_target_value, values))
    }


def _names_a_target(key: ast.AST, targets: set[str], named: set[str]) -> str | None:
    """The target `key` selects (`"y"`, `TARGET`, `TARGETS[0]`, `["y"]`, `TARGETS`), or None."""
    if isinstance(key, ast.Constant) and key.value in targets:
        return str(key.value)
    if isinstance(key, ast.Name) and key.id in named:
        return key.id
    if isinstance(key, ast.Subscript) and isinstance(key.value, ast.Name) and key.value.id in named:
        return ast.unparse(key)
    if isinstance(key, ast.List | ast.Tuple):
        for element in key.elts:
            found = _names_a_target(element, targets, named)
            if found is not None:
                return found
    return None


def _guarded_lines(tree: ast.Module) -> set[int]:
    """Lines inside any `try` body, or inside an `if` whose test looks at `.columns`."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        body: list[ast.stmt] = []
        if isinstance(node, ast.Try | ast.TryStar):
            body = node.body
        elif isinstance(node, ast.If) and any(
            isinstance(part, ast.Attribute) and part.attr == "columns"
            for part in ast.walk(node.test)
        ):
            body = [*node.body, *node.orelse]
        for statement in body:
            lines.update(range(statement.lineno, (statement.end_lineno or 0) + 1))
    return lines


def target_read_from_test(tree: ast.Module, targets: Sequence[str]) -> str | None:
    """The first read of a target column from the test data, as a one-line diagnosis."""
    wanted = {t for t in targets if t}
    if not wanted:
        return None
    bindings = bindings_of(tree)
    frames = _test_frames(bindings)
    if not frames:
        return None
    named = _target_names(bindings, wanted)
    stored: dict[str, int] = {}
    reads: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            frame = node.value.id
            if frame not in frames:
                continue
            key = _names_a_target(node.slice, wanted, named)
            if key is None:
                continue
            if isinstance(node.ctx, ast.Store):
                stored[frame] = min(stored.get(frame, node.lineno), node.lineno)
            else:
                reads.append((node.lineno, frame, key))
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in frames
            and node.attr in wanted
        ):
            if isinstance(node.ctx, ast.Store):
                stored[node.value.id] = min(stored.get(node.value.id, node.lineno), node.lineno)
            else:
                reads.append((node.lineno, node.value.id, node.attr))
    guarded = _guarded_lines(tree)
    for line, frame, key in sorted(reads):
        if line in guarded or line >= stored.get(frame, line + 1):
            continue
        columns = ", ".join(sorted(wanted))
        return (
            f"line {line} reads the target ({key}) from `{frame}`, the test data, which has "
            f"no {columns} column (only train.csv has it): estimate the score on a validation "
            "split of train.csv instead"
        )
    return None
