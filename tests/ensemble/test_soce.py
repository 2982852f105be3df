"""SoCE on planted candidates: three experts, each best on a different target, a biased
generalist, and the mixture must pick each target's expert, weigh the strongest most, and beat
the uniform soup and the best single candidate on `select`, without reading select or test."""

from __future__ import annotations

import pandas as pd
import pytest

from airlab.ensemble import EnsembleError, cluster_categories, combine, soup_of_category_experts
from airlab.grading.grader import Grader
from airlab.tasks.bundled import resolve_task


def _select(grader, frame):
    grade = grader.grade(frame, ("select",))
    assert grade.valid, grade.reason
    return grade.scores["select"]


def test_experts_are_the_planted_ones_and_weighted_by_strength(grader, candidates):
    soup = soup_of_category_experts(grader, candidates)
    assert soup.expert_of == {"y1": "e1", "y2": "e2", "y3": "e3"}
    weights = soup.weight_of()
    assert "gen" not in weights
    assert weights["e1"] > weights["e2"] and weights["e1"] > weights["e3"]
    assert pytest.approx(sum(weights.values())) == 1.0


def test_soup_beats_uniform_soup_and_best_single_on_select(grader, candidates):
    soup = soup_of_category_experts(grader, candidates)
    mixed = _select(grader, combine(grader, [candidates[k] for k in soup.experts], soup.weights))
    frames = list(candidates.values())
    uniform = _select(grader, combine(grader, frames, [1.0] * len(frames)))
    single = min(_select(grader, combine(grader, [frame], [1.0])) for frame in frames)
    assert mixed < uniform and mixed < single  # rmse: lower is better


def test_weights_never_read_select_or_test_answers(grader, candidates):
    before = soup_of_category_experts(grader, candidates)
    hidden = grader.rows("select").append(grader.rows("test"))
    saved = grader._truth.loc[hidden].copy()
    try:
        grader._truth.loc[hidden] = 1e6  # poisoned: any use would change the weights
        after = soup_of_category_experts(grader, candidates)
    finally:
        grader._truth.loc[hidden] = saved
    assert after == before


def test_one_candidate_is_no_ensemble(grader, candidates):
    with pytest.raises(EnsembleError, match="two valid candidates"):
        soup_of_category_experts(grader, {"e1": candidates["e1"]})


def test_categories_group_by_correlated_scores():
    # a and b rise and fall together over the candidates; c runs against them
    scores = pd.DataFrame(
        {"a": [0.9, 0.5, 0.1], "b": [0.8, 0.6, 0.2], "c": [0.1, 0.5, 0.9]}, index=["x", "y", "z"]
    )
    assert cluster_categories(scores, threshold=0.5) == [["a", "b"], ["c"]]


def test_labels_mix_by_weighted_vote(tmp_path):
    from airlab.testing.tasks import write_tiny_task

    grader = Grader(resolve_task(write_tiny_task(tmp_path / "tiny")))
    ids = grader.task.read_answers()["id"].astype(str)
    ones, zeros = (pd.DataFrame({"y": [v] * len(ids)}, index=ids) for v in ("1", "0"))
    assert set(combine(grader, [ones, zeros, zeros], [0.6, 0.2, 0.2])["y"]) == {"1"}
    assert set(combine(grader, [ones, zeros, zeros], [0.4, 0.3, 0.3])["y"]) == {"0"}
    assert set(combine(grader, [ones, zeros], [0.5, 0.5])["y"]) == {"1"}  # tie: the earlier
