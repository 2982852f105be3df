"""GPU candidates against a fake /dev: only the assigned devices, CUDA told the same ids, no
RLIMIT_AS (no GPU on the machine these were written on: see docs/scale.md)."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

import pytest

from airlab.errors import SandboxError
from airlab.runner.ray_pool import assigned_gpus
from airlab.sandbox import ExecutionLimits, ExecutionRequest, gpus
from airlab.sandbox.bwrap import BwrapSandbox
from airlab.sandbox.env import candidate_env
from airlab.sandbox.supervised import _rlimits


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A /dev with four GPUs, the control nodes and a caps folder (plain files stand in)."""
    root = tmp_path / "dev"
    (root / "nvidia-caps").mkdir(parents=True)
    (root / "nvidia-caps" / "nvidia-cap1").touch()
    (root / "dri").mkdir()
    for name in ("nvidia0", "nvidia1", "nvidia2", "nvidia3", "nvidiactl", "nvidia-uvm", "null"):
        (root / name).touch()
    monkeypatch.setattr(gpus, "DEV", root)
    return root


def test_only_the_assigned_devices_and_the_control_nodes(dev):
    names = [p.name for p in gpus.device_nodes(("1", "3"))]
    assert names == ["nvidiactl", "nvidia-uvm", "nvidia-caps", "nvidia1", "nvidia3"]
    everything = {p.name for p in gpus.device_nodes(None)}
    assert {"nvidia0", "nvidia1", "nvidia2", "nvidia3", "dri"} <= everything
    with pytest.raises(SandboxError, match=r"GPU 7 was assigned but .*nvidia7 does not exist"):
        gpus.device_nodes(("7",))
    with pytest.raises(SandboxError, match="'GPU-1234' is not an index"):
        gpus.device_nodes(("GPU-1234",))


def test_bwrap_binds_only_the_assigned_gpus(dev, tmp_path):
    public = tmp_path / "public"
    public.mkdir()
    request = ExecutionRequest(
        script="pass",
        workdir=tmp_path / "w",
        public_dir=public,
        limits=ExecutionLimits(gpus=1),
        gpu_ids=("2",),
    )
    args = BwrapSandbox().arguments(request, sys.executable, tmp_path / "w")
    bound = [args[i + 1] for i, a in enumerate(args) if a == "--dev-bind"]
    assert [Path(b).name for b in bound] == ["nvidiactl", "nvidia-uvm", "nvidia-caps", "nvidia2"]
    cpu_only = BwrapSandbox().arguments(
        ExecutionRequest(script="pass", workdir=tmp_path / "w", public_dir=public),
        sys.executable,
        tmp_path / "w",
    )
    assert "--dev-bind" not in cpu_only


def test_cuda_is_told_the_assigned_ids(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3")
    kwargs = {"python": sys.executable, "home": "/w", "tmpdir": "/tmp"}
    gpu = ExecutionLimits(gpus=2)
    env = candidate_env(gpu, {}, gpu_ids=("1", "3"), **kwargs)
    assert env["CUDA_VISIBLE_DEVICES"] == "1,3" and env["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    assert candidate_env(gpu, {}, **kwargs)["CUDA_VISIBLE_DEVICES"] == "0,1,2,3"  # local pool
    assert (
        candidate_env(ExecutionLimits(), {}, gpu_ids=("1",), **kwargs)["CUDA_VISIBLE_DEVICES"] == ""
    )  # a CPU candidate sees no GPU, whatever it was handed
    assert assigned_gpus(gpu, [1, 3]) == ("1", "3")
    assert assigned_gpus(ExecutionLimits(), [1]) is None


def test_no_address_space_limit_for_gpu_candidates():
    def limited(limits: ExecutionLimits) -> bool:
        return any(which == resource.RLIMIT_AS for which, _, _ in _rlimits(limits, None))

    assert limited(ExecutionLimits())
    assert not limited(ExecutionLimits(gpus=1))
    assert not limited(ExecutionLimits(limit_address_space=False))


def test_a_run_may_ask_for_gpus_per_candidate(make_task):
    from airlab.runner import RunConfig
    from airlab.runner.search import execution_limits
    from airlab.tasks import resolve_task

    task = resolve_task(str(make_task()))
    config = RunConfig.model_validate({"task": str(task.root), "limits": {"gpus": 2}})
    assert execution_limits(config, task).gpus == 2
    assert execution_limits(RunConfig(task=str(task.root)), task).gpus == task.spec.limits.gpus
