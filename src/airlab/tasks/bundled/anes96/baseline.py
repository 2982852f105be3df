"""Baseline: multinomial logistic regression on the respondent's own left-right position."""

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
features = ["self_left_right"]

model = LogisticRegression(max_iter=2000)
cv = cross_val_score(model, train[features], train["party_id"], cv=5, scoring="balanced_accuracy")
print(f"self_reported_score: {cv.mean():.6f}")

model.fit(train[features], train["party_id"])
pd.DataFrame({"id": test["id"], "party_id": model.predict(test[features])}).to_csv(
    "submission.csv", index=False
)
