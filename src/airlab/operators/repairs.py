"""Fixed repairs of a written script, before it runs: each one mechanical, switchable and recorded.

Measured with a 1.5B local model: drafts died of a notebook line (`!pip install xgboost`, which
does not compile), of a scikit-learn name used without its import, of the skeleton's I/O names read
before any line bound them, of the skeleton's encoding applied twice, of the encoder's column kinds
read from the training table (its target among them), of the skeleton's encoder built and the
estimator fitted without it on the raw table, of text columns imputed with the median, of
`n_estimators` given to a histogram booster, of a classifier on a regression task (or a regressor
on a classification one), of a hyperparameter grid naming parameters its estimator lacks (or in the
pipeline's form on a bare estimator), of a model predicted with and never fitted, of a
`train_test_split` unpacked into the wrong number of names, of the id read from the features
(`X_test[ID]`), of a self-made score against a `y_test` no line binds, of one class's probabilities
taken as a one-column table (`[:, [1]]`), of a held-out split's predictions written beside the test
rows' ids, and of a submission frame built and never written. None of these needs a model to fix.
Each repair applied is listed in the candidate's meta under its own key, the names in `REPAIRS`,
and each has an operator option of the same name to switch it off.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from airlab import pyast
from airlab.operators.encode_once import encode_once as unwrap_double_encoding
from airlab.operators.estimator_keywords import rename_estimator_keywords
from airlab.operators.estimator_kind import estimators_for_task
from airlab.operators.feature_columns import select_from_features
from airlab.operators.id_reads import read_ids_from_source
from airlab.operators.io_prelude import complete_io, split_future
from airlab.operators.names import bound_anywhere, read_before_binding
from airlab.operators.parsing import strip_shell_lines
from airlab.operators.proba_column import take_probability_columns
from airlab.operators.search_params import fit_search_params
from airlab.operators.sklearn_names import AUTO_IMPORTS, MODULE_OF
from airlab.operators.split_names import fix_split_names
from airlab.operators.submission_frame import predict_submission_rows, write_submission
from airlab.operators.text_imputer import impute_text_by_frequency
from airlab.operators.unbound_scores import drop_unbound_scores
from airlab.operators.unfitted_model import fit_unfitted_models
from airlab.operators.unused_encoder import encode_before_estimator
from airlab.tasks.task import Task

IMPORTS_MARK = "# airlab: imports this script uses but does not write"

Step = Callable[[str, Task], tuple[str, Any]]
"""One repair: (the script, the task) -> (the script after it, what it changed: empty if
nothing)."""


def _steps() -> tuple[tuple[str, Step], ...]:
    """Each repair by its switch's name, in the order they apply (the I/O prelude before what
    reads the skeleton's names; the submission's repairs last, on the script as it will run)."""
    return (
        ("shell_lines", lambda code, task: strip_shell_lines(code)),
        ("auto_imports", lambda code, task: add_imports(code)),
        ("io_prelude", complete_io),
        ("encode_once", lambda code, task: unwrap_double_encoding(code)),
        ("feature_columns", lambda code, task: select_from_features(code)),
        ("unused_encoder", lambda code, task: encode_before_estimator(code)),
        ("text_imputer", lambda code, task: impute_text_by_frequency(code)),
        ("estimator_keywords", lambda code, task: rename_estimator_keywords(code)),
        ("estimator_kind", estimators_for_task),
        ("search_params", lambda code, task: fit_search_params(code)),
        ("unfitted_model", lambda code, task: fit_unfitted_models(code)),
        ("split_names", lambda code, task: fix_split_names(code)),
        ("id_reads", lambda code, task: read_ids_from_source(code, task.spec.id_column)),
        ("unbound_scores", lambda code, task: drop_unbound_scores(code)),
        ("proba_column", lambda code, task: take_probability_columns(code)),
        ("submission_rows", lambda code, task: predict_submission_rows(code, task.spec.id_column)),
        ("submission_write", lambda code, task: write_submission(code, task.spec.id_column)),
    )


REPAIRS = tuple(name for name, _ in _steps())
"""The switches of `repair`, in the order the repairs apply (each an operator option)."""


def repair(code: str, task: Task, **switches: bool) -> tuple[str, dict[str, Any]]:
    """(the repaired script, the meta entries of the repairs applied: {} when none); a switch
    (one of `REPAIRS`) set False leaves its repair out."""
    unknown = sorted(set(switches) - set(REPAIRS))
    if unknown:
        raise TypeError(f"repair() got unknown switches {unknown}; known: {', '.join(REPAIRS)}")
    meta: dict[str, Any] = {}
    for name, step in _steps():
        if switches.get(name, True):
            code, changed = step(code, task)
            if changed:
                meta[name] = changed
    return code, meta


def add_imports(code: str) -> tuple[str, list[str]]:
    """The script with the imports of the table's names it reads and binds nowhere, and of the
    scikit-learn submodules it reaches through a `sklearn` it never imports
    (`sklearn.neural_network.MLPClassifier()`: `import sklearn.neural_network`)."""
    early = read_before_binding(code)
    bound = bound_anywhere(code)
    if not early or bound is None:
        return code, []
    names = sorted(name for name in early if name in AUTO_IMPORTS and name not in bound)
    lines = [AUTO_IMPORTS[name] for name in names]
    if "sklearn" in early and "sklearn" not in bound:
        submodules = _sklearn_submodules(code)
        names += [f"sklearn.{sub}" for sub in submodules]
        lines += [f"import sklearn.{sub}" for sub in submodules]
    if not names:
        return code, []
    block = "\n".join([IMPORTS_MARK, *lines]) + "\n\n"
    head, body = split_future(code)
    return head + block + body, names


def _sklearn_submodules(code: str) -> list[str]:
    """The scikit-learn submodules read as `sklearn.<submodule>...` (the known ones only)."""
    known = {module.split(".")[1] for module in MODULE_OF.values()}
    found = {
        node.attr
        for node in ast.walk(pyast.parse(code))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "sklearn"
        and node.attr in known
    }
    return sorted(found)
