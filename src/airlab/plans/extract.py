"""Extraction: from a paper a user has, plan tasks whose reference is the paper's own approach.

A chat model reads the paper (text, Markdown or PDF) and answers with up to N research goals in
one fenced JSON (or YAML) block: each goal's title, the goal as an agent would read it (aims and
constraints, without giving the paper's solution away), its rubric items (checkable statements,
weighted) and the paper's approach as the reference. The answer is parsed strictly: anything but
that shape is one error line naming the paper. A self-check then has a judge decide every item
against the reference; items the judge cannot decide (no verdict after its retries) are dropped,
and a goal left with fewer than `MIN_ITEMS` items is dropped too. Each kept goal is written as a
plan-task folder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from airlab.backends.base import ChatModel, Message
from airlab.errors import AirlabError, BudgetExhaustedError, TaskError
from airlab.plans.folder import PlanTaskDraft, slug, write_plan_task
from airlab.plans.judge import Judge
from airlab.plans.rubric import Rubric, RubricItem

PURPOSE = "extract"
MIN_ITEMS = 3
"""Fewest items a goal keeps (the item split needs one per search / select / test)."""
MAX_PAPER_CHARS = 120_000
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".tex", ".rst")

PROMPT = """You turn a research paper into research-planning exercises.

Read the paper below and write up to {max_goals} research goals it answers. For each goal:
- "title": a short title;
- "goal": the problem as a researcher would be handed it before the paper existed: what to find
  out or build, the aims, and the constraints (data, compute, what must be compared). Do not
  give away the paper's method or results;
- "rubric": {min_items} to {max_items} items a good research plan for the goal must satisfy,
  each one checkable statement about the plan ("The plan compares against X at equal compute"),
  with a "weight" (1 to 5, importance) and a "category" (one of: method, evaluation, baselines,
  ablations, data, risks, resources);
- "reference": the paper's own approach to the goal, as a plan, in a few paragraphs.

Answer with one ```json block holding {{"goals": [...]}} and nothing after it.

# Paper: {paper_name}

{paper}
"""


class ExtractionError(TaskError):
    """A paper yielded no usable goals (the model's answer was malformed, or its call failed)."""


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1)
    weight: float = Field(1.0, gt=0)
    category: str | None = None


class _Goal(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1)
    goal: str = Field(min_length=1)
    rubric: list[_Item] = Field(min_length=1)
    reference: str = ""

    @field_validator("rubric", mode="before")
    @classmethod
    def _plain_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"text": item} if isinstance(item, str) else item for item in value]
        return value


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    goals: list[_Goal] = Field(min_length=1)


def read_paper(path: Path) -> str:
    """A paper's text: plain text and Markdown as they are, PDF through pypdf (optional)."""
    if not path.is_file():
        raise TaskError(f"{path}: file not found")
    if path.suffix.lower() == ".pdf":
        try:
            from pypdf import PdfReader
        except ImportError:
            raise TaskError(
                f"{path}: reading PDF needs pypdf (pip install 'airlab[pdf]'), or give the text"
            ) from None
        try:
            pages = [page.extract_text() or "" for page in PdfReader(path).pages]
        except Exception as exc:  # a broken PDF: one line, not a traceback
            raise TaskError(f"{path}: not a readable PDF ({type(exc).__name__}: {exc})") from None
        text = "\n\n".join(pages)
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise TaskError(
                f"{path}: not UTF-8 text; give a .txt, .md or .pdf ({', '.join(TEXT_SUFFIXES)})"
            ) from None
    if not text.strip():
        raise TaskError(f"{path}: no text in the paper")
    return text


def parse_answer(text: str, paper: str) -> list[_Goal]:
    """The goals of a model's answer: the last fenced ```json or ```yaml block (or the whole
    answer when it has no block). Malformed: ExtractionError naming `paper`."""
    blocks = re.findall(r"```([A-Za-z]*)[ \t]*\n(.*?)```", text, flags=re.DOTALL)
    lang, body = blocks[-1] if blocks else ("", text.strip())
    data: Any
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        if lang.lower() == "json":
            raise ExtractionError(
                f"{paper}: the model's answer is not valid JSON ({exc.msg}, line {exc.lineno})"
            ) from None
        try:
            data = yaml.safe_load(body)
        except yaml.YAMLError:
            raise ExtractionError(
                f"{paper}: the model's answer holds no JSON or YAML block of goals"
            ) from None
    if isinstance(data, list):
        data = {"goals": data}
    try:
        return _Answer.model_validate(data).goals
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top"
        raise ExtractionError(f"{paper}: malformed answer at {where}: {first['msg']}") from None


@dataclass
class PaperResult:
    """What extraction made of one paper."""

    paper: Path
    folders: list[Path] = field(default_factory=list)
    dropped_items: list[str] = field(default_factory=list)
    """Items the self-check could not decide, as `title: item`."""
    dropped_goals: list[str] = field(default_factory=list)
    """Goals left with too few items, with why."""


def self_check(goal: _Goal, judge: Judge) -> tuple[list[_Item], list[str]]:
    """The goal's items the judge can decide on the reference, and the texts of those it cannot."""
    rubric = _rubric(goal.rubric)
    verdicts = judge.judge(goal.reference or goal.goal, rubric.leaves(), context=goal.goal)
    decided = {v.item_id for v in verdicts if v.value is not None}
    kept: list[_Item] = []
    dropped: list[_Item] = []
    for leaf, item in zip(rubric.leaves(), goal.rubric, strict=True):
        (kept if leaf.id in decided else dropped).append(item)
    return kept, [item.text for item in dropped]


def _rubric(items: list[_Item]) -> Rubric:
    return Rubric(
        items=[RubricItem(text=i.text, weight=i.weight, category=i.category) for i in items]
    )


def extract_paper(
    path: Path,
    model: ChatModel,
    out: Path,
    *,
    judge: Judge | None = None,
    max_goals: int = 3,
    max_items: int = 15,
    overwrite: bool = False,
) -> PaperResult:
    """Ask `model` for up to `max_goals` goals of the paper at `path`, self-check them with
    `judge` (when given) and write each kept goal as a plan-task folder under `out`."""
    text = read_paper(path)
    if len(text) > MAX_PAPER_CHARS:
        text = text[:MAX_PAPER_CHARS] + "\n\n[... the rest of the paper is cut ...]"
    prompt = PROMPT.format(
        max_goals=max_goals,
        min_items=MIN_ITEMS,
        max_items=max_items,
        paper_name=path.name,
        paper=text,
    )
    try:
        completion = model.complete([Message("user", prompt)], purpose=PURPOSE)
    except BudgetExhaustedError:
        raise  # the command's budget: it stops, this paper did not fail
    except AirlabError as exc:
        raise ExtractionError(f"{path.name}: the model call failed: {exc}") from None
    goals = parse_answer(completion.text, path.name)[:max_goals]
    result = PaperResult(paper=path)
    taken: set[str] = set()
    for goal in goals:
        items = goal.rubric[:max_items]
        if judge is not None:
            items, dropped = self_check(goal.model_copy(update={"rubric": items}), judge)
            result.dropped_items += [f"{goal.title}: {text}" for text in dropped]
        if len(items) < MIN_ITEMS:
            result.dropped_goals.append(
                f"{goal.title}: {len(items)} decidable item(s), fewer than {MIN_ITEMS}"
            )
            continue
        name = _free_name(out, slug(goal.title), taken, overwrite)
        taken.add(name)
        draft = PlanTaskDraft(
            name=name,
            title=goal.title.strip(),
            goal=goal.goal,
            rubric=_rubric(items),
            reference=goal.reference or None,
            source=f"extracted from {path.name} by {model.describe()}",
        )
        result.folders.append(write_plan_task(out, draft, overwrite=overwrite))
    return result


def _free_name(out: Path, name: str, taken: set[str], overwrite: bool) -> str:
    """`name`, or `name-2`, `name-3`, ... when this batch (or, without overwrite, the disk)
    already has it."""
    candidate, number = name, 1
    while candidate in taken or (not overwrite and (out / candidate / "task.yaml").exists()):
        number += 1
        candidate = f"{name}-{number}"
    return candidate
