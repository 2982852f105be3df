"""After a candidate runs, the model reads its output and says in a few sentences what happened.

The summary is stored on the node and shown in later prompts (memory, improve). It never decides
the score: the grader does.
"""

from __future__ import annotations

from airlab.backends.base import ChatModel, Message, Usage
from airlab.journal.node import Node
from airlab.journal.tree import FitnessSource, agent_view
from airlab.operators.memory import outcome_text
from airlab.operators.parsing import strip_thinking
from airlab.operators.prompt_library import PACKAGED, PromptLibrary
from airlab.operators.prompting import PromptSettings, tail
from airlab.tasks.task import Task

MAX_SUMMARY_CHARS = 1200


def analyse_execution(
    model: ChatModel,
    task: Task,
    node: Node,
    settings: PromptSettings,
    *,
    fitness_source: FitnessSource = "hidden",
    prompts: PromptLibrary = PACKAGED,
) -> tuple[str, Usage]:
    """A short account of one execution, and what asking for it cost. The model sees the
    outcome as the agent may (`agent_view`): no hidden score under `self_reported` fitness."""
    spec = task.spec
    node = agent_view(node, fitness_source)
    variables = {
        "task": {"name": spec.name, "metric": spec.metric, "maximize": spec.maximize},
        "node": {
            "plan": node.plan or "(no plan)",
            "code": node.code,
            "outcome": outcome_text(node),
            "stdout": tail(node.stdout_tail, settings.output_chars) or "(empty)",
            "stderr": tail(node.stderr_tail, settings.output_chars) or "(empty)",
        },
    }
    messages = [
        Message("system", prompts.render("system.j2")),
        Message("user", prompts.render("analysis.j2", **variables)),
    ]
    completion = model.complete(messages, purpose="analysis")
    summary = " ".join(strip_thinking(completion.text).split())
    return summary[:MAX_SUMMARY_CHARS], completion.usage
