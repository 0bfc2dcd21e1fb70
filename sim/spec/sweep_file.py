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

The structure (types, ranges, unknown fields) is checked by pydantic models
(`sim.spec.sweep_model`, also the file's JSON Schema: `sweep_json_schema`), the
meaning by small checks (`sim.spec.sweep_checks`); what differs between designs
is asked of the design's object (`sim.spec.designs.DESIGNS`).

Seeds: replication ``r`` of every point runs with the same seed, derived from the
master seed with `numpy.random.SeedSequence` (common random numbers across
points: two points differ only by their parameters, not by their luck).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.spec.designs import DEFAULT_DESIGN, DESIGNS, Design
from sim.spec.scenario import Scenario
from sim.spec.seeds import replication_seeds
from sim.spec.sweep_checks import (
    RUN_COLUMNS_AFTER,
    RUN_COLUMNS_BEFORE,
    SweepProblems,
    bad_parameter_keys,
    check_columns,
    check_constraint,
    check_frontier,
    check_outputs,
    check_parameters,
    check_points,
    check_samples,
    check_scenario,
    check_second_order,
    check_size,
    check_threshold,
    check_values,
    known_design,
    whole,
)
from sim.spec.sweep_model import (
    Constraint,
    Frontier,
    Parameter,
    Threshold,
    structure_problems,
)
from sim.spec.yaml_files import LineMap, PathKey, read_yaml

DEFAULT_REPLICATIONS = 10
"""Replications per point when the file does not say: enough for a rough 95% interval."""

DEFAULT_SEED = 0
"""Master seed when neither the sweep nor its scenario gives one (a sweep is always reproducible)."""


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
        frontier: the two outputs in tension (frontier.png and the report's non-dominated points), if any.
        constraint: the bound the report's pick must meet, if any.
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
    frontier: Frontier | None = None
    constraint: Constraint | None = None
    _points: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)

    @property
    def paths(self) -> list[str]:
        """The parameters' paths, in order."""
        return [p.path for p in self.parameters]

    @property
    def design_spec(self) -> Design:
        """The design's object (`sim.spec.designs`): its points, analysis and figures."""
        return DESIGNS[self.design]

    def points(self) -> list[dict[str, Any]]:
        """The design: one mapping of parameter path to value per point, in point order."""
        if not self._points:
            self._points.extend(self.design_spec.points(self.parameters, self.samples, self.seed, self.second_order))
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
            data["threshold"] = self.threshold.to_yaml()
        if self.frontier is not None:
            data["frontier"] = self.frontier.to_yaml()
        if self.constraint is not None:
            data["constraint"] = self.constraint.to_yaml()
        if self.design_spec.has_second_order:
            data["second_order"] = self.second_order
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)

    def identity(self) -> str:
        """A hash of everything that decides which runs are made and what they record.

        Replications are left out (a resumed sweep may add some: the seeds of the
        first ones do not change), and so are name, description, threshold, frontier
        and constraint (they change the report, not the runs).
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


def data_hash(data: Any) -> str:
    """A short, stable hash of plain data (canonical JSON, keys sorted)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- loading and validation


def is_sweep_data(data: Any) -> bool:
    """Whether parsed YAML is a sweep (it has `scenario:` and `parameters:`), not a scenario."""
    return isinstance(data, dict) and "scenario" in data and "parameters" in data


def load_sweep(
    path: str | Path, threshold: float | None = None, allow_large: bool = False, constraint: str | None = None
) -> Sweep:
    """Read and validate a sweep file, its scenario, and every value its parameters take.

    Args:
        path: the sweep file.
        threshold: sets (or replaces) ``threshold.above``.
        allow_large: let the file, its scenario, points and runs past the limits of
            `sim.spec.limits` (``--allow-large``), with a note giving each estimate.
        constraint: sets (or replaces) ``constraint`` (``--constraint``), e.g. ``wrongful_stops.total<=50``.

    Returns:
        The validated sweep.

    Raises:
        ScenarioError: listing every problem found.
    """
    data, lines = read_yaml(path, allow_large)
    return sweep_from_dict(data, source=str(path), lines=lines, folder=Path(path).parent, threshold=threshold,
                           allow_large=allow_large, constraint=constraint)  # fmt: skip


def sweep_from_dict(
    data: Any,
    source: str = "<sweep>",
    lines: LineMap | None = None,
    folder: str | Path = ".",
    threshold: float | None = None,
    allow_large: bool = False,
    constraint: str | None = None,
) -> Sweep:
    """Validate plain data (as YAML would give) into a `Sweep`.

    First the structure (`sim.spec.sweep_model`), then the meaning
    (`sim.spec.sweep_checks`): every problem of both is reported at once. A
    sampled design's points are then each checked on the scenario.

    Args:
        data: the mapping.
        source: how errors name the input.
        lines: field path -> line, when the data came from a file.
        folder: the folder the scenario path is relative to.
        threshold: sets (or replaces) ``threshold.above``.
        allow_large: let it past the limits of `sim.spec.limits`, with a note giving each estimate.
        constraint: sets (or replaces) ``constraint``.

    Raises:
        ScenarioError: listing every problem found.
    """
    problems = SweepProblems(source, lines or LineMap())
    if not isinstance(data, dict):
        problems.add((), "a sweep must be a mapping of fields", data)
        problems.fail()
    sweep = _checked_sweep(problems, data, Path(folder), threshold, allow_large, constraint)
    if sweep.design_spec.checks_every_point:
        check_points(problems, sweep.scenario, sweep.points())
        problems.fail()
    return sweep


def _checked_sweep(
    problems: SweepProblems,
    data: dict[str, Any],
    folder: Path,
    threshold: float | None,
    allow_large: bool,
    constraint: str | None = None,
) -> Sweep:
    """Every check of the fields; the sweep when none has a problem (else `ScenarioError`)."""
    design = known_design(data)
    skipped = bad_parameter_keys(data)

    def skip(path: PathKey) -> bool:
        # Checked with more context by sweep_checks: samples (by the design), a parameter not named
        # by a field path, the threshold's output, level and parameter (against the other fields).
        return (
            (path[0] == "samples" and (design is None or not design.takes_samples))
            or (path[0] == "parameters" and len(path) > 1 and path[1] in skipped)
            or (path[0] == "threshold" and len(path) > 1 and path[1] in ("output", "above", "parameter"))
        )

    problems.found += structure_problems(data, problems.source, problems.lines, skip)
    samples = check_samples(problems, data, design)
    design = design or DESIGNS[DEFAULT_DESIGN]
    second_order = check_second_order(problems, data, design)
    scenario_file, scenario = check_scenario(problems, data, folder, allow_large)
    seed = whole(data.get("seed"), minimum=0, below=2**63)
    if seed is None:
        seed = scenario.seed if scenario is not None and scenario.seed is not None else DEFAULT_SEED
    parameters = check_parameters(problems, data, design)
    outputs = check_outputs(problems, data, scenario)
    check_columns(problems, parameters, outputs)
    limit = check_threshold(problems, data, outputs, parameters, threshold)
    frontier = check_frontier(problems, data, outputs)
    bound = check_constraint(problems, data, outputs, frontier, constraint)
    replications = whole(data.get("replications"), minimum=1)
    replications = DEFAULT_REPLICATIONS if replications is None else replications
    sized = check_size(problems, design, parameters, samples, second_order, replications, scenario, allow_large)
    if scenario is not None and sized:
        check_values(problems, scenario, parameters)
    problems.fail()
    assert scenario is not None  # else a problem was added and fail() raised
    name, description = data.get("name"), data.get("description")
    return Sweep(
        source=problems.source,
        name=name if isinstance(name, str) else Path(problems.source).stem or "sweep",
        description=description if isinstance(description, str) else "",
        scenario_file=scenario_file,
        scenario=scenario,
        design=design.name,
        samples=samples,
        replications=replications,
        seed=seed,
        parameters=tuple(parameters),
        outputs=tuple(outputs),
        threshold=limit,
        second_order=second_order,
        frontier=frontier,
        constraint=bound,
    )
