"""The measure of issue 13, shared by tests/tasks/test_unaided_mlebench.py and _mlgym.py:
real-layout fixtures of named tasks (four MLE-bench competitions, three MLGym configs) import,
pass `task check` and run a short offline search (two drafts) to a valid final submission,
each unaided, through the command line. AIRS-Bench's nine run in test_unaided_airs.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
MLEBENCH_DATA = FIXTURES / "mle-bench-data"
MLGYM = FIXTURES / "mlgym" / "configs" / "tasks"

TASKS = {
    "spooky-author-identification": [
        "--from", "mlebench", "spooky-author-identification", "--data", str(MLEBENCH_DATA),
        "--leaderboard", str(FIXTURES / "leaderboards" / "spooky-author-identification.csv"),
    ],
    "leaf-classification": [
        "--from", "mlebench", "leaf-classification", "--data", str(MLEBENCH_DATA)],
    "nomad2018-predict-transparent-conductors": [
        "--from", "mlebench", "nomad2018-predict-transparent-conductors",
        "--data", str(MLEBENCH_DATA)],
    "random-acts-of-pizza": [
        "--from", "mlebench", "random-acts-of-pizza", "--data", str(MLEBENCH_DATA)],
    "titanic": ["--from", "mlgym", str(MLGYM / "titanic.yaml")],
    "regressionKaggleHousePrice": [
        "--from", "mlgym", str(MLGYM / "regressionKaggleHousePrice.yaml")],
    "regressionKaggleHousePriceL1": [
        "--from", "mlgym", str(MLGYM / "regressionKaggleHousePriceL1.yaml"),
        "--metric", "evaluate"],
}  # fmt: skip
# AIRS-Bench's fixtures run end to end in test_unaided_airs.py, with its evaluator's oddities


def airlab(*args: str) -> subprocess.CompletedProcess:
    # the fixture clone's mlebench package, importable as after `pip install -e` of a clone
    # the clone first, then the path the tests run with (so the airlab under test is the one run)
    path = [str(FIXTURES / "mle-bench"), os.environ.get("PYTHONPATH", "")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in path if p),
        "PYTHONWARNINGS": "ignore",
    }
    return subprocess.run(
        [sys.executable, "-m", "airlab", *args], capture_output=True, text=True, timeout=280,
        env=env,
    )  # fmt: skip


def import_check_and_search(name: str, tmp_path: Path) -> None:
    """`airlab task import`, `task check`, `run --steps 2 --workers 1`: each must succeed."""
    source_args = TASKS[name]
    # the importer's positional SOURCE is the first argument after the --from option pair
    dest = tmp_path / name
    done = airlab("task", "import", *source_args[:2], source_args[2], str(dest), *source_args[3:])
    assert done.returncode == 0, done.stderr
    done = airlab("task", "check", str(dest), "--sandbox", "process")
    assert done.returncode == 0, done.stdout + done.stderr
    done = airlab(
        "run", "--task", str(dest), "--steps", "2", "--workers", "1", "--sandbox", "process",
        "--runs-dir", str(tmp_path / "runs"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(next((tmp_path / "runs").glob("*/result.json")).read_text())
    assert result["status"] == "complete"
    assert result["valid_submission"], result
    assert result["scores"]["test"] is not None and result["baseline"] is not None
    _relative_scores_as_report(name, tmp_path / "runs", result, done.stdout)


def _relative_scores_as_report(name: str, runs_dir: Path, result: dict, summary: str) -> None:
    """result.json's benchmark-relative numbers are those `airlab report` computes, and the
    closing summary shows them: MLE-bench's medal and percentile, AIRS-Bench's normalised
    score, MLGym's comparison with its reported baseline."""
    import math

    from airlab.evaluation.runs import find_runs, runs_table, task_metadata
    from airlab.evaluation.tables import score_table

    rel = result["relative_scores"]
    runs = find_runs([runs_dir])
    row = score_table(runs_table(runs), task_metadata(runs)).iloc[0]
    for key in ("airs_ns", "linear_ns", "percentile"):
        assert (rel[key] is None and math.isnan(row[key])) or math.isclose(rel[key], row[key])
    assert rel["medal"] == (row["medal"] or None)
    source = TASKS[name][1]
    needed = {"mlebench": ("percentile", "medal"), "mlgym": ()}[source]
    assert all(rel[key] is not None for key in (*needed, "reaches_baseline")), rel
    if source == "mlebench":  # (rich may wrap a row of the summary at 80 columns)
        assert "medal" in summary and "percentile" in summary
