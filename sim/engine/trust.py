"""Adaptive trust: a link's track record, and where each watchlist entry came from.

A receiver's trust in an adaptive link is its track record (design note "the cost of
sharing", section 4): after ``c`` confirmed and ``r`` refuted outcomes of alerts received
on the link, trust is ``(prior * strength + c) / (strength + c + r)``. An outcome is
learnt at a stop (confirmed: a person of interest; refuted: an innocent person taken for
the entry) or when verification refutes an alert. A ``trust`` inject sets the value: it
becomes the prior, and the record starts again (``c = r = 0``).

`TrustLedger` keeps, for a model that models the cost of sharing, which accepted alerts
put each (agency, traveller) entry on a watchlist (the provenance a stop needs to know
whom to credit or blame), each adaptive link's record, and the history written to
``trust.csv``. It imports nothing of the model: the model calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.engine.messages import Message
    from sim.engine.model import Link

TRUST_COLUMNS: list[str] = ["time_hours", "link", "trust", "confirmed", "refuted"]
"""The columns of ``trust.csv``: one row at time 0 per adaptive link, then one per change."""


@dataclass(slots=True)
class TrackRecord:
    """The outcomes a receiver has seen on one adaptive link.

    Attributes:
        prior: trust before any outcome (or the value of the last ``trust`` inject).
        strength: how many outcomes the prior is worth.
        confirmed: outcomes that confirmed an alert (``c``), since the start or the last inject.
        refuted: outcomes that refuted one (``r``).
    """

    prior: float
    strength: float
    confirmed: int = 0
    refuted: int = 0

    @property
    def trust(self) -> float:
        """``(prior * strength + c) / (strength + c + r)``, in [0, 1]."""
        return (self.prior * self.strength + self.confirmed) / (self.strength + self.confirmed + self.refuted)


class TrustLedger:
    """Provenance of watchlist entries, and the track record of every adaptive link.

    Args:
        links: the model's links; those with a `TrackRecord` in `records` are adaptive.
        records: link index -> its record (adaptive links only).
    """

    def __init__(self, links: list[Link], records: dict[int, TrackRecord]):
        self.links = links
        self.records = records
        self.provenance: dict[tuple[str, int], list[Message]] = {}
        self.history: list[tuple[float, str, float, int, int]] = []
        # Link index -> [confirmed, refuted] since the start, on every link (fixed trust too): what a
        # player sees of a sender's track record (trust injects do not reset it).
        self.outcomes: dict[int, list[int]] = {}
        for index, record in records.items():
            link = links[index]
            link.trust = record.trust
            self._note(0.0, link, record)

    def _note(self, time: float, link: Link, record: TrackRecord) -> None:
        self.history.append((time, link.key, record.trust, record.confirmed, record.refuted))

    def accepted(self, message: Message) -> None:
        """`message` put (or confirmed) its subject on its receiver's watchlist."""
        key = (message.link.receiver.code, message.traveller)
        self.provenance.setdefault(key, []).append(message)

    def forget(self, agency: str, traveller: int) -> None:
        """`agency`'s entry on `traveller` expired: the alerts behind it no longer answer for a stop."""
        self.provenance.pop((agency, traveller), None)

    def entry_alert(self, agency: str, traveller: int, identifier: str | None = None) -> Message | None:
        """The accepted alert that put `traveller` on `agency`'s watchlist with `identifier`.

        The first accepted with that identifier, else the first accepted at all; None when the
        entry came from the agency's own intelligence only.
        """
        messages = self.provenance.get((agency, traveller))
        if not messages:
            return None
        for message in messages:
            if message.identifier == identifier:
                return message
        return messages[0]

    def stop_outcome(self, agency: str, traveller: int, confirmed: bool, time: float) -> None:
        """A stop on `agency`'s entry for `traveller` was right (`confirmed`) or wrong.

        Every adaptive link whose accepted alerts put the entry there learns it, once per stop.
        """
        seen: set[int] = set()
        for message in self.provenance.get((agency, traveller), ()):
            link = message.link
            if link.index not in seen:
                seen.add(link.index)
                self.learn(link, confirmed, time)

    def learn(self, link: Link, confirmed: bool, time: float) -> None:
        """One outcome of an alert received on `link` (its trust moves only if the link is adaptive)."""
        counts = self.outcomes.setdefault(link.index, [0, 0])
        counts[0 if confirmed else 1] += 1
        record = self.records.get(link.index)
        if record is None:
            return
        if confirmed:
            record.confirmed += 1
        else:
            record.refuted += 1
        link.trust = record.trust
        self._note(time, link, record)

    def track(self, link: Link) -> tuple[int, int]:
        """(confirmed, refuted): the outcomes of alerts received on `link` so far, adaptive or not."""
        confirmed, refuted = self.outcomes.get(link.index, (0, 0))
        return confirmed, refuted

    def set_trust(self, link: Link, value: float, time: float) -> None:
        """A ``trust`` inject: an adaptive link's prior becomes `value` and its record starts again."""
        record = self.records.get(link.index)
        if record is None:
            return
        record.prior, record.confirmed, record.refuted = value, 0, 0
        link.trust = record.trust
        self._note(time, link, record)

    def final(self) -> dict[str, float]:
        """Link key -> trust at the end, for adaptive links, in link order."""
        return {self.links[i].key: self.records[i].trust for i in sorted(self.records)}

    def rows(self) -> list[dict[str, Any]]:
        """The rows of ``trust.csv``."""
        return [
            {
                "time_hours": round(time, 4) + 0.0,
                "link": key,
                "trust": round(trust, 6) + 0.0,
                "confirmed": confirmed,
                "refuted": refuted,
            }
            for time, key, trust, confirmed, refuted in self.history
        ]
