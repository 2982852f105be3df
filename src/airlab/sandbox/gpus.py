"""Which GPUs a candidate may touch: its assigned devices and the driver's control nodes.

A pool that assigns GPUs (Ray's `ray.get_gpu_ids()`) puts them in `ExecutionRequest.gpu_ids`;
the sandbox then exposes only `/dev/nvidia<N>` for those N, plus the nodes every CUDA process
needs (`nvidiactl`, `nvidia-uvm`, ...), and sets CUDA_VISIBLE_DEVICES to the same ids. Without
an assignment (`gpu_ids` None, the local pool) every NVIDIA device node is exposed, as before.
Written against fake device lists: not yet run on a machine with a GPU.
"""

from __future__ import annotations

from pathlib import Path

from airlab.errors import SandboxError

DEV = Path("/dev")
CONTROL_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")
CAPS_DIR = "nvidia-caps"
OTHER_GPU_DIRS = ("dri",)
"""Non-NVIDIA render nodes: exposed only without an assignment (they cannot be matched)."""


def _numbered(dev: Path) -> list[Path]:
    return sorted(p for p in dev.glob("nvidia*") if p.name[len("nvidia") :].isdigit())


def device_nodes(gpu_ids: tuple[str, ...] | None, dev: Path | None = None) -> list[Path]:
    """The device nodes (files, or the nvidia-caps and dri folders) a GPU candidate gets."""
    dev = dev or DEV
    nodes = [dev / name for name in CONTROL_NODES if (dev / name).exists()]
    if (dev / CAPS_DIR).is_dir():
        nodes.append(dev / CAPS_DIR)
    if gpu_ids is None:
        nodes += _numbered(dev)
        nodes += [dev / name for name in OTHER_GPU_DIRS if (dev / name).is_dir()]
        return nodes
    for gpu in gpu_ids:
        if not gpu.isdigit():
            raise SandboxError(f"GPU id {gpu!r} is not an index: cannot choose its device node")
        node = dev / f"nvidia{gpu}"
        if not node.exists():
            raise SandboxError(f"GPU {gpu} was assigned but {node} does not exist on this node")
        nodes.append(node)
    return nodes


def gpu_env(gpu_ids: tuple[str, ...] | None) -> dict[str, str]:
    """Variables that make CUDA use exactly the assigned GPUs, numbered as the device nodes."""
    if gpu_ids is None:
        return {}
    visible = ",".join(gpu_ids)
    return {
        "CUDA_VISIBLE_DEVICES": visible,
        "NVIDIA_VISIBLE_DEVICES": visible,
        "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
    }
