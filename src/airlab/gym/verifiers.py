"""verifiers (Prime Intellect's environments library) through airlab: `load_environment`.

`load_environment(starts=[...])` gives a verifiers `MultiTurnEnv` whose rows are start states
(nodes of journals, as the gym's `reset(options={"start": ...})` takes them): a rollout opens
the node's ReAct episode with native tool calls (`gym/react.py`), its prompt the episode's
opening messages and its `tool_defs` the ReAct tools; each reply's tool calls run in the node's
folder (`env_response` answers them with tool messages), and an accepted submit, or the turns
running out, ends it. A reply without tool calls that holds a fenced Python block is taken as
a single-step answer (its code graded as solution.py); one with neither is told to call a tool.
The rubric has one reward function, airlab's reward (`gym/reward.py`, from the hidden `search`
split; a rollout that never finished grades the folder's last solution.py). Nothing hidden
reaches the messages.

Written against verifiers 0.3's `MultiTurnEnv`/`Rubric` API (`pip install 'airlab[verifiers]'`,
verifiers >= 0.3.1, < 0.4; tested in CI). verifiers 0.4 is another library under the same
name: its stack lives in `verifiers.v1` (environments made of tasksets, harnesses and toolsets)
and it pins openai below 3; with it installed this module says so in one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from airlab.errors import ConfigError
from airlab.gym.env import AirlabEnv
from airlab.gym.react import TOOLS, completion_from
from airlab.gym.reward import RewardSpec
from airlab.gym.start import StartKind, StartState, source_config
from airlab.operators.parsing import parse_answer

STATE_KEY = "airlab"
"""Where a rollout's `AirlabEnv` and outcome live in the verifiers state."""


def _verifiers() -> Any:
    try:
        import verifiers as vf
    except ImportError:
        raise ConfigError(
            "airlab.gym.verifiers needs verifiers 0.3 (pip install 'airlab[verifiers]')"
        ) from None
    if not hasattr(vf, "MultiTurnEnv") or not hasattr(vf, "Rubric"):
        version = getattr(vf, "__version__", "?")
        raise ConfigError(
            f"airlab.gym.verifiers speaks verifiers 0.3's MultiTurnEnv API; verifiers {version} "
            "is installed, which has none (0.4 moved to verifiers.v1): "
            "pip install 'verifiers>=0.3.1,<0.4'"
        )
    return vf


def _plain(message: Any) -> dict[str, Any]:
    """A verifiers message (a pydantic model or a dict) as a plain dict."""
    if isinstance(message, Mapping):
        return dict(message)
    if hasattr(message, "model_dump"):
        return dict(message.model_dump())
    raise ConfigError(f"airlab.gym.verifiers: cannot read the message {message!r}")


def tool_defs() -> list[dict[str, Any]]:
    """The ReAct tools as verifiers' provider-agnostic tool definitions."""
    return [dict(tool["function"]) for tool in TOOLS]


def _task_of(start: StartState) -> str:
    config, journal = source_config(start.run_dir)
    journal.close()
    return str(config.task)


def load_environment(
    starts: Iterable[StartState | tuple[str | Path, int]],
    *,
    runs_dir: str | Path,
    kind: StartKind | str = StartKind.CONTINUE,
    react_turns: int = 8,
    rewards: RewardSpec | None = None,
    limits: dict[str, Any] | None = None,
    sandbox: str = "auto",
) -> Any:
    """A verifiers environment over these start states (see the module docstring)."""
    vf = _verifiers()
    from datasets import Dataset

    options = {"mode": "react", "react_tools": "native", "react_turns": react_turns}
    settings: dict[str, Any] = {
        "operator_options": options,
        "max_steps": 1,
        "rewards": rewards or RewardSpec(),
        "runs_dir": Path(runs_dir),
        "limits": dict(limits or {}),
        "sandbox": sandbox,
    }
    rows = []
    for value in starts:
        start = StartState.parse(value, kind)
        task = _task_of(start)
        env = AirlabEnv(task, **settings)
        env.reset(options=_reset_options(start))
        prompt = env.messages()  # the episode's opening: system and user
        env.close()
        info = {  # verifiers reserves info["task"]
            "airlab_task": task,
            "start_run": str(start.run_dir),
            "start_node": start.node_id,
            "start_kind": start.kind.value,
        }
        rows.append({"prompt": prompt, "info": json.dumps(info)})
    if not rows:
        raise ConfigError("airlab.gym.verifiers.load_environment: give at least one start state")

    async def airlab_reward(state: Any, **_: Any) -> float:
        """airlab's reward for the rollout (grading its folder now if it never finished)."""
        return _outcome(state)[0]

    class AirlabVerifiersEnv(vf.MultiTurnEnv):  # type: ignore[name-defined]
        """Each rollout a node's ReAct episode, its tools called natively."""

        async def setup_state(self, state: Any, **kwargs: Any) -> Any:
            info = state["info"] if "info" in state else state["input"]["info"]
            info = json.loads(info) if isinstance(info, str) else dict(info)
            start = StartState(
                Path(info["start_run"]), int(info["start_node"]), StartKind(info["start_kind"])
            )
            env = AirlabEnv(info["airlab_task"], **settings)
            env.reset(options=_reset_options(start))
            state[STATE_KEY] = {"env": env, "outcome": None}
            return await super().setup_state(state, **kwargs)

        async def env_response(self, messages: Any, state: Any, **kwargs: Any) -> Any:
            reply = _plain(messages[-1])
            calls = reply.get("tool_calls") or []
            if not calls:
                parsed = parse_answer(str(reply.get("content") or ""))
                if parsed is not None:  # a single-step answer: its code, graded
                    arguments = {"path": "solution.py", "content": parsed.code}
                    write = {"name": "write_file", "arguments": arguments}
                    told = _step(state, {"content": "", "tool_calls": [write]})
                    if _slot(state)["outcome"] is None:
                        _finish(state)
                    state["final_env_response"] = told
                    return told
            told = _step(state, {"content": reply.get("content") or "", "tool_calls": calls})
            if _slot(state)["outcome"] is not None:
                state["final_env_response"] = told
            return told

        @vf.cleanup
        async def close_airlab(self, state: Any) -> None:
            """Grade a rollout that never finished; release its journal."""
            slot = state.get(STATE_KEY) if hasattr(state, "get") else None
            if slot:
                _finish(state)
                slot["env"].close()

    return AirlabVerifiersEnv(
        dataset=Dataset.from_list(rows),
        rubric=vf.Rubric(funcs=[airlab_reward]),
        tool_defs=tool_defs(),
        max_turns=react_turns,
    )


def _reset_options(start: StartState) -> dict[str, Any]:
    return {"start": (start.run_dir, start.node_id), "continue": start.kind == StartKind.CONTINUE}


def _slot(state: Any) -> dict[str, Any]:
    slot = state.get(STATE_KEY)
    if not slot:
        raise ConfigError("airlab.gym.verifiers: the rollout's state has no airlab episode")
    return slot


def _step(state: Any, reply: dict[str, Any]) -> list[dict[str, Any]]:
    """Apply one reply; the messages that answer it (tool messages, or a user note)."""
    slot = _slot(state)
    env: AirlabEnv = slot["env"]
    if slot["outcome"] is not None:
        return [{"role": "user", "content": "The episode is over."}]
    before = len(env.messages())
    calls = completion_from(reply, 0).tool_calls
    _, reward, _, truncated, info = env.step(reply)
    if truncated:  # graded: a submit, or the last turn
        slot["outcome"] = (reward, info)
        done = "the episode is over: solution.py is run from scratch and scored"
        if not calls:
            return [{"role": "user", "content": done}]
        return [{"role": "tool", "tool_call_id": c.id, "content": done} for c in calls]
    told = env.messages()[before + 1 :]  # after the reply itself
    return [_answer(m) for m in told]


def _answer(message: dict[str, Any]) -> dict[str, Any]:
    if message.get("role") == "tool":
        return {
            "role": "tool",
            "tool_call_id": message["tool_call_id"],
            "content": message["content"],
        }
    return {"role": "user", "content": str(message.get("content") or "")}


def _finish(state: Any) -> tuple[float, dict[str, Any]]:
    slot = _slot(state)
    if slot["outcome"] is None:
        env: AirlabEnv = slot["env"]
        _, reward, _, _, info = env.end_node()
        slot["outcome"] = (reward, info)
    return slot["outcome"]


def _outcome(state: Any) -> tuple[float, dict[str, Any]]:
    return _finish(state)
