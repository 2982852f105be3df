"""Import MLE-bench competitions from a user's clone and the data `mlebench prepare` wrote.

Layout read (openai/mle-bench; see docs/importers.md for the commit):
```
CLONE/mlebench/competitions/ID/
  config.yaml      id, name, description (a path from CLONE), dataset.{answers,
                   sample_submission} (paths from the data folder), grader.grade_fn
                   (`mlebench.competitions.ID.grade:grade`)
  grade.py         grade(submission, answers) -> float; may import `.classes` and `mlebench.*`
  leaderboard.csv  the Kaggle leaderboard, best first, `score` column (a Git LFS pointer in a
                   clone without `git lfs pull`)
CLONE/experiments/splits/low.txt   the lite split's ids, one a line
DATA/ID/prepared/public/   train.csv, test.csv, the sample submission (its name from config.yaml);
                           some competitions keep train.json and test.json (lists of objects)
                           with zipped copies (random-acts-of-pizza)
DATA/ID/prepared/private/  the answers (test.csv, answers.csv, test.jsonl, ...)
```
DATA defaults to MLE-bench's own (`~/.cache/mle-bench/data`). The grader is MLE-bench's own
function, imported by its registry path in the framework (so its relative imports work); the
direction is MLE-bench's rule (`Grader.is_lower_better`: the top score below the bottom one).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from airlab.errors import TaskError
from airlab.grading.custom import import_grade_function
from airlab.tasks.importers.common import (
    JSON_TABLE_SUFFIXES,
    Imported,
    SplitChoice,
    is_lfs_pointer,
    read_table,
    read_yaml,
    require,
    submission_columns,
    submission_note,
    task_name,
    write_task,
)
from airlab.tasks.task import TEST_FILE, TRAIN_FILE, Task, read_csv

LEADERBOARD_FILE = "leaderboard.csv"
SPLITS_DIR = Path("experiments") / "splits"
SPLIT_FILES = {"lite": "low.txt", "low": "low.txt", "medium": "medium.txt", "high": "high.txt"}
COMPETITIONS_DIR = Path("mlebench") / "competitions"


def default_data_dir() -> Path:
    """Where `mlebench prepare` writes by default (appdirs' user cache dir on Linux)."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "mle-bench" / "data"


def find_clone(hint: Path | None) -> Path:
    """The mle-bench clone: the given folder, or where the installed `mlebench` package lives."""
    if hint is not None:
        hint = Path(hint).expanduser().resolve()
        if not (hint / COMPETITIONS_DIR).is_dir():
            raise TaskError(f"{hint}: not an mle-bench clone (no {COMPETITIONS_DIR}/)")
        return hint
    spec = importlib.util.find_spec("mlebench")
    if spec is None or not spec.submodule_search_locations:
        raise TaskError(
            "cannot find mle-bench: pass --mlebench PATH/TO/mle-bench, or install it from your "
            "clone (pip install -e PATH/TO/mle-bench)"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve().parent


def competition_folder(source: str | Path, clone: Path | None) -> Path:
    """A competition id (looked up in the clone) or a competition folder of a clone."""
    path = Path(source).expanduser()
    if (path / "config.yaml").is_file():
        return path.resolve()
    if os.sep in str(source) or path.exists():
        raise TaskError(f"{path}: no config.yaml (not an MLE-bench competition folder)")
    folder = find_clone(clone) / COMPETITIONS_DIR / str(source)
    if not (folder / "config.yaml").is_file():
        raise TaskError(f"{folder}: no such MLE-bench competition (no config.yaml)")
    return folder


def split_ids(clone: Path, split: str) -> list[str]:
    """The competition ids of an MLE-bench split, read from the clone's split file."""
    if split not in SPLIT_FILES:
        raise TaskError(f"option --all: expected one of {', '.join(SPLIT_FILES)}, got {split!r}")
    path = clone / SPLITS_DIR / SPLIT_FILES[split]
    if not path.is_file():
        raise TaskError(f"{path}: file not found (the {split} split's id list)")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def leaderboard_direction(scores: pd.Series) -> str:
    """MLE-bench's rule (`Grader.is_lower_better`): lower is better iff the top score (first
    row) is below the bottom one (last row)."""
    return "minimize" if scores.iloc[0] < scores.iloc[-1] else "maximize"


def read_leaderboard(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise TaskError(f"{path}: file not found; pass --leaderboard FILE")
    if is_lfs_pointer(path):
        raise TaskError(
            f"{path}: a Git LFS pointer, not the leaderboard: run `git lfs pull` in the clone "
            "or pass --leaderboard FILE"
        )
    board = read_csv(path)
    if "score" not in board.columns or board["score"].dropna().empty:
        raise TaskError(f"{path}: missing column 'score'")
    return board


@dataclass(frozen=True)
class Competition:
    """One competition's files, found from its config.yaml."""

    folder: Path
    clone: Path
    config: dict
    data_dir: Path

    @property
    def id(self) -> str:
        return str(require(self.config, "id", self.folder / "config.yaml"))

    def data_path(self, key: str) -> Path:
        dataset = require(self.config, "dataset", self.folder / "config.yaml")
        relative = require(dataset, key, self.folder / "config.yaml")
        return self.data_dir / str(relative)

    @property
    def public_dir(self) -> Path:
        return self.data_dir / self.id / "prepared" / "public"


def _read_answers(path: Path, id_column: str) -> pd.DataFrame:
    if not path.is_file():
        raise TaskError(f"{path}: file not found (run `mlebench prepare` for this competition)")
    if path.suffix == ".jsonl":
        try:
            return pd.read_json(path, lines=True, dtype={id_column: str})
        except ValueError as exc:
            raise TaskError(f"{path}: cannot read JSON lines: {exc}") from None
    return read_csv(path, dtype={id_column: str})


def import_mlebench(
    source: str | Path,
    dest: Path,
    *,
    clone: Path | None = None,
    data_dir: Path | None = None,
    leaderboard: Path | None = None,
    splits: SplitChoice | None = None,
) -> Task:
    """Import one competition (an id or a competition folder) into `dest`."""
    folder = competition_folder(source, clone)
    clone_root = folder.parents[2] if clone is None else Path(clone).resolve()
    config = read_yaml(folder / "config.yaml")
    competition = Competition(folder, clone_root, config, Path(data_dir or default_data_dir()))
    grader = require(config, "grader", folder / "config.yaml")
    grade_fn = str(require(grader, "grade_fn", folder / "config.yaml"))
    import_grade_function(grade_fn)  # fails now, in one line, when mlebench is not installed

    board_path = Path(leaderboard) if leaderboard else folder / LEADERBOARD_FILE
    board = read_leaderboard(board_path)
    sample_path = competition.data_path("sample_submission")
    if not sample_path.is_file():
        raise TaskError(
            f"{sample_path}: file not found (run `mlebench prepare -c {competition.id}`)"
        )
    id_column, targets = submission_columns(sample_path)
    sample = read_csv(sample_path, dtype={id_column: str})
    answers = _read_answers(competition.data_path("answers"), id_column)
    if id_column not in answers.columns:
        raise TaskError(f"{competition.data_path('answers')}: missing id column {id_column!r}")
    public_dir = sample_path.parent
    test_records = None
    if (public_dir / TEST_FILE).is_file():
        test_inputs = read_csv(public_dir / TEST_FILE, dtype={id_column: str})
        if id_column not in test_inputs.columns:
            test_inputs = sample[[id_column]]
    elif (json_test := _json_table(public_dir, "test")) is not None and id_column in (
        table := read_table(json_test)
    ):
        test_inputs, test_records = table, json_test.name  # random-acts-of-pizza's test.json
    else:  # test inputs are files (images, audio): the ids alone form test.csv
        test_inputs = sample[[id_column]]
    train, train_name = None, TRAIN_FILE
    if (public_dir / TRAIN_FILE).is_file():
        train = read_csv(public_dir / TRAIN_FILE, dtype={id_column: str})
    elif (json_train := _json_table(public_dir, "train")) is not None:
        train, train_name = read_table(json_train), json_train.name
    description_path = clone_root / str(require(config, "description", folder / "config.yaml"))
    if not description_path.is_file():
        raise TaskError(f"{description_path}: file not found")

    scores = board["score"].dropna()
    direction = leaderboard_direction(scores)
    best = float(scores.min() if direction == "minimize" else scores.max())
    spec = {
        "name": task_name(competition.id),
        "title": str(config.get("name", competition.id)),
        "type": "other",
        "metric": f"mlebench:{grader.get('name', competition.id)}",
        "direction": direction,
        "id_column": id_column,
        "target_columns": targets,
        "grade_fn": grade_fn,
        "leaderboard": LEADERBOARD_FILE,
        "reference": {"score": best, "note": "the Kaggle leaderboard's best score"},
        "source": f"MLE-bench competition {competition.id}",
        "provenance": [{"competition": competition.id}],
    }
    public_files = {path.name: path for path in sorted(public_dir.iterdir())}
    description = description_path.read_text().rstrip() + submission_note(
        id_column, targets, sample_path.name
    )
    if train_name != TRAIN_FILE:
        description += _json_note(train_name, test_records, targets)
    imported = Imported(
        spec=spec,
        description=description,
        id_column=id_column,
        test_inputs=test_inputs,
        answers=answers,
        train=train,
        train_name=train_name,
        test_records_name=test_records,
        sample=sample,
        sample_name=sample_path.name,
        public_files=public_files,
        extra_files={LEADERBOARD_FILE: board.to_csv(index=False)},
    )
    return write_task(dest, imported, splits or SplitChoice())


def _json_table(public_dir: Path, stem: str) -> Path | None:
    """`train.json` / `train.jsonl` (MLE-bench keeps some competitions' tables as JSON)."""
    found = [public_dir / f"{stem}{suffix}" for suffix in JSON_TABLE_SUFFIXES]
    return next((path for path in found if path.is_file()), None)


def _json_note(train_name: str, test_records: str | None, targets: list[str]) -> str:
    """Where a JSON competition's tables are, for the candidates (they look for CSV first)."""
    labels = ", ".join(f"`{t}`" for t in targets)
    tests = (
        f"`public/{test_records}` holds the inputs of every row of `public/test.csv`"
        if test_records
        else "`public/test.csv` lists the ids to predict"
    )
    return (
        f"\n\n## Data (airlab)\nThe labelled training rows are in `public/{train_name}` "
        f"(JSON objects, one per row; the labels in {labels}); {tests}.\n"
    )


@dataclass(frozen=True)
class BatchResult:
    """What `--all SPLIT` did with each competition of the split."""

    imported: dict[str, Task]
    skipped: dict[str, str]
    """Not prepared in the data folder (or absent from the clone): the reason."""
    failed: dict[str, str]


def import_mlebench_split(
    split: str,
    dest_root: Path,
    *,
    clone: Path | None = None,
    data_dir: Path | None = None,
    leaderboards: Path | None = None,
    splits: SplitChoice | None = None,
) -> BatchResult:
    """Import every competition of an MLE-bench split into `dest_root/ID`; `leaderboards`, a
    folder of `ID.csv` files, stands in for leaderboards the clone holds as LFS pointers."""
    clone_root = find_clone(clone)
    data = Path(data_dir or default_data_dir())
    result = BatchResult({}, {}, {})
    for competition_id in split_ids(clone_root, split):
        folder = clone_root / COMPETITIONS_DIR / competition_id
        if not (folder / "config.yaml").is_file():
            result.skipped[competition_id] = f"{folder}: not in this clone"
            continue
        if not (data / competition_id / "prepared").is_dir():
            result.skipped[competition_id] = f"not prepared in {data}"
            continue
        board = Path(leaderboards) / f"{competition_id}.csv" if leaderboards else None
        try:
            task = import_mlebench(
                folder,
                Path(dest_root) / competition_id,
                clone=clone_root,
                data_dir=data,
                leaderboard=board if board is not None and board.is_file() else None,
                splits=splits,
            )
        except TaskError as exc:
            result.failed[competition_id] = str(exc)
        else:
            result.imported[competition_id] = task
    return result
