"""Build the co2 forecasting task from statsmodels' Mauna Loa weekly CO2 record, made monthly."""

from pathlib import Path

import statsmodels.api as sm

from airlab.tasks.prepare import write_forecast_data

SEED = 20240620
HORIZON = 72


def prepare(out_dir: Path) -> None:
    weekly = sm.datasets.co2.load_pandas().data["co2"]
    # Monthly means; the few months with no weekly reading are filled by linear interpolation.
    monthly = weekly.resample("MS").mean().interpolate().round(3)
    frame = monthly.rename("co2").rename_axis("month").reset_index()
    frame["month"] = frame["month"].dt.strftime("%Y-%m")
    write_forecast_data(
        out_dir, frame, time_column="month", target="co2", horizon=HORIZON, seed=SEED
    )
