from collections import Counter

import numpy as np
import pytest
from scipy.stats import chisquare

from airlab.policies import make_policy
from airlab.policies.evolutionary import replay_islands
from airlab.policies.scoring import rank_weights

EXTENDED = ("draft", "improve", "debug", "crossover")


def evolutionary(operators=EXTENDED, **params):
    return make_policy("evolutionary", params, operators)


def test_rank_weights_follow_the_formula():
    # Fitness 0.9 > 0.7 > 0.4 > 0.1: ranks 1..4, N = 4, T = 0.5 → weights 4², 3², 2², 1².
    weights = rank_weights([0.1, 0.9, 0.4, 0.7], temperature=0.5)
    expected = np.array([1, 16, 4, 9]) / 30
    assert weights == pytest.approx(expected)


def test_rank_based_parent_frequencies_match_the_formula(build):
    policy = evolutionary(
        num_drafts=4, num_islands=1, selection="rank", rank_temperature=0.5, crossover_prob=0.0
    )
    scores = [0.1, 0.9, 0.4, 0.7]
    nodes = [build.good(score, island=0) for score in scores]
    draws = 1500
    tree = build.tree()
    picks = Counter(
        policy.propose(tree, np.random.default_rng(seed)).parent_ids[0] for seed in range(draws)
    )
    observed = [picks[node.id] for node in nodes]
    expected = np.array([1, 16, 4, 9]) / 30 * draws
    assert chisquare(observed, expected).pvalue > 1e-3
    assert observed[1] > observed[3] > observed[2] > observed[0]


def test_softmax_parent_frequencies_match_the_formula(build):
    policy = evolutionary(num_drafts=3, num_islands=1, softmax_temperature=0.5, crossover_prob=0)
    nodes = [build.good(score, island=0) for score in (0.2, 0.6, 1.0)]  # normalised 0, 0.5, 1
    draws = 1500
    tree = build.tree()
    picks = Counter(
        policy.propose(tree, np.random.default_rng(seed)).parent_ids[0] for seed in range(draws)
    )
    weights = np.exp(np.array([0.0, 0.5, 1.0]) / 0.5)
    expected = weights / weights.sum() * draws
    assert chisquare([picks[n.id] for n in nodes], expected).pvalue > 1e-3


def test_generation_zero_drafts_are_dealt_to_the_islands(build):
    policy = evolutionary(num_drafts=3, num_islands=2)
    islands = []
    for _ in range(3):
        step = build.propose(policy)
        assert step.operator == "draft"
        islands.append(step.meta["island"])
        build.pending("draft", **step.meta)
    assert islands == [0, 1, 0]


def test_the_worst_is_evicted_beyond_the_cap(build):
    policy = evolutionary(num_drafts=3, num_islands=1, island_cap=2)
    a = build.good(0.5, island=0)
    b = build.good(0.3, island=0)
    c = build.good(0.8, island=0)
    islands = replay_islands(build.tree(), policy.params)
    assert [n.id for n in islands.members[0]] == [a.id, c.id]
    assert islands.evicted == [b.id]


def test_offspring_worse_than_the_island_mean_is_not_admitted(build):
    policy = evolutionary(num_drafts=2, num_islands=1)
    a = build.good(0.4, island=0)
    build.good(0.8, island=0)
    worse = build.good(0.5, "improve", (a.id,), island=0)  # mean is 0.6
    better = build.good(0.7, "improve", (a.id,), island=0)  # mean is 0.6
    islands = replay_islands(build.tree(), policy.params)
    assert islands.rejected == [worse.id]
    assert better.id in [n.id for n in islands.members[0]]
    everyone = replay_islands(build.tree(), evolutionary(num_islands=1, admission="all").params)
    assert everyone.rejected == []


def test_migration_copies_each_islands_best_to_the_next(build):
    policy = evolutionary(
        num_drafts=2, num_islands=2, individuals_per_generation=1, migration_interval=1
    )
    a = build.good(0.9, island=0)
    b = build.good(0.2, island=1)
    before = replay_islands(build.tree(), policy.params)
    assert before.migrations == 0
    build.good(0.95, "improve", (a.id,), island=0)
    after = replay_islands(build.tree(), policy.params)
    assert after.migrations == 2
    assert b.id in [n.id for n in after.members[0]]
    assert a.id not in [n.id for n in after.members[1]]  # the island's best (the child) moved
    assert max(n.search_score for n in after.members[1]) == 0.95


def test_crossover_needs_two_parents_the_operator_and_generation_two(build):
    a = build.good(0.5, island=0)
    b = build.good(0.6, island=0)
    for _ in range(5):  # generation 1 proposed, so the next offspring is generation 2
        build.pending("improve", (a.id,), island=0)
    policy = evolutionary(num_drafts=2, num_islands=1, crossover_prob=1.0)
    step = build.propose(policy)
    assert step.operator == "crossover"
    assert sorted(step.parent_ids) == sorted((a.id, b.id))
    assert step.meta["generation"] == 2
    aide = evolutionary(("draft", "improve", "debug"), num_drafts=2, num_islands=1)
    assert all(build.propose(aide, seed=s).operator == "improve" for s in range(20))


def test_no_crossover_in_generation_one(build):
    build.good(0.5, island=0)
    build.good(0.6, island=0)
    policy = evolutionary(num_drafts=2, num_islands=1, crossover_prob=1.0)
    assert build.propose(policy).operator == "improve"


def test_a_fix_stays_on_its_island_and_max_depth_holds(build):
    policy = evolutionary(num_drafts=1, num_islands=2, max_debug_depth=1)
    build.good(0.5, island=0)
    bug = build.buggy("draft", island=1)
    step = build.propose(policy)
    assert (step.operator, step.parent_ids, step.meta["island"]) == ("debug", (bug.id,), 1)
    build.buggy("debug", (bug.id,), island=1)
    assert build.propose(policy).operator != "debug"


def test_waits_for_drafts_under_way_before_drafting_more(build):
    policy = evolutionary(num_drafts=2)
    build.buggy("draft", failure="no_code")
    build.pending("draft")
    assert build.propose(policy) is None
