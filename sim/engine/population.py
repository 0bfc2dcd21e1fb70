"""The border side of the cost of sharing: ordinary travellers, namesakes, retention, PNR.

`BorderCosts` holds, for one run, what a scenario with ``population``, ``false_match``,
``retention_days`` or ``pnr_rules`` adds to the model (`sim.engine.model.SharingModel`
creates one only for such a scenario, so other scenarios run as before, draw for draw):

- **Watchlist entries.** An agency has at most one entry per traveller; its identifier
  for false matches is the **strongest** the agency holds on that traveller (biometric >
  document > name: an agency holding the biometrics clears a name hit with them). The
  entry counts ``K[i]`` by identifier are kept per border agency, changed at every
  acceptance that creates or strengthens an entry and at every expiry.
- **Namesakes** (ordinary crossings that falsely match an entry). Ordinary crossings into a
  country arrive as a Poisson process of rate ``N / 24`` per hour; each one is compared with
  every live entry of a border agency and falsely matches with probability
  ``q = 1 - prod_i (1 - false_match[i]) ** K[i]``. So the agency's namesake stops are a Poisson
  process of intensity ``lambda(t) = N / 24 * q(t)``, piecewise constant between watchlist
  changes. They are drawn by a time change, never crossing by crossing: the k-th stop comes
  when the integrated intensity ``Lambda(t)`` reaches ``E_k``, the k-th point of a unit-rate
  Poisson process (exponential gaps from the keyed stream ``("population", agency, "stops")``,
  entry k). This is the exact law for any number of crossings and couples runs monotonically
  on common random numbers: a watchlist that is never larger (shorter retention) never makes
  more stops by any time. No event is scheduled per stop: the stops of an interval between
  watchlist changes are recorded (each at its own time) when the interval ends, when the
  agency is about to judge an alert, and at the horizon. The entry a namesake was taken for
  is drawn in proportion to the entries' false-match rates (``("population", agency, "entry")``).
- **Retention.** An entry expires ``retention_days`` after its latest acceptance (every
  accepted alert or intelligence about the traveller renews it); an expired entry is removed
  (it neither detects nor makes namesakes) and a later alert puts it back.
- **PNR.** A border agency with ``pnr_rules`` flags each crossing of a person of interest with
  probability ``flags_interest`` (keyed ``("pnr", agency, crossing number)`` by traveller, so
  adding rules at one border changes no other draw) and ordinary crossings at rate
  ``N / 24 * flags_ordinary`` per hour (exponential gaps from ``("pnr", agency, "ordinary")``).

This module imports nothing of the model (types only): the model and the outcomes use it.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.engine.wrongful import WrongfulStop
from sim.spec.field_types import IDENTIFIERS

if TYPE_CHECKING:
    from sim.engine.agents import AgencyAgent, TravellerAgent
    from sim.engine.messages import Message
    from sim.engine.model import SharingModel

PRIORITY_EXPIRE = 3
"""Expiries run with the verification ends: after deliveries (a renewal at the same time wins), before crossings."""

PRIORITY_STOP = 4
"""Ordinary stops flagged by PNR rules are crossings."""

PRIORITY_LAST = 9
"""The last namesake stops are recorded at the horizon, after everything else."""

STRENGTH = {"biometric": 3, "document": 2, "name": 1}
"""Which identifier an entry is matched on when the agency holds several: the strongest."""


def strongest(identifiers: set[str] | None) -> str | None:
    """The strongest of `identifiers` (biometric > document > name), or None."""
    if not identifiers:
        return None
    return max(identifiers, key=STRENGTH.__getitem__)


def _exponential(u: float) -> float:
    """An exponential(1) draw from a uniform in [0, 1)."""
    return -math.log1p(-u)


@dataclass(slots=True, eq=False)
class Namesakes:
    """One border agency's namesake stops: a Poisson process drawn by a time change."""

    agency: AgencyAgent
    per_hour: float
    false_match: dict[str, float]
    log_keep: dict[str, float]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(IDENTIFIERS, 0))
    since: float = 0.0
    done: float = 0.0
    target: float = 0.0
    number: int = 0
    current: float = 0.0
    classes: list[tuple[str, float]] | None = None
    weight: float = 0.0
    members: dict[str, list[int]] = field(default_factory=lambda: {i: [] for i in IDENTIFIERS})

    def rate(self) -> float:
        """Expected namesake stops per hour with the watchlist as it is."""
        counts, keep = self.counts, self.log_keep
        log_miss = 0.0
        for identifier in IDENTIFIERS:
            if counts[identifier]:
                log_miss += keep[identifier] * counts[identifier]
        return self.per_hour * -math.expm1(log_miss)


class BorderCosts:
    """The border side of the cost of sharing in one run (see the module)."""

    def __init__(self, model: SharingModel):
        scenario = model.exercise
        self.model = model
        population = scenario.population
        specs = {spec.id: spec for spec in scenario.agencies}
        self.retention: dict[str, float] = {
            code: spec.retention_days * 24.0 for code, spec in specs.items() if spec.retention_days is not None
        }
        self.expires: dict[tuple[str, int], float] = {}
        self.live_since: dict[tuple[str, int], float] = {}
        self.ended: dict[tuple[str, int], list[tuple[float, float]]] = {}
        self.per_day: dict[str, float] = {}
        self.namesakes: dict[str, Namesakes] = {}
        self.pnr: dict[str, tuple[float, float]] = {}
        for country, agencies in model.border_agencies.items():
            per_day = population.per_day(country) if population is not None else 0.0
            self.per_day[country] = per_day
            for agency in agencies:
                spec = specs[agency.code]
                if spec.pnr_rules is not None:
                    self.pnr[agency.code] = (spec.pnr_rules.flags_interest, spec.pnr_rules.flags_ordinary)
                if per_day <= 0:
                    continue
                rates = spec.false_match_or_default
                false_match = {i: rates.probability(i) for i in IDENTIFIERS}
                state = Namesakes(
                    agency=agency,
                    per_hour=per_day / 24.0,
                    false_match=false_match,
                    log_keep={i: math.log1p(-p) if p < 1 else -math.inf for i, p in false_match.items()},
                )
                state.target = _exponential(model.streams.uniform(("population", agency.code, "stops"), 0))
                self.namesakes[agency.code] = state
                model._schedule(model.horizon, PRIORITY_LAST, self._at_horizon, state)
        for code, (_, flags_ordinary) in self.pnr.items():
            agency = model.agencies[code]
            rate = self.per_day[agency.country] / 24.0 * flags_ordinary
            if rate <= 0:
                continue
            at, k = 0.0, 0
            while True:
                at += _exponential(model.streams.uniform(("pnr", code, "ordinary"), k)) / rate
                if at > model.horizon:
                    break
                model._schedule(at, PRIORITY_STOP, self._on_pnr_ordinary, agency)
                k += 1

    # ------------------------------------------------------------ watchlists

    def accept(self, agency: AgencyAgent, traveller: int, identifier: str, message: Message | None) -> bool:
        """`agency` accepts an identifier on `traveller` (an alert, or its own intelligence if `message` is None).

        Returns what `AgencyAgent.accept` returns: True if it is new to the agency.
        """
        now = self.model.now
        key = (agency.code, traveller)
        self.before_judging(agency)  # the stops so far were made on the watchlist as it was
        before = strongest(agency.watchlist.get(traveller))
        new = agency.accept(traveller, identifier, now)
        after = strongest(agency.watchlist[traveller])
        if before is None:
            self.live_since[key] = now
        if after != before:
            self._entry_changed(agency, traveller, before, after)
        hours = self.retention.get(agency.code)
        if hours is not None:
            expiry = now + hours
            self.expires[key] = expiry
            if expiry <= self.model.horizon:
                self.model._schedule(expiry, PRIORITY_EXPIRE, self._on_expire, (agency, traveller, expiry))
        return new

    def _on_expire(self, payload: tuple[AgencyAgent, int, float]) -> None:
        agency, traveller, expiry = payload
        key = (agency.code, traveller)
        if self.expires.get(key) != expiry:
            return  # renewed since
        del self.expires[key]
        self.before_judging(agency)  # the stops so far were made on the watchlist as it was
        before = strongest(agency.watchlist.pop(traveller))
        self.ended.setdefault(key, []).append((self.live_since.pop(key), self.model.now))
        self._entry_changed(agency, traveller, before, None)
        if self.model.ledger is not None:
            self.model.ledger.forget(agency.code, traveller)  # a later alert starts a new entry
        if self.model.log_events:
            kept = self.retention[agency.code] / 24
            self.model._log("expired", agency.code, traveller, None, f"{before} entry kept {kept:g} days")

    def live_at(self, agency: AgencyAgent, traveller: int, time: float) -> bool:
        """Whether `agency` had a live entry on `traveller` at `time` (accepted by then, not yet expired)."""
        key = (agency.code, traveller)
        since = self.live_since.get(key)
        if since is not None and since <= time:
            return True
        return any(start <= time < end for start, end in self.ended.get(key, ()))

    # ------------------------------------------------------------ namesakes

    def _entry_changed(self, agency: AgencyAgent, traveller: int, before: str | None, after: str | None) -> None:
        state = self.namesakes.get(agency.code)
        if state is None:
            return
        # The callers caught up first: the stops so far were made on the watchlist as it was.
        if before is not None:
            state.counts[before] -= 1
            members = state.members[before]
            del members[bisect.bisect_left(members, traveller)]
        if after is not None:
            state.counts[after] += 1
            bisect.insort(state.members[after], traveller)
        state.current = state.rate()
        state.classes = None  # made when a stop needs them (`_taken_for`): most changes see no stop

    def before_judging(self, agency: AgencyAgent) -> None:
        """`agency` is about to judge an alert: it has learned of every namesake stop before now."""
        state = self.namesakes.get(agency.code)
        if state is not None:
            self._catch_up(state)

    def _at_horizon(self, state: Namesakes) -> None:
        self._catch_up(state)

    def _catch_up(self, state: Namesakes) -> None:
        """Record the namesake stops since the last catch-up, each at its own time, and bring `state` to now.

        The watchlist has not changed since the last catch-up (every change catches up first), so
        the intensity was constant: the stops are where the integrated intensity passes each target.
        No event is scheduled per stop: the agency catches up at every change of its watchlist,
        before it judges an alert (so what it learns from a stop comes before its next decision)
        and at the horizon.
        """
        model = self.model
        now = model.now
        rate = state.current
        if rate > 0 and state.since + (state.target - state.done) / rate <= now:
            agency = state.agency
            code = agency.code
            uniform = model.streams.uniform
            gaps, picks = ("population", code, "stops"), ("population", code, "entry")
            while True:
                at = state.since + (state.target - state.done) / rate
                if at > now:
                    break
                state.done, state.since = state.target, at
                k = state.number
                state.number += 1
                state.target -= math.log1p(-uniform(gaps, state.number))
                entry, identifier = self._taken_for(state, uniform(picks, k))
                # The alert that brought the entry's identifier (the model's one record of provenance).
                alert = model.ledger.entry_alert(code, entry, identifier) if model.ledger is not None else None
                model.wrongful_stops.append(
                    WrongfulStop(at, agency.country, code, identifier, "ordinary", model.travellers[entry].label,
                                 alert.id if alert is not None else None,
                                 alert.link.sender.code if alert is not None else "")
                )  # fmt: skip
                model._stop_outcome(agency, entry, confirmed=False)
        state.done += rate * (now - state.since)
        state.since = now

    def _taken_for(self, state: Namesakes, u: float) -> tuple[int, str]:
        """The entry an ordinary namesake was taken for, and its identifier: weighted by false-match rate.

        The uniform picks the identifier in proportion to ``false_match[i] * K[i]``; what is left of it
        picks one of that identifier's entries, all equally likely (in traveller order).
        """
        if state.classes is None:
            state.classes = [
                (i, state.false_match[i] * k) for i, k in state.counts.items() if k and state.false_match[i] > 0
            ]
            state.weight = sum(w for _, w in state.classes)
        goal = u * state.weight
        last = len(state.classes) - 1
        for number, (identifier, weight) in enumerate(state.classes):
            if goal < weight or number == last:
                members = state.members[identifier]
                return members[min(int(goal / weight * len(members)), len(members) - 1)], identifier
            goal -= weight
        raise AssertionError("a namesake stop with no entry")  # the rate is 0 then: no stop is drawn

    # ------------------------------------------------------------ PNR

    def pnr_stop(self, agency: AgencyAgent, traveller: TravellerAgent, k: int, country: str) -> bool:
        """Do `agency`'s PNR rules flag `traveller` at their crossing number `k`? If so, stop them (True)."""
        rules = self.pnr.get(agency.code)
        if rules is None:
            return False
        probability = rules[0] if traveller.of_interest else rules[1]
        if self.model.streams.uniform(("pnr", agency.code, k), traveller.index) >= probability:
            return False
        model = self.model
        traveller.detected = (model.now, country, agency.code, "pnr")
        if not traveller.of_interest:
            # The innocent subject of a wrong lead, flagged by the rules: a wrongful stop, not a detection.
            model.wrongful_stops.append(
                WrongfulStop(model.now, country, agency.code, "pnr", "pnr", traveller=traveller.label)
            )
            if model.log_events:
                model._log("wrongful_stop", agency.code, traveller.index, None, f"pnr flag at {country} border")
            return True
        model.travellers_detected += 1
        agency.detections += 1
        if model.log_events:
            model._log("detected", agency.code, traveller.index, None, f"pnr flag at {country} border")
        return True

    def _on_pnr_ordinary(self, agency: AgencyAgent) -> None:
        model = self.model
        model.wrongful_stops.append(WrongfulStop(model.now, agency.country, agency.code, "pnr", "pnr"))
        model._log("wrongful_stop", agency.code, None, None, "ordinary traveller flagged by pnr rules")

    # ------------------------------------------------------------ outputs

    def ordinary_crossings(self) -> dict[str, Any]:
        """Ordinary crossings so far (their expected count: rate times time), in total and by border country."""
        days = self.model.now / 24.0
        by_country = {c: round(n * days) for c, n in sorted(self.per_day.items())}
        return {"total": sum(by_country.values()), "by_country": by_country}
