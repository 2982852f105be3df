"""The diff-edit benchmark's own parts: its intervals, and the steps it reads from a journal
(tokens of every call of a step, the fallback included; a diff step without code not applied)."""

import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from diff_edits import Step, ratio_ci, read_steps, summary, table, wilson

from airlab.journal import Journal, NodeStatus
from airlab.journal.calls import CallRecord
from airlab.journal.edit import EditOutcome, EditRecord, PatchFailure


def test_wilson_contains_the_proportion_stays_in_0_1_and_narrows_with_more_steps():
    for k, n in ((0, 5), (5, 5), (3, 7)):
        p, low, high = wilson(k, n)
        assert 0 <= low <= p <= high <= 1
    _, low_small, high_small = wilson(6, 10)
    _, low_big, high_big = wilson(60, 100)
    assert high_big - low_big < high_small - low_small
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_the_ratio_interval_holds_the_ratio_of_means():
    ratio, low, high = ratio_ci([100, 120, 80], [400, 380, 420, 400])
    assert ratio == 100 / 400
    assert low <= ratio <= high
    assert math.isnan(ratio_ci([], [1.0])[0]) and math.isnan(ratio_ci([1.0], [0.0])[0])


def _call(node_id: int, purpose: str, tokens_out: int) -> CallRecord:
    return CallRecord(
        node_id=node_id,
        purpose=purpose,
        backend="b",
        started_at=0,
        finished_at=1,
        tokens_out=tokens_out,
    )


def test_steps_count_every_call_of_the_step_and_a_diff_step_without_code_as_not_applied(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "result.json").write_text(json.dumps({"best_search_score": 0.9}))
    applied = EditRecord(outcome=EditOutcome.APPLIED, blocks=1).to_meta()
    fell = EditRecord(outcome=EditOutcome.FELL_BACK, reason=PatchFailure.NOT_FOUND).to_meta()
    with Journal.create(run / "journal.sqlite") as journal:
        draft = journal.add("draft")
        journal.update(draft.id, code="x = 1\ny = 2\n", status=NodeStatus.GOOD)
        for meta, status in ((applied, NodeStatus.GOOD), (fell, NodeStatus.BUGGY), (None, None)):
            node = journal.add("improve", (draft.id,), meta={"edit": meta} if meta else {})
            if status is not None:
                journal.update(node.id, code="x = 1\ny = 3\n", status=status)
        for node_id, purpose, tokens in (
            (0, "draft", 500),
            (1, "improve", 40),
            (1, "analysis", 70),
            (2, "improve", 60),
            (2, "improve-whole", 450),
            (3, "improve", 30),
            (3, "improve-whole", 20),
            (3, "improve-whole-reminder", 25),
        ):
            journal.add_call(_call(node_id, purpose, tokens))
    steps, best = read_steps(run, "t", 0, "diff")
    assert best == 0.9
    by_node = {s.node: s for s in steps}
    assert set(by_node) == {1, 2, 3}
    assert (by_node[1].tokens_out, by_node[1].first_out, by_node[1].outcome) == (40, 40, "applied")
    assert (by_node[2].tokens_out, by_node[2].calls, by_node[2].reason) == (510, 2, "not_found")
    assert (by_node[3].tokens_out, by_node[3].outcome) == (75, "no_code")
    assert by_node[2].written_chars == len("x = 1\ny = 3\n")  # fell back: the script
    assert by_node[1].written_chars != by_node[2].written_chars  # applied: the blocks
    whole = [
        Step("t", 0, "whole", 9, "improve", 1, 400, 400, 300, "whole", "", True),
        Step("t", 0, "whole", 10, "debug", 1, 420, 420, 310, "whole", "", False),
    ]
    result = summary(steps + whole)
    assert result["applied"] == 1 and result["not_applied"] == {"not_found": 1, "no_code": 1}
    assert result["apply_rate"][0] == 1 / 3
    assert result["tokens_out_ratio"][0] == (40 + 510 + 75) / 3 / 410
    assert "patch-apply rate" in table(result)
