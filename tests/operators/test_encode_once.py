"""The `encode_once` repair, on the scripts the 1.5B local model wrote when the skeleton said
"keep `encode`": it wrapped its estimator in `make_pipeline(encode, ...)` and the skeleton's own
`make_pipeline(encode, estimator)` encoded twice. Recorded in
`fixtures/qwen2.5-coder-1.5b/encode-twice`."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab.operators.encode_once import encode_once
from airlab.operators.repairs import add_imports, repair
from airlab.tasks import resolve_task

from .sandboxed import grunfeld_like, run_on_table

RECORDED = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b" / "encode-twice"
DOUBLE = "Specifying the columns using strings is only supported for dataframes"


def _run(script: str, tmp_path: Path):
    return run_on_table(script, tmp_path, grunfeld_like)


def test_the_recorded_double_encoding_fails_and_runs_once_unwrapped(tmp_path):
    written = (RECORDED / "grunfeld.py").read_text()
    failed = _run(written, tmp_path / "as-written")
    assert not failed.succeeded and DOUBLE in failed.stderr_tail
    repaired, lines = encode_once(written)
    assert lines == [34, 41]  # the fit line and the validation estimate's pipeline
    ran = _run(repaired, tmp_path / "repaired")
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None and ran.submission.startswith(b"id,invest")


def test_a_script_fitting_its_own_pipeline_keeps_it_and_only_the_doubled_call_goes():
    written = (RECORDED / "modechoice.py").read_text()
    assert "model = estimator.fit(X, y)" in written
    repaired, lines = encode_once(written)
    assert len(lines) == 1  # only the validation estimate wrapped it again
    assert "model = estimator.fit(X, y)" in repaired
    assert "make_pipeline(encode, estimator)" not in repaired
    assert "cross_val_score(\n    estimator, X, y" in repaired


@pytest.mark.parametrize(
    "code",
    [
        # the skeleton as it is: the estimator does not encode
        "encode = ColumnTransformer([])\nestimator = Ridge()\n"
        "m = make_pipeline(encode, estimator)\n",
        # the estimator is bound twice: which one reaches the call is not certain
        "encode = ColumnTransformer([])\nestimator = make_pipeline(encode, Ridge())\n"
        "estimator = Ridge()\nm = make_pipeline(encode, estimator)\n",
        # a pipeline over another transformer
        "encode = ColumnTransformer([])\nother = ColumnTransformer([])\n"
        "estimator = make_pipeline(other, Ridge())\nm = make_pipeline(encode, estimator)\n",
        # `encode` is not built from a ColumnTransformer
        "encode = StandardScaler()\nestimator = make_pipeline(encode, Ridge())\n"
        "m = make_pipeline(encode, estimator)\n",
    ],
)
def test_anything_less_certain_is_left_as_written(code):
    assert encode_once(code) == (code, [])


def test_a_pipeline_object_with_the_transformer_as_its_first_step_counts():
    code = (
        "encode = ColumnTransformer([])\n"
        'estimator = Pipeline(steps=[("prep", encode), ("model", Ridge())])\n'
        "m = make_pipeline(encode, estimator).fit(X, y)  # é, a non-ASCII comment\n"
        "s = cross_val_score(make_pipeline(encode, estimator), X, y)\n"
    )
    repaired, lines = encode_once(code)
    assert lines == [3, 4]
    assert "m = estimator.fit(X, y)  # é" in repaired
    assert "s = cross_val_score(estimator, X, y)" in repaired


def test_the_repair_is_recorded_in_meta_and_can_be_switched_off():
    written = (RECORDED / "grunfeld.py").read_text()
    task = resolve_task("breast-cancer")  # the repair does not depend on the task
    _, meta = repair(written, task)
    assert meta["encode_once"] == [34, 41]
    _, without = repair(written, task, encode_once=False)
    assert "encode_once" not in without


def test_the_recorded_encoding_outside_the_pipeline_fails_and_runs_once_dropped(tmp_path):
    """Live at 5565acd, grunfeld: `X = encode.fit_transform(X)` and `X_test =
    encode.transform(X_test)` before the skeleton's `make_pipeline(encode, estimator)`; the
    draft and three debug answers died of it."""
    # what the io_prelude repair adds for grunfeld: the script reads `X` before binding it
    prelude = (
        'import pandas as pd\ntrain = pd.read_csv("public/train.csv")\n'
        'test = pd.read_csv("public/test.csv")\nFEATURES = ["value", "capital", "firm", "year"]\n'
        'X, X_test, y = train[FEATURES], test[FEATURES], train["invest"]\n'
    )
    written, _ = add_imports(prelude + (RECORDED / "grunfeld-outside.py").read_text())
    failed = _run(written, tmp_path / "as-written")
    assert not failed.succeeded and DOUBLE in failed.stderr_tail
    repaired, lines = encode_once(written)
    assert [repaired.splitlines()[i - 1].split("went: ", 1)[1] for i in lines] == [
        "X = encode.fit_transform(X)",
        "X_test = encode.transform(X_test)",
    ]
    ran = _run(repaired, tmp_path / "repaired")
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None and ran.submission.startswith(b"id,invest")


PIPELINE = (
    "encode = ColumnTransformer([])\nestimator = Ridge()\n"
    "model = make_pipeline(encode, estimator)\n"
)


@pytest.mark.parametrize(
    "code",
    [
        PIPELINE + "X = encode.fit_transform(X)\nmodel.fit(X, y)\n",
        PIPELINE + "X = encode.fit_transform(X)\nscores = cross_val_score(model, X, y)\n",
        "encode = ColumnTransformer([])\nX = encode.fit_transform(X)\n"
        "m = make_pipeline(encode, Ridge()).fit(X, y)\n",
    ],
)
def test_an_in_place_encoding_before_a_pipeline_using_it_goes(code):
    repaired, lines = encode_once(code)
    assert lines and "airlab: the pipeline encodes already" in repaired


@pytest.mark.parametrize(
    "code",
    [
        PIPELINE + "Z = encode.fit_transform(X)\nmodel.fit(X, y)\n",  # another name: X is a frame
        PIPELINE + "X = encode.fit_transform(X)\nRidge().fit(X, y)\n",  # no pipeline gets it
        PIPELINE + "model.fit(X, y)\nX = encode.fit_transform(X)\n",  # used before, not after
        PIPELINE + "X = other.fit_transform(X)\nmodel.fit(X, y)\n",  # not the pipeline's encoder
    ],
)
def test_an_encoding_the_pipeline_does_not_repeat_is_left(code):
    assert encode_once(code) == (code, [])
