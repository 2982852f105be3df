"""What every importer shares: read the source's files, write an airlab task folder.

The imported folder follows airlab's protocol (docs/architecture.md): by default the benchmark's
test set is kept whole as the `test` split and search and select are cut, seeded, out of its
labelled training rows (see `holdout.py`); `--hidden-splits held-out` cuts all three from the
test rows instead.
Every imported task gets a `baseline.py` that hands in the sample submission, whose score becomes
the recorded baseline (or the benchmark's own reported baseline). Candidates see only `public/`.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from airlab.errors import TaskError
from airlab.tasks.checks import require_task_data
from airlab.tasks.importers.holdout import hold_out_train_rows, one_hot_label
from airlab.tasks.spec import TASK_FILE, ScoreOf, SplitSource
from airlab.tasks.task import (
    ANSWERS_FILE,
    DESCRIPTION_FILE,
    PRIVATE_DIR,
    PUBLIC_DIR,
    SAMPLE_SUBMISSION_FILE,
    SPLIT_COLUMN,
    SPLITS,
    TEST_FILE,
    TRAIN_FILE,
    Task,
    load_task,
    read_csv,
)
from airlab.yamlfile import read_yaml_mapping

DEFAULT_SEED = 20240701
DEFAULT_TRAIN_FRACTION = 0.2
BASELINE_FILE = "baseline.py"
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"


def is_lfs_pointer(path: Path) -> bool:
    """A Git LFS pointer file (what a clone without `git lfs pull` holds instead of the data)."""
    with open(path, "rb") as handle:
        return handle.read(len(LFS_POINTER_PREFIX)) == LFS_POINTER_PREFIX


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, or a one-line TaskError naming the file."""
    return read_yaml_mapping(path, TaskError)


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


def _is_sequence(value: Any) -> bool:
    return isinstance(value, list | tuple | np.ndarray)


def _plain(value: Any) -> Any:
    """A cell as JSON can hold it: arrays (what `datasets`' to_pandas gives) become lists."""
    if isinstance(value, np.ndarray):
        return [_plain(item) for item in value.tolist()]
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def list_columns(frame: pd.DataFrame) -> list[str]:
    """Columns holding lists, arrays or mappings (Hugging Face `Sequence` and struct features)."""
    found = []
    for column in frame.columns:
        values = frame[column]
        if (
            values.dtype.kind == "O"
            and values.map(lambda v: _is_sequence(v) or isinstance(v, dict)).any()
        ):
            found.append(str(column))
    return found


def plain_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """Array cells (as `Dataset.to_pandas` gives them) as Python lists, nested arrays included."""
    columns = list_columns(frame)
    if not columns:
        return frame
    out = frame.copy()
    for column in columns:
        out[column] = out[column].map(_plain)
    return out


def encode_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """List-valued cells as JSON text (`[1, 2]`, not numpy's `[1 2]` repr), so that the CSVs
    airlab writes can be read back exactly; `decode_lists` is the inverse."""
    columns = list_columns(frame)
    if not columns:
        return frame
    out = frame.copy()
    for column in columns:
        out[column] = out[column].map(
            lambda v: json.dumps(_plain(v)) if _is_sequence(v) or isinstance(v, dict) else v
        )
    return out


def decode_lists(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """JSON lists and mappings in text cells back to Python lists and dicts (the columns given,
    else every text column whose values all parse so)."""
    out = frame.copy()
    for column in columns if columns is not None else list(out.columns):
        values = out[column]
        if values.dtype.kind != "O":
            continue
        parsed = values.map(_json_container)
        if columns is not None or parsed.notna().eq(values.notna()).all():
            out[column] = parsed.where(parsed.notna(), values)
    return out


def _json_container(value: Any) -> Any:
    if not isinstance(value, str) or value[:1] not in ("[", "{"):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list | dict) else None


def hidden_splits(n_rows: int, seed: int) -> np.ndarray:
    """Each answer row's hidden split: a seeded permutation cut in three near-equal parts."""
    if n_rows < len(SPLITS):
        raise TaskError(f"the answers have {n_rows} rows; the three hidden splits need 3 or more")
    split_of_row = np.empty(n_rows, dtype=object)
    order = np.random.default_rng(seed).permutation(n_rows)
    for split, rows in zip(SPLITS, np.array_split(order, len(SPLITS)), strict=True):
        split_of_row[rows] = split
    return split_of_row


@dataclass(frozen=True)
class SplitChoice:
    """The importer's `--hidden-splits` choice, recorded in the task's `hidden_splits` field."""

    source: SplitSource = SplitSource.TRAIN
    seed: int = DEFAULT_SEED
    train_fraction: float = DEFAULT_TRAIN_FRACTION


@dataclass(frozen=True)
class Imported:
    """What an importer read from a benchmark, before airlab's hidden splits are drawn."""

    spec: dict[str, Any]
    description: str
    id_column: str
    test_inputs: pd.DataFrame
    """The benchmark's test rows as a candidate sees them (id first; ids alone for file inputs)."""
    answers: pd.DataFrame
    """The benchmark's test answers in the format its grader reads (id column included)."""
    train: pd.DataFrame | None = None
    """The labelled training rows, written back to `public/<train_name>`."""
    train_name: str = TRAIN_FILE
    """`train.csv`, or a JSON table (`train.json`, `train.jsonl`), written in its own format."""
    test_records_name: str | None = None
    """The benchmark's test inputs as a JSON table (MLE-bench's `test.json`): `test_inputs` is
    written there in full, and `public/test.csv` lists their ids."""
    sample: pd.DataFrame | None = None
    """The sample submission over the benchmark's test rows; None: drawn from the training
    targets."""
    sample_name: str = SAMPLE_SUBMISSION_FILE
    public_files: Mapping[str, Path] = field(default_factory=dict)
    """Other public files, copied as they are."""
    extra_files: Mapping[str, Path | str] = field(default_factory=dict)
    """Files beside task.yaml (hidden from candidates)."""
    baseline: dict[str, Any] | None = None
    """A benchmark-reported baseline (`score`, `note`); None: the sample submission's score."""


SAMPLE_BASELINE = """\"\"\"Baseline of an imported task: hand in the sample submission.\"\"\"

import shutil

shutil.copy("public/{name}", "submission.csv")
"""


def write_task(dest: Path, imported: Imported, splits: SplitChoice) -> Task:
    """Write the folder with its hidden splits and baseline, then load it back so that every
    check of `load_task` applies. A failed import leaves no half-written folder behind."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise TaskError(f"{dest}: already exists and is not empty")
    train, test_inputs, answers = _draw_splits(imported, splits)
    created = not dest.exists()
    try:
        return _write(dest, imported, splits, train, test_inputs, answers)
    except BaseException:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        raise


def _draw_splits(
    imported: Imported, splits: SplitChoice
) -> tuple[pd.DataFrame | None, pd.DataFrame, pd.DataFrame]:
    """The public training rows, all test inputs and the answers with their `split`."""
    id_column = imported.id_column
    test_inputs = imported.test_inputs.copy()
    answers = imported.answers.copy()
    if splits.source != SplitSource.TRAIN:
        answers[SPLIT_COLUMN] = hidden_splits(len(answers), splits.seed)
        return imported.train, test_inputs, answers
    if imported.train is None:
        raise TaskError(
            f"{imported.spec['name']}: no labelled training table to cut search and select "
            "from; import with --hidden-splits held-out"
        )
    held = hold_out_train_rows(
        imported.train,
        id_column=id_column,
        input_columns=list(test_inputs.columns),
        answer_columns=list(answers.columns),
        test_ids=pd.Index(test_inputs[id_column].astype(str)),
        seed=splits.seed,
        fraction=splits.train_fraction,
        where=f"public/{imported.train_name}",
    )
    answers[SPLIT_COLUMN] = SPLITS[2]
    answers = pd.concat([answers, _like(held.answers, answers)], ignore_index=True)
    rows = len(test_inputs) + len(held.inputs)
    order = np.random.default_rng([splits.seed, 3]).permutation(rows)
    test_inputs = pd.concat([test_inputs, held.inputs], ignore_index=True).iloc[order]
    return held.train, test_inputs, answers


def _like(moved: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """Moved rows' answers written as the benchmark writes its own: a boolean training label
    becomes 0/1 where the answers hold integers (random-acts-of-pizza's train.json holds
    `true`/`false`, its answers `int(...)`)."""
    moved = moved.copy()
    for column in moved.columns:
        values = moved[column]
        booleans = values.dtype.kind == "b" or values.map(type).eq(bool).all()
        if column in answers and answers[column].dtype.kind in "iu" and booleans:
            moved[column] = values.astype(int)
    return moved


def _write(
    dest: Path,
    imported: Imported,
    splits: SplitChoice,
    train: pd.DataFrame | None,
    test_inputs: pd.DataFrame,
    answers: pd.DataFrame,
) -> Task:
    spec = {
        **imported.spec,
        "hidden_splits": {
            "source": splits.source.value,
            "seed": splits.seed,
            "train_fraction": splits.train_fraction,
        },
        "sample_submission": imported.sample_name,
        **_data_layout(imported, train, test_inputs),
    }
    public = dest / PUBLIC_DIR
    private = dest / PRIVATE_DIR
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    os.chmod(private, 0o700)
    written = {imported.train_name, TEST_FILE, imported.sample_name, imported.test_records_name}
    for name, source in imported.public_files.items():
        if name in written or (
            splits.source == SplitSource.TRAIN and _archived_copy(name, imported)
        ):
            continue
        if source.is_dir():
            shutil.copytree(source, public / name)
        else:
            shutil.copy2(source, public / name)
    if train is not None:
        write_table(train, public / imported.train_name)
    if imported.test_records_name is not None:
        write_table(test_inputs, public / imported.test_records_name)
        test_inputs = test_inputs[[imported.id_column]]
    write_table(test_inputs, public / TEST_FILE)
    write_table(answers, private / ANSWERS_FILE)
    sample = _full_sample(imported, test_inputs[imported.id_column], splits.seed)
    encode_lists(sample).to_csv(public / imported.sample_name, index=False)
    for name, content in imported.extra_files.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy2(content, dest / name)
        else:
            (dest / name).write_text(content)
    (dest / BASELINE_FILE).write_text(SAMPLE_BASELINE.format(name=imported.sample_name))
    (dest / DESCRIPTION_FILE).write_text(imported.description + _splits_note(spec, imported))
    _write_spec(dest, spec)
    task = load_task(dest)
    spec["baseline"] = _baseline(task, imported)
    _write_spec(dest, spec)
    task = load_task(dest)
    require_task_data(task)
    return task


def _data_layout(
    imported: Imported, train: pd.DataFrame | None, test_inputs: pd.DataFrame
) -> dict[str, Any]:
    """What the data check must accept as the benchmark's design (`tasks/checks.py`): training
    columns the test rows lack (besides the targets and a one-hot label column), and targets
    the training table holds in another shape."""
    if train is None:
        return {}
    targets = list(imported.spec["target_columns"])
    missing = [t for t in targets if t not in train.columns]
    label = one_hot_label(train, missing, imported.id_column) if missing else None
    known = {imported.id_column, *targets, *test_inputs.columns, label}
    layout: dict[str, Any] = {}
    train_only = [str(c) for c in train.columns if c not in known]
    if train_only:
        layout["train_only_columns"] = train_only
    if missing and label is None:
        layout["targets_in_train"] = False
    return layout


ARCHIVE_SUFFIXES = (".zip", ".gz", ".bz2", ".xz", ".7z", ".tar", ".tgz")


def _archived_copy(name: str, imported: Imported) -> bool:
    """An archived copy of the training table (MLE-bench's `train.csv.zip`, `train.zip`): it
    would still hold the labels of the rows moved to search and select, so it is left out; so is
    one of JSON test inputs (`test.zip`), which would lack the moved rows."""
    stems = [Path(imported.train_name).stem]
    if imported.test_records_name is not None:
        stems.append(Path(imported.test_records_name).stem)
    archive = name.lower().endswith(ARCHIVE_SUFFIXES)
    return archive and any(name.startswith(f"{stem}.") for stem in stems)


JSON_TABLE_SUFFIXES = (".json", ".jsonl")


def read_table(path: Path) -> pd.DataFrame:
    """A JSON table as MLE-bench prepares them (`train.json`: a list of objects; `.jsonl`: one
    object a line), every value the Python object JSON gave (no date or number guessing, an
    integer column with a null stays integers), so that writing it back gives the same text."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            rows = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaskError(f"{path}: cannot read JSON: {exc}") from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise TaskError(f"{path}: expected a list of JSON objects, one per row")
    return pd.DataFrame(rows, dtype=object)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """A table in the format its name says: CSV (list cells as JSON text), or JSON like
    `read_table` reads."""
    if path.suffix not in JSON_TABLE_SUFFIXES:
        encode_lists(frame).to_csv(path, index=False)
        return
    rows = [
        {key: None if isinstance(v, float) and math.isnan(v) else v for key, v in row.items()}
        for row in frame.to_dict("records")
    ]
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(row, default=_json_default) + "\n" for row in rows)
    else:
        text = json.dumps(rows, indent=4, default=_json_default)
    path.write_text(text, encoding="utf-8")


def _json_default(value: Any) -> Any:
    """numpy scalars and arrays as Python ones, for json.dumps."""
    plain = _plain(value)
    if plain is value:
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")
    return plain


def _write_spec(dest: Path, spec: Mapping[str, Any]) -> None:
    text = yaml.safe_dump(dict(spec), sort_keys=False, allow_unicode=True)
    (dest / TASK_FILE).write_text(text)


def _full_sample(imported: Imported, ids: pd.Series, seed: int) -> pd.DataFrame:
    """The sample submission over every row of `public/test.csv`: the benchmark's rows as they
    were, other rows with each column's mean (numbers) or most common value. A benchmark without
    a sample gets seeded draws from the training targets (a chance-level guess that every metric,
    correlations included, can score; never anything from the answers)."""
    id_column = imported.id_column
    sample = imported.sample
    if sample is None:
        targets = list(imported.spec["target_columns"])
        if imported.train is None or any(c not in imported.train for c in targets):
            raise TaskError(
                f"{imported.spec['name']}: no sample submission and no training targets to "
                "draw one from"
            )
        rng = np.random.default_rng([seed, 5])
        rows = rng.integers(0, len(imported.train), len(ids))
        drawn = imported.train[targets].iloc[rows].reset_index(drop=True)
        drawn.insert(0, id_column, ids.astype(str).to_numpy())
        return drawn
    constants = _constants(sample.drop(columns=id_column))
    sample = sample.astype({id_column: str}).set_index(id_column)
    dtypes = sample.dtypes
    full = sample.reindex(ids.astype(str).to_numpy())
    for column, value in constants.items():
        full[column] = full[column].fillna(value)
        if dtypes[column].kind in "iub" and not isinstance(value, float):
            full[column] = full[column].astype(dtypes[column])
    return full.rename_axis(id_column).reset_index()


def _constants(frame: pd.DataFrame) -> dict[str, Any]:
    """Each column's constant guess: the mean of a continuous column, else the most common value
    (class labels stored as integers stay labels)."""
    out: dict[str, Any] = {}
    for column, values in frame.items():
        continuous = values.dtype.kind == "f" or (
            values.dtype.kind in "iu" and values.nunique() > 20
        )
        out[column] = float(values.mean()) if continuous else values.mode().iloc[0]
    return out


def _baseline(task: Task, imported: Imported) -> dict[str, Any]:
    from airlab.grading.grader import Grader

    # Graded even when the benchmark reports its own baseline: a grader that cannot score the
    # sample submission (an evaluate.py key that is not printed) fails now, not in the run.
    grade = Grader(task).grade(task.sample_submission_path.read_bytes(), SPLITS)
    if not grade.valid:
        raise TaskError(f"{task.sample_submission_path}: not a valid submission: {grade.reason}")
    if imported.baseline is not None:
        return {**imported.baseline, "of": ScoreOf.REPORTED.value}
    made = "" if imported.sample is not None else ", drawn from the training targets"
    return {
        "score": grade.scores["test"],
        "note": f"the sample submission ({imported.sample_name}{made})",
        "of": ScoreOf.SAMPLE_SUBMISSION.value,
    }


def _splits_note(spec: Mapping[str, Any], imported: Imported) -> str:
    if spec["hidden_splits"]["source"] != SplitSource.TRAIN.value:
        return ""
    return (
        f"\n\n## Hidden rows (airlab)\n`public/{TEST_FILE}` holds the benchmark's test rows and "
        f"some rows drawn from its training data (held out of `public/{imported.train_name}`); "
        "predict every row.\n"
    )


def submission_columns(sample: Path) -> tuple[str, list[str]]:
    """The id column (first) and target columns (the rest) of a sample submission."""
    header = list(read_csv(sample, nrows=0).columns)
    if len(header) < 2:
        raise TaskError(f"{sample}: needs an id column and at least one prediction column")
    return header[0], header[1:]


def submission_note(id_column: str, targets: list[str], sample_name: str | None = None) -> str:
    shown = ",".join([id_column, *targets])
    if len(shown) > 200:
        shown = ",".join([id_column, *targets[:5]]) + f",... ({len(targets)} prediction columns)"
    sample = f" `public/{sample_name}` shows the format." if sample_name else ""
    return (
        "\n\n## Submission (airlab)\nWrite `submission.csv` in the working directory with header "
        f"`{shown}` and one row for every `{id_column}` in `public/test.csv`.{sample} The public "
        "data is in `public/`.\n"
    )
