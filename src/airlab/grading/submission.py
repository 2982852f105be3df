"""Submission checks: a bad submission is invalid with a reason, never a crash."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from airlab.grading.metrics import Metric
from airlab.tasks.spec import TaskSpec


class InvalidSubmission(Exception):
    """Raised inside the checks; the grader turns it into an invalid grade with this reason."""


@dataclass(frozen=True)
class CheckedSubmission:
    """Predictions aligned to the answer ids, ready to score."""

    predictions: pd.DataFrame
    """Indexed by id (string), one column per target, values normalised for the metric's kind."""


def normalise_label(value: object) -> str:
    """One spelling per label: 3, 3.0, "3" and " 3 " are all "3"."""
    if isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isfinite(value) and float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if math.isfinite(number) and number.is_integer() else text


def read_submission(data: bytes | pd.DataFrame, id_column: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
        if id_column in frame.columns:
            frame[id_column] = frame[id_column].astype(str)
        return frame
    if not data.strip():
        raise InvalidSubmission("submission.csv is empty")
    try:
        return pd.read_csv(io.BytesIO(data), dtype={id_column: str})
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidSubmission(f"submission.csv is not a readable CSV: {first_line}") from None


def _example(values: pd.Index) -> str:
    shown = ", ".join(repr(v) for v in list(values[:3]))
    return f"{len(values)} (e.g. {shown})"


def check_submission(
    data: bytes | pd.DataFrame, spec: TaskSpec, metric: Metric, expected_ids: pd.Index
) -> CheckedSubmission:
    """Check columns, ids, missing values and dtypes; raise InvalidSubmission on the first fault."""
    frame = read_submission(data, spec.id_column)
    frame.columns = [str(column).strip() for column in frame.columns]
    if spec.id_column not in frame.columns:
        raise InvalidSubmission(f"missing id column {spec.id_column!r}")
    for column in spec.target_columns:
        if column not in frame.columns:
            raise InvalidSubmission(f"missing column {column!r}")
    extra_columns = [c for c in frame.columns if c not in (spec.id_column, *spec.target_columns)]
    if extra_columns:
        raise InvalidSubmission(f"unexpected column {extra_columns[0]!r}")
    if frame.columns.duplicated().any():
        raise InvalidSubmission("duplicate column names")

    ids = pd.Index(frame[spec.id_column].astype(str).str.strip())
    if ids.has_duplicates:
        raise InvalidSubmission(f"duplicate ids: {_example(ids[ids.duplicated()].unique())}")
    missing = expected_ids.difference(ids)
    if len(missing):
        raise InvalidSubmission(f"missing ids: {_example(missing)}")
    extra = ids.difference(expected_ids)
    if len(extra):
        raise InvalidSubmission(f"unknown ids: {_example(extra)}")

    predictions = frame[list(spec.target_columns)].set_axis(ids, axis=0)
    for column in spec.target_columns:
        if predictions[column].isna().any():
            count = int(predictions[column].isna().sum())
            raise InvalidSubmission(f"column {column!r} has {count} missing values")
    predictions = _coerce(predictions, spec, metric)
    return CheckedSubmission(predictions=predictions.loc[expected_ids])


def _coerce(predictions: pd.DataFrame, spec: TaskSpec, metric: Metric) -> pd.DataFrame:
    if metric.kind == "raw":
        return predictions
    if metric.kind == "label":
        labels = predictions.map(normalise_label)
        if spec.labels is not None:
            known = {normalise_label(label) for label in spec.labels}
            for column in labels.columns:
                unknown = sorted(set(labels[column]) - known)
                if unknown:
                    raise InvalidSubmission(
                        f"column {column!r} has unknown label {unknown[0]!r} "
                        f"(known: {', '.join(sorted(known))})"
                    )
        return labels
    numeric = predictions.copy()
    for column in numeric.columns:
        converted = pd.to_numeric(numeric[column], errors="coerce")
        bad = converted.isna()
        if bad.any():
            example = numeric[column][bad].iloc[0]
            raise InvalidSubmission(f"column {column!r} must be numeric, got {example!r}")
        values = converted.to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise InvalidSubmission(f"column {column!r} has infinite values")
        if metric.kind == "probability" and ((values < 0) | (values > 1)).any():
            raise InvalidSubmission(f"column {column!r} must hold probabilities in [0, 1]")
        if metric.needs_positive_predictions and (values <= 0).any():
            raise InvalidSubmission(f"column {column!r} must be positive for {metric.name}")
        numeric[column] = values
    return numeric
