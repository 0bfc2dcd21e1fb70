"""The live exercise's room: seats, the clock, pending decisions and injects (no web framework).

`tabletop exercise SCENARIO.yaml --teams HAL-INT,DRV-BRD,HUB` opens a `Room`. Every team seats
one agency; the simulation plays every other agency, and every seat nobody takes, by the
scenario's policy. A facilitator runs the clock and releases the injects. The pages
(`sim.dashboard.room_pages`) only call the methods here and draw the views they return.

Design:

- **One run, on a worker thread.** The `SharingModel` runs on a thread the room owns, with
  a `TeamPlayers` (one player per seated agency, `sim.engine.decisions`). At a decision point of
  a seated agency the thread waits (the simulated clock stops, unless the facilitator runs in
  real time) until the team answers, the countdown runs out (the policy decides, and the team's
  page says so) or the room stops. Every public method takes the room's lock briefly; the views
  are plain data copied under it, so the pages never touch the model.
- **Tokens.** Each seat's code and the facilitator's are independent `secrets.token_urlsafe`
  values: one cannot be derived from another. A request carries its token; a token that names
  no seat, a seat acting for another agency, a decision answered twice (a replayed request) or a
  facilitator action without the facilitator's token raises `Refused`, and is logged
  (`Room.refusals`, and ``refused.log`` in the folder).
- **Everything a team decided is in the folder.** Each decision, inject release and note is
  appended to the room's folder as it happens (``exercise.yaml``: the decisions file of every
  team, in the format `sim.spec.decisions_file` reads with a ``teams:`` list, and
  ``exercise-log.jsonl``). Stopping (Ctrl-C, kill: the command's signal handlers call `stop`)
  writes them complete; `Room.resume` reads them back and replays the run to where it was,
  byte for byte, then goes on live.
- **Hotwash.** `stop` (or the run's end) writes the run folder: the report of the run, with a
  section per team (its decisions, their effect against the scenario's policy on the same seed,
  both sides, and the inject evaluation guide filled with what each team did), the figures, and
  ``exercise.yaml``, which ``tabletop play SCENARIO --decisions exercise.yaml`` replays without a
  browser to the same files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.i18n import translator
from sim.spec.scenario import Scenario

T = translator("room")

FACILITATOR = "facilitator"
"""The role of the facilitator's token (a seat's role is its agency id)."""

DEFAULT_COUNTDOWN_SECONDS = 90.0
"""Seconds a team has for a decision before the scenario's policy takes it (the facilitator changes it)."""

DEFAULT_SPEED = 6.0
"""Simulated hours per real minute when the exercise starts (the facilitator changes it)."""


class Refused(Exception):  # noqa: N818 (a refusal, not a programming error)
    """A request the room does not accept (wrong or unknown token, another seat, a replay, a bad value).

    Attributes:
        reason: why, in words a page can show.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SeatLink:
    """How to join one seat: the role and its token (the web layer makes the URL)."""

    role: str
    token: str
    agency_name: str = ""


@dataclass(frozen=True)
class PendingView:
    """A decision a team has to take now.

    Attributes:
        id: the decision's id in this room (answer with it; single use).
        kind: ``alert`` or ``intelligence``.
        time: simulated hours.
        traveller, identifier: whom it is about, and by what identifier.
        sender, trust, confirmed, refuted, adaptive: for an alert: who sent it, the link's trust
            now, and the sender's track record (None when the scenario does not model the cost of
            sharing).
        links: for intelligence: the agency's links it could share on.
        choices: the actions allowed (``act``/``verify``/``discard`` or ``share``/``verify``/``hold``).
        default: the scenario's policy's choice (what a timeout takes).
        seconds_left: the countdown, in real seconds (None: no countdown, or the room is paused).
    """

    id: str
    kind: str
    time: float
    traveller: str
    identifier: str
    choices: tuple[str, ...]
    default: str
    sender: str = ""
    trust: float = 1.0
    confirmed: int | None = None
    refuted: int | None = None
    adaptive: bool = False
    links: tuple[str, ...] = ()
    seconds_left: float | None = None


@dataclass(frozen=True)
class TeamView:
    """What one team's page shows: only what its agency knows.

    Attributes:
        agency, agency_name, country: the seat.
        state: ``lobby``, ``running``, ``paused``, ``waiting`` (a team has a decision due) or ``ended``.
        hours: the simulated clock.
        pending: its decisions due now.
        watchlist: rows (traveller, identifier, since hours, source).
        alerts: alerts received: rows (alert, traveller, identifier, from, trust, confirmed, refuted, fate, hours).
        intelligence: its own new intelligence: rows (traveller, identifier, hours).
        injects: injects that reached it: rows (number, hours, text).
        notes: notes from the facilitator to it or to all: rows (hours, text).
        history: its decisions so far: rows (id, hours, kind, traveller, choice, by), where ``by``
            is ``team``, ``timeout`` (the policy decided) or ``order``.
        report: the hotwash report's path once the exercise has ended, else None.
    """

    agency: str
    agency_name: str
    country: str
    state: str
    hours: float
    pending: tuple[PendingView, ...] = ()
    watchlist: tuple[dict[str, Any], ...] = ()
    alerts: tuple[dict[str, Any], ...] = ()
    intelligence: tuple[dict[str, Any], ...] = ()
    injects: tuple[dict[str, Any], ...] = ()
    notes: tuple[dict[str, Any], ...] = ()
    history: tuple[dict[str, Any], ...] = ()
    report: Path | None = None


@dataclass(frozen=True)
class Headline:
    """The live headline: stopped, wrongly stopped, got through (by cause), on the way."""

    hours: float
    stopped: int
    wrongly_stopped: int
    got_through: int
    by_cause: dict[str, int] = field(default_factory=dict)
    en_route: int = 0


@dataclass(frozen=True)
class FacilitatorView:
    """What the facilitator's console shows.

    Attributes:
        state, hours, speed, countdown_seconds, real_time, auto_release: the clock and its settings.
        seats: rows (agency, agency_name, joined, connected, pending, decided, timeouts); a seat
            nobody joined is played by the policy.
        injects: the MSEL: rows (number, day, kind, text, released_hours or None).
        headline: the live headline.
        notes: notes sent: rows (hours, to, text).
        refusals: refused requests: rows (wall time, role, what, reason).
        report: the hotwash report's path once ended.
    """

    state: str
    hours: float
    horizon: float
    speed: float
    countdown_seconds: float
    real_time: bool
    auto_release: bool
    seats: tuple[dict[str, Any], ...]
    injects: tuple[dict[str, Any], ...]
    headline: Headline
    notes: tuple[dict[str, Any], ...] = ()
    refusals: tuple[dict[str, Any], ...] = ()
    report: Path | None = None


class Room:
    """A live exercise: seats, a facilitator, one run on the scenario's seed.

    Args:
        scenario: the validated scenario.
        teams: the seated agencies (each must have a decision: an agency that receives alerts
            or learns intelligence); the others are played by the policy.
        folder: the run folder the exercise writes (decisions as they come, the hotwash at the end).
        seed: the run's seed (default: the scenario's).
        countdown_seconds: real seconds for each decision before the policy decides (0: none).
        speed: simulated hours per real minute.
        auto_release: release each inject at its scheduled time (else the facilitator releases
            them, in MSEL order).
        real_time: the clock does not stop for decisions due.
    """

    def __init__(self, scenario: Scenario, teams: list[str], folder: Path, seed: int | None = None,
                 countdown_seconds: float = DEFAULT_COUNTDOWN_SECONDS, speed: float = DEFAULT_SPEED,
                 auto_release: bool = True, real_time: bool = False) -> None:  # fmt: skip
        raise NotImplementedError

    @classmethod
    def resume(cls, folder: Path) -> Room:
        """The room whose decisions so far are in `folder`, replayed to where it stopped (paused)."""
        raise NotImplementedError

    # ------------------------------------------------------------ who is who

    def links(self) -> list[SeatLink]:
        """The facilitator's link first, then each seat's, in the order of `teams`."""
        raise NotImplementedError

    def role_of(self, token: str) -> str:
        """`FACILITATOR` or the seat's agency for `token`; `Refused` (logged) for any other token."""
        raise NotImplementedError

    def join(self, token: str) -> str:
        """A page opened with `token` (again, after a reload: the seat and its history are kept); the role."""
        raise NotImplementedError

    def leave(self, token: str) -> None:
        """A page with `token` closed (the seat stays the team's; the lobby shows it disconnected)."""
        raise NotImplementedError

    # ------------------------------------------------------------ the facilitator

    def start(self, token: str) -> None:
        """Start the clock (from the lobby), or resume it after a pause."""
        raise NotImplementedError

    def pause(self, token: str) -> None:
        """Stop the clock and the countdowns."""
        raise NotImplementedError

    def set_speed(self, token: str, hours_per_minute: float) -> None:
        """Simulated hours per real minute (a positive, finite number, bounded)."""
        raise NotImplementedError

    def set_countdown(self, token: str, seconds: float) -> None:
        """Real seconds for each decision from now on (0: no countdown)."""
        raise NotImplementedError

    def set_real_time(self, token: str, on: bool) -> None:
        """Whether the clock runs on while decisions are due."""
        raise NotImplementedError

    def set_auto_release(self, token: str, on: bool) -> None:
        """Release injects on their schedule (on) or only by `release_next_inject` (off)."""
        raise NotImplementedError

    def release_next_inject(self, token: str) -> int | None:
        """Release the next inject of the MSEL now; its number, or None when all are released."""
        raise NotImplementedError

    def send_note(self, token: str, text: str, to: str | None = None) -> None:
        """A note to every team (`to` None) or to one seat's agency (text bounded, shown as text)."""
        raise NotImplementedError

    def stop(self, token: str | None = None) -> Path:
        """End the exercise (the facilitator, or the server being stopped when `token` is None).

        Writes the decisions so far and the hotwash (the report with a section per team) into the
        folder; the report's path. Idempotent.
        """
        raise NotImplementedError

    # ------------------------------------------------------------ the teams

    def decide(self, token: str, decision: str, action: str, links: list[str] | None = None) -> None:
        """The team of `token` answers its pending `decision` with `action` (and `links` for ``share``)."""
        raise NotImplementedError

    # ------------------------------------------------------------ views

    def facilitator_view(self, token: str) -> FacilitatorView:
        """The console's data (the facilitator's token only)."""
        raise NotImplementedError

    def team_view(self, token: str) -> TeamView:
        """The page of `token`'s seat: only what its agency knows."""
        raise NotImplementedError

    def headline(self) -> Headline:
        """The live headline (what read-only viewers and the lobby show)."""
        raise NotImplementedError

    @property
    def refusals(self) -> list[dict[str, Any]]:
        """Every refused request so far: wall time, role (or ``unknown``), what was asked, why."""
        raise NotImplementedError
