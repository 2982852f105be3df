"""TRL's GRPO through airlab: an `environment_factory` class and its reward function.

`GRPOTrainer(environment_factory=environment_factory(runs_dir=...), reward_funcs=
[airlab_reward])` gives each rollout an `AirlabTrlEnv`: `reset(**row)` forks the row's start
state (a node of a journal: `start_run`, `start_node`, `start_kind`; or the task's own root
with `task` alone) into a ReAct episode with native tool calls, and returns the step's prompt,
which TRL appends to the row's last user message. The class's public methods are the ReAct
tools (`shell`, `read_file`, `write_file`, `edit_file`, `check_submission`, `submit`), typed and
documented so that TRL offers them to the model with their JSON schemas; each call is a native
tool call of the node's episode (`gym/react.py`), run in the node's folder in the sandbox.

`airlab_reward(completions, environments)` scores each rollout with the environment's reward
(`gym/reward.py`, from the hidden `search` split): a submit's grade; else, when the last reply
holds a fenced Python block, that code written to solution.py and graded (a model that answers
in one message is a single-step answer); else the folder's last solution.py (the parent's,
unchanged: 0). The executions of a batch run in parallel on a worker pool (`gym/batch.py`).

Experimental, as TRL's `environment_factory` is. TRL is not a dependency of airlab: this module
imports nothing of it (`pip install 'airlab[train]'` installs it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from airlab.errors import ConfigError
from airlab.gym.batch import StepBatch
from airlab.gym.env import AirlabEnv
from airlab.gym.reward import RewardSpec
from airlab.gym.start import StartKind, StartState
from airlab.operators.parsing import parse_answer

Render = Callable[[dict[str, str]], str]
"""The prompt `reset` returns, from the step's observation (default: its user message)."""

ROW_FIELDS = ("task", "start_run", "start_node", "start_kind")
"""Dataset columns `reset` reads (the rest, `prompt` included, are TRL's)."""


def user_prompt(observation: dict[str, str]) -> str:
    return observation["user"]


class _Rollout:
    """One rollout's episode (the shared part of the two environment classes below)."""

    _react = True

    def __init__(
        self,
        *,
        runs_dir: Path | str,
        task: str | None = None,
        operator: str = "improve",
        render: Render = user_prompt,
        rewards: RewardSpec | None = None,
        limits: dict[str, Any] | None = None,
        react_turns: int = 8,
        react_command_s: float | None = None,
        edit_format: str = "whole",
        sandbox: str = "auto",
    ) -> None:
        self._runs_dir = Path(runs_dir)
        self._sandbox = sandbox
        self._task = task
        self._operator = operator
        self._render = render
        self._rewards = rewards or RewardSpec()
        self._limits = dict(limits or {})
        self._options: dict[str, Any] = {"mode": "single"}
        if self._react:
            self._options = {"mode": "react", "react_tools": "native", "react_turns": react_turns}
        if self._react and react_command_s is not None:
            self._options["react_command_s"] = react_command_s
        if edit_format != "whole":
            if self._react:
                raise ConfigError(
                    "environment_factory: edit_format=diff needs tools=False (single answers)"
                )
            self._options["edit_format"] = edit_format
        self._env: AirlabEnv | None = None
        self._env_task: str | None = None
        self._outcome: tuple[float, dict[str, Any]] | None = None

    # ---- TRL's protocol -------------------------------------------------------------------
    def reset(self, **row: Any) -> str:
        """Start the row's episode; the returned prompt is appended to its last user message."""
        task = row.get("task") or self._task
        if not task:
            raise ConfigError("AirlabTrlEnv: the row has no 'task' and the factory names none")
        if self._env is None or self._env_task != task:
            self._close()
            self._env = AirlabEnv(
                str(task),
                operator=self._operator,
                max_steps=1,
                rewards=self._rewards,
                runs_dir=self._runs_dir,
                operator_options=self._options,
                limits=self._limits,
                sandbox=self._sandbox,
            )
            self._env_task = str(task)
        options = None
        if row.get("start_run") is not None and row.get("start_node") is not None:
            kind = row.get("start_kind") or StartKind.CONTINUE
            options = {
                "start": (row["start_run"], int(row["start_node"])),
                "continue": StartKind(kind) == StartKind.CONTINUE,
            }
        observation, _ = self._env.reset(options=options)
        self._outcome = None
        return self._render(observation)

    # ---- rewards ----------------------------------------------------------------------------
    def _call(self, name: str, **arguments: Any) -> str:
        env = self._require()
        if self._outcome is not None:
            return "the episode is over: solution.py was submitted and scored"
        reply = {"content": "", "tool_calls": [{"name": name, "arguments": arguments}]}
        obs, reward, _, truncated, info = env.step(reply)
        if truncated:
            self._outcome = (reward, info)
            if info.get("submitted"):
                return "submitted: solution.py will be run from scratch and scored"
            return "the turns are spent: the folder's solution.py will be scored"
        said = json.loads(obs["messages"])
        return str(said[-1].get("content") or "") if said else ""

    def _submit(self, batch: StepBatch, answer: str) -> int | None:
        """Begin grading the rollout on `batch` (None: graded already). ReAct: the answer's
        fenced Python block, if any, becomes the folder's solution.py, and the node ends."""
        if self._outcome is not None:
            return None
        parsed = parse_answer(answer) if answer else None
        if parsed is not None:
            self._call("write_file", path="solution.py", content=parsed.code)
        if self._outcome is not None:  # that call was the last turn
            return None
        return batch.submit_end(self._require())

    def _finish(self, answer: str | None = None) -> tuple[float, dict[str, Any]]:
        """The rollout's reward (see the module docstring), grading now if not yet graded."""
        with StepBatch(workers=1) as batch:
            ticket = self._submit(batch, answer or "")
            if ticket is not None:
                _, reward, _, _, info = batch.wait([ticket])[ticket]
                self._outcome = (reward, info)
        assert self._outcome is not None
        return self._outcome

    def _require(self) -> AirlabEnv:
        if self._env is None or self._env.search is None:
            raise ConfigError("AirlabTrlEnv: call reset() before the tools")
        return self._env

    def _close(self) -> None:
        if self._env is not None:
            self._env.close()
        self._env = None


class AirlabTrlEnv(_Rollout):
    """One rollout's ReAct episode, its tools called natively; see the module docstring. Only
    the tools are public methods: TRL offers every public method to the model."""

    # ---- the tools (each a native tool call of the node's episode) --------------------------
    def shell(self, command: str) -> str:
        """Run a shell command in the working folder (in the sandbox, under the task's limits).

        Args:
            command: The shell command to run, e.g. `python solution.py`.

        Returns:
            The exit code, duration, and the tails of stdout and stderr.
        """
        return self._call("shell", command=command)

    def read_file(self, path: str) -> str:
        """Show a file of the working folder, or of `public/` (the task's public data).

        Args:
            path: The file's path, relative to the folder.

        Returns:
            The file's text (long files are cut in the middle).
        """
        return self._call("read_file", path=path)

    def write_file(self, path: str, content: str) -> str:
        """Write a whole file of the working folder (solution.py is the one that is scored).

        Args:
            path: The file's path, relative to the folder.
            content: The complete new content of the file.

        Returns:
            What was written.
        """
        return self._call("write_file", path=path, content=content)

    def edit_file(self, path: str, search: str, replace: str) -> str:
        """Replace one exact, unique piece of text in a file of the working folder.

        Args:
            path: The file's path, relative to the folder.
            search: The exact old text; it must occur once.
            replace: The new text.

        Returns:
            Whether the file was edited.
        """
        return self._call("edit_file", path=path, search=search, replace=replace)

    def check_submission(self) -> str:
        """Check the format of submission.csv, which running solution.py writes.

        Returns:
            Whether submission.csv has the right format.
        """
        return self._call("check_submission")

    def submit(self, plan: str) -> str:
        """Finish: solution.py is final; it is run again from scratch and scored.

        Args:
            plan: Your plan in 3 to 6 sentences.

        Returns:
            Whether the submission was accepted.
        """
        return self._call("submit", plan=plan)


class AirlabTrlAnswerEnv(_Rollout):
    """One rollout's single-step episode: no tools, the model's reply is the answer (a plan
    and one fenced Python block; with `edit_format="diff"`, SEARCH/REPLACE blocks applied to
    the parent: a few lines to write instead of the whole script), graded as `AirlabEnv.step`
    grades it. For models too small to call tools, and for training single-step improvement."""

    _react = False

    def _submit(self, batch: StepBatch, answer: str) -> int | None:
        if self._outcome is not None:
            return None
        return batch.submit(self._require(), answer)


def environment_factory(*, tools: bool = True, **options: Any) -> Callable[[], _Rollout]:
    """What `GRPOTrainer(environment_factory=...)` takes: a new environment per call, with
    these options (`runs_dir` required; see `_Rollout`): `AirlabTrlEnv` (a ReAct episode, the
    tools called natively) or, with `tools=False`, `AirlabTrlAnswerEnv` (one answer)."""
    if "runs_dir" not in options:
        raise ConfigError("environment_factory: give runs_dir (where the episodes' runs go)")
    return functools.partial(AirlabTrlEnv if tools else AirlabTrlAnswerEnv, **options)


def last_text(completion: Any) -> str:
    """The last assistant message's text of a completion (conversational or plain)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence):
        for message in reversed(completion):
            if isinstance(message, Mapping) and message.get("role") == "assistant":
                content = message.get("content")
                return content if isinstance(content, str) else ""
    return ""


def airlab_reward(
    completions: Sequence[Any],
    environments: Sequence[_Rollout] | None = None,
    *,
    workers: int = 2,
    **_: Any,
) -> list[float]:
    """TRL reward function: each rollout's airlab reward (see the module docstring); the
    candidates still to grade run in parallel on `workers` local workers (`gym.batch`)."""
    if environments is None:
        raise ConfigError("airlab_reward needs GRPOTrainer(environment_factory=...)")
    pairs = list(zip(completions, environments, strict=True))
    with StepBatch(workers=workers) as batch:
        tickets = {}
        for i, (completion, env) in enumerate(pairs):
            ticket = env._submit(batch, last_text(completion))
            if ticket is not None:
                tickets[ticket] = i
        for ticket, (_, reward, _, _, info) in batch.wait().items():
            pairs[tickets[ticket]][1]._outcome = (reward, info)
    return [env._finish()[0] for _, env in pairs]


def prompt_row(start: StartState | None, *, system: str, task: str | None = None) -> dict:
    """A dataset row for `reset`: a conversational prompt (the system message, an empty user
    message `reset` fills) and the start state."""
    row: dict[str, Any] = {
        "prompt": [{"role": "system", "content": system}, {"role": "user", "content": ""}]
    }
    if task is not None:
        row["task"] = task
    if start is not None:
        row |= {
            "start_run": str(start.run_dir),
            "start_node": start.node_id,
            "start_kind": start.kind.value,
        }
    return row
