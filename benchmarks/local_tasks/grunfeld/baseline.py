"""Baseline: linear regression on market value and capital stock."""

import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_score

train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
features = ["value", "capital"]

model = LinearRegression()
cv = cross_val_score(
    model, train[features], train["invest"], cv=5, scoring="neg_root_mean_squared_error"
)
print(f"self_reported_score: {-cv.mean():.6f}")

model.fit(train[features], train["invest"])
pd.DataFrame({"id": test["id"], "invest": model.predict(test[features])}).to_csv(
    "submission.csv", index=False
)
