"""The after-action report of a run: one self-contained HTML page, written from the run's tables.

Shaped like an exercise after-action report: overview, findings written from
the numbers, the figures, the inject timeline, and an improvement plan (each
finding, a suggested corrective action, the agency it concerns).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.debrief.html_page import escape, figure_html, page, png_data_uri, table_html
from sim.debrief.run_tables import (
    LONGEST_HOP_MEASURE,
    SLOWEST_LINK_MEASURE,
    STOP_KINDS,
    RunTables,
    chain_title,
    models_costs,
    slowest_link,
    stops_by,
    wrongful_stop_groups,
)
from sim.errors import Problem, ScenarioError
from sim.safe_text import CsvWriter, dict_cells, read_csv_rows
from sim.spec.output_files import replacing, write_text
from sim.vocabulary import BASE_CAUSES, CAUSE_LABELS, STOP_LABELS, causes_in

INJECT_EFFECT_COLUMNS = ["inject", "day", "kind", "note", "detected_with", "detected_without", "difference",
                         *[f"{c}_difference" for c in BASE_CAUSES], "travellers_with", "travellers_without",
                         "crossed_with", "crossed_without", *[f"{c}_without" for c in BASE_CAUSES]]  # fmt: skip
"""Columns of ``injects.csv``: each inject's effect, measured against the same run without it.

The travellers and crossings with and without it tell an inject that adds travellers (a
surge), whose effect the report gives as rates: more travellers mean more detections and
more misses, whatever the arrangements."""

ACTIONS = {
    "late": "Cut the delay on {link}: a direct secure channel, a 24/7 duty desk, or automatic forwarding.",
    "not_trusted": "Agree a trust framework with {sender} (liaison officers, a verification procedure) "
    "so that {receiver} acts on its alerts.",
    "not_shared": "Give {agencies} a channel to the border agencies of the countries the travellers cross, "
    "directly or through a regional hub.",
    "no_intel": "Widen collection on {groups}: no agency knew about these travellers before they crossed.",
    "screening_fraud": "Share biometric identifiers: name and document alerts cannot match a traveller on "
    "fraudulent documents.",
    "screening": "Review screening at {agencies}: accepted alerts did not produce a match.",
}


@dataclass
class Finding:
    """One finding of the report, with its corrective action."""

    text: str
    action: str
    agency: str


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return read_csv_rows(handle)


def _travellers(count: int) -> str:
    """``1 traveller``, ``4 travellers``."""
    return f"{count} traveller" + ("" if count == 1 else "s")


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def _count(n: int, word: str) -> str:
    """``no injects``, ``1 inject``, ``3 injects``."""
    return f"no {word}s" if n == 0 else f"{n} {word}" + ("" if n == 1 else "s")


COMMAND_HINT = re.compile(r"\s*\([^()]*(?:--[a-z]|\btabletop\s)[^()]*\)|\s*`[^`]*(?:--[a-z]|\btabletop\s)[^`]*`")
"""A parenthesis or a code span that tells how to run something (``(try --set sharing.delay_scale=0)``)."""


def without_command_hints(text: str) -> str:
    """A scenario's description for participants: without its hints for whoever runs the command line."""
    return COMMAND_HINT.sub("", text).strip()


def _measures_note(tables: RunTables, found: list[Finding]) -> str:
    """When the late findings' longest hop is not the figures' slowest link, what each of them measures."""
    hops = {m.group(1) for f in found if (m := re.search(r"longest hop on the alert's way was (.+?)\.$", f.text))}
    slowest = slowest_link(tables.alerts)
    if not hops or slowest is None or f"{slowest[0]} → {slowest[1]}" in hops:
        return ""
    return (f"Two measures: a finding's “longest hop on the alert's way” is, for the alerts that came too late, "
            f"{LONGEST_HOP_MEASURE}; the network figure's “slowest link” ({slowest[0]} → {slowest[1]}, "
            f"{slowest[2]:.0f} h) is the link with the highest {SLOWEST_LINK_MEASURE}.")  # fmt: skip


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
            if cause == "late":
                late = group["hours_late"].median()
                text = (f"{_travellers(len(group))} crossed before the alert reached the border "
                        f"(median {late:.0f} h late); the longest hop on the alert's way was {link}.")  # fmt: skip
                action = ACTIONS["late"].format(link=link) + _link_cost(tables, sender, receiver, "late")
                out.append(Finding(text, action, sender))
            else:
                text = (
                    f"{_travellers(len(group))} got through because {receiver} did not trust the alert from {sender}."
                )
                action = ACTIONS["not_trusted"].format(sender=sender, receiver=receiver)
                out.append(Finding(text, action + _link_cost(tables, sender, receiver, "not_trusted"), receiver))
    not_shared = missed[missed["cause"] == "not_shared"]
    if len(not_shared):
        knowers = _first_knowers(tables, set(not_shared["id"]))
        names = ", ".join(sorted(knowers)) or "the agencies that knew"
        text = f"{len(not_shared)} travellers were known to {names} but no alert was ever on its way to the border."
        out.append(Finding(text, ACTIONS["not_shared"].format(agencies=names) + _origin_cost(tables, knowers), names))
    no_intel = missed[missed["cause"] == "no_intel"]
    if len(no_intel):
        groups = ", ".join(f"{g} ({n})" for g, n in no_intel["group"].value_counts().items())
        text = f"{len(no_intel)} travellers were unknown to every agency when they crossed: {groups}."
        agencies = ", ".join(a.id for a in tables.scenario.agencies if a.kind == "intelligence") or "intelligence"
        out.append(Finding(text, ACTIONS["no_intel"].format(groups=groups) + _collection_cost(tables), agencies))
    screening = missed[missed["cause"] == "screening_miss"]
    if len(screening):
        fraud = int((screening["documents"] == "fraudulent").sum())
        borders = ", ".join(sorted(set(screening["cause_country"].dropna())))
        text = (f"{len(screening)} travellers were on a watchlist at the border but the check failed"
                f" ({fraud} of them on fraudulent documents).")  # fmt: skip
        if fraud >= len(screening) / 2:
            out.append(Finding(text, ACTIONS["screening_fraud"], "all agencies that share"))
        else:
            out.append(Finding(text, ACTIONS["screening"].format(agencies=f"the borders of {borders}"), borders))
    out += wrongful_stop_findings(tables)
    lost = summary["alerts"]["lost"]
    if lost:
        out.append(Finding(f"{lost} alerts were lost on the way.", "Make the channels reliable (acknowledgements, "
                           "retries) on the links that lose messages.", "senders"))  # fmt: skip
    if not out and crossed:
        out.append(Finding("Every traveller who crossed was stopped.", "Keep the current arrangements.", "all"))
    return out


def _people(count: int, word: str = "innocent people") -> str:
    """``1 innocent person``, ``3 innocent people`` (or another plural `word` given whole)."""
    if word == "innocent people":
        return f"{count:,} innocent " + ("person" if count == 1 else "people")
    return f"{count:,} {word}"


ENTRY_WORDS = {"name": "name-only entries", "document": "document entries", "biometric": "biometric entries"}
"""A watchlist entry by the strongest identifier it holds, in a namesake finding's words."""

STOP_ACTIONS = {
    "ordinary": "Share stronger identifiers than {identifiers} with {agency} (documents, biometrics: they match "
    "strangers far more rarely) and keep entries no longer than needed. Cost: shorter retention lets "
    "persons of interest through on expired entries; biometrics need an agreement to share them.",
    "innocent_subject": "Have {agency} verify alerts from {sender} before stopping anyone (a check that can refute "
    "them). Cost: verification takes hours, so some persons of interest cross before it ends (late misses).",
    "verified": "{agency} already verifies some alerts from {sender} ({refuted} refuted): verify more of them "
    "(trust {sender} less) or with a better check. Cost: verification takes hours, so some persons of interest "
    "cross before it ends (late misses).",
    "pnr": "Tune the PNR risk rules at {agency}: they flag ordinary travellers. Cost: fewer flags also find fewer "
    "persons of interest nobody knew.",
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
            what = {
                "ordinary": f"namesakes of {ENTRY_WORDS.get(str(identifier), f'{identifier} entries')}",
                "innocent_subject": f"subject{'s' if n != 1 else ''} of wrong leads matched by {identifier}",
                "pnr": "ordinary travellers flagged by PNR rules",
            }.get(str(kind), f"{kind} ({identifier})")
            parts.append((int(n), what))
        if len(parts) == 1:
            detail = f"all {parts[0][1]}"
        else:
            detail = "; ".join(f"{n:,}{' of them' if k == 0 else ''} {what}" for k, (n, what) in enumerate(parts))
        if sender:
            text = f"Acting on alerts from {sender}, {agency} stopped {_people(total)} ({detail})."
        elif set(group["by_kind"]) == {"pnr"}:
            text = f"PNR rules at {agency} stopped {_people(total)} ({detail})."
        else:
            text = f"Acting on its own intelligence, {agency} stopped {_people(total)} ({detail})."
        kind = max(group["by_kind"], key=lambda k: (group["by_kind"][k], k))
        named = [i for i in rows.loc[rows["kind"] == "ordinary", "identifier"].value_counts().index]
        identifiers = " and ".join(map(str, named)) or "names"
        refuted = _refuted_on(tables, sender, agency)
        if kind == "innocent_subject" and refuted:
            kind = "verified"
        action = STOP_ACTIONS.get(kind, STOP_ACTIONS["innocent_subject"]).format(
            agency=agency, sender=sender or f"{agency}'s own sources", identifiers=identifiers, refuted=refuted
        )
        out.append(Finding(text, action, agency))
    return out


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
    more = "more trust" if cause == "not_trusted" else "faster alerts"
    if not wrongful and not refuted:
        return f" Cost: none seen in this run (no alert over {sender} → {receiver} stopped an innocent person)."
    words = f" Cost: alerts over {sender} → {receiver} already stopped {_people(wrongful)}"
    if refuted:
        words += f" and {refuted} of its alerts were refuted"
    if final is not None:
        words += f" (its adaptive trust ended at {final:.2f})"
    return words + f"; {more} would stop more of them too."


def _origin_cost(tables: RunTables, agencies: set[str]) -> str:
    """What a new channel from `agencies` costs: their alerts' wrongful stops so far; "" without costs."""
    if not models_costs(tables):
        return ""
    stops = tables.wrongful_stops
    origins = tables.alerts.set_index("alert")["origin"].astype(str)
    count = 0 if stops is None or stops.empty else int(stops["alert"].map(origins).isin(agencies).sum())
    return (f" Cost: a new channel carries their wrong leads and name entries too (their alerts already stopped "
            f"{_people(count)} in this run).")  # fmt: skip


def _collection_cost(tables: RunTables) -> str:
    """What wider collection costs: more watchlist entries, more namesakes; "" without costs."""
    if not models_costs(tables):
        return ""
    namesakes = int(tables.summary["wrongful_stops"]["by_kind"].get("ordinary", 0))
    if not namesakes:
        return " Cost: more watchlist entries, more chances to stop a namesake (none was stopped in this run)."
    return (f" Cost: every new watchlist entry is compared with every ordinary traveller; the entries of this run "
            f"already stopped {_people(namesakes, 'namesakes')}.")  # fmt: skip


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
        f"{int(row[f'{c}_difference']):+d} {CAUSE_LABELS[c]}" for c in BASE_CAUSES if int(row[f"{c}_difference"])
    ]
    head = "no change in detections" if diff == 0 else f"{diff:+d} detections"
    return head + (" (" + ", ".join(changes) + ")" if changes else "")


def _rate_words(row: dict[str, str]) -> str:
    """The effect of an inject that adds travellers, as shares of the travellers who crossed (and saying so)."""
    crossed_with, crossed_without = int(row["crossed_with"]), int(row["crossed_without"])
    added = int(row["travellers_with"]) - int(row["travellers_without"])

    def share(count: str | int, crossed: int) -> float:
        return 100 * int(count) / crossed if crossed else 0.0

    rate_with = share(row["detected_with"], crossed_with)
    rate_without = share(row["detected_without"], crossed_without)
    points = rate_with - rate_without
    head = (f"detection rate {rate_without:.0f}% → {rate_with:.0f}% ({points:+.1f} pts)" if round(points, 1)
            else f"no change in the detection rate ({rate_with:.0f}%)")  # fmt: skip
    changes = []
    for c in BASE_CAUSES:
        without = int(row[f"{c}_without"])
        moved = share(without + int(row[f"{c}_difference"]), crossed_with) - share(without, crossed_without)
        if round(moved, 1):
            changes.append(f"{moved:+.1f} pts {CAUSE_LABELS[c]}")
    return (head + (" (" + ", ".join(changes) + ")" if changes else "")
            + f"; as rates of the travellers who crossed, because the inject adds {added} travellers "
            f"({crossed_with - crossed_without} more crossed): counts would grow with the crowd alone")  # fmt: skip


def render_report(tables: RunTables, folder: Path, figures: dict[str, Path] | None) -> str:
    """The report's HTML."""
    s, scenario = tables.summary, tables.scenario
    crossed = s["crossed"]
    meta = json.loads((folder / "run.json").read_text()) if (folder / "run.json").is_file() else {}
    varied = meta.get("overrides") or []
    parts = [f"<h1>After-action report: {escape(scenario.name)}</h1>"]
    parts.append(f'<p class="lead">{escape(without_command_hints(scenario.description))}</p>')
    parts.append(
        '<p class="meta">'
        + escape(f"Seed {s['seed']} · {s['horizon_days']:g} days · {s['travellers']} travellers · "
                 f"{len(scenario.agencies)} agencies · {len(scenario.sharing.links)} links · "
                 f"{_count(len(scenario.injects), 'inject')} · tabletop {s['version']}")
        + "<br>"
        + escape("What was varied: " + (", ".join(varied) if varied else "nothing (the scenario as written)"))
        + "</p>"
    )  # fmt: skip
    parts.append("<h2>Overview</h2>")
    rate = s["detection_rate"]
    parts.append(
        f'<div class="finding"><strong>{escape(chain_title(s).replace(chr(10), " ").rstrip(".") + ".")}</strong> '
        + escape(f"Detection rate {rate:.0%}." if rate is not None else "")
        + "</div>"
    )
    parts += _both_sides_html(tables)
    rows = []
    for cause in causes_in(s["misses"]):
        count = s["misses"][cause]
        extra = f"median {s['median_hours_late']:.1f} h late" if cause == "late" and s["median_hours_late"] else ""
        rows.append([CAUSE_LABELS[cause], count, _pct(count, crossed), extra])
    parts.append("<h3>Why the others got through</h3>")
    parts.append(table_html(["cause", "travellers", "of crossed", "how late"], rows, [False, True, True, False]))
    parts.append(
        "<p>“Alert came too late” is the share of misses that faster sharing alone would have turned into "
        "detections; “known, but not shared” and “alert not trusted” are gaps in the arrangements between agencies.</p>"
    )
    parts += _wrongful_stops_html(s)
    a = s["alerts"]
    parts.append(
        "<p>"
        + escape(f"Alerts: {a['sent']} sent, {a['delivered']} delivered, {a['lost']} lost, {a['discarded']} discarded, "
                 f"{a['verified']} verified. {s['companions_stopped']} accompanying family members were stopped with "
                 f"the travellers, {s['companions_not_stopped']} were not.")
        + "</p>"
    )  # fmt: skip
    if "wrongful_stops" in s:
        parts.append(f"<p>{escape(_cost_words(s))}</p>")
    parts.append("<h2>Findings</h2>")
    found = findings(tables)
    parts += [f'<div class="finding">{escape(f.text)}</div>' for f in found]
    measures = _measures_note(tables, found)
    if measures:
        parts.append(f"<p>{escape(measures)}</p>")
    effects = _read_csv(folder / "injects.csv")
    parts.append("<h2>Injects</h2>")
    if scenario.injects:
        by_number = {int(r["inject"]): r for r in effects}
        inject_rows = []
        for number, inject in sorted(enumerate(scenario.injects, start=1), key=lambda kv: kv[1].day):
            effect = by_number.get(number)
            inject_rows.append([
                f"{inject.day:g}", inject.kind.replace("_", " "), inject.note or inject.subject or "",
                inject.describe(), _effect_words(effect) if effect else "not measured",
            ])  # fmt: skip
        parts.append(table_html(["day", "kind", "note", "what happens", "effect on this run (same seed, without it)"],
                                inject_rows))  # fmt: skip
    else:
        parts.append("<p>No injects: the scenario runs as written.</p>")
    if scenario.injects:
        parts.append("<h3>Exercise Evaluation Guide</h3>")
        parts.append(table_html(["inject", "expected action", "what the agency did", "effect on detections"],
                                evaluation_guide(tables, effects)))  # fmt: skip
    play = json.loads((folder / "play.json").read_text()) if (folder / "play.json").is_file() else None
    if play:
        parts.append(f"<h2>Your decisions as {escape(play['agency'])}</h2>")
        parts.append(
            "<p>" + escape(
                f"{play['decisions']} decisions, {play['changed_decisions']} of them different from the scenario's "
                f"policy. With your choices {play['detected_played']} travellers were stopped; with the scenario's "
                f"policy, on the same seed (the same travellers and draws), {play['detected_default']}."
                + (f" Innocent people stopped (wrongful stops): {play['wrongful_stops_played']} with your choices, "
                   f"{play['wrongful_stops_default']} with the policy." if "wrongful_stops_played" in play else "")
            ) + "</p>"
        )  # fmt: skip
        parts += [f'<div class="finding">{escape(sentence)}</div>' for sentence in play["sentences"][:40]]
        if not play["sentences"]:
            parts.append("<p>Your choices changed no traveller's outcome.</p>")
    parts += teams_html(folder)
    parts.append("<h2>Figures</h2>")
    if figures:
        from sim.debrief.run_figures import RUN_FIGURES  # the figures were drawn: matplotlib is loaded already

        for entry in RUN_FIGURES:
            if entry.name in figures:
                parts.append(figure_html(png_data_uri(figures[entry.name].read_bytes()), entry.caption))
    else:
        parts.append("<p>Figures were not drawn for this run (<code>--no-plots</code>); "
                     "<code>tabletop report DIR</code> draws them.</p>")  # fmt: skip
    parts.append("<h2>Improvement plan</h2>")
    parts.append(table_html(["finding", "corrective action", "agency"], [[f.text, f.action, f.agency] for f in found]))
    return page(f"After-action report: {scenario.name}", "\n".join(parts))


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
    words = f"Wrongful stops: {stops['total']} innocent people were stopped"
    if innocents.get("total"):
        words += (
            f" ({innocents['wrongly_stopped']} of the {innocents['total']} innocent subjects of wrong leads"
            f", {s['alerts'].get('refuted', 0)} wrong alerts refuted by verification)"
        )
    words += "."
    if precision is not None:
        words += f" Of everyone stopped, {precision:.0%} were persons of interest."
    for link, trust in s.get("trust_final", {}).items():
        words += f" Trust on {link} ended at {trust:.2f}."
    return words


def evaluation_guide(tables: RunTables, effects: list[dict[str, str]]) -> list[list[str]]:
    """Rows of the Exercise Evaluation Guide: inject, expected action, what the agency did, effect."""
    by_number = {int(r["inject"]): r for r in effects}
    rows = []
    for number, inject in sorted(enumerate(tables.scenario.injects, start=1), key=lambda kv: kv[1].day):
        effect = by_number.get(number)
        effect_text = _effect_words(effect) if effect else "not measured"
        title = f"day {inject.day:g}: {inject.note or inject.subject or inject.kind}"
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
    rows.append(["all border agencies", detected, wrongful, *[int(wide[k].sum()) for k in innocent]])
    precision = tables.summary.get("stop_precision")
    head = (f"Both sides: {detected:,} persons of interest stopped, and {_people(wrongful)} stopped wrongly"
            + (f" (stop precision {precision:.0%})." if precision is not None else "."))  # fmt: skip
    return [
        f'<div class="finding"><strong>{escape(head)}</strong></div>',
        table_html(["border agency", "persons of interest stopped", "innocent people stopped",
                    *[STOP_LABELS[k] for k in innocent]], rows, [False, *[True] * (2 + len(innocent))]),
    ]  # fmt: skip


def _wrongful_stops_html(s: dict[str, Any]) -> list[str]:
    """The cost side's table (wrongful stops by agency and kind), when the scenario models it; else nothing."""
    stops = s.get("wrongful_stops")
    if stops is None:
        return []
    kinds = {"ordinary": "ordinary traveller (namesake)", "innocent_subject": "subject of a wrong lead",
             "pnr": "flagged by PNR rules"}  # fmt: skip
    rows = [[kinds.get(kind, kind), count] for kind, count in stops["by_kind"].items()]
    rows += [[f"at {agency}", count] for agency, count in stops["by_agency"].items()]
    precision = s.get("stop_precision")
    crossings = s.get("ordinary_crossings", {}).get("total", 0)
    return [
        "<h3>The cost: innocent people stopped</h3>",
        table_html(["wrongful stops", "people"], [["all", stops["total"]], *rows], [False, True]),
        "<p>"
        + escape(
            f"{stops['total']} wrongful stops among {crossings:,} ordinary crossings"
            + (f"; stop precision {precision:.0%}: the share of the people stopped who were persons of interest."
               if precision is not None else ".")
        )
        + " wrongful_stops.csv names, for each namesake, the entry they were taken for and the alert behind it.</p>",
    ]  # fmt: skip

