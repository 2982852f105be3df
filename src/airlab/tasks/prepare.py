"""Shared helpers for `prepare.py` scripts: one fixed, seeded protocol for the hidden splits.

The labelled rows are shuffled once with the task's seed. A share goes to `public/train.csv`;
the rest is held out and split into the three hidden splits (search, select, test). Their inputs
go, shuffled together under ids that reveal nothing, into `public/test.csv`; their answers, with a
`split` column, into `private/answers.csv`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

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
) -> None:
    """Write `public/` and `private/` for a table of labelled rows (features + targets)."""
    public, private = _make_task_dirs(Path(out_dir))

    frame = frame.reset_index(drop=True)
    train_rows, hidden = split_labelled_rows(len(frame), seed=seed, train_fraction=train_fraction)
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
