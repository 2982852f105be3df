"""A real run folder written by an 'LLM' over HTTP (the fake server on 127.0.0.1), for tests of
what reads journals and prompts (the gym, datasets): every prompt it was shown is in its
llm_calls.jsonl. Needs only the `[llm]` extra."""

from __future__ import annotations

import itertools
from pathlib import Path

from airlab.runner import Run, RunConfig
from airlab.testing.fake_llm import FakeLLMServer, Reply, Request

SOLUTION = """import pandas as pd
from sklearn.linear_model import LogisticRegression

train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
features = [c for c in train.columns if c not in ("id", "label")]
model = LogisticRegression(C={c}, max_iter=300)
model.fit(train[features], train["label"])
prediction = model.predict(test[features])
pd.DataFrame({{"id": test["id"], "label": prediction}}).to_csv("submission.csv", index=False)
"""


def answer(c: float) -> str:
    return f"Plan: logistic regression with C={c}.\n```python\n{SOLUTION.format(c=c)}```\n"


def llm_run(runs_dir: Path, steps: int = 3) -> Path:
    """A greedy search of `steps` nodes on digits; each answer has its own C."""
    counter = itertools.count(1)

    def respond(request: Request) -> Reply:
        if "analys" in request.last_user.lower()[:200]:
            return Reply(text="It ran.")
        return Reply(text=answer(round(0.1 * next(counter), 2)))

    with FakeLLMServer(respond) as server:
        config = RunConfig.model_validate(
            {
                "task": "digits",
                "backend": f"openai-compatible/fake@{server.openai_url}",
                "backend_options": {"timeout_s": 20, "retry_base_s": 0.01},
                "operator_options": {"analysis": False},
                "budget": {"steps": steps},
                "policy_params": {"num_drafts": 1},
                "workers": 1,
                "runs_dir": str(runs_dir),
                "limits": {"time_s": 60},
                "preflight": False,
                "lookahead": False,
            }
        )
        run = Run.create(config)
        run.execute()
    return run.folder.root
