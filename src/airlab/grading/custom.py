"""A task's own grading script, for metrics the registry lacks (MLE-bench's `grade.py` contract).

The script defines `grade(submission, answers) -> float`, both pandas DataFrames holding the rows
of one hidden split; it raises on an invalid submission. It runs in the framework's process,
never inside a candidate's sandbox, and the task folder holding it is hidden from candidates.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from airlab.grading.metrics import Metric, MetricContext
from airlab.scripts import load_script_function

GradeFn = Callable[[pd.DataFrame, pd.DataFrame], float]


def load_grade_function(path: Path) -> GradeFn:
    """Import `grade` from a task's grading script; a missing function or import names the file."""
    return load_script_function(path, "grade", "grade(submission, answers)")


def custom_metric(name: str, direction: str, path: Path) -> Metric:
    """A metric whose score comes from the task's script; it is given DataFrames, not arrays."""
    grade = load_grade_function(path)

    def score(submission: object, answers: object, context: MetricContext) -> float:
        assert isinstance(submission, pd.DataFrame) and isinstance(answers, pd.DataFrame)
        return float(grade(submission, answers))

    return Metric(name, direction, "raw", score, needs_single_target=False)  # type: ignore[arg-type]
