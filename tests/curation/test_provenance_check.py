"""`task check` warns when a task's rows are a package data set it does not declare."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_wine

from airlab.curation import check_task, provenance
from airlab.curation.provenance import package_data_sets, undeclared_sources
from airlab.tasks import load_task
from airlab.tasks.prepare import write_task_data

WINE = "sklearn.datasets.load_wine"


def wine_task(root: Path, **fields: object) -> Path:
    """A task folder built from scikit-learn's wine data, columns renamed and one dropped."""
    data = load_wine(as_frame=True)
    frame = data.data.drop(columns=["ash"]).rename(columns=lambda c: f"f_{c}")
    frame["cultivar"] = data.target
    write_task_data(root, frame, target_columns=["cultivar"], seed=7, train_fraction=0.5)
    spec = {
        "name": "wine",
        "title": "Wine cultivars",
        "type": "classification",
        "metric": "accuracy",
        "direction": "maximize",
        "id_column": "id",
        "target_columns": ["cultivar"],
        "labels": ["0", "1", "2"],
        **fields,
    }
    (root / "task.yaml").write_text(yaml.safe_dump(spec))
    (root / "description.md").write_text("# Wine\n")
    return root


@pytest.fixture(scope="module")
def wine_only() -> list:
    return [d for d in package_data_sets() if d.loader in (WINE, "sklearn.datasets.load_iris")]


def test_an_undeclared_package_data_set_is_found(tmp_path: Path, wine_only: list) -> None:
    task = load_task(wine_task(tmp_path / "wine"))
    found = undeclared_sources(task, wine_only)
    assert len(found) == 1 and WINE in found[0]


def test_a_declared_one_is_not(tmp_path: Path, wine_only: list) -> None:
    declared = {"package": "scikit-learn", "loader": WINE, "paths": ["datasets/data/wine_data.csv"]}
    task = load_task(wine_task(tmp_path / "wine", provenance=[declared]))
    assert undeclared_sources(task, wine_only) == []


def test_rows_of_no_package_match_nothing(make_task: object, wine_only: list) -> None:
    task = load_task(make_task())  # type: ignore[operator]
    assert undeclared_sources(task, wine_only) == []


def test_a_task_with_rows_perturbed_matches_nothing(tmp_path: Path, wine_only: list) -> None:
    root = wine_task(tmp_path / "wine")
    test = pd.read_csv(root / "public" / "test.csv")
    numeric = test.columns[1:]
    test[numeric] = test[numeric] * 1.01  # the same data set, rescaled: its rows are not there
    test.to_csv(root / "public" / "test.csv", index=False)
    assert undeclared_sources(load_task(root), wine_only) == []


@pytest.mark.slow
def test_task_check_warns_with_the_real_catalogue(tmp_path: Path) -> None:
    report = check_task(load_task(wine_task(tmp_path / "wine")), run_baseline=False)
    assert any(WINE in w for w in report.warnings), report.warnings
    assert report.ok  # a warning, not a problem


@pytest.mark.slow
def test_declared_paths_that_match_nothing_are_warned_about(tmp_path: Path) -> None:
    declared = {"package": "scikit-learn", "loader": WINE, "paths": ["datasets/data/no-such.csv"]}
    task = load_task(wine_task(tmp_path / "wine", provenance=[declared]))
    report = check_task(task, sandbox="process", run_baseline=False)
    assert any("match no file" in w and "no-such.csv" in w for w in report.warnings)


def _counting(table: pd.DataFrame, loads: list[int]) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        loads.append(1)
        return table

    return load


def test_a_catalogue_table_is_loaded_once_per_package_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rounded table is kept in the data home: a second check (another process: the
    in-memory cache cleared) reads it without loading, a new version of the package loads
    afresh, and a torn file is loaded again and rewritten."""
    from airlab.curation import provenance

    monkeypatch.setenv("AIRLAB_HOME", str(tmp_path / "home"))
    loads: list[int] = []
    frame = pd.DataFrame({"a": [1.004, 2.0, 3.0], "b": ["x", "y", "z"], "c": [0.5, 0.25, 1.0]})
    data_set = provenance.DataSet("numpy.fake.load", _counting(frame, loads), "numpy", "fake")
    first = provenance._numeric(data_set)
    provenance._numeric.cache_clear()
    again = provenance._numeric(data_set)
    assert len(loads) == 1 and again is not None and first is not None
    assert again.tolist() == first.tolist() == [[1.0, 0.5], [2.0, 0.25], [3.0, 1.0]]

    kept = next((tmp_path / "home" / provenance.CACHE_FOLDER).glob("numpy-*-fake.npy"))
    kept.write_bytes(b"torn")
    provenance._numeric.cache_clear()
    reloaded = provenance._numeric(data_set)
    assert reloaded is not None and reloaded.tolist() == first.tolist()
    assert len(loads) == 2 and kept.read_bytes() != b"torn"

    monkeypatch.setattr(provenance.importlib.metadata, "version", lambda _name: "99.0")
    provenance._numeric.cache_clear()
    provenance._numeric(data_set)
    assert len(loads) == 3
    assert {p.name for p in kept.parent.iterdir()} == {kept.name, "numpy-99.0-fake.npy"}


def test_a_data_set_of_a_missing_distribution_is_neither_loaded_from_nor_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airlab.curation import provenance

    monkeypatch.setenv("AIRLAB_HOME", str(tmp_path / "home"))
    loads: list[int] = []
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    load = _counting(frame, loads)
    data_set = provenance.DataSet("x.load", load, "no-such-distribution", "x")
    provenance._numeric.cache_clear()
    assert provenance._numeric(data_set) is not None and len(loads) == 1
    assert not (tmp_path / "home" / provenance.CACHE_FOLDER).exists()


def test_the_catalogue_is_one_set_of_keys_per_process() -> None:
    """Each check looks its tables up under the same data sets (a new list each call would
    never hit the in-memory cache and keep every call's tables)."""
    from airlab.curation import provenance

    assert provenance.package_data_sets() is provenance.package_data_sets()
    loaders = [(d.distribution, d.key) for d in provenance.package_data_sets()]
    assert len(set(loaders)) == len(loaders)


def _pair_by_counting(
    rows: np.ndarray, table: np.ndarray, columns: list[int]
) -> list[tuple[int, int]]:
    """The pairing rule written as plain counting, one table column at a time."""
    counts = [Counter(v for v in table[:, d].tolist() if v == v) for d in range(table.shape[1])]
    pairs = []
    for c in columns:
        mine = Counter(rows[:, c].tolist())
        best, best_gap = None, float("inf")
        for d, theirs in enumerate(counts):
            if sum(max(n - theirs.get(v, 0), 0) for v, n in mine.items()) > 0.05 * len(rows):
                continue
            scale = Fraction(len(rows), len(table))
            gap = sum(abs(theirs.get(v, 0) * scale - n) for v, n in mine.items())
            if gap < best_gap:
                best, best_gap = d, gap
        if best is not None:
            pairs.append((c, best))
    return pairs


@pytest.mark.parametrize("seed", range(40))
def test_columns_pair_as_plain_counting_pairs_them(seed: int) -> None:
    """Random tables with repeated values, NaN, duplicated and shuffled columns, and task rows
    drawn from them (some with values the table lacks): the counted-at-once pairing, in
    blocks as small as one column, chooses what counting column by column chooses."""
    rng = np.random.default_rng(seed)
    table = np.round(rng.integers(0, 6, size=(60, 9)) * rng.choice([1.0, 0.5, 0.25]), 2)
    table[:, 3] = table[:, 1]  # a tie: the first such column wins
    table[rng.random(table.shape) < 0.05] = np.nan
    rows = table[rng.choice(60, size=25, replace=False)][:, rng.permutation(9)]
    rows = np.nan_to_num(rows, nan=7.0)  # a value the table never holds
    if seed % 3 == 0:
        rows[: seed % 7, 0] += 100.0
    columns = list(range(rows.shape[1]))
    expected = _pair_by_counting(rows, table, columns)
    assert provenance._pair_columns(rows, table, columns) == expected
    cells = provenance._ColumnCounts.CELLS
    try:
        provenance._ColumnCounts.CELLS = 1  # one table column a block
        assert provenance._pair_columns(rows, table, columns) == expected
    finally:
        provenance._ColumnCounts.CELLS = cells


def test_an_all_nan_table_pairs_nothing() -> None:
    rows = np.ones((5, 2))
    assert provenance._pair_columns(rows, np.full((8, 3), np.nan), [0, 1]) == []
