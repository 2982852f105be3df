"""`airlab task check`: everything a task folder must get right before agents are run on it.

Gymnasium's `check_env` in spirit: the folder loads (schema, files, ids), its public data is what
a candidate can learn from (`tasks/checks.py`: training table, targets, features), the hidden
splits are non-empty and disjoint, the answers are out of a candidate's reach, grading is
deterministic, and the task's `baseline.py` runs in the sandbox, gets a valid grade that beats
the sample submission, and reproduces the score recorded in `task.yaml`. A task's optional
`reference.py`, the stronger solution its reference score comes from, must run too and beat the
baseline on test.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from airlab.curation.provenance import undeclared_sources
from airlab.grading import Grade, Grader
from airlab.sandbox import ExecutionLimits, ExecutionRequest, get_sandbox
from airlab.sandbox.base import Execution
from airlab.sandbox.paths import PackageData, package_data_paths
from airlab.tasks import SPLITS, Task, data_home
from airlab.tasks.checks import check_task_data
from airlab.tasks.provenance import hidden_data, lookup_warning
from airlab.tasks.spec import ScoreOf
from airlab.tasks.task import SPLIT_COLUMN

BASELINE_FILE = "baseline.py"
REFERENCE_FILE = "reference.py"

_PROBE = """
import os, sys
reached = []
for path in sys.argv[1:]:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").read(1)
        reached.append(path)
    except OSError:
        pass
for root, _dirs, files in os.walk(".", followlinks=True):
    reached += [os.path.join(root, f) for f in files if f == "answers.csv"]
print("REACHED:" + "|".join(reached))
"""


@dataclass
class CheckReport:
    """Findings of one check: `problems` fail it, `warnings` need the author's attention (the
    answers can be looked up), `notes` are for information."""

    task: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    baseline_scores: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_task(
    task: Task, *, sandbox: str = "auto", run_baseline: bool = True, tolerance: float = 1e-6
) -> CheckReport:
    """Run every check on a loaded task; never raises for a finding, only records it."""
    report = CheckReport(task=task.name)
    if task.is_text:
        _check_text_task(task, report)
        return report
    grader = Grader(task)
    data = check_task_data(task)
    report.problems += [str(finding) for finding in data.errors]
    report.notes += [str(finding) for finding in data.notes]
    _check_splits(task, report)
    _check_answers_hidden(task, sandbox, report)
    _check_provenance(task, sandbox, report)
    sample = _grade_file(task, grader, task.sample_submission_path, report)
    if run_baseline and data.ok:  # on broken data the baseline could only crash
        _check_baseline(task, grader, sandbox, sample, tolerance, report)
        if report.baseline_scores and (task.root / REFERENCE_FILE).is_file():
            _check_reference(task, grader, sandbox, report)
    return report


def _check_text_task(task: Task, report: CheckReport) -> None:
    """A plan or revision task (its rubric loaded and split when the folder loaded): what the
    agent reads holds no rubric item, the splits' sizes, and the reference solution's scores
    by the offline judge (a test double: a note, not a verdict on the reference)."""
    from airlab.plans.grading import RubricGrader
    from airlab.plans.offline import OfflineJudge
    from airlab.plans.rubric import ITEM_SPLITS

    readable = " ".join((task.description + " " + (task.paper_text or "")).lower().split())
    for leaf in task.rubric.leaves():
        if " ".join(leaf.text.lower().split()) in readable:
            report.problems.append(f"rubric item {leaf.id} is written out in what the agent reads")
    split = task.item_split
    sizes = ", ".join(f"{name} {len(split.ids(name))}" for name in ITEM_SPLITS)
    report.notes.append(f"rubric: {len(task.rubric.leaves())} items; split sizes: {sizes}")
    if len(split.search) < 4:
        report.notes.append("under 4 search items: a coarse fitness")
    reference = task.reference_text
    if reference:
        grade = RubricGrader(task, OfflineJudge()).grade(reference, ITEM_SPLITS)
        shown = ", ".join(f"{k} {v:.3f}" for k, v in grade.scores.items())
        report.notes.append(f"reference.md by the offline judge: {shown or grade.reason}")


def _check_splits(task: Task, report: CheckReport) -> None:
    answers = task.read_answers()
    ids = answers[task.spec.id_column].astype(str)
    rows = {split: set(ids[answers[SPLIT_COLUMN] == split]) for split in SPLITS}
    for index, split in enumerate(SPLITS):
        if not rows[split]:
            report.problems.append(f"hidden split {split!r} has no rows")
        elif len(rows[split]) < 10:
            report.notes.append(f"hidden split {split!r} has under 10 rows: noisy scores")
        for other in SPLITS[index + 1 :]:
            if rows[split] & rows[other]:
                report.problems.append(f"hidden splits {split!r} and {other!r} share ids")
    sizes = ", ".join(f"{split} {len(rows[split])}" for split in SPLITS)
    report.notes.append(f"hidden split sizes: {sizes}")


def _check_answers_hidden(task: Task, sandbox: str, report: CheckReport) -> None:
    """A probe script in the sandbox tries to read the answers; it must fail."""
    targets = [str(task.answers_path), str(task.private_dir), str(task.root)]
    with tempfile.TemporaryDirectory(prefix="airlab-check-") as scratch:
        execution = run_script(task, _PROBE, Path(scratch), sandbox, args=targets)
    line = next(
        (line for line in execution.stdout_tail.splitlines() if line.startswith("REACHED:")), None
    )
    if line is None:
        report.problems.append(f"the answers probe did not run: {execution.stderr_tail[-300:]}")
        return
    reached = [path for path in line.removeprefix("REACHED:").split("|") if path]
    in_public = [path for path in reached if not Path(path).is_absolute()]
    if in_public:  # answers shipped with the public data: a fault of the folder itself
        report.problems.append(f"a candidate can read hidden files: {', '.join(in_public)}")
    elif reached and "file_hiding" in get_sandbox(sandbox).enforces():
        report.problems.append(f"a candidate can read hidden files: {', '.join(reached)}")
    elif reached:
        report.notes.append(
            f"the {execution.sandbox} sandbox hides no files on this machine (install bubblewrap):"
            " the answers are reachable"
        )
    else:
        report.notes.append(f"answers unreachable from the {execution.sandbox} sandbox")


def _check_provenance(task: Task, sandbox: str, report: CheckReport) -> None:
    """Declared package data must exist here and be hideable; undeclared package data is warned
    about (see `curation/provenance.py`)."""
    for source in task.spec.package_sources:
        data = PackageData(source.import_name, tuple(source.paths))
        if not package_data_paths(sys.executable, (data,)):
            report.warnings.append(
                f"provenance: {source.package} paths {', '.join(source.paths)} match no file "
                f"under {source.import_name} here, so nothing of it is hidden"
            )
    lookup = lookup_warning(task.spec, get_sandbox(sandbox))
    if lookup is not None:
        report.warnings.append(lookup)
    report.warnings += undeclared_sources(task)


def _grade_file(task: Task, grader: Grader, path: Path, report: CheckReport) -> Grade | None:
    if not path.is_file():
        report.notes.append(f"no {path.name}: no trivial score to compare the baseline with")
        return None
    grade = grader.grade(path.read_bytes(), SPLITS)
    if not grade.valid:
        report.problems.append(f"{path.name} is not a valid submission: {grade.reason}")
        return None
    return grade


def _check_baseline(
    task: Task,
    grader: Grader,
    sandbox: str,
    sample: Grade | None,
    tolerance: float,
    report: CheckReport,
) -> None:
    script = task.root / BASELINE_FILE
    if not script.is_file():
        report.problems.append(f"{script}: file not found (every task needs a real baseline)")
        return
    grade = _run_and_grade(task, grader, sandbox, BASELINE_FILE, report)
    if grade is None:
        return
    report.baseline_scores = grade.scores
    metric = grader.metric
    recorded = task.spec.baseline
    is_sample = recorded is not None and recorded.of == ScoreOf.SAMPLE_SUBMISSION
    if is_sample and sample is not None and grade.scores != sample.scores:
        report.problems.append(
            f"task.yaml says the baseline is the sample submission, but {BASELINE_FILE} scores "
            f"{grade.scores['test']:.6g} on test and {task.spec.sample_submission} "
            f"{sample.scores['test']:.6g}"
        )
    elif (recorded is None or recorded.of == ScoreOf.SOLUTION) and (
        sample is not None and not metric.better(grade.scores["test"], sample.scores["test"])
    ):
        report.problems.append(
            f"{BASELINE_FILE} scores {grade.scores['test']:.6g} on test, no better than "
            f"{task.spec.sample_submission} ({sample.scores['test']:.6g})"
        )
    if recorded is None:
        report.notes.append(
            f"task.yaml records no baseline; measured {grade.scores['test']:.6f} on test"
        )
    elif recorded.of == ScoreOf.REPORTED:
        report.notes.append(
            f"baseline {recorded.score:.6g} as the benchmark reports it ({recorded.note}); "
            f"{BASELINE_FILE} scores {grade.scores['test']:.6f} on test"
        )
    elif abs(recorded.score - grade.scores["test"]) > tolerance:
        report.problems.append(
            f"{BASELINE_FILE} scores {grade.scores['test']:.6f} on test but task.yaml records "
            f"baseline {recorded.score:.6f}"
        )


def _check_reference(task: Task, grader: Grader, sandbox: str, report: CheckReport) -> None:
    """A reference solution that does not beat the baseline would make the reference score a lie."""
    grade = _run_and_grade(task, grader, sandbox, REFERENCE_FILE, report)
    if grade is None:
        return
    reference, baseline = grade.scores["test"], report.baseline_scores["test"]
    if not grader.metric.better(reference, baseline):
        report.problems.append(
            f"{REFERENCE_FILE} scores {reference:.6g} on test, no better than "
            f"{BASELINE_FILE} ({baseline:.6g})"
        )
    else:
        report.notes.append(f"{REFERENCE_FILE} scores {reference:.6f} on test")


def _run_and_grade(
    task: Task, grader: Grader, sandbox: str, file_name: str, report: CheckReport
) -> Grade | None:
    """Run one of the task's own solution scripts; its grade, or None with the problem recorded."""
    with tempfile.TemporaryDirectory(prefix="airlab-check-") as scratch:
        execution = run_script(task, (task.root / file_name).read_text(), Path(scratch), sandbox)
    if not execution.succeeded:
        report.problems.append(
            f"{file_name} failed ({execution.failure}): "
            f"{last_line(execution.stderr_tail or execution.stdout_tail)}"
        )
        return None
    grade = grader.grade(execution.submission, SPLITS)
    if not grade.valid:
        report.problems.append(f"{file_name} wrote an invalid submission: {grade.reason}")
        return None
    if grader.grade(execution.submission, SPLITS).scores != grade.scores:
        report.problems.append("grading is not deterministic: the same submission scored twice")
    return grade


def last_line(output: str, limit: int = 300) -> str:
    """The last non-empty line of a script's output (a traceback's exception line), whole
    from its start: an output tail is cut at a byte count, in the middle of a line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return "(no output)"
    line = lines[-1]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def run_script(
    task: Task, script: str, workdir: Path, sandbox: str, args: list[str] | None = None
) -> Execution:
    """Run a script on the task's public data, under its limits, with its folder out of reach."""
    limits = task.spec.limits
    if args:
        script = f"import sys\nsys.argv[1:] = {args!r}\n{script}"
    return get_sandbox(sandbox).run(
        ExecutionRequest(
            script=script,
            workdir=workdir / "work",
            public_dir=task.public_dir,
            limits=ExecutionLimits(
                time_s=limits.time_s, memory_mb=limits.memory_mb, cpus=limits.cpus
            ),
            hidden_paths=tuple(sorted({task.root, task.private_dir, data_home().resolve()})),
            hidden_data=hidden_data(task.spec),
        )
    )


def score_submission(task: Task, submission: Path) -> Grade:
    """Grade a submission file on every hidden split (for the task's author, not for agents)."""
    return Grader(task).grade(submission.read_bytes() if submission.is_file() else None, SPLITS)
