"""What every importer shares: read the source's files, write an airlab task folder.

The imported folder follows airlab's protocol (DESIGN.md): the source's labelled test rows are
split once, with a fixed seed, into the three hidden splits; candidates see only `public/`.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from airlab.errors import TaskError
from airlab.tasks.spec import TASK_FILE
from airlab.tasks.task import (
    ANSWERS_FILE,
    DESCRIPTION_FILE,
    PRIVATE_DIR,
    PUBLIC_DIR,
    SPLIT_COLUMN,
    SPLITS,
    TEST_FILE,
    Task,
    load_task,
    read_csv,
)

DEFAULT_SEED = 20240701


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, or a one-line TaskError naming the file."""
    if not path.is_file():
        raise TaskError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        raise TaskError(f"{path}: not valid YAML") from None
    if not isinstance(data, dict):
        raise TaskError(f"{path}: expected a mapping of fields")
    return data


def require(data: Mapping[str, Any], key: str, path: Path) -> Any:
    if key not in data or data[key] in (None, ""):
        raise TaskError(f"{path}: missing required field {key!r}")
    return data[key]


def task_name(text: str) -> str:
    """An airlab task id from any benchmark id: lower case, dashes."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text)
    name = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not name:
        raise TaskError(f"cannot make a task name from {text!r}")
    return name


def hidden_splits(n_rows: int, seed: int) -> np.ndarray:
    """Each answer row's hidden split: a seeded permutation cut in three near-equal parts."""
    if n_rows < len(SPLITS):
        raise TaskError(f"the answers have {n_rows} rows; the three hidden splits need 3 or more")
    split_of_row = np.empty(n_rows, dtype=object)
    order = np.random.default_rng(seed).permutation(n_rows)
    for split, rows in zip(SPLITS, np.array_split(order, len(SPLITS)), strict=True):
        split_of_row[rows] = split
    return split_of_row


def write_task(
    dest: Path,
    *,
    spec: dict[str, Any],
    description: str,
    public_files: Mapping[str, Path],
    answers: pd.DataFrame,
    seed: int,
    extra_files: Mapping[str, Path | str] | None = None,
    test_inputs: pd.DataFrame | None = None,
) -> Task:
    """Write the folder, then load it back so that every check of `load_task` applies."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise TaskError(f"{dest}: already exists and is not empty")
    public = dest / PUBLIC_DIR
    private = dest / PRIVATE_DIR
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    os.chmod(private, 0o700)
    for name, source in public_files.items():
        if source.is_dir():
            shutil.copytree(source, public / name)
        else:
            shutil.copy2(source, public / name)
    if test_inputs is not None:
        test_inputs.to_csv(public / TEST_FILE, index=False)
    answers = answers.copy()
    answers[SPLIT_COLUMN] = hidden_splits(len(answers), seed)
    answers.to_csv(private / ANSWERS_FILE, index=False)
    for name, content in (extra_files or {}).items():
        if isinstance(content, Path):
            shutil.copy2(content, dest / name)
        else:
            (dest / name).write_text(content)
    (dest / DESCRIPTION_FILE).write_text(description)
    (dest / TASK_FILE).write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    return load_task(dest)


def submission_columns(sample: Path) -> tuple[str, list[str]]:
    """The id column (first) and target columns (the rest) of a sample submission."""
    header = list(read_csv(sample, nrows=0).columns)
    if len(header) < 2:
        raise TaskError(f"{sample}: needs an id column and at least one prediction column")
    return header[0], header[1:]


def submission_note(id_column: str, targets: list[str]) -> str:
    return (
        "\n\n## Submission (airlab)\nWrite `submission.csv` in the working directory with header "
        f"`{','.join([id_column, *targets])}` and one row for every `{id_column}` in "
        "`public/test.csv`. The public data is in `public/`.\n"
    )
