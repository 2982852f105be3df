"""The gym benchmark's bandit: estimates shrink towards coarser contexts, so a move learned on one
model family carries over to an unseen one, and the greedy choice follows the estimates."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from gym_learning import HELD_OUT, TRAIN, MoveBandit, report, summary


def test_estimates_back_off_to_coarser_contexts():
    bandit = MoveBandit()
    for _ in range(10):
        bandit.update("classification", "linear", "family=gbdt", 1.0)
        bandit.update("classification", "linear", "pca=0.95", -1.0)
    seen, n = bandit.estimate("classification", "linear", "family=gbdt")
    unseen_family, m = bandit.estimate("classification", "knn", "family=gbdt")
    other_problem, _ = bandit.estimate("regression", "knn", "family=gbdt")
    assert (n, m) == (10, 0)
    assert seen > unseen_family > other_problem > 0
    assert bandit.estimate("classification", "knn", "pca=0.95")[0] < 0
    names = ["pca=0.95", "family=gbdt", "scaler=robust"]
    assert bandit.choose("classification", "knn", names, 2, explore=False) == [
        "family=gbdt",
        "scaler=robust",
    ]


def test_summary_and_report_tables():
    def row(method: str, rewards: list[float], failed: list[int]) -> dict:
        return {"method": method, "root": 0, "task": HELD_OUT[0], "rewards": rewards,
                "failed": failed}  # fmt: skip

    rows = [
        row("learned", [1.0, 0.0], [0, 0]),
        row("untrained", [0.0, 0.0], [0, 0]),
        row("random", [-1.0, -1.0], [1, 0]),
    ]
    result = summary(rows)
    assert result["learned"]["mean_reward"] == 0.5 and result["random"]["failed"] == 0.5
    assert result["random"]["much_worse"] == 0.5  # valid, but at the worse floor
    assert result["learned"]["best_of_group"] == 1.0
    run = {
        "train": [{"reward": float(r)} for r in np.linspace(-1, 1, 20)],
        "held_out": rows,
        "buffer": 12,
        "starts": 8,
        "seconds": 60.0,
        "rounds": 5,
        "group": 4,
        "workers": 2,
        "seed": 0,
    }
    text = report([run, {**run, "seed": 1}])
    assert f"Trained on {', '.join(TRAIN)}" in text and "seeds 0, 1" in text
    assert f"| {HELD_OUT[0]} | +0.500 | +0.000 | -1.000 |" in text
    assert f"| {HELD_OUT[1]} | – | – | – |" in text
    # one root per seed, the same difference twice: +1.5 against random, +0.5 against untrained
    assert "| learned − random | +1.500 | [+1.500, +1.500] | 2 | yes |" in text
    assert "| learned − untrained | +0.500 | [+0.500, +0.500] | 2 | yes |" in text


def test_held_out_tasks_use_other_data_sets_than_training_tasks():
    import yaml

    bundled = Path(__file__).resolve().parents[2] / "src" / "airlab" / "tasks" / "bundled"

    def source(task: str) -> str:
        return yaml.safe_load((bundled / task / "task.yaml").read_text())["source"]

    assert not {source(t) for t in TRAIN} & {source(t) for t in HELD_OUT}
