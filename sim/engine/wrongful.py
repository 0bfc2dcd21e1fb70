"""Wrongful stops: an innocent person stopped at a border, the cost side of sharing.

Three kinds (`WRONGFUL_STOP_KINDS`): an **ordinary** traveller who falsely matched a
watchlist entry (a namesake; drawn in aggregate, never simulated one by one), an
**innocent subject** of a wrong lead (a simulated traveller with ``of_interest``
false), and an ordinary traveller flagged by **pnr** risk rules. The model appends one
`WrongfulStop` per stop to ``model.wrongful_stops``; `sim.engine.outcomes` counts
them and the run folder writes them to ``wrongful_stops.csv``.

This module imports nothing of the model, so the agents, the model and the outcomes
may all use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.engine.messages import alert_label

WRONGFUL_STOP_KINDS: tuple[str, ...] = ("ordinary", "innocent_subject", "pnr")
"""What kind of innocent person was stopped: a namesake, the subject of a wrong lead, a PNR flag."""

WRONGFUL_STOP_IDENTIFIERS: tuple[str, ...] = ("biometric", "document", "name", "pnr")
"""What a wrongful stop can be made on: a watchlist entry's identifier, or a PNR flag."""

WRONGFUL_STOP_COLUMNS: list[str] = [
    "time_hours", "country", "agency", "identifier", "kind", "traveller", "alert", "sender",
]  # fmt: skip
"""The columns of ``wrongful_stops.csv``, one row per stop."""


@dataclass(slots=True)
class WrongfulStop:
    """One innocent person stopped at a border.

    Attributes:
        time_hours: when.
        country: the country crossed into.
        agency: the border agency that stopped them.
        identifier: the identifier that matched (``name``, ``document``, ``biometric``) or ``pnr``.
        kind: one of `WRONGFUL_STOP_KINDS`.
        traveller: the innocent subject's label (``kind == "innocent_subject"``); for an
            ordinary traveller, the label of the watchlist entry they were taken for, or "".
        alert: the alert that put the matching entry on the watchlist, if it came by a link.
        sender: that alert's sender (the agency it came from), or "" (own intelligence, PNR).
    """

    time_hours: float
    country: str
    agency: str
    identifier: str
    kind: str
    traveller: str = ""
    alert: int | None = None
    sender: str = ""

    def row(self) -> dict[str, object]:
        """As a row of ``wrongful_stops.csv``."""
        return {
            "time_hours": round(self.time_hours, 4) + 0.0,
            "country": self.country,
            "agency": self.agency,
            "identifier": self.identifier,
            "kind": self.kind,
            "traveller": self.traveller,
            "alert": alert_label(self.alert) if self.alert is not None else "",
            "sender": self.sender,
        }
