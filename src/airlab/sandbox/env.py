"""The environment a candidate starts with: built from scratch, never copied from the caller.

The caller's environment holds API keys (OPENAI_API_KEY, ...) and paths into the run folder, so
nothing is inherited except a short allow-list; thread pools are capped to the CPU limit so that
numpy, BLAS, numexpr and joblib do not oversubscribe the machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from airlab.sandbox.base import ExecutionLimits
from airlab.sandbox.gpus import gpu_env

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMEXPR_MAX_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
    "LOKY_MAX_CPU_COUNT",
    "POLARS_MAX_THREADS",
    "RAYON_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)
"""Variables that cap thread pools; all set to `limits.cpus`."""

INHERITED = ("TZ",)
"""The only variables taken from the caller's environment (harmless, and changes results)."""

GPU_VARS = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES")


def candidate_env(
    limits: ExecutionLimits,
    extra: Mapping[str, str],
    *,
    python: str,
    home: str,
    tmpdir: str,
    gpu_ids: tuple[str, ...] | None = None,
) -> dict[str, str]:
    """Environment for one candidate; `extra` (the request's env) wins over everything.

    A GPU candidate with assigned GPUs sees those alone; without an assignment it inherits this
    process's GPU variables; a CPU candidate sees no GPU."""
    bin_dir = os.path.dirname(python)
    env = {
        "PATH": os.pathsep.join(dict.fromkeys([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"])),
        "HOME": home,
        "TMPDIR": tmpdir,
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "MPLBACKEND": "Agg",
        # pyarrow's own allocators reserve address space that RLIMIT_AS refuses, and then spin
        # (pandas 3 reads CSVs through pyarrow when it is installed): use the system allocator
        "ARROW_DEFAULT_MEMORY_POOL": "system",
    }
    threads = str(max(1, limits.cpus))
    env.update(dict.fromkeys(THREAD_VARS, threads))
    env.update({k: os.environ[k] for k in INHERITED if k in os.environ})
    if limits.gpus > 0 and gpu_ids is not None:
        env.update(gpu_env(gpu_ids))
    elif limits.gpus > 0:
        env.update({k: os.environ[k] for k in GPU_VARS if k in os.environ})
    else:
        env["CUDA_VISIBLE_DEVICES"] = ""
    env.update({str(k): str(v) for k, v in extra.items()})
    return env


BASE_NAMES = frozenset(
    {
        *candidate_env(ExecutionLimits(), {}, python="", home="", tmpdir=""),
        *INHERITED,
        *GPU_VARS,
        *gpu_env(("0",)),
    }
)
"""Every variable a candidate can have without its request asking: the request's own are the
rest (a forked interpreter takes those per execution)."""
