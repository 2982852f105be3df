"""Reading the YAML files users write (task.yaml, rubric.yaml, agent.yaml, run configs): one
reader, so that every such file's problems read the same way: one line naming the file, and the
line of a YAML syntax error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from airlab.errors import AirlabError


def read_yaml(path: Path, error: type[AirlabError], *, holds: str = "") -> Any:
    """The document in `path` (None for an empty file), or `error` with one line: the file is
    missing (`holds` says what it should hold), or not valid YAML (with the line)."""
    if not path.is_file():
        raise error(f"{path}: file not found" + (f" ({holds})" if holds else ""))
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise error(f"{path}: not valid YAML{where}") from None


def read_yaml_mapping(path: Path, error: type[AirlabError], *, holds: str = "") -> dict[str, Any]:
    """A YAML file that must hold a mapping of fields (an empty file is an empty mapping)."""
    data = read_yaml(path, error, holds=holds)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping of fields, got {type(data).__name__}")
    return data
