"""Improve and debug under `edit_format=diff`: SEARCH/REPLACE blocks applied to the parent.

A diff answer is shorter than the whole script (fewer completion tokens), but it may not apply:
a SEARCH text the model misremembered, one that occurs twice, a block cut off. The rule then is
one more call, in the same conversation, for the whole script (purpose `improve-whole` or
`debug-whole`, routed and charged like the step's own calls); a program writer (the templates)
is asked once more with `edit_format=whole`. Either way the node's `meta.edit` records what
happened (`EditRecord`): applied, fell back and why, or answered whole to begin with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from airlab.backends.base import Candidate, ChatModel, Message
from airlab.journal.edit import EditOutcome, EditRecord, PatchFailure
from airlab.operators.checks import compile_error
from airlab.operators.parsing import (
    TRUNCATED_FINISH_REASONS,
    parse_answer,
    strip_shell_lines,
    strip_thinking,
)
from airlab.operators.patches import (
    Patched,
    PatchError,
    apply_blocks,
    parse_blocks,
    text_before_blocks,
)
from airlab.operators.prompting import ask_for_code, candidate

if TYPE_CHECKING:
    from airlab.operators.base import OperatorContext

EDIT_OPERATORS = frozenset({"improve", "debug"})
"""The operators that may answer with blocks: they have one parent whose code they change."""
WHOLE_SUFFIX = "-whole"
"""The purpose suffix of the fallback call (`improve-whole`)."""
PATCH_FAILED = (
    "Your SEARCH/REPLACE blocks could not be applied to the script ({error}). Answer again: a "
    "short plan, then the whole new script in one ```python fenced block, closed with ```."
)


def uses_diff(operator: str, context: OperatorContext) -> bool:
    """Whether this step answers with blocks: `edit_format=diff`, improve or debug, a parent
    with code."""
    return (
        context.options.edit_format == "diff"
        and operator in EDIT_OPERATORS
        and len(context.parents) == 1
        and bool(context.parents[0].code.strip())
    )


def patched(parent_code: str, answer: str) -> tuple[Patched, int]:
    """The answer's blocks applied to the parent (and how many); PatchError when they do not
    apply or the result does not compile."""
    blocks = parse_blocks(answer)
    result = apply_blocks(parent_code, blocks)
    error = compile_error(strip_shell_lines(result.code)[0])
    if error is not None:
        raise PatchError(
            PatchFailure.BREAKS_SYNTAX, f"the patched script does not compile: {error}"
        )
    return result, len(blocks)


def edit_answer(parent_code: str, text: str) -> tuple[str, str, EditRecord]:
    """(plan, code, record) of a diff answer: its blocks applied to the parent, or the complete
    whole script it wrote instead of blocks; PatchError when it is neither."""
    try:
        result, count = patched(parent_code, text)
    except PatchError as error:
        whole = parse_answer(text) if error.reason is PatchFailure.NO_BLOCKS else None
        if whole is None or not whole.complete:
            raise
        record = EditRecord(
            outcome=EditOutcome.WHOLE_ANSWER, reason=error.reason, detail=error.detail
        )
        return whole.plan, whole.code, record
    record = EditRecord(outcome=EditOutcome.APPLIED, blocks=count, fuzzy=result.fuzzy)
    return text_before_blocks(text), result.code, record


def ask_for_edit(
    model: ChatModel, messages: list[Message], parent_code: str, *, purpose: str
) -> Candidate:
    """Ask for blocks and apply them; when they do not apply, ask once for the whole script."""
    completion = model.complete(messages, purpose=purpose)
    text = strip_thinking(completion.text)
    try:
        if completion.finish_reason in TRUNCATED_FINISH_REASONS:
            raise PatchError(
                PatchFailure.TRUNCATED,
                "the answer was cut off at the output token limit "
                f"(finish_reason {completion.finish_reason!r})",
            )
        plan, code, record = edit_answer(parent_code, text)
    except PatchError as error:
        retry = [
            *messages,
            Message("assistant", completion.text),
            Message("user", PATCH_FAILED.format(error=error)),
        ]
        written = ask_for_code(model, retry, purpose=purpose + WHOLE_SUFFIX)
        usage = completion.usage + written.usage
        record = EditRecord(
            outcome=EditOutcome.FELL_BACK,
            reason=error.reason,
            detail=error.detail,
            blocks=_block_count(text),
        )
        meta = {**written.meta, "llm_calls": usage.calls, "edit": record.to_meta()}
        return replace(written, usage=usage, meta=meta)
    return candidate(
        plan,
        code,
        completion.usage,
        completion.model,
        finish_reason=completion.finish_reason,
        edit=record.to_meta(),
    )


def settle_written_edit(
    written: Candidate, parent_code: str, rewrite: Callable[[], Candidate]
) -> Candidate:
    """A program writer's blocks (`Candidate.edit`) applied to the parent; when they do not
    apply, `rewrite()` (the writer asked again for the whole script) is the candidate."""
    assert written.edit is not None
    try:
        result, count = patched(parent_code, written.edit)
    except PatchError as error:
        record = EditRecord(
            outcome=EditOutcome.FELL_BACK,
            reason=error.reason,
            detail=error.detail,
            blocks=_block_count(written.edit),
        )
        whole = rewrite()
        return replace(
            whole,
            edit=None,
            usage=written.usage + whole.usage,
            meta={**whole.meta, "edit": record.to_meta()},
        )
    record = EditRecord(outcome=EditOutcome.APPLIED, blocks=count, fuzzy=result.fuzzy)
    return replace(
        written, code=result.code, edit=None, meta={**written.meta, "edit": record.to_meta()}
    )


def _block_count(text: str) -> int:
    try:
        return len(parse_blocks(text))
    except PatchError:
        return 0
