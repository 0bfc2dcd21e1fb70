"""Progress as plain lines, for long work whose stderr is not a terminal (a pipe, a log, CI).

A progress bar redraws one line with carriage returns, which a log file shows as nothing
or as garbage; so when stderr is not a terminal, sweeps and comparisons print a line every
few percent instead: how many are done, the rate, and the time left.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class ProgressLines:
    """Print ``done/total (percent), rate, time left`` every `step` of the work (tqdm's `update`).

    Args:
        total: how many units the work has.
        unit: what a unit is called ("runs", "paired runs").
        initial: units already done before (a resumed sweep); the rate counts only new ones.
        stream: where to print (default: stderr).
        step: print each time this share of the total is passed (default 5%).
        clock: seconds, for the rate (a test may pass its own).
    """

    def __init__(self, total: int, unit: str = "runs", initial: int = 0, stream: TextIO | None = None,
                 step: float = 0.05, clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.total = max(int(total), 0)
        self.unit = unit
        self.initial = self.done = int(initial)
        self.stream = stream
        self.every = max(1, int(self.total * step))
        self.clock = clock
        self.started = clock()
        self.failed = 0
        self._next = self.done + self.every

    def update(self, n: int = 1) -> None:
        """`n` more units are done."""
        self.to(self.done + n)

    def to(self, done: int) -> None:
        """`done` units are done in all; print a line if a step was passed or the work is finished."""
        self.done = done
        if done >= self._next or (done >= self.total and self._next <= self.total + self.every - 1):
            self._next = (done // self.every + 1) * self.every
            if done >= self.total:
                self._next = self.total + self.every  # the last line once
            print(self.line(), file=self.stream or sys.stderr, flush=True)

    def set_postfix(self, failed: int = 0, **_: Any) -> None:
        """Count failures (shown in the line), as tqdm's `set_postfix(failed=...)`."""
        self.failed = failed

    def close(self) -> None:
        """Nothing to clean up (a bar would redraw here)."""

    def line(self) -> str:
        """The line: ``120/2400 runs (5%) · 14.2 runs/s · about 2 min 41 s left``."""
        share = self.done / self.total if self.total else 1.0
        seconds = self.clock() - self.started
        made = self.done - self.initial
        parts = [f"{self.done}/{self.total} {self.unit} ({share:.0%})"]
        if made > 0 and seconds > 0:
            rate = made / seconds
            parts.append(f"{rate:.3g} {self.unit.split()[-1]}/s")
            if self.done < self.total:
                parts.append(f"about {_duration((self.total - self.done) / rate)} left")
            else:
                parts.append(f"took {_duration(seconds)}")
        if self.failed:
            parts.append(f"{self.failed} failed")
        return "  " + " · ".join(parts)


def progress_callback(unit: str, stream: TextIO | None = None) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback (as `sim.api.compare` takes) that prints `ProgressLines`."""
    lines: list[ProgressLines] = []

    def progress(done: int, total: int) -> None:
        if not lines:
            lines.append(ProgressLines(total, unit, stream=stream))
        lines[0].to(done)

    return progress
