"""A tuned recipe's hyperparameter search, as script code.

The script wraps its whole model (preprocessing included) in one RandomizedSearchCV on the
script's own folds and fits it once: the search's best cross-validated score is the score the
script reports, and its refit on every training row makes the submission. Nesting the search
inside a cross-validation instead would run it once per fold and again for the submission,
about four times the fits for a report the framework does not use (it grades on hidden splits).
"""

from __future__ import annotations

import numpy as np

from airlab.backends.templates.models import MODELS, Param
from airlab.backends.templates.recipe import Recipe

TUNE_DRAWS = 10
"""Settings a tuned recipe's randomized search tries, each fitted on the script's folds."""


def is_tuned(recipe: Recipe) -> bool:
    return any(member.tuned for member in recipe.members)


def distribution(param: Param) -> tuple[str, str | None]:
    """Where the search draws a hyperparameter from, as code, and the scipy.stats name it
    needs: log-uniform on a log scale, log-spaced integers on a wide integer range
    (k = 1, 2, 3, 4, 5, 7, ... neighbours), every value of a narrow one."""
    if param.kind == "log":
        return f"loguniform({param.low!r}, {param.high!r})", "loguniform"
    if param.kind == "int":
        low, high = int(param.low), int(param.high)
        if param.log_int:
            grid = sorted({int(v) for v in np.rint(np.geomspace(max(low, 1), high, 16))})
            return repr(([low] if low < 1 else []) + grid), None
        return repr(list(range(low, high + 1))), None
    if param.kind == "float":
        return f"uniform({param.low!r}, {param.high - param.low!r})", "uniform"
    return repr(list(param.choices)), None


def search_block(recipe: Recipe, scoring: str) -> tuple[str, set[str]]:
    """Code that turns `model` into a randomized search on the script's folds `cv` over every
    tuned member's hyperparameters, each keyed by its path through the model (target
    transform, ensemble member, pipeline step); and the scipy.stats names it uses."""
    prefix = "regressor__" if recipe.log_target else ""
    entries, needed = [], set()
    for index, member in enumerate(recipe.members, start=1):
        if not member.tuned:
            continue
        spec = MODELS[member.model]
        path = prefix + (f"{index}__" if recipe.is_ensemble else "") + spec.cls.lower() + "__"
        for key, param in spec.params.items():
            code, name = distribution(param)
            entries.append(f"    {path + key!r}: {code},")
            if name:
                needed.add(name)
    block = (
        "# the model searches its tuned hyperparameters on the folds above, fitted once\n"
        "search_space = {\n" + "\n".join(entries) + "\n}\n"
        f"model = RandomizedSearchCV(\n    model,\n    search_space,\n    n_iter={TUNE_DRAWS},\n"
        f"    cv=cv,\n    scoring={scoring},\n    random_state=0,\n)"
    )
    return block, needed


def report(sign: int) -> str:
    """Lines that fit the search once and read its best setting's fold scores."""
    value = "model.best_score_" if sign > 0 else "-model.best_score_"
    return (
        "model.fit(X, y)  # every setting on every fold, then the best refitted on all rows\n"
        f"cv_score = {value}  # the best of {TUNE_DRAWS} settings: optimistic by selection\n"
        'spread = model.cv_results_["std_test_score"][model.best_index_]\n'
        "folds = cv.get_n_splits()"
    )
