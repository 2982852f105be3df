"""Rubric discovery recovers the items an outcome was planted on, beats its baselines there, and
asks the judge only for verdicts it has not cached."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from airlab.errors import TaskError
from airlab.plans.discover import (
    Paper,
    Penalty,
    Transform,
    VerdictCache,
    discover,
    read_candidates,
    read_corpus,
)
from airlab.plans.rubric import Leaf, Rubric, RubricItem, Verdict, VerdictFailure

ITEMS = [f"The paper does thing {k}" for k in range(10)]
PLANTED = {2: 1.2, 5: 0.9, 7: 0.7}


class MarkerJudge:
    """Satisfied when the paper carries the item's marker; item 9 fails on some papers."""

    def __init__(self) -> None:
        self.asked = 0

    def judge(self, text: str, leaves: Sequence[Leaf], *, context: str = "") -> list[Verdict]:
        self.asked += len(leaves)
        out = []
        for leaf in leaves:
            k = int(leaf.text.rsplit(" ", 1)[1])
            if k == 9 and "flaky" in text:
                out.append(Verdict(item_id=leaf.id, failure=VerdictFailure.BACKEND))
            else:
                out.append(Verdict(item_id=leaf.id, value=float(f"[thing-{k}]" in text)))
        return out


def _corpus(n: int = 90, seed: int = 3) -> list[Paper]:
    rng = np.random.default_rng(seed)
    papers = []
    for i in range(n):
        has = rng.random(10) < 0.5
        filler = " ".join(["words"] * int(rng.integers(200, 2000)))
        markers = " ".join(f"[thing-{k}]" for k in range(10) if has[k])
        flaky = " flaky" if i % 7 == 0 else ""
        signal = 0.5 + sum(w for k, w in PLANTED.items() if has[k]) + rng.normal(0, 0.2)
        citations = float(np.rint(np.expm1(signal)))  # a count: discovery takes log1p
        papers.append(Paper(key=str(i), text=f"{filler} {markers}{flaky}", outcome=citations))
    return papers


def _candidates() -> Rubric:
    return Rubric(items=[RubricItem(text=t, category="c") for t in ITEMS])


@pytest.mark.slow  # a few seconds under load (nested cross-validation, twice)
@pytest.mark.parametrize("penalty", [Penalty.L1, Penalty.L2])
def test_planted_items_are_recovered_and_beat_the_baselines(penalty: Penalty) -> None:
    report, rubric = discover(_corpus(), _candidates(), MarkerJudge(), penalty=penalty)
    top = {w.text for w in report.weights[:3]}
    assert top == {ITEMS[k] for k in PLANTED}
    assert report.transform is Transform.LOG1P
    errors = report.cv_rmse
    assert errors["model"] < 0.6 * min(errors["length_only"], errors["uniform_weight"])
    assert errors["model"] < 0.6 * errors["constant"]
    assert rubric is not None
    texts = [item.text for item in rubric.items]
    assert set(texts[:3]) == top and rubric.items[0].category == "c"
    if penalty is Penalty.L1:  # the lasso keeps the noise items (near) out
        planted_min = min(w.coefficient for w in report.weights[:3])
        assert all(w.coefficient < 0.15 * planted_min for w in report.weights[3:])
    assert report.failed_verdicts == len([i for i in range(90) if i % 7 == 0])


def test_a_permuted_outcome_finds_nothing_better_than_the_mean() -> None:
    papers = _corpus()
    shuffled = np.random.default_rng(0).permutation([p.outcome for p in papers])
    noise = [Paper(p.key, p.text, float(y)) for p, y in zip(papers, shuffled, strict=True)]
    report, _ = discover(noise, _candidates(), MarkerJudge())
    assert report.cv_rmse["model"] > 0.9 * report.cv_rmse["constant"]


def test_verdicts_are_cached_between_runs(tmp_path: Path) -> None:
    papers = _corpus(30)
    judge = MarkerJudge()
    cache_path = tmp_path / "verdicts.json"
    first, _ = discover(papers, _candidates(), judge, cache=VerdictCache(cache_path))
    asked = judge.asked
    again, _ = discover(papers, _candidates(), judge, cache=VerdictCache(cache_path))
    # only the failed verdicts (never cached) are asked again
    assert judge.asked - asked == first.failed_verdicts
    assert again.judge_calls == len([i for i in range(30) if i % 7 == 0])
    assert again.weights == first.weights
    other = MarkerJudge()  # another judge's verdicts are not taken from this one's cache
    discover(papers, _candidates(), other, cache=VerdictCache(cache_path, judge="other"))
    assert other.asked == 30 * 10


def test_corpus_and_candidates_are_read_from_files(tmp_path: Path) -> None:
    (tmp_path / "papers").mkdir()
    rows = ["path,citations"]
    for i in range(12):
        (tmp_path / "papers" / f"p{i}.md").write_text(f"paper {i}")
        rows.append(f"papers/p{i}.md,{i}")
    (tmp_path / "corpus.csv").write_text("\n".join(rows))
    papers = read_corpus(tmp_path / "corpus.csv", "citations")
    assert papers[3].text == "paper 3" and papers[3].outcome == 3
    with pytest.raises(TaskError, match="no outcome column 'cites'"):
        read_corpus(tmp_path / "corpus.csv", "cites")
    (tmp_path / "items.txt").write_text("# candidates\n- uses seeds\n- has ablations\n\n")
    assert [leaf.text for leaf in read_candidates(tmp_path / "items.txt").leaves()] == [
        "uses seeds",
        "has ablations",
    ]
    (tmp_path / "bad.csv").write_text("text,citations\n" + "a,many\n" * 12)
    with pytest.raises(TaskError, match="row 1: outcome 'citations' is not a number"):
        read_corpus(tmp_path / "bad.csv", "citations")
