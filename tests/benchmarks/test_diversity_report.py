"""The diversity benchmark's report: levels, the paired difference and its sign."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from diversity import bootstrap_mean, report


def _rows(better: str):
    rows = []
    for seed in range(4):
        for task, direction in (("a", "maximize"), ("b", "minimize")):
            for level, families in (
                ("low", ["rf"] * 4),
                ("medium", ["rf", "rf", "svm", "knn"]),  # 1.5 bits
                ("high", ["rf", "svm", "knn", "gbdt"]),  # 2 bits
            ):
                good = 1.0 if level == better else 0.5 + 0.01 * seed
                score = good if direction == "maximize" else -good
                rows.append(
                    {"task": task, "seed": seed, "level": level, "direction": direction,
                     "score": score, "families": families,
                     "valid_nodes": 5, "nodes": 6}
                )  # fmt: skip
    return rows


def test_the_paired_difference_follows_the_better_level():
    up = "\n".join(report(_rows("high")))
    down = "\n".join(report(_rows("low")))
    assert "Paired high − low performance over 8 (task, seed) pairs: +" in up
    assert "high better in 8, worse in 0" in up
    assert "high better in 0, worse in 8" in down
    unfinished = [r for r in _rows("high") if not (r["seed"] == 0 and r["level"] == "high")]
    assert "over 6 (task, seed) pairs" in "\n".join(report(unfinished))


def test_bootstrap_mean_brackets_the_mean_and_drops_nans():
    values = np.array([1.0, 2.0, np.nan, 3.0, 4.0])
    mean, low, high = bootstrap_mean(values, seed=0)
    assert mean == 2.5 and low <= mean <= high


def test_a_rerun_runs_only_what_is_missing_or_changed(tmp_path, monkeypatch):
    """Rows are kept as runs end: the same command again runs nothing, a torn row and a run
    whose settings changed run again, and the report covers every run either way."""
    import json

    import diversity

    ran = []

    def fake_run(job):
        ran.append((job.level, job.seed, job.steps))
        return {**diversity.asdict(job), "direction": "minimize", "score": 0.1 * job.seed,
                "families": ["rf"], "entropy_bits": 0.0, "distinct_families": 1,
                "valid_nodes": 1, "nodes": job.steps, "seconds": 0.0}  # fmt: skip

    monkeypatch.setattr(diversity, "run_job", fake_run)
    args = ["--tasks", "breast-cancer", "--seeds", "2", "--steps", "2", "--jobs", "1"]
    diversity.main([*args, "--out", str(tmp_path)])
    assert len(ran) == 6
    diversity.main([*args, "--out", str(tmp_path)])
    assert len(ran) == 6  # all six kept
    (tmp_path / "rows" / "breast-cancer-high-seed1.json").write_text('{"task": "breast')
    diversity.main([*args, "--out", str(tmp_path)])
    assert ran[6:] == [("high", 1, 2)]
    diversity.main([*args[:-4], "--steps", "3", "--jobs", "1", "--out", str(tmp_path)])
    assert len(ran) == 13 and all(steps == 3 for _, _, steps in ran[7:])
    assert len(json.loads((tmp_path / "results.json").read_text())) == 6


def test_the_families_the_ideas_proposed_are_reported_beside_those_drafted():
    """With a model the knob is an ask: the report shows what was proposed next to what the
    drafts were classified as, and a dash for rows recorded before ideas were kept."""
    rows = _rows("high")
    assert "| low | 8 | 0.00 [0.00, 0.00] | 1.0 | — |" in "\n".join(report(rows))
    asked = {"low": ["rf"] * 5, "medium": ["rf", "rf", "svm", "svm", "knn"], "high": list("abcde")}
    for row in rows:
        row["idea_families"] = asked[row["level"]]
    lines = "\n".join(report(rows))
    assert "| low | 8 | 0.00 [0.00, 0.00] | 1.0 | 1.0 |" in lines
    assert "| medium | 8 | 1.50 [1.50, 1.50] | 3.0 | 3.0 |" in lines
    assert "| high | 8 | 2.00 [2.00, 2.00] | 4.0 | 5.0 |" in lines


def test_the_report_measures_diversity_again_from_the_families():
    """A row written when a constant-baseline draft counted as a family of its own (0.72
    bits) reads as what its families are today: one family, and one unclassified draft."""
    rows = _rows("high")
    for row in rows:
        if row["level"] == "low":
            row["families"] = ["gradient_boosting"] * 4 + ["unknown"]
            row["entropy_bits"], row["distinct_families"] = 0.72, 2
    lines = "\n".join(report(rows))
    assert "| low | 8 | 0.00 [0.00, 0.00] | 1.0 | — | 8/40 |" in lines
    assert "| high | 8 | 2.00 [2.00, 2.00] | 4.0 | — | 0/32 |" in lines
