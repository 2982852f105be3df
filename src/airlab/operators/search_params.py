"""A hyperparameter search's grid fitted to the estimator it searches, before the script runs.

The 1.5B local model writes `GridSearchCV` in its improve steps, and its grids name parameters
the estimator does not have: a pipeline's step prefix on a bare estimator
(`histgradientboostingclassifier__learning_rate` for `HistGradientBoostingClassifier()`), or
another family's parameter (`batch_size`, an MLP's, for a histogram booster): `ValueError:
Invalid parameter ...` at the first fit, after the data was read, every time (2 of 52 recorded
writes; a third run searched a pipeline with the bare estimator's names). scikit-learn names a
parameter `<step>__<param>` inside a pipeline (`make_pipeline` names each step by its class,
lowercased) and `<param>` on an estimator, so the repair, where both the estimator and the grid
are literal in the script:
- renames a key to the form the estimator takes (the prefix dropped on a bare estimator; the
  last step's name added on a pipeline, for that step's parameter);
- drops a key whose parameter the estimator has under no name (the search then runs over the
  rest; an empty grid fits the estimator once, as it is).
Parameters are read from the installed scikit-learn's constructors (the sandbox's own in the
local sandboxes). A key of a class it cannot resolve, or nested deeper (`a__b__c`), is kept.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import dataclass
from functools import cache

from airlab import pyast
from airlab.operators.names import bindings_of, one_value_bindings
from airlab.operators.sklearn_names import PIPELINES, pipeline_steps, sklearn_modules

SEARCHES = {
    "GridSearchCV": "param_grid",
    "RandomizedSearchCV": "param_distributions",
    "HalvingGridSearchCV": "param_grid",
    "HalvingRandomSearchCV": "param_distributions",
}
"""scikit-learn's searches and the keyword of their grid (the second positional argument)."""


@dataclass(frozen=True)
class Step:
    name: str
    params: frozenset[str] | None
    """The constructor's parameters; None where the class is not resolved."""


def fit_search_params(code: str) -> tuple[str, list[int]]:
    """(the script with each search's grid keys fitted to its estimator, the lines changed)."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return code, []
    values = one_value_bindings(bindings_of(tree))
    modules = sklearn_modules(tree)
    edits: dict[int, tuple[ast.Dict, str]] = {}
    for node in ast.walk(tree):
        search = pyast.called_name(node)
        if search not in SEARCHES:
            continue
        assert isinstance(node, ast.Call)
        estimator = pyast.argument(node, 0, "estimator")
        grid = pyast.argument(node, 1, SEARCHES[search])
        if estimator is None or grid is None:
            continue
        shape = _shape(estimator, values, modules)
        if shape is None:
            continue
        for literal in _grid_dicts(grid, values):
            fitted = _fitted_source(code, literal, shape)
            if fitted is not None:
                edits[id(literal)] = (literal, fitted)
    if not edits:
        return code, []
    spans = list(edits.values())
    return pyast.replace_spans(code, spans), sorted({d.lineno for d, _ in spans})


def _resolve(node: ast.AST, values: dict[str, ast.AST], depth: int = 0) -> ast.AST:
    """A name bound to one value, followed to that value (a few links deep)."""
    while isinstance(node, ast.Name) and node.id in values and depth < 5:
        node, depth = values[node.id], depth + 1
    return node


def _shape(
    estimator: ast.expr, values: dict[str, ast.AST], modules: dict[str, str]
) -> list[Step] | None:
    """The searched estimator as steps: one for an estimator, the steps of a pipeline (the
    last is the estimator); None where the script's expression is not literal enough."""
    value = _resolve(estimator, values)
    if not isinstance(value, ast.Call):
        return None
    chained = pipeline_steps(value)
    if chained is None and pyast.called_name(value) in PIPELINES:
        return None  # a pipeline whose steps are not literal
    if chained is None:
        only = _step_of(value, values, modules, "")
        return [only] if only is not None and only.params is not None else None
    if pyast.called_name(value) == "make_pipeline" and any(
        k.arg not in ("memory", "verbose") for k in value.keywords
    ):
        return None
    steps = [_step_of(step, values, modules, name) for name, step in chained]
    if not steps or any(s is None for s in steps):
        return None
    found = [s for s in steps if s is not None]
    if len({s.name for s in found}) != len(found):
        return None  # make_pipeline numbers repeated classes: not worth guessing
    return found


def _step_of(
    node: ast.AST, values: dict[str, ast.AST], modules: dict[str, str], name: str | None
) -> Step | None:
    """A pipeline step (or the bare estimator, `name` ""): its name as scikit-learn gives it
    and its class's parameters where the class is scikit-learn's and resolved."""
    value = _resolve(node, values)
    if isinstance(value, ast.Constant) and value.value in ("passthrough", None):
        return Step(name or "", frozenset()) if name else None
    if not isinstance(value, ast.Call):
        return Step(name, None) if name else None
    cls = pyast.called_name(value)
    if not cls:
        return None
    params = _params(modules[cls], cls) if cls in modules else None
    return Step(cls.lower() if name is None else name, params)


def _grid_dicts(grid: ast.expr, values: dict[str, ast.AST]) -> list[ast.Dict]:
    """The grid's dict literals (a list of grids gives each)."""
    value = _resolve(grid, values)
    if isinstance(value, ast.Dict):
        return [value]
    if isinstance(value, ast.List):
        found = [_resolve(e, values) for e in value.elts]
        return [d for d in found if isinstance(d, ast.Dict)]
    return []


def _fitted_source(code: str, literal: ast.Dict, shape: list[Step]) -> str | None:
    """The dict literal's source with its keys fitted to `shape`; None when all fit already."""
    entries: list[tuple[str, ast.expr]] = []
    keys = [k.value if isinstance(k, ast.Constant) else None for k in literal.keys]
    if not all(isinstance(k, str) for k in keys):
        return None  # `**other` or a computed key: the grid is not literal
    kept: set[str] = set()
    changed = False
    for key, given, value in zip(literal.keys, keys, literal.values, strict=True):
        assert key is not None and isinstance(given, str)
        fitted = _fitted_key(given, shape)
        if fitted is not None and fitted != given and (fitted in keys or fitted in kept):
            fitted = None  # the grid gives that key as written: that one stays
        changed |= fitted != given
        if fitted is not None:
            kept.add(fitted)
            entries.append((repr(fitted) if fitted != given else _source(code, key), value))
    if not changed:
        return None
    if not entries:
        return "{}"
    parts = [f"{k}: {_source(code, v)}" for k, v in entries]
    if literal.lineno == literal.end_lineno:
        return "{" + ", ".join(parts) + "}"
    indent = " " * (literal.keys[0].col_offset if literal.keys[0] else 4)
    closing = " " * _line_indent(code, literal.end_lineno or literal.lineno)
    return "{\n" + "".join(f"{indent}{p},\n" for p in parts) + closing + "}"


def _fitted_key(key: str, shape: list[Step]) -> str | None:
    """The key as the estimator takes it, or None where no step has its parameter."""
    prefix, _, param = key.rpartition("__")
    if prefix.count("__"):
        return key  # nested deeper than a step: not checked
    if len(shape) == 1 and shape[0].name == "":  # a bare estimator
        params = shape[0].params or frozenset()
        if key in params or prefix in params:
            return key  # its own parameter, or a nested estimator's (`estimator__max_depth`)
        return param if prefix and param in params else None
    steps = {s.name: s for s in shape}
    if prefix in steps:
        known = steps[prefix].params
        return key if known is None or param in known else None
    if prefix == "" and key in ("memory", "verbose", "steps"):
        return key  # the pipeline's own
    last = shape[-1]
    if last.params is not None and param in last.params:
        return f"{last.name}__{param}"
    return None if last.params is not None else key


def _source(code: str, node: ast.AST) -> str:
    segment = ast.get_source_segment(code, node)
    assert segment is not None
    return segment


def _line_indent(code: str, line: int) -> int:
    text = code.splitlines()[line - 1]
    return len(text) - len(text.lstrip())


@cache
def _params(module: str, name: str) -> frozenset[str] | None:
    """The constructor parameters of scikit-learn's `module.name`; None where it is not there."""
    try:
        cls = getattr(importlib.import_module(module), name)
        signature = inspect.signature(cls)
    except (ImportError, AttributeError, TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(p.name for p in signature.parameters.values() if p.kind in kinds)
