"""Build the anes96 task from statsmodels' 1996 American National Election Study extract."""

from pathlib import Path

import statsmodels.api as sm

from airlab.tasks.prepare import write_task_data

SEED = 20240623
NAMES = {
    "popul": "population",
    "TVnews": "tv_news",
    "selfLR": "self_left_right",
    "ClinLR": "clinton_left_right",
    "DoleLR": "dole_left_right",
    "PID": "party_id",
}


def prepare(out_dir: Path) -> None:
    frame = sm.datasets.anes96.load_pandas().data.drop(columns=["logpopul"]).rename(columns=NAMES)
    frame = frame.round(4)
    for column in ("party_id", "tv_news", "age", "educ", "income", "vote"):
        frame[column] = frame[column].astype(int)
    write_task_data(out_dir, frame, target_columns=["party_id"], seed=SEED, train_fraction=0.5)
