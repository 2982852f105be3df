"""What a common scikit-learn or pandas error means, in one line for the debug prompt.

A 1.5B model shown "Specifying the columns using strings is only supported for dataframes"
answered with the same script again, or moved the doubled encoding elsewhere: the message names
the symptom (a ColumnTransformer got an array) in the library's terms, not the cause in the
script's. Each entry here was an error the local model's scripts died of, with what it means
for a script built on the prompt's skeleton. The error line is matched, never the code: an
explanation says what such an error usually means, and the debug prompt presents it as that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownError:
    pattern: re.Pattern[str]
    meaning: str
    """What it means; `{1}`, `{2}` are the pattern's groups."""


def _known(pattern: str, meaning: str) -> KnownError:
    return KnownError(re.compile(pattern), meaning)


KNOWN_ERRORS: tuple[KnownError, ...] = (
    _known(
        r"Specifying the columns using strings is only supported for dataframes",
        "a ColumnTransformer that selects columns by name (like `encode`) was given an array, "
        "not a DataFrame: give it the DataFrame itself (`X`, `X_test`), put `encode` once at the "
        "start of the pipeline, and transform nothing before it",
    ),
    _known(
        r"(A given column is not a column of the dataframe|columns are missing|"
        r"Some column names are not columns of the dataframe)",
        "a column named in a column list (`NUMERIC`, `CATEGORICAL`, `FEATURES`) is not in the "
        "DataFrame given to it: when you drop or rename a column, remove it from those lists too",
    ),
    _known(
        r"Expected an estimator instance \((\w+)\(\)\), got estimator class",
        "`{1}` was passed as a class: write `{1}()`, an instance (its parameters go inside the "
        "parentheses)",
    ),
    _known(
        r"All intermediate steps should be transformers.*\(type <class '[\w.]*\.(\w+"
        r"(Classifier|Regressor|Regression|SVC|SVR|NB))'>\)",
        "`{1}` is a model, and a pipeline's steps before the last must transform the data "
        "(imputers, scalers, `encode`): keep one model, last, or combine models in one "
        "`VotingClassifier`/`VotingRegressor` or `StackingClassifier`/`StackingRegressor` step",
    ),
    _known(
        r"(Last step of Pipeline should implement fit|All intermediate steps should be "
        r"transformers)",
        "a pipeline step is not one estimator object (a list, a class or a string): each step "
        "must be one object such as `RandomForestClassifier()`; to combine several models use "
        "`VotingClassifier` or `StackingClassifier`",
    ),
    _known(
        r"unexpected keyword argument 'squared'",
        "`squared=` was removed from scikit-learn's `mean_squared_error`: use "
        "`root_mean_squared_error(y_true, y_pred)` from `sklearn.metrics`",
    ),
    _known(
        r"(\w+)\.__init__\(\) got an unexpected keyword argument '(\w+)'",
        "`{1}` has no parameter `{2}`: remove it, or use the name this class gives it "
        "(HistGradientBoosting models take `max_iter`, not `n_estimators`)",
    ),
    _known(
        r"Invalid parameter '(\w+)' for estimator Pipeline\(.*\b(\w+)\(",
        "a pipeline's parameters are named `<step>__<parameter>`: `{1}` of its `{2}` step is "
        "`<step>__{1}`, where `make_pipeline` names that step `{2}` in lower case; or set "
        "`{1}` on `{2}` before building the pipeline",
    ),
    _known(
        r"Invalid parameter '(\w+)' for estimator (\w+)",
        "`{2}` has no parameter `{1}` (a parameter grid or `set_params` named it): remove it, or "
        "use the name this class gives it",
    ),
    _known(
        r"could not convert string to float",
        "a text value reached something that needs numbers: leave text columns to `encode` "
        "(one-hot encoding in front of the estimator) and do not cast them to float",
    ),
    _known(
        r"Input (X )?contains NaN",
        "missing values reached an estimator that does not accept them: impute them first "
        "(`encode` does, in front of the estimator) or use a HistGradientBoosting model",
    ),
    _known(
        r"y contains previously unseen labels",
        "a LabelEncoder fitted on one frame met a value it never saw: encode feature columns "
        'with `OneHotEncoder(handle_unknown="ignore")` (as `encode` does), not LabelEncoder',
    ),
    _known(
        r"Found input variables with inconsistent numbers of samples",
        "X and y have different numbers of rows: fit on the training rows only (`X` and "
        "`y = train[TARGETS[0]]`), never on rows of test.csv",
    ),
    _known(
        r"'(\w+Regressor)' object has no attribute '(classes_|predict_proba)'",
        "`{1}` is a regressor and this task asks for class probabilities: use a classifier "
        "(`...Classifier`), which has `predict_proba` and `classes_`",
    ),
    _known(
        r"This (\w+) instance is not fitted yet",
        "`{1}` was used before it was fitted: fit it (or the pipeline holding it) on `X`, `y` "
        "first",
    ),
    _known(  # pandas words it both ways, for a frame built from a dict and a column set
        r"(?:array length |Length of values \()(\d+)\)? does not match "
        r"(?:index length |length of index \()(\d+)",
        "{1} predictions were put beside {2} rows: predict on `X_test` (every row of test.csv) "
        "for the submission, not on a validation split",
    ),
    _known(
        r"Expected a 1D array, got an array with shape \((\d+), (\d+)\)",
        "a table of {2} columns went where one column goes (a submission column): "
        "`predict_proba` gives one column per class; take the one asked for, as the skeleton "
        "does (`model.predict_proba(X_test)[:, classes.index(...)]`), or use `predict`",
    ),
    _known(
        r"^KeyError: '([^']+)'$",
        "if `{1}` is a column name, the DataFrame it was read from has no such column: `X` and "
        "`X_test` hold only `FEATURES`, which leave out the id and the targets (read the id "
        "from `test`, the targets from `train`), and a column dropped or renamed before is gone",
    ),
)
"""Error line pattern -> its usual meaning, most specific first."""


def explain(error_output: str) -> str | None:
    """The usual meaning of the last known error in `error_output` (a traceback's tail)."""
    for line in reversed(error_output.strip().splitlines()[-8:]):
        for known in KNOWN_ERRORS:
            match = known.pattern.search(line)
            if match:
                return known.meaning.format(match.group(0), *match.groups())
    return None
