"""Re-aligning a `train_test_split` unpacked into the wrong number of names, before it runs.

`train_test_split(X, y)` returns four arrays (X's two parts, then y's). The 1.5B local model,
adding a hold-out to the skeleton, wrote `X_val, y_val = train_test_split(X, y, ...)` and
`X_val, X_test_val, y_val = ...` (7 of 54 scripts in one measured run; told the order by
`check_splits`, its debug answer kept the same line four times in a row). The names say which
array each part comes from (`X_val` is a part of `X`), so the repair gives each name the part of
its own array and fills the rest with `_`:

    X_val, y_val = train_test_split(X, y)          ->  _, X_val, _, y_val = ...
    X_val, X_test_val, y_val = train_test_split(X, y)  ->  X_val, X_test_val, y_val, _ = ...

Which part a lone name takes: the part whose name on another array has the same suffix
(`y_val` goes with `X_val`), else the held-out part for a suffix naming one (`val`, `test`,
`valid`, `hold`, `dev`), the training part for `train`. Names read together then always have
the same rows. Anything less certain (a name of no array, three names of one array, a suffix
that names no part, a name bound before the line, as `X_test` in `X_val, X_test, y_val = ...`
would lose the test features, a script that reads `_`) is left as written, for `check_splits`
to refuse.
"""

from __future__ import annotations

import ast
import re

from airlab import pyast
from airlab.operators.checks import mis_unpacked_splits

HELD_OUT = re.compile(r"val|test|hold|dev", re.IGNORECASE)
TRAINING = re.compile(r"train", re.IGNORECASE)
FILLER = "_"


def fix_split_names(code: str) -> tuple[str, list[int]]:
    """(the script with each mis-unpacked split re-aligned, the lines changed: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    if any(isinstance(n, ast.Name) and n.id == FILLER and isinstance(n.ctx, ast.Load)
           for n in ast.walk(tree)):  # fmt: skip
        return code, []
    edits: list[tuple[ast.expr, list[str]]] = []
    for node, call, names in mis_unpacked_splits(tree):
        bound_before = {
            n.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.lineno < node.lineno
        }
        if any(isinstance(n, ast.Name) and n.id in bound_before for n in names):
            continue  # `X_val, X_test, y_val = ...` would overwrite the test features
        realigned = _realigned(call.args, names)
        if realigned is not None:
            edits.append((node.targets[0], realigned))
    if not edits:
        return code, []
    one_line = [(t, ", ".join(names)) for t, names in edits if t.lineno == t.end_lineno]
    return pyast.replace_spans(code, one_line), sorted({t.lineno for t, _ in one_line})


def _realigned(arrays: list[ast.expr], names: list[ast.expr]) -> list[str] | None:
    """The 2k names in the splitter's order, or None when the names do not say it."""
    stems = [a.id if isinstance(a, ast.Name) else None for a in arrays]
    parts: list[list[tuple[str, str]]] = [[] for _ in arrays]  # per array: (name, suffix)
    for element in names:
        if not isinstance(element, ast.Name):
            return None
        owner = _owner(element.id, stems)
        if owner is None:
            return None
        stem = stems[owner]
        assert stem is not None
        parts[owner].append((element.id, element.id[len(stem) :].lstrip("_")))
    if any(len(p) > 2 for p in parts):
        return None
    slots: list[list[str]] = [[FILLER, FILLER] for _ in arrays]
    paired: dict[str, int] = {}  # suffix -> the part it names on an array with both parts
    for index, own in enumerate(parts):
        if len(own) == 2:
            slots[index] = [own[0][0], own[1][0]]
            paired.update({own[0][1]: 0, own[1][1]: 1})
    for index, own in enumerate(parts):
        if len(own) != 1:
            continue
        name, suffix = own[0]
        if suffix in paired:
            slot = paired[suffix]
        elif HELD_OUT.search(suffix):
            slot = 1
        elif TRAINING.search(suffix):
            slot = 0
        else:
            return None
        slots[index][slot] = name
    return [name for pair in slots for name in pair]


def _owner(name: str, stems: list[str | None]) -> int | None:
    """The array a name is a part of: the longest stem it starts with (`X_val` of `X`)."""
    matches = [
        (len(stem), index)
        for index, stem in enumerate(stems)
        if stem and name != stem and name.startswith(stem) and name[len(stem)] in "_0123456789"
    ]
    if not matches:
        return None
    best = max(matches)
    return best[1] if [m for m in matches if m[0] == best[0]] == [best] else None
