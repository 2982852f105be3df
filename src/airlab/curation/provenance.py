"""Does a task's data come from a data set an installed package ships, without saying so?

A candidate can load such a data set and look the answers up; the sandbox hides only what the
task declares in `provenance`. `task check` therefore matches the task's public test rows
against every data set the importable packages can load (scikit-learn's `load_*`, statsmodels'
`datasets`, sktime's bundled loaders) and warns about a match the task does not declare.

Rows are compared on their numeric feature values rounded to 2 decimals. The task's columns may
be renamed, reordered or fewer than the data set's, so each of the task's most varied columns is
first paired with the data set column whose values contain its own in the closest proportions;
then rows are hashed on the paired columns. A forecasting task's test rows hold only a date, so
they are never matched.

Loading the whole catalogue takes a second or more (sktime's import most of it), so each data set's
rounded numeric table is kept under `$AIRLAB_HOME/package-data`, keyed by the version of the
distribution that ships it: a task check after the first reads arrays, and a package upgrade
loads afresh. The folder is in airlab's data home, which every file-hiding sandbox hides.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from airlab.tasks.bundled import data_home
from airlab.tasks.task import Task, read_csv

MATCH_SHARE = 0.9
"""The share of test rows found in a data set that makes it the task's source."""
KEY_COLUMNS = 12
"""How many of the task's most varied columns the rows are hashed on."""
DECIMALS = 2

_SKLEARN = ("iris", "diabetes", "digits", "breast_cancer", "wine", "linnerud")
_STATSMODELS = (
    "anes96",
    "cancer",
    "ccard",
    "china_smoking",
    "co2",
    "committee",
    "copper",
    "cpunish",
    "danish_data",
    "elnino",
    "engel",
    "fair",
    "fertility",
    "grunfeld",
    "heart",
    "interest_inflation",
    "longley",
    "macrodata",
    "modechoice",
    "nile",
    "randhie",
    "scotland",
    "spector",
    "stackloss",
    "star98",
    "statecrime",
    "strikes",
    "sunspots",
)
_SKTIME = (
    "italy_power_demand",
    "osuleaf",
    "tecator",
    "gunpoint",
    "arrow_head",
    "acsf1",
)


CACHE_FOLDER = "package-data"


@dataclass(frozen=True)
class DataSet:
    """A data set an installed package can load, by the loader a task would declare.

    `distribution` is the package that ships it (its version keys the cached table) and `key`
    names the table among the distribution's (two variants of one loader differ in it)."""

    loader: str
    load: Callable[[], pd.DataFrame]
    distribution: str = ""
    key: str = ""


def _sklearn(name: str, **options: object) -> pd.DataFrame:
    module = importlib.import_module("sklearn.datasets")
    bunch = getattr(module, f"load_{name}")(as_frame=True, **options)
    return bunch.frame if bunch.frame is not None else bunch.data


def _statsmodels(name: str) -> pd.DataFrame:
    return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data


def _sktime(name: str) -> pd.DataFrame:
    loader = getattr(importlib.import_module("sktime.datasets"), f"load_{name}")
    x, y = loader(return_type="numpy2D")
    frame = pd.DataFrame(np.asarray(x, dtype=float))
    frame["target"] = pd.to_numeric(pd.Series(y), errors="coerce")
    return frame


@functools.cache
def package_data_sets() -> tuple[DataSet, ...]:
    """The data sets of scikit-learn, statsmodels and sktime that ship with them (no download).

    One tuple for the process, so that each data set is one key of `_numeric`'s cache."""
    sklearn, statsmodels, sktime = "scikit-learn", "statsmodels", "sktime"
    sets = [
        DataSet(f"sklearn.datasets.load_{n}", functools.partial(_sklearn, n), sklearn, n)
        for n in _SKLEARN
    ]
    unscaled = functools.partial(_sklearn, "diabetes", scaled=False)
    sets.append(DataSet("sklearn.datasets.load_diabetes", unscaled, sklearn, "diabetes-unscaled"))
    sets += [
        DataSet(
            f"statsmodels.datasets.{n}.load_pandas",
            functools.partial(_statsmodels, n),
            statsmodels,
            n,
        )
        for n in _STATSMODELS
    ]
    sets += [
        DataSet(f"sktime.datasets.load_{n}", functools.partial(_sktime, n), sktime, n)
        for n in _SKTIME
    ]
    return tuple(sets)


@functools.cache
def _numeric(data_set: DataSet) -> np.ndarray | None:
    """The data set's numeric columns, rounded (None: its package is missing or it failed)."""
    cached = _cache_path(data_set)
    if cached is not None and cached.is_file():
        try:
            return np.load(cached, allow_pickle=False)
        except (OSError, ValueError):  # a torn or foreign file: load afresh and rewrite it
            pass
    try:
        frame = data_set.load()
    except Exception:  # a missing package or a loader that cannot run here: nothing to match
        return None
    numeric = frame.apply(pd.to_numeric, errors="coerce").dropna(axis=1, how="all")
    table = np.round(numeric.to_numpy(dtype=float), DECIMALS)
    if cached is not None:
        _save(cached, table)
    return table


def _cache_path(data_set: DataSet) -> Path | None:
    """Where the data set's table is kept (None: uncached, or its distribution is missing)."""
    if not data_set.distribution or not data_set.key:
        return None
    try:
        version = importlib.metadata.version(data_set.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    name = f"{data_set.distribution}-{version}-{data_set.key}.npy"
    return data_home() / CACHE_FOLDER / name


def _save(path: Path, table: np.ndarray) -> None:
    """Write whole or not at all: concurrent checks may write the same table."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:  # a read-only home: the check still runs, only slower next time
        return
    try:
        with os.fdopen(handle, "wb") as stream:
            np.save(stream, table, allow_pickle=False)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def undeclared_sources(task: Task, data_sets: Iterable[DataSet] | None = None) -> list[str]:
    """One line for each package data set that holds the task's test rows but is not declared."""
    if task.spec.time_column is not None:
        return []
    declared = {s.loader for s in task.spec.package_sources}
    test = read_csv(task.public_dir / "test.csv")
    features = test.drop(columns=[task.spec.id_column]).apply(pd.to_numeric, errors="coerce")
    rows = np.round(features.dropna(axis=1, how="any").to_numpy(dtype=float), DECIMALS)
    found = []
    for data_set in package_data_sets() if data_sets is None else data_sets:
        if data_set.loader in declared:
            continue
        table = _numeric(data_set)
        share = 0.0 if table is None else row_share(rows, table)
        if share >= MATCH_SHARE:
            found.append(
                f"{share:.0%} of the test rows are rows of {data_set.loader}, which provenance "
                "does not declare: a candidate can look their answers up (declare it, see "
                "docs/writing-a-task.md)"
            )
    return found


def row_share(rows: np.ndarray, table: np.ndarray) -> float:
    """The share of `rows` found among `table`'s rows, its columns paired with theirs."""
    if len(rows) == 0 or table.shape[0] < len(rows) * MATCH_SHARE:
        return 0.0
    ordered = np.sort(rows, axis=0)
    distinct = 1 + np.count_nonzero(ordered[1:] != ordered[:-1], axis=0)  # per column
    varied = [c for c in np.argsort(-distinct, kind="stable").tolist() if distinct[c] >= 3]
    pairs = _pair_columns(rows, table, varied[:KEY_COLUMNS])
    if len(pairs) < 2 or len(pairs) < len(varied[:KEY_COLUMNS]) * 0.6:
        return 0.0
    ours = [c for c, _ in pairs]
    theirs = [d for _, d in pairs]
    known = {tuple(row) for row in table[:, theirs].tolist()}
    return sum(tuple(row) in known for row in rows[:, ours].tolist()) / len(rows)


def _pair_columns(
    rows: np.ndarray, table: np.ndarray, columns: Sequence[int]
) -> list[tuple[int, int]]:
    """Each task column with the table column holding its values in the closest proportions.

    A table column qualifies when it holds all but 5 % of the task column's values (counted
    with repeats); of those, the one whose value counts, scaled to the task's row count, differ
    least wins (the first on an exact tie). Counted for every table column at once: a time-series
    data set has hundreds of columns, which a loop over them made seconds of every task check.
    """
    counts = _ColumnCounts(table)
    most = np.iinfo(np.int64).max
    pairs = []
    for c in columns:
        values, mine = np.unique(rows[:, c], return_counts=True)
        best, best_gap = None, most
        for first in range(0, table.shape[1], counts.block(len(values))):
            theirs = counts.of(values, first)  # (block of table columns, task values)
            missing = np.maximum(mine - theirs, 0).sum(axis=1)
            # |theirs × ratio − mine| × table rows, in integers: equal proportions tie exactly
            gap = np.abs(theirs * len(rows) - mine * table.shape[0]).sum(axis=1)
            gap[missing > 0.05 * len(rows)] = most
            d = int(np.argmin(gap))
            if gap[d] < best_gap:
                best, best_gap = first + d, gap[d]
        if best is not None:
            pairs.append((c, best))
    return pairs


class _ColumnCounts:
    """How often each value occurs in each column of a table, for many look-ups at once.

    Each (column, value) pair is one integer key, column × distinct values + the value's rank,
    kept sorted with its count, so the counts of k values in b columns are one sorted search."""

    CELLS = 1 << 20
    """Look-ups answered at once: bounds the memory of one block to a few MB."""

    def __init__(self, table: np.ndarray) -> None:
        self.columns = table.shape[1]
        finite = ~np.isnan(table)  # NaN never equals a task value
        self.distinct = np.unique(table[finite])
        column = np.broadcast_to(np.arange(self.columns), table.shape)[finite]
        rank = np.searchsorted(self.distinct, table[finite])
        keys = column.astype(np.int64) * max(len(self.distinct), 1) + rank
        self.keys, self.counts = np.unique(keys, return_counts=True)

    def block(self, values: int) -> int:
        """How many columns one look-up of `values` values covers."""
        return max(1, self.CELLS // max(values, 1))

    def of(self, values: np.ndarray, first: int) -> np.ndarray:
        """Counts of `values` (sorted, distinct) in columns first, first + 1, ..., one row each."""
        last = min(first + self.block(len(values)), self.columns)
        rank = np.searchsorted(self.distinct, values)
        known = rank < len(self.distinct)
        known[known] = self.distinct[rank[known]] == values[known]
        width = max(len(self.distinct), 1)
        wanted = np.arange(first, last, dtype=np.int64)[:, None] * width + rank[None, :]
        if not len(self.keys):  # every cell NaN
            return np.zeros(wanted.shape, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        found = (self.keys[at] == wanted) & known[None, :]
        return np.where(found, self.counts[at], 0)
