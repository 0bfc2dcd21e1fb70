"""The Mesa model: agencies share alerts over links while travellers cross borders.

Time is continuous, in hours. Every process is an event at an exact float time
on a binary heap inside the model (`heapq`), not Mesa's own event list: the
heap keeps scheduling cost near a bare loop (Mesa 3.5's list costs about five
times more per event, which matters at 100,000 travellers). The model is
still a `mesa.Model`: agencies and travellers are Mesa agents, ``model.time``
is the clock, and ``step()`` / ``run_for()`` / ``run_until()`` advance it
(one step = one hour), processing the heap's events on the way. Every whole hour
the clock passes is a step, as under Mesa's own schedule: ``model.steps`` counts
it and the DataCollector, if any, collects.

At equal times events run in this order: injects, intelligence, deliveries,
verification ends, crossings. So an alert delivered at the very moment of a
crossing is in time.

Every random decision draws from `sim.engine.streams.Streams`, keyed by the entity it
decides (see that module): this is what makes comparisons paired.
"""

from __future__ import annotations

import functools
import heapq
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

with warnings.catch_warnings():
    # Mesa imports tqdm.auto, which warns "IProgress not found" in a notebook without ipywidgets.
    warnings.filterwarnings("ignore", message="IProgress not found")
    import mesa
import numpy as np

from sim.engine.agents import AgencyAgent, TravellerAgent
from sim.engine.decisions import Choice, DecisionPoint, Player, Record, TeamPlayers
from sim.engine.messages import Message, alert_label, carried_identifier
from sim.engine.outcomes import collect
from sim.engine.population import BorderCosts
from sim.engine.streams import BLOCK, Streams
from sim.engine.trust import TrackRecord, TrustLedger
from sim.engine.wrong_leads import WrongLeads, add_innocent_subjects
from sim.engine.wrongful import WrongfulStop
from sim.spec.distributions import Distribution
from sim.spec.field_types import IDENTIFIERS, AdaptiveTrust
from sim.spec.inject_base import parse_link_ref
from sim.spec.injects import IntelInject, SurgeInject
from sim.spec.outputs import flatten_summary
from sim.spec.scenario import (
    Scenario,
    apportion,
    changed_scenario,
    covered_count,
    expand_links,
    load_scenario,
    traveller_label,
)
from sim.vocabulary import REPORTED_OUTPUTS

# Order of events that fall at the same time.
PRIORITY_INJECT = 0
PRIORITY_LEARN = 1
PRIORITY_DELIVER = 2
PRIORITY_VERIFIED = 3
PRIORITY_CROSS = 4


@dataclass(slots=True, eq=False)
class Link:
    """A directed channel between two agencies, with its live state."""

    index: int
    sender: AgencyAgent
    receiver: AgencyAgent
    delay: Distribution
    trust: float
    reliability: float
    verify: Distribution | None
    when_down: str
    verify_catches: float = 0.0
    carries: tuple[str, ...] | None = None
    up: bool = True
    down_token: int = 0
    held: list[Message] = field(default_factory=list)
    shared: set[tuple[int, str]] = field(default_factory=set)
    _cache: dict[tuple[str, str, int], list[float]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """``FROM->TO``."""
        return f"{self.sender.code}->{self.receiver.code}"

    def draw(self, streams: Streams, what: str, identifier: str, traveller: int) -> float:
        """This link's draw `what` (delay, verify, loss, trust) for one traveller and identifier."""
        block = traveller // BLOCK
        cache_key = (what, identifier, block)
        values = self._cache.get(cache_key)
        if values is None:
            uniforms = streams.block(("link", self.key, what, identifier), block)
            if what == "delay":
                values = self.delay.ppf(uniforms)
            elif what == "verify" and self.verify is not None:
                values = self.verify.ppf(uniforms)
            else:
                values = uniforms
            values = self._cache[cache_key] = values.tolist()
        return values[traveller % BLOCK]


class SharingModel(mesa.Model):
    """Agencies of fictional countries share alerts; border agencies screen travellers.

    **Naming:** the tabletop scenario is ``model.exercise``. ``model.scenario`` is
    Mesa's own `mesa.experimental.scenarios.Scenario` (it holds the rng), as on any
    Mesa 3 model: the name is Mesa's, so the exercise could not take it.

    Mesa's conventions hold. ``SharingModel(scenario, rng=1)`` seeds the run
    (``seed=`` is an alias). ``step()`` advances one hour and counts in ``steps``;
    ``run_for(hours)``, ``run_until(time)`` and ``run()`` (to the horizon) count
    every whole hour they pass as a step too. At the horizon ``running`` turns false.
    After each step the ``datacollector`` (a `mesa.DataCollector`, made by
    `default_datacollector`; assign your own, or None) collects: the model reporters
    are the run's outputs (`sim.vocabulary.REPORTED_OUTPUTS`), the agency reporters
    are per agency. So `mesa.batch_run` works as for any Mesa model: ``max_steps`` is
    in hours, ``data_collection_period`` picks steps, and ``rng=[...]`` fills the
    ``rng`` column::

        mesa.batch_run(SharingModel, {"scenario": "scenarios/baseline-corridor.yaml",
                                      "delay_scale": [0.5, 1, 2],
                                      "sharing.links[HAL-INT->HAL-BRD].trust": [0.5, 1.0]},
                       rng=[1, 2, 3], max_steps=2400, number_processes=1)

    Give ``max_steps`` at least the horizon in hours (batch_run's default, 1000, is
    day 41); a run cut short reports only ``travellers``, ``crossed`` and ``detected``
    so far, the other outputs are None until the run has ended (they attribute every
    miss, which is too costly to do every hour).

    Why the class is large: the event handlers (learn, share, send, deliver, verify,
    cross, the injects' effects) all push onto the same calendar and read and write
    the same state (links, watchlists, messages, the clock), and the inner loop is
    kept free of indirection for speed; the tables and the summary are computed
    outside it (`sim.engine.outcomes`), the inject kinds in `sim.spec.injects`.

    Args:
        scenario: a validated scenario (see `sim.spec.scenario.load_scenario`), or a scenario file.
        rng: the run's seed, an integer (the random streams are keyed by it); default the
            scenario's. ``seed=`` is accepted as an alias (it stays out of the signature, so
            `mesa.batch_run` names its column ``rng``).
        log_events: keep the timeline (`event_log`); sweeps turn it off to save memory.
        player: decides for one agency (exercise mode, see `sim.engine.decisions`), or a
            `sim.engine.decisions.TeamPlayers` deciding for several (the live exercise); None: the
            scenario decides.
        collect_data: make the default DataCollector; False leaves ``datacollector`` None, so a
            run does no per-hour collecting (`sim.engine.one_run.run_one` and sweeps).
        release_hours: when each inject is released (the live exercise), in hours, one per inject
            of the scenario; None for an inject held until `release_inject`. Default: every inject
            on its own day. A surge's travellers depart at its release; an inject released at time
            ``t`` runs exactly as the same scenario with that inject at ``t`` (its draws are keyed
            by the inject, not by when it comes).
        **parameters: field path (``sharing.delay_scale``) or simple name (``delay_scale``)
            -> value, applied to the scenario before it is validated.

    Attributes:
        exercise: the validated tabletop scenario (``scenario`` is Mesa's own object).
        seed: the seed, an int.
        datacollector: the `mesa.DataCollector` that collects after every step, or None.
        streams: the keyed random streams.
        agencies: agency id -> agent, in scenario order.
        links: every directed link, in scenario order.
        travellers: every traveller (base count, then each surge), by index.
        messages: every alert message, in creation order.
        event_log: (time, kind, agency, traveller, alert, detail) tuples.
        first_intel: traveller index -> first time any agency learned about them.
        travellers_crossed: travellers who have crossed a border so far.
        travellers_detected: travellers stopped so far.
        now: the time of the event being processed (``time``, Mesa's observable clock,
            is set at each step's end and when an advance ends).
        events_processed: events run so far.
        borders: the border side of the cost of sharing (`sim.engine.population.BorderCosts`:
            ordinary travellers, namesakes, retention, PNR), or None when the scenario has none of it.
    """

    def __init__(
        self,
        scenario: Scenario | str | os.PathLike[str],
        rng: int | None = None,
        log_events: bool = True,
        player: Player | TeamPlayers | None = None,
        collect_data: bool = True,
        release_hours: list[float | None] | tuple[float | None, ...] | None = None,
        **parameters: Any,
    ):
        alias = parameters.pop("seed", None)
        if alias is not None and rng is not None:
            raise ValueError("give the seed as rng or as seed (its alias), not both")
        seed = alias if rng is None else rng
        if isinstance(seed, np.random.Generator | np.random.BitGenerator | np.random.SeedSequence):
            raise TypeError(f"rng must be an integer seed (the model's random streams are keyed by it), not {seed!r}")
        if not isinstance(scenario, Scenario) or parameters:
            scenario = scenario_with(scenario, parameters)
        seed = scenario.seed if seed is None else seed
        if seed is None:
            raise ValueError("the model needs a seed (the scenario has none and none was given)")
        super().__init__(rng=int(seed))
        self.datacollector: mesa.DataCollector | None = None
        self._outputs: dict[str, Any] | None = None
        # Time is driven by our own heap (as mesa.experimental.devs does with its simulator).
        self._default_schedule.stop()
        self.exercise = scenario
        self.seed = int(seed)
        self.streams = Streams(self.seed)
        self.horizon = scenario.horizon_hours
        self.delay_scale = scenario.sharing.delay_scale
        self.log_events = log_events
        self.event_log: list[tuple[float, str, str, str, str, str]] = []
        self.messages: list[Message] = []
        self.first_intel: dict[int, float] = {}
        self.injects_done: list[tuple[float, int, str, str]] = []
        self._heap: list[tuple[float, int, int, Callable[[Any], None], Any]] = []
        self._calendar: list[tuple[float, int, int, Callable[[Any], None], Any]] = []
        self._calendar_index = 0
        self._clock_started = False
        self._seq = 0
        self.now = 0.0
        self.events_processed = 0
        self.travellers_crossed = 0
        self.travellers_detected = 0
        self.player = player
        self._players: dict[str, Player] = {} if player is None else (
            dict(player.players) if isinstance(player, TeamPlayers) else {player.agency: player})  # fmt: skip
        self.decisions: list[Record] = []
        if release_hours is not None and len(release_hours) != len(scenario.injects):
            raise ValueError(f"release_hours gives {len(release_hours)} times for {len(scenario.injects)} injects")
        self.release_hours: list[float | None] = (
            [inject.at_hours for inject in scenario.injects] if release_hours is None else list(release_hours)
        )
        # Held surges: their travellers wait (the order their events would take reserved) for the release.
        self._held: dict[int, list[tuple[TravellerAgent, int]]] = {}
        self._held_learning: dict[int, list[tuple[float, int, tuple[Any, ...]]]] = {}
        self.costs_modelled = scenario.costs_modelled
        self.wrongful_stops: list[WrongfulStop] = []

        self.agencies: dict[str, AgencyAgent] = {}
        for spec in scenario.agencies:
            screening = spec.screening_or_default
            self.agencies[spec.id] = AgencyAgent(
                self,
                code=spec.id,
                country=spec.country,
                kind=spec.kind,
                forwards=spec.forwards,
                screens=spec.screens,
                screening={k: screening.probability(k) for k in IDENTIFIERS},
            )
        self.border_agencies: dict[str, list[AgencyAgent]] = {}
        for agency in self.agencies.values():
            if agency.screens:
                self.border_agencies.setdefault(agency.country, []).append(agency)

        self.links: list[Link] = []
        self.link_by_key: dict[tuple[str, str], Link] = {}
        records: dict[int, TrackRecord] = {}
        for index, (sender, receiver, settings) in enumerate(expand_links(scenario)):
            trust = settings["trust"]
            if isinstance(trust, AdaptiveTrust):
                records[index] = TrackRecord(prior=trust.prior, strength=trust.strength)
                trust = trust.prior
            carries = tuple(settings["carries"])
            link = Link(
                index=index,
                sender=self.agencies[sender],
                receiver=self.agencies[receiver],
                delay=settings["delay_hours"],
                trust=float(trust),
                reliability=float(settings["reliability"]),
                verify=settings["verify_hours"],
                when_down=settings["when_down"],
                verify_catches=float(settings["verify_catches"]),
                carries=None if set(carries) >= set(IDENTIFIERS) else carries,
            )
            self.links.append(link)
            self.link_by_key[(sender, receiver)] = link
            link.sender.outgoing.append(link)
        # The cost side's bookkeeping (provenance of watchlist entries, adaptive trust): None when
        # the scenario does not model it, so a plain run does no extra work.
        self.ledger: TrustLedger | None = TrustLedger(self.links, records) if self.costs_modelled else None

        self.travellers: list[TravellerAgent] = []
        self._make_travellers()
        self.persons_of_interest = len(self.travellers)
        wrong_leads = self._schedule_intelligence()
        if wrong_leads:
            for at, payload in add_innocent_subjects(self, wrong_leads, _pick_identifier):
                self._schedule(at, PRIORITY_LEARN, self._on_learn, payload)
        self._held_injects: dict[int, int] = {}  # held inject -> the place its event keeps in the calendar
        for number, at in enumerate(self.release_hours):
            if at is not None:
                self._schedule(at, PRIORITY_INJECT, self._on_inject, number)
            else:
                self._seq += 1
                self._held_injects[number] = self._seq
        # The border side of the cost of sharing (sim.engine.population), only when the scenario uses it.
        self.borders = BorderCosts(self) if scenario.border_costs_modelled else None
        self._calendar.sort(key=lambda event: event[:3])
        self._clock_started = True
        if collect_data:
            self.datacollector = default_datacollector()
            self.datacollector.collect(self)

    # ------------------------------------------------------------ set-up

    def _make_travellers(self) -> None:
        scenario = self.exercise
        groups = scenario.travellers.groups
        counts = apportion(scenario.travellers.count, [g.share for g in groups])
        batches: list[tuple[Any, int, tuple[object, ...], float | None, int | None]] = []
        for group, count in zip(groups, counts, strict=True):
            batches.append((group, count, ("travel",), None, None))
        for number, inject in enumerate(scenario.injects):
            if isinstance(inject, SurgeInject):
                group = next(g for g in groups if g.name == inject.group)
                at = self.release_hours[number]
                batches.append((group, inject.travellers, self._stream_key(number), math.inf if at is None else at,
                                number if at is None else None))  # fmt: skip
        starts: dict[tuple[object, ...], int] = {}
        for group, count, stream, depart_at, held in batches:
            if count == 0:
                continue
            start = starts.get(stream, 0)
            starts[stream] = start + count

            def draw(what: str, k: int | None = None, stream=stream, start=start, count=count) -> np.ndarray:
                name = (*stream, what) if k is None else (*stream, what, k)
                return self.streams.uniforms(name, count, start=start)

            if depart_at is None:
                departs = group.depart_day.ppf(draw("depart")) * 24.0
            else:
                departs = np.full(count, depart_at)
            legs = [group.leg_hours.ppf(draw("leg", k)) for k in range(len(group.route) - 1)]
            fraudulent = draw("documents") < group.documents.fraudulent_share
            # Halves to even (np.rint), as the format says; draws are finite (at most DRAW_LIMIT).
            party = np.maximum(1, np.rint(group.party_size.ppf(draw("party")))).astype(np.int64)
            for j in range(count):
                traveller = self._add_traveller(
                    group,
                    depart_hours=float(departs[j]),
                    leg_hours=tuple(float(leg[j]) for leg in legs),
                    fraudulent=bool(fraudulent[j]),
                    party_size=int(party[j]),
                )
                if held is not None:
                    # Its crossings take, on release, the places in the calendar they would have had.
                    self._held.setdefault(held, []).append((traveller, self._seq + 1))
                    self._seq += len(traveller.leg_hours)

    def _add_traveller(
        self,
        group: Any,
        depart_hours: float,
        leg_hours: tuple[float, ...],
        fraudulent: bool,
        party_size: int,
        of_interest: bool = True,
    ) -> TravellerAgent:
        """A traveller of `group`, next in index order, with its crossings scheduled."""
        index = len(self.travellers)
        traveller = TravellerAgent(
            self,
            index=index,
            label=traveller_label(index, group.name),
            group=group.name,
            intent=group.intent,
            route=tuple(group.route),
            depart_hours=depart_hours,
            leg_hours=leg_hours,
            fraudulent=fraudulent,
            party_size=party_size,
            of_interest=of_interest,
        )
        self.travellers.append(traveller)
        # Every crossing is known from the start (the legs are drawn): all go into the
        # sorted calendar, which keeps the heap for what the run makes (deliveries).
        # A crossing after the traveller was stopped is skipped when it comes up.
        at = traveller.depart_hours
        for leg in traveller.leg_hours:
            at = at + leg
            if at > self.horizon:
                break
            self._schedule(at, PRIORITY_CROSS, self._on_cross, traveller)
        return traveller

    def _schedule_intelligence(self) -> list[WrongLeads]:
        """Schedule every source's learning; return the wrong leads of sources with ``precision`` < 1."""
        total = len(self.travellers)
        groups_of = np.array([t.group for t in self.travellers], dtype=object)
        departs = np.array([t.depart_hours for t in self.travellers])
        ordinal: dict[str, int] = {}
        wrong: list[WrongLeads] = []
        held_of = {traveller.index: number for number, held in self._held.items() for traveller, _ in held}
        for source in self.exercise.intelligence:
            # Keyed by the agency and the entry's rank among that agency's sources, not by its
            # position in the file or its parameters: editing or removing another entry, or
            # changing `covers`, leaves these draws alone (and `covers` picks nested sets).
            rank = ordinal[source.agency] = ordinal.get(source.agency, -1) + 1
            number = (source.agency, rank)
            if source.groups is None:
                eligible = np.arange(total)
            else:
                eligible = np.flatnonzero(np.isin(groups_of, source.groups))
            how_many = covered_count(source.covers, len(eligible))  # on the decimal as written
            if how_many == 0:
                continue
            cover_u = self.streams.uniforms(("intel", number, "cover"), total)
            chosen = eligible[np.argsort(cover_u[eligible], kind="stable")[:how_many]]
            if source.precision is not None and source.precision < 1.0:
                wrong.append(WrongLeads.of(source, number, [self.travellers[i].group for i in chosen]))
            chosen.sort()
            offsets = learn = source.learn_hours.ppf(self.streams.uniforms(("intel", number, "learn"), total))
            if source.relative_to == "departure":
                learn = learn + departs
            ident_u = self.streams.uniforms(("intel", number, "identifier"), total)
            agency = self.agencies[source.agency]
            for i in chosen:
                if held_of and source.relative_to == "departure" and int(i) in held_of:
                    # About a held surge's traveller: learnt once they depart (the place kept for then).
                    self._seq += 1
                    payload = (agency, int(i), _pick_identifier(source.identifier, float(ident_u[i])), "intelligence")
                    self._held_learning.setdefault(held_of[int(i)], []).append((float(offsets[i]), self._seq, payload))
                    continue
                at = max(float(learn[i]), 0.0)
                if at <= self.horizon:
                    identifier = _pick_identifier(source.identifier, float(ident_u[i]))
                    self._schedule(at, PRIORITY_LEARN, self._on_learn, (agency, int(i), identifier, "intelligence"))
        return wrong

    def release_deadline(self, number: int, at: float) -> float:
        """The first time a release of held inject `number` at `at` changes: its earliest event.

        A surge's travellers may be learnt about before they depart (``learn_hours`` below 0,
        relative to departure): released before this time, with ``clamp=False``, the inject runs
        exactly as the scenario with it at `at`.
        """
        early = [max(offset + at, 0.0) for offset, _, _ in self._held_learning.get(number, [])]
        return min([at, *early])

    def release_inject(self, number: int, at: float, clamp: bool = True) -> None:
        """Release held inject `number` at `at` hours (after the clock: ``at > now``).

        It then runs as if the scenario had it at `at` from the start: its event, and a surge's
        travellers' crossings and the intelligence on them, take the places in the calendar they
        would have had (same draws, same order at equal times). Intelligence on a surge's
        travellers that the scenario has come before they depart comes at the release with
        `clamp` (the release is news: nobody knew before); without it, the release must come
        before `release_deadline`.

        Raises:
            ValueError: the inject is not held, or an event would fall before the clock.
        """
        if number not in self._held_injects:
            raise ValueError(f"inject {number + 1} is not held")
        first = at if clamp else self.release_deadline(number, at)
        started = self.events_processed > 0 or self.time > 0
        if not math.isfinite(at) or first < self.now or (started and not first > self.now):
            raise ValueError(f"a release must come after the clock ({self.now} hours), not at {at}")
        self.release_hours[number] = at
        push = heapq.heappush
        push(self._heap, (at, PRIORITY_INJECT, self._held_injects.pop(number), self._on_inject, number))
        for traveller, seq in self._held.pop(number, []):
            traveller.depart_hours = at
            when = at
            for k, leg in enumerate(traveller.leg_hours):
                when = when + leg
                if when > self.horizon:
                    break
                push(self._heap, (when, PRIORITY_CROSS, seq + k, self._on_cross, traveller))
        for offset, seq, payload in self._held_learning.pop(number, []):
            when = max(offset + at, at if clamp else 0.0)
            if when <= self.horizon:
                push(self._heap, (when, PRIORITY_LEARN, seq, self._on_learn, payload))

    @property
    def held_injects(self) -> list[int]:
        """The injects still held (numbers from 0), in scenario order."""
        return sorted(self._held_injects)

    # ------------------------------------------------------------ the clock

    def _schedule(self, time: float, priority: int, handler: Callable[[Any], None], payload: Any) -> None:
        self._seq += 1
        if self._clock_started:
            heapq.heappush(self._heap, (time, priority, self._seq, handler, payload))
        else:
            self._calendar.append((time, priority, self._seq, handler, payload))

    def _advance_time(self, until: float) -> None:
        """Run the clock to `until` (capped at the horizon, never backwards), step by step.

        This is the hook Mesa's ``step``, ``run_for`` and ``run_until`` call. Each whole
        hour passed (and the horizon) ends a step: ``steps`` counts it, ``running``
        turns false at the horizon, then the DataCollector collects. A partial hour at
        the end is processed without ending a step (Mesa's own schedule does the same).
        """
        until = min(float(until), self.horizon)
        while self.running:
            step_end = min(math.floor(self.time) + 1.0, self.horizon)
            if step_end > until:
                break
            self._process_events(step_end)
            self.steps += 1
            if step_end >= self.horizon:
                self.running = False
            if self.datacollector is not None:
                self.datacollector.collect(self)
        if until > self.time:
            self._process_events(until)

    def _process_events(self, until: float) -> None:
        """Process every event up to `until`, then set the clock there.

        Events known before the run (every crossing, intelligence, injects) wait in a
        list sorted once; events made during the run go on the heap; the loop merges
        both, which keeps the heap small however many travellers there are.
        """
        heap, calendar = self._heap, self._calendar
        pop = heapq.heappop
        index, size = self._calendar_index, len(calendar)
        processed = 0
        while True:
            if index < size:
                event = calendar[index]
                if heap and heap[0] < event:
                    event = heap[0]
                    from_heap = True
                else:
                    from_heap = False
            elif heap:
                event = heap[0]
                from_heap = True
            else:
                break
            if event[0] > until:
                break
            if from_heap:
                pop(heap)
            else:
                index += 1
            self.now = event[0]
            event[3](event[4])
            processed += 1
        self.events_processed += processed
        self._calendar_index = index
        self.now = until
        self.time = until

    def run(self) -> SharingModel:
        """Run to the horizon; returns the model for chaining."""
        self._advance_time(self.horizon)
        return self

    def outputs(self) -> dict[str, Any]:
        """The run's summary with nested groups flattened (``misses.late``); computed once the run has ended."""
        if self._outputs is None or self.running:
            outputs = flatten_summary(collect(self, tables=False).summary)
            if self.running:
                return outputs
            self._outputs = outputs
        return self._outputs

    # ------------------------------------------------------------ logging

    def _log(
        self, kind: str, agency: str = "", traveller: int | None = None, alert: int | None = None, detail: str = ""
    ) -> None:
        if self.log_events:
            self.event_log.append(
                (
                    self.now,
                    kind,
                    agency,
                    "" if traveller is None else self.travellers[traveller].label,
                    "" if alert is None else alert_label(alert),
                    detail,
                )
            )

    # ------------------------------------------------------------ processes

    def _on_learn(self, payload: tuple[AgencyAgent, int, str, str]) -> None:
        agency, traveller, identifier, source = payload
        if traveller not in self.first_intel:
            self.first_intel[traveller] = self.now
        if self.borders is not None:
            self.borders.accept(agency, traveller, identifier, None)
        else:
            agency.accept(traveller, identifier, self.now)
        if self.log_events:
            self._log("learn", agency.code, traveller, None, f"{identifier} ({source})")
        if self._players:
            player = self._players.get(agency.code)
            if player is not None:
                self._player_learns(agency, traveller, identifier, player)
                return
        # Its own intelligence is always shared, even if a partner's alert came first;
        # each link still carries a traveller and identifier only once.
        self._share(agency, traveller, identifier, (agency.code,), agency.code, self.now)

    def _player_learns(self, agency: AgencyAgent, traveller: int, identifier: str, player: Player) -> None:
        """The played agency decides what to do with its new intelligence."""
        links = tuple(link.key for link in agency.outgoing)
        point = DecisionPoint(
            kind="intelligence",
            time=self.now,
            traveller=self.travellers[traveller].label,
            identifier=identifier,
            links=links,
            default=Choice("share"),
            agency=agency.code,
        )
        choice = player.decide(point, self)
        self.decisions.append(Record(point, choice))
        if choice.action == "share":
            only = None if choice.links is None or set(choice.links) == set(links) else set(choice.links)
            self._share(agency, traveller, identifier, (agency.code,), agency.code, self.now, only=only)
        elif choice.action == "verify":
            payload = (agency, traveller, identifier, self.now)
            self._schedule(self.now + player.verify_hours, PRIORITY_VERIFIED, self._on_intel_verified, payload)
        # "hold": the agency keeps it to itself.

    def _on_intel_verified(self, payload: tuple[AgencyAgent, int, str, float]) -> None:
        agency, traveller, identifier, learned = payload
        self._share(agency, traveller, identifier, (agency.code,), agency.code, learned)

    def _share(
        self,
        agency: AgencyAgent,
        traveller: int,
        identifier: str,
        path: tuple[str, ...],
        origin: str,
        started: float,
        only: set[str] | None = None,
    ) -> None:
        for link in agency.outgoing:
            if link.receiver.code in path or (only is not None and link.key not in only):
                continue
            carried = identifier if link.carries is None else carried_identifier(identifier, link.carries)
            if carried is None:
                if self.log_events:
                    detail = f"{identifier} not allowed on this link {link.key}"
                    self._log("withheld", agency.code, traveller, None, detail)
                continue
            key = (traveller, carried)
            if key in link.shared:
                continue
            link.shared.add(key)
            message = Message(
                id=len(self.messages) + 1,
                traveller=traveller,
                identifier=carried,
                origin=origin,
                path=(*path, link.receiver.code),
                link=link,
                created=self.now,
                started=started,
            )
            self.messages.append(message)
            if link.up:
                self._send(message)
            elif link.when_down == "hold":
                message.fate = "held"
                link.held.append(message)
                self._log("held", agency.code, traveller, message.id, f"{link.key} is down")
            else:
                message.fate = "dropped"
                self._log("dropped", agency.code, traveller, message.id, f"{link.key} is down")

    def _send(self, message: Message) -> None:
        link = message.link
        message.sent = self.now
        streams = self.streams
        # A uniform is < 1, so a fully reliable link never needs its draw (the same result, faster).
        if (
            link.reliability < 1.0
            and link.draw(streams, "loss", message.identifier, message.traveller) >= link.reliability
        ):
            message.fate = "lost"
            if self.log_events:
                self._log("lost", link.sender.code, message.traveller, message.id, link.key)
            return
        delay = link.draw(streams, "delay", message.identifier, message.traveller) * self.delay_scale
        if not self.delay_scale:
            delay = 0.0  # instant, whatever the draw (no inf * 0 = nan)
        message.delivered = self.now + delay
        message.fate = "in_transit"
        if self.log_events:
            self._log("sent", link.sender.code, message.traveller, message.id, f"{link.key} {message.identifier}")
        if message.delivered <= self.horizon:
            self._seq += 1
            heapq.heappush(self._heap, (message.delivered, PRIORITY_DELIVER, self._seq, self._on_deliver, message))

    def _on_deliver(self, message: Message) -> None:
        link = message.link
        receiver = link.receiver
        if self.borders is not None:
            self.borders.before_judging(receiver)  # it has learned of its namesake stops so far
        trusted = (
            link.trust >= 1.0 or link.draw(self.streams, "trust", message.identifier, message.traveller) < link.trust
        )
        action = "act" if trusted else "verify" if link.verify is not None else "discard"
        player = self._players.get(receiver.code) if self._players else None
        if player is not None:
            seen = self.ledger.track(link) if self.ledger is not None else (None, None)
            point = DecisionPoint(
                kind="alert",
                time=self.now,
                traveller=self.travellers[message.traveller].label,
                identifier=message.identifier,
                alert=alert_label(message.id),
                sender=link.sender.code,
                trust=link.trust,
                trusted=trusted,
                default=Choice(action),
                confirmed=seen[0],
                refuted=seen[1],
                adaptive=self.ledger is not None and link.index in self.ledger.records,
                agency=receiver.code,
            )
            choice = player.decide(point, self)
            self.decisions.append(Record(point, choice))
            action = choice.action
        if action == "act":
            self._accept(message, "accepted")
        elif action == "verify":
            message.fate = "verifying"
            if link.verify is not None:
                hours = link.draw(self.streams, "verify", message.identifier, message.traveller)
            else:
                hours = player.verify_hours if player is not None else 0.0
            self._log(
                "verifying", receiver.code, message.traveller, message.id, f"{hours:.1f} h from {link.sender.code}"
            )
            if self.now + hours <= self.horizon:
                self._schedule(self.now + hours, PRIORITY_VERIFIED, self._on_verified, message)
        else:
            message.fate = "discarded"
            message.settled = self.now
            if self.log_events:
                self._log(
                    "discarded", receiver.code, message.traveller, message.id, f"not trusted from {link.sender.code}"
                )

    def _on_verified(self, message: Message) -> None:
        link = message.link
        if (
            link.verify_catches > 0.0
            and not self.travellers[message.traveller].of_interest
            and link.draw(self.streams, "refute", message.identifier, message.traveller) < link.verify_catches
        ):
            # Verification found the lead wrong: discarded, and the receiver learns it.
            message.fate = "refuted"
            message.settled = self.now
            if self.log_events:
                detail = f"wrong lead from {link.sender.code}"
                self._log("refuted", link.receiver.code, message.traveller, message.id, detail)
            if self.ledger is not None:
                self.ledger.learn(link, False, self.now)
            return
        self._accept(message, "verified")

    def _accept(self, message: Message, fate: str) -> None:
        receiver = message.link.receiver
        message.fate = fate
        message.settled = self.now
        if self.borders is not None:
            new = self.borders.accept(receiver, message.traveller, message.identifier, message)
        else:
            new = receiver.accept(message.traveller, message.identifier, self.now)
        if self.ledger is not None:
            self.ledger.accepted(message)
        if self.log_events:
            self._log(
                fate,
                receiver.code,
                message.traveller,
                message.id,
                f"{message.identifier} from {message.link.sender.code}",
            )
        if new and receiver.forwards:
            self._share(receiver, message.traveller, message.identifier, message.path, message.origin, message.started)

    def _on_cross(self, traveller: TravellerAgent) -> None:
        if traveller.detected is not None:
            return  # stopped at an earlier crossing: the journey ended there
        k = len(traveller.crossings)
        if k == 0 and traveller.of_interest:
            self.travellers_crossed += 1
        country = traveller.route[k + 1]
        traveller.crossings.append((self.now, country))
        borders = self.borders
        for agency in self.border_agencies.get(country, ()):
            if traveller.index not in agency.watchlist:
                if borders is not None and borders.pnr_stop(agency, traveller, k, country):
                    return
                continue
            probability, identifier = agency.match_probability(traveller)
            draw = self.streams.uniform(("screen", agency.code, k), traveller.index)
            if draw < probability:
                traveller.detected = (self.now, country, agency.code, identifier or "")
                if not traveller.of_interest:
                    self._stop_innocent(agency, traveller, identifier or "", country)
                    return
                self.travellers_detected += 1
                agency.detections += 1
                if self.costs_modelled:
                    self._stop_outcome(agency, traveller.index, traveller.of_interest)
                if self.log_events:
                    self._log("detected", agency.code, traveller.index, None, f"{identifier} at {country} border")
                return
            if self.log_events:
                self._log(
                    "screened", agency.code, traveller.index, None, f"{identifier} check failed at {country} border"
                )
            if borders is not None and borders.pnr_stop(agency, traveller, k, country):
                return
        if self.log_events:
            self._log("crossed", "", traveller.index, None, f"into {country}")

    def _stop_outcome(self, agency: AgencyAgent, traveller: int, confirmed: bool) -> None:
        """A stop by `agency` on its watchlist entry for `traveller` turned out right or wrong.

        `confirmed`: the person stopped was that person of interest; False: an innocent
        (the subject of a wrong lead, or an ordinary namesake taken for the entry). The
        receiver learns the outcome at the stop; adaptive links update their track record here.
        """
        if self.ledger is not None:
            self.ledger.stop_outcome(agency.code, traveller, confirmed, self.now)

    def _stop_innocent(self, agency: AgencyAgent, traveller: TravellerAgent, identifier: str, country: str) -> None:
        """`agency` stopped the innocent subject of a wrong lead: a wrongful stop; the journey ends there."""
        alert = self.ledger.entry_alert(agency.code, traveller.index, identifier) if self.ledger else None
        self.wrongful_stops.append(
            WrongfulStop(
                self.now,
                country,
                agency.code,
                identifier,
                "innocent_subject",
                traveller.label,
                alert.id if alert is not None else None,
                alert.link.sender.code if alert is not None else "",
            )
        )
        self._stop_outcome(agency, traveller.index, confirmed=False)
        if self.log_events:
            self._log("wrongful_stop", agency.code, traveller.index, None, f"{identifier} at {country} border")

    # ------------------------------------------------------------ injects

    def _links_named(self, text: str) -> list[Link]:
        ref = parse_link_ref(text)
        assert ref is not None  # validated
        a, b, both = ref
        pairs = [(a, b), (b, a)] if both else [(a, b)]
        return [self.link_by_key[p] for p in pairs]

    def _on_inject(self, number: int) -> None:
        self.exercise.injects[number].apply(self, number)

    def _record_inject(self, number: int, detail: str, agency: str = "") -> None:
        """Log inject `number` as done: what it did (`detail`), and the agency it fell to, if one."""
        inject = self.exercise.injects[number]
        self._log("inject", agency, None, None, inject.log_line(detail))
        self.injects_done.append((self.now, number, inject.kind, detail))

    def _take_down(self, link: Link, hours: float | None) -> None:
        """Take `link` down; it comes back up by itself after `hours`, if given."""
        link.up = False
        link.down_token += 1
        if hours is not None:
            self._schedule(self.now + hours, PRIORITY_INJECT, self._on_auto_up, (link, link.down_token))

    def _set_trust(self, link: Link, trust: float) -> None:
        """From now on, the receiver of `link` accepts an alert on it with probability `trust`.

        On an adaptive link the value becomes the prior and the track record starts again.
        """
        link.trust = trust
        if self.ledger is not None:
            self.ledger.set_trust(link, trust, self.now)

    def _learn_from_inject(self, number: int, agency: str, travellers: list[int], identifier: dict[str, float]) -> None:
        """`agency` learns about `travellers` from inject `number`, each with an identifier drawn from `identifier`."""
        ident_u = self.streams.uniforms((*self._stream_key(number), "identifier"), len(self.travellers))
        learner = self.agencies[agency]
        for i in travellers:
            self._on_learn((learner, i, _pick_identifier(identifier, float(ident_u[i])), "inject"))

    def _intel_targets(self, number: int, inject: IntelInject) -> list[int]:
        if inject.ids is not None:
            wanted = set(inject.ids)
            return [t.index for t in self.travellers if t.label in wanted]
        priority = self.streams.uniforms((*self._stream_key(number), "pick"), len(self.travellers))
        chosen = []
        for i in np.argsort(priority, kind="stable"):
            if self.travellers[i].of_interest and self.travellers[i].en_route(self.now):
                chosen.append(int(i))
                if len(chosen) == inject.travellers:
                    break
        return chosen

    def _stream_key(self, number: int) -> tuple[object, ...]:
        """The random-stream name of inject `number`.

        Its kind, its subject (group or agency) and its rank among the injects of that
        kind and subject: removing or moving another inject, or changing this one's day
        or size, leaves its draws unchanged.
        """
        inject = self.exercise.injects[number]
        subject = inject.group if isinstance(inject, SurgeInject) else getattr(inject, "agency", "")
        rank = sum(
            1
            for other in self.exercise.injects[:number]
            if other.kind == inject.kind
            and (other.group if isinstance(other, SurgeInject) else getattr(other, "agency", "")) == subject
        )
        return ("inject", inject.kind, subject, rank)

    def _on_auto_up(self, payload: tuple[Link, int]) -> None:
        link, token = payload
        if token == link.down_token and not link.up:
            self._bring_up(link)
            self._log("link_up", link.sender.code, None, None, f"{link.key} back up")

    def _bring_up(self, link: Link) -> None:
        link.up = True
        held, link.held = link.held, []
        for message in held:
            self._send(message)


PARAMETER_NAMES: dict[str, tuple[str, ...]] = {
    "delay_scale": ("sharing.delay_scale",),
    "trust": ("sharing.defaults.trust", "sharing.links[*].trust"),
    "reliability": ("sharing.defaults.reliability", "sharing.links[*].reliability"),
    "travellers": ("travellers.count",),
    "horizon_days": ("horizon_days",),
}
"""Simple keyword names of the model and the field paths each sets (``trust``: every link's)."""


def scenario_with(scenario: Scenario | str | os.PathLike[str], parameters: dict[str, Any]) -> Scenario:
    """A scenario (or scenario file) with fields changed by path or simple name, validated.

    Raises:
        sim.errors.ScenarioError: naming every problem (a path that selects nothing, a refused value).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    changes = [(path, value) for name, value in parameters.items() for path in PARAMETER_NAMES.get(name, (name,))]
    return changed_scenario(scenario, changes, label=scenario.source, skip_empty_wildcards=True)


LIVE_OUTPUTS: dict[str, Callable[[SharingModel], int]] = {
    "travellers": lambda model: model.persons_of_interest,
    "crossed": lambda model: model.travellers_crossed,
    "detected": lambda model: model.travellers_detected,
}
"""The outputs the DataCollector reports at every step; the others are None until the run has ended."""

AGENCY_REPORTERS: dict[str, str] = {"agency": "code", "watchlisted": "watchlisted", "detections": "detections"}
"""What the default DataCollector records of each agency at every step (``AgentID`` is Mesa's)."""


def default_datacollector() -> mesa.DataCollector:
    """The model's DataCollector: `REPORTED_OUTPUTS` as model reporters, `AGENCY_REPORTERS` per agency.

    The agency reporters are agent-type reporters of `AgencyAgent`, so the travellers
    (up to 100,000 agents) are not recorded; `mesa.batch_run` gives one row per agency
    and collected step, each with the run's outputs.
    """
    reporters = {name: functools.partial(_reported, name=name) for name in REPORTED_OUTPUTS}
    return mesa.DataCollector(model_reporters=reporters, agenttype_reporters={AgencyAgent: AGENCY_REPORTERS})


def _reported(model: SharingModel, name: str) -> Any:
    """Output `name`: from the summary once the run has ended; before, a live count or None."""
    if not model.running:
        return model.outputs().get(name)
    live = LIVE_OUTPUTS.get(name)
    return None if live is None else live(model)


def _pick_identifier(mapping: dict[str, float], u: float) -> str:
    cumulative = 0.0
    last = None
    for identifier in IDENTIFIERS:
        p = mapping.get(identifier, 0.0)
        if p <= 0:
            continue
        cumulative += p
        last = identifier
        if u < cumulative:
            return identifier
    assert last is not None
    return last
