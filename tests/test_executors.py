"""Executors: the same sweep on a real Dask cluster (scheduler and workers on 127.0.0.1) and on local processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import ROOT
from sweep_helpers import read_rows, write_sweep

from sim.experiments.executors import LocalExecutor, SerialExecutor

STARTUP_SECONDS = 90
"""A scheduler and two workers start in a few seconds; allow for a busy 2-core machine."""


def _divide(pair: tuple[int, int]) -> float:
    return pair[0] / pair[1]


@pytest.fixture(scope="module")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Dask scheduler and two single-threaded workers on 127.0.0.1, started here and stopped after."""
    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    python = [sys.executable, "-m"]
    started = [
        subprocess.Popen(
            [
                *python,
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(file),
            ],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
    ]
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (file.exists() and file.stat().st_size > 0):
            assert time.monotonic() < deadline, "the Dask scheduler did not start"
            assert started[0].poll() is None, "the Dask scheduler exited"
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:"), address
        for n in range(2):
            started.append(
                subprocess.Popen(
                    [
                        *python,
                        "distributed.cli.dask_worker",
                        address,
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--local-directory",
                        str(folder / f"w{n}"),
                    ],
                    cwd=folder,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fmt: skip
            )
        from distributed import Client

        with Client(address, timeout=STARTUP_SECONDS) as client:
            client.wait_for_workers(2, timeout=STARTUP_SECONDS)
        yield address
    finally:
        for process in reversed(started):  # workers first, then the scheduler
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_the_same_sweep_on_dask_and_on_local_processes_gives_identical_rows(
    tmp_path: Path, dask_scheduler: str
) -> None:
    path = write_sweep(
        tmp_path,
        """\
        design: lhs
        samples: 6
        replications: 4
        seed: 9
        parameters:
          sharing.delay_scale: {low: 0, high: 3}
          sharing.links[*].trust: {low: 0.3, high: 1.0}
        outputs: [detection_rate, late_share, median_hours_to_detection, alerts.discarded]
        """,
    )

    def sweep(*options: str) -> list[list[str]]:
        out = tmp_path / options[-1].replace(":", "_").replace("/", "_")
        done = subprocess.run(
            [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--quiet", "--no-plots", *options],
            cwd=ROOT, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return read_rows(out / "runs.csv")[1]

    on_dask = sweep("--scheduler", dask_scheduler)
    local = sweep("--workers", "2")

    assert len(on_dask) == 6 * 4 and not any(r[-3] for r in on_dask), "every run done on the cluster, none failed"
    assert sorted(on_dask) == sorted(local), "Dask and local processes give the same rows (after sorting)"
    manifests = [json.loads(p.read_text()) for p in tmp_path.glob("*/manifest.json")]
    assert any("Dask cluster" in m["sessions"][0]["executor"] for m in manifests), "the manifest says where runs ran"


def test_a_failing_task_is_reported_not_raised() -> None:
    tasks = [(1, 2), (1, 0), (3, 4)]

    serial = {done.task: (done.value, done.error) for done in SerialExecutor().run(_divide, tasks)}
    with LocalExecutor(workers=2) as executor:
        local = {done.task: (done.value, done.error) for done in executor.run(_divide, tasks)}

    for results in (serial, local):
        assert results[(1, 2)] == (0.5, None) and results[(3, 4)] == (0.75, None), "the other tasks complete"
        value, error = results[(1, 0)]
        assert value is None and error is not None and error.startswith("ZeroDivisionError"), error
