"""Running a sweep: the runs, the sweep folder, resume, and the per-point aggregates.

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
=================  =============================================================

`execute_run` is the task: a pure top-level function of a picklable `RunTask`,
so any executor can call it and the same task gives the same row anywhere.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import os
import platform
import resource
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.engine.model import flatten_summary
from sim.engine.one_run import run_one, slug
from sim.errors import Problem, ScenarioError
from sim.experiments.statistics import mean_interval
from sim.spec.scenario import Scenario, scenario_from_dict
from sim.spec.sweep_file import Sweep, data_hash, load_sweep, point_data, value_text
from sim.spec.yaml_files import dump_yaml, read_yaml
from sim.version import __version__

if TYPE_CHECKING:
    from sim.experiments.executors import Executor

POINT_COLUMNS_AFTER: tuple[str, ...] = ("output", "runs", "mean", "sd", "ci_low", "ci_high")
SENSITIVITY_COLUMNS: tuple[str, ...] = ("output", "parameter", "index", "value", "ci_low", "ci_high")


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
    """

    point: int
    replication: int
    seed: int
    scenario: str
    assignments: str
    outputs: tuple[str, ...]


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
    scenario, problem = _point_scenario(task.scenario, task.assignments)
    if scenario is None:
        error = problem
    else:
        try:
            summary = flatten_summary(run_one(scenario, task.seed, tables=False).summary)
            values = {name: summary.get(name) for name in task.outputs}
        except Exception as exc:  # noqa: BLE001 - a failing run is recorded with its seed, not raised
            from sim.experiments.executors import describe_exception

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
def _point_scenario(scenario: str, assignments: str) -> tuple[Scenario | None, str | None]:
    """The validated scenario of a point (cached per worker: every replication reuses it)."""
    try:
        data = point_data(json.loads(scenario), [tuple(pair) for pair in json.loads(assignments)])
        return scenario_from_dict(data, source="<point>"), None
    except ValueError as exc:
        return None, f"the point's parameters select nothing: {exc}"
    except ScenarioError as exc:
        return None, "the scenario refuses the point's values: " + "; ".join(
            f"{p.path}: {p.message}" for p in exc.problems
        )


# ---------------------------------------------------------------- the folder


def default_sweep_folder(sweep: Sweep, root: str | Path = "results") -> Path:
    """``results/<sweep-name>/<UTC timestamp>/``, made unique if it exists."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = Path(root) / slug(sweep.name) / stamp
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{stamp}-{n}")
    return folder


def latest_sweep_folder(sweep: Sweep, root: str | Path = "results") -> Path | None:
    """The most recent folder of this sweep under `root` (for ``--resume`` without ``--out``)."""
    parent = Path(root) / slug(sweep.name)
    folders = sorted(p for p in parent.glob("*") if (p / "sweep.yaml").is_file()) if parent.is_dir() else []
    return folders[-1] if folders else None


def is_sweep_folder(folder: str | Path) -> bool:
    """Whether a folder holds a sweep (``sweep.yaml`` and ``runs.csv``), not a run or a comparison."""
    folder = Path(folder)
    return (folder / "sweep.yaml").is_file() and (folder / "runs.csv").is_file()


def _prepare(sweep: Sweep, folder: Path, resume: bool) -> None:
    runs = folder / "runs.csv"
    if resume:
        if not (folder / "sweep.yaml").is_file():
            raise ScenarioError([Problem(str(folder), None, "", "holds no sweep to resume (no sweep.yaml)")])
        before = load_sweep(folder / "sweep.yaml")
        if before.replications > sweep.replications:
            raise ScenarioError(
                [
                    Problem(
                        sweep.source,
                        None,
                        "replications",
                        f"the sweep in {folder} has {before.replications}; a resumed sweep may add replications, "
                        "not drop them",
                        sweep.replications,
                    )
                ]
            )
        if before.identity() != sweep.identity():
            raise ScenarioError(
                [
                    Problem(
                        sweep.source,
                        None,
                        "",
                        f"is not the sweep in {folder}: its scenario, design, samples, seed, parameters or "
                        "outputs differ (only replications may change on resume); run it into another folder",
                    )
                ]
            )
    elif runs.exists():
        raise ScenarioError(
            [
                Problem(
                    str(folder), None, "", "already holds a sweep: add --resume to finish it, or choose another --out"
                )
            ]
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario.yaml").write_text(dump_yaml(sweep.scenario.raw), encoding="utf-8")
    (folder / "sweep.yaml").write_text(sweep.to_yaml(scenario="scenario.yaml"), encoding="utf-8")


def repair_runs_file(path: Path) -> None:
    """Cut a last row torn by a kill mid-write (a file ends with a newline after every whole row)."""
    if not path.exists():
        return
    with path.open("rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        # Walk back to the last newline.
        position = size - 1
        chunk = 4096
        while position > 0:
            start = max(0, position - chunk)
            handle.seek(start)
            data = handle.read(position - start)
            cut = data.rfind(b"\n")
            if cut >= 0:
                handle.truncate(start + cut + 1)
                return
            position = start
        handle.truncate(0)


@dataclass
class Progress:
    """Runs already in a sweep folder: which (point, replication) pairs, and how many failed."""

    points: int
    done: bytearray
    count: int = 0
    failed: int = 0

    def has(self, point: int, replication: int) -> bool:
        """Whether this run has a row."""
        index = replication * self.points + point
        return index < len(self.done) and self.done[index] == 1

    def add(self, point: int, replication: int, failed: bool) -> None:
        """Record a row."""
        index = replication * self.points + point
        if index >= len(self.done):
            self.done.extend(bytes(index + 1 - len(self.done)))
        if not self.done[index]:
            self.done[index] = 1
            self.count += 1
            self.failed += failed


def read_progress(path: Path, columns: list[str], points: int) -> Progress:
    """The runs a `runs.csv` already holds (one byte per run: flat however many).

    Raises:
        ScenarioError: when the file's columns are not this sweep's.
    """
    progress = Progress(points=points, done=bytearray())
    if not path.exists() or path.stat().st_size == 0:
        return progress
    error_at = columns.index("error")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header != columns:
            raise ScenarioError(
                [Problem(str(path), 1, "", "has other columns than this sweep's runs; it belongs to another sweep")]
            )
        for row in reader:
            if len(row) == len(columns):
                progress.add(int(row[0]), int(row[1]), bool(row[error_at]))
    return progress


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
) -> SweepOutcome:
    """Run every missing (point, replication) of a sweep and aggregate the results.

    Args:
        sweep: a validated sweep (`sim.spec.sweep_file.load_sweep`).
        folder: the sweep folder.
        executor: an `sim.experiments.executors.Executor` to use (default: one made from `workers` and `scheduler`).
        workers: local worker processes (default: every core).
        scheduler: a Dask scheduler address; the runs go to that cluster instead.
        resume: finish the sweep already in `folder` (its file must be the same sweep).
        progress: show a progress bar (default: when stderr is a terminal).

    Returns:
        The outcome; points.csv (and sensitivity.csv) are written once every run is done.

    Raises:
        ScenarioError: the folder holds another sweep, or already a sweep without `resume`.
        KeyboardInterrupt: on Ctrl-C, after recording the finished runs and the manifest.
    """
    from sim.experiments.executors import make_executor

    folder = Path(folder)
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    _prepare(sweep, folder, resume)
    path = folder / "runs.csv"
    columns = sweep.run_columns
    repair_runs_file(path)
    points = sweep.points()
    state = read_progress(path, columns, len(points))
    executor = executor or make_executor(workers, scheduler)
    session: dict[str, Any] = {"started": started_at.isoformat(timespec="seconds"), "runs_made": 0}
    stats = _WorkerStats()
    interrupted = True
    bar = _progress_bar(sweep.runs, state.count, progress)
    try:
        with path.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            if handle.tell() == 0:
                writer.writerow(columns)
                handle.flush()
            hashes: dict[int, str] = {}
            with executor:
                session["executor"] = executor.description
                session["workers"] = executor.workers
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
        interrupted = state.count < sweep.runs
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
        _write_manifest(folder, sweep, state, session)
    if not interrupted:
        write_aggregates(folder)
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


def _tasks(sweep: Sweep, state: Progress) -> Iterator[RunTask]:
    """Missing runs, replication by replication: an interrupted sweep has covered every point evenly."""
    base = json.dumps(sweep.scenario.raw, separators=(",", ":"))
    assignments = [json.dumps([[p, point[p]] for p in sweep.paths]) for point in sweep.points()]
    for replication, seed in enumerate(sweep.replication_seeds()):
        for number in range(len(assignments)):
            if not state.has(number, replication):
                yield RunTask(number, replication, seed, base, assignments[number], sweep.outputs)


def _point_data_or_none(sweep: Sweep, number: int) -> Any:
    try:
        return point_data(sweep.scenario.raw, sweep.points()[number])
    except ValueError:
        return None


def _progress_bar(total: int, initial: int, enabled: bool | None) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
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


def machine_facts() -> dict[str, Any]:
    """Where the sweep ran: platform, Python, cores, memory, and the versions that matter."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"tabletop": __version__}
    for name in ("mesa", "numpy", "scipy", "SALib", "dask", "distributed"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        memory = None
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "memory_gib": round(memory, 1) if memory else None,
        "versions": versions,
    }


def _write_manifest(folder: Path, sweep: Sweep, state: Progress, session: dict[str, Any]) -> None:
    path = folder / "manifest.json"
    previous: dict[str, Any] = {}
    if path.exists():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, OSError):
            previous = {}
    manifest = {
        "sweep": sweep.name,
        "source": sweep.source,
        "identity": sweep.identity(),
        "scenario": str(sweep.scenario_file),
        "scenario_hash": data_hash(sweep.scenario.raw),
        "design": sweep.design,
        "points": len(sweep.points()),
        "replications": sweep.replications,
        "runs": sweep.runs,
        "rows": state.count,
        "failed": state.failed,
        "status": session["status"],
        "command": " ".join(sys.argv),
        "machine": machine_facts(),
        "sessions": [*previous.get("sessions", []), session],
    }
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


# ---------------------------------------------------------------- aggregates


@dataclass(frozen=True)
class FolderInfo:
    """What the tables of a sweep folder need from its `sweep.yaml` (read without re-validating).

    Attributes:
        name: the sweep's name.
        design: grid, lhs or sobol.
        paths: the parameters' paths.
        outputs: the outputs.
        samples: lhs / sobol samples.
        replications: replications per point.
        second_order: sobol second-order indices.
        threshold: ``{output, above, parameter}`` or None.
        description: the sweep's description.
        seed: the master seed.
    """

    name: str
    design: str
    paths: tuple[str, ...]
    outputs: tuple[str, ...]
    samples: int | None
    replications: int
    second_order: bool
    threshold: dict[str, Any] | None
    description: str = ""
    seed: int = 0


def folder_info(folder: str | Path) -> FolderInfo:
    """Read a sweep folder's `sweep.yaml`."""
    data, _ = read_yaml(Path(folder) / "sweep.yaml")
    return FolderInfo(
        name=data.get("name", Path(folder).name),
        design=data.get("design", "grid"),
        paths=tuple(data["parameters"]),
        outputs=tuple(data["outputs"]),
        samples=data.get("samples"),
        replications=int(data.get("replications", 1)),
        second_order=bool(data.get("second_order", False)),
        threshold=data.get("threshold"),
        description=data.get("description", ""),
        seed=int(data.get("seed", 0)),
    )


def parse_cell(text: str) -> Any:
    """A `runs.csv` cell back as a value: int, float, JSON structure, or text; empty is None."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    return text


def aggregate(
    runs_csv: str | Path, paths: tuple[str, ...] | list[str], outputs: tuple[str, ...] | list[str]
) -> list[dict[str, Any]]:
    """Per point and output: runs with a value, mean, sd and the 95% t-interval of the mean.

    Streams over the file (Welford's algorithm): memory grows with points, not runs.
    Failed runs and runs without a value (e.g. no detection to time) are left out of `runs`.

    Returns:
        Rows of points.csv, by point then output.
    """
    accumulators: dict[int, list[list[float]]] = {}
    params: dict[int, list[str]] = {}
    with Path(runs_csv).open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        param_at = [header.index(p) for p in paths]
        output_at = [header.index(o) for o in outputs]
        for row in reader:
            if len(row) != len(header):
                continue
            point = int(row[0])
            if point not in accumulators:
                accumulators[point] = [[0, 0.0, 0.0] for _ in outputs]
                params[point] = [row[i] for i in param_at]
            for acc, i in zip(accumulators[point], output_at, strict=True):
                if row[i] == "":
                    continue
                x = float(row[i])
                acc[0] += 1
                delta = x - acc[1]
                acc[1] += delta / acc[0]
                acc[2] += delta * (x - acc[1])
    rows = []
    for point in sorted(accumulators):
        for name, (n, mean, m2) in zip(outputs, accumulators[point], strict=True):
            n = int(n)
            sd = math.sqrt(m2 / (n - 1)) if n > 1 else None
            low, high = mean_interval(mean, sd, n) if sd is not None else (None, None)
            rows.append(
                {
                    "point": point,
                    **dict(zip(paths, params[point], strict=True)),
                    "output": name,
                    "runs": n,
                    "mean": _round(mean) if n else None,
                    "sd": _round(sd),
                    "ci_low": _round(low),
                    "ci_high": _round(high),
                }
            )
    return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 8) + 0.0


def write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """Write dict rows with these columns (None as an empty cell)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])


def read_csv(path: str | Path) -> list[dict[str, Any]]:
    """Read a table of the sweep folder back, cells parsed (`parse_cell`)."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return [{k: parse_cell(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def write_aggregates(folder: str | Path) -> dict[str, Path]:
    """Write points.csv (and sensitivity.csv for a sobol design) from runs.csv and sweep.yaml.

    Args:
        folder: the sweep folder.

    Returns:
        The files written, by name.
    """
    folder = Path(folder)
    info = folder_info(folder)
    points = aggregate(folder / "runs.csv", info.paths, info.outputs)
    written = {"points": folder / "points.csv"}
    write_csv(written["points"], ["point", *info.paths, *POINT_COLUMNS_AFTER], points)
    sensitivity = folder / "sensitivity.csv"
    if info.design == "sobol":
        from sim.experiments.sensitivity import sobol_table

        rows = sobol_table(points, info)
        write_csv(sensitivity, list(SENSITIVITY_COLUMNS) + ["note"], rows)
        written["sensitivity"] = sensitivity
    return written
