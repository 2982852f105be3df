"""The submission frame's repairs. `submission_rows`: a held-out split's predictions written
beside the test rows' ids, as the 1.5B local model wrote it in a draft and both debug answers of
one chain (recorded in `fixtures/qwen2.5-coder-1.5b/held-out-submission`), predicted on the test
features instead. `submission_write`: a submission frame built and never written (`unwritten`),
written at the end. `proba_column`: one class's probabilities taken as a one-column table
(`proba-table`), taken as the column."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airlab.operators.proba_column import take_probability_columns
from airlab.operators.repairs import repair
from airlab.operators.submission_frame import (
    WRITE_MARK,
    predict_submission_rows,
    write_submission,
)

from .sandboxed import local_task, run_on_table

FIXTURES = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b"
RECORDED = FIXTURES / "held-out-submission"
TEST_ROWS = 60
TASK = local_task("modechoice")


def _modechoice_like(public: Path) -> None:
    """A small table with modechoice's columns: a text `mode`, numbers, the target `chosen`;
    more test rows than a fifth of the training rows, as in the task."""
    rows = 100 + TEST_ROWS
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": range(rows),
            "mode": rng.choice(["air", "train", "bus", "car"], rows),
            "terminal_time": rng.integers(0, 90, rows),
            "vehicle_cost": rng.normal(50, 10, rows),
            "vehicle_time": rng.normal(600, 100, rows),
            "generalized_cost": rng.normal(100, 20, rows),
            "household_income": rng.normal(35, 10, rows),
            "party_size": rng.integers(1, 5, rows),
        }
    )
    frame["chosen"] = (rng.random(rows) < 0.25).astype(int)
    public.mkdir(parents=True)
    frame.iloc[:100].to_csv(public / "train.csv", index=False)
    frame.iloc[100:].drop(columns="chosen").to_csv(public / "test.csv", index=False)


@pytest.mark.parametrize(
    ("name", "line"), [("modechoice-draft.py", 45), ("modechoice-debug.py", 55)]
)
def test_the_recorded_scripts_fail_as_written_and_submit_the_test_rows_repaired(
    tmp_path, name, line
):
    written = (RECORDED / name).read_text()
    as_written, _ = repair(written, TASK, submission_rows=False)
    failed = run_on_table(as_written, tmp_path / "as-written", _modechoice_like)
    assert not failed.succeeded and "does not match index length" in failed.stderr_tail
    repaired, meta = repair(written, TASK)
    assert meta["submission_rows"] == [line + repaired.count("\n") - written.count("\n")]
    assert "model.predict_proba(test[FEATURES])[:, 1]" in repaired  # the script names no X_test
    ran = run_on_table(repaired, tmp_path / "repaired", _modechoice_like)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None
    submission = pd.read_csv(io.BytesIO(ran.submission))
    assert list(submission.columns) == ["id", "chosen"] and len(submission) == TEST_ROWS
    assert submission["id"].tolist() == list(range(100, 100 + TEST_ROWS))


SCRIPT = (
    "import pandas as pd\n"
    'train = pd.read_csv("public/train.csv")\n'
    'test = pd.read_csv("public/test.csv")\n'
    'ID = "id"\n'
    "FEATURES = [c for c in test.columns if c != ID]\n"
    "X, X_test = train[FEATURES], test[FEATURES]\n"
    'y = train["chosen"]\n'
    "X_train, X_val, y_train, y_val = train_test_split(X, y)\n"
    "model = make_model().fit(X_train, y_train)\n"
)


@pytest.mark.parametrize(
    ("lines", "fixed", "line"),
    [
        (
            'pd.DataFrame({ID: test[ID], "chosen": model.predict(X_val)}).to_csv("s.csv")',
            'pd.DataFrame({ID: test[ID], "chosen": model.predict(X_test)}).to_csv("s.csv")',
            10,
        ),
        (
            "p = model.predict_proba(X_val)[:, 1]\n"
            'submission = pd.DataFrame({"id": test["id"], "chosen": p})',
            "p = model.predict_proba(X_test)[:, 1]\n"
            'submission = pd.DataFrame({"id": test["id"], "chosen": p})',
            10,
        ),
        (
            "submission = pd.DataFrame({ID: test[ID]})\n"
            'submission["chosen"] = model.predict_proba(X_val)[:, 1]',
            "submission = pd.DataFrame({ID: test[ID]})\n"
            'submission["chosen"] = model.predict_proba(X_test)[:, 1]',
            11,
        ),
    ],
)
def test_predictions_for_the_held_out_rows_beside_the_test_ids_are_made_for_the_test_rows(
    lines, fixed, line
):
    repaired, changed = predict_submission_rows(SCRIPT + lines + "\n", "id")
    assert repaired == SCRIPT + fixed + "\n"
    assert changed == [line]


def test_predictions_also_feeding_a_validation_score_keep_their_rows_the_submission_predicts():
    """Live, a grunfeld draft and both its debug answers scored `y_pred = model.predict(X_val)`
    and then wrote the same `y_pred` as the submission (`Length of values (22) does not match
    length of index (110)`)."""
    lines = (
        "p = np.round(model.predict_proba(X_val)[:, 1], 3)\nprint(score(y_val, p))\n"
        "submission = pd.DataFrame({ID: test[ID]})\nsubmission['chosen'] = p\n"
    )
    code = "import numpy as np\n" + SCRIPT + lines
    repaired, changed = predict_submission_rows(code, "id")
    assert repaired == code.replace(
        "submission['chosen'] = p",
        "submission['chosen'] = np.round(model.predict_proba(X_test)[:, 1], 3)",
    )
    assert changed == [14]


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (
            SCRIPT + "p = model.predict(X_val)\nprint(score(y_val, p))\n"
            "model = other\npd.DataFrame({ID: test[ID], 'chosen': p})\n",
            "the predictions also feed a score, and the model is not the same at the submission",
        ),
        (
            SCRIPT + "pd.DataFrame({ID: test[ID], 'chosen': model.predict(X_train)})\n",
            "the training part is not a held-out split",
        ),
        (
            SCRIPT + "pd.DataFrame({ID: X_val.index, 'chosen': model.predict(X_val)})\n",
            "the ids are not the test rows'",
        ),
        (
            SCRIPT + "X_val = X_val.fillna(0)\n"
            "pd.DataFrame({ID: test[ID], 'chosen': model.predict(X_val)})\n",
            "X_val bound twice",
        ),
        (
            SCRIPT.replace("X, X_test = train[FEATURES], test[FEATURES]", "X = scale(train)")
            + "pd.DataFrame({ID: test[ID], 'chosen': model.predict(X_val)})\n",
            "the split array is not a column selection: its test counterpart is unknown",
        ),
        (
            SCRIPT.replace('test = pd.read_csv("public/test.csv")', "test = load()")
            + "pd.DataFrame({ID: test[ID], 'chosen': model.predict(X_val)})\n",
            "the ids' frame is not read by read_csv",
        ),
        (
            SCRIPT + "print(pd.DataFrame({'chosen': model.predict(X_val)}))\n",
            "no id column: not a submission",
        ),
        (SCRIPT + "pd.DataFrame({ID: test[ID], 'chosen': model.predict(X_val)}\n", "no parse"),
    ],
)
def test_anything_less_certain_is_left_as_written(code, why):
    assert predict_submission_rows(code, "id") == (code, []), why


def test_the_repair_is_recorded_and_switchable():
    code = SCRIPT + "pd.DataFrame({ID: test[ID], 'chosen': model.predict(X_val)})\n"
    assert repair(code, TASK, auto_imports=False)[1] == {"submission_rows": [10]}
    assert repair(code, TASK, auto_imports=False, submission_rows=False) == (code, {})


def test_the_recorded_draft_writes_nothing_and_its_frame_is_written_repaired(tmp_path):
    written = (FIXTURES / "unwritten" / "modechoice-draft.py").read_text()
    as_written, _ = repair(written, TASK, submission_write=False)
    ran = run_on_table(as_written, tmp_path / "as-written", _modechoice_like)
    assert ran.succeeded and ran.submission is None
    repaired, meta = repair(written, TASK)
    line = meta["submission_write"][0]
    assert repaired.splitlines()[line - 2 : line] == [
        WRITE_MARK,
        'submission.to_csv("submission.csv", index=False)',
    ]
    assert repaired.startswith(as_written.rstrip("\n"))
    ran = run_on_table(repaired, tmp_path / "repaired", _modechoice_like)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None
    assert len(pd.read_csv(io.BytesIO(ran.submission))) == TEST_ROWS


BUILT = SCRIPT + 'submission = pd.DataFrame({ID: test[ID]})\nsubmission["chosen"] = 0.5\n'


def test_a_frame_of_the_test_ids_never_written_is_written_at_the_end():
    repaired, lines = write_submission(BUILT, "id")
    assert repaired == (
        BUILT + f"\n{WRITE_MARK}\n" + 'submission.to_csv("submission.csv", index=False)\n'
    )
    assert lines == [len(repaired.splitlines())]


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (BUILT + 'submission.to_csv("out.csv")\n', "the script writes something"),
        (BUILT + 'np.savetxt("submission.csv", submission)\n', "it writes the file its own way"),
        (BUILT + "other = pd.DataFrame({ID: test[ID]})\n", "two frames: which one is meant"),
        (
            SCRIPT + "def make():\n    submission = pd.DataFrame({ID: test[ID]})\n",
            "the frame is built inside a function",
        ),
        (SCRIPT + "submission = pd.DataFrame({'x': [1]})\n", "not a frame of the test ids"),
        (BUILT + "submission = submission.round(3)\n", "the name bound to something else too"),
        (BUILT + "if x:\n", "no parse"),
    ],
)
def test_a_script_that_writes_or_builds_no_single_frame_is_left_as_written(code, why):
    assert write_submission(code, "id") == (code, []), why


def test_the_recorded_one_column_table_fails_as_a_column_and_runs_as_the_column(tmp_path):
    written = (FIXTURES / "proba-table" / "modechoice-draft.py").read_text()
    as_written, _ = repair(written, TASK, proba_column=False)
    failed = run_on_table(as_written, tmp_path / "as-written", _modechoice_like)
    assert not failed.succeeded and "must each be 1-dimensional" in failed.stderr_tail
    repaired, meta = repair(written, TASK)
    assert repaired == as_written.replace("(X_test)[:, [1]]", "(X_test)[:, 1]")
    assert meta["proba_column"] == [
        repaired.splitlines().index("predictions = model.predict_proba(X_test)[:, 1]") + 1
    ]
    ran = run_on_table(repaired, tmp_path / "repaired", _modechoice_like)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None
    assert pd.read_csv(io.BytesIO(ran.submission))["chosen"].between(0, 1).all()


@pytest.mark.parametrize(
    ("code", "fixed"),
    [
        (
            "s = pd.DataFrame({'id': ids, 'y': m.predict_proba(X)[:, [1]]})\n",
            "s = pd.DataFrame({'id': ids, 'y': m.predict_proba(X)[:, 1]})\n",
        ),
        (
            "s['y'] = m.predict_proba(X)[:, [k]]\n",
            "s['y'] = m.predict_proba(X)[:, k]\n",
        ),
    ],
)
def test_a_one_column_table_used_as_a_column_becomes_the_column(code, fixed):
    assert take_probability_columns(code) == (fixed, [1])


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("p = m.predict_proba(X)[:, [1]]\ns = pd.DataFrame({'y': p[:, 0]})\n", "indexed later"),
        ("p = m.predict_proba(X)[:, [1]]\nq = np.hstack([p, p])\n", "used as a table"),
        (
            "p = m.predict_proba(X)[:, [1]]\ns['y'] = p\nprint(log_loss(y, p))\n",
            "read outside a column too",
        ),
        ("s['y'] = m.predict_proba(X)[:, [0, 1]]\n", "two columns"),
        ("s['y'] = m.predict(X)[:, [1]]\n", "not probabilities"),
        ("s['y'] = m.predict_proba(X)[1:, [1]]\n", "not every row"),
    ],
)
def test_a_one_column_table_used_otherwise_is_left_as_written(code, why):
    assert take_probability_columns(code) == (code, []), why
