"""Reference: Savitzky-Golay derivative spectra + ridge, window and penalty chosen by CV.

Fat content shows as the shape of an absorbance band, not its level: the first and second
derivatives of each spectrum remove the baseline offset and slope that differ between samples
(particle size, path length) and leave the band shape a linear model can read.
"""

import numpy as np
import pandas as pd
from scipy.signal import savgol_filter
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


class Derivatives(BaseEstimator, TransformerMixin):
    """Each spectrum's smoothed first and second derivatives, side by side."""

    def __init__(self, window: int = 11):
        self.window = window

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=float)
        first = savgol_filter(X, self.window, polyorder=2, deriv=1, axis=1)
        second = savgol_filter(X, self.window, polyorder=2, deriv=2, axis=1)
        return np.hstack([first, second])


train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
features = [c for c in train.columns if c.startswith("a")]

pipeline = Pipeline(
    [("derivatives", Derivatives()), ("scale", StandardScaler()), ("ridge", Ridge())]
)
search = GridSearchCV(
    pipeline,
    {"derivatives__window": [7, 11, 15, 21], "ridge__alpha": np.logspace(-4, 2, 13)},
    cv=KFold(5, shuffle=True, random_state=0),
    scoring="neg_root_mean_squared_error",
)
search.fit(train[features], train["fat"])
print(f"chosen: {search.best_params_}")
print(f"self_reported_score: {-search.best_score_:.6f}")

pd.DataFrame({"id": test["id"], "fat": search.predict(test[features])}).to_csv(
    "submission.csv", index=False
)
