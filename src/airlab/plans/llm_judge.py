"""The model judge: ask a chat model whether each rubric item is satisfied, parse strictly.

One call decides up to `batch` items (ids and sentences listed), answered as one JSON object. An
answer that does not parse, or leaves items out, is asked again (`retries` times, the reason
stated); what is still undecided then is recorded as a failure (`malformed`, `missing`), never
guessed. A failed call (non-fatal) is a `backend` failure; a spent budget, a fatal provider
failure or a replay mismatch stops the caller as any other call would. With `samples` > 1 the
items are judged that many times and a verdict's value is the satisfied share over the samples
that decided it. Every call is labelled `judge`, so the usage ledger counts it; outside a run
(a training environment, which keeps no ledger) `judge_spend()` counts the calls of a block.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass

from airlab.backends.base import ChatModel, Message, Usage
from airlab.errors import BackendError, BudgetExhaustedError, ReplayMismatchError
from airlab.plans.rubric import Leaf, Verdict, VerdictFailure

JUDGE_PURPOSE = "judge"
SYSTEM = (
    "You are a strict, fair reviewer. You grade a text against a list of rubric items. For each "
    "item decide whether the text satisfies it: true only when the text clearly does what the "
    "item asks, false otherwise. Give a one-sentence justification for each decision."
)
ANSWER_FORMAT = (
    "Answer with one JSON object and nothing else, with one entry per item id:\n"
    '{"verdicts": [{"id": "<item id>", "satisfied": true or false, '
    '"justification": "<one sentence>"}]}'
)
BATCH = 40
"""Most items one judge call decides (a large rubric, PaperBench's trees, takes several)."""
_FENCE = re.compile(r"^```(?:json)?\s*\n(?P<body>.*)\n```$", re.DOTALL)


@dataclass
class JudgeSpend:
    """What the model judges' calls in a `judge_spend()` block cost: every call, a failed one
    included, with the tokens and money its backend reported."""

    calls: int = 0
    failed_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0

    def add(self, usage: Usage | None, *, failed: bool = False) -> None:
        self.calls += 1
        self.failed_calls += int(failed)
        if usage is not None:
            self.tokens_in += usage.tokens_in
            self.tokens_out += usage.tokens_out
            self.cost_usd += usage.cost_usd

    def merge(self, other: JudgeSpend) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int | float]:
        return asdict(self)


_SPEND: ContextVar[JudgeSpend | None] = ContextVar("airlab_judge_spend", default=None)


@contextmanager
def judge_spend() -> Iterator[JudgeSpend]:
    """Count the judge calls made in this block on this thread (a block inside another adds
    its count to the enclosing one when it ends)."""
    outer = _SPEND.get()
    spend = JudgeSpend()
    token = _SPEND.set(spend)
    try:
        yield spend
    finally:
        _SPEND.reset(token)
        if outer is not None:
            outer.merge(spend)


def _note(usage: Usage | None, *, failed: bool = False) -> None:
    spend = _SPEND.get()
    if spend is not None:
        spend.add(usage, failed=failed)


class MalformedAnswer(ValueError):
    """A judge's answer that is not a verdict object (the message says why)."""


@dataclass(frozen=True)
class Decision:
    satisfied: bool
    justification: str


def parse_verdicts(answer: str, ids: Sequence[str]) -> dict[str, Decision]:
    """The decisions in `answer` for the asked `ids`, strictly: one JSON object (optionally in
    one fenced block) with a `verdicts` list whose entries have a known `id`, a boolean
    `satisfied` and a string `justification`. Items left out are simply absent; anything else
    raises MalformedAnswer."""
    text = answer.strip()
    fenced = _FENCE.match(text)
    if fenced is not None:
        text = fenced["body"].strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedAnswer(f"not a JSON object ({exc.msg} at position {exc.pos})") from None
    if not isinstance(data, dict) or not isinstance(data.get("verdicts"), list):
        raise MalformedAnswer("expected an object with a 'verdicts' list")
    asked = set(ids)
    found: dict[str, Decision] = {}
    for number, entry in enumerate(data["verdicts"], start=1):
        if not isinstance(entry, dict):
            raise MalformedAnswer(f"verdict {number} is not an object")
        item_id, satisfied = entry.get("id"), entry.get("satisfied")
        justification = entry.get("justification", "")
        if not isinstance(item_id, str) or item_id not in asked:
            raise MalformedAnswer(f"verdict {number} has unknown id {item_id!r}")
        if item_id in found:
            raise MalformedAnswer(f"item {item_id} is decided twice")
        if not isinstance(satisfied, bool):
            raise MalformedAnswer(f"item {item_id}: 'satisfied' must be true or false")
        if not isinstance(justification, str):
            raise MalformedAnswer(f"item {item_id}: 'justification' must be a string")
        found[item_id] = Decision(satisfied, " ".join(justification.split())[:500])
    return found


def judge_prompt(text: str, leaves: Sequence[Leaf], context: str) -> list[Message]:
    """The messages of one judge call (the items are in it: never send this to the agent)."""
    items = "\n".join(f"- [{leaf.id}] {leaf.text}" for leaf in leaves)
    goal = f"# What the text answers\n{context.strip()}\n\n" if context.strip() else ""
    user = (
        f"{goal}# The text to grade\n{text.strip()}\n\n# Rubric items\n{items}\n\n{ANSWER_FORMAT}"
    )
    return [Message("system", SYSTEM), Message("user", user)]


class LLMJudge:
    """A chat model as judge (by default the generator's own model, frozen)."""

    def __init__(
        self, model: ChatModel, *, samples: int = 1, retries: int = 2, batch: int = BATCH
    ) -> None:
        if samples < 1 or retries < 0 or batch < 1:
            raise ValueError(
                f"samples and batch must be >= 1 and retries >= 0, got {samples}, {batch}, "
                f"{retries}"
            )
        self.model = model
        self.samples = samples
        self.retries = retries
        self.batch = batch
        self.name = f"llm:{model.name}"

    def judge(self, text: str, leaves: Sequence[Leaf], *, context: str = "") -> list[Verdict]:
        runs: list[dict[str, Verdict]] = []
        for _ in range(self.samples):
            run: dict[str, Verdict] = {}
            for start in range(0, len(leaves), self.batch):
                run |= self._sample(text, leaves[start : start + self.batch], context)
            runs.append(run)
        return [_combine(leaf.id, [run[leaf.id] for run in runs]) for leaf in leaves]

    def _sample(self, text: str, leaves: Sequence[Leaf], context: str) -> dict[str, Verdict]:
        """One sample: ask, re-ask with the reason while items are undecided, record the rest."""
        ids = [leaf.id for leaf in leaves]
        decided: dict[str, Decision] = {}
        messages = judge_prompt(text, leaves, context)
        failure, reason = VerdictFailure.MALFORMED, "no answer"
        for _attempt in range(self.retries + 1):
            try:
                completion = self.model.complete(messages, purpose=JUDGE_PURPOSE)
            except (BudgetExhaustedError, ReplayMismatchError):
                raise
            except BackendError as exc:
                _note(getattr(exc, "usage", None), failed=True)
                if exc.fatal:
                    raise
                failure, reason = VerdictFailure.BACKEND, " ".join(str(exc).split())[:300]
                continue
            _note(completion.usage)
            try:
                found = parse_verdicts(completion.text, ids)
            except MalformedAnswer as exc:
                failure, reason = VerdictFailure.MALFORMED, str(exc)
                note = f"Your answer was not valid: {exc}. {ANSWER_FORMAT}"
            else:
                for item_id, decision in found.items():
                    decided.setdefault(item_id, decision)
                missing = [i for i in ids if i not in decided]
                if not missing:
                    break
                failure, reason = VerdictFailure.MISSING, f"no verdict for {', '.join(missing)}"
                note = f"Your answer left out items {', '.join(missing)}. {ANSWER_FORMAT}"
            messages = [
                *messages[:2],
                Message("assistant", completion.text),
                Message("user", note),
            ]
        out: dict[str, Verdict] = {}
        for item_id in ids:
            if item_id in decided:
                d = decided[item_id]
                out[item_id] = Verdict(
                    item_id=item_id, value=float(d.satisfied), justification=d.justification
                )
            else:
                out[item_id] = Verdict(item_id=item_id, failure=failure, justification=reason)
        return out


def _combine(item_id: str, samples: Sequence[Verdict]) -> Verdict:
    """One verdict from several of the same item: the mean of the decided values, or the last
    failure when none decided."""
    decided = [v for v in samples if v.value is not None]
    if not decided:
        return samples[-1]
    value = sum(v.value for v in decided if v.value is not None) / len(decided)
    why = decided[0].justification
    if len(samples) > 1:
        why = f"{why} ({sum(v.value or 0 for v in decided):g} of {len(decided)} samples satisfied"
        why += f", {len(samples) - len(decided)} failed)" if len(decided) < len(samples) else ")"
    return Verdict(item_id=item_id, value=value, justification=why)
