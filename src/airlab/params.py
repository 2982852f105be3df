"""Typed plug-in parameters: every plug-in declares a pydantic `Params` model.

Each kind (policy, operator set, backend, pool, sandbox, ranking method) resolves its raw
`key=value` options through `Registry.parse_params`, which uses `parse_params` below: an unknown
key fails in one line with a "did you mean", a bad value names the field and the value. The
attribute docstring of each field is its documentation (`params_table` renders it).
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from airlab.errors import ConfigError


class Params(BaseModel):
    """Base of every plug-in's parameters: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class NoParams(Params):
    """For plug-ins that take no parameters: any key is unknown."""


class _SignatureParams(Params):
    """Base of the models built from signatures: they have no source to read docstrings from
    (pydantic would search every loaded module for it, about 0.1 s a model)."""

    model_config = ConfigDict(use_attribute_docstrings=False)


def parse_params(
    model: type[BaseModel],
    raw: Mapping[str, Any] | BaseModel | None,
    *,
    owner: str = "",
    noun: str = "option",
    error: type[Exception] = ConfigError,
) -> BaseModel:
    """Validate `raw` against `model`; the first problem becomes one line raised as `error`.

    `owner` prefixes the message (`policy 'greedy': `); `noun` names a key (`parameter`,
    `operator option`). An instance of `model` is returned as it is."""
    if isinstance(raw, model):
        return raw
    values = dict(raw.model_dump(exclude_unset=True) if isinstance(raw, BaseModel) else raw or {})
    prefix = f"{owner}: " if owner else ""
    fields = list(model.model_fields)
    for key in values:
        if key not in model.model_fields and model.model_config.get("extra") == "forbid":
            known = ", ".join(fields) or "none"
            raise error(
                f"{prefix}unknown {noun} {key!r}{did_you_mean(key, fields)} (known: {known})"
            )
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "value"
        got = first.get("input")
        raise error(f"{prefix}{noun} {field!r}: {first['msg']}, got {got!r}") from None


def did_you_mean(key: object, known: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the known name closest to `key`, or "" when none is close."""
    close = difflib.get_close_matches(str(key), list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def describe_error(
    source: str,
    error: ValidationError,
    model: type[BaseModel],
    *,
    flags: Mapping[str, str] | None = None,
) -> str:
    """The first problem of a (nested) model as one line `SOURCE: field 'a.b': ...`: the one
    formatter of validation errors, for every file and model. An unknown key gets a "did you
    mean" over the fields of the model it appears in; `flags` (dotted field → command-line
    option) names the option the user typed instead of the field."""
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    field = ".".join(loc) or "(top level)"
    kind = first["type"]
    message = first["msg"].removeprefix("Value error, ")
    value = first.get("input")
    shown = f", got {value!r}" if not isinstance(value, dict | list) and value is not None else ""
    if flags and field in flags:
        return f"option {flags[field]}: {message}{shown}"
    if not loc and kind == "value_error":
        return f"{source}: {message}"
    if kind == "extra_forbidden":
        holder = _model_at(model, loc[:-1])
        fields = [info.alias or name for name, info in holder.model_fields.items()]
        known = ", ".join(fields)
        hint = did_you_mean(loc[-1], fields) or _did_you_mean_nested(loc, holder)
        return f"{source}: unknown field {field!r}{hint} (known: {known})"
    if kind == "missing":
        return f"{source}: missing required field {field!r}"
    if kind.startswith("literal_error"):
        return f"{source}: field {field!r} {message.lower()}{shown}"
    return f"{source}: field {field!r}: {message}{shown if 'got' not in message else ''}"


def _did_you_mean_nested(loc: list[str], holder: type[BaseModel]) -> str:
    """A key that belongs one level down (`stpes:` for `budget.steps`): the nested field's
    full path, when its name is close."""
    paths: dict[str, str] = {}
    for name, info in holder.model_fields.items():
        inner = _nested_model(info.annotation)
        for leaf in inner.model_fields if inner is not None else ():
            paths.setdefault(leaf, ".".join([*loc[:-1], info.alias or name, leaf]))
    close = difflib.get_close_matches(loc[-1], list(paths), n=1)
    return f"; did you mean {paths[close[0]]!r}?" if close else ""


def _model_at(model: type[BaseModel], path: list[str]) -> type[BaseModel]:
    """The model that holds the field at `path` (models nested as fields, optional or not)."""
    for part in path:
        field = model.model_fields.get(part)
        inner = _nested_model(field.annotation) if field is not None else None
        if inner is None:
            break
        model = inner
    return model


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    candidates = (annotation, *typing.get_args(annotation))
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def params_from_signature(fn: Callable[..., Any], *, skip: int = 1) -> type[Params]:
    """A Params model from a function's keyword parameters (after the first `skip`): for
    plug-ins that are plain functions, such as ranking methods, whose signature is the
    declaration."""
    hints = typing.get_type_hints(fn)
    fields: dict[str, Any] = {}
    for parameter in list(inspect.signature(fn).parameters.values())[skip:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[parameter.name] = (hints.get(parameter.name, Any), default)
    name = "".join(part.title() for part in fn.__name__.split("_")) + "Params"
    return create_model(name, __base__=_SignatureParams, **fields)


def params_table(model: type[BaseModel]) -> str:
    """A Markdown table of a Params model: parameter, default, meaning (its docstring)."""
    rows = ["| parameter | default | meaning |", "|---|---|---|"]
    for name, field in model.model_fields.items():
        if field.is_required():
            default = "required"
        elif field.default is None:
            default = "none"
        elif isinstance(field.default, bool):
            default = f"`{str(field.default).lower()}`"
        else:
            default = f"`{field.default}`"
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        choices = _choices(field.annotation)
        if choices:
            meaning += f" One of: {', '.join(f'`{c}`' for c in choices)}."
        rows.append(f"| `{name}` | {default} | {meaning} |")
    if len(rows) == 2:
        return "takes no parameters"
    return "\n".join(rows)


def _choices(annotation: Any) -> tuple[Any, ...]:
    """The values of a Literal annotation (or of the Literal inside `X | None`)."""
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Literal:
            return typing.get_args(arg)
    return ()
