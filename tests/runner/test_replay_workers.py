"""A run recorded with 2 workers against the fake server replays offline with the same journal,
through the command line as the docs say (`airlab run -c RUN/config.yaml -b replay/RUN`);
replay answers a node's calls by node and purpose, and other calls by their request."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from airlab.backends import Message
from airlab.backends.llm.record import ReplayChatModel, charging, request_hash
from airlab.errors import ReplayMismatchError
from airlab.journal import Journal
from airlab.runner import Run, RunConfig
from airlab.testing.fake_llm import FakeLLMServer, Reply, Request

SCRIPT = """Plan: {plan}

```python
import time
import pandas as pd
from sklearn.linear_model import LogisticRegression
time.sleep({sleep})
train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
model = LogisticRegression().fit(train[["a", "b"]], train["y"])
predictions = model.predict(test[["a", "b"]])
{constant}pd.DataFrame({{"id": test["id"], "y": predictions}}).to_csv("submission.csv", index=False)
print("self_reported_score: 0.9")
```
"""
CONSTANT = "predictions = [train['y'].mode()[0]] * len(test)  # {n}\n"


class Writer:
    """Node 0 is a good draft; the other nodes predict a constant, so node 0 stays the best and
    the policy's steps do not depend on timing. But prompts do: node 1 sleeps, and the
    recorded write of the first improve is slow, so node 1 finishes before that improve runs
    when recording, after it when replaying (where answers are instant): the memory of the
    last improve's prompt differs, and only matching by node answers it. The run is in the warm
    sandbox, so that a candidate's time is its sleep and not its imports, which a loaded
    machine stretches past the sleep (node 1 then finished first when replaying too)."""

    def __init__(self) -> None:
        self.drafts = 0
        self.improves = 0
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        if "Reply with the single word OK" in request.prompt:
            return Reply(text="OK", tokens_in=9, tokens_out=1)
        if "has run." in request.last_user.split("\n", 1)[0]:
            return Reply(text="It ran.", tokens_in=200, tokens_out=5)
        with self._lock:
            if "# Your step: draft" in request.prompt:
                self.drafts += 1
                n, delay = self.drafts, 0.0
            else:
                self.improves += 1
                n, delay = 10 + self.improves, 10.0 if self.improves == 1 else 0.0
        code = SCRIPT.format(
            plan=f"attempt {n}",
            sleep=5.0 if n == 2 else 0,
            constant="" if n == 1 else CONSTANT.format(n=n),
        )
        return Reply(text=code, tokens_in=800 + n, delay_s=delay)


FIELDS = ("operator", "parent_ids", "plan", "code", "status", "search_score", "select_score")


def _nodes(root):
    with Journal.open(root / "journal.sqlite", read_only=True) as journal:
        return [tuple(getattr(n, f) for f in FIELDS) for n in journal.nodes()]


@pytest.mark.slow
def test_a_two_worker_run_replays_from_its_config_file(make_task, tmp_path):
    with FakeLLMServer(Writer()) as server:
        config = RunConfig.model_validate(
            {
                "task": str(make_task()),
                "backend": f"openai-compatible/coder@{server.openai_url}",
                "backend_options": {"retry_base_s": 0.01, "timeout_s": 20},
                "budget": {"steps": 4},
                "policy_params": {"num_drafts": 2, "debug_prob": 0.0},
                "workers": 2,
                "lookahead": False,
                "runs_dir": str(tmp_path / "runs"),
                "limits": {"time_s": 60},
                "sandbox": "warm",
            }
        )
        run = Run.create(config)
        result = run.execute()
    recorded = run.folder.root
    original = _nodes(recorded)
    assert [n[0] for n in original] == ["draft", "draft", "improve", "improve"]
    good = next(i for i, n in enumerate(original[:2]) if "mode()" not in n[3])
    assert original[2][1] == original[3][1] == (good,)  # both improve the good draft
    records = [json.loads(x) for x in (recorded / "llm_calls.jsonl").read_text().splitlines()]
    for record in records:  # what a researcher reads off each call
        assert {"node_id", "purpose", "backend", "started_at", "finished_at", "latency_s"} <= set(
            record
        )
        assert {"retries", "usage"} <= set(record["response"])
    # the server is gone: the replay is offline, from the recorded config file
    command = [
        sys.executable, "-m", "airlab", "run",
        "-c", str(recorded / "config.yaml"),
        "-b", f"replay/{recorded}",
        "--name", "replayed",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    replayed = tmp_path / "runs" / "replayed"
    assert _nodes(replayed) == original
    replayed_calls = [
        json.loads(x) for x in (replayed / "llm_calls.jsonl").read_text().splitlines()
    ]
    recorded_hashes = {(r["node_id"], r["purpose"]): r["request_hash"] for r in records}
    changed = [
        (r["node_id"], r["purpose"])
        for r in replayed_calls
        if recorded_hashes[(r["node_id"], r["purpose"])] != r["request_hash"]
    ]
    assert (3, "improve") in changed  # its memory saw other nodes finished
    again = json.loads((replayed / "result.json").read_text())
    assert again["scores"] == result.scores.model_dump()
    # every call but the preflight (a replay needs none) was answered from the recording
    assert again["tokens_in"] == result.tokens_in - 9
    assert again["llm_calls"] == result.llm_calls - 1


def _recording(tmp_path, records):
    path = tmp_path / "llm_calls.jsonl"
    lines = []
    for index, (node_id, purpose, messages, text) in enumerate(records):
        lines.append(
            json.dumps(
                {
                    "index": index,
                    "node_id": node_id,
                    "purpose": purpose,
                    "request_hash": request_hash(messages, purpose),
                    "messages": [{"role": m.role, "content": m.content} for m in messages],
                    "response": {
                        "text": text,
                        "model": "m",
                        "finish_reason": "stop",
                        "usage": {"tokens_in": 1, "tokens_out": 1, "cost_usd": 0.0, "calls": 1},
                    },
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return ReplayChatModel(path)


def test_replay_answers_by_node_and_purpose_then_by_request(tmp_path):
    asked = [Message("user", "draft, with memory of node 1")]
    choice = [Message("user", "CONTINUE or BRANCH?")]
    replay = _recording(
        tmp_path,
        [
            (3, "draft", asked, "draft of node 3"),
            (3, "analysis", asked, "analysis of node 3"),
            (None, "choose", choice, "CONTINUE"),
        ],
    )
    other_memory = [Message("user", "draft, with memory of nodes 1 and 2")]
    with charging(3):
        assert replay.complete(other_memory, purpose="draft").text == "draft of node 3"
        assert replay.complete(other_memory, purpose="analysis").text == "analysis of node 3"
    assert replay.changed == 2
    assert replay.complete(choice, purpose="choose").text == "CONTINUE"  # by its request
    with charging(3), pytest.raises(ReplayMismatchError, match=r"call 3 \(draft\)"):
        replay.complete(other_memory, purpose="draft")  # node 3 had one draft


def test_a_node_whose_step_changed_is_a_clear_error(tmp_path):
    asked = [Message("user", "draft")]
    replay = _recording(tmp_path, [(1, "draft", asked, "x")])
    with charging(1), pytest.raises(ReplayMismatchError, match=r"purpose: recorded 'draft'"):
        replay.complete([Message("user", "improve")], purpose="improve")


def test_run_without_task_says_so_in_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "airlab", "run", "--runs-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "--task is required" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
