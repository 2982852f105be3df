"""Category-expert ensembles (SoCE) of a run's candidates: the maths in `soce`, the run-folder
step in `build`. Candidates are solutions, not weights, so the soup averages their predictions."""

from airlab.ensemble.soce import (
    Ensemble,
    EnsembleError,
    category_scores,
    cluster_categories,
    combine,
    soup_of_category_experts,
)

__all__ = [
    "Ensemble",
    "EnsembleError",
    "category_scores",
    "cluster_categories",
    "combine",
    "soup_of_category_experts",
]
