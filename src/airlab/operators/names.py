"""Which names a script certainly reads before any line binds them: an ordered walk of its AST.

A small model writes `X_train, X_val, y_train, y_val = train_test_split(X, y_train)` or reads `y`
at module level and binds it only in a later loop. Counting a name as defined because it is
assigned *somewhere* misses both. The walk goes statement by statement; a name is defined after
the statement that binds it. Compound statements are treated conservatively (a name bound in a
branch, a loop body or a `try` counts as maybe-defined after it; a loop body starts with the
names bound anywhere in it, for the next iteration), function and class bodies are separate
scopes and not checked. Only a read at a point where no binding at all may have happened is
reported, so a report is a certain NameError once that line runs.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Mapping

from airlab import pyast
from airlab.pyast import called_name

ALWAYS_DEFINED = frozenset(dir(builtins)) | {"__file__", "__name__", "__builtins__"}


def read_before_binding(code: str) -> dict[str, int] | None:
    """{name: line of its first read} for names read before any binding, at module level and in
    its compound statements; None when the code does not parse."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return None
    found: dict[str, int] = {}
    _walk(tree.body, set(ALWAYS_DEFINED), found)
    return found


def bound_anywhere(code: str) -> set[str] | None:
    """Every name the script binds anywhere (any scope); None when it does not parse."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return None
    return _bound_in(tree.body, deep=True)


def _walk(body: list[ast.stmt], defined: set[str], found: dict[str, int]) -> None:
    """Walk `body` in order, adding to `defined` what each statement binds (maybe included)."""
    for statement in body:
        _statement(statement, defined, found)


def _statement(node: ast.stmt, defined: set[str], found: dict[str, int]) -> None:
    if isinstance(node, ast.For | ast.AsyncFor):
        _read(node.iter, defined, found)
        loop = defined | _targets(node.target) | _bound_in(node.body)
        _walk(node.body, loop, found)
        _walk(node.orelse, set(defined), found)
        defined |= loop | _bound_in(node.orelse)
    elif isinstance(node, ast.While):
        loop = defined | _bound_in(node.body) | _walrus(node.test)
        _read(node.test, loop, found)
        _walk(node.body, loop, found)
        _walk(node.orelse, set(loop), found)
        defined |= loop | _bound_in(node.orelse)
    elif isinstance(node, ast.If):
        _read(node.test, defined, found)
        defined |= _walrus(node.test)
        branches = [set(defined), set(defined)]
        _walk(node.body, branches[0], found)
        _walk(node.orelse, branches[1], found)
        defined |= branches[0] | branches[1]
    elif isinstance(node, ast.Try | ast.TryStar):
        attempted = set(defined)
        _walk(node.body, attempted, found)
        for handler in node.handlers:
            if handler.type is not None:
                _read(handler.type, defined, found)
            inside = attempted | ({handler.name} if handler.name else set())
            _walk(handler.body, inside, found)
            attempted |= inside
        _walk(node.orelse, attempted, found)
        _walk(node.finalbody, attempted, found)
        defined |= attempted
    elif isinstance(node, ast.With | ast.AsyncWith):
        for item in node.items:
            _read(item.context_expr, defined, found)
            if item.optional_vars is not None:
                defined |= _targets(item.optional_vars)
        _walk(node.body, defined, found)
    elif isinstance(node, ast.Match):
        _read(node.subject, defined, found)
        outcome = set(defined)
        for case in node.cases:
            inside = defined | {
                n.name
                for n in ast.walk(case.pattern)
                if isinstance(n, ast.MatchAs | ast.MatchStar)
                if n.name
            }
            if case.guard is not None:
                _read(case.guard, inside, found)
            _walk(case.body, inside, found)
            outcome |= inside
        defined |= outcome
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        for part in _definition_parts(node):
            _read(part, defined, found)
        defined.add(node.name)
    elif isinstance(node, ast.Import | ast.ImportFrom):
        defined |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    elif isinstance(node, ast.Global | ast.Nonlocal):
        defined |= set(node.names)
    else:  # a simple statement: what it reads happens before what it binds
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            _note(node.target.id, node.lineno, defined, found)
        _read(node, defined, found)
        defined |= _bound_in([node])


def _definition_parts(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[ast.AST]:
    """What a `def` or `class` statement evaluates when it runs (not the body)."""
    parts: list[ast.AST] = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        return parts + list(node.bases) + [k.value for k in node.keywords]
    args = node.args
    parts += [d for d in (*args.defaults, *args.kw_defaults) if d is not None]
    return parts


def _read(node: ast.AST, defined: set[str], found: dict[str, int]) -> None:
    """Note every name `node` reads (names local to a comprehension or lambda in it excluded)."""
    local = _local_names(node)
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            if child.id in local:
                continue
            _note(child.id, child.lineno, defined, found)


def _note(name: str, line: int, defined: set[str], found: dict[str, int]) -> None:
    if name not in defined and name not in found:
        found[name] = line


def _local_names(node: ast.AST) -> set[str]:
    local: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.comprehension):
            local |= _targets(child.target)
        elif isinstance(child, ast.Lambda):
            local |= {a.arg for a in ast.walk(child.args) if isinstance(a, ast.arg)}
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            local |= {n.id for n in ast.walk(child) if isinstance(n, ast.Name)}
    return local


def _targets(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _walrus(node: ast.AST) -> set[str]:
    return {
        n.target.id
        for n in ast.walk(node)
        if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name)
    }


def _bound_in(body: list[ast.stmt], *, deep: bool = False) -> set[str]:
    """Names that `body` binds in its own scope (every scope with `deep`)."""
    bound: set[str] = set()
    pending: list[ast.AST] = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            bound.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.arg) and deep:
            bound.add(node.arg)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
            if not deep:
                pending.extend(_definition_parts(node))
                continue
        elif isinstance(node, ast.Lambda | ast.comprehension) and not deep:
            if isinstance(node, ast.comprehension):
                pending.append(node.iter)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return bound


def bindings_of(tree: ast.Module) -> dict[str, list[ast.AST | None]]:
    """Every binding of each plain name: the value assigned (`a, b = x, y` pairs them), or
    None for any other binding (unpacking of one value, loops, augmented assignment,
    `with ... as`, imports, definitions, parameters, `:=`)."""
    found: dict[str, list[ast.AST | None]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
                elif _pairs(target, node.value):
                    assert isinstance(target, ast.Tuple | ast.List)
                    assert isinstance(node.value, ast.Tuple | ast.List)
                    for element, value in zip(target.elts, node.value.elts, strict=True):
                        assert isinstance(element, ast.Name)
                        found.setdefault(element.id, []).append(value)
                else:
                    for part in ast.walk(target):
                        if isinstance(part, ast.Name) and isinstance(part.ctx, ast.Store):
                            found.setdefault(part.id, []).append(None)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.setdefault(node.target.id, []).append(node.value)
        if isinstance(node, ast.AugAssign | ast.For | ast.comprehension) and isinstance(
            node.target, ast.Name
        ):
            found.setdefault(node.target.id, []).append(None)
        elif isinstance(node, ast.For | ast.comprehension):
            for part in ast.walk(node.target):
                if isinstance(part, ast.Name):
                    found.setdefault(part.id, []).append(None)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            for part in ast.walk(node.optional_vars):
                if isinstance(part, ast.Name):
                    found.setdefault(part.id, []).append(None)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.setdefault(node.name, []).append(None)
        elif isinstance(node, ast.arg):  # a parameter may be any frame
            found.setdefault(node.arg, []).append(None)
        elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            found.setdefault(node.target.id, []).append(None)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                found.setdefault((alias.asname or alias.name).split(".")[0], []).append(None)
    return found


def _pairs(target: ast.expr, value: ast.expr) -> bool:
    """`a, b = x, y`: names bound element by element (no starred part on either side)."""
    return (
        isinstance(target, ast.Tuple | ast.List)
        and isinstance(value, ast.Tuple | ast.List)
        and len(target.elts) == len(value.elts)
        and all(isinstance(e, ast.Name) for e in target.elts)
        and not any(isinstance(e, ast.Starred) for e in value.elts)
    )


def single_bindings(tree: ast.Module) -> dict[str, ast.AST]:
    """The names bound exactly once, by `name = value` (or paired in `a, b = x, y`), to their
    value: what a repair may rely on."""
    return {
        name: values[0]
        for name, values in bindings_of(tree).items()
        if len(values) == 1 and values[0] is not None
    }


def one_value_bindings(bindings: dict[str, list[ast.AST | None]]) -> dict[str, ast.AST]:
    """The names every binding of which assigns the same expression, to that expression: the
    I/O prelude and the script may both write `test = pd.read_csv("public/test.csv")`. Looser
    than `single_bindings` (an expression reading a name bound between the two would differ):
    for repairs whose names hold literals, `read_csv` frames, or selections of those."""
    found: dict[str, ast.AST] = {}
    for name, values in bindings.items():
        first = values[0]
        if first is None or any(v is None for v in values):
            continue
        if len({ast.dump(v) for v in values if v is not None}) == 1:
            found[name] = first
    return found


def names_read(node: ast.AST) -> set[str]:
    """The plain names `node` reads anywhere inside it."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def loads_of(tree: ast.AST, name: str) -> list[ast.Name]:
    """Every read of the plain name `name` inside `tree`."""
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
    ]


def attributes_of(tree: ast.AST, name: str) -> list[ast.Attribute]:
    """Every `name.<attribute>` inside `tree`."""
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == name
    ]


LIST_CALLS = frozenset({"list", "sorted"})


def is_column_list(key: ast.expr, values: Mapping[str, ast.AST]) -> bool:
    """A list of column names: a list literal of strings, or a name whose value (in `values`:
    `single_bindings` or `one_value_bindings`) is a list."""
    if isinstance(key, ast.List):
        return all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in key.elts)
    if isinstance(key, ast.Name) and key.id in values:
        value = values[key.id]
        return isinstance(value, ast.List | ast.ListComp) or called_name(value) in LIST_CALLS
    return False


def is_id_key(key: ast.expr, id_column: str, values: Mapping[str, ast.AST]) -> bool:
    """The task's id column as a key: the string, or a name whose value (in `values`) it is."""
    value = values.get(key.id) if isinstance(key, ast.Name) else key
    return isinstance(value, ast.Constant) and value.value == id_column
