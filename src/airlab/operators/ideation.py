"""Ideation: one call proposes K approaches before the first draft; drafts are written from them.

After "Ideation diversity" (arXiv 2511.15593), which found by a controlled experiment that more
varied initial ideas make better runs. The knob `idea_diversity` sets how varied the K ideas are:
`low`, one family with varied hyperparameters; `medium`, about half as many families as ideas;
`high`, a distinct family per idea. A chat model is told so in `ideate.j2`; the templates backend
plans its ideas by the same counts (`family_count`). The ideas are kept in the journal's meta
(`ideas`), each draft written from one records it (`meta.idea`), and the draft's own family is
classified as for any draft, so a run's ideation diversity is measured as before
(`evaluation.diversity`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from airlab.backends.base import ChatModel, Message, ProgramWriter
from airlab.errors import BackendError
from airlab.operators.families import model_label
from airlab.operators.options import IdeaDiversity
from airlab.operators.parsing import strip_thinking
from airlab.operators.prompt_library import PromptLibrary

IDEA_PURPOSE = "ideate"
IDEA_META = "idea"
"""The node meta key of a draft's idea: `{index, family, plan, ...}`."""
LEVEL_TEXT: dict[str, str] = {
    "low": (
        "All {k} approaches must use the SAME model family: vary only their hyperparameters, "
        "preprocessing or features."
    ),
    "medium": (
        "Use exactly {n} different model families among the {k} approaches; approaches of the "
        "same family differ in hyperparameters, preprocessing or features."
    ),
    "high": "Every approach must use a DIFFERENT model family ({n} families in all).",
}
_LINE = re.compile(r"^\s*(?:[-*]|\d+[.)])?\s*\**([^:*\n]{2,60}?)\**\s*[:|—–-]\s*(.+?)\s*$")


def family_count(k: int, level: IdeaDiversity, available: int) -> int:
    """How many distinct families K ideas of `level` use when `available` families exist."""
    high = max(1, min(k, available))
    if level == "low":
        return 1
    if level == "medium":
        return max(1, (high + 1) // 2)
    return high


def idea_prompt(task_part: str, k: int, level: IdeaDiversity, family_examples: str) -> str:
    """The ideation prompt: the task, then the ask for K approaches at `level`."""
    n = family_count(k, level, k)
    return (
        f"{task_part.rstrip()}\n\n# Your step: propose approaches\n"
        f"Propose {k} distinct approaches to this task, to be drafted one by one. "
        f"{LEVEL_TEXT[level].format(k=k, n=n)}\n"
        f"Answer with exactly {k} lines and nothing else, each `<family>: <one-line plan>`, "
        f"the family a short name such as {family_examples}."
    )


def parse_ideas(text: str, k: int) -> list[dict[str, Any]]:
    """Up to `k` ideas `{family, plan}` from an answer of `family: plan` lines (others skipped)."""
    ideas = []
    for line in strip_thinking(text).splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        family = model_label(f"Family: {match.group(1)}")
        if family:
            ideas.append({"family": family, "plan": match.group(2)[:300]})
        if len(ideas) == k:
            break
    return ideas


def propose_ideas(
    backend: Any,
    task: Any,
    *,
    k: int,
    level: IdeaDiversity,
    seed: int,
    task_part: str = "",
    family_examples: str = "",
) -> list[dict[str, Any]]:
    """K ideas from the run's backend in one call: a program writer plans them itself, a chat
    model answers `idea_prompt`. An answer with no usable line gives no ideas (drafts then go
    their own way) rather than a failed run."""
    if isinstance(backend, ProgramWriter):
        plan = getattr(backend, "propose_ideas", None)
        if plan is None:
            raise BackendError(f"backend {backend.name!r} cannot propose ideas")
        return list(plan(task, k=k, level=level, seed=seed))
    if not isinstance(backend, ChatModel):
        raise BackendError(f"backend {backend.name!r} cannot answer prompts")
    prompt = idea_prompt(task_part, k, level, family_examples)
    completion = backend.complete([Message("user", prompt)], purpose=IDEA_PURPOSE)
    return parse_ideas(completion.text, k)


def propose_run_ideas(
    backend: Any,
    task: Any,
    *,
    k: int,
    level: IdeaDiversity,
    seed: int,
    prompt_bits: Callable[[], dict[str, Any]],
    prompts: PromptLibrary,
) -> list[dict[str, Any]]:
    """`propose_ideas` for a run: a chat model's prompt opens with the run's task part
    (`_task.j2`, its variables from `prompt_bits`, built only when a model is asked)."""
    if isinstance(backend, ProgramWriter):
        return propose_ideas(backend, task, k=k, level=level, seed=seed)
    variables = prompt_bits()
    return propose_ideas(
        backend,
        task,
        k=k,
        level=level,
        seed=seed,
        task_part=prompts.render("_task.j2", **variables),
        family_examples=variables["family_examples"],
    )


def next_idea(ideas: Sequence[dict[str, Any]], drafts_so_far: int) -> dict[str, Any] | None:
    """The idea the next draft is written from (the run's first K drafts take one each)."""
    if drafts_so_far >= len(ideas):
        return None
    return {"index": drafts_so_far, **ideas[drafts_so_far]}
