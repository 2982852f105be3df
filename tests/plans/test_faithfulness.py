"""The faithfulness check rejects revisions that add results or claims, and keeps rewrites."""

from collections.abc import Sequence

from airlab.plans.faithfulness import check_faithful, numbers, summary
from airlab.plans.rubric import Leaf, Verdict, VerdictFailure

ORIGINAL = """# Sparse adapters

We train sparse adapters on 3 tasks. Accuracy rises from 71.2% to 74.0% on average.
The method needs 1,000 steps. It is simple to implement.
"""


def test_a_rewrite_with_the_same_facts_is_faithful() -> None:
    revised = (
        "# Sparse adapters\n\nOn average, accuracy rises from 71.2% to 74.0% when we train "
        "sparse adapters on 3 tasks. The method needs 1000 steps and is simple to implement.\n"
    )
    report = check_faithful(ORIGINAL, revised)
    assert report.faithful and report.added == []
    assert report.new_sentences >= 1  # rewritten, yet nothing new


def test_a_new_number_is_an_added_result() -> None:
    revised = ORIGINAL + "\nOn a fourth task accuracy reaches 80.5%.\n"
    report = check_faithful(ORIGINAL, revised)
    assert not report.faithful
    assert len(report.added) == 1 and "80.5" in report.added[0]
    assert "unfaithful" in summary(report)


def test_a_new_claim_word_is_an_added_claim() -> None:
    revised = ORIGINAL + "\nThe method outperforms every prior adapter.\n"
    report = check_faithful(ORIGINAL, revised)
    assert not report.faithful and "outperform" in report.added[0]


def test_numbers_are_compared_by_value() -> None:
    assert numbers("1,000 and 0.50 and 3") == {"1000", "0.5", "3"}


class KeywordJudge:
    """Supports a statement when its key word occurs in the original; fails on 'maybe'."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def judge(self, text: str, leaves: Sequence[Leaf], *, context: str = "") -> list[Verdict]:
        self.calls.append([leaf.text for leaf in leaves])
        out = []
        for leaf in leaves:
            if "maybe" in leaf.text:
                out.append(Verdict(item_id=leaf.id, failure=VerdictFailure.MALFORMED))
                continue
            word = leaf.text.rstrip(".").split()[-1].lower()
            out.append(Verdict(item_id=leaf.id, value=float(word in text.lower())))
        return out


def test_the_judge_decides_new_sentences_without_numbers() -> None:
    judge = KeywordJudge()
    supported = ORIGINAL + "\nIn short, the adapters are simple.\n"
    assert check_faithful(ORIGINAL, supported, judge).faithful
    invented = ORIGINAL + "\nThe adapters also transfer across languages.\n"
    report = check_faithful(ORIGINAL, invented, judge)
    assert not report.faithful and "languages" in report.added[0]
    unsure = ORIGINAL + "\nIt maybe helps.\n"
    report = check_faithful(ORIGINAL, unsure, judge)
    assert not report.faithful and report.undecided == ["It maybe helps."]
    assert all(len(call) == 1 for call in judge.calls)  # only the new sentence is asked about


def test_an_unchanged_paper_asks_the_judge_nothing() -> None:
    judge = KeywordJudge()
    assert check_faithful(ORIGINAL, ORIGINAL, judge).faithful
    assert judge.calls == []
