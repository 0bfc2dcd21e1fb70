"""Numbers that may vary: a fixed value or a named distribution.

Every distribution is sampled by its inverse CDF from uniforms that the caller
draws from its own keyed stream (see `sim.engine.streams`). One uniform per decision
keeps common random numbers strong: halving a delay's median halves every
delay, draw by draw, instead of reshuffling them.

Every draw is finite and in range, not only every parameter as written: a number of a
quantity that may vary lies within ``±DRAW_LIMIT`` (checked when it is read, see
`sim.spec.field_types`), and every draw is clipped to that range (and to 0 and above for a
duration), so a lognormal whose tail overflows gives ``DRAW_LIMIT``, never ``inf``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

_STANDARD_NORMAL = NormalDist()

DRAW_LIMIT = 1e9
"""The largest size of a number written in, or drawn from, a quantity that may vary
(hours, days or people): about 114,000 years in hours, far beyond any horizon."""

NORMAL_TRUNCATION_LIMIT = 37.0
"""A normal duration needs ``mean >= -37 sd``: below, the share of the law at or above 0
(under 1e-299) is beyond double precision, so truncating at 0 leaves nothing to draw."""


def ndtri(u: np.ndarray) -> np.ndarray:
    """The standard normal quantile, elementwise (Wichura's AS241, exact to double precision).

    `statistics.NormalDist` instead of scipy.special: importing scipy.special costs a
    quarter of a second at every start of the command, and these arrays are small
    (one block of draws at a time, cached by the caller).
    """
    inv_cdf = _STANDARD_NORMAL.inv_cdf
    return np.array([inv_cdf(x) for x in np.asarray(u, dtype=float).ravel().tolist()]).reshape(np.shape(u))


def ndtr(x: float) -> float:
    """The standard normal CDF."""
    return _STANDARD_NORMAL.cdf(x)


def normal_tail(x: float) -> float:
    """P(Z > x) for a standard normal Z, accurate far into the tail (``erfc``, not ``1 - cdf``)."""
    return 0.5 * math.erfc(x / math.sqrt(2.0))


DIST_PARAMETERS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "exponential": ("mean",),
    "lognormal": ("median", "sigma"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "choice": ("values", "weights"),
}


@dataclass(frozen=True)
class Distribution:
    """A univariate distribution sampled through its inverse CDF.

    Attributes:
        kind: one of `DIST_PARAMETERS`.
        params: the parameters, by name.
        nonnegative: truncate at 0 (durations); only changes `normal`.
    """

    kind: str
    params: tuple[tuple[str, object], ...]
    nonnegative: bool = True

    @classmethod
    def fixed(cls, value: float) -> Distribution:
        """A constant."""
        return cls("fixed", (("value", float(value)),))

    def get(self, name: str) -> object:
        """Return the parameter `name`."""
        return dict(self.params)[name]

    @property
    def mean(self) -> float:
        """The mean (of the untruncated law for `normal`)."""
        p = dict(self.params)
        match self.kind:
            case "fixed":
                return float(p["value"])
            case "exponential" | "normal":
                return float(p["mean"])
            case "lognormal":
                return float(p["median"]) * math.exp(float(p["sigma"]) ** 2 / 2)
            case "uniform":
                return (float(p["low"]) + float(p["high"])) / 2
            case "triangular":
                return (float(p["low"]) + float(p["mode"]) + float(p["high"])) / 3
            case "choice":
                values = np.asarray(p["values"], dtype=float)
                return float(np.dot(values, _weights(p)))
        raise ValueError(self.kind)  # pragma: no cover

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        """Map uniforms in [0, 1) to draws (the inverse CDF), elementwise.

        Every draw is finite: clipped to ``[-DRAW_LIMIT, DRAW_LIMIT]``, and to 0 and above
        when `nonnegative` (a lognormal's overflowing tail gives ``DRAW_LIMIT``, not ``inf``).
        """
        with np.errstate(over="ignore", under="ignore"):
            draws = self._inverse_cdf(np.asarray(u, dtype=float))
        return np.clip(draws, 0.0 if self.nonnegative else -DRAW_LIMIT, DRAW_LIMIT)

    def _inverse_cdf(self, u: np.ndarray) -> np.ndarray:
        """The law's inverse CDF, before clipping."""
        p = dict(self.params)
        match self.kind:
            case "fixed":
                return np.full_like(u, float(p["value"]))
            case "exponential":
                return -float(p["mean"]) * np.log1p(-u)
            case "lognormal":
                return float(p["median"]) * np.exp(float(p["sigma"]) * ndtri(_open(u)))
            case "uniform":
                low, high = float(p["low"]), float(p["high"])
                return low + u * (high - low)
            case "triangular":
                return _triangular_ppf(u, float(p["low"]), float(p["mode"]), float(p["high"]))
            case "normal":
                mean, sd = float(p["mean"]), float(p["sd"])
                if sd == 0:
                    return np.full_like(u, max(mean, 0.0) if self.nonnegative else mean)
                if self.nonnegative and mean < 0:
                    # Truncated far in the upper tail: 1 - ndtr(...) would round to 0 (at mean < -8.3 sd)
                    # and the draws fall below 0. Invert the upper tail instead: P(Z > z) = (1 - u) P(Z > a).
                    tail = normal_tail(-mean / sd)
                    return mean - sd * ndtri(_open((1.0 - u) * tail))
                floor = ndtr(-mean / sd) if self.nonnegative else 0.0
                return mean + sd * ndtri(_open(floor + u * (1.0 - floor)))
            case "choice":
                values = np.asarray(p["values"], dtype=float)
                cumulative = np.cumsum(_weights(p))
                index = np.searchsorted(cumulative, u * cumulative[-1], side="right")
                return values[np.minimum(index, len(values) - 1)]
        raise ValueError(self.kind)  # pragma: no cover


def _open(u: np.ndarray) -> np.ndarray:
    """Keep uniforms inside (0, 1) so that ndtri stays finite."""
    tiny = np.finfo(float).tiny
    return np.clip(u, tiny, 1.0 - 1e-16)


def _weights(p: dict[str, object]) -> np.ndarray:
    values = p["values"]
    weights = p.get("weights")
    if weights is None:
        return np.full(len(values), 1.0 / len(values))  # type: ignore[arg-type]
    w = np.asarray(weights, dtype=float)
    if not math.isfinite(float(w.sum())):
        w = w / w.max()  # relative weights so large their sum overflows
    return w / w.sum()


def _triangular_ppf(u: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    if high == low:
        return np.full_like(u, low)
    cut = (mode - low) / (high - low)
    left = low + np.sqrt(u * (high - low) * (mode - low))
    right = high - np.sqrt((1 - u) * (high - low) * (high - mode))
    return np.where(u < cut, left, right)
