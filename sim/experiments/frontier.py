"""The trade-off of two outputs over a sweep's points: the non-dominated set and the constrained pick.

Both read points.csv (one row per point and output: mean, ci_low, ci_high), never
the model. Non-domination is decided on the means alone: point p is dominated when
some point q is at least as good on both outputs and strictly better on one
(higher mean of the maximised output, lower mean of the minimised one). Points
with equal means on both dominate neither each other: both stay on the frontier.
The intervals are drawn and tabled beside the means, but do not decide.

A constraint (``wrongful_stops.total<=50``) is met on the 95% interval of the
mean, cautiously: an upper bound by the interval's upper end, a lower bound by its
lower end (a point whose interval is missing, one run, meets it on its mean). The
pick is, among the points that meet it, the one with the highest mean of the
maximised output; ties go to the lowest ``sharing.delay_scale`` (the fastest
sharing), then to the lowest point number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from sim.spec.sweep_model import Constraint

SPEED_PARAMETER = "sharing.delay_scale"
"""Ties of the constrained pick go to the lowest value of this parameter (the fastest sharing), when swept."""


def wide_points(points: pd.DataFrame, paths: Sequence[str], outputs: Sequence[str]) -> pd.DataFrame:
    """points.csv as one row per point: its parameters, and ``OUTPUT``, ``OUTPUT:low``, ``OUTPUT:high`` per output."""
    out = points.drop_duplicates("point").set_index("point")[list(paths)].copy()
    for output in outputs:
        rows = points[points["output"] == output].set_index("point")
        for column, suffix in (("mean", ""), ("ci_low", ":low"), ("ci_high", ":high")):
            out[output + suffix] = pd.to_numeric(rows[column], errors="coerce").reindex(out.index)
    return out.reset_index().sort_values("point", kind="stable").reset_index(drop=True)


def non_dominated(wide: pd.DataFrame, maximise: str, minimise: str) -> list[int]:
    """The points no other point dominates on the means, in order of the minimised output (then the maximised).

    A point without a mean of either output is left out (it cannot be compared).
    """
    usable = wide.dropna(subset=[maximise, minimise])
    up = usable[maximise].to_numpy(dtype=float)
    down = usable[minimise].to_numpy(dtype=float)
    kept = []
    for i in range(len(usable)):
        dominated = ((up >= up[i]) & (down <= down[i]) & ((up > up[i]) | (down < down[i]))).any()
        if not dominated:
            kept.append(i)
    front = usable.iloc[kept].sort_values([minimise, maximise, "point"], ascending=[True, True, True], kind="stable")
    return [int(p) for p in front["point"]]


def meets(row: pd.Series | dict[str, Any], constraint: Constraint) -> bool:
    """Whether a point meets the constraint on its 95% bound (upper end for <=, lower end for >=)."""
    mean = _number(row.get(constraint.output))
    bound = _number(row.get(constraint.output + (":high" if constraint.upper else ":low")))
    value = bound if bound is not None else mean
    if value is None:
        return False
    return value <= constraint.level if constraint.upper else value >= constraint.level


def constrained_pick(wide: pd.DataFrame, constraint: Constraint, maximise: str) -> int | None:
    """The point meeting `constraint` with the highest mean of `maximise` (ties: fastest sharing, then first).

    None when no point meets it.
    """
    rows = [row for _, row in wide.iterrows() if meets(row, constraint) and _number(row.get(maximise)) is not None]
    if not rows:
        return None

    def key(row: pd.Series) -> tuple[float, float, int]:
        speed = _number(row.get(SPEED_PARAMETER)) if SPEED_PARAMETER in row else None
        return (-float(row[maximise]), speed if speed is not None else 0.0, int(row["point"]))

    return int(min(rows, key=key)["point"])


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
