"""Rankings of agents from a profile of task-voters.

Every method is registered by name in `METHODS` and returns a `Ranking`. Methods:
`elo` (batch Bradley–Terry), `sco` and `sco_fy` (Soft Condorcet Optimization, sigmoid and
Fenchel–Young losses), `lottery` and `iterated_lottery` (maximal lotteries), `kemeny` (exact,
small m), `schulze`, `ranked_pairs`, `copeland`, `borda`, `nash` (Nash averaging).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.profile import InvalidRule, Profile, profile_from_table
from airlab.evaluation.ranking import (  # noqa: F401 - importing registers the methods
    borda,
    copeland,
    elo,
    kemeny,
    lottery,
    nash,
    ranked_pairs,
    schulze,
    sco,
)
from airlab.evaluation.ranking.base import (
    METHODS,
    Ranking,
    competition_ranks,
    make_ranking,
    register,
)
from airlab.evaluation.ranking.bootstrap import RankingCI, bootstrap_ranking, resample_weights

__all__ = [
    "METHODS",
    "Ranking",
    "RankingCI",
    "bootstrap_ranking",
    "check_options",
    "competition_ranks",
    "make_ranking",
    "method_names",
    "rank",
    "rank_all",
    "register",
    "resample_weights",
]


def method_names() -> list[str]:
    """Registered ranking methods, sorted."""
    return METHODS.names()


def check_options(method: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options `method` takes, validated against its signature; one line on a bad one."""
    params = METHODS.parse_params(method, options, owner=f"method {method!r}")
    return params.model_dump(exclude_unset=True)


def as_profile(data: Profile | pd.DataFrame, invalid: InvalidRule = "worst") -> Profile:
    """A profile as is, or one built from a long runs table (see `profile_from_table`)."""
    if isinstance(data, Profile):
        return data
    if isinstance(data, pd.DataFrame):
        return profile_from_table(data, invalid=invalid)
    raise EvaluationError(f"cannot rank a {type(data).__name__}: pass a Profile or a DataFrame")


def rank(data: Profile | pd.DataFrame, method: str = "sco", **options: Any) -> Ranking:
    """Rank agents with one registered method; `data` is a Profile or a long runs table."""
    checked = check_options(method, options)
    return METHODS.get(method)(as_profile(data), **checked)


def rank_all(data: Profile | pd.DataFrame, methods: list[str] | None = None) -> dict[str, Ranking]:
    """Every method (default: all registered) that applies; `kemeny` is skipped above its limit."""
    profile = as_profile(data)
    out: dict[str, Ranking] = {}
    for name in methods or method_names():
        if name == "kemeny" and profile.n_agents > kemeny.DEFAULT_MAX_AGENTS and methods is None:
            continue
        out[name] = rank(profile, name)
    return out
