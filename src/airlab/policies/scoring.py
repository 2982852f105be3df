"""Turning fitness into selection weights: min–max normalisation, softmax and rank weights."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from airlab.journal.node import Node
from airlab.journal.tree import SearchTree


class MinMax:
    """Direction-aware fitness scaled to [0, 1] over every good node seen so far.

    Scaling by what has been seen (aira-dojo's MCTS) makes the UCT constant and the softmax
    temperature mean the same on every metric; when all values are equal each maps to 0.5.
    """

    def __init__(self, tree: SearchTree) -> None:
        values = [v for v in map(tree.fitness, tree.good) if v is not None]
        self._tree = tree
        self.low = min(values, default=0.0)
        self.high = max(values, default=0.0)

    def __call__(self, node: Node) -> float | None:
        fitness = self._tree.fitness(node)
        if fitness is None:
            return None
        return self.scale(fitness)

    def scale(self, fitness: float) -> float:
        if self.high <= self.low:
            return 0.5
        return (fitness - self.low) / (self.high - self.low)


def softmax_weights(values: Sequence[float], temperature: float) -> np.ndarray:
    """p(i) ∝ exp(v_i / T), computed stably."""
    scaled = np.asarray(values, dtype=float) / temperature
    scaled -= scaled.max()
    weights = np.exp(scaled)
    return weights / weights.sum()


def rank_weights(values: Sequence[float], temperature: float) -> np.ndarray:
    """AIRA_2's rank-based selection: p(i) ∝ (N − rank_i + 1)^(1/T), rank 1 for the best.

    Ties share the better rank, so equal fitness gets equal probability.
    """
    array = np.asarray(values, dtype=float)
    n = len(array)
    ranks = np.array([1 + int(np.sum(array > value)) for value in array], dtype=float)
    weights = (n - ranks + 1) ** (1.0 / temperature)
    return weights / weights.sum()
