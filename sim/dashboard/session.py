"""What the workshop page shows, computed from a live run (no web framework here).

The page (`sim.dashboard.app`) is a thin view over this module:

- `Settings` are the page's sliders: the global delay scale, the default trust,
  the intelligence coverage, the share of biometric identifiers, and the seed.
  `settings_as_written` reads them from a scenario; `overrides_for` turns them
  into the ``--set PATH=VALUE`` strings of ``tabletop run`` (so the page can
  print the command that reproduces it), and `scenario_with_settings` applies them.
- `LiveRun` is one `SharingModel` advanced hour by hour; `LiveRun.snapshot`
  reads its public state into a `Snapshot`: the clock, the counts, the misses
  by cause, the cumulative curves, and the alerts in flight on each link.

Coverage and the biometric share are set as averages over a scenario's
intelligence sources (weighted by the travellers each source can learn about),
moved proportionally: every source keeps its place relative to the others, the
average is exactly the slider's value, and the value as written leaves every
source as written. See docs/dashboard.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from sim.engine.model import SharingModel
from sim.engine.outcomes import attribute
from sim.engine.wrongful import WRONGFUL_STOP_KINDS
from sim.spec.field_paths import parse_assignment
from sim.spec.field_types import DEFAULT_TRUST_STRENGTH, IDENTIFIERS, AdaptiveTrust
from sim.spec.scenario import Scenario, changed_scenario, load_scenario
from sim.vocabulary import CAUSES, OPTIONAL_CAUSES

IN_FLIGHT = "in_transit"


@dataclass(frozen=True)
class Settings:
    """The page's what-if knobs.

    Attributes:
        delay_scale: multiplies every link delay (``sharing.delay_scale``); 0 is instant sharing.
        trust: trust of links without their own (``sharing.defaults.trust``).
        coverage: average share of eligible travellers the intelligence sources learn about.
        biometric: average share of biometric identifiers in what the sources learn.
        seed: the run's seed.
        verify_catches: the chance verification refutes a wrong alert, on every link
            (``sharing.defaults.verify_catches`` and each link that sets its own).
        retention_days: days a border agency keeps a watchlist entry (every border agency's
            ``retention_days``); None: kept for the whole exercise.
        adaptive: every link's trust learns from its track record (``{adaptive: true, prior}``,
            the prior being the default trust, or the link's own trust where it sets one).
    """

    delay_scale: float
    trust: float
    coverage: float | None
    biometric: float | None
    seed: int
    verify_catches: float = 0.0
    retention_days: float | None = None
    adaptive: bool = False


def _eligible_share(scenario: Scenario, groups: list[str] | None) -> float:
    shares = {g.name: g.share for g in scenario.travellers.groups}
    total = sum(shares.values()) or 1.0
    if groups is None:
        return 1.0
    return sum(shares.get(g, 0.0) for g in groups) / total


def _coverage_weights(scenario: Scenario) -> list[float]:
    return [_eligible_share(scenario, source.groups) for source in scenario.intelligence]


def _biometric_weights(scenario: Scenario) -> list[float]:
    return [w * source.covers for w, source in zip(_coverage_weights(scenario), scenario.intelligence, strict=True)]


def weighted_mean(values: list[float], weights: list[float]) -> float | None:
    """The weighted mean, or None when the weights add up to nothing."""
    total = sum(weights)
    if total <= 0:
        return None
    return sum(v * w for v, w in zip(values, weights, strict=True)) / total


def move_shares(values: list[float], weights: list[float], target: float) -> list[float]:
    """Move shares in [0, 1] so that their weighted mean becomes `target`, keeping their order.

    Up: each closes the same fraction of its gap to 1. Down: each is scaled by the same
    factor. So the mean is exactly `target`, and the current mean leaves every share as it is.
    """
    mean = weighted_mean(values, weights)
    target = min(max(float(target), 0.0), 1.0)
    if mean is None:
        return [target for _ in values]
    if target >= mean:
        gap = 1.0 - mean
        fraction = 1.0 if gap <= 0 else (target - mean) / gap
        return [v + (1.0 - v) * fraction for v in values]
    return [v * target / mean for v in values]


def settings_as_written(scenario: Scenario, seed: int | None = None) -> Settings:
    """The knobs as the scenario sets them (coverage and biometric share are None without intelligence)."""
    sources = scenario.intelligence
    coverage = weighted_mean([s.covers for s in sources], _coverage_weights(scenario)) if sources else None
    biometric = None
    if sources:
        biometric = weighted_mean([s.identifier.get("biometric", 0.0) for s in sources], _biometric_weights(scenario))
        if biometric is None:  # no source covers anyone: weigh them equally
            biometric = weighted_mean([s.identifier.get("biometric", 0.0) for s in sources], [1.0] * len(sources))
    trust = scenario.sharing.defaults.trust
    return Settings(
        verify_catches=_verify_as_written(scenario),
        retention_days=_retention_as_written(scenario),
        adaptive=isinstance(trust, AdaptiveTrust),
        delay_scale=float(scenario.sharing.delay_scale),
        trust=float(0.8 if trust is None else trust.prior if isinstance(trust, AdaptiveTrust) else trust),
        coverage=None if coverage is None else round(coverage, 6),
        biometric=None if biometric is None else round(biometric, 6),
        seed=int(scenario.seed if scenario.seed is not None else 0),
    )


def _verify_as_written(scenario: Scenario) -> float:
    """The verification catch rate as written: the highest of the links' (default 0: verification only delays)."""
    default = scenario.sharing.defaults.verify_catches
    values = [float(default if default is not None else 0.0)]
    values += [float(link.verify_catches) for link in scenario.sharing.links if link.verify_catches is not None]
    return max(values)


def _border_agencies(scenario: Scenario) -> list[int]:
    return [index for index, agency in enumerate(scenario.agencies) if agency.screens]


def _retention_as_written(scenario: Scenario) -> float | None:
    """Border agencies' retention as written: the longest (None, kept for the whole run, if any keeps)."""
    values = [scenario.agencies[i].retention_days for i in _border_agencies(scenario)]
    if not values or any(v is None for v in values):
        return None
    return float(max(v for v in values if v is not None))


def _trust_text(trust: float | AdaptiveTrust | None, prior: float, adaptive: bool) -> str:
    """A link's trust as a ``--set`` value: a number, or ``{adaptive: true, prior, strength}``."""
    if not adaptive:
        return f"{prior:g}"
    strength = trust.strength if isinstance(trust, AdaptiveTrust) else DEFAULT_TRUST_STRENGTH
    return f"{{adaptive: true, prior: {prior:g}, strength: {strength:g}}}"


def _identifier_with_biometric(identifier: dict[str, float], biometric: float) -> dict[str, float]:
    """An identifier mapping with this biometric share, the other types keeping their proportions."""
    biometric = round(min(max(biometric, 0.0), 1.0), 6)
    others = {k: p for k, p in identifier.items() if k != "biometric" and p > 0}
    rest = sum(others.values())
    if not others:
        others, rest = {"document": 0.5, "name": 0.5}, 1.0
    out = {"biometric": biometric} if biometric > 0 else {}
    names = [k for k in IDENTIFIERS if k in others]
    remaining = 1.0 - biometric
    for k in names[:-1]:
        out[k] = round(remaining * others[k] / rest, 6)
    if remaining > 0:
        out[names[-1]] = round(max(remaining - sum(out[k] for k in names[:-1]), 0.0), 6)
    return {k: out[k] for k in IDENTIFIERS if k in out and out[k] > 0} or {"biometric": 1.0}


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 5e-7


def overrides_for(scenario: Scenario, settings: Settings) -> list[str]:
    """The ``--set PATH=VALUE`` strings that turn `scenario` as written into `settings` (seed aside)."""
    written = settings_as_written(scenario)
    out: list[str] = []
    if not _close(settings.delay_scale, written.delay_scale):
        out.append(f"sharing.delay_scale={settings.delay_scale:g}")
    trust = scenario.sharing.defaults.trust
    if not _close(settings.trust, written.trust) or settings.adaptive != written.adaptive:
        out.append(f"sharing.defaults.trust={_trust_text(trust, settings.trust, settings.adaptive)}")
    if settings.adaptive != written.adaptive:
        for index, link in enumerate(scenario.sharing.links):
            if link.trust is not None:  # its own trust becomes its prior (or, adaptive off, its fixed value)
                own = link.trust.prior if isinstance(link.trust, AdaptiveTrust) else float(link.trust)
                out.append(f"sharing.links[{index}].trust={_trust_text(link.trust, own, settings.adaptive)}")
    if not _close(settings.verify_catches, written.verify_catches):
        out.append(f"sharing.defaults.verify_catches={settings.verify_catches:g}")
        for index, link in enumerate(scenario.sharing.links):
            if link.verify_catches is not None:
                out.append(f"sharing.links[{index}].verify_catches={settings.verify_catches:g}")
    if not _close(settings.retention_days, written.retention_days):
        value = "null" if settings.retention_days is None else f"{settings.retention_days:g}"
        for index in _border_agencies(scenario):
            out.append(f"agencies[{index}].retention_days={value}")
    sources = scenario.intelligence
    if sources and settings.coverage is not None and not _close(settings.coverage, written.coverage):
        values = move_shares([s.covers for s in sources], _coverage_weights(scenario), settings.coverage)
        for index, value in enumerate(values):
            if not _close(value, sources[index].covers):
                out.append(f"intelligence[{index}].covers={round(value, 6):g}")
    if sources and settings.biometric is not None and not _close(settings.biometric, written.biometric):
        weights = _biometric_weights(scenario)
        if sum(weights) <= 0:
            weights = [1.0] * len(sources)
        values = move_shares([s.identifier.get("biometric", 0.0) for s in sources], weights, settings.biometric)
        for index, value in enumerate(values):
            mapping = _identifier_with_biometric(sources[index].identifier, value)
            if mapping != sources[index].identifier:
                text = ", ".join(f"{k}: {p:g}" for k, p in mapping.items())
                out.append(f"intelligence[{index}].identifier={{{text}}}")
    return out


def scenario_with_settings(scenario: Scenario, settings: Settings) -> Scenario:
    """The scenario with the page's settings applied (validated like any ``--set``).

    Raises:
        sim.errors.ScenarioError: if a value is refused (the sliders keep values in range).
    """
    changes = [parse_assignment(text) for text in overrides_for(scenario, settings)]
    return changed_scenario(scenario, [*changes, ("seed", int(settings.seed))], label="--set")


def command_line(path: str, scenario: Scenario, settings: Settings) -> str:
    """The ``tabletop run`` command that reproduces the page's run."""
    parts = ["tabletop", "run", path, "--seed", str(settings.seed)]
    for text in overrides_for(scenario, settings):
        parts += ["--set", f"'{text}'" if any(c in text for c in " {}[]>") else text]
    return " ".join(parts)


@dataclass(frozen=True)
class LinkView:
    """One link at the current time.

    Attributes:
        sender: sending agency id; receiver: receiving agency id.
        trust: the trust now (after any trust inject).
        up: False while a link_down inject holds it down.
        in_flight: fraction of the way (0..1) of each alert in flight on it.
        held: messages waiting for the link to come back up.
        carried: messages sent on it so far.
        prior: an adaptive link's trust before any outcome (None: fixed trust).
    """

    sender: str
    receiver: str
    trust: float
    up: bool
    in_flight: tuple[float, ...]
    held: int
    carried: int
    prior: float | None = None


@dataclass(frozen=True)
class Snapshot:
    """What the page shows at one moment of one run.

    Attributes:
        hours: the clock; horizon_hours: the end of the run; finished: the clock is at the end.
        travellers: everyone in the run; not_departed: still at home.
        detected: stopped at a border so far.
        got_through: journeys finished undetected (at the end: everyone who crossed a border
            undetected, as in ``summary.json``'s ``missed``).
        en_route: departed, neither stopped nor through.
        misses: `got_through` by cause (`sim.vocabulary.CAUSES`).
        days: the curve's times (days), with detected_curve, through_curve, en_route_curve the
            cumulative counts at those times.
        alerts_in_flight: messages on a link right now; alerts_sent: messages sent so far.
        links: each link's state.
        injects_done: (day, kind, detail) of each inject that has happened.
        watchlists: agency id -> travellers on its watchlist.
        costs_modelled: the run models the cost of sharing (`Scenario.costs_modelled`).
        wrongful: innocent people stopped at a border so far, by kind (``ordinary``: namesakes,
            ``innocent_subject``, ``pnr``); empty when the costs are not modelled.
    """

    hours: float
    horizon_hours: float
    travellers: int
    not_departed: int
    detected: int
    got_through: int
    en_route: int
    misses: dict[str, int]
    days: list[float]
    detected_curve: list[int]
    through_curve: list[int]
    en_route_curve: list[int]
    alerts_in_flight: int
    alerts_sent: int
    links: list[LinkView] = field(default_factory=list)
    injects_done: list[tuple[float, str, str]] = field(default_factory=list)
    watchlists: dict[str, int] = field(default_factory=dict)
    costs_modelled: bool = False
    wrongful: dict[str, int] = field(default_factory=dict)

    @property
    def wrongly_stopped(self) -> int:
        """Innocent people stopped at a border so far (every kind)."""
        return sum(self.wrongful.values())

    @property
    def finished(self) -> bool:
        """The clock is at the horizon."""
        return self.hours >= self.horizon_hours

    @property
    def crossed(self) -> int:
        """Journeys decided so far: stopped or through (at the end: everyone who crossed)."""
        return self.detected + self.got_through

    @property
    def detection_rate(self) -> float | None:
        """Stopped / decided, or None before anyone is decided."""
        return self.detected / self.crossed if self.crossed else None

    def chain_summary(self) -> dict[str, Any]:
        """The keys `sim.debrief.run_figures.chain_stages` reads, for the journeys decided so far."""
        return {"crossed": self.crossed, "detected": self.detected, "misses": dict(self.misses)}


class LiveRun:
    """One run of a scenario, advanced on demand and read at any moment.

    Args:
        scenario: the validated scenario, settings applied.
        seed: the run's seed.
    """

    def __init__(self, scenario: Scenario, seed: int):
        self.scenario = scenario
        self.seed = int(seed)
        self.model = SharingModel(scenario, seed=self.seed, log_events=False, collect_data=False)

    @property
    def hours(self) -> float:
        """The clock, in hours."""
        return float(self.model.time)

    @property
    def horizon(self) -> float:
        """The end of the run, in hours."""
        return float(self.model.horizon)

    def advance_to(self, hours: float) -> None:
        """Move the clock forward to `hours` (capped at the horizon); never backwards."""
        hours = min(float(hours), self.horizon)
        if hours > self.model.time:
            self.model.run_until(hours)

    def advance(self, hours: float) -> None:
        """Move the clock forward by `hours`."""
        self.advance_to(self.hours + hours)

    def run_to_end(self) -> None:
        """Run to the horizon."""
        self.advance_to(self.horizon)

    def snapshot(self) -> Snapshot:
        """Read the run's state now (see `Snapshot`)."""
        model = self.model
        now = self.hours
        horizon = self.horizon
        finished = now >= horizon
        detections: list[float] = []
        through: list[tuple[float, int]] = []
        departs: list[float] = []
        stops: list[float] = []
        for t in model.travellers[: model.persons_of_interest]:  # innocent subjects are not counted here
            departs.append(t.depart_hours)
            if t.detected is not None:
                detections.append(t.detected[0])
                stops.append(t.detected[0])
            elif t.arrived:
                through.append((t.crossings[-1][0], t.index))
                stops.append(t.crossings[-1][0])
            elif finished and t.crossings:
                through.append((horizon, t.index))  # the debrief counts them as missed
                stops.append(horizon)
        causes = attribute(model)
        misses = {cause: 0 for cause in CAUSES if cause not in OPTIONAL_CAUSES or model.costs_modelled}
        for _, index in through:
            misses[causes[index].cause] += 1
        whole_days = int(math.floor(now / 24.0 + 1e-9))
        times = [24.0 * d for d in range(whole_days + 1)]
        if not times or times[-1] < now:
            times.append(now)
        ends = np.asarray(times)

        def count(values: list[float]) -> np.ndarray:
            return np.searchsorted(np.sort(np.asarray(values, dtype=float)), ends, side="right")

        detected_curve = count(detections)
        through_curve = count([time for time, _ in through])
        en_route_curve = count(departs) - count(stops)
        sent = 0
        in_flight_total = 0
        links: list[LinkView] = []
        per_link: dict[int, list[float]] = {link.index: [] for link in model.links}
        carried: dict[int, int] = {link.index: 0 for link in model.links}
        for message in model.messages:
            if message.sent is None:
                continue
            sent += 1
            carried[message.link.index] += 1
            if message.fate == IN_FLIGHT and message.delivered is not None and message.delivered > now:
                span = message.delivered - message.sent
                per_link[message.link.index].append(1.0 if span <= 0 else (now - message.sent) / span)
                in_flight_total += 1
        records = model.ledger.records if model.ledger is not None else {}
        for link in model.links:
            record = records.get(link.index)
            links.append(
                LinkView(
                    sender=link.sender.code,
                    receiver=link.receiver.code,
                    trust=float(link.trust),
                    up=bool(link.up),
                    in_flight=tuple(per_link[link.index]),
                    held=len(link.held),
                    carried=carried[link.index],
                    prior=None if record is None else float(record.prior),
                )
            )
        return Snapshot(
            hours=now,
            horizon_hours=horizon,
            travellers=model.persons_of_interest,
            not_departed=sum(1 for d in departs if d > now),
            detected=len(detections),
            got_through=len(through),
            en_route=int(en_route_curve[-1]),
            misses=misses,
            days=[t / 24.0 for t in times],
            detected_curve=[int(v) for v in detected_curve],
            through_curve=[int(v) for v in through_curve],
            en_route_curve=[int(v) for v in en_route_curve],
            alerts_in_flight=in_flight_total,
            alerts_sent=sent,
            links=links,
            injects_done=[(time / 24.0, kind, detail) for time, _, kind, detail in model.injects_done],
            watchlists={code: len(agency.watchlist) for code, agency in model.agencies.items()},
            costs_modelled=bool(model.costs_modelled),
            wrongful=_wrongful_by_kind(model, now) if model.costs_modelled else {},
        )


def _wrongful_by_kind(model: SharingModel, now: float) -> dict[str, int]:
    counts = dict.fromkeys(WRONGFUL_STOP_KINDS, 0)
    for stop in model.wrongful_stops:
        if stop.time_hours <= now + 1e-9:
            counts[stop.kind] = counts.get(stop.kind, 0) + 1
    return counts


def _load_scenario(path: str | Path) -> Scenario:
    """`load_scenario`, read once per version of the file: every tab of a room opens the same one.

    Raises:
        sim.errors.ScenarioError: if the file is not a valid scenario.
    """
    resolved = Path(path).resolve()
    try:
        stat = resolved.stat()
    except OSError:
        return load_scenario(path)  # let it say what is wrong
    return _load_version(str(path), str(resolved), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _load_version(path: str, resolved: str, mtime_ns: int, size: int) -> Scenario:
    return load_scenario(path)


@dataclass
class Session:
    """The page's state: a scenario, the settings, the run, and the run as written (same seed).

    Args:
        path: the scenario file.
    """

    path: str
    scenario: Scenario = field(init=False)
    settings: Settings = field(init=False)
    run: LiveRun = field(init=False)
    reference: LiveRun | None = field(init=False, default=None)
    compare: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.load(self.path)

    def load(self, path: str) -> None:
        """Open a scenario as written, the clock at zero.

        Raises:
            sim.errors.ScenarioError: if the file is not a valid scenario.
        """
        scenario = _load_scenario(path)
        self.path = path
        self.scenario = scenario
        self.settings = settings_as_written(scenario)
        self._rebuild(0.0, reference=True)

    @property
    def written(self) -> Settings:
        """The scenario's settings as written, with the page's seed."""
        return replace(settings_as_written(self.scenario), seed=self.settings.seed)

    def change(self, **values: Any) -> None:
        """Change settings (`Settings` field names); the run is redone to the same clock."""
        new = replace(self.settings, **values)
        if new == self.settings:
            return
        reference = new.seed != self.settings.seed
        self.settings = new
        self._rebuild(self.run.hours, reference=reference)

    def restore(self) -> None:
        """Back to the settings as written (keeping the seed and the clock)."""
        if self.settings != self.written:
            self.settings = self.written
            self._rebuild(self.run.hours, reference=False)

    def reset(self) -> None:
        """The clock back to zero, same settings."""
        self._rebuild(0.0, reference=True)

    def set_compare(self, on: bool) -> None:
        """Run the scenario as written alongside (same seed), or stop doing so."""
        self.compare = bool(on)
        self._sync_reference()

    def advance(self, hours: float) -> None:
        """Move both runs forward by `hours`."""
        self.run.advance(hours)
        self._sync_reference()

    def run_to_end(self) -> None:
        """Run to the horizon."""
        self.run.run_to_end()
        self._sync_reference()

    def command(self) -> str:
        """The ``tabletop run`` command that reproduces the run on the page."""
        return command_line(self.path, self.scenario, self.settings)

    def _rebuild(self, hours: float, reference: bool) -> None:
        changed = scenario_with_settings(self.scenario, self.settings)
        self.run = LiveRun(changed, self.settings.seed)
        self.run.advance_to(hours)
        if reference:
            self.reference = None
        self._sync_reference()

    def _sync_reference(self) -> None:
        if not self.compare:
            return
        if self.reference is None or self.reference.hours > self.run.hours:
            written = scenario_with_settings(self.scenario, self.written)
            self.reference = LiveRun(written, self.settings.seed)
        self.reference.advance_to(self.run.hours)


def shipped_scenarios(given: str | Path | None = None) -> list[tuple[str, str]]:
    """(label, path) of the scenario given and the shipped ones, the given one first.

    The shipped scenarios are the ``scenarios/*.yaml`` beside the package (a source
    checkout or an editable install); files that do not validate are left out.
    """
    from sim.errors import ScenarioError

    candidates: list[Path] = []
    if given is not None:
        candidates.append(Path(given))
    folder = Path(__file__).resolve().parents[2] / "scenarios"
    if folder.is_dir():
        candidates += sorted(folder.glob("*.yaml"))
    seen: set[Path] = set()
    out: list[tuple[str, str]] = []
    for path in candidates:
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        try:
            name = _load_scenario(path).name  # cached: the first tab, and a later choice, read it again
        except (ScenarioError, OSError):
            if path is candidates[0] and given is not None:
                raise
            continue
        out.append((f"{name} ({path.name})", str(path)))
    return out
