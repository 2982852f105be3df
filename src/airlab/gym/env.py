"""`AirlabEnv`: a Gymnasium environment over an airlab `Search`.

Observation: what an operator shows its model (the system and user messages) and the same
content as fields (operator, task card, parent node as the agent may see it, memory). Action: the
model's answer, a plan and one fenced Python block, read as operators read answers. `step` runs
the candidate in the sandbox, grades it on the hidden `search` split, and rewards its improvement
over the parent (`gym/reward.py`). Episodes run in a fresh run folder each (under `runs_dir`), so
every attempt is a real node of a real journal, readable with `airlab view` and exportable.

An episode takes `max_steps` steps, each from the last node (improve it when it worked, debug it
when it did not; an answer without code poses the same step again), and then ends as truncated:
research has no terminal state. `info` keys mean one thing wherever they appear: `next_node_id`
and `next_operator` name the step the observation poses (at reset and after each step; None
once the episode is over), `steps` counts graded nodes, and after a graded step `node_id`,
`operator`, `status`, `search_score`, `parent_score`, `failure` and `error` describe the node
just graded; never a select or test score.

With `operator_options={"mode": "react"}` a node is written over several steps, one reply (one
tool call, text protocol) each, by the ReAct operator's own episode (`gym/react.py`): the
observation adds `messages`, the conversation so far; a step that is not an accepted submit runs
its tool in the node's folder (in the sandbox) and earns −`turn_cost` (default 0); a submit, or
the `react_turns`-th turn, grades the folder's solution.py as a single-answer step grades its
answer. `max_steps` still counts nodes.
"""

from __future__ import annotations

import functools
import string
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from airlab.errors import ConfigError
from airlab.gym._deps import gymnasium
from airlab.gym.attempts import Attempt, execute_or_retry, graded, written
from airlab.gym.observation import FIELDS, REACT_FIELDS, messages, observe
from airlab.gym.react import TOOLS, ReactNode
from airlab.gym.reward import RewardSpec
from airlab.gym.start import GYM_STATUS, StartKind, StartState, Step, fork, next_step
from airlab.journal import NodeStatus
from airlab.operators.options import parse_operator_options
from airlab.runner.config import RunConfig
from airlab.runner.pool import PoolResult
from airlab.runner.search import Proposal, Search
from airlab.sandbox import get_sandbox
from airlab.sandbox.base import Execution, ExecutionRequest
from airlab.tasks import resolve_task
from airlab.tasks.checks import require_task_data

if TYPE_CHECKING:
    import gymnasium as gym
else:
    gym = gymnasium()

MAX_CHARS = 200_000
"""Longest text an observation field or an action may hold."""


class _AnyCharacter:
    """Every Unicode character, sized as the code point range: gymnasium's flattening (and so
    `AsyncVectorEnv`'s shared memory) stores a character as its index, padding with the set's
    size, so a code point is its own index and any prompt round-trips."""

    def __len__(self) -> int:
        return sys.maxunicode + 1

    def __contains__(self, char: object) -> bool:
        return isinstance(char, str) and len(char) == 1

    def __getitem__(self, index: int) -> str:
        return chr(index)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _AnyCharacter)

    def __hash__(self) -> int:
        return hash(_AnyCharacter)


_ANY_CHARACTER = _AnyCharacter()


class FreeText(gym.spaces.Text):
    """A Text space of any characters (prompts hold unicode), each indexed by its code point so
    that flattening and `AsyncVectorEnv`'s shared memory carry them; samples printable ASCII."""

    def __init__(self, max_length: int = MAX_CHARS, *, min_length: int = 0) -> None:
        super().__init__(max_length, min_length=min_length, charset=string.printable)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    @property
    def character_set(self) -> Any:  # every character (see `_AnyCharacter`)
        return _ANY_CHARACTER

    @property
    def character_list(self) -> Any:  # index → character: the code point
        return _ANY_CHARACTER

    def character_index(self, char: str) -> np.int32:
        return np.int32(ord(char))

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """Printable ASCII of a random length (a character mask over all of Unicode is not
        offered: a one-line error)."""
        if mask is not None or probability is not None:
            raise ConfigError("FreeText.sample takes no mask or probability")
        length = int(self.np_random.integers(self.min_length, self.max_length + 1))
        return "".join(self.np_random.choice(list(string.printable), size=length))


@gym.vector.utils.create_shared_memory.register(FreeText)
def _no_shared_text(space: FreeText, n: int = 1, ctx: Any = None) -> Any:
    """gymnasium reads a Text observation out of shared memory once, when the vector env is
    built, so every later one would come back stale: refuse, as gymnasium does for spaces of
    dynamic size, and say what works."""
    raise TypeError(
        "airlab observations are text of any length: build AsyncVectorEnv(..., "
        "shared_memory=False), or use airlab.gym.env.make_vector"
    )


def observation_space(react_turns: int | None = None) -> Any:
    """Text fields; with `react_turns` (mode=react) the conversation too, long enough for
    every turn's reply and observation."""
    if react_turns is None:
        return gym.spaces.Dict({name: FreeText() for name in FIELDS})
    spaces: dict[str, Any] = {name: FreeText() for name in REACT_FIELDS}
    spaces["messages"] = FreeText(2 * MAX_CHARS * (react_turns + 1))
    return gym.spaces.Dict(spaces)


class AirlabEnv(gym.Env):
    """One task; each episode a fork of a start state (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 - gymnasium's own attribute

    def __init__(
        self,
        task: str,
        *,
        operator: str = "improve",
        max_steps: int = 4,
        rewards: RewardSpec | None = None,
        runs_dir: Path | str | None = None,
        operators: str = "aide",
        operator_options: dict[str, Any] | None = None,
        limits: dict[str, Any] | None = None,
        seed: int = 0,
        sandbox: str = "auto",
    ) -> None:
        if operator not in ("draft", "improve", "debug"):
            raise ConfigError(f"gym operator must be draft, improve or debug, got {operator!r}")
        if max_steps < 1:
            raise ConfigError(f"gym max_steps must be at least 1, got {max_steps}")
        require_task_data(resolve_task(task))  # broken data fails here, not in every episode
        self.task_name = task
        self.operator = operator
        self.max_steps = max_steps
        self.rewards = rewards or RewardSpec()
        self.runs_dir = Path(runs_dir or tempfile.mkdtemp(prefix="airlab-gym-"))
        self.operators = operators
        self.operator_options = dict(operator_options or {})
        typed = parse_operator_options(self.operator_options)
        if typed.edit_format != "whole" and typed.mode == "react":
            raise ConfigError(
                "gym operator_options: edit_format=diff is for single answers (a ReAct episode "
                "edits files with its own tools)"
            )
        self.react = typed.mode == "react"
        """One reply (tool call) per step, the ReAct operator's episode writing each node."""
        self.native_tools = self.react and typed.react_tools == "native"
        """ReAct replies call tools natively (`react_tools=native`); else the text protocol."""
        self.limits = dict(limits or {})
        self.seed_value = seed
        self.sandbox = get_sandbox(sandbox)
        """Where every episode's candidates run: one sandbox for the environment's life (a
        warm one starts its interpreters once, not once per episode); `close` stops it."""
        self.observation_space = observation_space(typed.react_turns if self.react else None)
        self.action_space = FreeText(min_length=0)
        self.search: Search | None = None
        self.proposal: Proposal | None = None
        self._react: ReactNode | None = None
        self._root: StartState | None = None
        self._steps = 0
        self._over = False
        self._pending = False

    # ---- episodes ---------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """A new episode: from `options["start"]` = (run_dir, node_id) when given (that node's
        own step again; with `options["continue"]` true, the next step from it; the
        environment's operator options apply over the source run's), else from the
        environment's own root for its operator."""
        super().reset(seed=seed)
        options = options or {}
        if "start" in options:
            kind = StartKind.CONTINUE if options.get("continue") else StartKind.REPLAY
            start: StartState | None = StartState.parse(options["start"], kind)
        else:
            start = self.root()
        self._end_episode()
        if start is None:  # a draft from an empty history
            self.search = Search.create(self._config(steps=self.max_steps), sandbox=self.sandbox)
            self.search.journal.set_meta(status=GYM_STATUS)
            step = Step("draft", ())
        else:
            self.search, step = fork(
                start,
                self.runs_dir,
                steps=self.max_steps,
                operator_options={"mode": "single", **self.operator_options},
                sandbox=self.sandbox,
            )
        self._steps, self._over, self._pending = 0, False, False
        self._propose(step)
        return self._observe(), self._info()

    def step(self, action: Any) -> StepResult:
        """One answer (single mode), or one ReAct reply: text, or with `react_tools=native`
        an assistant message with `tool_calls` (a dict, or its JSON text; `tools()` gives the
        schemas). Blocks while the candidate runs; `gym.batch.StepBatch` runs many at once."""
        return self.finish_step(self.start_step(action))

    def end_node(self) -> StepResult:
        """ReAct mode: end the node's episode now, as its last turn would (the folder's last
        solution.py is graded; none is a no-code failure), e.g. when a trainer stops calling
        tools. Returns what `step` returns, with no turn cost."""
        return self.finish_step(self.start_step(None, end_node=True))

    def start_step(self, action: Any, *, end_node: bool = False) -> PendingStep:
        """The first half of `step` (or `end_node`): the answer is recorded (a ReAct reply's
        tools run), and what is left is the candidate's execution, `pending.request` (None
        when nothing is to run). `finish_step` grades it and gives what `step` returns."""
        name = "end_node()" if end_node else "step()"
        if self.search is None or self.proposal is None:
            raise ConfigError(f"call reset() before {name}")
        if self._over:
            raise ConfigError(f"the episode is over (truncated): call reset() before {name}")
        if self._pending:
            raise ConfigError(f"{name}: this environment's last step is still running")
        if end_node and self._react is None:
            raise ConfigError("end_node() needs a ReAct episode (operator_options mode=react)")
        info: dict[str, Any] = {}
        reward = 0.0
        if self._react is None:
            writing = written(self.proposal, action)
        else:
            react = self._react
            info = {**self._info(), "tool": None, "submitted": False}
            if end_node:
                pass
            elif react.finished:  # react_time_s ran out while the reply was written: not acted on
                info["late"] = True
            else:
                outcome = react.turn(action if isinstance(action, str | dict) else "")
                info["tool"] = outcome.tools[0] if outcome.tools else None
                info["submitted"] = outcome.submitted
            info["turn"] = react.episode.turns
            reward = 0.0 if end_node else -self.rewards.turn_cost
            if not react.finished and not end_node:
                return PendingStep(self, None, (self._observe(), reward, False, False, info))
            writing = react.written()
        node = self.search.tell_written(writing)
        request = self.search.start(node.id) if node.status == NodeStatus.QUEUED else None
        self._pending = True
        return PendingStep(self, request, None, reward, info)

    def finish_step(
        self, pending: PendingStep, execution: PoolResult | Execution | None = None
    ) -> StepResult:
        """The second half of `step`: record `execution` (the result of `pending.request`;
        None: run it here, in the sandbox) and grade the node."""
        if pending.result is not None:
            return pending.result
        assert self.search is not None and self.proposal is not None
        if pending.env is not self:
            raise ConfigError("finish_step: the pending step is another environment's")
        node_id = self.proposal.node.id
        try:
            if pending.request is not None:
                if execution is None:
                    execution = self.search.sandbox.run(pending.request)
                self.search.tell(self.search.tell_executed(node_id, execution))
        finally:
            self._pending = False
        attempt = graded(self.search, self.proposal, self.rewards)
        truncated, info = self._graded(attempt)  # the next node's step, unless truncated
        reward = pending.reward + attempt.reward
        return self._observe(), reward, False, truncated, {**pending.info, **info}

    def worker_failed(self, pending: PendingStep, error: str) -> StepResult:
        """`finish_step` when the worker running `pending.request` failed (not the candidate):
        recorded, and the candidate run once more here unless the search gives up on it."""
        assert self.search is not None and self.proposal is not None
        if pending.request is not None:
            try:
                execute_or_retry(self.search, self.proposal.node.id, error)
            finally:
                self._pending = False
        return self.finish_step(PendingStep(self, None, None, pending.reward, pending.info))

    def _graded(self, attempt: Attempt) -> tuple[bool, dict[str, Any]]:
        """Count a graded node and pose the next step unless the episode is over; the info
        describes the graded node, and `next_*` the step posed next (None when over)."""
        assert self.proposal is not None
        self._steps += 1
        truncated = self._over = self._steps >= self.max_steps
        if not truncated:
            node = self.proposal.node
            # an answer with no code left nothing to debug: the same step is posed again
            step = (
                next_step(attempt.node)
                if attempt.node.code
                else Step(node.operator, node.parent_ids)
            )
            self._propose(step)
        following = {"next_node_id": None, "next_operator": None} if truncated else self._info()
        return truncated, {**attempt.info, **following, "steps": self._steps}

    def _propose(self, step: Step) -> None:
        """Record the next step as a node; in ReAct mode, open its episode."""
        assert self.search is not None
        self.proposal = self.search.add_step(step.operator, step.parent_ids, note="gym")
        self._react = (
            ReactNode(self.search, self.proposal, native=self.native_tools) if self.react else None
        )

    def _observe(self) -> dict[str, str]:
        assert self.search is not None and self.proposal is not None
        if self._react is None:
            return observe(self.search, self.proposal)
        return observe(self.search, self.proposal, self._react.messages())

    @property
    def run_dir(self) -> Path | None:
        """The episode's run folder (its journal holds every attempt)."""
        return None if self.search is None else self.search.folder.root

    def messages(self) -> list[dict[str, Any]]:
        """The current step's chat messages, ready for a chat endpoint: system and user; in
        ReAct mode the whole conversation so far."""
        if self.search is None or self.proposal is None:
            raise ConfigError("call reset() before messages()")
        if self._react is not None:
            return self._react.messages()
        return messages(self.search, self.proposal)

    def tools(self) -> list[dict[str, Any]]:
        """The tools a native ReAct reply may call, as chat endpoints take them (`tools=`);
        empty in the other modes."""
        return [dict(tool) for tool in TOOLS] if self.native_tools else []

    def close(self) -> None:
        """The episode's journal, and the sandbox (a warm one's interpreters)."""
        self._end_episode()
        self.sandbox.close()

    def _end_episode(self) -> None:
        if self.search is not None:
            self.search.journal.close()
        self.search = None
        self.proposal = None
        self._react = None

    # ---- the root of fresh episodes -----------------------------------------------------------
    def root(self) -> StartState | None:
        """Where an episode without a start option begins: nothing (a draft), or one node
        drafted once by the templates backend, working (to improve) or buggy (to debug)."""
        if self.operator == "draft":
            return None
        if self._root is None:
            self._root = self._make_root()
        return self._root

    def _make_root(self) -> StartState:
        bug_rate = 1.0 if self.operator == "debug" else 0.0
        config = self._config(steps=1, backend_options={"bug_rate": bug_rate})
        search = Search.create(config, sandbox=self.sandbox)
        search.journal.set_meta(status=GYM_STATUS)
        proposal = search.add_step("draft", (), note="gym root")
        node = search.tell_written(search.write(proposal))
        if node.status == NodeStatus.QUEUED:
            search.tell(search.tell_executed(node.id, search.sandbox.run(search.start(node.id))))
        node = search.journal.get(node.id)
        search.journal.close()
        wanted = NodeStatus.GOOD if self.operator == "improve" else NodeStatus.BUGGY
        if node.status != wanted:
            raise ConfigError(
                f"gym: the root draft for {self.task_name!r} ended {node.status.value} "
                f"({node.error or 'no error'}); start from a journal instead"
            )
        return StartState(search.folder.root, node.id, StartKind.CONTINUE)

    def _config(self, *, steps: int, backend_options: dict[str, Any] | None = None) -> RunConfig:
        return RunConfig.model_validate(
            {
                "task": self.task_name,
                "operators": self.operators,
                "operator_options": self.operator_options,
                "backend": "templates",
                "backend_options": backend_options or {},
                "budget": {"steps": steps},
                "runs_dir": str(self.runs_dir),
                "limits": self.limits,
                "seed": self.seed_value,
                "sandbox": self.sandbox.name,
            }
        )

    def _info(self) -> dict[str, Any]:
        assert self.search is not None and self.proposal is not None
        return {
            "next_node_id": self.proposal.node.id,
            "next_operator": self.proposal.node.operator,
            "steps": self._steps,
        }


StepResult = tuple[dict[str, str], float, bool, bool, dict[str, Any]]
"""What `step` returns: observation, reward, terminated, truncated, info."""


@dataclass(frozen=True)
class PendingStep:
    """A step begun by `AirlabEnv.start_step`: `request` is the candidate's execution still to
    run (None: nothing to run), `result` the step's outcome when it is known already (a ReAct
    turn that grades nothing)."""

    env: AirlabEnv
    request: ExecutionRequest | None
    result: StepResult | None = None
    reward: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)


ENV_ID = "airlab/Research-v0"
"""Registered with gymnasium when this module is imported:
`gymnasium.make("airlab/Research-v0", task="digits", operator="improve")`."""
if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="airlab.gym.env:AirlabEnv")


def make(task: str, **options: Any) -> Any:
    """`airlab.gym.make("digits", operator="improve", max_steps=1, runs_dir=...)`; a plan or
    revision task gives a single-turn `PlanEnv` (`gym/plan_env.py`)."""
    if resolve_task(task).is_text:
        from airlab.gym.plan_env import PlanEnv

        return PlanEnv(task, **options)
    return AirlabEnv(task, **options)


def make_vector(task: str, num_envs: int, **options: Any) -> Any:
    """`num_envs` environments stepping in parallel processes (gymnasium's `AsyncVectorEnv`,
    observations passed through pipes, not shared memory), each with its own runs folder
    under `runs_dir` (`env-0`, `env-1`, ...)."""
    if num_envs < 1:
        raise ConfigError(f"make_vector: num_envs must be at least 1, got {num_envs}")
    base = Path(options.pop("runs_dir", None) or tempfile.mkdtemp(prefix="airlab-gym-"))
    fns = [
        functools.partial(AirlabEnv, task, runs_dir=base / f"env-{i}", **options)
        for i in range(num_envs)
    ]
    return gym.vector.AsyncVectorEnv(fns, shared_memory=False)
