"""Shared fixtures: an isolated data home, and tiny task folders built on the fly."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tiny_task import write_tiny_task

# Every Ray instance of the suite binds to loopback and runs without token auth: Ray reads both
# once per process, and an xdist worker may start a local instance, then join the multi-node test
# cluster (tests/runner/ray_cluster.py), which needs them so.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")


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


@pytest.fixture(scope="module")
def ray_exclusive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Ray instances of the suite never overlap: the xdist workers share one lock file (two
    local Ray clusters on one machine fight over ports and the machine's two cores)."""
    import fcntl

    shared = tmp_path_factory.getbasetemp().parent
    with (shared / "airlab-ray.lock").open("w") as stream:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
        yield
        fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
