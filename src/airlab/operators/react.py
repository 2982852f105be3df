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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airlab.backends.base import Candidate, ChatModel, Completion, Message, Usage
from airlab.errors import BackendError, NoCodeError
from airlab.operators.parsing import strip_thinking
from airlab.operators.prompting import (
    TRUNCATED_FINISH_REASONS,
    PromptSettings,
    cacheable,
    candidate,
    chat_model,
    operator_prompt,
)
from airlab.operators.react_tools import TOOL_SPECS, Workspace

if TYPE_CHECKING:
    from airlab.operators.base import Operator, OperatorContext
    from airlab.operators.options import OperatorOptions

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
NO_TOOL_CALL = (
    "No tool was called. Call a tool in every reply; call `submit` when solution.py is ready."
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
    def from_options(cls, options: OperatorOptions) -> ReactSettings:
        return cls(options.react_turns, options.react_time_s, options.react_command_s)


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


@dataclass(frozen=True)
class TurnOutcome:
    """What one reply did: the messages answering it (observations, tool results), the tools
    it called, and whether an accepted submit ended the episode."""

    replies: tuple[Message, ...]
    tools: tuple[str, ...]
    submitted: bool


class ReactEpisode:
    """One ReAct episode, a turn at a time, so that the operator (which asks its own model) and
    the gym (whose trainer supplies each reply) share one loop: `start` builds the folder and
    gives the opening messages, `turn` applies one reply, `result` gives the candidate."""

    def __init__(self, operator: Operator, context: OperatorContext, *, native: bool) -> None:
        if (context.sandbox is None and context.execute is None) or context.scratch_dir is None:
            raise BackendError("ReAct needs a sandbox and a scratch folder (run it through a Run)")
        self.operator = operator
        self.context = context
        self.native = native
        self.caps = ReactSettings.from_options(context.options)
        self.command_s = min(
            self.caps.react_command_s or context.limits.time_s, self.caps.react_time_s
        )
        self.purpose = f"react-{operator.name}"
        self._episode: _Episode | None = None
        self._workspace: Workspace | None = None
        self._started = 0.0

    def start(self) -> list[Message]:
        """A fresh folder holding the parents' code, and the opening messages (system, user)."""
        context = self.context
        workspace = Workspace.create(context, self.command_s)
        settings = PromptSettings.from_options(context.options)
        prompt = operator_prompt(
            self.operator,
            context,
            settings,
            react=True,
            workspace_files=workspace.starting_files,
            command_timeout_s=self.command_s,
            max_turns=self.caps.react_turns,
            native_tools=self.native,
        )
        messages = [
            Message("system", context.prompts.render("react_system.j2", native_tools=self.native)),
            cacheable(prompt, context, settings),
        ]
        transcript = [{"role": m.role, "content": m.content} for m in messages]
        self._episode, self._workspace = _Episode(messages, transcript), workspace
        self._started = time.monotonic()
        return list(messages)

    @property
    def messages(self) -> list[Message]:
        """The conversation so far (what the next reply answers)."""
        return self._state()[0].messages

    @property
    def transcript(self) -> list[dict[str, Any]]:
        return self._state()[0].transcript

    @property
    def turns(self) -> int:
        return self._state()[0].turns

    @property
    def submitted(self) -> bool:
        return self._state()[0].plan is not None

    @property
    def seconds(self) -> float:
        return time.monotonic() - self._started

    @property
    def finished(self) -> bool:
        """An accepted submit ended it, or its turns or its time are spent."""
        episode = self._state()[0]
        return (
            episode.plan is not None
            or episode.turns >= self.caps.react_turns
            or self.seconds >= self.caps.react_time_s
        )

    def turn(self, completion: Completion) -> TurnOutcome:
        """Apply one reply: run its tool call(s) in the folder and answer it."""
        episode, workspace = self._state()
        if self.finished:
            raise BackendError(f"ReAct: the episode is over after {episode.turns} turns")
        episode.turns += 1
        told = len(episode.messages) + 1  # the reply itself comes first
        if self.native:
            done = _native_turn(episode, completion, workspace)
            tools = tuple(call.name for call in completion.tool_calls)
        else:
            done = _text_turn(episode, completion, workspace)
            action = parse_action(completion.text)
            tools = () if action is None else (action.tool,)
        episode.usage = episode.usage + completion.usage
        episode.model = completion.model
        return TurnOutcome(tuple(episode.messages[told:]), tools, done)

    def result(self) -> Candidate:
        """The submitted solution (else the folder's last solution.py) as a candidate; with no
        solution.py at all, NoCodeError. The transcript is saved either way."""
        episode, workspace = self._state()
        assert self.context.scratch_dir is not None
        turns = episode.turns
        code = workspace.solution()
        relative = _save(self.context.scratch_dir, episode.transcript)
        if code is None:
            raise NoCodeError(f"ReAct: no solution.py after {turns} turns")
        submitted = episode.plan is not None
        plan = episode.plan if submitted else f"(ReAct stopped after {turns} turns: no submit)"
        react_meta = {
            "turns": turns,
            "tools": "native" if self.native else "text",
            "submitted": submitted,
            "cut_off_turns": episode.cut_off,
            "seconds": round(self.seconds, 3),
            "transcript_file": relative,
            "transcript": episode.transcript,
        }
        return candidate(plan or "", code, episode.usage, episode.model, react=react_meta)

    def _state(self) -> tuple[_Episode, Workspace]:
        if self._episode is None or self._workspace is None:
            raise BackendError("ReAct: start() the episode before its turns")
        return self._episode, self._workspace


def run_react(operator: Operator, context: OperatorContext) -> Candidate:
    """One ReAct episode for `operator`, its model answering each turn; returns the submitted
    solution as a candidate."""
    model = chat_model(context)
    native = _native(context, model)
    episode = ReactEpisode(operator, context, native=native)
    episode.start()
    while not episode.finished:
        if native:
            completion = model.complete(episode.messages, purpose=episode.purpose, tools=TOOL_SPECS)
        else:
            completion = model.complete(episode.messages, purpose=episode.purpose)
        episode.turn(completion)
    return episode.result()


@dataclass
class _Episode:
    """The conversation so far and what it has cost."""

    messages: list[Message]
    transcript: list[dict[str, Any]]
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    turns: int = 0
    cut_off: int = 0
    plan: str | None = None
    """The plan given with an accepted submit."""

    def tell(self, message: Message, **extra: Any) -> None:
        self.messages.append(message)
        entry: dict[str, Any] = {"role": message.role, "content": message.content, **extra}
        if message.tool_call_id is not None:
            entry["tool_call_id"] = message.tool_call_id
        self.transcript.append(entry)


def _text_turn(episode: _Episode, completion: Completion, workspace: Workspace) -> bool:
    """One reply of the text protocol (`ACTION:` lines); True when an accepted submit ends it."""
    episode.tell(Message("assistant", completion.text))
    action = parse_action(completion.text)
    truncated = completion.finish_reason in TRUNCATED_FINISH_REASONS
    episode.cut_off += truncated
    if truncated and (action is None or action.tool in _ACTS_ON_A_BLOCK):
        observation = CUT_OFF  # a cut-off block must not be run or written
    elif action is not None and action.tool == "submit":
        problem = workspace.submit_problem()
        if problem is None:
            episode.plan = action.thought
            return True
        observation = problem
    elif action is None:
        observation = NO_ACTION
    else:
        tool_started = time.monotonic()
        observation = workspace.run(action.tool, action.arg, action.body)
        episode.transcript[-1]["tool_seconds"] = round(time.monotonic() - tool_started, 3)
    episode.tell(Message("user", f"OBSERVATION:\n{observation}"))
    return False


def _native_turn(episode: _Episode, completion: Completion, workspace: Workspace) -> bool:
    """One reply with native tool calls, several at once possibly: each is answered by its own
    tool message, in order, a submit after the others; True when an accepted submit ends it."""
    calls = completion.tool_calls
    recorded = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in calls]
    episode.tell(Message("assistant", completion.text, tool_calls=calls), tool_calls=recorded)
    truncated = completion.finish_reason in TRUNCATED_FINISH_REASONS
    episode.cut_off += truncated
    if not calls:
        episode.tell(Message("user", CUT_OFF if truncated else NO_TOOL_CALL))
        return False
    submit = None
    for call in calls:
        if call.name == "submit":
            submit = submit or call
            continue
        if truncated and call.name in _ACTS_ON_A_BLOCK:
            result = CUT_OFF
        else:
            tool_started = time.monotonic()
            result = workspace.call(call.name, call.arguments)
            seconds = round(time.monotonic() - tool_started, 3)
            episode.tell(Message("tool", result, tool_call_id=call.id), tool_seconds=seconds)
            continue
        episode.tell(Message("tool", result, tool_call_id=call.id))
    for extra in (c for c in calls if c.name == "submit" and c is not submit):
        episode.tell(Message("tool", "one submit is enough", tool_call_id=extra.id))
    if submit is None:
        return False
    problem = workspace.submit_problem()
    if problem is None:
        episode.plan = str(submit.arguments.get("plan") or completion.text).strip()
        return True
    episode.tell(Message("tool", problem, tool_call_id=submit.id))
    return False


def _native(context: OperatorContext, model: ChatModel) -> bool:
    """Whether this episode calls tools natively (`react_tools`: auto, native or text)."""
    choice = context.options.react_tools
    if choice == "native" and not model.supports_tools:
        raise BackendError(
            f"react_tools=native: backend {model.name!r} has no native tool calling here "
            "(use react_tools=text)"
        )
    return choice == "native" or (choice == "auto" and model.supports_tools)


def _save(scratch_dir: Path, transcript: list[dict[str, Any]]) -> str:
    scratch_dir.mkdir(parents=True, exist_ok=True)
    path = scratch_dir / TRANSCRIPT_FILE
    path.write_text(json.dumps(transcript, indent=1, ensure_ascii=False) + "\n")
    return "/".join(path.parts[-3:])
