"""The operator options (`-O key=value`, and the cues of operator sets), one typed model.

A run's options are its operator set's cues overridden by its own `-O` options, validated once
when the run is created (`operator_options`); operators read the typed fields. `memory` and
`diversity` may be left unset: each backend then keeps its own default (LLM prompts: on; the
templates backend: off).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ConfigDict, Field

from airlab.journal.edit import EditFormat
from airlab.params import Params, parse_params

Mode = Literal["single", "react"]
IdeaDiversity = Literal["low", "medium", "high"]


class OperatorOptions(Params):
    """Options every operator reads; values must have their exact type (`memory=1` is refused)."""

    model_config = ConfigDict(strict=True)

    memory: bool | None = None
    """Show what earlier attempts taught (none: the backend's default; LLM prompts: on)."""
    diversity: bool | None = None
    """Ask drafts to differ from the approaches tried (none: the backend's default)."""
    ideas: int = Field(0, ge=0)
    """Ideation: before the first draft, one call proposes this many approaches (a family and a
    one-line plan each), and the run's first drafts are written from them, one each (0: no
    ideation step; drafts choose their own approach)."""
    idea_diversity: IdeaDiversity = "high"
    """How different the proposed approaches are: `low`, one family with varied
    hyperparameters; `medium`, about half as many families as ideas; `high`, a distinct family
    for every idea (as many as there are)."""
    assign_families: bool = False
    """With ideation and a chat model: the run draws the ideas' families itself (one seeded
    order of the prompt's example families per seed, the same for every level and task, so the
    levels are nested) and asks the model only for a plan per family (a plan naming another
    family's estimator is replaced by the family's name), instead of asking it to
    choose families at `idea_diversity` (a small model may not obey: asked for one family, the
    1.5B local model listed five). For controlled experiments on diversity."""
    analysis: bool = True
    """After each execution, ask a chat model what the output says (chat backends only)."""
    mode: Mode = "single"
    """How a chat model writes a candidate: one prompt and answer, or a ReAct episode."""
    edit_format: EditFormat = "whole"
    """How improve and debug write their code: the `whole` script, or `diff`: SEARCH/REPLACE
    blocks applied to the parent's code (a patch that does not apply is answered once more as
    a whole script; `meta.edit` records which). Single-answer writes; draft and crossover always
    write whole scripts."""
    memory_chars: int = Field(4000, ge=0)
    """Most characters of memory a prompt shows."""
    preview_chars: int = Field(3000, ge=0)
    """Most characters of the data preview a prompt shows."""
    output_chars: int = Field(2500, ge=0)
    """How much of a run's output (its tail) a prompt shows."""
    skeleton: bool = True
    """Show, in every prompt, a runnable skeleton of the task's I/O (reads `public/train.csv`
    and `public/test.csv`, writes a valid `submission.csv`), for models that get the I/O
    wrong."""
    io_prelude: bool = True
    """With `skeleton`: before a written script runs, put the skeleton's I/O lines (`train`,
    `test`, `ID`, `TARGETS`, `FEATURES`, `X`, `X_test`, `y`, `NUMERIC`, `CATEGORICAL`; the `pd`
    and `np` imports) for the names it reads before any line binds them (a flow-aware pass) at
    its top (marked; `meta.io_prelude` lists them), instead of letting it die of a NameError.
    Single-answer writes only: ReAct sees its own errors, and the gym grades what the trainer's
    model wrote."""
    shell_lines: bool = True
    """Before a written script runs, turn its notebook lines (`!pip install ...`, `%magic`),
    which do not compile, into `pass` (`meta.shell_lines` lists them). Single-answer writes."""
    auto_imports: bool = True
    """Before a written script runs, import the common scikit-learn names it uses and never
    binds (`train_test_split`, `RandomForestClassifier`, `accuracy_score`, ...; marked;
    `meta.auto_imports` lists them). Single-answer writes."""
    encode_once: bool = True
    """Before a written script runs, where `make_pipeline(encode, estimator)` wraps an
    `estimator` that is itself a pipeline starting from the same `encode` (the data would be
    encoded twice and the second ColumnTransformer fail on an array), use `estimator` as it is;
    and where `X = encode.fit_transform(X)` (or `.transform`) rebinds a name that a pipeline
    starting with the same `encode` later gets, drop that line (marked `pass`): the pipeline
    encodes (`meta.encode_once` lists the lines). Single-answer writes."""
    feature_columns: bool = True
    """Before a written script runs, where an encoder's column list is read from the training
    table (`NUMERIC = list(train.select_dtypes("number").columns)`: the id and the target
    among them, which the features lack) and one name holds the features (`X =
    train[FEATURES]`), read it from the features (`X.select_dtypes(...)`;
    `meta.feature_columns` lists the lines). Single-answer writes."""
    unused_encoder: bool = True
    """Before a written script runs, where the skeleton's encoder (one ColumnTransformer, bound
    once) is read nowhere and a scikit-learn estimator (or a search of one) is fitted on the raw
    features it was made for, put it in front: `make_pipeline(encode, LinearRegression())`
    (text columns otherwise fail at fit; `meta.unused_encoder` lists the lines). Single-answer
    writes."""
    text_imputer: bool = True
    """Before a written script runs, where a ColumnTransformer imputes columns that are
    certainly not numeric (the skeleton's `CATEGORICAL`: those not in `select_dtypes("number")`)
    with `SimpleImputer(strategy="median")` or `"mean"`, alone or in a pipeline, which cannot
    read text and fails at fit, impute them with `"most_frequent"` (`meta.text_imputer` lists
    the lines). Single-answer writes."""
    estimator_keywords: bool = True
    """Before a written script runs, rename the keywords a scikit-learn estimator knows by
    another name: `n_estimators=` or `n_iter=` given to `HistGradientBoostingClassifier` /
    `Regressor` (a TypeError at construction) becomes `max_iter=`, unless `max_iter` is given
    (`meta.estimator_keywords` lists the lines). Single-answer writes."""
    estimator_kind: bool = True
    """Before a written script runs, rename a scikit-learn estimator of the other kind to its
    twin of the task's: a classifier on a regression task (`MLPClassifier`: the fit dies of
    `Unknown label type: continuous`) to its regressor, a regressor on a classification task
    scored on labels (`MLPRegressor`: continuous predictions are no label) to its classifier
    (where probabilities are scored, a regressor of 0/1 targets is left alone), at its import and
    calls, where every use is an unaliased import from its module or a call with keywords both
    classes take (`meta.estimator_kind` lists the classes). Single-answer writes."""
    search_params: bool = True
    """Before a written script runs, fit a `GridSearchCV` / `RandomizedSearchCV` grid's keys to
    the estimator it searches, where both are literal in the script (parameters read from the
    installed scikit-learn's constructors): a step prefix on a bare estimator dropped
    (`histgradientboostingclassifier__learning_rate` -> `learning_rate`), a pipeline's last
    step's name added to its parameter, a parameter the estimator has under no name dropped
    (an `Invalid parameter` ValueError at the first fit; `meta.search_params` lists the lines).
    Single-answer writes."""
    unfitted_model: bool = True
    """Before a written script runs, where a scikit-learn model is predicted with and nothing
    fits it (only cross-validated or searched, which fit copies), fit it on the script's one
    training pair on the line before its first prediction (a `NotFittedError` otherwise;
    `meta.unfitted_model` lists the lines added). Single-answer writes."""
    split_names: bool = True
    """Before a written script runs, where `train_test_split(X, y)` is unpacked into the wrong
    number of names (`X_val, y_val = ...`) and the names say which array each part is from,
    give each name its own array's part and `_` to the rest (`_, X_val, _, y_val = ...`;
    `meta.split_names` lists the lines); otherwise `check_splits` refuses it. Single-answer
    writes."""
    id_reads: bool = True
    """Before a written script runs, where it reads the id column from a column selection of a
    frame read by `read_csv` (`X_test[ID]`, with `X, X_test = train[FEATURES],
    test[FEATURES]`: `FEATURES` leaves the id out), read it from that frame (`test[ID]`: the
    same rows in the same order; `meta.id_reads` lists the lines). Single-answer writes."""
    unbound_scores: bool = True
    """Before a written script runs, where it scores itself against a target-like name that no
    line binds (`mean_squared_error(y_test, predictions)`: the test rows have no target), turn
    that top-level line, and those only carrying its result on (`print(rmse)`), into a marked
    `pass` (`meta.unbound_scores` lists the lines); left for `check_names` where a loop, a
    function or a write reads them. Single-answer writes."""
    proba_column: bool = True
    """Before a written script runs, where `predict_proba(...)[:, [k]]` (a one-column table,
    which a DataFrame refuses as a column) is used as a column, take `[:, k]` (`meta.proba_column`
    lists the lines). Single-answer writes."""
    submission_rows: bool = True
    """Before a written script runs, where the submission pairs the test rows' ids
    (`test[ID]`) with predictions on the held-out part of a `train_test_split` of the training
    features (`model.predict(X_val)`), predict on the test features instead (`X_test`, or
    `test[FEATURES]` where no name holds them; where those predictions also feed a validation
    score, the score keeps them and the submission predicts anew; `meta.submission_rows` lists
    the lines). Only where the script says so for certain. Single-answer writes."""
    submission_write: bool = True
    """Before a written script runs, where it builds one submission frame of the test rows' ids
    at its top level (`submission = pd.DataFrame({ID: test[ID]})`) and writes nothing (no
    `to_csv`, no `submission.csv` in it), append `submission.to_csv("submission.csv",
    index=False)` (marked; `meta.submission_write` gives the line). Single-answer writes."""
    retry_unchanged: bool = True
    """When improve or debug answers with what the check refuses as its parent's script again
    (`unchanged`: the same text, or for a failed parent only comments or layout changed), ask
    once more, saying so and quoting the parent's error (one more call, `<operator>-unchanged`;
    `meta.unchanged_retry`). Single-answer writes."""
    retry_refused: bool = True
    """When a check before running would refuse a written script (`check_failed`: a module the
    sandbox lacks, a name read before any line binds it, the constant placeholder kept, ...),
    ask once more in the same conversation, quoting the diagnosis, instead of spending the
    step (one more call, `<operator>-refused`; `meta.refused_retry` keeps the diagnosis). The
    answer is checked again before it runs. Single-answer writes."""
    check_imports: bool = True
    """Before a candidate runs, check its imports against the packages the run's sandbox has
    (probed once per run, kept in the journal), and that no boosting library's class (`XGB...`,
    `LGBM...`, `CatBoost...`) is imported from scikit-learn; such an import fails the node as
    `check_failed` with a one-line diagnosis, not run, for debug to repair."""
    check_names: bool = True
    """Before a candidate runs, find names read before any line binds them (an ordered,
    flow-aware pass): `check_failed` instead of a NameError."""
    check_features: bool = True
    """Before a candidate runs, find an empty feature list used to select columns:
    `check_failed`."""
    check_target_reads: bool = True
    """Before a candidate runs, find a read of the target column from the test data (which has
    none: a KeyError, often after the submission is written, in a self-made score):
    `check_failed`, with the advice to score on a validation split of train."""
    check_splits: bool = True
    """Before a candidate runs, find `train_test_split` unpacked into the wrong number of names
    (`X_val, y_val = train_test_split(X, y)`: it returns 4): `check_failed`, naming the order
    of what it returns."""
    check_constant: bool = True
    """Before a candidate runs, find a script whose only model is a constant one
    (`DummyClassifier`, `DummyRegressor`: the skeleton's placeholder, kept): `check_failed`, as
    it would predict one value for every row. Any other estimator, class definition or
    modelling package imported and the script runs."""
    critique: bool = False
    """Plan and revision tasks: an improve step first asks the model to critique its parent,
    then to revise it with the critique (critique-then-revise; one more call, `critique`)."""
    react_turns: int = Field(12, gt=0)
    """Most turns of one ReAct episode."""
    react_time_s: float = Field(1800.0, gt=0)
    """Most seconds one ReAct episode may take."""
    react_command_s: float | None = Field(None, gt=0)
    """Time limit of one ReAct shell command (none: the candidate's time limit)."""
    react_tools: Literal["auto", "native", "text"] = "auto"
    """How ReAct's model calls tools: `native` tool calling (OpenAI `tools`, Anthropic
    `tool_use`), the `text` protocol (`ACTION:` lines, for servers without tool calling), or
    `auto`: native where the backend has it (OpenAI, Anthropic), text elsewhere (local
    servers)."""


def parse_operator_options(raw: OperatorOptions | Mapping[str, Any] | None) -> OperatorOptions:
    """Typed operator options from a mapping (one line naming the key on a bad one); typed
    ones are returned as they are."""
    return parse_params(OperatorOptions, raw, noun="operator option")  # type: ignore[return-value]
