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

DECISION_FIELDS = ("day", "kind", "traveller", "alert", "from", "identifier", "choice", "links", "default")
"""The fields of one decision."""

ORDER_FIELDS = ("day", "until_day", "kind", "from", "identifier", "choice", "links")
"""The fields of one standing order."""

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
