"""A run's tables as read from its folder, and the chain of stages its debrief tells.

Light on purpose (no matplotlib, no Mesa): the report without figures, the
dashboard and the figures all start from here. The words and colours are in
`sim.vocabulary`; the figures are declared in `sim.debrief.run_figures.RUN_FIGURES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.i18n import N_, format_number, translator, word
from sim.safe_text import csv_text
from sim.spec.scenario import Scenario, load_recorded_scenario
from sim.vocabulary import CAUSE_LABELS, causes_in

T = translator("run")


@dataclass
class RunTables:
    """A run's tables, as read from its folder (the only input of figures and report)."""

    summary: dict[str, Any]
    travellers: pd.DataFrame
    alerts: pd.DataFrame
    events: pd.DataFrame
    timeseries: pd.DataFrame
    crossings: pd.DataFrame
    scenario: Scenario
    wrongful_stops: pd.DataFrame | None = None
    """``wrongful_stops.csv`` in a run that models the cost of sharing (summary has ``wrongful_stops``), else None."""
    trust: pd.DataFrame | None = None
    """``trust.csv`` (only its header when no link is adaptive), in a run that models the cost of sharing; else None."""

    @classmethod
    def from_folder(cls, folder: str | Path) -> RunTables:
        """Read a run folder written by `sim.engine.one_run.write_run_folder`."""
        import json

        folder = Path(folder)

        def table(name: str) -> pd.DataFrame:
            return read_table(folder / name, keep_default_na=False, na_values=[""])

        travellers, crossings = table("travellers.csv"), table("crossings.csv")
        if "of_interest" in travellers.columns:
            # The figures are about persons of interest, as the summary's counts are; the innocent
            # subjects of wrong leads are in the summary's wrongful_stops and innocent_subjects.
            innocent = set(travellers.loc[~travellers["of_interest"].astype(bool), "id"])
            travellers = travellers[~travellers["id"].isin(innocent)].reset_index(drop=True)
            crossings = crossings[~crossings["traveller"].isin(innocent)].reset_index(drop=True)
        costs = {
            key: table(f"{key}.csv") if (folder / f"{key}.csv").is_file() else None
            for key in ("wrongful_stops", "trust")
        }
        return cls(
            **costs,
            summary=json.loads((folder / "summary.json").read_text(encoding="utf-8")),
            travellers=travellers,
            alerts=table("alerts.csv"),
            events=table("events.csv"),
            timeseries=table("timeseries.csv"),
            crossings=crossings,
            scenario=load_recorded_scenario(folder / "scenario.yaml"),
        )


def read_table(path: str | Path, **options: Any) -> pd.DataFrame:
    """A CSV the package wrote, as a data frame: ``pd.read_csv`` with `options`, text cells as written (`csv_text`)."""
    frame = pd.read_csv(path, **options)
    frame.columns = [csv_text(c) if isinstance(c, str) else c for c in frame.columns]
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].map(lambda v: csv_text(v) if isinstance(v, str) else v)
    return frame


STAGE_NAMES: dict[str, str] = {
    "no_intel": N_("Known to some agency"),
    "not_shared": N_("Alert on its way to the border"),
    "late": N_("Alert arrived in time"),
    "not_trusted": N_("Alert trusted (on the watchlist)"),
    "expired": N_("Entry still kept (not expired)"),
    "screening_miss": N_("Detected at the border"),
}
"""The stage a traveller reached when the cause's step worked (the chain figure's rows), in English (``run`` domain)."""


def chain_stages(summary: dict[str, Any]) -> list[tuple[str, float, str | None, float]]:
    """The chain from crossing to detection: (stage, how many reached it, cause of the drop, drop size).

    The stages are named in the current language (`sim.i18n`).
    """
    misses = summary["misses"]
    remaining = float(summary["crossed"])
    stages = [(T.gettext("Crossed a border"), remaining, None, 0.0)]
    for cause in causes_in(misses):
        remaining -= misses[cause]
        stages.append((T.gettext(STAGE_NAMES[cause]), remaining, cause, float(misses[cause])))
    return stages


def chain_title(summary: dict[str, Any]) -> str:
    """The chain figure's finding, in words (in the current language)."""
    crossed, detected = summary["crossed"], summary["detected"]
    missed = crossed - detected
    if crossed == 0:
        return T.gettext("Nobody crossed a border")
    worst = max(causes_in(summary["misses"]), key=lambda c: summary["misses"][c])
    count = summary["misses"][worst]
    head = T.ngettext("{detected} of {crossed} traveller who crossed were stopped",
                      "{detected} of {crossed} travellers who crossed were stopped", _whole(crossed))  # fmt: skip
    head = head.format(detected=format_number(detected), crossed=format_number(crossed))
    if missed <= 0 or count == 0:
        return head
    tail = T.ngettext("Of the {missed} who got through, {count}: {cause}",
                      "Of the {missed} who got through, {count}: {cause}", _whole(missed))  # fmt: skip
    tail = tail.format(missed=format_number(missed), count=format_number(count), cause=word(CAUSE_LABELS[worst]))
    return T.gettext("{head}.\n{tail}").format(head=head, tail=tail)


def _whole(value: float) -> int:
    """The count that chooses a plural form (a mean over replications: rounded)."""
    return int(round(float(value)))


def inject_kind_words(kind: str) -> str:
    """An inject's kind (``link_down``) in words, in the current language (``link down``)."""
    words = {
        "intel": T.pgettext("inject kind", "intel"),
        "link_down": T.pgettext("inject kind", "link down"),
        "link_up": T.pgettext("inject kind", "link up"),
        "trust": T.pgettext("inject kind", "trust"),
        "surge": T.pgettext("inject kind", "surge"),
    }
    return words.get(kind, kind.replace("_", " "))


SLOWEST_LINK_MEASURE = N_("median delay of all the alerts it delivered")
"""What the network and link-delay figures' "slowest link" measures (said wherever it is named; ``T.gettext`` it)."""

LONGEST_HOP_MEASURE = N_(
    "the hop that took longest, from sending to arrival (waiting on a link that was down included)"
)
"""What a late finding's "longest hop" measures: per alert that came too late, not per link (``T.gettext`` it)."""


def slowest_link(alerts: pd.DataFrame) -> tuple[str, str, float] | None:
    """The link with the highest median delivery delay (`SLOWEST_LINK_MEASURE`): (from, to, hours), or None."""
    delivered = alerts[alerts["delivered_hours"].notna() & alerts["sent_hours"].notna()]
    if delivered.empty:
        return None
    medians = (
        (delivered["delivered_hours"] - delivered["sent_hours"]).groupby([delivered["from"], delivered["to"]]).median()
    )
    (a, b), hours = max(medians.items(), key=lambda kv: (kv[1], kv[0]))
    return str(a), str(b), float(hours)


# ---------------------------------------------------------------- the cost of sharing: who was stopped, trust

STOP_KINDS: tuple[str, ...] = ("of_interest", "ordinary", "innocent_subject", "pnr")
"""Who a stop stopped: a person of interest (a detection), or an innocent (the kinds of ``wrongful_stops.csv``)."""


def models_costs(tables: RunTables) -> bool:
    """Whether the run modelled the cost of sharing (its summary has ``wrongful_stops``)."""
    return "wrongful_stops" in tables.summary


def _wrongful(tables: RunTables) -> pd.DataFrame:
    columns = ["time_hours", "country", "agency", "identifier", "kind", "traveller", "alert", "sender"]
    frame = tables.wrongful_stops
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return frame.assign(sender=frame["sender"].fillna("").astype(str), alert=frame["alert"].fillna("").astype(str))


def stops_table(tables: RunTables) -> pd.DataFrame:
    """Everyone stopped at a border: (agency, identifier, who, stops), who one of `STOP_KINDS`.

    Persons of interest are the detections (``travellers.csv``: ``detected_by``, ``identifier``);
    innocents are the rows of ``wrongful_stops.csv`` by kind. Every border agency that screens
    is a row even with no stop, so a quiet border shows as quiet. Sorted by agency, who, identifier.
    """
    travellers = tables.travellers
    detected = travellers[travellers["outcome"] == "detected"]
    rows = [
        {"agency": str(a), "identifier": str(i), "who": "of_interest", "stops": int(n)}
        for (a, i), n in detected.groupby(["detected_by", "identifier"]).size().items()
    ]
    rows += [
        {"agency": str(a), "identifier": str(i), "who": str(k), "stops": int(n)}
        for (a, i, k), n in _wrongful(tables).groupby(["agency", "identifier", "kind"]).size().items()
    ]
    frame = pd.DataFrame(rows, columns=["agency", "identifier", "who", "stops"])
    order = {who: n for n, who in enumerate(STOP_KINDS)}
    frame = frame.assign(rank=frame["who"].map(order).fillna(len(order)))
    return frame.sort_values(["agency", "rank", "identifier"]).drop(columns="rank").reset_index(drop=True)


def stops_by(tables: RunTables, column: str) -> pd.DataFrame:
    """`stops_table` summed by ``agency`` or ``identifier``: one row per value, one column per `STOP_KINDS`.

    Every border agency is a row (by ``agency``), with zeros where nobody was stopped.
    """
    table = stops_table(tables)
    wide = table.pivot_table(index=column, columns="who", values="stops", aggfunc="sum", fill_value=0)
    if column == "agency":
        borders = [a.id for a in tables.scenario.agencies if a.screens]
        wide = wide.reindex(sorted(set(borders) | set(wide.index)), fill_value=0)
    wide = wide.reindex(columns=list(STOP_KINDS), fill_value=0).astype(int)
    wide.columns.name = None
    return wide


def wrongful_stop_groups(tables: RunTables) -> list[dict[str, Any]]:
    """The wrongful stops by who caused them: the link (sender -> border agency) and the identifier.

    One dict per (sender, agency), most stops first: ``sender`` ("" for the agency's own
    intelligence, and for PNR flags), ``agency``, ``stops``, ``by_kind`` and ``by_identifier``
    (counts, most first).
    """
    frame = _wrongful(tables)
    groups = []
    for (sender, agency), group in frame.groupby(["sender", "agency"]):
        groups.append({
            "sender": str(sender), "agency": str(agency), "stops": len(group),
            "by_kind": {str(k): int(n) for k, n in group["kind"].value_counts().items()},
            "by_identifier": {str(k): int(n) for k, n in group["identifier"].value_counts().items()},
        })  # fmt: skip
    return sorted(groups, key=lambda g: (-g["stops"], g["sender"], g["agency"]))


def trust_paths(tables: RunTables) -> dict[str, pd.DataFrame]:
    """Each adaptive link's trust over time (``trust.csv``): link -> rows (time_hours, trust, confirmed, refuted).

    Each frame gains ``refuted_here``: whether that change was a refutation (the count of
    refuted outcomes went up). Empty when no link is adaptive (or the run does not model costs).
    """
    trust = tables.trust
    if trust is None or trust.empty:
        return {}
    out = {}
    for link, rows in trust.groupby("link", sort=True):
        rows = rows.sort_values("time_hours", kind="stable").reset_index(drop=True)
        refuted = rows["refuted"].astype(int)
        rows = rows.assign(refuted_here=refuted.diff().fillna(0) > 0)
        out[str(link)] = rows[["time_hours", "trust", "confirmed", "refuted", "refuted_here"]]
    return out
