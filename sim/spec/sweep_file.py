"""The sweep file: read, validate, and turn into a design of points and replication seeds.

A sweep file names a scenario (a path relative to the sweep file), the fields to
vary (by the same paths as ``--set``), a design, how many replications of each
point, one master seed and the outputs to record::

    scenario: ../baseline-corridor.yaml
    design: grid                 # grid | lhs | sobol
    replications: 20
    seed: 7
    parameters:
      sharing.delay_scale: [0, 0.25, 0.5, 1, 2, 4]
      sharing.links[*].trust: {low: 0.2, high: 1.0, steps: 5}
    outputs: [detection_rate, late_share, median_hours_to_detection]

Everything is checked before a single run starts, and every problem is reported
as ``FILE:LINE: field.path: problem (got VALUE)``, like a scenario's. Each value a
parameter can take is applied to the scenario and validated there, so a trust of
1.5 is refused with the sweep file's line, not discovered in run 3,000.

Seeds: replication ``r`` of every point runs with the same seed, derived from the
master seed with `numpy.random.SeedSequence` (common random numbers across
points: two points differ only by their parameters, not by their luck).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.engine.model import flatten_summary
from sim.engine.one_run import replication_seeds
from sim.errors import Problem, ScenarioError
from sim.spec.checks import dedupe, did_you_mean
from sim.spec.field_types import IDENTIFIERS
from sim.spec.scenario import Scenario, scenario_from_dict
from sim.spec.yaml_files import LineMap, PathKey, format_path, read_yaml

RANGE_FIELDS: tuple[str, ...] = ("low", "high", "steps", "integer")
THRESHOLD_FIELDS: tuple[str, ...] = ("output", "above", "parameter")

DESIGNS: tuple[str, ...] = ("grid", "lhs", "sobol")
"""Designs: every combination of levels; a Latin hypercube sample; a Saltelli/Sobol' sample."""

FIELDS: tuple[str, ...] = (
    "name", "description", "scenario", "design", "samples", "replications", "seed",
    "parameters", "outputs", "threshold", "second_order",
)  # fmt: skip
"""The fields of a sweep file, in the order `sweep.yaml` is written."""

DEFAULT_REPLICATIONS = 10
"""Replications per point when the file does not say: enough for a rough 95% interval."""

DEFAULT_SEED = 0
"""Master seed when neither the sweep nor its scenario gives one (a sweep is always reproducible)."""

DEFAULT_OUTPUTS: tuple[str, ...] = ("detection_rate", "late_share", "median_hours_to_detection")
"""Outputs recorded when the file does not list any: the headline of a run."""

DEFAULT_THRESHOLD_PARAMETER = "sharing.delay_scale"
"""The parameter whose critical value `threshold` marks, when it is swept and none is named."""

RUN_COLUMNS_BEFORE: tuple[str, ...] = ("point", "replication", "seed")
RUN_COLUMNS_AFTER: tuple[str, ...] = ("error", "scenario_hash", "version")
"""`runs.csv`: these, with one column per parameter (its path) and one per output in between."""

TEXT_OUTPUTS = frozenset({"scenario", "version"})
"""Summary keys that are text, not numbers: they cannot be averaged."""


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


@dataclass(frozen=True)
class Sweep:
    """A validated sweep. Build it with `load_sweep` or `sweep_from_dict`.

    Attributes:
        source: the sweep file as the user named it.
        name: a display name (the file's stem unless it says).
        description: what the sweep asks.
        scenario_file: the scenario file, resolved against the sweep file's folder.
        scenario: the validated base scenario.
        design: ``grid``, ``lhs`` or ``sobol``.
        samples: points of an lhs design; the base sample N of a sobol design.
        replications: runs per point, each with its own seed.
        seed: the master seed.
        parameters: the swept fields, in file order.
        outputs: the summary keys recorded per run (nested ones as ``misses.late``).
        threshold: the critical-value marker, if any.
        second_order: a sobol design also estimates second-order indices.
    """

    source: str
    name: str
    description: str
    scenario_file: Path
    scenario: Scenario
    design: str
    samples: int | None
    replications: int
    seed: int
    parameters: tuple[Parameter, ...]
    outputs: tuple[str, ...]
    threshold: Threshold | None = None
    second_order: bool = False
    _points: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)

    @property
    def paths(self) -> list[str]:
        """The parameters' paths, in order."""
        return [p.path for p in self.parameters]

    def points(self) -> list[dict[str, Any]]:
        """The design: one mapping of parameter path to value per point, in point order."""
        if not self._points:
            self._points.extend(design_points(self))
        return self._points

    def replication_seeds(self) -> list[int]:
        """The seed of each replication (the same at every point)."""
        return replication_seeds(self.seed, self.replications)

    @property
    def runs(self) -> int:
        """Points times replications."""
        return len(self.points()) * self.replications

    @property
    def run_columns(self) -> list[str]:
        """The columns of `runs.csv`."""
        return [*RUN_COLUMNS_BEFORE, *self.paths, *self.outputs, *RUN_COLUMNS_AFTER]

    def to_yaml(self, scenario: str | None = None) -> str:
        """The sweep as run (`sweep.yaml`): defaults filled in; `scenario` replaces the scenario path."""
        data: dict[str, Any] = {"name": self.name}
        if self.description:
            data["description"] = self.description.strip()
        data["scenario"] = scenario if scenario is not None else str(self.scenario_file)
        data["design"] = self.design
        if self.samples is not None:
            data["samples"] = self.samples
        data["replications"] = self.replications
        data["seed"] = self.seed
        data["parameters"] = {p.path: p.to_yaml() for p in self.parameters}
        data["outputs"] = list(self.outputs)
        if self.threshold is not None:
            data["threshold"] = {
                "output": self.threshold.output,
                "above": self.threshold.above,
                "parameter": self.threshold.parameter,
            }
        if self.design == "sobol":
            data["second_order"] = self.second_order
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)

    def identity(self) -> str:
        """A hash of everything that decides which runs are made and what they record.

        Replications are left out (a resumed sweep may add some: the seeds of the
        first ones do not change), and so are name, description and threshold.
        """
        data = {
            "scenario": self.scenario.raw,
            "design": self.design,
            "samples": self.samples,
            "seed": self.seed,
            "parameters": {p.path: p.to_yaml() for p in self.parameters},
            "outputs": list(self.outputs),
            "second_order": self.second_order,
        }
        return data_hash(data)

    def describe(self) -> str:
        """One line: design, points, replications, runs."""
        points = len(self.points())
        return (
            f"{self.design} design over {len(self.parameters)} parameter{'s' if len(self.parameters) != 1 else ''}, "
            f"{points} points x {self.replications} replications = {points * self.replications} runs"
        )


# ---------------------------------------------------------------- seeds and designs


def design_seed(master: int) -> int:
    """The seed of the design's own sampling (lhs, sobol): independent of the replication seeds."""
    return int(np.random.SeedSequence(master, spawn_key=(0,)).generate_state(1, dtype=np.uint32)[0])


def design_points(sweep: Sweep) -> list[dict[str, Any]]:
    """Every point of the sweep's design, as path -> value mappings.

    ``grid``: every combination of the values (the first parameter varies slowest).
    ``lhs``: `samples` points of a Latin hypercube (`scipy.stats.qmc`).
    ``sobol``: the Saltelli scheme of SALib, ``samples x (parameters + 2)`` points
    (``x (2 parameters + 2)`` with second-order indices), in the order SALib's
    analysis expects.
    """
    params = sweep.parameters
    if sweep.design == "grid":
        return [
            dict(zip(sweep.paths, combo, strict=True))
            for combo in itertools.product(*(p.grid_values() for p in params))
        ]
    assert sweep.samples is not None
    unit = unit_sample(sweep.design, len(params), sweep.samples, design_seed(sweep.seed), sweep.second_order)
    return [{p.path: p.from_unit(float(u)) for p, u in zip(params, row, strict=True)} for row in unit]


def unit_sample(design: str, dimensions: int, samples: int, seed: int, second_order: bool = False) -> np.ndarray:
    """Points in the unit cube for an lhs or sobol design (rows: points; columns: parameters)."""
    if design == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=dimensions, rng=np.random.default_rng(seed)).random(samples)
    if design == "sobol":
        from SALib.sample import sobol

        problem = sobol_problem(dimensions)
        return sobol.sample(problem, samples, calc_second_order=second_order, scramble=True, seed=seed)
    raise ValueError(f"no unit sample for a {design} design")


def sobol_problem(dimensions: int, names: Sequence[str] | None = None) -> dict[str, Any]:
    """The SALib problem of a sobol design: every parameter on [0, 1] (values are mapped afterwards)."""
    return {
        "num_vars": dimensions,
        "names": list(names) if names is not None else [f"x{i}" for i in range(dimensions)],
        "bounds": [[0.0, 1.0]] * dimensions,
    }


def sobol_points(samples: int, dimensions: int, second_order: bool) -> int:
    """Points of a sobol design: N (D + 2), or N (2 D + 2) with second-order indices."""
    return samples * ((2 * dimensions if second_order else dimensions) + 2)


# ---------------------------------------------------------------- scenarios of points


def data_hash(data: Any) -> str:
    """A short, stable hash of plain data (canonical JSON, keys sorted)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def point_data(base: dict[str, Any], assignments: dict[str, Any] | Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """The scenario data of one point: the base with each parameter set (a copy).

    Raises:
        ValueError: when a path selects nothing.
    """
    from sim.spec.field_paths import set_path

    data = copy.deepcopy(base)
    items = assignments.items() if isinstance(assignments, dict) else assignments
    for path, value in items:
        set_path(data, path, value)
    return data


def value_text(value: Any) -> str:
    """A parameter value as a `runs.csv` cell: numbers as Python writes them, structures as compact JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value) if not isinstance(value, float) else repr(value)
    return json.dumps(value, separators=(", ", ": "))


# ---------------------------------------------------------------- loading and validation


def is_sweep_data(data: Any) -> bool:
    """Whether parsed YAML is a sweep (it has `scenario:` and `parameters:`), not a scenario."""
    return isinstance(data, dict) and "scenario" in data and "parameters" in data


def is_sweep_file(path: str | Path) -> bool:
    """Whether a file is a sweep file; False if it cannot be read (the scenario loader says why)."""
    try:
        data, _ = read_yaml(path)
    except ScenarioError:
        return False
    return is_sweep_data(data)


def load_sweep(path: str | Path, threshold: float | None = None) -> Sweep:
    """Read and validate a sweep file, its scenario, and every value its parameters take.

    Args:
        path: the sweep file.
        threshold: sets (or replaces) ``threshold.above``.

    Returns:
        The validated sweep.

    Raises:
        ScenarioError: listing every problem found.
    """
    data, lines = read_yaml(path)
    return sweep_from_dict(data, source=str(path), lines=lines, folder=Path(path).parent, threshold=threshold)


def sweep_from_dict(
    data: Any,
    source: str = "<sweep>",
    lines: LineMap | None = None,
    folder: str | Path = ".",
    threshold: float | None = None,
) -> Sweep:
    """Validate plain data (as YAML would give) into a `Sweep`.

    Args:
        data: the mapping.
        source: how errors name the input.
        lines: field path -> line, when the data came from a file.
        folder: the folder the scenario path is relative to.
        threshold: sets (or replaces) ``threshold.above``.

    Raises:
        ScenarioError: listing every problem found.
    """
    checker = _Checker(source, lines or LineMap())
    return checker.sweep(data, Path(folder), threshold)


class _Checker:
    """Collects every problem of one sweep file."""

    def __init__(self, source: str, lines: LineMap):
        self.source = source
        self.lines = lines
        self.problems: list[Problem] = list(lines.problems)

    def add(self, path: PathKey, message: str, value: Any = None, show: bool = True) -> None:
        problem = Problem(self.source, self.lines.line(path), _sweep_path(path), message)
        if show:
            problem = Problem(problem.file, problem.line, problem.path, message, value)
        self.problems.append(problem)

    def fail(self) -> None:
        if self.problems:
            problems = sorted(dedupe(self.problems), key=lambda p: (p.file != self.source, p.line or 0, p.path))
            raise ScenarioError(problems)

    # -------------------------------------------------------- fields

    def sweep(self, data: Any, folder: Path, threshold: float | None) -> Sweep:
        if not isinstance(data, dict):
            self.add((), "a sweep must be a mapping of fields", data)
            self.fail()
        for key in data:
            if key not in FIELDS:
                self.add(
                    (key,),
                    f"unknown field{did_you_mean(str(key), FIELDS)}; a sweep has {', '.join(FIELDS)}",
                    key,
                    show=False,
                )

        name = self.text(data, "name", default=Path(self.source).stem or "sweep")
        description = self.text(data, "description", default="")
        design = data.get("design", "grid")
        known_design = design in DESIGNS
        if not known_design:
            self.add(
                ("design",),
                f"unknown design{did_you_mean(str(design), DESIGNS)}; use one of {', '.join(DESIGNS)}",
                design,
            )
            design = "grid"
        samples = self.samples(data, design) if known_design else None
        replications = self.whole(data, "replications", DEFAULT_REPLICATIONS, minimum=1)
        second_order = data.get("second_order", False)
        if not isinstance(second_order, bool):
            self.add(("second_order",), "must be true or false", second_order)
            second_order = False
        elif "second_order" in data and design != "sobol":
            self.add(("second_order",), "only a sobol design has second-order indices", show=False)

        scenario = self.scenario(data, folder)
        seed = self.whole(data, "seed", None, minimum=0, below=2**63)
        if seed is None:
            seed = scenario.seed if scenario is not None and scenario.seed is not None else DEFAULT_SEED
        parameters = self.parameters(data, design)
        outputs = self.outputs(data, scenario)
        columns = [*RUN_COLUMNS_BEFORE, *(p.path for p in parameters), *outputs, *RUN_COLUMNS_AFTER]
        for name_ in sorted({c for c in columns if columns.count(c) > 1}):
            self.add(("outputs",), f"{name_!r} would name two columns of runs.csv", name_, show=False)
        limit = self.threshold(data, outputs, parameters, threshold)
        if scenario is not None:
            self.values(scenario, parameters)
        self.fail()
        assert scenario is not None  # else a problem was added and fail() raised
        sweep = Sweep(
            source=self.source,
            name=name,
            description=description,
            scenario_file=self.scenario_file,
            scenario=scenario,
            design=design,
            samples=samples,
            replications=replications,
            seed=seed,
            parameters=tuple(parameters),
            outputs=tuple(outputs),
            threshold=limit,
            second_order=second_order,
        )
        if design != "grid":
            self.sampled_points(sweep)
            self.fail()
        return sweep

    def text(self, data: dict[str, Any], key: str, default: str) -> str:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            self.add((key,), "must be text", value)
            return default
        return value

    def whole(self, data: dict[str, Any], key: str, default: Any, minimum: int, below: int | None = None) -> Any:
        if key not in data or data[key] is None:
            return default
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add((key,), "must be a whole number", value)
            return default
        if value < minimum or (below is not None and value >= below):
            self.add((key,), f"must be at least {minimum}" + (" and below 2**63" if below else ""), value)
            return default
        return value

    def samples(self, data: dict[str, Any], design: str) -> int | None:
        if design == "grid":
            if "samples" in data:
                self.add(
                    ("samples",), "a grid design takes every combination; samples is for lhs and sobol", data["samples"]
                )
            return None
        if "samples" not in data:
            self.add(
                (),
                f"a {design} design needs samples: (how many points"
                + (" in its base sample)" if design == "sobol" else ")"),
                show=False,
            )
            return None
        samples = self.whole(data, "samples", None, minimum=2)
        if samples is not None and design == "sobol" and samples & (samples - 1):
            self.add(
                ("samples",),
                "a sobol design needs a power of 2 (e.g. 64, 128, 256) for its convergence properties",
                samples,
            )
            return None
        return samples

    def scenario(self, data: dict[str, Any], folder: Path) -> Scenario | None:
        self.scenario_file = Path()
        value = data.get("scenario")
        if not isinstance(value, str) or not value.strip():
            self.add(("scenario",), "give the scenario file, relative to this sweep file", value)
            return None
        path = folder / value
        self.scenario_file = path
        if not path.is_file():
            self.add(("scenario",), f"no such file ({path})", value)
            return None
        from sim.spec.scenario import load_scenario

        try:
            return load_scenario(path)
        except ScenarioError as exc:
            self.add(("scenario",), f"the scenario has {len(exc.problems)} problem(s), listed below", value)
            self.problems += exc.problems
            return None

    def parameters(self, data: dict[str, Any], design: str) -> list[Parameter]:
        from sim.spec.field_paths import parse_path

        raw = data.get("parameters")
        if not isinstance(raw, dict) or not raw:
            self.add(
                ("parameters",),
                "give at least one field path with its values, e.g. sharing.delay_scale: [0.5, 1, 2]",
                raw,
            )
            return []
        out = []
        for path, spec in raw.items():
            where: PathKey = ("parameters", str(path))
            if not isinstance(path, str):
                self.add(where, "a parameter is named by a field path, e.g. sharing.delay_scale", path)
                continue
            try:
                parse_path(path)
            except ValueError as exc:
                self.add(where, f"not a field path: {exc}", path)
                continue
            parameter = self.parameter(where, path, spec, design)
            if parameter is not None:
                out.append(parameter)
        return out

    def parameter(self, where: PathKey, path: str, spec: Any, design: str) -> Parameter | None:
        if isinstance(spec, list):
            if not spec:
                self.add(where, "give at least one value", spec)
                return None
            return Parameter(path, levels=tuple(spec))
        if not isinstance(spec, dict) or "low" not in spec and "high" not in spec:
            self.add(
                where,
                "give a list of values, e.g. [0.5, 1, 2], or a range {low: 0.2, high: 1, steps: 5}"
                + ("" if design == "grid" else " ({low, high} for an lhs or sobol design)"),
                spec,
            )
            return None
        ok = True
        for key in spec:
            if key not in RANGE_FIELDS:
                self.add(
                    (*where, key),
                    f"unknown field{did_you_mean(str(key), RANGE_FIELDS)}; a range has {', '.join(RANGE_FIELDS)}",
                    key,
                    show=False,
                )
                ok = False
        ends = {}
        for key in ("low", "high"):
            value = spec.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                self.add((*where, key) if key in spec else where, f"a range needs {key}: a number", value)
                ok = False
            else:
                ends[key] = value
        integer = spec.get("integer", False)
        if not isinstance(integer, bool):
            self.add((*where, "integer"), "must be true or false", integer)
            ok = False
        steps = spec.get("steps")
        if design == "grid":
            if steps is None:
                self.add(where, "a range in a grid design needs steps: (how many values, ends included)", show=False)
                ok = False
            elif isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                self.add((*where, "steps"), "must be a whole number >= 1", steps)
                ok = False
        elif steps is not None:
            self.add((*where, "steps"), f"steps is for grid designs; a {design} design samples the range", steps)
            ok = False
        if len(ends) == 2:
            if ends["low"] > ends["high"]:
                self.add(where, "low must not be above high", f"{ends['low']} > {ends['high']}")
                ok = False
            elif design != "grid" and ends["low"] == ends["high"]:
                self.add(
                    where, "low equals high: a sampled range needs some width (or give a list of one value)", show=False
                )
                ok = False
            elif design == "grid" and steps not in (None, 1) and ends["low"] == ends["high"]:
                self.add(where, "low equals high, so steps give one value; write a list of one value", show=False)
                ok = False
            if integer and not all(float(v).is_integer() for v in ends.values()):
                self.add(where, "an integer range needs whole-number ends", f"{ends['low']}..{ends['high']}")
                ok = False
        if not ok:
            return None
        low, high = ends["low"], ends["high"]
        if integer:
            low, high = int(low), int(high)
        return Parameter(path, low=low, high=high, steps=steps, integer=integer)

    def outputs(self, data: dict[str, Any], scenario: Scenario | None) -> list[str]:
        raw = data.get("outputs", list(DEFAULT_OUTPUTS))
        if not isinstance(raw, list) or not raw:
            self.add(("outputs",), "give a list of summary keys, e.g. [detection_rate, late_share]", raw)
            return []
        known = output_names(scenario) if scenario is not None else None
        out: list[str] = []
        for i, name in enumerate(raw):
            where = ("outputs", i)
            if not isinstance(name, str):
                self.add(where, "an output is a summary key, e.g. detection_rate or misses.late", name)
                continue
            if name in out:
                self.add(where, "is listed twice", name)
                continue
            if known is not None:
                message = _output_problem(name, known)
                if message:
                    self.add(where, message, name)
                    continue
            out.append(name)
        return out

    def threshold(
        self, data: dict[str, Any], outputs: list[str], parameters: list[Parameter], above: float | None
    ) -> Threshold | None:
        raw = data.get("threshold")
        if raw is None and above is None:
            return None
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.add(("threshold",), "write {output: detection_rate, above: 0.3}", raw)
            return None
        for key in raw:
            if key not in THRESHOLD_FIELDS:
                self.add(
                    ("threshold", key),
                    f"unknown field{did_you_mean(str(key), THRESHOLD_FIELDS)}; "
                    f"a threshold has {', '.join(THRESHOLD_FIELDS)}",
                    key,
                    show=False,
                )
        output = raw.get(
            "output", "detection_rate" if "detection_rate" in outputs else (outputs[0] if outputs else None)
        )
        if output not in outputs:
            self.add(
                ("threshold", "output") if "output" in raw else ("threshold",), "must be one of the outputs", output
            )
            return None
        level = above if above is not None else raw.get("above")
        if isinstance(level, bool) or not isinstance(level, int | float) or not math.isfinite(level):
            self.add(
                ("threshold", "above") if "above" in raw else ("threshold",),
                "needs above: a number (the level to stay at or above)",
                level,
            )
            return None
        paths = [p.path for p in parameters]
        default = DEFAULT_THRESHOLD_PARAMETER if DEFAULT_THRESHOLD_PARAMETER in paths else (paths[0] if paths else None)
        parameter = raw.get("parameter", default)
        if parameter not in paths:
            self.add(
                ("threshold", "parameter") if "parameter" in raw else ("threshold",),
                "must be one of the swept parameters",
                parameter,
            )
            return None
        return Threshold(output=output, above=float(level), parameter=parameter)

    # -------------------------------------------------------- values on the scenario

    def values(self, scenario: Scenario, parameters: list[Parameter]) -> None:
        """Apply every value each parameter takes, alone, then all lows and all highs together."""
        base = scenario.raw
        before = len(self.problems)
        for parameter in parameters:
            where: PathKey = ("parameters", parameter.path)
            for index, value in enumerate(parameter.check_values()):
                spot = (*where, index) if parameter.levels is not None else where
                shown = value if parameter.levels is not None else f"{parameter.path}={value_text(value)}"
                message = _refusal(base, [(parameter.path, value)])
                if message and message.startswith("selects nothing"):
                    self.add(where, message, show=False)
                    break
                if message:
                    if parameter.is_range and not parameter.integer and "integer" in message:
                        message += "; add integer: true to the range"
                    self.add(spot, message, shown)
        if len(parameters) > 1 and len(self.problems) == before:
            for end, label in ((0.0, "lowest"), (1.0, "highest")):
                pairs = [
                    (p.path, p.from_unit(end) if p.is_range else p.levels[0 if end == 0 else -1]) for p in parameters
                ]  # type: ignore[index]
                message = _refusal(base, pairs)
                if message:
                    self.add(("parameters",), f"with every parameter at its {label} value, {message}", show=False)

    def sampled_points(self, sweep: Sweep) -> None:
        """For lhs and sobol designs, check every sampled point (values in between may be refused)."""
        base = sweep.scenario.raw
        seen: set[str] = set()
        for number, point in enumerate(sweep.points()):
            message = _refusal(base, list(point.items()))
            if message and message not in seen:
                seen.add(message)
                self.add(("parameters",), f"point {number} of the design: {message}", show=False)


def _refusal(base: dict[str, Any], assignments: list[tuple[str, Any]]) -> str | None:
    """Why the scenario refuses these values, or None if it takes them."""
    try:
        data = point_data(base, assignments)
    except ValueError as exc:
        return f"selects nothing in the scenario: {exc}"
    try:
        _validate_cached(json.dumps(data, sort_keys=True, default=str))
    except ScenarioError as exc:
        return "; ".join(f"{p.path}: {p.message}" if p.path else p.message for p in exc.problems[:3]) + (
            f" (and {len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        )
    return None


@functools.lru_cache(maxsize=512)
def _validate_cached(text: str) -> None:
    scenario_from_dict(json.loads(text), source="<point>")


def output_names(scenario: Scenario) -> dict[str, Any]:
    """Every summary key a run of `scenario` reports (flattened), with an example value.

    Found by running the scenario with no travellers (instant), plus the per-country,
    per-agency and per-identifier detection counts that a run with travellers adds.
    """
    from sim.engine.one_run import run_one

    empty = scenario.raw
    empty["travellers"]["count"] = 0
    empty["injects"] = []
    summary = run_one(scenario_from_dict(empty), seed=0, tables=False).summary
    names = flatten_summary(summary)
    for country in scenario.countries:
        names[f"detections_by_country.{country.id}"] = 0
    for agency in scenario.agencies:
        if agency.screens:
            names[f"detections_by_agency.{agency.id}"] = 0
    for identifier in IDENTIFIERS:
        names[f"detections_by_identifier.{identifier}"] = 0
    return names


def _output_problem(name: str, known: dict[str, Any]) -> str | None:
    if name in known:
        return "is text, not a number: it cannot be averaged" if name in TEXT_OUTPUTS else None
    group = [k for k in known if k.startswith(name + ".")]
    if group:
        return f"is a group of outputs; name one, e.g. {', '.join(group[:5])}"
    return f"no run reports this output{did_you_mean(name, [k for k in known if k not in TEXT_OUTPUTS])}"


def _sweep_path(path: PathKey) -> str:
    """Field path of a sweep problem; a parameter is named by its own path in brackets."""
    if len(path) >= 2 and path[0] == "parameters" and isinstance(path[1], str):
        return f"parameters[{path[1]}]" + format_path(("x", *path[2:]))[1:]
    return format_path(path)




def _tidy(x: float) -> float | int:
    """A grid value without floating-point dust (0.30000000000000004 -> 0.3); whole numbers stay floats."""
    return float(f"{x:.12g}")
