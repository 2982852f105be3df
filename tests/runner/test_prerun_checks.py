"""A written script that fails a check before running: recorded as `check_failed`, charged, never
executed, and debugged from a prompt that names the failing line; the sandbox's packages are
probed once per run and kept in the journal."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from airlab.backends import BACKENDS, ChatModel, Completion, Usage
from airlab.failures import Failure
from airlab.journal import NodeStatus
from airlab.runner import RunConfig, Search
from airlab.runner import search as search_module

pytestmark = pytest.mark.slow

STYLE = Path(__file__).parents[1] / "operators" / "fixtures" / "model-style"
WORKING = (STYLE / "breast-cancer-draft-xgboost.py").read_text().replace(
    "import xgboost as xgb\n", "from sklearn.ensemble import HistGradientBoostingClassifier\n"
).replace("xgb.XGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.1)",
          "HistGradientBoostingClassifier(max_iter=50)")  # fmt: skip


class Coder(ChatModel):
    """Drafts the xgboost script (the sandbox has no xgboost), debugs with a working one."""

    name = "prerun-coder"

    def __init__(self) -> None:
        self.prompts: list[tuple[str, str]] = []

    def complete(self, messages, *, purpose=""):
        self.prompts.append((purpose, messages[-1].content))
        if purpose == "draft":
            code = (STYLE / "breast-cancer-draft-xgboost.py").read_text()
        else:
            code = WORKING
        return Completion(f"Plan.\n```python\n{code}```\n", Usage(100, 50, 0.0, 1), "coder")


CODER = Coder()
if "prerun-coder" not in BACKENDS:
    BACKENDS.register("prerun-coder", lambda model, params: CODER)


def _config(tmp_path, **options):
    return RunConfig.model_validate(
        {
            "task": "breast-cancer",
            "backend": "prerun-coder",
            "budget": {"steps": 2},
            "policy_params": {"num_drafts": 1},
            "operator_options": {"analysis": False, **options},
            "runs_dir": str(tmp_path / "runs"),
            "limits": {"time_s": 60},
        }
    )


def _drive(search):
    while (proposal := search.ask()) is not None:
        node = search.tell_written(search.write(proposal))
        if node.status == NodeStatus.QUEUED:
            search.tell(search.tell_executed(node.id, search.sandbox.run(search.start(node.id))))
    return search.journal.nodes()


def test_a_script_failing_a_check_is_not_run_and_is_debugged(tmp_path, monkeypatch):
    CODER.prompts.clear()
    search = Search.create(_config(tmp_path, retry_refused=False))
    draft, debug = _drive(search)
    assert draft.failure == Failure.CHECK_FAILED and draft.status == NodeStatus.BUGGY
    assert "`xgboost` is not installed" in draft.error and "HistGradientBoosting" in draft.error
    assert draft.exec_seconds is None and draft.tokens_in == 100  # charged, not executed
    assert debug.operator == "debug" and debug.parent_ids == (draft.id,) and debug.is_good
    (_, draft_prompt), (_, debug_prompt) = CODER.prompts
    # deep families are named only where the sandbox's Python has a deep-learning package
    deep = any(importlib.util.find_spec(name) for name in ("torch", "tensorflow", "keras"))
    for prompt in (draft_prompt, debug_prompt):
        assert "NOT installed (importing them fails): xgboost" in prompt
        assert "whatever else" not in prompt
    families = "(e.g. gradient boosting, random forest, linear, svm, knn, neural net (MLP)"
    families += ", cnn, transformer)" if deep else ")"
    assert families in draft_prompt  # no family the machine cannot run
    assert deep or "cnn" not in draft_prompt + debug_prompt
    failing = "failed here (line marked `>`):\n```\n  1 | import pandas as pd\n> 2 | import xgboost"
    assert failing in debug_prompt
    stored = search.journal.get_meta("packages")
    assert "xgboost" in stored["missing"] and "sklearn" in stored["installed"]

    def no_probe(*args, **kwargs):
        raise AssertionError("probed again")

    monkeypatch.setattr(search_module, "probe_packages", no_probe)
    reopened = Search.open(search.folder.root)
    assert reopened.packages is not None and "xgboost" in reopened.packages.missing


def test_asked_again_with_the_diagnosis_the_draft_runs_in_its_own_step(tmp_path):
    CODER.prompts.clear()
    search = Search.create(_config(tmp_path))
    draft, second = _drive(search)
    assert draft.is_good and draft.operator == "draft" and draft.tokens_in == 200  # two calls
    assert "`xgboost` is not installed" in draft.meta["refused_retry"]
    assert [purpose for purpose, _ in CODER.prompts[:2]] == ["draft", "draft-refused"]
    assert CODER.prompts[1][1].startswith("Your script would fail, so it was not run: ")
    assert second.operator != "debug"  # nothing left to debug


def test_with_the_import_check_off_the_script_runs_and_fails(tmp_path):
    search = Search.create(_config(tmp_path, check_imports=False))
    draft, _ = _drive(search)
    assert draft.failure == Failure.ERROR and "xgboost" in draft.stderr_tail
