"""The body of the look-up attack script (`lookup.attack_script` prefixes its SETTINGS).

It runs as a candidate, inside a sandbox, with no airlab to lean on: everything it needs is here.
"""

import gzip
import json
import os
import re
import sys
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CACHES = (
    "scikit_learn_data",
    "sktime_data",
    ".cache/pip",
    ".cache/huggingface",
    ".cache/airlab",
    "statsmodels_data",
    "seaborn-data",
)
SKIPPED = {
    "doc",
    "man",
    "info",
    "locale",
    "i18n",
    "zoneinfo",
    "icons",
    "fonts",
    "__pycache__",
    "mime",
    "perl",
    "perl5",
    "X11",
    "terminfo",
    "bash-completion",
}
DATA = re.compile(r"\.(csv|tsv|txt|dat|data|asc|ts|arff|json|gz|s)$", re.I)
SAMPLED = 50
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


class Target:
    """One task under attack: its public test rows and sample submission (the keys of a
    SETTINGS entry, written by `lookup.attack_script`)."""

    task: str
    public: str
    id: str
    targets: list[str]
    time: str | None
    sample: str
    classification: bool
    probability: bool
    positive: str
    positive_only: bool
    prepare: str

    def __init__(self, entry: dict) -> None:
        self.__dict__.update(entry)
        self.test = pd.read_csv(f"{self.public}/test.csv")
        self.sample_frame = pd.read_csv(f"{self.public}/{self.sample}")
        self.features = [c for c in self.test.columns if c != self.id]


class Attacks:
    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.matched: dict[str, int] = {}
        self.errors: dict[str, str] = {}
        self.found_in: list[str] = []

    def write(self, t: Target, name: str, answers: pd.DataFrame | None) -> None:
        """Fill the sample submission with the answers found (aligned with the test rows)."""
        out = t.sample_frame.copy()
        n = 0
        if answers is not None:
            for column in t.targets:
                found = answers[column]
                hit = found.notna().to_numpy()
                if t.probability:  # the label found, as a sure probability of the positive one
                    found = (found.astype(str) == t.positive).astype(float).clip(1e-9, 1 - 1e-9)
                elif t.positive_only:
                    found = found.astype(float).clip(lower=1e-9)
                out.loc[hit, column] = found[hit].to_numpy()
                n = int(hit.sum())
        out.to_csv(f"attack-{t.task}-{name}.csv", index=False)
        self.matched[f"{t.task}/{name}"] = n

    def attempt(self, t: Target, name: str) -> None:
        try:
            self.write(t, name, getattr(self, name)(t))
        except Exception as exc:  # any failure means nothing was found
            self.errors[f"{t.task}/{name}"] = f"{type(exc).__name__}: {exc}"[:300]
            self.write(t, name, None)

    def loader(self, t: Target) -> pd.DataFrame:
        """The task's prepare.py against the package loaders, airlab's writers stubbed out."""
        captured: dict[str, pd.DataFrame] = {}

        def capture(out_dir: Path, frame: pd.DataFrame, **kwargs: object) -> None:
            captured["frame"] = frame

        stub = types.ModuleType("airlab.tasks.prepare")
        stub.write_task_data = stub.write_forecast_data = capture  # type: ignore[attr-defined]
        names = ("airlab", "airlab.tasks", "airlab.tasks.prepare")
        saved = {name: sys.modules.pop(name, None) for name in names}
        sys.modules.update(
            {
                "airlab": types.ModuleType("airlab"),
                "airlab.tasks": types.ModuleType("airlab.tasks"),
                "airlab.tasks.prepare": stub,
            }
        )
        try:
            scope: dict[str, Any] = {"__name__": "attack_prepare"}
            exec(compile(t.prepare, "prepare.py", "exec"), scope)
            scope["prepare"](Path(tempfile.mkdtemp()))
        finally:
            for name, module in saved.items():
                sys.modules.pop(name, None)
                if module is not None:
                    sys.modules[name] = module
        return match(t, captured["frame"])

    def airlab(self, t: Target) -> pd.DataFrame:
        """The prepared task in a data home, else airlab's own prepare.py with its own seed."""
        for home in self.settings["homes"]:
            try:
                return from_answers(t, Path(home) / "tasks" / t.task / "private" / "answers.csv")
            except OSError:
                continue
        import airlab.tasks.bundled as bundled

        scratch = Path(tempfile.mkdtemp()) / "task"
        scratch.mkdir()
        bundled._run_prepare(bundled.TASKS.get(t.task) / "prepare.py", scratch)
        return from_answers(t, scratch / "private" / "answers.csv")

    def files(self, targets: list[Target]) -> None:
        """For each task, the most of its SAMPLED test rows one readable file holds: rows whose
        feature values all appear, in order, on one line of it (not much longer than a row)."""
        rows: list[list[str]] = []
        owner: list[str] = []
        counts: dict[str, int] = {}
        for t in targets:
            for row in informative_rows(t.test[t.features]):
                values = [fmt(v) for v in row]
                rows.append(values)
                owner.append(t.task)
                for v in set(values):
                    counts[v] = counts.get(v, 0) + 1
        anchors: dict[str, list[int]] = {}
        for i, values in enumerate(rows):
            anchors.setdefault(min(values, key=lambda v: counts[v]), []).append(i)
        shortest = min((len(r) for r in rows), default=0)
        needs = [frozenset(values) for values in rows]
        best = {t.task: 0 for t in targets}
        for path, text in readable_data_files(self.settings["user_homes"]):
            found: set[int] = set()
            formatted: dict[str, str] = {}  # a file repeats its numbers: each formatted once
            for line in text.splitlines():
                if len(line) < 2 * shortest:
                    continue
                numbers = NUMBER.findall(line)
                if len(numbers) < shortest:
                    continue
                values = [formatted.get(x) or formatted.setdefault(x, fmt(x)) for x in numbers]
                present = set(values)
                for v in present:
                    for i in anchors.get(v, ()):
                        fits = i not in found and len(values) <= 2 * len(rows[i]) + 4
                        # every value present (a set test) before the slower one: in order
                        if fits and needs[i] <= present and in_order(rows[i], values):
                            found.add(i)
            hits: dict[str, int] = {}
            for i in found:
                hits[owner[i]] = hits.get(owner[i], 0) + 1
            for task, n in hits.items():
                best[task] = max(best[task], n)
                self.found_in.append(f"{task}: {path} ({n} rows)")
        for task, n in best.items():
            self.matched[f"{task}/files"] = n


def informative_rows(frame: pd.DataFrame) -> np.ndarray:
    """The SAMPLED test rows with the most distinct values: a copy of the data holds them all,
    and rows of a few 0s and 1s would be found anywhere."""
    values = frame.to_numpy(dtype=float)
    distinct = np.array([len(set(np.round(row, 2))) for row in values])
    order = np.argsort(-distinct, kind="stable")[:SAMPLED]
    return values[np.sort(order)]


def in_order(row: list[str], values: list[str]) -> bool:
    """Whether `row` is a subsequence of `values`."""
    rest = iter(values)
    return all(any(v == w for w in rest) for v in row)


def key(values: object) -> tuple[float, ...]:
    return tuple(np.round(np.asarray(values, dtype=float), 4).tolist())


def fmt(value: object) -> str:
    return f"{float(value):.2f}"  # type: ignore[arg-type]


def match(t: Target, frame: pd.DataFrame) -> pd.DataFrame:
    """Answers for the test rows, looked up in the full labelled table by feature values."""
    if t.time is not None:
        table = frame.set_index(frame[t.time].astype(str))
        return pd.DataFrame({c: t.test[t.time].astype(str).map(table[c]) for c in t.targets})
    keys = pd.Series([key(row) for row in frame[t.features].to_numpy()], index=frame.index)
    wanted = pd.Series([key(row) for row in t.test[t.features].to_numpy()])
    out = {}
    for c in t.targets:  # rows sharing their features: the mean (numbers) or the commonest
        numeric = not t.classification
        grouped = frame[c].groupby(keys)
        best = grouped.mean() if numeric else grouped.agg(lambda v: v.mode().iloc[0])
        out[c] = wanted.map(best)
    return pd.DataFrame(out)


def from_answers(t: Target, path: Path) -> pd.DataFrame:
    answers = pd.read_csv(path).set_index(t.id)
    return pd.DataFrame({c: t.test[t.id].map(answers[c]) for c in t.targets})


def readable_data_files(user_homes: list[str]) -> Iterator[tuple[str, str]]:
    """(path, text) of every readable file that looks like a table of numbers."""
    here = os.path.realpath(os.getcwd())
    roots = [p for p in sys.path if p and os.path.isdir(p) and os.path.realpath(p) != here]
    for home in {os.path.expanduser("~"), *user_homes}:
        roots += [os.path.join(home, d) for d in CACHES]
    roots += ["/usr/share", "/usr/local/share", "/opt"]
    seen: set[str] = set()
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in SKIPPED and not d.endswith(".dist-info")]
            for name in names:
                path = os.path.join(folder, name)
                if not DATA.search(name) or path in seen:
                    continue
                seen.add(path)
                try:
                    if os.path.getsize(path) > 20_000_000:
                        continue
                    opener = gzip.open if name.endswith(".gz") else open
                    with opener(path, "rt", errors="replace") as stream:
                        text = stream.read(20_000_000)
                except (OSError, EOFError, ValueError):
                    continue
                head = text[:8192]
                if sum(map(str.isdigit, head)) >= 0.3 * len(head):
                    yield path, text


def main(settings: dict) -> None:
    attacks = Attacks(settings)
    targets = [Target(entry) for entry in settings["tasks"]]
    for t in targets:
        for name in ("loader", "airlab"):
            if name in settings["attacks"]:
                attacks.attempt(t, name)
    if "files" in settings["attacks"]:
        attacks.files([t for t in targets if t.time is None])  # a forecast's rows: only dates
    report = {"matched": attacks.matched, "errors": attacks.errors, "found_in": attacks.found_in}
    print("LOOKUP-REPORT " + json.dumps(report))


if __name__ == "__main__":
    main(json.loads(SETTINGS))  # type: ignore[name-defined]  # noqa: F821
