"""Analysis of a sweep's tables: Sobol' indices and critical values. Never imports the model.

Sobol' indices (SALib, Saltelli's scheme) apportion the variance of an output
across the parameters: the first-order index S1 is the share one parameter
explains alone, the total index ST adds everything it does together with the
others. They are estimated from the per-point means of the replications (which
share their seeds: common random numbers), with bootstrap 95% intervals.

A critical value is the largest value of a parameter (the delay scale, say) at
which an output (detection) still stays at or above a level: read off the
response curve by linear interpolation between the two points that straddle the
level, and off the two ends of its 95% band for an interval.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.spec.sweep_file import design_seed, sobol_points, sobol_problem


def sobol_indices(
    values: Sequence[float],
    names: Sequence[str],
    samples: int,
    second_order: bool = False,
    seed: int = 0,
    resamples: int = 1000,
    confidence: float = 0.95,
) -> list[dict[str, Any]]:
    """Sobol' indices of one output from its values at the points of a sobol design (in design order).

    Args:
        values: the output at each point (``samples x (D + 2)`` of them, or ``x (2 D + 2)``).
        names: the parameters, in design order.
        samples: the design's base sample N.
        second_order: the design has the second-order blocks.
        seed: the bootstrap's seed.
        resamples: bootstrap resamples for the intervals.
        confidence: the intervals' level.

    Returns:
        Rows: parameter, index (``S1``, ``ST``, ``S2``), value, ci_low, ci_high.

    Raises:
        ValueError: when the values do not fit the design or some are missing.
    """
    from SALib.analyze import sobol

    y = np.asarray(values, dtype=float)
    expected = sobol_points(samples, len(names), second_order)
    if y.shape != (expected,):
        raise ValueError(
            f"a sobol design of N={samples} over {len(names)} parameters has {expected} points, not {y.size}"
        )
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{int(np.sum(~np.isfinite(y)))} points have no value")
    if np.var(y) == 0:
        raise ValueError("the output is the same at every point: there is no variance to apportion")
    result = sobol.analyze(
        sobol_problem(len(names), names),
        y,
        calc_second_order=second_order,
        num_resamples=resamples,
        conf_level=confidence,
        seed=seed,
    )
    rows = []
    for index in ("S1", "ST"):
        for i, name in enumerate(names):
            value, half = float(result[index][i]), float(result[f"{index}_conf"][i])
            rows.append(
                {"parameter": name, "index": index, "value": value, "ci_low": value - half, "ci_high": value + half}
            )
    if second_order:
        for i, j in itertools.combinations(range(len(names)), 2):
            value, half = float(result["S2"][i, j]), float(result["S2_conf"][i, j])
            rows.append(
                {
                    "parameter": f"{names[i]} x {names[j]}",
                    "index": "S2",
                    "value": value,
                    "ci_low": value - half,
                    "ci_high": value + half,
                }
            )
    for row in rows:
        for key in ("value", "ci_low", "ci_high"):
            row[key] = round(row[key], 6) + 0.0
    return rows


def sobol_table(points: list[dict[str, Any]], info: Any) -> list[dict[str, Any]]:
    """The rows of sensitivity.csv from the rows of points.csv of a sobol sweep (a `FolderInfo`).

    An output whose indices cannot be estimated (points missing, or no variance) gets
    one row with a note saying why.
    """
    rows: list[dict[str, Any]] = []
    for output in info.outputs:
        means = {r["point"]: r["mean"] for r in points if r["output"] == output}
        total = sobol_points(info.samples, len(info.paths), info.second_order)
        values = [float("nan") if means.get(i) is None else float(means[i]) for i in range(total)]
        try:
            found = sobol_indices(values, info.paths, info.samples, info.second_order, seed=design_seed(info.seed))
        except ValueError as exc:
            rows.append({"output": output, "note": f"not estimated: {exc}"})
            continue
        rows += [{"output": output, **row, "note": ""} for row in found]
    return rows


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
