"""The `split_names` repair, on the splits the 1.5B local model unpacked into the wrong number
of names (recorded in `fixtures/qwen2.5-coder-1.5b/split-unpacking`) and on planted lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airlab.operators.checks import Checks, check_code
from airlab.operators.repairs import repair
from airlab.operators.split_names import fix_split_names
from airlab.tasks import resolve_task

from .sandboxed import run_on_table

RECORDED = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b" / "split-unpacking"
SPLITS_ONLY = Checks(imports=False, names=False, features=False, target_reads=False,
                     constant=False)  # fmt: skip


def _wine_like(public: Path) -> None:
    """wine's shape: an id, numeric measurements, the class `cultivar` (1, 2 or 3)."""
    rng = np.random.default_rng(0)
    cultivar = rng.integers(1, 4, 90)
    frame = pd.DataFrame({"id": range(90), "cultivar": cultivar})
    for column in ("alcohol", "malic_acid", "ash", "magnesium"):
        frame[column] = cultivar * 2.0 + rng.normal(0, 1, 90)
    public.mkdir(parents=True)
    frame.iloc[:70].to_csv(public / "train.csv", index=False)
    frame.iloc[70:].drop(columns="cultivar").to_csv(public / "test.csv", index=False)


def _run(script: str, tmp_path: Path):
    return run_on_table(script, tmp_path, _wine_like)


def test_the_recorded_wine_split_fails_as_written_and_runs_realigned(tmp_path):
    """Live, wine: `X_val, X_test_val, y_val = train_test_split(X, y, ...)`, four times in a
    row after the check had named the order; each also read the id from `X_test`."""
    task = resolve_task("breast-cancer")
    written = (RECORDED / "wine-0.py").read_text()
    as_written, _ = repair(written, task, split_names=False, id_reads=False)
    failed = _run(as_written, tmp_path / "as-written")
    assert not failed.succeeded and "values to unpack" in failed.stderr_tail
    realigned, meta = repair(written, task, id_reads=False)
    assert meta["split_names"] == [38]  # line 35 as the model wrote it, 3 import lines above
    assert "X_val, X_test_val, y_val, _ = train_test_split(X, y, test_size=0.2" in realigned
    ran = _run(realigned, tmp_path / "realigned")
    # past the split, it dies of its next mistake: the id read from the features
    assert "values to unpack" not in ran.stderr_tail
    assert "submission = pd.DataFrame({ID: X_test[ID]})" in ran.stderr_tail
    assert ran.stderr_tail.rstrip().endswith("KeyError: 'id'")
    repaired, meta = repair(written, task)
    assert meta["split_names"] == [38] and meta["id_reads"] == [43]
    ran = _run(repaired, tmp_path / "repaired")
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None and ran.submission.startswith(b"id,cultivar")


def test_the_recorded_two_name_split_takes_the_held_out_parts():
    repaired, lines = fix_split_names((RECORDED / "modechoice-0.py").read_text())
    assert lines == [37]
    assert "_, X_val, _, y_val = train_test_split(X, y, test_size=0.2" in repaired
    assert check_code(repaired, packages=None, checks=SPLITS_ONLY) is None


def test_a_split_that_would_overwrite_the_test_features_is_left_for_the_check():
    """`X_val, X_test, y_val = ...`: `X_test` holds the test features the submission needs."""
    written = (RECORDED / "modechoice-2.py").read_text()
    assert fix_split_names(written) == (written, [])
    assert "unpacks `train_test_split`" in str(check_code(written, packages=None,
                                                           checks=SPLITS_ONLY))  # fmt: skip


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("X_val, y_val = train_test_split(X, y)", "_, X_val, _, y_val"),
        ("X_train, y_train = train_test_split(X, y)", "X_train, _, y_train, _"),
        ("X_tr, X_va, y_va = train_test_split(X, y)", "X_tr, X_va, _, y_va"),
        ("X_tr, X_va, y_tr = train_test_split(X, y)", "X_tr, X_va, y_tr, _"),
        ("feats_val, y_val = train_test_split(feats, y, random_state=0)", "_, feats_val, _, y_val"),
        ("(X_valid, y_valid) = train_test_split(X, y)", "_, X_valid, _, y_valid"),
        ("X_hold, = train_test_split(X)", "_, X_hold"),
        ("X_train, X_val, y_val = train_test_split(X, y)", "X_train, X_val, _, y_val"),
    ],
)
def test_each_name_takes_its_own_arrays_part(line, fixed):
    code = f"X, y, feats = 1, 2, 3\n{line}\nprint(1)\n"
    repaired, lines = fix_split_names(code)
    assert lines == [2]
    assert repaired.splitlines()[1] == fixed + " = " + line.split(" = ", 1)[1]


@pytest.mark.parametrize(
    "line",
    [
        "a, b = train_test_split(X, y)",  # the names say nothing of their arrays
        "X_a, X_b, X_c, y_a = train_test_split(X, y)",  # right count: not this repair's
        "X_a, X_b, X_c = train_test_split(X, y)",  # three parts of one array
        "X_foo, y_foo = train_test_split(X, y)",  # a suffix that names no part
        "X1, y1 = train_test_split(X, y)",
        "X_val, y_val = train_test_split(X.values, y)",  # an array that is not a name
        "X_val, *rest = train_test_split(X, y)",
        "X_val, y_val = split(X, y)",
        "X_val, y_val = train_test_split(X, y); print(_)",  # the script reads `_`
        "(X_val,\n y_val) = train_test_split(X, y)",  # a target over two lines
    ],
)
def test_what_the_names_do_not_say_is_left_as_written(line):
    code = f"X, y = 1, 2\n{line}\n"
    assert fix_split_names(code) == (code, [])


def test_the_repair_is_recorded_and_switchable():
    code = "X, y = 1, 2\nX_val, y_val = train_test_split(X, y)\n"
    task = resolve_task("breast-cancer")
    assert repair(code, task, auto_imports=False)[1] == {"split_names": [2]}
    assert repair(code, task, auto_imports=False, split_names=False) == (code, {})


def test_text_before_the_target_keeps_its_characters():
    code = "X, y = 1, 2\nif True: X_val, y_val = train_test_split(X, y)  # é\n"
    repaired, _ = fix_split_names(code)
    assert repaired.splitlines()[1] == "if True: _, X_val, _, y_val = train_test_split(X, y)  # é"
