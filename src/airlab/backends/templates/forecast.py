"""Forecasting solutions: a task with a `time_column` gets scripts that extrapolate its series.

Each model writes one function `forecast_N(history, horizon)`; an ensemble averages them. The
script back-tests on the last `horizon` points of the training series (its self-reported score),
then forecasts from the whole series and reads off the rows `test.csv` asks for.
"""

from __future__ import annotations

import textwrap
from typing import Any

from airlab.backends.templates.models import MODELS, ModelSpec, Param
from airlab.backends.templates.recipe import Recipe
from airlab.tasks.spec import TaskSpec

FORECAST_METRICS = ("mae", "mase", "rmse", "smape", "mape")

_LAGS = {"lags": Param("int", 24, 2, 60), "difference": Param("choice", 1, choices=(0, 1))}


def _spec(key: str, family: str, title: str, params: dict[str, Param], **extra: Any) -> ModelSpec:
    return ModelSpec(
        key, family, "forecasting", "", "", title, params, scale_sensitive=False, **extra
    )


FORECAST_MODELS = (
    _spec("seasonal_naive", "naive", "seasonal naive", {"seasons": Param("int", 1, 1, 5)}),
    _spec("drift", "naive", "drift from the recent slope", {"window": Param("int", 24, 2, 120)}),
    _spec(
        "trend_fourier",
        "linear",
        "polynomial trend with Fourier seasonality (ridge)",
        {
            "degree": Param("choice", 1, choices=(1, 2)),
            "harmonics": Param("int", 3, 1, 6),
            "alpha": Param("log", 1e-3, 1e-6, 10.0),
            "recent": Param("choice", 1.0, choices=(1.0, 0.5, 0.25)),
        },
    ),
    _spec(
        "lag_ridge",
        "linear",
        "ridge on lagged values",
        {**_LAGS, "alpha": Param("log", 1.0, 1e-3, 1e3)},
    ),
    _spec(
        "lag_gbdt",
        "gbdt",
        "gradient boosting on lagged values",
        {
            **_LAGS,
            "max_iter": Param("int", 200, 30, 600),
            "learning_rate": Param("log", 0.05, 0.005, 0.5),
        },
        shrink={"max_iter": 0.4},
    ),
    _spec(
        "lag_knn",
        "knn",
        "nearest neighbours on lagged values",
        {**_LAGS, "n_neighbors": Param("int", 5, 1, 30)},
    ),
    _spec(
        "lag_forest",
        "random_forest",
        "random forest on lagged values",
        {**_LAGS, "n_estimators": Param("int", 200, 50, 800)},
        shrink={"n_estimators": 0.4},
    ),
    _spec(
        "holt_winters",
        "exponential_smoothing",
        "Holt-Winters exponential smoothing (statsmodels)",
        {
            "trend": Param("choice", "add", choices=("add", None)),
            "damped": Param("choice", False, choices=(False, True)),
        },
        requires="statsmodels",
    ),
    _spec(
        "autoreg",
        "arima",
        "autoregression with trend (statsmodels)",
        {"lags": Param("int", 12, 1, 48), "trend": Param("choice", "ct", choices=("c", "ct"))},
        requires="statsmodels",
    ),
)

_LAG_ESTIMATORS = {
    "lag_ridge": ("sklearn.linear_model", "Ridge", "Ridge(alpha={alpha})"),
    "lag_gbdt": (
        "sklearn.ensemble",
        "HistGradientBoostingRegressor",
        "HistGradientBoostingRegressor(max_iter={max_iter}, learning_rate={learning_rate}, "
        "random_state=0)",
    ),
    "lag_knn": ("sklearn.neighbors", "KNeighborsRegressor", "KNeighborsRegressor({n_neighbors})"),
    "lag_forest": (
        "sklearn.ensemble",
        "RandomForestRegressor",
        "RandomForestRegressor(n_estimators={n_estimators}, random_state=0, n_jobs=-1)",
    ),
}

_SCORES = {
    "mae": "np.mean(np.abs(truth - predicted))",
    "rmse": "np.sqrt(np.mean((truth - predicted) ** 2))",
    "mase": "np.mean(np.abs(truth - predicted)) / "
    "np.mean(np.abs(fit_part[SEASON:] - fit_part[:-SEASON]))",
    "smape": "100 * np.mean(2 * np.abs(predicted - truth) / "
    "np.maximum(np.abs(truth) + np.abs(predicted), 1e-12))",
    "mape": "100 * np.mean(np.abs((predicted - truth) / truth))",
}


def _body(key: str, params: dict[str, Any], imports: set[str]) -> tuple[str, str]:
    """Docstring and body of one member's forecast function."""
    p = params
    if key == "seasonal_naive":
        return (
            f"Repeat the mean of the last {p['seasons']} season(s).",
            f"""period = SEASON
seasons = max(1, min({p["seasons"]}, len(history) // period))
recent = history[len(history) - seasons * period :].reshape(seasons, period).mean(axis=0)
return np.resize(recent, horizon)""",
        )
    if key == "drift":
        return (
            f"Last value plus the mean step over the last {p['window']} points.",
            f"""window = history[-min({p["window"]}, len(history)) :]
slope = (window[-1] - window[0]) / max(len(window) - 1, 1)
return history[-1] + slope * np.arange(1, horizon + 1)""",
        )
    if key == "trend_fourier":
        imports.add("from sklearn.linear_model import Ridge")
        return (
            f"Ridge on a degree-{p['degree']} trend and {p['harmonics']} seasonal harmonics, "
            f"fitted on the most recent {p['recent']:.0%} of the series.",
            f"""start = int(len(history) * (1 - {p["recent"]}))
steps = np.arange(len(history) + horizon, dtype=float)


def design(t):
    scaled = t / len(history)
    columns = [scaled**power for power in range(1, {p["degree"]} + 1)]
    if SEASON > 1:
        for k in range(1, {p["harmonics"]} + 1):
            angle = 2 * np.pi * k * t / SEASON
            columns += [np.sin(angle), np.cos(angle)]
    return np.column_stack(columns)


model = Ridge(alpha={p["alpha"]}).fit(design(steps[start : len(history)]), history[start:])
return model.predict(design(steps[len(history) :]))""",
        )
    if key in _LAG_ESTIMATORS:
        module, cls, template = _LAG_ESTIMATORS[key]
        imports.add(f"from {module} import {cls}")
        estimator = template.format(**p)
        differenced = "differences" if p["difference"] else "values"
        return (
            f"Recursive one-step {cls} on the last {p['lags']} {differenced}.",
            f"""series = np.diff(history) if {p["difference"]} else history.copy()
lags = min({p["lags"]}, len(series) // 2)
windows = np.lib.stride_tricks.sliding_window_view(series[:-1], lags)
model = {estimator}.fit(windows, series[lags:])
recent = list(series[-lags:])
steps = []
for _ in range(horizon):
    step = float(model.predict(np.asarray(recent[-lags:])[None, :])[0])
    steps.append(step)
    recent.append(step)
steps = np.asarray(steps)
return history[-1] + np.cumsum(steps) if {p["difference"]} else steps""",
        )
    if key == "holt_winters":
        imports.add("from statsmodels.tsa.holtwinters import ExponentialSmoothing")
        damped = bool(p["damped"]) and p["trend"] is not None
        return (
            f"Holt-Winters: trend={p['trend']}, damped={damped}, additive seasonality.",
            f"""seasonal = "add" if SEASON > 1 and len(history) >= 2 * SEASON else None
model = ExponentialSmoothing(
    history,
    trend={p["trend"]!r},
    damped_trend={damped},
    seasonal=seasonal,
    seasonal_periods=SEASON if seasonal else None,
).fit()
return np.asarray(model.forecast(horizon))""",
        )
    if key == "autoreg":
        imports.add("from statsmodels.tsa.ar_model import AutoReg")
        return (
            f"AutoReg with {p['lags']} lags, trend {p['trend']!r}, seasonal dummies.",
            f"""lags = min({p["lags"]}, len(history) // 3)
seasonal = SEASON > 1
model = AutoReg(
    history, lags=lags, trend={p["trend"]!r}, seasonal=seasonal, period=SEASON if seasonal else None
).fit()
return np.asarray(model.predict(start=len(history), end=len(history) + horizon - 1))""",
        )
    raise ValueError(f"no forecasting template for model {key!r}")


def render_forecast(recipe: Recipe, spec: TaskSpec, *, plan: str) -> str:
    """The full forecasting script for a recipe."""
    imports: set[str] = set()
    functions = []
    names = []
    for index, member in enumerate(recipe.members, start=1):
        doc, body = _body(member.model, member.params, imports)
        name = f"forecast_{index}"
        functions.append(
            f'def {name}(history, horizon):\n    """{doc}"""\n{textwrap.indent(body, "    ")}\n'
        )
        names.append(name)
    average = " + ".join(f"{n}(history, horizon)" for n in names)
    functions.append(
        "def forecast(history, horizon):\n"
        f'    """Average of {len(names)} model(s)."""\n'
        f"    return ({average}) / {len(names)}\n"
    )
    import_lines = ["import numpy as np", "import pandas as pd", *sorted(imports)]
    if recipe.bug == "missing_import":
        import_lines.pop(2 if len(import_lines) > 2 else 0)
    target = spec.target_columns[0]
    target_code = repr(target + "s") if recipe.bug == "wrong_target" else repr(target)
    submission_column = "'prediction'" if recipe.bug == "submission_column" else "TARGET"
    ids = "test[ID].values[1:]" if recipe.bug == "length_mismatch" else "test[ID]"
    season = int(spec.metric_params.get("seasonality", 1))
    docstring = "\n".join(textwrap.wrap(plan, 96)) or "Candidate forecast."
    newline = "\n"
    return f'''"""{docstring}"""

{newline.join(import_lines)}

ID = {spec.id_column!r}
TARGET = {target_code}
TIME = {spec.time_column!r}
SEASON = {season}


train = pd.read_csv("public/train.csv").sort_values(TIME).reset_index(drop=True)
test = pd.read_csv("public/test.csv")
history = train[TARGET].to_numpy(dtype=float)
# The series is regular and the test periods follow the training ones: a period's position is
# its rank among all periods (ISO dates and numbers both sort in time order).
periods = np.union1d(train[TIME].to_numpy(), test[TIME].to_numpy())
position = np.searchsorted(periods, test[TIME].to_numpy())
horizon = int(position.max()) - len(history) + 1


{(newline * 2).join(functions)}

# Back-test: forecast the last `horizon` training points from the ones before them.
fit_part, truth = history[:-horizon], history[-horizon:]
predicted = forecast(fit_part, horizon)
backtest_score = {_SCORES[spec.metric]}
print(f"back-test {spec.metric} over the last {{horizon}} points: {{backtest_score:.4f}}")
print(f"self_reported_score: {{backtest_score:.6f}}")

prediction = forecast(history, horizon)[position - len(history)]
submission = pd.DataFrame({{ID: {ids}, {submission_column}: prediction}})
submission.to_csv("submission.csv", index=False)
print(f"wrote submission.csv with {{len(submission)}} rows")
'''


MODELS.update({spec.key: spec for spec in FORECAST_MODELS})
