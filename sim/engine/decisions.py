"""Decisions a person takes for one agency in exercise mode (`tabletop play`).

The model asks a `Player` at each decision point of the played agency and
applies the `Choice`. A player that always returns ``point.default`` gives the
plain run exactly: the defaults are the scenario's own policy.

Decision points:

- ``intelligence``: the agency learns about a traveller. Choices: ``share``
  (on all, or some, of its links), ``verify`` (share after `verify_hours`), ``hold``
  (keep it, share nothing).
- ``alert``: an alert reaches the agency. Choices: ``act`` (put the traveller on
  the watchlist, relay if the agency relays), ``verify`` (act after verification),
  ``discard``. The default follows the scenario: trusted -> act; otherwise verify
  if the link verifies, else discard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sim.spec.decisions_file import DEFAULT_VERIFY_HOURS


@dataclass(frozen=True)
class Choice:
    """What the agency does at a decision point.

    Attributes:
        action: ``share``/``verify``/``hold`` for intelligence, ``act``/``verify``/``discard`` for an alert.
        links: for ``share``: the links to share on (``FROM->TO``); None means all.
    """

    action: str
    links: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DecisionPoint:
    """A moment when the played agency must decide.

    Attributes:
        kind: ``intelligence`` or ``alert``.
        time: hours from the start.
        traveller: the traveller's id (``R-0042``).
        identifier: the identifier type.
        links: the agency's links it could share on (``intelligence``).
        alert: the alert's id (``alert``).
        sender: who sent the alert, and the link's trust now (``alert``).
        trust: the trust on that link now.
        trusted: whether the scenario's trust draw accepts it (``alert``).
        default: the scenario's own choice.
    """

    kind: str
    time: float
    traveller: str
    identifier: str
    default: Choice
    links: tuple[str, ...] = ()
    alert: str = ""
    sender: str = ""
    trust: float = 1.0
    trusted: bool = True

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies this decision in a recorded game."""
        return (self.kind, self.traveller, self.alert or self.identifier)


class Player(Protocol):
    """Decides for one agency."""

    agency: str
    verify_hours: float

    def decide(self, point: DecisionPoint, model: object) -> Choice:
        """The choice at `point` (the model is there to look at, not to change)."""
        ...


@dataclass
class DefaultPlayer:
    """Takes the scenario's choice every time (the plain run)."""

    agency: str
    verify_hours: float = DEFAULT_VERIFY_HOURS

    def decide(self, point: DecisionPoint, model: object) -> Choice:
        """The default."""
        return point.default


@dataclass
class Record:
    """One decision taken: the point and the choice."""

    point: DecisionPoint
    choice: Choice

    @property
    def is_default(self) -> bool:
        """Whether the choice is the scenario's own."""
        return _same(self.choice, self.point.default, self.point)


def _same(a: Choice, b: Choice, point: DecisionPoint) -> bool:
    if a.action != b.action:
        return False
    if a.action != "share":
        return True
    return set(a.links or point.links) == set(b.links or point.links)


@dataclass
class ReplayPlayer:
    """Plays back recorded decisions; anything not recorded takes the default.

    Attributes:
        agency: the played agency.
        choices: decision key -> choice.
        verify_hours: as in the game recorded.
        used: keys that were found in the run.
    """

    agency: str
    choices: dict[tuple[str, str, str], Choice]
    verify_hours: float = DEFAULT_VERIFY_HOURS
    used: set[tuple[str, str, str]] = field(default_factory=set)

    def decide(self, point: DecisionPoint, model: object) -> Choice:
        """The recorded choice, else the default."""
        choice = self.choices.get(point.key)
        if choice is None:
            return point.default
        self.used.add(point.key)
        return choice
