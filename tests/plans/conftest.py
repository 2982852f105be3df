"""The fixture plan task (12 rubric items, nested) and a chat model that answers from a script."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from airlab.backends.base import ChatModel, Completion, Message

PLAN_TASK = Path(__file__).resolve().parents[1] / "fixtures" / "plan-tiny"


@pytest.fixture
def plan_task(tmp_path: Path) -> Path:
    """A copy of the fixture plan task that a test may change."""
    return Path(shutil.copytree(PLAN_TASK, tmp_path / "plan-tiny"))


class ScriptedChat(ChatModel):
    """Answers each call with `answer(messages)`; records the calls (messages, purpose)."""

    name = "scripted-chat"

    def __init__(self, answer: Callable[[Sequence[Message]], str]) -> None:
        self.answer = answer
        self.calls: list[tuple[list[Message], str]] = []

    def complete(self, messages, *, purpose="", tools=None) -> Completion:  # type: ignore[override]
        self.calls.append((list(messages), purpose))
        return Completion(text=self.answer(messages), model=self.name)
