"""The Mesa agents: agencies that learn, share and screen; travellers who cross borders."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.spec.field_types import IDENTIFIERS

if TYPE_CHECKING:
    from sim.engine.model import Link, SharingModel


class AgencyAgent(mesa.Agent):
    """A national agency.

    Attributes:
        code: the agency's id in the scenario (``NOR-BRD``).
        country: its country's id.
        kind: ``intelligence``, ``police``, ``border`` or ``hub``.
        forwards: it relays the alerts it accepts.
        screens: it checks travellers crossing into its country.
        screening: probability of a match per identifier type (border agencies).
        watchlist: traveller index -> identifier types it has accepted.
        accepted_at: traveller index -> time (hours) of its first accepted alert or intelligence.
        outgoing: its outgoing links, in scenario order.
        detections: travellers it has stopped so far.
    """

    def __init__(
        self,
        model: SharingModel,
        code: str,
        country: str,
        kind: str,
        forwards: bool,
        screens: bool,
        screening: dict[str, float],
    ):
        super().__init__(model)
        self.code = code
        self.country = country
        self.kind = kind
        self.forwards = forwards
        self.screens = screens
        self.screening = screening
        self.watchlist: dict[int, set[str]] = {}
        self.accepted_at: dict[int, float] = {}
        self.outgoing: list[Link] = []
        self.detections = 0

    @property
    def watchlisted(self) -> int:
        """How many travellers are on its watchlist."""
        return len(self.watchlist)

    def accept(self, traveller: int, identifier: str, time: float) -> bool:
        """Put a traveller on the watchlist with this identifier; True if it is new to us."""
        known = self.watchlist.get(traveller)
        if known is None:
            self.watchlist[traveller] = {identifier}
            self.accepted_at[traveller] = time
            return True
        if identifier in known:
            return False
        known.add(identifier)
        return True

    def match_probability(self, traveller: TravellerAgent) -> tuple[float, str | None]:
        """Best chance to detect `traveller` from the watchlist, and the identifier giving it.

        Document and name identifiers never match a traveller on fraudulent
        documents; a biometric identifier always can.
        """
        best, best_id = 0.0, None
        for identifier in IDENTIFIERS:
            if identifier not in self.watchlist.get(traveller.index, ()):
                continue
            if identifier != "biometric" and traveller.fraudulent:
                continue
            p = self.screening[identifier]
            if p > best:
                best, best_id = p, identifier
        if best_id is None and traveller.index in self.watchlist:
            best_id = max(self.watchlist[traveller.index], key=IDENTIFIERS.index)
        return best, best_id


class TravellerAgent(mesa.Agent):
    """A synthetic person of interest travelling along a route.

    Attributes:
        index: position in the run (0-based); keys every random draw about them.
        label: synthetic id such as ``R-0042``.
        group: group name; intent: ``return`` or ``relocate``.
        route: country ids in travel order.
        depart_hours: departure time.
        leg_hours: planned duration of each leg (one per crossing).
        fraudulent: travels on fraudulent documents.
        party_size: people crossing together, the traveller included.
        crossings: (time, country) of each crossing made.
        detected: (time, country, agency, identifier) if stopped, else None.
        of_interest: a person of interest (True), or an innocent subject of a wrong lead
            (False: stopping them is a wrongful stop, see `sim.engine.wrongful`).
    """

    def __init__(
        self,
        model: SharingModel,
        index: int,
        label: str,
        group: str,
        intent: str,
        route: tuple[str, ...],
        depart_hours: float,
        leg_hours: tuple[float, ...],
        fraudulent: bool,
        party_size: int,
        of_interest: bool = True,
    ):
        super().__init__(model)
        self.index = index
        self.label = label
        self.group = group
        self.intent = intent
        self.route = route
        self.depart_hours = depart_hours
        self.leg_hours = leg_hours
        self.fraudulent = fraudulent
        self.party_size = party_size
        self.of_interest = of_interest
        self.crossings: list[tuple[float, str]] = []
        self.detected: tuple[float, str, str, str] | None = None

    @property
    def arrived(self) -> bool:
        """Reached the end of the route undetected."""
        return self.detected is None and len(self.crossings) == len(self.route) - 1

    def en_route(self, time: float) -> bool:
        """Departed, not stopped, not yet arrived, at `time`."""
        return self.depart_hours <= time and self.detected is None and not self.arrived
