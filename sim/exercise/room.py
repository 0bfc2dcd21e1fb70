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

import hmac
import json
import math
import os
import secrets
import shutil
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.engine.decisions import Choice, DecisionPoint, TeamPlayers, order_choice, order_for
from sim.engine.messages import alert_label
from sim.engine.model import SharingModel
from sim.engine.one_run import resolve_seed, resolved_yaml
from sim.errors import Problem, ScenarioError
from sim.exercise.room_record import (
    EXERCISE_FILE,
    EXERCISE_LOG,
    REFUSED_LOG,
    ExerciseText,
    Hotwash,
    Team,
    check_teams,
    hotwash_of,
    manual_releases,
    quantized_release,
    release_hours,
    teams_from,
)
from sim.exercise.room_report import write_hotwash
from sim.i18n import format_int, translator
from sim.spec.decisions_file import (
    ALERT_CHOICES,
    DEFAULT_VERIFY_HOURS,
    INTELLIGENCE_CHOICES,
    ExerciseDecisions,
    Release,
    read_exercise,
)
from sim.spec.output_files import MARKER, new_folder, open_append, write_text
from sim.spec.scenario import Scenario, scenario_from_dict
from sim.spec.yaml_files import read_yaml

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


MAX_SPEED = 100_000.0
"""The fastest clock the facilitator may set, in simulated hours per real minute."""

MAX_COUNTDOWN_SECONDS = 3600.0
"""The longest countdown the facilitator may set, in real seconds."""

MAX_NOTE_CHARS = 500
"""The longest note to the teams, in characters (longer is refused)."""

CHUNK_SECONDS = 0.02
"""About the longest the worker runs the model holding the lock (the views wait at most about that much):
its step, in simulated hours, doubles while a step takes less, halves while it takes more."""

CHUNK_HOURS = (0.25, 48.0)
"""The smallest and largest step of the worker, in simulated hours."""

IDLE_SECONDS = 0.05
"""How often the worker looks at the clock when it has caught up with it."""

MAX_REFUSALS_LOGGED = 10_000
"""Refusals kept and written to ``refused.log``; past it they are refused and dropped (a flood fills no disk)."""

SEATS_FILE = "seats.json"
"""The seats' tokens and the room's settings, for `Room.resume` (readable by its owner only)."""


@dataclass
class _Pending:
    """A decision due: the point, its countdown, the answer once given."""

    id: str
    agency: str
    point: DecisionPoint
    remaining: float | None  # seconds of countdown left while paused; None: no countdown
    deadline: float | None = None  # monotonic time it runs out while running
    answer: tuple[Choice, str] | None = None


@dataclass
class _Seat:
    agency: str
    name: str
    country: str
    token: str
    joined: bool = False
    connections: int = 0
    pending: _Pending | None = None


class _SeatPlayer:
    """Decides for a seated agency: its recorded decisions first (a resumed room), then the team, live."""

    def __init__(self, room: Room, team: Team) -> None:
        self.room = room
        self.team = team
        self.agency = team.agency
        self.verify_hours = team.verify_hours

    def decide(self, point: DecisionPoint, model: object) -> Choice:
        """The recorded choice, else a standing order's, else the team's (or the policy's)."""
        script = self.team.player
        found = script.recorded(point)
        if found is None and (number := order_for(script.orders, point)) is not None:
            found = order_choice(script.orders[number - 1]), "order"
        replayed = found is not None
        if found is None:
            found = self.room._await_decision(self.agency, point)  # the worker holds the room's lock here
        choice, by = found
        script.history.append((point, choice, by))
        self.room._decided(self.agency, point, choice, by, replayed)
        return choice


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
        verify_hours: hours a seated agency takes to verify (its intelligence, and alerts on links
            that do not say).
        plots: draw the figures of the hotwash report.

    Raises:
        ScenarioError: a team that is no agency of the scenario or has no decision, a duplicate,
            or a setting out of range (`check_teams`).
    """

    def __init__(self, scenario: Scenario, teams: list[str], folder: Path, seed: int | None = None,
                 countdown_seconds: float = DEFAULT_COUNTDOWN_SECONDS, speed: float = DEFAULT_SPEED,
                 auto_release: bool = True, real_time: bool = False,
                 verify_hours: float = DEFAULT_VERIFY_HOURS, plots: bool = True,
                 _restore: dict[str, Any] | None = None) -> None:  # fmt: skip
        check_teams(scenario, teams)
        _check_setting("countdown_seconds", countdown_seconds, 0.0, MAX_COUNTDOWN_SECONDS)
        _check_setting("speed", speed, 0.0, MAX_SPEED, positive=True)
        restore = _restore or {}
        self.scenario = scenario
        self.scenario_file = restore.get("scenario_file", scenario.source)
        self.folder = Path(folder)
        self.seed = resolve_seed(scenario, seed)
        self.teams = list(teams)
        self.countdown_seconds = float(countdown_seconds)
        self.speed = float(speed)
        self.auto_release = bool(auto_release)
        self.real_time = bool(real_time)
        self.plots = plots
        self.horizon = scenario.horizon_hours
        self._now: Callable[[], float] = time.monotonic
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        tokens = restore.get("tokens") or {}
        self._facilitator_token = tokens.get(FACILITATOR) or secrets.token_urlsafe(TOKEN_BYTES)
        names = {a.id: a for a in scenario.agencies}
        self._seats: dict[str, _Seat] = {}
        for agency in self.teams:
            spec = names[agency]
            self._seats[agency] = _Seat(agency, spec.name or agency, spec.country,
                                        tokens.get(agency) or secrets.token_urlsafe(TOKEN_BYTES))  # fmt: skip
        self._roles = {self._facilitator_token: FACILITATOR, **{seat.token: a for a, seat in self._seats.items()}}
        if len(self._roles) != len(self._seats) + 1:  # pragma: no cover (128-bit tokens do not collide)
            raise RuntimeError("two seats drew the same token")
        recorded: ExerciseDecisions | None = restore.get("decisions")
        if recorded is not None:
            self._teams = teams_from(recorded)
        else:
            self._teams = [Team(agency, float(verify_hours)) for agency in self.teams]
        self._released: list[Release] = list(recorded.released) if recorded is not None else []
        self._scripted_releases = manual_releases(self._released)
        players = TeamPlayers({team.agency: _SeatPlayer(self, team) for team in self._teams})
        self.model = SharingModel(scenario, seed=self.seed, player=players, collect_data=False,
                                  release_hours=release_hours(scenario, self._released))  # fmt: skip
        self.state = restore.get("state", "lobby")
        self._hours = float(restore.get("hours", 0.0))
        self._replay_to = self._hours
        self._wall = self._now()
        self._pending: _Pending | None = None
        self._answered: dict[str, str] = {}  # decision id -> the agency that had it
        self._decision_count = int(restore.get("decision_count", 0))
        self._notes: list[dict[str, Any]] = []
        self._refusals: list[dict[str, Any]] = []
        self._stopping = False
        self._finishing = False
        self._abandon = False
        self._dirty = False
        self._persisted = 0.0
        self._hotwash: Hotwash | None = None
        self._text = ExerciseText()
        self._chunk = 1.0
        self._waited = 0.0
        self._quit_hours: float | None = None
        self._report: Path | None = None
        self._error: BaseException | None = None
        self._inbox: dict[str, list[Any]] = {agency: [] for agency in self.teams}
        self._indexed = 0
        self._headline_cache: tuple[int, Headline] | None = None
        for agency in restore.get("joined", ()):
            if agency in self._seats:
                self._seats[agency].joined = True
        self._notes = list(restore.get("notes", []))
        self._start_folder(restore)
        self._stop_lock = threading.Lock()
        self._worker = threading.Thread(target=self._run, name="tabletop-room", daemon=True)
        self._worker.start()

    # ------------------------------------------------------------ the folder

    def _start_folder(self, restore: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not restore:
            seats = {"scenario_file": self.scenario_file, "seed": self.seed, "teams": self.teams,
                     "tokens": {FACILITATOR: self._facilitator_token,
                                **{a: seat.token for a, seat in self._seats.items()}},
                     "countdown_seconds": self.countdown_seconds, "speed": self.speed,
                     "auto_release": self.auto_release, "real_time": self.real_time,
                     "allow_large": self.scenario.allow_large, "plots": self.plots,
                     "verify_hours": {team.agency: team.verify_hours for team in self._teams}}  # fmt: skip
            _write_private(self.folder / SEATS_FILE, json.dumps(seats, indent=2) + "\n")
            write_text(self.folder / "scenario.yaml", resolved_yaml(self.scenario, self.seed))
            self._log("opened", teams=self.teams, seed=self.seed)
        else:
            self._log("resumed", hours=self._hours)
        self._persist()

    def _log(self, event: str, **fields: Any) -> None:
        """One line of the exercise log (appended at once: a kill loses nothing; none once the hotwash is written)."""
        if self.state == "ended":
            return
        row = {"wall": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event,
               "hours": round(max(self._hours, self.model.now), 4), **fields}  # fmt: skip
        with open_append(self.folder / EXERCISE_LOG) as handle:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    def _persist(self) -> None:
        """Rewrite the decisions file whole (atomically: a kill leaves the old one or the new one)."""
        self._dirty, self._persisted = False, self._now()
        text = self._text.render(self.scenario_file, self.seed, self._teams, self._released, self._quit_hours)
        write_text(self.folder / EXERCISE_FILE, text)

    @classmethod
    def resume(cls, folder: Path) -> Room:
        """The room whose decisions so far are in `folder`, replayed to where it stopped (paused).

        Raises:
            ScenarioError: the folder holds no exercise, or one that has ended (its report is there).
        """
        folder = Path(folder)
        if (folder / MARKER).is_file():
            raise ScenarioError([Problem(str(folder), None, "", "this exercise has ended: its report is "
                                         + str(folder / "report.html"))])  # fmt: skip
        if not (folder / SEATS_FILE).is_file() or not (folder / EXERCISE_FILE).is_file():
            raise ScenarioError([Problem(str(folder), None, "", f"no exercise to resume here (it needs {SEATS_FILE} "
                                         f"and {EXERCISE_FILE}, which tabletop exercise writes)")])  # fmt: skip
        seats = json.loads((folder / SEATS_FILE).read_text(encoding="utf-8"))
        data, lines = read_yaml(folder / "scenario.yaml", allow_large=bool(seats.get("allow_large")))
        scenario = scenario_from_dict(data, source=seats["scenario_file"], lines=lines,
                                      allow_large=bool(seats.get("allow_large")))  # fmt: skip
        decisions = read_exercise(folder / EXERCISE_FILE, seed=seats["seed"], injects=len(scenario.injects),
                                  agencies=tuple(a.id for a in scenario.agencies), allow_large=True)  # its own file
        hours, joined, started, notes, count = 0.0, set(), False, [], 0
        log = folder / EXERCISE_LOG
        for line in (log.read_text(encoding="utf-8") if log.is_file() else "").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a line cut by the kill
            hours = max(hours, float(row.get("hours", 0.0)))
            if row.get("event") == "joined":
                joined.add(row.get("role"))
            elif row.get("event") == "started":
                started = True
            elif row.get("event") == "note":
                notes.append({"hours": row["hours"], "to": row.get("to"), "text": row.get("text", "")})
            elif row.get("event") == "decision":
                count = max(count, int(str(row.get("id", "D0"))[1:] or 0))
        restore = {"scenario_file": seats["scenario_file"], "tokens": seats["tokens"], "decisions": decisions,
                   "hours": min(hours, scenario.horizon_hours), "joined": joined, "notes": notes,
                   "state": "paused" if started else "lobby", "decision_count": count}  # fmt: skip
        room = cls(scenario, list(seats["teams"]), folder, seed=seats["seed"],
                   countdown_seconds=seats["countdown_seconds"], speed=seats["speed"],
                   auto_release=seats["auto_release"], real_time=seats["real_time"],
                   plots=bool(seats.get("plots", True)), _restore=restore)  # fmt: skip
        room.wait_until(lambda r: r.model.time >= r._replay_to or r._pending is not None or not r.model.running,
                        timeout=600.0)  # fmt: skip
        return room

    # ------------------------------------------------------------ who is who

    def links(self) -> list[SeatLink]:
        """The facilitator's link first, then each seat's, in the order of `teams`."""
        with self._lock:
            return [SeatLink(FACILITATOR, self._facilitator_token, T.gettext("Facilitator")),
                    *(SeatLink(a, seat.token, seat.name) for a, seat in self._seats.items())]  # fmt: skip

    def _role(self, token: Any) -> str | None:
        """The role of `token`, compared in constant time; None for any other value."""
        if not isinstance(token, str) or not token:
            return None
        found = None
        for known, role in self._roles.items():
            if hmac.compare_digest(known.encode(), token.encode("utf-8", "replace")):
                found = role
        return found

    def _refuse(self, role: str | None, what: str, reason: str) -> Refused:
        """Log a refused request (kept, and in ``refused.log``); the exception to raise."""
        row = {"wall": datetime.now(UTC).isoformat(timespec="milliseconds"), "role": role or "unknown",
               "what": what, "reason": reason}  # fmt: skip
        if len(self._refusals) >= MAX_REFUSALS_LOGGED:
            return Refused(reason)  # a flood: refused, not kept
        self._refusals.append(row)
        if self.state == "ended":  # the hotwash folder is complete: its files stay as its marker says
            return Refused(reason)
        try:
            with open_append(self.folder / REFUSED_LOG) as handle:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        except OSError:  # pragma: no cover (the refusal stands; the log is best effort)
            pass
        return Refused(reason)

    def _need(self, token: Any, what: str, facilitator: bool = False) -> str:
        """The role of `token` for `what` (lock held); `Refused` (logged) for an unknown token or a wrong role."""
        role = self._role(token)
        if role is None:
            raise self._refuse(None, what, T.gettext("This link is not valid for this exercise."))
        if facilitator and role != FACILITATOR:
            raise self._refuse(role, what, T.gettext("Only the facilitator can do this."))
        return role

    def role_of(self, token: str) -> str:
        """`FACILITATOR` or the seat's agency for `token`; `Refused` (logged) for any other token."""
        with self._lock:
            return self._need(token, "role")

    def join(self, token: str) -> str:
        """A page opened with `token` (again, after a reload: the seat and its history are kept); the role."""
        with self._lock:
            role = self._need(token, "join")
            if role != FACILITATOR:
                seat = self._seats[role]
                seat.connections += 1
                if not seat.joined:
                    seat.joined = True
                    self._log("joined", role=role)
            self._cond.notify_all()
            return role

    def leave(self, token: str) -> None:
        """A page with `token` closed (the seat stays the team's; the lobby shows it disconnected)."""
        with self._lock:
            role = self._need(token, "leave")
            if role != FACILITATOR:
                seat = self._seats[role]
                seat.connections = max(0, seat.connections - 1)

    # ------------------------------------------------------------ the facilitator

    def _ended(self, role: str, what: str) -> None:
        if self.state == "ended" or self._stopping:
            raise self._refuse(role, what, T.gettext("The exercise has ended."))

    def start(self, token: str) -> None:
        """Start the clock (from the lobby), or resume it after a pause."""
        with self._lock:
            role = self._need(token, "start", facilitator=True)
            self._ended(role, "start")
            if self.state == "running":
                return
            self._tick()
            first = self.state == "lobby"
            self.state = "running"
            self._wall = self._now()
            pending = self._pending
            if pending is not None and pending.remaining is not None:
                pending.deadline = self._wall + pending.remaining
            self._log("started" if first else "resumed_clock")
            self._cond.notify_all()

    def pause(self, token: str) -> None:
        """Stop the clock and the countdowns."""
        with self._lock:
            role = self._need(token, "pause", facilitator=True)
            self._ended(role, "pause")
            if self.state != "running":
                return
            self._tick()
            self.state = "paused"
            pending = self._pending
            if pending is not None and pending.deadline is not None:
                pending.remaining = max(0.0, pending.deadline - self._now())
                pending.deadline = None
            self._log("paused")
            self._cond.notify_all()

    def set_speed(self, token: str, hours_per_minute: float) -> None:
        """Simulated hours per real minute (a positive, finite number, bounded)."""
        with self._lock:
            role = self._need(token, "speed", facilitator=True)
            if not _in_range(hours_per_minute, 0.0, MAX_SPEED, positive=True):
                raise self._refuse(role, "speed", T.gettext("The speed must be a number of simulated hours per "
                                                            "minute above 0 and at most {most}.").format(
                    most=format_int(int(MAX_SPEED))))  # fmt: skip
            self._tick()
            self.speed = float(hours_per_minute)
            self._log("speed", speed=self.speed)
            self._cond.notify_all()

    def set_countdown(self, token: str, seconds: float) -> None:
        """Real seconds for each decision from now on (0: no countdown)."""
        with self._lock:
            role = self._need(token, "countdown", facilitator=True)
            if not _in_range(seconds, 0.0, MAX_COUNTDOWN_SECONDS):
                raise self._refuse(role, "countdown", T.gettext("The countdown must be a number of seconds from 0 "
                                                                "(none) to {most}.").format(
                    most=format_int(int(MAX_COUNTDOWN_SECONDS))))  # fmt: skip
            self.countdown_seconds = float(seconds)
            self._log("countdown", seconds=self.countdown_seconds)

    def set_real_time(self, token: str, on: bool) -> None:
        """Whether the clock runs on while decisions are due."""
        with self._lock:
            role = self._need(token, "real_time", facilitator=True)
            if not isinstance(on, bool):
                raise self._refuse(role, "real_time", T.gettext("Real time is on or off."))
            self._tick()
            self.real_time = on
            self._log("real_time", on=on)
            self._cond.notify_all()

    def set_auto_release(self, token: str, on: bool) -> None:
        """Release injects on their schedule (on) or only by `release_next_inject` (off)."""
        with self._lock:
            role = self._need(token, "auto_release", facilitator=True)
            if not isinstance(on, bool):
                raise self._refuse(role, "auto_release", T.gettext("Automatic release is on or off."))
            self.auto_release = on
            self._log("auto_release", on=on)
            self._cond.notify_all()

    def _msel_order(self) -> list[int]:
        """The injects in MSEL order (by day, then as listed), numbered from 0."""
        return sorted(range(len(self.scenario.injects)), key=lambda n: (self.scenario.injects[n].day, n))

    def release_next_inject(self, token: str) -> int | None:
        """Release the next inject of the MSEL now; its number, or None when all are released."""
        with self._lock:
            role = self._need(token, "release", facilitator=True)
            self._ended(role, "release")
            held = set(self.model.held_injects) - {n for _, n in self._scripted_releases}
            upcoming = [n for n in self._msel_order() if n in held]
            if not upcoming:
                return None
            number = upcoming[0]
            self._tick()
            day, at = quantized_release(max(self.model.now, self.model.time, self._hours))
            if at > self.horizon:
                raise self._refuse(role, "release", T.gettext("The exercise is at its end: no inject can come now."))
            self.model.release_inject(number, at, clamp=True)
            self._released.append(Release(number + 1, day, on_schedule=False))
            self._log("release", inject=number + 1, day=day, on_schedule=False)
            self._persist()
            self._cond.notify_all()
            return number + 1

    def send_note(self, token: str, text: str, to: str | None = None) -> None:
        """A note to every team (`to` None) or to one seat's agency (text bounded, shown as text)."""
        with self._lock:
            role = self._need(token, "note", facilitator=True)
            if to is not None and to not in self._seats:
                raise self._refuse(role, "note", T.gettext("A note goes to every team or to one seated team."))
            if not isinstance(text, str):
                raise self._refuse(role, "note", T.gettext("A note is text."))
            clean = "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()
            if not clean or len(clean) > MAX_NOTE_CHARS:
                raise self._refuse(role, "note", T.gettext("A note has 1 to {most} characters.").format(
                    most=format_int(MAX_NOTE_CHARS)))  # fmt: skip
            hours = max(self._hours, self.model.now)
            self._notes.append({"hours": round(hours, 4), "to": to, "text": clean})
            self._log("note", to=to, text=clean)

    def stop(self, token: str | None = None) -> Path:
        """End the exercise (the facilitator, or the server being stopped when `token` is None).

        Writes the decisions so far and the hotwash (the report with a section per team) into the
        folder; the report's path. Idempotent. It returns once the hotwash is written (seconds: the
        policy's run on the same seed, each inject's effect, the figures): call it off a server's
        event loop. The server being stopped to go on later calls `close` instead.
        """
        with self._lock:
            if token is not None:
                self._need(token, "stop", facilitator=True)
            if not self._stopping and self.state != "ended":
                self._stopping = True
                self._tick()
                self._log("stop", by="facilitator" if token is not None else "server")
            self._cond.notify_all()
        with self._stop_lock:
            self._worker.join()
        if self._error is not None:
            raise self._error
        assert self._report is not None
        return self._report

    def close(self) -> None:
        """Suspend the exercise: stop the worker without the hotwash; the folder keeps the decisions so far.

        What the server does when it is stopped (Ctrl-C, a signal): `resume` (``tabletop exercise
        --resume DIR``) goes on from the folder, every seat with its token. A decision due is not
        recorded: it is asked again after the resume. Idempotent; nothing once the exercise has ended.
        """
        with self._lock:
            going = self.state == "ended" or self._stopping  # ended, or being stopped: let it finish
            if not going:
                self._log("closed")
        if going:
            self._worker.join()
            return
        with self._lock:
            self._stopping = True
            self._abandon = True
            if self._dirty:
                self._persist()
            self._cond.notify_all()
        self._worker.join()

    # ------------------------------------------------------------ the teams

    def decide(self, token: str, decision: str, action: str, links: list[str] | None = None) -> None:
        """The team of `token` answers its pending `decision` with `action` (and `links` for ``share``)."""
        with self._lock:
            role = self._need(token, "decide")
            if role == FACILITATOR:
                raise self._refuse(role, "decide", T.gettext("The facilitator does not decide for a team."))
            pending = self._pending
            if pending is None or pending.id != decision:
                if decision in self._answered:
                    if self._answered[decision] != role:
                        raise self._refuse(role, "decide", T.gettext("That decision is another team's."))
                    raise self._refuse(role, "decide", T.gettext("That decision was already taken."))
                raise self._refuse(role, "decide", T.gettext("There is no such decision due."))
            if pending.agency != role:
                raise self._refuse(role, "decide", T.gettext("That decision is another team's."))
            if pending.answer is not None:
                raise self._refuse(role, "decide", T.gettext("That decision was already taken."))
            point = pending.point
            allowed = ALERT_CHOICES if point.kind == "alert" else INTELLIGENCE_CHOICES
            if action not in allowed:
                raise self._refuse(role, "decide", T.gettext("Not a choice here: {choices}.").format(
                    choices=", ".join(allowed)))  # fmt: skip
            choice = Choice(action)
            if links is not None:
                if action != "share" or not isinstance(links, list | tuple) or not all(
                        isinstance(link, str) and link in point.links for link in links):  # fmt: skip
                    raise self._refuse(role, "decide", T.gettext("Links can be chosen only to share, among the "
                                                                 "agency's own links."))  # fmt: skip
                chosen = tuple(dict.fromkeys(links))
                choice = Choice("share", chosen) if chosen else Choice("hold")
            pending.answer = (choice, "team")
            self._cond.notify_all()

    # ------------------------------------------------------------ the worker's side (lock held)

    def _tick(self) -> None:
        """Move the clock on by the real time since the last tick (lock held)."""
        now = self._now()
        elapsed, self._wall = now - self._wall, now
        if self.state == "running" and (self._pending is None or self.real_time) and not self._stopping:
            self._hours = min(self._hours + elapsed / 60.0 * self.speed, self.horizon)
            if not self.real_time:  # the clock shows where the run is: no further than the machine keeps up
                self._hours = min(self._hours, max(self.model.time, self.model.now) + self._chunk)

    def _await_decision(self, agency: str, point: DecisionPoint) -> tuple[Choice, str]:
        """Wait (the lock released while waiting) for the team's answer, the countdown or the stop."""
        seat = self._seats[agency]
        if self._stopping or self._finishing:
            return point.default, "policy"
        if not seat.joined:
            return point.default, "policy"
        self._decision_count += 1
        seconds = self.countdown_seconds or None
        pending = _Pending(f"D{self._decision_count}", agency, point, seconds)
        if seconds is not None and self.state == "running":
            pending.deadline = self._now() + seconds
        self._tick()
        if not self.real_time:
            self._hours = max(point.time, min(self._hours, point.time))
        self._pending = seat.pending = pending
        self._cond.notify_all()
        waiting_since = self._now()
        while pending.answer is None:
            if self._stopping:
                pending.answer = (point.default, "policy")
                break
            self._tick()
            if pending.deadline is not None and self.state == "running":
                left = pending.deadline - self._now()
                if left <= 0:
                    pending.answer = (point.default, "timeout")
                    break
                self._cond.wait(timeout=left)
            else:
                self._cond.wait(timeout=1.0)
        self._pending = seat.pending = None
        self._answered[pending.id] = agency
        self._waited += self._now() - waiting_since
        self._wall = self._now()
        return pending.answer

    def _decided(self, agency: str, point: DecisionPoint, choice: Choice, by: str, replayed: bool) -> None:
        """A decision of a seated agency was taken: a team's (or its timeout) logged and written at once.

        The policy's decisions (a seat nobody took, the rest after the stop) are written with the
        next one, or within a second: the policy takes them again the same way after a kill.
        """
        if self._abandon or replayed:
            return
        if by in ("team", "timeout"):
            self._log("decision", agency=agency, id=f"D{self._decision_count}", kind=point.kind,
                      traveller=point.traveller, about=point.alert or point.identifier, choice=choice.action,
                      by=by)  # fmt: skip
            self._persist()
        else:
            self._dirty = True

    def _release_due(self, until: float) -> None:
        """Release, before the run passes them, the injects due by `until` (the schedule, and a resume's record)."""
        model = self.model
        while self._scripted_releases and self._scripted_releases[0][0] <= until:
            at, number = self._scripted_releases.pop(0)
            if math.nextafter(at, -math.inf) > model.time:
                model._advance_time(math.nextafter(at, -math.inf))
            model.release_inject(number, at)
        if not self.auto_release or self._stopping:
            return
        scripted = {n for _, n in self._scripted_releases}
        for number in self._msel_order():
            if number not in model.held_injects or number in scripted:
                continue
            inject = self.scenario.injects[number]
            deadline = model.release_deadline(number, inject.at_hours)
            if deadline > until:
                continue
            try:
                model.release_inject(number, inject.at_hours, clamp=False)
            except ValueError:
                continue  # its time passed while it was held: the facilitator releases it by hand
            self._released.append(Release(number + 1, inject.day, on_schedule=True))
            self._log("release", inject=number + 1, day=inject.day, on_schedule=True)
            self._persist()

    def _idle(self) -> float:
        """Seconds to wait for the clock to move on by a step worth running (a hundredth of an hour)."""
        if self.state != "running":
            return IDLE_SECONDS
        return min(IDLE_SECONDS, max(0.001, 0.01 * 60.0 / self.speed))

    def _target(self) -> float:
        if self.state == "running" and not self._stopping:
            return min(self._hours, self.horizon)
        return min(self._replay_to, self.horizon)

    def _run(self) -> None:
        """The worker: run the model as the clock allows; at the end (or the stop) write the hotwash."""
        try:
            with self._lock:
                model = self.model
                while not self._stopping and model.running:
                    self._tick()
                    target = self._target()
                    if self._dirty and self._now() - self._persisted > 1.0:
                        self._persist()
                    if target > model.time:
                        step = min(target, model.time + self._chunk)
                        began, self._waited = self._now(), 0.0
                        self._release_due(step)
                        model._advance_time(step)
                        if model.time >= self.horizon:
                            model.running = False
                        took = self._now() - began - self._waited  # the run's own time, not the teams'
                        low, high = CHUNK_HOURS
                        self._chunk = min(high, self._chunk * 2) if took < CHUNK_SECONDS / 2 else (
                            max(low, self._chunk / 2) if took > CHUNK_SECONDS else self._chunk)  # fmt: skip
                        # Let the pages in between steps (the lock is not fair: waiting hands it over).
                        self._tick()
                        self._cond.wait(timeout=0.001 if self._target() > model.time else self._idle())
                        continue
                    self._cond.wait(timeout=self._idle())
                if self._abandon:
                    return
                self._finishing = True
                if self._stopping and model.running:
                    self._quit_hours = round(max(model.now, model.time) / 24, 6) * 24  # as the file gives it
                self._released.sort(key=lambda r: r.inject)
                while model.running:  # the policy decides the rest; injects still held stay so
                    step = min(self.horizon, model.time + max(self._chunk, 1.0))
                    self._release_due(step)
                    model._advance_time(step)
                    if model.time >= self.horizon:
                        model.running = False
                    self._cond.wait(timeout=0.001)  # the pages still get the lock
                self._hours = self.horizon
                self._persist()
                self._log("ended", quit_hours=self._quit_hours)
            self._write_hotwash()
        except BaseException as exc:  # noqa: BLE001 (kept for stop() to raise in the caller's thread)
            self._error = exc
            with self._lock:
                self.state = "ended"
                self._cond.notify_all()

    def _write_hotwash(self) -> None:
        hotwash = hotwash_of(self.scenario, self.seed, self.model, self._teams, self._released, self._quit_hours)
        with new_folder(self.folder, "run", force=True) as partial:
            report = write_hotwash(hotwash, partial, self.scenario_file, plots=self.plots)
            self._lock.acquire()
            try:
                for name in (EXERCISE_LOG, REFUSED_LOG):
                    if (self.folder / name).is_file():
                        shutil.copyfile(self.folder / name, partial / name)
            except BaseException:
                self._lock.release()
                raise
        try:
            self._report = self.folder / report.name
            self._hotwash = hotwash
            self.state = "ended"
            self._cond.notify_all()
        finally:
            self._lock.release()

    # ------------------------------------------------------------ views

    def _index_messages(self) -> None:
        messages = self.model.messages
        for message in messages[self._indexed :]:
            inbox = self._inbox.get(message.link.receiver.code)
            if inbox is not None:
                inbox.append(message)
        self._indexed = len(messages)

    def _view_state(self) -> str:
        if self.state == "running" and self._pending is not None:
            return "waiting"
        return self.state

    def _pending_view(self, pending: _Pending) -> PendingView:
        point = pending.point
        if pending.deadline is not None and self.state == "running":
            left: float | None = max(0.0, pending.deadline - self._now())
        else:
            left = pending.remaining
        return PendingView(
            id=pending.id, kind=point.kind, time=point.time, traveller=point.traveller, identifier=point.identifier,
            choices=ALERT_CHOICES if point.kind == "alert" else INTELLIGENCE_CHOICES, default=point.default.action,
            sender=point.sender, trust=point.trust, confirmed=point.confirmed, refuted=point.refuted,
            adaptive=point.adaptive, links=point.links, seconds_left=left,
        )  # fmt: skip

    def _history(self, agency: str) -> tuple[dict[str, Any], ...]:
        team = next(team for team in self._teams if team.agency == agency)
        return tuple(
            {"id": n + 1, "hours": point.time, "kind": point.kind, "traveller": point.traveller,
             "about": point.alert or point.identifier, "choice": choice.action,
             "links": list(choice.links) if choice.links is not None else None,
             "default": point.default.action, "by": by}
            for n, (point, choice, by) in enumerate(team.player.history)
        )  # fmt: skip

    def _injects_reaching(self, agency: str) -> tuple[dict[str, Any], ...]:
        rows = []
        for hours, number, _, detail in self.model.injects_done:
            inject = self.scenario.injects[number]
            if agency in inject.players(self.scenario):
                rows.append({"number": number + 1, "hours": hours, "text": inject.subject or inject.note or detail,
                             "detail": detail})  # fmt: skip
        return tuple(rows)

    def _team_view(self, agency: str) -> TeamView:
        seat = self._seats[agency]
        model = self.model
        self._index_messages()
        now = max(model.now, model.time)
        received = [m for m in self._inbox[agency] if m.delivered is not None and m.delivered <= now]
        ledger = model.ledger
        alerts = []
        for message in received:
            link = message.link
            confirmed, refuted = ledger.track(link) if ledger is not None else (None, None)
            alerts.append({"alert": alert_label(message.id), "traveller": model.travellers[message.traveller].label,
                           "identifier": message.identifier, "from": link.sender.code, "trust": link.trust,
                           "confirmed": confirmed, "refuted": refuted, "fate": message.fate,
                           "hours": message.delivered})  # fmt: skip
        source: dict[int, str] = {}
        for message in received:
            if message.fate in ("accepted", "verified"):
                source.setdefault(message.traveller, message.link.sender.code)
        agent = model.agencies[agency]
        own = T.gettext("own intelligence")
        watchlist = tuple(
            {"traveller": model.travellers[i].label, "identifier": ", ".join(sorted(ids)),
             "since": agent.accepted_at.get(i), "source": source.get(i, own)}
            for i, ids in agent.watchlist.items()
        )  # fmt: skip
        history = self._history(agency)
        intelligence = tuple({"traveller": row["traveller"], "identifier": row["about"], "hours": row["hours"]}
                             for row in history if row["kind"] == "intelligence")  # fmt: skip
        notes = tuple({"hours": n["hours"], "text": n["text"]} for n in self._notes if n["to"] in (None, agency))
        return TeamView(
            agency=agency, agency_name=seat.name, country=seat.country, state=self._view_state(),
            hours=self._clock_hours(), pending=(self._pending_view(seat.pending),) if seat.pending else (),
            watchlist=watchlist, alerts=tuple(alerts), intelligence=intelligence,
            injects=self._injects_reaching(agency), notes=notes, history=history,
            report=self._report if self.state == "ended" else None,
        )  # fmt: skip

    def _clock_hours(self) -> float:
        self._tick()
        if self._pending is not None and not self.real_time:
            return self._pending.point.time
        return min(max(self._hours, 0.0), self.horizon)

    def _headline(self) -> Headline:
        hotwash = self._hotwash
        if hotwash is not None:
            s = hotwash.played.summary
            misses = {cause: count for cause, count in s["misses"].items() if count}
            wrongly = s["wrongful_stops"]["total"] if "wrongful_stops" in s else 0
            return Headline(self.horizon, s["detected"], wrongly, s["missed"], misses, s["en_route"])
        model = self.model
        cached = self._headline_cache
        if cached is not None and cached[0] == model.events_processed:
            return cached[1]
        people = [t for t in model.travellers if t.of_interest]
        now = max(model.now, model.time)
        through = sum(1 for t in people if t.detected is None and t.arrived)
        en_route = sum(1 for t in people if t.en_route(now))
        headline = Headline(self._clock_hours(), model.travellers_detected, len(model.wrongful_stops), through,
                            {}, en_route)  # fmt: skip
        self._headline_cache = (model.events_processed, headline)
        return headline

    def facilitator_view(self, token: str) -> FacilitatorView:
        """The console's data (the facilitator's token only)."""
        with self._lock:
            self._need(token, "facilitator_view", facilitator=True)
            counts = {team.agency: Counter(by for _, _, by in team.player.history) for team in self._teams}
            seats = tuple(
                {"agency": a, "agency_name": seat.name, "joined": seat.joined, "connected": seat.connections > 0,
                 "pending": 1 if seat.pending else 0, "pending_id": seat.pending.id if seat.pending else None,
                 "pending_kind": seat.pending.point.kind if seat.pending else None,
                 "seconds_left": self._pending_view(seat.pending).seconds_left if seat.pending else None,
                 "decided": counts[a]["team"], "timeouts": counts[a]["timeout"], "by_policy": counts[a]["policy"]}
                for a, seat in self._seats.items()
            )  # fmt: skip
            released = {r.inject - 1: r.day * 24.0 for r in self._released}
            done = {number for _, number, _, _ in self.model.injects_done}
            injects = tuple(
                {"number": n + 1, "day": self.scenario.injects[n].day, "kind": self.scenario.injects[n].kind,
                 "text": self.scenario.injects[n].subject or self.scenario.injects[n].note or "",
                 "expected_action": self.scenario.injects[n].expected_action or "",
                 "released_hours": released.get(n), "done": n in done}
                for n in self._msel_order()
            )  # fmt: skip
            return FacilitatorView(
                state=self._view_state(), hours=self._clock_hours(), horizon=self.horizon, speed=self.speed,
                countdown_seconds=self.countdown_seconds, real_time=self.real_time, auto_release=self.auto_release,
                seats=seats, injects=injects, headline=self._headline(),
                notes=tuple(dict(n) for n in self._notes), refusals=tuple(dict(r) for r in self._refusals),
                report=self._report if self.state == "ended" else None,
            )  # fmt: skip

    def team_view(self, token: str) -> TeamView:
        """The page of `token`'s seat: only what its agency knows."""
        with self._lock:
            role = self._need(token, "team_view")
            if role == FACILITATOR:
                raise self._refuse(role, "team_view", T.gettext("The facilitator's link opens the console."))
            return self._team_view(role)

    def headline(self) -> Headline:
        """The live headline (what read-only viewers and the lobby show)."""
        with self._lock:
            return self._headline()

    @property
    def refusals(self) -> list[dict[str, Any]]:
        """Every refused request so far: wall time, role (or ``unknown``), what was asked, why."""
        with self._lock:
            return [dict(row) for row in self._refusals]

    @property
    def alive(self) -> bool:
        """Whether the room's worker thread is still running."""
        return self._worker.is_alive()

    def wait_until(self, predicate: Callable[[Room], bool], timeout: float = 10.0) -> bool:
        """Wait until `predicate(room)` holds (checked under the lock as the room changes); whether it did."""
        end = self._now() + timeout
        with self._lock:
            while not predicate(self):
                left = end - self._now()
                if left <= 0:
                    return False
                self._cond.wait(timeout=min(left, IDLE_SECONDS))
            return True


TOKEN_BYTES = 16
"""Random bytes in each seat's token and the facilitator's (`secrets.token_urlsafe`: 22 characters)."""


def _write_private(path: Path, text: str) -> None:
    """Write `path` readable by its owner only, from its creation (a fresh file renamed over it, never a link)."""
    temporary = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def _in_range(value: Any, low: float, high: float, positive: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    return (value > low if positive else value >= low) and value <= high


def _check_setting(name: str, value: Any, low: float, high: float, positive: bool = False) -> None:
    if not _in_range(value, low, high, positive):
        bound = "above" if positive else "at least"
        raise ScenarioError([Problem(f"--{name.replace('_', '-')}", None, "",
                                     f"must be a finite number {bound} {low:g} and at most {high:g}", value)])
