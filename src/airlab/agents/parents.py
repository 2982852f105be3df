"""Parent selection for an archive of agents: which agent the meta agent edits next.

Each rule weighs an archive member by its score s (the mean over tasks, in [0, 1]) and by how
many children it already has; a parent is drawn with probability proportional to its weight.
- `dgm_h` (DGM-Hyperagents, the default): sigmoid(λ·(s − mean of the top k)) · exp(−(n/m)^p),
  λ = 10, k = 3, m = 8, p = 3;
- `dgm` (Darwin Gödel Machine): sigmoid(λ·(s − 0.5)) / (1 + n), λ = 10;
- `uniform`: every member alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
from pydantic import Field

from airlab.params import Params
from airlab.registry import Registry


class DGMHParams(Params):
    steepness: float = Field(10.0, gt=0)
    """λ of the sigmoid (DGM-H: 10)."""
    top_k: int = Field(3, ge=1)
    """The sigmoid is centred on the mean score of the best `top_k` members (DGM-H: 3)."""
    children_scale: float = Field(8.0, gt=0)
    """m in exp(−(n/m)^p): children at which the penalty reaches 1/e (DGM-H: 8)."""
    children_power: float = Field(3.0, gt=0)
    """p in exp(−(n/m)^p) (DGM-H: 3)."""


class DGMParams(Params):
    steepness: float = Field(10.0, gt=0)
    """λ of the sigmoid (DGM: 10)."""
    midpoint: float = 0.5
    """The score at which the sigmoid is 1/2 (DGM: 0.5)."""


class UniformParams(Params):
    """Every member of the archive alike."""


Rule = Callable[[np.ndarray, np.ndarray, Params], np.ndarray]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def dgm_h(scores: np.ndarray, children: np.ndarray, params: Params) -> np.ndarray:
    assert isinstance(params, DGMHParams)
    centre = np.sort(scores)[::-1][: params.top_k].mean()
    penalty = np.exp(-((children / params.children_scale) ** params.children_power))
    return _sigmoid(params.steepness * (scores - centre)) * penalty


def dgm(scores: np.ndarray, children: np.ndarray, params: Params) -> np.ndarray:
    assert isinstance(params, DGMParams)
    return _sigmoid(params.steepness * (scores - params.midpoint)) / (1.0 + children)


def uniform(scores: np.ndarray, children: np.ndarray, params: Params) -> np.ndarray:
    return np.ones_like(scores)


PARENT_RULES: Registry[Rule] = Registry("parent selection rule", noun="parameter")
PARENT_RULES.register("dgm_h", dgm_h, params=DGMHParams)
PARENT_RULES.register("dgm", dgm, params=DGMParams)
PARENT_RULES.register("uniform", uniform, params=UniformParams)


def parent_probabilities(
    rule: str,
    scores: Sequence[float],
    children: Sequence[int],
    params: dict[str, object] | None = None,
) -> np.ndarray:
    """The probability of drawing each archive member as the next parent."""
    if len(scores) != len(children) or not scores:
        raise ValueError("one score and one child count per archive member, at least one")
    typed = cast(Params, PARENT_RULES.parse_params(rule, params or {}))
    weights = PARENT_RULES.get(rule)(
        np.asarray(scores, dtype=float), np.asarray(children, dtype=float), typed
    )
    total = weights.sum()
    if not np.isfinite(total) or total <= 0:
        return np.full(len(scores), 1.0 / len(scores))
    return weights / total
