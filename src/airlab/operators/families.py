"""The approach family of a solution, for ideation diversity: a cheap rule-based pass over the
code first, the model's own `Family:` label as the fallback."""

from __future__ import annotations

import io
import re
import tokenize

from airlab.result import UNCLASSIFIED_FAMILY

# Most specific first: a CNN written in torch is a cnn, not a generic neural net.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (family, re.compile(pattern))
    for family, pattern in (
        ("transformer", r"\btransformers\b|AutoModel|TransformerEncoder|nn\.Transformer|\bBert"),
        ("cnn", r"Conv[123]d|Conv2D|Conv1D|\bresnet|efficientnet|\bconvnext"),
        (
            "neural_net",
            r"\btorch\b|tensorflow|\bkeras\b|\bjax\b|\bflax\b|\bMLP(Classifier|Regressor)",
        ),
        (
            "gradient_boosting",
            # library names in any case: the 1.5B model wrote `LightGBMClassifier`
            r"(?i:lightgbm|xgboost|catboost)|GradientBoosting|\bLGBM|\bXGB",
        ),
        ("random_forest", r"RandomForest|ExtraTrees"),
        ("svm", r"\bSVC\b|\bSVR\b|LinearSVC|LinearSVR|\bNuSV[CR]\b"),
        ("knn", r"KNeighbors"),
        (
            "linear",
            r"LogisticRegression|LinearRegression|\bRidge|\bLasso|ElasticNet|SGD(Classifier|Regressor)",
        ),
        ("naive_bayes", r"\b(Gaussian|Multinomial|Bernoulli|Complement)NB\b"),
        ("decision_tree", r"DecisionTree"),
        ("gaussian_process", r"GaussianProcess"),
    )
)
_ENSEMBLE = re.compile(r"Stacking(Classifier|Regressor)|Voting(Classifier|Regressor)")
_LABEL = re.compile(r"^\s*\**\s*family\s*\**\s*:\s*\**\s*(.+?)\s*\**\s*$", re.IGNORECASE | re.M)


def without_comments(code: str) -> str:
    """The code with its comments blanked: the skeleton's "# REPLACE ... (e.g.
    HistGradientBoostingClassifier())" kept above a constant model is no gradient boosting."""
    lines = code.splitlines(keepends=True)
    try:
        comments = [
            token.start
            for token in tokenize.generate_tokens(io.StringIO(code).readline)
            if token.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return "".join(line for line in lines if not line.lstrip().startswith("#"))
    for row, col in comments:
        line = lines[row - 1]
        lines[row - 1] = line[:col] + ("\n" if line.endswith("\n") else "")
    return "".join(lines)


def families_named(text: str) -> list[str]:
    """The families whose estimators a piece of prose or code names (most specific first)."""
    return [family for family, pattern in _RULES if pattern.search(text)]


def classify_family(code: str, plan: str = "") -> str:
    """One family name (from the code, comments left out); `ensemble` when the code stacks or
    votes over several families."""
    code = without_comments(code)
    found = families_named(code)
    if len(found) > 1 and _ENSEMBLE.search(code):
        return "ensemble"
    if found:
        return found[0]
    label = model_label(plan)
    return label or UNCLASSIFIED_FAMILY


def model_label(plan: str) -> str | None:
    """The `Family: ...` line a model was asked to write, normalised to snake_case."""
    match = _LABEL.search(plan)
    if match is None:
        return None
    words = re.sub(r"[^a-z0-9]+", "_", match.group(1).lower()).strip("_")
    return words[:40] or None
