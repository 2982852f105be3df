"""What an improve (or debug) changed in its parent's code, as one short line for the memory.

Plans say what the model meant to change; the diff says what it did. A line-level diff (difflib)
finds the changed lines; a changed line is shown as its changed token with the name it is bound
to (`n_estimators=100 → 300`), added and removed lines with `+` and `-`.
"""

from __future__ import annotations

import difflib

ITEM_CHARS = 70
"""The most one changed line may take."""
_VALUE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-+")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.=\"'[]")


def change_summary(old: str, new: str, limit: int = 160) -> str:
    """The changes from `old` to `new` in at most `limit` characters ("" when only blank lines
    or indentation differ)."""
    before = _lines(old)
    after = _lines(new)
    items: list[str] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = before[i1:i2], after[j1:j2]
        pairs = min(len(removed), len(added)) if tag == "replace" else 0
        items += [_changed_line(a, b) for a, b in zip(removed[:pairs], added[:pairs], strict=True)]
        items += [_cut(f"- {line}", ITEM_CHARS) for line in removed[pairs:]]
        items += [_cut(f"+ {line}", ITEM_CHARS) for line in added[pairs:]]
    return _join(items, limit)


def _lines(code: str) -> list[str]:
    return [line.strip() for line in code.splitlines() if line.strip()]


def _changed_line(old: str, new: str) -> str:
    """`name=old → new` around the part of the line that differs."""
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    start = prefix  # back to the start of the token that changed ...
    while start > 0 and old[start - 1] in _VALUE_CHARS:
        start -= 1
    name = start  # ... and to the name it is bound to (`lr=`, `params["depth"] = `)
    while name > 0 and old[name - 1] == " ":
        name -= 1
    if name > 0 and old[name - 1] in "=:":
        name -= 1
        while name > 0 and old[name - 1] in _NAME_CHARS | {" "}:
            name -= 1
        while old[name] == " ":
            name += 1
    else:
        name = start
    old_end, new_end = _token_end(old, len(old) - suffix), _token_end(new, len(new) - suffix)
    label = old[name:start]
    half = max((ITEM_CHARS - len(label) - 3) // 2, 8)
    old_part = _cut(old[start:old_end], half) or "(nothing)"
    new_part = _cut(new[start:new_end], half) or "(nothing)"
    return _cut(f"{label}{old_part} → {new_part}", ITEM_CHARS)


def _token_end(line: str, end: int) -> int:
    while end < len(line) and line[end] in _VALUE_CHARS:
        end += 1
    return end


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _join(items: list[str], limit: int) -> str:
    """Items joined by "; ", as many as fit with a count of the rest."""
    whole = "; ".join(items)
    if len(whole) <= limit:
        return whole
    text = ""
    for count, item in enumerate(items):
        left = len(items) - count
        candidate = f"{text}; {item}" if text else item
        if len(candidate + _more(left - 1)) > limit:
            return text + _more(left) if text else f"{left} lines changed"
        text = candidate
    return text  # not reached: the whole join did not fit


def _more(count: int) -> str:
    return f" (+{count} more changed line{'s' if count != 1 else ''})"
