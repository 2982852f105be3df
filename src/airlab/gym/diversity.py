"""Code embeddings and ExIt's diversity bonus on group advantages.

`Embedder` is the interface: texts in, one row per text out (any dimension). The default,
`hashed_code_embedding`, needs no model and no network: a hashing vectoriser (scikit-learn) over
code tokens (identifiers, numbers, single symbols) and token bigrams, L2-normalised. It is
stateless and deterministic (the same text embeds the same in every process), so a run's
bonuses can be recomputed. A real embedding model plugs in as any callable of the same shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Embedder = Callable[[Sequence[str]], np.ndarray]
"""Texts → an (n, d) array of embeddings."""

CODE_TOKENS = r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[^\sA-Za-z0-9_]"
"""Identifiers, numbers and single symbols: what distinguishes two scripts."""


def hashed_code_embedding(texts: Sequence[str], n_features: int = 2**14) -> np.ndarray:
    """Token unigrams and bigrams of each text, hashed into `n_features` (L2-normalised)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    vectoriser = HashingVectorizer(
        token_pattern=CODE_TOKENS,
        lowercase=False,
        ngram_range=(1, 2),
        n_features=n_features,
        alternate_sign=False,
        norm="l2",
    )
    return vectoriser.transform([t or "" for t in texts]).toarray()


def centroid_distances(embeddings: np.ndarray) -> np.ndarray:
    """Each row's Euclidean distance to the rows' mean, divided by the largest (in [0, 1];
    all zero when every row is the same)."""
    rows = np.asarray(embeddings, dtype=float)
    distances = np.linalg.norm(rows - rows.mean(axis=0), axis=1)
    top = float(distances.max()) if len(distances) else 0.0
    return distances / top if top > 0 else np.zeros(len(rows))


def diversity_bonus(
    advantages: np.ndarray, texts: Sequence[str], weight: float, embed: Embedder | None = None
) -> np.ndarray:
    """ExIt's multiplicative diversity bonus: a positive advantage is multiplied by
    1 + weight · d, d its answer's normalised distance from the group's centroid; negative
    ones are left as they are (so a divergent failure is not punished harder)."""
    advantages = np.asarray(advantages, dtype=float)
    if weight == 0 or len(texts) < 2:
        return advantages
    distances = centroid_distances((embed or hashed_code_embedding)(texts))
    factor = np.where(advantages > 0, 1.0 + weight * distances, 1.0)
    return advantages * factor
