"""What a meta agent is given and what it answers: the request, the evidence and the protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from airlab.agents.meta import MetaSpec
from airlab.evolve.archive import Archive, Member
from airlab.evolve.edits import Replace, SetField


@dataclass(frozen=True)
class MetaRequest:
    """One child to make: the parent's files and evidence, and the parent's meta/ settings."""

    parent: Member
    child_id: int
    files: dict[str, str]
    meta: MetaSpec
    self_modify: bool
    seed: int
    evidence: dict[str, Any] = field(default_factory=dict)
    """The meta prompt's variables: scores, failures, trajectories, lineage."""


@dataclass(frozen=True)
class Proposal:
    """A child's edits and the meta agent's answer they came from (empty offline)."""

    edits: list[Replace | SetField]
    answer: str = ""


class MetaAgent(Protocol):
    """Makes a child's edits; raises `EditError` (the invalid child's reason, with the answer
    when there was one) when it cannot."""

    name: str

    def propose(self, request: MetaRequest, archive: Archive) -> Proposal: ...


def evidence(parent: Member, meta: MetaSpec, archive: Archive) -> dict[str, Any]:
    """What the parent's meta/ asks to read about the parent (DGM: the meta agent sees its
    parent's evaluation results)."""
    wanted = meta.evidence
    scores = {r.task: r.score for r in parent.results} if wanted.scores else {}
    failures: dict[str, int] = {}
    if wanted.failures:
        for result in parent.results:
            for failure, count in result.failures.items():
                failures[failure] = failures.get(failure, 0) + count
    trajectories = [r.trajectory for r in parent.results if r.trajectory][: wanted.trajectories]
    lineage: list[str] = []
    member: Member | None = parent
    while member is not None and len(lineage) < wanted.lineage and member.parent is not None:
        if member.patch:
            lineage.append(member.patch)
        member = archive.get(member.parent)
    return {
        "scores": scores,
        "failures": failures,
        "trajectories": trajectories,
        "lineage": lineage[::-1],
    }
