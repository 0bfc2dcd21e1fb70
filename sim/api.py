"""The Python API, for notebooks and scripts: load, vary, run, compare, sweep.

Everything here is also reachable as ``sim.<name>`` (loaded on first use, so
``import sim`` stays quick)::

    import sim

    scenario = sim.load_scenario("scenarios/baseline-corridor.yaml")
    faster = sim.vary(scenario, {"sharing.delay_scale": 0.5})
    result = sim.run(scenario, seed=1)            # summary and tables
    result.summary["detection_rate"]
    comparison = sim.compare(scenario, faster, replications=20)
    comparison.statistics()["detection_rate"]     # a, b, diff, ci_low, ci_high
    outcome = sim.sweep("scenarios/sweeps/delay-trust.yaml", out="results/my-sweep")
    outcome.folder / "points.csv"                 # the response surface, with 95% intervals

A sweep can also be given as a mapping, as the sweep file would hold it (see
docs/sweeps.md), to build one in a notebook. The notebooks in ``notebooks/``
walk through all of this.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.spec.scenario import Scenario, changed_scenario, load_scenario

if TYPE_CHECKING:
    import pandas as pd

    from sim.engine.outcomes import RunResult
    from sim.experiments.comparison import Comparison
    from sim.experiments.sweep_runner import SweepOutcome
    from sim.spec.sweep_file import Sweep


def _load_engine() -> None:
    """Import the model (and Mesa) without the warning Mesa's progress bar gives in Jupyter.

    Mesa imports ``tqdm.auto``, which warns "IProgress not found" in a notebook
    without ipywidgets; nothing here uses that bar.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import sim.engine.model  # noqa: F401


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def vary(scenario: Scenario | str | Path, changes: dict[str, Any]) -> Scenario:
    """A copy of `scenario` with fields changed by path (the paths of ``--set``).

    Args:
        scenario: a scenario or a scenario file.
        changes: path -> value, e.g. ``{"sharing.links[HAL-INT->DRV-BRD].delay_hours": 12}``.

    Raises:
        ScenarioError: when a path selects nothing or the result is not a valid scenario.
    """
    return changed_scenario(_scenario(scenario), changes.items(), label="vary")


def run(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    out: str | Path | None = None,
    plots: bool = True,
) -> RunResult:
    """Run a scenario once; with `out`, also write the run folder (figures and report unless `plots` is false).

    Returns:
        The summary and the tables (lists of rows; `tables` turns them into DataFrames).
    """
    _load_engine()
    from sim.engine.one_run import resolve_seed, run_one, write_run_folder, write_run_metadata

    scenario = _scenario(scenario)
    seed = resolve_seed(scenario, seed)
    result = run_one(scenario, seed)
    if out is not None:
        from sim.debrief.run_report import debrief

        write_run_folder(result, scenario, out)
        write_run_metadata(out, scenario.source, [], seed)
        debrief(out, scenario, seed, plots=plots, base=result.summary)
    return result


def tables(result: RunResult) -> dict[str, pd.DataFrame]:
    """A run's tables as pandas DataFrames: travellers, alerts, events, timeseries, crossings."""
    import pandas as pd

    from sim.engine.outcomes import EVENT_COLUMNS

    return {
        "travellers": pd.DataFrame(result.travellers),
        "alerts": pd.DataFrame(result.alerts),
        "events": pd.DataFrame(result.events, columns=EVENT_COLUMNS),
        "timeseries": pd.DataFrame(result.timeseries),
        "crossings": pd.DataFrame(result.crossings),
    }


def compare(
    a: Scenario | str | Path,
    b: Scenario | str | Path,
    replications: int = 30,
    seed: int | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
) -> Comparison:
    """Run A and B on the same seeds (common random numbers); with `out`, write the comparison folder.

    Returns:
        The comparison: ``.statistics()`` per output (means, paired difference, 95% interval),
        ``.pairs()`` one row per replication.
    """
    _load_engine()
    from sim.experiments.comparison import compare as paired
    from sim.experiments.comparison import write_comparison_folder

    comparison = paired(_scenario(a), _scenario(b), replications=replications, seed=seed, workers=workers)
    if out is not None:
        from sim.debrief.comparison_report import write_comparison_report

        write_comparison_folder(comparison, out)
        write_comparison_report(out)
    return comparison


def sweep(
    sweep_file: str | Path | Mapping[str, Any] | Sweep,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool | None = None,
    plots: bool = True,
) -> SweepOutcome:
    """Run a sweep locally (worker processes) or on a Dask cluster (`scheduler` address).

    Args:
        sweep_file: a sweep file; or a mapping with the fields of one (its ``scenario``, a file,
            is relative to the current folder); or a `sim.spec.sweep_file.Sweep`.
        out: the sweep folder (default: ``results/<sweep name>/<UTC time>/``). It must not hold
            a sweep already, unless `resume`.
        workers: local worker processes (default: every core).
        scheduler: a Dask scheduler address, e.g. ``tcp://127.0.0.1:8786``: the runs go to that
            cluster (each worker needs this package installed) instead of local processes.
        resume: finish the sweep already in `out`: only the missing runs are made.
        progress: show a progress bar (default: when stderr is a terminal).
        plots: draw the figures and report.html when every run is done.

    Returns:
        The outcome; its ``folder`` holds runs.csv, points.csv (and sensitivity.csv for Sobol designs).

    Raises:
        ScenarioError: listing every problem of the sweep (or of its scenario) before any run.
    """
    _load_engine()
    from sim.experiments.sweep_runner import default_sweep_folder, run_sweep
    from sim.spec.sweep_file import Sweep, load_sweep, sweep_from_dict

    if isinstance(sweep_file, Sweep):
        spec = sweep_file
    elif isinstance(sweep_file, Mapping):
        data = dict(sweep_file)
        if isinstance(data.get("scenario"), Path):
            data["scenario"] = str(data["scenario"])
        spec = sweep_from_dict(data, source="<sweep>", folder=Path.cwd())
    else:
        spec = load_sweep(sweep_file)
    folder = Path(out) if out is not None else default_sweep_folder(spec)
    outcome = run_sweep(spec, folder, workers=workers, scheduler=scheduler, resume=resume, progress=progress)
    if plots and not outcome.interrupted:
        from sim.debrief.sweep_report import report

        report(folder)
    return outcome
