"""The `unbound_scores` repair: a self-made score against a target no line binds, as the 1.5B
local model wrote it in 7 recorded scripts (one kept in `fixtures/qwen2.5-coder-1.5b/
unbound-score`), turned into a marked `pass` with the lines carrying its result."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from airlab.backends import Candidate
from airlab.operators.checks import Checks, candidate_problem
from airlab.operators.repairs import repair
from airlab.operators.unbound_scores import MARK, drop_unbound_scores

from .sandboxed import grunfeld_like, local_task, run_on_table

RECORDED = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b" / "unbound-score"
numeric_grunfeld = partial(grunfeld_like, firm_as_text=False)
"""grunfeld's columns with the firm as a number: the recorded draft fits a linear model on the
raw columns, which dies next of a text firm without `unused_encoder` (its own test)."""


def test_the_recorded_draft_is_refused_as_written_and_submits_repaired(tmp_path):
    written = (RECORDED / "grunfeld-draft.py").read_text()
    task = local_task("grunfeld")
    as_written, _ = repair(written, task, unbound_scores=False)
    problem = candidate_problem(Candidate("", as_written), [], packages=None, checks=Checks())
    assert problem is not None and "`y_test` is read before any line assigns it" in problem[1]
    failed = run_on_table(as_written, tmp_path / "as-written", numeric_grunfeld)
    assert not failed.succeeded and failed.submission is None
    assert "name 'y_test' is not defined" in failed.stderr_tail
    repaired, meta = repair(written, task)
    line = repaired.splitlines().index(MARK.format(name="y_test")) + 1
    assert meta["unbound_scores"] == [line, line + 1]  # the score and its print
    assert candidate_problem(Candidate("", repaired), [], packages=None, checks=Checks()) is None
    ran = run_on_table(repaired, tmp_path / "repaired", numeric_grunfeld)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None and ran.submission.startswith(b"id,invest")


HEAD = "import pandas as pd\npredictions = model.predict(X_test)\n"


@pytest.mark.parametrize(
    ("tail", "lines", "name"),
    [
        (
            "rmse = mean_squared_error(y_test, predictions)\nprint(f'RMSE: {rmse}')\n",
            [3, 4],
            "y_test",
        ),
        ("print(accuracy_score(y_true, predictions))\n", [3], "y_true"),
        (
            "err = (predictions - y_val)\nrmse = (err ** 2).mean() ** 0.5\nlog(rmse)\n",
            [3, 4, 5],
            "y_val",
        ),
        (
            "score = r2_score(\n    y_test,\n    predictions,\n)\nsub.to_csv('submission.csv')\n",
            [3],
            "y_test",
        ),
    ],
)
def test_a_score_against_an_unbound_target_and_what_carries_it_become_pass(tail, lines, name):
    repaired, changed = drop_unbound_scores(HEAD + tail)
    assert changed == lines
    kept = [line for line in repaired.splitlines() if line != MARK.format(name=name)]
    assert len(kept) == len(repaired.splitlines()) - len(lines)
    assert not any(name in line for line in kept)


@pytest.mark.parametrize(
    ("tail", "why"),
    [
        ("y_test = load()\nprint(score(y_test, predictions))\n", "y_test is bound"),
        ("print(score(truth, predictions))\n", "not a target's name: check_names says it"),
        ("model = Forest().fit(X, y)\nprint(model)\n", "the training target y: the prelude's"),
        (
            "model = Forest().fit(X_test, y_test)\nprint(model.score(X_test, y_test))\n",
            "a fit reads it: not a score",
        ),
        ("for fold in folds:\n    print(score(y_test, predictions))\n", "inside a loop"),
        ("def report():\n    return score(y_test, predictions)\n", "inside a function"),
        (
            "rmse = score(y_test, predictions)\npd.Series([rmse]).to_csv('score.csv')\n",
            "a write reads its result",
        ),
        ("rmse = score(y_test, predictions)\nif rmse < 3:\n    print('good')\n", "an if reads it"),
        ("print(score(y_test, predictions)\n", "no parse"),
    ],
)
def test_anything_else_is_left_for_check_names(tail, why):
    assert drop_unbound_scores(HEAD + tail) == (HEAD + tail, []), why
