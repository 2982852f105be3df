"""The tools of a ReAct episode, acting on one folder: shell commands run in the sandbox, under
the candidate's limits (through the run's pool when the context gives one); files are read and
written only inside the folder (and `public/`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airlab.backends.base import ToolSpec
from airlab.grading.submission import InvalidSubmission, check_submission
from airlab.journal.edit import PatchFailure
from airlab.operators.memory import scrub_paths
from airlab.operators.patches import (
    DIVIDER,
    REPLACE,
    SEARCH,
    Block,
    PatchError,
    apply_blocks,
    parse_blocks,
)
from airlab.sandbox.base import PUBLIC_DIR_NAME, SUBMISSION_FILE, Execution, ExecutionRequest
from airlab.tasks.task import Task

if TYPE_CHECKING:
    from airlab.operators.base import OperatorContext

SOLUTION_FILE = "solution.py"
SHELL_SCRIPT = "_airlab_shell.py"
OBSERVATION_CHARS = 6000


def _schema(**fields: str) -> dict[str, Any]:
    properties = {name: {"type": "string", "description": text} for name, text in fields.items()}
    return {"type": "object", "properties": properties, "required": list(fields)}


TOOL_SPECS = (
    ToolSpec("shell", "Run a shell command in the folder.", _schema(command="The command.")),
    ToolSpec("read_file", "Show a file of the folder or of public/.", _schema(path="The path.")),
    ToolSpec(
        "write_file",
        "Write a file of the folder, whole.",
        _schema(path="The path.", content="The whole new content."),
    ),
    ToolSpec(
        "edit_file",
        "Replace one exact, unique piece of text in a file of the folder.",
        _schema(path="The path.", search="The exact old text.", replace="The new text."),
    ),
    ToolSpec("check_submission", "Check the format of submission.csv.", _schema()),
    ToolSpec(
        "submit",
        "Finish: solution.py is final. It is run again from scratch and scored.",
        _schema(plan="Your plan in 3 to 6 sentences (and a line `Family: ...` for a draft)."),
    ),
)
"""The tools as native tool calling offers them (the text protocol has the same ones)."""


def _cut(text: str, limit: int = OBSERVATION_CHARS) -> str:
    return text if len(text) <= limit else text[: limit // 3] + "\n…\n" + text[-2 * limit // 3 :]


@dataclass
class Workspace:
    root: Path
    task: Task
    execute: Callable[[ExecutionRequest], Execution]
    """Runs one command: the run's pool (`OperatorContext.execute`), else the sandbox."""
    context: OperatorContext
    command_s: float
    starting_files: list[str]
    last_submission: bytes | None = None

    @classmethod
    def create(cls, context: OperatorContext, command_s: float) -> Workspace:
        """A fresh folder holding the parents' code to start from."""
        execute = context.execute
        if execute is None:
            assert context.sandbox is not None
            execute = context.sandbox.run
        assert context.scratch_dir is not None
        root = context.scratch_dir / "work"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        files = []
        if len(context.parents) == 1:
            (root / SOLUTION_FILE).write_text(context.parents[0].code)
            files.append(SOLUTION_FILE)
        else:
            for letter, parent in zip("ab", context.parents, strict=False):
                (root / f"solution_{letter}.py").write_text(parent.code)
                files.append(f"solution_{letter}.py")
        return cls(root, context.task, execute, context, command_s, files)

    # ---- the tools -------------------------------------------------------------------------
    def run(self, tool: str, arg: str, body: str | None) -> str:
        handlers = {
            "shell": lambda: self.shell(body if body is not None else arg),
            "read_file": lambda: self.read_file(arg),
            "write_file": lambda: self.write_file(arg, body),
            "edit_file": lambda: self.edit_file(arg, body),
            "check_submission": self.check_submission,
        }
        handler = handlers.get(tool)
        if handler is None:
            known = ", ".join([*handlers, "submit"])
            return f"unknown tool {tool!r}; tools: {known}"
        try:
            return handler()
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return f"{tool} failed: {exc}"

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        """A native tool call (submit is the episode's business, not the folder's)."""
        if "_unparsed" in arguments:
            return f"{name}: the arguments are not a JSON object: {arguments['_unparsed'][:200]}"
        text = {k: str(v) for k, v in arguments.items()}
        try:
            if name == "shell":
                return self.shell(text.get("command", ""))
            if name == "read_file":
                return self.read_file(text.get("path", ""))
            if name == "write_file":
                return self.write_file(text.get("path", ""), text.get("content"))
            if name == "edit_file":
                return self.replace(
                    text.get("path", ""), text.get("search", ""), text.get("replace", "")
                )
            if name == "check_submission":
                return self.check_submission()
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return f"{name} failed: {exc}"
        known = ", ".join(spec.name for spec in TOOL_SPECS)
        return f"unknown tool {name!r}; tools: {known}"

    def shell(self, command: str) -> str:
        if not command.strip():
            return "shell: empty command"
        script = (
            "import subprocess, sys\n"
            f"sys.exit(subprocess.run({command!r}, shell=True).returncode)\n"
        )
        request = ExecutionRequest(
            script=script,
            workdir=self.root,
            public_dir=self.task.public_dir,
            limits=replace(self.context.limits, time_s=self.command_s),
            hidden_paths=self.context.hidden_paths,
            hidden_data=self.context.hidden_data,
            script_name=SHELL_SCRIPT,
        )
        execution = self.execute(request)
        if execution.submission is not None:
            self.last_submission = execution.submission
        elif self.last_submission is not None:  # the sandbox clears it before each command
            (self.root / SUBMISSION_FILE).write_bytes(self.last_submission)
        status = f"exit code {execution.exit_code}"
        if execution.timed_out:
            status = f"killed: the command ran past {self.command_s:g} s"
        elif execution.memory_exceeded:
            status = f"killed: over the memory limit of {self.context.limits.memory_mb} MB"
        out = scrub_paths(execution.stdout_tail).strip() or "(empty)"
        err = scrub_paths(execution.stderr_tail).strip() or "(empty)"
        return _cut(f"{status}, {execution.duration_s:.1f} s\nstdout:\n{out}\nstderr:\n{err}")

    def read_file(self, name: str) -> str:
        path = self._path(name, for_writing=False)
        if not path.is_file():
            return f"read_file: no file {name!r}"
        return _cut(path.read_text(errors="replace"))

    def write_file(self, name: str, content: str | None) -> str:
        if content is None:
            return "write_file: put the new content in a fenced block after the ACTION line"
        path = self._path(name, for_writing=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        return f"wrote {name} ({len(content.splitlines())} lines)"

    def edit_file(self, name: str, body: str | None) -> str:
        try:
            blocks = parse_blocks(body or "")
        except PatchError:
            return f"edit_file: the block needs {SEARCH} / {DIVIDER} / {REPLACE} markers"
        return self.patch(name, blocks)

    def replace(self, name: str, old: str, new: str) -> str:
        return self.patch(name, [Block(old, new)])

    def patch(self, name: str, blocks: list[Block]) -> str:
        """The blocks applied to the file (as `edit_format=diff` applies them to a parent)."""
        path = self._path(name, for_writing=True)
        if not path.is_file():
            return f"edit_file: no file {name!r}"
        try:
            patched = apply_blocks(path.read_text(), blocks)
        except PatchError as error:
            if error.reason is PatchFailure.EMPTY_SEARCH:
                return "edit_file: the text to replace is empty"
            return f"edit_file: in {name}, {error.detail}"
        path.write_text(patched.code)
        return f"edited {name}"

    def check_submission(self) -> str:
        path = self.root / SUBMISSION_FILE
        if not path.is_file() or path.is_symlink():
            return f"no {SUBMISSION_FILE} yet: run your script first"
        spec = self.task.spec
        try:
            check_submission(path.read_bytes(), spec, self.task.metric, self.task.test_ids)
        except InvalidSubmission as exc:
            return f"invalid submission: {exc}"
        return f"{SUBMISSION_FILE} has the right format ({len(self.task.test_ids)} rows)"

    # ---- the end ---------------------------------------------------------------------------
    def submit_problem(self) -> str | None:
        """Why a submit cannot be accepted yet, or None."""
        path = self.root / SOLUTION_FILE
        if not path.is_file() or path.is_symlink() or not path.read_text().strip():
            return f"cannot submit: write the final script to {SOLUTION_FILE} first"
        return None

    def solution(self) -> str | None:
        return None if self.submit_problem() else (self.root / SOLUTION_FILE).read_text()

    def _path(self, name: str, *, for_writing: bool) -> Path:
        """`name` inside the folder (or, to read, inside public/); never a way out of it."""
        relative = Path(name.strip())
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"{name!r}: use a path relative to the folder, without '..'")
        if relative.parts[0] == PUBLIC_DIR_NAME:
            if for_writing:
                raise ValueError("public/ is read-only")
            base = self.task.public_dir
            relative = Path(*relative.parts[1:])
        else:
            base = self.root
        path = base / relative
        # the folder is the candidate's: a link in it must not lead this (unsandboxed) process out
        if path.is_symlink() or not path.resolve().is_relative_to(base.resolve()):
            raise ValueError(f"{name!r} leads outside the folder")
        return path
