"""LLM-First Search, after Herr et al. (arXiv 2506.05213): the model steers the search.

At each step the backend is asked whether to go on from the current node (the working solution
that finished last) or to branch to another open candidate, given their scores; there is no
exploration constant. A chat model answers the prompt in `prompts/llm_first_choose.txt`. A
program writer (the offline templates) cannot be asked, so a documented heuristic stands in:
go on while the current node is the best open candidate or improved on its parent (the path is
still climbing), else branch to the best open candidate. An answer that cannot be parsed, or
names no open candidate, falls back to the same heuristic, and the node records which of the
two decided (`meta.policy.decided_by`: model, heuristic or fallback). So does a choice call that
fails (a 503 past its retries, a refused answer): the failed call is charged to the node like any
other, and the search goes on; only a failure no later call can escape (a refused key, an unknown
model, no credits) stops the run.

Offline, run one step at a time with no bug, the heuristic picks the node greedy picks (the
best): a current node that beat its parent, which was the best when it was chosen, is the best
now, and one that did not hands the choice to the best open candidate. The two differ only once
the best node has `max_children` children (it is closed; greedy keeps improving it), on buggy
leaves (this policy debugs the first one always, greedy a random one with `debug_prob`), or with
several workers; with a model, the model may continue a path that is not the best or branch to
one that is not. So at a small budget (the policy benchmark's 8 candidates) the two tie offline.

The rest follows AIDE: `num_drafts` drafts first (5), and buggy leaves are debugged up to
`max_debug_depth` (3) before any choice.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from string import Template

import numpy as np
from pydantic import Field

from airlab.backends.base import ChatModel, Message, Usage
from airlab.backends.llm.failures import ProviderError
from airlab.errors import BackendError, ReplayMismatchError
from airlab.journal.node import Node
from airlab.journal.tree import SearchTree
from airlab.policies.base import Policy, PolicyParams, Step
from airlab.policies.debugging import debug_step, debuggable

PROMPT_FILE = "llm_first_choose.txt"
PLAN_CHARS = 300
_ANSWER = re.compile(r"\b(CONTINUE|BRANCH)\b(?:\W*(?:to\s+)?(?:node\s*)?#?\s*(\d+))?", re.I)


class LLMFirstParams(PolicyParams):
    num_drafts: int = Field(5, ge=1)
    """Drafts before the first choice (AIDE: 5)."""
    max_children: int = Field(5, ge=1)
    """A working node stays open to improvement until it has this many children."""
    max_options: int = Field(8, ge=1)
    """Open candidates shown to the model besides the current node, best first."""
    max_debug_depth: int = Field(3, ge=0)
    """Longest debug chain (AIDE: 3)."""


@dataclass(frozen=True)
class Choice:
    node: Node
    action: str  # "continue" | "branch"
    decided_by: str  # "model" | "heuristic" | "fallback"
    reason: str = ""
    usage: Usage = field(default_factory=Usage)
    """What asking the model cost; the node records it (`meta.policy.choice_usage`)."""


class LLMFirst(Policy):
    """Continue or branch, as the backend chooses at every step."""

    name = "llm_first"
    Params = LLMFirstParams
    params: LLMFirstParams

    def propose(self, tree: SearchTree, rng: np.random.Generator) -> Step | None:
        params = self.params
        if "debug" in self.operators:
            stuck = debuggable(tree, max_depth=params.max_debug_depth)
            if stuck:
                return debug_step(stuck[0])
        drafts = tree.with_operator("draft")
        if len(drafts) < params.num_drafts:
            return Step("draft", note=f"draft {len(drafts) + 1} of {params.num_drafts}")
        open_nodes = [n for n in tree.ranked() if len(tree.children(n.id)) < params.max_children]
        if not open_nodes:
            if tree.in_flight:
                return None
            return Step("draft", note="no working candidate is open to improvement")
        current = current_node(tree, open_nodes)
        others = [n for n in open_nodes if n.id != current.id][: params.max_options]
        choice = self.choose(tree, current, others)
        meta: dict[str, object] = {
            "choice": choice.action,
            "decided_by": choice.decided_by,
            "current": current.id,
        }
        if choice.reason:
            meta["reason"] = choice.reason
        if choice.decided_by != "heuristic":  # the model was asked
            meta["choice_usage"] = asdict(choice.usage)
        note = f"{choice.action} ({choice.decided_by}): improve node {choice.node.id}"
        return Step("improve", (choice.node.id,), note=note, meta=meta)

    def choose(self, tree: SearchTree, current: Node, others: list[Node]) -> Choice:
        if not others:
            return Choice(current, "continue", "heuristic", "the only open candidate")
        if not isinstance(self.backend, ChatModel):
            return heuristic_choice(tree, current, others, "heuristic")
        try:
            completion = self.backend.complete(
                [Message("user", render_prompt(tree, current, others))], purpose="choose"
            )
        except ReplayMismatchError:
            raise
        except BackendError as exc:
            if isinstance(exc, ProviderError) and exc.stops_run:
                raise
            fallback = heuristic_choice(tree, current, others, "fallback")
            usage = exc.usage if isinstance(exc, ProviderError) else Usage()
            return replace(fallback, reason=f"the choice call failed: {exc}"[:300], usage=usage)
        parsed = parse_choice(completion.text, current, others)
        choice = parsed or heuristic_choice(tree, current, others, "fallback")
        return replace(choice, usage=completion.usage)


def current_node(tree: SearchTree, open_nodes: list[Node]) -> Node:
    """The open node that finished last: where the search was working."""
    return max(open_nodes, key=lambda n: (n.finished_at or 0.0, n.id))


def heuristic_choice(tree: SearchTree, current: Node, others: list[Node], by: str) -> Choice:
    """Go on while the current node is the best open one or beat its parent; else branch to the
    best open candidate."""
    best = max([current, *others], key=lambda n: (tree.fitness(n), -n.id))
    if best.id == current.id:
        return Choice(current, "continue", by, "the current node is the best open candidate")
    parent = tree.by_id.get(current.parent_ids[0]) if current.parent_ids else None
    parent_fitness = None if parent is None else tree.fitness(parent)
    if parent_fitness is not None and (tree.fitness(current) or 0.0) > parent_fitness:
        return Choice(current, "continue", by, "the current node improved on its parent")
    return Choice(best, "branch", by, f"node {best.id} has the best score among open candidates")


def render_prompt(tree: SearchTree, current: Node, others: list[Node]) -> str:
    template = Template(resources.files(__package__).joinpath("prompts", PROMPT_FILE).read_text())
    direction = "higher scores are better" if tree.maximize else "lower scores are better"
    options = "\n".join(
        f"- node {n.id} (score {_score(tree, n)}): {_short(n.plan)}" for n in others
    )
    return template.substitute(
        direction=direction,
        current_id=current.id,
        current_score=_score(tree, current),
        current_plan=_short(current.plan),
        options=options,
    )


def parse_choice(text: str, current: Node, others: list[Node]) -> Choice | None:
    """The first CONTINUE or BRANCH <id> in the answer; None when there is none or the id is
    not an open candidate."""
    match = _ANSWER.search(text)
    if match is None:
        return None
    lines = [line.strip() for line in text[match.end() :].splitlines() if line.strip()]
    reason = lines[0][:200] if lines else ""
    if match.group(1).upper() == "CONTINUE":
        return Choice(current, "continue", "model", reason)
    if match.group(2) is None:
        return None
    wanted = int(match.group(2))
    if wanted == current.id:
        return Choice(current, "continue", "model", reason)
    chosen = next((n for n in others if n.id == wanted), None)
    return None if chosen is None else Choice(chosen, "branch", "model", reason)


def _score(tree: SearchTree, node: Node) -> str:
    score = tree.score(node)
    return "none" if score is None else f"{score:.6g}"


def _short(plan: str) -> str:
    flat = " ".join(plan.split())
    return flat if len(flat) <= PLAN_CHARS else flat[: PLAN_CHARS - 3] + "..."
