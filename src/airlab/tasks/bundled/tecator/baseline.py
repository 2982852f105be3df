"""Baseline: ridge regression on the standardised absorbances."""

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
features = [c for c in train.columns if c.startswith("a")]

model = make_pipeline(StandardScaler(), Ridge(alpha=1.0))
cv = cross_val_score(
    model, train[features], train["fat"], cv=5, scoring="neg_root_mean_squared_error"
)
print(f"self_reported_score: {-np.mean(cv):.6f}")

model.fit(train[features], train["fat"])
pd.DataFrame({"id": test["id"], "fat": model.predict(test[features])}).to_csv(
    "submission.csv", index=False
)
