"""Standard workloads, timed: `tabletop bench`.

Every figure is the median of several repeats (wall clock, `time.perf_counter`).
Ratios compare like with like on the same machine in the same process.
"""

from __future__ import annotations

import heapq
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.engine.model import SharingModel
from sim.engine.one_run import gc_paused, run_one, write_run_folder
from sim.spec.scenario import Scenario, load_scenario
from sim.version import __version__

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "northern-corridor.yaml"
CORRIDOR = Path(__file__).resolve().parents[2] / "scenarios" / "baseline-corridor.yaml"
"""The population workload: the baseline corridor (100 days, three borders) with and without ordinary travellers."""

POPULATION = 5_000
"""Ordinary crossings per day at every border of the population workload (1.5 million over the 100 days)."""

SWEEP = Path(__file__).resolve().parents[2] / "scenarios" / "sweeps" / "delay-trust.yaml"
"""The sweep workload: 6 delay scales x 5 trust levels x 20 replications of the baseline corridor (600 runs)."""

MEMORY_SWEEP = """\
name: memory {runs}
scenario: {scenario}
replications: {replications}
seed: 1
parameters:
  sharing.delay_scale: {{low: 0, high: 3, steps: 10}}
  sharing.links[*].trust: {{low: 0.2, high: 1.0, steps: 10}}
outputs: [detection_rate, late_share, median_hours_to_detection]
"""
"""100 points of the baseline corridor: x 1 replication (100 runs) against x 100 (10,000 runs)."""


def _median_time(work: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _noop(payload: Any) -> None:
    """Stand-in handler for the bare loop."""


def bare_heapq_seconds(events: list[tuple[float, int, int]]) -> float:
    """Time a bare heapq loop over the same (time, priority, seq) events with a no-op handler."""
    entries = [(t, p, s, _noop, None) for t, p, s in events]
    start = time.perf_counter()
    heap: list[Any] = []
    push, pop = heapq.heappush, heapq.heappop
    for entry in entries:
        push(heap, entry)
    while heap:
        event = pop(heap)
        event[3](event[4])
    return time.perf_counter() - start


def engine_events(scenario: Scenario, seed: int, repeats: int) -> dict[str, Any]:
    """Events per second of the engine against a bare heapq loop over the same events."""
    timings, counts = [], []
    trace: list[tuple[float, int, int]] = []
    for _ in range(repeats):
        with gc_paused():
            model = SharingModel(scenario, seed=seed, log_events=False, collect_data=False)
            known = list(model._calendar)
            start = time.perf_counter()
            model.run()
            timings.append(time.perf_counter() - start)
            counts.append(model.events_processed)
            if not trace:
                trace = [e[:3] for e in known] + [e[:3] for e in model._heap]
    engine = statistics.median(timings)
    events = counts[0]
    # The bare loop replays as many events as the engine ran, with the engine's own times.
    times = sorted(trace)[:events]
    while len(times) < events:
        times.append((times[-1][0], 9, len(times) + 10**9))
    bare = statistics.median(bare_heapq_seconds(times) for _ in range(repeats))
    return {
        "events": events,
        "engine_events_per_second": round(events / engine),
        "bare_heapq_events_per_second": round(events / bare),
        "ratio_engine_to_bare": round(engine / bare, 2),
    }


def population_overhead(repeats: int) -> dict[str, Any]:
    """The baseline corridor with `POPULATION` ordinary crossings per day at every border against without them.

    One run each (tables included, no folder), back to back, `repeats` times; the ratio is the median of
    the pairs' ratios. The ordinary crossings are counted, not simulated: only their namesake stops are
    events, so the ratio stays near 1 however many there are.
    """
    plain = load_scenario(CORRIDOR)
    crowded = load_scenario(CORRIDOR, [f"population.crossings_per_day={POPULATION}"])
    plains, crowds = [], []
    for _ in range(repeats):
        with gc_paused():
            plains.append(_median_time(lambda: run_one(plain, 1), 1))
            crowds.append(_median_time(lambda: run_one(crowded, 1), 1))
    summary = run_one(crowded, 1, tables=False).summary
    return {
        "ordinary_crossings": summary["ordinary_crossings"]["total"],
        "wrongful_stops": summary["wrongful_stops"]["total"],
        "seconds_without": statistics.median(plains),
        "seconds_with": statistics.median(crowds),
        "ratio": statistics.median(c / p for c, p in zip(crowds, plains, strict=True)),
    }


def sweep_seconds(workers: int) -> float:
    """Wall time of the 600-run sweep on `workers` local processes (start-up included, no figures)."""
    from sim.experiments.executors import LocalExecutor
    from sim.experiments.sweep_runner import run_sweep
    from sim.spec.sweep_file import load_sweep

    sweep = load_sweep(SWEEP)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_sweep(sweep, Path(tmp) / "sweep", executor=LocalExecutor(workers), progress=False)
        return time.perf_counter() - start


def batch_run_seconds(processes: int, repeats: int) -> float:
    """Median wall time of the same 600 runs through `mesa.batch_run` (spawned processes, as Mesa does)."""
    import multiprocessing

    import mesa

    from sim.spec.sweep_file import load_sweep

    sweep = load_sweep(SWEEP)
    parameters: dict[str, Any] = {"scenario": str(sweep.scenario_file)}
    for parameter in sweep.parameters:
        parameters[parameter.path] = parameter.grid_values()
    before = multiprocessing.get_start_method(allow_none=True)
    try:
        return _median_time(
            lambda: mesa.batch_run(
                SharingModel,
                parameters,
                rng=sweep.replication_seeds(),
                max_steps=int(sweep.scenario.horizon_hours),  # one step is one hour: to the horizon
                number_processes=processes,
                display_progress=False,
            ),
            repeats,
        )
    finally:
        multiprocessing.set_start_method(before, force=True)  # batch_run forces spawn on the whole process


def sweep_memory(replications: int, workers: int = 2) -> dict[str, Any]:
    """Peak memory of a 100-point sweep with `replications`, run as `tabletop sweep` in a fresh process."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "memory.yaml"
        scenario = Path(__file__).resolve().parents[2] / "scenarios" / "baseline-corridor.yaml"
        path.write_text(MEMORY_SWEEP.format(runs=100 * replications, scenario=scenario, replications=replications))
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(Path(tmp) / "out"), "--workers",
             str(workers), "--quiet", "--no-plots"],
            check=True, capture_output=True,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        session = json.loads((Path(tmp) / "out" / "manifest.json").read_text())["sessions"][-1]
    return {
        "runs": 100 * replications,
        "seconds": seconds,
        "main_peak_rss_mb": session["main_peak_rss_mb"],
        "worker_peak_rss_mb": session["worker_peak_rss_mb"],
    }


def run_sweep_benchmarks(repeats: int = 3, quick: bool = False) -> dict[str, Any]:
    """The sweep workloads: 600 runs on 1 and 2 workers, through mesa.batch_run, and memory at 100 vs 10,000 runs."""
    # Back to back, so that whatever else the machine does weighs on both sides of each ratio alike.
    ones, twos, mesas = [], [], []
    for _ in range(repeats):
        ones.append(sweep_seconds(1))
        twos.append(sweep_seconds(2))
        mesas.append(batch_run_seconds(2, 1))
    out: dict[str, Any] = {
        "runs": 600,
        "seconds_1_worker": statistics.median(ones),
        "seconds_2_workers": statistics.median(twos),
        "speedup_1_to_2": statistics.median(a / b for a, b in zip(ones, twos, strict=True)),
        "seconds_mesa_batch_run_2_processes": statistics.median(mesas),
        "throughput_vs_mesa_batch_run": statistics.median(m / b for m, b in zip(mesas, twos, strict=True)),
    }
    if not quick:
        small, large = sweep_memory(1), sweep_memory(100)
        out["memory"] = {
            "small": small,
            "large": large,
            "main_ratio": large["main_peak_rss_mb"] / small["main_peak_rss_mb"],
            "worker_ratio": large["worker_peak_rss_mb"] / small["worker_peak_rss_mb"],
        }
    return out


def run_benchmarks(repeats: int = 5, quick: bool = False, sweeps: bool = True) -> dict[str, Any]:
    """Run the standard workloads and return their figures."""
    baseline = load_scenario(BASELINE)
    rows: list[dict[str, Any]] = []

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "run"
        seconds = _median_time(lambda: write_run_folder(run_one(baseline, 1), baseline, folder), repeats)
        rows.append({"workload": "baseline run (300 travellers + surge), tables and folder", "seconds": seconds})
        cli = _median_time(
            lambda: subprocess.run(
                [sys.executable, "-m", "sim", "run", str(BASELINE), "--no-plots", "--quiet", "--force",
                 "--out", str(folder)],  # fmt: skip
                check=True,
                capture_output=True,
            ),
            repeats,
        )
        python = _median_time(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), repeats)
        rows.append({"workload": "baseline run, whole command (tabletop run --no-plots)", "seconds": cli})
        rows.append({"workload": "  of which Python start-up alone", "seconds": python})

    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    scaling = []
    for size in sizes:
        scenario = load_scenario(BASELINE, [f"travellers.count={size}", "injects=[]"])
        reps = repeats if size < 100_000 else max(3, repeats // 2)
        summary_only = _median_time(lambda s=scenario: run_one(s, 1, tables=False), reps)
        with_tables = _median_time(lambda s=scenario: run_one(s, 1), reps)
        scaling.append(
            {
                "travellers": size,
                "seconds_summary_only": summary_only,
                "us_per_traveller_summary_only": summary_only / size * 1e6,
                "seconds_with_tables": with_tables,
                "us_per_traveller_with_tables": with_tables / size * 1e6,
            }
        )
        rows.append({"workload": f"{size:,} travellers, summary only", "seconds": summary_only})
        rows.append({"workload": f"{size:,} travellers, with tables", "seconds": with_tables})

    events_scenario = load_scenario(BASELINE, [f"travellers.count={10_000 if quick else 100_000}", "injects=[]"])
    events = engine_events(events_scenario, 1, max(3, repeats // 2))
    population = population_overhead(max(5, repeats))
    rows.append({"workload": f"baseline corridor, {POPULATION:,} ordinary crossings/day/border", "seconds":
                 population["seconds_with"]})  # fmt: skip
    rows.append({"workload": "  the same without them", "seconds": population["seconds_without"]})
    sweep = run_sweep_benchmarks(max(3, repeats // 2), quick=quick) if sweeps else None
    return {
        "version": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "repeats": repeats,
        "workloads": rows,
        "scaling": scaling,
        "engine": events,
        "population": population,
        "sweep": sweep,
    }


def format_report(report: dict[str, Any]) -> str:
    """The benchmark figures as a plain-text table."""
    lines = [
        f"tabletop {report['version']} on Python {report['python']}, {report['machine']}, {report['cpus']} CPUs; "
        f"medians of {report['repeats']} repeats",
        "",
        f"{'workload':<58}{'seconds':>10}",
    ]
    lines += [f"{row['workload']:<58}{row['seconds']:>10.3f}" for row in report["workloads"]]
    lines += ["", f"{'travellers':>10}{'us/traveller (summary)':>26}{'us/traveller (tables)':>26}"]
    lines += [
        f"{row['travellers']:>10,}{row['us_per_traveller_summary_only']:>26.1f}{row['us_per_traveller_with_tables']:>26.1f}"
        for row in report["scaling"]
    ]
    engine = report["engine"]
    lines += [
        "",
        f"engine: {engine['events']:,} events, {engine['engine_events_per_second']:,}/s; "
        f"bare heapq loop over the same events: {engine['bare_heapq_events_per_second']:,}/s; "
        f"ratio {engine['ratio_engine_to_bare']}x",
    ]
    population = report.get("population")
    if population:
        lines += [
            "",
            f"ordinary travellers: {population['ordinary_crossings']:,} crossings counted "
            f"({population['wrongful_stops']:,} namesake stops simulated) cost {population['ratio']:.2f}x "
            "the run without them (median of back-to-back pairs; at most 1.5x is the target)",
        ]
    sweep = report.get("sweep")
    if sweep:
        runs = sweep["runs"]
        lines += [
            "",
            f"sweep of 6 x 5 points x 20 replications ({runs} runs, {SWEEP.name}), start-up included; "
            "ratios are medians of back-to-back pairs:",
            _sweep_line("1 worker", runs, sweep["seconds_1_worker"]),
            _sweep_line("2 workers", runs, sweep["seconds_2_workers"]) + f"   speed-up {sweep['speedup_1_to_2']:.2f}x",
            _sweep_line("mesa.batch_run, 2 processes", runs, sweep["seconds_mesa_batch_run_2_processes"])
            + f"   tabletop sweep runs {sweep['throughput_vs_mesa_batch_run']:.2f}x as many per second",
        ]
        memory = sweep.get("memory")
        if memory:
            small, large = memory["small"], memory["large"]
            lines += [
                f"peak memory, {large['runs']:,}-run vs {small['runs']}-run sweep (2 workers): main process "
                f"{large['main_peak_rss_mb']:.0f} vs {small['main_peak_rss_mb']:.0f} MB ({memory['main_ratio']:.2f}x); "
                f"largest worker {large['worker_peak_rss_mb']:.0f} vs {small['worker_peak_rss_mb']:.0f} MB "
                f"({memory['worker_ratio']:.2f}x); the {large['runs']:,} runs took {large['seconds']:.0f} s",
            ]
    return "\n".join(lines)


def _sweep_line(label: str, runs: int, seconds: float) -> str:
    return f"  {label:<30}{seconds:>7.2f} s  {runs / seconds:>6.1f} runs/s"
