"""Plans and revisions from a chat model: the text prompts of draft, improve, debug, crossover.

A text task's prompts show the goal (and a revision's paper), memory of earlier attempts, and a
parent's text; never the rubric. The only grading an improve step sees is the judge's feedback
on the parent's `search` items: how many were met and the justifications of the unmet ones
(nodes reach operators through `agent_view`, which keeps nothing of `select` or `test` and no
item's sentence). With `-O critique=true` an improve first asks the model to critique the parent
(purpose `critique`), then to revise it with that critique (critique-then-revise).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from airlab.backends.base import Candidate, Message
from airlab.errors import NoCodeError
from airlab.journal.node import Node
from airlab.journal.tree import RUBRIC_META
from airlab.operators.memory import render_memory
from airlab.operators.prompting import PromptSettings, chat_model, node_view

if TYPE_CHECKING:
    from airlab.operators.base import Operator, OperatorContext

_FENCED = re.compile(r"^```(?:markdown|md)?\s*\n(?P<body>.*)\n```$", re.DOTALL)
FEEDBACK_SHOWN = 12
"""Most unmet items whose justification an improve prompt shows."""


def text_variables(context: OperatorContext, settings: PromptSettings) -> dict[str, Any]:
    """What every text prompt gets: the goal, the paper of a revision, memory."""
    task = context.task
    return {
        "task": {"name": task.name, "title": task.spec.title, "description": task.description},
        "paper": task.paper_text if task.spec.kind == "revision" else None,
        "revision": task.spec.kind == "revision",
        "memory": render_memory(context.history, maximize=True, max_chars=settings.memory_chars)
        if settings.memory
        else "",
        "diversity": settings.diversity,
    }


def judge_feedback(node: Node) -> str:
    """The judge's feedback on a node's `search` items, as a prompt may show it (its met share
    and the justifications of what was unmet; no item's sentence); "" when there is none."""
    verdicts = (node.meta.get(RUBRIC_META) or {}).get("search", [])
    decided = [v for v in verdicts if v.get("value") is not None]
    if not decided:
        return ""
    met = sum(float(v["value"]) for v in decided)
    lines = [f"{met:g} of {len(decided)} checks met."]
    unmet = [v for v in decided if float(v["value"]) < 1.0][:FEEDBACK_SHOWN]
    lines += [f"- not met: {v.get('justification') or '(no reason given)'}" for v in unmet]
    return "\n".join(lines)


def text_messages(
    operator: Operator, context: OperatorContext, settings: PromptSettings, critique: str = ""
) -> list[Message]:
    """The system and user messages of one text step (what `airlab export` renders too)."""
    variables = text_variables(context, settings)
    name = operator.name
    if name in ("improve", "debug"):
        variables["parent"] = node_view(context.parents[0], settings)
    if name == "improve":
        variables["feedback"] = judge_feedback(context.parents[0])
        variables["critique"] = critique
    if name == "crossover":
        variables["parents"] = [node_view(node, settings) for node in context.parents]
    system = Message("system", context.prompts.render("plan_system.j2"))
    return [system, Message("user", context.prompts.render(f"plan_{name}.j2", **variables))]


def write_text_with_model(operator: Operator, context: OperatorContext) -> Candidate:
    """One plan (or revision) from the model for `operator` (critique first, when asked)."""
    model = chat_model(context)
    settings = PromptSettings.from_options(context.options)
    critique, calls = "", 0
    if operator.name == "improve" and context.options.critique:
        variables = {**text_variables(context, settings)}
        variables["parent"] = node_view(context.parents[0], settings)
        ask = context.prompts.render("plan_critique.j2", **variables)
        system = Message("system", context.prompts.render("plan_system.j2"))
        critique = model.complete([system, Message("user", ask)], purpose="critique").text
        calls += 1
    messages = text_messages(operator, context, settings, critique)
    completion = model.complete(messages, purpose=operator.name)
    text = plan_text(completion.text)
    if not text:
        raise NoCodeError(f"{model.name}: the answer held no text")
    return Candidate(
        plan=_summary(text),
        code=text,
        meta={
            "family": "plan",
            "llm_calls": calls + 1,
            "model": completion.model,
            "finish_reason": completion.finish_reason,
        },
        usage=completion.usage,
    )


def plan_text(answer: str) -> str:
    """The text of an answer: all of it, unwrapped when the whole of it is one fenced block."""
    text = answer.strip()
    fenced = _FENCED.match(text)
    return fenced["body"].strip() if fenced is not None else text


def _summary(text: str) -> str:
    """The plan's first line (its title) as the node's short plan note."""
    first = next((line.strip("# ").strip() for line in text.splitlines() if line.strip()), "")
    return first[:200]
