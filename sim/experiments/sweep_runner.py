"""Running a sweep: the runs, the sweep folder, resume, and the per-point aggregates.

The folder lives in `sim.experiments.sweep_folder`, the tables in `sim.experiments.sweep_tables`.

`run_sweep` sends every (point, replication) of a validated `sim.spec.sweep_file.Sweep`
to an executor (`sim.experiments.executors`: local processes or a Dask cluster) and appends
one row per finished run to ``runs.csv`` at once, so an interrupted sweep keeps
what it finished and ``resume=True`` runs only the rest. Memory stays flat: runs
are generated lazily, a bounded window is in flight, rows go straight to disk,
and the aggregates are computed by streaming over the file.

The sweep folder:

=================  =============================================================
``sweep.yaml``     the sweep as run (defaults filled in; its scenario is the copy beside it)
``scenario.yaml``  the base scenario, as read
``runs.csv``       one row per run: point, replication, seed, each parameter (by its
                   path), each output, error, scenario_hash, version
``points.csv``     per point and output: runs, mean, sd, 95% interval of the mean
``sensitivity.csv``  sobol designs: first-order and total indices with 95% intervals
``manifest.json``  status, timing, executor, and machine facts of every session
``figures/``, ``report.html``  drawn by `sim.debrief.sweep_report.report`
``complete.json``  the completion marker, written once every run is in
``sweep.lock``     while a sweep runs in the folder: its lock, holding its pid
=================  =============================================================

`execute_run` is the task: a pure top-level function of a picklable `RunTask`,
so any executor can call it and the same task gives the same row anywhere.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.engine.one_run import run_one
from sim.errors import ScenarioError
from sim.experiments.executors import Executor, describe_exception, make_executor
from sim.experiments.progress_lines import ProgressLines
from sim.experiments.sweep_folder import (
    Progress,
    check_new_folder,
    prepare_folder,
    read_progress,
    repair_runs_file,
    write_manifest,
)
from sim.experiments.sweep_tables import (
    write_aggregates,
)
from sim.safe_text import CsvWriter
from sim.spec.field_paths import apply_changes
from sim.spec.output_files import MARKER, REJECTED, OutputError, lock_folder, open_append, output_problem, write_marker
from sim.spec.outputs import flatten_summary
from sim.spec.scenario import Scenario, scenario_from_dict
from sim.spec.sweep_checks import value_text
from sim.spec.sweep_file import Sweep, data_hash
from sim.version import __version__

# ---------------------------------------------------------------- one run


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep, as sent to a worker (plain data: it pickles anywhere).

    Attributes:
        point: the design point's number.
        replication: the replication's number.
        seed: the run's seed (the replication's, the same at every point).
        scenario: the base scenario as JSON text.
        assignments: the point's ``[path, value]`` pairs as JSON text.
        outputs: the summary keys to report.
        allow_large: the sweep's scenario was let past the limits (``--allow-large``): so are its points.
    """

    point: int
    replication: int
    seed: int
    scenario: str
    assignments: str
    outputs: tuple[str, ...]
    allow_large: bool = False


@dataclass(frozen=True)
class RunOutcome:
    """What a worker sends back.

    Attributes:
        values: output -> value (None where the run has none, e.g. no detection to time).
        error: why the run failed, or None.
        version: the worker's package version.
        seconds: the run's wall time.
        worker: ``host:pid`` of the worker.
        peak_rss_kb: the worker process's peak resident memory so far.
    """

    values: dict[str, Any]
    error: str | None
    version: str
    seconds: float
    worker: str
    peak_rss_kb: int


def execute_run(task: RunTask) -> RunOutcome:
    """Run one (point, replication) of a sweep; never raises for a bad point or a failing run."""
    start = time.perf_counter()
    values: dict[str, Any] = dict.fromkeys(task.outputs)
    error = None
    scenario, problem = _point_scenario(task.scenario, task.assignments, task.allow_large)
    if scenario is None:
        error = problem
    else:
        try:
            summary = flatten_summary(run_one(scenario, task.seed, tables=False).summary)
            values = {name: summary.get(name) for name in task.outputs}
        except Exception as exc:  # noqa: BLE001 - a failing run is recorded with its seed, not raised
            error = describe_exception(exc)
    return RunOutcome(
        values=values,
        error=error,
        version=__version__,
        seconds=time.perf_counter() - start,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        peak_rss_kb=peak_rss_kb(),
    )


def peak_rss_kb() -> int:
    """This process's peak resident memory in KiB.

    Linux: ``VmHWM`` of /proc/self/status, which starts afresh in a new program;
    ``ru_maxrss`` would carry over the peak of a big parent process across exec.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # pragma: no cover - not Linux


@functools.lru_cache(maxsize=64)
def _point_scenario(scenario: str, assignments: str, allow_large: bool = False) -> tuple[Scenario | None, str | None]:
    """The validated scenario of a point (cached per worker: every replication reuses it)."""
    try:
        data = apply_changes(json.loads(scenario), [tuple(pair) for pair in json.loads(assignments)], "parameters")
    except ScenarioError as exc:
        return None, f"the point's parameters select nothing: {exc.problems[0].message}"
    try:
        return scenario_from_dict(data, source="<point>", allow_large=allow_large, quiet=True), None
    except ScenarioError as exc:
        return None, "the scenario refuses the point's values: " + "; ".join(
            f"{p.path}: {p.message}" for p in exc.problems
        )


# ---------------------------------------------------------------- the sweep


@dataclass
class SweepOutcome:
    """How a call to `run_sweep` went.

    Attributes:
        folder: the sweep folder.
        runs: runs in the design (points x replications).
        done: rows in runs.csv now.
        made: runs made by this call.
        failed: rows with an error, all sessions included.
        seconds: wall time of this call.
        executor: where the runs ran.
        interrupted: stopped before every run was done.
    """

    folder: Path
    runs: int
    done: int
    made: int
    failed: int
    seconds: float
    executor: str
    interrupted: bool = False


def run_sweep(
    sweep: Sweep,
    folder: str | Path,
    executor: Executor | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool | None = None,
    force: bool = False,
) -> SweepOutcome:
    """Run every missing (point, replication) of a sweep and aggregate the results.

    Args:
        sweep: a validated sweep (`sim.spec.sweep_file.load_sweep`).
        folder: the sweep folder.
        executor: an `sim.experiments.executors.Executor` to use (default: one made from `workers` and `scheduler`).
        workers: local worker processes; default: this process for small work, every core when it pays
            (`sim.experiments.executors.make_executor`).
        scheduler: a Dask scheduler address; the runs go to that cluster instead.
        resume: finish the sweep already in `folder` (its file must be the same sweep).
        progress: show a progress bar; default: a bar when stderr is a terminal, nothing in a notebook,
            else (a pipe, a log) a line every 5%.
        force: start afresh in a folder that holds tabletop's own files (a sweep, a run): they are removed.

    Returns:
        The outcome; points.csv (and sensitivity.csv) are written once every run is done, then the
        completion marker ``complete.json``.

    Raises:
        ScenarioError: the folder holds another sweep, or already a sweep without `resume`.
        OutputError: another sweep runs in the folder (its pid is said), the folder holds other files,
            or the disk refuses a write (full, read-only).
        KeyboardInterrupt: on Ctrl-C, after recording the finished runs and the manifest.
    """
    folder = Path(folder)
    check_new_folder(folder, resume, force)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError([output_problem(exc, folder)]) from None
    with lock_folder(folder):
        return _run_locked(sweep, folder, executor, workers, scheduler, resume, progress, force)


def _run_locked(
    sweep: Sweep,
    folder: Path,
    executor: Executor | None,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
    progress: bool | None,
    force: bool,
) -> SweepOutcome:
    """`run_sweep` once the folder's lock is held."""
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    prepare_folder(sweep, folder, resume, force)
    (folder / MARKER).unlink(missing_ok=True)  # no longer complete until its last run is in
    path = folder / "runs.csv"
    repair_runs_file(path)
    state = read_progress(path, sweep)
    quiet = progress is False or type(sys.stderr).__module__.startswith("ipykernel")
    if state.rejected:
        lines = "; ".join(f"line {line}: {why}" for line, why in state.rejected[:3])
        more = f"; and {len(state.rejected) - 3} more" if len(state.rejected) > 3 else ""
        print(f"{path}: set aside {len(state.rejected)} row{'s' if len(state.rejected) != 1 else ''} that "
              f"{'are' if len(state.rejected) != 1 else 'is'} not runs of this sweep into {path.with_name(REJECTED)}"
              f" ({lines}{more}); they will run again", file=sys.stderr, flush=True)  # fmt: skip
    executor = executor or make_executor(workers, scheduler, tasks=sweep.runs - state.count)
    session: dict[str, Any] = {"started": started_at.isoformat(timespec="seconds"), "runs_made": 0}
    stats = _WorkerStats()
    interrupted = True
    failure: BaseException | None = None
    if resume and not quiet:
        print(f"resuming: {state.count} of {sweep.runs} runs already done, {sweep.runs - state.count} to go",
              file=sys.stderr, flush=True)  # fmt: skip
    bar = _progress_bar(sweep.runs, state.count, progress)
    try:
        _record_runs(sweep, path, executor, state, session, stats, bar)
        interrupted = state.count < sweep.runs
    except BaseException as exc:
        failure = exc
        raise
    finally:
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - started
        session.update(
            finished=datetime.now(UTC).isoformat(timespec="seconds"),
            seconds=round(seconds, 3),
            status="interrupted" if interrupted else "complete",
            **stats.summary(),
            main_peak_rss_mb=round(peak_rss_kb() / 1024, 1),
        )
        try:
            write_manifest(folder, sweep, state, session)
        except OutputError:
            if failure is None:  # a full disk stops the runs first: say that, not the manifest after it
                raise
    if not interrupted:
        write_aggregates(folder)
        write_marker(folder, "sweep")
    return SweepOutcome(
        folder=folder,
        runs=sweep.runs,
        done=state.count,
        made=session["runs_made"],
        failed=state.failed,
        seconds=seconds,
        executor=session.get("executor", ""),
        interrupted=interrupted,
    )


def _record_runs(
    sweep: Sweep,
    path: Path,
    executor: Executor,
    state: Progress,
    session: dict[str, Any],
    stats: _WorkerStats,
    bar: Any,
) -> None:
    """Send the missing runs to the executor and append a row to runs.csv as each one finishes."""
    points = sweep.points()
    try:
        with open_append(path) as handle:
            _append_rows(sweep, points, handle, executor, state, session, stats, bar)
    except OSError as exc:  # a full or read-only disk: the rows written so far stay, a torn one is cut on resume
        raise OutputError([output_problem(exc, path)]) from None


def _append_rows(
    sweep: Sweep,
    points: list[dict[str, Any]],
    handle: Any,
    executor: Executor,
    state: Progress,
    session: dict[str, Any],
    stats: _WorkerStats,
    bar: Any,
) -> None:
    """Append a row to runs.csv (`handle`) as each missing run finishes."""
    writer = CsvWriter(handle)
    if handle.tell() == 0:
        writer.writerow(sweep.run_columns)
        handle.flush()
    hashes: dict[int, str] = {}
    with executor:
        try:
            for completed in executor.run(execute_run, _tasks(sweep, state)):
                task, outcome = completed.task, completed.value
                error = completed.error if outcome is None else outcome.error
                values = outcome.values if outcome is not None else {}
                if outcome is not None:
                    stats.add(outcome)
                if task.point not in hashes:
                    hashes[task.point] = data_hash(_point_data_or_none(sweep, task.point))
                point = points[task.point]
                writer.writerow(
                    [
                        task.point,
                        task.replication,
                        task.seed,
                        *(value_text(point[p]) for p in sweep.paths),
                        *("" if values.get(o) is None else values[o] for o in sweep.outputs),
                        error or "",
                        hashes[task.point],
                        outcome.version if outcome is not None else "",
                    ]
                )
                handle.flush()
                state.add(task.point, task.replication, error is not None)
                session["runs_made"] += 1
                if bar is not None:
                    bar.update(1)
                    if state.failed:
                        bar.set_postfix(failed=state.failed, refresh=False)
        finally:  # an `AutoExecutor` knows where the runs ran only once it has started them
            session["executor"] = executor.description
            session["workers"] = executor.workers


def _tasks(sweep: Sweep, state: Progress) -> Iterator[RunTask]:
    """Missing runs, replication by replication: an interrupted sweep has covered every point evenly."""
    base = json.dumps(sweep.scenario.raw, separators=(",", ":"))
    assignments = [json.dumps([[p, point[p]] for p in sweep.paths]) for point in sweep.points()]
    for replication, seed in enumerate(sweep.replication_seeds()):
        for number in range(len(assignments)):
            if not state.has(number, replication):
                yield RunTask(number, replication, seed, base, assignments[number], sweep.outputs,
                              sweep.scenario.allow_large)  # fmt: skip


def _point_data_or_none(sweep: Sweep, number: int) -> Any:
    try:
        return apply_changes(sweep.scenario.raw, sweep.points()[number].items(), "parameters")
    except ScenarioError:
        return None


def _progress_bar(total: int, initial: int, enabled: bool | None) -> Any:
    if enabled is False:
        return None
    if enabled is None and not sys.stderr.isatty():
        if type(sys.stderr).__module__.startswith("ipykernel"):
            return None  # a notebook: the cell shows its result, not a stream of lines
        return ProgressLines(total, "runs", initial=initial)  # a pipe or a log: a line every 5%
    from tqdm import tqdm

    try:
        size = os.get_terminal_size(sys.stderr.fileno())
        sized = size.columns > 0 and size.lines > 0
    except (OSError, ValueError):
        sized = False
    # A terminal that reports no size (a bare pty) would hide the bar: give it 100 x 24.
    return tqdm(
        total=total, initial=initial, unit="run", file=sys.stderr, smoothing=0.05,
        dynamic_ncols=sized, ncols=None if sized else 100, nrows=None if sized else 24,
    )  # fmt: skip


class _WorkerStats:
    """Per-worker peak memory and run times, for the manifest (not runs.csv: they differ by machine)."""

    def __init__(self) -> None:
        self.peaks: dict[str, int] = {}
        self.seconds: list[float] = []

    def add(self, outcome: RunOutcome) -> None:
        self.peaks[outcome.worker] = max(self.peaks.get(outcome.worker, 0), outcome.peak_rss_kb)
        if len(self.seconds) < 100_000:
            self.seconds.append(outcome.seconds)

    def summary(self) -> dict[str, Any]:
        times = sorted(self.seconds)
        return {
            "workers_seen": len(self.peaks),
            "worker_peak_rss_mb": round(max(self.peaks.values(), default=0) / 1024, 1),
            "run_seconds_median": round(times[len(times) // 2], 4) if times else None,
        }
