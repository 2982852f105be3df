"""What a task's declared provenance hides from candidates, and what nothing can hide.

A task built from a data set that ships inside an installed package (scikit-learn's digits,
statsmodels' fair, ...) could be answered by loading the package's copy and matching the test
rows. Its `provenance` names those files; the runner hands them to the sandbox as `hidden_data`,
together with airlab's own package (its bundled `prepare.py` scripts rebuild every answer).
"""

from __future__ import annotations

from airlab.sandbox.base import Sandbox
from airlab.sandbox.paths import PackageData
from airlab.tasks.spec import TaskSpec

AIRLAB_ITSELF = PackageData("airlab", (".",))
"""airlab's source: its bundled tasks' `prepare.py` regenerate the private answers."""


def hidden_data(spec: TaskSpec) -> tuple[PackageData, ...]:
    """The package files no candidate of this task may read: its declared sources and airlab."""
    declared = (PackageData(s.import_name, tuple(s.paths)) for s in spec.package_sources)
    return (*declared, AIRLAB_ITSELF)


def lookup_warning(spec: TaskSpec, sandbox: Sandbox) -> str | None:
    """Why this task's answers can be looked up under `sandbox` (None: they cannot)."""
    if not spec.package_sources or "file_hiding" in sandbox.enforces():
        return None
    names = ", ".join(sorted({s.package for s in spec.package_sources}))
    return (
        f"sandbox {sandbox.name} cannot hide files: this task's data ships inside {names}, so a "
        "candidate can look its answers up (use bwrap, or a kernel with Landlock)"
    )
