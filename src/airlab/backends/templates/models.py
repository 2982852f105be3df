"""The scikit-learn models the templates backend can write, with their hyperparameter spaces.

Each model knows how to print its constructor, which hyperparameters an `improve` may move and
within which range, and which ones a `debug` after a timeout should shrink.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Problem = Literal["classification", "regression", "forecasting"]


@dataclass(frozen=True)
class Param:
    """One tunable hyperparameter: its scale, range and the value a first draft uses."""

    kind: Literal["log", "int", "float", "choice"]
    default: Any
    low: float = 0.0
    high: float = 1.0
    choices: tuple[Any, ...] = ()

    def perturb(self, value: Any, rng: np.random.Generator) -> Any:
        """A nearby value, different from `value` where the space allows."""
        if self.kind == "choice":
            others = [c for c in self.choices if c != value] or list(self.choices)
            return others[int(rng.integers(len(others)))]
        if self.kind == "log":
            moved = float(value) * float(np.exp(rng.normal(0.0, 0.8)))
            return float(f"{min(max(moved, self.low), self.high):.3g}")
        if self.kind == "int":
            moved = float(value) * float(np.exp(rng.normal(0.0, 0.5)))
            new = round(min(max(moved, self.low), self.high))
            if new == value:
                step = 1 if rng.random() < 0.5 else -1
                if not self.low <= value + step <= self.high:
                    step = -step
                new = int(value + step)
            return new
        moved = float(value) + float(rng.normal(0.0, 0.2 * (self.high - self.low)))
        return float(f"{min(max(moved, self.low), self.high):.3g}")

    @property
    def log_int(self) -> bool:
        """An integer range wide enough (20 times) to be searched on a log scale."""
        return self.kind == "int" and self.high / max(self.low, 1) >= 20

    def anywhere(self, value: Any, rng: np.random.Generator) -> Any:
        """A value drawn from the whole range (log-uniform where the scale is), different from
        `value` where the space allows: the bold try a person makes after small steps stall
        (k = 1 neighbours, C = 300), and what a hyperparameter optimiser samples."""
        if self.kind == "choice":
            return self.perturb(value, rng)
        for _ in range(8):
            if self.kind == "log":
                new: Any = float(f"{np.exp(rng.uniform(np.log(self.low), np.log(self.high))):.3g}")
            elif self.log_int:
                new = round(float(np.exp(rng.uniform(np.log(max(self.low, 1)), np.log(self.high)))))
            elif self.kind == "int":
                new = int(rng.integers(int(self.low), int(self.high) + 1))
            else:
                new = float(f"{rng.uniform(self.low, self.high):.3g}")
            if new != value:
                return new
        return self.perturb(value, rng)


@dataclass(frozen=True)
class ModelSpec:
    """A model class and how to write, tune and shrink it."""

    key: str
    family: str
    """Approach family, for ideation diversity (linear, svm, knn, random_forest, gbdt, mlp, ...)."""
    problem: Problem
    module: str
    cls: str
    title: str
    params: dict[str, Param]
    fixed: dict[str, Any] = field(default_factory=dict)
    probability_kwargs: dict[str, Any] = field(default_factory=dict)
    """Extra constructor arguments needed for predict_proba (e.g. SVC(probability=True))."""
    scale_sensitive: bool = True
    shrink: dict[str, float] = field(default_factory=dict)
    """Hyperparameters to multiply when a run was too slow or too big (e.g. n_estimators: 0.5)."""
    requires: str | None = None
    """An optional package the written code imports; the model is offered only where it is."""

    @property
    def available(self) -> bool:
        return self.requires is None or importlib.util.find_spec(self.requires) is not None

    def defaults(self) -> dict[str, Any]:
        return {name: param.default for name, param in self.params.items()}

    def constructor(self, params: dict[str, Any], *, probability: bool, indent: int = 0) -> str:
        """The constructor call, one argument per line when it would not fit in one."""
        arguments = dict(params)
        if probability:
            arguments.update(self.probability_kwargs)
        arguments.update(self.fixed)
        parts = [f"{name}={_literal(value)}" for name, value in arguments.items()]
        one_line = f"{self.cls}({', '.join(parts)})"
        if len(one_line) + indent <= 88:
            return one_line
        pad = " " * (indent + 4)
        body = "".join(f"{pad}{part},\n" for part in parts)
        return f"{self.cls}(\n{body}{' ' * indent})"


def _literal(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if value != int(value) or abs(value) < 1e4 else repr(value)
    return repr(value)


_TREES = {
    "n_estimators": Param("int", 300, 50, 1500),
    "max_depth": Param("choice", None, choices=(None, 6, 12, 24)),
    "min_samples_leaf": Param("int", 1, 1, 20),
    "max_features": Param("choice", "sqrt", choices=("sqrt", "log2", 0.5, 1.0)),
}
_HGB = {
    "learning_rate": Param("log", 0.1, 0.01, 0.5),
    "max_iter": Param("int", 200, 50, 1000),
    "max_leaf_nodes": Param("int", 31, 7, 127),
    "l2_regularization": Param("log", 1e-3, 1e-4, 10.0),
}
_MLP = {
    "hidden_layer_sizes": Param("choice", (128,), choices=((64,), (128,), (256,), (128, 64))),
    "alpha": Param("log", 1e-4, 1e-6, 1e-1),
    "learning_rate_init": Param("log", 1e-3, 1e-4, 1e-2),
}
_KNN = {
    "n_neighbors": Param("int", 5, 1, 50),
    "weights": Param("choice", "uniform", choices=("uniform", "distance")),
}

MODELS: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        ModelSpec(
            "logistic_regression",
            "linear",
            "classification",
            "sklearn.linear_model",
            "LogisticRegression",
            "logistic regression",
            {"C": Param("log", 1.0, 1e-3, 1e3)},
            fixed={"max_iter": 3000},
        ),
        ModelSpec(
            "svm",
            "svm",
            "classification",
            "sklearn.svm",
            "SVC",
            "support vector machine (RBF)",
            {
                "C": Param("log", 1.0, 1e-2, 1e3),
                "gamma": Param("choice", "scale", choices=("scale", "auto", 0.001, 0.01, 0.1)),
            },
            probability_kwargs={"probability": True},
            fixed={"random_state": 0},
        ),
        ModelSpec(
            "knn_classifier",
            "knn",
            "classification",
            "sklearn.neighbors",
            "KNeighborsClassifier",
            "k-nearest neighbours",
            _KNN,
        ),
        ModelSpec(
            "random_forest_classifier",
            "random_forest",
            "classification",
            "sklearn.ensemble",
            "RandomForestClassifier",
            "random forest",
            _TREES,
            fixed={"random_state": 0, "n_jobs": -1},
            scale_sensitive=False,
            shrink={"n_estimators": 0.4},
        ),
        ModelSpec(
            "extra_trees_classifier",
            "random_forest",
            "classification",
            "sklearn.ensemble",
            "ExtraTreesClassifier",
            "extremely randomised trees",
            _TREES,
            fixed={"random_state": 0, "n_jobs": -1},
            scale_sensitive=False,
            shrink={"n_estimators": 0.4},
        ),
        ModelSpec(
            "hist_gradient_boosting_classifier",
            "gbdt",
            "classification",
            "sklearn.ensemble",
            "HistGradientBoostingClassifier",
            "histogram gradient boosting",
            _HGB,
            fixed={"random_state": 0},
            scale_sensitive=False,
            shrink={"max_iter": 0.4},
        ),
        ModelSpec(
            "mlp_classifier",
            "mlp",
            "classification",
            "sklearn.neural_network",
            "MLPClassifier",
            "multi-layer perceptron",
            _MLP,
            fixed={"max_iter": 400, "early_stopping": True, "random_state": 0},
        ),
        ModelSpec(
            "ridge",
            "linear",
            "regression",
            "sklearn.linear_model",
            "Ridge",
            "ridge regression",
            {"alpha": Param("log", 1.0, 1e-3, 1e4)},
        ),
        ModelSpec(
            "elastic_net",
            "linear",
            "regression",
            "sklearn.linear_model",
            "ElasticNet",
            "elastic net",
            {"alpha": Param("log", 0.1, 1e-4, 100.0), "l1_ratio": Param("float", 0.5, 0.05, 0.95)},
            fixed={"max_iter": 20000},
        ),
        ModelSpec(
            "svr",
            "svm",
            "regression",
            "sklearn.svm",
            "SVR",
            "support vector regression (RBF)",
            {"C": Param("log", 10.0, 0.1, 1e4), "epsilon": Param("log", 0.1, 1e-3, 10.0)},
        ),
        ModelSpec(
            "knn_regressor",
            "knn",
            "regression",
            "sklearn.neighbors",
            "KNeighborsRegressor",
            "k-nearest neighbours",
            _KNN,
        ),
        ModelSpec(
            "random_forest_regressor",
            "random_forest",
            "regression",
            "sklearn.ensemble",
            "RandomForestRegressor",
            "random forest",
            {**_TREES, "max_features": Param("choice", 1.0, choices=("sqrt", 0.33, 0.5, 1.0))},
            fixed={"random_state": 0, "n_jobs": -1},
            scale_sensitive=False,
            shrink={"n_estimators": 0.4},
        ),
        ModelSpec(
            "extra_trees_regressor",
            "random_forest",
            "regression",
            "sklearn.ensemble",
            "ExtraTreesRegressor",
            "extremely randomised trees",
            {**_TREES, "max_features": Param("choice", 1.0, choices=("sqrt", 0.33, 0.5, 1.0))},
            fixed={"random_state": 0, "n_jobs": -1},
            scale_sensitive=False,
            shrink={"n_estimators": 0.4},
        ),
        ModelSpec(
            "hist_gradient_boosting_regressor",
            "gbdt",
            "regression",
            "sklearn.ensemble",
            "HistGradientBoostingRegressor",
            "histogram gradient boosting",
            {
                **_HGB,
                "max_iter": Param("int", 100, 30, 1000),
                "learning_rate": Param("log", 0.05, 0.005, 0.5),
                "min_samples_leaf": Param("int", 20, 2, 60),
            },
            fixed={"random_state": 0},
            scale_sensitive=False,
            shrink={"max_iter": 0.4},
        ),
        ModelSpec(
            "mlp_regressor",
            "mlp",
            "regression",
            "sklearn.neural_network",
            "MLPRegressor",
            "multi-layer perceptron",
            {**_MLP, "alpha": Param("log", 1e-2, 1e-5, 10.0)},
            fixed={"max_iter": 2000, "early_stopping": True, "random_state": 0},
        ),
    )
}


def models_for(problem: Problem) -> list[ModelSpec]:
    return [spec for spec in MODELS.values() if spec.problem == problem and spec.available]
