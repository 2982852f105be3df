"""Build osuleaf from sktime's bundled UCR OSULeaf leaf outlines (train and test pooled)."""

from pathlib import Path

import numpy as np
import pandas as pd
from sktime.datasets import load_osuleaf

from airlab.tasks.prepare import write_task_data

SEED = 20240627


def prepare(out_dir: Path) -> None:
    parts = [load_osuleaf(split=s, return_type="numpy2D") for s in ("train", "test")]
    values = np.vstack([x for x, _ in parts]).round(5)
    frame = pd.DataFrame(values, columns=[f"t{step:03d}" for step in range(values.shape[1])])
    frame["species"] = np.concatenate([y for _, y in parts]).astype(int)
    write_task_data(out_dir, frame, target_columns=["species"], seed=SEED, train_fraction=0.5)
