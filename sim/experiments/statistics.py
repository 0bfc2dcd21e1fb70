"""The Student-t interval of a mean, for comparisons and sweeps alike.

`mean_interval` is the one place the 95% interval of a mean over replications is
computed: the paired differences of a comparison (`sim.experiments.comparison`)
and the point means of a sweep (`sim.experiments.sweep_runner`) both use it.
"""

from __future__ import annotations

import math

CONFIDENCE = 0.95
"""The level of every interval of a mean (comparisons, points.csv)."""


def t_quantile(probability: float, df: int) -> float:
    """Student's t quantile (``scipy.special.stdtrit``: no need to import scipy.stats)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, probability))


def mean_interval(mean: float, sd: float, n: int, level: float = CONFIDENCE) -> tuple[float, float]:
    """The Student-t interval of a mean: ``mean ± t(0.5 + level / 2, n - 1) · sd / √n``.

    Args:
        mean: the sample mean.
        sd: the sample standard deviation (``ddof=1``).
        n: the number of values (at least 2).
        level: the coverage (0.95: the 95% interval).

    Returns:
        (low, high).

    Raises:
        ValueError: with fewer than 2 values there is no interval.
    """
    if n < 2:
        raise ValueError(f"an interval of a mean needs at least 2 values, not {n}")
    half = t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half
