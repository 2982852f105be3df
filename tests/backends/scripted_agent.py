"""A scripted 'model' for the fake server: it reads airlab's prompts and answers like a careful
agent would, with real scikit-learn scripts for the bundled digits task.

Its choices depend only on the request, so a run against it is reproducible: the second draft is
buggy (so that debug runs: a misspelt name inside a function, which only running finds; the
checks before running look at module level only), drafts differ by family when the prompt lists
the approaches tried, and the analysis prompt gets a short summary.
"""

from __future__ import annotations

from airlab.testing.fake_llm import Reply, Request, text_of

MODELS = (
    (
        "from sklearn.ensemble import RandomForestClassifier",
        "RandomForestClassifier(n_estimators=40, random_state=0)",
    ),
    ("from sklearn.neighbors import KNeighborsClassifier", "KNeighborsClassifier(n_neighbors=3)"),
    ("from sklearn.linear_model import LogisticRegression", "LogisticRegression(max_iter=300)"),
)


def solution(index: int, *, bug: bool = False, trees: int | None = None) -> str:
    imports, model = MODELS[index % len(MODELS)]
    if trees is not None:
        model = f"RandomForestClassifier(n_estimators={trees}, random_state=0)"
    features = "featurez" if bug else "features"
    return f"""import pandas as pd
from sklearn.model_selection import train_test_split
{imports}

train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
features = [c for c in train.columns if c not in ("id", "label")]
model = {model}
fit, held = train_test_split(train, test_size=0.25, random_state=0)
score = model.fit(fit[features], fit["label"]).score(held[features], held["label"])
model.fit(train[features], train["label"])


def predict(frame):
    return model.predict(frame[{features}])


prediction = predict(test)
pd.DataFrame({{"id": test["id"], "label": prediction}}).to_csv("submission.csv", index=False)
print(f"self_reported_score: {{score:.4f}}")
"""


def answer(plan: str, code: str) -> str:
    return f"{plan}\n\n```python\n{code}```\n"


def scripted_agent(request: Request) -> Reply:
    first_user = text_of(
        next(m["content"] for m in request.body["messages"] if m["role"] == "user")
    )
    if "summarise what happened" in first_user:
        return Reply(text="<think>short</think>The script ran and printed its validation score.")
    if "# Your step: draft" in first_user:
        tried = first_user.count("Approaches already drafted") and _tried(first_user)
        index = len(tried) if tried else 0
        plan = f"Train a {MODELS[index % 3][1].split('(')[0]} on the raw pixels.\nFamily: model"
        return Reply(text=answer(plan, solution(index, bug=index == 1)), tokens_in=900)
    if "# Your step: fix a failed solution" in first_user:
        index = 1 if "KNeighbors" in first_user else 0
        return Reply(text=answer("Fix the misspelt features name.", solution(index)))
    if "# Your step: improve" in first_user:
        return Reply(text=answer("Use more trees.", solution(0, trees=80)))
    return Reply(text=answer("Combine.", solution(2)))


def _tried(prompt: str) -> list[str]:
    line = next(x for x in prompt.splitlines() if x.startswith("Approaches already drafted"))
    return line.split(":", 1)[1].strip(" .").split(", ")
