"""`task check` warns when a task's rows are a package data set it does not declare."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_wine

from airlab.curation import check_task
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
