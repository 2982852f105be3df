"""Fixed repairs of a written script, before it runs: each one mechanical, switchable and recorded.

Measured with a 1.5B local model: drafts died of a notebook line (`!pip install xgboost`, which
does not compile), of a scikit-learn name used without its import, and of the skeleton's I/O
names read before any line bound them, of the skeleton's encoding applied twice, of text columns
imputed with the median, of `n_estimators` given to a histogram booster, of a
`train_test_split` unpacked into the wrong number of names, of the id read from the features
(`X_test[ID]`), of a self-made score against a `y_test` no line binds, of a held-out split's
predictions written beside the test rows' ids, and of a
submission frame built and never written. None of
these needs a model to fix. Each repair applied is listed in the candidate's meta under its own
key (`shell_lines`, `auto_imports`, `io_prelude`, `encode_once`, `text_imputer`,
`estimator_keywords`, `split_names`, `id_reads`, `unbound_scores`, `submission_rows`,
`submission_write`), and
each has an operator option of the same name to switch it off.
"""

from __future__ import annotations

from typing import Any

from airlab.operators.encode_once import encode_once as unwrap_double_encoding
from airlab.operators.estimator_keywords import rename_estimator_keywords
from airlab.operators.id_reads import read_ids_from_source
from airlab.operators.io_prelude import complete_io, split_future
from airlab.operators.names import bound_anywhere, read_before_binding
from airlab.operators.parsing import strip_shell_lines
from airlab.operators.split_names import fix_split_names
from airlab.operators.submission_frame import predict_submission_rows, write_submission
from airlab.operators.text_imputer import impute_text_by_frequency
from airlab.operators.unbound_scores import drop_unbound_scores
from airlab.tasks.task import Task

REPAIRS = (
    "shell_lines",
    "auto_imports",
    "io_prelude",
    "encode_once",
    "text_imputer",
    "estimator_keywords",
    "split_names",
    "id_reads",
    "unbound_scores",
    "submission_rows",
    "submission_write",
)
"""The switches of `repair`, in the order the repairs apply (each an operator option)."""

IMPORTS_MARK = "# airlab: imports this script uses but does not write"

_SKLEARN = {
    "sklearn.model_selection": (
        "train_test_split cross_val_score cross_val_predict cross_validate KFold StratifiedKFold "
        "GroupKFold RepeatedKFold RepeatedStratifiedKFold ShuffleSplit GridSearchCV "
        "RandomizedSearchCV TimeSeriesSplit"
    ),
    "sklearn.metrics": (
        "accuracy_score balanced_accuracy_score log_loss roc_auc_score f1_score precision_score "
        "recall_score confusion_matrix classification_report make_scorer mean_squared_error "
        "mean_absolute_error mean_absolute_percentage_error r2_score mean_poisson_deviance"
    ),
    "sklearn.ensemble": (
        "RandomForestClassifier RandomForestRegressor ExtraTreesClassifier ExtraTreesRegressor "
        "GradientBoostingClassifier GradientBoostingRegressor HistGradientBoostingClassifier "
        "HistGradientBoostingRegressor AdaBoostClassifier AdaBoostRegressor BaggingClassifier "
        "BaggingRegressor VotingClassifier VotingRegressor StackingClassifier StackingRegressor"
    ),
    "sklearn.linear_model": (
        "LogisticRegression LogisticRegressionCV LinearRegression Ridge RidgeCV RidgeClassifier "
        "Lasso LassoCV ElasticNet ElasticNetCV PoissonRegressor SGDClassifier SGDRegressor "
        "BayesianRidge HuberRegressor"
    ),
    "sklearn.preprocessing": (
        "StandardScaler MinMaxScaler RobustScaler MaxAbsScaler Normalizer OneHotEncoder "
        "OrdinalEncoder LabelEncoder PolynomialFeatures FunctionTransformer KBinsDiscretizer "
        "QuantileTransformer PowerTransformer"
    ),
    "sklearn.impute": "SimpleImputer KNNImputer",
    "sklearn.pipeline": "Pipeline make_pipeline",
    "sklearn.compose": (
        "ColumnTransformer make_column_transformer make_column_selector TransformedTargetRegressor"
    ),
    "sklearn.feature_selection": (
        "SelectKBest f_classif f_regression mutual_info_classif mutual_info_regression "
        "VarianceThreshold RFE"
    ),
    "sklearn.decomposition": "PCA TruncatedSVD",
    "sklearn.svm": "SVC SVR LinearSVC LinearSVR",
    "sklearn.neighbors": "KNeighborsClassifier KNeighborsRegressor",
    "sklearn.neural_network": "MLPClassifier MLPRegressor",
    "sklearn.tree": "DecisionTreeClassifier DecisionTreeRegressor",
    "sklearn.naive_bayes": "GaussianNB MultinomialNB BernoulliNB",
    "sklearn.discriminant_analysis": "LinearDiscriminantAnalysis QuadraticDiscriminantAnalysis",
    "sklearn.dummy": "DummyClassifier DummyRegressor",
    "sklearn.base": "clone",
}
AUTO_IMPORTS: dict[str, str] = {
    name: f"from {module} import {name}"
    for module, names in _SKLEARN.items()
    for name in names.split()
}
"""Common scikit-learn names and the import that binds each."""


def repair(
    code: str,
    task: Task,
    *,
    shell_lines: bool = True,
    auto_imports: bool = True,
    io_prelude: bool = True,
    encode_once: bool = True,
    text_imputer: bool = True,
    estimator_keywords: bool = True,
    split_names: bool = True,
    id_reads: bool = True,
    unbound_scores: bool = True,
    submission_rows: bool = True,
    submission_write: bool = True,
) -> tuple[str, dict[str, Any]]:
    """(the repaired script, the meta entries of the repairs applied: {} when none)."""
    meta: dict[str, Any] = {}
    if shell_lines:
        code, removed = strip_shell_lines(code)
        if removed:
            meta["shell_lines"] = removed
    if auto_imports:
        code, added = add_imports(code)
        if added:
            meta["auto_imports"] = added
    if io_prelude:
        code, names = complete_io(code, task)
        if names:
            meta["io_prelude"] = names
    if encode_once:
        code, lines = unwrap_double_encoding(code)
        if lines:
            meta["encode_once"] = lines
    if text_imputer:
        code, lines = impute_text_by_frequency(code)
        if lines:
            meta["text_imputer"] = lines
    if estimator_keywords:
        code, lines = rename_estimator_keywords(code)
        if lines:
            meta["estimator_keywords"] = lines
    if split_names:
        code, lines = fix_split_names(code)
        if lines:
            meta["split_names"] = lines
    if id_reads:
        code, lines = read_ids_from_source(code, task.spec.id_column)
        if lines:
            meta["id_reads"] = lines
    if unbound_scores:
        code, lines = drop_unbound_scores(code)
        if lines:
            meta["unbound_scores"] = lines
    if submission_rows:
        code, lines = predict_submission_rows(code, task.spec.id_column)
        if lines:
            meta["submission_rows"] = lines
    if submission_write:
        code, lines = write_submission(code, task.spec.id_column)
        if lines:
            meta["submission_write"] = lines
    return code, meta


def add_imports(code: str) -> tuple[str, list[str]]:
    """The script with the imports of the table's names it reads and binds nowhere."""
    early = read_before_binding(code)
    bound = bound_anywhere(code)
    if not early or bound is None:
        return code, []
    names = sorted(name for name in early if name in AUTO_IMPORTS and name not in bound)
    if not names:
        return code, []
    block = "\n".join([IMPORTS_MARK, *(AUTO_IMPORTS[name] for name in names)]) + "\n\n"
    head, body = split_future(code)
    return head + block + body, names
