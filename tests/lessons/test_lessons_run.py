"""Lessons through real runs with a model (the fake server, the real client): a run writes its
lessons when it ends (the model's through a `lessons` call charged to its ledger), the next run
on another task gets them in its draft prompt, and nothing hidden — planted, distinctive select
and test scores and a canary in the hidden answers — ever reaches the store or any prompt."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from airlab.grading.grader import Grade, Grader
from airlab.lessons.store import LessonStore
from airlab.runner import Run, RunConfig
from airlab.testing.fake_llm import FakeLLMServer, Reply, Request
from airlab.testing.tasks import tiny_answer

pytestmark = pytest.mark.slow

SELECT = 0.6180339
TEST = 0.5772156
CANARY = "HIDDEN-ANSWER-CANARY-7731"
LESSONS_ASKED = "Write lessons for a later search"
HEADING = "## Lessons from earlier tasks"


def respond(request: Request) -> Reply:
    if "Reply with the single word OK" in request.prompt:
        return Reply(text="OK")
    if LESSONS_ASKED in request.prompt:
        return Reply(
            text="- Start with a logistic regression; C near 1 was enough.\n"
            f"- The final test score was {TEST:.5g}.\n"  # planted: must be dropped
        )
    return Reply(text=tiny_answer(1.0, attempt=len(request.prompt)))


@pytest.fixture
def planted(monkeypatch):
    """Hidden scores replaced by distinctive numbers (the search split keeps its real score)."""
    grade = Grader.grade

    def distinctive(self, submission, splits):
        real = grade(self, submission, splits)
        if not real.valid:
            return real
        fake = {"select": SELECT, "test": TEST}
        return Grade(valid=True, scores={s: fake.get(s, v) for s, v in real.scores.items()})

    monkeypatch.setattr(Grader, "grade", distinctive)


def with_canary(task: Path) -> Path:
    answers = next((task / "private").glob("answers.csv"))
    frame = pd.read_csv(answers)
    frame["note"] = CANARY
    frame.to_csv(answers, index=False)
    return task


def config(task: Path, tmp_path: Path, server: FakeLLMServer, mode: str) -> RunConfig:
    return RunConfig.model_validate(
        {
            "task": str(task),
            "backend": f"openai-compatible/fake@{server.openai_url}",
            "backend_options": {"retry_base_s": 0.01, "max_retries": 1, "timeout_s": 20},
            "operator_options": {"analysis": False},
            "policy_params": {"num_drafts": 1},
            "budget": {"steps": 2},
            "runs_dir": str(tmp_path / "runs"),
            "limits": {"time_s": 60},
            "lookahead": False,
            "lessons": {"path": str(tmp_path / "lessons.db"), "mode": mode},
        }
    )


def test_lessons_cross_tasks_and_nothing_hidden_enters(make_task, tmp_path, planted) -> None:
    first_task = with_canary(make_task("first"))
    second_task = with_canary(make_task("second"))
    with FakeLLMServer(respond) as server:
        first = Run.create(config(first_task, tmp_path, server, "write"))
        result = first.execute()
        assert result.scores.test == TEST and result.scores.select == SELECT  # planted indeed
        assert result.spend_by_purpose["lessons"].calls == 1
        store = LessonStore(tmp_path / "lessons.db")
        lessons = store.all()
        assert {les.kind for les in lessons} >= {"families", "model"}
        texts = [les.text for les in lessons]
        assert "Start with a logistic regression; C near 1 was enough." in texts
        assert not any("final test score" in text for text in texts)  # the guard dropped it
        written = len(server.requests)

        second = Run.create(config(second_task, tmp_path, server, "read"))
        second.execute()
        later = server.requests[written:]
    drafts = [r for r in later if "draft a new solution" in r.last_user]
    assert drafts and HEADING in drafts[0].last_user
    assert "Start with a logistic regression" in drafts[0].last_user
    assert not any(LESSONS_ASKED in r.prompt for r in later)  # read mode writes nothing
    assert len(store.all()) == len(lessons)
    assert second.journal.get_meta("lessons")
    # nothing hidden anywhere: not in any prompt of either run, not in the store's files
    seen = [r.prompt for r in server.requests]
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("lessons.db*"))
    dumped = "\n".join(les.model_dump_json() for les in store.all())
    for text in (*seen, dumped, raw.decode("latin-1")):
        for secret in (CANARY, "0.618", "0.6180", "0.5772", "0.57722"):
            assert secret not in text


def test_without_a_store_prompts_have_no_lessons_heading(make_task, tmp_path) -> None:
    with FakeLLMServer(respond) as server:
        data = config(make_task(), tmp_path, server, "both").model_dump()
        data["lessons"] = None
        Run.create(RunConfig.model_validate(data)).execute()
        assert server.requests and not any(HEADING in r.prompt for r in server.requests)
        assert not any(LESSONS_ASKED in r.prompt for r in server.requests)


def test_the_runs_of_a_sweep_share_one_store(make_task, tmp_path) -> None:
    from airlab.runner.sweep import Sweep, load_spec

    store = tmp_path / "lessons.db"
    spec = load_spec(
        {
            "tasks": [str(make_task("alpha")), str(make_task("beta"))],
            "seeds": [0],
            "workers": 2,
            "base": {
                "budget": {"steps": 2},
                "limits": {"time_s": 60},
                "backend_options": {"bug_rate": 0.0},
                "lessons": {"path": str(store), "mode": "write"},
            },
        },
        "test",
    )
    states = Sweep.create_or_continue(tmp_path / "sw", spec).execute()
    assert all(state.status == "complete" for state in states.values())
    lessons = LessonStore(store).all()
    assert {les.source_task for les in lessons} == {"alpha", "beta"}
    assert {les.source_run for les in lessons} == set(states)
