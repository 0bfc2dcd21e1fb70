"""A stand-in for `sim.exercise.room.Room` that returns views from plain data (the pages' own tests).

It keeps the room's contract (tokens, refusals, replays, views) without running a model, so a page
can be drawn in any state, quickly. The tests of the whole exercise use the real `Room`.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from sim.exercise.room import FACILITATOR, FacilitatorView, Headline, PendingView, Refused, SeatLink, TeamView


class FakeRoom:
    """Seats `teams`; one pending alert for the first seat; `stop` writes a tiny report into `folder`."""

    def __init__(self, teams: list[str], folder: Path) -> None:
        self.folder = folder
        self.tokens = {secrets.token_urlsafe(12): FACILITATOR}
        self.tokens.update({secrets.token_urlsafe(12): team for team in teams})
        self.teams = teams
        self.state = "lobby"
        self.hours = 0.0
        self.joined: set[str] = set()
        self.connected: set[str] = set()
        self.pending: dict[str, list[PendingView]] = {t: [] for t in teams}
        self.history: dict[str, list[dict[str, Any]]] = {t: [] for t in teams}
        self.notes: list[dict[str, Any]] = []
        self.released: dict[int, float] = {}
        self.report: Path | None = None
        self.refused: list[dict[str, Any]] = []
        self.speed, self.countdown, self.real_time, self.auto = 6.0, 90.0, False, True
        self.pending[teams[0]].append(PendingView(
            id="D1", kind="alert", time=5.0, traveller="R-0001", identifier="passport", choices=("act", "verify",
            "discard"), default="act", sender="HUB", trust=0.7, confirmed=2, refuted=1, seconds_left=30.0))  # fmt: skip

    def _refuse(self, token: str, what: str, reason: str) -> None:
        self.refused.append({"time": time.strftime("%H:%M:%S"), "role": self.tokens.get(token, "unknown"),
                             "what": what, "reason": reason})  # fmt: skip
        raise Refused(reason)

    def links(self) -> list[SeatLink]:
        return [SeatLink(role, token, role) for token, role in self.tokens.items()]

    def token_of(self, role: str) -> str:
        return next(t for t, r in self.tokens.items() if r == role)

    def role_of(self, token: str) -> str:
        if token not in self.tokens:
            self._refuse(token, "open", "this code opens no seat")
        return self.tokens[token]

    def join(self, token: str) -> str:
        role = self.role_of(token)
        self.joined.add(role)
        self.connected.add(role)
        return role

    def leave(self, token: str) -> None:
        self.connected.discard(self.role_of(token))

    def _facilitator(self, token: str, what: str) -> None:
        if self.role_of(token) != FACILITATOR:
            self._refuse(token, what, "only the facilitator can do this")

    def start(self, token: str) -> None:
        self._facilitator(token, "start")
        self.state = "running"

    def pause(self, token: str) -> None:
        self._facilitator(token, "pause")
        self.state = "paused"

    def set_speed(self, token: str, hours_per_minute: float) -> None:
        self._facilitator(token, "speed")
        self.speed = hours_per_minute

    def set_countdown(self, token: str, seconds: float) -> None:
        self._facilitator(token, "countdown")
        self.countdown = seconds

    def set_real_time(self, token: str, on: bool) -> None:
        self._facilitator(token, "real time")
        self.real_time = on

    def set_auto_release(self, token: str, on: bool) -> None:
        self._facilitator(token, "auto release")
        self.auto = on

    def release_next_inject(self, token: str) -> int | None:
        self._facilitator(token, "release")
        if 1 in self.released:
            return None
        self.released[1] = self.hours
        return 1

    def send_note(self, token: str, text: str, to: str | None = None) -> None:
        self._facilitator(token, "note")
        self.notes.append({"hours": self.hours, "to": to, "text": text})

    def stop(self, token: str | None = None) -> Path:
        if token is not None:
            self._facilitator(token, "stop")
        self.state = "ended"
        self.report = self.folder / "report.html"
        self.report.write_text("<html><body><h1 id='fake-report'>Fake report</h1></body></html>", encoding="utf-8")
        return self.report

    def decide(self, token: str, decision: str, action: str, links: list[str] | None = None) -> None:
        role = self.role_of(token)
        for team, pending in self.pending.items():
            for p in pending:
                if p.id == decision:
                    if team != role:
                        self._refuse(token, f"decide {decision}", "this decision is another seat's")
                    if action not in p.choices:
                        self._refuse(token, f"decide {decision}", "not one of the choices")
                    pending.remove(p)
                    self.history[team].append({"id": decision, "hours": p.time, "kind": p.kind,
                                               "traveller": p.traveller, "choice": action, "by": "team"})  # fmt: skip
                    return
        self._refuse(token, f"decide {decision}", "no such decision is pending (already answered?)")

    def headline(self) -> Headline:
        return Headline(self.hours, 3, 1, 2, {"late": 1, "not_trusted": 1}, 4)

    def facilitator_view(self, token: str) -> FacilitatorView:
        self._facilitator(token, "console")
        seats = tuple({"agency": t, "agency_name": t, "joined": t in self.joined, "connected": t in self.connected,
                       "pending": len(self.pending[t]), "decided": len(self.history[t]), "timeouts": 0}
                      for t in self.teams)  # fmt: skip
        injects = ({"number": 1, "day": 1, "kind": "link_down", "text": "<b>Link down</b>",
                    "released_hours": self.released.get(1)},)  # fmt: skip
        return FacilitatorView(self.state, self.hours, 240.0, self.speed, self.countdown, self.real_time, self.auto,
                               seats, injects, self.headline(), tuple(self.notes), tuple(self.refused),
                               self.report)  # fmt: skip

    def team_view(self, token: str) -> TeamView:
        role = self.role_of(token)
        if role == FACILITATOR:
            self._refuse(token, "team page", "this is the facilitator's code, not a seat's")
        notes = tuple(n for n in self.notes if n["to"] in (None, role))
        return TeamView(role, role, "Country", self.state, self.hours, tuple(self.pending[role]), notes=notes,
                        history=tuple(self.history[role]), report=self.report)  # fmt: skip

    @property
    def refusals(self) -> list[dict[str, Any]]:
        return list(self.refused)
