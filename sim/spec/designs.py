"""The designs of a sweep, one object each: what the file must give, the points, the analysis, the figures.

`DESIGNS` maps a design's name (the ``design:`` of a sweep file) to its `Design`.
Everything that differs between designs lives on that object, so the sweep
file's checks, the runner and the report ask the design instead of comparing
names. A design says:

- its fields: whether it needs ``samples`` (and what they count), whether it has
  ``second_order`` indices, whether a range needs ``steps`` (a grid) or is
  sampled (and so needs some width);
- its points: the sampling, from the parameters and the design's own seed;
- its analysis: extra tables written beside ``points.csv`` (sobol: the Sobol'
  indices in ``sensitivity.csv``; the others none);
- its figures and report sections, by name (`sim.debrief.sweep_report` draws them).

Adding a design: one more `Design` subclass in this file, and an entry in `DESIGNS`
(``tests/test_designs.py`` checks that every registered design has every part).
"""

from __future__ import annotations

import abc
import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.spec.seeds import design_seed

if TYPE_CHECKING:
    from sim.spec.sweep_model import Parameter

Table = tuple[list[str], list[dict[str, Any]]]
"""An analysis table: its columns and its rows."""

SENSITIVITY_COLUMNS: tuple[str, ...] = ("output", "parameter", "index", "value", "ci_low", "ci_high")
"""The columns of sensitivity.csv (then a ``note``)."""


class Design(abc.ABC):
    """One kind of sweep design.

    Attributes:
        name: the ``design:`` value.
        takes_samples: the file must give ``samples`` (else it must not).
        samples_meaning: what ``samples`` counts, for the message when it is missing.
        has_second_order: the file may give ``second_order``.
        range_steps: a range takes ``steps`` (its evenly spaced values) rather than being sampled.
        checks_every_point: every point of the design is validated on the scenario before running
            (sampled values fall between the ends that are checked for every design).
        figures: the figure kinds of the report, by name, in order (drawn by `sim.debrief.sweep_report`).
        report_sections: extra sections of the report, by name.
        tables: extra files of the sweep folder, with what they hold (``sensitivity.csv``).
    """

    name: ClassVar[str]
    takes_samples: ClassVar[bool] = False
    samples_meaning: ClassVar[str] = ""
    has_second_order: ClassVar[bool] = False
    range_steps: ClassVar[bool] = False
    checks_every_point: ClassVar[bool] = False
    figures: ClassVar[tuple[str, ...]]
    report_sections: ClassVar[tuple[str, ...]] = ()
    tables: ClassVar[dict[str, str]] = {}

    @property
    def range_hint(self) -> str:
        """What a range of this design looks like, added to the message for a parameter that is neither."""
        return "" if self.range_steps else " ({low, high} for an lhs or sobol design)"

    def samples_problem(self, samples: int) -> str | None:
        """Why this number of samples (a whole number >= 2) does not suit the design, or None."""
        return None

    @abc.abstractmethod
    def points(
        self, parameters: Sequence[Parameter], samples: int | None, seed: int, second_order: bool
    ) -> list[dict[str, Any]]:
        """Every point of the design, as path -> value mappings, in point order.

        Args:
            parameters: the swept parameters, in file order.
            samples: the file's samples (None for a design that takes none).
            seed: the sweep's master seed.
            second_order: the file's second_order.
        """

    def analysis(self, points: list[dict[str, Any]], info: Any) -> dict[str, Table]:
        """Extra tables from the rows of points.csv (`info`: the folder's `FolderInfo`), by file name."""
        return {}

    @abc.abstractmethod
    def point_count(self, parameters: Sequence[Parameter], samples: int | None, second_order: bool) -> int:
        """How many points `points` would give (at most), without making them: checked against the limits."""


class GridDesign(Design):
    """Every combination of the parameters' values (the first parameter varies slowest)."""

    name = "grid"
    range_steps = True
    figures = ("levels",)

    def points(
        self, parameters: Sequence[Parameter], samples: int | None, seed: int, second_order: bool
    ) -> list[dict[str, Any]]:
        """Every combination of each parameter's `grid_values`."""
        paths = [p.path for p in parameters]
        return [
            dict(zip(paths, combo, strict=True)) for combo in itertools.product(*(p.grid_values() for p in parameters))
        ]

    def point_count(self, parameters: Sequence[Parameter], samples: int | None, second_order: bool) -> int:
        """The product of the parameters' value counts (`Parameter.value_count`)."""
        return math.prod(p.value_count() for p in parameters)


class SampledDesign(Design):
    """A design that samples the unit cube and maps each coordinate onto a parameter (`Parameter.from_unit`)."""

    takes_samples = True
    samples_meaning = "how many points"
    checks_every_point = True
    figures = ("scatter",)

    @abc.abstractmethod
    def unit_sample(self, dimensions: int, samples: int, seed: int, second_order: bool = False) -> np.ndarray:
        """Points in the unit cube (rows: points; columns: parameters)."""

    def points(
        self, parameters: Sequence[Parameter], samples: int | None, seed: int, second_order: bool
    ) -> list[dict[str, Any]]:
        """The unit sample (seeded by `design_seed`), each coordinate mapped onto its parameter."""
        assert samples is not None
        unit = self.unit_sample(len(parameters), samples, design_seed(seed), second_order)
        return [{p.path: p.from_unit(float(u)) for p, u in zip(parameters, row, strict=True)} for row in unit]

    def point_count(self, parameters: Sequence[Parameter], samples: int | None, second_order: bool) -> int:
        """The samples."""
        return samples or 0


class LatinHypercubeDesign(SampledDesign):
    """`samples` points of a Latin hypercube (`scipy.stats.qmc`): each range cut into equal slices, one point each."""

    name = "lhs"

    def unit_sample(self, dimensions: int, samples: int, seed: int, second_order: bool = False) -> np.ndarray:
        """A Latin hypercube of `samples` points."""
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=dimensions, rng=np.random.default_rng(seed)).random(samples)


class SobolDesign(SampledDesign):
    """Saltelli's scheme (SALib): ``samples x (parameters + 2)`` points, ``x (2 parameters + 2)`` with second order.

    The points come in the order SALib's analysis expects; the analysis writes the
    first-order and total Sobol' indices (and second-order ones when asked) to
    sensitivity.csv.
    """

    name = "sobol"
    samples_meaning = "how many points in its base sample"
    has_second_order = True
    figures = ("scatter", "sobol")
    report_sections = ("sensitivity",)
    tables = {"sensitivity.csv": "Sobol' indices"}

    def samples_problem(self, samples: int) -> str | None:
        """A Sobol' sequence needs a power of 2."""
        if samples & (samples - 1):
            return "a sobol design needs a power of 2 (e.g. 64, 128, 256) for its convergence properties"
        return None

    def unit_sample(self, dimensions: int, samples: int, seed: int, second_order: bool = False) -> np.ndarray:
        """Saltelli's sample of base size `samples`."""
        from SALib.sample import sobol

        problem = sobol_problem(dimensions)
        return sobol.sample(problem, samples, calc_second_order=second_order, scramble=True, seed=seed)

    def point_count(self, parameters: Sequence[Parameter], samples: int | None, second_order: bool) -> int:
        """N (D + 2), or N (2 D + 2) with second order (`sobol_points`)."""
        return sobol_points(samples or 0, len(parameters), second_order)

    def analysis(self, points: list[dict[str, Any]], info: Any) -> dict[str, Table]:
        """sensitivity.csv: the Sobol' indices of every output (`sobol_table`)."""
        return {"sensitivity.csv": ([*SENSITIVITY_COLUMNS, "note"], sobol_table(points, info))}


DESIGNS: dict[str, Design] = {design.name: design for design in (GridDesign(), LatinHypercubeDesign(), SobolDesign())}
"""Every design, by name, in the order messages list them: every combination; a Latin hypercube; Saltelli/Sobol'."""

DEFAULT_DESIGN = "grid"
"""The design of a sweep file that names none."""


# ---------------------------------------------------------------- Sobol' indices


def sobol_problem(dimensions: int, names: Sequence[str] | None = None) -> dict[str, Any]:
    """The SALib problem of a sobol design: every parameter on [0, 1] (values are mapped afterwards)."""
    return {
        "num_vars": dimensions,
        "names": list(names) if names is not None else [f"x{i}" for i in range(dimensions)],
        "bounds": [[0.0, 1.0]] * dimensions,
    }


def sobol_points(samples: int, dimensions: int, second_order: bool) -> int:
    """Points of a sobol design: N (D + 2), or N (2 D + 2) with second-order indices."""
    return samples * ((2 * dimensions if second_order else dimensions) + 2)


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

    Sobol' indices (SALib, Saltelli's scheme) apportion the variance of an output
    across the parameters: the first-order index S1 is the share one parameter
    explains alone, the total index ST adds everything it does together with the
    others.

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
    rows = [
        _index_row(name, index, result[index][i], result[f"{index}_conf"][i])
        for index in ("S1", "ST")
        for i, name in enumerate(names)
    ]
    if second_order:
        rows += [
            _index_row(f"{names[i]} x {names[j]}", "S2", result["S2"][i, j], result["S2_conf"][i, j])
            for i, j in itertools.combinations(range(len(names)), 2)
        ]
    return rows


def _index_row(parameter: str, index: str, value: Any, half: Any) -> dict[str, Any]:
    value, half = float(value), float(half)
    row = {"parameter": parameter, "index": index, "value": value, "ci_low": value - half, "ci_high": value + half}
    for key in ("value", "ci_low", "ci_high"):
        row[key] = round(row[key], 6) + 0.0
    return row


def sobol_table(points: list[dict[str, Any]], info: Any) -> list[dict[str, Any]]:
    """The rows of sensitivity.csv from the rows of points.csv of a sobol sweep (a `FolderInfo`).

    The indices are estimated from the per-point means of the replications (which
    share their seeds: common random numbers), with bootstrap 95% intervals. An
    output whose indices cannot be estimated (points missing, or no variance) gets
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
