"""Turning answers into graded nodes: parse, record, execute, grade on `search`, reward.

Shared by the environment (one attempt per step) and group rollouts (K attempts from one start
state at once, over a worker pool). The answer is read exactly as operators read a model's
answer (`operators.parsing.parse_answer`), and checked as the runner checks any candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from airlab.backends import Candidate
from airlab.failures import Failure
from airlab.gym.reward import RewardSpec, attempt_reward
from airlab.journal import Node, NodeStatus
from airlab.operators.diff_edit import edit_answer, uses_diff
from airlab.operators.families import classify_family
from airlab.operators.parsing import parse_answer
from airlab.operators.patches import PatchError
from airlab.runner.pool import Pool
from airlab.runner.search import Proposal, Search, Written


@dataclass(frozen=True)
class Attempt:
    """One graded answer: its node (as the trainer may see it), reward and info."""

    node: Node
    reward: float
    info: dict[str, Any]


GYM_META = "gym"
"""Node meta of an attempt made through the gym: `seen_before`, the id below which nodes were
in its prompt's history (its group's first node), so its prompt can be rendered again."""


def written(proposal: Proposal, answer: str, seen_before: int | None = None) -> Written:
    """The answer as a written candidate, or the failure to find code in it. Under
    `edit_format=diff` an improve or debug answer's SEARCH/REPLACE blocks are applied to the
    parent (a whole script is taken as it is); blocks that do not apply fail the step as
    `no_code`, with the reason: the trainer's model has one answer, nothing to fall back to."""
    node_id = proposal.node.id
    gym_meta = {GYM_META: {"seen_before": node_id if seen_before is None else seen_before}}
    if isinstance(answer, str) and uses_diff(proposal.node.operator, proposal.context):
        return _edit_written(proposal, answer, gym_meta)
    parsed = parse_answer(answer) if isinstance(answer, str) else None
    if parsed is None:
        return Written(node_id, None, 0.0, "the answer holds no Python code block", Failure.NO_CODE)
    meta: dict[str, Any] = {"family": classify_family(parsed.code, parsed.plan), **gym_meta}
    if not parsed.closed:
        meta["incomplete_code"] = True
    return Written(node_id, Candidate(parsed.plan, parsed.code, meta), 0.0)


def _edit_written(proposal: Proposal, answer: str, gym_meta: dict[str, Any]) -> Written:
    """A diff answer: its blocks applied to the parent, or a whole script, or the failure."""
    node_id = proposal.node.id
    try:
        plan, code, record = edit_answer(proposal.context.parents[0].code, answer)
    except PatchError as error:
        reason = f"the SEARCH/REPLACE blocks do not apply ({error})"
        return Written(node_id, None, 0.0, reason, Failure.NO_CODE)
    meta = {"family": classify_family(code, plan), "edit": record.to_meta(), **gym_meta}
    return Written(node_id, Candidate(plan, code, meta), 0.0)


def parent_score(search: Search, proposal: Proposal) -> float | None:
    """The first parent's search score (what the reward measures a step against)."""
    if not proposal.node.parent_ids:
        return None
    parent = search.journal.get(proposal.node.parent_ids[0])
    return parent.search_score if parent.is_good else None


def run_attempts(
    search: Search,
    proposals: Sequence[Proposal],
    answers: Sequence[str],
    rewards: RewardSpec,
    pool: Pool | None = None,
) -> list[Attempt]:
    """Record, execute (in parallel on `pool`, else one by one in the sandbox) and grade."""
    first = min(p.node.id for p in proposals)
    writings = [written(p, a, first) for p, a in zip(proposals, answers, strict=True)]
    return run_written(search, proposals, writings, rewards, pool)


def run_written(
    search: Search,
    proposals: Sequence[Proposal],
    writings: Sequence[Written],
    rewards: RewardSpec,
    pool: Pool | None = None,
) -> list[Attempt]:
    """`run_attempts` for candidates already written (a ReAct episode's submit)."""
    queued: list[int] = []
    for writing in writings:
        node = search.tell_written(writing)
        if node.status == NodeStatus.QUEUED:
            queued.append(node.id)
    if pool is None:
        for node_id in queued:
            request = search.start(node_id)
            search.tell(search.tell_executed(node_id, search.sandbox.run(request)))
    else:
        futures = {node_id: pool.submit(search.start(node_id)) for node_id in queued}
        for node_id, future in futures.items():
            try:
                result = future.result()
            except Exception as exc:  # the worker, not the candidate, failed: once more here
                execute_or_retry(search, node_id, str(exc))
                continue
            search.tell(search.tell_executed(node_id, result))
    return [graded(search, proposal, rewards) for proposal in proposals]


def execute_or_retry(search: Search, node_id: int, error: str) -> None:
    """The worker, not the candidate, failed: record it, and run the candidate once more here
    unless the search gave up on it."""
    if search.tell_worker_failed(node_id, error) is None:
        search.tell(search.tell_executed(node_id, search.sandbox.run(search.start(node_id))))


def graded(search: Search, proposal: Proposal, rewards: RewardSpec) -> Attempt:
    """The attempt of a finished node: its reward against its parent, and its info."""
    node = search.journal.get(proposal.node.id)
    before = parent_score(search, proposal)
    score = node.search_score if node.is_good else None
    unchanged = node.failure == Failure.UNCHANGED
    reward = attempt_reward(search.task.spec, before, score, rewards, unchanged=unchanged)
    info = {
        "node_id": node.id,
        "operator": node.operator,
        "status": node.status.value,
        "search_score": score,
        "parent_score": before,
        "failure": None if node.failure is None else str(node.failure),
        "error": node.error,
    }
    return Attempt(node.model_copy(update={"select_score": None, "test_score": None}), reward, info)
