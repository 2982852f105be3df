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


def _stub(values, kind):
    """What `categories` reads of a grader: the search split's answers and the metric's kind."""
    from types import SimpleNamespace

    truth = pd.DataFrame({"y": values}, index=[str(i) for i in range(len(values))])
    return SimpleNamespace(
        truth=lambda split: truth, segments=lambda split: None, metric=SimpleNamespace(kind=kind)
    )


def test_categories_of_a_few_distinct_values_are_bins_with_rows():
    """A forecast of 12 rows has 12 distinct values: those were 12 categories matched to no row
    (floats against their names), so every category score was NaN; values get quartile bins."""
    from airlab.ensemble.soce import categories

    sunspots = categories(Grader(resolve_task("sunspots")))
    assert len(sunspots) == 4 and all(len(c.rows) >= 2 for c in sunspots.values())
    ratings = categories(_stub([1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0], "value"))
    assert sum(len(c.rows) for c in ratings.values()) == 8 and len(ratings) <= 4


def test_many_classes_keep_the_frequent_ones_and_pool_the_rest():
    """99 species (leaf-classification): no crash reading labels as numbers; the 19 most
    frequent classes are categories, the rest one pooled category; every row counted once."""
    from airlab.ensemble.soce import MAX_CLASSES, categories

    labels = [f"species {i}" for i in range(99) for _ in range(1 + (i < 19))]
    groups = categories(_stub(labels, "label"))
    assert len(groups) == MAX_CLASSES and "other classes" in groups
    assert all(len(groups[f"class species {i}"].rows) == 2 for i in range(19))
    assert sum(len(c.rows) for c in groups.values()) == len(labels)
    digits = categories(Grader(resolve_task("digits")))
    assert sorted(digits) == [f"class {d}" for d in range(10)]
    assert all(len(c.rows) for c in digits.values())
