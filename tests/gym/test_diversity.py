"""ExIt's diversity bonus: divergent answers' positive advantages grow, others stay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from airlab.gym.attempts import Attempt
from airlab.gym.diversity import centroid_distances, diversity_bonus, hashed_code_embedding
from airlab.gym.rollout import Group
from airlab.gym.start import StartState
from airlab.journal import Node, NodeStatus

SAME = "```python\nmodel = LogisticRegression(C=1.0)\nmodel.fit(X, y)\n```"
NEAR = "```python\nmodel = LogisticRegression(C=2.0)\nmodel.fit(X, y)\n```"
FAR = "```python\nimport torch\nnet = torch.nn.Sequential(torch.nn.Linear(64, 10))\n```"


def test_the_code_embedding_is_deterministic_and_separates_approaches():
    first = hashed_code_embedding([SAME, NEAR, FAR])
    assert np.array_equal(first, hashed_code_embedding([SAME, NEAR, FAR]))
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)
    assert first[0] @ first[1] > first[0] @ first[2]


def test_centroid_distances_are_normalised():
    d = centroid_distances(hashed_code_embedding([SAME, SAME, NEAR, FAR]))
    assert d.max() == pytest.approx(1.0) and d.argmax() == 3
    assert np.array_equal(centroid_distances(hashed_code_embedding([SAME, SAME])), [0.0, 0.0])


def test_the_bonus_multiplies_positive_advantages_by_distance():
    advantages = np.array([1.0, 1.0, 1.0, -1.0])
    texts = [SAME, SAME, FAR, NEAR]
    boosted = diversity_bonus(advantages, texts, weight=0.5)
    assert boosted[2] > boosted[0] >= 1.0  # the divergent success gains the most
    assert boosted[2] == pytest.approx(1.5)  # the farthest: × (1 + 0.5 · 1)
    assert boosted[3] == -1.0  # a failure is not scaled, however far
    assert np.array_equal(diversity_bonus(advantages, texts, weight=0.0), advantages)


def test_group_advantages_take_the_bonus():
    rewards = [1.0, 1.0, -1.0, 1.0]
    answers = (SAME, SAME, NEAR, FAR)
    attempts = tuple(
        Attempt(Node(id=i, operator="improve", status=NodeStatus.GOOD), r, {})
        for i, r in enumerate(rewards)
    )
    group = Group(StartState(Path("/tmp/x"), 0), {}, [], answers, attempts, Path("/tmp/y"), 0.0)
    plain = group.advantages()
    boosted = group.advantages(diversity=1.0, embed=hashed_code_embedding)
    assert plain[0] == pytest.approx(plain[3])
    assert boosted[3] > boosted[0] and boosted[2] == pytest.approx(plain[2])
