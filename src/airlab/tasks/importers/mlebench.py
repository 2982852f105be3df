"""Import a prepared MLE-bench competition.

Layout read (as MLE-bench writes it):
```
SRC/
  config.yaml            id, name, dataset.{answers, sample_submission}, grader.grade_fn
  description.md
  grade.py               grade(submission, answers) -> float (DataFrames); raises if invalid
  leaderboard.csv        the Kaggle leaderboard, best first, with a `score` column (for medals)
  prepared/public/       what the agent sees: train/test files, sample_submission.csv
  prepared/private/      the answers (e.g. test.csv)
```
`grade.py` becomes the task's own grader (run by airlab, never visible to candidates), the
leaderboard its reference leaderboard, and the direction is read from the leaderboard's order.
"""

from __future__ import annotations

from pathlib import Path

from airlab.errors import TaskError
from airlab.tasks.importers.common import (
    DEFAULT_SEED,
    read_yaml,
    require,
    submission_columns,
    submission_note,
    task_name,
    write_task,
)
from airlab.tasks.task import TEST_FILE, Task, read_csv

LEADERBOARD_FILE = "leaderboard.csv"


def leaderboard_direction(path: Path) -> str:
    """Kaggle leaderboards list the best team first: rising scores mean lower is better."""
    scores = read_csv(path)
    if "score" not in scores.columns:
        raise TaskError(f"{path}: missing column 'score'")
    values = scores["score"].dropna()
    if len(values) < 2 or values.iloc[0] == values.iloc[-1]:
        raise TaskError(f"{path}: cannot tell the metric's direction; pass --direction")
    return "minimize" if values.iloc[0] < values.iloc[-1] else "maximize"


def import_mlebench(
    src: Path,
    dest: Path,
    *,
    data_dir: Path | None = None,
    direction: str | None = None,
    seed: int = DEFAULT_SEED,
) -> Task:
    src = Path(src)
    config_path = src / "config.yaml"
    config = read_yaml(config_path)
    competition = str(require(config, "id", config_path))
    prepared = Path(data_dir) if data_dir else src / "prepared"
    public_dir, private_dir = prepared / "public", prepared / "private"
    dataset = config.get("dataset") or {}
    sample = public_dir / Path(dataset.get("sample_submission", "sample_submission.csv")).name
    answers_path = private_dir / Path(dataset.get("answers", "test.csv")).name
    id_column, targets = submission_columns(sample)
    answers = read_csv(answers_path, dtype={id_column: str})
    if id_column not in answers.columns:
        raise TaskError(f"{answers_path}: missing id column {id_column!r} (from {sample.name})")
    grade_path = src / "grade.py"
    if not grade_path.is_file():
        raise TaskError(f"{grade_path}: file not found (MLE-bench competitions grade with it)")
    leaderboard = src / LEADERBOARD_FILE
    if direction is None:
        direction = leaderboard_direction(leaderboard)
    description_path = src / "description.md"
    if not description_path.is_file():
        raise TaskError(f"{description_path}: file not found")

    public_files = {path.name: path for path in sorted(public_dir.iterdir())}
    test_inputs = None
    if TEST_FILE not in public_files:
        # Competitions whose test inputs are files (images, audio): the ids alone form test.csv.
        test_inputs = read_csv(sample, usecols=[id_column], dtype={id_column: str})
    spec = {
        "name": task_name(competition),
        "title": str(config.get("name", competition)),
        "type": "other",
        "metric": f"mlebench:{competition}",
        "direction": direction,
        "id_column": id_column,
        "target_columns": targets,
        "grader": "grade.py",
        "source": f"MLE-bench competition {competition}",
    }
    extra = {"grade.py": grade_path}
    if leaderboard.is_file():
        spec["leaderboard"] = LEADERBOARD_FILE
        extra[LEADERBOARD_FILE] = leaderboard
    description = description_path.read_text().rstrip() + submission_note(id_column, targets)
    return write_task(
        dest,
        spec=spec,
        description=description,
        public_files=public_files,
        answers=answers,
        seed=seed,
        extra_files=extra,
        test_inputs=test_inputs,
    )
