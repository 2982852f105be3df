"""Build the modechoice task from statsmodels' copy of Greene's travel mode choice data."""

from pathlib import Path

import statsmodels.api as sm

from airlab.tasks.prepare import write_task_data

SEED = 20261207
MODES = {1: "air", 2: "train", 3: "bus", 4: "car"}


def prepare(out_dir: Path) -> None:
    raw = sm.datasets.modechoice.load_pandas().data
    frame = raw.drop(columns=["individual"]).rename(
        columns={
            "ttme": "terminal_time",
            "invc": "vehicle_cost",
            "invt": "vehicle_time",
            "gc": "generalized_cost",
            "hinc": "household_income",
            "psize": "party_size",
        }
    )
    frame["mode"] = raw["mode"].astype(int).map(MODES)
    frame["chosen"] = raw["choice"].astype(int)
    frame = frame[[c for c in frame.columns if c not in ("choice", "chosen")] + ["chosen"]]
    write_task_data(
        out_dir,
        frame.drop(columns=["choice"], errors="ignore"),
        target_columns=["chosen"],
        seed=SEED,
        train_fraction=0.5,
        sample_values={"chosen": 0.25},
    )
