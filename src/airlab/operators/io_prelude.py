"""The skeleton's I/O lines, added to a script that uses their names without defining them.

Measured with a 1.5B local model (`benchmarks/local_model.py`): shown the runnable skeleton,
the model keeps its names (`FEATURES`, `X`, `y`, `ID`) but drops the lines that define them, and
most of its scripts die of a NameError before fitting anything; each debug then repeats it (the
skeleton's `submission = pd.DataFrame({ID: test[ID]})` too: a draft and its debug wrote
`submission[TARGETS[0]] = ...` without it).
Before such a script runs, the skeleton's definitions of exactly the names it reads before any
line binds them (with the lines those depend on; and `import numpy as np` / `pandas as pd` when
it uses the alias without the import, the model's other NameError) are put at its top, marked,
and the node records which (`meta.io_prelude`). The script is otherwise unchanged and reads only
`public/`; the node's code is what ran, so later prompts show the lines and the model keeps
them. A script that defines its names, or does not parse, is left as it is.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass

from airlab import pyast
from airlab.operators.names import ALWAYS_DEFINED, bound_anywhere, read_before_binding
from airlab.tasks.task import Task

MARK = "# airlab: the task's I/O lines this script uses but does not define"


@dataclass(frozen=True)
class Definition:
    name: str
    line: str
    needs: tuple[str, ...] = ()


def definitions(task: Task) -> tuple[Definition, ...]:
    """The skeleton's bindings for `task`, in the order they must run."""
    spec = task.spec
    targets = list(spec.target_columns)
    found = [
        Definition("pd", "import pandas as pd"),
        Definition("np", "import numpy as np"),
        Definition("train", 'train = pd.read_csv("public/train.csv")', ("pd",)),
        Definition("test", 'test = pd.read_csv("public/test.csv")', ("pd",)),
        Definition("ID", f"ID = {json.dumps(spec.id_column)}"),
        Definition("TARGETS", f"TARGETS = {json.dumps(targets)}"),
        Definition("FEATURES", "FEATURES = [c for c in test.columns if c != ID]", ("test", "ID")),
        Definition("X", "X = train[FEATURES]", ("train", "FEATURES")),
        Definition("X_test", "X_test = test[FEATURES]", ("test", "FEATURES")),
    ]
    if len(targets) == 1:
        found.append(Definition("y", "y = train[TARGETS[0]]", ("train", "TARGETS")))
    found += [
        Definition("NUMERIC", 'NUMERIC = list(X.select_dtypes("number").columns)', ("X",)),
        Definition(
            "CATEGORICAL",
            "CATEGORICAL = [c for c in FEATURES if c not in NUMERIC]",
            ("FEATURES", "NUMERIC"),
        ),
        Definition("submission", "submission = pd.DataFrame({ID: test[ID]})", ("pd", "test", "ID")),
    ]
    return tuple(found)


def unbound_names(code: str) -> set[str] | None:
    """Names the script reads but never binds anywhere (nor are builtins); None if it does
    not parse."""
    bound = bound_anywhere(code)
    if bound is None:
        return None
    read = {
        node.id
        for node in ast.walk(pyast.parse(code))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return read - bound - ALWAYS_DEFINED


def complete_io(code: str, task: Task) -> tuple[str, list[str]]:
    """(the script with the I/O lines it lacks, the names added); unchanged when none.

    A name counts as lacking when the script reads it before any line binds it (an ordered,
    flow-aware walk: `names.read_before_binding`), not only when it binds it nowhere: `y` read
    at module level and bound in a later loop gets the skeleton's `y` too."""
    missing = read_before_binding(code)
    if not missing:
        return code, []
    known = {d.name: d for d in definitions(task)}
    wanted: set[str] = set()
    pending = [name for name in missing if name in known]
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(known[name].needs)
    if not wanted:
        return code, []
    lines = [d.line for d in known.values() if d.name in wanted]
    prelude = "\n".join([MARK, *lines]) + "\n\n"
    head, body = split_future(code)
    return head + prelude + body, sorted(wanted & missing.keys())


def split_future(code: str) -> tuple[str, str]:
    """The script cut after its `from __future__` imports (which must stay first)."""
    tree = pyast.parse(code)
    last = 0
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            last = statement.end_lineno or last
        elif not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
            break
    if last == 0:
        return "", code
    lines = code.splitlines(keepends=True)
    return "".join(lines[:last]), "".join(lines[last:])
