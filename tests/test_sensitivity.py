"""Analysis of sweep tables: critical values on a curve, Sobol' indices of known functions."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.sensitivity import critical_value, crossing
from sim.spec.designs import DESIGNS, sobol_indices


def test_crossing_interpolates_between_the_straddling_points() -> None:
    # 0.6 at x=1, 0.2 at x=3: the line crosses 0.3 at x = 1 + (0.6 - 0.3) / (0.6 - 0.2) * 2 = 2.5.
    assert crossing([0, 1, 3], [0.8, 0.6, 0.2], 0.3) == (pytest.approx(2.5), False)
    assert crossing([3, 0, 1], [0.2, 0.8, 0.6], 0.3)[0] == pytest.approx(2.5), "points in any order"
    assert crossing([0, 1], [0.2, 0.1], 0.3) == (None, False), "below the level from the start: no critical value"
    assert crossing([0, 1], [0.9, 0.8], 0.3) == (1.0, True), "never below: the largest value swept, censored"


def test_the_band_gives_a_cautious_and_an_optimistic_end() -> None:
    x = [0, 1, 2, 3]
    mean = [0.8, 0.6, 0.4, 0.2]
    critical = critical_value(x, mean, [m - 0.05 for m in mean], [m + 0.05 for m in mean], 0.5)
    assert critical.estimate == pytest.approx(1.5)
    assert critical.low == pytest.approx(1.25) and critical.high == pytest.approx(1.75), (
        "the lower end of the band crosses first (cautious), the upper end last (optimistic)"
    )
    assert "1.5 (95% band 1.2 to 1.8)" in critical.describe("{:.2g}")


def test_sobol_indices_of_a_function_of_one_parameter() -> None:
    # y = x0: x0 explains all the variance, alone; x1 and x2 nothing.
    samples = 256
    unit = DESIGNS["sobol"].unit_sample(3, samples, seed=1)
    values = unit[:, 0]

    rows = sobol_indices(values, ["x0", "x1", "x2"], samples, seed=1)

    index = {(r["parameter"], r["index"]): r["value"] for r in rows}
    assert index[("x0", "S1")] == pytest.approx(1, abs=0.05) and index[("x0", "ST")] == pytest.approx(1, abs=0.05)
    for name in ("x1", "x2"):
        assert abs(index[(name, "S1")]) < 0.02 and abs(index[(name, "ST")]) < 0.02, f"{name} does nothing"


def test_sobol_indices_see_an_interaction() -> None:
    # y = (x0 - 0.5) * (x1 - 0.5): no main effect at all, everything through the interaction.
    samples = 512
    unit = DESIGNS["sobol"].unit_sample(2, samples, seed=2)
    values = (unit[:, 0] - 0.5) * (unit[:, 1] - 0.5)

    rows = sobol_indices(values, ["x0", "x1"], samples, seed=2)

    index = {(r["parameter"], r["index"]): r["value"] for r in rows}
    for name in ("x0", "x1"):
        assert abs(index[(name, "S1")]) < 0.1, "no first-order effect"
        assert index[(name, "ST")] == pytest.approx(1, abs=0.15), "the total index carries the interaction"


def test_sobol_indices_refuse_missing_points() -> None:
    values = np.ones(16 * 4)
    values[3] = np.nan
    with pytest.raises(ValueError, match="1 points have no value"):
        sobol_indices(values, ["a", "b"], 16)
