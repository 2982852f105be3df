"""Evolutionary search over solutions on islands, after aira-dojo (arXiv 2507.02554) and AIRA_2
(arXiv 2603.26499).

Defaults are aira-dojo's unless noted: generation 0 is 5 drafts; 5 individuals per generation;
crossover with probability 0.5 from generation 2; an island is chosen by softmax over the
normalised mean fitness of the islands, a parent by softmax over normalised fitness at
temperature 1.0; an individual joins only if at least as fit as its island's mean; an island
holds at most 500 individuals, the worst evicted; debug chains stop at depth 10. AIRA_2's
rank-based parent selection, p(i) ∝ (N − rank_i + 1)^(1/T) with T = 0.2, is the alternative
(`selection: rank`; AIRA_2 also used crossover probability 0.15).

The populations are not stored: they are replayed from the journal on each proposal, in the
order nodes finished, so a resumed run or one with more workers sees the same islands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import Field

from airlab.journal.node import Node
from airlab.journal.tree import SearchTree
from airlab.policies.base import POLICY_META, Policy, PolicyParams, Step
from airlab.policies.debugging import debug_step, debuggable
from airlab.policies.scoring import MinMax, rank_weights, softmax_weights

OFFSPRING = ("improve", "crossover")


class EvolutionaryParams(PolicyParams):
    num_drafts: int = Field(5, ge=1)
    """Generation 0: drafts spread over the islands (aira-dojo: 5)."""
    individuals_per_generation: int = Field(5, ge=1)
    """Offspring per generation (aira-dojo: 5)."""
    num_islands: int = Field(2, ge=1)
    """Separate populations (REFERENCES gives no count; 2 keeps each island busy on a small
    budget)."""
    island_cap: int = Field(500, ge=1)
    """Most individuals an island holds; the worst is evicted beyond it (aira-dojo: 500)."""
    admission: Literal["island_mean", "all"] = "island_mean"
    """Who joins an island: offspring at least as fit as its mean (aira-dojo), or all."""
    selection: Literal["softmax", "rank"] = "softmax"
    """Parent sampling: softmax over normalised fitness (aira-dojo) or by rank (AIRA_2)."""
    softmax_temperature: float = Field(1.0, gt=0)
    """Temperature of the softmax over parents and over islands (aira-dojo: 1.0)."""
    rank_temperature: float = Field(0.2, gt=0)
    """T in p(i) ∝ (N − rank_i + 1)^(1/T) (AIRA_2: 0.2)."""
    crossover_prob: float = Field(0.5, ge=0, le=1)
    """Chance an offspring is a crossover of two parents (aira-dojo 0.5; AIRA_2 0.15); needs the
    `extended` operator set."""
    crossover_from_generation: int = Field(2, ge=1)
    """First generation that may use crossover (aira-dojo: 2)."""
    migration_interval: int = Field(2, ge=1)
    """Generations between migrations: each island's best joins the next island, in a ring
    (REFERENCES gives no interval; our choice)."""
    max_debug_depth: int = Field(10, ge=0)
    """Longest debug chain (aira-dojo: 10); a fix stays on its parent's island."""
    max_debug_seconds: float | None = Field(None, gt=0)
    """Stop repairing a chain once it took this long (None: no limit)."""


@dataclass
class Islands:
    """The populations replayed from the journal: nodes per island, and what happened."""

    members: list[list[Node]]
    rejected: list[int] = field(default_factory=list)
    evicted: list[int] = field(default_factory=list)
    migrations: int = 0


def island_of(node: Node, tree: SearchTree, num_islands: int) -> int:
    """The island recorded on the node when it was proposed; else its first parent's; else
    drafts in turn (for nodes a different policy proposed)."""
    recorded = node.meta.get(POLICY_META, {}).get("island")
    if isinstance(recorded, int):
        return recorded % num_islands
    if node.parent_ids and node.parent_ids[0] in tree.by_id:
        return island_of(tree.by_id[node.parent_ids[0]], tree, num_islands)
    drafts = [n.id for n in tree.nodes if not n.parent_ids]
    return drafts.index(node.id) % num_islands if node.id in drafts else 0


def replay_islands(tree: SearchTree, params: EvolutionaryParams) -> Islands:
    """Admit, evict and migrate in the order nodes finished, exactly as it happened.

    Drafts (and the first individual of an island) always join; migrations happen after every
    `migration_interval` generations' worth of finished offspring.
    """
    islands = Islands([[] for _ in range(params.num_islands)])
    finished = [node for node in tree.nodes if node.status.finished]
    finished.sort(key=lambda n: (n.finished_at if n.finished_at is not None else 0.0, n.id))
    migrate_every = params.migration_interval * params.individuals_per_generation
    offspring = 0
    for node in finished:
        fitness = tree.fitness(node)
        if fitness is not None:
            _admit(islands, tree, node, island_of(node, tree, params.num_islands), params)
        if node.operator in OFFSPRING:
            offspring += 1
            if params.num_islands > 1 and offspring % migrate_every == 0:
                _migrate(islands, tree, params)
    return islands


def _admit(
    islands: Islands, tree: SearchTree, node: Node, island: int, params: EvolutionaryParams
) -> None:
    population = islands.members[island]
    fitness = tree.fitness(node) or 0.0
    if population and node.parent_ids and params.admission == "island_mean":
        mean = float(np.mean([tree.fitness(member) for member in population]))
        if fitness < mean:
            islands.rejected.append(node.id)
            return
    population.append(node)
    if len(population) > params.island_cap:
        worst = min(population, key=lambda member: (tree.fitness(member), -member.id))
        population.remove(worst)
        islands.evicted.append(worst.id)


def _migrate(islands: Islands, tree: SearchTree, params: EvolutionaryParams) -> None:
    """Each island's best joins the next island (ring), bypassing admission."""
    bests = [tree.ranked(population)[0] if population else None for population in islands.members]
    for source, best in enumerate(bests):
        target = islands.members[(source + 1) % params.num_islands]
        if best is None or any(member.id == best.id for member in target):
            continue
        target.append(best)
        islands.migrations += 1
        if len(target) > params.island_cap:
            worst = min(target, key=lambda member: (tree.fitness(member), -member.id))
            target.remove(worst)
            islands.evicted.append(worst.id)


class Evolutionary(Policy):
    """Islands of working solutions; offspring by improvement or crossover of sampled parents.

    1. A buggy leaf whose debug chain is within bounds is debugged (the fix stays on its island).
    2. Generation 0: `num_drafts` drafts, dealt to the islands in turn.
    3. Otherwise pick an island (softmax over normalised mean fitness), then parents in it
       (softmax or rank); with `crossover_prob`, from `crossover_from_generation` on and with
       two individuals available, cross two parents, else improve one.
    """

    name = "evolutionary"
    Params = EvolutionaryParams
    params: EvolutionaryParams

    def propose(self, tree: SearchTree, rng: np.random.Generator) -> Step | None:
        params = self.params
        if "debug" in self.operators:
            stuck = debuggable(
                tree, max_depth=params.max_debug_depth, max_seconds=params.max_debug_seconds
            )
            if stuck:
                island = island_of(stuck[0], tree, params.num_islands)
                return debug_step(stuck[0], island=island)
        drafts = tree.with_operator("draft")
        if len(drafts) < params.num_drafts:
            island = len(drafts) % params.num_islands
            return Step(
                "draft",
                note=f"generation 0: draft {len(drafts) + 1} of {params.num_drafts}",
                meta={"island": island, "generation": 0},
            )
        islands = replay_islands(tree, params)
        occupied = [i for i, members in enumerate(islands.members) if members]
        if not occupied:
            if tree.in_flight:
                return None  # wait for the drafts under way before drafting more
            island = len(drafts) % params.num_islands
            return Step("draft", note="no working individual yet", meta={"island": island})
        normalise = MinMax(tree)
        means = [float(np.mean([normalise(m) for m in islands.members[i]])) for i in occupied]
        island = occupied[_sample(rng, softmax_weights(means, params.softmax_temperature))]
        population = islands.members[island]
        weights = self.parent_weights([normalise(member) or 0.0 for member in population])
        generation = 1 + len(tree.with_operator(*OFFSPRING)) // params.individuals_per_generation
        meta = {"island": island, "generation": generation}
        if (
            "crossover" in self.operators
            and generation >= params.crossover_from_generation
            and len(population) >= 2
            and rng.random() < params.crossover_prob
        ):
            first, second = rng.choice(len(population), size=2, replace=False, p=weights)
            parents = (population[int(first)].id, population[int(second)].id)
            note = (
                f"generation {generation}, island {island}: cross nodes {parents[0]}, {parents[1]}"
            )
            return Step("crossover", parents, note=note, meta=meta)
        parent = population[_sample(rng, weights)]
        note = f"generation {generation}, island {island}: improve node {parent.id}"
        return Step("improve", (parent.id,), note=note, meta=meta)

    def parent_weights(self, normalised: Sequence[float]) -> np.ndarray:
        """Selection probabilities of an island's individuals, in the configured scheme."""
        if self.params.selection == "rank":
            return rank_weights(normalised, self.params.rank_temperature)
        return softmax_weights(normalised, self.params.softmax_temperature)


def _sample(rng: np.random.Generator, weights: np.ndarray) -> int:
    return int(rng.choice(len(weights), p=weights))
