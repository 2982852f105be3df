"""Candidates not worth executing: code known to be cut off, the same code as a parent, or code
that a check before running shows would fail.

Running them would waste a worker and, for an unchanged copy, add a duplicate "good" node. The
runner records them as failures instead, which the policy can debug like any other. The checks
before running (each switchable by an operator option) catch what a 1.5B model's drafts died of
most: an import the sandbox cannot satisfy (`check_imports`, against the run's package probe), a
name read before any line binds it (`check_names`, the flow-aware pass of `names`), an empty
feature list (`check_features`), a read of the target from the test data (`check_target_reads`),
`train_test_split`'s arrays unpacked into the wrong number of names (`check_splits`), and a
constant placeholder model kept as the only one (`check_constant`).
Their one-line diagnosis names the line, which the debug prompt shows with its neighbours.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from airlab import pyast
from airlab.backends.base import Candidate
from airlab.failures import Failure
from airlab.journal.node import Node
from airlab.operators.names import read_before_binding
from airlab.operators.options import OperatorOptions
from airlab.operators.parsing import TRUNCATED_FINISH_REASONS
from airlab.operators.target_reads import target_read_from_test
from airlab.pyast import called_name
from airlab.sandbox.packages import SUBSTITUTES, Packages

_GUARDS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_MUTATORS = frozenset({"append", "extend", "insert", "__iadd__"})


@dataclass(frozen=True)
class Checks:
    """Which checks before running are on (the operator options of the same names)."""

    imports: bool = True
    names: bool = True
    features: bool = True
    target_reads: bool = True
    splits: bool = True
    constant: bool = True
    targets: tuple[str, ...] = ()
    """The task's target columns (what `target_reads` looks for; none for text tasks)."""

    @classmethod
    def from_options(cls, options: OperatorOptions, targets: Sequence[str]) -> Checks:
        """The checks the run's operator options switch on, for a task with `targets`."""
        return cls(
            imports=options.check_imports,
            names=options.check_names,
            features=options.check_features,
            target_reads=options.check_target_reads,
            splits=options.check_splits,
            constant=options.check_constant,
            targets=tuple(targets),
        )


def candidate_problem(
    candidate: Candidate,
    parents: Sequence[Node],
    *,
    packages: Packages | None = None,
    checks: Checks | None = None,
) -> tuple[Failure, str] | None:
    """Why `candidate` must not run, as a failure kind and a one-line reason; None when it may.

    The checks before running need `checks` (and `packages` for imports); without them only
    cut-off, uncompilable and unchanged code is refused."""
    finish = candidate.meta.get("finish_reason")
    if finish in TRUNCATED_FINISH_REASONS:
        return Failure.TRUNCATED, (
            f"the answer was cut off at the output token limit (finish_reason {finish!r})"
        )
    if candidate.meta.get("incomplete_code"):
        return Failure.TRUNCATED, "the code block of the answer was never closed"
    syntax = compile_error(candidate.code)
    if syntax is not None:
        return Failure.SYNTAX, f"the code does not compile: {syntax}"
    for parent in parents:
        unchanged = unchanged_from(candidate.code, parent)
        if unchanged is not None:
            return Failure.UNCHANGED, unchanged
    if checks is None:
        return None
    diagnosis = check_code(candidate.code, packages=packages, checks=checks)
    return None if diagnosis is None else (Failure.CHECK_FAILED, diagnosis)


def check_code(code: str, *, packages: Packages | None, checks: Checks) -> str | None:
    """The first certain failure the checks find in `code`, in one line naming its line."""
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return None
    if checks.imports and packages is not None:
        missing = missing_import(tree, packages)
        if missing is not None:
            return missing
    if checks.names:
        early = read_before_binding(code) or {}
        if early:
            name, line = min(early.items(), key=lambda item: item[1])
            return f"`{name}` is read before any line assigns it (line {line})"
    if checks.features:
        empty = empty_feature_list(tree)
        if empty is not None:
            return empty
    if checks.target_reads:
        read = target_read_from_test(tree, checks.targets)
        if read is not None:
            return read
    if checks.splits:
        split = split_unpacking(tree)
        if split is not None:
            return split
    if checks.constant:
        constant = constant_model(tree)
        if constant is not None:
            return constant
    return None


CONSTANT_MODELS = frozenset({"DummyClassifier", "DummyRegressor"})
_MODEL_SUFFIXES = ("Classifier", "Regressor", "Regression", "SVC", "SVR", "NB")
_MODEL_NAMES = frozenset(
    {
        "Ridge", "RidgeCV", "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV", "BayesianRidge",
        "LinearDiscriminantAnalysis", "QuadraticDiscriminantAnalysis", "KMeans",
        "OLS", "WLS", "GLS", "Logit", "Probit", "GLM", "MNLogit", "ols", "logit", "glm",
        "ARIMA", "SARIMAX", "ExponentialSmoothing", "Holt", "Sequential", "Prophet",
    }
)  # fmt: skip
_MODEL_PACKAGES = frozenset(
    {"torch", "tensorflow", "keras", "statsmodels", "xgboost", "lightgbm", "catboost", "sktime"}
)


def constant_model(tree: ast.Module) -> str | None:
    """A script whose only model is a constant one (`DummyClassifier`, `DummyRegressor`: the
    skeleton's placeholder, kept): it predicts one value for every row. Conservative: any
    other estimator constructed, any class defined, or any modelling package imported (whose
    models this pass does not know) and the script is left alone."""
    dummy: tuple[str, int] | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            return None
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            if any(m.split(".")[0] in _MODEL_PACKAGES for m in modules):
                return None
        name = called_name(node)
        if name in CONSTANT_MODELS and isinstance(node, ast.Call):
            dummy = dummy or (name, node.lineno)
        elif name is not None and (name in _MODEL_NAMES or name.endswith(_MODEL_SUFFIXES)):
            return None
    if dummy is None:
        return None
    name, line = dummy
    instead = "HistGradientBoosting" + name.removeprefix("Dummy")
    return (
        f"the script's only model is the constant `{name}` (line {line}), the "
        f"skeleton's placeholder: it predicts one value for every row; replace it with a "
        f"real model, e.g. `{instead}()`"
    )


SPLITTERS = frozenset({"train_test_split"})
"""Functions that return two arrays (a train and a held-out part) per array given."""


def mis_unpacked_splits(tree: ast.Module) -> Iterator[tuple[ast.Assign, ast.Call, list[ast.expr]]]:
    """Each `a, b, ... = train_test_split(X, y, ...)` whose names are not two per array given
    (nothing starred): the statement, the call and the names."""
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Tuple | ast.List)
            and isinstance(node.value, ast.Call)
            and called_name(node.value) in SPLITTERS
        ):
            continue
        call, names = node.value, node.targets[0].elts
        if any(isinstance(part, ast.Starred) for part in (*call.args, *names)):
            continue
        if call.args and len(names) != 2 * len(call.args):
            yield node, call, names


def split_unpacking(tree: ast.Module) -> str | None:
    """`a, b = train_test_split(X, y, ...)`: k arrays in give 2k out, in the order
    X_train, X_val, y_train, y_val; unpacking them into another number fails when it runs."""
    for node, call, names in mis_unpacked_splits(tree):
        arrays, expected = len(call.args), 2 * len(call.args)
        shown = "X_train, X_val, y_train, y_val" if arrays == 2 else f"{expected} names"
        return (
            f"line {node.lineno} unpacks `{called_name(call)}` of {arrays} array(s) into "
            f"{len(names)} names; it returns {expected}, in the order: {shown}"
        )
    return None


def missing_import(tree: ast.Module, packages: Packages) -> str | None:
    """An unguarded import of a module the sandbox lacks, with what to use instead."""
    guarded = _guarded_lines(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in guarded:
            continue
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        foreign = _foreign_class(node)
        if foreign is not None:
            name, package = foreign
            assert isinstance(node, ast.ImportFrom)
            advice = (
                f"import it from `{package}`"
                if packages.has(package)
                else f"`{package}` is not installed: use {SUBSTITUTES.get(package, 'scikit-learn')}"
            )
            return f"`{name}` is {package}'s, not in `{node.module}` (line {node.lineno}); {advice}"
        for module in modules:
            top = module.split(".")[0]
            if not packages.has(top):
                instead = SUBSTITUTES.get(top)
                hint = f"; use {instead} instead" if instead else ""
                return (
                    f"`{top}` is not installed in the sandbox (line {node.lineno}: no network, "
                    f"it cannot be installed){hint}"
                )
    return None


FOREIGN_PREFIXES = {"XGB": "xgboost", "LGBM": "lightgbm", "CatBoost": "catboost"}
"""Class-name prefixes of the boosting libraries, whose classes scikit-learn never has (the
1.5B model, told xgboost is missing, wrote `from sklearn.ensemble import XGBClassifier`)."""


def _foreign_class(node: ast.Import | ast.ImportFrom) -> tuple[str, str] | None:
    """(name, its package) of a boosting library's class imported from scikit-learn."""
    if not (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sklearn"):
        return None
    for alias in node.names:
        for prefix, package in FOREIGN_PREFIXES.items():
            if alias.name.startswith(prefix):
                return alias.name, package
    return None


def _guarded_lines(tree: ast.Module) -> set[int]:
    """Lines inside a `try` whose handlers catch a failed import."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try | ast.TryStar):
            continue
        names = set()
        for handler in node.handlers:
            if handler.type is None:
                names.add("BaseException")
            for part in ast.walk(handler.type) if handler.type is not None else ():
                if isinstance(part, ast.Name):
                    names.add(part.id)
        if names & _GUARDS:
            for statement in node.body:
                lines.update(range(statement.lineno, (statement.end_lineno or 0) + 1))
    return lines


def empty_feature_list(tree: ast.Module) -> str | None:
    """A name bound only to `[]` (never filled) that selects columns, or `frame[[]]`."""
    empty: dict[str, int] = {}
    rebound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    if _is_empty(node.value) and target.id not in empty:
                        empty[target.id] = node.lineno
                    else:
                        rebound.add(target.id)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For) and isinstance(
            node.target, ast.Name
        ):
            rebound.add(node.target.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _MUTATORS
            and isinstance(node.func.value, ast.Name)
        ):
            rebound.add(node.func.value.id)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Subscript) or not isinstance(node.ctx, ast.Load):
            continue
        key = node.slice
        if _is_empty(key):
            return f"line {node.lineno} selects an empty list of columns: no features"
        if isinstance(key, ast.Name) and key.id in empty and key.id not in rebound:
            return (
                f"`{key.id}` is an empty list (line {empty[key.id]}) used to select columns "
                f"(line {node.lineno}): the model would get no features"
            )
    return None


def _is_empty(node: ast.AST) -> bool:
    return isinstance(node, ast.List | ast.Tuple) and not node.elts


def unchanged_from(code: str, parent: Node) -> str | None:
    """Why `code` counts as `parent`'s script again (refused as `unchanged`), or None: the same
    text, or, for a parent that failed, the same but for comments and layout (it fails the same
    way again)."""
    if parent.code and normalised(parent.code) == normalised(code):
        return f"the code is the same as node {parent.id}'s"
    if parent.is_buggy and parent.code:
        effect = _effect(code)
        if effect is not None and _effect(parent.code) == effect:
            return f"the code does the same as node {parent.id}'s (only comments or layout differ)"
    return None


def _effect(code: str) -> str | None:
    """The code's syntax tree without layout and comments, for "identical in effect"."""
    try:
        return ast.dump(pyast.parse(code))
    except (SyntaxError, ValueError):
        return None


def compile_error(code: str) -> str | None:
    """The compiler's complaint about `code` in one line, or None when it compiles."""
    try:
        compile(code, "solution.py", "exec")
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return f"{exc.msg}{where}"
    except ValueError as exc:  # e.g. a null byte in the source
        return str(exc)
    return None


def normalised(code: str) -> str:
    """Code with trailing whitespace and trailing blank lines removed, for comparing copies."""
    return "\n".join(line.rstrip() for line in code.splitlines()).strip("\n")
