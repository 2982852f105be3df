"""The loop of `airlab evolve` (Darwin Gödel Machine, DGM-Hyperagents) over agent folders.

Generation 0 is the seed agent, evaluated on every task. Each later generation draws its parents
from the valid members of the earlier ones (the rule of the best fully evaluated member's
`meta/`: under self-modification the archive's own rule evolves), and each parent's meta agent
(its `meta/`: number of edits, evidence, prompts) writes one child. A child is stored first,
then validated (duplicates, no-op patches and breaks of the archive's rules refused before
anything runs), then evaluated in stages. Every step ends in one committed row, so a killed
driver resumes where it stopped; the draws are seeded by (seed, generation, slot), so a resumed
archive makes the children it would have made.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from airlab.agents.folder import PACKAGED_DIR, content_hash
from airlab.agents.meta import META_DIR, MetaSpec, load_meta
from airlab.agents.parents import parent_probabilities
from airlab.errors import AirlabError
from airlab.evolve.archive import (
    ARCHIVE_FILE,
    MAX_ANSWER,
    Archive,
    EvolveSettings,
    Member,
    MemberState,
)
from airlab.evolve.edits import EditError, apply_edits, diff, read_files, write_files
from airlab.evolve.evaluate import Evaluator, SweepEvaluator, aggregate, normalised_scores
from airlab.evolve.meta import MetaAgent, MetaRequest, evidence
from airlab.evolve.rules import check_rules
from airlab.evolve.validate import check_child
from airlab.runner.lock import RunLock

AGENTS_DIR = "agents"
EVALS_DIR = "evals"
SEED_META = PACKAGED_DIR / "greedy-hyper"
"""A seed agent without `meta/` gets this packaged agent's meta agent."""

Report = Callable[[Member], None]


class Evolution:
    """One archive folder being driven (hold it with `run`, which takes the folder's lock)."""

    def __init__(
        self,
        folder: Path,
        archive: Archive,
        settings: EvolveSettings,
        evaluator: Evaluator,
        meta_agent: MetaAgent,
        report: Report | None = None,
    ) -> None:
        self.folder = folder
        self.archive = archive
        self.settings = settings
        self.evaluator = evaluator
        self.meta_agent = meta_agent
        self.report = report or (lambda member: None)

    # ---- folders ----------------------------------------------------------------------------
    def member_dir(self, member: Member) -> Path:
        return self.folder / AGENTS_DIR / f"{member.id:04d}"

    def materialise(self, member: Member) -> Path:
        """The member's folder, written from the archive when missing or changed."""
        root = self.member_dir(member)
        if not root.is_dir() or content_hash(root) != member.content_hash:
            write_files(member.files, root)
        return root

    # ---- the loop ---------------------------------------------------------------------------
    def run(self) -> list[Member]:
        seed = self.archive.at(0, 0) or self._seed_member()
        self._finish(seed)
        for generation in range(1, self.settings.generations + 1):
            parents: list[tuple[int, str]] | None = None
            for slot in range(self.settings.children):
                child = self.archive.at(generation, slot)
                if child is None:
                    parents = parents or self._select(generation)
                    child = self._make_child(generation, slot, *parents[slot])
                self._finish(child)
        if self.settings.holdout_tasks:
            self._holdout()
        return self.archive.members()

    def _holdout(self) -> None:
        """Evaluate the seed and the best fully evaluated member on the held-out tasks."""
        members = [m for m in self.archive.members() if m.state == MemberState.EVALUATED]
        best = best_member(members)
        for member in {0: members[0], best.id: best}.values():
            if not member.holdout:
                work = self.folder / EVALS_DIR / f"{member.id:04d}" / "holdout"
                results = self.evaluator.evaluate(
                    self.materialise(member), self.settings.holdout_tasks, work
                )
                member = self.archive.put(member.model_copy(update={"holdout": results}))
        scored = [m for m in self.archive.members() if m.holdout]
        as_results = [m.model_copy(update={"results": m.holdout}) for m in scored]
        scores = normalised_scores(as_results)
        for member in scored:
            mean = _mean(scores[member.id])
            value = None if math.isnan(mean) else mean
            self.archive.put(member.model_copy(update={"holdout_score": value}))

    def _seed_member(self) -> Member:
        from airlab.agents import load_agent

        agent = load_agent(self.settings.agent)
        files = read_files(agent.root)
        if agent.meta is None:
            meta = read_files(SEED_META / META_DIR)
            files.update({f"{META_DIR}/{path}": text for path, text in meta.items()})
        member = Member(
            id=0, generation=0, slot=0, parent=None, state=MemberState.PROPOSED, files=files
        )
        root = write_files(files, self.member_dir(member))
        member = member.model_copy(update={"content_hash": content_hash(root)})
        return self.archive.put(member)

    def _meta_of(self, member: Member) -> MetaSpec:
        return load_meta(self.materialise(member)) or MetaSpec()

    def _select(self, generation: int) -> list[tuple[int, str]]:
        """The generation's parents, each with the rule that drew it."""
        members = [m for m in self.archive.members() if m.generation < generation]
        pool = [m for m in members if m.valid and m.state.final]
        scores = normalised_scores(pool)
        means = [_mean(scores[m.id]) for m in pool]
        # the archive's best is judged on every task: a staged member's mean over the first
        # stage's tasks alone is no comparison (its rule never becomes the archive's rule)
        complete = [m for m in pool if m.state == MemberState.EVALUATED]
        selection = self._meta_of(best_member(complete or pool)).parent_selection
        children = [sum(1 for c in members if c.parent == m.id) for m in pool]
        probabilities = parent_probabilities(
            selection.rule,
            [0.0 if math.isnan(s) else s for s in means],
            children,
            selection.params,
        )
        rng = np.random.default_rng([self.settings.seed, generation])
        drawn = rng.choice(len(pool), size=self.settings.children, p=probabilities)
        return [(pool[int(i)].id, selection.rule) for i in drawn]

    def _self_modify(self, meta: MetaSpec) -> bool:
        if self.settings.self_modify is not None:
            return self.settings.self_modify
        return meta.self_modification

    def _make_child(self, generation: int, slot: int, parent_id: int, rule: str) -> Member:
        parent = self.archive.get(parent_id)
        meta = self._meta_of(parent)
        child_id = self.archive.next_id()
        base = Member(
            id=child_id,
            generation=generation,
            slot=slot,
            parent=parent_id,
            state=MemberState.PROPOSED,
            files=parent.files,
            edits=meta.edits,
            selection_rule=rule,
            meta_backend=self.meta_agent.name,
        )
        self_modify = self._self_modify(meta)
        request = MetaRequest(
            parent=parent,
            child_id=child_id,
            files=parent.files,
            meta=meta,
            self_modify=self_modify,
            seed=self.settings.seed,
            evidence=evidence(parent, meta, self.archive),
        )
        answer = ""
        try:
            proposal = self.meta_agent.propose(request, self.archive)
            answer = proposal.answer
            files = apply_edits(parent.files, proposal.edits, self_modify)
        except EditError as exc:
            said = (exc.answer or answer)[:MAX_ANSWER]
            update = {"state": MemberState.INVALID, "reason": str(exc), "meta_answer": said}
            return self.archive.put(base.model_copy(update=update))
        root = write_files(files, self.member_dir(base))
        child = base.model_copy(
            update={
                "files": files,
                "patch": diff(parent.files, files),
                "content_hash": content_hash(root),
                "meta_answer": answer[:MAX_ANSWER],
            }
        )
        return self.archive.put(child)

    def _finish(self, member: Member) -> Member:
        """Take a member through whatever of validation and evaluation it has not done."""
        if member.state == MemberState.PROPOSED:
            member = self._validate(member)
        if member.state == MemberState.VALID:
            member = self._evaluate(member)
        if member.state.final:
            self.report(member)
        return member

    def _validate(self, member: Member) -> Member:
        reason = self._duplicate(member)
        if reason is None and member.parent is not None:
            reason = check_rules(self.archive.get(0).files, member.files, self.settings)
        if reason is None:
            work = self.folder / EVALS_DIR / f"{member.id:04d}" / "smoke"
            smoke = self.evaluator if self.settings.smoke and member.parent is not None else None
            root = self.materialise(member)
            try:
                reason = check_child(root, work, smoke)
            except AirlabError as exc:  # anything the smoke run could not survive
                reason = f"smoke run: {exc}"
        state = MemberState.INVALID if reason else MemberState.VALID
        return self.archive.put(member.model_copy(update={"state": state, "reason": reason or ""}))

    def _duplicate(self, member: Member) -> str | None:
        if member.parent is None:
            return None
        parent = self.archive.get(member.parent)
        if not member.patch.strip() or same_content(parent.files, member.files):
            return "no-op patch: the child is its parent"
        for other in self.archive.members():
            if other.id == member.id or not other.files:
                continue
            if other.content_hash == member.content_hash:
                return f"duplicate of member {other.id} (same content hash)"
            if other.valid and same_content(other.files, member.files):
                return f"duplicate of member {other.id} (the same agent, YAML compared as data)"
        return None

    def _evaluate(self, member: Member) -> Member:
        tasks = self.settings.tasks
        k = self.settings.stage_tasks
        staged = member.parent is not None and 0 < k < len(tasks)
        first = tasks[:k] if staged else tasks
        root = self.materialise(member)
        work = self.folder / EVALS_DIR / f"{member.id:04d}"
        if not member.results:
            results = self.evaluator.evaluate(root, first, work / "stage1")
            member = self._scored(member.model_copy(update={"results": results}))
            if staged and not self._passes_first_stage(member, first):
                return self.archive.put(member.model_copy(update={"state": MemberState.STAGED}))
            if not staged:
                return self.archive.put(member.model_copy(update={"state": MemberState.EVALUATED}))
            member = self.archive.put(member)
        rest = [t for t in tasks if t not in {r.task for r in member.results}]
        results = self.evaluator.evaluate(root, rest, work / "stage2") if rest else []
        member = self._scored(member.model_copy(update={"results": member.results + results}))
        return self.archive.put(member.model_copy(update={"state": MemberState.EVALUATED}))

    def _passes_first_stage(self, member: Member, first: list[str]) -> bool:
        """Whether a child scored on the first-stage tasks goes on to the rest."""
        threshold = self.settings.stage_threshold
        if self.settings.stage_rule == "threshold":
            return member.score is not None and member.score >= threshold
        assert member.parent is not None  # the seed is never staged
        others = [m for m in self.archive.members() if m.id != member.id]
        on_first = [
            m.model_copy(update={"results": [r for r in m.results if r.task in first]})
            for m in [*others, member]
        ]
        scores = normalised_scores([m for m in on_first if m.results])
        child, parent = scores.get(member.id, {}), scores.get(member.parent, {})
        if not child or not parent:
            return False
        return _mean(child) >= _mean(parent) - threshold

    def _scored(self, member: Member) -> Member:
        others = [m for m in self.archive.members() if m.id != member.id and m.results]
        scores = normalised_scores([*others, member])[member.id]
        mean, low, high = aggregate(scores, seed=self.settings.seed)
        clean = [None if math.isnan(v) else v for v in (mean, low, high)]
        return member.model_copy(
            update=dict(zip(("score", "ci_low", "ci_high"), clean, strict=True))
        )


def same_content(before: dict[str, str], after: dict[str, str]) -> bool:
    """The same files, YAML compared as data (a rewrite that only drops comments is no change)."""
    if before.keys() != after.keys():
        return False
    for path, text in after.items():
        if text == before[path]:
            continue
        if not path.endswith(".yaml"):
            return False
        try:
            if yaml.safe_load(text) != yaml.safe_load(before[path]):
                return False
        except yaml.YAMLError:
            return False
    return True


def best_member(members: list[Member]) -> Member:
    """The member with the highest mean normalised score, recomputed over these members (a
    stored score was normalised over the archive as it was then); ties go to the oldest."""
    scores = normalised_scores(members)
    means = {m.id: _mean(scores[m.id]) for m in members}
    return max(
        members, key=lambda m: (-math.inf if math.isnan(means[m.id]) else means[m.id], -m.id)
    )


def _mean(scores: dict[str, float]) -> float:
    values = [v for v in scores.values() if math.isfinite(v)]
    return float(np.mean(values)) if values else math.nan


def evolve(
    folder: Path,
    settings: EvolveSettings | None = None,
    *,
    evaluator: Evaluator | None = None,
    meta_agent: MetaAgent | None = None,
    report: Report | None = None,
) -> list[Member]:
    """Start or continue the archive in `folder` (settings None: those it was started with).
    One driver per folder: a second is refused while the first lives."""
    if settings is not None and meta_agent is None:  # a bad backend fails before any folder
        meta_agent = make_meta_agent(settings.meta_backend, settings.meta_backend_options)
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    with RunLock(folder):
        archive = Archive(folder / ARCHIVE_FILE)
        try:
            if settings is None:
                settings = archive.settings()
                if settings is None:
                    raise AirlabError(f"{folder / ARCHIVE_FILE}: no evolve archive to resume")
            settings = archive.start(settings)
            evolution = Evolution(
                folder,
                archive,
                settings,
                evaluator or SweepEvaluator(settings),
                meta_agent or make_meta_agent(settings.meta_backend, settings.meta_backend_options),
                report,
            )
            return evolution.run()
        finally:
            archive.close()


def make_meta_agent(backend: str, options: dict[str, Any] | None = None) -> MetaAgent:
    """`offline` (seeded mutations) or any chat backend string (the LLM meta agent)."""
    from airlab.evolve.meta_offline import OfflineMeta

    if backend == "offline":
        return OfflineMeta()
    from airlab.evolve.meta_llm import LLMMeta

    return LLMMeta.from_backend(backend, options)
