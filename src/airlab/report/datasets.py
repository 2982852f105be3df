"""Trajectory datasets for training research agents, in the conversational `messages` format
that TRL and the OpenAI fine-tuning API read.

- `sft`: prompt → answer for every node that improved on its parent (by hidden search score):
  `{"messages": [system, user, assistant], "metadata": {...}}`. A node written by a ReAct
  episode gives its whole conversation from its transcript (system, user, then each reply and
  its observation), never a one-answer prompt it was not shown.
- `preferences`: pairs of siblings (same operator, same parents) written from the same prompt
  (the gym's group rollouts), ranked by search score, a failed sibling losing to a working one:
  TRL's `{"prompt", "chosen", "rejected"}` or the OpenAI API's `{"input", "preferred_output",
  "non_preferred_output"}`. With `mixed_prompts`, siblings whose prompts differ (a later one saw
  more history) are paired too, under the earlier sibling's prompt; `metadata.same_prompt` says.
- `rl`: one step per finished node, in TRL's conversational prompt-completion form plus the
  step's transition: `prompt` (its messages), `completion` (the assistant's messages),
  `reward` (the gym's, `gym/reward.py`), `group_id` (the same for every answer to the same
  prompt: a GRPO group), and `observation`, `action` (for a ReAct node the submitted plan and
  code, its turns in `action_messages`), `next_observation` (the prompt of its first child,
  or none: `done`).

Records are deduplicated; the metadata names the run, task, node ids and search scores. The
hidden `select` and `test` scores are never written.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from airlab.errors import ConfigError
from airlab.failures import Failure
from airlab.gym.reward import RewardSpec, attempt_reward
from airlab.journal import Node
from airlab.journal.store import JOURNAL_FILE
from airlab.operators.prompt_library import PromptLibrary
from airlab.report.prompts import (
    Messages,
    answer_text,
    react_conversation,
    recorded_calls,
    rendered_prompt,
    run_packages,
)
from airlab.runner.layout import RunFolder, open_run
from airlab.tasks import Task, resolve_task


class DatasetKind(StrEnum):
    SFT = "sft"
    PREFERENCES = "preferences"
    RL = "rl"


class PreferenceFormat(StrEnum):
    TRL = "trl"
    OPENAI = "openai"


@dataclass(frozen=True)
class RunNodes:
    """One run's nodes with what datasets need: its task, and each node's prompt and answer."""

    root: Path
    task: Task
    nodes: tuple[Node, ...]
    prompts: dict[int, Messages]
    answers: dict[int, str]
    recorded: frozenset[int]
    replies: dict[int, Messages]
    """The assistant side of each node: its answer, or a ReAct episode's turns after the
    opening prompt (replies, observations and tool results)."""

    @classmethod
    def load(cls, root: Path) -> RunNodes:
        with open_run(root) as run:
            root = run.folder.root
            nodes = tuple(run.journal.nodes())
            config = run.config
            task_ref = run.task_ref
            packages = run_packages(run.journal.get_meta("packages"))
        task = resolve_task(task_ref)
        calls = recorded_calls(root)
        library = PromptLibrary(RunFolder(root).agent / "prompts")  # the run's agent's prompts
        prompts: dict[int, Messages] = {}
        answers: dict[int, str] = {}
        replies: dict[int, Messages] = {}
        recorded = set(calls)
        for node in nodes:
            if not node.status.finished or not node.code:
                continue
            conversation = react_conversation(node)
            if conversation is not None:  # the transcript is the record of what it was shown
                prompts[node.id], replies[node.id] = conversation
                answers[node.id] = answer_text(node, text=task.is_text)
                recorded.add(node.id)
                continue
            if node.id in calls:
                prompts[node.id], answers[node.id] = calls[node.id]
            else:
                prompts[node.id] = rendered_prompt(
                    config, task, list(nodes), node, library, packages
                )
                answers[node.id] = answer_text(node, text=task.is_text)
            replies[node.id] = [{"role": "assistant", "content": answers[node.id]}]
        return cls(root, task, nodes, prompts, answers, frozenset(recorded), replies)

    @property
    def maximize(self) -> bool:
        return self.task.spec.maximize

    def better(self, a: float, b: float) -> bool:
        return a > b if self.maximize else a < b

    def metadata(self, node: Node, **extra: Any) -> dict[str, Any]:
        return {
            "run": self.root.name,
            "task": self.task.name,
            "metric": self.task.spec.metric,
            "direction": self.task.spec.direction,
            "node_id": node.id,
            "parent_ids": list(node.parent_ids),
            "operator": node.operator,
            "status": node.status.value,
            "failure": None if node.failure is None else str(node.failure),
            "search_score": node.search_score,
            "prompt_recorded": node.id in self.recorded,
            **extra,
        }


def _parent(run: RunNodes, node: Node, by_id: dict[int, Node]) -> Node | None:
    return by_id.get(node.parent_ids[0]) if node.parent_ids else None


def reference_record(run: RunNodes) -> dict[str, Any] | None:
    """A plan or revision task's reference solution (`private/reference.md`) as the answer to
    its draft prompt; None for a code task or a task without one."""
    reference = run.task.reference_text if run.task.is_text else None
    if not reference:
        return None
    from airlab.gym.plan_env import plan_observation

    shown = plan_observation(run.task)
    return {
        "messages": [
            {"role": "system", "content": shown["system"]},
            {"role": "user", "content": shown["prompt"]},
            {"role": "assistant", "content": reference.rstrip() + "\n"},
        ],
        "metadata": {"run": run.root.name, "task": run.task.name, "source": "reference"},
    }


def sft_records(run: RunNodes) -> list[dict[str, Any]]:
    by_id = {n.id: n for n in run.nodes}
    reference = reference_record(run)
    records = [] if reference is None else [reference]
    for node in run.nodes:
        parent = _parent(run, node, by_id)
        if node.id not in run.prompts or not node.is_good or parent is None:
            continue
        if not parent.is_good or parent.search_score is None or node.search_score is None:
            continue
        if not run.better(node.search_score, parent.search_score):
            continue
        records.append(
            {
                "messages": [*run.prompts[node.id], *run.replies[node.id]],
                "metadata": run.metadata(node, parent_score=parent.search_score),
            }
        )
    return records


def preference_records(
    run: RunNodes, style: PreferenceFormat = PreferenceFormat.TRL, mixed_prompts: bool = False
) -> list[dict[str, Any]]:
    """Ranked sibling pairs; only those written from one prompt unless `mixed_prompts`."""
    groups: dict[tuple[str, tuple[int, ...]], list[Node]] = defaultdict(list)
    for node in run.nodes:
        if node.id in run.prompts:
            groups[(node.operator, node.parent_ids)].append(node)
    records = []
    for siblings in groups.values():
        for i, a in enumerate(siblings):
            for b in siblings[i + 1 :]:
                same_prompt = run.prompts[a.id] == run.prompts[b.id]
                pair = _ranked(run, a, b)
                if pair is None or not (same_prompt or mixed_prompts):
                    continue
                chosen, rejected = pair
                first = min(a, b, key=lambda n: n.id)
                prompt = run.prompts[first.id]
                meta = {
                    "run": run.root.name,
                    "task": run.task.name,
                    "metric": run.task.spec.metric,
                    "direction": run.task.spec.direction,
                    "operator": a.operator,
                    "parent_ids": list(a.parent_ids),
                    "chosen_node_id": chosen.id,
                    "rejected_node_id": rejected.id,
                    "chosen_score": chosen.search_score,
                    "rejected_score": rejected.search_score,
                    "rejected_failure": None if rejected.failure is None else str(rejected.failure),
                    "same_prompt": same_prompt,
                }
                good, bad = run.replies[chosen.id], run.replies[rejected.id]
                if style == PreferenceFormat.OPENAI:
                    record = {
                        "input": {"messages": prompt},
                        "preferred_output": good,
                        "non_preferred_output": bad,
                    }
                else:
                    record = {"prompt": prompt, "chosen": good, "rejected": bad}
                records.append({**record, "metadata": meta})
    return records


def _ranked(run: RunNodes, a: Node, b: Node) -> tuple[Node, Node] | None:
    """(better, worse) by search score, a working node beating a failed one; None on a tie."""
    sa = a.search_score if a.is_good else None
    sb = b.search_score if b.is_good else None
    if sa is None and sb is None:
        return None
    if sa is None:
        return b, a
    if sb is None:
        return a, b
    if sa == sb:
        return None
    return (a, b) if run.better(sa, sb) else (b, a)


def group_id(prompt: list[dict[str, Any]]) -> str:
    """The id of every answer to this prompt (a hash of its messages): a GRPO group."""
    text = json.dumps(prompt, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def rl_records(run: RunNodes, rewards: RewardSpec | None = None) -> list[dict[str, Any]]:
    rewards = rewards or RewardSpec()
    by_id = {n.id: n for n in run.nodes}
    children: dict[int, list[Node]] = defaultdict(list)
    for node in run.nodes:
        if node.id in run.prompts and node.parent_ids:
            children[node.parent_ids[0]].append(node)
    records = []
    for node in run.nodes:
        if node.id not in run.prompts:
            continue
        parent = _parent(run, node, by_id)
        before = parent.search_score if parent is not None and parent.is_good else None
        score = node.search_score if node.is_good else None
        unchanged = node.failure == Failure.UNCHANGED
        reward = attempt_reward(run.task.spec, before, score, rewards, unchanged=unchanged)
        following = children.get(node.id, [])
        records.append(
            {
                "prompt": run.prompts[node.id],
                "completion": run.replies[node.id],
                "reward": reward,
                "group_id": group_id(run.prompts[node.id]),
                "observation": run.prompts[node.id],
                "action": run.answers[node.id],
                "action_messages": run.replies[node.id],
                "next_observation": run.prompts[following[0].id] if following else None,
                "done": not following,
                "metadata": run.metadata(
                    node,
                    parent_score=before,
                    next_node_id=following[0].id if following else None,
                ),
            }
        )
    return records


def dataset_records(
    kind: DatasetKind,
    runs: Iterable[RunNodes],
    style: PreferenceFormat = PreferenceFormat.TRL,
    mixed_prompts: bool = False,
) -> list[dict[str, Any]]:
    """Every run's records of `kind`, deduplicated by content (metadata aside)."""
    seen: set[str] = set()
    out = []
    for run in runs:
        if kind == DatasetKind.SFT:
            records = sft_records(run)
        elif kind == DatasetKind.PREFERENCES:
            records = preference_records(run, style, mixed_prompts)
        else:
            records = rl_records(run)
        for record in records:
            content = {k: v for k, v in record.items() if k != "metadata"}
            key = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
            if key not in seen:
                seen.add(key)
                out.append(record)
    return out


def expand_run_dirs(paths: Sequence[Path]) -> list[Path]:
    """Run folders, and the run folders directly inside any other folder given (`runs/`)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if (path / JOURNAL_FILE).is_file():
            found.append(path)
            continue
        inside = []
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if (p / JOURNAL_FILE).is_file())
        if not inside:
            raise ConfigError(f"{path}: not a run folder, nor a folder of run folders")
        found += inside
    if not found:
        raise ConfigError("export: no run folders given")
    return found


@dataclass(frozen=True)
class ExportedDataset:
    path: Path
    records: int
    held_out_path: Path | None = None
    held_out_records: int = 0


def export_dataset(
    kind: DatasetKind | str,
    run_dirs: Sequence[Path],
    out: Path,
    *,
    hold_out_tasks: Sequence[str] = (),
    style: PreferenceFormat | str = PreferenceFormat.TRL,
    metadata: bool = True,
    mixed_prompts: bool = False,
) -> ExportedDataset:
    """Write the dataset of `kind` from `run_dirs` to `out` (`.jsonl`, or `.parquet` with
    pyarrow); records of `hold_out_tasks` go to `<out stem>.heldout<suffix>` instead;
    `mixed_prompts`: preference pairs of siblings whose prompts differ too."""
    try:
        kind = DatasetKind(kind)
        style = PreferenceFormat(style)
    except ValueError as exc:
        raise ConfigError(f"export: {exc}") from None
    runs = [RunNodes.load(r) for r in expand_run_dirs(run_dirs)]
    known = {run.task.name for run in runs}
    unknown = sorted(set(hold_out_tasks) - known)
    if unknown:
        raise ConfigError(
            f"--hold-out-task: {', '.join(unknown)} is not a task of these runs "
            f"({', '.join(sorted(known))})"
        )
    records = dataset_records(kind, runs, style, mixed_prompts)
    kept = [r for r in records if r["metadata"]["task"] not in hold_out_tasks]
    held = [r for r in records if r["metadata"]["task"] in hold_out_tasks]
    if not metadata:
        kept = [{k: v for k, v in r.items() if k != "metadata"} for r in kept]
        held = [{k: v for k, v in r.items() if k != "metadata"} for r in held]
    write_records(kept, out)
    held_path = None
    if hold_out_tasks:
        held_path = out.with_name(f"{out.stem}.heldout{out.suffix}")
        write_records(held, held_path)
    return ExportedDataset(out, len(kept), held_path, len(held))


def write_records(records: list[dict[str, Any]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError(
                f"{out}: Parquet needs pyarrow: pip install 'airlab[parquet]' (or write .jsonl)"
            ) from None
        pq.write_table(pa.Table.from_pylist(records), out)
        return
    with out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
