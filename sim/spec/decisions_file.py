"""The decisions file of `tabletop play --decisions`: read and checked like a scenario.

A decisions file records what a person chose for one agency, so that a game replays
without a terminal::

    agency: HUB
    seed: 2018
    verify_hours: 24
    orders:
      - {day: 0.3, until_day: 5, kind: alert, from: NOR-INT, choice: verify}
    decisions:
      - {day: 0.29, kind: alert, traveller: R-0219, alert: A-000038, from: NOR-INT, choice: discard}
      - {day: 1.2, kind: intelligence, traveller: R-0042, identifier: biometric, choice: share, links: [HUB->TRA-BRD]}

A decision names one decision point; a standing order (``orders``) decides every decision point
of its kind (alerts from one sender, or new intelligence of one identifier type; every one when
``from`` or ``identifier`` is left out) from ``day`` until ``until_day`` (to the end if left out).
A decision the file names wins over an order; of two orders, the one listed later wins.

A live exercise (`tabletop exercise`, several teams each playing one agency) writes the same
decisions in a multi-team form, which ``tabletop play SCENARIO --decisions FILE`` replays whole::

    scenario: scenarios/exercise-injects.yaml
    seed: 2018
    teams:
      - agency: HAL-INT
        verify_hours: 24
        decisions:
          - {day: 0.4, kind: intelligence, traveller: H-0012, identifier: name, choice: hold, by: team}
      - agency: HUB
        decisions:
          - {day: 1.1, kind: alert, traveller: H-0030, alert: A-000021, from: HAL-INT, choice: act,
             default: true, by: timeout}
    released:
      - {inject: 1, day: 10, on_schedule: true}
      - {inject: 2, day: 13.75}
    quit_day: 20.5

Each team's ``decisions`` are listed in the order they were taken; the n-th decision on the same
point (the same intelligence learnt twice) replays the n-th row. ``by`` says who took it: ``team``,
``timeout`` (the countdown ran out: the scenario's policy), ``policy`` (nobody held the seat, or
after the exercise stopped) or ``order``. ``released`` gives every inject the facilitator released
(numbered from 1, in the scenario's order): ``on_schedule`` ones came at their own day, as the
scenario has them; the others at ``day``, the moment they were released. An inject not listed was
never released.

Every problem is reported as ``FILE:LINE: field.path: problem (got VALUE)`` with the shared
toolkit (`sim.spec.checks`). What a decision means to the model lives in `sim.engine.decisions`,
which takes its vocabulary (the choices and the default verification time) from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.spec.checks import did_you_mean
from sim.spec.yaml_files import LineMap, PathKey, format_path, read_yaml

INTELLIGENCE_CHOICES = ("share", "verify", "hold")
ALERT_CHOICES = ("act", "verify", "discard")
DEFAULT_VERIFY_HOURS = 24.0
"""Hours a played agency takes to verify when the scenario does not say (its intelligence; links without verify)."""

FIELDS = ("scenario", "agency", "seed", "verify_hours", "quit_day", "orders", "decisions")
"""The fields of a decisions file."""

DECISION_FIELDS = ("day", "kind", "traveller", "alert", "from", "identifier", "choice", "links", "default", "by")
"""The fields of one decision."""

ORDER_FIELDS = ("day", "until_day", "kind", "from", "identifier", "choice", "links")
"""The fields of one standing order."""

EXERCISE_FIELDS = ("scenario", "seed", "teams", "released", "quit_day")
"""The fields of an exercise's decisions file (several teams)."""

TEAM_FIELDS = ("agency", "verify_hours", "orders", "decisions")
"""The fields of one team of an exercise."""

RELEASE_FIELDS = ("inject", "day", "on_schedule")
"""The fields of one inject released in an exercise."""

DECIDED_BY = ("team", "timeout", "policy", "order")
"""Who took a decision of an exercise: the team, the policy when the countdown ran out, the policy
(nobody held the seat, or the exercise had stopped), a standing order."""

DecisionKey = tuple[str, str, str]
"""How a decision is matched to a decision point: (kind, traveller, alert id or identifier type)."""


@dataclass(frozen=True)
class StandingOrder:
    """One choice for every decision point of a kind, from one day until another.

    Attributes:
        kind: ``alert`` or ``intelligence``.
        action: the choice (one of `ALERT_CHOICES` or `INTELLIGENCE_CHOICES`).
        day: the first day it applies (days from the start, fractional).
        until_day: the day it ends (not included); None: to the end of the run.
        sender: for alerts: only those from this agency ("" for every sender).
        identifier: for intelligence: only this identifier type ("" for every type).
        links: for ``share``: the links to share on; None means all.
    """

    kind: str
    action: str
    day: float
    until_day: float | None = None
    sender: str = ""
    identifier: str = ""
    links: tuple[str, ...] | None = None

    def covers(self, kind: str, hours: float, sender: str, identifier: str) -> bool:
        """Whether the order decides a decision point of `kind` at `hours` (from `sender`, on `identifier`)."""
        if kind != self.kind or hours < self.day * 24 or (self.until_day is not None and hours >= self.until_day * 24):
            return False
        if kind == "alert":
            return self.sender in ("", sender)
        return self.identifier in ("", identifier)


@dataclass(frozen=True)
class Decisions:
    """A checked decisions file.

    Attributes:
        agency: the agency played.
        verify_hours: hours the played agency takes to verify.
        choices: (kind, traveller, alert or identifier) -> (action, links or None).
        orders: the standing orders, in the order of the file.
        data: the file as read (for the fields the game reports, such as ``scenario``).
        seed: the seed the game was played on (a replay runs on it), or None if the file has none.
    """

    agency: str
    verify_hours: float
    choices: dict[DecisionKey, tuple[str, tuple[str, ...] | None]]
    data: dict[str, Any]
    orders: tuple[StandingOrder, ...] = ()
    seed: int | None = None


class _Collector:
    """Problems of one file, each with its line and field path."""

    def __init__(self, label: str, lines: LineMap):
        self.label, self.lines, self.problems = label, lines, []

    def add(self, where: PathKey, message: str, value: Any = None) -> None:
        args = (value,) if value is not None else ()
        self.problems.append(Problem(self.label, self.lines.line(where), format_path(where), message, *args))

    def unknown_fields(self, data: dict[Any, Any], where: PathKey, allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                self.add((*where, key), f"unknown field{hint}; allowed: " + ", ".join(sorted(allowed)))


def read_decisions(path: str | Path, agency: str | None = None, seed: int | None = None) -> Decisions:
    """Read and check a decisions file.

    Args:
        path: the file.
        agency: the agency the game is played as; a file recorded for another is refused.
        seed: the seed asked for (``--seed``); a file recorded on another seed is refused, since its
            decisions name the travellers and alerts of its own run.

    Raises:
        ScenarioError: naming file, line and field of every problem.
    """
    data, lines = read_yaml(path)
    label = str(path)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(label, lines.line(()), "", "a decisions file is a mapping", data)])
    check = _Collector(label, lines)
    check.unknown_fields(data, (), FIELDS)
    played = data.get("agency")
    if not isinstance(played, str):
        check.add(("agency",), "required: the agency played", played)
    elif agency is not None and played != agency:
        check.add(("agency",), f"this game was played as {played}, not {agency}", played)
    recorded = data.get("seed")
    if recorded is not None and (isinstance(recorded, bool) or not isinstance(recorded, int)
                                 or not 0 <= recorded < 2**63):  # fmt: skip
        check.add(("seed",), "must be a whole number >= 0 (the seed the game was played on)", recorded)
        recorded = None
    elif recorded is not None and seed is not None and seed != recorded:
        check.add(("seed",), f"this game was played on seed {recorded}, not --seed {seed}: leave out --seed "
                  "to replay it on its own seed", recorded)  # fmt: skip
    verify = data.get("verify_hours", DEFAULT_VERIFY_HOURS)
    if not _is_day(verify):
        check.add(("verify_hours",), "must be a finite number of hours >= 0", verify)
        verify = DEFAULT_VERIFY_HOURS
    if "quit_day" in data and not _is_day(data["quit_day"]):
        check.add(("quit_day",), "must be a finite day >= 0 (when the player left the table)", data["quit_day"])
    rows = data.get("decisions", [])
    if not isinstance(rows, list):
        check.add(("decisions",), "must be a list", rows)
        rows = []
    choices: dict[DecisionKey, tuple[str, tuple[str, ...] | None]] = {}
    for i, row in enumerate(rows):
        decision = _read_decision(row, ("decisions", i), check)
        if decision is not None:
            key, value = decision
            choices[key] = value
    order_rows = data.get("orders", [])
    if not isinstance(order_rows, list):
        check.add(("orders",), "must be a list", order_rows)
        order_rows = []
    orders = [_read_order(row, ("orders", i), check) for i, row in enumerate(order_rows)]
    if check.problems:
        raise ScenarioError(check.problems)
    return Decisions(agency=str(played), verify_hours=float(verify), choices=choices, data=data,
                     orders=tuple(order for order in orders if order is not None), seed=recorded)  # fmt: skip


def _is_day(value: Any) -> bool:
    """A finite number >= 0 (a day, or hours): NaN and infinity are refused, as they would poison the clock."""
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value) and value >= 0


def _kind_and_choice(row: dict[Any, Any], where: PathKey, check: _Collector) -> tuple[str, str] | None:
    """The ``kind`` and ``choice`` of a decision or an order, checked; None (with the problem) when wrong."""
    kind = row.get("kind")
    if kind not in ("intelligence", "alert"):
        check.add((*where, "kind"), "must be intelligence or alert", kind)
        return None
    allowed = INTELLIGENCE_CHOICES if kind == "intelligence" else ALERT_CHOICES
    action = row.get("choice")
    if action not in allowed:
        check.add((*where, "choice"), f"must be one of {', '.join(allowed)}", action)
        return None
    return kind, action


def _links(row: dict[Any, Any], where: PathKey, check: _Collector) -> tuple[bool, tuple[str, ...] | None]:
    """The ``links`` of a decision or an order: (whether they are valid, the links or None for all)."""
    links = row.get("links")
    if links is not None and (not isinstance(links, list) or not all(isinstance(x, str) for x in links)):
        check.add((*where, "links"), "must be a list of links such as HUB->TRA-BRD", links)
        return False, None
    return True, tuple(links) if links is not None else None


def _read_order(row: Any, where: PathKey, check: _Collector) -> StandingOrder | None:
    if not isinstance(row, dict):
        check.add(where, "a standing order is a mapping", row)
        return None
    check.unknown_fields(row, where, ORDER_FIELDS)
    kind_and_choice = _kind_and_choice(row, where, check)
    if kind_and_choice is None:
        return None
    kind, action = kind_and_choice
    day, until = row.get("day", 0), row.get("until_day")
    if not _is_day(day):
        check.add((*where, "day"), "must be a day >= 0 (when the order starts)", day)
        return None
    if until is not None and (not _is_day(until) or until < day):
        check.add((*where, "until_day"), f"must be a day >= day ({day})", until)
        return None
    scope_field, other_field = ("from", "identifier") if kind == "alert" else ("identifier", "from")
    scope = row.get(scope_field, "")
    if not isinstance(scope, str):
        check.add((*where, scope_field), "must be a name (or left out: all)", scope)
        return None
    if other_field in row:
        check.add((*where, other_field), f"an order on {kind} is scoped by {scope_field!r}, not {other_field!r}")
        return None
    valid, links = _links(row, where, check)
    if not valid:
        return None
    return StandingOrder(kind=kind, action=action, day=float(day), until_day=None if until is None else float(until),
                         sender=scope if kind == "alert" else "", identifier=scope if kind == "intelligence" else "",
                         links=links)  # fmt: skip


def _read_decision(
    row: Any, where: PathKey, check: _Collector
) -> tuple[DecisionKey, tuple[str, tuple[str, ...] | None]] | None:
    if not isinstance(row, dict):
        check.add(where, "a decision is a mapping", row)
        return None
    check.unknown_fields(row, where, DECISION_FIELDS)
    kind_and_choice = _kind_and_choice(row, where, check)
    if kind_and_choice is None:
        return None
    kind, action = kind_and_choice
    if "day" in row and not _is_day(row["day"]):
        check.add((*where, "day"), "must be a finite day >= 0 (when the decision was taken)", row["day"])
        return None
    traveller = row.get("traveller")
    if not isinstance(traveller, str):
        check.add((*where, "traveller"), "required: the traveller's id", traveller)
        return None
    second_field = "alert" if kind == "alert" else "identifier"
    second = row.get(second_field)
    if not isinstance(second, str):
        check.add((*where, second_field), "required", second)
        return None
    valid, links = _links(row, where, check)
    if not valid:
        return None
    return (kind, traveller, second), (action, links)


@dataclass(frozen=True)
class TeamDecisions:
    """One team of an exercise, as its decisions file holds it.

    Attributes:
        agency: the agency the team played.
        verify_hours: hours it takes to verify.
        rows: its decisions in the order taken: (key, action, links or None, by).
        orders: its standing orders.
    """

    agency: str
    verify_hours: float
    rows: tuple[tuple[DecisionKey, str, tuple[str, ...] | None, str], ...]
    orders: tuple[StandingOrder, ...] = ()


@dataclass(frozen=True)
class Release:
    """An inject the facilitator released.

    Attributes:
        inject: its number, from 1, in the scenario's order.
        day: when it came (its own day when `on_schedule`).
        on_schedule: released by the schedule, as the scenario has it (else at `day`, as news).
    """

    inject: int
    day: float
    on_schedule: bool = False


@dataclass(frozen=True)
class ExerciseDecisions:
    """A checked decisions file of an exercise (several teams).

    Attributes:
        teams: the teams, in seat order.
        released: the injects released, in the order of the file.
        seed: the seed the exercise ran on, or None.
        quit_day: when the facilitator stopped the exercise (the policy decided after), or None.
        data: the file as read.
    """

    teams: tuple[TeamDecisions, ...]
    released: tuple[Release, ...]
    data: dict[str, Any]
    seed: int | None = None
    quit_day: float | None = None


def is_exercise_data(data: Any) -> bool:
    """Whether a decisions file's content is an exercise's (it has ``teams``)."""
    return isinstance(data, dict) and "teams" in data


def is_exercise_file(path: str | Path, allow_large: bool = False) -> bool:
    """Whether the decisions file at `path` is an exercise's (read errors are left to the reader)."""
    try:
        data, _ = read_yaml(path, allow_large)
    except ScenarioError:
        return False
    return is_exercise_data(data)


def read_exercise(path: str | Path, seed: int | None = None, agencies: tuple[str, ...] | None = None,
                  injects: int | None = None, allow_large: bool = False) -> ExerciseDecisions:  # fmt: skip
    """Read and check an exercise's decisions file.

    Args:
        path: the file.
        seed: the seed asked for (``--seed``); a file recorded on another seed is refused.
        agencies: the scenario's agencies (each team must be one), when known.
        injects: how many injects the scenario has (each release must name one), when known.
        allow_large: read past the file size limit (a long exercise, every seat's decisions).

    Raises:
        ScenarioError: naming file, line and field of every problem.
    """
    data, lines = read_yaml(path, allow_large)
    label = str(path)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(label, lines.line(()), "", "a decisions file is a mapping", data)])
    check = _Collector(label, lines)
    check.unknown_fields(data, (), EXERCISE_FIELDS)
    recorded = data.get("seed")
    if recorded is not None and (isinstance(recorded, bool) or not isinstance(recorded, int)
                                 or not 0 <= recorded < 2**63):  # fmt: skip
        check.add(("seed",), "must be a whole number >= 0 (the seed the exercise ran on)", recorded)
        recorded = None
    elif recorded is not None and seed is not None and seed != recorded:
        check.add(("seed",), f"this exercise ran on seed {recorded}, not --seed {seed}: leave out --seed "
                  "to replay it on its own seed", recorded)  # fmt: skip
    quit_day = data.get("quit_day")
    if quit_day is not None and not _is_day(quit_day):
        check.add(("quit_day",), "must be a finite day >= 0 (when the facilitator stopped)", quit_day)
        quit_day = None
    team_rows = data.get("teams")
    if not isinstance(team_rows, list) or not team_rows:
        check.add(("teams",), "must be a list of teams, each {agency, decisions}", team_rows)
        team_rows = []
    teams: list[TeamDecisions] = []
    seen: set[str] = set()
    for i, row in enumerate(team_rows):
        team = _read_team(row, ("teams", i), check, agencies)
        if team is None:
            continue
        if team.agency in seen:
            check.add(("teams", i, "agency"), "a second team for the same agency", team.agency)
            continue
        seen.add(team.agency)
        teams.append(team)
    release_rows = data.get("released", [])
    if not isinstance(release_rows, list):
        check.add(("released",), "must be a list of {inject, day}", release_rows)
        release_rows = []
    released: list[Release] = []
    numbers: set[int] = set()
    for i, row in enumerate(release_rows):
        release = _read_release(row, ("released", i), check, injects)
        if release is None:
            continue
        if release.inject in numbers:
            check.add(("released", i, "inject"), "released twice", release.inject)
            continue
        numbers.add(release.inject)
        released.append(release)
    if check.problems:
        raise ScenarioError(check.problems)
    return ExerciseDecisions(teams=tuple(teams), released=tuple(released), data=data, seed=recorded,
                             quit_day=None if quit_day is None else float(quit_day))  # fmt: skip


def _read_team(row: Any, where: PathKey, check: _Collector, agencies: tuple[str, ...] | None) -> TeamDecisions | None:
    if not isinstance(row, dict):
        check.add(where, "a team is a mapping {agency, decisions}", row)
        return None
    check.unknown_fields(row, where, TEAM_FIELDS)
    agency = row.get("agency")
    if not isinstance(agency, str):
        check.add((*where, "agency"), "required: the agency the team played", agency)
        return None
    if agencies is not None and agency not in agencies:
        check.add((*where, "agency"), f"no such agency in the scenario{did_you_mean(agency, agencies)}", agency)
        return None
    verify = row.get("verify_hours", DEFAULT_VERIFY_HOURS)
    if not _is_day(verify):
        check.add((*where, "verify_hours"), "must be a finite number of hours >= 0", verify)
        return None
    decisions = row.get("decisions", [])
    if not isinstance(decisions, list):
        check.add((*where, "decisions"), "must be a list", decisions)
        return None
    rows = []
    for i, decision in enumerate(decisions):
        at = (*where, "decisions", i)
        read = _read_decision(decision, at, check)
        if read is None:
            continue
        by = decision.get("by", "team")
        if by not in DECIDED_BY:
            check.add((*at, "by"), f"must be one of {', '.join(DECIDED_BY)}{did_you_mean(str(by), DECIDED_BY)}", by)
            continue
        key, (action, links) = read
        rows.append((key, action, links, by))
    order_rows = row.get("orders", [])
    if not isinstance(order_rows, list):
        check.add((*where, "orders"), "must be a list", order_rows)
        order_rows = []
    orders = [_read_order(order, (*where, "orders", i), check) for i, order in enumerate(order_rows)]
    return TeamDecisions(agency=agency, verify_hours=float(verify), rows=tuple(rows),
                         orders=tuple(order for order in orders if order is not None))  # fmt: skip


def _read_release(row: Any, where: PathKey, check: _Collector, injects: int | None) -> Release | None:
    if not isinstance(row, dict):
        check.add(where, "a release is a mapping {inject, day}", row)
        return None
    check.unknown_fields(row, where, RELEASE_FIELDS)
    number = row.get("inject")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        check.add((*where, "inject"), "must be the inject's number (1 for the first of the scenario)", number)
        return None
    if injects is not None and number > injects:
        check.add((*where, "inject"), f"the scenario has {injects} injects", number)
        return None
    day = row.get("day")
    if not _is_day(day):
        check.add((*where, "day"), "must be a finite day >= 0 (when the inject was released)", day)
        return None
    on_schedule = row.get("on_schedule", False)
    if not isinstance(on_schedule, bool):
        check.add((*where, "on_schedule"), "must be true or false", on_schedule)
        return None
    return Release(inject=number, day=float(day), on_schedule=on_schedule)
