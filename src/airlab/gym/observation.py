"""What the agent sees at a step: the messages an operator would send its model, and the same
content as structured fields. Everything comes from an `OperatorContext`, whose parents and
history are agent views (no hidden select/test score, and no search score under self-reported
fitness), so nothing here can carry a hidden score."""

from __future__ import annotations

import json
from typing import Any

from airlab.errors import ConfigError
from airlab.operators import OPERATORS
from airlab.operators.memory import render_memory
from airlab.operators.prompting import node_view, operator_prompt
from airlab.runner.search import Proposal, Search

FIELDS = ("operator", "system", "user", "task", "parent", "memory")
"""The observation's keys (every value is a string)."""
REACT_FIELDS = (*FIELDS, "messages")
"""`mode=react` adds the conversation so far, chat messages as JSON."""


def messages(search: Search, proposal: Proposal) -> list[dict[str, str]]:
    """The chat messages the operator would send for this single-answer step (OpenAI/TRL)."""
    if search.operator_params.mode == "react":
        raise ConfigError(
            "this step is a ReAct episode, many replies long: its messages are the conversation "
            "that AirlabEnv(operator_options={'mode': 'react'}) shows"
        )
    operator = OPERATORS.get(proposal.node.operator)
    user = operator_prompt(operator, proposal.context, search.prompt_settings)
    return [
        {"role": "system", "content": proposal.context.prompts.render("system.j2")},
        {"role": "user", "content": user},
    ]


def task_card(search: Search) -> dict[str, Any]:
    """The public facts of the task (what its description and task.yaml say openly)."""
    spec = search.task.spec
    return {
        "name": spec.name,
        "title": spec.title,
        "type": spec.type,
        "metric": spec.metric,
        "direction": spec.direction,
        "baseline_score": spec.baseline.score if spec.baseline else None,
        "time_limit_s": search.limits.time_s,
        "memory_limit_mb": search.limits.memory_mb,
        "description": search.task.description,
    }


def observe(
    search: Search, proposal: Proposal, conversation: list[dict[str, Any]] | None = None
) -> dict[str, str]:
    """The observation of one step (see `FIELDS`); of a ReAct turn when `conversation` (its
    messages so far, opening with system and user) is given (see `REACT_FIELDS`)."""
    context = proposal.context
    settings = search.prompt_settings
    chat = messages(search, proposal) if conversation is None else conversation
    parent = ""
    if context.parents:
        views = [node_view(p, settings, context.limits) for p in context.parents]
        parent = json.dumps(views[0] if len(views) == 1 else views, ensure_ascii=False)
    memory = ""
    if settings.memory:
        memory = render_memory(
            context.history, maximize=context.task.spec.maximize, max_chars=settings.memory_chars
        )
    observation = {
        "operator": proposal.node.operator,
        "system": chat[0]["content"],
        "user": chat[1]["content"],
        "task": json.dumps(task_card(search), ensure_ascii=False),
        "parent": parent,
        "memory": memory,
    }
    if conversation is not None:
        observation["messages"] = json.dumps(conversation, ensure_ascii=False)
    return observation
