"""The model as an EMA Workbench model: field paths as uncertainties and levers, summary keys as outcomes.

`ema_model` returns a ready `ema_workbench.ReplicatorModel`, so a researcher who
uses EMA Workbench samples, runs (`perform_experiments`, any evaluator) and
analyses (PRIM, feature scoring, ...) the scenario without writing an adapter:

* every uncertainty and lever is a scenario field, named by the paths of
  ``--set`` and of sweep files (``sharing.links[*].trust``), and takes the same
  values a sweep file's parameter does: ``(low, high)`` or ``{"low", "high"}``
  is a real range (`RealParameter`), ``{"low", "high", "integer": True}`` a
  whole-number one (`IntegerParameter`), a list of two or more values its levels
  (`CategoricalParameter`);
* every outcome is a key of a run's summary (``detection_rate``, ``misses.late``),
  an `ArrayOutcome` holding one value per replication (float; NaN where a run has
  none, e.g. no detection to time);
* replication r runs with ``sim.spec.seeds.replication_seeds(seed, n)[r]``, the
  seed `tabletop sweep` gives replication r for the same master seed, and each run
  is the sweep's own task (`sim.experiments.sweep_runner.execute_run`), so EMA's
  value for (point, replication) is the one in the sweep's ``runs.csv``.

EMA needs Python identifiers for names, which field paths and summary keys are
not. Each gets one (`ema_name`: ``sharing.links[HAL-INT->HAL-BRD].trust`` ->
``sharing_links_HAL_INT_to_HAL_BRD_trust``, ``*`` -> ``all``, ``misses.late`` ->
``misses_late``); the path stays the parameter's (and the outcome's)
``variable_name``, which is what the run receives. `field_paths` and
`summary_keys` give the mapping back, and `runs_table` turns EMA's results into
one row per run with the sweep's column names.

EMA Workbench is imported only by this module: nothing else in the package needs it.
"""

from __future__ import annotations

import dataclasses
import json
import keyword
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

with warnings.catch_warnings():  # EMA's note about an evaluator this module does not use (ipyparallel)
    warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
    from ema_workbench import ArrayOutcome, CategoricalParameter, IntegerParameter, RealParameter, ReplicatorModel

from sim.errors import SimError
from sim.experiments.sweep_runner import RunTask, execute_run
from sim.spec.designs import DESIGNS
from sim.spec.scenario import Scenario, load_scenario
from sim.spec.seeds import replication_seeds
from sim.spec.sweep_checks import SweepProblems, check_outputs, check_parameters, check_values, whole
from sim.spec.sweep_file import DEFAULT_SEED
from sim.spec.sweep_model import DEFAULT_OUTPUTS, Parameter
from sim.spec.yaml_files import LineMap

if TYPE_CHECKING:
    import pandas as pd
    from ema_workbench.em_framework.parameters import Parameter as EmaParameter

__all__ = ["SEED_KEYWORD", "TabletopRuns", "ema_model", "ema_name", "field_paths", "runs_table", "summary_keys"]

SEED_KEYWORD = "seed"
"""The keyword of each replication's seed (EMA passes a replication's entries to the function)."""

SOURCE = "<ema_model>"
"""How problems name the input."""

ParameterSpec = tuple[float, float] | Mapping[str, Any] | Sequence[Any]
"""An uncertainty or a lever: ``(low, high)``, ``{"low", "high", "integer"}``, or a list of values."""


# ---------------------------------------------------------------- the runs


@dataclass(frozen=True)
class TabletopRuns:
    """The model's function for EMA: one run of the scenario at a point, with one replication's seed.

    Plain data, module-level, so it pickles to EMA's worker processes.

    Attributes:
        scenario: the base scenario as compact JSON (as the sweep's tasks carry it).
        paths: the field paths, uncertainties first, then levers: the order their values are applied in.
        outputs: the summary keys to report.
    """

    scenario: str
    paths: tuple[str, ...]
    outputs: tuple[str, ...]

    def __call__(self, **values: Any) -> dict[str, float]:
        """Run once: `values` maps field paths to values, and ``seed`` to the replication's seed.

        Returns:
            summary key -> value, as a float (NaN where the run has none).

        Raises:
            SimError: the scenario refuses the point's values, or the run fails.
        """
        seed = int(values.pop(SEED_KEYWORD))
        assignments = [[path, _plain(values[path])] for path in self.paths if path in values]
        task = RunTask(0, 0, seed, self.scenario, json.dumps(assignments), self.outputs)
        outcome = execute_run(task)
        if outcome.error is not None:
            raise SimError(f"the run with seed {seed} at {dict(map(tuple, assignments))} failed: {outcome.error}")
        return {key: np.nan if value is None else float(value) for key, value in outcome.values.items()}


def _plain(value: Any) -> Any:
    """A numpy scalar (EMA samples them) as the Python number a sweep file would give."""
    return value.item() if isinstance(value, np.generic) else value


# ---------------------------------------------------------------- the model


def ema_model(
    scenario: Scenario | str | Path,
    uncertainties: Mapping[str, ParameterSpec] | None = None,
    levers: Mapping[str, ParameterSpec] | None = None,
    outcomes: Sequence[str] = DEFAULT_OUTPUTS,
    replications: int = 10,
    seed: int | None = None,
    name: str = "tabletop",
) -> ReplicatorModel:
    """An EMA Workbench model of the scenario: ready for `perform_experiments` with any evaluator.

    Args:
        scenario: the base scenario, or its file. Fields not varied keep its values
            (change some first with `sim.spec.scenario.changed_scenario`).
        uncertainties: field path -> ``(low, high)`` (a real range), ``{"low": .., "high": ..,
            "integer": True}`` (a whole-number range), or a list of two or more values (levels),
            as a sweep file's parameters take them.
        levers: the same, for the levers (EMA's policies).
        outcomes: summary keys (or one), nested ones dotted (``misses.late``); each becomes an
            `ArrayOutcome` with one value per replication.
        replications: runs per experiment.
        seed: the master seed (default: the scenario's, else 0, as for a sweep); replication r
            uses the seed a sweep with this master seed gives replication r.
        name: the model's name (a Python identifier).

    Returns:
        A `ReplicatorModel` whose function is a picklable `TabletopRuns`. Its parameters and
        outcomes are named by `ema_name`; their ``variable_name`` is the field path or summary key.

    Raises:
        ScenarioError: listing every problem (a path that selects nothing, a value the
            scenario refuses, an unknown outcome, ...) before any run.
    """
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    uncertainties, levers = dict(uncertainties or {}), dict(levers or {})
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    problems = SweepProblems(SOURCE, LineMap())
    reps = whole(replications, minimum=1)
    if reps is None:
        problems.add(("replications",), "should be a whole number, at least 1", replications)
    master = base.seed if seed is None else whole(seed, minimum=0, below=2**63)
    if master is None and seed is not None:
        problems.add(("seed",), "should be a whole number from 0 to 2**63 - 1", seed)
    if not name.isidentifier() or keyword.iskeyword(name):
        problems.add(("name",), "EMA Workbench needs a Python identifier", name)
    parameters = _parameters(problems, base, uncertainties, levers)
    checked = check_outputs(problems, {"outputs": outcomes}, base)
    if not outcomes:
        problems.add(("outcomes",), "name at least one summary key, e.g. detection_rate")
    _fail(problems, uncertainties, levers)
    assert reps is not None

    paths = [p.path for p in parameters]
    runs = TabletopRuns(json.dumps(base.raw, separators=(",", ":")), tuple(paths), tuple(checked))
    model = ReplicatorModel(name, function=runs)
    names = _names(paths, reserved={*dir(model), SEED_KEYWORD})  # EMA sets a lever named like an attribute
    model.uncertainties = [_ema_parameter(names[p.path], p) for p in parameters if p.path in uncertainties]
    model.levers = [_ema_parameter(names[p.path], p) for p in parameters if p.path in levers]
    outcome_names = _names(checked, set())
    model.outcomes = [ArrayOutcome(outcome_names[key], variable_name=key) for key in checked]
    seeds = replication_seeds(DEFAULT_SEED if master is None else master, reps)
    model.replications = [{SEED_KEYWORD: s} for s in seeds]
    return model


def _parameters(
    problems: SweepProblems, base: Scenario, uncertainties: dict[str, Any], levers: dict[str, Any]
) -> list[Parameter]:
    """The uncertainties and levers as the sweep's `Parameter`s, checked as a sweep checks its parameters."""
    data: dict[str, Any] = {}
    for specs in (uncertainties, levers):
        for path, spec in specs.items():
            where = ("parameters", str(path))
            if path in data:
                problems.add(where, "is both an uncertainty and a lever")
                continue
            if path == SEED_KEYWORD:
                problems.add(where, "the replications set the seed (give the master seed as seed=)")
                continue
            if isinstance(spec, tuple) and len(spec) == 2:
                spec = {"low": spec[0], "high": spec[1]}
            message = _spec_problem(spec)
            if message:
                problems.add(where, message, spec)
                continue
            data[path] = list(spec) if isinstance(spec, Sequence) else dict(spec)
    parameters = check_parameters(problems, {"parameters": data}, DESIGNS["lhs"])
    check_values(problems, base, parameters)
    return parameters


def _spec_problem(spec: Any) -> str | None:
    """Why `spec` is no uncertainty or lever (its shape only; its values are checked on the scenario)."""
    if isinstance(spec, Mapping):
        unknown = [k for k in spec if k not in ("low", "high", "integer")]
        if unknown or not all(isinstance(spec.get(k), int | float) for k in ("low", "high")):
            return 'a range is (low, high) or {"low": .., "high": ..} with numbers, and "integer": True for whole ones'
        if not isinstance(spec.get("integer", False), bool):
            return '"integer" is True or False'
        return None
    if isinstance(spec, Sequence) and not isinstance(spec, str):
        if len(spec) < 2:
            return "a list of levels needs two or more values (set a fixed value on the scenario instead)"
        return None
    return 'give (low, high), {"low": .., "high": .., "integer": True}, or a list of values'


def _fail(problems: SweepProblems, uncertainties: dict[str, Any], levers: dict[str, Any]) -> None:
    """Raise every problem, named as the caller gave it: ``uncertainties[PATH]``, ``levers[PATH]``, ``outcomes[i]``."""
    renamed = []
    for problem in problems.found:
        path = problem.path
        for group, specs in (("uncertainties", uncertainties), ("levers", levers)):
            for key in specs:
                if path.startswith(f"parameters[{key}]"):
                    path = group + path[len("parameters") :]
        if path == "parameters":
            path = "uncertainties and levers"
        elif path.startswith("outputs["):
            path = "outcomes" + path[len("outputs") :]
        renamed.append(dataclasses.replace(problem, path=path))
    problems.found = renamed
    problems.fail()


def _ema_parameter(name: str, parameter: Parameter) -> EmaParameter:
    """The EMA parameter of a checked sweep parameter, named `name`, its variable the field path."""
    if parameter.levels is not None:
        return CategoricalParameter(name, list(parameter.levels), variable_name=parameter.path)
    if parameter.integer:
        return IntegerParameter(name, int(parameter.low), int(parameter.high), variable_name=parameter.path)  # type: ignore[arg-type]
    return RealParameter(name, float(parameter.low), float(parameter.high), variable_name=parameter.path)  # type: ignore[arg-type]


# ---------------------------------------------------------------- names


def ema_name(key: str) -> str:
    """A Python identifier for a field path or summary key, readable and stable.

    ``->`` becomes ``_to_``, ``*`` becomes ``all``, every other run of characters not
    allowed in an identifier one ``_``; a leading digit gets a ``p_`` in front.
    (`ema_model` also adds ``_`` to a keyword or to a name the model uses, and ``_2``,
    ``_3``, ... where two keys would get the same name.)

    Examples:
        ``sharing.links[HAL-INT->HAL-BRD].trust`` -> ``sharing_links_HAL_INT_to_HAL_BRD_trust``;
        ``sharing.links[*].trust`` -> ``sharing_links_all_trust``; ``misses.late`` -> ``misses_late``.
    """
    text = re.sub(r"\W+", "_", key.replace("->", "_to_").replace("*", "all")).strip("_")
    if not text or text[0].isdigit():
        text = "p_" + text
    return text


def _names(keys: Sequence[str], reserved: set[str]) -> dict[str, str]:
    """Key -> its `ema_name`, made unique and kept clear of keywords and of `reserved`."""
    out: dict[str, str] = {}
    taken = set(reserved)
    for key in keys:
        name = ema_name(key)
        if keyword.iskeyword(name) or name in reserved:
            name += "_"
        candidate, number = name, 2
        while candidate in taken:
            candidate, number = f"{name}_{number}", number + 1
        taken.add(candidate)
        out[key] = candidate
    return out


def field_paths(model: ReplicatorModel) -> dict[str, str]:
    """EMA name -> field path, for the model's uncertainties, then its levers."""
    return {p.name: p.variable_name[0] for group in (model.uncertainties, model.levers) for p in group}


def summary_keys(model: ReplicatorModel) -> dict[str, str]:
    """EMA name -> summary key, for the model's outcomes."""
    return {o.name: o.variable_name[0] for o in model.outcomes}


# ---------------------------------------------------------------- results


def runs_table(model: ReplicatorModel, results: tuple[pd.DataFrame, dict[str, np.ndarray]]) -> pd.DataFrame:
    """EMA's results as one row per run, with the column names of a sweep's ``runs.csv``.

    Args:
        model: the model from `ema_model`.
        results: what `perform_experiments` returned for it: ``(experiments, outcomes)``.

    Returns:
        Columns ``experiment`` (EMA's row), ``replication``, ``seed``, one per field path,
        one per summary key (of the outcomes with a value per replication: those `ema_model`
        made; one added to aggregate the replications, a `ScalarOutcome`, is left out), then
        EMA's ``scenario`` and ``policy``.
    """
    import pandas as pd

    experiments, outcomes = results
    seeds = [replication[SEED_KEYWORD] for replication in model.replications]
    paths = field_paths(model)
    shape = (len(experiments), len(seeds))
    keys = {name: key for name, key in summary_keys(model).items() if np.shape(outcomes.get(name)) == shape}
    rows = []
    for row, point in enumerate(experiments.to_dict("records")):
        for replication, seed in enumerate(seeds):
            record: dict[str, Any] = {"experiment": row, "replication": replication, "seed": seed}
            record.update({path: _plain(point[name]) for name, path in paths.items() if name in point})
            record.update({key: float(outcomes[name][row][replication]) for name, key in keys.items()})
            record.update({"scenario": point.get("scenario"), "policy": point.get("policy")})
            rows.append(record)
    return pd.DataFrame(rows)
