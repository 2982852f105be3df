"""Importing a function from a task's own script (prepare.py, grade.py) with one-line errors."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airlab.errors import TaskError


def load_script_function(
    path: Path,
    function: str,
    signature: str,
    *,
    missing_package: Callable[[str], str] | None = None,
) -> Callable[..., Any]:
    """`function` from the script at `path`. A failed import or a missing function is a
    `TaskError` naming the file; `missing_package(name)` words the error for a package that is
    not installed (default: names the file and the package)."""
    spec = importlib.util.spec_from_file_location(f"airlab_{path.stem}_{path.parent.name}", path)
    if spec is None or spec.loader is None:
        raise TaskError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:
        name = exc.name or "?"
        message = (
            missing_package(name)
            if missing_package
            else f"{path}: needs the Python package {name!r}, not installed"
        )
        raise TaskError(message) from None
    except Exception as exc:
        raise TaskError(f"{path}: fails on import: {type(exc).__name__}: {exc}") from None
    found = getattr(module, function, None)
    if not callable(found):
        raise TaskError(f"{path}: defines no function {signature}")
    return found
