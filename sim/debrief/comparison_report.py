"""Figures and report of a paired comparison, drawn from its folder's tables.

`COMPARISON_FIGURES` declares each figure once (file name, maker, caption);
`draw_comparison_figures` draws them and the report captions them from it.
Everything a participant reads is written in the current language (`sim.i18n`, domain ``sweep``);
the scenarios' names, ids and field paths stay as written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.debrief.html_page import escape, figure_html, page, png_data_uri, table_html
from sim.debrief.plotting import STYLE, FigureEntry, check_registry, draw_figures
from sim.debrief.run_figures import chain_figure
from sim.debrief.sweep_figures import fmt_number, fmt_percent, lines_shaped
from sim.experiments.comparison import ABSENT, differences
from sim.i18n import N_, format_int, is_rtl, translator, word
from sim.safe_text import read_csv_rows
from sim.spec.output_files import write_text
from sim.spec.scenario import load_recorded_scenario
from sim.vocabulary import CAUSE_LABELS, CAUSES, COLOURS, COMPARED_OUTPUT_WORDS, MISS_SHARES

T = translator("sweep")
"""The comparison's words: the ``sweep`` catalogue (looked up when a report or figure is written)."""

SHARES = ("detection_rate", *[MISS_SHARES[c] for c in CAUSES])
"""The compared outputs that are shares of the travellers who crossed (written in percent)."""


def _pairs(folder: Path) -> list[dict[str, float]]:
    with (folder / "pairs.csv").open(encoding="utf-8", newline="") as handle:
        return [
            {k: float(v) if v not in ("",) else float("nan") for k, v in row.items()} for row in read_csv_rows(handle)
        ]


def _mean_chain(pairs: list[dict[str, float]], side: str) -> dict[str, Any]:
    """Mean chain counts of one side, from the shares in pairs.csv (per 100 who crossed)."""
    misses = {}
    for cause in CAUSES:
        key = f"{side}_{MISS_SHARES[cause]}"
        if key not in pairs[0]:
            continue  # a cause only some runs report (expired), absent here
        misses[cause] = round(100 * float(np.nanmean([p[key] for p in pairs])), 1)
    detected = round(100 * float(np.nanmean([p[f"{side}_detection_rate"] for p in pairs])), 1)
    return {"crossed": 100, "detected": detected, "missed": 100 - detected, "misses": misses}


def chains_figure(pairs: list[dict[str, float]], name_a: str, name_b: str) -> Figure:
    """The chain-broke figure of A and of B side by side (means per 100 travellers who crossed)."""
    rtl = is_rtl()
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(17, 6.4), sharey=True)
        for ax, side, name in zip(axes, ("a", "b"), (name_a, name_b), strict=True):
            chain = _mean_chain(pairs, side)
            title = T.gettext("{scenario}: {detected} of 100 stopped").format(
                scenario=name, detected=fmt_number(chain["detected"], "g")
            )
            chain_figure(chain, title=title, ax=ax)
            ax.set_title("", loc="left")  # the run figure's own title, replaced: drawn once, here, in its language
            ax.set_title(lines_shaped(title), loc="right" if rtl else "left", fontsize=15)
        heading = T.ngettext(
            "Per 100 travellers who crossed, mean over {count} paired run",
            "Per 100 travellers who crossed, mean over {count} paired runs",
            len(pairs),
        ).format(count=format_int(len(pairs)))
        fig.suptitle(lines_shaped(heading), x=0.99 if rtl else 0.01, ha="right" if rtl else "left", fontsize=14)
        fig.tight_layout()
        return fig


def differences_figure(pairs: list[dict[str, float]], stats: dict[str, Any], name_a: str, name_b: str) -> Figure:
    """The paired differences B - A per replication, for the detection rate and each miss cause."""
    rng = np.random.default_rng(0)  # jitter only
    labels = {"detection_rate": T.gettext("detected"), **{MISS_SHARES[c]: word(CAUSE_LABELS[c]) for c in CAUSES}}
    colours = {"detection_rate": COLOURS["detected"], **{MISS_SHARES[c]: COLOURS[c] for c in CAUSES}}
    order = ["detection_rate", *[MISS_SHARES[c] for c in CAUSES if MISS_SHARES[c] in stats]]
    rtl = is_rtl()
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(13, 6))
        for k, name in enumerate(order[::-1]):
            diffs = 100 * (np.array([p[f"b_{name}"] for p in pairs]) - np.array([p[f"a_{name}"] for p in pairs]))
            diffs = diffs[~np.isnan(diffs)]
            ax.scatter(diffs, k + rng.uniform(-0.18, 0.18, len(diffs)), s=16, alpha=0.45, color=colours[name])
            st = stats[name]
            if st["diff"] is not None:
                ax.plot([100 * st["ci_low"], 100 * st["ci_high"]], [k, k], color="black", lw=4, solid_capstyle="butt")
                ax.plot(100 * st["diff"], k, marker="D", color="black", ms=8)
                points = T.gettext("{difference} pts").format(difference=fmt_number(100 * st["diff"], "+.1f"))
                ax.text(max(100 * st["ci_high"], diffs.max() if len(diffs) else 0) + 0.4, k,
                        lines_shaped(points), va="center", fontsize=12)  # fmt: skip
        ax.axvline(0, color="#777777", lw=1.2)
        ax.set_yticks(range(len(order)), [lines_shaped(labels[n]) for n in order[::-1]])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_number(v, "g")))
        ax.set_xlabel(lines_shaped(T.gettext("percentage points of travellers who crossed: {b} minus {a}").format(
            a=name_a, b=name_b)))  # fmt: skip
        st = stats["detection_rate"]
        if st["diff"] is not None:
            values = {"a": name_a, "b": name_b, "points": fmt_number(abs(100 * st["diff"]), ".1f")}
            if st["diff"] > 0:
                first = T.gettext("{b} stops {points} points more than {a}").format(**values)
            else:
                first = T.gettext("{b} stops {points} points fewer than {a}").format(**values)
            second = T.ngettext(
                "(95% interval {low} to {high}, same travellers, {count} run)",
                "(95% interval {low} to {high}, same travellers, {count} runs)",
                st["replications"],
            ).format(low=fmt_number(100 * st["ci_low"], "+.1f"), high=fmt_number(100 * st["ci_high"], "+.1f"),
                     count=format_int(st["replications"]))  # fmt: skip
            title = lines_shaped(first) + "\n" + lines_shaped(second)
        else:
            title = lines_shaped(T.gettext("No traveller crossed"))
        ax.set_title(title, loc="right" if rtl else "left", fontsize=15)
        fig.tight_layout()
        return fig


@dataclass(frozen=True)
class ComparisonTables:
    """What the comparison figures are drawn from, as read from a comparison folder.

    Attributes:
        pairs: the rows of ``pairs.csv`` (NaN where a replication has no value).
        stats: ``comparison.json``: per output, the means and the paired difference with its interval.
        name_a, name_b: the names of the two scenarios.
    """

    pairs: list[dict[str, float]]
    stats: dict[str, Any]
    name_a: str
    name_b: str

    @classmethod
    def from_folder(cls, folder: Path) -> ComparisonTables:
        """Read a folder written by `sim.experiments.comparison.write_comparison_folder`."""
        a, b = load_recorded_scenario(folder / "a.yaml"), load_recorded_scenario(folder / "b.yaml")
        stats = json.loads((folder / "comparison.json").read_text())
        return cls(pairs=_pairs(folder), stats=stats, name_a=a.name, name_b=b.name)


COMPARISON_FIGURES: tuple[FigureEntry[ComparisonTables], ...] = check_registry(
    (
        FigureEntry(
            "chains",
            lambda t: chains_figure(t.pairs, t.name_a, t.name_b),
            N_("Where the chain broke in A and in B (means per 100 travellers who crossed)."),
        ),
        FigureEntry(
            "differences",
            lambda t: differences_figure(t.pairs, t.stats, t.name_a, t.name_b),
            N_("Paired differences B − A, one dot per replication; black: mean and 95% interval."),
        ),
    )
)
"""The figures of a comparison, in report order: file name, maker, caption (the one place each is declared).

The captions are in English, marked for the ``sweep`` catalogue: the report translates them when it writes."""


def draw_comparison_figures(folder: Path) -> dict[str, Path]:
    """Draw the comparison figures (`COMPARISON_FIGURES`) into ``folder/figures``."""
    return draw_figures(COMPARISON_FIGURES, ComparisonTables.from_folder(folder), folder / "figures")


def _fmt(name: str, value: float | None, difference: bool = False) -> str:
    """A mean (``42.0%``) or, with `difference`, a signed difference (``+3.1 pts``)."""
    if value is None:
        return "-"
    if name in SHARES or name == "stop_precision":  # a share too (of everyone stopped)
        if difference:
            return T.gettext("{difference} pts").format(difference=fmt_number(100 * value, "+.1f"))
        return fmt_percent(value, 1, scaled=True)
    return fmt_number(value, "+.1f" if difference else ".1f")


def _plan(finding: str, action: str, agency: str) -> str:
    """The improvement plan: one finding, its corrective action, the agencies who take it."""
    return table_html([T.gettext("finding"), T.gettext("corrective action"), T.gettext("agency")],
                      [[finding, action, agency]])  # fmt: skip


def write_comparison_report(folder: str | Path, plots: bool = True) -> Path:
    """(Re)draw the figures and write ``report.html`` of a comparison folder (in the current language)."""
    folder = Path(folder)
    a, b = load_recorded_scenario(folder / "a.yaml"), load_recorded_scenario(folder / "b.yaml")
    stats = json.loads((folder / "comparison.json").read_text())
    figures = draw_comparison_figures(folder) if plots else {}
    varied = changes(a.raw, b.raw)
    title = T.gettext("Comparison: {a} and {b}").format(a=a.name, b=b.name)
    parts = [f"<h1>{escape(title)}</h1>"]
    n = stats["detection_rate"]["replications"]
    parts.append('<p class="meta">' + escape(T.ngettext(
        "A = {a}; B = {b}. {count} replication on the same seeds (common random numbers: the same travellers, "
        "routes, leg times and intelligence in A and B); master seed {seed}.",
        "A = {a}; B = {b}. {count} replications on the same seeds (common random numbers: the same travellers, "
        "routes, leg times and intelligence in A and B); master seed {seed}.",
        n,
    ).format(a=a.name, b=b.name, count=format_int(n), seed=a.seed)) + "</p>")  # fmt: skip
    parts.append(f"<h2>{escape(T.gettext('Overview'))}</h2><h3>{escape(T.gettext('What differs'))}</h3>")
    if varied:
        parts.append(table_html([T.gettext("field"), T.gettext("A: {scenario}").format(scenario=a.name),
                                 T.gettext("B: {scenario}").format(scenario=b.name)],
                                [[p, *change_cells(p, x, y)] for p, x, y in varied[:MAX_CHANGES]]))  # fmt: skip
        if len(varied) > MAX_CHANGES:
            more = len(varied) - MAX_CHANGES
            parts.append("<p>" + escape(T.ngettext(
                "… and {count} more field (a.yaml and b.yaml hold them all).",
                "… and {count} more fields (a.yaml and b.yaml hold them all).", more,
            ).format(count=format_int(more))) + "</p>")  # fmt: skip
    else:
        parts.append("<p>" + escape(T.gettext(
            "Nothing: A and B are the same scenario (the differences below must all be zero).")) + "</p>")  # fmt: skip
    parts.append(f"<h2>{escape(T.gettext('Findings'))}</h2>")
    findings = _findings(stats, a.name, b.name)
    for sentence in findings:
        parts.append(f'<div class="finding">{escape(sentence)}</div>')
    rows = []
    for name, st in stats.items():
        words = word(COMPARED_OUTPUT_WORDS[name]) if name in COMPARED_OUTPUT_WORDS else name
        interval = (T.gettext("{low} to {high}").format(low=_fmt(name, st["ci_low"], True),
                                                        high=_fmt(name, st["ci_high"], True))
                    if st["diff"] is not None else "-")  # fmt: skip
        rows.append([words, _fmt(name, st["a"]), _fmt(name, st["b"]), _fmt(name, st["diff"], True), interval])
    parts.append(table_html([T.gettext("output"), T.gettext("A (mean)"), T.gettext("B (mean)"), T.gettext("B − A"),
                             T.gettext("95% interval")], rows, [False, True, True, True, True]))  # fmt: skip
    parts.append(f"<h2>{escape(T.gettext('Figures'))}</h2>")
    for entry in COMPARISON_FIGURES:
        if entry.name in figures:
            parts.append(figure_html(png_data_uri(figures[entry.name].read_bytes()), T.gettext(entry.caption)))
    if not figures:
        parts.append("<p>" + T.gettext("Figures were not drawn ({option}).").format(
            option="<code>--no-plots</code>") + "</p>")  # fmt: skip
    parts.append(f"<h2>{escape(T.gettext('Improvement plan'))}</h2>")
    st = stats["detection_rate"]
    cost = stats.get("wrongful_stops")
    links = T.gettext("the agencies on the changed links")
    if cost is not None and _clear(st) and _clear(cost) and (st["diff"] > 0) == (cost["diff"] > 0):
        parts.append(_plan(findings[0], T.gettext(
            "A choice, not an improvement: weigh the persons of interest against the innocent people stopped, "
            "then keep A's arrangements or adopt B's."), links))  # fmt: skip
    elif st["diff"] is not None and st["ci_low"] > 0 and varied:
        listed = "; ".join(change_words(p, x, y) for p, x, y in varied[:6])
        if len(varied) > 6:
            action = T.ngettext(
                "Adopt B's arrangements: {changes}; and {count} more (see “What differs”).",
                "Adopt B's arrangements: {changes}; and {count} more (see “What differs”).",
                len(varied) - 6,
            ).format(changes=listed, count=format_int(len(varied) - 6))
        else:
            action = T.gettext("Adopt B's arrangements: {changes}.").format(changes=listed)
        parts.append(_plan(findings[0], action, links))
    elif st["diff"] is not None and st["ci_high"] < 0:
        parts.append(_plan(findings[0], T.gettext("Keep A's arrangements."), T.gettext("all")))
    else:
        parts.append("<p>" + escape(T.gettext("No difference in detection that the runs can tell apart from noise."))
                     + "</p>")  # fmt: skip
    path = folder / "report.html"
    write_text(path, page(title, "\n".join(parts)))
    return path


MAX_CHANGES = 40
"""Rows of the "What differs" table; the rest are counted."""

NOT_SET = N_("not set (the default)")
"""A field one scenario leaves out: it takes its default (in English: translate where it is written)."""


def changes(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """The fields where two scenarios differ, as (path, A, B) (`sim.experiments.comparison.differences`).

    The name and description are left out: they always differ, and say nothing about the arrangements.
    """
    return [(p, x, y) for p, x, y in differences(a, b) if p not in ("name", "description")]


def value_words(value: Any) -> str:
    """A scenario value as a participant reads it, never JSON (in the current language).

    ``ABSENT`` -> "—"; None -> "none"; True -> "yes"; a distribution
    ``{dist: lognormal, median: 12, sigma: 0.6}`` -> "lognormal (median 12, sigma 0.6)";
    a link -> "HAL-INT → HAL-BRD (trust 0.9, …)"; an agency -> "HAL-INT (country HAL, …)";
    a list -> its items, comma-separated. The scenario's own words (ids, names, field names) stay as written.
    """
    if value is ABSENT:
        return "—"
    if value is None:
        return T.gettext("none")
    if isinstance(value, bool):
        return T.gettext("yes") if value else T.gettext("no")
    if isinstance(value, float):
        return fmt_number(value, "g")
    if isinstance(value, list):
        return ", ".join(value_words(x) for x in value) if value else T.gettext("none")
    if isinstance(value, dict):
        rest = dict(value)
        head = ""
        if "dist" in rest:
            head = str(rest.pop("dist"))
        elif "from" in rest and "to" in rest:
            head = f"{rest.pop('from')} → {rest.pop('to')}"
        elif isinstance(rest.get("id"), str):
            head = str(rest.pop("id"))
        elif isinstance(rest.get("name"), str):
            head = str(rest.pop("name"))
        inner = ", ".join(f"{str(k).replace('_', ' ')} {value_words(v)}" for k, v in rest.items())
        return f"{head} ({inner})" if head and inner else head or inner or T.gettext("none")
    return str(value)


def change_cells(path: str, a: Any, b: Any) -> list[str]:
    """The A and B cells of one row of "What differs": the values in words, or "added" / "removed".

    A list item (its path ends in a selector) only one side has is "added" or "removed"; a
    field one side leaves out takes its default ("not set: the default").
    """
    item = path.endswith("]")
    not_set = T.gettext(NOT_SET)
    if a is ABSENT:
        return ["—", T.gettext("added: {value}").format(value=value_words(b))] if item else [not_set, value_words(b)]
    if b is ABSENT:
        return [value_words(a), T.gettext("removed")] if item else [value_words(a), not_set]
    return [value_words(a), value_words(b)]


def change_words(path: str, a: Any, b: Any) -> str:
    """One change in words: ``path: 12 → 4``, ``path: added — …`` or ``path: removed``."""
    if path.endswith("]") and a is ABSENT:
        return T.gettext("{field}: added — {value}").format(field=path, value=value_words(b))
    if path.endswith("]") and b is ABSENT:
        return T.gettext("{field}: removed").format(field=path)
    old, new = (T.gettext(NOT_SET) if v is ABSENT else value_words(v) for v in (a, b))
    return f"{path}: {old} → {new}"


def _clear(st: dict[str, Any]) -> bool:
    """Whether a paired difference is told apart from noise: its 95% interval excludes 0."""
    return st["diff"] is not None and (st["ci_low"] > 0 or st["ci_high"] < 0)


def _interval(st: dict[str, Any], scale: float = 1.0) -> str:
    return T.gettext("95% CI {low} to {high}").format(
        low=fmt_number(scale * st["ci_low"], "+.1f"), high=fmt_number(scale * st["ci_high"], "+.1f")
    )


def _detects_clause(det: dict[str, Any], name_a: str, name_b: str) -> str:
    values = {"a": name_a, "b": name_b, "points": fmt_number(abs(100 * det["diff"]), ".1f"),
              "interval": _interval(det, 100)}  # fmt: skip
    if det["diff"] > 0:
        return T.gettext("{b} detects {points} points more of the travellers who crossed than {a} ({interval})").format(
            **values
        )
    if det["diff"] < 0:
        return T.gettext(
            "{b} detects {points} points fewer of the travellers who crossed than {a} ({interval})"
        ).format(**values)
    return T.gettext(
        "{b} detects {points} points as many of the travellers who crossed than {a} ({interval})"
    ).format(**values)


def _stops_clause(stops: dict[str, Any]) -> str:
    values = {"count": fmt_number(abs(stops["diff"]), ".1f"), "interval": _interval(stops)}
    if stops["diff"] > 0:
        return T.gettext("stops {count} more innocent travellers a run ({interval})").format(**values)
    if stops["diff"] < 0:
        return T.gettext("stops {count} fewer innocent travellers a run ({interval})").format(**values)
    return T.gettext("stops {count} as many innocent travellers a run ({interval})").format(**values)


def tradeoff_sentence(stats: dict[str, Any], name_a: str, name_b: str) -> str | None:
    """The headline of a comparison that models the cost of sharing: both sides of the trade-off, as one.

    Detections (points of the travellers who crossed) and wrongful stops (innocent people a
    run), each with its paired 95% interval, and what they say together: a trade-off when they
    move in opposite directions (one better, one worse), better or worse on both sides when they
    agree, and not clear for a difference whose interval includes 0. None when the comparison
    does not compare wrongful stops (neither side models the cost) or no traveller crossed.
    In the current language.
    """
    det, stops = stats.get("detection_rate"), stats.get("wrongful_stops")
    if det is None or stops is None or det["diff"] is None or stops["diff"] is None:
        return None
    if det["diff"] == 0 == stops["diff"] and det["ci_low"] == det["ci_high"] == stops["ci_low"] == stops["ci_high"]:
        return T.gettext(
            "{b} detects as many travellers as {a} and stops as many innocent people: no difference on either side."
        ).format(a=name_a, b=name_b)
    head = T.gettext("{detections} and {stops}").format(
        detections=_detects_clause(det, name_a, name_b), stops=_stops_clause(stops)
    )
    det_clear, stops_clear = _clear(det), _clear(stops)
    n = det["replications"]
    values = {"head": head, "a": name_a, "b": name_b, "count": format_int(n)}
    if not det_clear and not stops_clear:
        return T.ngettext(
            "{head}: neither difference is clear from {count} run (both intervals include 0).",
            "{head}: neither difference is clear from {count} runs (both intervals include 0).",
            n,
        ).format(**values)
    detects_better, spares_better = det["diff"] > 0, stops["diff"] < 0
    if det_clear and stops_clear:
        if detects_better and spares_better:
            return T.gettext(
                "{head}: better on both sides, more persons of interest stopped and fewer innocent people."
            ).format(**values)
        if not detects_better and not spares_better:
            return T.gettext(
                "{head}: worse on both sides, fewer persons of interest stopped and more innocent people."
            ).format(**values)
        if spares_better:
            return T.gettext(
                "{head}: a trade-off, {b} spares innocent travellers at the price of persons of interest who cross "
                "unstopped."
            ).format(**values)
        return T.gettext(
            "{head}: a trade-off, {b} stops more persons of interest at the price of more innocent travellers stopped."
        ).format(**values)
    if det_clear:
        if detects_better:
            return T.gettext(
                "{head}: more persons of interest stopped; whether it stops more or fewer innocent people is not "
                "clear (interval includes 0)."
            ).format(**values)
        return T.gettext(
            "{head}: fewer persons of interest stopped; whether it stops more or fewer innocent people is not "
            "clear (interval includes 0)."
        ).format(**values)
    if spares_better:
        return T.gettext(
            "{head}: fewer innocent people stopped; whether it detects more or fewer is not clear "
            "(interval includes 0)."
        ).format(**values)
    return T.gettext(
        "{head}: more innocent people stopped; whether it detects more or fewer is not clear (interval includes 0)."
    ).format(**values)


def _findings(stats: dict[str, Any], name_a: str, name_b: str) -> list[str]:
    out = []
    headline = tradeoff_sentence(stats, name_a, name_b)
    if headline is not None:
        out.append(headline)
    st = stats["detection_rate"]
    if st["diff"] is not None:
        sure = st["ci_low"] > 0 or st["ci_high"] < 0
        values = {
            "a": name_a, "b": name_b, "points": fmt_number(abs(100 * st["diff"]), ".1f"),
            "share_a": fmt_percent(st["a"], 1, scaled=True), "share_b": fmt_percent(st["b"], 1, scaled=True),
            "low": fmt_number(100 * st["ci_low"], "+.1f"), "high": fmt_number(100 * st["ci_high"], "+.1f"),
        }  # fmt: skip
        if st["diff"] > 0 and sure:
            text = T.gettext(
                "{b} detects {points} percentage points more of the travellers who crossed than {a} ({share_a} "
                "against {share_b}; 95% interval of the difference {low} to {high})."
            )
        elif st["diff"] > 0:
            text = T.gettext(
                "{b} detects {points} percentage points more of the travellers who crossed than {a} ({share_a} "
                "against {share_b}; 95% interval of the difference {low} to {high}), a difference the runs cannot "
                "tell apart from noise."
            )
        elif sure:
            text = T.gettext(
                "{b} detects {points} percentage points fewer of the travellers who crossed than {a} ({share_a} "
                "against {share_b}; 95% interval of the difference {low} to {high})."
            )
        else:
            text = T.gettext(
                "{b} detects {points} percentage points fewer of the travellers who crossed than {a} ({share_a} "
                "against {share_b}; 95% interval of the difference {low} to {high}), a difference the runs cannot "
                "tell apart from noise."
            )
        out.append(text.format(**values))
    for cause in CAUSES:
        st = stats.get(MISS_SHARES[cause])
        if st is None:
            continue
        if st["diff"] is not None and (st["ci_low"] > 0 or st["ci_high"] < 0):
            values = {"cause": word(CAUSE_LABELS[cause]), "points": fmt_number(abs(100 * st["diff"]), ".1f"),
                      "b": name_b}  # fmt: skip
            if st["diff"] > 0:
                out.append(T.gettext("“{cause}”: {points} points more in {b}.").format(**values))
            else:
                out.append(T.gettext("“{cause}”: {points} points fewer in {b}.").format(**values))
    st = stats.get("wrongful_stops")
    if st is not None and st["diff"] is not None and (st["ci_low"] > 0 or st["ci_high"] < 0):
        precision = stats.get("stop_precision") or {}
        values = {"b": name_b, "count": fmt_number(abs(st["diff"]), ".0f"), "stops_a": fmt_number(st["a"], ".0f"),
                  "stops_b": fmt_number(st["b"], ".0f")}  # fmt: skip
        if precision.get("a") is not None and precision.get("b") is not None:
            values |= {"precision_a": fmt_percent(precision["a"], 0, scaled=True),
                       "precision_b": fmt_percent(precision["b"], 0, scaled=True)}  # fmt: skip
            if st["diff"] > 0:
                text = T.gettext("Wrongful stops: {b} stops {count} more innocent people a run ({stops_a} against "
                                 "{stops_b} wrongful stops; stop precision {precision_a} against {precision_b}).")
            else:
                text = T.gettext("Wrongful stops: {b} stops {count} fewer innocent people a run ({stops_a} against "
                                 "{stops_b} wrongful stops; stop precision {precision_a} against {precision_b}).")
        elif st["diff"] > 0:
            text = T.gettext("Wrongful stops: {b} stops {count} more innocent people a run ({stops_a} against "
                             "{stops_b} wrongful stops).")
        else:
            text = T.gettext("Wrongful stops: {b} stops {count} fewer innocent people a run ({stops_a} against "
                             "{stops_b} wrongful stops).")
        out.append(text.format(**values))
    return out
