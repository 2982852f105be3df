"""The ReAct operator (after AIRA_2): the model works through tools in a sandboxed folder, over
several turns, and submits a `solution.py`, which the run then executes and grades like any other.

Any operator becomes multi-turn with `-O mode=react`: its usual prompt states the step (draft,
improve, debug, crossover), and the parents' code is in the folder to start from. Turns and total
time are capped; the transcript is stored on the node and in `<run>/react/NNNN/transcript.json`.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airlab.backends.base import Candidate, Message, Usage
from airlab.errors import BackendError, NoCodeError
from airlab.operators.options import parse_operator_options
from airlab.operators.parsing import strip_thinking
from airlab.operators.prompting import (
    TRUNCATED_FINISH_REASONS,
    PromptSettings,
    cacheable,
    candidate,
    chat_model,
    operator_prompt,
    render,
)
from airlab.operators.react_tools import Workspace

if TYPE_CHECKING:
    from airlab.operators.base import Operator, OperatorContext

TRANSCRIPT_FILE = "transcript.json"
_ACTION = re.compile(
    r"^\s*\**ACTION\**:\**\s*(?P<tool>[a-z_]+)[ \t]*(?P<arg>[^\n]*)$", re.MULTILINE | re.IGNORECASE
)
_BLOCK = re.compile(r"```[^\n]*\n(?P<body>.*?)```", re.DOTALL)
NO_ACTION = (
    "No action found. End every reply with one `ACTION: <tool>` line (and its fenced block when "
    "the tool takes one), e.g. `ACTION: submit` when solution.py is ready."
)
CUT_OFF = (
    "Your reply was cut off at the output token limit, so its block may be incomplete: nothing "
    "was done. Send a shorter reply (for a small change, `edit_file` instead of `write_file`)."
)
_ACTS_ON_A_BLOCK = ("shell", "write_file", "edit_file")


@dataclass(frozen=True)
class ReactSettings:
    """Caps of one episode, from operator options `react_turns`, `react_time_s`,
    `react_command_s` (default: the candidate's time limit)."""

    react_turns: int = 12
    react_time_s: float = 1800.0
    react_command_s: float | None = None

    @classmethod
    def from_options(cls, options: Any) -> ReactSettings:
        typed = parse_operator_options(options)
        return cls(typed.react_turns, typed.react_time_s, typed.react_command_s)


@dataclass(frozen=True)
class Action:
    tool: str
    arg: str
    body: str | None
    thought: str


def parse_action(text: str) -> Action | None:
    """The first `ACTION:` line of a reply, with the fenced block that follows it, if any."""
    text = strip_thinking(text)
    match = _ACTION.search(text)
    if match is None:
        return None
    block = _BLOCK.search(text, match.end())
    body = block.group("body") if block else None
    return Action(
        tool=match.group("tool").lower(),
        arg=match.group("arg").strip().strip("`"),
        body=body,
        thought=text[: match.start()].strip(),
    )


def run_react(operator: Operator, context: OperatorContext) -> Candidate:
    """One ReAct episode for `operator`; returns the submitted solution as a candidate."""
    model = chat_model(context)
    caps = ReactSettings.from_options(context.options)
    if (context.sandbox is None and context.execute is None) or context.scratch_dir is None:
        raise BackendError("ReAct needs a sandbox and a scratch folder (run it through a Run)")
    command_s = min(caps.react_command_s or context.limits.time_s, caps.react_time_s)
    workspace = Workspace.create(context, command_s)
    settings = PromptSettings.from_options(context.options)
    prompt = operator_prompt(
        operator,
        context,
        settings,
        react=True,
        workspace_files=workspace.starting_files,
        command_timeout_s=command_s,
        max_turns=caps.react_turns,
    )
    messages = [
        Message("system", render("react_system.j2")),
        cacheable(prompt, context, settings),
    ]
    transcript: list[dict[str, Any]] = [{"role": m.role, "content": m.content} for m in messages]
    usage = Usage()
    started = time.monotonic()
    submitted: Action | None = None
    model_name = ""
    turns = 0
    cut_off = 0
    while turns < caps.react_turns and time.monotonic() - started < caps.react_time_s:
        turns += 1
        completion = model.complete(messages, purpose=f"react-{operator.name}")
        usage = usage + completion.usage
        model_name = completion.model
        messages.append(Message("assistant", completion.text))
        transcript.append({"role": "assistant", "content": completion.text})
        action = parse_action(completion.text)
        truncated = completion.finish_reason in TRUNCATED_FINISH_REASONS
        cut_off += truncated
        if truncated and (action is None or action.tool in _ACTS_ON_A_BLOCK):
            observation = CUT_OFF  # a cut-off block must not be run or written
        elif action is not None and action.tool == "submit":
            problem = workspace.submit_problem()
            if problem is None:
                submitted = action
                break
            observation = problem
        elif action is None:
            observation = NO_ACTION
        else:
            tool_started = time.monotonic()
            observation = workspace.run(action.tool, action.arg, action.body)
            transcript[-1]["tool_seconds"] = round(time.monotonic() - tool_started, 3)
        messages.append(Message("user", f"OBSERVATION:\n{observation}"))
        transcript.append({"role": "user", "content": f"OBSERVATION:\n{observation}"})
    code = workspace.solution()
    if code is None:
        _save(context.scratch_dir, transcript)
        raise NoCodeError(f"ReAct: no solution.py after {turns} turns", usage)
    plan = submitted.thought if submitted else f"(ReAct stopped after {turns} turns: no submit)"
    relative = _save(context.scratch_dir, transcript)
    react_meta = {
        "turns": turns,
        "submitted": submitted is not None,
        "cut_off_turns": cut_off,
        "seconds": round(time.monotonic() - started, 3),
        "transcript_file": relative,
        "transcript": transcript,
    }
    return candidate(plan, code, usage, model_name, react=react_meta)


def _save(scratch_dir: Path, transcript: list[dict[str, Any]]) -> str:
    scratch_dir.mkdir(parents=True, exist_ok=True)
    path = scratch_dir / TRANSCRIPT_FILE
    path.write_text(json.dumps(transcript, indent=1, ensure_ascii=False) + "\n")
    return "/".join(path.parts[-3:])
