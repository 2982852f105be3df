"""The messages a node was written from: as recorded, or rendered again from its journal.

A chat run records every prompt in `llm_calls.jsonl`; the first call charged to a node with the
node's operator as its purpose is the prompt it was written from, and its response the answer.
A run written without prompts (the offline templates) gets them rendered: the operator's
template over the nodes before it, as the agent may see them, exactly as a chat backend would
have been asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airlab.backends.llm import LLM_CALLS_FILE
from airlab.backends.templates.backend import TemplatesBackend
from airlab.journal import Node, SearchTree
from airlab.operators import OPERATORS, OperatorContext, operator_options
from airlab.operators.prompt_library import PACKAGED, PromptLibrary
from airlab.operators.prompting import PromptSettings, operator_prompt
from airlab.runner.config import RunConfig
from airlab.runner.search import execution_limits
from airlab.sandbox.packages import Packages
from airlab.tasks import Task

Messages = list[dict[str, Any]]


@dataclass(frozen=True)
class Written:
    """A node's prompt and the answer it came from."""

    prompt: Messages
    answer: str
    recorded: bool
    """True when both come from the run's own record of its model calls."""


def recorded_calls(run_dir: Path) -> dict[int, tuple[Messages, str]]:
    """Node id → (prompt, answer) of its first operator call, from `llm_calls.jsonl`."""
    path = Path(run_dir) / LLM_CALLS_FILE
    found: dict[int, tuple[Messages, str]] = {}
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        node_id, purpose = record.get("node_id"), str(record.get("purpose", ""))
        response = record.get("response") or {}
        if node_id is None or purpose not in OPERATORS.names() or "text" not in response:
            continue
        found.setdefault(int(node_id), (list(record.get("messages", [])), response["text"]))
    return found


def rendered_prompt(
    config: RunConfig,
    task: Task,
    nodes: list[Node],
    node: Node,
    prompts: PromptLibrary = PACKAGED,
    packages: Packages | None = None,
) -> Messages:
    """The prompt `node` would be shown, rendered over the nodes before it (before its group's
    first node, for an attempt of a gym group), from `prompts` (the run's agent's own first);
    `packages`: the run's probe (its journal's `packages` meta, `run_packages`), which the
    prompts state."""
    seen = node.meta.get("gym")
    cutoff = int(seen.get("seen_before", node.id)) if isinstance(seen, dict) else node.id
    before = [n for n in nodes if n.id < cutoff]
    tree = SearchTree.from_nodes(
        before, maximize=task.spec.maximize, fitness_source=config.selection.fitness
    )
    options = operator_options(config.operators, config.operator_options)
    context = OperatorContext(
        task=task,
        parents=tuple(tree.by_id[p] for p in node.parent_ids if p in tree.by_id),
        history=tuple(n for n in tree.nodes if n.code),
        backend=TemplatesBackend(),
        seed=config.seed,
        node_id=node.id,
        limits=execution_limits(config, task),
        options=options,
        fitness_source=config.selection.fitness,
        prompts=prompts,
        packages=packages,
    )
    operator = OPERATORS.get(node.operator)
    if task.is_text:  # a plan or revision task's own prompts (a critique is not re-rendered)
        from airlab.operators.plan_writing import text_messages

        rendered = text_messages(operator, context, PromptSettings.from_options(options))
        return [{"role": m.role, "content": m.content} for m in rendered]
    user = operator_prompt(operator, context, PromptSettings.from_options(options))
    system = prompts.render("system.j2")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def run_packages(meta: dict[str, Any] | None) -> Packages | None:
    """The package probe a run kept in its journal's `packages` meta (None: none kept)."""
    if not meta or "error" in meta:
        return None
    return Packages.from_meta(meta)


def react_conversation(node: Node) -> tuple[Messages, Messages] | None:
    """(opening messages, the rest) of a ReAct node's episode as the model saw it, from its
    transcript (`meta.react.transcript`); None for a node written in one answer."""
    react = node.meta.get("react")
    transcript = react.get("transcript") if isinstance(react, dict) else None
    if not isinstance(transcript, list) or not transcript:
        return None
    messages: Messages = []
    for entry in transcript:
        message = {key: entry[key] for key in _CHAT_KEYS if entry.get(key) is not None}
        messages.append(message)
    first_reply = next(
        (i for i, m in enumerate(messages) if m.get("role") == "assistant"), len(messages)
    )
    return messages[:first_reply], messages[first_reply:]


_CHAT_KEYS = ("role", "content", "tool_calls", "tool_call_id")
"""What a chat endpoint or TRL reads of a transcript entry (timings are left out)."""


def answer_text(node: Node, *, text: bool = False) -> str:
    """A node's answer in the format the prompts ask for: a plan, then one fenced block; for a
    plan or revision task (`text`), the text itself."""
    if text:
        return node.code.rstrip() + "\n"
    return f"{node.plan.strip()}\n\n```python\n{node.code.rstrip()}\n```\n"
