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
from decimal import Decimal
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.debrief.plotting import COMPACT_STYLE
from sim.experiments.sensitivity import Critical, critical_value
from sim.i18n import N_, babel_locale, format_int, format_percent, is_rtl, shaped, translator, word
from sim.vocabulary import (
    CAUSE_LABELS,
    CAUSES,
    COMPARED_OUTPUT_WORDS,
    MISS_SHARES,
    OKABE_ITO,
    OUTPUT_NAMES,
    OUTPUT_WORDS,
)

T = translator("sweep")
"""The sweep's words: the ``sweep`` catalogue (looked up when a figure is drawn, never at import)."""

PARAMETER_WORDS = {
    "sharing.delay_scale": N_("delay scale (x every link's delay)"),
    "sharing.links[*].trust": N_("trust (every link)"),
    "sharing.defaults.trust": N_("trust (default of links)"),
    "sharing.links[*].reliability": N_("reliability (every link)"),
    "travellers.count": N_("travellers"),
}
"""Axis words for common parameters; others are put into words from their path (`parameter_label`)."""

PARAMETER_SHORT_WORDS = {
    "sharing.delay_scale": N_("delay scale"),
    "sharing.links[*].trust": N_("trust"),
    "sharing.defaults.trust": N_("trust"),
    "sharing.links[*].reliability": N_("reliability"),
    "travellers.count": N_("travellers"),
}
"""The same parameters in a title or a legend: the words of `PARAMETER_WORDS` without their parentheses."""

FIELD_WORDS = {
    "covers": N_("coverage"),
    "delay_hours": N_("delay"),
    "learn_hours": N_("time of learning"),
    "verify_hours": N_("verification time"),
    "leg_hours": N_("leg time"),
    "depart_day": N_("departure day"),
    "party_size": N_("party size"),
    "name": N_("name check success"),
    "document": N_("document check success"),
    "biometric": N_("biometric check success"),
    "trust": N_("trust"),
    "reliability": N_("reliability"),
}
"""Words for the last key of a parameter's path (``covers`` -> "coverage"); other keys are spelled out."""

QUALIFIED_WORDS = {"defaults": N_("default {what}"), "documents": N_("document {what}")}
"""Keys that a field's own name needs to make sense: ``screening.name`` is a "screening name"."""

QUALIFYING_KEYS = frozenset(QUALIFIED_WORDS)

EVERY = {
    "links": N_("every link"),
    "agencies": N_("every agency"),
    "groups": N_("every group"),
    "intelligence": N_("every source"),
}
"""Words for a ``[*]`` selector, by the list it selects from."""

NEGLIGIBLE_INDEX = 0.05
"""A total Sobol' index below this: the parameter barely matters over the range swept (said in the title)."""

TITLE_WIDTH = 68
"""Characters per line of a title over the narrowest figure, 8.6 inches (it must fit over the plot)."""

TITLE_CHARACTERS_PER_INCH = 8
"""Bold 14-point characters an inch, with room for wide ones: titles wrap to the figure's width."""


# ---------------------------------------------------------------- words and numbers


def fmt_number(value: float, spec: str = "g") -> str:
    """A number formatted as Python's `spec` (``+.1f``, ``.3g``, ``g``) with the current language's decimal sign.

    English is exactly Python's format (``-14.0``, ``0.25``); French writes ``-14,0``, ``0,25``; in Arabic a
    signed number opens with `LRM`, or right-to-left text would put its sign after it (``14.0-``).
    """
    text = fmt_number_text(format(value, spec))
    return LRM + text if text[:1] in "+-" and is_rtl() else text  # the sign stays before the digits


LRM = "\u200e"
"""The left-to-right mark: keeps a number's sign before its digits in right-to-left text (as Babel writes it)."""


def fmt_percent(share: float, digits: int = 0, scaled: bool = False) -> str:
    """A share in percent in the current language (`sim.i18n.format_percent`), rounded as Python rounds it.

    Python rounds the float itself (``0.4215`` is ``42.1%``); Babel would round its shortest decimal
    (``42.2%``): the number is rounded here first, so English reads as it always has. `scaled`: round
    ``100 * share`` as a float first (as ``f"{100 * share:.1f}%"`` did).
    """
    text = f"{100 * share:.{digits}f}" if scaled else f"{share:.{digits}%}".removesuffix("%")
    return format_percent(Decimal(text) / 100, digits)  # type: ignore[arg-type]


def capital(text: str) -> str:
    """`text` with its first letter in upper case, the rest as written (ids stay ``HAL-INT``)."""
    return text[:1].upper() + text[1:]


def lines_shaped(text: str) -> str:
    """`text` ready for matplotlib in the current language (`sim.i18n.shaped`, each line on its own).

    Texts are wrapped before they are shaped, never after. (`sim.debrief.plotting` shapes every
    figure text again on its way in; `shaped` is idempotent.)
    """
    return shaped(text)


def is_share(output: str) -> bool:
    """Whether an output is a share of travellers (drawn and written in percent)."""
    return output.endswith("_rate") or output.endswith("_share")


def _path_words(path: str) -> tuple[str, str]:
    """A path as (what, where): ``agencies[HAL-BRD].screening.name`` -> ("name check success", "HAL-BRD")."""
    steps = re.findall(r"([^.\[\]]+)((?:\[[^\]]*\])*)", path)
    keys = [key for key, _ in steps]
    last = keys[-1]
    what = T.gettext(FIELD_WORDS[last]) if last in FIELD_WORDS else last.replace("_", " ")
    if len(keys) >= 2 and keys[-2] in QUALIFIED_WORDS:
        what = T.gettext(QUALIFIED_WORDS[keys[-2]]).format(what=what)
    if keys[0] == "intelligence":
        what = T.gettext("intelligence {what}").format(what=what)
    places = []
    for key, selectors in steps:
        for selector in re.findall(r"\[([^\]]*)\]", selectors):
            if selector == "*":
                places.append(T.gettext(EVERY[key]) if key in EVERY else T.gettext("every {list}").format(list=key))
            else:
                places.append(selector.replace("->", " → ") if not selector.isdigit() else f"{key} {int(selector) + 1}")
    return what, ", ".join(places)


def _every(path: str) -> bool:
    """Whether a path selects every item of a list (``[*]``)."""
    return "[*]" in path


def parameter_label(path: str) -> str:
    """The axis label of a parameter, in words: ``intelligence[HAL-INT].covers`` -> "intelligence coverage (HAL-INT)".

    Words for common parameters from `PARAMETER_WORDS`; any other path is put into
    words (`FIELD_WORDS`, `EVERY`) with the item it selects in parentheses.
    """
    if path in PARAMETER_WORDS:
        return T.gettext(PARAMETER_WORDS[path])
    what, where = _path_words(path)
    return f"{what} ({where})" if where else what


def short_parameter(path: str) -> str:
    """A parameter in a title: ``sharing.delay_scale`` -> ``delay scale``; a specific item stays named."""
    if path in PARAMETER_SHORT_WORDS:
        return T.gettext(PARAMETER_SHORT_WORDS[path])
    what, where = _path_words(path)
    return f"{what} ({where})" if where and not _every(path) else what


def output_label(output: str) -> str:
    """An output in words: ``misses.late`` -> ``missed: alert came too late``; ``detection_rate`` -> ``detection rate``.

    Words from `sim.vocabulary` (a miss cause always in its `CAUSE_LABELS` words), else
    the key itself, with ``.`` and ``_`` spelled out; in the current language.
    """
    for words in (OUTPUT_WORDS, COMPARED_OUTPUT_WORDS, OUTPUT_NAMES):
        if output in words:
            return word(words[output])
    return output.replace(".", ": ").replace("_", " ")


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
    return T.gettext(
        "Caveat: “{cause}” falls as delay grows because those travellers are counted “{late}” first (each miss has "
        "one cause, the first step that failed)"
    ).format(cause=word(CAUSE_LABELS[cause]), late=word(CAUSE_LABELS["late"]))


def fmt_value(output: str, value: float | None) -> str:
    """A value of an output in words: percent for shares, one decimal for hours, else 3 digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return T.gettext("n/a")
    if is_share(output):
        return fmt_percent(value, 0) if abs(value) >= 0.1 else fmt_percent(value, 1)
    if "hours" in output:
        return T.gettext("{hours} h").format(hours=fmt_number(value, ".1f"))
    return fmt_number(value, ".3g")


def fmt_level(value: Any) -> str:
    """A parameter value in a legend or tick."""
    if isinstance(value, float):
        return fmt_number(value, "g")
    return str(value)


def numeric(series: pd.Series) -> bool:
    """Whether a column's values are all numbers."""
    return bool(pd.to_numeric(series, errors="coerce").notna().all())


def _span(output: str, width: float) -> str:
    """A difference of an output: percentage points for shares."""
    if not is_share(output):
        return fmt_value(output, width)
    points = round(width * 100)
    return T.ngettext("{points} percentage point", "{points} percentage points", points).format(
        points=fmt_number(width * 100, ".0f")
    )


def _title(fig: Figure, text: str) -> None:
    """A bold title over the whole figure, aligned to the start of the reading direction, each line wrapped to fit."""
    width = int(fig.get_figwidth() * TITLE_CHARACTERS_PER_INCH)
    wrapped = "\n".join(textwrap.fill(line, width, break_on_hyphens=False) for line in text.split("\n"))
    rtl = is_rtl()
    fig.suptitle(lines_shaped(wrapped), x=0.99 if rtl else 0.01, ha="right" if rtl else "left", fontsize=14,
                 fontweight="bold")  # fmt: skip
    fig.sweep_title = " ".join(text.split())  # type: ignore[attr-defined]  # in reading order, for the alt text


def figure_title(fig: Figure) -> str:
    """The title of a sweep figure as written, in reading order (not as drawn), on one line; "" if it has none."""
    return str(getattr(fig, "sweep_title", ""))


def fmt_number_text(text: str) -> str:
    """A number already written with ``.`` (Python's way) in the current language's decimal sign."""
    from babel.numbers import get_decimal_symbol

    decimal = get_decimal_symbol(babel_locale(), numbering_system="latn")
    return text if decimal == "." else text.replace(".", decimal)


def _axis_format(ax: Any, output: str) -> None:
    if is_share(output):
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_percent(v, 0)))


def _legend(ax: Any, *args: Any, **kwargs: Any) -> Any:
    """A legend whose texts are shaped; in a right-to-left language, markers after the text."""
    rtl = is_rtl()
    if "title" in kwargs and kwargs["title"]:
        kwargs["title"] = lines_shaped(kwargs["title"])
    if args:
        args = (args[0], [lines_shaped(label) for label in args[1]], *args[2:])
    else:
        handles, labels = ax.get_legend_handles_labels()
        args = (handles, [lines_shaped(label) for label in labels])
    return ax.legend(*args, markerfirst=not rtl, **({"alignment": "right"} if rtl else {}) | kwargs)


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
    if len(steps) == 0 or np.allclose(steps, steps[0]):
        return ""
    return "\n" + T.gettext("(cells are the swept levels, not to scale)")


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


def critical_words(crit: Critical, output: str, threshold: float) -> str:
    """A curve's critical value in words (`Critical.describe`, translated): ``1.3 (95% band 0.9 to 1.8)``."""
    if crit.estimate is None:
        return T.gettext("none (below {level})").format(level=fmt_value(output, threshold))
    if crit.censored:
        return T.gettext("above the whole range swept (>= {value})").format(value=fmt_number(crit.estimate, ".2g"))
    value = fmt_number(crit.estimate, ".2g")
    if crit.low is not None and crit.high is not None:
        return T.gettext("{value} (95% band {low} to {high})").format(
            value=value, low=fmt_number(crit.low, ".2g"), high=fmt_number(crit.high, ".2g")
        )
    if crit.low is None and crit.high is not None:
        return T.gettext("{value} (95% band up to {high})").format(value=value, high=fmt_number(crit.high, ".2g"))
    return value


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
            label = T.gettext("mean") if value is None else f"{short_parameter(by or '')} {fmt_level(value)}"
            if marks:
                crit = critical_value(x, mean, curve["ci_low"].tolist(), curve["ci_high"].tolist(), threshold)  # type: ignore[arg-type]
                crits.append((value, crit))
                label = T.gettext("{curve}: critical {parameter} {value}").format(
                    curve=label, parameter=short_parameter(parameter), value=critical_words(crit, output, threshold)
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
            rtl = is_rtl()
            ax.axhline(threshold, color="#444444", lw=1.2, ls="--", zorder=2)
            ax.annotate(
                lines_shaped(T.gettext("threshold {level}").format(level=fmt_value(output, threshold))),
                xy=(0.0 if rtl else 1.0, threshold),
                xycoords=("axes fraction", "data"),
                xytext=(4 if rtl else -4, 4),
                textcoords="offset points",
                ha="left" if rtl else "right",
                va="bottom",
                fontsize=10,
                color="#444444",
            )
        ax.set_xlabel(lines_shaped(parameter_label(parameter)))
        ax.set_ylabel(lines_shaped(T.gettext("{output} (mean of runs, 95% band)").format(output=output_label(output))))
        _axis_format(ax, output)
        if is_share(output):
            ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#e5e5e5")
        legend_title = None if by is None else parameter_label(by)
        handles, labels = ax.get_legend_handles_labels()
        heights = [float(np.nanmean(h.get_ydata())) for h in handles]
        order = sorted(range(len(handles)), key=lambda i: -heights[i])  # legend top to bottom as the curves
        _legend(ax, [handles[i] for i in order], [labels[i] for i in order], title=legend_title, loc="best",
                frameon=False)  # fmt: skip
        lines = [_curve_title(output, parameter, by, firsts, lasts, x, crits, threshold)]
        if _same(curves):
            lines.append(capital(T.gettext("{parameter} makes no difference: the curves coincide").format(
                parameter=short_parameter(by or ""))))  # fmt: skip
        if (caveat := chain_caveat(output, parameter)) and np.mean(lasts) < np.mean(firsts):
            lines.append(caveat)
        _title(fig, "\n".join(lines))
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
    name, what = output_label(output), short_parameter(parameter)
    start, end = float(np.mean(firsts)), float(np.mean(lasts))
    values = {
        "output": name, "parameter": what, "start": fmt_level(float(x[0])), "end": fmt_level(float(x[-1])),
        "first": fmt_value(output, start), "last": fmt_value(output, end), "by": short_parameter(by) if by else "",
    }  # fmt: skip
    several = by is not None and len(firsts) > 1
    if abs(end - start) < 0.02 * max(abs(start), abs(end), 1e-9):
        text = T.gettext("{output} barely changes as {parameter} goes from {start} to {end}")
    else:
        falls = end < start
        every = several and all((b < a) == falls for a, b in zip(firsts, lasts, strict=True))
        if every and falls:
            text = T.gettext(
                "{output} falls at every {by} level as {parameter} goes from {start} to {end} "
                "({first} to {last} on average)"
            )
        elif every:
            text = T.gettext(
                "{output} rises at every {by} level as {parameter} goes from {start} to {end} "
                "({first} to {last} on average)"
            )
        elif several and falls:
            text = T.gettext("{output} falls as {parameter} goes from {start} to {end} ({first} to {last} on average)")
        elif several:
            text = T.gettext("{output} rises as {parameter} goes from {start} to {end} ({first} to {last} on average)")
        elif falls:
            text = T.gettext("{output} falls as {parameter} goes from {start} to {end} ({first} to {last})")
        else:
            text = T.gettext("{output} rises as {parameter} goes from {start} to {end} ({first} to {last})")
    lines = [capital(text.format(**values))]
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
                parts.append(T.gettext("stays at or above {level} up to {parameter} {value}{where}").format(
                    level=level, parameter=what, value=fmt_number(low[1].estimate, ".2g"),
                    where=where(low[0])))  # fmt: skip
            else:
                parts.append(T.gettext(
                    "stays at or above {level} up to {parameter} {low}{low_where} to {high}{high_where}"
                ).format(level=level, parameter=what, low=fmt_number(low[1].estimate, ".2g"), low_where=where(low[0]),
                         high=fmt_number(high[1].estimate, ".2g"), high_where=where(high[0])))  # fmt: skip
        if always:
            parts.append(T.gettext("stays above it over the whole range{where}").format(
                where=where(always[0]) if len(always) == 1 else ""))  # fmt: skip
        if never:
            if found or always:
                parts.append(T.gettext("is below it everywhere{where}").format(
                    where=where(never[0]) if len(never) == 1 else ""))  # fmt: skip
            else:
                parts.append(
                    T.gettext("is below {level} at every {parameter} swept").format(level=level, parameter=what)
                )
        clauses = parts[0]
        for part in parts[1:]:
            clauses = T.gettext("{clauses}; {clause}").format(clauses=clauses, clause=part)
        lines.append(T.gettext("It {clauses}").format(clauses=clauses))
    return "\n".join(textwrap.fill(line, TITLE_WIDTH, break_on_hyphens=False) for line in lines)


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
        if direction == "better":
            bar_label = T.gettext("{output} (mean; higher is better)")
        elif direction == "worse":
            bar_label = T.gettext("{output} (mean; higher is worse)")
        else:
            bar_label = T.gettext("{output} (mean)")
        bar.set_label(lines_shaped(bar_label.format(output=output_label(output))))
        if is_share(output):
            bar.formatter = FuncFormatter(lambda v, _: fmt_percent(v, 0))
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
        ax.set_xlabel(lines_shaped(parameter_label(x) + _not_to_scale(xs)))
        ax.set_ylabel(lines_shaped(parameter_label(y) + _not_to_scale(ys)))
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
                    label=T.gettext("critical {parameter}: {output} = {level}").format(
                        parameter=short_parameter(x), output=output_label(output), level=fmt_value(output, threshold)
                    ),
                )
                below = 0.13 + 0.07 * ax.get_xlabel().count("\n")  # under the x label, however many lines it has
                _legend(ax, loc="upper center", bbox_to_anchor=(0.5, -below), frameon=False)
        caveats = [c for c in (chain_caveat(output, x), chain_caveat(output, y)) if c][:1]
        _title(fig, "\n".join([_heatmap_title(grid, xs, ys, x, y, output), *caveats]))
    return fig


def _heatmap_title(grid: np.ndarray, xs: list[Any], ys: list[Any], x: str, y: str, output: str) -> str:
    name = output_label(output)
    spread = float(np.nanmax(grid) - np.nanmin(grid))
    tolerance = max(1e-12, 0.01 * spread)
    flat_along_y = float(np.nanmax(np.nanmax(grid, axis=0) - np.nanmin(grid, axis=0))) <= tolerance
    flat_along_x = float(np.nanmax(np.nanmax(grid, axis=1) - np.nanmin(grid, axis=1))) <= tolerance
    if spread <= 1e-12:
        return capital(T.gettext("{output} is {value} at every point").format(
            output=name, value=fmt_value(output, float(np.nanmax(grid)))))  # fmt: skip
    for flat, along, other, levels, mean_axis in ((flat_along_y, x, y, xs, 0), (flat_along_x, y, x, ys, 1)):
        if flat:
            line = np.nanmean(grid, axis=mean_axis)
            return capital(T.gettext(
                "{output} depends on {parameter} alone, from {first} at {start} to {last} at {end}; "
                "{other} makes no difference"
            ).format(output=name, parameter=short_parameter(along), first=fmt_value(output, float(line[0])),
                     start=fmt_level(levels[0]), last=fmt_value(output, float(line[-1])), end=fmt_level(levels[-1]),
                     other=short_parameter(other)))  # fmt: skip
    best = np.unravel_index(np.nanargmax(grid), grid.shape)
    worst = np.unravel_index(np.nanargmin(grid), grid.shape)
    return capital(T.gettext(
        "{output} is highest ({best}) at {x} {x_best}, {y} {y_best}\n"
        "and lowest ({worst}) at {x} {x_worst}, {y} {y_worst}"
    ).format(output=name, best=fmt_value(output, grid[best]), worst=fmt_value(output, grid[worst]),
             x=short_parameter(x), y=short_parameter(y), x_best=fmt_level(xs[best[1]]), y_best=fmt_level(ys[best[0]]),
             x_worst=fmt_level(xs[worst[1]]), y_worst=fmt_level(ys[worst[0]])))  # fmt: skip


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
            ax.fill_between(x, low, high, color=OKABE_ITO[0], alpha=0.15, lw=0,
                            label=T.gettext("range over the other parameters"))  # fmt: skip
            ax.plot(x, mean, "-o", color=OKABE_ITO[0], lw=2, markersize=4,
                    label=T.gettext("mean over the other parameters"))  # fmt: skip
            if not numeric(data[parameter]):
                ax.set_xticks(x, [lines_shaped(fmt_level(v)) for v in levels], rotation=20)
            ax.set_xlabel(lines_shaped(parameter_label(parameter)), fontsize=10)
            ax.grid(axis="y", color="#e5e5e5")
            _axis_format(ax, output)
            spans.append((max(mean) - min(mean), parameter))
        axes[0].set_ylabel(lines_shaped(T.gettext("{output} (mean)").format(output=output_label(output))))
        _legend(axes[0], loc="best", frameon=False, fontsize=9)
        top = max(spans)
        _title(fig, capital(T.gettext("{output} moves most with {parameter} (its level means span {span})").format(
            output=output_label(output), parameter=short_parameter(top[1]), span=_span(output, top[0]))))  # fmt: skip
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
            ax.scatter(x, y, s=6, color=OKABE_ITO[5], alpha=0.35, lw=0, label=T.gettext("a point of the design"))
            order = np.argsort(x.to_numpy(), kind="stable")
            chunks = [c for c in np.array_split(order, min(bins, len(order))) if len(c)]
            bx = [float(x.to_numpy()[c].mean()) for c in chunks]
            by = [float(y.to_numpy()[c].mean()) for c in chunks]
            ax.plot(bx, by, "-o", color=OKABE_ITO[1], lw=2, markersize=4, label=T.gettext("mean of equal-count bins"))
            ax.set_xlabel(lines_shaped(parameter_label(parameter)), fontsize=10)
            ax.grid(axis="y", color="#e5e5e5")
            _axis_format(ax, output)
            spans.append((max(by) - min(by), parameter))
        axes[0].set_ylabel(lines_shaped(T.gettext("{output} (point mean)").format(output=output_label(output))))
        _legend(axes[0], loc="best", frameon=False, fontsize=9, markerscale=3)
        top = max(spans)
        _title(fig, capital(T.gettext("{output} moves most with {parameter} (binned means span {span})").format(
            output=output_label(output), parameter=short_parameter(top[1]), span=_span(output, top[0]))))  # fmt: skip
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
            (0.2, "S1", OKABE_ITO[0], T.gettext("first order (alone)")),
            (-0.2, "ST", OKABE_ITO[1], T.gettext("total (with interactions)")),
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
        ticks = [lines_shaped(short_parameter(n)) + ("" if short_parameter(n) == n else f"\n{n}") for n in names]
        ax.set_yticks(y, ticks, fontsize=9)
        ax.axvline(0, color="#333333", lw=0.8)
        ax.set_xlabel(lines_shaped(T.gettext("share of the variance of {output}").format(output=output_label(output))))
        ax.set_xlim(
            left=min(-0.05, float(data["ci_low"].min()) - 0.02), right=max(1.0, float(data["ci_high"].max()) + 0.02)
        )
        ax.grid(axis="x", color="#e5e5e5")
        _legend(ax, loc="lower right", frameon=False)
        top, top_total = names[-1], float(total.iloc[-1])
        values = {"parameter": short_parameter(top), "output": output_label(output),
                  "index": fmt_number(top_total, ".2f")}  # fmt: skip
        if top_total >= 0.5:
            text = T.gettext("{parameter} drives most of the variance of {output} (total index {index})")
        else:
            text = T.gettext("{parameter} explains the largest share of the variance of {output} (total index {index})")
        text = capital(text.format(**values))
        idle = [short_parameter(n) for n in names if float(total[n]) < NEGLIGIBLE_INDEX]
        if idle:
            text = T.ngettext(
                "{finding}; {parameters} barely matters (total < {limit})",
                "{finding}; {parameters} barely matter (total < {limit})",
                len(idle),
            ).format(finding=text, parameters=", ".join(idle), limit=fmt_number(NEGLIGIBLE_INDEX, "g"))
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
            (off, "#9a9a9a", 7, T.gettext("a policy another beats on both (dominated)"), 2),
            (on, OKABE_ITO[5], 10, T.gettext("a non-dominated policy (on the means)"), 4),
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
                    lines_shaped(label),
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
                    label=T.gettext("the best policy with {constraint}").format(
                        constraint=constraint_text))  # fmt: skip
        if constraint_level is not None:
            ax.axvline(constraint_level, color=OKABE_ITO[1], ls="--", lw=1.8, zorder=1,
                       label=T.gettext("the constraint: {constraint}").format(constraint=constraint_text))  # fmt: skip
        ax.set_xlabel(lines_shaped(T.gettext("{output} (mean of runs; lower is better) →").format(
            output=output_label(minimise))))  # fmt: skip
        ax.set_ylabel(lines_shaped(T.gettext("{output} (mean of runs; higher is better) →").format(
            output=output_label(maximise))))  # fmt: skip
        _axis_format(ax, maximise)
        if is_share(minimise):
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_percent(v, 0)))
        ax.grid(color="#e5e5e5")
        _legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, frameon=False)
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
            joined = values[0]
            for value in values[1:]:
                joined = T.gettext("{values} or {value}").format(values=joined, value=value)
            parts.append(f"{words} {joined}")
        label = parts[0]
        for part in parts[1:]:
            label = T.gettext("{settings}, {setting}").format(settings=label, setting=part)
        out.append((float(x), float(y), label))
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
        return T.ngettext(
            "One policy of the {points} is best on both {gain} and {cost}: no trade-off over this sweep",
            "One policy of the {points} is best on both {gain} and {cost}: no trade-off over this sweep",
            points,
        ).format(points=format_int(points), gain=gain, cost=cost)
    first, last = on.iloc[0], on.iloc[-1]
    finding = T.ngettext(
        "{count} of {points} policy is not beaten on both: raising {gain} from {gain_first} to {gain_last} costs "
        "{cost} from {cost_first} to {cost_last}",
        "{count} of {points} policies are not beaten on both: raising {gain} from {gain_first} to {gain_last} costs "
        "{cost} from {cost_first} to {cost_last}",
        points,
    ).format(count=format_int(len(on)), points=format_int(points), gain=gain, cost=cost,
             gain_first=fmt_value(maximise, float(first[maximise])),
             gain_last=fmt_value(maximise, float(last[maximise])),
             cost_first=fmt_value(minimise, float(first[minimise])),
             cost_last=fmt_value(minimise, float(last[minimise])))  # fmt: skip
    return finding + "\n" + T.gettext("Error bars: 95% intervals of the means; the frontier is decided on the means")
