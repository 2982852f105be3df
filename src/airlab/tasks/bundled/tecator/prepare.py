"""Build tecator from sktime's bundled Tecator meat spectra (train and test pooled)."""

from pathlib import Path

import numpy as np
import pandas as pd
from sktime.datasets import load_tecator

from airlab.tasks.prepare import write_task_data

SEED = 20240628


def prepare(out_dir: Path) -> None:
    parts = [load_tecator(split=s, return_type="numpy2D") for s in ("train", "test")]
    values = np.vstack([x for x, _ in parts]).astype(float).round(5)
    frame = pd.DataFrame(values, columns=[f"a{channel:03d}" for channel in range(values.shape[1])])
    frame["fat"] = np.concatenate([y for _, y in parts]).astype(float).round(2)
    write_task_data(
        out_dir,
        frame,
        target_columns=["fat"],
        seed=SEED,
        train_fraction=0.5,
        sample_values={"fat": float(frame["fat"].mean())},
    )
