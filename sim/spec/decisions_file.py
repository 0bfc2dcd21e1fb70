"""The decisions file of `tabletop play --decisions`: read and checked like a scenario.

A decisions file records what a person chose for one agency, so that a game replays
without a terminal::

    agency: HUB
    seed: 2018
    verify_hours: 24
    decisions:
      - {day: 0.29, kind: alert, traveller: R-0219, alert: A-000038, from: NOR-INT, choice: discard}
      - {day: 1.2, kind: intelligence, traveller: R-0042, identifier: biometric, choice: share, links: [HUB->TRA-BRD]}

Every problem is reported as ``FILE:LINE: field.path: problem (got VALUE)`` with the shared
toolkit (`sim.spec.checks`). What a decision means to the model lives in `sim.engine.decisions`,
which takes its vocabulary (the choices and the default verification time) from here.
"""

from __future__ import annotations

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

FIELDS = ("scenario", "agency", "seed", "verify_hours", "quit_day", "decisions")
"""The fields of a decisions file."""

DECISION_FIELDS = ("day", "kind", "traveller", "alert", "from", "identifier", "choice", "links", "default")
"""The fields of one decision."""

DecisionKey = tuple[str, str, str]
"""How a decision is matched to a decision point: (kind, traveller, alert id or identifier type)."""


@dataclass(frozen=True)
class Decisions:
    """A checked decisions file.

    Attributes:
        agency: the agency played.
        verify_hours: hours the played agency takes to verify.
        choices: (kind, traveller, alert or identifier) -> (action, links or None).
        data: the file as read (for the fields the game reports, such as ``seed``).
    """

    agency: str
    verify_hours: float
    choices: dict[DecisionKey, tuple[str, tuple[str, ...] | None]]
    data: dict[str, Any]


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


def read_decisions(path: str | Path, agency: str | None = None) -> Decisions:
    """Read and check a decisions file.

    Args:
        path: the file.
        agency: the agency the game is played as; a file recorded for another is refused.

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
    verify = data.get("verify_hours", DEFAULT_VERIFY_HOURS)
    if isinstance(verify, bool) or not isinstance(verify, int | float) or verify < 0:
        check.add(("verify_hours",), "must be a number of hours >= 0", verify)
        verify = DEFAULT_VERIFY_HOURS
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
    if check.problems:
        raise ScenarioError(check.problems)
    return Decisions(agency=str(played), verify_hours=float(verify), choices=choices, data=data)


def _read_decision(
    row: Any, where: PathKey, check: _Collector
) -> tuple[DecisionKey, tuple[str, tuple[str, ...] | None]] | None:
    if not isinstance(row, dict):
        check.add(where, "a decision is a mapping", row)
        return None
    check.unknown_fields(row, where, DECISION_FIELDS)
    kind = row.get("kind")
    if kind not in ("intelligence", "alert"):
        check.add((*where, "kind"), "must be intelligence or alert", kind)
        return None
    traveller = row.get("traveller")
    if not isinstance(traveller, str):
        check.add((*where, "traveller"), "required: the traveller's id", traveller)
        return None
    allowed = INTELLIGENCE_CHOICES if kind == "intelligence" else ALERT_CHOICES
    action = row.get("choice")
    if action not in allowed:
        check.add((*where, "choice"), f"must be one of {', '.join(allowed)}", action)
        return None
    second_field = "alert" if kind == "alert" else "identifier"
    second = row.get(second_field)
    if not isinstance(second, str):
        check.add((*where, second_field), "required", second)
        return None
    links = row.get("links")
    if links is not None and (not isinstance(links, list) or not all(isinstance(x, str) for x in links)):
        check.add((*where, "links"), "must be a list of links such as HUB->TRA-BRD", links)
        return None
    return (kind, traveller, second), (action, tuple(links) if links is not None else None)
