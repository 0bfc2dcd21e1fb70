"""The after-action report of a run: one self-contained HTML page, written from the run's tables.

Shaped like an exercise after-action report: overview, findings written from
the numbers, the figures, the inject timeline, and an improvement plan (each
finding, a suggested corrective action, the agency it concerns).

Written in the current language (`sim.i18n`, domain ``run``): every sentence is one template
with named placeholders; what the trainer wrote (names, description, inject notes, expected
actions) and identifiers are shown as written; numbers follow the language's conventions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.debrief.html_page import escape, figure_html, page, png_data_uri, table_html, written
from sim.debrief.run_tables import (
    LONGEST_HOP_MEASURE,
    SLOWEST_LINK_MEASURE,
    STOP_KINDS,
    RunTables,
    chain_title,
    inject_kind_words,
    models_costs,
    slowest_link,
    stops_by,
    wrongful_stop_groups,
)
from sim.errors import Problem, ScenarioError
from sim.i18n import (
    N_,
    format_decimal,
    format_int,
    format_number,
    format_percent,
    translator,
    word,
)
from sim.safe_text import CsvWriter, dict_cells, read_csv_rows
from sim.spec.output_files import replacing, write_text
from sim.vocabulary import BASE_CAUSES, CAUSE_LABELS, STOP_LABELS, causes_in, identifier_name

T = translator("run")

INJECT_EFFECT_COLUMNS = ["inject", "day", "kind", "note", "detected_with", "detected_without", "difference",
                         *[f"{c}_difference" for c in BASE_CAUSES], "travellers_with", "travellers_without",
                         "crossed_with", "crossed_without", *[f"{c}_without" for c in BASE_CAUSES]]  # fmt: skip
"""Columns of ``injects.csv``: each inject's effect, measured against the same run without it.

The travellers and crossings with and without it tell an inject that adds travellers (a
surge), whose effect the report gives as rates: more travellers mean more detections and
more misses, whatever the arrangements."""

ACTIONS = {
    "late": N_("Cut the delay on {link}: a direct secure channel, a 24/7 duty desk, or automatic forwarding."),
    "not_trusted": N_("Agree a trust framework with {sender} (liaison officers, a verification procedure) "
                      "so that {receiver} acts on its alerts."),
    "not_shared": N_("Give {agencies} a channel to the border agencies of the countries the travellers cross, "
                     "directly or through a regional hub."),
    "no_intel": N_("Widen collection on {groups}: no agency knew about these travellers before they crossed."),
    "screening_fraud": N_("Share biometric identifiers: name and document alerts cannot match a traveller on "
                          "fraudulent documents."),
    "screening": N_("Review screening at the borders of {countries}: accepted alerts did not produce a match."),
}
"""The corrective action of each kind of finding, in English (``T.gettext`` it, then ``.format``)."""


@dataclass
class Finding:
    """One finding of the report, with its corrective action."""

    text: str
    action: str
    agency: str
    hop: str = ""
    """For a late finding: the longest hop on the alerts' way (``A → B``), which `_measures_note` compares."""


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return read_csv_rows(handle)


def _pct(part: float, whole: float) -> str:
    return format_percent(part / whole, 0) if whole else "-"


def _hours(value: float) -> str:
    """Hours, whole (``12``)."""
    return format_int(round(float(value)))


def _join(items: list[str]) -> str:
    """Items in a list, separated as the language does (``, `` ; Arabic ``، ``)."""
    # TRANSLATORS: the separator of a list of names or counts ("HAL-INT, DRV-INT").
    return T.pgettext("list separator", ", ").join(items)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


COMMAND_HINT = re.compile(r"\s*\([^()]*(?:--[a-z]|\btabletop\s)[^()]*\)|\s*`[^`]*(?:--[a-z]|\btabletop\s)[^`]*`")
"""A parenthesis or a code span that tells how to run something (``(try --set sharing.delay_scale=0)``)."""


def without_command_hints(text: str) -> str:
    """A scenario's description for participants: without its hints for whoever runs the command line."""
    return COMMAND_HINT.sub("", text).strip()


def _measures_note(tables: RunTables, found: list[Finding]) -> str:
    """When the late findings' longest hop is not the figures' slowest link, what each of them measures."""
    hops = {f.hop for f in found if f.hop}
    slowest = slowest_link(tables.alerts)
    if not hops or slowest is None or f"{slowest[0]} → {slowest[1]}" in hops:
        return ""
    return T.gettext("Two measures: a finding's “longest hop on the alert's way” is, for the alerts that came too "
                     "late, {hop_measure}; the network figure's “slowest link” ({sender} → {receiver}, {hours} h) is "
                     "the link with the highest {link_measure}.").format(
        hop_measure=T.gettext(LONGEST_HOP_MEASURE), sender=slowest[0], receiver=slowest[1],
        hours=_hours(slowest[2]), link_measure=T.gettext(SLOWEST_LINK_MEASURE))  # fmt: skip


def findings(tables: RunTables) -> list[Finding]:
    """Findings written from the numbers, each with a suggested action and the agency concerned."""
    summary, travellers, alerts = tables.summary, tables.travellers, tables.alerts
    crossed = summary["crossed"]
    out: list[Finding] = []
    missed = travellers[travellers["outcome"] == "missed"]
    by_alert = alerts.set_index("alert")
    for cause in ("late", "not_trusted"):
        rows = missed[(missed["cause"] == cause) & missed["cause_alert"].notna()]
        if rows.empty:
            continue
        if cause == "late":
            slowest = [slowest_hop(alerts, by_alert, alert) for alert in rows["cause_alert"]]
            links = rows.assign(sender=[h[0] for h in slowest], receiver=[h[1] for h in slowest])
        else:
            links = rows.assign(
                sender=rows["cause_alert"].map(by_alert["from"]), receiver=rows["cause_alert"].map(by_alert["to"])
            )
        for (sender, receiver), group in sorted(links.groupby(["sender", "receiver"]), key=lambda kv: -len(kv[1])):
            link = f"{sender} → {receiver}"
            count = len(group)
            if cause == "late":
                late = group["hours_late"].median()
                text = T.ngettext("{count} traveller crossed before the alert reached the border (median {hours} h "
                                  "late); the longest hop on the alert's way was {link}.",
                                  "{count} travellers crossed before the alert reached the border (median {hours} h "
                                  "late); the longest hop on the alert's way was {link}.", count)  # fmt: skip
                text = text.format(count=format_int(count), hours=_hours(late), link=link)
                action = T.gettext(ACTIONS["late"]).format(link=link) + _link_cost(tables, sender, receiver, "late")
                out.append(Finding(text, action, sender, hop=link))
            else:
                text = T.ngettext("{count} traveller got through because {receiver} did not trust the alert from "
                                  "{sender}.",
                                  "{count} travellers got through because {receiver} did not trust the alert from "
                                  "{sender}.", count)  # fmt: skip
                text = text.format(count=format_int(count), receiver=receiver, sender=sender)
                action = T.gettext(ACTIONS["not_trusted"]).format(sender=sender, receiver=receiver)
                out.append(Finding(text, action + _link_cost(tables, sender, receiver, "not_trusted"), receiver))
    not_shared = missed[missed["cause"] == "not_shared"]
    if len(not_shared):
        knowers = _first_knowers(tables, set(not_shared["id"]))
        names = _join(sorted(knowers)) or T.gettext("the agencies that knew")
        text = T.ngettext("{count} traveller was known to {agencies} but no alert was ever on its way to the border.",
                          "{count} travellers were known to {agencies} but no alert was ever on its way to the "
                          "border.", len(not_shared)).format(count=format_int(len(not_shared)), agencies=names)
        action = T.gettext(ACTIONS["not_shared"]).format(agencies=names) + _origin_cost(tables, knowers)
        out.append(Finding(text, action, names))
    no_intel = missed[missed["cause"] == "no_intel"]
    if len(no_intel):
        groups = _join([T.gettext("{group} ({count})").format(group=g, count=format_int(n))
                        for g, n in no_intel["group"].value_counts().items()])  # fmt: skip
        text = T.ngettext("{count} traveller was unknown to every agency when they crossed: {groups}.",
                          "{count} travellers were unknown to every agency when they crossed: {groups}.",
                          len(no_intel)).format(count=format_int(len(no_intel)), groups=groups)  # fmt: skip
        agencies = (_join([a.id for a in tables.scenario.agencies if a.kind == "intelligence"])
                    or T.gettext("intelligence agencies"))  # fmt: skip
        action = T.gettext(ACTIONS["no_intel"]).format(groups=groups) + _collection_cost(tables)
        out.append(Finding(text, action, agencies))
    screening = missed[missed["cause"] == "screening_miss"]
    if len(screening):
        fraud = int((screening["documents"] == "fraudulent").sum())
        borders = _join(sorted(set(screening["cause_country"].dropna())))
        text = T.ngettext("{count} traveller was on a watchlist at the border but the check failed ({fraud} of them "
                          "on fraudulent documents).",
                          "{count} travellers were on a watchlist at the border but the check failed ({fraud} of "
                          "them on fraudulent documents).", len(screening))  # fmt: skip
        text = text.format(count=format_int(len(screening)), fraud=format_int(fraud))
        if fraud >= len(screening) / 2:
            out.append(Finding(text, T.gettext(ACTIONS["screening_fraud"]), T.gettext("all agencies that share")))
        else:
            out.append(Finding(text, T.gettext(ACTIONS["screening"]).format(countries=borders), borders))
    out += wrongful_stop_findings(tables)
    lost = summary["alerts"]["lost"]
    if lost:
        text = T.ngettext("{count} alert was lost on the way.", "{count} alerts were lost on the way.", lost)
        out.append(Finding(text.format(count=format_int(lost)),
                           T.gettext("Make the channels reliable (acknowledgements, retries) on the links that lose "
                                     "messages."), T.gettext("senders")))  # fmt: skip
    if not out and crossed:
        out.append(Finding(T.gettext("Every traveller who crossed was stopped."),
                           T.gettext("Keep the current arrangements."), T.gettext("all")))  # fmt: skip
    return out


def _identifier(identifier: str) -> str:
    """An identifier's kind in words (``name``, ``document``, ``biometric``, ``PNR``), in the current language."""
    return word(identifier_name(identifier))


ENTRY_WORDS = {"name": N_("namesakes of name-only entries"), "document": N_("namesakes of document entries"),
               "biometric": N_("namesakes of biometric entries")}  # fmt: skip
"""The namesakes of a watchlist entry, by the strongest identifier it holds, in a namesake finding's words."""

STOP_ACTIONS = {
    "ordinary": N_("Share stronger identifiers than {identifiers} with {agency} (documents, biometrics: they match "
                   "strangers far more rarely) and keep entries no longer than needed. Cost: shorter retention lets "
                   "persons of interest through on expired entries; biometrics need an agreement to share them."),
    "innocent_subject": N_("Have {agency} verify alerts from {sender} before stopping anyone (a check that can "
                           "refute them). Cost: verification takes hours, so some persons of interest cross before "
                           "it ends (late misses)."),
    "verified": N_("{agency} already verifies some alerts from {sender} ({refuted} refuted): verify more of them "
                   "(trust {sender} less) or with a better check. Cost: verification takes hours, so some persons "
                   "of interest cross before it ends (late misses)."),
    "pnr": N_("Tune the PNR risk rules at {agency}: they flag ordinary travellers. Cost: fewer flags also find fewer "
              "persons of interest nobody knew."),
}
"""The corrective action of a wrongful-stops finding, by the kind that made most of them, with what it costs."""


def wrongful_stop_findings(tables: RunTables) -> list[Finding]:
    """One finding per (sender, border agency) behind wrongful stops, most first (a run that models costs).

    Names the link, the border agency and the identifiers, e.g. "Acting on alerts from HAL-INT,
    HAL-BRD stopped 37 innocent people (31 of them namesakes of name-only entries)."
    """
    if not models_costs(tables) or tables.wrongful_stops is None:
        return []
    frame = tables.wrongful_stops.assign(sender=tables.wrongful_stops["sender"].fillna("").astype(str))
    out = []
    for group in wrongful_stop_groups(tables):
        sender, agency, total = group["sender"], group["agency"], group["stops"]
        rows = frame[(frame["sender"] == sender) & (frame["agency"] == agency)]
        parts = []
        for (kind, identifier), n in rows.groupby(["kind", "identifier"]).size().sort_values(ascending=False).items():
            parts.append((int(n), _stopped_words(str(kind), str(identifier), int(n))))
        if len(parts) == 1:
            detail = T.gettext("all {who}").format(who=parts[0][1])
        else:
            # TRANSLATORS: "{count} of them {who}": the first of a list of who was stopped ("31 of them namesakes
            # of name-only entries"); the next ones are "{count} {who}", separated by "; ".
            detail = T.pgettext("list separator", "; ").join(
                (T.gettext("{count} of them {who}") if k == 0 else T.gettext("{count} {who}")).format(
                    count=format_int(n), who=what) for k, (n, what) in enumerate(parts))  # fmt: skip
        if sender:
            text = T.ngettext("Acting on alerts from {sender}, {agency} stopped {count} innocent person ({detail}).",
                              "Acting on alerts from {sender}, {agency} stopped {count} innocent people ({detail}).",
                              total)  # fmt: skip
        elif set(group["by_kind"]) == {"pnr"}:
            text = T.ngettext("PNR rules at {agency} stopped {count} innocent person ({detail}).",
                              "PNR rules at {agency} stopped {count} innocent people ({detail}).", total)  # fmt: skip
        else:
            text = T.ngettext("Acting on its own intelligence, {agency} stopped {count} innocent person ({detail}).",
                              "Acting on its own intelligence, {agency} stopped {count} innocent people ({detail}).",
                              total)  # fmt: skip
        text = text.format(sender=sender, agency=agency, count=format_int(total), detail=detail)
        kind = max(group["by_kind"], key=lambda k: (group["by_kind"][k], k))
        named = [i for i in rows.loc[rows["kind"] == "ordinary", "identifier"].value_counts().index]
        identifiers = T.pgettext("list", " and ").join(_identifier(str(i)) for i in named) or T.gettext("names")
        refuted = _refuted_on(tables, sender, agency)
        if kind == "innocent_subject" and refuted:
            kind = "verified"
        action = T.gettext(STOP_ACTIONS.get(kind, STOP_ACTIONS["innocent_subject"])).format(
            agency=agency, sender=sender or T.gettext("{agency}'s own sources").format(agency=agency),
            identifiers=identifiers, refuted=format_int(refuted),
        )
        out.append(Finding(text, action, agency))
    return out


def _stopped_words(kind: str, identifier: str, count: int) -> str:
    """Who a group of wrongful stops stopped, in a finding's words (``namesakes of name-only entries``)."""
    if kind == "ordinary":
        if identifier in ENTRY_WORDS:
            return T.gettext(ENTRY_WORDS[identifier])
        return T.gettext("namesakes of {identifier} entries").format(identifier=_identifier(identifier))
    if kind == "innocent_subject":
        return T.ngettext("subject of wrong leads matched by {identifier}",
                          "subjects of wrong leads matched by {identifier}", count).format(
            identifier=_identifier(identifier))  # fmt: skip
    if kind == "pnr":
        return T.gettext("ordinary travellers flagged by PNR rules")
    return f"{kind} ({identifier})"


def _wrongful_via(tables: RunTables, sender: str, receiver: str) -> int:
    """Wrongful stops on alerts whose way went over the hop ``sender -> receiver``."""
    stops = tables.wrongful_stops
    if stops is None or stops.empty:
        return 0
    paths = tables.alerts.set_index("alert")["path"].astype(str)
    hop = f"{sender}>{receiver}"
    ways = stops["alert"].map(paths).fillna("")
    return int(sum(f">{hop}>" in f">{way}>" for way in ways))


def _refuted_on(tables: RunTables, sender: str, receiver: str) -> int:
    """Alerts on the link ``sender -> receiver`` refuted by verification."""
    alerts = tables.alerts
    return int(((alerts["from"] == sender) & (alerts["to"] == receiver) & (alerts["fate"] == "refuted")).sum())


def _link_cost(tables: RunTables, sender: str, receiver: str, cause: str) -> str:
    """What an action on a link (faster, more trusted) costs in innocent people stopped; "" without costs."""
    if not models_costs(tables):
        return ""
    wrongful = _wrongful_via(tables, sender, receiver)
    refuted = _refuted_on(tables, sender, receiver)
    final = tables.summary.get("trust_final", {}).get(f"{sender}->{receiver}")
    link = f"{sender} → {receiver}"
    if not wrongful and not refuted:
        return " " + T.gettext("Cost: none seen in this run (no alert over {link} stopped an innocent person).").format(
            link=link)
    # TRANSLATORS: {also} is empty, or " and 3 of its alerts were refuted", then maybe " (its adaptive trust ended
    # at 0.42)"; {more} is "more trust" or "faster alerts".
    words = T.ngettext("Cost: alerts over {link} already stopped {count} innocent person{also}; {more} would stop "
                       "more of them too.",
                       "Cost: alerts over {link} already stopped {count} innocent people{also}; {more} would stop "
                       "more of them too.", wrongful)  # fmt: skip
    also = ""
    if refuted:
        also += T.ngettext(" and {count} of its alerts was refuted", " and {count} of its alerts were refuted",
                           refuted).format(count=format_int(refuted))  # fmt: skip
    if final is not None:
        also += T.gettext(" (its adaptive trust ended at {trust})").format(trust=format_decimal(final, 2))
    more = T.gettext("more trust") if cause == "not_trusted" else T.gettext("faster alerts")
    return " " + words.format(link=link, count=format_int(wrongful), also=also, more=more)


def _origin_cost(tables: RunTables, agencies: set[str]) -> str:
    """What a new channel from `agencies` costs: their alerts' wrongful stops so far; "" without costs."""
    if not models_costs(tables):
        return ""
    stops = tables.wrongful_stops
    origins = tables.alerts.set_index("alert")["origin"].astype(str)
    count = 0 if stops is None or stops.empty else int(stops["alert"].map(origins).isin(agencies).sum())
    return " " + T.ngettext("Cost: a new channel carries their wrong leads and name entries too (their alerts "
                            "already stopped {count} innocent person in this run).",
                            "Cost: a new channel carries their wrong leads and name entries too (their alerts "
                            "already stopped {count} innocent people in this run).", count).format(
        count=format_int(count))  # fmt: skip


def _collection_cost(tables: RunTables) -> str:
    """What wider collection costs: more watchlist entries, more namesakes; "" without costs."""
    if not models_costs(tables):
        return ""
    namesakes = int(tables.summary["wrongful_stops"]["by_kind"].get("ordinary", 0))
    if not namesakes:
        return " " + T.gettext("Cost: more watchlist entries, more chances to stop a namesake (none was stopped in "
                               "this run).")  # fmt: skip
    return " " + T.ngettext("Cost: every new watchlist entry is compared with every ordinary traveller; the entries "
                            "of this run already stopped {count} namesake.",
                            "Cost: every new watchlist entry is compared with every ordinary traveller; the entries "
                            "of this run already stopped {count} namesakes.", namesakes).format(
        count=format_int(namesakes))  # fmt: skip


def slowest_hop(alerts: Any, by_alert: Any, alert: str) -> tuple[str, str]:
    """The hop of an alert's way (origin to border) that took longest, waiting on a down link included."""
    row = by_alert.loc[alert]
    path = str(row["path"]).split(">")
    same = alerts[(alerts["subject"] == row["subject"]) & (alerts["identifier"] == row["identifier"])]
    best, hop = -1.0, (str(row["from"]), str(row["to"]))
    for i in range(len(path) - 1):
        match = same[same["path"] == ">".join(path[: i + 2])]
        if match.empty:
            continue
        taken = float(match.iloc[0]["due_hours"]) - float(match.iloc[0]["created_hours"])
        if taken > best:
            best, hop = taken, (path[i], path[i + 1])
    return hop


def _first_knowers(tables: RunTables, ids: set[str]) -> set[str]:
    events = tables.events
    learned = events[(events["kind"] == "learn") & events["traveller"].isin(ids)]
    return set(learned.sort_values("time_hours").drop_duplicates("traveller")["agency"])


def inject_effects(scenario: Any, seed: int, base: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each inject's effect: the same run (same seed, common random numbers) without that inject.

    Args:
        scenario: the scenario as run.
        seed: its seed.
        base: the summary of the run itself, when it is at hand (else it is run again).

    Returns:
        rows of `INJECT_EFFECT_COLUMNS`.
    """
    from sim.engine.one_run import run_one
    from sim.spec.scenario import scenario_from_dict

    if not scenario.injects:
        return []
    if base is None:
        base = run_one(scenario, seed, tables=False).summary
    rows = []
    for number, inject in enumerate(scenario.injects):
        raw = scenario.raw
        raw["injects"] = [x for k, x in enumerate(raw["injects"]) if k != number]
        fewer = scenario_from_dict(raw, source=scenario.source, allow_large=scenario.allow_large, quiet=True)
        without = run_one(fewer, seed, tables=False).summary
        rows.append(
            {
                "inject": number + 1,
                "day": inject.day,
                "kind": inject.kind,
                "note": inject.note or inject.subject or "",
                "detected_with": base["detected"],
                "detected_without": without["detected"],
                "difference": base["detected"] - without["detected"],
                **{f"{c}_difference": base["misses"][c] - without["misses"][c] for c in BASE_CAUSES},
                "travellers_with": base["travellers"],
                "travellers_without": without["travellers"],
                "crossed_with": base["crossed"],
                "crossed_without": without["crossed"],
                **{f"{c}_without": without["misses"][c] for c in BASE_CAUSES},
            }
        )
    return rows


def write_inject_effects(rows: list[dict[str, Any]], folder: Path) -> None:
    """Write ``injects.csv``."""
    with replacing(folder / "injects.csv") as handle:
        writer = CsvWriter(handle)
        writer.writerow(INJECT_EFFECT_COLUMNS)
        writer.writerows(dict_cells(row, INJECT_EFFECT_COLUMNS) for row in rows)


def _effect_words(row: dict[str, str]) -> str:
    """An inject's effect in words: counts, or rates of the travellers who crossed when it adds travellers."""
    if row.get("travellers_with") and row["travellers_with"] != row["travellers_without"]:
        return _rate_words(row)
    diff = int(row["difference"])
    changes = [
        T.gettext("{count} {cause}").format(count=format_int(int(row[f"{c}_difference"]), signed=True),
                                            cause=word(CAUSE_LABELS[c]))
        for c in BASE_CAUSES if int(row[f"{c}_difference"])
    ]  # fmt: skip
    if diff == 0:
        head = T.gettext("no change in detections")
    else:
        head = T.ngettext("{count} detection", "{count} detections", abs(diff)).format(
            count=format_int(diff, signed=True))
    return T.gettext("{effect} ({changes})").format(effect=head, changes=_join(changes)) if changes else head


def _rate_words(row: dict[str, str]) -> str:
    """The effect of an inject that adds travellers, as shares of the travellers who crossed (and saying so)."""
    crossed_with, crossed_without = int(row["crossed_with"]), int(row["crossed_without"])
    added = int(row["travellers_with"]) - int(row["travellers_without"])

    def share(count: str | int, crossed: int) -> float:
        return 100 * int(count) / crossed if crossed else 0.0

    rate_with = share(row["detected_with"], crossed_with)
    rate_without = share(row["detected_without"], crossed_without)
    points = rate_with - rate_without
    if round(points, 1):
        head = T.gettext("detection rate {before} → {after} ({points} pts)").format(
            before=format_percent(rate_without / 100, 0), after=format_percent(rate_with / 100, 0),
            points=format_decimal(points, 1, signed=True))  # fmt: skip
    else:
        head = T.gettext("no change in the detection rate ({rate})").format(rate=format_percent(rate_with / 100, 0))
    changes = []
    for c in BASE_CAUSES:
        without = int(row[f"{c}_without"])
        moved = share(without + int(row[f"{c}_difference"]), crossed_with) - share(without, crossed_without)
        if round(moved, 1):
            changes.append(T.gettext("{points} pts {cause}").format(points=format_decimal(moved, 1, signed=True),
                                                                    cause=word(CAUSE_LABELS[c])))  # fmt: skip
    if changes:
        head = T.gettext("{effect} ({changes})").format(effect=head, changes=_join(changes))
    return T.ngettext("{effect}; as rates of the travellers who crossed, because the inject adds {added} traveller "
                      "({more} more crossed): counts would grow with the crowd alone",
                      "{effect}; as rates of the travellers who crossed, because the inject adds {added} travellers "
                      "({more} more crossed): counts would grow with the crowd alone", added).format(
        effect=head, added=format_int(added), more=format_int(crossed_with - crossed_without))  # fmt: skip


def _meta_words(s: dict[str, Any], scenario: Any) -> str:
    """The report's line of facts: seed, days, travellers, agencies, links, injects, version."""
    days, injects = s["horizon_days"], len(scenario.injects)
    items = [
        T.gettext("Seed {seed}").format(seed=s["seed"]),
        T.ngettext("{count} day", "{count} days", round(days)).format(count=format_number(days)),
        T.ngettext("{count} traveller", "{count} travellers", s["travellers"]).format(
            count=format_int(s["travellers"])),
        T.ngettext("{count} agency", "{count} agencies", len(scenario.agencies)).format(
            count=format_int(len(scenario.agencies))),
        T.ngettext("{count} link", "{count} links", len(scenario.sharing.links)).format(
            count=format_int(len(scenario.sharing.links))),
        T.ngettext("{count} inject", "{count} injects", injects).format(count=format_int(injects)) if injects
        else T.gettext("no injects"),
        f"tabletop {s['version']}",
    ]  # fmt: skip
    return " · ".join(items)


def render_report(tables: RunTables, folder: Path, figures: dict[str, Path] | None) -> str:
    """The report's HTML, in the current language (`sim.i18n`)."""
    s, scenario = tables.summary, tables.scenario
    crossed = s["crossed"]
    meta = json.loads((folder / "run.json").read_text()) if (folder / "run.json").is_file() else {}
    varied = meta.get("overrides") or []
    title = T.gettext("After-action report: {name}").format(name=scenario.name)
    heading = escape(T.gettext("After-action report: {name}")).format(name=written(scenario.name))
    parts = [f"<h1>{heading}</h1>"]
    parts.append(f'<p class="lead">{escape(without_command_hints(scenario.description))}</p>')
    what = (T.gettext("What was varied: {changes}").format(changes=_join(varied))
            if varied else T.gettext("What was varied: nothing (the scenario as written)"))  # fmt: skip
    parts.append('<p class="meta">' + escape(_meta_words(s, scenario)) + "<br>" + escape(what) + "</p>")
    parts.append(f"<h2>{escape(T.gettext('Overview'))}</h2>")
    rate = s["detection_rate"]
    head = chain_title(s).replace(chr(10), " ").rstrip(".") + "."
    parts.append(
        f'<div class="finding"><strong>{escape(head)}</strong> '
        + escape(T.gettext("Detection rate {rate}.").format(rate=format_percent(rate, 0)) if rate is not None else "")
        + "</div>"
    )
    parts += _both_sides_html(tables)
    rows = []
    for cause in causes_in(s["misses"]):
        count = s["misses"][cause]
        extra = (T.gettext("median {hours} h late").format(hours=format_decimal(s["median_hours_late"], 1))
                 if cause == "late" and s["median_hours_late"] else "")  # fmt: skip
        rows.append([word(CAUSE_LABELS[cause]), count, _pct(count, crossed), extra])
    parts.append(f"<h3>{escape(T.gettext('Why the others got through'))}</h3>")
    parts.append(table_html([T.gettext("cause"), T.gettext("travellers"), T.gettext("of crossed"),
                             T.gettext("how late")], rows, [False, True, True, False]))  # fmt: skip
    parts.append("<p>" + escape(T.gettext(
        "“{late}” is the share of misses that faster sharing alone would have turned into detections; "
        "“{not_shared}” and “{not_trusted}” are gaps in the arrangements between agencies.").format(
        late=_capital(word(CAUSE_LABELS["late"])), not_shared=word(CAUSE_LABELS["not_shared"]),
        not_trusted=word(CAUSE_LABELS["not_trusted"]))) + "</p>")  # fmt: skip
    parts += _wrongful_stops_html(s)
    a = s["alerts"]
    alerts = T.gettext("Alerts: {sent} sent, {delivered} delivered, {lost} lost, {discarded} discarded, "
                       "{verified} verified.").format(**{k: format_int(a[k]) for k in
                                                         ("sent", "delivered", "lost", "discarded", "verified")})
    family = T.ngettext("{stopped} accompanying family member was stopped with the travellers, {not_stopped} were "
                        "not.",
                        "{stopped} accompanying family members were stopped with the travellers, {not_stopped} were "
                        "not.", s["companions_stopped"]).format(
        stopped=format_int(s["companions_stopped"]), not_stopped=format_int(s["companions_not_stopped"]))
    parts.append("<p>" + escape(f"{alerts} {family}") + "</p>")  # fmt: skip
    if "wrongful_stops" in s:
        parts.append(f"<p>{escape(_cost_words(s))}</p>")
    parts.append(f"<h2>{escape(T.gettext('Findings'))}</h2>")
    found = findings(tables)
    parts += [f'<div class="finding">{escape(f.text)}</div>' for f in found]
    measures = _measures_note(tables, found)
    if measures:
        parts.append(f"<p>{escape(measures)}</p>")
    effects = _read_csv(folder / "injects.csv")
    parts.append(f"<h2>{escape(T.gettext('Injects'))}</h2>")
    if scenario.injects:
        by_number = {int(r["inject"]): r for r in effects}
        inject_rows = []
        for number, inject in sorted(enumerate(scenario.injects, start=1), key=lambda kv: kv[1].day):
            effect = by_number.get(number)
            inject_rows.append([
                format_number(inject.day), inject_kind_words(inject.kind), inject.note or inject.subject or "",
                inject.describe(), _effect_words(effect) if effect else T.gettext("not measured"),
            ])  # fmt: skip
        parts.append(table_html([T.gettext("day"), T.gettext("kind"), T.gettext("note"), T.gettext("what happens"),
                                 T.gettext("effect on this run (same seed, without it)")], inject_rows,
                                written=[False, False, True, False, False]))  # fmt: skip
    else:
        parts.append(f"<p>{escape(T.gettext('No injects: the scenario runs as written.'))}</p>")
    if scenario.injects:
        parts.append(f"<h3>{escape(T.gettext('Exercise Evaluation Guide'))}</h3>")
        parts.append(table_html([T.gettext("inject"), T.gettext("expected action"), T.gettext("what the agency did"),
                                 T.gettext("effect on detections")], evaluation_guide(tables, effects),
                                written=[False, True, False, False]))  # fmt: skip
    play = json.loads((folder / "play.json").read_text()) if (folder / "play.json").is_file() else None
    if play:
        parts += _play_html(play)
    parts += teams_html(folder)
    parts.append(f"<h2>{escape(T.gettext('Figures'))}</h2>")
    if figures:
        from sim.debrief.run_figures import RUN_FIGURES  # the figures were drawn: matplotlib is loaded already

        for entry in RUN_FIGURES:
            if entry.name in figures:
                parts.append(figure_html(png_data_uri(figures[entry.name].read_bytes()), T.gettext(entry.caption)))
    else:
        parts.append("<p>" + escape(T.gettext("Figures were not drawn for this run ({option}); {command} draws them."))
                     .format(option="<code>--no-plots</code>", command="<code>tabletop report DIR</code>")
                     + "</p>")  # fmt: skip
    parts.append(f"<h2>{escape(T.gettext('Improvement plan'))}</h2>")
    parts.append(table_html([T.gettext("finding"), T.gettext("corrective action"), T.gettext("agency")],
                            [[f.text, f.action, f.agency] for f in found]))  # fmt: skip
    return page(title, "\n".join(parts))


def _play_html(play: dict[str, Any]) -> list[str]:
    """The section of a game (``play.json``): the player's decisions against the scenario's policy."""
    heading = escape(T.gettext("Your decisions as {agency}").format(agency=play["agency"]))
    text = T.ngettext("{decisions} decision, {changed} of them different from the scenario's policy. With your "
                      "choices {played} travellers were stopped; with the scenario's policy, on the same seed (the "
                      "same travellers and draws), {default}.",
                      "{decisions} decisions, {changed} of them different from the scenario's policy. With your "
                      "choices {played} travellers were stopped; with the scenario's policy, on the same seed (the "
                      "same travellers and draws), {default}.", play["decisions"]).format(
        decisions=format_int(play["decisions"]), changed=format_int(play["changed_decisions"]),
        played=format_int(play["detected_played"]), default=format_int(play["detected_default"]))  # fmt: skip
    if "wrongful_stops_played" in play:
        text += " " + T.gettext("Innocent people stopped (wrongful stops): {played} with your choices, {default} "
                                "with the policy.").format(played=format_int(play["wrongful_stops_played"]),
                                                           default=format_int(play["wrongful_stops_default"]))
    parts = [f"<h2>{heading}</h2>", f"<p>{escape(text)}</p>"]
    # The sentences were written by `tabletop play` when the game was played (sim.exercise.play), in its language.
    parts += [f'<div class="finding">{escape(sentence)}</div>' for sentence in play["sentences"][:40]]
    if not play["sentences"]:
        unchanged = T.gettext("Your choices changed no traveller's outcome.")
        parts.append(f"<p>{escape(unchanged)}</p>")
    return parts


TEAMS_FILE = "teams.json"
"""The section per team of a live exercise: data built by the exercise layer (`sim.exercise.room_report`)."""


def teams_html(folder: Path) -> list[str]:
    """The report's section per team of a live exercise, from ``teams.json`` (none for other runs).

    The exercise layer builds the section's words (headings, paragraphs, findings, tables of text);
    this draws them, escaping every string.
    """
    path = folder / TEAMS_FILE
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("sections", []), list):
            raise ValueError("not the teams' section of a report")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), None, "", f"cannot be read: {exc}")]) from None
    parts = [f"<h2>{escape(str(data.get('title', '')))}</h2>", f"<p>{escape(str(data.get('intro', '')))}</p>"]
    for section in data.get("sections", []):
        parts.append(f"<h3>{escape(str(section.get('heading', '')))}</h3>")
        parts += [f"<p>{escape(str(text))}</p>" for text in section.get("paragraphs", [])]
        parts += [f'<div class="finding">{escape(str(text))}</div>' for text in section.get("findings", [])]
        for table in section.get("tables", []):
            parts.append(f"<h4>{escape(str(table.get('caption', '')))}</h4>")
            columns = [str(c) for c in table.get("columns", [])]
            rows = [[str(cell) for cell in row] for row in table.get("rows", [])]
            parts.append(table_html(columns, rows) if rows else "<p>-</p>")
    return parts


def _cost_words(s: dict[str, Any]) -> str:
    """The overview's sentence on the cost of sharing (a scenario that models it)."""
    stops = s["wrongful_stops"]
    innocents = s.get("innocent_subjects", {})
    precision = s.get("stop_precision")
    total = stops["total"]
    if innocents.get("total"):
        words = T.ngettext("Wrongful stops: {count} innocent person was stopped ({wrongly} of the {subjects} innocent "
                           "subjects of wrong leads, {refuted} wrong alerts refuted by verification).",
                           "Wrongful stops: {count} innocent people were stopped ({wrongly} of the {subjects} "
                           "innocent subjects of wrong leads, {refuted} wrong alerts refuted by verification).",
                           total).format(count=format_int(total), wrongly=format_int(innocents["wrongly_stopped"]),
                                         subjects=format_int(innocents["total"]),
                                         refuted=format_int(s["alerts"].get("refuted", 0)))  # fmt: skip
    else:
        words = T.ngettext("Wrongful stops: {count} innocent person was stopped.",
                           "Wrongful stops: {count} innocent people were stopped.", total).format(
            count=format_int(total))  # fmt: skip
    if precision is not None:
        words += " " + T.gettext("Of everyone stopped, {share} were persons of interest.").format(
            share=format_percent(precision, 0))
    for link, trust in s.get("trust_final", {}).items():
        words += " " + T.gettext("Trust on {link} ended at {trust}.").format(link=link, trust=format_decimal(trust, 2))
    return words


def evaluation_guide(tables: RunTables, effects: list[dict[str, str]]) -> list[list[str]]:
    """Rows of the Exercise Evaluation Guide: inject, expected action, what the agency did, effect."""
    by_number = {int(r["inject"]): r for r in effects}
    rows = []
    for number, inject in sorted(enumerate(tables.scenario.injects, start=1), key=lambda kv: kv[1].day):
        effect = by_number.get(number)
        effect_text = _effect_words(effect) if effect else T.gettext("not measured")
        title = T.gettext("day {day}: {note}").format(day=format_number(inject.day),
                                                      note=inject.note or inject.subject or inject_kind_words(
                                                          inject.kind))  # fmt: skip
        rows.append([title, inject.expected_action or "-", inject.what_was_done(tables), effect_text])
    return rows


def write_report(folder: str | Path, plots: bool = True) -> Path:
    """(Re)draw the figures (unless `plots` is false) and write ``report.html`` from a run folder's tables."""
    folder = Path(folder)
    tables = RunTables.from_folder(folder)
    figures = None
    if plots:
        from sim.debrief.run_figures import draw_run_figures  # matplotlib only when figures are drawn

        figures = draw_run_figures(tables, folder / "figures")
    path = folder / "report.html"
    write_text(path, render_report(tables, folder, figures))
    return path


def is_run_folder(folder: Path) -> bool:
    """Whether `folder` holds a run (as opposed to a comparison or a sweep)."""
    return (folder / "summary.json").is_file() and (folder / "travellers.csv").is_file()


INJECT_EFFECTS_MAX_TRAVELLERS = 20_000
"""Above this many travellers, the effect of each inject (one more run per inject) is not measured."""


def debrief(
    folder: str | Path, scenario: Any, seed: int, plots: bool = True, base: dict[str, Any] | None = None
) -> Path:
    """After a run folder is written: measure each inject's effect, draw the figures, write the report.

    Args:
        folder: the run folder.
        scenario: the scenario as run.
        seed: its seed.
        plots: draw the figures.
        base: the run's summary under the scenario's own policy, if at hand (saves running it again).
    """
    from sim.spec.scenario import traveller_total

    folder = Path(folder)
    if scenario.injects and traveller_total(scenario) <= INJECT_EFFECTS_MAX_TRAVELLERS:
        write_inject_effects(inject_effects(scenario, seed, base), folder)
    return write_report(folder, plots=plots)


def _both_sides_html(tables: RunTables) -> list[str]:
    """The overview's two sides, at each border agency: persons of interest stopped against innocent people stopped.

    Only for a run that models the cost of sharing; else nothing (the report is as before).
    """
    if not models_costs(tables):
        return []
    wide = stops_by(tables, "agency")
    innocent = [k for k in STOP_KINDS if k != "of_interest"]
    detected, wrongful = int(wide["of_interest"].sum()), int(wide[innocent].to_numpy().sum())
    rows = [[agency, int(row["of_interest"]), int(row[innocent].sum()), *[int(row[k]) for k in innocent]]
            for agency, row in wide.iterrows()]  # fmt: skip
    rows.append([T.gettext("all border agencies"), detected, wrongful, *[int(wide[k].sum()) for k in innocent]])
    precision = tables.summary.get("stop_precision")
    if precision is not None:
        head = T.ngettext("Both sides: {detected} persons of interest stopped, and {wrongful} innocent person stopped "
                          "wrongly (stop precision {precision}).",
                          "Both sides: {detected} persons of interest stopped, and {wrongful} innocent people stopped "
                          "wrongly (stop precision {precision}).", wrongful)  # fmt: skip
    else:
        head = T.ngettext("Both sides: {detected} persons of interest stopped, and {wrongful} innocent person stopped "
                          "wrongly.",
                          "Both sides: {detected} persons of interest stopped, and {wrongful} innocent people stopped "
                          "wrongly.", wrongful)  # fmt: skip
    head = head.format(detected=format_int(detected), wrongful=format_int(wrongful),
                       precision=format_percent(precision or 0, 0))  # fmt: skip
    return [
        f'<div class="finding"><strong>{escape(head)}</strong></div>',
        table_html([T.gettext("border agency"), T.gettext("persons of interest stopped"),
                    T.gettext("innocent people stopped"), *[word(STOP_LABELS[k]) for k in innocent]], rows,
                   [False, *[True] * (2 + len(innocent))]),
    ]  # fmt: skip


def _wrongful_stops_html(s: dict[str, Any]) -> list[str]:
    """The cost side's table (wrongful stops by agency and kind), when the scenario models it; else nothing."""
    stops = s.get("wrongful_stops")
    if stops is None:
        return []
    kinds = {"ordinary": T.gettext("ordinary traveller (namesake)"),
             "innocent_subject": T.gettext("subject of a wrong lead"), "pnr": T.gettext("flagged by PNR rules")}
    rows = [[kinds.get(kind, kind), count] for kind, count in stops["by_kind"].items()]
    rows += [[T.gettext("at {agency}").format(agency=agency), count] for agency, count in stops["by_agency"].items()]
    precision = s.get("stop_precision")
    crossings = s.get("ordinary_crossings", {}).get("total", 0)
    total = stops["total"]
    if precision is not None:
        text = T.ngettext("{count} wrongful stop among {crossings} ordinary crossings; stop precision {precision}: "
                          "the share of the people stopped who were persons of interest.",
                          "{count} wrongful stops among {crossings} ordinary crossings; stop precision {precision}: "
                          "the share of the people stopped who were persons of interest.", total)  # fmt: skip
    else:
        text = T.ngettext("{count} wrongful stop among {crossings} ordinary crossings.",
                          "{count} wrongful stops among {crossings} ordinary crossings.", total)  # fmt: skip
    text = text.format(count=format_int(total), crossings=format_int(crossings),
                       precision=format_percent(precision or 0, 0))  # fmt: skip
    text += " " + T.gettext("{file} names, for each namesake, the entry they were taken for and the alert behind "
                            "it.").format(file="wrongful_stops.csv")  # fmt: skip
    return [
        f"<h3>{escape(T.gettext('The cost: innocent people stopped'))}</h3>",
        table_html([T.gettext("wrongful stops"), T.gettext("people")], [[T.gettext("all"), total], *rows],
                   [False, True]),
        f"<p>{escape(text)}</p>",
    ]  # fmt: skip
