"""The prompts' help for small models: the exact submission format, and an I/O skeleton that
runs as it is and writes a submission the grader accepts, on tasks of every prediction kind."""

from __future__ import annotations

import ast
import math
import re

import pandas as pd
import pytest

from airlab.backends.base import ChatModel, Completion, Message, Usage
from airlab.grading.grader import Grader
from airlab.operators import OPERATORS, OperatorContext
from airlab.operators.skeleton import CV_SCORERS, column_kinds, io_skeleton
from airlab.sandbox.base import ExecutionLimits, ExecutionRequest
from airlab.sandbox.registry import get_sandbox
from airlab.tasks import load_task, resolve_task

LIMITS = ExecutionLimits(time_s=60, memory_mb=2048)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["digits", "breast-cancer", "diabetes", "fair", "co2", "anes96"])
def test_the_skeleton_runs_and_its_submission_is_valid(name, tmp_path):
    task = resolve_task(name)
    script = io_skeleton(task)
    assert script is not None
    ast.parse(script)
    assert 'pd.read_csv("public/train.csv")' in script and "submission.csv" in script
    execution = get_sandbox("process").run(
        ExecutionRequest(script=script, workdir=tmp_path, public_dir=task.public_dir, limits=LIMITS)
    )
    assert execution.exit_code == 0, execution.stderr_tail
    grade = Grader(task).grade(execution.submission, ("search",))
    assert grade.valid, grade.reason
    # its own validation estimate, from cross-validation on train, where scikit-learn has the
    # metric's scorer (the constant's score: what the model's estimator will replace)
    claimed = re.findall(r"self_reported_score: (\S+)", execution.stdout_tail)
    if task.metric.name in CV_SCORERS:
        assert len(claimed) == 1 and math.isfinite(float(claimed[0])), execution.stdout_tail
        if task.metric.name in ("rmse", "log_loss", "accuracy"):
            assert float(claimed[0]) >= 0
    else:
        assert claimed == []


def test_no_skeleton_without_a_train_test_pair(make_task, tmp_path):
    task = load_task(make_task())
    assert io_skeleton(task) is not None
    (task.public_dir / "train.csv").rename(task.public_dir / "train_data.csv")
    assert io_skeleton(task) is None


class Recorder(ChatModel):
    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[list[Message]] = []

    def complete(self, messages, *, purpose=""):
        self.seen.append(list(messages))
        return Completion("Plan.\n```python\nprint(1)\n```", Usage(1, 1, 0.0, 1), "r")


def _prompt(make_task, **options):
    task = load_task(make_task())
    chat = Recorder()
    context = OperatorContext(
        task=task,
        parents=(),
        history=(),
        backend=chat,
        seed=0,
        node_id=0,
        limits=LIMITS,
        options=options,
    )
    OPERATORS.get("draft").apply(context)
    return chat.seen[0][1]


def test_the_prompt_states_the_format_and_marks_the_task_prefix(make_task):
    message = _prompt(make_task)
    prompt = message.content
    assert "with exactly the header `id,y`" in prompt
    assert '`public/test.csv` has no "y" column' in prompt
    assert "## A runnable start" in prompt and 'TARGETS = ["y"]' in prompt
    # the cacheable prefix is the task part, the same in every call of a run
    prefix = prompt[: message.cache_prefix]
    assert prefix.startswith("# Task:") and prefix.rstrip().endswith("fix random seeds.")
    assert "# Your step" not in prefix and "# Your step" in prompt[message.cache_prefix :]


def test_the_skeleton_can_be_switched_off(make_task):
    assert "## A runnable start" not in _prompt(make_task, skeleton=False).content


@pytest.mark.parametrize("text_dtype", ["object", "string", "category"])
def test_column_kinds_hold_for_every_string_dtype(text_dtype):
    """pandas 2 reads strings as `object`, pandas 3 as `str`: both, and categories and booleans,
    are categorical; the split is the skeleton's own `select_dtypes("number")`."""
    frame = pd.DataFrame(
        {
            "age": [30, 41, 52],
            "income": [1.5, None, 2.5],
            "city": pd.Series(["a", "b", None], dtype=text_dtype),
            "member": [True, False, True],
        }
    )
    assert column_kinds(frame) == (["age", "income"], ["city", "member"])


def _with_text_columns(make_task):
    """The tiny task with a text column (missing values, a level unseen in train) and a bool."""
    task = load_task(make_task())
    for name in ("train.csv", "test.csv"):
        path = task.public_dir / name
        frame = pd.read_csv(path)
        frame["city"] = [["paris", "rome", None, "oslo"][i % 4] for i in range(len(frame))]
        if name == "test.csv":
            frame.loc[0, "city"] = "lima"
        frame["member"] = frame.index % 2 == 0
        frame.to_csv(path, index=False)
    return task


ESTIMATOR_LINE = re.compile(r"^estimator = .*$", re.M)


@pytest.mark.slow
@pytest.mark.parametrize("estimator", [None, "HistGradientBoostingClassifier()"])
def test_the_skeleton_encodes_text_columns_and_only_its_estimator_is_to_replace(
    make_task, tmp_path, estimator
):
    task = _with_text_columns(make_task)
    script = io_skeleton(task)
    assert '# ["a", "b", "c", "city", "member"]' in script  # the features, named
    assert 'CATEGORICAL = [c for c in FEATURES if c not in NUMERIC]  # ["city", "member"]' in script
    assert re.search(r"^y = train\[TARGETS\[0\]\]$", script, re.M)  # at top level
    if estimator is not None:
        script = ESTIMATOR_LINE.sub(f"estimator = {estimator}", script)
        script = "from sklearn.ensemble import HistGradientBoostingClassifier\n" + script
    execution = get_sandbox("process").run(
        ExecutionRequest(script=script, workdir=tmp_path, public_dir=task.public_dir, limits=LIMITS)
    )
    assert execution.exit_code == 0, execution.stderr_tail
    assert Grader(task).grade(execution.submission, ("search",)).valid


@pytest.mark.parametrize("text_dtype", ["object", "str"])
def test_the_skeleton_s_encoding_fits_both_string_dtypes(make_task, text_dtype):
    """The pipeline part of the skeleton, run here on frames whose text column has the dtype
    `read_csv` gives it under pandas 2 (`object`) and under pandas 3 (`str`: strings with NaN
    for missing values), whichever pandas runs the test."""
    if text_dtype == "str":
        text_dtype = pd.StringDtype(na_value=float("nan"))
    task = _with_text_columns(make_task)
    script = io_skeleton(task)
    start = script.index("NUMERIC =")
    end = script.index("# REPLACE")
    train = pd.read_csv(task.public_dir / "train.csv")
    train["city"] = train["city"].astype(text_dtype)
    namespace = {
        "X": train[["a", "b", "c", "city", "member"]],
        "FEATURES": ["a", "b", "c", "city", "member"],
    }
    exec(
        "from sklearn.compose import ColumnTransformer\n"
        "from sklearn.impute import SimpleImputer\n"
        "from sklearn.pipeline import make_pipeline\n"
        "from sklearn.preprocessing import OneHotEncoder\n" + script[start:end],
        namespace,
    )
    encoded = namespace["encode"].fit_transform(namespace["X"])
    assert encoded.dtype.kind == "f" and not pd.isna(encoded).any()
    assert encoded.shape[1] > 5  # the text column became several indicator columns
