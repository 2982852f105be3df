"""Render a recipe into a readable scikit-learn script that follows the task's rules.

The script reads `public/`, prints its cross-validation score as `self_reported_score: X`, and
writes `submission.csv` for every row of `public/test.csv`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from airlab.backends.templates import tune
from airlab.backends.templates.models import MODELS, ModelSpec
from airlab.backends.templates.recipe import Member, Recipe
from airlab.backends.templates.shape import Shape
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


def scoring_code(spec: TaskSpec) -> str:
    """The scikit-learn scoring of the task's metric, as code (greater is better)."""
    if METRICS.get(spec.metric).needs_positive_predictions:
        # The metric is undefined for predictions <= 0: clip them in validation and submission.
        return (
            "make_scorer(\n    lambda truth, predicted: mean_poisson_deviance(truth, "
            "np.clip(predicted, 1e-6, None)),\n    greater_is_better=False,\n)"
        )
    return repr(CV_SCORING[spec.metric][0])


def render(recipe: Recipe, spec: TaskSpec, *, plan: str, shape: Shape | None = None) -> str:
    """The full script for a recipe; `shape` (default: one target, tabular inputs) adds one
    probability column per class, several targets, or TF-IDF features of text columns."""
    shape = shape or Shape()
    metric = METRICS.get(spec.metric)
    probability = metric.kind == "probability" or shape.kind == "class_probabilities"
    problem = "classification" if metric.kind in ("label", "probability") else "regression"
    if shape.kind == "class_probabilities":
        problem = "classification"
    sign = CV_SCORING[spec.metric][1]
    imports = _Imports({})
    imports.add("sklearn.compose", "ColumnTransformer")
    imports.add("sklearn.impute", "SimpleImputer")
    imports.add("sklearn.pipeline", "make_pipeline")
    imports.add("sklearn.preprocessing", "OneHotEncoder")
    tuned = tune.is_tuned(recipe)
    imports.add("sklearn.model_selection", "RandomizedSearchCV" if tuned else "cross_val_score")
    splitter = "StratifiedKFold" if problem == "classification" else "KFold"
    imports.add("sklearn.model_selection", splitter)
    if shape.text:
        imports.add("sklearn.feature_extraction.text", "TfidfVectorizer")

    blocks = []
    names = []
    for index, member in enumerate(recipe.members, start=1):
        name = "model" if not recipe.is_ensemble else f"model_{index}"
        blocks.append(
            _member_block(member, name, imports, probability=probability, text=bool(shape.text))
        )
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

    ids = "test[ID].values[1:]" if recipe.bug == "length_mismatch" else "test[ID]"
    if metric.needs_positive_predictions:
        imports.add("sklearn.metrics", "make_scorer")
        imports.add("sklearn.metrics", "mean_poisson_deviance")
    scoring_text = scoring_code(spec)
    model_name = MODELS[recipe.members[0].model].cls
    skip_import = model_name if recipe.bug == "missing_import" else None
    cv_shuffle = f"{splitter}(n_splits={recipe.cv_folds}, shuffle=True, random_state=0)"
    cv_value = "scores.mean()" if sign > 0 else "-scores.mean()"
    docstring = "\n".join(textwrap.wrap(plan, 96)) or "Candidate solution."
    if shape.kind == "class_probabilities":
        head, tail = _class_probabilities(recipe, spec, shape, ids, tuned)
    elif shape.kind == "multi_target":
        imports.add("sklearn.base", "clone")
        head, tail = _multi_target(recipe, spec, shape, ids, scoring_text, sign, tuned)
    else:
        head, tail = _single(
            recipe, spec, metric, ids, scoring_text, cv_value, sign, tuned, shape.target_list
        )
    search = ""
    if tuned:
        scoring = '"neg_log_loss"' if shape.kind == "class_probabilities" else scoring_text
        block, distributions = tune.search_block(recipe, scoring)
        for distribution in distributions:
            imports.add("scipy.stats", distribution)
        search = f"{block}\n\n"
    text = f"TEXT = {list(shape.text)!r}\n" if shape.text else ""
    not_categorical = "c not in numeric and c not in TEXT" if shape.text else "c not in numeric"
    lists, apply_lists = _lists(shape, imports)
    unused = (
        f"UNUSED = {list(shape.unused)!r}  # nested values (mappings) left out\n"
        if shape.unused
        else ""
    )
    excluded = "EXCLUDED and c not in UNUSED" if shape.unused else "EXCLUDED"
    return f'''"""{docstring}"""

{imports.render(skip=skip_import)}

{head}{text}{unused}{lists}
train = {_reader(shape.train_file)}
test = {_reader(shape.test_file)}{apply_lists}
# inputs: the columns both tables have (training-only columns are not known for test rows)
features = [c for c in train.columns if c in test.columns and c not in {excluded}]
numeric = train[features].select_dtypes("number").columns.tolist()
categorical = [c for c in features if {not_categorical}]
X = train[features]

{chr(10).join(blocks)}

cv = {cv_shuffle}
{search}{tail}
'''


def _reader(name: str) -> str:
    path = f'"public/{name}"'
    if name.endswith(".jsonl"):
        return f"pd.read_json({path}, lines=True)"
    if name.endswith(".json"):
        return f"pd.read_json({path})"
    if name.endswith(".parquet"):
        return f"pd.read_parquet({path})"
    return f"pd.read_csv({path})"


def _lists(shape: Shape, imports: _Imports) -> tuple[str, str]:
    """Helpers for list-valued cells (JSON lists in the CSVs, lists in JSON tables), and the
    lines that apply them to both tables."""
    if not (shape.number_lists or shape.text_lists or shape.target_list):
        return "", ""
    imports.add("json", "loads")
    code = f"""NUMBER_LISTS = {list(shape.number_lists)!r}  # summarised: length, mean, min, max
TEXT_LISTS = {list(shape.text_lists)!r}  # joined into one text


def as_list(value):
    if isinstance(value, str):
        return loads(value)
    return list(value) if isinstance(value, (list, tuple, np.ndarray)) else []


def flat(value):
    if isinstance(value, (list, tuple, np.ndarray)):
        return [x for item in value for x in flat(item)]
    return [value]


def summarise_lists(frame):
    frame = frame.copy()
    for column in [c for c in NUMBER_LISTS if c in frame]:
        items = frame.pop(column).map(as_list)
        numbers = items.map(lambda v: np.array(flat(v), dtype=float))
        frame[column + "_len"] = items.map(len)
        frame[column + "_mean"] = numbers.map(lambda a: a.mean() if a.size else np.nan)
        frame[column + "_min"] = numbers.map(lambda a: a.min() if a.size else np.nan)
        frame[column + "_max"] = numbers.map(lambda a: a.max() if a.size else np.nan)
    for column in [c for c in TEXT_LISTS if c in frame]:
        frame[column] = frame[column].map(lambda v: " ".join(str(x) for x in flat(as_list(v))))
    return frame

"""
    return code, "\ntrain, test = summarise_lists(train), summarise_lists(test)"


def _single(
    recipe, spec, metric, ids, scoring_code, cv_value, sign, tuned, target_list=False
) -> tuple[str, str]:
    target = spec.target_columns[0]
    target_code = repr(target + "s") if recipe.bug == "wrong_target" else repr(target)
    submission_column = "'prediction'" if recipe.bug == "submission_column" else "TARGET"
    if metric.kind == "probability":
        positive = _literal_label(spec.positive_label)
        predict = (
            "classes = list(model.classes_)\n"
            f"prediction = model.predict_proba(test[features])[:, classes.index({positive})]"
        )
    elif metric.needs_positive_predictions:
        predict = "prediction = np.clip(model.predict(test[features]), 1e-6, None)"
    else:
        predict = "prediction = model.predict(test[features])"
    y = "train[TARGET]"
    if target_list:  # one-item lists: fit the item, hand predictions in as one-item lists
        y = "train[TARGET].map(lambda v: flat(as_list(v))[0]).astype(float)"
        predict += "\nprediction = [f'[{float(p)!r}]' for p in prediction]"
    head = f"ID = {spec.id_column!r}\nTARGET = {target_code}\nEXCLUDED = (ID, TARGET)\n"
    fit = "" if tuned else "model.fit(X, y)\n"
    score = (
        tune.report(sign)
        if tuned
        else f"""scores = cross_val_score(model, X, y, cv=cv, scoring={scoring_code})
cv_score = {cv_value}
spread = scores.std()
folds = len(scores)"""
    )
    tail = f"""y = {y}
{score}
print(f"cross-validated {spec.metric}: {{cv_score:.4f}} (+/- {{spread:.4f}}, {{folds}} folds)")
print(f"self_reported_score: {{cv_score:.6f}}")

{fit}{predict}
submission = pd.DataFrame({{ID: {ids}, {submission_column}: prediction}})
submission.to_csv("submission.csv", index=False)
print(f"wrote submission.csv with {{len(submission)}} rows")"""
    return head, tail


def _class_probabilities(recipe, spec, shape, ids, tuned) -> tuple[str, str]:
    label = shape.label + "s" if recipe.bug == "wrong_target" else shape.label
    columns = (
        "[f'p{j}' for j in range(len(CLASSES))]"
        if recipe.bug == "submission_column"
        else ("CLASSES")
    )
    head = (
        f"ID = {spec.id_column!r}\nLABEL = {label!r}  # the class of each training row\n"
        f"CLASSES = {list(spec.target_columns)!r}  # one probability column each\n"
        "EXCLUDED = (ID, LABEL, *CLASSES)\n"
    )
    fit = "" if tuned else "model.fit(X, y)\n"
    score = (
        tune.report(-1)
        if tuned
        else """scores = cross_val_score(model, X, y, cv=cv, scoring="neg_log_loss")
cv_score = -scores.mean()
spread, folds = scores.std(), len(scores)"""
    )
    tail = f"""y = train[LABEL].astype(str)
{score}
print(f"cross-validated log_loss: {{cv_score:.4f}} (+/- {{spread:.4f}}, {{folds}} folds)")
print(f"self_reported_score: {{cv_score:.6f}}")

{fit}proba = model.predict_proba(test[features])
column_of = {{str(c): i for i, c in enumerate(model.classes_)}}
prediction = np.zeros((len(test), len(CLASSES)))
for j, name in enumerate(CLASSES):
    if name in column_of:  # a class never seen in training keeps probability ~0
        prediction[:, j] = proba[:, column_of[name]]
prediction = np.clip(prediction, 1e-9, 1.0)
prediction /= prediction.sum(axis=1, keepdims=True)
submission = pd.DataFrame(prediction, columns={columns})
submission.insert(0, ID, {ids})
submission.to_csv("submission.csv", index=False)
print(f"wrote submission.csv with {{len(submission)}} rows")"""
    return head, tail


def _multi_target(recipe, spec, shape, ids, scoring_code, sign, tuned) -> tuple[str, str]:
    targets = list(spec.target_columns)
    if recipe.bug == "wrong_target":
        targets[0] += "s"
    name = "'prediction'" if recipe.bug == "submission_column" else "target"
    clip = (
        "np.clip(model_of[target].predict(test[features]), 0, None)"
        if shape.nonnegative
        else ("model_of[target].predict(test[features])")
    )
    per = "per_target.mean()" if sign > 0 else "-per_target.mean()"
    head = (
        f"ID = {spec.id_column!r}\nTARGETS = {targets!r}  # one model each\n"
        "EXCLUDED = (ID, *TARGETS)\n"
    )
    fitted = "model_of = {target: clone(model).fit(X, train[target]) for target in TARGETS}"
    if tuned:  # one search per target; its refit makes that target's predictions
        score = f"""{fitted}
per_target = np.array([model_of[target].best_score_ for target in TARGETS])"""
        fit = ""
    else:
        score = f"""per_target = np.array([
    cross_val_score(clone(model), X, train[target], cv=cv, scoring={scoring_code}).mean()
    for target in TARGETS
])"""
        fit = fitted + "\n"
    tail = f"""{score}
cv_score = {per}
print(f"cross-validated {spec.metric}, mean over targets: {{cv_score:.4f}}")
print(f"self_reported_score: {{cv_score:.6f}}")

{fit}submission = pd.DataFrame({{ID: {ids}}})
for target in TARGETS:
    submission[{name}] = {clip}
submission.to_csv("submission.csv", index=False)
print(f"wrote submission.csv with {{len(submission)}} rows")"""
    return head, tail


def _member_block(
    member: Member, name: str, imports: _Imports, *, probability: bool, text: bool = False
) -> str:
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
    ]
    if text:  # free text: word and bigram TF-IDF, one vectoriser per column (sparse output)
        lines += [
            "        *[",
            '            (f"text_{i}", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),'
            " column)",
            "            for i, column in enumerate(TEXT)",
            "        ],",
        ]
    lines += ["    ]", ")"]
    steps = [f"preprocess{suffix}"]
    if prep.pca is not None:
        imports.add("sklearn.decomposition", "PCA")
        steps.append(f"PCA(n_components={prep.pca}, random_state=0)")
    estimator = spec.constructor(member.params, probability=probability, indent=4)
    steps.append(estimator)
    lines.append(f"{name} = make_pipeline(")
    lines.extend(f"    {step}," for step in steps)
    lines.append(")")
    return "\n".join(lines)
