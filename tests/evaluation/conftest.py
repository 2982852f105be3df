"""Textbook profiles with published results, and fake run folders for the CLI tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from airlab.evaluation.profile import Profile

# Wikipedia, "Schulze method", worked example: 45 voters, 5 candidates.
SCHULZE_BALLOTS = [
    ("ACBED", 5),
    ("ADECB", 5),
    ("BEDAC", 8),
    ("CABED", 3),
    ("CAEBD", 7),
    ("CBADE", 2),
    ("DCEBA", 7),
    ("EBADC", 8),
]

# Wikipedia, "Ranked pairs" / "Condorcet method": where should Tennessee's capital be?
# 42% Memphis, 26% Nashville, 15% Chattanooga, 17% Knoxville (ballots in per cent).
TENNESSEE_BALLOTS = [
    (["Memphis", "Nashville", "Chattanooga", "Knoxville"], 42),
    (["Nashville", "Chattanooga", "Knoxville", "Memphis"], 26),
    (["Chattanooga", "Knoxville", "Nashville", "Memphis"], 15),
    (["Knoxville", "Chattanooga", "Nashville", "Memphis"], 17),
]


def profile_of(ballots: list[tuple[Any, float]]) -> Profile:
    return Profile.from_ballots([b for b, _ in ballots], [c for _, c in ballots])


@pytest.fixture
def schulze_profile() -> Profile:
    return profile_of(SCHULZE_BALLOTS)


@pytest.fixture
def tennessee() -> Profile:
    return profile_of(TENNESSEE_BALLOTS)


@pytest.fixture
def elo_vs_condorcet() -> Profile:
    """2 × A>B>C and 3 × C>A>B: C beats A and B 3:2, but A has the most pairwise wins."""
    return profile_of([("ABC", 2), ("CAB", 3)])


@pytest.fixture
def cycle() -> Profile:
    """A Condorcet cycle with equal margins: A>B>C, B>C>A, C>A>B."""
    return profile_of([("ABC", 1), ("BCA", 1), ("CAB", 1)])


RunFactory = Callable[..., Path]


@pytest.fixture
def write_run(tmp_path: Path) -> RunFactory:
    """Write a run folder with a result.json; keyword arguments override fields."""

    def build(agent: str, task: str, seed: int, test: float | None, **fields: Any) -> Path:
        folder = tmp_path / "runs" / agent.replace("/", "_") / task / f"seed{seed}"
        folder.mkdir(parents=True, exist_ok=True)
        result = {
            "run_id": f"{agent}-{task}-{seed}",
            "agent": agent,
            "task": task,
            "seed": seed,
            "policy": agent.split("/")[0],
            "backend": "templates",
            "metric": "accuracy",
            "direction": "maximize",
            "status": "complete",
            "final_node": 4,
            "scores": {"search": test, "select": test, "test": test},
            "valid_submission": test is not None,
            "baseline": 0.5,
            "reference": 0.9,
            "optimal": 1.0,
            "leaderboard": list(np.linspace(0.4, 0.95, 50)),
            "nodes": 10,
            "buggy_nodes": 1,
            "elapsed_s": 12.5,
            "tokens_in": 100,
            "tokens_out": 50,
            "cost_usd": 0.01,
            "draft_families": ["gbdt", "linear", "svm"],
            "some_future_key": {"ignored": True},
        }
        result.update(fields)
        (folder / "result.json").write_text(json.dumps(result))
        return folder

    return build
