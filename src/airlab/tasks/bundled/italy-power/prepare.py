"""Build italy-power from sktime's bundled UCR ItalyPowerDemand (train and test pooled)."""

from pathlib import Path

import numpy as np
import pandas as pd
from sktime.datasets import load_italy_power_demand

from airlab.tasks.prepare import write_task_data

SEED = 20240626


def prepare(out_dir: Path) -> None:
    parts = [load_italy_power_demand(split=s, return_type="numpy2D") for s in ("train", "test")]
    values = np.vstack([x for x, _ in parts]).round(6)
    frame = pd.DataFrame(values, columns=[f"h{hour:02d}" for hour in range(values.shape[1])])
    frame["season"] = np.concatenate([y for _, y in parts]).astype(int)
    write_task_data(
        out_dir,
        frame,
        target_columns=["season"],
        seed=SEED,
        train_fraction=0.1,
        sample_values={"season": 0.5},
    )
