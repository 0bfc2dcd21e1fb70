"""The scenario: load, validate, and hold one exercise as a typed object.

A scenario file is read with a safe YAML loader (`sim.spec.yaml_files`), overrides are
applied by field path (`sim.spec.field_paths`), then two passes check it: the structure
(types, ranges, unknown fields) with pydantic (`sim.spec.structure`), and the meaning
(references, sums, unique ids, fictional names) with plain code (`sim.spec.scenario_checks`).
Every problem is reported, each with file, line, field path and value. The model only ever
receives a validated `Scenario`; it never reads YAML or paths.

The value types live in `sim.spec.field_types`, the inject kinds in `sim.spec.injects`.
All defaults live in these modules, each with a comment saying why.
"""

from __future__ import annotations

import bisect
import copy
import math
import warnings
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, PrivateAttr, WithJsonSchema

from sim.errors import Problem, ScenarioError
from sim.spec import limits
from sim.spec.checks import dedupe
from sim.spec.distributions import DRAW_LIMIT, Distribution
from sim.spec.field_paths import apply_changes, blame_changes, parse_overrides, traced_changes
from sim.spec.field_types import (
    IDENTIFIERS,
    AdaptiveTrust,
    Duration,
    Id,
    Identifier,
    PartySize,
    Probability,
    SignedHours,
    Strict,
    Trust,
)
from sim.spec.injects import AnyInject, IntelInject, SurgeInject
from sim.spec.scenario_checks import semantic_problems
from sim.spec.structure import structural_problems
from sim.spec.yaml_files import LineMap, PathKey, format_path, read_yaml

DEFAULT_SCREENING = {"biometric": 0.95, "document": 0.85, "name": 0.5}
"""Screening probabilities of a border agency that does not give its own: a
biometric check rarely fails, a name check often does."""

DEFAULT_FALSE_MATCH = {"biometric": 1.0e-7, "document": 1.0e-8, "name": 1.0e-5}
"""Chance that one ordinary crossing falsely matches one watchlist entry, by the entry's
identifier. Illustrative orders of magnitude, not measurements: a name is shared by many
namesakes, a document number almost never, a biometric template rarely (a false match rate
of 1e-7 per comparison is in the range reported for good fingerprint matchers)."""

# ---------------------------------------------------------------- the format


class Country(Strict):
    """A fictional country."""

    id: Id = Field(description="Short unique code, used in routes and agency records.")
    name: str = Field(min_length=1, description="Display name; must not be a real country's name.")
    role: Literal["conflict", "transit", "home"] = Field(description="Descriptive only: routes decide who goes where.")


class Screening(Strict):
    """Chance that a border check finds a watchlisted traveller, by identifier type."""

    biometric: Probability = DEFAULT_SCREENING["biometric"]
    document: Probability = DEFAULT_SCREENING["document"]
    name: Probability = DEFAULT_SCREENING["name"]

    def probability(self, identifier: str) -> float:
        """The screening probability for one identifier type."""
        return float(getattr(self, identifier))


class FalseMatch(Strict):
    """Chance that one ordinary crossing falsely matches one watchlist entry, by the entry's identifier."""

    biometric: Probability = DEFAULT_FALSE_MATCH["biometric"]
    document: Probability = DEFAULT_FALSE_MATCH["document"]
    name: Probability = DEFAULT_FALSE_MATCH["name"]

    def probability(self, identifier: str) -> float:
        """The false-match probability for one identifier type."""
        return float(getattr(self, identifier))


class PnrRules(Strict):
    """Risk rules on passenger name records at one border agency (identifier ``pnr``)."""

    flags_interest: Probability = Field(
        default=0.0, description="Chance a crossing person of interest is flagged (and stopped), known or not."
    )
    flags_ordinary: Probability = Field(
        default=0.0, description="Chance an ordinary crossing is flagged: a wrongful stop of kind pnr."
    )


def _crossings_per_day(value: Any) -> float | dict[str, float]:
    """A number of ordinary crossings per day (>= 0), or a mapping of country id (or ``default``) to one."""

    def number(x: Any, what: str) -> float:
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            raise ValueError(f"{what} should be a number of crossings per day")
        if not 0 <= x <= 1.0e9:
            raise ValueError(f"{what} should lie between 0 and 1e9 crossings per day")
        return float(x)

    if isinstance(value, dict):
        return {str(k): number(v, f"{k}: {v!r}") for k, v in value.items()}
    return number(value, "crossings_per_day")


CrossingsPerDay = Annotated[
    float | dict[str, float],
    PlainValidator(_crossings_per_day),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
            ],
            "description": "Crossings per day: one number for every country, or {default: n, COUNTRY: n}.",
        }
    ),
]
"""Ordinary crossings into a country per day: one number, or a mapping by country id with a ``default``."""


class Population(Strict):
    """The ordinary travellers crossing each border: counted, never simulated one by one."""

    crossings_per_day: CrossingsPerDay = Field(
        default=0.0,
        description="Ordinary crossings per day into each country with a border agency (every border agency of "
        "the country checks each of them): one number for all, or a mapping of country id to number with an "
        "optional `default` (0 if missing).",
    )

    def per_day(self, country: str) -> float:
        """Ordinary crossings per day into `country`."""
        value = self.crossings_per_day
        if isinstance(value, dict):
            return float(value.get(country, value.get("default", 0.0)))
        return float(value)


class Agency(Strict):
    """A national agency: it learns, shares, forwards and (if a border agency) screens."""

    id: Id
    country: str = Field(description="Id of the agency's country.")
    kind: Literal["intelligence", "police", "border", "hub"]
    name: str | None = Field(default=None, description="Optional display name.")
    screening: Screening | None = Field(
        default=None,
        description=f"Border agencies only; missing probabilities take the defaults {DEFAULT_SCREENING}.",
    )
    forward: bool | None = Field(
        default=None,
        description="Relay accepted alerts on its own links (default: true for hubs, false otherwise).",
    )
    false_match: FalseMatch | None = Field(
        default=None,
        description="Border agencies only: chance one ordinary crossing falsely matches one watchlist entry, by the "
        f"entry's identifier; missing ones take the defaults {DEFAULT_FALSE_MATCH}.",
    )
    retention_days: Annotated[float, Field(gt=0.0, le=36500, allow_inf_nan=False)] | None = Field(
        default=None,
        description="Days a watchlist entry is kept after its latest acceptance (default: kept for the whole run).",
    )
    pnr_rules: PnrRules | None = Field(
        default=None, description="Border agencies only: passenger name record risk rules (default: none)."
    )

    @property
    def forwards(self) -> bool:
        """Whether this agency relays the alerts it accepts."""
        return self.kind == "hub" if self.forward is None else self.forward

    @property
    def screens(self) -> bool:
        """Whether this agency checks travellers at its country's border."""
        return self.kind == "border"

    @property
    def screening_or_default(self) -> Screening:
        """Its screening probabilities, defaults filled in."""
        return self.screening or Screening()

    @property
    def false_match_or_default(self) -> FalseMatch:
        """Its false-match probabilities, defaults filled in."""
        return self.false_match or FalseMatch()


class LinkSettings(Strict):
    """Settings of a link; in `sharing.defaults` they apply to every link."""

    delay_hours: Duration | None = Field(default=None, description="Delivery delay of one message.")
    trust: Trust | None = Field(
        default=None,
        description="Chance the receiver accepts an alert: a number (fixed), or {adaptive: true, prior, strength} "
        "(learnt from the link's track record).",
    )
    reliability: Probability | None = Field(default=None, description="Chance a message is not lost.")
    verify_hours: Duration | None = Field(
        default=None,
        description="Time to verify an alert that was not trusted; null: it is discarded.",
    )
    verify_catches: Probability | None = Field(
        default=None,
        description="Chance that verification refutes (discards) a wrong alert; default 0: verification only delays.",
    )
    carries: list[Literal["biometric", "document", "name"]] | None = Field(
        default=None,
        min_length=1,
        description="Identifier types the link may carry (default: all); an alert carries the strongest one "
        "allowed that its sender knows, or is not sent.",
    )
    when_down: Literal["hold", "drop"] | None = Field(
        default=None,
        description="What a down link does with new messages: hold them until it is up (default) or drop them.",
    )


class LinkDefaults(LinkSettings):
    """Defaults for every link (the library defaults fill what is missing)."""

    delay_hours: Duration | None = Field(default_factory=lambda: Distribution.fixed(24.0))
    trust: Trust | None = 0.8  # most alerts between partners are acted on
    reliability: Probability | None = 1.0  # messages are not lost unless said
    when_down: Literal["hold", "drop"] | None = "hold"  # model.md: held until the link is up


class Link(LinkSettings):
    """A directed channel from one agency to another (or both ways)."""

    sender: str = Field(alias="from", description="Id of the sending agency.")
    receiver: str = Field(alias="to", description="Id of the receiving agency.")
    both_ways: bool = Field(default=False, description="Also the reverse link, with the same settings.")
    note: str | None = None


class Sharing(Strict):
    """How agencies share alerts."""

    delay_scale: Annotated[float, Field(ge=0.0, le=DRAW_LIMIT, allow_inf_nan=False)] = Field(
        default=1.0,
        description="Multiplies every link delay: the one knob for the speed of sharing.",
    )
    defaults: LinkDefaults = Field(default_factory=LinkDefaults)
    links: list[Link] = Field(default_factory=list)


class Documents(Strict):
    """Shares of travellers on genuine and on fraudulent documents."""

    genuine: Probability | None = None
    fraudulent: Probability | None = None

    @property
    def fraudulent_share(self) -> float:
        """The share on fraudulent documents."""
        if self.fraudulent is not None:
            return self.fraudulent
        return 1.0 - self.genuine if self.genuine is not None else 0.0


class Group(Strict):
    """A group of travellers sharing a route and its laws."""

    name: Id
    share: Probability = Field(description="Fraction of `travellers.count` in this group.")
    intent: Literal["return", "relocate"] = "return"
    route: list[str] = Field(min_length=2, description="Country ids in travel order.")
    depart_day: Duration = Field(default_factory=lambda: Distribution.fixed(0.0), description="Day of departure.")
    leg_hours: Duration = Field(description="Time from one crossing (or departure) to the next.")
    documents: Documents = Field(default_factory=lambda: Documents(genuine=1.0))
    party_size: PartySize = Field(
        default_factory=lambda: Distribution.fixed(1.0),
        description="People crossing together, the traveller included (rounded, at least 1).",
    )


class Travellers(Strict):
    """The persons of interest."""

    count: Annotated[int, Field(ge=0, le=10_000_000)]
    groups: list[Group] = Field(min_length=1)


class Intelligence(Strict):
    """An intelligence source: which agency learns about whom, when, with which identifier."""

    agency: str
    covers: Probability = Field(description="Fraction of eligible travellers it learns about.")
    groups: list[str] | None = Field(default=None, description="Eligible groups (default: all).")
    learn_hours: SignedHours = Field(default_factory=lambda: Distribution.fixed(0.0))
    relative_to: Literal["departure", "start"] = "departure"
    identifier: Identifier = Field(default_factory=lambda: {"name": 1.0})
    precision: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] | None = Field(
        default=None,
        description="Share of its leads that are about a person of interest (default 1); the rest are wrong "
        "leads about innocent travellers.",
    )


class Scenario(Strict):
    """One exercise, validated. Build it with `load_scenario` or `scenario_from_dict`."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None
    horizon_days: Annotated[float, Field(gt=0, le=3650, allow_inf_nan=False)] = 90.0
    countries: list[Country] = Field(min_length=1)
    agencies: list[Agency] = Field(min_length=1)
    sharing: Sharing = Field(default_factory=Sharing)
    travellers: Travellers
    intelligence: list[Intelligence] = Field(default_factory=list)
    injects: list[AnyInject] = Field(default_factory=list)
    population: Population | None = Field(
        default=None, description="Ordinary travellers at each border (default: none, as before the cost side)."
    )

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    _source: str = PrivateAttr(default="<scenario>")
    _allow_large: bool = PrivateAttr(default=False)

    @property
    def raw(self) -> dict[str, Any]:
        """The data as given (overrides applied): what `scenario.yaml` records."""
        return copy.deepcopy(self._raw)

    @property
    def source(self) -> str:
        """Where the scenario came from (a path or a label)."""
        return self._source

    @property
    def allow_large(self) -> bool:
        """Whether it was let past the limits of `sim.spec.limits` (``--allow-large``); copies inherit it."""
        return self._allow_large

    @property
    def horizon_hours(self) -> float:
        """The horizon in hours."""
        return self.horizon_days * 24.0

    @property
    def costs_modelled(self) -> bool:
        """True when the scenario uses any field of the cost side of sharing.

        (The background population, false matches, precision, refuting verification,
        adaptive trust, ``carries``, retention, PNR rules.) A scenario that uses none runs
        byte for byte as before they existed: no new summary keys, no new tables.
        """
        return self.alert_costs_modelled or self.border_costs_modelled

    @property
    def alert_costs_modelled(self) -> bool:
        """The alert side of the cost of sharing: ``precision``, ``verify_catches``, adaptive trust, ``carries``.

        A field counts as used when the file gives it, even at its default value
        (``precision: 1.0`` turns the cost outputs on without changing a draw).
        """
        if any(source.precision is not None for source in self.intelligence):
            return True
        for settings in (self.sharing.defaults, *self.sharing.links):
            if settings.verify_catches is not None or settings.carries is not None:
                return True
            if isinstance(settings.trust, AdaptiveTrust):
                return True
        return False

    @property
    def border_costs_modelled(self) -> bool:
        """True when the scenario uses a field of the border side: population, false_match, retention, PNR."""
        return self.population is not None or any(
            a.false_match is not None or a.retention_days is not None or a.pnr_rules is not None for a in self.agencies
        )

    def with_seed(self, seed: int) -> Scenario:
        """A copy with `seed` set (in the object and in its raw data)."""
        raw = self.raw
        raw["seed"] = int(seed)
        return scenario_from_dict(raw, source=self._source, allow_large=self._allow_large, quiet=True)


LINK_FIELDS: tuple[str, ...] = (
    "delay_hours", "trust", "reliability", "verify_hours", "when_down", "verify_catches", "carries",
)  # fmt: skip
"""The settings of a link, each its own, else the scenario default, else the library default."""

LIBRARY_LINK_DEFAULTS: dict[str, Any] = {"verify_catches": 0.0, "carries": list(IDENTIFIERS)}
"""Built-in defaults of the settings `LinkDefaults` leaves unset (so that setting them is seen):
verification refutes nothing, a link carries every identifier type."""


def link_settings(scenario: Scenario, link: Link) -> dict[str, Any]:
    """The effective settings of a link: its own, else the scenario defaults."""
    defaults = scenario.sharing.defaults
    out = {}
    library = LinkDefaults()
    for field in LINK_FIELDS:
        own = getattr(link, field)
        if field == "verify_hours" and field in link.model_fields_set:
            out[field] = own  # an explicit null means: discard alerts that are not trusted
        elif own is not None:
            out[field] = own
        else:
            out[field] = getattr(defaults, field)
            if out[field] is None and field in LIBRARY_LINK_DEFAULTS:
                out[field] = LIBRARY_LINK_DEFAULTS[field]
            elif out[field] is None and field != "verify_hours":
                out[field] = getattr(library, field)
    return out


def expand_links(scenario: Scenario) -> list[tuple[str, str, dict[str, Any]]]:
    """Every directed link as (sender, receiver, effective settings), in file order."""
    out = []
    for link in scenario.sharing.links:
        settings = link_settings(scenario, link)
        out.append((link.sender, link.receiver, settings))
        if link.both_ways:
            out.append((link.receiver, link.sender, settings))
    return out


def traveller_total(scenario: Scenario) -> int:
    """Travellers in the run: the count plus every surge."""
    return scenario.travellers.count + sum(i.travellers for i in scenario.injects if isinstance(i, SurgeInject))


# ---------------------------------------------------------------- loading


def load_scenario(
    path: str | Path, overrides: Iterable[str] = (), label: str = "--set", allow_large: bool = False
) -> Scenario:
    """Read, override and validate a scenario file, within the limits of `sim.spec.limits`.

    Args:
        path: the YAML file.
        overrides: ``PATH=VALUE`` strings, as given to ``--set``.
        label: the option that gave `overrides` (``--set``, ``--set-a``): a problem at a field an
            override set names the override (``--set sharing.delay_scale=-1: ...``), not a line.
        allow_large: let the file and its run past the limits (``--allow-large``), with a
            `sim.spec.limits.LimitNote` saying what was let through.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: listing every problem found.
    """
    data, lines = read_yaml(path, allow_large)
    overrides = list(overrides)
    if not overrides:
        return scenario_from_dict(data, source=str(path), lines=lines, allow_large=allow_large)
    names = [f"{label} {text}" for text in overrides]
    data, set_by = traced_changes(data, parse_overrides(overrides, label, allow_large), label, names=names)
    try:
        return scenario_from_dict(data, source=str(path), lines=lines, allow_large=allow_large)
    except ScenarioError as exc:
        blamed = blame_changes(exc.problems, {done: names[number] for done, number in set_by.items()})
        raise ScenarioError(dedupe(blamed)) from None


def load_recorded_scenario(path: str | Path) -> Scenario:
    """The scenario a results folder records (``scenario.yaml``, ``a.yaml``): it ran already.

    So the limits on size (`sim.spec.limits`) do not apply to it again, and no note is given:
    a run let through by ``--allow-large`` can be reported on.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", limits.LimitNote)
        return load_scenario(path, allow_large=True)


def changed_scenario(
    base: Scenario | dict[str, Any],
    changes: Iterable[tuple[str, Any]],
    label: str = "vary",
    source: str | None = None,
    skip_empty_wildcards: bool = False,
    allow_large: bool | None = None,
) -> Scenario:
    """A copy of `base` with field paths changed, validated again: the one "apply, then revalidate".

    Args:
        base: a scenario, or a scenario's plain data.
        changes: ``(path, value)`` pairs (the paths of ``--set``).
        label: how a change that cannot be applied is named (``vary``, ``--set``).
        source: how validation problems name the input (default: the scenario's own).
        skip_empty_wildcards: see `sim.spec.field_paths.apply_changes`.
        allow_large: let the result past the limits of `sim.spec.limits` (with a note); None: as
            `base` was, without a new note.

    Raises:
        ScenarioError: a path that selects nothing, or a result that is not a valid scenario.
    """
    data = base.raw if isinstance(base, Scenario) else base
    if source is None:
        source = base.source if isinstance(base, Scenario) else "<scenario>"
    data = apply_changes(data, changes, label, skip_empty_wildcards)
    if allow_large is None:
        inherited = base.allow_large if isinstance(base, Scenario) else False
        return scenario_from_dict(data, source=source, allow_large=inherited, quiet=True)
    return scenario_from_dict(data, source=source, allow_large=allow_large)


def scenario_from_dict(
    data: Any,
    source: str = "<scenario>",
    lines: LineMap | None = None,
    allow_large: bool = False,
    quiet: bool = False,
) -> Scenario:
    """Validate plain data (as YAML would give) into a `Scenario`, within the limits of `sim.spec.limits`.

    The agencies and links are counted before the structure is checked, and the run is
    estimated (travellers with surges, events, memory) once it is: past a limit the scenario is
    refused before anything in proportion to it is made.

    Args:
        data: the mapping.
        source: how errors name the input.
        lines: field path -> line, when the data came from a file.
        allow_large: let it past the limits, with a `sim.spec.limits.LimitNote` each (``--allow-large``).
        quiet: with `allow_large`, no note (a copy of a scenario already let through).

    Raises:
        ScenarioError: listing every problem found.
    """
    lines = lines or LineMap()
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, lines.line(()), "", "a scenario must be a mapping of fields", data)])
    limits.enforce(limits.raw_excesses(data), source, lines.line, allow_large, quiet)
    problems = list(lines.problems)
    problems += structural_problems(Scenario, data, source, lines)
    problems += semantic_problems(data, source, lines)
    if problems:
        problems = dedupe(problems)
        problems.sort(key=lambda p: (p.line or 0, p.path))
        raise ScenarioError(problems)
    scenario = Scenario.model_validate(data)
    limits.enforce(limits.scenario_excesses(scenario, limits.scenario_work(scenario)), source, lines.line,
                   allow_large, quiet)  # fmt: skip
    problems = _unknown_traveller_ids(scenario, source, lines)
    if problems:
        raise ScenarioError(problems)
    scenario._raw = copy.deepcopy(data)
    scenario._source = source
    scenario._allow_large = allow_large
    return scenario


def _unknown_traveller_ids(scenario: Scenario, source: str, lines: LineMap) -> list[Problem]:
    """Intel injects that name travellers the run will not have (ids are exact: ``R-0042``)."""
    wanted = [
        (i, inject) for i, inject in enumerate(scenario.injects) if isinstance(inject, IntelInject) and inject.ids
    ]
    if not wanted:
        return []
    segments = _label_segments(scenario)
    problems = []
    for i, inject in wanted:
        for j, label in enumerate(inject.ids or []):
            if not _is_traveller_label(label, segments):
                path: PathKey = ("injects", i, "ids", j)
                problems.append(Problem(source, lines.line(path), format_path(path), "no traveller has this id", label))
    return problems


def _label_segments(scenario: Scenario) -> list[tuple[int, str]]:
    """The travellers of a run as runs of one group: (first index after the run, the group's initial)."""
    groups = scenario.travellers.groups
    segments, end = [], 0
    for group, count in zip(groups, apportion(scenario.travellers.count, [g.share for g in groups]), strict=True):
        end += count
        segments.append((end, traveller_label(0, group.name).rpartition("-")[0]))
    for inject in scenario.injects:
        if isinstance(inject, SurgeInject):
            end += inject.travellers
            segments.append((end, traveller_label(0, inject.group).rpartition("-")[0]))
    return segments


def _is_traveller_label(label: str, segments: list[tuple[int, str]]) -> bool:
    """Whether some traveller of the run has this id (as `traveller_labels` would list it, without listing them)."""
    initial, dash, digits = label.rpartition("-")
    if not dash or not digits.isascii() or not digits.isdigit():
        return False
    index = int(digits) - 1
    if index < 0 or traveller_label(index, initial) != label:
        return False
    start = bisect.bisect_right([end for end, _ in segments], index)
    return start < len(segments) and segments[start][1] == initial


# ---------------------------------------------------------------- travellers


def as_written(number: float) -> Fraction:
    """A share as the decimal written in the file, exactly: 0.29 is 29/100, not the binary 0.28999...

    A float read from YAML (or given to ``--set`` or the API) prints back as the shortest
    decimal that reads as it (``repr``), which is the decimal written whenever it has at most
    15 significant digits; counts multiplied by it are then exact, so its halves are halves.
    """
    return Fraction(repr(float(number)))


def apportion(total: int, shares: list[float]) -> list[int]:
    """Split `total` by `shares` into whole numbers (largest remainder; ties to the earlier group).

    Computed on the shares as written (`as_written`), in exact fractions: with ``count: 50``,
    shares 0.29 and 0.71 give 14.5 and 35.5, a tie, so 15 and 35. The shares are taken
    relative to their sum (validation lets it differ from 1 by 1e-6), so the counts always
    add up to `total`.
    """
    exact = [as_written(share) for share in shares]
    whole = sum(exact)
    raw = [total * share / whole if whole else Fraction(0) for share in exact]
    counts = [math.floor(x) for x in raw]
    left = total - sum(counts)
    order = sorted(range(len(shares)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[:left]:
        counts[i] += 1
    return counts


def covered_count(covers: float, eligible: int) -> int:
    """How many of `eligible` travellers a source covering `covers` of them learns about.

    ``covers * eligible`` on the decimal as written (`as_written`), rounded to the nearest
    whole number, halves up: ``covers: 0.29`` of 50 is 14.5, so 15.
    """
    return math.floor(as_written(covers) * eligible + Fraction(1, 2))


def traveller_labels(scenario: Scenario) -> list[str]:
    """The synthetic id of every traveller of a run, in index order (base groups, then surges)."""
    groups = scenario.travellers.groups
    names = []
    for group, count in zip(groups, apportion(scenario.travellers.count, [g.share for g in groups]), strict=True):
        names += [group.name] * count
    for inject in scenario.injects:
        if isinstance(inject, SurgeInject):
            names += [inject.group] * inject.travellers
    return [traveller_label(i, name) for i, name in enumerate(names)]


def traveller_label(index: int, group_name: str = "T") -> str:
    """The synthetic id of traveller `index`: the group's initial and a number."""
    return f"{group_name[:1].upper() or 'T'}-{index + 1:04d}"
