"""Figures and report of a paired comparison, drawn from its folder's tables.

`COMPARISON_FIGURES` declares each figure once (file name, maker, caption);
`draw_comparison_figures` draws them and the report captions them from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from sim.debrief.html_page import escape, figure_html, page, png_data_uri, table_html
from sim.debrief.plotting import STYLE, FigureEntry, check_registry, draw_figures
from sim.debrief.run_figures import chain_figure
from sim.experiments.comparison import ABSENT, differences
from sim.safe_text import read_csv_rows
from sim.spec.output_files import write_text
from sim.spec.scenario import load_recorded_scenario
from sim.vocabulary import CAUSE_LABELS, CAUSES, COLOURS, COMPARED_OUTPUT_WORDS, MISS_SHARES

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
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(17, 6.4), sharey=True)
        for ax, side, name in zip(axes, ("a", "b"), (name_a, name_b), strict=True):
            chain = _mean_chain(pairs, side)
            chain_figure(chain, title=f"{name}: {chain['detected']:g} of 100 stopped", ax=ax)
        fig.suptitle(f"Per 100 travellers who crossed, mean over {len(pairs)} paired runs", x=0.01, ha="left",
                     fontsize=14)  # fmt: skip
        fig.tight_layout()
        return fig


def differences_figure(pairs: list[dict[str, float]], stats: dict[str, Any], name_a: str, name_b: str) -> Figure:
    """The paired differences B - A per replication, for the detection rate and each miss cause."""
    rng = np.random.default_rng(0)  # jitter only
    labels = {"detection_rate": "detected", **{MISS_SHARES[c]: CAUSE_LABELS[c] for c in CAUSES}}
    colours = {"detection_rate": COLOURS["detected"], **{MISS_SHARES[c]: COLOURS[c] for c in CAUSES}}
    order = ["detection_rate", *[MISS_SHARES[c] for c in CAUSES if MISS_SHARES[c] in stats]]
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
                ax.text(max(100 * st["ci_high"], diffs.max() if len(diffs) else 0) + 0.4, k,
                        f"{100 * st['diff']:+.1f} pts", va="center", fontsize=12)  # fmt: skip
        ax.axvline(0, color="#777777", lw=1.2)
        ax.set_yticks(range(len(order)), [labels[n] for n in order[::-1]])
        ax.set_xlabel(f"percentage points of travellers who crossed: {name_b} minus {name_a}")
        st = stats["detection_rate"]
        if st["diff"] is not None:
            word = "more" if st["diff"] > 0 else "fewer"
            title = (f"{name_b} stops {abs(100 * st['diff']):.1f} points {word} than {name_a}\n"
                     f"(95% interval {100 * st['ci_low']:+.1f} to {100 * st['ci_high']:+.1f}, same travellers, "
                     f"{st['replications']} runs)")  # fmt: skip
        else:
            title = "No traveller crossed"
        ax.set_title(title, loc="left", fontsize=15)
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
            "Where the chain broke in A and in B (means per 100 travellers who crossed).",
        ),
        FigureEntry(
            "differences",
            lambda t: differences_figure(t.pairs, t.stats, t.name_a, t.name_b),
            "Paired differences B − A, one dot per replication; black: mean and 95% interval.",
        ),
    )
)
"""The figures of a comparison, in report order: file name, maker, caption (the one place each is declared)."""


def draw_comparison_figures(folder: Path) -> dict[str, Path]:
    """Draw the comparison figures (`COMPARISON_FIGURES`) into ``folder/figures``."""
    return draw_figures(COMPARISON_FIGURES, ComparisonTables.from_folder(folder), folder / "figures")


def _fmt(name: str, value: float | None, difference: bool = False) -> str:
    """A mean (``42.0%``) or, with `difference`, a signed difference (``+3.1 pts``)."""
    if value is None:
        return "-"
    sign = "+" if difference else ""
    if name in SHARES or name == "stop_precision":  # a share too (of everyone stopped)
        return f"{100 * value:{sign}.1f}" + (" pts" if difference else "%")
    return f"{value:{sign}.1f}"


def write_comparison_report(folder: str | Path, plots: bool = True) -> Path:
    """(Re)draw the figures and write ``report.html`` of a comparison folder."""
    folder = Path(folder)
    a, b = load_recorded_scenario(folder / "a.yaml"), load_recorded_scenario(folder / "b.yaml")
    stats = json.loads((folder / "comparison.json").read_text())
    figures = draw_comparison_figures(folder) if plots else {}
    varied = changes(a.raw, b.raw)
    parts = [f"<h1>Comparison: {escape(a.name)} and {escape(b.name)}</h1>"]
    n = stats["detection_rate"]["replications"]
    parts.append('<p class="meta">' + escape(
        f"A = {a.name}; B = {b.name}. {n} replications on the same seeds (common random numbers: the same "
        f"travellers, routes, leg times and intelligence in A and B); master seed {a.seed}.") + "</p>")  # fmt: skip
    parts.append("<h2>Overview</h2><h3>What differs</h3>")
    if varied:
        parts.append(table_html(["field", f"A: {a.name}", f"B: {b.name}"],
                                [[p, *change_cells(p, x, y)] for p, x, y in varied[:MAX_CHANGES]]))  # fmt: skip
        if len(varied) > MAX_CHANGES:
            parts.append(f"<p>… and {len(varied) - MAX_CHANGES} more fields (a.yaml and b.yaml hold them all).</p>")
    else:
        parts.append("<p>Nothing: A and B are the same scenario (the differences below must all be zero).</p>")
    parts.append("<h2>Findings</h2>")
    for sentence in _findings(stats, a.name, b.name):
        parts.append(f'<div class="finding">{escape(sentence)}</div>')
    rows = []
    for name, st in stats.items():
        words = COMPARED_OUTPUT_WORDS.get(name, name)
        rows.append([words, _fmt(name, st["a"]), _fmt(name, st["b"]),
                     _fmt(name, st["diff"], True),
                     f"{_fmt(name, st['ci_low'], True)} to {_fmt(name, st['ci_high'], True)}" if st["diff"] is not None
                     else "-"])  # fmt: skip
    parts.append(table_html(["output", "A (mean)", "B (mean)", "B − A", "95% interval"], rows,
                            [False, True, True, True, True]))  # fmt: skip
    parts.append("<h2>Figures</h2>")
    for entry in COMPARISON_FIGURES:
        if entry.name in figures:
            parts.append(figure_html(png_data_uri(figures[entry.name].read_bytes()), entry.caption))
    if not figures:
        parts.append("<p>Figures were not drawn (<code>--no-plots</code>).</p>")
    parts.append("<h2>Improvement plan</h2>")
    st = stats["detection_rate"]
    cost = stats.get("wrongful_stops")
    if cost is not None and _clear(st) and _clear(cost) and (st["diff"] > 0) == (cost["diff"] > 0):
        parts.append(
            table_html(
                ["finding", "corrective action", "agency"],
                [[_findings(stats, a.name, b.name)[0],
                  "A choice, not an improvement: weigh the persons of interest against the innocent people "
                  "stopped, then keep A's arrangements or adopt B's.", "the agencies on the changed links"]],
            )
        )  # fmt: skip
    elif st["diff"] is not None and st["ci_low"] > 0 and varied:
        action = "Adopt B's arrangements: " + "; ".join(change_words(p, x, y) for p, x, y in varied[:6])
        action += f"; and {len(varied) - 6} more (see “What differs”)." if len(varied) > 6 else "."
        parts.append(
            table_html(
                ["finding", "corrective action", "agency"],
                [[_findings(stats, a.name, b.name)[0], action, "the agencies on the changed links"]],
            )
        )
    elif st["diff"] is not None and st["ci_high"] < 0:
        parts.append(
            table_html(
                ["finding", "corrective action", "agency"],
                [[_findings(stats, a.name, b.name)[0], "Keep A's arrangements.", "all"]],
            )
        )
    else:
        parts.append("<p>No difference in detection that the runs can tell apart from noise.</p>")
    path = folder / "report.html"
    write_text(path, page(f"Comparison: {a.name} and {b.name}", "\n".join(parts)))
    return path


MAX_CHANGES = 40
"""Rows of the "What differs" table; the rest are counted."""

NOT_SET = "not set (the default)"
"""A field one scenario leaves out: it takes its default."""


def changes(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """The fields where two scenarios differ, as (path, A, B) (`sim.experiments.comparison.differences`).

    The name and description are left out: they always differ, and say nothing about the arrangements.
    """
    return [(p, x, y) for p, x, y in differences(a, b) if p not in ("name", "description")]


def value_words(value: Any) -> str:
    """A scenario value as a participant reads it, never JSON.

    ``ABSENT`` -> "—"; None -> "none"; True -> "yes"; a distribution
    ``{dist: lognormal, median: 12, sigma: 0.6}`` -> "lognormal (median 12, sigma 0.6)";
    a link -> "HAL-INT → HAL-BRD (trust 0.9, …)"; an agency -> "HAL-INT (country HAL, …)";
    a list -> its items, comma-separated.
    """
    if value is ABSENT:
        return "—"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(value_words(x) for x in value) if value else "none"
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
        return f"{head} ({inner})" if head and inner else head or inner or "none"
    return str(value)


def change_cells(path: str, a: Any, b: Any) -> list[str]:
    """The A and B cells of one row of "What differs": the values in words, or "added" / "removed".

    A list item (its path ends in a selector) only one side has is "added" or "removed"; a
    field one side leaves out takes its default ("not set: the default").
    """
    item = path.endswith("]")
    if a is ABSENT:
        return ["—", f"added: {value_words(b)}"] if item else [NOT_SET, value_words(b)]
    if b is ABSENT:
        return [value_words(a), "removed"] if item else [value_words(a), NOT_SET]
    return [value_words(a), value_words(b)]


def change_words(path: str, a: Any, b: Any) -> str:
    """One change in words: ``path: 12 → 4``, ``path: added — …`` or ``path: removed``."""
    if path.endswith("]") and a is ABSENT:
        return f"{path}: added — {value_words(b)}"
    if path.endswith("]") and b is ABSENT:
        return f"{path}: removed"
    old, new = (NOT_SET if v is ABSENT else value_words(v) for v in (a, b))
    return f"{path}: {old} → {new}"


def _clear(st: dict[str, Any]) -> bool:
    """Whether a paired difference is told apart from noise: its 95% interval excludes 0."""
    return st["diff"] is not None and (st["ci_low"] > 0 or st["ci_high"] < 0)


def _interval(st: dict[str, Any], scale: float = 1.0) -> str:
    return f"95% CI {scale * st['ci_low']:+.1f} to {scale * st['ci_high']:+.1f}"


def tradeoff_sentence(stats: dict[str, Any], name_a: str, name_b: str) -> str | None:
    """The headline of a comparison that models the cost of sharing: both sides of the trade-off, as one.

    Detections (points of the travellers who crossed) and wrongful stops (innocent people a
    run), each with its paired 95% interval, and what they say together: a trade-off when they
    move in opposite directions (one better, one worse), better or worse on both sides when they
    agree, and not clear for a difference whose interval includes 0. None when the comparison
    does not compare wrongful stops (neither side models the cost) or no traveller crossed.
    """
    det, stops = stats.get("detection_rate"), stats.get("wrongful_stops")
    if det is None or stops is None or det["diff"] is None or stops["diff"] is None:
        return None
    if det["diff"] == 0 == stops["diff"] and det["ci_low"] == det["ci_high"] == stops["ci_low"] == stops["ci_high"]:
        return (f"{name_b} detects as many travellers as {name_a} and stops as many innocent people: "
                f"no difference on either side.")  # fmt: skip
    d_word = "more" if det["diff"] > 0 else "fewer" if det["diff"] < 0 else "as many"
    s_word = "more" if stops["diff"] > 0 else "fewer" if stops["diff"] < 0 else "as many"
    head = (f"{name_b} detects {abs(100 * det['diff']):.1f} points {d_word} of the travellers who crossed than "
            f"{name_a} ({_interval(det, 100)}) and stops {abs(stops['diff']):.1f} {s_word} innocent travellers "
            f"a run ({_interval(stops)})")  # fmt: skip
    det_clear, stops_clear = _clear(det), _clear(stops)
    n = det["replications"]
    if not det_clear and not stops_clear:
        return head + f": neither difference is clear from {n} runs (both intervals include 0)."
    detects_better, spares_better = det["diff"] > 0, stops["diff"] < 0
    if det_clear and stops_clear:
        if detects_better and spares_better:
            return head + ": better on both sides, more persons of interest stopped and fewer innocent people."
        if not detects_better and not spares_better:
            return head + ": worse on both sides, fewer persons of interest stopped and more innocent people."
        if spares_better:
            return (head + f": a trade-off, {name_b} spares innocent travellers at the price of persons of "
                    f"interest who cross unstopped.")  # fmt: skip
        return (head + f": a trade-off, {name_b} stops more persons of interest at the price of more innocent "
                f"travellers stopped.")  # fmt: skip
    if det_clear:
        known = "more persons of interest stopped" if detects_better else "fewer persons of interest stopped"
        return head + f": {known}; whether it stops more or fewer innocent people is not clear (interval includes 0)."
    known = "fewer innocent people stopped" if spares_better else "more innocent people stopped"
    return head + f": {known}; whether it detects more or fewer is not clear (interval includes 0)."


def _findings(stats: dict[str, Any], name_a: str, name_b: str) -> list[str]:
    out = []
    headline = tradeoff_sentence(stats, name_a, name_b)
    if headline is not None:
        out.append(headline)
    st = stats["detection_rate"]
    if st["diff"] is not None:
        sure = st["ci_low"] > 0 or st["ci_high"] < 0
        direction = "more" if st["diff"] > 0 else "fewer"
        out.append(
            f"{name_b} detects {abs(100 * st['diff']):.1f} percentage points {direction} of the travellers who crossed "
            f"than {name_a} ({100 * st['a']:.1f}% against {100 * st['b']:.1f}%; 95% interval of the difference "
            f"{100 * st['ci_low']:+.1f} to {100 * st['ci_high']:+.1f})"
            + ("." if sure else ", a difference the runs cannot tell apart from noise.")
        )
    for cause in CAUSES:
        st = stats.get(MISS_SHARES[cause])
        if st is None:
            continue
        if st["diff"] is not None and (st["ci_low"] > 0 or st["ci_high"] < 0):
            word = "more" if st["diff"] > 0 else "fewer"
            out.append(f"“{CAUSE_LABELS[cause]}”: {abs(100 * st['diff']):.1f} points {word} in {name_b}.")
    st = stats.get("wrongful_stops")
    if st is not None and st["diff"] is not None and (st["ci_low"] > 0 or st["ci_high"] < 0):
        word = "more" if st["diff"] > 0 else "fewer"
        precision = stats.get("stop_precision") or {}
        shares = (f"; stop precision {100 * precision['a']:.0f}% against {100 * precision['b']:.0f}%"
                  if precision.get("a") is not None and precision.get("b") is not None else "")  # fmt: skip
        out.append(
            f"Wrongful stops: {name_b} stops {abs(st['diff']):.0f} {word} innocent people a run "
            f"({st['a']:.0f} against {st['b']:.0f} wrongful stops{shares})."
        )
    return out
