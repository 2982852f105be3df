"""Build digits-low-data: the 8x8 digits with only 5% of the rows labelled for training."""

from pathlib import Path

import pandas as pd
from sklearn.datasets import load_digits

from airlab.tasks.prepare import write_task_data

SEED = 20240625


def prepare(out_dir: Path) -> None:
    digits = load_digits()
    frame = pd.DataFrame(digits.data.astype(int), columns=[f"px{i}" for i in range(64)])
    frame["label"] = digits.target
    write_task_data(out_dir, frame, target_columns=["label"], seed=SEED, train_fraction=0.05)
