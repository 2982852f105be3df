"""Metrics by canonical name, each with its direction and the kind of prediction it scores.

The direction belongs to the metric, never to a model's opinion (AIDE let the LLM decide whether
lower is better; that was a source of bugs).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Literal

import numpy as np

from airlab.registry import Registry

PredictionKind = Literal["label", "probability", "value", "raw"]
"""`raw`: a task's own grader reads the submission as written; nothing is coerced."""


@dataclass(frozen=True)
class MetricContext:
    """What some metrics need beyond (truth, prediction): MASE needs the training series."""

    train_target: np.ndarray | None = None
    params: dict[str, float | int | str] = field(default_factory=dict)
    positive_label: str = "1"


ScoreFn = Callable[[np.ndarray, np.ndarray, MetricContext], float]


@dataclass(frozen=True)
class Metric:
    """A named score with its direction; `kind` says what a submission must hold."""

    name: str
    direction: Literal["maximize", "minimize"]
    kind: PredictionKind
    score_fn: ScoreFn
    needs_single_target: bool = True
    needs_positive_predictions: bool = False
    best_value: float | None = None
    """The best attainable value (1.0 for accuracy, 0.0 for RMSE), when there is one."""
    imports: tuple[str, ...] = ()
    """Modules the score imports when first computed, which `warm` imports ahead of time."""

    def warm(self) -> None:
        """Import what scoring needs now: a run does it as it starts, so that its first grade,
        on the driver between candidates, does not wait for scikit-learn's import."""
        for module in self.imports:
            importlib.import_module(module)

    @property
    def maximize(self) -> bool:
        return self.direction == "maximize"

    def __call__(self, y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> float:
        return float(self.score_fn(y_true, y_pred, context))

    def better(self, a: float, b: float) -> bool:
        """Whether score `a` is strictly better than `b` under this metric's direction."""
        return a > b if self.maximize else a < b


METRICS: Registry[Metric] = Registry("metric", group="airlab.metrics")


SKLEARN_METRICS = ("sklearn.metrics",)


def _skm() -> ModuleType:
    """scikit-learn's metrics, imported when a score is computed: importing scikit-learn takes
    about 0.7 s, which every process that only names metrics (the CLI's option checks, a run
    graded by the task's own evaluator) would otherwise pay."""
    from sklearn import metrics

    return metrics


def _add(metric: Metric) -> None:
    METRICS.register(metric.name, metric)


def _binary_truth(y_true: np.ndarray, context: MetricContext) -> np.ndarray:
    return (y_true == context.positive_label).astype(int)


def _mase(y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> float:
    if context.train_target is None or len(context.train_target) < 2:
        raise ValueError("MASE needs the training target series")
    m = int(context.params.get("seasonality", 1))
    history = np.asarray(context.train_target, dtype=float)
    scale = float(np.mean(np.abs(history[m:] - history[:-m])))
    if scale == 0:
        raise ValueError("MASE scale is zero: the training series is constant")
    return float(np.mean(np.abs(y_true.astype(float) - y_pred)) / scale)


_add(
    Metric(
        "accuracy",
        "maximize",
        "label",
        lambda t, p, c: _skm().accuracy_score(t, p),
        best_value=1.0,
        imports=SKLEARN_METRICS,
    )
)
_add(
    Metric(
        "balanced_accuracy",
        "maximize",
        "label",
        lambda t, p, c: _skm().balanced_accuracy_score(t, p),
        best_value=1.0,
        imports=SKLEARN_METRICS,
    )
)
_add(
    Metric(
        "f1_macro",
        "maximize",
        "label",
        lambda t, p, c: _skm().f1_score(t, p, average="macro"),
        best_value=1.0,
        imports=SKLEARN_METRICS,
    )
)
_add(
    Metric(
        "roc_auc",
        "maximize",
        "probability",
        lambda t, p, c: _skm().roc_auc_score(_binary_truth(t, c), p),
        best_value=1.0,
        imports=SKLEARN_METRICS,
    )
)
_add(
    Metric(
        "log_loss",
        "minimize",
        "probability",
        lambda t, p, c: _skm().log_loss(
            _binary_truth(t, c), np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1]
        ),
        best_value=0.0,
        imports=SKLEARN_METRICS,
    )
)
_add(
    Metric(
        "rmse",
        "minimize",
        "value",
        lambda t, p, c: float(np.sqrt(_skm().mean_squared_error(t.astype(float), p))),
        needs_single_target=False,
        best_value=0.0,
        imports=SKLEARN_METRICS,
    )
)
_add(
    Metric(
        "mae",
        "minimize",
        "value",
        lambda t, p, c: _skm().mean_absolute_error(t.astype(float), p),
        needs_single_target=False,
        best_value=0.0,
        imports=SKLEARN_METRICS,
    )
)
_add(
    Metric(
        "r2",
        "maximize",
        "value",
        lambda t, p, c: _skm().r2_score(t.astype(float), p),
        needs_single_target=False,
        best_value=1.0,
        imports=SKLEARN_METRICS,
    )
)
_add(Metric("mase", "minimize", "value", _mase, best_value=0.0))


def _smape(y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> float:
    """Symmetric MAPE in percent (M4 competition form); a row where both are zero counts 0."""
    truth = y_true.astype(float)
    denominator = np.abs(truth) + np.abs(y_pred)
    ratio = np.divide(
        2 * np.abs(y_pred - truth),
        denominator,
        out=np.zeros_like(denominator),
        where=denominator > 0,
    )
    return float(100 * np.mean(ratio))


def _mape(y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> float:
    truth = y_true.astype(float)
    if (truth == 0).any():
        raise ValueError("MAPE is undefined where the true value is zero")
    return float(100 * np.mean(np.abs((y_pred - truth) / truth)))


_add(Metric("smape", "minimize", "value", _smape, best_value=0.0))
_add(Metric("mape", "minimize", "value", _mape, best_value=0.0))
_add(
    Metric(
        "poisson_deviance",
        "minimize",
        "value",
        lambda t, p, c: _skm().mean_poisson_deviance(t.astype(float), p),
        needs_positive_predictions=True,
        best_value=0.0,
        imports=SKLEARN_METRICS,
    )
)
