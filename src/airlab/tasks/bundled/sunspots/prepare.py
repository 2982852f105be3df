"""Build the sunspots forecasting task from statsmodels' yearly sunspot numbers (1700-2008)."""

from pathlib import Path

import statsmodels.api as sm

from airlab.tasks.prepare import write_forecast_data

SEED = 20240621
HORIZON = 36


def prepare(out_dir: Path) -> None:
    data = sm.datasets.sunspots.load_pandas().data
    frame = data.rename(columns={"YEAR": "year", "SUNACTIVITY": "sunspots"})
    frame["year"] = frame["year"].astype(int)
    write_forecast_data(
        out_dir, frame, time_column="year", target="sunspots", horizon=HORIZON, seed=SEED
    )
