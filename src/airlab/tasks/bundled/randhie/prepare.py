"""Build the randhie task from statsmodels' RAND Health Insurance Experiment extract."""

from pathlib import Path

import statsmodels.api as sm

from airlab.tasks.prepare import write_task_data

SEED = 20240624
NAMES = {
    "mdvis": "visits",
    "lncoins": "log_coinsurance",
    "idp": "individual_deductible",
    "lpi": "log_participation_incentive",
    "fmde": "log_max_expenditure",
    "physlm": "physical_limitation",
    "disea": "chronic_diseases",
    "hlthg": "health_good",
    "hlthf": "health_fair",
    "hlthp": "health_poor",
}


def prepare(out_dir: Path) -> None:
    frame = sm.datasets.randhie.load_pandas().data.rename(columns=NAMES).round(6)
    frame["visits"] = frame["visits"].astype(int)
    write_task_data(
        out_dir,
        frame,
        target_columns=["visits"],
        seed=SEED,
        train_fraction=0.5,
        sample_values={"visits": float(frame["visits"].mean())},
    )
