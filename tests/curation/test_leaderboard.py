"""A reference leaderboard is a ranked population of real solutions, recorded in task.yaml."""

import pandas as pd
import pytest

from airlab.curation.leaderboard import Entry, population, score_population, write_leaderboard
from airlab.tasks import load_task


def test_population_has_a_draft_per_family_and_tuned_variants(make_task):
    task = load_task(make_task())
    (task.root / "baseline.py").write_text("print('baseline')\n")
    (task.root / "reference.py").write_text("print('reference')\n")
    entries = population(task, variants=3)
    assert [(e.name, e.family) for e in entries[:2]] == [
        ("baseline.py", "baseline"),
        ("reference.py", "reference"),
    ]
    drafts = [e for e in entries if e.name.startswith("Draft")]
    assert len({e.family for e in drafts}) == len(drafts) >= 5
    assert sum(e.name.startswith("Tuned") for e in entries) == 3
    assert all(e.code for e in entries)


def test_write_leaderboard_ranks_by_direction_and_records_it(make_task):
    root = make_task(kind="regression")
    task = load_task(root)
    entries = [
        Entry("worse", "linear", None, score=2.0),
        Entry("best", "gbdt", None, score=0.5),
        Entry("broken", "knn", None, reason="failed: error"),
    ]
    frame = write_leaderboard(task, entries, root)
    assert list(frame["name"]) == ["best", "worse"]  # rmse: lower is better
    written = pd.read_csv(root / "leaderboard.csv")
    assert list(written.columns) == ["rank", "name", "family", "score"]
    reloaded = load_task(root)
    assert reloaded.leaderboard_scores() == [0.5, 2.0]
    assert reloaded.spec.reference.score == 0.5
    assert "best of 2 reference solutions: best" in reloaded.spec.reference.note
    write_leaderboard(reloaded, entries[:1], root)  # rebuilding replaces, never duplicates
    assert (root / "task.yaml").read_text().count("leaderboard:") == 1


@pytest.mark.slow
def test_score_population_runs_solutions_in_the_sandbox(make_task):
    task = load_task(make_task())
    entries = [e for e in population(task, variants=0) if e.family in ("linear", "knn")]
    scored = score_population(task, entries, sandbox="process", workers=2)
    assert [e.family for e in scored] == [*(e.family for e in entries), "constant"]
    assert all(e.score is not None and 0 <= e.score <= 1 for e in scored)
    assert scored[0].score > scored[-1].score  # a real model beats the constant submission
