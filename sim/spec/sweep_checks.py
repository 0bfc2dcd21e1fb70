"""What a sweep file's fields mean: checks beyond their structure.

The structure (types, ranges, unknown fields) is `sim.spec.sweep_model`'s; here,
small checks of meaning, each adding `Problem`s to one `SweepProblems`: the
design's needs (`sim.spec.designs`: samples, second_order, steps or width), the
scenario (loaded and validated), the parameters' field paths and every value
they take applied to the scenario and validated there, the outputs a run
reports, runs.csv's columns, and the threshold.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.errors import _MISSING, Problem, ScenarioError
from sim.spec import limits
from sim.spec.checks import dedupe, did_you_mean
from sim.spec.designs import DEFAULT_DESIGN, DESIGNS, Design
from sim.spec.field_paths import apply_changes, parse_path
from sim.spec.outputs import output_names, output_problem
from sim.spec.scenario import Scenario, load_scenario, scenario_from_dict
from sim.spec.sweep_model import (
    DEFAULT_OUTPUTS,
    Constraint,
    Frontier,
    Parameter,
    Threshold,
    parse_constraint,
    problem_at,
)
from sim.spec.yaml_files import LineMap, PathKey

DEFAULT_THRESHOLD_PARAMETER = "sharing.delay_scale"
"""The parameter whose critical value `threshold` marks, when it is swept and none is named."""

RUN_COLUMNS_BEFORE: tuple[str, ...] = ("point", "replication", "seed")
RUN_COLUMNS_AFTER: tuple[str, ...] = ("error", "scenario_hash", "version")
"""`runs.csv`: these, with one column per parameter (its path) and one per output in between."""


class SweepProblems:
    """Every problem of one sweep file, collected, then raised at once.

    Attributes:
        source: the file, as problems name it.
        lines: field path -> line.
        found: the problems so far (the file's YAML problems first).
    """

    def __init__(self, source: str, lines: LineMap):
        self.source = source
        self.lines = lines
        self.found: list[Problem] = list(lines.problems)

    def add(self, path: PathKey, message: str, value: Any = _MISSING) -> None:
        """Add a problem at `path` (its value is shown unless left out)."""
        self.found.append(problem_at(self.source, self.lines, path, message, value))

    def fail(self) -> None:
        """Raise every problem so far, by file (this one first), line and field.

        Raises:
            ScenarioError: when there is any.
        """
        if self.found:
            problems = sorted(dedupe(self.found), key=lambda p: (p.file != self.source, p.line or 0, p.path))
            raise ScenarioError(problems)


def whole(value: Any, minimum: int, below: int | None = None) -> int | None:
    """`value` if it is a whole number in range (the structure check says why not), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value >= minimum and (below is None or value < below) else None


def is_number(value: Any) -> bool:
    """A finite number (not a bool)."""
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


# ---------------------------------------------------------------- the design's needs


def check_samples(problems: SweepProblems, data: dict[str, Any], design: Design | None) -> int | None:
    """The design's samples: refused by a grid, needed (and suited) by a sampled design. None for an unknown design."""
    if design is None:
        return None
    if not design.takes_samples:
        if "samples" in data:
            takers = " and ".join(d.name for d in DESIGNS.values() if d.takes_samples)
            problems.add(("samples",), f"a {design.name} design takes every combination; samples is for {takers}",
                         data["samples"])  # fmt: skip
        return None
    if data.get("samples") is None:
        problems.add((), f"a {design.name} design needs samples: ({design.samples_meaning})")
        return None
    samples = whole(data["samples"], minimum=2)
    if samples is not None and design.samples_problem(samples):
        problems.add(("samples",), design.samples_problem(samples) or "", samples)
        return None
    return samples


def check_second_order(problems: SweepProblems, data: dict[str, Any], design: Design) -> bool:
    """The file's second_order, when a design that has second-order indices is given one."""
    value = data.get("second_order", False)
    if not isinstance(value, bool):
        return False
    if "second_order" in data and not design.has_second_order:
        having = " or ".join(d.name for d in DESIGNS.values() if d.has_second_order)
        problems.add(("second_order",), f"only a {having} design has second-order indices")
    return value


def check_range(problems: SweepProblems, where: PathKey, spec: dict[str, Any], design: Design) -> Parameter | None:
    """A range parameter: its ends, and the steps or the width its design needs. None when it has a problem."""
    steps = spec.get("steps")
    ok = not _range_structure_problems(spec)
    if design.range_steps and steps is None:
        problems.add(where, f"a range in a {design.name} design needs steps: (how many values, ends included)")
        ok = False
    elif not design.range_steps and steps is not None:
        problems.add((*where, "steps"), f"steps is for grid designs; a {design.name} design samples the range", steps)
        ok = False
    low, high, integer = spec.get("low"), spec.get("high"), spec.get("integer", False)
    if is_number(low) and is_number(high):
        if low > high:
            problems.add(where, "low must not be above high", f"{low} > {high}")
            ok = False
        elif low == high and not design.range_steps:
            problems.add(where, "low equals high: a sampled range needs some width (or give a list of one value)")
            ok = False
        elif low == high and steps not in (None, 1):
            problems.add(where, "low equals high, so steps give one value; write a list of one value")
            ok = False
        if integer and not (float(low).is_integer() and float(high).is_integer()):
            problems.add(where, "an integer range needs whole-number ends", f"{low}..{high}")
            ok = False
    if not ok:
        return None
    if integer:
        low, high = int(low), int(high)
    return Parameter(where[1], low=low, high=high, steps=steps, integer=integer)  # type: ignore[arg-type]


def _range_structure_problems(spec: dict[str, Any]) -> bool:
    """Whether the structure check refuses this range (an unknown field, an end, steps, integer)."""
    steps = spec.get("steps")
    return (
        any(key not in ("low", "high", "steps", "integer") for key in spec)
        or not (is_number(spec.get("low")) and is_number(spec.get("high")))
        or (steps is not None and whole(steps, minimum=1) is None)
        or not isinstance(spec.get("integer", False), bool)
    )


# ---------------------------------------------------------------- the scenario and its fields


def check_scenario(
    problems: SweepProblems, data: dict[str, Any], folder: Path, allow_large: bool = False
) -> tuple[Path, Scenario | None]:
    """The scenario file (resolved against the sweep's folder) and the scenario, validated; its problems added."""
    value = data.get("scenario")
    if not isinstance(value, str) or not value.strip():
        return Path(), None
    path = folder / value
    if not path.is_file():
        problems.add(("scenario",), f"no such file ({path})", value)
        return path, None
    try:
        return path, load_scenario(path, allow_large=allow_large)
    except ScenarioError as exc:
        problems.add(("scenario",), f"the scenario has {len(exc.problems)} problem(s), listed below", value)
        problems.found += exc.problems
        return path, None


def bad_parameter_keys(data: dict[str, Any]) -> set[str]:
    """The parameters named by something other than a field path (their other problems are not reported)."""
    raw = data.get("parameters")
    if not isinstance(raw, dict):
        return set()
    bad = set()
    for key in raw:
        try:
            parse_path(key) if isinstance(key, str) else bad.add(str(key))
        except ValueError:
            bad.add(key)
    return bad


def check_parameters(problems: SweepProblems, data: dict[str, Any], design: Design) -> list[Parameter]:
    """The parameters that pass every check: a field path, and a list of values or a range."""
    raw = data.get("parameters")
    if not isinstance(raw, dict):
        return []
    out = []
    for path, spec in raw.items():
        where: PathKey = ("parameters", str(path))
        if not isinstance(path, str):
            problems.add(where, "a parameter is named by a field path, e.g. sharing.delay_scale", path)
            continue
        try:
            parse_path(path)
        except ValueError as exc:
            problems.add(where, f"not a field path: {exc}", path)
            continue
        if isinstance(spec, list) and spec:
            out.append(Parameter(path, levels=tuple(spec)))
        elif isinstance(spec, dict) and ("low" in spec or "high" in spec):
            parameter = check_range(problems, where, spec, design)
            if parameter is not None:
                out.append(parameter)
    return out


def check_size(
    problems: SweepProblems,
    design: Design,
    parameters: list[Parameter],
    samples: int | None,
    second_order: bool,
    replications: int,
    scenario: Scenario | None,
    allow_large: bool,
) -> bool:
    """Points and runs within `sim.spec.limits`, counted before a point is made; False when refused.

    With `allow_large`, what goes past a limit is let through with a note (the estimate).
    """
    found = []
    for parameter in parameters:
        if parameter.steps is not None:
            found.append(limits.points_excess(("parameters", parameter.path, "steps"), "{} values of one range",
                                              parameter.steps))  # fmt: skip
    points = design.point_count(parameters, samples, second_order)
    where: PathKey = ("samples",) if design.takes_samples else ("parameters",)
    if not any(found):
        found.append(limits.points_excess(where, f"the {design.name} design has {{}} points", points))
    if not any(found):
        work = limits.scenario_work(scenario) if scenario is not None else None
        what = f"{limits.count(points)} points x {limits.count(replications)} replications"
        found.append(limits.runs_excess(("replications",), what, points * replications, work))
    excesses = [e for e in found if e is not None]
    if allow_large:
        limits.note(excesses, problems.source)
        return True
    problems.found += limits.problems_of(excesses, problems.source, problems.lines.line)
    return not excesses


def check_outputs(problems: SweepProblems, data: dict[str, Any], scenario: Scenario | None) -> list[str]:
    """The outputs that pass: listed once, and (when the scenario is known) reported by its runs, as numbers."""
    raw = data.get("outputs", list(DEFAULT_OUTPUTS))
    if not isinstance(raw, list):
        return []
    known = output_names(scenario) if scenario is not None else None
    out: list[str] = []
    for i, name in enumerate(raw):
        if not isinstance(name, str):
            continue
        if name in out:
            problems.add(("outputs", i), "is listed twice", name)
            continue
        message = output_problem(name, known) if known is not None else None
        if message:
            problems.add(("outputs", i), message, name)
            continue
        out.append(name)
    return out


def check_columns(problems: SweepProblems, parameters: list[Parameter], outputs: list[str]) -> None:
    """No two columns of runs.csv share a name."""
    columns = [*RUN_COLUMNS_BEFORE, *(p.path for p in parameters), *outputs, *RUN_COLUMNS_AFTER]
    for name in sorted({c for c in columns if columns.count(c) > 1}):
        problems.add(("outputs",), f"{name!r} would name two columns of runs.csv")


def check_threshold(
    problems: SweepProblems, data: dict[str, Any], outputs: list[str], parameters: list[Parameter], above: float | None
) -> Threshold | None:
    """The threshold: one of the outputs, a level (`above` replaces the file's), one of the swept parameters."""
    raw = data.get("threshold")
    if raw is None and above is None:
        return None
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        return None
    output = raw.get("output", "detection_rate" if "detection_rate" in outputs else (outputs[0] if outputs else None))
    if output not in outputs:
        where = ("threshold", "output") if "output" in raw else ("threshold",)
        problems.add(where, "must be one of the outputs", output)
        return None
    level = above if above is not None else raw.get("above")
    if not is_number(level):
        where = ("threshold", "above") if "above" in raw else ("threshold",)
        problems.add(where, "needs above: a number (the level to stay at or above)", level)
        return None
    paths = [p.path for p in parameters]
    default = DEFAULT_THRESHOLD_PARAMETER if DEFAULT_THRESHOLD_PARAMETER in paths else (paths[0] if paths else None)
    parameter = raw.get("parameter", default)
    if parameter not in paths:
        where = ("threshold", "parameter") if "parameter" in raw else ("threshold",)
        problems.add(where, "must be one of the swept parameters", parameter)
        return None
    return Threshold(output=output, above=float(level), parameter=parameter)


DEFAULT_FRONTIER = Frontier(maximise="detection_rate", minimise="wrongful_stops.total")
"""The frontier drawn when a sweep records both of its outputs and names none: detection against its cost."""


def _among_outputs(problems: SweepProblems, where: PathKey, name: Any, outputs: list[str]) -> bool:
    """Whether `name` is one of the sweep's outputs (else a problem, with a did-you-mean)."""
    if isinstance(name, str) and name in outputs:
        return True
    hint = did_you_mean(str(name), outputs) if isinstance(name, str) else ""
    problems.add(where, f"must be one of the sweep's outputs{hint}; the outputs are {', '.join(outputs)}", name)
    return False


def check_frontier(problems: SweepProblems, data: dict[str, Any], outputs: list[str]) -> Frontier | None:
    """The frontier: two different outputs of the sweep; by default `DEFAULT_FRONTIER` when both are outputs."""
    raw = data.get("frontier")
    if raw is None:
        default = DEFAULT_FRONTIER
        return default if default.maximise in outputs and default.minimise in outputs else None
    if not isinstance(raw, dict):
        return None  # the structure check says why
    ok = True
    for key in ("maximise", "minimise"):
        if key not in raw:
            problems.add(("frontier",), f"needs {key}: one of the outputs")
            ok = False
        elif isinstance(raw[key], str):
            ok = _among_outputs(problems, ("frontier", key), raw[key], outputs) and ok
        else:
            ok = False  # the structure check says why
    if ok and raw["maximise"] == raw["minimise"]:
        problems.add(("frontier",), "maximise and minimise name the same output", raw["maximise"])
        ok = False
    return Frontier(maximise=raw["maximise"], minimise=raw["minimise"]) if ok else None


def check_constraint(
    problems: SweepProblems, data: dict[str, Any], outputs: list[str], frontier: Frontier | None, given: str | None
) -> Constraint | None:
    """The constraint (`given`, from --constraint, replaces the file's): a bound on one of the outputs.

    The report picks the best point meeting it by the frontier's maximised output (or
    detection_rate), so one of those must be recorded too.
    """
    raw = given if given is not None else data.get("constraint")
    where: PathKey = ("constraint",)
    if raw is None or not isinstance(raw, str) or not raw.strip():
        return None  # none, or the structure check says why
    # A constraint from the option is the option's problem, not a line of the file's.
    blamed = problems if given is None else SweepProblems("--constraint", LineMap())
    constraint = _bound_on_an_output(blamed, where if given is None else (), raw, outputs)
    if blamed is not problems:
        problems.found += blamed.found
    if constraint is None:
        return None
    objective = constraint_objective(frontier, outputs)
    if objective is None:
        problems.add(where, "the report picks the best point that meets the constraint by an output to maximise: "
                     "give frontier: {maximise: ..., minimise: ...} or record detection_rate")  # fmt: skip
        return None
    return constraint


def _bound_on_an_output(problems: SweepProblems, where: PathKey, raw: str, outputs: list[str]) -> Constraint | None:
    """`raw` read as a bound on one of `outputs`, or None with the problem added."""
    try:
        constraint = parse_constraint(raw)
    except ValueError as exc:
        problems.add(where, str(exc), raw)
        return None
    return constraint if _among_outputs(problems, where, constraint.output, outputs) else None


def constraint_objective(frontier: Frontier | None, outputs: list[str] | tuple[str, ...]) -> str | None:
    """The output the constraint's pick maximises: the frontier's, else detection_rate if recorded."""
    if frontier is not None:
        return frontier.maximise
    return "detection_rate" if "detection_rate" in outputs else None


# ---------------------------------------------------------------- values on the scenario


def check_values(problems: SweepProblems, scenario: Scenario, parameters: list[Parameter]) -> None:
    """Apply every value each parameter takes, alone, then all lowest and all highest values together."""
    base = scenario.raw
    before = len(problems.found)
    for parameter in parameters:
        where: PathKey = ("parameters", parameter.path)
        said: set[str] = set()
        for index, value in enumerate(parameter.check_values()):
            spot = (*where, index) if parameter.levels is not None else where
            shown = value if parameter.levels is not None else f"{parameter.path}={value_text(value)}"
            message = refusal(base, [(parameter.path, value)], scenario.allow_large)
            if message and message.startswith("selects nothing"):
                problems.add(where, message)
                break
            if message in said:
                continue  # the same refusal whatever the value (an unknown field): said once
            if message:
                said.add(message)
                if parameter.is_range and not parameter.integer and "integer" in message:
                    message += "; add integer: true to the range"
                problems.add(spot, message, shown)
    if len(parameters) > 1 and len(problems.found) == before:
        for highest, label in ((False, "lowest"), (True, "highest")):
            message = refusal(base, [(p.path, p.end_value(highest)) for p in parameters], scenario.allow_large)
            if message:
                problems.add(("parameters",), f"with every parameter at its {label} value, {message}")


def check_points(problems: SweepProblems, scenario: Scenario, points: Sequence[dict[str, Any]]) -> None:
    """Apply every point of a design to the scenario (sampled values fall between the ends checked before)."""
    seen: set[str] = set()
    base = scenario.raw  # a copy, once: `refusal` changes a copy of it (a Sobol' design has thousands of points)
    for number, point in enumerate(points):
        message = refusal(base, list(point.items()), scenario.allow_large)
        if message and message not in seen:
            seen.add(message)
            problems.add(("parameters",), f"point {number} of the design: {message}")


def refusal(base: dict[str, Any], assignments: list[tuple[str, Any]], allow_large: bool = False) -> str | None:
    """Why the scenario refuses these values, or None if it takes them (past the limits, with `allow_large`)."""
    try:
        data = apply_changes(base, assignments, "parameters")
    except ScenarioError as exc:
        return f"selects nothing in the scenario: {exc.problems[0].message}"
    try:
        _validate_cached(json.dumps(data, sort_keys=True, default=str), allow_large)
    except ScenarioError as exc:
        return "; ".join(f"{p.path}: {p.message}" if p.path else p.message for p in exc.problems[:3]) + (
            f" (and {len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        )
    return None


@functools.lru_cache(maxsize=512)
def _validate_cached(text: str, allow_large: bool) -> None:
    scenario_from_dict(json.loads(text), source="<point>", allow_large=allow_large, quiet=True)


def value_text(value: Any) -> str:
    """A parameter value as a `runs.csv` cell: numbers as Python writes them, structures as compact JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value) if not isinstance(value, float) else repr(value)
    return json.dumps(value, separators=(", ", ": "))


def known_design(data: dict[str, Any]) -> Design | None:
    """The file's design, or None when it names none that exists (the structure check says so)."""
    name = data.get("design", DEFAULT_DESIGN)
    return DESIGNS[name] if isinstance(name, str) and name in DESIGNS else None
