"""Turn a strict dominance relation into ranked tiers (shared by Schulze and ranked pairs)."""

from __future__ import annotations

import numpy as np


def tiers_from_dominance(beats: np.ndarray) -> list[list[int]]:
    """Tiers of a strict partial order: tier k = agents beaten by no agent left after tiers < k.

    `beats[a, b]` is True when a is placed above b. Agents in the same tier are incomparable and
    are reported as tied. Raises ValueError on a cycle (the relation must be acyclic).
    """
    beats = np.asarray(beats, dtype=bool)
    remaining = list(range(beats.shape[0]))
    tiers: list[list[int]] = []
    while remaining:
        sub = beats[np.ix_(remaining, remaining)]
        top = [remaining[i] for i in np.flatnonzero(~sub.any(axis=0))]
        if not top:
            raise ValueError("dominance relation has a cycle")
        tiers.append(top)
        chosen = set(top)
        remaining = [a for a in remaining if a not in chosen]
    return tiers
