"""The record of a live exercise: its decisions file, its replay without a browser, its hotwash folder.

The room (`sim.exercise.room`) and ``tabletop play SCENARIO --decisions exercise.yaml`` share
this module, so that the replay of an exercise writes the same files, byte for byte, as the
exercise's own hotwash: the same model (`replay_model` runs what the room ran: the teams'
decisions in the order taken, each inject released as it was), the same decisions file
(`exercise_document`), the same report (`write_hotwash`).

An inject released on schedule runs as the scenario has it; one the facilitator released by
hand runs as news at its release (`sim.engine.model.SharingModel.release_inject` with ``clamp``):
the scenario as run (the run folder's ``scenario.yaml``) gives it that day, and leaves out an
inject never released.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from sim.engine.decisions import Choice, Player, Record, ScriptPlayer, TeamPlayers
from sim.engine.model import SharingModel
from sim.engine.one_run import gc_paused
from sim.engine.outcomes import RunResult, collect
from sim.errors import Problem, ScenarioError
from sim.exercise.play import decision_row, order_row
from sim.spec.decisions_file import ExerciseDecisions, Release, StandingOrder
from sim.spec.scenario import Scenario, expand_links, scenario_from_dict
from sim.spec.yaml_files import dump_yaml

EXERCISE_FILE = "exercise.yaml"
"""The exercise's decisions file, in its folder (rewritten whole at every decision)."""

EXERCISE_LOG = "exercise-log.jsonl"
"""Everything that happened in the room, one JSON object a line, appended as it happens."""

REFUSED_LOG = "refused.log"
"""Every refused request, one JSON object a line."""

TEAMS_FILE = "teams.json"
"""The report's section per team (built here, drawn by `sim.debrief.run_report`)."""

HEADER = ("# tabletop exercise: the decisions of every team. Replay without a browser:\n"
          "#   tabletop play SCENARIO --decisions exercise.yaml\n")  # fmt: skip


@dataclass
class Team:
    """One seat's record: its agency, its verification time, its standing orders, its decisions.

    Attributes:
        agency: the agency played.
        verify_hours: hours it takes to verify.
        orders: its standing orders.
        player: the player deciding for it (its ``history`` holds every decision with who took it).
    """

    agency: str
    verify_hours: float
    orders: tuple[StandingOrder, ...] = ()
    player: ScriptPlayer = field(init=False)

    def __post_init__(self) -> None:
        self.player = ScriptPlayer(self.agency, verify_hours=self.verify_hours, orders=self.orders)

    @property
    def records(self) -> list[Record]:
        """Its decisions as the model's records."""
        return [Record(point, choice) for point, choice, _ in self.player.history]


def teams_from(decisions: ExerciseDecisions, live: dict[str, Player] | None = None) -> list[Team]:
    """The teams of a decisions file, each replaying its decisions in order, then asking `live` (if given)."""
    teams = []
    for recorded in decisions.teams:
        team = Team(recorded.agency, recorded.verify_hours, recorded.orders)
        for key, action, links, by in recorded.rows:
            team.player.choices.setdefault(key, []).append((Choice(action, links), by))
        if live is not None:
            team.player.then = live.get(recorded.agency)
        teams.append(team)
    return teams


def release_hours(scenario: Scenario, released: list[Release] | tuple[Release, ...]) -> list[float | None]:
    """The model's ``release_hours`` at the start: injects on schedule at their day, the others held."""
    hours: list[float | None] = [None] * len(scenario.injects)
    for release in released:
        if release.on_schedule:
            hours[release.inject - 1] = scenario.injects[release.inject - 1].at_hours
    return hours


def manual_releases(released: list[Release] | tuple[Release, ...]) -> list[tuple[float, int]]:
    """The injects released by hand: (hours, number from 0), in time order."""
    return sorted((release.day * 24.0, release.inject - 1) for release in released if not release.on_schedule)


def replay_model(scenario: Scenario, seed: int, teams: list[Team], released: list[Release] | tuple[Release, ...],
                 log_events: bool = True) -> SharingModel:  # fmt: skip
    """Run the exercise again: the teams' decisions, the injects released as they were; the finished model."""
    players = TeamPlayers({team.agency: team.player for team in teams}) if teams else None
    with gc_paused():
        model = SharingModel(scenario, seed=seed, player=players, collect_data=False, log_events=log_events,
                             release_hours=release_hours(scenario, released))  # fmt: skip
        for at, number in manual_releases(released):
            model._advance_time(math.nextafter(at, -math.inf))
            model.release_inject(number, at)
        model.run()
    return model


def quantized_release(clock: float) -> tuple[float, float]:
    """A release after `clock` hours, written exactly: (day, hours) with a day of six decimals, hours > clock.

    The decisions file holds the day; the replay computes the same hours from it.
    """
    day = math.floor(clock / 24.0 * 1e6) / 1e6
    while day * 24.0 <= clock:
        day = round(day + 1e-6, 6)
    return day, day * 24.0


def release_row(release: Release) -> dict[str, Any]:
    """One release as a row of the decisions file."""
    row: dict[str, Any] = {"inject": release.inject, "day": release.day}
    if release.on_schedule:
        row["on_schedule"] = True
    return row


def exercise_document(scenario_file: str, seed: int, teams: list[Team], released: list[Release] | tuple[Release, ...],
                      quit_hours: float | None = None) -> dict[str, Any]:  # fmt: skip
    """The exercise's decisions in the format ``tabletop play --decisions`` reads."""
    document: dict[str, Any] = {"scenario": scenario_file, "seed": seed, "teams": []}
    for team in teams:
        entry: dict[str, Any] = {"agency": team.agency, "verify_hours": team.verify_hours}
        if team.orders:
            entry["orders"] = [order_row(order) for order in team.orders]
        entry["decisions"] = [decision_row(point, choice, by) for point, choice, by in team.player.history]
        document["teams"].append(entry)
    document["released"] = [release_row(release) for release in sorted(released, key=lambda r: r.inject)]
    if quit_hours is not None:
        document["quit_day"] = round(quit_hours / 24, 6)
    return document


def exercise_text(document: dict[str, Any]) -> str:
    """The decisions file's text (`ExerciseText` writes the same, faster, as the exercise goes)."""
    return HEADER + dump_yaml(document)


_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_>-]*")
_RESERVED = {"yes", "no", "true", "false", "on", "off", "null", "y", "n"}


def _plain(value: Any) -> str | None:
    """`value` as YAML writes it, when it is plainly so (a bool, an int, a short float, a plain word); else None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if math.isfinite(value) and "." in text and "e" not in text else None
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
        return value
    return None


def row_yaml(row: dict[str, Any]) -> str:
    """``dump_yaml([row])`` for a decision row, written directly when every value is plain (a thousand times faster)."""
    lines = []
    for key, value in row.items():
        lead = "- " if not lines else "  "
        if isinstance(value, list) and value:
            items = [_plain(item) for item in value]
            if any(item is None for item in items):
                return dump_yaml([row])
            lines.append(f"{lead}{key}:\n" + "".join(f"  - {item}\n" for item in items))
            continue
        text = _plain(value)
        if text is None:
            return dump_yaml([row])
        lines.append(f"{lead}{key}: {text}\n")
    return "".join(lines)


class ExerciseText:
    """The decisions file's text as the exercise goes: each decision dumped once, the file assembled from them.

    The text is `exercise_text` of `exercise_document`, byte for byte (a test holds it), without
    dumping every decision again at each one: rewriting the file stays cheap with thousands.
    """

    def __init__(self) -> None:
        self._rows: dict[str, list[str]] = {}

    def render(self, scenario_file: str, seed: int, teams: list[Team], released: list[Release] | tuple[Release, ...],
               quit_hours: float | None = None) -> str:  # fmt: skip
        """The file's text for the exercise so far."""
        parts = [HEADER, dump_yaml({"scenario": scenario_file, "seed": seed})]
        parts.append("teams:\n" if teams else "teams: []\n")
        for team in teams:
            head: dict[str, Any] = {"agency": team.agency, "verify_hours": team.verify_hours}
            if team.orders:
                head["orders"] = [order_row(order) for order in team.orders]
            parts.append(dump_yaml([head]))
            cache = self._rows.setdefault(team.agency, [])
            for point, choice, by in team.player.history[len(cache) :]:
                row = row_yaml(decision_row(point, choice, by))
                cache.append("".join("  " + line for line in row.splitlines(keepends=True)))
            parts.append("  decisions:\n" + "".join(cache) if cache else "  decisions: []\n")
        tail: dict[str, Any] = {"released": [release_row(r) for r in sorted(released, key=lambda r: r.inject)]}
        if quit_hours is not None:
            tail["quit_day"] = round(quit_hours / 24, 6)
        parts.append(dump_yaml(tail))
        return "".join(parts)


def scenario_as_run(scenario: Scenario, released: list[Release] | tuple[Release, ...]) -> Scenario:
    """The scenario with each inject at the day it was released; one never released left out."""
    days = {release.inject - 1: release.day for release in released}
    if all(days.get(n) == inject.day for n, inject in enumerate(scenario.injects)):
        return scenario
    raw = scenario.raw
    raw["injects"] = [{**row, "day": days[n]} for n, row in enumerate(raw.get("injects", [])) if n in days]
    return scenario_from_dict(raw, source=scenario.source, allow_large=scenario.allow_large, quiet=True)


def check_teams(scenario: Scenario, teams: list[str] | tuple[str, ...], option: str = "--teams") -> list[str]:
    """`teams` checked against the scenario: agencies that have a decision, each once.

    Raises:
        ScenarioError: naming `option`: an agency the scenario lacks (with did-you-mean), one with
            no decision to take (it neither learns intelligence nor receives alerts), a duplicate,
            or no team at all.
    """
    from sim.spec.checks import did_you_mean

    known = [agency.id for agency in scenario.agencies]
    deciding = agencies_with_decisions(scenario)
    problems, seen, twice = [], set(), set()
    for agency in teams:  # each agency's problem said once, however often it is named
        if agency in seen:
            if agency in deciding and agency not in twice:
                twice.add(agency)
                problems.append(Problem(option, None, "", "the same agency twice: one team per agency", agency))
            continue
        seen.add(agency)
        if agency not in known:
            hint = did_you_mean(agency, known)
            problems.append(Problem(option, None, "", f"no such agency in the scenario{hint} (agencies: "
                                    + ", ".join(known) + ")", agency))  # fmt: skip
        elif agency not in deciding:
            problems.append(Problem(option, None, "", f"{agency} has no decision to take (it neither learns "
                                    "intelligence nor receives alerts); agencies with decisions: "
                                    + ", ".join(deciding), agency))  # fmt: skip
    if not teams:
        problems.append(Problem(option, None, "", "no team: name at least one agency (agencies with decisions: "
                                + ", ".join(deciding) + ")"))  # fmt: skip
    if problems:
        raise ScenarioError(problems)
    return list(teams)


def agencies_with_decisions(scenario: Scenario) -> list[str]:
    """The agencies that have a decision to take, in scenario order: they learn intelligence or receive alerts."""
    from sim.spec.injects import IntelInject

    deciding = {source.agency for source in scenario.intelligence}
    deciding |= {inject.agency for inject in scenario.injects if isinstance(inject, IntelInject)}
    deciding |= {receiver for _, receiver, _ in expand_links(scenario)}
    return [agency.id for agency in scenario.agencies if agency.id in deciding]


@dataclass
class Hotwash:
    """What the hotwash is written from: the finished run and the same run under the scenario's policy.

    Attributes:
        scenario: the scenario as given; as_run: with the injects at their release.
        played: the run's result; default: the same seed and releases with the policy everywhere.
    """

    scenario: Scenario
    as_run: Scenario
    seed: int
    model: SharingModel
    teams: list[Team]
    released: list[Release]
    played: RunResult
    default: RunResult
    quit_hours: float | None = None


def hotwash_of(scenario: Scenario, seed: int, model: SharingModel, teams: list[Team],
               released: list[Release] | tuple[Release, ...], quit_hours: float | None = None) -> Hotwash:  # fmt: skip
    """The finished exercise's run and its counterfactual under the scenario's policy (same seed, same releases)."""
    with gc_paused():
        played = collect(model)
        base = replay_model(scenario, seed, [], released)
        default = collect(base)
    return Hotwash(scenario, scenario_as_run(scenario, released), seed, model, teams, list(released), played, default,
                   quit_hours)  # fmt: skip
