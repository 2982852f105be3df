"""Offline research plans for plan and revision tasks: sections from a catalogue, seeded.

A plan is a list of sections. Most come from a catalogue of the parts a sound research plan has
(hypothesis, baselines, controls, seeds, statistics, ablations, compute, risks, ...); the others
restate the task's own aims and constraints (the bullet lines of its description), which a plan
must answer. *Draft* picks a few sections at random; *improve* adds one: the one whose words
best match the judge's feedback on the parent's `search` items (the only verdicts an agent
sees), else a random one; *debug* adds one to a parent that could not be graded; *crossover*
merges two parents' sections. So the offline search climbs as sections accumulate. The rubric
is never read here: the feedback is all the writer learns of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from airlab.backends.base import Candidate, WriteRequest
from airlab.errors import BackendError
from airlab.journal.node import Node
from airlab.journal.tree import RUBRIC_META
from airlab.plans.offline import key_terms
from airlab.tasks.task import Task

SECTIONS_KEY = "plan_sections"
"""The key of `Node.meta` listing the sections of a plan the templates wrote."""
DRAFT_SECTIONS = (3, 5)
"""A draft's number of sections: at least, at most (inclusive)."""


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    text: str


CATALOGUE = (
    Section(
        "hypothesis",
        "Hypothesis",
        "We state a falsifiable hypothesis before running any experiment, and the result that "
        "would refute it.",
    ),
    Section(
        "baselines",
        "Baselines",
        "We compare the proposed method against a simple random-order baseline and a strong "
        "baseline, each trained on the same examples with the same budget.",
    ),
    Section(
        "reverse",
        "Reverse condition",
        "We add the opposite condition as a control: for an ordering, an anti-curriculum that "
        "presents the hardest examples first.",
    ),
    Section(
        "controls",
        "Controls",
        "We hold the number of training steps, the model size and the data fixed across "
        "conditions, so that only the factor under study changes.",
    ),
    Section(
        "seeds",
        "Repetitions",
        "We repeat each condition over several random seeds (at least five) and report the mean "
        "and the spread across seeds.",
    ),
    Section(
        "statistics",
        "Statistics",
        "We compare conditions with a statistical test and report bootstrap confidence "
        "intervals for every difference.",
    ),
    Section(
        "metrics",
        "Metrics",
        "We report exact-match accuracy on held-out data, separately for each difficulty level "
        "(for arithmetic, for each number of digits).",
    ),
    Section(
        "generalisation",
        "Generalisation",
        "We evaluate on held-out cases longer than any seen in training (more digits, more "
        "steps), to measure length generalisation.",
    ),
    Section(
        "ablation",
        "Ablations",
        "We run an ablation that removes or reorders one stage of the method at a time, to find "
        "which part of it matters.",
    ),
    Section(
        "compute",
        "Compute",
        "We estimate the compute each run needs and show that all runs together fit within the "
        "GPU hours available, with a margin.",
    ),
    Section(
        "data",
        "Data",
        "We generate synthetic data with a fixed seed, document the generator, and keep "
        "training and evaluation data disjoint.",
    ),
    Section(
        "models",
        "Models",
        "We train small models from scratch, kept under the stated limit on parameters (in "
        "millions), with no pretrained weights.",
    ),
    Section(
        "risks",
        "Risks",
        "We name the risks of the study and a fallback for each, including what we report and "
        "do next if the method shows no effect.",
    ),
    Section(
        "reproducibility",
        "Reproducibility",
        "We release the code, configurations and seeds of every run.",
    ),
)
_BULLET = re.compile(r"^\s*[-*]\s+(?P<text>.+?)\s*$")


def goal_sections(task: Task) -> list[Section]:
    """The task's aims and constraints as sections: each bullet line of its description, which a
    plan must answer (lines under a heading that names constraints are constraints)."""
    out: list[Section] = []
    constraint = False
    for line in task.description.splitlines():
        if line.lstrip().startswith("#"):
            constraint = "constraint" in line.lower()
            continue
        match = _BULLET.match(line)
        if match is None:
            continue
        text = match["text"].rstrip(".")
        number = len(out) + 1
        if constraint:
            out.append(
                Section(
                    f"goal-{number}",
                    "Constraint",
                    f"We keep to this: {text}; every run below is sized to respect it.",
                )
            )
        else:
            out.append(
                Section(
                    f"goal-{number}", "Aim", f"We address this aim with its own experiment: {text}."
                )
            )
    return out


def write_plan(request: WriteRequest) -> Candidate:
    """One plan for `request.operator` (draft, improve, debug, crossover), seeded."""
    task = request.task
    sections = {s.key: s for s in (*goal_sections(task), *CATALOGUE)}
    rng = np.random.default_rng([request.seed, request.node_id, 31])
    operator = request.operator
    if operator == "draft":
        low, high = DRAFT_SECTIONS
        count = int(rng.integers(low, high + 1))
        chosen = [str(k) for k in rng.choice(list(sections), size=count, replace=False)]
        note = f"A first plan with {count} sections."
    elif operator in ("improve", "debug"):
        parent = _parent(request, 0)
        chosen = _sections_of(parent)
        added = _next_section(parent, [k for k in sections if k not in chosen], sections, rng)
        if added is None:
            note = "Every section is already in the plan; nothing to add."
        else:
            chosen.append(added)
            note = f"Added the section '{sections[added].heading}'."
    elif operator == "crossover":
        first, second = _sections_of(_parent(request, 0)), _sections_of(_parent(request, 1))
        chosen = first + [k for k in second if k not in first]
        note = "Merged the sections of both parents."
    else:
        raise BackendError(f"templates backend: operator {operator!r} is not supported for plans")
    order = {key: n for n, key in enumerate(sections)}
    chosen = sorted((k for k in chosen if k in sections), key=order.__getitem__)
    text = render_plan(task, [sections[k] for k in chosen])
    return Candidate(plan=note, code=text, meta={SECTIONS_KEY: chosen, "family": "plan"})


def render_plan(task: Task, sections: list[Section]) -> str:
    """The plan as markdown: a title, then one heading and paragraph per section; for a
    revision task, the paper as it was, then the sections as added material."""
    paper = task.paper_text if task.spec.kind == "revision" else None
    if paper is not None:
        parts = [paper.rstrip(), "", "# Additions in this revision", ""]
    else:
        parts = [f"# Research plan: {task.spec.title}", ""]
    for section in sections:
        parts += [f"## {section.heading}", section.text, ""]
    return "\n".join(parts).rstrip() + "\n"


def _parent(request: WriteRequest, index: int) -> Node:
    try:
        return request.parents[index]
    except IndexError:
        raise BackendError(f"templates backend: {request.operator} needs a parent") from None


def _sections_of(node: Node) -> list[str]:
    keys = node.meta.get(SECTIONS_KEY)
    if not isinstance(keys, list):
        raise BackendError(
            f"templates backend cannot build on node {node.id}: it was not written by the "
            "templates backend"
        )
    return [str(k) for k in keys]


def _next_section(
    parent: Node, candidates: list[str], sections: dict[str, Section], rng: np.random.Generator
) -> str | None:
    """The section to add: the best match for the judge's feedback on the parent's unmet
    `search` items (their justifications), else one at random."""
    if not candidates:
        return None
    unmet = [
        str(v.get("justification", ""))
        for v in (parent.meta.get(RUBRIC_META) or {}).get("search", [])
        if v.get("value") is not None and float(v["value"]) < 1.0
    ]
    wanted = set(key_terms(" ".join(unmet)))
    overlap = [len(wanted & set(key_terms(sections[k].text))) for k in candidates]
    best = max(overlap)
    pool = (
        [k for k, n in zip(candidates, overlap, strict=True) if n == best] if best else candidates
    )
    return str(pool[int(rng.integers(len(pool)))])
