"""Memory of earlier attempts: the best survive trimming, plans keep their sentences, and each
improve says what its code changed."""

from __future__ import annotations

from airlab.journal.node import Node, NodeStatus
from airlab.operators.changes import change_summary
from airlab.operators.memory import render_memory, summary_of_plan


def _node(node_id: int, score: float | None = None, **fields) -> Node:
    defaults = {
        "operator": "draft",
        "status": NodeStatus.GOOD if score is not None else NodeStatus.BUGGY,
        "plan": f"Plan {node_id} " + "with many careful words " * 6 + ".",
        "code": "x = 1\n",
        "search_score": score,
        "failure": None if score is not None else "error",
    }
    return Node(id=node_id, **{**defaults, **fields})


def test_trimming_drops_recent_non_best_entries_before_the_best_ones():
    best = [_node(i, 0.9 - i / 100) for i in range(4)]  # the best are the oldest
    recent = [_node(i, 0.1 + i / 1000) for i in range(4, 20)]
    roomy = render_memory([*best, *recent], maximize=True, max_chars=20_000)
    assert "- #12 draft" in roomy and "- #19 draft" in roomy  # 8 recent ones when they fit
    text = render_memory([*best, *recent], maximize=True, max_chars=1100)
    assert len(text) <= 1100
    for node in best:
        assert f"- #{node.id} draft:" in text
    assert "- #12 draft" not in text  # the oldest recent attempts go first ...
    assert "- #19 draft" in text  # ... the newest last
    assert "- 15 older attempts not listed" in text


def test_when_even_the_best_do_not_fit_the_worst_of_them_goes_first():
    best = [_node(i, 0.9 - i / 100) for i in range(4)]
    text = render_memory(best, maximize=True, max_chars=500)
    assert "- #0 draft" in text and "- #3 draft" not in text
    assert "older attempts not listed" in text


def test_plan_summary_keeps_whole_sentences_within_the_bound():
    plan = "Use a forest. Tune its depth by CV. Then add features.\nFamily: trees\n" + "x " * 200
    summary = summary_of_plan(plan, 60)
    assert summary == "Use a forest. Tune its depth by CV. Then add features. …"
    assert "Family" not in summary_of_plan("Fit a model.\nFamily: linear")
    assert len(summary_of_plan("word " * 100, 50)) == 50


def test_change_summary_names_what_changed():
    old = "model = RF(n_estimators=100, max_depth=5)\nopt = Adam(lr=0.01)\nprint(1)\n"
    new = "model = RF(n_estimators=300, max_depth=5)\nopt = Adam(lr=0.05)\nprint(1)\nfit()\n"
    assert change_summary(old, new) == "n_estimators=100 → 300; lr=0.01 → 0.05; + fit()"
    assert change_summary(old, old + "\n\n") == ""
    many = change_summary("x = 1\n", "x = 1\n" + "".join(f"y{i} = {i}\n" for i in range(50)))
    assert len(many) <= 160 and many.endswith("more changed lines)")
    added = "".join(f"v{i} = {'w' * 40}\n" for i in range(3))
    exact = change_summary("", added, limit=3 * 47 + 2 * 2)
    assert exact.count("+ v") == 3 and "more" not in exact  # all fit: no count of the rest
    assert change_summary("", added, limit=100).endswith("(+2 more changed lines)")


def test_memory_says_what_an_improve_changed_from_its_parent():
    parent = _node(0, 0.5, code="clf = SVC(C=1.0)\nclf.fit(X, y)\n")
    child = _node(
        1, 0.6, operator="improve", parent_ids=(0,), code="clf = SVC(C=10.0)\nclf.fit(X, y)\n"
    )
    same = _node(2, 0.5, operator="improve", parent_ids=(0,), code=parent.code + "\n")
    text = render_memory([parent, child, same], maximize=True)
    assert "- #1 improve of #0" in text and "\n  change: C=1.0 → 10.0" in text
    assert "\n  change: none (same code)" in text
