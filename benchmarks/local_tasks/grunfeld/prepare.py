"""Build the grunfeld task from statsmodels' copy of Grunfeld's investment panel."""

from pathlib import Path

import statsmodels.api as sm

from airlab.tasks.prepare import write_task_data

SEED = 20261205


def prepare(out_dir: Path) -> None:
    frame = sm.datasets.grunfeld.load_pandas().data
    frame["year"] = frame["year"].astype(int)
    write_task_data(
        out_dir,
        frame,
        target_columns=["invest"],
        seed=SEED,
        train_fraction=0.5,
        sample_values={"invest": float(frame["invest"].mean())},
    )
