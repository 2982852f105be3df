"""The policy benchmark's scoring of searches: curves and the statement of where airlab loses."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from policies_report import TaskMetric, curves, where_airlab_loses


def _node(node_id, search, select=None, test=None):
    status = "good" if search is not None else "buggy"
    return {
        "id": node_id,
        "operator": "draft",
        "status": status,
        "search_score": search,
        "select_score": select if select is not None else search,
        "test_score": test if test is not None else search,
    }


def test_curves_track_the_best_search_score_and_the_final_choice():
    result = {"nodes": [_node(0, 0.5), _node(1, None), _node(2, 0.8, test=0.7), _node(3, 0.6)]}
    best, test = curves(result, maximize=True)
    assert best.tolist() == [0.5, 0.5, 0.8, 0.8]
    assert test.tolist() == [0.5, 0.5, 0.7, 0.7]
    lower, _ = curves(result, maximize=False)
    assert lower.tolist() == [0.5, 0.5, 0.5, 0.5]


def _row(label, finals):
    values = np.array([[np.nan, final] for final in finals])
    return {"label": label, "best": values, "test": values}


@pytest.mark.parametrize("maximize", [True, False])
def test_where_airlab_loses_names_each_beaten_policy(maximize):
    good, bad = (0.9, 0.5) if maximize else (0.5, 0.9)
    summary = {
        "t": {
            "mcts": _row("mcts (aide)", [good, good]),
            "greedy": _row("greedy (aide)", [bad, bad]),
            "tpe": _row("Optuna TPE", [0.7, 0.7]),
        }
    }
    lines = where_airlab_loses(summary, {"t": TaskMetric("m", maximize)})
    losses = [line for line in lines if line.startswith("- t,")]
    assert len(losses) == 2  # test and best search score
    assert all("greedy (aide)" in line and "mcts" not in line for line in losses)
    assert all("every airlab policy" not in line for line in losses)


def test_says_so_when_airlab_loses_nowhere():
    summary = {"t": {"mcts": _row("mcts", [0.9]), "random": _row("random search", [0.5])}}
    lines = where_airlab_loses(summary, {"t": TaskMetric("m", True)})
    assert any("nowhere at this size" in line for line in lines)
