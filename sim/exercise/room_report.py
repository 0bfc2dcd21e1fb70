"""The hotwash's section per team: its decisions, their effect, the inject evaluation guide filled in.

Built here, in the exercise layer, as plain data (``teams.json`` in the run folder: headings,
paragraphs, findings and tables of text); `sim.debrief.run_report` draws it into the report
without knowing what a team is. Every string a participant reads goes through the ``room``
translation domain (`sim.i18n`); the sentences on travellers come from `sim.exercise.play`
(the game's debrief, reused: `what_changed`).

The effect is that of every team's choices together against the scenario's policy on the same
seed, with the injects released at the same times: a traveller whose outcome changed counts with
the team whose choice on them, different from the policy, came first.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from sim.debrief.run_report import debrief
from sim.engine.decisions import Record
from sim.engine.one_run import write_run_folder, write_run_metadata
from sim.exercise.play import Game, clock, what_changed
from sim.exercise.room_record import EXERCISE_FILE, TEAMS_FILE, ExerciseText, Hotwash, Team
from sim.i18n import format_int, translator
from sim.spec.output_files import write_text

T = translator("room")

MAX_ROWS = 300
"""Decisions listed per team in the report (the decisions file holds them all)."""


def _by_words() -> dict[str, str]:
    return {
        "team": T.gettext("the team"),
        "timeout": T.gettext("the policy (countdown ran out)"),
        "policy": T.gettext("the policy (seat empty, or after the stop)"),
        "order": T.gettext("a standing order"),
    }


def _choice_words(record: Record) -> str:
    choice = record.choice
    if choice.action == "share" and choice.links is not None:
        return T.gettext("share on {links}").format(links=", ".join(choice.links) or T.gettext("no link"))
    return {
        "share": T.gettext("share"), "verify": T.gettext("verify"), "hold": T.gettext("hold"),
        "act": T.gettext("act"), "discard": T.gettext("discard"),
    }[choice.action]  # fmt: skip


def _first_touch(teams: list[Team]) -> dict[str, str]:
    """Traveller -> the agency whose decision on them, different from the policy, came first."""
    differing = sorted(
        ((point.time, n, team.agency, point.traveller)
         for team in teams for n, (point, choice, _) in enumerate(team.player.history)
         if not Record(point, choice).is_default),
    )  # fmt: skip
    first: dict[str, str] = {}
    for _, _, agency, traveller in differing:
        first.setdefault(traveller, agency)
    return first


def _release_hours(hotwash: Hotwash) -> dict[int, float]:
    return {release.inject - 1: release.day * 24.0 for release in hotwash.released}


def _guide(hotwash: Hotwash, team: Team) -> list[list[str]]:
    """The inject evaluation guide for one team: each inject, what was expected, what the team did after it."""
    scenario = hotwash.scenario
    released = _release_hours(hotwash)
    order = sorted(range(len(scenario.injects)), key=lambda n: (released.get(n, float("inf")), n))
    times = [released[n] for n in order if n in released]
    by = _by_words()
    rows = []
    for n in order:
        inject = scenario.injects[n]
        title = T.gettext("inject {number}, day {day}: {what}").format(
            number=n + 1, day=f"{inject.day:g}", what=inject.note or inject.subject or inject.kind)
        if n not in released:
            rows.append([title, inject.expected_action or "-", inject.objective or "-", T.gettext("not released"),
                         "-"])  # fmt: skip
            continue
        start = released[n]
        later = [t for t in times if t > start]
        end = later[0] if later else float("inf")
        taken = [(point, choice, who) for point, choice, who in team.player.history if start <= point.time < end]
        when = clock(start)
        if taken:
            counts = Counter(who for _, _, who in taken)
            choices = Counter(_choice_words(Record(point, choice)) for point, choice, _ in taken)
            changed = sum(1 for point, choice, _ in taken if not Record(point, choice).is_default)
            did = T.ngettext("{count} decision before the next inject", "{count} decisions before the next inject",
                             len(taken)).format(count=format_int(len(taken)))  # fmt: skip
            did += " (" + ", ".join(f"{word} {format_int(k)}" for word, k in sorted(choices.items())) + "); "
            did += T.ngettext("{count} differs from the policy", "{count} differ from the policy", changed).format(
                count=format_int(changed))
            did += "; " + ", ".join(f"{by[who]}: {format_int(k)}" for who, k in sorted(counts.items())) + "."
        else:
            did = T.gettext("No decision before the next inject.")
        rows.append([title, inject.expected_action or "-", inject.objective or "-", when, did])
    return rows


def _decision_rows(team: Team) -> list[list[str]]:
    by = _by_words()
    rows = []
    for point, choice, who in team.player.history[:MAX_ROWS]:
        record = Record(point, choice)
        about = point.alert if point.kind == "alert" else point.identifier
        kind = T.gettext("alert") if point.kind == "alert" else T.gettext("intelligence")
        policy = _choice_words(Record(point, point.default))
        rows.append([clock(point.time), kind, point.traveller, about, point.sender or "-", _choice_words(record),
                     policy, by[who]])  # fmt: skip
    return rows


def team_sections(hotwash: Hotwash) -> dict[str, Any]:
    """The report's section per team, as data: {title, intro, sections: [{heading, paragraphs, findings, tables}]}."""
    scenario = hotwash.scenario
    names = {agency.id: agency.name or agency.id for agency in scenario.agencies}
    first = _first_touch(hotwash.teams)
    played, default = hotwash.played.summary, hotwash.default.summary
    sections = []
    for team in hotwash.teams:
        records = team.records
        game = Game(scenario, team.agency, hotwash.seed, hotwash.model, hotwash.played, hotwash.default)
        change = what_changed(game, records=records, only={t for t, agency in first.items() if agency == team.agency})
        counts = Counter(who for _, _, who in team.player.history)
        changed = sum(1 for record in records if not record.is_default)
        paragraphs = [
            T.ngettext("{count} decision", "{count} decisions", len(records)).format(count=format_int(len(records)))
            + ": " + T.gettext("{team} by the team, {timeout} by the policy when the countdown ran out, {policy} by "
                               "the policy (seat empty, or after the stop), {order} by standing orders; {changed} "
                               "different from the scenario's policy.").format(
                team=format_int(counts["team"]), timeout=format_int(counts["timeout"]),
                policy=format_int(counts["policy"]), order=format_int(counts["order"]), changed=format_int(changed)),
        ]  # fmt: skip
        findings = list(change["sentences"][:40])
        if not findings:
            findings = [T.gettext("The team's choices changed no traveller's outcome.")]
        tables = [
            {"caption": T.gettext("Decisions"),
             "columns": [T.gettext("when"), T.gettext("kind"), T.gettext("traveller"), T.gettext("alert or identifier"),
                         T.gettext("from"), T.gettext("choice"), T.gettext("the policy's choice"), T.gettext("by")],
             "rows": _decision_rows(team)},
            {"caption": T.gettext("Inject evaluation guide"),
             "columns": [T.gettext("inject"), T.gettext("expected action"), T.gettext("objective"),
                         T.gettext("released"), T.gettext("what the team did")],
             "rows": _guide(hotwash, team)},
        ]  # fmt: skip
        if len(team.player.history) > MAX_ROWS:
            paragraphs.append(T.gettext("The first {shown} decisions are listed; the decisions file holds them all.")
                              .format(shown=format_int(MAX_ROWS)))  # fmt: skip
        sections.append({
            "heading": T.gettext("Team {agency}: {name}").format(agency=team.agency, name=names[team.agency]),
            "paragraphs": paragraphs, "findings": findings, "tables": tables,
        })  # fmt: skip
    intro = T.gettext(
        "With every team's choices, {played} persons of interest were stopped; with the scenario's policy on the "
        "same seed, with the injects released at the same times, {default}."
    ).format(played=format_int(played["detected"]), default=format_int(default["detected"]))
    if "wrongful_stops" in played:
        intro += " " + T.gettext("Innocent people stopped (wrongful stops): {played} with the teams' choices, "
                                 "{default} with the policy.").format(
            played=format_int(played["wrongful_stops"]["total"]),
            default=format_int(default["wrongful_stops"]["total"]))  # fmt: skip
    intro += " " + T.gettext("A traveller whose outcome changed counts with the team whose choice on them, different "
                             "from the policy, came first.")  # fmt: skip
    if hotwash.quit_hours is not None:
        intro += " " + T.gettext("The facilitator stopped the exercise at {when}; the policy decided after.").format(
            when=clock(hotwash.quit_hours))
    return {"title": T.gettext("The teams' decisions"), "intro": intro, "sections": sections}


def write_hotwash(hotwash: Hotwash, folder: Path, scenario_file: str, plots: bool = True) -> Path:
    """Write the run folder of the exercise into `folder` (a partial folder): tables, decisions, report.

    Returns:
        The report's path.
    """
    write_run_folder(hotwash.played, hotwash.as_run, folder)
    text = ExerciseText().render(scenario_file, hotwash.seed, hotwash.teams, hotwash.released, hotwash.quit_hours)
    write_text(folder / EXERCISE_FILE, text)
    write_text(folder / TEAMS_FILE, json.dumps(team_sections(hotwash), indent=2, ensure_ascii=False) + "\n")
    write_run_metadata(folder, scenario_file, [], hotwash.seed)
    return debrief(folder, hotwash.as_run, hotwash.seed, plots=plots, base=hotwash.default.summary)
