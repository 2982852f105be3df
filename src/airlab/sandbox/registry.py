"""Sandboxes by name, and "auto": bwrap where it works, else the plain-process sandbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from airlab.errors import SandboxError
from airlab.registry import Registry
from airlab.sandbox.base import Sandbox
from airlab.sandbox.bwrap import BwrapSandbox
from airlab.sandbox.probe import probe_bwrap
from airlab.sandbox.process import ProcessSandbox
from airlab.sandbox.warm import WarmProcessSandbox

SANDBOXES: Registry[type[Sandbox]] = Registry("sandbox", group="airlab.sandboxes")
SANDBOXES.register("process", ProcessSandbox)
SANDBOXES.register("bwrap", BwrapSandbox)
SANDBOXES.register("warm", WarmProcessSandbox)


def get_sandbox(name: str = "auto", options: Mapping[str, Any] | None = None) -> Sandbox:
    """A ready sandbox: "auto", "bwrap", "process", or any other registered name.

    "auto" probes bwrap once per process and falls back to "process" when bwrap is missing or
    cannot create namespaces; the fallback's `describe()` says so and why. Asking for "bwrap"
    where it does not work is an error that says why. `options` are checked against the
    sandbox's `Params` (for "auto": the one chosen) and passed to its constructor.
    """
    if name == "auto":
        probe = probe_bwrap()
        if probe.ok:
            return BwrapSandbox(**_set(SANDBOXES.parse_params("bwrap", options)))
        params = SANDBOXES.parse_params("process", options)
        return ProcessSandbox(fallback_reason=f"bwrap unavailable: {probe.detail}", **_set(params))
    cls = SANDBOXES.get(name)
    params = SANDBOXES.parse_params(name, options)
    if name == "bwrap":
        probe = probe_bwrap()
        if not probe.ok:
            raise SandboxError(f"the bwrap sandbox cannot run here: {probe.detail}")
    return cls(**_set(params))


def _set(params: BaseModel) -> dict[str, Any]:
    """The options given (defaults left to the constructor, which may predate its Params)."""
    return params.model_dump(exclude_unset=True)
