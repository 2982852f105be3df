"""Turn rubric data a user has into plan-task folders: `facebook/research-plan-gen` records and
PaperBench rubric trees.

research-plan-gen (RPG) records hold a `Goal` (the research task with its aims and
constraints), a `Rubric` (a list of plain strings, equal weight) and a `Reference solution`.
Field names are matched ignoring case, spaces and underscores, and the reference is also accepted
as `reference` or `solution`, so a JSONL export and the Parquet files read alike.

A PaperBench rubric is a JSON tree of nodes with `requirements` (text), an integer `weight`,
`sub_tasks` (children; none for a leaf) and an optional `task_category`; a leaf is judged 0/1
and a parent scores as the weighted mean of its children, as airlab's `Rubric` does. A node of
weight 0 adds nothing to its parent's mean and is left out (with a group left empty by that).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from airlab.errors import TaskError
from airlab.params import describe_error
from airlab.plans.folder import PlanKind, PlanTaskDraft, slug, write_plan_task
from airlab.plans.rubric import Rubric, RubricItem

RECORD_SUFFIXES = (".jsonl", ".json", ".parquet")
GOAL_FIELDS = ("goal",)
RUBRIC_FIELDS = ("rubric",)
REFERENCE_FIELDS = ("referencesolution", "reference", "solution")
ID_FIELDS = ("id", "articleid", "paperid")


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.lower())


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of a `.jsonl`, `.json` (a list of objects) or `.parquet` file."""
    if not path.is_file():
        raise TaskError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        records = []
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TaskError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise TaskError(f"{path}:{number}: expected an object, got {type(record).__name__}")
            records.append(record)
        return records
    if suffix == ".json":
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise TaskError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise TaskError(f"{path}: expected a list of records (objects)")
        return data
    if suffix == ".parquet":
        import pandas as pd

        try:
            frame = pd.read_parquet(path)
        except ImportError:
            raise TaskError(
                f"{path}: reading Parquet needs pyarrow (pip install 'airlab[parquet]')"
            ) from None
        except Exception as exc:  # a corrupt or foreign file: one line, not a traceback
            raise TaskError(f"{path}: not a readable Parquet file ({exc})") from None
        return [dict(row) for row in frame.to_dict(orient="records")]
    raise TaskError(f"{path}: records must be {', '.join(RECORD_SUFFIXES)}, got {suffix!r}")


def _field(record: Mapping[str, Any], names: Sequence[str]) -> tuple[str, Any] | None:
    keyed = {_key(k): k for k in record}
    for name in names:
        if name in keyed:
            return keyed[name], record[keyed[name]]
    return None


def _text_list(value: Any, where: str) -> list[str]:
    """A rubric field: a list (or array, or JSON-encoded list) of non-empty strings."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = [line for line in value.splitlines() if line.strip()]
    if hasattr(value, "tolist"):  # a numpy array from Parquet
        value = value.tolist()
    if not isinstance(value, list):
        raise TaskError(f"{where}: expected a list of strings, got {type(value).__name__}")
    items = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise TaskError(f"{where}[{index}]: expected a non-empty string, got {item!r}")
        items.append(item.strip())
    if not items:
        raise TaskError(f"{where}: the rubric is empty")
    return items


@dataclass(frozen=True)
class RPGRecord:
    """One research-plan-gen record, read."""

    goal: str
    rubric: list[str]
    reference: str | None
    record_id: str | None


def parse_rpg_record(record: Mapping[str, Any], where: str) -> RPGRecord:
    """Read one record, or a one-line TaskError naming `where` and the field."""
    goal = _field(record, GOAL_FIELDS)
    if goal is None or not isinstance(goal[1], str) or not goal[1].strip():
        raise TaskError(f"{where}: no 'Goal' text (fields: {', '.join(map(str, record))})")
    rubric = _field(record, RUBRIC_FIELDS)
    if rubric is None:
        raise TaskError(f"{where}: no 'Rubric' field (fields: {', '.join(map(str, record))})")
    reference = _field(record, REFERENCE_FIELDS)
    ref_text = reference[1] if reference and isinstance(reference[1], str) else None
    record_id = _field(record, ID_FIELDS)
    return RPGRecord(
        goal=goal[1].strip(),
        rubric=_text_list(rubric[1], f"{where}: field {rubric[0]!r}"),
        reference=ref_text,
        record_id=None if record_id is None else str(record_id[1]),
    )


def title_of(goal: str, limit: int = 80) -> str:
    """A title from a goal's first sentence, cut at a word within `limit` characters."""
    first = re.split(r"(?<=[.!?])\s|\n", goal.strip(), maxsplit=1)[0].strip().rstrip(".")
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"


def import_rpg(
    path: Path,
    out: Path,
    *,
    limit: int | None = None,
    prefix: str | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write one plan-task folder per record of `path` into `out`; return the folders.

    Names are `plan-<prefix>-<n>` (prefix: the file's stem), numbered from 1 in file order."""
    records = read_records(path)
    if limit is not None:
        records = records[:limit]
    if not records:
        raise TaskError(f"{path}: no records")
    stem = slug(prefix or path.stem)
    width = max(3, len(str(len(records))))
    folders = []
    for number, raw in enumerate(records, start=1):
        where = f"{path.name} record {number}"
        record = parse_rpg_record(raw, where)
        source = f"{path.name} record {number}" + (
            f" (id {record.record_id})" if record.record_id else ""
        )
        draft = PlanTaskDraft(
            name=f"{stem}-{number:0{width}d}",
            title=title_of(record.goal),
            goal=record.goal,
            rubric=Rubric(items=[RubricItem(text=text) for text in record.rubric]),
            reference=record.reference,
            source=source,
        )
        folders.append(write_plan_task(out, draft, overwrite=overwrite))
    return folders


# ---- PaperBench rubric trees --------------------------------------------------------------


def rubric_from_paperbench(data: Any, *, where: str = "rubric") -> Rubric:
    """A `Rubric` from a PaperBench rubric tree (its root's children become the top items)."""
    if not isinstance(data, dict):
        raise TaskError(f"{where}: expected a rubric node (an object), got {type(data).__name__}")
    root_children = data.get("sub_tasks") or []
    if not root_children:  # a single-node rubric: the root is the one item
        items = list(_pb_nodes([data], where))
    else:
        items = list(_pb_nodes(root_children, f"{where}.sub_tasks"))
    if not items:
        raise TaskError(f"{where}: no item of positive weight")
    try:
        return Rubric(items=items)
    except ValidationError as exc:
        raise TaskError(describe_error(where, exc, Rubric)) from None


def _pb_nodes(nodes: Any, where: str) -> Iterator[RubricItem]:
    if not isinstance(nodes, list):
        raise TaskError(f"{where}: expected a list of nodes, got {type(nodes).__name__}")
    for index, node in enumerate(nodes):
        here = f"{where}[{index}]"
        if not isinstance(node, dict):
            raise TaskError(f"{here}: expected a node (an object), got {type(node).__name__}")
        text = node.get("requirements")
        if not isinstance(text, str) or not text.strip():
            raise TaskError(f"{here}: field 'requirements' must be non-empty text, got {text!r}")
        weight = node.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise TaskError(f"{here}: field 'weight' must be a number >= 0, got {weight!r}")
        if weight == 0:
            continue
        children = node.get("sub_tasks") or []
        category = node.get("task_category")
        if children:
            kept = list(_pb_nodes(children, f"{here}.sub_tasks"))
            if not kept:
                continue  # every child weighs 0: the group adds nothing
            yield RubricItem(text=text.strip(), weight=float(weight), items=kept)
        else:
            yield RubricItem(
                text=text.strip(),
                weight=float(weight),
                category=category if isinstance(category, str) and category else None,
            )


def load_paperbench_rubric(path: Path) -> Rubric:
    """Read a PaperBench `rubric.json`."""
    if not path.is_file():
        raise TaskError(f"{path}: file not found")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise TaskError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return rubric_from_paperbench(data, where=str(path))


def import_paperbench(
    rubric_path: Path,
    out: Path,
    *,
    goal: str,
    name: str | None = None,
    reference: str | None = None,
    paper: str | None = None,
    overwrite: bool = False,
) -> Path:
    """One task folder from a PaperBench rubric and a goal text (a revision task when `paper`
    is given)."""
    rubric = load_paperbench_rubric(rubric_path)
    stem = rubric_path.parent.name if rubric_path.stem == "rubric" else rubric_path.stem
    draft = PlanTaskDraft(
        name=name or slug(stem),
        title=title_of(goal),
        goal=goal,
        rubric=rubric,
        reference=reference,
        kind=PlanKind.REVISION if paper else PlanKind.PLAN,
        paper=paper,
        source=f"PaperBench-style rubric {rubric_path.name}",
    )
    return write_plan_task(out, draft, overwrite=overwrite)
