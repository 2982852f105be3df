"""Reading the id from the frame it is in, before the script runs.

The skeleton selects the features with `X, X_test = train[FEATURES], test[FEATURES]`, and
`FEATURES` leaves the id out. The 1.5B local model wrote `pd.DataFrame({ID: X_test[ID]})` for
the submission in 6 of its recorded scripts (four in a row in one debug chain), a KeyError each
time. A column selection of a frame has the frame's rows in their order, so the id of a row of
`X_test` is the id of the same row of `test`: the repair reads `test[ID]` instead. It applies
only where that holds for certain: the frame read is bound once, as a column selection (a list
of names, or a name bound once to a list) of a name bound once by `read_csv`, and the key is the
task's id column (as a string or a name bound once to it). Anything else is left as written.
"""

from __future__ import annotations

import ast

from airlab import pyast
from airlab.operators.names import is_column_list, is_id_key, single_bindings
from airlab.pyast import called_name


def read_ids_from_source(code: str, id_column: str) -> tuple[str, list[int]]:
    """(the script with each id read from a column selection read from its source frame
    instead, the lines changed: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    single = single_bindings(tree)
    sources = {name for name, value in single.items() if called_name(value) == "read_csv"}
    selections = {  # a name bound once to a column selection of a source -> the source
        name: value.value.id
        for name, value in single.items()
        if isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Name)
        and value.value.id in sources
        and is_column_list(value.slice, single)
    }
    edits = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and isinstance(node.value, ast.Name)
        and node.value.id in selections
        and is_id_key(node.slice, id_column, single)
    ]
    if not edits:
        return code, []
    sourced = [(n, selections[n.id]) for n in edits if isinstance(n, ast.Name)]
    return pyast.replace_spans(code, sourced), sorted({n.lineno for n in edits})
