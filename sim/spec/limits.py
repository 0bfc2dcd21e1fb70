"""Limits on the work an input may ask for: every limit, its value and why, in one place.

Each input is measured before anything proportional to it is allocated: a YAML
file by its size, its nesting and its nodes (aliases counted at their full size,
before anything is expanded); a scenario by its travellers (surges included),
agencies, links and events, with an estimate of the memory its run takes; a
sweep by its points and runs; a comparison by its runs. Past a limit the input is
refused (exit status 2, nothing written) with the reason, the estimate and the
limit. ``--allow-large`` (``allow_large=True`` in `sim.api`) lifts the limits that
are about size (every one here but `MAX_YAML_DEPTH`), and a `LimitNote` says
what was let through, with the estimate.

The values are module attributes read at each check, so a test can lower one
(``monkeypatch.setattr(limits, "MAX_TRAVELLERS", 10)``). docs/scenario-format.md
and docs/sweeps.md list them; a test keeps the pages and these values the same.

Measured on the 2-core development machine (peak resident memory of `sim.run`,
Python 3.12): about 120 MB to start, then about 2 KB per traveller, 1 KB per
crossing and 2.5 KB per alert (the baseline corridor with 100,000 travellers:
1.06 GB and 27 s; the estimate below says 1.09 GB).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.errors import Problem, ScenarioError, format_path

if TYPE_CHECKING:
    from sim.spec.scenario import Scenario

# ---------------------------------------------------------------- the limits

MAX_FILE_BYTES = 1_048_576
"""A scenario, sweep or decisions file: 1 MiB. The shipped scenarios are 3-6 KB; reading 1 MiB of
YAML (PyYAML, pure Python) takes about 3-15 s and 300 MB; a 50 MB file took over 5 GB."""

MAX_YAML_NODES = 100_000
"""Values in one YAML document (or one ``--set`` value), every alias counted at the size of what it
names: 100,000, about 15,000 inject lines. An alias bomb ("billion laughs") names 10^9 in 1 KB."""

MAX_YAML_DEPTH = 64
"""Nesting of one YAML document. A scenario nests 6 deep; past a few hundred levels the reader itself
fails (Python's recursion limit). Not lifted by ``--allow-large``."""

MAX_TRAVELLERS = 200_000
"""Travellers of one run, the count and every surge together: 200,000 (the baseline corridor with
200,000 travellers: about 2 GB and a minute)."""

MAX_AGENCIES = 200
"""Agencies of one scenario."""

MAX_LINKS = 2_000
"""Directed links of one scenario (a ``both_ways`` link counts twice)."""

MAX_EVENTS = 1_500_000
"""Events of one run: crossings, intelligence learned (sources and ``intel`` injects), alerts
sent and wrongful stops of ordinary travellers, estimated from the scenario (alerts: each
traveller learned of, times the links it can travel from the agency that learned, through the
agencies that forward)."""

MAX_RUNS = 100_000
"""Runs of a sweep (points x replications) or a comparison (2 x replications): 100,000, about
1.7 hours of the baseline corridor on one core."""

MAX_POINTS = 10_000
"""Points of a sweep design, and values of one grid range (``steps``): 10,000. Every point of a
sampled design is checked on the scenario before the first run."""

FIGURE_MAX_AGENCIES = 40
"""A run's network figure draws every agency up to 40 agencies; past that (or `FIGURE_MAX_LINKS`)
it draws the busiest links as bars instead (10,000 agencies drew 1430 x 907,648 pixels)."""

FIGURE_MAX_LINKS = 60
"""A run's network figure draws every link up to 60 links, and its link-delay figure one row per
link; past that both show the `FIGURE_BUSIEST_LINKS` busiest links."""

FIGURE_BUSIEST_LINKS = 25
"""Links shown, the busiest first, by a figure of a network past `FIGURE_MAX_AGENCIES` or `FIGURE_MAX_LINKS`."""

BASE_BYTES = 120_000_000
BYTES_PER_TRAVELLER = 2_000
BYTES_PER_CROSSING = 1_000
BYTES_PER_ALERT = 2_500
"""The memory estimate of one run: `BASE_BYTES` plus these per traveller, crossing and alert."""
BYTES_PER_STOP = 600
"""A wrongful stop of an ordinary traveller: its record and its row of ``wrongful_stops.csv``."""

ALLOW = "--allow-large (allow_large=True in Python)"
"""How a user lifts a limit, as messages say it."""


class LimitNote(UserWarning):
    """A limit was lifted (``--allow-large``) or a request was reduced (workers): what and why.

    The command line prints these as ``note: ...`` lines; in Python they are warnings.
    """


# ---------------------------------------------------------------- words


def count(number: float) -> str:
    """A count with thousands separators: ``310,000,000``."""
    return f"{int(round(number)):,}"


def size(number_of_bytes: float) -> str:
    """Bytes in words: ``1.3 GB``."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if number_of_bytes >= scale:
            return f"{number_of_bytes / scale:.3g} {unit}"
    return f"{int(number_of_bytes)} bytes"


@dataclass(frozen=True)
class Excess:
    """One limit an input goes past.

    Attributes:
        path: the field to blame (a path key, ``()`` for the whole input).
        message: the reason and the estimate, in words (without the limit).
        limit: the limit, in words.
        value: the offending value shown as ``(got VALUE)``, or None.
    """

    path: tuple[str | int, ...]
    message: str
    limit: str
    value: Any = None


def enforce(
    excesses: Iterable[Excess],
    source: str,
    line_of: Any,
    allow_large: bool,
    quiet: bool = False,
) -> None:
    """Refuse every excess (one `ScenarioError` listing them), or with `allow_large` note each one.

    Args:
        excesses: what goes past a limit.
        source: how problems name the input (a file, ``--replications``).
        line_of: a function from a path key to its line (or None).
        allow_large: let them through, with a `LimitNote` each.
        quiet: let them through without a note (a copy of an input already let through).
    """
    found = list(excesses)
    if found and not allow_large:
        raise ScenarioError(problems_of(found, source, line_of))
    if not quiet:
        note(found, source)


def problems_of(excesses: Iterable[Excess], source: str, line_of: Any) -> list[Problem]:
    """The excesses as problems: the reason, the estimate, the limit and how to raise it."""
    return [
        Problem(source, line_of(e.path) if e.path else None, format_path(e.path),
                f"{e.message}; the limit is {e.limit}; raise it with {ALLOW}",
                *(() if e.value is None else (e.value,)))  # fmt: skip
        for e in excesses
    ]


def note(excesses: Iterable[Excess], source: str) -> None:
    """A `LimitNote` for each excess let through by ``--allow-large``, with its estimate."""
    for e in excesses:
        where = f"{source}: {format_path(e.path)}" if e.path else source
        warnings.warn(f"{where}: {e.message} (over the limit of {e.limit}; allowed by --allow-large)",
                      LimitNote, stacklevel=4)  # fmt: skip


# ---------------------------------------------------------------- scenarios


def raw_excesses(data: dict[str, Any]) -> list[Excess]:
    """Agencies and links counted in the data as given, before its structure is checked.

    Checking takes time in proportion: 500 fully connected agencies took 85 s.
    """
    out = []
    agencies = data.get("agencies")
    if isinstance(agencies, list) and len(agencies) > MAX_AGENCIES:
        out.append(Excess(("agencies",), f"{count(len(agencies))} agencies", f"{count(MAX_AGENCIES)} agencies"))
    sharing = data.get("sharing")
    links = sharing.get("links") if isinstance(sharing, dict) else None
    if isinstance(links, list):
        directed = sum(2 if isinstance(link, dict) and link.get("both_ways") is True else 1 for link in links)
        if directed > MAX_LINKS:
            out.append(Excess(("sharing", "links"), f"{count(directed)} directed links",
                              f"{count(MAX_LINKS)} links"))  # fmt: skip
    return out


@dataclass(frozen=True)
class Work:
    """What one run of a scenario will make, estimated before it runs.

    Attributes:
        travellers: the count, every surge, and the innocent subjects of wrong leads (``precision``).
        surges: how many surge injects.
        crossings: border crossings (every leg of every route, horizon ignored).
        learned: intelligence learned: each source's share of its groups, and each ``intel`` inject's targets.
        alerts: alerts sent, at most: each traveller learned of times the links reachable from the agency.
        stops: wrongful stops of ordinary travellers (namesakes, PNR flags), at most.
    """

    travellers: int
    surges: int
    crossings: int
    learned: int
    alerts: int
    stops: int = 0

    @property
    def events(self) -> int:
        """Crossings, intelligence learned, alerts and wrongful stops of ordinary travellers."""
        return self.crossings + self.learned + self.alerts + self.stops

    @property
    def memory(self) -> float:
        """Estimated peak memory of the run, in bytes."""
        return (BASE_BYTES + BYTES_PER_TRAVELLER * self.travellers + BYTES_PER_CROSSING * self.crossings
                + BYTES_PER_ALERT * self.alerts + BYTES_PER_STOP * self.stops)  # fmt: skip

    def describe(self) -> str:
        """The estimate in words."""
        parts = f"{count(self.crossings)} crossings, {count(self.learned)} intelligence, {count(self.alerts)} alerts"
        if self.stops:
            parts += f", {count(self.stops)} wrongful stops of ordinary travellers"
        return f"an estimated {count(self.events)} events ({parts}) and {size(self.memory)} of memory"


def scenario_work(scenario: Scenario) -> Work:
    """Estimate a validated scenario's run: no traveller, event or alert is made."""
    groups = scenario.travellers.groups
    sizes = {g.name: scenario.travellers.count * g.share for g in groups}
    routes = {g.name: len(g.route) - 1 for g in groups}
    surges = [i for i in scenario.injects if i.kind == "surge"]
    for surge in surges:
        sizes[surge.group] = sizes.get(surge.group, 0) + surge.travellers
    travellers = scenario.travellers.count + sum(s.travellers for s in surges)
    crossings = sum(sizes[name] * routes.get(name, 1) for name in sizes)
    senders = {source.agency for source in scenario.intelligence}
    senders |= {inject.agency for inject in scenario.injects if inject.kind == "intel"}
    reach = _reachable_links(scenario, senders)
    learned = alerts = innocent = 0.0
    for source in scenario.intelligence:
        names = source.groups or list(sizes)
        eligible = sum(sizes.get(name, 0) for name in names)
        known = source.covers * eligible
        if source.precision is not None and source.precision < 1.0:
            # Wrong leads: one innocent subject each, travelling like the source's groups.
            wrong = known * (1.0 - source.precision) / source.precision
            innocent += wrong
            crossings += wrong * max((routes.get(name, 1) for name in names), default=1)
            known += wrong
        learned += known
        alerts += known * reach.get(source.agency, 0)
    travellers += round(innocent)
    for inject in scenario.injects:
        if inject.kind == "intel":
            targets = inject.travellers if inject.travellers is not None else len(inject.ids or [])
            learned += targets
            alerts += targets * reach.get(inject.agency, 0)
    stops = _ordinary_stops(scenario, travellers)
    return Work(travellers, len(surges), round(crossings), round(learned), round(alerts), round(stops))


def _ordinary_stops(scenario: Scenario, travellers: int) -> float:
    """At most how many ordinary travellers a run stops (namesakes and PNR flags): each one is a record.

    An upper bound: every traveller on every border agency's watchlist for the whole horizon, each
    matched at the agency's highest false-match rate.
    """
    if scenario.population is None:
        return 0.0
    total = 0.0
    for agency in scenario.agencies:
        if not agency.screens:
            continue
        crossings = scenario.population.per_day(agency.country) * scenario.horizon_days
        rates = agency.false_match_or_default
        highest = max(rates.probability(identifier) for identifier in type(rates).model_fields)
        flags = agency.pnr_rules.flags_ordinary if agency.pnr_rules is not None else 0.0
        total += crossings * (min(1.0, highest * travellers) + flags)
    return total


def _reachable_links(scenario: Scenario, senders: set[str]) -> dict[str, int]:
    """Per sender: the links an alert it sends can travel (its own, and those of forwarders it reaches)."""
    out_links: dict[str, list[str]] = {}
    for link in scenario.sharing.links:
        out_links.setdefault(link.sender, []).append(link.receiver)
        if link.both_ways:
            out_links.setdefault(link.receiver, []).append(link.sender)
    forwards = {a.id for a in scenario.agencies if a.forwards}
    reach: dict[str, int] = {}
    for agency in senders & set(out_links):
        seen, stack, total = {agency}, [agency], 0
        while stack:
            here = stack.pop()
            for there in out_links.get(here, []):
                total += 1
                if there in forwards and there not in seen:
                    seen.add(there)
                    stack.append(there)
        reach[agency] = total
    return reach


def scenario_excesses(scenario: Scenario, work: Work) -> list[Excess]:
    """The limits a validated scenario's run goes past."""
    out = []
    if work.travellers > MAX_TRAVELLERS:
        given = count(scenario.travellers.count)
        if work.surges:
            plural = "s" if work.surges != 1 else ""
            what = f"{given} travellers and {work.surges} surge{plural} make {count(work.travellers)} travellers"
        else:
            what = f"{given} travellers"
        out.append(Excess(("travellers", "count"), f"{what}, {work.describe()}",
                          f"{count(MAX_TRAVELLERS)} travellers"))  # fmt: skip
    elif work.events > MAX_EVENTS:
        out.append(Excess((), f"the run would make {work.describe()}", f"{count(MAX_EVENTS)} events"))
    return out


# ---------------------------------------------------------------- many runs


def runs_excess(path: tuple[str | int, ...], what: str, runs: int, work: Work | None = None) -> Excess | None:
    """`runs` past `MAX_RUNS`, described as `what` (``30 points x 10**8 replications``), or None."""
    if runs <= MAX_RUNS:
        return None
    each = f"; each run {work.describe()}" if work is not None else ""
    return Excess(path, f"{what} = {count(runs)} runs{each}", f"{count(MAX_RUNS)} runs")


def points_excess(path: tuple[str | int, ...], what: str, points: int) -> Excess | None:
    """`points` past `MAX_POINTS`, or None; `what` is the message, ``{}`` standing for the number."""
    if points <= MAX_POINTS:
        return None
    return Excess(path, what.format(count(points)), f"{count(MAX_POINTS)} points")


def capped_workers(asked: int, cores: int) -> int:
    """At most one worker process per core: more only share the cores and add memory (a note says so)."""
    if asked <= cores:
        return asked
    warnings.warn(f"--workers {asked}: this machine lets tabletop use {cores} core{'s' if cores != 1 else ''}, "
                  f"so {cores} worker process{'es' if cores != 1 else ''} run (more would only share the cores, "
                  "and each takes about 130 MB)", LimitNote, stacklevel=3)  # fmt: skip
    return cores
