"""The structural pass: types, ranges and unknown fields, as pydantic finds them, in our words.

Pydantic's error locations name the parts of its own machinery (an inject's kind, the types
of a union); `structural_problems` drops those, so a problem names the field path of the file,
and rewrites the messages a trainer would stumble on.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import Problem
from sim.spec.checks import did_you_mean
from sim.spec.injects import INJECT_KINDS
from sim.spec.yaml_files import LineMap, PathKey, format_path

_TYPE_PARTS = (
    "int",
    "float",
    "str",
    "list[str]",
    "function-plain[parse_number()]",
    "function-plain[parse_trust()]",
    "constrained-int",
    "constrained-float",
    "bool",
)
"""Location parts that name a type of a union (``int | None``), not a field."""


def structural_problems(model: type[BaseModel], data: Any, source: str, lines: LineMap) -> list[Problem]:
    """Type, range and unknown-field problems, as pydantic finds them, in our words."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [_problem_from_pydantic(err, data, source, lines, model) for err in exc.errors()]
    return []


def _field_path(loc: list[Any]) -> PathKey:
    """Pydantic's location of an error as the file's field path."""
    # A discriminated union puts the tag in the path: injects[0].link_down.hours.
    clean: list[str | int] = []
    for i, part in enumerate(loc):
        if i > 0 and isinstance(loc[i - 1], int) and loc[i - 2 : i - 1] == ["injects"] and part in INJECT_KINDS:
            continue
        clean.append(part)
    # Types in a union (int | None) add their own names: drop the non-field parts.
    return tuple(p for p in clean if not (isinstance(p, str) and p in _TYPE_PARTS))


def _problem_from_pydantic(err: Any, data: Any, source: str, lines: LineMap, model: type[BaseModel]) -> Problem:
    path = _field_path(list(err["loc"]))
    kind = err["type"]
    value: Any = err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, path[:-1], value_at(data, path[:-1]))
        hint = did_you_mean(str(path[-1]), allowed)
        message = f"unknown field{hint}" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
        return Problem(source, lines.line(path), format_path(path), message)
    if kind == "missing":
        return Problem(source, lines.line(path), format_path(path), "required field is missing")
    if kind == "union_tag_invalid":
        message = f"unknown inject kind{did_you_mean(str(value), INJECT_KINDS)}; use one of {', '.join(INJECT_KINDS)}"
        value = value_at(data, (*path, "kind"))
        return Problem(source, lines.line((*path, "kind")), format_path((*path, "kind")), message, value)
    if kind == "union_tag_not_found":
        return Problem(
            source,
            lines.line(path),
            format_path((*path, "kind")),
            "required field is missing (one of " + ", ".join(INJECT_KINDS) + ")",
        )
    return Problem(source, lines.line(path), format_path(path), _message(kind, err), value)


def _message(kind: str, err: Any) -> str:
    """Pydantic's message, in our words."""
    message = err["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if kind == "string_pattern_mismatch":
        message = "an id uses letters, digits, '-', '_' and '.', and starts with a letter or digit"
    if kind == "literal_error":
        message = message.replace("Input should be", "must be")
    message = message.replace("Input should be", "should be")
    if kind == "too_short":
        need = err.get("ctx", {}).get("min_length")
        message = f"needs at least {need} item{'s' if need != 1 else ''}"
    elif kind == "too_long":
        message = f"has more than {err.get('ctx', {}).get('max_length')} items"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = "should be a mapping of fields"
    return message


def _allowed_fields(model: type[BaseModel], path: PathKey, parent: Any) -> list[str]:
    """Field names allowed at `path` (for the hint on an unknown field)."""
    if len(path) == 2 and path[0] == "injects" and isinstance(parent, dict):
        inject_model = INJECT_KINDS.get(parent.get("kind"))  # type: ignore[arg-type]
        if inject_model is not None:
            return [f.alias or name for name, f in inject_model.model_fields.items()]
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if current is None or not hasattr(current, "model_fields"):
            return []
        field = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return []
        current = _model_of(field.annotation, parent if part == path[-1] else None)
    if current is None or not hasattr(current, "model_fields"):
        if isinstance(parent, dict) and parent.get("kind") in INJECT_KINDS:
            current = INJECT_KINDS[parent["kind"]]
        else:
            return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _model_of(annotation: Any, value: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg, value)
        if found is not None:
            return found
    return None


def value_at(data: Any, path: PathKey) -> Any:
    """The value at `path` in plain data, or None when the path leads nowhere."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
