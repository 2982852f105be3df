import numpy as np
import pytest

from airlab.grading import METRICS, MetricContext


def _score(name, truth, predicted, **context):
    return METRICS.get(name)(np.asarray(truth), np.asarray(predicted), MetricContext(**context))


def test_directions_are_fixed_by_the_metric():
    maximize = {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "r2"}
    minimize = {"log_loss", "rmse", "mae", "mase", "poisson_deviance"}
    for name in maximize:
        assert METRICS.get(name).direction == "maximize"
    for name in minimize:
        assert METRICS.get(name).direction == "minimize"


def test_known_values():
    assert _score("accuracy", ["1", "0", "1", "1"], ["1", "0", "0", "1"]) == 0.75
    assert _score("rmse", [1.0, 2.0, 3.0], [1.0, 2.0, 5.0]) == pytest.approx(np.sqrt(4 / 3))
    assert _score("mae", [1.0, 2.0], [2.0, 4.0]) == 1.5
    assert _score("roc_auc", ["0", "0", "1", "1"], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert _score("log_loss", ["1", "0"], [0.9, 0.1]) == pytest.approx(-np.log(0.9))


def test_mase_scales_by_naive_forecast_error_of_training_series():
    history = np.array([1.0, 2.0, 4.0, 7.0])  # naive one-step errors 1, 2, 3 → scale 2
    value = _score("mase", [10.0, 12.0], [11.0, 10.0], train_target=history)
    assert value == pytest.approx(1.5 / 2.0)
    seasonal = _score(
        "mase", [1.0], [3.0], train_target=np.array([1.0, 5.0, 2.0, 8.0]), params={"seasonality": 2}
    )
    assert seasonal == pytest.approx(2.0 / 2.0)


def test_better_respects_direction():
    assert METRICS.get("accuracy").better(0.9, 0.8)
    assert METRICS.get("rmse").better(1.0, 2.0)
    assert not METRICS.get("rmse").better(2.0, 1.0)


def test_forecasting_percentage_errors():
    assert _score("mape", [100.0, 200.0], [110.0, 180.0]) == pytest.approx(10.0)
    # sMAPE: 2|F-A|/(|A|+|F|) in percent; a row where both are zero scores 0.
    assert _score("smape", [100.0, 0.0], [300.0, 0.0]) == pytest.approx(50.0)
    assert METRICS.get("smape").direction == "minimize"
    with pytest.raises(ValueError, match="zero"):
        _score("mape", [0.0, 1.0], [1.0, 1.0])


def test_every_metric_scored_with_scikit_learn_names_it_to_be_warmed():
    """A run imports what its metric needs as it starts (`Metric.warm`), not at its first
    grade: each built-in metric that calls scikit-learn says so, and warming one imports it."""
    import subprocess
    import sys

    from airlab.grading.metrics import METRICS, SKLEARN_METRICS

    for name in METRICS.names():
        metric = METRICS.get(name)
        if getattr(metric.score_fn, "__module__", None) != "airlab.grading.metrics":
            continue  # a plug-in's metric
        source = metric.score_fn.__code__.co_names
        assert ("_skm" in source) == (metric.imports == SKLEARN_METRICS), name
    probe = (
        "import sys; from airlab.grading.metrics import METRICS; "
        "assert 'sklearn' not in sys.modules; METRICS.get('rmse').warm(); "
        "assert 'sklearn.metrics' in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
