"""A task's own grading script, for metrics the registry lacks (MLE-bench's `grade.py` contract).

The grader is a file in the task folder (`grader: grade.py`) or an installed function named by
its module path (`grade_fn: mlebench.competitions.ID.grade:grade`, MLE-bench's registry form:
imported as a module of its package, so `from .classes import CLASSES` works).
Either defines `grade(submission, answers) -> float`, both pandas DataFrames holding the rows
of one hidden split; it raises on an invalid submission. It runs in the framework's process,
never inside a candidate's sandbox, and the task folder holding it is hidden from candidates.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from airlab.errors import TaskError
from airlab.grading.metrics import Metric, MetricContext
from airlab.scripts import load_script_function

GradeFn = Callable[[pd.DataFrame, pd.DataFrame], float]


def load_grade_function(path: Path) -> GradeFn:
    """Import `grade` from a task's grading script; a missing function or import names the file."""
    return load_script_function(path, "grade", "grade(submission, answers)")


INSTALL_HINTS = {
    "mlebench": "install MLE-bench from your clone: pip install -e PATH/TO/mle-bench",
}


def import_grade_function(target: str) -> GradeFn:
    """`module.path:function` imported from the installed package (a one-line error if absent)."""
    module_name, _, function = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        package = (exc.name or module_name).split(".")[0]
        hint = INSTALL_HINTS.get(package, f"pip install {package}")
        raise TaskError(
            f"task.yaml field 'grade_fn' {target!r} needs the Python package {package!r}, "
            f"not importable here: {hint}"
        ) from None
    except Exception as exc:
        raise TaskError(
            f"task.yaml field 'grade_fn' {target!r} fails on import: {type(exc).__name__}: {exc}"
        ) from None
    found = getattr(module, function, None)
    if not callable(found):
        raise TaskError(f"task.yaml field 'grade_fn': {module_name} defines no function {function}")
    return found


def load_grade_many(path: Path) -> Callable[[list], list[float]] | None:
    """The script's optional `grade_many(pairs) -> scores`: all hidden splits in one call, for
    graders that pay a start-up cost per call (a subprocess)."""
    try:
        return load_script_function(path, "grade_many", "grade_many(pairs)")
    except TaskError:
        return None


def custom_metric(name: str, direction: str, source: Path | str) -> Metric:
    """A metric whose score comes from the task's own code; it is given DataFrames, not arrays.

    `source` is a grading script's path or a `module.path:function` string."""
    grade = (
        load_grade_function(source) if isinstance(source, Path) else import_grade_function(source)
    )

    def score(submission: object, answers: object, context: MetricContext) -> float:
        assert isinstance(submission, pd.DataFrame) and isinstance(answers, pd.DataFrame)
        return float(grade(submission, answers))

    return Metric(name, direction, "raw", score, needs_single_target=False)  # type: ignore[arg-type]
