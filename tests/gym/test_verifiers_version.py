"""verifiers 0.4 is a new library under the old name (its stack in `verifiers.v1`): with it
installed, the adapter says in one line which verifiers it speaks, instead of claiming that
verifiers is not installed or failing on a missing attribute."""

import sys
import types

import pytest

pytest.importorskip("gymnasium")

from airlab.errors import ConfigError
from airlab.gym.verifiers import load_environment


def test_verifiers_0_4_is_named_with_the_version_to_install(monkeypatch):
    newer = types.ModuleType("verifiers")
    newer.__version__ = "0.4.0"  # as 0.4.0's root: a version, and nothing of the 0.3 API
    monkeypatch.setitem(sys.modules, "verifiers", newer)
    with pytest.raises(ConfigError) as caught:
        load_environment([("runs/x", 0)], runs_dir="gym-runs")
    message = str(caught.value)
    assert "verifiers 0.4.0 is installed" in message
    assert "pip install 'verifiers>=0.3.1,<0.4'" in message and "\n" not in message


def test_a_missing_verifiers_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "verifiers", None)  # import fails as if not installed
    with pytest.raises(ConfigError, match=r"airlab\[verifiers\]"):
        load_environment([("runs/x", 0)], runs_dir="gym-runs")
