"""Shared helpers for `prepare.py` scripts: one fixed, seeded protocol for the hidden splits.

The labelled rows are shuffled once with the task's seed. A share goes to `public/train.csv`;
the rest is held out and split into the three hidden splits (search, select, test). Their inputs
go, shuffled together under ids that reveal nothing, into `public/test.csv`; their answers, with a
`split` column, into `private/answers.csv`.

A task whose `task.yaml` says `hidden_splits: {source: train}` keeps the held-out rows whole as
`test` and cuts search and select (half each) out of a `train_fraction` of the training share
instead, the protocol imported benchmarks use (see `importers/holdout.py`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np
import pandas as pd

from airlab.tasks.spec import HiddenSplits, SplitSource
from airlab.tasks.task import (
    ANSWERS_FILE,
    PRIVATE_DIR,
    PUBLIC_DIR,
    SAMPLE_SUBMISSION_FILE,
    SPLIT_COLUMN,
    SPLITS,
    TEST_FILE,
    TRAIN_FILE,
)

_HIDDEN_SPLITS: ContextVar[HiddenSplits | None] = ContextVar("hidden_splits", default=None)


@contextmanager
def task_hidden_splits(choice: HiddenSplits) -> Iterator[None]:
    """While a bundled task's `prepare.py` runs: its `task.yaml`'s `hidden_splits` choice."""
    token = _HIDDEN_SPLITS.set(choice)
    try:
        yield
    finally:
        _HIDDEN_SPLITS.reset(token)


def split_labelled_rows(
    n_rows: int, *, seed: int, train_fraction: float, split_fractions: Sequence[float] = (1, 1, 1)
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Row indices for train and for each hidden split, from one seeded permutation."""
    if not 0 < train_fraction < 1:
        raise ValueError("train_fraction must be in (0, 1)")
    order = np.random.default_rng(seed).permutation(n_rows)
    n_train = round(n_rows * train_fraction)
    held_out = order[n_train:]
    weights = np.asarray(split_fractions, dtype=float)
    bounds = np.round(np.cumsum(weights) / weights.sum() * len(held_out)).astype(int)
    starts = np.concatenate([[0], bounds[:-1]])
    hidden = {
        split: held_out[start:end] for split, start, end in zip(SPLITS, starts, bounds, strict=True)
    }
    return order[:n_train], hidden


def write_task_data(
    out_dir: Path,
    frame: pd.DataFrame,
    *,
    target_columns: Sequence[str],
    seed: int,
    train_fraction: float = 0.5,
    id_column: str = "id",
    sample_values: Mapping[str, object] | None = None,
    hidden_splits: HiddenSplits | None = None,
) -> None:
    """Write `public/` and `private/` for a table of labelled rows (features + targets).

    `hidden_splits` (default: the task.yaml's, when airlab builds a bundled task) chooses where
    search and select come from; the default cuts all three from the held-out rows."""
    public, private = _make_task_dirs(Path(out_dir))

    frame = frame.reset_index(drop=True)
    choice = hidden_splits or _HIDDEN_SPLITS.get() or HiddenSplits()
    train_rows, hidden = split_labelled_rows(len(frame), seed=seed, train_fraction=train_fraction)
    if choice.source == SplitSource.TRAIN:
        train_rows, hidden = _search_select_from_train(train_rows, hidden, seed, choice)
    rng = np.random.default_rng([seed, 1])

    train = frame.iloc[train_rows].reset_index(drop=True)
    train.insert(0, id_column, [f"tr{i:05d}" for i in range(len(train))])

    held_rows = np.concatenate([hidden[split] for split in SPLITS])
    split_of_row = np.concatenate([[split] * len(hidden[split]) for split in SPLITS])
    ids = [f"te{i:05d}" for i in rng.permutation(len(held_rows))]
    held = frame.iloc[held_rows].reset_index(drop=True)
    held.insert(0, id_column, ids)
    held[SPLIT_COLUMN] = split_of_row
    held = held.sort_values(id_column).reset_index(drop=True)

    features = [c for c in frame.columns if c not in target_columns]
    train.to_csv(public / TRAIN_FILE, index=False)
    held[[id_column, *features]].to_csv(public / TEST_FILE, index=False)
    held[[id_column, *target_columns, SPLIT_COLUMN]].to_csv(private / ANSWERS_FILE, index=False)

    sample = pd.DataFrame({id_column: held[id_column]})
    for column in target_columns:
        default = (sample_values or {}).get(column, train[column].mode().iloc[0])
        sample[column] = default
    sample.to_csv(public / SAMPLE_SUBMISSION_FILE, index=False)


def _search_select_from_train(
    train_rows: np.ndarray, hidden: dict[str, np.ndarray], seed: int, choice: HiddenSplits
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every held-out row becomes `test`; a seeded share of the training rows, search and select."""
    rng = np.random.default_rng([seed if choice.seed is None else choice.seed, 4])
    moved = rng.permutation(train_rows)[: round(len(train_rows) * choice.train_fraction)]
    if len(moved) < 2:
        raise ValueError("hidden_splits source train: too few training rows to move")
    held_out = np.concatenate([hidden[split] for split in SPLITS])
    search, select = np.array_split(moved, 2)
    kept = np.setdiff1d(train_rows, moved, assume_unique=True)
    kept = train_rows[np.isin(train_rows, kept)]  # keep the shuffled order
    return kept, {SPLITS[0]: search, SPLITS[1]: select, SPLITS[2]: held_out}


def write_forecast_data(
    out_dir: Path,
    series: pd.DataFrame,
    *,
    time_column: str,
    target: str,
    horizon: int,
    seed: int,
    id_column: str = "id",
) -> None:
    """Write a forecasting task: the past in `train.csv`, the last `horizon` periods to forecast.

    The hidden splits interleave over the horizon (seeded), so search, select and test all mix
    near and far periods, and a candidate cannot tell which period belongs to which split.
    """
    public, private = _make_task_dirs(Path(out_dir))
    if not 3 <= horizon < len(series) // 2:
        raise ValueError("horizon must be at least 3 and shorter than half the series")

    series = series.sort_values(time_column).reset_index(drop=True)[[time_column, target]]
    train, held = series.iloc[:-horizon], series.iloc[-horizon:].reset_index(drop=True)
    held.insert(0, id_column, [f"f{i:04d}" for i in range(horizon)])
    order = np.random.default_rng(seed).permutation(horizon)
    split_of_row = np.empty(horizon, dtype=object)
    for split, rows in zip(SPLITS, np.array_split(order, len(SPLITS)), strict=True):
        split_of_row[rows] = split
    held[SPLIT_COLUMN] = split_of_row

    train.to_csv(public / TRAIN_FILE, index=False)
    held[[id_column, time_column]].to_csv(public / TEST_FILE, index=False)
    held[[id_column, target, SPLIT_COLUMN]].to_csv(private / ANSWERS_FILE, index=False)
    sample = held[[id_column]].assign(**{target: float(train[target].iloc[-1])})
    sample.to_csv(public / SAMPLE_SUBMISSION_FILE, index=False)


def _make_task_dirs(out_dir: Path) -> tuple[Path, Path]:
    """`public/` and `private/` under `out_dir`; private is readable by its owner only."""
    public = out_dir / PUBLIC_DIR
    private = out_dir / PRIVATE_DIR
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    os.chmod(private, 0o700)
    return public, private
