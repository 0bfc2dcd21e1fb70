"""Analysis of a sweep's tables: critical values. Never imports the model.

(The Sobol' indices are the sobol design's own analysis: `sim.spec.designs.SobolDesign`.)

A critical value is the largest value of a parameter (the delay scale, say) at
which an output (detection) still stays at or above a level: read off the
response curve by linear interpolation between the two points that straddle the
level, and off the two ends of its 95% band for an interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Critical:
    """The critical value of a parameter on one response curve.

    Attributes:
        estimate: the largest value keeping the mean at or above the level (None: below it everywhere).
        low: the same read off the lower end of the 95% band (the cautious end).
        high: the same off the upper end.
        censored: the mean stays above the level over the whole range swept (the estimate is a lower bound).
    """

    estimate: float | None
    low: float | None
    high: float | None
    censored: bool

    def describe(self, fmt: str = "{:g}") -> str:
        """In words, e.g. ``1.3 (95% band 0.9 to 1.8)``."""
        if self.estimate is None:
            return "none: below the level at every value swept"
        if self.censored:
            return f"above the whole range swept (>= {fmt.format(self.estimate)})"
        band = ""
        if self.low is not None and self.high is not None:
            band = f" (95% band {fmt.format(self.low)} to {fmt.format(self.high)})"
        elif self.low is None and self.high is not None:
            band = f" (95% band up to {fmt.format(self.high)})"
        return fmt.format(self.estimate) + band


def crossing(xs: Sequence[float], ys: Sequence[float | None], level: float) -> tuple[float | None, bool]:
    """The largest x up to which the curve stays at or above `level`, interpolated; and whether it never drops.

    Walks the curve from its smallest x: the critical value is where it first
    falls below the level (linearly between the last point at or above and the
    first point below). None if it starts below.
    """
    pairs = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True) if y is not None and not math.isnan(float(y))]
    pairs.sort()
    if not pairs or pairs[0][1] < level:
        return None, False
    for (x0, y0), (x1, y1) in zip(pairs, pairs[1:], strict=False):
        if y1 < level:
            if y0 == y1:
                return x0, False
            return x0 + (y0 - level) * (x1 - x0) / (y0 - y1), False
    return pairs[-1][0], True


def critical_value(
    xs: Sequence[float],
    means: Sequence[float | None],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
    level: float,
) -> Critical:
    """The critical value on one curve, with the values read off its band's two ends.

    The lower end of the band falls below the level first: its crossing is the
    cautious end of the interval; the upper end's crossing is the optimistic one.
    """
    estimate, censored = crossing(xs, means, level)
    low, _ = crossing(xs, lows, level)
    high, _ = crossing(xs, highs, level)
    return Critical(estimate=estimate, low=low, high=high, censored=censored)
