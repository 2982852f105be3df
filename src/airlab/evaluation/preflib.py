"""Read (and write) PrefLib ordinal profiles, so rankings can be checked on standard data.

Formats (https://www.preflib.org/format): `.soc` strict complete orders, `.soi` strict
incomplete, `.toc` complete with ties, `.toi` incomplete with ties. Current files start with
`# KEY: value` header lines (`# NUMBER ALTERNATIVES: m`, `# ALTERNATIVE NAME i: name`, ...)
followed by one `count: i,j,{k,l},...` line per distinct order, alternatives 1-based, ties in
braces, best first. The pre-2022 layout (a line with m, then `i,name` lines, a
`voters,sum,unique` line and `count,i,j,...` lines) is read too.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from airlab.evaluation.errors import PreflibError
from airlab.evaluation.profile import Profile

_HEADER = re.compile(r"^#\s*([^:]+?)\s*:\s*(.*)$")
_ALT_NAME = re.compile(r"^ALTERNATIVE NAME\s+(\d+)$", re.IGNORECASE)
STRICT_TYPES = {"soc", "soi"}
COMPLETE_TYPES = {"soc", "toc"}


def _parse_order(text: str, where: str) -> list[list[int]]:
    """'1,{2,3},4' → [[1], [2, 3], [4]]."""
    tiers: list[list[int]] = []
    for token in re.findall(r"\{[^}]*\}|[^,{}\s]+", text):
        try:
            if token.startswith("{"):
                inner = [t for t in token[1:-1].split(",") if t.strip()]
                if inner:
                    tiers.append([int(t) for t in inner])
            else:
                tiers.append([int(token)])
        except ValueError:
            raise PreflibError(f"{where}: alternative {token!r} is not a number") from None
    return tiers


def _profile(
    names: dict[int, str],
    orders: list[tuple[float, list[list[int]]]],
    data_type: str,
    source: str,
) -> Profile:
    if not names:
        raise PreflibError(f"{source}: no alternatives declared")
    ids = sorted(names)
    labels = [names[i] for i in ids]
    if len(set(labels)) != len(labels):  # duplicate display names: keep them apart
        labels = [f"{names[i]} ({i})" for i in ids]
    col = {i: c for c, i in enumerate(ids)}
    u = np.full((len(orders), len(ids)), np.nan)
    counts = np.zeros(len(orders))
    for v, (count, tiers) in enumerate(orders):
        counts[v] = count
        where = f"{source}: order {v + 1}"
        for depth, tier in enumerate(tiers):
            if data_type in STRICT_TYPES and len(tier) > 1:
                raise PreflibError(f"{where}: ties are not allowed in a .{data_type} file")
            for alt in tier:
                if alt not in col:
                    raise PreflibError(f"{where}: unknown alternative {alt}")
                if not np.isnan(u[v, col[alt]]):
                    raise PreflibError(f"{where}: alternative {alt} appears twice")
                u[v, col[alt]] = -float(depth)
        if data_type in COMPLETE_TYPES and np.isnan(u[v]).any():
            raise PreflibError(f"{where}: a .{data_type} order must rank every alternative")
    return Profile(labels, u, counts, [f"order{v + 1}" for v in range(len(orders))])


def parse_preflib(text: str, data_type: str | None = None, source: str = "<text>") -> Profile:
    """Parse PrefLib text; `data_type` (soc | soi | toc | toi) defaults to the header's."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise PreflibError(f"{source}: empty file")
    names: dict[int, str] = {}
    orders: list[tuple[float, list[list[int]]]] = []
    if lines[0].startswith("#"):
        declared = None
        for n, line in enumerate(lines, 1):
            header = _HEADER.match(line)
            if line.startswith("#"):
                if header:
                    key, value = header.group(1).strip(), header.group(2).strip()
                    alt = _ALT_NAME.match(key)
                    if alt:
                        names[int(alt.group(1))] = value
                    elif key.upper() == "DATA TYPE":
                        declared = value.lower()
                    elif key.upper() == "NUMBER ALTERNATIVES" and not names:
                        try:
                            count = int(value)
                        except ValueError:
                            raise PreflibError(f"{source}:{n}: bad NUMBER ALTERNATIVES") from None
                        names = {i: str(i) for i in range(1, count + 1)}
                continue
            if ":" not in line:
                raise PreflibError(f"{source}:{n}: expected 'count: order', got {line!r}")
            count_text, order_text = line.split(":", 1)
            try:
                weight = float(count_text)
            except ValueError:
                raise PreflibError(f"{source}:{n}: bad count {count_text!r}") from None
            orders.append((weight, _parse_order(order_text, f"{source}:{n}")))
        data_type = data_type or declared or "toi"
    else:
        try:
            m = int(lines[0])
            for line in lines[1 : m + 1]:
                i, name = line.split(",", 1)
                names[int(i)] = name.strip()
            for n, line in enumerate(lines[m + 2 :], m + 3):
                count_text, order_text = line.split(",", 1)
                orders.append((float(count_text), _parse_order(order_text, f"{source}:{n}")))
        except (ValueError, IndexError):
            raise PreflibError(f"{source}: not a PrefLib file (old or new layout)") from None
        data_type = data_type or "toi"
    data_type = data_type.lower().lstrip(".")
    if data_type not in {"soc", "soi", "toc", "toi"}:
        raise PreflibError(f"{source}: unsupported data type {data_type!r} (soc, soi, toc, toi)")
    return _profile(names, orders, data_type, source)


def read_preflib(path: str | Path) -> Profile:
    """Read a `.soc`, `.soi`, `.toc` or `.toi` file into a Profile (weights = order counts)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PreflibError(f"{p}: cannot read ({exc.strerror or exc})") from None
    suffix = p.suffix.lower().lstrip(".")
    return parse_preflib(text, suffix if suffix in {"soc", "soi", "toc", "toi"} else None, str(p))


def to_preflib(profile: Profile, title: str = "airlab profile") -> str:
    """PrefLib text (`toi` unless the profile is complete and/or strict) for a profile."""
    ranks = profile.dense_ranks()
    complete = not np.isnan(ranks).any()
    strict = all(
        len(np.unique(row[~np.isnan(row)])) == int((~np.isnan(row)).sum()) for row in ranks
    )
    data_type = ("s" if strict else "t") + ("oc" if complete else "oi")
    lines = [
        f"# TITLE: {title}",
        f"# DATA TYPE: {data_type}",
        f"# NUMBER ALTERNATIVES: {profile.n_agents}",
        f"# NUMBER VOTERS: {profile.total_weight:g}",
        f"# NUMBER UNIQUE ORDERS: {profile.n_voters}",
    ]
    lines += [f"# ALTERNATIVE NAME {i + 1}: {a}" for i, a in enumerate(profile.agents)]
    for row, weight in zip(ranks, profile.weights, strict=True):
        parts = []
        for depth in np.unique(row[~np.isnan(row)]):
            tier = [str(i + 1) for i in np.flatnonzero(row == depth)]
            parts.append(tier[0] if len(tier) == 1 else "{" + ",".join(tier) + "}")
        lines.append(f"{weight:g}: {','.join(parts)}")
    return "\n".join(lines) + "\n"
