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

from sim import __version__
from sim.model import SharingModel
from sim.runs import gc_paused, run_one, write_run_folder
from sim.scenario import Scenario, load_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "northern-corridor.yaml"


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
            model = SharingModel(scenario, seed=seed, log_events=False)
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


def run_benchmarks(repeats: int = 5, quick: bool = False) -> dict[str, Any]:
    """Run the standard workloads and return their figures."""
    baseline = load_scenario(BASELINE)
    rows: list[dict[str, Any]] = []

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "run"
        seconds = _median_time(lambda: write_run_folder(run_one(baseline, 1), baseline, folder), repeats)
        rows.append({"workload": "baseline run (300 travellers + surge), tables and folder", "seconds": seconds})
        cli = _median_time(
            lambda: subprocess.run(
                [sys.executable, "-m", "sim", "run", str(BASELINE), "--no-plots", "--quiet", "--out", str(folder)],
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
    return {
        "version": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "repeats": repeats,
        "workloads": rows,
        "scaling": scaling,
        "engine": events,
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
    return "\n".join(lines)
