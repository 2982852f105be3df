"""Borda count from pairwise comparisons, well defined for ties and partial ballots.

On a complete strict ballot over m agents, Borda gives an agent one point per agent ranked below
it. We compute the equivalent pairwise form (a tie is worth half a point to each side):

    Borda(a) = Σ_b M(a, b) / 2 + W · (m − 1) / 2,          W = total voter weight,

which equals the classical count exactly on complete ballots (ties: half a point) and stays
neutral on partial ones: a ballot that does not rank `a` adds the mid-point (m − 1)/2, and an
unranked pair moves neither agent (the symmetric Borda score of Terzopoulou & Endriss 2021, up to
this affine map). A missing run therefore neither rewards nor punishes an agent.
"""

from __future__ import annotations

from airlab.evaluation.profile import Profile
from airlab.evaluation.ranking.base import Ranking, make_ranking, register


@register("borda")
def borda(profile: Profile) -> Ranking:
    """Rank agents by Borda score (see the module docstring for ties and partial ballots)."""
    m = profile.n_agents
    scores = profile.margins().sum(axis=1) / 2.0 + profile.total_weight * (m - 1) / 2.0
    return make_ranking("borda", profile, scores)
