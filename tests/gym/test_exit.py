"""The ExIt curriculum, on planted rewards: learnability, rank prioritisation, eviction of the
least learnable measured states, base-task replay, self-divergence, saving and resuming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from airlab.errors import ConfigError
from airlab.gym.attempts import Attempt
from airlab.gym.exit import ExitCurriculum, ExitParams, learnability, rank_probabilities
from airlab.gym.rollout import Group
from airlab.gym.start import StartKind, StartState
from airlab.journal import Node, NodeStatus
from airlab.testing.chat_run import answer, llm_run


def group(start, rewards, run_dir=Path("/tmp/fork"), first_id=5):
    attempts = tuple(
        Attempt(
            Node(
                id=first_id + i,
                operator="improve",
                status=NodeStatus.GOOD if r > -1 else NodeStatus.BUGGY,
                code=f"x = {i}\n",
            ),
            r,
            {},
        )
        for i, r in enumerate(rewards)
    )
    return Group(start, {}, [], ("",) * len(rewards), attempts, run_dir, 0.0)


def starts(n):
    return [StartState(Path(f"/tmp/run{i}"), 0) for i in range(n)]


def test_learnability_is_the_variance_of_normalised_returns():
    assert learnability(np.array([1.0] * 8)) == 0.0
    assert learnability(np.array([-1.0] * 8)) == 0.0
    assert learnability(np.array([-1.0, 1.0] * 4)) == pytest.approx(0.25)
    mixed = learnability(np.array([0.1, 0.2, 0.3, -1.0]))
    assert 0 < mixed < 0.25
    # the range normalises: the same spread in a reward range twice as wide counts a quarter
    narrow = learnability(np.array([0.0, 1.0]))
    assert learnability(np.array([0.0, 1.0]), -2.0, 2.0) == pytest.approx(narrow / 4)


def test_rank_prioritisation_follows_the_ranks_not_the_values():
    p = rank_probabilities(np.array([0.01, 0.25, 0.0, 0.2]), temperature=1.0)
    assert p.sum() == pytest.approx(1.0)
    assert p[1] > p[3] > p[0] > p[2]
    assert p[1] / p[3] == pytest.approx(2.0)  # ranks 1 and 2: (1/1) / (1/2)
    same = rank_probabilities(np.array([0.001, 0.9, 0.0, 0.8]))
    assert np.allclose(p, same)  # only the order matters
    greedy = rank_probabilities(np.array([0.01, 0.25, 0.0, 0.2]), temperature=0.5)
    assert greedy[1] / greedy[3] == pytest.approx(4.0)


class Planted:
    """A fake rollout: each state has a planted kind; `mixed` states return ±1 at random
    (informative), `win`/`crash` always +1/−1 (nothing to learn); new nodes get random kinds."""

    def __init__(self, base_kinds, seed=0, group_size=8):
        self.rng = np.random.default_rng(seed)
        self.kinds = {}
        self.base = [StartState(Path(f"/sim/base{i}"), 0) for i in range(len(base_kinds))]
        for start, kind in zip(self.base, base_kinds, strict=True):
            self.kinds[self.key(start)] = kind
        self.k = group_size
        self.calls: list[tuple[str, bool]] = []
        self.n = 0

    @staticmethod
    def key(start):
        return (str(start.run_dir), start.node_id)

    def __call__(self, start, diverge):
        kind = self.kinds[self.key(start)]
        self.calls.append((kind, diverge))
        if kind == "mixed":
            rewards = self.rng.choice([-1.0, 1.0], size=self.k)
        else:
            rewards = np.full(self.k, 1.0 if kind == "win" else -1.0)
        self.n += 1
        run_dir = Path(f"/sim/group{self.n}")
        made = group(start, rewards.tolist(), run_dir, first_id=1)
        for attempt in made.attempts:
            kind = str(self.rng.choice(["mixed", "win", "crash"]))
            self.kinds[(str(run_dir), attempt.node.id)] = kind
        return made


def simulate(groups=300, seed=0, **options):
    params = ExitParams(**({"max_size": 32} | options))
    planted = Planted(["mixed", "win", "crash", "crash"], seed=seed)
    curriculum = ExitCurriculum(planted.base, params, seed=seed)
    picks = [curriculum.step(planted)[0] for _ in range(groups)]
    return curriculum, planted, picks


def test_on_planted_rewards_informative_states_are_kept_and_sampled_most():
    curriculum, planted, picks = simulate()
    calls = zip(planted.calls, picks, strict=True)
    from_buffer = [kind for (kind, _), entry in calls if not entry.base]
    # a third of new states are informative; the curriculum spends most groups on them (76-83%)
    assert from_buffer.count("mixed") / len(from_buffer) > 0.6
    kinds = [planted.kinds[Planted.key(e.start)] for e in curriculum.entries]
    measured = [e for e in curriculum.entries if e.measured]
    assert len(curriculum) == 32
    # the full buffer is not all untried states (11-14 of 32 measured over seeds 0-5), and
    # the measured states it keeps are the informative ones
    assert len(measured) >= 8
    assert all(planted.kinds[Planted.key(e.start)] == "mixed" for e in measured)
    assert kinds.count("mixed") / len(kinds) > 0.5
    # informative states are visited more often than uninformative ones
    visits = {"mixed": [], "other": []}
    for entry in picks:
        kind = planted.kinds[Planted.key(entry.start)]
        visits["mixed" if kind == "mixed" else "other"].append(entry.visits)
    assert np.mean(visits["mixed"]) > np.mean(visits["other"])


def test_eviction_drops_the_least_learnable_measured_state_not_the_newest():
    a, b, c, d = starts(4)
    curriculum = ExitCurriculum([], ExitParams(max_size=3, grow=False))
    for start in (a, b, c):
        curriculum.add(start)
    informative, flat, _untried = curriculum.entries
    curriculum.update(informative, group(a, [-1.0, 1.0]))
    curriculum.update(flat, group(b, [1.0, 1.0]))
    curriculum.add(d, prior=0.1)  # a fifth state, estimated from an informative parent
    # the tie at score 0 (measured flat b, untried c): the visited one leaves, not the newest
    assert {e.start for e in curriculum.entries} == {a, c, d}


def test_base_tasks_are_replayed_at_the_set_probability_and_never_evicted():
    for p in (0.2, 0.5):
        curriculum, _, picks = simulate(groups=600, seed=1, base_prob=p, max_size=8)
        share = np.mean([e.base for e in picks[10:]])
        n = len(picks) - 10
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n)
        assert len(curriculum.base) == 4


def test_self_divergence_steps_come_from_the_buffer_at_the_set_probability():
    _, planted, picks = simulate(groups=600, seed=2, divergence_prob=0.3)
    diverged = [d for (_, d), entry in zip(planted.calls, picks, strict=True) if not entry.base]
    assert abs(np.mean(diverged) - 0.3) < 4 * np.sqrt(0.3 * 0.7 / len(diverged))
    assert not any(d for (_, d), entry in zip(planted.calls, picks, strict=True) if entry.base)


def test_save_and_load_resume_the_same_sampling(tmp_path):
    curriculum, _, _ = simulate(groups=60, seed=3)
    path = tmp_path / "exit.json"
    curriculum.save(path)
    resumed = ExitCurriculum.load(path)
    assert np.allclose(resumed.probabilities(), curriculum.probabilities())
    assert [e.to_json() for e in resumed.entries] == [e.to_json() for e in curriculum.entries]
    mine = [Planted.key(curriculum.sample().start) for _ in range(50)]
    theirs = [Planted.key(resumed.sample().start) for _ in range(50)]
    assert mine == theirs
    # a state known before the save is not added again after it
    assert resumed.add(curriculum.entries[0].start) is False
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.json: not a readable ExIt curriculum"):
        ExitCurriculum.load(tmp_path / "bad.json")


def test_groups_add_their_nodes_as_start_states_once():
    [a] = starts(1)
    curriculum = ExitCurriculum([a], ExitParams(max_size=3))
    entry = curriculum.sample()
    assert entry.base
    added = curriculum.update(entry, group(a, [0.0, 1.0, 0.5]))
    assert [s.node_id for s in added] == [5, 6, 7] and len(curriculum) == 3
    assert all(s.kind == StartKind.CONTINUE for s in added)
    assert all(e.prior == pytest.approx(entry.learnability * 0.5) for e in curriculum.entries)
    assert curriculum.update(entry, group(a, [0.0, 1.0, 0.5])) == []
    curriculum.update(entry, group(a, [1.0, 0.0], first_id=9))
    assert len(curriculum) == 3  # the buffer is bounded


@pytest.mark.slow
def test_a_round_runs_a_group_from_a_real_journal(tmp_path):
    run = llm_run(tmp_path / "runs", steps=1)
    curriculum = ExitCurriculum.from_runs([run], ExitParams(group_size=2))
    assert [e.start.node_id for e in curriculum.base] == [0]
    checkpoint = tmp_path / "exit.json"
    entry, grown = curriculum.run_group(
        lambda obs, k: [answer(2.0), answer(3.0)][:k],
        runs_dir=tmp_path / "gym",
        workers=2,
        checkpoint=checkpoint,
    )
    assert entry.visits == 1 and entry.learnability is not None and len(curriculum) == 2
    assert all(e.start.run_dir == grown.run_dir for e in curriculum.entries)
    assert ExitCurriculum.load(checkpoint).state() == curriculum.state()
