"""Small sweeps for the tests (import: `from sweep_helpers import ...`).

The runs are of the baseline corridor with few travellers (a few milliseconds
each), so a sweep of a hundred runs takes about a second.
"""

from __future__ import annotations

import csv
import os
import textwrap
from pathlib import Path

import yaml
from builders import SCENARIOS

from sim.experiments.sweep_runner import RunTask, execute_run

BASELINE = SCENARIOS / "baseline-corridor.yaml"
SMALL_TRAVELLERS = 60


def small_scenario(folder: Path, travellers: int = SMALL_TRAVELLERS) -> Path:
    """The baseline corridor with few travellers, written into `folder`."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["travellers"]["count"] = travellers
    path = folder / "small.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_sweep(folder: Path, body: str, name: str = "sweep.yaml") -> Path:
    """A sweep file over the small scenario (``scenario: small.yaml`` is prepended)."""
    small_scenario(folder)
    path = folder / name
    path.write_text("scenario: small.yaml\n" + textwrap.dedent(body), encoding="utf-8")
    return path


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


CRASH_POINT = 2
CRASH_REPLICATION = 1
FAIL_POINT = 1


def crash_one_run(task: RunTask):
    """`execute_run`, except that one (point, replication) kills its worker process outright."""
    if task.point == CRASH_POINT and task.replication == CRASH_REPLICATION:
        os._exit(3)
    return execute_run(task)


def fail_one_point(task: RunTask):
    """`execute_run`, except that every run of one point raises."""
    if task.point == FAIL_POINT:
        raise RuntimeError(f"deliberate failure at point {task.point}")
    return execute_run(task)
