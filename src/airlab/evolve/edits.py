"""Edits to an agent folder, in the one checked format every meta agent answers in.

An edit is `{"file": PATH, "action": "replace", "content": TEXT}` (the file's whole new text) or
`{"file": PATH, "action": "set_field", "field": "a.b.c", "value": VALUE}` (one field of a YAML
file). PATH is relative to the folder and must be `agent.yaml`, `prompts/NAME.j2`,
`meta/meta.yaml` or `meta/prompts/NAME.j2`; an absolute path, `..`, a hidden name or `meta/`
without self-modification is refused. A meta agent's answer that breaks any rule is an
`EditError` whose message is the invalid child's reason: it is recorded, never raised further.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from airlab.agents.folder import agent_files
from airlab.errors import AirlabError

META_PREFIX = "meta/"
_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.j2"
_ALLOWED = re.compile(rf"^(agent\.yaml|prompts/{_NAME}|meta/meta\.yaml|meta/prompts/{_NAME})$")
MAX_FILE_CHARS = 100_000


class EditError(AirlabError):
    """A meta agent's edit that cannot be applied; the message is the reason, one line.
    `answer` is the meta agent's text it came from, when there was one."""

    def __init__(self, message: str, answer: str = "") -> None:
        super().__init__(message)
        self.answer = answer


class _Edit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str


class Replace(_Edit):
    action: Literal["replace"]
    content: str = Field(max_length=MAX_FILE_CHARS)


class SetField(_Edit):
    action: Literal["set_field"]
    field: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
    value: Any = None


Edit = Annotated[Replace | SetField, Field(discriminator="action")]
_EDITS = TypeAdapter(list[Edit])


def check_path(path: str, self_modify: bool) -> str:
    """The edit's file, checked: inside the folder, one of the editable kinds."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or "\\" in path or ".." in pure.parts:
        raise EditError(f"edit of {path!r}: the path must be relative to the folder, without '..'")
    if any(part.startswith(".") for part in pure.parts) or not _ALLOWED.match(path):
        raise EditError(
            f"edit of {path!r}: not an editable file (agent.yaml, prompts/NAME.j2, "
            "meta/meta.yaml, meta/prompts/NAME.j2)"
        )
    if path.startswith(META_PREFIX) and not self_modify:
        raise EditError(f"edit of {path!r}: meta/ is not editable without self-modification")
    return path


def parse_edits(text: str) -> list[Replace | SetField]:
    """A model's answer → its edits: a JSON list, alone or in the last ```json block."""
    blocks = re.findall(r"```(?:json)?\s*\n(.*?)```", text, flags=re.DOTALL)
    body = blocks[-1] if blocks else text.strip()
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise EditError(
            f"the answer holds no JSON list of edits ({exc.msg} at char {exc.pos})"
        ) from None
    if isinstance(data, dict):
        data = [data]
    try:
        edits = _EDITS.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EditError(f"malformed edit at {where or 'top'}: {first['msg']}") from None
    if not edits:
        raise EditError("the answer holds an empty list of edits")
    return edits


def apply_edits(
    files: dict[str, str], edits: list[Replace | SetField], self_modify: bool
) -> dict[str, str]:
    """The folder's files after the edits (the input is left as it was)."""
    out = dict(files)
    for edit in edits:
        path = check_path(edit.file, self_modify)
        if isinstance(edit, Replace):
            out[path] = edit.content
        else:
            out[path] = _set_field(path, out.get(path), edit.field, edit.value)
    return out


def _set_field(path: str, text: str | None, field: str, value: Any) -> str:
    if not path.endswith(".yaml"):
        raise EditError(f"edit of {path!r}: set_field applies to YAML files only")
    try:
        data = yaml.safe_load(text or "") or {}
    except yaml.YAMLError:
        raise EditError(f"edit of {path!r}: the file is not valid YAML") from None
    if not isinstance(data, dict):
        raise EditError(f"edit of {path!r}: the file is not a mapping")
    node = data
    *parents, last = field.split(".")
    for key in parents:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise EditError(f"edit of {path!r}: field {key!r} of {field!r} is not a mapping")
        node = child
    node[last] = value
    return yaml.safe_dump(data, sort_keys=False)


def read_files(root: Path) -> dict[str, str]:
    """An agent folder's files (those of its content hash), relative path → text."""
    return {p.relative_to(root).as_posix(): p.read_text() for p in agent_files(root)}


def write_files(files: dict[str, str], root: Path) -> Path:
    """Materialise stored files as a folder (replacing what is there)."""
    import shutil

    if root.exists():
        shutil.rmtree(root)
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    root.mkdir(parents=True, exist_ok=True)
    return root


def diff(before: dict[str, str], after: dict[str, str]) -> str:
    """Unified diff over the folder's files ('' when nothing changed)."""
    chunks: list[str] = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        chunks.extend(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                (new or "").splitlines(keepends=True),
                fromfile=f"a/{path}" if old is not None else "/dev/null",
                tofile=f"b/{path}" if new is not None else "/dev/null",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)
