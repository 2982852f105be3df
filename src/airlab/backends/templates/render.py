"""Render a recipe into a readable scikit-learn script that follows the task's rules.

The script reads `public/`, prints its cross-validation score as `self_reported_score: X`, and
writes `submission.csv` for every row of `public/test.csv`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from airlab.backends.templates.models import MODELS, ModelSpec
from airlab.backends.templates.recipe import Member, Recipe
from airlab.grading.metrics import METRICS
from airlab.tasks.spec import TaskSpec

# metric → (scikit-learn scoring name, sign that turns it into the metric's own value)
CV_SCORING: dict[str, tuple[str, int]] = {
    "accuracy": ("accuracy", 1),
    "balanced_accuracy": ("balanced_accuracy", 1),
    "f1_macro": ("f1_macro", 1),
    "roc_auc": ("roc_auc", 1),
    "log_loss": ("neg_log_loss", -1),
    "rmse": ("neg_root_mean_squared_error", -1),
    "mae": ("neg_mean_absolute_error", -1),
    "r2": ("r2", 1),
    "poisson_deviance": ("neg_mean_poisson_deviance", -1),
    "mase": ("neg_mean_absolute_error", -1),
}

_SCALER_CODE = {
    "standard": ("sklearn.preprocessing", "StandardScaler", "StandardScaler()"),
    "robust": ("sklearn.preprocessing", "RobustScaler", "RobustScaler()"),
    "minmax": ("sklearn.preprocessing", "MinMaxScaler", "MinMaxScaler()"),
    "quantile": (
        "sklearn.preprocessing",
        "QuantileTransformer",
        "QuantileTransformer(n_quantiles=100, output_distribution='normal', random_state=0)",
    ),
}


@dataclass
class _Imports:
    lines: dict[str, set[str]]

    def add(self, module: str, name: str) -> None:
        self.lines.setdefault(module, set()).add(name)

    def render(self, skip: str | None = None) -> str:
        out = ["import numpy as np", "import pandas as pd"]
        for module in sorted(self.lines):
            names = sorted(n for n in self.lines[module] if n != skip)
            if names:
                out.append(f"from {module} import {', '.join(names)}")
        return "\n".join(out)


def _literal_label(label: str) -> str:
    return label if label.lstrip("-").isdigit() else repr(label)


def render(recipe: Recipe, spec: TaskSpec, *, plan: str) -> str:
    """The full script for a recipe."""
    metric = METRICS.get(spec.metric)
    probability = metric.kind == "probability"
    problem = "classification" if metric.kind in ("label", "probability") else "regression"
    scoring, sign = CV_SCORING[spec.metric]
    imports = _Imports({})
    imports.add("sklearn.compose", "ColumnTransformer")
    imports.add("sklearn.impute", "SimpleImputer")
    imports.add("sklearn.pipeline", "make_pipeline")
    imports.add("sklearn.preprocessing", "OneHotEncoder")
    imports.add("sklearn.model_selection", "cross_val_score")
    splitter = "StratifiedKFold" if problem == "classification" else "KFold"
    imports.add("sklearn.model_selection", splitter)

    blocks = []
    names = []
    for index, member in enumerate(recipe.members, start=1):
        name = "model" if not recipe.is_ensemble else f"model_{index}"
        blocks.append(_member_block(member, name, imports, probability=probability))
        names.append(name)
    if recipe.is_ensemble:
        voter = "VotingClassifier" if problem == "classification" else "VotingRegressor"
        imports.add("sklearn.ensemble", voter)
        voting = ", voting='soft'" if problem == "classification" else ""
        members = ", ".join(f"('{n.removeprefix('model_')}', {n})" for n in names)
        blocks.append(f"model = {voter}([{members}]{voting})")
    if recipe.log_target:
        imports.add("sklearn.compose", "TransformedTargetRegressor")
        blocks.append(
            "# Train on log(1 + y): the target is positive and right-skewed.\n"
            "model = TransformedTargetRegressor(regressor=model, func=np.log1p, "
            "inverse_func=np.expm1)"
        )

    target = spec.target_columns[0]
    target_code = repr(target + "s") if recipe.bug == "wrong_target" else repr(target)
    submission_column = "'prediction'" if recipe.bug == "submission_column" else "TARGET"
    ids = "test[ID].values[1:]" if recipe.bug == "length_mismatch" else "test[ID]"
    if probability:
        positive = _literal_label(spec.positive_label)
        predict = (
            "classes = list(model.classes_)\n"
            f"prediction = model.predict_proba(test[features])[:, classes.index({positive})]"
        )
    elif metric.needs_positive_predictions:
        predict = "prediction = np.clip(model.predict(test[features]), 1e-6, None)"
    else:
        predict = "prediction = model.predict(test[features])"
    scoring_code = repr(scoring)
    if metric.needs_positive_predictions:
        # The metric is undefined for predictions <= 0: clip them in validation and submission.
        imports.add("sklearn.metrics", "make_scorer")
        imports.add("sklearn.metrics", "mean_poisson_deviance")
        scoring_code = (
            "make_scorer(\n    lambda truth, predicted: mean_poisson_deviance(truth, "
            "np.clip(predicted, 1e-6, None)),\n    greater_is_better=False,\n)"
        )
    model_name = MODELS[recipe.members[0].model].cls
    skip_import = model_name if recipe.bug == "missing_import" else None
    cv_shuffle = f"{splitter}(n_splits={recipe.cv_folds}, shuffle=True, random_state=0)"
    cv_value = "scores.mean()" if sign > 0 else "-scores.mean()"
    docstring = "\n".join(textwrap.wrap(plan, 96)) or "Candidate solution."
    return f'''"""{docstring}"""

{imports.render(skip=skip_import)}

ID = {spec.id_column!r}
TARGET = {target_code}

train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
features = [c for c in train.columns if c not in (ID, TARGET)]
numeric = train[features].select_dtypes("number").columns.tolist()
categorical = [c for c in features if c not in numeric]
X, y = train[features], train[TARGET]

{chr(10).join(blocks)}

cv = {cv_shuffle}
scores = cross_val_score(model, X, y, cv=cv, scoring={scoring_code})
cv_score = {cv_value}
spread = scores.std()
folds = len(scores)
print(f"cross-validated {spec.metric}: {{cv_score:.4f}} (+/- {{spread:.4f}}, {{folds}} folds)")
print(f"self_reported_score: {{cv_score:.6f}}")

model.fit(X, y)
{predict}
submission = pd.DataFrame({{ID: {ids}, {submission_column}: prediction}})
submission.to_csv("submission.csv", index=False)
print(f"wrote submission.csv with {{len(submission)}} rows")
'''


def _member_block(member: Member, name: str, imports: _Imports, *, probability: bool) -> str:
    spec: ModelSpec = MODELS[member.model]
    imports.add(spec.module, spec.cls)
    prep = member.preprocessing
    numeric_steps = [f"SimpleImputer(strategy={prep.impute!r})"]
    if prep.scaler != "none":
        module, cls, code = _SCALER_CODE[prep.scaler]
        imports.add(module, cls)
        numeric_steps.append(code)
    suffix = "" if name == "model" else name.removeprefix("model")
    lines = [
        f"preprocess{suffix} = ColumnTransformer(",
        "    [",
        f'        ("numeric", make_pipeline({", ".join(numeric_steps)}), numeric),',
        "        (",
        '            "categorical",',
        "            make_pipeline(",
        '                SimpleImputer(strategy="most_frequent"),',
        '                OneHotEncoder(handle_unknown="ignore", sparse_output=False),',
        "            ),",
        "            categorical,",
        "        ),",
        "    ]",
        ")",
    ]
    steps = [f"preprocess{suffix}"]
    if prep.pca is not None:
        imports.add("sklearn.decomposition", "PCA")
        steps.append(f"PCA(n_components={prep.pca}, random_state=0)")
    steps.append(spec.constructor(member.params, probability=probability, indent=4))
    lines.append(f"{name} = make_pipeline(")
    lines.extend(f"    {step}," for step in steps)
    lines.append(")")
    return "\n".join(lines)
