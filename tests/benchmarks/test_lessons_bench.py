"""The lessons benchmark's table: runs paired by seed, the improvement signed by the metric's
direction (positive: the store helped), a run without a test score left out of the interval."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from lessons import table


def row(seed, arm, test, maximize=False):
    return {"seed": seed, "arm": arm, "test": test, "maximize": maximize, "drafts": ["gbdt"]}


ARGS = argparse.Namespace(held_out="held", sources="a,b", steps=3)


def test_improvement_is_signed_by_direction_and_paired_by_seed():
    rows = [
        row(0, "with", 0.10),
        row(0, "without", 0.15),
        row(1, "without", 0.20),
        row(1, "with", 0.30),
    ]
    text = table(rows, ARGS, [], 1.0)
    assert "| 0 | 0.1000 | 0.1500 | 0.0500 |" in text
    assert "| 1 | 0.3000 | 0.2000 | -0.1000 |" in text
    assert "(positive: better): -0.0250" in text and "(n=2)" in text
    higher = table([row(0, "with", 0.9, True), row(0, "without", 0.8, True)], ARGS, [], 1.0)
    assert "| 0 | 0.9000 | 0.8000 | 0.1000 |" in higher


def test_a_run_without_a_test_score_is_left_out():
    rows = [
        row(0, "with", None),
        row(0, "without", 0.15),
        row(1, "with", 0.1),
        row(1, "without", 0.1),
    ]
    text = table(rows, ARGS, [], 1.0)
    assert "| 0 | — | 0.1500 | — |" in text and "(n=1)" in text
