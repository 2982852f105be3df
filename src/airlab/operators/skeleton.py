"""What a small model most often gets wrong, said in the prompt: the exact submission format and
a runnable skeleton of the I/O.

The first searches driven by a 1.5B local model failed on I/O, not on modelling: the string `id`
column used as a feature, the target read from `test.csv`, no `submission.csv` at all. The
skeleton reads `public/train.csv` and `public/test.csv`, names the id, target and feature
columns of this task, and writes a valid submission with a constant baseline, so that a model
only has to replace the marked line. It prints no score (a constant must not look good under
self-reported fitness). A test runs it on bundled tasks of every prediction kind.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from airlab.tasks.task import Task

TRAIN, TEST = "train.csv", "test.csv"


def prediction_text(task: Task) -> str:
    """What each target column of the submission holds, in words."""
    spec = task.spec
    kind = task.metric.kind
    if kind == "probability":
        return f"the probability (between 0 and 1) that the label is `{spec.positive_label}`"
    if kind == "label":
        return "a class label" + (
            f" (one of {', '.join(spec.labels)})" if spec.labels else " (as in train.csv)"
        )
    if task.metric.needs_positive_predictions:
        return "a number above 0"
    return "a number"


def _baseline(task: Task) -> str:
    kind = task.metric.kind
    if kind == "probability":
        label = task.spec.positive_label
        return f'(y.astype(str) == "{label}").mean()  # the share of `{label}`'
    if kind == "label":
        return "y.mode()[0]  # the most frequent label"
    return "y.mean()"


def io_skeleton(task: Task) -> str | None:
    """A script that runs as it is and writes a valid submission; None for tasks whose data is
    not a train/test pair of CSV files."""
    public = Path(task.public_dir)
    if not ((public / TRAIN).is_file() and (public / TEST).is_file()):
        return None
    spec = task.spec
    try:
        test = pd.read_csv(public / TEST, nrows=200)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        return None
    features = [str(c) for c in test.columns if c != spec.id_column]
    text_columns = [c for c in features if test[c].dtype == object]
    targets = list(spec.target_columns)
    lines = [
        "import pandas as pd",
        "",
        'train = pd.read_csv("public/train.csv")',
        f'test = pd.read_csv("public/test.csv")  # has no {_names(targets)} column',
        f"ID = {json.dumps(spec.id_column)}  # an identifier: never a feature",
        f"TARGETS = {json.dumps(targets)}  # only in train.csv",
        "FEATURES = [c for c in test.columns if c != ID]"
        + ("" if len(features) > 8 else f"  # {json.dumps(features)}"),
    ]
    if text_columns:
        lines.append(
            f"# text columns, to encode or drop for most models: {json.dumps(text_columns)}"
        )
    lines += [
        "X, X_test = train[FEATURES], test[FEATURES]",
        "",
        "submission = pd.DataFrame({ID: test[ID]})",
        "for target in TARGETS:",
        "    y = train[target]",
        "    # REPLACE this constant with a model fitted on X, y and predicting X_test",
        f"    submission[target] = {_baseline(task)}",
        'submission.to_csv("submission.csv", index=False)',
        "# then print your own validation estimate of the metric as the last line:",
        '# print(f"self_reported_score: {score}")',
    ]
    return "\n".join(lines)


def _names(columns: list[str]) -> str:
    return ", ".join(f"`{c}`" for c in columns)
