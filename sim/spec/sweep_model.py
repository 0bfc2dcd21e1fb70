"""The sweep file's structure as pydantic models: fields, types, ranges, unknown fields.

`SweepModel` is the whole file; a parameter is either a list of levels or a
`RangeModel`; a threshold is a `ThresholdModel`. `structure_problems` turns
pydantic's errors into the sweep file's own words (``FILE:LINE: field.path:
problem (got VALUE)``); what the fields mean (the scenario, the design's needs,
known outputs) is checked by `sim.spec.sweep_checks`. `sweep_json_schema` is the
JSON Schema of the file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from sim.errors import _MISSING, Problem
from sim.spec.checks import did_you_mean
from sim.spec.designs import DEFAULT_DESIGN, DESIGNS
from sim.spec.structure import value_at
from sim.spec.yaml_files import LineMap, PathKey, format_path

RANGE_FIELDS: tuple[str, ...] = ("low", "high", "steps", "integer")
THRESHOLD_FIELDS: tuple[str, ...] = ("output", "above", "parameter")
FRONTIER_FIELDS: tuple[str, ...] = ("maximise", "minimise")

FIELDS: tuple[str, ...] = (
    "name", "description", "scenario", "design", "samples", "replications", "seed",
    "parameters", "outputs", "threshold", "frontier", "constraint", "second_order",
)  # fmt: skip
"""The fields of a sweep file, in the order `sweep.yaml` is written."""

DEFAULT_OUTPUTS: tuple[str, ...] = ("detection_rate", "late_share", "median_hours_to_detection")
"""Outputs recorded when the file does not list any: the headline of a run."""

Number = Annotated[float, Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RangeModel(_Strict):
    """A parameter's range: sampled between its ends, or `steps` evenly spaced values in a grid."""

    low: Number = Field(description="the lower end")
    high: Number = Field(description="the upper end")
    steps: Annotated[int, Field(ge=1)] | None = Field(None, description="grid designs: values, ends included")
    integer: bool = Field(False, description="the range holds whole numbers")


class ThresholdModel(_Strict):
    """The level an output must stay at or above, marking a parameter's critical value."""

    output: str | None = Field(None, description="one of the outputs (default: detection_rate, else the first)")
    above: Number | None = Field(None, description="the level to stay at or above")
    parameter: str | None = Field(None, description="a swept parameter (default: sharing.delay_scale, else the first)")


class FrontierModel(_Strict):
    """Two outputs in tension: the frontier is the points no other point beats on both (on the means)."""

    maximise: str | None = Field(None, description="the output to raise, e.g. detection_rate")
    minimise: str | None = Field(None, description="the output to lower, e.g. wrongful_stops.total")


def _shape(value: Any) -> str | None:
    if isinstance(value, list):
        return "levels"
    if isinstance(value, dict) and ("low" in value or "high" in value):
        return "range"
    return None


Levels = Annotated[list[Any], Field(min_length=1, description="the values, any YAML value each")]
ParameterSpec = Annotated[
    Annotated[Levels, Tag("levels")] | Annotated[RangeModel, Tag("range")],
    Discriminator(_shape, custom_error_type="parameter_shape", custom_error_message="a list or a range"),
]


class SweepModel(_Strict):
    """A sweep file."""

    name: str | None = Field(None, description="a display name (default: the file's stem)")
    description: str | None = Field(None, description="what the sweep asks")
    scenario: str = Field(pattern=r"\S", description="the scenario file, relative to the sweep file")
    design: Literal[tuple(DESIGNS)] = Field(DEFAULT_DESIGN, description="how the points are chosen")  # type: ignore[valid-type]
    samples: Annotated[int, Field(ge=2)] | None = Field(None, description="points of an lhs design; base N of sobol")
    replications: Annotated[int, Field(ge=1)] | None = Field(None, description="runs per point (default 10)")
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = Field(None, description="the master seed")
    parameters: Annotated[dict[str, ParameterSpec], Field(min_length=1)] = Field(
        description="field path -> a list of values or a range"
    )
    outputs: Annotated[list[str], Field(min_length=1)] = Field(
        list(DEFAULT_OUTPUTS), description="summary keys recorded per run"
    )
    threshold: ThresholdModel | None = Field(None, description="the critical-value marker")
    frontier: FrontierModel | None = Field(
        None,
        description="the trade-off drawn as frontier.png (default: detection_rate against wrongful_stops.total "
        "when both are outputs)",
    )
    constraint: str | None = Field(
        None,
        pattern=r"\S",
        description="OUTPUT<=LEVEL or OUTPUT>=LEVEL, met on the 95% bound of the mean: the report picks the best "
        "point that meets it",
    )
    second_order: bool = Field(False, description="sobol designs: also second-order indices")


def sweep_json_schema() -> dict[str, Any]:
    """The JSON Schema of a sweep file (``tabletop schema --sweep``)."""
    schema = SweepModel.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": "tabletop sweep file"}


# ---------------------------------------------------------------- pydantic's errors in our words


def structure_problems(
    data: dict[str, Any], source: str, lines: LineMap, skip: Callable[[PathKey], bool] = lambda path: False
) -> list[Problem]:
    """Type, range and unknown-field problems of a sweep file's data, as `Problem`s (not yet sorted).

    Args:
        data: the file's mapping.
        source: how problems name the file.
        lines: field path -> line.
        skip: leaves out the problems at the paths it is true for (checked elsewhere, with more context).
    """
    try:
        SweepModel.model_validate(data)
    except ValidationError as exc:
        found = [(_clean(err["loc"]), err) for err in exc.errors()]
        return [_problem(path, err, data, source, lines) for path, err in found if not skip(path)]
    return []


def _clean(loc: tuple[Any, ...]) -> PathKey:
    """A pydantic location as a field path: union tags left out, a parameter's key as text."""
    parts = [part for part in loc if part not in ("levels", "range", "[key]")]
    return tuple(str(p) if i == 1 and parts[0] == "parameters" else p for i, p in enumerate(parts))


def sweep_path(path: PathKey) -> str:
    """Field path of a sweep problem; a parameter is named by its own path in brackets."""
    if len(path) >= 2 and path[0] == "parameters" and isinstance(path[1], str):
        return f"parameters[{path[1]}]" + format_path(("x", *path[2:]))[1:]
    return format_path(path)


def problem_at(source: str, lines: LineMap, path: PathKey, message: str, value: Any = _MISSING) -> Problem:
    """A problem of the sweep file at `path` (the value is shown unless it is left out)."""
    return Problem(source, lines.line(path), sweep_path(path), message, value)


def _unknown(noun: str, fields: tuple[str, ...]) -> Callable[[str], str]:
    return lambda key: f"unknown field{did_you_mean(key, fields)}; a {noun} has {', '.join(fields)}"


_UNKNOWN: dict[int, Callable[[str], str]] = {1: _unknown("sweep", FIELDS), 3: _unknown("range", RANGE_FIELDS)}
"""The message for an unknown field, by the depth of its path (a threshold's is depth 2, below)."""

_MESSAGES: dict[tuple[Any, ...], str] = {
    ("scenario",): "give the scenario file, relative to this sweep file",
    ("parameters",): "give at least one field path with its values, e.g. sharing.delay_scale: [0.5, 1, 2]",
    ("parameters", "*", "low"): "a range needs low: a number",
    ("parameters", "*", "high"): "a range needs high: a number",
    ("parameters", "*", "steps"): "must be a whole number >= 1",
    ("outputs",): "give a list of summary keys, e.g. [detection_rate, late_share]",
    ("outputs", "*"): "an output is a summary key, e.g. detection_rate or misses.late",
    ("threshold",): "write {output: detection_rate, above: 0.3}",
    ("frontier",): "write {maximise: detection_rate, minimise: wrongful_stops.total}",
    ("constraint",): "write OUTPUT<=LEVEL, e.g. wrongful_stops.total<=50",
}
"""Messages for any problem at a field (``*``: any parameter or item)."""

_BY_TYPE = {
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "string_type": "must be text",
}


def _problem(path: PathKey, err: Any, data: dict[str, Any], source: str, lines: LineMap) -> Problem:
    kind, value = err["type"], value_at(data, path)
    pattern = tuple("*" if i == 1 and len(path) > 1 else p for i, p in enumerate(path))
    if kind == "extra_forbidden":
        nested = {"threshold": THRESHOLD_FIELDS, "frontier": FRONTIER_FIELDS}
        unknown = _unknown(str(path[0]), nested[str(path[0])]) if path[0] in nested else _UNKNOWN[len(path)]
        return problem_at(source, lines, path, unknown(str(path[-1])))
    if path == ("design",):
        return problem_at(source, lines, path, f"unknown design{did_you_mean(str(value), DESIGNS)}; "
                          f"use one of {', '.join(DESIGNS)}", value)  # fmt: skip
    if pattern == ("parameters", "*"):
        message = "give at least one value" if kind == "too_short" else _shape_message(data.get("design"))
        return problem_at(source, lines, path, message, value)
    if len(path) == 3 and path[0] == "parameters" and kind == "missing":
        return problem_at(source, lines, path[:-1], _MESSAGES[pattern], None)
    if path == ("seed",) and kind in ("greater_than_equal", "less_than"):
        return problem_at(source, lines, path, "must be at least 0 and below 2**63", value)
    if pattern in _MESSAGES:
        return problem_at(source, lines, path, _MESSAGES[pattern], value)
    if kind == "greater_than_equal":
        return problem_at(source, lines, path, f"must be at least {err['ctx']['ge']}", value)
    return problem_at(source, lines, path, _BY_TYPE.get(kind, err["msg"]), value)


def _shape_message(design: Any) -> str:
    known = DESIGNS[design] if isinstance(design, str) and design in DESIGNS else DESIGNS[DEFAULT_DESIGN]
    hint = known.range_hint
    return "give a list of values, e.g. [0.5, 1, 2], or a range {low: 0.2, high: 1, steps: 5}" + hint


# ---------------------------------------------------------------- the parts of a valid sweep


@dataclass(frozen=True)
class Parameter:
    """One swept field.

    Attributes:
        path: the field path, as for ``--set`` (``sharing.links[*].trust``).
        levels: the values of a list parameter (any YAML value), else None.
        low: a range's lower end.
        high: a range's upper end.
        steps: how many evenly spaced values a grid takes from the range.
        integer: the range holds whole numbers (``travellers.count``).
    """

    path: str
    levels: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    steps: int | None = None
    integer: bool = False

    @property
    def is_range(self) -> bool:
        """Whether the parameter is a range rather than a list of values."""
        return self.levels is None

    def grid_values(self) -> list[Any]:
        """The values a grid design takes: the list, or `steps` evenly spaced values of the range."""
        if self.levels is not None:
            return list(self.levels)
        assert self.low is not None and self.high is not None
        steps = self.steps or 2
        values: list[Any] = []
        for x in np.linspace(self.low, self.high, steps):
            value: Any = int(round(float(x))) if self.integer else _tidy(float(x))
            if value not in values:
                values.append(value)
        return values

    def value_count(self) -> int:
        """How many values `grid_values` gives (without making them): the levels, or the steps of the range."""
        if self.levels is not None:
            return len(self.levels)
        steps = self.steps or 2
        if self.integer and self.low is not None and self.high is not None:
            return min(steps, int(abs(round(self.high) - round(self.low))) + 1)
        return steps

    def from_unit(self, u: float) -> Any:
        """The value at `u` in [0, 1]: a level (each with an equal share) or a point of the range."""
        if self.levels is not None:
            return self.levels[min(int(u * len(self.levels)), len(self.levels) - 1)]
        assert self.low is not None and self.high is not None
        if self.integer:
            low, high = int(self.low), int(self.high)
            return min(high, math.floor(low + u * (high - low + 1)))
        return float(self.low + u * (self.high - self.low))

    def check_values(self) -> list[Any]:
        """Values to try on the scenario before running: every level, or both ends and the middle."""
        if self.levels is not None:
            return list(self.levels)
        return [self.from_unit(0.0), self.from_unit(0.5), self.from_unit(1.0)]

    def end_value(self, highest: bool) -> Any:
        """The lowest or highest value the parameter takes (a list's first or last level)."""
        if self.levels is not None:
            return self.levels[-1 if highest else 0]
        return self.from_unit(1.0 if highest else 0.0)

    def to_yaml(self) -> Any:
        """The parameter as written in a sweep file."""
        if self.levels is not None:
            return list(self.levels)
        out: dict[str, Any] = {"low": self.low, "high": self.high}
        if self.steps is not None:
            out["steps"] = self.steps
        if self.integer:
            out["integer"] = True
        return out


@dataclass(frozen=True)
class Threshold:
    """The level an output must stay at or above: marks the critical value of a parameter.

    Attributes:
        output: the output (``detection_rate``).
        above: the level (``0.3``).
        parameter: the swept parameter whose largest value keeps the output above it.
    """

    output: str
    above: float
    parameter: str

    def to_yaml(self) -> dict[str, Any]:
        """The threshold as written in a sweep file."""
        return {"output": self.output, "above": self.above, "parameter": self.parameter}


def _tidy(x: float) -> float | int:
    """A grid value without floating-point dust (0.30000000000000004 -> 0.3); whole numbers stay floats."""
    return float(f"{x:.12g}")


@dataclass(frozen=True)
class Frontier:
    """Two outputs in tension: one to raise, one to lower.

    Attributes:
        maximise: the output to raise (``detection_rate``).
        minimise: the output to lower (``wrongful_stops.total``).
    """

    maximise: str
    minimise: str

    def to_yaml(self) -> dict[str, Any]:
        """The frontier as written in a sweep file."""
        return {"maximise": self.maximise, "minimise": self.minimise}


CONSTRAINT_OPERATORS: tuple[str, ...] = ("<=", ">=")


@dataclass(frozen=True)
class Constraint:
    """A bound an output must keep: ``wrongful_stops.total<=50``.

    Met on the 95% interval of the mean, cautiously: an upper bound (``<=``) by the
    interval's upper end (``ci_high``), a lower bound (``>=``) by its lower end.

    Attributes:
        output: the bounded output.
        operator: ``<=`` or ``>=``.
        level: the bound.
    """

    output: str
    operator: str
    level: float

    @property
    def upper(self) -> bool:
        """Whether the bound is an upper one (``<=``)."""
        return self.operator == "<="

    def to_yaml(self) -> str:
        """The constraint as written in a sweep file."""
        return f"{self.output}{self.operator}{self.level:g}"


def parse_constraint(text: str) -> Constraint:
    """``OUTPUT<=LEVEL`` or ``OUTPUT>=LEVEL`` (spaces allowed) as a `Constraint`.

    Raises:
        ValueError: saying what is wrong.
    """
    found = re.fullmatch(r"\s*([^<>=\s]+)\s*(<=|>=|<|>|=)\s*(\S+)\s*", text)
    if not found:
        raise ValueError("write OUTPUT<=LEVEL or OUTPUT>=LEVEL, e.g. wrongful_stops.total<=50")
    output, operator, level = found.groups()
    if operator not in CONSTRAINT_OPERATORS:
        raise ValueError(f"use <= or >= (a bound the output may reach), not {operator}")
    try:
        number = float(level)
    except ValueError:
        raise ValueError(f"the level must be a number (got {level})") from None
    if not math.isfinite(number):
        raise ValueError(f"the level must be a finite number (got {level})")
    return Constraint(output=output, operator=operator, level=number)
