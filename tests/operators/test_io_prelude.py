"""The skeleton's I/O lines added to a script that uses their names without defining them.

The fixtures are drafts a 1.5B local model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M) wrote for
breast-cancer in `benchmarks/local_model.py`, as they were recorded: both kept the skeleton's
names and lost some of its lines, and died of a NameError."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab.backends.base import ChatModel, Completion, Usage
from airlab.grading.grader import Grader
from airlab.operators import OPERATORS, OperatorContext
from airlab.operators.io_prelude import MARK, complete_io, unbound_names
from airlab.operators.repairs import repair
from airlab.sandbox.base import ExecutionLimits, ExecutionRequest
from airlab.sandbox.registry import get_sandbox
from airlab.tasks import load_task, resolve_task

from .sandboxed import grunfeld_like, local_task, run_on_table

FIXTURES = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b"
LIMITS = ExecutionLimits(time_s=60, memory_mb=2048)


def _run(task, script, tmp_path):
    request = ExecutionRequest(
        script=script, workdir=tmp_path, public_dir=task.public_dir, limits=LIMITS
    )
    return get_sandbox("process").run(request)


@pytest.mark.slow
@pytest.mark.parametrize(("draft", "added"), [("2", ["y"]), ("3", ["X", "X_test", "y"])])
def test_a_small_models_draft_runs_once_its_io_lines_are_added(draft, added, tmp_path):
    task = resolve_task("breast-cancer")
    code = (FIXTURES / f"breast-cancer-draft-{draft}.py").read_text()
    before = _run(task, code, tmp_path / "before")
    assert "NameError" in before.stderr_tail
    completed, names = complete_io(code, task)
    assert names == added
    assert completed.startswith(MARK) and completed.endswith(code)
    after = _run(task, completed, tmp_path / "after")
    assert after.exit_code == 0, after.stderr_tail
    assert Grader(task).grade(after.submission, ("search",)).valid


def test_dependencies_come_along_and_in_order(make_task):
    task = load_task(make_task())
    code = "model = None\nprint(X.shape, y.mean())\n"
    completed, names = complete_io(code, task)
    assert names == ["X", "y"]
    lines = completed.splitlines()
    order = [next(i for i, line in enumerate(lines) if line.startswith(p)) for p in (
        "import pandas", "train =", "test =", "ID =", "TARGETS =", "FEATURES =", "X =", "y =",
    )]  # fmt: skip
    assert order == sorted(order)
    assert "X_test =" not in completed  # only what the script uses, and what that needs


@pytest.mark.parametrize(
    "code",
    [
        "import pandas as pd\nX = pd.read_csv('public/train.csv')\nprint(X)\n",  # all defined
        "def fit(X, y):\n    return X, y\n",  # parameters bind them
        "print(X\n",  # does not parse: left for the debug step
        "for X in range(3):\n    print(X)\n",
    ],
)
def test_scripts_that_define_their_names_are_left_alone(make_task, code):
    assert complete_io(code, load_task(make_task())) == (code, [])


def test_a_forgotten_numpy_import_is_added(make_task):
    code = "import pandas as pd\nprint(np.zeros(2), pd)\n"
    completed, names = complete_io(code, load_task(make_task()))
    assert names == ["np"] and completed == f"{MARK}\nimport numpy as np\n\n{code}"


def test_future_imports_stay_first(make_task):
    code = '"""Doc."""\nfrom __future__ import annotations\nprint(FEATURES)\n'
    completed, names = complete_io(code, load_task(make_task()))
    assert names == ["FEATURES"]
    assert completed.startswith('"""Doc."""\nfrom __future__ import annotations\n' + MARK)
    compile(completed, "solution.py", "exec")


def test_unbound_names_know_every_way_of_binding():
    code = (
        "import os.path\nfrom math import pi as PI\n"
        "try:\n    pass\nexcept ValueError as err:\n    print(err)\n"
        "with open('f') as handle:\n    print(handle, os, PI)\n"
        "squares = [v * v for v in range(3)]\n"
        "class Model:\n    pass\n"
        "print(squares, Model, missing)\n"
    )
    assert unbound_names(code) == {"missing"}


class Answers(ChatModel):
    """Answers every call with a draft that uses the skeleton's names without their lines."""

    name = "answers"

    def complete(self, messages, *, purpose=""):
        text = "Plan.\n```python\nprint(len(X), y.mean())\n```"
        return Completion(text, Usage(1, 1, 0.0, 1), "answers")


@pytest.mark.parametrize(("options", "expected"), [({}, ["X", "y"]), ({"io_prelude": False}, None)])
def test_the_operator_records_what_it_added(make_task, options, expected):
    context = OperatorContext(
        task=load_task(make_task()),
        parents=(),
        history=(),
        backend=Answers(),
        seed=0,
        node_id=0,
        limits=LIMITS,
        options=options,
    )
    candidate = OPERATORS.get("draft").apply(context)
    assert candidate.meta.get("io_prelude") == expected
    assert (MARK in candidate.code) == (expected is not None)


@pytest.mark.slow
def test_the_submission_frame_a_debug_answer_fills_but_never_made_is_the_skeletons(tmp_path):
    """A grunfeld debug answer (and the next, the same) kept `submission[TARGETS[0]] = ...`
    and lost the skeleton's `submission = pd.DataFrame({ID: test[ID]})`: refused by the
    names check as written, it runs with the line added."""
    written = (FIXTURES / "unbound-submission" / "grunfeld-debug.py").read_text()
    task = local_task("grunfeld")
    as_written, _ = repair(written, task, io_prelude=False)
    failed = run_on_table(as_written, tmp_path / "as-written", grunfeld_like)
    assert "NameError: name 'submission' is not defined" in failed.stderr_tail
    repaired, meta = repair(written, task)
    assert meta["io_prelude"] == ["submission"]
    assert "\nsubmission = pd.DataFrame({ID: test[ID]})\n" in repaired
    ran = run_on_table(repaired, tmp_path / "repaired", grunfeld_like)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None
    assert ran.submission.decode().splitlines()[0] == "id,invest"
