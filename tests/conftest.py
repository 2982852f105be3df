"""Shared fixtures: an isolated data home, and tiny task folders built on the fly."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tiny_task import write_tiny_task


@pytest.fixture(scope="session", autouse=True)
def airlab_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Prepared bundled tasks go to a per-session folder, never the user's cache."""
    home = tmp_path_factory.mktemp("airlab-home")
    os.environ["AIRLAB_HOME"] = str(home)
    return home


TaskFactory = Callable[..., Path]


@pytest.fixture
def make_task(tmp_path: Path) -> TaskFactory:
    """Write a small, valid task folder; keyword arguments override task.yaml fields."""

    def build(name: str = "tiny", **options: Any) -> Path:
        return write_tiny_task(tmp_path / name, name, **options)

    return build
