"""The figures of a sweep, drawn from its tables (points.csv, sensitivity.csv), never from a model.

Every function takes a pandas DataFrame and returns a matplotlib Figure; the
caller saves it. Titles state the finding in words. Ordered levels (a trust of
0.2 .. 1.0) are drawn in the viridis scale, categories in Okabe-Ito: both stay
distinct for colour-blind readers. Bands are 95% intervals of the mean. The
style is `sim.debrief.plotting.COMPACT_STYLE`; outputs are named in the words of
`sim.vocabulary`.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.debrief.plotting import COMPACT_STYLE
from sim.experiments.sensitivity import Critical, critical_value
from sim.vocabulary import CAUSE_LABELS, CAUSES, COMPARED_OUTPUT_WORDS, MISS_SHARES, OKABE_ITO, OUTPUT_WORDS

PARAMETER_WORDS = {
    "sharing.delay_scale": "delay scale (x every link's delay)",
    "sharing.links[*].trust": "trust (every link)",
    "sharing.defaults.trust": "trust (default of links)",
    "sharing.links[*].reliability": "reliability (every link)",
    "travellers.count": "travellers",
}
"""Axis words for common parameters; others are put into words from their path (`parameter_label`)."""

FIELD_WORDS = {
    "covers": "coverage",
    "delay_hours": "delay",
    "learn_hours": "time of learning",
    "verify_hours": "verification time",
    "leg_hours": "leg time",
    "depart_day": "departure day",
    "party_size": "party size",
    "name": "name check success",
    "document": "document check success",
    "biometric": "biometric check success",
}
"""Words for the last key of a parameter's path (``covers`` -> "coverage"); other keys are spelled out."""

EVERY = {"links": "every link", "agencies": "every agency", "groups": "every group", "intelligence": "every source"}
"""Words for a ``[*]`` selector, by the list it selects from."""

QUALIFYING_KEYS = frozenset({"defaults", "documents"})
"""Keys that a field's own name needs to make sense: ``screening.name`` is a "screening name"."""

NEGLIGIBLE_INDEX = 0.05
"""A total Sobol' index below this: the parameter barely matters over the range swept (said in the title)."""

TITLE_WIDTH = 68
"""Characters per line of a title over the narrowest figure, 8.6 inches (it must fit over the plot)."""

TITLE_CHARACTERS_PER_INCH = 8
"""Bold 14-point characters an inch, with room for wide ones: titles wrap to the figure's width."""


# ---------------------------------------------------------------- words and numbers


def is_share(output: str) -> bool:
    """Whether an output is a share of travellers (drawn and written in percent)."""
    return output.endswith("_rate") or output.endswith("_share")


def _path_words(path: str) -> tuple[str, str]:
    """A path as (what, where): ``agencies[HAL-BRD].screening.name`` -> ("name check success", "HAL-BRD")."""
    steps = re.findall(r"([^.\[\]]+)((?:\[[^\]]*\])*)", path)
    keys = [key for key, _ in steps]
    last = keys[-1]
    what = FIELD_WORDS.get(last, last.replace("_", " "))
    if len(keys) >= 2 and keys[-2] in QUALIFYING_KEYS:
        what = f"{keys[-2].removesuffix('s')} {what}"
    if keys[0] == "intelligence":
        what = f"intelligence {what}"
    places = []
    for key, selectors in steps:
        for selector in re.findall(r"\[([^\]]*)\]", selectors):
            if selector == "*":
                places.append(EVERY.get(key, f"every {key}"))
            else:
                places.append(selector.replace("->", " → ") if not selector.isdigit() else f"{key} {int(selector) + 1}")
    return what, ", ".join(places)


def parameter_label(path: str) -> str:
    """The axis label of a parameter, in words: ``intelligence[HAL-INT].covers`` -> "intelligence coverage (HAL-INT)".

    Words for common parameters from `PARAMETER_WORDS`; any other path is put into
    words (`FIELD_WORDS`, `EVERY`) with the item it selects in parentheses.
    """
    if path in PARAMETER_WORDS:
        return PARAMETER_WORDS[path]
    what, where = _path_words(path)
    return f"{what} ({where})" if where else what


def short_parameter(path: str) -> str:
    """A parameter in a title: ``sharing.delay_scale`` -> ``delay scale``; a specific item stays named."""
    words = PARAMETER_WORDS.get(path)
    if words:
        return words.split(" (")[0]
    what, where = _path_words(path)
    return f"{what} ({where})" if where and "every" not in where else what


def output_label(output: str) -> str:
    """An output in words: ``misses.late`` -> ``missed: alert came too late``; ``detection_rate`` -> ``detection rate``.

    Words from `sim.vocabulary` (a miss cause always in its `CAUSE_LABELS` words), else
    the key itself, with ``.`` and ``_`` spelled out.
    """
    return OUTPUT_WORDS.get(output) or COMPARED_OUTPUT_WORDS.get(output) or output.replace(".", ": ").replace("_", " ")


HIGHER_IS_BETTER = frozenset({"detection_rate", "detected", "companions_stopped", "alerts.delivered"})
"""Outputs where more is better; misses, late shares and hours are worse when higher."""


def higher_is(output: str) -> str | None:
    """Whether a high value of `output` is "better" or "worse" (None when it is neither)."""
    if output in HIGHER_IS_BETTER:
        return "better"
    worse = ("misses.", "missed", "alerts.lost", "alerts.discarded", "companions_not_stopped")
    if output.startswith(worse) or output.endswith("_share") or output.startswith("median_hours"):
        return "worse"
    return None


def chain_caveat(output: str, parameter: str) -> str:
    """Why a miss cause later in the chain than "alert came too late" falls as sharing slows, if it may.

    Each traveller who got through is counted once, at the first step that failed;
    when alerts come later, more of them are counted late first, so fewer are left
    to count as not trusted or failed at the border: a fall that is no improvement.
    """
    cause = next((c for c in CAUSES if output in (f"misses.{c}", MISS_SHARES[c])), None)
    if cause is None or CAUSES.index(cause) <= CAUSES.index("late") or "delay" not in parameter:
        return ""
    return (
        f"Caveat: “{CAUSE_LABELS[cause]}” falls as delay grows because those travellers are counted "
        f"“{CAUSE_LABELS['late']}” first (each miss has one cause, the first step that failed)"
    )


def fmt_value(output: str, value: float | None) -> str:
    """A value of an output in words: percent for shares, one decimal for hours, else 3 digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if is_share(output):
        return f"{value:.0%}" if abs(value) >= 0.1 else f"{value:.1%}"
    if "hours" in output:
        return f"{value:.1f} h"
    return f"{value:.3g}"


def fmt_level(value: Any) -> str:
    """A parameter value in a legend or tick."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def numeric(series: pd.Series) -> bool:
    """Whether a column's values are all numbers."""
    return bool(pd.to_numeric(series, errors="coerce").notna().all())


def _span(output: str, width: float) -> str:
    """A difference of an output: percentage points for shares."""
    return f"{width * 100:.0f} percentage points" if is_share(output) else fmt_value(output, width)


def _title(fig: Figure, text: str) -> None:
    """A bold title over the whole figure, left-aligned, each line wrapped to fit."""
    width = int(fig.get_figwidth() * TITLE_CHARACTERS_PER_INCH)
    wrapped = "\n".join(textwrap.fill(line, width) for line in text.split("\n"))
    fig.suptitle(wrapped, x=0.01, ha="left", fontsize=14, fontweight="bold")


def _axis_format(ax: Any, output: str) -> None:
    if is_share(output):
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))


def _ordered_colours(n: int) -> list[Any]:
    if n == 1:
        return [OKABE_ITO[0]]
    cmap = matplotlib.colormaps["viridis"]
    return [cmap(x) for x in np.linspace(0.0, 0.8, n)]


def _levels(points: pd.DataFrame, column: str) -> list[Any]:
    values = points[column].drop_duplicates().tolist()
    if numeric(points[column]):
        return sorted(values, key=float)
    return values


def _not_to_scale(levels: list[Any]) -> str:
    """A note for an axis of evenly spaced cells whose values are not evenly spaced."""
    try:
        steps = np.diff([float(v) for v in levels])
    except (TypeError, ValueError):
        return ""
    return "" if len(steps) == 0 or np.allclose(steps, steps[0]) else "\n(cells are the swept levels, not to scale)"


def _one(points: pd.DataFrame, output: str) -> pd.DataFrame:
    return points[points["output"] == output]


# ---------------------------------------------------------------- critical values


def critical_by_level(
    points: pd.DataFrame, parameter: str, output: str, level: float, by: str | None = None
) -> list[tuple[Any, Critical]]:
    """The critical value of `parameter` for `output` at `level`, per level of `by` (or once).

    Other parameters, if any, are averaged over (the mean of the point means).
    """
    data = _one(points, output)
    groups = [(None, data)] if by is None else [(value, data[data[by] == value]) for value in _levels(data, by)]
    out = []
    for value, group in groups:
        curve = group.groupby(parameter, sort=False)[["mean", "ci_low", "ci_high"]].mean().reset_index()
        curve = curve.sort_values(parameter, key=lambda s: s.astype(float))
        out.append(
            (
                value,
                critical_value(
                    curve[parameter].astype(float).tolist(),
                    curve["mean"].tolist(),
                    curve["ci_low"].tolist(),
                    curve["ci_high"].tolist(),
                    level,
                ),
            )
        )
    return out


# ---------------------------------------------------------------- figures


def response_curve(
    points: pd.DataFrame,
    parameter: str,
    output: str,
    by: str | None = None,
    threshold: float | None = None,
    threshold_parameter: str | None = None,
) -> Figure:
    """The mean of `output` against `parameter`, with its 95% band; one curve per level of `by`.

    Args:
        points: points.csv (one row per point and output).
        parameter: the swept parameter on the x axis (numeric).
        output: the output on the y axis.
        by: a second parameter: one curve per level.
        threshold: a level of the output: drawn, and where each curve crosses it (the
            critical value of `parameter`) is marked and given in the legend.
        threshold_parameter: the parameter the threshold is about (marks only if it is `parameter`).
    """
    data = _one(points, output)
    groups = [(None, data)] if by is None else [(v, data[data[by] == v]) for v in _levels(data, by)]
    colours = _ordered_colours(len(groups)) if by is None or numeric(data[by]) else list(OKABE_ITO)
    marks = threshold is not None and (threshold_parameter in (None, parameter))
    with matplotlib.rc_context(COMPACT_STYLE):
        fig = Figure(figsize=(8.6, 5.4), layout="constrained")
        ax = fig.add_subplot()
        firsts, lasts, crits, curves = [], [], [], []
        for (value, group), colour in zip(groups, colours * (len(groups) // len(colours) + 1), strict=False):
            curve = group.groupby(parameter, sort=False)[["mean", "ci_low", "ci_high"]].mean().reset_index()
            curve = curve.sort_values(parameter, key=lambda s: s.astype(float))
            x = curve[parameter].astype(float).to_numpy()
            mean = curve["mean"].astype(float).to_numpy()
            label = "mean" if value is None else f"{short_parameter(by or '')} {fmt_level(value)}"
            if marks:
                crit = critical_value(x, mean, curve["ci_low"].tolist(), curve["ci_high"].tolist(), threshold)  # type: ignore[arg-type]
                crits.append((value, crit))
                label += f": critical {short_parameter(parameter)} {crit.describe('{:.2g}')}"
                label = label.replace(
                    "none: below the level at every value swept", f"none (below {fmt_value(output, threshold)})"
                )
                if crit.estimate is not None and not crit.censored:
                    ax.plot(
                        [crit.estimate], [threshold], "o", color=colour, markersize=9, markeredgecolor="white", zorder=5
                    )
                    ax.axvline(crit.estimate, color=colour, lw=0.8, ls=":", zorder=1)
            ax.fill_between(
                x, curve["ci_low"].astype(float), curve["ci_high"].astype(float), color=colour, alpha=0.18, lw=0
            )
            ax.plot(x, mean, "-o", color=colour, lw=2, markersize=4, label=label)
            firsts.append(mean[0])
            lasts.append(mean[-1])
            curves.append(mean)
        if marks:
            ax.axhline(threshold, color="#444444", lw=1.2, ls="--", zorder=2)
            ax.annotate(
                f"threshold {fmt_value(output, threshold)}",
                xy=(1.0, threshold),
                xycoords=("axes fraction", "data"),
                xytext=(-4, 4),
                textcoords="offset points",
                ha="right",
                va="bottom",
                fontsize=10,
                color="#444444",
            )
        ax.set_xlabel(parameter_label(parameter))
        ax.set_ylabel(output_label(output) + " (mean of runs, 95% band)")
        _axis_format(ax, output)
        if is_share(output):
            ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#e5e5e5")
        legend_title = None if by is None else parameter_label(by)
        handles, labels = ax.get_legend_handles_labels()
        heights = [float(np.nanmean(h.get_ydata())) for h in handles]
        order = sorted(range(len(handles)), key=lambda i: -heights[i])  # legend top to bottom as the curves
        ax.legend(
            [handles[i] for i in order], [labels[i] for i in order], title=legend_title, loc="best", frameon=False
        )
        _title(
            fig,
            _curve_title(output, parameter, by, firsts, lasts, x, crits, threshold)
            + (
                f"\n{short_parameter(by or '').capitalize()} makes no difference: the curves coincide"
                if _same(curves)
                else ""
            )
            + (
                f"\n{caveat}"
                if (caveat := chain_caveat(output, parameter)) and np.mean(lasts) < np.mean(firsts)
                else ""
            ),
        )
    return fig


def _same(curves: list[np.ndarray]) -> bool:
    """Whether several curves are one (within 1% of their range)."""
    if len(curves) < 2 or any(len(c) != len(curves[0]) for c in curves):
        return False
    stacked = np.vstack(curves)
    spread = float(np.nanmax(stacked) - np.nanmin(stacked))
    return spread > 0 and float(np.nanmax(np.nanmax(stacked, axis=0) - np.nanmin(stacked, axis=0))) <= 0.01 * spread


def _curve_title(
    output: str,
    parameter: str,
    by: str | None,
    firsts: list[float],
    lasts: list[float],
    x: np.ndarray,
    crits: list[tuple[Any, Critical]],
    threshold: float | None,
) -> str:
    name, what = output_label(output).capitalize(), short_parameter(parameter)
    start, end = float(np.mean(firsts)), float(np.mean(lasts))
    span = f"from {fmt_level(float(x[0]))} to {fmt_level(float(x[-1]))}"
    several = by is not None and len(firsts) > 1
    if abs(end - start) < 0.02 * max(abs(start), abs(end), 1e-9):
        text = f"{name} barely changes as {what} goes {span}"
    else:
        verb = "falls" if end < start else "rises"
        every = ""
        if several:
            same = all((b < a) == (end < start) for a, b in zip(firsts, lasts, strict=True))
            every = f" at every {short_parameter(by or '')} level" if same else ""
        average = " on average" if several else ""
        text = (
            f"{name} {verb}{every} as {what} goes {span} "
            f"({fmt_value(output, start)} to {fmt_value(output, end)}{average})"
        )
    lines = [text]
    if threshold is not None and crits:
        level = fmt_value(output, threshold)
        found = [(v, c) for v, c in crits if c.estimate is not None and not c.censored]
        never = [v for v, c in crits if c.estimate is None]
        always = [v for v, c in crits if c.censored]
        where = lambda v: "" if v is None else f" ({short_parameter(by or '')} {fmt_level(v)})"  # noqa: E731
        parts = []
        if found:
            found.sort(key=lambda vc: vc[1].estimate)
            low, high = found[0], found[-1]
            if len(found) == 1:
                parts.append(f"stays at or above {level} up to {what} {low[1].estimate:.2g}{where(low[0])}")
            else:
                parts.append(
                    f"stays at or above {level} up to {what} {low[1].estimate:.2g}{where(low[0])} "
                    f"to {high[1].estimate:.2g}{where(high[0])}"
                )
        if always:
            parts.append(f"stays above it over the whole range{where(always[0]) if len(always) == 1 else ''}")
        if never:
            parts.append(
                f"is below it everywhere{where(never[0]) if len(never) == 1 else ''}"
                if found or always
                else f"is below {level} at every {what} swept"
            )
        lines.append("It " + "; ".join(parts))
    return "\n".join(textwrap.fill(line, TITLE_WIDTH) for line in lines)


def heatmap(
    points: pd.DataFrame,
    x: str,
    y: str,
    output: str,
    threshold: float | None = None,
    threshold_parameter: str | None = None,
) -> Figure:
    """The mean of `output` over two parameters, each cell labelled; the critical line if a threshold is set.

    Other parameters, if any, are averaged over.
    """
    data = _one(points, output)
    xs, ys = _levels(data, x), _levels(data, y)
    table = data.groupby([y, x])["mean"].mean()
    grid = np.array([[table.get((vy, vx), np.nan) for vx in xs] for vy in ys], dtype=float)
    with matplotlib.rc_context(COMPACT_STYLE):
        fig = Figure(figsize=(8.6, 5.6), layout="constrained")
        ax = fig.add_subplot()
        image = ax.imshow(
            grid, origin="lower", aspect="auto", cmap="viridis", vmin=np.nanmin(grid), vmax=np.nanmax(grid)
        )
        bar = fig.colorbar(image, ax=ax, shrink=0.9)
        direction = higher_is(output)
        bar.set_label(output_label(output) + " (mean" + (f"; higher is {direction})" if direction else ")"))
        if is_share(output):
            bar.formatter = FuncFormatter(lambda v, _: f"{v:.0%}")
            bar.update_ticks()
        middle = (np.nanmin(grid) + np.nanmax(grid)) / 2
        for i in range(len(ys)):
            for j in range(len(xs)):
                if not math.isnan(grid[i, j]):
                    ax.text(
                        j,
                        i,
                        fmt_value(output, grid[i, j]),
                        ha="center",
                        va="center",
                        fontsize=9,
                        color="black" if grid[i, j] > middle else "white",
                    )
        ax.set_xticks(range(len(xs)), [fmt_level(v) for v in xs])
        ax.set_yticks(range(len(ys)), [fmt_level(v) for v in ys])
        ax.set_xlabel(parameter_label(x) + _not_to_scale(xs))
        ax.set_ylabel(parameter_label(y) + _not_to_scale(ys))
        ax.spines[["left", "bottom"]].set_visible(False)
        if threshold is not None and threshold_parameter == x and numeric(data[x]):
            level_x = [float(v) for v in xs]
            line = []
            for row, (_value, crit) in enumerate(critical_by_level(points, x, output, threshold, by=y)):
                if crit.estimate is not None:
                    line.append((float(np.interp(crit.estimate, level_x, range(len(xs)))), row))
            if line:
                ax.plot(
                    [p[0] for p in line],
                    [p[1] for p in line],
                    "-",
                    color="white",
                    lw=3.5,
                    zorder=4,
                )
                ax.plot(
                    [p[0] for p in line],
                    [p[1] for p in line],
                    "--",
                    color="#D55E00",
                    lw=2,
                    zorder=5,
                    label=f"critical {short_parameter(x)}: {output_label(output)} = {fmt_value(output, threshold)}",
                )
                ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False)
        caveats = [c for c in (chain_caveat(output, x), chain_caveat(output, y)) if c][:1]
        _title(fig, "\n".join([_heatmap_title(grid, xs, ys, x, y, output), *caveats]))
    return fig


def _heatmap_title(grid: np.ndarray, xs: list[Any], ys: list[Any], x: str, y: str, output: str) -> str:
    name = output_label(output).capitalize()
    spread = float(np.nanmax(grid) - np.nanmin(grid))
    tolerance = max(1e-12, 0.01 * spread)
    flat_along_y = float(np.nanmax(np.nanmax(grid, axis=0) - np.nanmin(grid, axis=0))) <= tolerance
    flat_along_x = float(np.nanmax(np.nanmax(grid, axis=1) - np.nanmin(grid, axis=1))) <= tolerance
    if spread <= 1e-12:
        return f"{name} is {fmt_value(output, float(np.nanmax(grid)))} at every point"
    for flat, along, other, levels, mean_axis in ((flat_along_y, x, y, xs, 0), (flat_along_x, y, x, ys, 1)):
        if flat:
            line = np.nanmean(grid, axis=mean_axis)
            return (
                f"{name} depends on {short_parameter(along)} alone, from {fmt_value(output, float(line[0]))} at "
                f"{fmt_level(levels[0])} to {fmt_value(output, float(line[-1]))} at {fmt_level(levels[-1])}; "
                f"{short_parameter(other)} makes no difference"
            )
    best = np.unravel_index(np.nanargmax(grid), grid.shape)
    worst = np.unravel_index(np.nanargmin(grid), grid.shape)
    return (
        f"{name} is highest ({fmt_value(output, grid[best])}) at "
        f"{short_parameter(x)} {fmt_level(xs[best[1]])}, {short_parameter(y)} {fmt_level(ys[best[0]])}\n"
        f"and lowest ({fmt_value(output, grid[worst])}) at {short_parameter(x)} {fmt_level(xs[worst[1]])}, "
        f"{short_parameter(y)} {fmt_level(ys[worst[0]])}"
    )


def _small_multiples(n: int) -> tuple[Figure, list[Any]]:
    """A figure of `n` panels (three to a row, shared y axis), and its axes in order; empty cells hidden."""
    columns = min(n, 3)
    rows = math.ceil(n / columns)
    fig = Figure(figsize=(4.2 * columns, 3.6 * rows + 0.8), layout="constrained")
    grid = fig.subplots(rows, columns, squeeze=False, sharey=True)
    for k in range(n, rows * columns):
        grid[k // columns][k % columns].set_visible(False)
    return fig, [grid[k // columns][k % columns] for k in range(n)]


def main_effects(points: pd.DataFrame, parameters: Sequence[str], output: str) -> Figure:
    """Small multiples: one panel per parameter, the output's mean at each of its levels (others averaged).

    For a grid over three or more parameters. The band is the spread (min to max) of
    the point means at that level over the other parameters: how much the rest matters.
    """
    data = _one(points, output)
    spans = []
    with matplotlib.rc_context(COMPACT_STYLE):
        fig, axes = _small_multiples(len(parameters))
        for ax, parameter in zip(axes, parameters, strict=True):
            levels = _levels(data, parameter)
            grouped = data.groupby(parameter)["mean"]
            mean = [float(grouped.get_group(v).mean()) for v in levels]
            low = [float(grouped.get_group(v).min()) for v in levels]
            high = [float(grouped.get_group(v).max()) for v in levels]
            x = [float(v) for v in levels] if numeric(data[parameter]) else list(range(len(levels)))
            ax.fill_between(x, low, high, color=OKABE_ITO[0], alpha=0.15, lw=0, label="range over the other parameters")
            ax.plot(x, mean, "-o", color=OKABE_ITO[0], lw=2, markersize=4, label="mean over the other parameters")
            if not numeric(data[parameter]):
                ax.set_xticks(x, [fmt_level(v) for v in levels], rotation=20)
            ax.set_xlabel(parameter_label(parameter), fontsize=10)
            ax.grid(axis="y", color="#e5e5e5")
            _axis_format(ax, output)
            spans.append((max(mean) - min(mean), parameter))
        axes[0].set_ylabel(output_label(output) + " (mean)")
        axes[0].legend(loc="best", frameon=False, fontsize=9)
        top = max(spans)
        _title(
            fig,
            f"{output_label(output).capitalize()} moves most with {short_parameter(top[1])} "
            f"(its level means span {_span(output, top[0])})",
        )
    return fig


def scatter_effects(points: pd.DataFrame, parameters: Sequence[str], output: str, bins: int = 8) -> Figure:
    """Small multiples for a sampled design (lhs, sobol): each point's mean against each parameter.

    The line joins the means of equal-count bins of the parameter: the parameter's
    effect with the others averaged over.
    """
    data = _one(points, output).dropna(subset=["mean"])
    spans = []
    with matplotlib.rc_context(COMPACT_STYLE):
        fig, axes = _small_multiples(len(parameters))
        for ax, parameter in zip(axes, parameters, strict=True):
            x = pd.to_numeric(data[parameter], errors="coerce")
            y = data["mean"].astype(float)
            ax.scatter(x, y, s=6, color=OKABE_ITO[5], alpha=0.35, lw=0, label="a point of the design")
            order = np.argsort(x.to_numpy(), kind="stable")
            chunks = [c for c in np.array_split(order, min(bins, len(order))) if len(c)]
            bx = [float(x.to_numpy()[c].mean()) for c in chunks]
            by = [float(y.to_numpy()[c].mean()) for c in chunks]
            ax.plot(bx, by, "-o", color=OKABE_ITO[1], lw=2, markersize=4, label="mean of equal-count bins")
            ax.set_xlabel(parameter_label(parameter), fontsize=10)
            ax.grid(axis="y", color="#e5e5e5")
            _axis_format(ax, output)
            spans.append((max(by) - min(by), parameter))
        axes[0].set_ylabel(output_label(output) + " (point mean)")
        axes[0].legend(loc="best", frameon=False, fontsize=9, markerscale=3)
        top = max(spans)
        _title(
            fig,
            f"{output_label(output).capitalize()} moves most with {short_parameter(top[1])} "
            f"(binned means span {_span(output, top[0])})",
        )
    return fig


def sobol_bars(sensitivity: pd.DataFrame, output: str) -> Figure:
    """First-order and total Sobol' indices of each parameter for one output, with 95% intervals.

    Parameters are sorted by their total index. The gap between a parameter's total
    and first-order bars is what it does through interactions with the others.
    """
    data = sensitivity[(sensitivity["output"] == output) & sensitivity["index"].isin(["S1", "ST"])]
    total = data[data["index"] == "ST"].set_index("parameter")["value"].sort_values()
    names = total.index.tolist()
    with matplotlib.rc_context(COMPACT_STYLE):
        fig = Figure(figsize=(8.6, 1.2 + 0.75 * len(names)), layout="constrained")
        ax = fig.add_subplot()
        y = np.arange(len(names))
        for offset, index, colour, label in (
            (0.2, "S1", OKABE_ITO[0], "first order (alone)"),
            (-0.2, "ST", OKABE_ITO[1], "total (with interactions)"),
        ):
            rows = data[data["index"] == index].set_index("parameter").reindex(names)
            values = rows["value"].astype(float).to_numpy()
            errors = np.vstack(
                [values - rows["ci_low"].astype(float).to_numpy(), rows["ci_high"].astype(float).to_numpy() - values]
            )
            ax.barh(y + offset, values, height=0.38, color=colour, label=label)
            ax.errorbar(
                values, y + offset, xerr=np.clip(errors, 0, None), fmt="none", ecolor="#333333", elinewidth=1, capsize=3
            )
        ax.set_yticks(
            y, [short_parameter(n) + ("" if short_parameter(n) == n else f"\n{n}") for n in names], fontsize=9
        )
        ax.axvline(0, color="#333333", lw=0.8)
        ax.set_xlabel("share of the variance of " + output_label(output))
        ax.set_xlim(
            left=min(-0.05, float(data["ci_low"].min()) - 0.02), right=max(1.0, float(data["ci_high"].max()) + 0.02)
        )
        ax.grid(axis="x", color="#e5e5e5")
        ax.legend(loc="lower right", frameon=False)
        top, top_total = names[-1], float(total.iloc[-1])
        verb = "drives most of" if top_total >= 0.5 else "explains the largest share of"
        text = (
            f"{short_parameter(top).capitalize()} {verb} the variance of {output_label(output)} "
            f"(total index {top_total:.2f})"
        )
        idle = [short_parameter(n) for n in names if float(total[n]) < NEGLIGIBLE_INDEX]
        if idle:
            verb = "barely matters" if len(idle) == 1 else "barely matter"
            text += f"; {', '.join(idle)} {verb} (total < {NEGLIGIBLE_INDEX})"
        _title(fig, text)
    return fig


# ---------------------------------------------------------------- the trade-off of two outputs


LABEL_GAP_POINTS = 22
"""Vertical room of one frontier label (12-point text in a box), in points: labels on one side stack this far apart."""


def varied(wide: pd.DataFrame, paths: Sequence[str]) -> list[str]:
    """The parameters that take more than one value over the points (the others need no label)."""
    return [p for p in paths if wide[p].astype(str).nunique() > 1]


def frontier_plot(
    wide: pd.DataFrame,
    paths: Sequence[str],
    maximise: str,
    minimise: str,
    front: Sequence[int],
    pick: int | None = None,
    constraint_text: str | None = None,
    constraint_level: float | None = None,
) -> Figure:
    """Every point's means of two outputs with their 95% intervals both ways; the non-dominated points joined.

    Args:
        wide: one row per point (`sim.experiments.frontier.wide_points`).
        paths: the swept parameters (the varied ones label the frontier's points).
        maximise: the output on the y axis (higher is better).
        minimise: the output on the x axis (lower is better).
        front: the non-dominated points, in order along the frontier.
        pick: the point the constraint picks, ringed.
        constraint_text: the constraint in words, for the legend.
        constraint_level: the constraint's bound on the x axis (drawn as a line) when it bounds `minimise`.
    """
    data = wide.dropna(subset=[maximise, minimise])
    named = varied(data, paths) or list(paths)
    on = data[data["point"].isin(front)].set_index("point").loc[list(front)].reset_index()
    off = data[~data["point"].isin(front)]
    big = {"font.size": 14, "axes.labelsize": 15, "xtick.labelsize": 13, "ytick.labelsize": 13, "legend.fontsize": 12}
    with matplotlib.rc_context({**COMPACT_STYLE, **big}):
        fig = Figure(figsize=(11, 7.2), layout="constrained")
        ax = fig.add_subplot()
        for rows, colour, size, label, z in (
            (off, "#9a9a9a", 7, "a policy another beats on both (dominated)", 2),
            (on, OKABE_ITO[5], 10, "a non-dominated policy (on the means)", 4),
        ):
            if rows.empty:
                continue
            x, y = rows[minimise].to_numpy(float), rows[maximise].to_numpy(float)
            xerr = _bars(x, rows[minimise + ":low"], rows[minimise + ":high"])
            yerr = _bars(y, rows[maximise + ":low"], rows[maximise + ":high"])
            ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="o", color=colour, ecolor=colour, elinewidth=1.4, capsize=3,
                        markersize=size, markeredgecolor="white", label=label, zorder=z, alpha=0.9)  # fmt: skip
        if len(on) > 1:
            ax.plot(on[minimise], on[maximise], "-", color=OKABE_ITO[5], lw=2.5, zorder=3)
        places = _frontier_places(on, named, maximise, minimise)
        middle = float(np.mean(ax.get_xlim()))
        to_points = 72.0 / fig.dpi
        for right in (True, False):
            side = sorted((p for p in places if (p[0] <= middle) == right), key=lambda p: p[1])
            above = -math.inf
            for x, y, label in side:
                height = float(ax.transData.transform((x, y))[1]) * to_points
                wanted = max(height + 6, above + LABEL_GAP_POINTS)  # labels on one side never overlap
                above = wanted
                ax.annotate(
                    label,
                    xy=(x, y),
                    xytext=(16 if right else -16, wanted - height),
                    textcoords="offset points",
                    ha="left" if right else "right",
                    va="center",
                    fontsize=12,
                    color="#222222",
                    bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": OKABE_ITO[5], "alpha": 0.92},
                    arrowprops={"arrowstyle": "-", "color": OKABE_ITO[5], "lw": 1},
                    zorder=6,
                )
        if pick is not None and (data["point"] == pick).any():
            row = data[data["point"] == pick].iloc[0]
            ax.plot([row[minimise]], [row[maximise]], "o", markersize=22, markerfacecolor="none",
                    markeredgecolor=OKABE_ITO[1], markeredgewidth=3, zorder=7,
                    label=f"the best policy with {constraint_text}")  # fmt: skip
        if constraint_level is not None:
            ax.axvline(constraint_level, color=OKABE_ITO[1], ls="--", lw=1.8, zorder=1,
                       label=f"the constraint: {constraint_text}")  # fmt: skip
        ax.set_xlabel(f"{output_label(minimise)} (mean of runs; lower is better) →")
        ax.set_ylabel(f"{output_label(maximise)} (mean of runs; higher is better) →")
        _axis_format(ax, maximise)
        if is_share(minimise):
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.grid(color="#e5e5e5")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, frameon=False)
        _title(fig, _frontier_title(on, maximise, minimise, len(data)))
    return fig


def _frontier_places(
    on: pd.DataFrame, named: Sequence[str], maximise: str, minimise: str
) -> list[tuple[float, float, str]]:
    """One label per place on the frontier: points with equal means on both share one, their values joined by "or"."""
    out = []
    for (x, y), group in on.groupby([minimise, maximise], sort=False):
        parts = []
        for p in named:
            values = list(dict.fromkeys(fmt_level(v) for v in group[p]))
            words = _path_words(p)[0] if p not in PARAMETER_WORDS else short_parameter(p)
            parts.append(f"{words} {' or '.join(values)}")
        out.append((float(x), float(y), ", ".join(parts)))
    return out


def _bars(centre: np.ndarray, low: pd.Series, high: pd.Series) -> np.ndarray:
    """Error bar lengths below and above each centre (0 where a run has no interval)."""
    below = np.nan_to_num(centre - pd.to_numeric(low, errors="coerce").to_numpy(float), nan=0.0)
    above = np.nan_to_num(pd.to_numeric(high, errors="coerce").to_numpy(float) - centre, nan=0.0)
    return np.vstack([np.clip(below, 0, None), np.clip(above, 0, None)])


def _frontier_title(on: pd.DataFrame, maximise: str, minimise: str, points: int) -> str:
    """The finding: what the frontier costs from its cheapest end to its most detecting end."""
    gain, cost = output_label(maximise), output_label(minimise)
    if len(on) <= 1:
        return f"One policy of the {points} is best on both {gain} and {cost}: no trade-off over this sweep"
    first, last = on.iloc[0], on.iloc[-1]
    return (
        f"{len(on)} of {points} policies are not beaten on both: raising {gain} from "
        f"{fmt_value(maximise, float(first[maximise]))} to {fmt_value(maximise, float(last[maximise]))} "
        f"costs {cost} from {fmt_value(minimise, float(first[minimise]))} to "
        f"{fmt_value(minimise, float(last[minimise]))}\nError bars: 95% intervals of the means; "
        "the frontier is decided on the means"
    )
