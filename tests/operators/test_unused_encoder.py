"""`unused_encoder`: the skeleton's encoder put in front of an estimator fitted on the raw table.
A grunfeld draft of the 1.5B local model (the same answer at two commits, recorded in
`fixtures/qwen2.5-coder-1.5b/unbound-score`) built `encode` and fitted `LinearRegression()` on
the raw features, text column `firm` among them; its debug answer (`unused-encoder`) encoded by
hand with the encoder's column kinds read from the training table. Both fail as written and run
repaired."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab.operators.repairs import repair
from airlab.operators.unused_encoder import IMPORT, encode_before_estimator

from .sandboxed import grunfeld_like, local_task, run_on_table

FIXTURES = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b"
TASK = local_task("grunfeld")


@pytest.mark.slow
def test_the_recorded_draft_fits_the_raw_table_and_runs_with_the_encoder_in_front(tmp_path):
    written = (FIXTURES / "unbound-score" / "grunfeld-draft.py").read_text()
    as_written, _ = repair(written, TASK, unused_encoder=False)
    failed = run_on_table(as_written, tmp_path / "as-written", grunfeld_like)
    assert "could not convert string to float" in failed.stderr_tail
    repaired, meta = repair(written, TASK)
    assert "model = make_pipeline(encode, LinearRegression())" in repaired
    assert meta["unused_encoder"] == [
        repaired.splitlines().index("model = make_pipeline(encode, LinearRegression())") + 1
    ]
    assert "list(train[FEATURES].select_dtypes" in repaired  # `X` is bound only later there
    ran = run_on_table(repaired, tmp_path / "repaired", grunfeld_like)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None and ran.submission.startswith(b"id,invest")


@pytest.mark.slow
def test_the_recorded_debug_answer_encodes_the_features_with_their_own_kinds(tmp_path):
    """`X = encode.fit_transform(train[FEATURES])` after `NUMERIC` read from the training
    table: `feature_columns` reads the kinds from that selection, written out."""
    written = (FIXTURES / "unused-encoder" / "grunfeld-debug.py").read_text()
    as_written, _ = repair(written, TASK, feature_columns=False)
    failed = run_on_table(as_written, tmp_path / "as-written", grunfeld_like)
    assert "not columns of the dataframe" in failed.stderr_tail
    repaired, meta = repair(written, TASK)
    assert "unused_encoder" not in meta and meta["feature_columns"]
    assert 'NUMERIC = list(train[FEATURES].select_dtypes("number").columns)' in repaired
    ran = run_on_table(repaired, tmp_path / "repaired", grunfeld_like)
    assert ran.succeeded, ran.stderr_tail


HEAD = (
    "import pandas as pd\n"
    "from sklearn.ensemble import RandomForestClassifier\n"
    "train = pd.read_csv('public/train.csv')\n"
    "FEATURES = ['a', 'b']\n"
    "X = train[FEATURES]\n"
    "NUMERIC = list(X.select_dtypes('number').columns)\n"
    "CATEGORICAL = [c for c in FEATURES if c not in NUMERIC]\n"
    "encode = ColumnTransformer([('n', 'passthrough', NUMERIC), ('c', one_hot, CATEGORICAL)])\n"
)


def _fit(code: str) -> tuple[str, list[int]]:
    return encode_before_estimator(code)


def test_the_encoder_goes_in_front_of_the_estimator_and_its_import_is_added():
    code = HEAD + "model = RandomForestClassifier(n_estimators=50)\nmodel.fit(X, y)\n"
    fitted, lines = _fit(code)
    assert fitted.startswith(IMPORT + "\n")
    assert "model = make_pipeline(encode, RandomForestClassifier(n_estimators=50))\n" in fitted
    assert lines == [10]
    searched = HEAD + (
        "from sklearn.pipeline import make_pipeline\n"
        "search = GridSearchCV(RandomForestClassifier(), {'max_depth': [2]})\n"
        "search.fit(X, y)\nbest = search.best_estimator_\n"
    )
    fitted, lines = _fit(searched)
    assert "GridSearchCV(make_pipeline(encode, RandomForestClassifier()), {" in fitted
    assert not fitted.startswith(IMPORT) and lines == [10]
    # and the grid then gets the step's name from `search_params`, after it
    assert "'randomforestclassifier__max_depth'" in repair(searched, local_task("wine"))[0]


@pytest.mark.parametrize(
    ("tail", "why"),
    [
        ("model = make_pipeline(encode, RandomForestClassifier())\nmodel.fit(X, y)\n", "used"),
        (
            "Xe = encode.fit_transform(X)\nmodel = RandomForestClassifier()\nmodel.fit(Xe, y)\n",
            "used",
        ),
        (
            "model = RandomForestClassifier()\nmodel.fit(X, y)\n"
            "print(model.feature_importances_)\n",
            "a pipeline has no feature_importances_",
        ),
        (
            "Xn = train[NUMERIC]\nmodel = RandomForestClassifier()\nmodel.fit(Xn, y)\n",
            "a selection holding only some of the encoder's columns",
        ),
        (
            "Xd = pd.get_dummies(X)\nmodel = RandomForestClassifier()\nmodel.fit(Xd, y)\n",
            "the features were encoded another way",
        ),
        (
            "from xgboost import XGBClassifier\nmodel = XGBClassifier()\nmodel.fit(X, y)\n",
            "not scikit-learn's estimator",
        ),
        (
            "forest = RandomForestClassifier()\nsearch = GridSearchCV(forest, {'max_depth': [2]})\n"
            "search.fit(X, y)\nprint(forest.feature_importances_)\n",
            "the searched estimator's name is read besides: wrapped, that read would fail",
        ),
        (
            "model = RandomForestClassifier()\nmodel = RandomForestClassifier(max_depth=2)\n"
            "model.fit(X, y)\n",
            "two values: which one is fitted is not literal",
        ),
    ],
)
def test_anything_less_certain_is_left_as_written(tail, why):
    code = HEAD + tail
    assert _fit(code) == (code, []), why


def test_an_estimator_made_before_the_encoder_is_left_alone():
    code = (
        "model = RandomForestClassifier()\n"
        + HEAD.replace("import pandas as pd\n", "")
        + "model.fit(X, y)\n"
    )
    assert _fit(code) == (code, [])


def test_a_searched_estimator_named_once_is_wrapped_where_it_is_bound():
    code = HEAD + (
        "forest = RandomForestClassifier()\n"
        "search = GridSearchCV(forest, {'max_depth': [2]})\n"
        "search.fit(X, y)\n"
    )
    fitted, lines = _fit(code)
    assert "forest = make_pipeline(encode, RandomForestClassifier())\n" in fitted
    assert lines == [10]
