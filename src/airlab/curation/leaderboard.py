"""`airlab task build-leaderboard`: a reference leaderboard from a population of real solutions.

Percentile ranks and medals mean something only against a population of varied quality. This
builds one the way a crowd would: the task's `baseline.py` (and its stronger `reference.py`, if
it has one), one first draft of every model family
the templates backend knows for the task, a few tuned variants of those drafts, and the constant
sample submission at the bottom. Each runs in the sandbox and is scored on the hidden `test`
split; the leaderboard lists them best first. Everything is seeded, so rebuilding gives the same
file.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import pandas as pd

from airlab.backends.base import WriteRequest
from airlab.backends.templates import TemplatesBackend
from airlab.curation.check import BASELINE_FILE, REFERENCE_FILE, run_script
from airlab.grading import Grader
from airlab.journal import Node, NodeStatus
from airlab.tasks import Task
from airlab.tasks.spec import TASK_FILE

LEADERBOARD_FILE = "leaderboard.csv"


@dataclass(frozen=True)
class Entry:
    """One reference solution: its name, family, code, and (once run) its test score."""

    name: str
    family: str
    code: str | None
    score: float | None = None
    reason: str | None = None


def population(task: Task, *, variants: int = 4, seed: int = 0) -> list[Entry]:
    """The solutions to rank: baseline, reference, a draft per family, tuned variants of drafts."""
    entries: list[Entry] = []
    for file, family in ((BASELINE_FILE, "baseline"), (REFERENCE_FILE, "reference")):
        script = task.root / file
        if script.is_file():
            entries.append(Entry(file, family, script.read_text()))
    backend = TemplatesBackend(bug_rate=0.0)
    drafts: list[Node] = []
    while True:
        request = WriteRequest("draft", task, (), tuple(drafts), seed, len(drafts))
        candidate = backend.write(request)
        family = candidate.meta["family"]
        if any(node.meta["family"] == family for node in drafts):
            break  # every family has its draft
        node = Node(
            id=len(drafts),
            operator="draft",
            status=NodeStatus.GOOD,
            plan=candidate.plan,
            code=candidate.code,
            meta=candidate.meta,
        )
        drafts.append(node)
        entries.append(Entry(candidate.plan, family, candidate.code))
    for index in range(min(variants, len(drafts) * 2)):
        parent = drafts[index % len(drafts)]
        request = WriteRequest("improve", task, (parent,), tuple(drafts), seed, 100 + index)
        candidate = backend.write(request)
        family = parent.meta["family"]
        entries.append(Entry(f"Tuned {family}. {candidate.plan}", family, candidate.code))
    return entries


def score_population(
    task: Task, entries: list[Entry], *, sandbox: str = "auto", workers: int = 2
) -> list[Entry]:
    """Run each entry in the sandbox and score it on `test`; the sample submission scores too."""
    grader = Grader(task)

    def score(entry: Entry) -> Entry:
        if entry.code is None:
            return entry
        with TemporaryDirectory(prefix="airlab-leaderboard-") as scratch:
            execution = run_script(task, entry.code, Path(scratch), sandbox)
        if not execution.succeeded:
            return Entry(entry.name, entry.family, None, reason=f"failed: {execution.failure}")
        grade = grader.grade(execution.submission, ("test",))
        if not grade.valid:
            return Entry(entry.name, entry.family, None, reason=grade.reason)
        return Entry(entry.name, entry.family, None, score=grade.scores["test"])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        scored = list(pool.map(score, entries))
    sample = task.sample_submission_path
    if sample.is_file():
        grade = grader.grade(sample.read_bytes(), ("test",))
        if grade.valid:
            scored.append(
                Entry(
                    "sample_submission.csv (constant)", "constant", None, score=grade.scores["test"]
                )
            )
    return scored


def write_leaderboard(task: Task, entries: list[Entry], folder: Path) -> pd.DataFrame:
    """Write `leaderboard.csv` (best first) and record it, and the best score, in task.yaml."""
    valid = [e for e in entries if e.score is not None]
    frame = pd.DataFrame(
        {
            "name": [e.name for e in valid],
            "family": [e.family for e in valid],
            "score": [round(float(e.score), 6) for e in valid if e.score is not None],
        }
    )
    frame = frame.sort_values("score", ascending=not task.spec.maximize, kind="stable")
    frame.insert(0, "rank", range(1, len(frame) + 1))
    frame.to_csv(folder / LEADERBOARD_FILE, index=False)
    best = frame.iloc[0]
    note = f"best of {len(frame)} reference solutions: {best['name']}"
    _set_yaml_fields(
        folder / TASK_FILE,
        {
            "leaderboard": LEADERBOARD_FILE,
            "reference": f"{{score: {best['score']}, note: {_quoted(note[:160])}}}",
        },
    )
    return frame


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _set_yaml_fields(path: Path, fields: dict[str, str]) -> None:
    """Replace or append top-level `key: value` lines, keeping the rest of the file as written."""
    lines = path.read_text().splitlines()
    for key, value in fields.items():
        pattern = re.compile(rf"^{re.escape(key)}\s*:")
        line = f"{key}: {value}"
        index = next((i for i, text in enumerate(lines) if pattern.match(text)), None)
        if index is None:
            lines.append(line)
        else:
            lines[index] = line
    path.write_text("\n".join(lines) + "\n")
