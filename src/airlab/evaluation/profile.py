"""Preference profiles: every task is a voter that ranks the agents.

Voting-as-Evaluation (Lanctot et al., arXiv 2312.03121) treats each task as a voter whose ballot
ranks the agents by their score on it; every ranking method in `airlab.evaluation.ranking` reads
that profile, most of them only through the pairwise matrix

    N[a, b] = total weight of the voters that rank a strictly above b,

and the margins `M = N − Nᵀ`.

Representation. A profile is a utility matrix `U` (voters × agents, higher is better) plus a weight
per voter. Equal utilities are ties; NaN means the voter did not rank the agent (a *partial*
ballot, e.g. an agent that never ran on that task). Partial ballots follow pref_voting's
`ProfileWithTies` convention: a voter counts in `N[a, b]` only if it ranked both `a` and `b`; it
says nothing about pairs it did not rank. Pairs nobody compared have `N[a, b] = N[b, a] = 0`, i.e.
a zero margin, which every margin-based rule treats as a pairwise tie.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from airlab.evaluation.errors import EvaluationError

InvalidRule = Literal["worst", "last", "drop"]
SeedAggregate = Literal["mean", "median"]

# Per-voter pairwise indicator matrices are accumulated one voter at a time: for m agents that
# is m² comparisons per voter and measured faster in numpy than batched broadcasting.


class Profile:
    """Ballots of weighted voters over a fixed list of agents.

    `utilities[v, a]` is voter v's utility for agent a (higher is preferred, equal is a tie, NaN is
    unranked); `weights[v]` how many voters cast that ballot (PrefLib counts, or 1 per task).
    """

    def __init__(
        self,
        agents: Sequence[str],
        utilities: np.ndarray,
        weights: np.ndarray | Sequence[float] | None = None,
        voters: Sequence[str] | None = None,
    ) -> None:
        agents = tuple(str(a) for a in agents)
        if len(set(agents)) != len(agents):
            raise EvaluationError("profile: agent names must be unique")
        u = np.array(utilities, dtype=np.float64, copy=True)
        if u.ndim != 2 or u.shape[1] != len(agents):
            raise EvaluationError(
                f"profile: utilities must have shape (voters, {len(agents)}), got {u.shape}"
            )
        w = np.ones(u.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (u.shape[0],) or np.any(w < 0) or not np.all(np.isfinite(w)):
            raise EvaluationError("profile: weights must be one finite, non-negative value a voter")
        if voters is None:
            voters = tuple(f"voter{i}" for i in range(u.shape[0]))
        voters = tuple(str(v) for v in voters)
        if len(voters) != u.shape[0]:
            raise EvaluationError("profile: one voter name a row of utilities")
        self.agents: tuple[str, ...] = agents
        self.voters: tuple[str, ...] = voters
        self.utilities: np.ndarray = u
        self.weights: np.ndarray = w
        self._pairwise: np.ndarray | None = None
        self._compared: np.ndarray | None = None

    # ----------------------------------------------------------------- construction helpers
    @classmethod
    def from_ballots(
        cls,
        ballots: Sequence[Sequence[object]],
        counts: Sequence[float] | None = None,
        agents: Sequence[str] | None = None,
    ) -> Profile:
        """Build a profile from ordered ballots, best first.

        Each ballot is a sequence whose items are an agent or a collection (tuple, list, set) of
        agents tied at that position; agents absent from a ballot are unranked by it. A string
        ballot such as `"ABC"` is read as single-character agents, handy for textbook profiles.
        `agents` fixes the agent order (default: sorted names seen in the ballots).
        """
        groups: list[list[list[str]]] = []
        seen: set[str] = set()
        for ballot in ballots:
            positions: list[list[str]] = []
            for item in ballot:
                if isinstance(item, str):
                    tier = [item]
                elif isinstance(item, Iterable):
                    tier = [str(x) for x in item]
                else:
                    tier = [str(item)]
                positions.append(tier)
                seen.update(tier)
            groups.append(positions)
        names = tuple(agents) if agents is not None else tuple(sorted(seen))
        index = {a: i for i, a in enumerate(names)}
        u = np.full((len(groups), len(names)), np.nan)
        for v, positions in enumerate(groups):
            for depth, tier in enumerate(positions):
                for a in tier:
                    if a not in index:
                        raise EvaluationError(f"ballot {v + 1}: unknown agent {a!r}")
                    if not np.isnan(u[v, index[a]]):
                        raise EvaluationError(f"ballot {v + 1}: agent {a!r} appears twice")
                    u[v, index[a]] = -float(depth)
        return cls(names, u, counts)

    # ----------------------------------------------------------------- sizes
    @property
    def n_agents(self) -> int:
        return len(self.agents)

    @property
    def n_voters(self) -> int:
        """Number of ballots (rows); see `total_weight` for the number of voters they stand for."""
        return self.utilities.shape[0]

    @property
    def total_weight(self) -> float:
        return float(self.weights.sum())

    def ranked_mask(self) -> np.ndarray:
        """Boolean (voters × agents): which agents each ballot ranks."""
        return ~np.isnan(self.utilities)

    def coverage(self) -> np.ndarray:
        """Total weight of the voters that rank each agent (tasks covered, for task voters)."""
        return self.ranked_mask().astype(np.float64).T @ self.weights

    # ----------------------------------------------------------------- pairwise statistics
    def pairwise(self) -> np.ndarray:
        """N[a, b]: total weight of voters ranking a strictly above b (both ranked)."""
        if self._pairwise is None:
            self._pairwise = pairwise_matrix(self.utilities, self.weights)
        return self._pairwise

    def compared(self) -> np.ndarray:
        """C[a, b]: total weight of voters ranking both a and b (C[a, a] = coverage of a)."""
        if self._compared is None:
            mask = self.ranked_mask().astype(np.float64)
            self._compared = (mask * self.weights[:, None]).T @ mask
        return self._compared

    def ties(self) -> np.ndarray:
        """T[a, b]: total weight of voters ranking a and b equal (zero on the diagonal)."""
        n = self.pairwise()
        t = self.compared() - n - n.T
        np.fill_diagonal(t, 0.0)
        return np.maximum(t, 0.0)

    def margins(self) -> np.ndarray:
        """M = N − Nᵀ, the antisymmetric majority-margin matrix."""
        n = self.pairwise()
        return n - n.T

    def condorcet_winner(self) -> str | None:
        """The agent with a positive margin over every other agent, if there is one."""
        m = self.margins()
        beats = (m > 0).sum(axis=1)
        winners = np.flatnonzero(beats == self.n_agents - 1)
        return self.agents[int(winners[0])] if len(winners) else None

    def weak_condorcet_winners(self) -> list[str]:
        """Agents with a non-negative margin over every other agent."""
        m = self.margins()
        return [a for a, row in zip(self.agents, m, strict=True) if np.all(row >= 0)]

    # ----------------------------------------------------------------- derived profiles
    def reweighted(self, weights: np.ndarray) -> Profile:
        """Same ballots, new weights (the bootstrap over voters uses this)."""
        return Profile(self.agents, self.utilities, weights, self.voters)

    def restricted(self, agents: Sequence[str]) -> Profile:
        """The profile restricted to `agents` (in that order); ballots keep their weights."""
        index = {a: i for i, a in enumerate(self.agents)}
        try:
            cols = [index[a] for a in agents]
        except KeyError as exc:
            raise EvaluationError(f"profile has no agent {exc.args[0]!r}") from None
        return Profile(list(agents), self.utilities[:, cols], self.weights, self.voters)

    def dense_ranks(self) -> np.ndarray:
        """Position of each agent on each ballot: 0 for the top tier, NaN for unranked."""
        out = np.full(self.utilities.shape, np.nan)
        for v, row in enumerate(self.utilities):
            ok = ~np.isnan(row)
            if ok.any():
                _, inv = np.unique(-row[ok], return_inverse=True)
                out[v, ok] = inv
        return out

    def __repr__(self) -> str:
        return (
            f"Profile({self.n_agents} agents, {self.n_voters} ballots, "
            f"weight {self.total_weight:g})"
        )


def pairwise_matrix(utilities: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """N[a, b] = Σ_v w_v · [u_va > u_vb], skipping pairs a voter did not rank (NaN compares false).

    Cost is O(voters · agents²), one comparison matrix per voter into a reused buffer; unit
    weights are counted in a uint8 accumulator flushed every 255 voters (memory traffic is the
    bottleneck). 10,000 voters × 1,000 agents take about 6-10 s on one core.
    """
    u = np.asarray(utilities, dtype=np.float64)
    n_voters, m = u.shape
    w = np.ones(n_voters) if weights is None else np.asarray(weights, dtype=np.float64)
    buf = np.empty((m, m), dtype=bool)
    live = np.flatnonzero(w != 0)
    if np.all(w[live] == 1.0):
        acc = np.zeros((m, m), dtype=np.int64)
        small = np.zeros((m, m), dtype=np.uint8)
        for count, v in enumerate(live, 1):
            row = u[v]
            np.greater(row[:, None], row[None, :], out=buf)
            small += buf.view(np.uint8)
            if count % 255 == 0:
                acc += small
                small[:] = 0
        acc += small
        return acc.astype(np.float64)
    acc_f = np.zeros((m, m), dtype=np.float64)
    for v in live:
        row = u[v]
        np.greater(row[:, None], row[None, :], out=buf)
        acc_f += w[v] * buf
    return acc_f


def replicate_pairwise(
    utilities: np.ndarray, weight_matrix: np.ndarray, max_stack: int = 4_000_000
) -> np.ndarray:
    """N for many weightings of the same ballots at once: (B × m × m) for weights (B × voters).

    With few voters the per-voter indicator matrices are stacked once and every N is one matrix
    product; otherwise each N is recomputed.
    """
    u = np.asarray(utilities, dtype=np.float64)
    wm = np.atleast_2d(np.asarray(weight_matrix, dtype=np.float64))
    n_voters, m = u.shape
    if n_voters * m * m <= max_stack:
        stack = (u[:, :, None] > u[:, None, :]).reshape(n_voters, m * m).astype(np.float64)
        return (wm @ stack).reshape(len(wm), m, m)
    return np.stack([pairwise_matrix(u, w) for w in wm])


def oriented(scores: np.ndarray | pd.Series, directions: np.ndarray | pd.Series) -> np.ndarray:
    """Direction-aware scores: the score when higher is better, its negation when lower is."""
    s = np.asarray(scores, dtype=np.float64)
    d = np.asarray(directions).astype(str)
    bad = ~np.isin(d, ["maximize", "minimize"])
    if bad.any():
        raise EvaluationError(f"direction must be maximize or minimize, got {d[bad][0]!r}")
    return np.where(d == "minimize", -s, s)


def profile_from_table(
    table: pd.DataFrame,
    *,
    invalid: InvalidRule = "worst",
    aggregate: SeedAggregate = "mean",
    score_column: str = "score",
) -> Profile:
    """Turn a long table of runs into a profile with one voter per task.

    Columns: `agent`, `task`, `score` (raw), and optionally `seed`, `direction` (maximize |
    minimize; default maximize) and `valid` (bool; default: score is not NaN).

    Each run's score is first made direction-aware (higher is better). A run without a valid
    submission is handled by `invalid`:

    - `"worst"` (default): it gets the worst valid direction-aware score seen on that task, so it
      ties with the worst valid run and is never above it; a task with no valid run ties everyone;
    - `"last"`: it gets −∞, strictly below every valid run (averaged over seeds, one such run
      puts the agent last on the task, tied with the other agents that failed);
    - `"drop"`: it is ignored; an agent left with no run on a task is unranked there (partial).

    The voter's utility for an agent is then the mean (or median) over that agent's seeds on the
    task. Agents with no run on a task are unranked by it.
    """
    required = {"agent", "task", score_column}
    missing = required - set(table.columns)
    if missing:
        raise EvaluationError(f"runs table lacks column(s): {', '.join(sorted(missing))}")
    if invalid not in ("worst", "last", "drop"):
        raise EvaluationError(f"invalid must be worst, last or drop, got {invalid!r}")
    if aggregate not in ("mean", "median"):
        raise EvaluationError(f"aggregate must be mean or median, got {aggregate!r}")
    df = pd.DataFrame(
        {
            "agent": table["agent"].astype(str),
            "task": table["task"].astype(str),
            "score": pd.to_numeric(table[score_column], errors="coerce").astype(float),
        }
    )
    directions = table["direction"] if "direction" in table.columns else "maximize"
    df["direction"] = directions
    df["utility"] = oriented(df["score"].to_numpy(), df["direction"].to_numpy())
    valid = np.isfinite(df["score"].to_numpy())
    if "valid" in table.columns:
        valid &= table["valid"].fillna(False).astype(bool).to_numpy()
    df["valid"] = valid
    if invalid == "drop":
        df = df[df["valid"]]
    elif invalid == "last":
        df.loc[~df["valid"], "utility"] = -np.inf
    else:
        worst = df[df["valid"]].groupby("task")["utility"].min()
        fill = df["task"].map(worst).fillna(0.0)
        df.loc[~df["valid"], "utility"] = fill[~df["valid"]]
        # a task without any valid run: everyone ties
        no_valid = ~df["task"].isin(worst.index)
        df.loc[no_valid, "utility"] = 0.0
    agents = sorted(pd.unique(table["agent"].astype(str)))
    tasks = sorted(pd.unique(table["task"].astype(str)))
    if not agents or not tasks:
        raise EvaluationError("runs table is empty: nothing to rank")
    grouped = df.groupby(["task", "agent"])["utility"]
    agg = grouped.mean() if aggregate == "mean" else grouped.median()
    wide = agg.unstack("agent").reindex(index=tasks, columns=agents)
    return Profile(agents, wide.to_numpy(dtype=np.float64), None, tasks)
