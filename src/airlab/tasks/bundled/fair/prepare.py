"""Build the fair task from statsmodels' copy of Fair's 1978 survey of extramarital affairs."""

from pathlib import Path

import statsmodels.api as sm

from airlab.tasks.prepare import write_task_data

SEED = 20240622


def prepare(out_dir: Path) -> None:
    frame = sm.datasets.fair.load_pandas().data.astype(float).round(4)
    write_task_data(
        out_dir,
        frame,
        target_columns=["affairs"],
        seed=SEED,
        train_fraction=0.5,
        sample_values={"affairs": float(frame["affairs"].mean())},
    )
