"""Repairs of the submission frame a script builds, before it runs: its rows and its write.

**Rows** (`predict_submission_rows`). A script that holds out part of the training rows
(`X_train, X_val, ... = train_test_split(X, y)`) and then writes `pd.DataFrame({ID: test[ID],
target: model.predict_proba(X_val)[:, 1]})` pairs the test rows' ids with predictions for
validation rows: pandas refuses the two lengths
(`array length 84 does not match index length 420`), or, where they happen to agree, the
submission is nonsense. The 1.5B local model wrote it in a draft and both debug answers of one
chain (the error names the lengths, not the split). The ids say which rows the predictions are
for, so the repair predicts on the test features instead:

    model.predict_proba(X_val)  ->  model.predict_proba(X_test)

only where that is certain: the submission is a `DataFrame` whose id column is read from a frame
read by `read_csv` (`test[ID]`), given the predictions directly or by a column assignment
(`submission[TARGETS[0]] = ...`), either as the call or as a name bound once (where that name
also feeds a validation score, `y_pred = model.predict(X_val)` then `submission[T] = y_pred`: a
grunfeld draft and both its debug answers live, the score keeps `y_pred` and the submission
gets `model.predict(X_test)` written out, when every other name in it has one value); the
split's name is the held-out part of the
first array of a `train_test_split` (`X_val` of `X`), bound once, and `X` a column selection of
another frame read by `read_csv` (`X = train[FEATURES]`); the test features are a name bound to
the same selection of the id's frame (`X_test = test[FEATURES]`), or that selection written out
where the script has none. Names the I/O prelude and the script both bind to the same
expression count as bound once. Anything else is left as written.

**Write** (`write_submission`). A script that builds `submission = pd.DataFrame({ID:
test[ID]})`, fills it and never writes it finishes without `submission.csv` (2 recorded
scripts, one a draft whose three debug answers then came back unchanged: the error says only
that no file was written). Where the script writes nothing (no `to_csv` call, no
`submission.csv` anywhere in it) and exactly one name at its top level is bound to such a frame,
the write is appended at the end, marked.
"""

from __future__ import annotations

import ast
import copy

from airlab import pyast
from airlab.operators.checks import SPLITTERS
from airlab.operators.names import bindings_of, is_id_key, names_read, one_value_bindings
from airlab.pyast import called_name
from airlab.sandbox.base import SUBMISSION_FILE

PREDICTS = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function"})


def predict_submission_rows(code: str, id_column: str) -> tuple[str, list[int]]:
    """(the script with the submission's predictions made on the test features instead of a
    held-out split, the lines changed: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    bindings = bindings_of(tree)
    bound = one_value_bindings(bindings)
    loads: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
    frames = {name for name, value in bound.items() if called_name(value) == "read_csv"}
    edits: list[tuple[ast.expr, str]] = []
    for id_frame, predictions in _submission_values(tree, bound, frames, id_column):
        held_out = _held_out_parts(tree, bindings, bound, frames, id_frame)
        for value in predictions:
            shared = isinstance(value, ast.Name) and value.id in bound and loads[value.id] > 1
            made: ast.AST = value
            if isinstance(value, ast.Name) and value.id in bound:
                made = bound[value.id]  # the predictions' one binding
            calls = _held_out_predictions(made, held_out)
            if not calls:
                continue
            on_test = {  # each call's split -> the test features
                id(call): _test_features(id_frame, held_out[name], bound, frames)
                for call in calls
                if isinstance(call.args[0], ast.Name) and (name := call.args[0].id)
            }
            if not shared:
                edits += [(call.args[0], on_test[id(call)]) for call in calls]
                continue
            # also read elsewhere (a validation score): the submission predicts anew
            assert isinstance(value, ast.Name) and isinstance(made, ast.expr)
            others = names_read(made) - {
                call.args[0].id for call in calls if isinstance(call.args[0], ast.Name)
            }
            if others <= bound.keys() | _imported_once(tree, bindings):
                edits.append((value, _with_test_features(made, on_test)))
    unique = {id(node): (node, text) for node, text in edits}.values()  # a call seen twice
    if not unique:
        return code, []
    return pyast.replace_spans(code, unique), sorted({node.lineno for node, _ in unique})


def _held_out_predictions(made: ast.AST, held_out: dict[str, ast.expr]) -> list[ast.Call]:
    """The `<model>.predict(X_val)` calls in `made` whose rows are a held-out split's."""
    return [
        call
        for call in ast.walk(made)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in PREDICTS
        and call.args
        and isinstance(call.args[0], ast.Name)
        and call.args[0].id in held_out
    ]


def _imported_once(tree: ast.Module, bindings: dict[str, list[ast.AST | None]]) -> set[str]:
    """Names whose one binding is an import (`np`): the same object wherever they are read."""
    imported = {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    return {name for name in imported if len(bindings.get(name, [])) == 1}


def _with_test_features(made: ast.expr, on_test: dict[int, str]) -> str:
    """`made`'s text with the split each of its calls in `on_test` predicts on replaced by the
    test features (`model.predict(X_val)[:, 1]` -> `model.predict(X_test)[:, 1]`)."""
    copied = copy.deepcopy(made)
    for original, twin in zip(ast.walk(made), ast.walk(copied), strict=True):
        if id(original) in on_test:
            assert isinstance(twin, ast.Call)
            statement = pyast.parse(on_test[id(original)]).body[0]
            assert isinstance(statement, ast.Expr)
            twin.args[0] = statement.value
    return ast.unparse(copied)


WRITE_MARK = "# airlab: the script builds the submission frame and never writes it"


def write_submission(code: str, id_column: str) -> tuple[str, list[int]]:
    """(the script with the write of the one submission frame it builds and never writes
    appended, [that line]: [] when none)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    if any(
        called_name(node) == "to_csv"
        or (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SUBMISSION_FILE in node.value
        )
        for node in ast.walk(tree)
    ):
        return code, []
    bound = one_value_bindings(bindings_of(tree))
    frames = {name for name, value in bound.items() if called_name(value) == "read_csv"}
    names = {
        statement.targets[0].id
        for statement in tree.body
        if isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and statement.targets[0].id in bound
        and _ids_frame(statement.value, bound, frames, id_column) is not None
    }
    if len(names) != 1:
        return code, []
    write = f'{names.pop()}.to_csv("{SUBMISSION_FILE}", index=False)'
    body = code.rstrip("\n")
    return f"{body}\n\n{WRITE_MARK}\n{write}\n", [body.count("\n") + 4]


def _submission_values(
    tree: ast.Module, bound: dict[str, ast.AST], frames: set[str], id_column: str
) -> list[tuple[str, list[ast.expr]]]:
    """For each submission built from a frame's ids: (that frame, the values given beside the
    id: the DataFrame's other columns and the column assignments to it)."""
    found: list[tuple[str, list[ast.expr]]] = []
    submissions: dict[str, str] = {}  # a name bound to a submission frame -> the id's frame
    for node in ast.walk(tree):
        id_frame = _ids_frame(node, bound, frames, id_column)
        if id_frame is None:
            continue
        assert isinstance(node, ast.Call) and isinstance(node.args[0], ast.Dict)
        columns = node.args[0]
        others = [
            value
            for key, value in zip(columns.keys, columns.values, strict=True)
            if key is None or not is_id_key(key, id_column, bound)
        ]
        found.append((id_frame, others))
        submissions.update({name: id_frame for name, value in bound.items() if value is node})
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id in submissions
            ):
                found.append((submissions[target.value.id], [node.value]))
    return found


def _ids_frame(
    node: ast.AST, bound: dict[str, ast.AST], frames: set[str], id_column: str
) -> str | None:
    """`test` of `pd.DataFrame({ID: test[ID], ...})`, a frame of a read_csv frame's ids;
    None for anything else."""
    if called_name(node) != "DataFrame":
        return None
    assert isinstance(node, ast.Call)
    if not node.args or not isinstance(node.args[0], ast.Dict):
        return None
    columns = node.args[0]
    return next(
        (
            _frame_of_id(value, bound, frames, id_column)
            for key, value in zip(columns.keys, columns.values, strict=True)
            if key is not None and is_id_key(key, id_column, bound)
        ),
        None,
    )


def _frame_of_id(
    value: ast.expr, bound: dict[str, ast.AST], frames: set[str], id_column: str
) -> str | None:
    """`test` of `test[ID]` (a frame read by read_csv); None for anything else."""
    if (
        isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Name)
        and value.value.id in frames
        and is_id_key(value.slice, id_column, bound)
    ):
        return value.value.id
    return None


def _selection(
    value: ast.AST | None, bound: dict[str, ast.AST], frames: set[str]
) -> tuple[str, str] | None:
    """(the frame, the key's text) of `frame[key]`, a selection of a frame read by read_csv by a
    key that is a literal or a name with one value."""
    if (
        isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Name)
        and value.value.id in frames
        and (not isinstance(value.slice, ast.Name) or value.slice.id in bound)
    ):
        return value.value.id, ast.dump(value.slice)
    return None


def _test_features(
    id_frame: str, key: ast.expr, bound: dict[str, ast.AST], frames: set[str]
) -> str:
    """The name bound to the id's frame selected by `key` (`X_test` for `test[FEATURES]`), or
    that selection written out where no name holds it."""
    selected = (id_frame, ast.dump(key))
    named = sorted(
        name for name, value in bound.items() if _selection(value, bound, frames) == selected
    )
    return named[0] if named else f"{id_frame}[{ast.unparse(key)}]"


def _held_out_parts(
    tree: ast.Module,
    bindings: dict[str, list[ast.AST | None]],
    bound: dict[str, ast.AST],
    frames: set[str],
    id_frame: str,
) -> dict[str, ast.expr]:
    """The held-out part of the first array of each `train_test_split` unpacked into two names
    per array, where that array is a column selection of a frame other than the id's
    (`X = train[FEATURES]`), to the selection's key."""
    parts: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Tuple | ast.List)
            and called_name(node.value) in SPLITTERS
        ):
            continue
        assert isinstance(node.value, ast.Call)
        call, names = node.value, node.targets[0].elts
        if (
            not call.args
            or len(names) != 2 * len(call.args)
            or any(isinstance(part, ast.Starred) for part in (*call.args, *names))
        ):
            continue
        first, held_out = call.args[0], names[1]
        selection = bound.get(first.id) if isinstance(first, ast.Name) else None
        source = _selection(selection, bound, frames)
        if source is None or source[0] == id_frame:
            continue
        assert isinstance(selection, ast.Subscript)
        if isinstance(held_out, ast.Name) and len(bindings.get(held_out.id, [])) == 1:
            parts[held_out.id] = selection.slice
    return parts
