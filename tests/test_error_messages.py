"""Every model's validation error reads the same: one line naming the source and field, and a
typo of a field name gets the nearest real name (`params.describe_error`)."""

from __future__ import annotations

import pytest

from airlab.errors import ConfigError
from airlab.runner.config import load_config
from airlab.runner.sweep import load_spec as load_sweep


def test_a_typo_in_a_run_config_suggests_the_field() -> None:
    with pytest.raises(ConfigError) as info:
        load_config({"task": "tiny", "wokers": 3}, source="run.yaml")
    message = str(info.value)
    assert message.startswith("run.yaml: unknown field 'wokers'")
    assert "did you mean 'workers'?" in message and "\n" not in message


def test_a_key_that_belongs_one_level_down_gets_its_full_path() -> None:
    with pytest.raises(ConfigError, match=r"unknown field 'stpes'; did you mean 'budget.steps'\?"):
        load_config({"task": "tiny", "stpes": 3}, source="run.yaml")


def test_a_typo_in_a_nested_run_config_field_suggests_from_the_nested_model() -> None:
    with pytest.raises(ConfigError, match=r"did you mean 'time_s'\?") as info:
        load_config({"task": "tiny", "limits": {"tme_s": 3}}, source="run.yaml")
    assert "limits.tme_s" in str(info.value)


def test_a_typo_in_a_sweep_suggests_the_field() -> None:
    with pytest.raises(ConfigError, match=r"unknown field 'seds'; did you mean 'seeds'\?"):
        load_sweep({"tasks": ["tiny"], "seds": [0, 1]}, "sweep.yaml")
