"""What happened in a run: the tables, the miss cause of every traveller, the summary.

The model keeps raw records (crossings, messages, acceptances, the timeline);
this module turns them into tidy tables and aggregates, and attributes each
miss to exactly one cause, the furthest stage the sharing chain reached at any
of the traveller's crossings:

====================  ========================================================
``no_intel``          no agency knew about the traveller before the crossing
``not_shared``        some agency knew, but no alert was ever on its way to a
                      screening agency of the country crossed into
``late``              an alert was on its way to that screening agency but was
                      delivered after the crossing (``hours_late`` records by how much)
``not_trusted``       delivered in time, but discarded or still in verification
``expired``           accepted in time, but every entry had expired by the crossing
                      (watchlist retention; only when the scenario models the cost of sharing)
``screening_miss``    accepted in time, but the check failed
====================  ========================================================

Multi-hop chains are judged at the last hop: only a message addressed to a
screening agency of the country crossed into counts as "on its way", and only
if its chain had begun by the time of the crossing (a relay that a hub sends
after the crossing still counts; a chain started by intelligence learned after
the crossing does not, even if another agency knew before). A hop that
is lost, dropped by a down link, held until after the run, or not trusted by a
hub upstream leaves no such message: that miss is ``not_shared`` (the chain
broke before it reached the border). A message still held or in transit at the
end of the run counts as on its way only once it was sent and not lost; its
delivery time is known when it is sent, so ``hours_late`` is exact.

This module only reads a finished model's records: it imports the model for type
checking only, so the model imports `collect` (for its DataCollector) and the
imports between the two point one way. The causes and their words are in
`sim.vocabulary`.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.engine.messages import alert_label
from sim.engine.wrongful import WRONGFUL_STOP_IDENTIFIERS, WRONGFUL_STOP_KINDS
from sim.version import __version__
from sim.vocabulary import CAUSES, OPTIONAL_CAUSES

EXPIRED, SCREENING_MISS = CAUSES.index("expired"), CAUSES.index("screening_miss")
"""The chain stages (indexes of `CAUSES`) of an accepted traveller: entry expired, or kept and the check failed."""

if TYPE_CHECKING:
    from sim.engine.messages import Message
    from sim.engine.model import SharingModel

TRAVELLER_COLUMNS = [
    "id", "group", "intent", "route", "documents", "party_size", "depart_hours", "crossings",
    "arrived", "outcome", "cause", "detected_at_hours", "detected_by", "detected_in", "identifier",
    "first_intel_hours", "hours_late", "last_crossing_hours", "cause_country", "cause_alert",
]  # fmt: skip
ALERT_COLUMNS = [
    "alert", "subject", "identifier", "origin", "from", "to", "path", "created_hours", "sent_hours",
    "delivered_hours", "due_hours", "settled_hours", "fate",
]  # fmt: skip
EVENT_COLUMNS = ["time_hours", "kind", "agency", "traveller", "alert", "detail"]
TIMESERIES_COLUMNS = ["day", "detected", "missed", "alerts_in_transit", "en_route"]
CROSSING_COLUMNS = ["traveller", "number", "country", "time_hours", "result"]
COST_TRAVELLER_COLUMNS = [*TRAVELLER_COLUMNS, "of_interest"]
"""The columns of ``travellers.csv`` when the scenario models the cost of sharing."""
INNOCENT_OUTCOMES: tuple[str, ...] = ("wrongly_stopped", "passed")
"""The outcomes of an innocent subject of a wrong lead (``of_interest`` false)."""


def traveller_columns(costs_modelled: bool) -> list[str]:
    """The columns of ``travellers.csv``: ``of_interest`` only when the cost of sharing is modelled."""
    return COST_TRAVELLER_COLUMNS if costs_modelled else TRAVELLER_COLUMNS


@dataclass
class RunResult:
    """Everything one run produced, as plain data (picklable, no live model).

    Attributes:
        summary: the aggregates (the keys of ``summary.json``).
        travellers: one dict per traveller (`TRAVELLER_COLUMNS`).
        alerts: one dict per message on a link (`ALERT_COLUMNS`).
        events: the timeline, one tuple per event (`EVENT_COLUMNS`).
        timeseries: one dict per day (`TIMESERIES_COLUMNS`).
        crossings: one dict per border crossing (`CROSSING_COLUMNS`).
        wrongful_stops: one dict per wrongful stop (`sim.engine.wrongful.WRONGFUL_STOP_COLUMNS`);
            written to ``wrongful_stops.csv`` only when the scenario models the cost of sharing.
        trust: the history of adaptive trust (`sim.engine.trust.TRUST_COLUMNS`), written to
            ``trust.csv`` only when the scenario models the cost of sharing.
        folder: the run folder it was written to (by `sim.api.run`), if any.
        seed: the seed it ran with (given, else the scenario's, else a fresh one): the same seed
            gives the same run; `sim.spec.seeds.replication_seeds` gives independent ones.
    """

    summary: dict[str, Any]
    travellers: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    timeseries: list[dict[str, Any]] = field(default_factory=list)
    crossings: list[dict[str, Any]] = field(default_factory=list)
    wrongful_stops: list[dict[str, Any]] = field(default_factory=list)
    trust: list[dict[str, Any]] = field(default_factory=list)
    folder: Path | None = None
    seed: int | None = None

    def __repr__(self) -> str:
        """The seed and the headline numbers, not thousands of table rows."""
        summary = self.summary
        where = f", folder={str(self.folder)!r}" if self.folder is not None else ""
        return (
            f"RunResult(seed={self.seed}, travellers={summary.get('travellers')}, crossed={summary.get('crossed')}, "
            f"detected={summary.get('detected')}, detection_rate={summary.get('detection_rate')}{where})"
        )


def _num(value: float | None, digits: int = 4) -> float | None:
    """Round for output (None stays None); -0.0 becomes 0.0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    rounded = round(float(value), digits)
    return rounded + 0.0


@dataclass(frozen=True)
class Attribution:
    """Why one traveller was missed.

    Attributes:
        cause: one of `CAUSES`.
        hours_late: for ``late``: how much earlier the alert needed to arrive.
        country: the country crossed into where the chain got furthest (first such crossing).
        alert: for ``late`` and ``not_trusted``: the message that came late or was not trusted.
    """

    cause: str
    hours_late: float | None = None
    country: str = ""
    alert: int | None = None


def attribute(model: SharingModel) -> dict[int, Attribution]:
    """The miss cause of every traveller who crossed undetected.

    Args:
        model: a model that has run.

    Returns:
        traveller index -> its attribution.
    """
    to_screeners: dict[int, list[Message]] = defaultdict(list)
    for message in model.messages:
        if message.link.receiver.screens and message.sent is not None and message.fate != "lost":
            to_screeners[message.traveller].append(message)
    causes: dict[int, Attribution] = {}
    for traveller in model.travellers:
        if traveller.detected is not None or not traveller.crossings or not traveller.of_interest:
            continue
        i = traveller.index
        known = model.first_intel.get(i, math.inf)
        best, late_by, where, alert = 0, math.inf, traveller.crossings[0][1], None
        for time, country in traveller.crossings:
            if known > time:
                continue
            stage, candidate, lateness = 1, None, math.inf
            screeners = model.border_agencies.get(country, [])
            if any(agency.accepted_at.get(i, math.inf) <= time for agency in screeners):
                # Accepted by then; with retention, the entry may have expired before the crossing.
                borders = model.borders
                live = borders is None or any(borders.live_at(agency, i, time) for agency in screeners)
                stage = SCREENING_MISS if live else EXPIRED
            else:
                codes = {agency.code for agency in screeners}
                # On its way at the crossing: a message to a screening agency of this country whose
                # chain had begun by then (a relay sent later still counts; a chain begun after
                # the crossing does not).
                on_way = [m for m in to_screeners.get(i, ()) if m.link.receiver.code in codes and m.started <= time]
                in_time = [m for m in on_way if m.delivered is not None and m.delivered <= time]
                if in_time:
                    stage, candidate = 3, in_time[0]
                elif on_way:
                    candidate = min(on_way, key=lambda m: (m.delivered, m.id))
                    stage, lateness = 2, candidate.delivered - time
            if stage > best or (stage == best == 2 and lateness < late_by):
                best, where = stage, country
                alert = candidate.id if candidate is not None else None
                late_by = lateness
        cause = CAUSES[best]
        causes[i] = Attribution(
            cause=cause,
            hours_late=late_by if cause == "late" else None,
            country=where,
            alert=alert if cause in ("late", "not_trusted") else None,
        )
    return causes


def traveller_rows(model: SharingModel, causes: dict[int, Attribution]) -> list[dict[str, Any]]:
    """One row per traveller (`TRAVELLER_COLUMNS`, and ``of_interest`` when costs are modelled)."""
    rows = []
    for t in model.travellers:
        why = causes.get(t.index)
        if not t.of_interest:
            outcome = "wrongly_stopped" if t.detected is not None else "passed"
        elif t.detected is not None:
            outcome = "detected"
        elif t.crossings:
            outcome = "missed"
        else:
            outcome = "en_route"
        detected = t.detected or (None, "", "", "")
        rows.append(
            {
                "id": t.label,
                "group": t.group,
                "intent": t.intent,
                "route": ">".join(t.route),
                "documents": "fraudulent" if t.fraudulent else "genuine",
                "party_size": t.party_size,
                "depart_hours": _num(t.depart_hours),
                "crossings": len(t.crossings),
                "arrived": t.arrived,
                "outcome": outcome,
                "cause": why.cause if why else "",
                "detected_at_hours": _num(detected[0]),
                "detected_by": detected[2],
                "detected_in": detected[1],
                "identifier": detected[3],
                "first_intel_hours": _num(model.first_intel.get(t.index)),
                "hours_late": _num(why.hours_late) if why else None,
                "cause_country": why.country if why else "",
                "cause_alert": alert_label(why.alert) if why and why.alert is not None else "",
                "last_crossing_hours": _num(t.crossings[-1][0]) if t.crossings else None,
            }
        )
        if model.costs_modelled:
            rows[-1]["of_interest"] = t.of_interest
    return rows


def alert_rows(model: SharingModel) -> list[dict[str, Any]]:
    """One row per message on a link (`ALERT_COLUMNS`)."""
    rows = []
    horizon = model.horizon
    for m in model.messages:
        arrived = m.delivered is not None and m.delivered <= horizon
        rows.append(
            {
                "alert": alert_label(m.id),
                "subject": model.travellers[m.traveller].label,
                "identifier": m.identifier,
                "origin": m.origin,
                "from": m.link.sender.code,
                "to": m.link.receiver.code,
                "path": ">".join(m.path),
                "created_hours": _num(m.created),
                "sent_hours": _num(m.sent),
                "delivered_hours": _num(m.delivered) if arrived else None,
                "due_hours": _num(m.delivered),
                "settled_hours": _num(m.settled),
                "fate": m.fate,
            }
        )
    return rows


def alert_counts(model: SharingModel) -> dict[str, int]:
    """Messages by what became of them; ``sent = delivered + lost + in_transit``."""
    fates: dict[str, int] = defaultdict(int)
    for m in model.messages:
        fates[m.fate] += 1
    delivered = fates["accepted"] + fates["verified"] + fates["discarded"] + fates["verifying"] + fates["refuted"]
    counts = {
        "sent": delivered + fates["lost"] + fates["in_transit"],
        "delivered": delivered,
        "lost": fates["lost"],
        "discarded": fates["discarded"],
        "verified": fates["verified"],
        "accepted": fates["accepted"],
        "verifying": fates["verifying"],
        "in_transit": fates["in_transit"],
        "held": fates["held"],
        "dropped": fates["dropped"],
        "messages": len(model.messages),
    }
    if model.costs_modelled:
        counts["refuted"] = fates["refuted"]
    return counts


def crossing_rows(model: SharingModel) -> list[dict[str, Any]]:
    """One row per border crossing, in time order: who, which crossing, into where, when, and the result."""
    rows = []
    for t in model.travellers:
        for number, (time, country) in enumerate(t.crossings, start=1):
            stopped = t.detected is not None and number == len(t.crossings)
            result = ("detected" if t.of_interest else "wrongly_stopped") if stopped else "crossed"
            rows.append(
                {
                    "traveller": t.label,
                    "number": number,
                    "country": country,
                    "time_hours": _num(time),
                    "result": result,
                }
            )
    rows.sort(key=lambda r: (r["time_hours"], r["traveller"]))
    return rows


def timeseries_rows(model: SharingModel, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per day, at the end of the day: cumulative detections and misses, alerts in transit, travellers en route.

    A miss counts from the traveller's last crossing (the moment they got through for good).
    """
    days = math.ceil(model.horizon / 24.0 - 1e-9)
    ends = np.minimum(np.arange(days + 1) * 24.0, model.horizon)

    def at_or_before(times: list[float]) -> np.ndarray:
        return np.searchsorted(np.sort(np.asarray(times, dtype=float)), ends, side="right")

    people = [t for t in model.travellers if t.of_interest]  # innocent subjects are not counted here
    detections = [t.detected[0] for t in people if t.detected is not None]
    misses = [t.crossings[-1][0] for t in people if t.detected is None and t.crossings]
    sent = [m.sent for m in model.messages if m.sent is not None and m.delivered is not None]
    due = [m.delivered for m in model.messages if m.sent is not None and m.delivered is not None]
    starts = [t.depart_hours for t in people]
    stops = []
    for t in people:
        if t.detected is not None:
            stops.append(t.detected[0])
        elif t.arrived:
            stops.append(t.crossings[-1][0])
    # Every interval [start, stop) has start <= stop, so "started by now and not stopped by
    # now" is (started by now) - (stopped by now).
    detected, missed = at_or_before(detections), at_or_before(misses)
    in_transit = at_or_before(sent) - at_or_before(due)
    en_route = at_or_before(starts) - at_or_before(stops)
    return [
        {
            "day": day,
            "detected": int(detected[day]),
            "missed": int(missed[day]),
            "alerts_in_transit": int(in_transit[day]),
            "en_route": int(en_route[day]),
        }
        for day in range(days + 1)
    ]


def summarize(model: SharingModel, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The aggregates of ``summary.json``: of persons of interest (innocent subjects: `cost_summary`)."""
    everyone = rows
    rows = rows[: model.persons_of_interest]
    crossed = sum(1 for r in rows if r["crossings"] > 0)
    detected = [r for r in rows if r["outcome"] == "detected"]
    missed = [r for r in rows if r["outcome"] == "missed"]
    misses = {cause: 0 for cause in CAUSES if cause not in OPTIONAL_CAUSES or model.costs_modelled}
    for r in missed:
        misses[r["cause"]] += 1
    to_detection = [
        r["detected_at_hours"] - r["first_intel_hours"] for r in detected if r["first_intel_hours"] is not None
    ]
    late = [r["hours_late"] for r in missed if r["cause"] == "late" and r["hours_late"] is not None]
    by_country: dict[str, int] = defaultdict(int)
    by_agency: dict[str, int] = defaultdict(int)
    by_identifier: dict[str, int] = defaultdict(int)
    for r in detected:
        by_country[r["detected_in"]] += 1
        by_agency[r["detected_by"]] += 1
        by_identifier[r["identifier"]] += 1
    return {
        "scenario": model.exercise.name,
        "seed": model.seed,
        "horizon_days": model.exercise.horizon_days,
        "travellers": len(rows),
        "crossed": crossed,
        "detected": len(detected),
        "missed": len(missed),
        "en_route": sum(1 for r in rows if r["outcome"] == "en_route"),
        "arrived": sum(1 for r in rows if r["arrived"]),
        "detection_rate": _num(len(detected) / crossed, 6) if crossed else None,
        "misses": misses,
        "late_share": _num(misses["late"] / crossed, 6) if crossed else None,
        "median_hours_to_detection": _num(statistics.median(to_detection)) if to_detection else None,
        "median_hours_late": _num(statistics.median(late)) if late else None,
        "alerts": alert_counts(model),
        "detections_by_country": dict(sorted(by_country.items())),
        "detections_by_agency": dict(sorted(by_agency.items())),
        "detections_by_identifier": dict(sorted(by_identifier.items())),
        "companions_stopped": sum(r["party_size"] - 1 for r in detected),
        "companions_not_stopped": sum(r["party_size"] - 1 for r in missed),
        "injects": len(model.injects_done),
        **(cost_summary(model, len(detected), everyone[model.persons_of_interest :]) if model.costs_modelled else {}),
        "version": __version__,
    }


def cost_summary(model: SharingModel, detected: int, innocents: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The cost side's keys of ``summary.json`` (only for a scenario that models it).

    ``wrongful_stops``: the total, by kind (`WRONGFUL_STOP_KINDS`), by agency and by
    identifier; ``stop_precision``: detected / (detected + wrongful stops), None
    when nobody was stopped; ``innocent_subjects``: the subjects of wrong leads (rows of
    `traveller_rows` with ``of_interest`` false) by outcome; ``trust_final``: link key ->
    trust at the end, for adaptive links.
    """
    innocents = innocents or []
    wrongly = sum(1 for r in innocents if r["outcome"] == "wrongly_stopped")
    stops = model.wrongful_stops
    by_kind = {kind: 0 for kind in WRONGFUL_STOP_KINDS}
    # Every screening agency and identifier, zeros included: a sweep may name any of them.
    by_agency: dict[str, int] = {a.code: 0 for a in model.agencies.values() if a.screens}
    by_identifier: dict[str, int] = dict.fromkeys(WRONGFUL_STOP_IDENTIFIERS, 0)
    for stop in stops:
        by_kind[stop.kind] += 1
        by_agency[stop.agency] = by_agency.get(stop.agency, 0) + 1
        by_identifier[stop.identifier] = by_identifier.get(stop.identifier, 0) + 1
    total = len(stops)
    border_countries = sorted({a.country for a in model.agencies.values() if a.screens})
    no_crossings = {"total": 0, "by_country": dict.fromkeys(border_countries, 0)}
    return {
        "wrongful_stops": {
            "total": total,
            "by_kind": by_kind,
            "by_agency": dict(sorted(by_agency.items())),
            "by_identifier": by_identifier,
        },
        "stop_precision": _num(detected / (detected + total), 6) if detected + total else None,
        "innocent_subjects": {"total": len(innocents), "wrongly_stopped": wrongly, "passed": len(innocents) - wrongly},
        "trust_final": {k: _num(v, 6) for k, v in model.ledger.final().items()} if model.ledger is not None else {},
        "ordinary_crossings": model.borders.ordinary_crossings() if model.borders is not None else no_crossings,
    }


def collect(model: SharingModel, tables: bool = True) -> RunResult:
    """Turn a finished model into a `RunResult` (the summary, and the tables when asked)."""
    causes = attribute(model)
    rows = traveller_rows(model, causes)
    summary = summarize(model, rows)
    if not tables:
        return RunResult(summary=summary)
    return RunResult(
        summary=summary,
        travellers=rows,
        alerts=alert_rows(model),
        events=[(round(e[0], 4) + 0.0, *e[1:]) for e in model.event_log],
        timeseries=timeseries_rows(model, rows),
        crossings=crossing_rows(model),
        wrongful_stops=[stop.row() for stop in sorted(model.wrongful_stops, key=lambda stop: stop.time_hours)],
        trust=model.ledger.rows() if model.ledger is not None else [],
    )
