"""A short, capped description of a task's public data, computed by airlab for the prompts.

The model sees files, shapes, columns with dtypes and ranges, and a few rows, so it can write
code that reads the data right the first time, without the data itself filling the prompt.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

MAX_COLUMNS_DETAILED = 16
HEAD_ROWS = 3
CELL_CHARS = 24


def data_preview(public_dir: Path, max_chars: int = 3000, always: tuple[str, ...] = ()) -> str:
    """The preview of every file in `public_dir`, cut to `max_chars`; columns named in `always`
    (the id and targets) are described even in wide tables."""
    public_dir = Path(public_dir)
    stamp = tuple(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(public_dir.iterdir())
    )
    return _cached_preview(str(public_dir), stamp, max_chars, always)


@functools.lru_cache(maxsize=32)
def _cached_preview(
    public_dir: str, stamp: tuple[object, ...], max_chars: int, always: tuple[str, ...]
) -> str:
    parts = []
    described: dict[str, list[str]] = {}
    for path in sorted(Path(public_dir).iterdir(), key=_reading_order):
        if path.is_dir():
            count = sum(1 for _ in path.rglob("*"))
            parts.append(f"- `{path.name}/`: a folder of {count} entries")
        elif path.suffix.lower() in (".csv", ".tsv"):
            parts.append(_describe_table(path, always, described))
        else:
            parts.append(f"- `{path.name}`: {_size(path.stat().st_size)}")
    text = "\n".join(parts)
    if len(text) > max_chars:
        cut = text[: max_chars - 40]
        text = cut[: cut.rfind("\n")] + "\n… (preview cut to its size limit)"
    return text


def _reading_order(path: Path) -> tuple[int, str]:
    """Training data first, then test inputs, then the rest: what matters most survives a cut."""
    name = path.name.lower()
    rank = 0 if name.startswith("train") else 1 if name.startswith("test") else 2
    return rank, name


def _describe_table(path: Path, always: tuple[str, ...], described: dict[str, list[str]]) -> str:
    """Columns, dtypes, ranges and first rows; a table whose columns were all described with an
    earlier one gets one line saying so."""
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        frame = pd.read_csv(path, sep=sep, low_memory=False)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        return f"- `{path.name}`: {_size(path.stat().st_size)}, not readable as a table ({exc})"
    rows, columns = frame.shape
    lines = [f"- `{path.name}`: {rows} rows × {columns} columns ({_size(path.stat().st_size)})"]
    names = [str(c) for c in frame.columns]
    for earlier, earlier_names in described.items():
        if set(names) <= set(earlier_names):
            missing = [c for c in earlier_names if c not in names]
            if len(missing) <= 3:
                without = f" without {_quoted(missing)}" if missing else ""
                return f"{lines[0]}: the columns of `{earlier}`{without}"
            if len(names) <= 8:
                return f"{lines[0]}: {_quoted(names)}, as described in `{earlier}`"
    described[path.name] = names
    first = list(frame.columns[:MAX_COLUMNS_DETAILED])
    detailed = first + [c for c in always if c in frame.columns and c not in first]
    for column in detailed:
        lines.append(f"    - `{column}`: {_describe_column(frame[column])}")
    rest = frame.columns.difference(detailed, sort=False)
    if len(rest):
        counts = frame[rest].dtypes.astype(str).value_counts()
        dtypes = ", ".join(f"{dtype} ×{count}" for dtype, count in counts.items())
        numeric = frame[rest].select_dtypes("number")
        span = ""
        if not numeric.empty:
            span = f", values in [{_num(numeric.min().min())}, {_num(numeric.max().max())}]"
        lines.append(
            f"    - … and {len(rest)} more columns (`{rest[0]}` … `{rest[-1]}`): {dtypes}{span}"
        )
    head = frame.head(HEAD_ROWS).iloc[:, :MAX_COLUMNS_DETAILED]
    cells = head.astype(str).map(lambda v: v if len(v) <= CELL_CHARS else v[:CELL_CHARS] + "…")
    lines.append("    first rows:")
    lines.append("      " + " | ".join(str(c) for c in cells.columns))
    for row in cells.itertuples(index=False):
        lines.append("      " + " | ".join(row))
    return "\n".join(lines)


def _quoted(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _describe_column(series: pd.Series) -> str:
    missing = int(series.isna().sum())
    missing_text = f", {missing} missing" if missing else ""
    if pd.api.types.is_numeric_dtype(series):
        values = series.dropna()
        if values.empty:
            return f"{series.dtype}, all missing"
        distinct = values.nunique()
        few = f", {distinct} distinct" if distinct <= 20 else ""
        return (
            f"{series.dtype}, range [{_num(values.min())}, {_num(values.max())}]{few}{missing_text}"
        )
    values = series.dropna().astype(str)
    examples = ", ".join(repr(v[:CELL_CHARS]) for v in values.unique()[:3])
    return f"text, {values.nunique()} distinct (e.g. {examples}){missing_text}"


def _num(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else f"{number:.4g}"


def _size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"
