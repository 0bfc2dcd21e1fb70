"""The debrief figures of a run, drawn from its tables (never from a live model).

Every function takes data and returns a matplotlib Figure; `RUN_FIGURES` (at the
end) declares each figure of a run once: its file name, maker and caption, and
`draw_run_figures` saves them. Titles state the finding in words; type is large
enough to project (`sim.debrief.plotting.STYLE`); colours come from the
Okabe-Ito palette (`sim.vocabulary`), which stays distinct for colour-blind readers.
Words are in the current language (`sim.i18n`, domain ``run``; the shared vocabulary in ``words``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from sim.debrief.plotting import STYLE, FigureEntry, check_registry, draw_figures, wrap_to_figure
from sim.debrief.run_tables import (
    SLOWEST_LINK_MEASURE,
    STOP_KINDS,
    RunTables,
    chain_stages,
    chain_title,
    inject_kind_words,
    models_costs,
    slowest_link,
    stops_by,
    trust_paths,
)
from sim.i18n import N_, format_decimal, format_int, format_number, format_percent, translator, word
from sim.spec import limits
from sim.spec.field_types import AdaptiveTrust
from sim.spec.scenario import Scenario, expand_links
from sim.vocabulary import (
    CAUSE_LABELS,
    CAUSES,
    COLOURS,
    KIND_COLOURS,
    KIND_WORDS,
    STOP_COLOURS,
    STOP_LABELS,
    TRUST_COLOURS,
)

T = translator("run")


def _hours(value: float) -> str:
    """Hours, whole (``12``)."""
    return format_int(round(float(value)))


def slowest_words(slow: tuple[str, str, float]) -> str:
    """The slowest link, and what "slowest" measures (`SLOWEST_LINK_MEASURE`), as a sentence."""
    return T.gettext("Slowest link by {measure}: {sender} → {receiver} ({hours} h)").format(
        measure=T.gettext(SLOWEST_LINK_MEASURE), sender=slow[0], receiver=slow[1], hours=_hours(slow[2]))


def chain_figure(summary: dict[str, Any], title: str | None = None, ax: Any = None) -> Figure:
    """Where the chain broke: each stage from crossing to detection, misses as the drops.

    Args:
        summary: a run summary (or means over replications with the same keys).
        title: override the title.
        ax: draw into these axes (for side-by-side figures).
    """
    with plt.rc_context(STYLE):
        if ax is None:
            fig, ax = plt.subplots(figsize=(12, 6.2))
        else:
            fig = ax.figure
        stages = chain_stages(summary)
        labels: list[Any] = []
        crossed = max(stages[0][1], 1e-9)
        y = np.arange(len(stages))[::-1]
        for (_, count, cause, drop), row in zip(stages, y, strict=True):
            ax.barh(row, crossed, color="#EEEEEE", height=0.62, zorder=1)
            ax.barh(row, count, color=COLOURS["detected"] if cause == "screening_miss" else COLOURS["flow"],
                    height=0.62, zorder=2)  # fmt: skip
            if cause is not None and drop > 0:
                ax.barh(row, drop, left=count, color=COLOURS[cause], height=0.62, zorder=2)
                dropped = T.gettext("−{count} {cause}").format(count=format_number(drop),
                                                               cause=word(CAUSE_LABELS[cause]))
                labels.append(ax.text(count + drop + crossed * 0.01, row, dropped,
                                      va="center", ha="left", fontsize=12, color="#333333", zorder=3))  # fmt: skip
            ax.text(crossed * -0.01, row, format_number(count), va="center", ha="right", fontsize=13,
                    fontweight="bold")  # fmt: skip
        ax.set_yticks(y, [s[0] for s in stages])
        ax.tick_params(axis="y", pad=42, length=0)
        ax.set_xlim(0, crossed * 1.42)
        ticks = [t for t in ax.get_xticks() if 0 <= t <= crossed]
        ax.set_xticks(ticks)
        ax.spines["bottom"].set_bounds(0, crossed)
        ax.set_xlabel(T.gettext("travellers"), loc="left")
        ax.spines["left"].set_visible(False)
        ax.set_title(title or chain_title(summary), loc="left", fontsize=15)
        fig.tight_layout()
        if wrap_to_figure(fig, [ax._left_title, *labels]):  # noqa: SLF001 (a longer language's words)
            fig.tight_layout()
        return fig


def _border_agencies(scenario: Scenario) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for agency in scenario.agencies:
        if agency.screens:
            out.setdefault(agency.country, []).append(agency.id)
    return out


def _sample_travellers(travellers: pd.DataFrame, limit: int) -> pd.DataFrame:
    """A readable sample: every outcome and cause represented, in proportion, at most `limit` lines."""
    crossed = travellers[travellers["crossings"] > 0].copy()
    crossed["stratum"] = np.where(crossed["outcome"] == "detected", "detected", crossed["cause"].fillna(""))
    if len(crossed) <= limit:
        chosen = crossed
    else:
        parts = []
        counts = crossed["stratum"].value_counts()
        for stratum, count in counts.items():
            take = max(2, round(limit * count / len(crossed)))
            group = crossed[crossed["stratum"] == stratum]
            step = max(1, len(group) // take)
            parts.append(group.iloc[::step].head(take))
        chosen = pd.concat(parts)
    order = {name: i for i, name in enumerate(["detected", *CAUSES])}
    chosen = chosen.assign(rank=chosen["stratum"].map(order)).sort_values(["rank", "depart_hours"])
    return chosen.drop(columns=["rank"])


JOURNEYS_SHOWN = 12
"""Travellers the journeys figure aims to show (at least two of each outcome): few enough to read in ten seconds."""


EARLY_SHOWN = 2.0
"""The journeys figure shows alerts up to this many times the longest journey before departure."""


def journeys_figure(tables: RunTables, limit: int = JOURNEYS_SHOWN) -> Figure:
    """One line per traveller (a sample by outcome), from departure to the end of the journey.

    Journeys are aligned on departure, so legs and alerts compare at a glance.
    Crossings are ticks and detections green crosses, each labelled with the
    country whose border it is; alert arrivals at a border agency on the route are
    triangles; for ``late`` misses a shaded band (the colour of "alert came too
    late") spans the hours between the crossing and the alert that came too late.
    """
    travellers = tables.travellers
    sample = _sample_travellers(travellers, limit)
    horizon = tables.scenario.horizon_hours
    crossings = tables.crossings[tables.crossings["traveller"].isin(sample["id"])]
    borders = _border_agencies(tables.scenario)
    border_ids = {a for ids in borders.values() for a in ids}
    arrivals = tables.alerts[
        tables.alerts["to"].isin(border_ids) & tables.alerts["subject"].isin(sample["id"])
        & tables.alerts["delivered_hours"].notna()
    ]  # fmt: skip
    alerts_by_id = tables.alerts.set_index("alert")
    departs = dict(zip(sample["id"], sample["depart_hours"], strict=True))
    longest = float((sample["last_crossing_hours"] - sample["depart_hours"]).max())
    scale, unit = (24.0, "days") if longest > 24 * 8 else (1.0, "hours")  # the words: below, whole
    with plt.rc_context(STYLE):
        height = max(5.5, 0.42 * len(sample) + 2.6)
        fig, ax = plt.subplots(figsize=(13, height))
        ids = sample["id"].tolist()
        ys = {tid: len(ids) - 1 - i for i, tid in enumerate(ids)}
        previous = None
        for _, row in sample.iterrows():
            y = ys[row["id"]]
            stratum = "detected" if row["outcome"] == "detected" else row["cause"]
            if stratum != previous:
                ax.axhline(y + 0.5, color="#DDDDDD", lw=1, zorder=0)
                label = T.gettext("stopped") if stratum == "detected" else word(CAUSE_LABELS.get(stratum, stratum))
                ax.text(1.0, y + 0.35, label, transform=ax.get_yaxis_transform(), ha="right", va="top",
                        fontsize=11, color=COLOURS.get(stratum, "#555555"), fontweight="bold")  # fmt: skip
                previous = stratum
            end = row["detected_at_hours"] if row["outcome"] == "detected" else (
                row["last_crossing_hours"] if bool(row["arrived"]) else horizon)  # fmt: skip
            colour = COLOURS.get(stratum, "#777777")
            ax.plot([0, (end - row["depart_hours"]) / scale], [y, y], color=colour, lw=3, solid_capstyle="butt")
            if (
                row["cause"] == "late"
                and isinstance(row["cause_alert"], str)
                and row["cause_alert"] in alerts_by_id.index
            ):
                due = alerts_by_id.loc[row["cause_alert"], "due_hours"] - row["depart_hours"]
                ax.plot([(due - row["hours_late"]) / scale, due / scale], [y, y], color=COLOURS["late"], lw=14,
                        alpha=0.4, solid_capstyle="butt")  # fmt: skip
        for _, c in crossings.iterrows():
            y, x = ys[c["traveller"]], (c["time_hours"] - departs[c["traveller"]]) / scale
            if c["result"] == "detected":
                ax.plot(x, y, marker="X", color=COLOURS["detected"], ms=16, mec="black", mew=0.8, zorder=4)
            else:
                ax.plot(x, y, marker="|", color="black", ms=20, mew=3, zorder=4)
            ax.annotate(str(c["country"]), (x, y), xytext=(0, 11), textcoords="offset points", ha="center",
                        va="bottom", fontsize=11, fontweight="bold", zorder=5)  # fmt: skip
        xs = (arrivals["delivered_hours"] - arrivals["subject"].map(departs)) / scale
        arrival_ys = arrivals["subject"].map(ys)
        # An alert that reached the border long before departure (intelligence months ahead) would squash
        # every journey into a sliver on the right: it is drawn at the left edge, pointing further left.
        edge = -EARLY_SHOWN * max(longest / scale, 1.0)
        early = xs < edge
        ax.plot(xs[~early], arrival_ys[~early], marker="v", color=COLOURS["flow"], ms=10, ls="none", alpha=0.8,
                zorder=3)  # fmt: skip
        ax.plot([edge] * int(early.sum()), arrival_ys[early], marker="<", color=COLOURS["flow"], ms=10, ls="none",
                alpha=0.8, zorder=3)  # fmt: skip
        ax.set_yticks(list(ys.values()), list(ys.keys()), fontsize=12)
        ax.set_ylim(-0.7, len(ids) - 0.1)
        ax.axvline(0, color="#999999", lw=1)
        left, right = ax.get_xlim()
        left = max(left, edge - 0.04 * (right - edge))
        ax.set_xlim(left, right + 0.22 * (right - left))  # room for the outcome labels, right of every journey
        ax.set_xlabel(T.gettext("days since the traveller left") if unit == "days"
                      else T.gettext("hours since the traveller left"))  # fmt: skip
        shown, total = len(sample), int((travellers["crossings"] > 0).sum())
        late = int((sample["cause"] == "late").sum())
        if shown < total:
            title = T.ngettext("Journeys of {shown} of the {total} traveller who crossed",
                               "Journeys of {shown} of the {total} travellers who crossed", total)  # fmt: skip
        else:
            title = T.ngettext("Journeys of all {total} who crossed", "Journeys of all {total} who crossed", total)
        title = title.format(shown=format_int(shown), total=format_int(total))
        if late:
            title += "\n" + T.ngettext("Shaded bands: {count} shown crossed before the alert reached the border",
                                       "Shaded bands: {count} shown crossed before the alert reached the border",
                                       late).format(count=format_int(late))  # fmt: skip
        ax.set_title(title, loc="left", fontsize=15)
        handles = [
            Line2D([], [], color="black", marker="|", ls="none", ms=16, mew=3,
                   label=T.gettext("border crossed\n(its country above)")),
            Line2D([], [], color=COLOURS["detected"], marker="X", ls="none", ms=13, mec="black",
                   label=T.gettext("stopped")),
            Line2D([], [], color=COLOURS["flow"], marker="v", ls="none", ms=10,
                   label=T.gettext("alert reaches a border agency")),
            Line2D([], [], color=COLOURS["late"], lw=12, alpha=0.4,
                   label=T.gettext("shaded: hours the alert was late")),
        ]  # fmt: skip
        if early.any():
            if unit == "days":
                earlier = T.gettext("alert reached the border earlier\n(over {count} days before leaving)")
            else:
                earlier = T.gettext("alert reached the border earlier\n(over {count} hours before leaving)")
            earlier = earlier.format(count=format_int(round(-edge)))
            handles.insert(3, Line2D([], [], color=COLOURS["flow"], marker="<", ls="none", ms=10, label=earlier))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        fig.tight_layout()
        return fig


def _country_order(scenario: Scenario) -> list[str]:
    """Countries left to right in travel order (first seen on a route), then the rest."""
    order: list[str] = []
    for group in scenario.travellers.groups:
        for country in group.route:
            if country not in order:
                order.append(country)
    return order + [c.id for c in scenario.countries if c.id not in order]


def network_layout(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Agencies in three columns, the way alerts flow: sources, relays (hubs), border agencies.

    Within a column, agencies are grouped by country, countries in travel order.
    Deterministic: the same scenario always gives the same picture.
    """
    order = {c: i for i, c in enumerate(_country_order(scenario))}
    columns: dict[int, list[Any]] = {0: [], 1: [], 2: []}
    for index, agency in enumerate(scenario.agencies):
        column = 2 if agency.screens else 1 if agency.forwards else 0
        columns[column].append((order.get(agency.country, 99), index, agency.id))
    used = [c for c in (0, 1, 2) if columns[c]]
    tallest = max((len(columns[c]) for c in used), default=1)
    positions = {}
    for x, column in enumerate(used):
        members = sorted(columns[column])
        gap = (tallest - 1) * 1.5 / max(len(members) - 1, 1) if len(members) > 1 else 0
        for k, (_, _, agency) in enumerate(members):
            positions[agency] = (x * 5.0, -(k - (len(members) - 1) / 2) * max(gap, 1.5))
    return positions


def network_figure(tables: RunTables) -> Figure:
    """The sharing network: alerts flow left to right, from sources through hubs to border agencies.

    Line width = alerts carried; colour = median observed delivery delay; each link
    is labelled with its trust (and its trust after a trust inject). A network past
    `sim.spec.limits.FIGURE_MAX_AGENCIES` agencies or `FIGURE_MAX_LINKS` links would be
    unreadable (and enormous): its busiest links are drawn as bars instead
    (`network_summary_figure`).
    """
    scenario = tables.scenario
    if len(scenario.agencies) > limits.FIGURE_MAX_AGENCIES or len(expand_links(scenario)) > limits.FIGURE_MAX_LINKS:
        return network_summary_figure(tables)
    alerts = tables.alerts
    carried = alerts.groupby(["from", "to"]).size().to_dict() if len(alerts) else {}
    delivered = alerts[alerts["delivered_hours"].notna() & alerts["sent_hours"].notna()]
    delays = (
        (delivered["delivered_hours"] - delivered["sent_hours"]).groupby([delivered["from"], delivered["to"]]).median()
    )
    delay_of = delays.to_dict()
    trust_now = _trust_after_injects(scenario)
    names = {c.id: c.name for c in scenario.countries}
    agencies = {a.id: a for a in scenario.agencies}
    positions = network_layout(scenario)
    links = expand_links(scenario)
    max_carried = max([carried.get((a, b), 0) for a, b, _ in links] + [1])
    finite_delays = [v for v in delay_of.values() if np.isfinite(v)]
    vmax = max(finite_delays + [1.0])
    cmap = plt.get_cmap("viridis_r")
    out_degree: dict[str, int] = {}
    in_degree: dict[str, int] = {}
    for a, b, _ in links:
        out_degree[a] = out_degree.get(a, 0) + 1
        in_degree[b] = in_degree.get(b, 0) + 1
    with plt.rc_context(STYLE):
        height = max(6.0, 1.1 * max([abs(y) for _, y in positions.values()] + [1]) * 2 + 3)
        fig, ax = plt.subplots(figsize=(13, height))
        pairs = {(a, b) for a, b, _ in links}
        arrows: list[FancyArrowPatch] = []
        labels: list[tuple[str, FancyArrowPatch, tuple[float, ...]]] = []
        for a, b, settings in links:
            (xa, ya), (xb, yb) = positions[a], positions[b]
            count = carried.get((a, b), 0)
            delay = delay_of.get((a, b))
            colour = cmap(delay / vmax) if delay is not None and np.isfinite(delay) else "#BBBBBB"
            width = 1.2 + 8.0 * count / max_carried
            backwards = xb < xa or (xb == xa)
            rad = 0.35 if backwards else (0.12 if (b, a) in pairs else 0.0)
            start, end = _box_edge((xa, ya), (xb, yb)), _box_edge((xb, yb), (xa, ya))
            arrow = FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                    mutation_scale=14 + 2.0 * width, lw=width, color=colour, shrinkA=2, shrinkB=2,
                                    zorder=2, alpha=0.85 if not backwards else 0.5)  # fmt: skip
            ax.add_patch(arrow)
            arrows.append(arrow)
            if backwards:
                continue  # return links of a both-ways pair: drawn, not labelled (the label is on the way out)
            # Preferably where the arrows fan out least: near the end that has fewer links.
            near_end = out_degree.get(a, 0) > in_degree.get(b, 0)
            trust = settings["trust"]
            adaptive = isinstance(trust, AdaptiveTrust)  # labelled with its prior
            trust = trust.prior if adaptive else trust
            label = _trust_label(trust, trust_now.get((a, b), trust), adaptive) + "\n"
            if delay is not None and np.isfinite(delay):
                label += T.ngettext("{count} alert · {hours} h", "{count} alerts · {hours} h", count).format(
                    count=format_int(count), hours=_hours(delay))
            else:
                label += T.ngettext("{count} alert", "{count} alerts", count).format(count=format_int(count))
            steps = [0.7 + d for d in (0, 0.05, -0.05, 0.1, -0.1, 0.15, -0.15)]
            steps += [t for t in np.arange(0.85, 0.1, -0.05).round(2) if t not in steps]
            order = tuple(steps) if near_end else tuple(1 - t for t in steps)
            labels.append((label, arrow, order))
        for agency_id, (x, y) in positions.items():
            agency = agencies[agency_id]
            box = FancyBboxPatch((x - 1.0, y - 0.4), 2.0, 0.8, boxstyle="round,pad=0.04",
                                 fc=KIND_COLOURS.get(agency.kind, "#777777"), ec="black", lw=0.8, zorder=3)  # fmt: skip
            ax.add_patch(box)
            ax.text(x, y + 0.12, agency_id, ha="center", va="center", color="white", fontsize=12, fontweight="bold",
                    zorder=5)  # fmt: skip
            ax.text(x, y - 0.19, names.get(agency.country, agency.country), ha="center", va="center", color="white",
                    fontsize=10, zorder=5)  # fmt: skip
        columns = sorted({x for x, _ in positions.values()})
        learns, relays, checks = T.gettext("who learns"), T.gettext("relays"), T.gettext("border checks")
        headings = [learns, relays, checks] if len(columns) == 3 else [learns, checks]
        top = max(y for _, y in positions.values()) + 1.1
        for x, heading in zip(columns, headings[-len(columns) :] if len(columns) < 3 else headings, strict=False):
            ax.text(x, top, heading, ha="center", va="bottom", fontsize=13, color="#555555", fontstyle="italic")
        ys_ = [y for _, y in positions.values()]
        ax.set_xlim(min(columns) - 1.5, max(columns) + 1.5)
        ax.set_ylim(min(ys_) - 1.2, top + 0.7)
        ax.set_axis_off()
        sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, vmax))
        bar = fig.colorbar(sm, ax=ax, fraction=0.03, pad=0.01)
        bar.set_label(T.gettext("median delivery delay (hours)"))
        kinds_shown = sorted({a.kind for a in scenario.agencies}, key=list(KIND_COLOURS).index)
        ax.legend(handles=[Patch(color=KIND_COLOURS[k], label=word(KIND_WORDS[k])) for k in kinds_shown],
                  loc="upper left", ncols=len(kinds_shown), frameon=False, bbox_to_anchor=(0, 0.0))  # fmt: skip
        total = int(sum(carried.values()))
        title = T.ngettext("Sharing network: {count} alert carried", "Sharing network: {count} alerts carried",
                           total).format(count=format_int(total))  # fmt: skip
        slow = slowest_link(alerts)
        if slow:
            title += "\n" + slowest_words(slow)
        ax.set_title(title + "\n" + T.gettext("line width: alerts carried; colour: median delay"), loc="left",
                     fontsize=15)  # fmt: skip
        fig.tight_layout()
        _place_link_labels(ax, labels, arrows)
        return fig


def network_summary_figure(tables: RunTables) -> Figure:
    """A network too large to draw, summarised: its busiest links as bars (alerts carried), coloured by median delay.

    `sim.spec.limits.FIGURE_BUSIEST_LINKS` bars, so the figure keeps the size of the others
    whatever the network.
    """
    scenario, alerts = tables.scenario, tables.alerts
    links = expand_links(scenario)
    carried = alerts.groupby(["from", "to"]).size() if len(alerts) else pd.Series(dtype=int)
    delivered = alerts[alerts["delivered_hours"].notna() & alerts["sent_hours"].notna()] if len(alerts) else alerts
    delays = (
        (delivered["delivered_hours"] - delivered["sent_hours"]).groupby([delivered["from"], delivered["to"]]).median()
        if len(delivered) else pd.Series(dtype=float)
    )  # fmt: skip
    shown = limits.FIGURE_BUSIEST_LINKS
    busiest = sorted(((int(carried.get((a, b), 0)), a, b) for a, b, _ in links), key=lambda t: (-t[0], t[1], t[2]))
    busiest = busiest[:shown]
    cmap = plt.get_cmap("viridis_r")
    finite = [float(v) for v in delays.to_numpy() if np.isfinite(v)]
    vmax = max(finite + [1.0])
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(13, max(4.8, 0.38 * len(busiest) + 2.8)))
        names = [f"{a} → {b}" for _, a, b in busiest][::-1]
        counts = [n for n, _, _ in busiest][::-1]
        colours = [cmap(float(delays.get((a, b))) / vmax) if (a, b) in delays.index and np.isfinite(delays.get((a, b)))
                   else "#BBBBBB" for _, a, b in busiest][::-1]  # fmt: skip
        ax.barh(range(len(names)), counts, color=colours)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel(T.gettext("alerts carried"))
        sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, vmax))
        fig.colorbar(sm, ax=ax, fraction=0.03, pad=0.01).set_label(T.gettext("median delivery delay (hours)"))
        total = int(carried.sum()) if len(carried) else 0
        title = T.gettext("Sharing network: {agencies} agencies and {links} links, too many to draw one by one\n"
                          "the {busiest} busiest links ({total} alerts carried in all); colour: median delay")
        ax.set_title(title.format(agencies=format_int(len(scenario.agencies)), links=format_int(len(links)),
                                  busiest=format_int(len(busiest)), total=format_int(total)),
                     loc="left", fontsize=15)  # fmt: skip
        fig.tight_layout()
        return fig


def _place_link_labels(ax: Any, labels: list[tuple[str, FancyArrowPatch, tuple[float, ...]]],
                       arrows: list[FancyArrowPatch]) -> None:  # fmt: skip
    """Put each link's label on its own arrow, where it covers no other label, agency box or arrow.

    Labels of short arrows go first (they have the fewest places). Each tries the
    places along its arrow in its order of preference (the fractions of the way in
    `labels`) and takes the first that covers nothing, else the one that covers
    least; overlaps are measured on the drawn figure (display coordinates), so they
    hold for any size of text or canvas.
    """
    renderer = ax.figure.canvas.get_renderer()
    boxes = [patch.get_window_extent(renderer) for patch in ax.patches if isinstance(patch, FancyBboxPatch)]
    paths = {id(arrow): arrow.get_transform().transform_path(arrow.get_path()) for arrow in arrows}
    placed: list[Any] = []

    def length(item: tuple[str, FancyArrowPatch, tuple[float, ...]]) -> float:
        a, b = (np.asarray(ax.transData.transform(p)) for p in item[1]._posA_posB)  # noqa: SLF001
        return float(np.hypot(*(b - a)))

    for text, arrow, order in sorted(labels, key=length):  # short arrows have the fewest places: first
        start, end = (np.asarray(ax.transData.transform(p)) for p in arrow._posA_posB)  # noqa: SLF001
        rad = float(str(arrow.get_connectionstyle().rad))
        control = (start + end) / 2 + rad * np.array([end[1] - start[1], start[0] - end[0]])
        label = ax.text(0, 0, text, ha="center", va="center", fontsize=10, zorder=4, linespacing=1.1,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#CCCCCC", "alpha": 0.95})  # fmt: skip
        best: tuple[float, Any] | None = None
        for t in order:
            point = (1 - t) ** 2 * start + 2 * (1 - t) * t * control + t**2 * end
            label.set_position(ax.transData.inverted().transform(point))
            extent = label.get_window_extent(renderer).padded(4)
            cost = 10 * sum(extent.overlaps(other) for other in placed + boxes)
            cost += sum(path.intersects_bbox(extent, filled=False) for key, path in paths.items() if key != id(arrow))
            if best is None or cost < best[0]:
                best = (cost, point)
            if cost == 0:
                break
        assert best is not None
        label.set_position(ax.transData.inverted().transform(best[1]))
        placed.append(label.get_window_extent(renderer).padded(4))


def _trust_label(trust: float, now: float, adaptive: bool) -> str:
    """A link's trust on the network figure: as set, after a trust inject, adaptive (its prior)."""
    values = {"trust": format_decimal(trust, 2).rstrip("0").rstrip(".,") if trust != int(trust) else format_int(trust),
              "now": format_decimal(now, 2).rstrip("0").rstrip(".,") if now != int(now) else format_int(now)}
    if now != trust:
        text = T.gettext("trust {trust}→{now} (adaptive)") if adaptive else T.gettext("trust {trust}→{now}")
    else:
        text = T.gettext("trust {trust} (adaptive)") if adaptive else T.gettext("trust {trust}")
    return text.format(**values)


def _box_edge(centre: tuple[float, float], towards: tuple[float, float], half_width: float = 1.06,
              half_height: float = 0.46) -> tuple[float, float]:  # fmt: skip
    """Where the line from a box's centre towards another point leaves the box."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    if dx == 0 and dy == 0:
        return centre
    t = min(half_width / abs(dx) if dx else math.inf, half_height / abs(dy) if dy else math.inf)
    return centre[0] + t * dx, centre[1] + t * dy


def _trust_after_injects(scenario: Scenario) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for inject in sorted(scenario.injects, key=lambda i: i.day):
        out.update(inject.trust_after())
    return out


def inject_marks(scenario: Scenario) -> list[tuple[float, str]]:
    """(day, label) of each inject, in time order."""
    marks = []
    for inject in sorted(scenario.injects, key=lambda i: i.day):
        label = inject.note or inject.subject or inject_kind_words(inject.kind)
        marks.append((inject.day, label))
    return marks


def over_time_figure(tables: RunTables) -> Figure:
    """Cumulative detections and misses per day, with the injects marked."""
    ts = tables.timeseries
    summary = tables.summary
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(13, 6.2))
        ax.step(ts["day"], ts["detected"], where="post", color=COLOURS["detected"], lw=3,
                label=T.gettext("detected (cumulative)"))
        ax.step(ts["day"], ts["missed"], where="post", color=COLOURS["late"], lw=3,
                label=T.gettext("got through (cumulative)"))
        ax.fill_between(ts["day"], ts["en_route"], step="post", color=COLOURS["flow"], alpha=0.15,
                        label=T.gettext("travellers en route"))  # fmt: skip
        top = max(float(ts[["detected", "missed", "en_route"]].to_numpy().max()), 1.0)
        # Labels in rows above the curves; a label goes to the first row where it overlaps nothing
        # (its width estimated from its length: about 150 characters span the axis).
        span = max(float(ts["day"].max()), 1.0)
        rows_end: list[float] = []
        for day, label in inject_marks(tables.scenario):
            text = " " + T.gettext("day {day}: {note}").format(day=format_number(day), note=label)
            width = len(text) * span / 150
            row = next((r for r, end in enumerate(rows_end) if end < day), len(rows_end))
            if row == len(rows_end):
                rows_end.append(0.0)
            rows_end[row] = day + width
            ax.axvline(day, color="#444444", ls="--", lw=1.2)
            ax.text(day, top * (1.03 + 0.075 * row), text, fontsize=11, va="bottom", ha="left", color="#222222",
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})  # fmt: skip
        ax.set_ylim(0, top * (1.1 + 0.075 * len(rows_end)))
        ax.set_xlim(0, ts["day"].max())
        ax.set_xlabel(T.gettext("day of the exercise"))
        ax.set_ylabel(T.gettext("travellers"))
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.04), frameon=True, framealpha=0.9, edgecolor="none")
        days = float(ts["day"].max())
        title = T.ngettext("Over {days} day: {detected} stopped, {missed} got through",
                           "Over {days} days: {detected} stopped, {missed} got through", round(days)).format(
            days=format_number(days), detected=format_int(summary["detected"]), missed=format_int(summary["missed"]))
        ax.set_title(title, loc="left")
        fig.tight_layout()
        return fig


def link_delay_figure(tables: RunTables) -> Figure:
    """Observed delivery delay on each link, and when alerts reached the border against the crossing."""
    alerts = tables.alerts
    delivered = alerts[alerts["delivered_hours"].notna() & alerts["sent_hours"].notna()].copy()
    delivered["delay"] = delivered["delivered_hours"] - delivered["sent_hours"]
    delivered["link"] = delivered["from"] + " → " + delivered["to"]
    links = list(delivered["link"].value_counts().index)
    busiest = len(links) > limits.FIGURE_MAX_LINKS  # too many rows to read: the busiest only
    links = sorted(links[: limits.FIGURE_BUSIEST_LINKS] if busiest else links,
                   key=lambda k: delivered.loc[delivered["link"] == k, "delay"].median())  # fmt: skip
    # Arrival at the border agency of the country crossed into, relative to that crossing.
    borders = _border_agencies(tables.scenario)
    country_of = {a: c for c, ids in borders.items() for a in ids}
    to_border = alerts[alerts["to"].isin(country_of) & alerts["due_hours"].notna()].copy()
    to_border["country"] = to_border["to"].map(country_of)
    merged = to_border.merge(tables.crossings, left_on=["subject", "country"], right_on=["traveller", "country"])
    merged["after"] = merged["due_hours"] - merged["time_hours"]
    merged["link"] = merged["from"] + " → " + merged["to"]
    rng = np.random.default_rng(0)  # jitter only: fixed, so the figure is the same every time
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(14, max(4.8, 0.55 * len(links) + 2.5)),
                                          gridspec_kw={"width_ratios": [1, 1.1]})  # fmt: skip
        for k, link in enumerate(links):
            values = delivered.loc[delivered["link"] == link, "delay"].to_numpy()
            left.scatter(values, k + rng.uniform(-0.25, 0.25, len(values)), s=8, alpha=0.35, color=COLOURS["flow"])
            left.plot([np.median(values)] * 2, [k - 0.35, k + 0.35], color="black", lw=2.5)
        left.set_yticks(range(len(links)), links)
        left.set_ylim(-0.9, len(links) - 0.4)
        left.set_xlabel(T.gettext("hours from sending to delivery (black: median)"))
        left.set_title(T.gettext("Delay on the {count} busiest links").format(count=format_int(len(links))) if busiest
                       else T.gettext("Delay on each link"), loc="left")  # fmt: skip
        right_links = [link for link in links if link in set(merged["link"])]
        late_total = 0
        for k, link in enumerate(right_links):
            values = merged.loc[merged["link"] == link, "after"].to_numpy()
            late = values > 0
            late_total += int(late.sum())
            jitter = k + rng.uniform(-0.25, 0.25, len(values))
            right.scatter(values[~late], jitter[~late], s=9, alpha=0.4, color=COLOURS["detected"])
            right.scatter(values[late], jitter[late], s=9, alpha=0.5, color=COLOURS["late"])
        right.axvline(0, color="black", lw=1.5)
        right.text(0, -0.75, " " + T.gettext("crossing"), fontsize=11, va="center")
        right.set_yticks(range(len(right_links)), right_links)
        right.set_ylim(-0.9, len(right_links) - 0.4)
        right.set_xlabel(T.gettext("hours before (−) or after (+) the crossing"))
        right.set_title(T.gettext("Alerts against the moment of crossing"), loc="left")
        right.legend(handles=[Patch(color=COLOURS["detected"], label=T.gettext("before the crossing")),
                              Patch(color=COLOURS["late"], label=T.gettext("after: {cause}").format(
                                  cause=word(CAUSE_LABELS["late"])))],
                     loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)  # fmt: skip
        slow = slowest_link(alerts)
        late_travellers = int(merged.loc[merged["after"] > 0, "subject"].nunique()) if len(merged) else 0
        head = T.ngettext("{alerts} alert, on {travellers} travellers, reached a border after the crossing",
                          "{alerts} alerts, on {travellers} travellers, reached a border after the crossing",
                          late_total).format(alerts=format_int(late_total), travellers=format_int(late_travellers))
        head += "\n" + T.gettext("counted in alerts: a traveller can have several, while the cause table counts "
                                 "each traveller once")  # fmt: skip
        title = fig.suptitle(head + ("\n" + slowest_words(slow) if slow else ""), x=0.01, ha="left",
                             fontsize=15, fontweight="bold")  # fmt: skip
        wrap_to_figure(fig, [title])  # a longer language's title stays inside the figure
        fig.tight_layout()
        return fig


IDENTIFIER_ORDER = ("biometric", "document", "name", "pnr")
"""Identifiers from the strongest to PNR flags (rows of the stops figure's right panel)."""


def _stacked_bars(ax: Any, wide: pd.DataFrame, labels: list[str]) -> None:
    """Horizontal bars, one per row of `wide`, stacked by `STOP_KINDS`, each segment's count written on it."""
    top = max(float(wide.sum(axis=1).max()) if len(wide) else 0.0, 1.0)
    y = np.arange(len(wide))[::-1]
    left = np.zeros(len(wide))
    for who in STOP_KINDS:
        values = wide[who].to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=STOP_COLOURS[who], height=0.62, edgecolor="white", linewidth=0.8)
        for row, value, start in zip(y, values, left, strict=True):
            if value > 0 and value >= top * 0.06:
                dark = who in ("innocent_subject", "of_interest", "ordinary")
                ax.text(start + value / 2, row, format_int(round(value)), ha="center", va="center", fontsize=12,
                        fontweight="bold", color="white" if dark else "black")  # fmt: skip
        left += values
    for row, total in zip(y, left, strict=True):
        ax.text(total + top * 0.015, row, format_int(round(total)), va="center", ha="left", fontsize=12,
                color="#333333")  # fmt: skip
    ax.set_yticks(y, labels)
    ax.set_xlim(0, top * 1.18)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(T.gettext("people stopped"))


IDENTIFIER_WORDS: dict[str, str] = {
    "biometric": N_("by biometric"),
    "document": N_("by document"),
    "name": N_("by name"),
    "pnr": N_("PNR flag"),
}
"""The rows of the stops figure's right panel: what matched (``T.gettext`` them)."""


def identifier_words(identifier: str) -> str:
    """The identifier that matched, as the stops figure says it (``by biometric``, ``PNR flag``)."""
    if identifier in IDENTIFIER_WORDS:
        return T.gettext(IDENTIFIER_WORDS[identifier])
    return T.gettext("by {identifier}").format(identifier=identifier)


def stops_title(tables: RunTables) -> str:
    """The stops figure's finding, in words: detections against wrongful stops, and the worst border."""
    by_agency = stops_by(tables, "agency")
    detected = int(by_agency["of_interest"].sum())
    wrongful = int(by_agency[[k for k in STOP_KINDS if k != "of_interest"]].to_numpy().sum())
    head = T.ngettext("{detected} persons of interest stopped, and {wrongful} innocent person",
                      "{detected} persons of interest stopped, and {wrongful} innocent people", wrongful).format(
        detected=format_int(detected), wrongful=format_int(wrongful))
    if wrongful == 0:
        return head
    innocents = by_agency.drop(columns="of_interest").sum(axis=1)
    worst = str(max(innocents.index, key=lambda a: (innocents[a], a)))
    share = format_percent(detected / (detected + wrongful), 0)
    if int(innocents[worst]) == wrongful:
        tail = T.gettext("all at {agency}; {share} of everyone stopped was a person of interest")
    else:
        tail = T.gettext("{agency} made {count} of them; {share} of everyone stopped was a person of interest")
    return head + "\n" + tail.format(agency=worst, count=format_int(int(innocents[worst])), share=share)


def stops_figure(tables: RunTables) -> Figure:
    """Who was stopped: persons of interest against innocents (by kind), by border agency and by identifier."""
    by_agency = stops_by(tables, "agency")
    by_identifier = stops_by(tables, "identifier")
    known = [i for i in IDENTIFIER_ORDER if i in by_identifier.index]
    by_identifier = by_identifier.reindex(known + [i for i in by_identifier.index if i not in known])
    rows = max(len(by_agency), len(by_identifier), 1)
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(14, max(5.2, 0.75 * rows + 3.2)))
        _stacked_bars(left, by_agency, list(by_agency.index))
        left.set_title(T.gettext("At each border agency"), loc="left", fontsize=14)
        _stacked_bars(right, by_identifier, [identifier_words(i) for i in by_identifier.index])
        right.set_title(T.gettext("By the identifier that matched"), loc="left", fontsize=14)
        fig.legend(handles=[Patch(color=STOP_COLOURS[k], label=word(STOP_LABELS[k])) for k in STOP_KINDS],
                   loc="lower center", ncols=2, frameon=False, bbox_to_anchor=(0.5, 0.0))  # fmt: skip
        fig.suptitle(stops_title(tables), x=0.01, ha="left", fontsize=15, fontweight="bold")
        fig.tight_layout(rect=(0, 0.12, 1, 1))
        return fig


def trust_title(paths: dict[str, pd.DataFrame]) -> str:
    """The trust figure's finding: the link with most refutations (else that moved most), and where it ended."""

    def weight(link: str) -> tuple[int, float, str]:
        rows = paths[link]
        return int(rows["refuted"].iloc[-1]), abs(float(rows["trust"].iloc[-1] - rows["trust"].iloc[0])), link

    link = max(paths, key=weight)
    rows = paths[link]
    start, end = float(rows["trust"].iloc[0]), float(rows["trust"].iloc[-1])
    refuted, confirmed = int(rows["refuted"].iloc[-1]), int(rows["confirmed"].iloc[-1])
    if end < start:
        head = T.gettext("Trust on {link} fell from {start} to {end}: {refuted} refuted, {confirmed} confirmed alerts")
    elif end > start:
        head = T.gettext("Trust on {link} rose from {start} to {end}: {refuted} refuted, {confirmed} confirmed alerts")
    else:
        head = T.gettext("Trust on {link} stayed at {start}: {refuted} refuted, {confirmed} confirmed alerts")
    head = head.format(link=link.replace("->", " → "), start=format_decimal(start, 2), end=format_decimal(end, 2),
                       refuted=format_int(refuted), confirmed=format_int(confirmed))  # fmt: skip
    if refuted:
        tail = T.ngettext("{count} adaptive link; marks: refutations", "{count} adaptive links; marks: refutations",
                          len(paths))  # fmt: skip
    else:
        tail = T.ngettext("{count} adaptive link; no alert on them was refuted",
                          "{count} adaptive links; no alert on them was refuted", len(paths))  # fmt: skip
    return head + "\n" + tail.format(count=format_int(len(paths)))


def trust_figure(tables: RunTables) -> Figure:
    """Each adaptive link's trust over time (steps), each refutation that moved it marked."""
    paths = trust_paths(tables)
    horizon = tables.scenario.horizon_hours / 24
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(13, 6.2))
        for number, (link, rows) in enumerate(paths.items()):
            colour = TRUST_COLOURS[number % len(TRUST_COLOURS)]
            days = np.append(rows["time_hours"].to_numpy(dtype=float) / 24, horizon)
            values = np.append(rows["trust"].to_numpy(dtype=float), float(rows["trust"].iloc[-1]))
            ax.step(days, values, where="post", color=colour, lw=3, label=link.replace("->", " → "))
            hit = rows[rows["refuted_here"]]
            ax.plot(hit["time_hours"] / 24, hit["trust"], ls="none", marker="v", ms=10, color=colour, mec="black",
                    mew=0.8)  # fmt: skip
        ax.set_ylim(0, 1.02)
        ax.set_xlim(0, horizon)
        ax.set_xlabel(T.gettext("day of the exercise"))
        ax.set_ylabel(T.gettext("trust (share of alerts acted on at once)"))
        handles, _ = ax.get_legend_handles_labels()
        handles.append(Line2D([], [], color="#555555", marker="v", ls="none", ms=10, mec="black",
                              label=T.gettext("an alert refuted (innocent stopped,\nor verification refuted it)")))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        ax.set_title(trust_title(paths), loc="left", fontsize=15)
        fig.tight_layout()
        return fig


RUN_FIGURES: tuple[FigureEntry[RunTables], ...] = check_registry(
    (
        FigureEntry(
            "chain",
            lambda tables: chain_figure(tables.summary),
            N_("Where the chain broke: every traveller who crossed a border, stage by stage; each drop is a miss "
               "cause."),
        ),
        FigureEntry(
            "journeys",
            journeys_figure,
            N_("Journeys (a sample by outcome), aligned on departure: crossings, alerts reaching border agencies, "
               "detections, and the hours by which late alerts missed the crossing."),
        ),
        FigureEntry(
            "network",
            network_figure,
            N_("The sharing network: who passed alerts to whom, how many, how fast, with what trust."),
        ),
        FigureEntry(
            "over_time",
            over_time_figure,
            N_("Cumulative detections and misses per day, with the injects of the exercise."),
        ),
        FigureEntry(
            "link_delays",
            link_delay_figure,
            N_("Observed delay on each link, and when alerts reached the border relative to the crossing."),
        ),
        FigureEntry(
            "stops",
            stops_figure,
            N_("Who was stopped: persons of interest (detections) against innocent people (namesakes of ordinary "
               "travellers, innocent subjects of wrong leads, PNR flags), at each border agency and by the identifier "
               "that matched."),
            applies=models_costs,
        ),
        FigureEntry(
            "trust",
            trust_figure,
            N_("Adaptive trust: each link's trust over the exercise, its track record of confirmed and refuted "
               "alerts; each mark is a refutation that lowered it."),
            applies=lambda tables: bool(trust_paths(tables)),
        ),
    )
)
"""The figures of a run, in report order: file name, maker, caption (the one place a run figure is declared).

Captions are in English, marked for the ``run`` catalogue: the report writes ``T.gettext(entry.caption)``.

Here, beside the makers, and not in the light `sim.debrief.run_tables`: a figure
needs matplotlib to be drawn, and a report only captions figures that were drawn,
so nothing without figures (``tabletop run --no-plots``) needs this registry.
"""


def draw_run_figures(tables: RunTables, folder: str | Path) -> dict[str, Path]:
    """Draw every run figure (`RUN_FIGURES`) into ``folder`` (``<name>.png``); returns the paths by name."""
    return draw_figures(RUN_FIGURES, tables, folder)
