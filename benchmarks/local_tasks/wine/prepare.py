"""Build the wine task from scikit-learn's bundled copy of the UCI wine recognition data."""

from pathlib import Path

from sklearn.datasets import load_wine

from airlab.tasks.prepare import write_task_data

SEED = 20261206


def prepare(out_dir: Path) -> None:
    data = load_wine(as_frame=True)
    frame = data.data.copy()
    frame.columns = [c.replace("/", "_") for c in frame.columns]
    frame["cultivar"] = data.target
    write_task_data(out_dir, frame, target_columns=["cultivar"], seed=SEED, train_fraction=0.5)
