"""Median absolute error: a regression score that one wild prediction cannot dominate."""

from __future__ import annotations

import numpy as np

from airlab.grading.metrics import Metric, MetricContext


def _median_absolute_error(y_true: np.ndarray, y_pred: np.ndarray, _: MetricContext) -> float:
    return float(np.median(np.abs(y_true.astype(float) - y_pred.astype(float))))


MEDAE = Metric("example-medae", "minimize", "value", _median_absolute_error, best_value=0.0)
