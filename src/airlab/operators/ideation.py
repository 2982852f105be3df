"""Ideation: one call proposes K approaches before the first draft; drafts are written from them.

After "Ideation diversity" (arXiv 2511.15593), which found by a controlled experiment that more
varied initial ideas make better runs. The knob `idea_diversity` sets how varied the K ideas are:
`low`, one family with varied hyperparameters; `medium`, about half as many families as ideas;
`high`, a distinct family per idea. A chat model is told so in `prompts/ideate.j2`; the
templates backend plans its ideas by the same counts (`family_count`). The ideas are kept in
the journal's meta (`ideas`), each draft written from one records it (`meta.idea`), and the
draft's own family is classified as for any draft, so a run's ideation diversity is measured as
before (`evaluation.diversity`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from airlab.backends.base import ChatModel, Message, ProgramWriter
from airlab.errors import BackendError
from airlab.operators.families import families_named, model_label
from airlab.operators.options import IdeaDiversity
from airlab.operators.parsing import strip_thinking
from airlab.operators.prompt_library import PromptLibrary
from airlab.operators.prompting import with_task_prefix

IDEA_PURPOSE = "ideate"
IDEA_META = "idea"
"""The node meta key of a draft's idea: `{index, family, plan, ...}`."""
_LINE = re.compile(
    r"^\s*(?:[-*]|\d+[.)])?\s*\**([^:*\n]{2,60}?)\**"
    r"(?:\s*:\s*|\s+[-|]\s+|\s*[—–]\s*)(.+?)\s*$"  # a hyphen splits only with spaces around
)


def family_count(k: int, level: IdeaDiversity, available: int) -> int:
    """How many distinct families K ideas of `level` use when `available` families exist."""
    high = max(1, min(k, available))
    if level == "low":
        return 1
    if level == "medium":
        return max(1, (high + 1) // 2)
    return high


def assigned_families(
    k: int, level: IdeaDiversity, families: Sequence[str], seed: int
) -> list[str]:
    """The family of each of K ideas when the run assigns them (`-O assign_families=true`):
    `deal` from an order drawn from the run's seed alone (so the same on every task)."""
    count = family_count(k, level, len(families))
    return deal(families, count, k, np.random.default_rng([seed, 17]))


def deal(names: Sequence[str], count: int, k: int, rng: np.random.Generator) -> list[str]:
    """K slots dealt in turn from the first `count` names of one seeded order of `names`: at
    every level the same order, so the arms are nested (low's one family is medium's first,
    medium's are high's first), as a controlled diversity experiment needs."""
    order = [names[int(i)] for i in rng.permutation(len(names))]
    chosen = order[: max(1, min(count, len(order)))]
    return [chosen[i % len(chosen)] for i in range(k)]


def idea_prompt(
    prompts: PromptLibrary,
    variables: dict[str, Any],
    k: int,
    level: IdeaDiversity,
    assigned: Sequence[str] = (),
) -> str:
    """The ideation prompt (`ideate.j2`): the task, then the ask for K approaches at `level`
    (or, with `assigned`, for one plan per given family)."""
    return prompts.render(
        "ideate.j2",
        **variables,
        ideas=k,
        idea_diversity=level,
        idea_families=family_count(k, level, k),
        assigned_families=list(assigned),
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


def with_assigned_families(
    ideas: Sequence[dict[str, Any]], assigned: Sequence[str]
) -> list[dict[str, Any]]:
    """One idea per assigned family, in order: the model's plans by position, its own family
    names overruled (kept as `proposed`); a family it gave no line for, or whose plan names
    another family's estimator (the 1.5B model, told "gradient boosting" five times, planned a
    random forest, an MLP, ...), is planned as itself (the model's plan kept as
    `proposed_plan`): the assigned families are the experiment's treatment."""
    planned = []
    for index, family in enumerate(assigned):
        label = model_label(f"Family: {family}") or family
        idea: dict[str, Any] = {"family": label, "plan": f"a {family} model"}
        if index < len(ideas):
            plan = ideas[index]["plan"]
            idea["proposed"] = ideas[index]["family"]
            if _plans_another_family(plan, label):
                idea["proposed_plan"] = plan
            else:
                idea["plan"] = plan
        planned.append(idea)
    return planned


def _plans_another_family(plan: str, label: str) -> bool:
    named = families_named(plan)
    return bool(named) and not any(
        label.startswith(family) or family.startswith(label) for family in named
    )


def propose_ideas(
    backend: Any,
    task: Any,
    *,
    k: int,
    level: IdeaDiversity,
    seed: int,
    prompt: str | Sequence[Message] = "",
    assigned: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """K ideas from the run's backend in one call: a program writer plans them itself, a chat
    model answers `prompt` (`idea_prompt`, or the messages holding it; with `assigned`, one
    plan per given family). An answer with no usable line gives no ideas (drafts then go their
    own way) rather than a failed run; with `assigned` the families are kept whatever the
    answer."""
    if isinstance(backend, ProgramWriter):
        plan = getattr(backend, "propose_ideas", None)
        if plan is None:
            raise BackendError(f"backend {backend.name!r} cannot propose ideas")
        return list(plan(task, k=k, level=level, seed=seed))
    if not isinstance(backend, ChatModel):
        raise BackendError(f"backend {backend.name!r} cannot answer prompts")
    messages = [Message("user", prompt)] if isinstance(prompt, str) else list(prompt)
    completion = backend.complete(messages, purpose=IDEA_PURPOSE)
    ideas = parse_ideas(completion.text, k)
    return with_assigned_families(ideas, assigned) if assigned else ideas


def propose_run_ideas(
    backend: Any,
    task: Any,
    *,
    k: int,
    level: IdeaDiversity,
    seed: int,
    prompt_bits: Callable[[], dict[str, Any]],
    prompts: PromptLibrary,
    families: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """`propose_ideas` for a run: a chat model gets the run's `system.j2` and `ideate.j2` (an
    agent's own prompts may override them), its task variables from `prompt_bits`, built only
    then; the same system message and task part the drafts open with, so a server's prefix
    cache serves the first draft. With `families` (`-O assign_families=true`) the run assigns
    the ideas' families from them."""
    if isinstance(backend, ProgramWriter):
        return propose_ideas(backend, task, k=k, level=level, seed=seed)
    assigned = assigned_families(k, level, families, seed) if families else []
    variables = prompt_bits()
    prompt = idea_prompt(prompts, variables, k, level, assigned)
    messages = [
        Message("system", prompts.render("system.j2")),
        with_task_prefix(prompt, prompts.render("_task.j2", **variables)),
    ]
    return propose_ideas(
        backend, task, k=k, level=level, seed=seed, prompt=messages, assigned=assigned
    )


def next_idea(ideas: Sequence[dict[str, Any]], drafts_so_far: int) -> dict[str, Any] | None:
    """The idea the next draft is written from (the run's first K drafts take one each)."""
    if drafts_so_far >= len(ideas):
        return None
    return {"index": drafts_so_far, **ideas[drafts_so_far]}
