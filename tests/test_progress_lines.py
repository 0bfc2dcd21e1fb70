"""Long work in a pipe: progress as lines every few percent when stderr is not a terminal."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

from builders import SCENARIOS
from sweep_helpers import write_sweep

from sim.experiments.progress_lines import ProgressLines, progress_callback

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^  (\d+)/(\d+) (paired runs|runs) \((\d+)%\)")


def test_a_line_every_five_percent_with_the_rate_and_the_time_left():
    out, now = io.StringIO(), [0.0]
    lines = ProgressLines(200, "runs", stream=out, clock=lambda: now[0])
    for _ in range(200):
        now[0] += 0.5
        lines.update(1)
    printed = out.getvalue().splitlines()
    assert len(printed) == 20, printed
    assert printed[0] == "  10/200 runs (5%) · 2 runs/s · about 1 min 35 s left"
    assert printed[-1] == "  200/200 runs (100%) · 2 runs/s · took 1 min 40 s"


def test_a_resumed_sweep_counts_only_the_new_runs_in_its_rate():
    out, now = io.StringIO(), [0.0]
    lines = ProgressLines(100, "runs", initial=50, stream=out, clock=lambda: now[0])
    now[0] = 5.0
    lines.update(5)
    assert out.getvalue().splitlines() == ["  55/100 runs (55%) · 1 runs/s · about 45 s left"]


def test_the_compare_callback_prints_lines_too():
    out = io.StringIO()
    progress = progress_callback("paired runs", stream=out)
    for done in range(1, 41):
        progress(done, 40)
    printed = out.getvalue().splitlines()
    assert len(printed) == 20 and printed[-1].startswith("  40/40 paired runs (100%)"), printed


def _lines(stderr: str) -> list[tuple[int, int]]:
    return [(int(m.group(1)), int(m.group(4))) for m in map(LINE.match, stderr.splitlines()) if m]


def test_sweep_in_a_pipe_prints_progress_lines_its_report_and_what_resume_found(tmp_path):
    path = write_sweep(tmp_path, """\
        name: Piped
        replications: 20
        seed: 3
        parameters:
          sharing.delay_scale: [0, 1, 2]
        outputs: [detection_rate]
        """)  # fmt: skip
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--workers", "1"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)  # stderr is a pipe
    assert done.returncode == 0, done.stderr
    lines = _lines(done.stderr)
    assert len(lines) >= 15 and lines[-1] == (60, 100), done.stderr
    assert "runs/s" in done.stderr and "left" in done.stderr, done.stderr
    assert f"  report: {out / 'report.html'}" in done.stdout.splitlines(), done.stdout

    again = subprocess.run([*command, "--resume", "--no-plots"], cwd=ROOT, capture_output=True, text=True,
                           timeout=180)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "resuming: 60 of 60 runs already done, 0 to go" in again.stderr, again.stderr
    assert "(60 were already done)" in again.stdout, again.stdout


def test_compare_in_a_pipe_prints_progress_lines(tmp_path):
    scenario = str(SCENARIOS / "baseline-corridor.yaml")
    done = subprocess.run(
        [sys.executable, "-m", "sim", "compare", scenario, scenario, "--set-b", "sharing.delay_scale=0",
         "--replications", "20", "--workers", "1", "--no-plots", "--out", str(tmp_path / "cmp")],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = _lines(done.stderr)
    assert len(lines) >= 10 and lines[-1] == (20, 100), done.stderr
