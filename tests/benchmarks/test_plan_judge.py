"""The judge-agreement benchmark's own parts: the hand labels cover whole rubrics of bundled
goals, and agreement is computed the way its table says (failures left out and counted,
kappa 0 for a constant judge, 1 for a perfect one)."""

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import plan_judge
from plan_judge import (
    LABELS,
    AlwaysSatisfied,
    SearchRow,
    agreement,
    decide,
    kappa,
    load_labels,
    paired_difference,
    pairs_of,
)

from airlab.plans.rubric import Leaf, Verdict, VerdictFailure
from airlab.tasks.bundled import resolve_task


def test_the_labels_cover_at_least_forty_pairs_and_every_leaf_of_each_rubric():
    labels = load_labels()
    pairs = pairs_of(labels)
    assert len(pairs) >= 40
    share = sum(p.satisfied for p in pairs) / len(pairs)
    assert 0.3 < share < 0.7  # both answers common enough for kappa to mean something
    for labelled in labels.plans:
        assert (LABELS.parent / "plans" / labelled.plan).is_file()
        leaves = {leaf.id for leaf in resolve_task(labelled.task).rubric.leaves()}
        assert set(labelled.labels) == leaves, labelled.plan


def test_kappa_is_one_for_agreement_minus_one_for_opposition_and_zero_for_a_constant():
    truth = np.array([1, 0, 1, 0, 1], dtype=bool)
    assert kappa(truth, truth) == pytest.approx(1.0)
    assert kappa(truth, ~truth) < -0.9
    assert kappa(truth, np.ones(5, dtype=bool)) == pytest.approx(0.0)


class _FromLabels:
    """A judge that answers from the hand labels, failing on chosen items."""

    def __init__(self, failing: frozenset[str], flip: frozenset[str] = frozenset()) -> None:
        labels = load_labels()
        self.truth = {(p.plan, p.item): p.satisfied for p in pairs_of(labels)}
        self.plans = {(LABELS.parent / "plans" / p.plan).read_text(): p.plan for p in labels.plans}
        self.failing, self.flip = failing, flip

    def judge(self, text: str, leaves: Sequence[Leaf], *, context: str = "") -> list[Verdict]:
        plan = self.plans[text]
        out = []
        for leaf in leaves:
            if leaf.id in self.failing:
                out.append(Verdict(item_id=leaf.id, failure=VerdictFailure.MALFORMED))
                continue
            value = self.truth[(plan, leaf.id)] != (leaf.id in self.flip)
            out.append(Verdict(item_id=leaf.id, value=float(value)))
        return out


def test_failed_verdicts_are_counted_and_left_out_of_the_rates():
    labels = load_labels()
    pairs = pairs_of(labels)
    verdicts = decide(_FromLabels(failing=frozenset({"1"})), labels, LABELS.parent)
    result = agreement("labels", pairs, verdicts, n_boot=200)
    assert result.failures == len(labels.plans)  # item 1 of every plan
    assert result.decided == len(pairs) - len(labels.plans)
    assert result.accuracy == 1.0 and result.kappa == pytest.approx(1.0)
    assert result.precision == 1.0 and result.recall == 1.0

    flipped = agreement(
        "flipped",
        pairs,
        decide(_FromLabels(frozenset(), flip=frozenset({"2"})), labels, LABELS.parent),
    )
    assert flipped.accuracy == pytest.approx(1 - len(labels.plans) / len(pairs))
    low, high = flipped.accuracy_ci
    assert low <= flipped.accuracy <= high


def test_the_always_satisfied_baseline_scores_the_share_of_satisfied_pairs_and_kappa_zero():
    labels = load_labels()
    pairs = pairs_of(labels)
    result = agreement("base", pairs, decide(AlwaysSatisfied(), labels, LABELS.parent))
    assert result.accuracy == pytest.approx(sum(p.satisfied for p in pairs) / len(pairs))
    assert result.kappa == 0.0 and result.recall == 1.0


def test_the_offline_run_writes_its_decisions_and_table(tmp_path, capsys):
    assert plan_judge.main(["--out", str(tmp_path)]) == 0
    assert "offline (0/1) (all)" in capsys.readouterr().out
    assert (tmp_path / "judge_decisions.json").is_file()
    with pytest.raises(SystemExit):
        plan_judge.main(["--out", str(tmp_path), "--search", "plan-calibration"])


def test_greedy_minus_one_shot_is_paired_by_task_and_repeat():
    def row(task: str, mode: str, repeat: int, test: float | None) -> SearchRow:
        return SearchRow(task, mode, repeat, 6, 6, test, None, 0, 1.0)

    rows = [
        row("a", "greedy", 0, 0.8), row("a", "one-shot", 0, 0.5),
        row("b", "greedy", 0, 0.4), row("b", "one-shot", 0, 0.6),
        row("b", "greedy", 1, 0.9), row("b", "one-shot", 1, None),  # unscored: no pair
    ]  # fmt: skip
    text = paired_difference(rows, "greedy", "one-shot")
    assert text is not None and text.startswith("+0.050") and "over 2 pairs" in text
    assert paired_difference(rows[:1], "greedy", "one-shot") is None
