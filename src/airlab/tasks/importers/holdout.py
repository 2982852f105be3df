"""Hidden splits of an imported task: the benchmark's test set stays whole.

MLE-bench's medals, MLGym's baselines and AIRS-Bench's SOTA scores are all measured on the
benchmark's whole test set, so an imported task keeps it as airlab's `test` split and cuts
`search` and `select` out of the labelled training rows (seeded; AIRA-2's protocol). The moved
rows leave `train`, and their inputs join the test inputs, so a candidate cannot tell them apart
from the benchmark's test rows except by what it cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from airlab.errors import TaskError
from airlab.tasks.task import SPLIT_COLUMN, SPLITS

HELD_OUT_HINT = "import with --hidden-splits held-out to cut all three splits from the test rows"


@dataclass(frozen=True)
class HeldOut:
    """Training rows moved to the hidden search and select splits."""

    train: pd.DataFrame
    """The training rows that stay public."""
    inputs: pd.DataFrame
    """The moved rows' inputs, in the test inputs' columns."""
    answers: pd.DataFrame
    """The moved rows' answers, in the benchmark answers' columns, with a `split` column."""


def answers_from_train(
    rows: pd.DataFrame, answer_columns: list[str], id_column: str, where: str
) -> pd.DataFrame:
    """The answers of training rows in the benchmark's answer format.

    A column the training table has is copied; one-hot answer columns (one per class, as
    MLE-bench's `df_to_one_hot` writes them) come from the training label column whose values
    are those classes."""
    out = pd.DataFrame({id_column: rows[id_column].to_numpy()})
    missing = [c for c in answer_columns if c != id_column and c not in rows.columns]
    label = one_hot_label(rows, missing, id_column) if missing else None
    for column in answer_columns:
        if column == id_column:
            continue
        if column in rows.columns:
            out[column] = rows[column].to_numpy()
        elif label is not None:
            out[column] = (rows[label].astype(str) == column).astype(int).to_numpy()
        else:
            raise TaskError(
                f"{where}: the training rows have no answer column {column!r} (nor a label "
                f"column whose values are the answer columns); {HELD_OUT_HINT}"
            )
    return out


def one_hot_label(rows: pd.DataFrame, classes: list[str], id_column: str) -> str | None:
    """The column whose values are the `classes` (one answer column per class), or None."""
    wanted = set(classes)
    for column in rows.columns:
        if column == id_column or rows[column].dtype.kind == "f":
            continue
        values = set(rows[column].dropna().astype(str))
        if values and values <= wanted:
            return column
    return None


def hold_out_train_rows(
    train: pd.DataFrame,
    *,
    id_column: str,
    input_columns: list[str],
    answer_columns: list[str],
    test_ids: pd.Index,
    seed: int,
    fraction: float,
    where: str,
) -> HeldOut:
    """Move a seeded `fraction` of the training rows to search and select (half each)."""
    if id_column not in train.columns:
        raise TaskError(f"{where}: missing id column {id_column!r}; {HELD_OUT_HINT}")
    missing = [c for c in input_columns if c not in train.columns]
    if missing:
        raise TaskError(
            f"{where}: the training rows lack the test input column {missing[0]!r}; {HELD_OUT_HINT}"
        )
    n_moved = round(len(train) * fraction)
    if n_moved < 2:
        raise TaskError(
            f"{where}: {len(train)} training rows are too few to cut search and select from"
        )
    order = np.random.default_rng(seed).permutation(len(train))
    moved = train.iloc[np.sort(order[:n_moved])].reset_index(drop=True)
    kept = train.iloc[np.sort(order[n_moved:])].reset_index(drop=True)
    moved = moved.assign(**{id_column: _fresh_ids(moved[id_column], train[id_column], test_ids)})
    answers = answers_from_train(moved, answer_columns, id_column, where)
    split_of = np.empty(n_moved, dtype=object)
    half = np.random.default_rng([seed, 2]).permutation(n_moved)
    split_of[half[: n_moved // 2]] = SPLITS[0]
    split_of[half[n_moved // 2 :]] = SPLITS[1]
    answers[SPLIT_COLUMN] = split_of
    return HeldOut(train=kept, inputs=moved[input_columns], answers=answers)


def _fresh_ids(moved: pd.Series, train_ids: pd.Series, test_ids: pd.Index) -> pd.Series:
    """The moved rows keep their ids unless a test row has one of them (MLE-bench renumbers
    train and test from 1 in some competitions); then integer ids continue after the largest."""
    taken = set(test_ids.astype(str))
    if not set(moved.astype(str)) & taken:
        return moved
    numbers = pd.to_numeric(pd.concat([train_ids.astype(str), pd.Series(list(taken))]), "coerce")
    if numbers.notna().all():
        start = int(numbers.max()) + 1
        return pd.Series(range(start, start + len(moved)), index=moved.index)
    return "heldout-" + moved.astype(str)
