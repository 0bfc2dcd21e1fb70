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

A standing order (`sim.spec.decisions_file.StandingOrder`) decides every point of a
kind for a while: every alert from one sender, or all new intelligence of one
identifier type, until the next inject. A decision taken one by one wins over an
order; of two orders, the later wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sim.spec.decisions_file import DEFAULT_VERIFY_HOURS, StandingOrder


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
        confirmed, refuted: the sender's track record on this link so far (``alert``): stops on its
            alerts that found a person of interest, and those that found an innocent person or that
            verification refuted; None when the scenario does not model the cost of sharing.
        adaptive: whether the link's trust is its track record (``trust`` is then the current value).
        agency: the agency deciding.
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
    confirmed: int | None = None
    refuted: int | None = None
    adaptive: bool = False
    agency: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies this decision in a recorded game."""
        return (self.kind, self.traveller, self.alert or self.identifier)


def order_for(orders: tuple[StandingOrder, ...] | list[StandingOrder], point: DecisionPoint) -> int | None:
    """The number (1, 2, ...) of the order that decides `point`: the latest that covers it; None if none does."""
    for number in range(len(orders), 0, -1):
        if orders[number - 1].covers(point.kind, point.time, point.sender, point.identifier):
            return number
    return None


def order_choice(order: StandingOrder) -> Choice:
    """The choice a standing order makes."""
    return Choice(order.action, order.links)


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
    """Plays back recorded decisions and standing orders; anything else takes the default.

    Attributes:
        agency: the played agency.
        choices: decision key -> choice.
        verify_hours: as in the game recorded.
        orders: the standing orders.
        used: keys that were found in the run.
        by_order: decision key -> the number of the order that decided it.
        seed: the seed the game was recorded on (its decisions name that run's travellers and
            alerts), or None; `sim.api.play` replays on it.
    """

    agency: str
    choices: dict[tuple[str, str, str], Choice]
    verify_hours: float = DEFAULT_VERIFY_HOURS
    orders: tuple[StandingOrder, ...] = ()
    seed: int | None = None
    used: set[tuple[str, str, str]] = field(default_factory=set)
    by_order: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def decide(self, point: DecisionPoint, model: object) -> Choice:
        """The recorded choice, else the standing order's, else the default."""
        choice = self.choices.get(point.key)
        if choice is not None:
            self.used.add(point.key)
            return choice
        number = order_for(self.orders, point)
        if number is None:
            return point.default
        self.by_order[point.key] = number
        return order_choice(self.orders[number - 1])


@dataclass
class TeamPlayers:
    """Several played agencies at once (the live exercise): agency -> its player.

    The model asks the player of the agency concerned; every other agency follows the
    scenario's policy. Each player keeps its own ``verify_hours``.

    Attributes:
        players: agency id -> player, in seat order.
    """

    players: dict[str, Player]

    def __post_init__(self) -> None:
        for agency, player in self.players.items():
            if player.agency != agency:
                raise ValueError(f"the player of {agency} plays {player.agency}")

    def get(self, agency: str) -> Player | None:
        """The player of `agency`, or None when the policy decides for it."""
        return self.players.get(agency)


@dataclass
class ScriptPlayer:
    """Plays back one team's recorded decisions in the order they were taken, then asks `then`.

    The n-th time a decision key comes up it takes the n-th recorded choice for that key (the same
    intelligence learnt twice is two decisions); a key with no recorded choice left goes to the
    standing orders, then to `then` (a live player), or takes the default when `then` is None.
    Every decision is kept in `history` with who took it.

    Attributes:
        agency: the played agency.
        choices: decision key -> the recorded (choice, by) pairs, in order; ``by`` says who took it
            (``team``, ``timeout``, ``policy`` or ``order``).
        verify_hours: hours the agency takes to verify.
        orders: the standing orders.
        then: who decides once the script is spent (None: the default); it may set ``last_by``.
        history: (point, choice, by) of every decision taken, in order.
    """

    agency: str
    choices: dict[tuple[str, str, str], list[tuple[Choice, str]]] = field(default_factory=dict)
    verify_hours: float = DEFAULT_VERIFY_HOURS
    orders: tuple[StandingOrder, ...] = ()
    then: Player | None = None
    history: list[tuple[DecisionPoint, Choice, str]] = field(default_factory=list)
    _taken: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def recorded(self, point: DecisionPoint) -> tuple[Choice, str] | None:
        """The next recorded (choice, by) for `point`'s key (consumed), or None when there is none left."""
        queue = self.choices.get(point.key)
        taken = self._taken.get(point.key, 0)
        if queue is None or taken >= len(queue):
            return None
        self._taken[point.key] = taken + 1
        return queue[taken]

    @property
    def remaining(self) -> int:
        """How many recorded choices have not come up yet."""
        return sum(len(queue) for queue in self.choices.values()) - sum(self._taken.values())

    def decide(self, point: DecisionPoint, model: object) -> Choice:
        """The recorded choice, else the standing order's, else `then`'s (or the default)."""
        found = self.recorded(point)
        if found is not None:
            choice, by = found
        elif (number := order_for(self.orders, point)) is not None:
            choice, by = order_choice(self.orders[number - 1]), "order"
        elif self.then is not None:
            choice = self.then.decide(point, model)
            by = getattr(self.then, "last_by", "team")
        else:
            choice, by = point.default, "policy"
        self.history.append((point, choice, by))
        return choice
