"""Which names of a script are scikit-learn's, and from which module: the common names (which
the auto-imports bind where a script reads one it never binds) and the script's own imports.

Repairs that rename keywords, fit grids or wrap estimators must know a name is scikit-learn's
class and not the script's own or another library's (`from xgboost import XGBClassifier`); each
asks `sklearn_modules` rather than deciding by itself.
"""

from __future__ import annotations

import ast

from airlab import pyast
from airlab.operators.names import bindings_of

COMMON: dict[str, str] = {
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
"""Common scikit-learn names, by the module that defines them."""
ESTIMATOR_MODULES = frozenset(
    {
        "sklearn.ensemble",
        "sklearn.linear_model",
        "sklearn.svm",
        "sklearn.neighbors",
        "sklearn.neural_network",
        "sklearn.tree",
        "sklearn.naive_bayes",
        "sklearn.discriminant_analysis",
        "sklearn.dummy",
    }
)
"""Where scikit-learn's estimators (the steps a pipeline may end with) live."""
MODULE_OF: dict[str, str] = {
    name: module for module, names in COMMON.items() for name in names.split()
}
"""Each common scikit-learn name to its module."""
AUTO_IMPORTS: dict[str, str] = {
    name: f"from {module} import {name}" for name, module in MODULE_OF.items()
}
"""Each common scikit-learn name to the import that binds it."""


def sklearn_modules(tree: ast.Module) -> dict[str, str]:
    """The script's names that are scikit-learn's, to their module: every binding of the name
    an unaliased `from sklearn.<module> import name` of one module, or no binding at all and
    the name common (the auto-imports bind it from its module)."""
    bindings = bindings_of(tree)
    imported: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sklearn":
            for alias in node.names:
                if alias.asname in (None, alias.name):
                    imported.setdefault(alias.name, []).append(node.module or "")
    found = {
        name: modules[0]
        for name, modules in imported.items()
        if len(set(modules)) == 1 and len(bindings.get(name, [])) == len(modules)
    }
    found.update({name: module for name, module in MODULE_OF.items() if name not in bindings})
    return found


PIPELINES = frozenset({"make_pipeline", "Pipeline"})


def pipeline_steps(value: ast.AST) -> list[tuple[str | None, ast.expr]] | None:
    """The steps of a literal pipeline, first to last, as (the name the script gives it, the
    step): `make_pipeline(A(), B())` gives no names (scikit-learn names each by its class),
    `Pipeline([("a", A()), ("b", B())])` (or `steps=`) its own; None for anything else,
    or a `Pipeline` whose step list is not literal pairs."""
    if not isinstance(value, ast.Call):
        return None
    called = pyast.called_name(value)
    if called == "make_pipeline":
        if any(isinstance(arg, ast.Starred) for arg in value.args):
            return None
        return [(None, arg) for arg in value.args]
    if called != "Pipeline":
        return None
    listed = value.args[0] if value.args else pyast.keyword_value(value, "steps")
    if not isinstance(listed, ast.List | ast.Tuple):
        return None
    steps: list[tuple[str | None, ast.expr]] = []
    for element in listed.elts:
        if not (
            isinstance(element, ast.Tuple)
            and len(element.elts) == 2
            and isinstance(element.elts[0], ast.Constant)
            and isinstance(element.elts[0].value, str)
        ):
            return None
        steps.append((element.elts[0].value, element.elts[1]))
    return steps
