"""SEARCH/REPLACE blocks (aider's edit format, as MLEvolve edits code): read, apply, write.

    <<<<<<< SEARCH
    model = RandomForestClassifier(n_estimators=100)
    =======
    model = RandomForestClassifier(n_estimators=300)
    >>>>>>> REPLACE

A block applies when its SEARCH text is found exactly once in the code as it stands after the
blocks before it. Matching goes from strict to tolerant and stops at the first level that finds
the text: whole lines as written, then a run of text inside lines, then lines with trailing
whitespace ignored, then lines with indentation ignored too (the replacement is re-indented by
the difference). Two or more matches at that level is ambiguous, none at every level is not
found: either way the patch does not apply, with a reason (`PatchFailure`) and a one-line detail.
CRLF is read as LF everywhere.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from airlab.journal.edit import PatchFailure

SEARCH, DIVIDER, REPLACE = "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE"
_SEARCH = re.compile(r"^\s*<{5,9} ?SEARCH\b.*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_REPLACE = re.compile(r"^\s*>{5,9} ?REPLACE\b.*$")
CONTEXT_LINES = 2
"""Unchanged lines `diff_blocks` puts around a change (more when needed to make it unique)."""


@dataclass(frozen=True)
class Block:
    search: str
    replace: str


@dataclass(frozen=True)
class PatchError(Exception):
    """Why blocks do not apply: the reason and one line naming the block."""

    reason: PatchFailure
    detail: str

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.detail}"


@dataclass(frozen=True)
class Patched:
    code: str
    fuzzy: bool
    """Some block matched only with whitespace ignored."""


def has_blocks(text: str) -> bool:
    """Whether `text` holds at least the start of a SEARCH/REPLACE block."""
    return any(_SEARCH.match(line) for line in _lf(text).split("\n"))


def text_before_blocks(text: str) -> str:
    """What an answer says before its first block (its plan), without a fence that opens it."""
    lines = _lf(text).split("\n")
    end = next((i for i, line in enumerate(lines) if _SEARCH.match(line)), len(lines))
    head = lines[:end]
    while head and (not head[-1].strip() or head[-1].lstrip().startswith("```")):
        head.pop()
    return "\n".join(head).strip()


def parse_blocks(text: str) -> list[Block]:
    """The blocks of an answer, in order; text between them (fences, prose) is ignored."""
    blocks: list[Block] = []
    search: list[str] | None = None
    replace: list[str] | None = None
    for line in _lf(text).split("\n"):
        if search is None:
            if _SEARCH.match(line):
                search = []
        elif replace is None:
            if _DIVIDER.match(line):
                replace = []
            elif _SEARCH.match(line) or _REPLACE.match(line):
                raise PatchError(
                    PatchFailure.MALFORMED, f"block {len(blocks) + 1} has no {DIVIDER} line"
                )
            else:
                search.append(line)
        elif _REPLACE.match(line):
            blocks.append(Block("\n".join(search), "\n".join(replace)))
            search = replace = None
        elif _SEARCH.match(line):
            raise PatchError(
                PatchFailure.MALFORMED, f"block {len(blocks) + 1} has no {REPLACE} line"
            )
        else:
            replace.append(line)
    if search is not None:
        missing = DIVIDER if replace is None else REPLACE
        raise PatchError(PatchFailure.MALFORMED, f"block {len(blocks) + 1} has no {missing} line")
    if not blocks:
        raise PatchError(PatchFailure.NO_BLOCKS, "the answer holds no SEARCH/REPLACE block")
    return blocks


def apply_blocks(code: str, blocks: list[Block]) -> Patched:
    """`code` with every block applied in order; PatchError when one does not apply."""
    text = _lf(code)
    fuzzy = False
    for number, block in enumerate(blocks, 1):
        text, tolerant = _apply_one(text, block, number)
        fuzzy = fuzzy or tolerant
    return Patched(text, fuzzy)


def apply_patch(code: str, answer: str) -> Patched:
    """The blocks of `answer` applied to `code` (PatchError with the reason when they do not)."""
    return apply_blocks(code, parse_blocks(answer))


def _apply_one(text: str, block: Block, number: int) -> tuple[str, bool]:
    search, replace = _trim_edges(block.search.split("\n"), block.replace.split("\n"))
    if not search:
        raise PatchError(PatchFailure.EMPTY_SEARCH, f"block {number} has an empty SEARCH part")
    lines = text.split("\n")
    # 1. whole lines as written
    found = _find(lines, search, lambda line: line)
    if len(found) == 1:
        return _splice(lines, found[0], len(search), replace), False
    if len(found) > 1:
        raise _ambiguous(number, search, len(found))
    # 2. a run of text inside lines (`n_estimators=100`)
    joined = "\n".join(search)
    count = text.count(joined)
    if count == 1:
        return text.replace(joined, "\n".join(replace), 1), False
    if count > 1:
        raise _ambiguous(number, search, count)
    # 3. trailing whitespace ignored, 4. indentation ignored too
    for key in (str.rstrip, str.strip):
        found = _find(lines, search, key)
        if len(found) > 1:
            raise _ambiguous(number, search, len(found))
        if len(found) == 1:
            start = found[0]
            shift = _indent_shift(search, lines[start : start + len(search)])
            return _splice(lines, start, len(search), _reindent(replace, shift)), True
    first = next(line.strip() for line in search if line.strip())
    raise PatchError(
        PatchFailure.NOT_FOUND,
        f"block {number}'s SEARCH text (from {_cut(first)!r}) is not in the code",
    )


def _find(lines: list[str], search: list[str], key: Callable[[str], str]) -> list[int]:
    wanted = [key(line) for line in search]
    keyed = [key(line) for line in lines]
    size = len(wanted)
    return [i for i in range(len(keyed) - size + 1) if keyed[i : i + size] == wanted]


def _splice(lines: list[str], start: int, size: int, replace: list[str]) -> str:
    return "\n".join(lines[:start] + replace + lines[start + size :])


def _indent_shift(search: list[str], matched: list[str]) -> str | int:
    """What the code's indentation adds to (a prefix) or takes from (a count) the SEARCH's."""
    for wanted, actual in zip(search, matched, strict=True):
        if wanted.strip():
            have = wanted[: len(wanted) - len(wanted.lstrip())]
            real = actual[: len(actual) - len(actual.lstrip())]
            if real.startswith(have):
                return real[len(have) :]
            return len(have) - len(real) if have.startswith(real) else 0
    return 0


def _reindent(lines: list[str], shift: str | int) -> list[str]:
    if isinstance(shift, str):
        return [shift + line if line.strip() else line for line in lines]
    if shift == 0:
        return lines
    out = []
    for line in lines:
        lead = len(line) - len(line.lstrip())
        out.append(line[min(shift, lead) :])
    return out


def _ambiguous(number: int, search: list[str], count: int) -> PatchError:
    first = next(line.strip() for line in search if line.strip())
    return PatchError(
        PatchFailure.AMBIGUOUS,
        f"block {number}'s SEARCH text (from {_cut(first)!r}) occurs {count} times; "
        "it must occur once",
    )


def _trim_edges(search: list[str], replace: list[str]) -> tuple[list[str], list[str]]:
    """SEARCH without blank lines at its ends, REPLACE without as many of its own (they are
    context: a blank line REPLACE adds beyond them stays)."""
    search, replace = list(search), list(replace)
    for end in (0, -1):
        while search and not search[end].strip():
            search.pop(end)
            if replace and not replace[end].strip():
                replace.pop(end)
    return search, replace


def _trim_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diff_blocks(old: str, new: str, context: int = CONTEXT_LINES) -> list[Block]:
    """Blocks that turn `old` into `new`: one per changed region, with `context` unchanged
    lines around it (more until its SEARCH text occurs once in `old`; regions that then
    overlap become one block)."""
    before, after = _lf(old).split("\n"), _lf(new).split("\n")
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    spans: list[list[int]] = []
    for group in matcher.get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        while not (i1 == 0 and i2 == len(before)):
            search = _trim_blank(before[i1:i2])  # as `apply_blocks` will look for it
            if search and len(_find(before, search, lambda line: line)) == 1:
                break
            if i1 > 0:  # context lines are equal in both versions: both ends move together
                i1, j1 = i1 - 1, j1 - 1
            if i2 < len(before):
                i2, j2 = i2 + 1, j2 + 1
        if spans and i1 < spans[-1][1]:
            spans[-1][1], spans[-1][3] = i2, j2
        else:
            spans.append([i1, i2, j1, j2])
    return [Block("\n".join(before[a:b]), "\n".join(after[c:d])) for a, b, c, d in spans]


def render_blocks(blocks: list[Block]) -> str:
    """Blocks as an answer writes them."""
    return "\n".join(f"{SEARCH}\n{b.search}\n{DIVIDER}\n{b.replace}\n{REPLACE}\n" for b in blocks)
