"""The templates backend writes working forecasts for tasks with a time column."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from airlab.backends import WriteRequest, make_backend
from airlab.backends.templates.forecast import render_forecast
from airlab.backends.templates.models import models_for
from airlab.backends.templates.recipe import Member, Recipe
from airlab.grading import Grader
from airlab.tasks import load_task
from airlab.tasks.prepare import write_forecast_data


@pytest.fixture
def forecast_task(tmp_path):
    root = tmp_path / "monthly"
    months = pd.period_range("2000-01", periods=120, freq="M").astype(str)
    steps = np.arange(120)
    noise = np.random.default_rng(0).normal(scale=0.3, size=120)
    values = 10 + 0.05 * steps + 2 * np.sin(2 * np.pi * steps / 12) + noise
    frame = pd.DataFrame({"month": months, "sales": values.round(3)})
    write_forecast_data(root, frame, time_column="month", target="sales", horizon=24, seed=1)
    spec = {
        "name": "monthly",
        "title": "Monthly sales",
        "type": "forecasting",
        "metric": "mase",
        "direction": "minimize",
        "metric_params": {"seasonality": 12},
        "id_column": "id",
        "target_columns": ["sales"],
        "time_column": "month",
    }
    (root / "task.yaml").write_text(yaml.safe_dump(spec))
    (root / "description.md").write_text("# Monthly sales\nForecast 24 months.\n")
    return load_task(root)


def _run(task, code, workdir):
    workdir.mkdir()
    (workdir / "public").symlink_to(task.public_dir)
    (workdir / "solution.py").write_text(code)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # as the sandbox sets it
    done = subprocess.run(
        [sys.executable, "solution.py"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return (workdir / "submission.csv").read_bytes()


def test_forecast_splits_are_the_last_periods(forecast_task):
    train = pd.read_csv(forecast_task.public_dir / "train.csv")
    test = pd.read_csv(forecast_task.public_dir / "test.csv")
    assert len(train) == 96 and train["month"].iloc[-1] == "2007-12"
    assert list(test["month"]) == list(pd.period_range("2008-01", periods=24, freq="M").astype(str))
    assert forecast_task.read_answers()["split"].value_counts().to_dict() == {
        "search": 8,
        "select": 8,
        "test": 8,
    }


@pytest.mark.slow
def test_every_forecasting_model_writes_a_valid_forecast(forecast_task, tmp_path):
    grader = Grader(forecast_task)
    scores = {}
    for model in models_for("forecasting"):
        recipe = Recipe(members=(Member(model.key, model.defaults()),))
        code = render_forecast(recipe, forecast_task.spec, plan=f"plan {model.key}")
        submission = _run(forecast_task, code, tmp_path / model.key)
        grade = grader.grade(submission, ("test",))
        assert grade.valid, (model.key, grade.reason)
        scores[model.key] = grade.scores["test"]
    # A trend-plus-season model beats repeating the last year on a trending seasonal series.
    assert scores["trend_fourier"] < scores["seasonal_naive"]


def test_backend_drafts_forecasting_families(forecast_task):
    backend = make_backend("templates", {"bug_rate": 0.0})
    candidate = backend.write(WriteRequest("draft", forecast_task, (), (), seed=0, node_id=0))
    assert "def forecast(history, horizon)" in candidate.code
    assert candidate.meta["models"][0] in {m.key for m in models_for("forecasting")}
    compile(candidate.code, "solution.py", "exec")
