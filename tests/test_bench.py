"""`tabletop bench`: the workloads run as written (their speed is measured, not tested)."""

from __future__ import annotations

from sim.experiments.benchmarks import POPULATION, run_benchmarks


def test_bench_runs_every_workload_and_counts_the_ordinary_crossings() -> None:
    report = run_benchmarks(repeats=1, quick=True, sweeps=False)
    workloads = {row["workload"] for row in report["workloads"]}
    # The whole command runs into a folder it made on the repeat before: it must be able to replace it.
    assert "baseline run, whole command (tabletop run --no-plots)" in workloads
    assert all(row["seconds"] > 0 for row in report["workloads"])
    # Three borders, 100 days: the ordinary crossings are counted, not drawn.
    assert report["population"]["ordinary_crossings"] == POPULATION * 3 * 100
    assert report["population"]["wrongful_stops"] > 0
