"""Lessons written without a model, from a finished run's journal: which approach families
reached the best search scores, whether improve and debug steps paid off, which failures recurred.

Input nodes are `agent_view`s: the search score (or none, under self-reported fitness) and
execution outcomes are all these lessons are made of.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from airlab.journal.node import Node
from airlab.journal.tree import visible_score
from airlab.lessons.keys import TaskKeys
from airlab.lessons.store import Lesson

FAMILIES_SHOWN = 5
MIN_RECURRING = 2
"""A failure kind is a lesson once it happened this many times."""
NOT_THE_APPROACH = {"cancelled", "backend", "budget", "lost"}
"""Failures that say nothing about the candidate."""


def template_lessons(
    nodes: Sequence[Node], keys: TaskKeys, *, task: str, run_id: str, maximize: bool
) -> list[Lesson]:
    """The run's lessons, from its finished nodes as the agent saw them."""
    finished = [n for n in nodes if n.status.finished]
    made = [
        _families(finished, keys, maximize=maximize),
        _operators(finished, keys, maximize=maximize),
        _failures(finished, keys),
    ]
    return [
        lesson.model_copy(update={"source_run": run_id, "source_task": task})
        for lesson in made
        if lesson is not None
    ]


def _lesson(text: str, kind: str, keys: TaskKeys, nodes: Sequence[Node], **extra: object) -> Lesson:
    return Lesson.model_validate(
        {
            "text": text[:600],
            "author": "templates",
            "kind": kind,
            "keys": keys,
            "source_run": "",
            "source_task": "",
            "source_nodes": sorted(n.id for n in nodes),
            **extra,
        }
    )


def _families(nodes: Sequence[Node], keys: TaskKeys, *, maximize: bool) -> Lesson | None:
    sign = 1.0 if maximize else -1.0
    best: dict[str, Node] = {}
    for node in nodes:
        score = visible_score(node)
        family = node.info.family
        if not node.is_good or score is None or not family:
            continue
        held = best.get(family)
        if held is None or sign * score > sign * (visible_score(held) or 0.0):
            best[family] = node
    if not best:
        return None
    ranked = sorted(best, key=lambda f: (-sign * (visible_score(best[f]) or 0.0), f))
    failed = Counter(
        n.info.family
        for n in nodes
        if not n.is_good and n.info.family and str(n.failure) not in NOT_THE_APPROACH
    )
    shown = ", ".join(f"{f} {visible_score(best[f]):.4g}" for f in ranked[:FAMILIES_SHOWN])
    direction = "higher" if maximize else "lower"
    text = (
        f"On a {keys.describe()}, best search score by approach family ({direction} is "
        f"better): {shown}. Start with {ranked[0]}."
    )
    never = sorted(f for f in failed if f not in best)
    if never:
        text += f" Failed every time here: {', '.join(never)}."
    return _lesson(
        text,
        "families",
        keys,
        list(best.values()),
        families=ranked,
        evidence={f: float(visible_score(best[f]) or 0.0) for f in ranked},
    )


def _operators(nodes: Sequence[Node], keys: TaskKeys, *, maximize: bool) -> Lesson | None:
    sign = 1.0 if maximize else -1.0
    by_id = {n.id: n for n in nodes}
    tries: dict[str, list[bool]] = defaultdict(list)
    used: list[Node] = []
    for node in nodes:
        parents = [by_id[p] for p in node.parent_ids if p in by_id]
        if node.operator == "debug" and parents:
            tries["debug"].append(node.is_good)
            used.append(node)
        elif node.operator in ("improve", "crossover") and parents:
            before = [sign * s for p in parents if (s := visible_score(p)) is not None]
            after = visible_score(node)
            better = bool(before) and after is not None and sign * after > max(before)
            tries[node.operator].append(node.is_good and better)
            used.append(node)
    if not tries:
        return None
    verbs = {
        "improve": "beat their parent",
        "crossover": "beat both parents",
        "debug": "fixed the failure",
    }
    parts = [
        f"{op} steps {verbs[op]} in {sum(results)} of {len(results)} tries"
        for op, results in sorted(tries.items())
    ]
    return _lesson(
        f"On a {keys.describe()}: " + "; ".join(parts) + ".",
        "operators",
        keys,
        used,
        evidence={f"{op}_success": float(sum(r)) for op, r in tries.items()}
        | {f"{op}_tries": float(len(r)) for op, r in tries.items()},
    )


def _failures(nodes: Sequence[Node], keys: TaskKeys) -> Lesson | None:
    failed = [n for n in nodes if n.failure is not None and str(n.failure) not in NOT_THE_APPROACH]
    counts = Counter(str(n.failure) for n in failed)
    recurring = [(kind, count) for kind, count in counts.most_common() if count >= MIN_RECURRING]
    if not recurring:
        return None
    parts = []
    for kind, count in recurring:
        families = sorted(
            {n.info.family for n in failed if str(n.failure) == kind and n.info.family}
        )
        where = f" (families {', '.join(families)})" if families else ""
        parts.append(f"{kind} x{count}{where}")
    return _lesson(
        f"On a {keys.describe()}, recurring failures: {'; '.join(parts)}.",
        "failures",
        keys,
        [n for n in failed if str(n.failure) in dict(recurring)],
        evidence={kind: float(count) for kind, count in recurring},
    )
