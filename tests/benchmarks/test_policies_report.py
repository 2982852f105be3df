"""The policy benchmark's scoring of searches: curves and the statement of where airlab loses."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from policies_report import (
    TaskMetric,
    best_found,
    curves,
    found_or_chosen,
    repeat_share,
    where_airlab_loses,
)


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
    assert any("nowhere on the median" in line for line in lines)


def test_a_peers_best_seed_beating_every_policy_is_stated():
    summary = {
        "t": {"mcts": _row("mcts", [0.8, 0.8]), "tpe": _row("Optuna TPE", [0.5, 0.95])},
    }
    lines = where_airlab_loses(summary, {"t": TaskMetric("m", True)})
    assert any("best seed: Optuna TPE (0.9500)" in line for line in lines)


def _found_row(label, finals, found):
    return {**_row(label, finals), "found": np.array(found, dtype=float)}


@pytest.mark.parametrize("maximize", [True, False])
def test_a_loss_says_whether_the_policies_found_a_better_candidate(maximize):
    sign = 1 if maximize else -1
    peer = _found_row("Optuna TPE", [sign * 0.7], [sign * 0.75])
    found = {"t": {"greedy": _found_row("greedy", [sign * 0.6], [sign * 0.8]), "tpe": peer}}
    missed = {"t": {"greedy": _found_row("greedy", [sign * 0.6], [sign * 0.65]), "tpe": peer}}
    level = {"t": {"greedy": _found_row("greedy", [sign * 0.7], [sign * 0.7]), "tpe": peer}}
    metrics = {"t": TaskMetric("m", maximize)}
    (line,) = [x for x in found_or_chosen(found, metrics) if x.startswith("- t")]
    assert line.startswith("- t: found, not chosen") and "greedy" in line
    (line,) = [x for x in found_or_chosen(missed, metrics) if x.startswith("- t")]
    assert line.startswith("- t: not found")
    assert found_or_chosen(level, metrics)[-1].startswith("- nowhere")


def test_best_found_is_the_best_test_score_among_the_candidates():
    result = {"nodes": [_node(0, 0.5, test=0.4), _node(1, None), _node(2, 0.8, test=0.7)]}
    result["nodes"][1]["test_score"] = None
    assert best_found(result, maximize=True) == 0.7
    assert best_found(result, maximize=False) == 0.4
    assert np.isnan(best_found({"nodes": [result["nodes"][1]]}, maximize=True))


def test_repeat_share_counts_scripts_the_search_already_ran():
    nodes = [_node(i, 0.5) | {"code_sha256": digest} for i, digest in enumerate("aabca")]
    assert repeat_share({"method": "greedy", "nodes": nodes}) == pytest.approx(2 / 5)
    assert np.isnan(repeat_share({"method": "tpe", "nodes": nodes}))  # a trial keeps no script
    assert np.isnan(repeat_share({"method": "greedy", "nodes": [_node(0, 0.5)]}))  # no digests


def test_a_method_is_labelled_with_what_its_searches_set_beyond_the_table():
    from policies_report import _label

    plain = {"operators": "aide", "operator_options": {}, "jump_rate": 0.0, "tune_rate": 0.0}
    assert _label("greedy", plain) == "greedy (aide)"
    assert _label("greedy", {"operators": "aide"}) == "greedy (aide)"  # results before -P
    tuned = plain | {"policy_params": {"patience": 5}, "operator_options": {"memory": True},
                     "jump_rate": 0.3}  # fmt: skip
    assert _label("greedy", tuned) == "greedy (aide; patience=5, memory=true, jump_rate=0.3)"
    assert _label("tpe", tuned) == "Optuna TPE"
