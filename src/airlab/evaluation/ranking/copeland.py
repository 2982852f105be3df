"""Copeland: count pairwise majority wins.

Score(a) = #{b : M(a, b) > 0} + ½ · #{b ≠ a : M(a, b) = 0}  (Copeland with ties worth ½, the
"Copeland^½" of Faliszewski et al.). It orders agents exactly as pref_voting's default
wins − losses. A pair no voter compared has a zero margin and counts as a pairwise tie.
"""

from __future__ import annotations

from airlab.evaluation.profile import Profile
from airlab.evaluation.ranking.base import Ranking, make_ranking, register


@register("copeland")
def copeland(profile: Profile) -> Ranking:
    """Rank agents by their number of pairwise majority wins (ties ½)."""
    m = profile.margins()
    wins = (m > 0).sum(axis=1)
    draws = (m == 0).sum(axis=1) - 1  # the diagonal is a zero margin with oneself
    scores = wins + 0.5 * draws
    return make_ranking(
        "copeland", profile, scores, wins=wins.astype(int), losses=(m < 0).sum(axis=1).astype(int)
    )
