"""A chat model that records the prompts an operator sends it and answers with a fixed script."""

from __future__ import annotations

from airlab.backends import ChatModel, Completion, Usage


class Recorder(ChatModel):
    name = "recorder"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def complete(self, messages, *, purpose=""):
        self.prompts.append(messages[-1].content)
        return Completion("Plan.\n```python\nprint(1)\n```", Usage(1, 1, 0.0, 1), "r")
