"""A task's own grading script, for metrics the registry lacks (MLE-bench's `grade.py` contract).

The script defines `grade(submission, answers) -> float`, both pandas DataFrames holding the rows
of one hidden split; it raises on an invalid submission. It runs in the framework's process,
never inside a candidate's sandbox, and the task folder holding it is hidden from candidates.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from airlab.errors import TaskError
from airlab.grading.metrics import Metric, MetricContext

GradeFn = Callable[[pd.DataFrame, pd.DataFrame], float]


def load_grade_function(path: Path) -> GradeFn:
    """Import `grade` from a task's grading script; a missing function or import names the file."""
    spec = importlib.util.spec_from_file_location(f"airlab_grader_{path.parent.name}", path)
    if spec is None or spec.loader is None:
        raise TaskError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:
        raise TaskError(f"{path}: needs the Python package {exc.name!r}, not installed") from None
    except Exception as exc:
        raise TaskError(f"{path}: fails on import: {type(exc).__name__}: {exc}") from None
    grade = getattr(module, "grade", None)
    if not callable(grade):
        raise TaskError(f"{path}: defines no function grade(submission, answers)")
    return grade


def custom_metric(name: str, direction: str, path: Path) -> Metric:
    """A metric whose score comes from the task's script; it is given DataFrames, not arrays."""
    grade = load_grade_function(path)

    def score(submission: object, answers: object, context: MetricContext) -> float:
        assert isinstance(submission, pd.DataFrame) and isinstance(answers, pd.DataFrame)
        return float(grade(submission, answers))

    return Metric(name, direction, "raw", score, needs_single_target=False)  # type: ignore[arg-type]
