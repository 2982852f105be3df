"""Issue 19's measure for AIRS-Bench: nine real task folders (synthetic data under the real names
and file shapes, tests/tasks/fixtures/make_airs.py) import, pass `task check` and finish a short
offline `airlab run` with the templates backend to a valid, graded final node, unaided.

The QM9 task's evaluate() converts its inputs with `torch.from_numpy` and scores them with
torchmetrics: without torch installed its import stops at the baseline in one line naming
`pip install torch` (and runs end to end where torch is installed)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RAD = Path(__file__).parent / "fixtures" / "airs-bench" / "airsbench" / "tasks" / "rad"

NINE = [
    "SentimentAnalysisYelpReviewFullAccuracy",
    "TextualSimilaritySickSpearmanCorrelation",
    "CoreferenceResolutionWinograndeAccuracy",
    "GraphRegressionZincMae",
    "TextualClassificationSickAccuracy",
    "MathQuestionAnsweringSVAMPAccuracy",
    "CoreferenceResolutionSuperGLUEWSCAccuracy",
    "QuestionAnsweringFinqaAccuracy",
    "CvMolecularPropertyPredictionQm9MeanAbsoluteError",
]
NEEDS_TORCH = {"CvMolecularPropertyPredictionQm9MeanAbsoluteError"}
HAS_TORCH = importlib.util.find_spec("torch") is not None


def airlab(*args: str) -> subprocess.CompletedProcess:
    """The command line, in this interpreter and with this environment's import path."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "airlab", *args],
        capture_output=True,
        text=True,
        timeout=280,
        env=env,
    )


def import_check_and_run(name: str, tmp_path: Path) -> dict:
    dest = tmp_path / name
    done = airlab("task", "import", "--from", "airs", str(RAD / name), str(dest))
    assert done.returncode == 0, done.stderr
    done = airlab("task", "check", str(dest), "--sandbox", "process")
    assert done.returncode == 0, done.stdout + done.stderr
    done = airlab(
        "run", "--task", str(dest), "--steps", "2", "--workers", "1", "--sandbox", "process",
        "--runs-dir", str(tmp_path / "runs"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(next((tmp_path / "runs").glob("*/result.json")).read_text())


@pytest.mark.slow
@pytest.mark.parametrize("name", NINE)
def test_real_airs_task_runs_end_to_end_unaided(name, tmp_path):
    if name in NEEDS_TORCH and not HAS_TORCH:
        done = airlab("task", "import", "--from", "airs", str(RAD / name), str(tmp_path / "t"))
        assert done.returncode != 0
        message = done.stderr.strip()
        assert len(message.splitlines()) == 1 and "pip install torch" in message, message
        assert "rejected" not in message  # the evaluator could not run; nothing was judged
        return
    result = import_check_and_run(name, tmp_path)
    assert result["status"] == "complete"
    assert result["valid_submission"], result
    assert result["scores"]["test"] is not None and result["baseline"] is not None
