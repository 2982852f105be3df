"""Every sandbox configuration the project tests, by name (the layout and the hostile scripts
live in `airlab.testing.hostile`)."""

from __future__ import annotations

from collections.abc import Callable

from airlab.sandbox import Sandbox
from airlab.sandbox.bwrap import BwrapSandbox
from airlab.sandbox.process import ProcessSandbox
from airlab.testing.hostile import MARK_VAR, Layout

KINDS: dict[str, Callable[[], Sandbox]] = {
    "process": ProcessSandbox,
    "process-bare": lambda: ProcessSandbox(use_cgroups=False, use_landlock=False),
    "bwrap": BwrapSandbox,
}
"""Every sandbox configuration the conformance suite runs against. "process-bare" is the plain
process sandbox with neither cgroups nor Landlock: what a machine without either gets."""

KIND_SOURCE = {
    "process": "ProcessSandbox()",
    "process-bare": "ProcessSandbox(use_cgroups=False, use_landlock=False)",
    "bwrap": "BwrapSandbox()",
}
"""The same, as source, for tests that run a sandbox in a child interpreter."""

__all__ = ["KINDS", "KIND_SOURCE", "MARK_VAR", "Layout"]
