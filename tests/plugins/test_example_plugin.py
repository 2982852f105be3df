"""The out-of-tree plug-in under examples/ installs, is found by name, runs, and passes the
shipped policy suite in its own pytest session (as its author would run it)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from airlab.journal import Journal

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "airlab-example-plugin"


def install_example(source: Path, site: Path) -> None:
    """Install the example into `site` as pip would: with pip where it can build a wheel
    offline, else by writing the dist-info (METADATA, entry_points.txt) from pyproject.toml."""
    if importlib.util.find_spec("wheel") is not None:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
             "--no-build-isolation", "--target", str(site), str(source)],
            check=True,
        )  # fmt: skip
        return
    project = tomllib.loads((source / "pyproject.toml").read_text())["project"]
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    groups = [
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items())
        for group, entries in project["entry-points"].items()
    ]
    (info / "entry_points.txt").write_text("\n".join(groups))
    shutil.copytree(source / "src" / "airlab_example_plugin", site / "airlab_example_plugin")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A copy of the example (nothing is built in the repository) installed in a fresh folder,
    and the environment that puts that folder on the path of a new Python process."""
    root = tmp_path_factory.mktemp("example-plugin")
    source = root / "source"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    install_example(source, root / "site")
    path = [str(root / "site"), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    return source, env


@pytest.mark.slow
def test_the_installed_policy_runs_by_name(
    installed: tuple[Path, dict[str, str]], make_task, tmp_path: Path
) -> None:
    _, env = installed
    runs = tmp_path / "runs"
    done = subprocess.run(
        [sys.executable, "-m", "airlab", "run", "--task", str(make_task()),
         "--policy", "example-top-k", "-P", "top_k=2", "-P", "num_drafts=1", "--steps", "2",
         "--runs-dir", str(runs), "--name", "plug"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load((runs / "plug" / "config.yaml").read_text())
    assert config["policy"] == "example-top-k" and config["policy_params"]["top_k"] == 2
    with Journal.open(runs / "plug" / "journal.sqlite") as journal:
        operators = [node.operator for node in journal.nodes()]
    assert operators == ["draft", "improve"] or operators == ["draft", "debug"], operators


@pytest.mark.slow
def test_a_typo_suggests_the_installed_policy_and_the_metric_is_found(
    installed: tuple[Path, dict[str, str]],
) -> None:
    _, env = installed
    code = (
        "from airlab.policies import POLICIES; from airlab.grading.metrics import METRICS\n"
        "print(POLICIES.unknown_message('example-topk'))\n"
        "print('direction', METRICS.get('example-medae').direction)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert "did you mean 'example-top-k'?" in done.stdout, done.stdout + done.stderr
    assert "direction minimize" in done.stdout, done.stdout + done.stderr


@pytest.mark.slow
def test_the_example_passes_its_conformance_suite(
    installed: tuple[Path, dict[str, str]],
) -> None:
    source, env = installed
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=source, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "7 passed" in done.stdout, done.stdout[-3000:]
