"""Running sweeps: rows, seeds, failures, resume after a kill, aggregates, Sobol' indices."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from builders import ROOT
from sweep_helpers import (
    CRASH_POINT,
    CRASH_REPLICATION,
    FAIL_POINT,
    crash_one_run,
    fail_one_point,
    read_rows,
    write_sweep,
)

from sim.cli import main
from sim.experiments.executors import Executor, LocalExecutor, SerialExecutor
from sim.experiments.sweep_runner import run_sweep
from sim.experiments.sweep_tables import read_csv
from sim.spec.sweep_file import load_sweep


class Substitute(Executor):
    """Another executor's workers, running another task function (to make runs fail on purpose)."""

    def __init__(self, inner: Executor, function):
        self.inner, self.function = inner, function
        self.description, self.workers = inner.description, inner.workers

    def start(self) -> None:
        self.inner.start()

    def close(self, abort: bool = False) -> None:
        self.inner.close(abort)

    def run(self, function, tasks):
        return self.inner.run(self.function, tasks)


GRID = """\
replications: {replications}
seed: 11
parameters:
  sharing.delay_scale: [0, 1, 3]
  sharing.links[*].trust: [0.5, 1.0]
outputs: [detection_rate, late_share, misses.late]
"""


def test_a_grid_gives_points_times_replications_rows_with_the_same_seed_at_every_point(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path, GRID.format(replications=4)))

    outcome = run_sweep(sweep, tmp_path / "out", executor=SerialExecutor(), progress=False)

    header, rows = read_rows(tmp_path / "out" / "runs.csv")
    assert outcome.done == outcome.runs == 6 * 4 and len(rows) == 24, "3 x 2 points x 4 replications"
    assert header == [
        "point", "replication", "seed", "sharing.delay_scale", "sharing.links[*].trust",
        "detection_rate", "late_share", "misses.late", "error", "scenario_hash", "version",
    ]  # fmt: skip
    keys = {(r[0], r[1]) for r in rows}
    assert len(keys) == 24, "each (point, replication) once"
    seeds_by_replication: dict[str, set[str]] = {}
    for row in rows:
        seeds_by_replication.setdefault(row[1], set()).add(row[2])
    assert all(len(s) == 1 for s in seeds_by_replication.values()), "a replication has one seed at every point (CRN)"
    assert len({next(iter(s)) for s in seeds_by_replication.values()}) == 4, "replications have distinct seeds"
    hashes = {row[0]: row[9] for row in rows}
    assert len(set(hashes.values())) == 6, "every point's scenario has its own hash"
    late_at_zero = [float(r[6]) for r in rows if r[3] == "0"]
    assert late_at_zero and all(v == 0 for v in late_at_zero), "instant sharing (delay scale 0) has no late misses"
    points = read_csv(tmp_path / "out" / "points.csv")
    assert len(points) == 6 * 3 and all(p["runs"] == 4 for p in points), "points.csv: one row per point and output"


def test_the_interval_shrinks_as_replications_grow(tmp_path: Path) -> None:
    widths = {}
    for replications in (4, 32):
        folder = tmp_path / f"r{replications}"
        folder.mkdir()
        sweep = load_sweep(write_sweep(folder, GRID.format(replications=replications)))
        run_sweep(sweep, folder / "out", executor=SerialExecutor(), progress=False)
        rows = [r for r in read_csv(folder / "out" / "points.csv") if r["output"] == "detection_rate"]
        widths[replications] = sum(r["ci_high"] - r["ci_low"] for r in rows) / len(rows)
    # The half-width is t * sd / sqrt(n): from 4 to 32 runs it should shrink by about
    # sqrt(8) * t(3) / t(31) ~ 4.4; require at least 2 to leave room for the sd's noise.
    assert widths[32] < widths[4] / 2, f"the mean 95% interval should shrink with replications: {widths}"


def test_a_failing_run_is_recorded_with_its_seed_and_the_sweep_goes_on(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path, GRID.format(replications=2)))

    outcome = run_sweep(sweep, tmp_path / "out", executor=Substitute(SerialExecutor(), fail_one_point), progress=False)

    _, rows = read_rows(tmp_path / "out" / "runs.csv")
    failed = [r for r in rows if r[8]]
    assert outcome.done == 12 and outcome.failed == 2 and len(failed) == 2, "both runs of the failing point recorded"
    assert all(r[0] == str(FAIL_POINT) and "deliberate failure" in r[8] for r in failed), failed
    assert all(
        r[2] == str(s) for r, s in zip(sorted(failed, key=lambda r: r[1]), sweep.replication_seeds(), strict=True)
    )
    points = read_csv(tmp_path / "out" / "points.csv")
    assert all(p["runs"] == 0 for p in points if p["point"] == FAIL_POINT), "failed runs are left out of the means"
    assert all(p["runs"] == 2 for p in points if p["point"] != FAIL_POINT)


def test_a_run_that_kills_its_worker_is_recorded_and_the_others_complete(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path, GRID.format(replications=3)))

    outcome = run_sweep(sweep, tmp_path / "out", executor=Substitute(LocalExecutor(2), crash_one_run), progress=False)

    _, rows = read_rows(tmp_path / "out" / "runs.csv")
    assert len(rows) == 18 and len({(r[0], r[1]) for r in rows}) == 18, "every run has exactly one row"
    failed = [r for r in rows if r[8]]
    assert [(r[0], r[1]) for r in failed] == [(str(CRASH_POINT), str(CRASH_REPLICATION))], (
        f"only the run that kills its worker is recorded as failed; the others in flight are rerun: {failed}"
    )
    assert "worker process died" in failed[0][8]
    assert outcome.failed == 1


def sweep_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim", "sweep", *args]


def test_resume_after_a_killed_sweep_has_no_duplicates_and_no_gaps(tmp_path: Path) -> None:
    body = GRID.format(replications=20)  # 120 runs: long enough to kill it in the middle, few to rerun
    path = write_sweep(tmp_path, body)
    killed = tmp_path / "killed"
    process = subprocess.Popen(
        sweep_command(str(path), "--out", str(killed), "--workers", "2", "--quiet", "--no-plots"),
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    runs = killed / "runs.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if runs.exists() and runs.read_text().count("\n") > 20:
            break
        time.sleep(0.05)
    descendants = psutil.Process(process.pid).children(recursive=True)
    assert descendants, "the sweep runs in worker processes"
    os.kill(process.pid, signal.SIGKILL)  # the main process, without warning: it cannot stop its workers
    process.wait(timeout=30)
    _, alive = psutil.wait_procs(descendants, timeout=15)
    for orphan in alive:  # clean up before failing
        orphan.kill()
    assert not alive, "the workers of a killed sweep end themselves"
    _, before = read_rows(runs)
    assert 20 <= len(before) < 120, f"the sweep was killed part way ({len(before)} rows)"
    assert not (killed / "complete.json").exists(), "a killed sweep has no completion marker"
    assert main(["report", str(killed)]) == 2, "report refuses a sweep that is not finished"

    done = subprocess.run(
        sweep_command(str(path), "--out", str(killed), "--resume", "--workers", "2", "--quiet", "--no-plots"),
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    whole = tmp_path / "whole"
    sweep = load_sweep(path)
    run_sweep(sweep, whole, executor=SerialExecutor(), progress=False)
    _, after = read_rows(runs)
    _, reference = read_rows(whole / "runs.csv")
    keys = [(r[0], r[1]) for r in after]
    assert len(keys) == len(set(keys)), "no (point, replication) twice after resuming"
    assert len(after) == 120, f"no gaps: every run of the design is there ({len(after)} rows)"
    assert sorted(after) == sorted(reference), "the resumed sweep's rows equal an uninterrupted sweep's"
    assert (killed / "points.csv").exists(), "the aggregates are written once the sweep is complete"
    assert (killed / "complete.json").exists() and not (killed / "sweep.lock").exists(), "then the marker"


def test_a_terminated_sweep_stops_cleanly_and_says_how_to_finish(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, GRID.format(replications=40))
    out = tmp_path / "out"
    process = subprocess.Popen(
        sweep_command(str(path), "--out", str(out), "--workers", "2", "--no-plots"),
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not ((out / "runs.csv").exists() and (out / "runs.csv").read_text().count("\n") > 20):
        assert time.monotonic() < deadline and process.poll() is None, "the sweep should be running"
        time.sleep(0.05)
    process.terminate()  # `kill PID`: handled like Ctrl-C
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stderr
    assert f"Finish with: tabletop sweep {path} --out {out} --resume" in stderr, stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and 20 <= manifest["rows"] < 240, manifest
    _, rows = read_rows(out / "runs.csv")
    assert len(rows) == manifest["rows"], "the manifest counts the rows on disk"


def test_resume_refuses_a_different_sweep(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, GRID.format(replications=2))
    run_sweep(load_sweep(path), tmp_path / "out", executor=SerialExecutor(), progress=False)
    other = write_sweep(tmp_path, GRID.format(replications=2).replace("seed: 11", "seed: 12"), name="other.yaml")

    done = subprocess.run(
        sweep_command(str(other), "--out", str(tmp_path / "out"), "--resume", "--quiet"),
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    again = subprocess.run(
        sweep_command(str(path), "--out", str(tmp_path / "out"), "--quiet"),
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert done.returncode == 2 and "is not the sweep in" in done.stderr, done.stderr
    assert again.returncode == 2 and "add --resume" in again.stderr, "a folder that holds a sweep is not overwritten"


def test_more_replications_on_resume_adds_only_the_new_runs(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, GRID.format(replications=2))
    run_sweep(load_sweep(path), tmp_path / "out", executor=SerialExecutor(), progress=False)
    _, first = read_rows(tmp_path / "out" / "runs.csv")
    more = write_sweep(tmp_path, GRID.format(replications=5), name="more.yaml")

    outcome = run_sweep(load_sweep(more), tmp_path / "out", executor=SerialExecutor(), resume=True, progress=False)

    _, rows = read_rows(tmp_path / "out" / "runs.csv")
    assert outcome.made == 6 * 3 and len(rows) == 30, "only replications 2..4 are run"
    assert rows[: len(first)] == first, "the earlier rows stay as they were"


def test_sobol_indices_of_a_parameter_that_does_nothing_are_near_zero(tmp_path: Path) -> None:
    # party_size decides how many companions cross with a traveller, never whether the
    # traveller is detected: its indices for the detection rate must be ~0, while the
    # delay scale and the intelligence coverage move detection.
    path = write_sweep(
        tmp_path,
        """\
        design: sobol
        samples: 16
        replications: 2
        seed: 5
        parameters:
          sharing.delay_scale: {low: 0, high: 3}
          intelligence[0].covers: {low: 0.2, high: 1.0}
          travellers.groups[halvorians].party_size: {low: 1, high: 4}
        outputs: [detection_rate]
        """,
    )
    sweep = load_sweep(path)
    assert len(sweep.points()) == 16 * (3 + 2)

    run_sweep(sweep, tmp_path / "out", executor=SerialExecutor(), progress=False)

    rows = read_csv(tmp_path / "out" / "sensitivity.csv")
    index = {(r["parameter"], r["index"]): r for r in rows}
    nothing = "travellers.groups[halvorians].party_size"
    for kind in ("S1", "ST"):
        assert abs(index[(nothing, kind)]["value"]) < 0.02, (
            f"{kind} of a do-nothing parameter is ~0: {index[(nothing, kind)]}"
        )
    assert index[("sharing.delay_scale", "ST")]["value"] > 0.2, "the delay scale explains much of detection"
    assert index[("intelligence[0].covers", "ST")]["value"] > 0.1, "so does the coverage of intelligence"
    assert all(r["ci_low"] <= r["value"] <= r["ci_high"] for r in rows), "each index lies inside its interval"


@pytest.mark.parametrize("workers", [2])
def test_the_sweep_command_writes_the_folder_figures_and_report(tmp_path: Path, workers: int) -> None:
    path = write_sweep(
        tmp_path,
        """\
        name: Tiny delay x trust
        replications: 3
        seed: 2
        parameters:
          sharing.delay_scale: [0, 0.5, 2]
          sharing.links[*].trust: [0.4, 1.0]
        outputs: [detection_rate, median_hours_to_detection]
        threshold: {output: detection_rate, above: 0.3}
        """,
    )
    out = tmp_path / "out"

    done = subprocess.run(
        sweep_command(str(path), "--out", str(out), "--workers", str(workers)),
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "18 runs made" in done.stdout and f"sweep folder: {out}" in done.stdout, done.stdout
    assert "run/s" not in done.stderr, "no progress bar in a pipe"
    for name in ("sweep.yaml", "scenario.yaml", "runs.csv", "points.csv", "manifest.json", "report.html"):
        assert (out / name).is_file(), f"{name} is in the sweep folder"
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert "curve-detection-rate.png" in figures and "heatmap-detection-rate.png" in figures, figures
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(figures), "every figure is inlined in the report"
    assert "Critical delay scale" in html, "the critical delay scale has its own section"
    for figure in (out / "figures").glob("*.png"):
        figure.unlink()
    (out / "report.html").unlink()
    redrawn = subprocess.run(
        [sys.executable, "-m", "sim", "report", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert redrawn.returncode == 0, redrawn.stderr
    assert sorted(p.name for p in (out / "figures").glob("*.png")) == figures, "`tabletop report DIR` redraws them"
    assert (out / "report.html").is_file()
    rerun = subprocess.run(
        sweep_command(str(out / "sweep.yaml"), "--out", str(tmp_path / "again"), "--workers", "1", "--no-plots", "--quiet"),
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(read_rows(out / "runs.csv")[1]) == sorted(read_rows(tmp_path / "again" / "runs.csv")[1]), (
        "the folder's sweep.yaml (as run) reproduces the sweep"
    )


def test_a_terminal_shows_progress_with_rate_and_time_left(tmp_path: Path) -> None:
    import pty

    path = write_sweep(tmp_path, "replications: 2\nparameters:\n  sharing.delay_scale: [0, 1]\n")
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        sweep_command(str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--no-plots"),
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=secondary,
    )  # fmt: skip
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal closed: the sweep ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    assert process.wait(timeout=60) == 0
    text = seen.decode(errors="replace")
    assert "4/4" in text and "run/s" in text, f"a terminal shows runs done and the rate:\n{text}"
    assert "<00:00" in text or "?" in text, "and the time left"


def fail_every_run(task):  # type: ignore[no-untyped-def]
    """Every run raises (a top-level function, so it pickles)."""
    raise RuntimeError("deliberate failure of every run")


def test_the_report_of_a_sweep_whose_runs_all_failed_says_so(tmp_path: Path) -> None:
    from sim.debrief.sweep_report import report

    sweep = load_sweep(write_sweep(tmp_path, GRID.format(replications=1)))
    outcome = run_sweep(sweep, tmp_path / "out", executor=Substitute(SerialExecutor(), fail_every_run), progress=False)
    assert outcome.failed == outcome.done == outcome.runs
    text = report(tmp_path / "out").read_text()
    assert "nothing to draw" in text and "deliberate failure of every run" in text
