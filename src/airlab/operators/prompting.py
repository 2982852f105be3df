"""Render an operator's prompt (templates in `prompts/`), ask the model, read its answer.

Every prompt carries the task, a data preview, the sandbox's real limits, the rules and, where
the operator set allows it, memory of earlier attempts. The metric and its direction come from
the task. An answer without usable code gets one reminder before the step is given up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from airlab.backends.base import Candidate, ChatModel, Completion, Message, Usage
from airlab.errors import BackendError, NoCodeError
from airlab.journal.node import Node
from airlab.operators.checks import (
    Checks,
    candidate_problem,
    check_code,
    compile_error,
    unchanged_from,
)
from airlab.operators.families import classify_family
from airlab.operators.memory import render_memory, score_text, scrub_paths
from airlab.operators.options import OperatorOptions, parse_operator_options
from airlab.operators.parsing import (
    TRUNCATED_FINISH_REASONS,
    ParsedAnswer,
    parse_answer,
    strip_shell_lines,
)
from airlab.operators.preview import data_preview
from airlab.operators.prompt_library import PACKAGED
from airlab.operators.repairs import REPAIRS, repair
from airlab.operators.skeleton import io_skeleton, prediction_text
from airlab.sandbox.base import ExecutionLimits
from airlab.sandbox.packages import Packages
from airlab.tasks.task import Task

if TYPE_CHECKING:
    from airlab.operators.base import Operator, OperatorContext

NO_CODE_REMINDER = (
    "Your answer had no complete Python code block. Answer again: a short plan, then the whole "
    "script in one ```python fenced block, closed with ```."
)
NO_CODE_AGAIN = (
    "An earlier answer to this gave a plan and no code. This answer must hold the whole script "
    "in one ```python fenced block, closed with ```."
)
"""Added to the prompt when an answer held no code at all: asked again without that answer in
the conversation, which the 1.5B local model copied word for word in 10 of its 20 recorded
reminders (each then a node with no code)."""
REFUSED_REMINDER = (
    "Your script would fail, so it was not run: {diagnosis}. Fix that and answer again: a short "
    "plan, then the whole script in one ```python fenced block."
)
UNCHANGED_REMINDER = (
    "Your script does the same as the one you were asked to change (only comments or layout "
    "differ), so it would {outcome}. Change the lines that matter and answer again: a short "
    "plan, then the whole script in one ```python fenced block."
)
TRUNCATED_REMINDER = (
    "Your answer was cut off before the code block was complete. "
    "Answer again with a shorter, complete script in one ```python fenced block."
)
SYNTAX_REMINDER = (
    "Your script does not compile: {error}. Answer again with the whole corrected script in "
    "one ```python fenced block."
)


@dataclass(frozen=True)
class PromptSettings:
    """Prompt options from the run's operator options (`-O key=value`) and operator set flags."""

    memory: bool = True
    """Show earlier attempts."""
    diversity: bool = True
    """Ask drafts to differ from the approaches already tried."""
    memory_chars: int = 4000
    preview_chars: int = 3000
    output_chars: int = 2500
    """How much of a run's output (its tail) a prompt shows."""
    skeleton: bool = True
    """Show a runnable skeleton of the task's I/O."""
    repairs_off: frozenset[str] = frozenset()
    """The fixed repairs switched off (names of `repairs.REPAIRS`, each an operator option; the
    I/O prelude is off too without the skeleton)."""
    retry_unchanged: bool = True
    """Ask once more when improve or debug answers with its parent's script in effect."""
    retry_refused: bool = True
    """Ask once more, quoting the diagnosis, when a check before running would refuse."""

    @classmethod
    def from_options(cls, options: OperatorOptions | Mapping[str, Any]) -> PromptSettings:
        """From the run's operator options (a mapping is validated first); memory and
        diversity are on unless switched off."""
        typed = parse_operator_options(options)
        return cls(
            memory=typed.memory is not False,
            diversity=typed.diversity is not False,
            memory_chars=typed.memory_chars,
            preview_chars=typed.preview_chars,
            output_chars=typed.output_chars,
            skeleton=typed.skeleton,
            repairs_off=frozenset(
                name
                for name in REPAIRS
                if not getattr(typed, name) or (name == "io_prelude" and not typed.skeleton)
            ),
            retry_unchanged=typed.retry_unchanged,
            retry_refused=typed.retry_refused,
        )


def render(template: str, **variables: Any) -> str:
    """A packaged template (runs with an agent's own prompts use `OperatorContext.prompts`)."""
    return PACKAGED.render(template, **variables)


BASIC_PACKAGES = (
    "Installed: numpy, pandas, scipy, scikit-learn, and the Python standard library; "
    "do not import anything else."
)
"""What the prompt says of the machine when its packages were not probed."""
FAMILY_EXAMPLES = ("gradient boosting", "random forest", "linear", "svm", "knn", "neural net (MLP)")
DEEP_FAMILIES = ("cnn", "transformer")
"""Named as examples only where torch, tensorflow or keras is installed."""


def task_variables(
    task: Task,
    limits: ExecutionLimits,
    settings: PromptSettings,
    packages: Packages | None = None,
) -> dict[str, Any]:
    spec = task.spec
    return {
        "task": {
            "name": spec.name,
            "title": spec.title,
            "description": task.description,
            "metric": spec.metric,
            "maximize": spec.maximize,
            "id_column": spec.id_column,
            "target_columns": list(spec.target_columns),
            "labels": spec.labels,
            "prediction": prediction_text(task),
        },
        "skeleton": io_skeleton(task) if settings.skeleton else None,
        "data_preview": data_preview(
            task.public_dir,
            settings.preview_chars,
            always=(spec.id_column, *spec.target_columns),
        ),
        "limits": limits,
        "packages_text": packages.prompt_text() if packages is not None else BASIC_PACKAGES,
        "family_examples": ", ".join(family_examples(packages)),
    }


def family_examples(packages: Packages | None) -> tuple[str, ...]:
    """The approach families prompts name as examples (deep ones where a deep-learning
    framework is installed)."""
    deep = packages is not None and any(
        name in packages.installed for name in ("torch", "tensorflow", "keras")
    )
    return FAMILY_EXAMPLES + (DEEP_FAMILIES if deep else ())


def tail(text: str, chars: int) -> str:
    text = scrub_paths(text)
    return text if len(text) <= chars else "…" + text[-chars:]


def node_view(
    node: Node, settings: PromptSettings, limits: ExecutionLimits | None = None
) -> dict[str, Any]:
    """A parent as the prompts show it (its runtime against `limits` when they are given)."""
    failure = node.failure or "error"
    return {
        "id": node.id,
        "plan": node.plan or "(no plan)",
        "code": node.code,
        "score_text": score_text(node),
        "runtime_text": runtime_text(node, limits),
        "output": tail(node.stdout_tail, settings.output_chars) or "(no output)",
        "analysis": node.info.analysis or "",
        "failure_text": f"{failure}: {scrub_paths(node.error or '')}".rstrip(": "),
        "error_output": tail(node.stderr_tail or node.stdout_tail, settings.output_chars)
        or "(no output)",
    }


def runtime_text(node: Node, limits: ExecutionLimits | None) -> str:
    """How long the node ran against the time limit, as a sentence ("" when it never ran)."""
    limit = f"{limits.time_s:g} s " if limits is not None else ""
    if node.failure == "timeout":
        return f"It was stopped at the {limit}time limit."
    if node.exec_seconds is None:
        return ""
    verb = "ran in" if node.is_good else "ran for"
    against = f" of the {limit}time limit" if limits is not None else ""
    return f"It {verb} {node.exec_seconds:.1f} s{against}."


def operator_prompt(
    operator: Operator, context: OperatorContext, settings: PromptSettings, **extra: Any
) -> str:
    """The user prompt of one operator step (`extra` switches the template to ReAct tools)."""
    variables = {
        **task_variables(context.task, context.limits, settings, context.packages),
        "memory": render_memory(
            context.history, maximize=context.task.spec.maximize, max_chars=settings.memory_chars
        )
        if settings.memory
        else "",
        "diversity": settings.diversity,
        "lessons": [lesson.text for lesson in context.lessons],
        "ask_family": operator.name == "draft",
        "react": False,
        "native_tools": False,
        "edit_diff": _uses_diff(operator, context) and not extra.get("react"),
        **operator.prompt_variables(context, settings),
        **extra,
    }
    return context.prompts.render(f"{operator.name}.j2", **variables)


def cacheable(prompt: str, context: OperatorContext, settings: PromptSettings) -> Message:
    """The user message of a step, its task part (the same in every call of the run: the
    description, data preview, limits and rules) marked as a prefix the provider may cache."""
    variables = task_variables(context.task, context.limits, settings, context.packages)
    return with_task_prefix(prompt, context.prompts.render("_task.j2", **variables))


def with_task_prefix(prompt: str, task_part: str) -> Message:
    """A user message whose opening `task_part` (when it opens with it) is a cacheable prefix."""
    task_part = task_part.rstrip()
    prefix = len(task_part) if prompt.startswith(task_part) else 0
    return Message("user", prompt, cache_prefix=prefix)


def write_with_model(operator: Operator, context: OperatorContext) -> Candidate:
    """One candidate from a chat model, for any single-shot operator."""
    model = chat_model(context)
    settings = PromptSettings.from_options(context.options)
    prompt = operator_prompt(operator, context, settings)
    system = context.prompts.render("system.j2")
    messages = [Message("system", system), cacheable(prompt, context, settings)]
    diff = _uses_diff(operator, context)
    if diff:
        from airlab.operators.diff_edit import ask_for_edit

        parent_code = context.parents[0].code
        written = ask_for_edit(model, messages, parent_code, purpose=operator.name)
    else:
        written = ask_for_code(model, messages, purpose=operator.name)
    written = _repaired(written, context, settings)
    if (
        settings.retry_unchanged
        and operator.name in CHANGES_A_PARENT
        and context.parents
        and not diff
    ):
        written = _unless_unchanged(
            model, messages, written, context.parents[0], operator.name,
            lambda again: _repaired(again, context, settings),
        )  # fmt: skip
    if settings.retry_refused and not diff and not written.meta.get("unchanged_retry"):
        written = _unless_refused(
            model, messages, written, context, operator.name,
            lambda again: _repaired(again, context, settings),
        )  # fmt: skip
    return written


def _unless_refused(
    model: ChatModel,
    messages: list[Message],
    written: Candidate,
    context: OperatorContext,
    purpose: str,
    finish: Callable[[Candidate], Candidate],
) -> Candidate:
    """`written`, or when a check before running would refuse it (`check_failed`), the answer
    to one reminder quoting the diagnosis; the reminder's call is `<purpose>-refused` and its
    usage is added to the candidate's. Code that is cut off or does not compile had its
    reminder already."""
    if candidate_problem(written, [], packages=context.packages) is not None:
        return written
    checks = Checks.from_options(
        parse_operator_options(context.options), context.task.spec.target_columns
    )
    diagnosis = check_code(written.code, packages=context.packages, checks=checks)
    if diagnosis is None:
        return written
    reminder = REFUSED_REMINDER.format(diagnosis=diagnosis)
    return _asked_again(model, messages, written, reminder, f"{purpose}-refused", finish,
                        {"refused_retry": diagnosis})  # fmt: skip


def _asked_again(
    model: ChatModel,
    messages: list[Message],
    written: Candidate,
    reminder: str,
    purpose: str,
    finish: Callable[[Candidate], Candidate],
    mark: dict[str, Any],
) -> Candidate:
    """The answer to `reminder`, sent after the model's own answer in the same conversation,
    with both answers' usage and `mark` in its meta; `written` (marked) when the new answer
    holds no code: the step keeps its first script, and the ledger has the calls."""
    answer = f"{written.plan}\n\n```python\n{written.code}\n```"
    retry = [*messages, Message("assistant", answer), Message("user", reminder)]
    try:
        again = finish(ask_for_code(model, retry, purpose=purpose))
    except NoCodeError:
        return replace(written, meta={**written.meta, **mark})
    usage = written.usage + again.usage
    return replace(again, usage=usage, meta={**again.meta, "llm_calls": usage.calls, **mark})


def _repaired(written: Candidate, context: OperatorContext, settings: PromptSettings) -> Candidate:
    """`written` after the fixed repairs the settings switch on (each listed in its meta)."""
    switches = {name: name not in settings.repairs_off for name in REPAIRS}
    code, applied = repair(written.code, context.task, **switches)
    if not applied:
        return written
    return replace(written, code=code, meta={**written.meta, **applied})


CHANGES_A_PARENT = ("debug", "improve")
"""The single-answer operators whose answer must differ from their (first) parent's script."""


def _unless_unchanged(
    model: ChatModel,
    messages: list[Message],
    written: Candidate,
    parent: Node,
    purpose: str,
    finish: Callable[[Candidate], Candidate],
) -> Candidate:
    """`written`, or when the check would refuse it as `parent`'s script again (`unchanged`:
    the step would be spent), the answer to one reminder saying so; the reminder's call is
    `<purpose>-unchanged` and its usage is added to the candidate's."""
    if unchanged_from(written.code, parent) is None:
        return written
    outcome = (
        f"fail the same way ({' '.join(parent.error.split())[:200]})"
        if parent.is_buggy and parent.error
        else "score the same"
    )
    reminder = UNCHANGED_REMINDER.format(outcome=outcome)
    return _asked_again(model, messages, written, reminder, f"{purpose}-unchanged", finish,
                        {"unchanged_retry": True})  # fmt: skip


def _uses_diff(operator: Operator, context: OperatorContext) -> bool:
    from airlab.operators.diff_edit import uses_diff

    return uses_diff(operator.name, context)


def chat_model(context: OperatorContext) -> ChatModel:
    model = context.backend
    if not isinstance(model, ChatModel):
        raise BackendError(f"backend {model.name!r} cannot answer prompts")
    return model


def ask_for_code(model: ChatModel, messages: list[Message], *, purpose: str) -> Candidate:
    """Ask, parse, and remind once when the answer holds no complete code (an unclosed block or
    an answer cut off at the token limit: asked for a shorter script; code that does not
    compile: told the compiler's complaint). The candidate's meta keeps the answer's
    `finish_reason`, and `incomplete_code` when the code came cut off; with no code at all,
    NoCodeError (the calls are charged in the ledger all the same)."""
    completion = model.complete(messages, purpose=purpose)
    usage: Usage = completion.usage
    parsed = parse_answer(completion.text)
    if parsed is None or not _usable(parsed, completion):
        retry_messages = _asking_again(messages, parsed, completion)
        retry = model.complete(retry_messages, purpose=f"{purpose}-reminder")
        usage = usage + retry.usage
        again = parse_answer(retry.text)
        if again is not None and (_usable(again, retry) or parsed is None):
            parsed, completion = again, retry
    if parsed is None:
        raise NoCodeError(f"{model.name}: no Python code in the answer, even after a reminder")
    extra: dict[str, Any] = {"finish_reason": completion.finish_reason}
    if _cut_off(parsed, completion):
        extra["incomplete_code"] = True
    return candidate(parsed.plan, parsed.code, usage, completion.model, **extra)


def _asking_again(
    messages: list[Message], parsed: ParsedAnswer | None, completion: Completion
) -> list[Message]:
    """The reminder's conversation. An answer with code (cut off, or not compiling) stays in it
    with the reminder after it; an answer with no code at all is left out and the prompt asked
    again with `NO_CODE_AGAIN` at its end: shown its own prose answer, a small model repeats it."""
    if parsed is None and messages and messages[-1].role == "user":
        last = messages[-1]
        return [*messages[:-1], replace(last, content=f"{last.content}\n\n{NO_CODE_AGAIN}")]
    reminder = _reminder(parsed, completion)
    return [*messages, Message("assistant", completion.text), Message("user", reminder)]


def _usable(parsed: ParsedAnswer, completion: Completion) -> bool:
    return parsed.complete and completion.finish_reason not in TRUNCATED_FINISH_REASONS


def _cut_off(parsed: ParsedAnswer, completion: Completion) -> bool:
    return not parsed.closed or completion.finish_reason in TRUNCATED_FINISH_REASONS


def _reminder(parsed: ParsedAnswer | None, completion: Completion) -> str:
    """What to say when the answer holds no usable code: none at all, cut off, or written
    so that it does not compile (the compiler's complaint quoted)."""
    if parsed is None:
        return NO_CODE_REMINDER
    if _cut_off(parsed, completion):
        return TRUNCATED_REMINDER
    error = compile_error(strip_shell_lines(parsed.code)[0])
    return SYNTAX_REMINDER.format(error=error) if error else TRUNCATED_REMINDER


def candidate(plan: str, code: str, usage: Usage, model: str, **meta: Any) -> Candidate:
    """A candidate with the meta every LLM-written node carries (family, calls, model)."""
    return Candidate(
        plan=plan,
        code=code,
        meta={
            "family": classify_family(code, plan),
            "llm_calls": usage.calls,
            "model": model,
            **meta,
        },
        usage=usage,
    )
