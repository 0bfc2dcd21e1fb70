"""The scenario: load, validate, and hold one exercise as a typed object.

A scenario file is read with a safe YAML loader (`sim.spec.yaml_files`), overrides are
applied by field path (`sim.spec.field_paths`), then two passes check it: the structure
(types, ranges, unknown fields) with pydantic, and the meaning (references,
sums, unique ids, fictional names) with plain code. Every problem is reported,
each with file, line, field path and value. The model only ever receives a
validated `Scenario`; it never reads YAML or paths.

All defaults live in this module, each with a comment saying why.
"""

from __future__ import annotations

import copy
import csv
import functools
import importlib.util
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
)

from sim.errors import Problem, ScenarioError
from sim.spec.checks import dedupe, did_you_mean
from sim.spec.distributions import DIST_PARAMETERS, Distribution
from sim.spec.field_paths import apply_changes, apply_overrides
from sim.spec.yaml_files import LineMap, PathKey, format_path, read_yaml

IDENTIFIERS: tuple[str, ...] = ("biometric", "document", "name")
"""Identifier types, from the one that matches best to the one that matches least."""

INJECT_KINDS = ("intel", "link_down", "link_up", "trust", "surge")

DEFAULT_SCREENING = {"biometric": 0.95, "document": 0.85, "name": 0.5}
"""Screening probabilities of a border agency that does not give its own: a
biometric check rarely fails, a name check often does."""

# ---------------------------------------------------------------- numbers


def _finite(value: Any, what: str) -> float:
    if isinstance(value, str):
        raise ValueError(f"{what} must be a number, not text (write it without quotes)")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number")
    return value


def parse_number(value: Any, nonnegative: bool = True) -> Distribution:
    """Read a plain number or a ``{dist: ..., ...}`` mapping into a `Distribution`.

    Args:
        value: what the YAML gave.
        nonnegative: the quantity is a duration: draws must not be negative
            (a `normal` is truncated at 0, other laws must not reach below 0).

    Returns:
        The distribution.

    Raises:
        ValueError: with a message a trainer can act on.
    """
    if isinstance(value, Distribution):
        return value
    if isinstance(value, str):
        raise ValueError("must be a number or a {dist: ...} mapping, not text (write numbers without quotes)")
    if not isinstance(value, dict):
        number = _finite(value, "a number or a {dist: ...} mapping")
        if nonnegative and number < 0:
            raise ValueError("must not be negative")
        return Distribution.fixed(number)
    kind = value.get("dist")
    if kind is None:
        raise ValueError("a distribution needs `dist:` (one of " + ", ".join(DIST_PARAMETERS) + ")")
    if kind not in DIST_PARAMETERS:
        hint = did_you_mean(str(kind), DIST_PARAMETERS)
        raise ValueError(f"unknown distribution {kind!r}{hint}")
    expected = DIST_PARAMETERS[kind]
    extra = [k for k in value if k != "dist" and k not in expected]
    if extra:
        raise ValueError(f"{kind} takes {', '.join(expected)}; unknown: {', '.join(map(str, extra))}")
    optional = {"weights"}
    missing = [k for k in expected if k not in value and k not in optional]
    if missing:
        raise ValueError(f"{kind} needs {', '.join(missing)}")
    params: dict[str, object] = {}
    if kind == "choice":
        values = value["values"]
        if not isinstance(values, list) or not values:
            raise ValueError("choice needs a non-empty list of values")
        params["values"] = [_finite(v, "each choice value") for v in values]
        weights = value.get("weights")
        if weights is not None:
            if not isinstance(weights, list) or len(weights) != len(values):
                raise ValueError("choice weights must be a list as long as values")
            ws = [_finite(w, "each weight") for w in weights]
            if any(w < 0 for w in ws) or sum(ws) <= 0:
                raise ValueError("choice weights must be >= 0 with a positive sum")
            params["weights"] = ws
        else:
            params["weights"] = None
        if nonnegative and min(params["values"]) < 0:  # type: ignore[arg-type]
            raise ValueError("choice values must not be negative")
    else:
        for name in expected:
            params[name] = _finite(value[name], name)
        _check_law(kind, params, nonnegative)
    return Distribution(kind, tuple(params.items()), nonnegative=nonnegative)


def _check_law(kind: str, p: dict[str, Any], nonnegative: bool) -> None:
    if kind == "exponential" and p["mean"] <= 0:
        raise ValueError("exponential needs mean > 0")
    if kind == "lognormal":
        if p["median"] <= 0:
            raise ValueError("lognormal needs median > 0")
        if p["sigma"] < 0:
            raise ValueError("lognormal needs sigma >= 0")
    if kind == "uniform":
        if p["low"] > p["high"]:
            raise ValueError("uniform needs low <= high")
        if nonnegative and p["low"] < 0:
            raise ValueError("uniform low must not be negative for a duration")
    if kind == "triangular":
        if not p["low"] <= p["mode"] <= p["high"]:
            raise ValueError("triangular needs low <= mode <= high")
        if nonnegative and p["low"] < 0:
            raise ValueError("triangular low must not be negative for a duration")
    if kind == "normal" and p["sd"] < 0:
        raise ValueError("normal needs sd >= 0")
    if kind == "fixed" and nonnegative and p["value"] < 0:
        raise ValueError("must not be negative")


def number_to_yaml(dist: Distribution) -> Any:
    """The YAML form of a distribution (inverse of `parse_number`)."""
    if dist.kind == "fixed":
        value = float(dist.get("value"))  # type: ignore[arg-type]
        return int(value) if value.is_integer() else value
    out: dict[str, Any] = {"dist": dist.kind}
    for name, value in dist.params:
        if value is not None:
            out[name] = value
    return out


_DIST_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number"},
        *[
            {
                "type": "object",
                "properties": {
                    "dist": {"const": kind},
                    **{
                        name: (
                            {"type": "array", "items": {"type": "number"}}
                            if name in ("values", "weights")
                            else {"type": "number"}
                        )
                        for name in names
                    },
                },
                "required": ["dist", *[n for n in names if n != "weights"]],
                "additionalProperties": False,
            }
            for kind, names in DIST_PARAMETERS.items()
            if kind != "fixed"
        ],
    ],
    "description": "A plain number, or a distribution {dist: ..., parameters}.",
}

Duration = Annotated[
    Distribution,
    PlainValidator(functools.partial(parse_number, nonnegative=True)),
    PlainSerializer(number_to_yaml),
    WithJsonSchema({**_DIST_SCHEMA, "description": "Hours or days, >= 0: " + _DIST_SCHEMA["description"]}),
]
"""A duration: a number >= 0 or a distribution whose draws are >= 0."""

SignedHours = Annotated[
    Distribution,
    PlainValidator(functools.partial(parse_number, nonnegative=False)),
    PlainSerializer(number_to_yaml),
    WithJsonSchema({**_DIST_SCHEMA, "description": "Hours, may be negative: " + _DIST_SCHEMA["description"]}),
]
"""Hours that may be negative (intelligence learned before departure)."""

PartySize = Annotated[
    Distribution,
    PlainValidator(functools.partial(parse_number, nonnegative=True)),
    PlainSerializer(number_to_yaml),
    WithJsonSchema(
        {**_DIST_SCHEMA, "description": "People, rounded to a whole number, at least 1: " + _DIST_SCHEMA["description"]}
    ),
]
"""A party size: a number or distribution whose draws are rounded (at least 1)."""


def parse_identifier(value: Any) -> dict[str, float]:
    """Read an identifier: one type, or a mapping of type to probability (sum 1)."""
    if isinstance(value, str):
        if value not in IDENTIFIERS:
            raise ValueError(
                f"unknown identifier type{did_you_mean(value, IDENTIFIERS)}; use one of {', '.join(IDENTIFIERS)}"
            )
        return {value: 1.0}
    if isinstance(value, dict):
        out: dict[str, float] = {}
        for key, prob in value.items():
            if key not in IDENTIFIERS:
                raise ValueError(f"unknown identifier type {key!r}{did_you_mean(str(key), IDENTIFIERS)}")
            p = _finite(prob, f"the probability of {key}")
            if not 0 <= p <= 1:
                raise ValueError(f"the probability of {key} must lie in [0, 1]")
            out[key] = p
        total = sum(out.values())
        if not out or abs(total - 1) > 1e-6:
            raise ValueError(f"identifier probabilities must sum to 1 (they sum to {total:g})")
        return {k: out.get(k, 0.0) for k in IDENTIFIERS if k in out}
    raise ValueError("an identifier is one of biometric, document, name, or a mapping of them")


def _identifier_to_yaml(value: dict[str, float]) -> Any:
    if len(value) == 1 and next(iter(value.values())) == 1.0:
        return next(iter(value))
    return dict(value)


Identifier = Annotated[
    dict[str, float],
    PlainValidator(parse_identifier),
    PlainSerializer(_identifier_to_yaml),
    WithJsonSchema(
        {
            "anyOf": [
                {"enum": list(IDENTIFIERS)},
                {
                    "type": "object",
                    "properties": {k: {"type": "number", "minimum": 0, "maximum": 1} for k in IDENTIFIERS},
                    "additionalProperties": False,
                },
            ],
            "description": "biometric, document or name; or a mapping of them to probabilities summing to 1.",
        }
    ),
]

Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Id = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


class _Strict(BaseModel):
    # strict: no silent coercion of "0.5" (text) to a number or `true` to 1.0.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)


# ---------------------------------------------------------------- the format


class Country(_Strict):
    """A fictional country."""

    id: Id = Field(description="Short unique code, used in routes and agency records.")
    name: str = Field(min_length=1, description="Display name; must not be a real country's name.")
    role: Literal["conflict", "transit", "home"] = Field(description="Descriptive only: routes decide who goes where.")


class Screening(_Strict):
    """Chance that a border check finds a watchlisted traveller, by identifier type."""

    biometric: Probability = DEFAULT_SCREENING["biometric"]
    document: Probability = DEFAULT_SCREENING["document"]
    name: Probability = DEFAULT_SCREENING["name"]

    def probability(self, identifier: str) -> float:
        """The screening probability for one identifier type."""
        return float(getattr(self, identifier))


class Agency(_Strict):
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


class LinkSettings(_Strict):
    """Settings of a link; in `sharing.defaults` they apply to every link."""

    delay_hours: Duration | None = Field(default=None, description="Delivery delay of one message.")
    trust: Probability | None = Field(default=None, description="Chance the receiver accepts an alert.")
    reliability: Probability | None = Field(default=None, description="Chance a message is not lost.")
    verify_hours: Duration | None = Field(
        default=None,
        description="Time to verify an alert that was not trusted; null: it is discarded.",
    )
    when_down: Literal["hold", "drop"] | None = Field(
        default=None,
        description="What a down link does with new messages: hold them until it is up (default) or drop them.",
    )


class LinkDefaults(LinkSettings):
    """Defaults for every link (the library defaults fill what is missing)."""

    delay_hours: Duration | None = Field(default_factory=lambda: Distribution.fixed(24.0))
    trust: Probability | None = 0.8  # most alerts between partners are acted on
    reliability: Probability | None = 1.0  # messages are not lost unless said
    when_down: Literal["hold", "drop"] | None = "hold"  # model.md: held until the link is up


class Link(LinkSettings):
    """A directed channel from one agency to another (or both ways)."""

    sender: str = Field(alias="from", description="Id of the sending agency.")
    receiver: str = Field(alias="to", description="Id of the receiving agency.")
    both_ways: bool = Field(default=False, description="Also the reverse link, with the same settings.")
    note: str | None = None


class Sharing(_Strict):
    """How agencies share alerts."""

    delay_scale: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = Field(
        default=1.0,
        description="Multiplies every link delay: the one knob for the speed of sharing.",
    )
    defaults: LinkDefaults = Field(default_factory=LinkDefaults)
    links: list[Link] = Field(default_factory=list)


class Documents(_Strict):
    """Shares of travellers on genuine and on fraudulent documents."""

    genuine: Probability | None = None
    fraudulent: Probability | None = None

    @property
    def fraudulent_share(self) -> float:
        """The share on fraudulent documents."""
        if self.fraudulent is not None:
            return self.fraudulent
        return 1.0 - self.genuine if self.genuine is not None else 0.0


class Group(_Strict):
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


class Travellers(_Strict):
    """The persons of interest."""

    count: Annotated[int, Field(ge=0, le=10_000_000)]
    groups: list[Group] = Field(min_length=1)


class Intelligence(_Strict):
    """An intelligence source: which agency learns about whom, when, with which identifier."""

    agency: str
    covers: Probability = Field(description="Fraction of eligible travellers it learns about.")
    groups: list[str] | None = Field(default=None, description="Eligible groups (default: all).")
    learn_hours: SignedHours = Field(default_factory=lambda: Distribution.fixed(0.0))
    relative_to: Literal["departure", "start"] = "departure"
    identifier: Identifier = Field(default_factory=lambda: {"name": 1.0})


class _Inject(_Strict):
    day: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = Field(
        description="When, in days from the start (fractions allowed)."
    )
    note: str | None = None
    subject: str | None = None
    expected_action: str | None = None
    objective: str | None = None

    @property
    def at_hours(self) -> float:
        """The inject's time in hours."""
        return self.day * 24.0


class IntelInject(_Inject):
    """Fresh intelligence for one agency."""

    kind: Literal["intel"]
    agency: str
    travellers: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="How many travellers still en route, chosen at random."
    )
    ids: list[str] | None = Field(default=None, description="Or: exactly these travellers.")
    identifier: Identifier = Field(default_factory=lambda: {"biometric": 1.0})


class LinkDownInject(_Inject):
    """A link (or both directions) goes down."""

    kind: Literal["link_down"]
    link: str = Field(description="`A -> B` or `A <-> B`.")
    hours: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] | None = Field(
        default=None, description="Back up after this many hours (default: until a link_up)."
    )


class LinkUpInject(_Inject):
    """A link comes back up."""

    kind: Literal["link_up"]
    link: str


class TrustInject(_Inject):
    """The trust on a link changes."""

    kind: Literal["trust"]
    link: str
    trust: Probability


class SurgeInject(_Inject):
    """Extra travellers of a group depart at the inject's time."""

    kind: Literal["surge"]
    group: str
    travellers: Annotated[int, Field(ge=1, le=10_000_000)]


Inject = Annotated[
    IntelInject | LinkDownInject | LinkUpInject | TrustInject | SurgeInject,
    Field(discriminator="kind"),
]


class Scenario(_Strict):
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
    injects: list[Inject] = Field(default_factory=list)

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    _source: str = PrivateAttr(default="<scenario>")

    @property
    def raw(self) -> dict[str, Any]:
        """The data as given (overrides applied): what `scenario.yaml` records."""
        return copy.deepcopy(self._raw)

    @property
    def source(self) -> str:
        """Where the scenario came from (a path or a label)."""
        return self._source

    @property
    def horizon_hours(self) -> float:
        """The horizon in hours."""
        return self.horizon_days * 24.0

    def with_seed(self, seed: int) -> Scenario:
        """A copy with `seed` set (in the object and in its raw data)."""
        raw = self.raw
        raw["seed"] = int(seed)
        return scenario_from_dict(raw, source=self._source)


def link_settings(scenario: Scenario, link: Link) -> dict[str, Any]:
    """The effective settings of a link: its own, else the scenario defaults."""
    defaults = scenario.sharing.defaults
    out = {}
    library = LinkDefaults()
    for field in ("delay_hours", "trust", "reliability", "verify_hours", "when_down"):
        own = getattr(link, field)
        if field == "verify_hours" and field in link.model_fields_set:
            out[field] = own  # an explicit null means: discard alerts that are not trusted
        elif own is not None:
            out[field] = own
        else:
            out[field] = getattr(defaults, field)
            if out[field] is None and field != "verify_hours":
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


def parse_link_ref(text: str) -> tuple[str, str, bool] | None:
    """Parse ``A -> B`` (one direction) or ``A <-> B`` (both); None if malformed."""
    both = "<->" in text
    parts = text.split("<->") if both else text.split("->")
    if len(parts) != 2:
        return None
    a, b = (p.strip() for p in parts)
    if not a or not b:
        return None
    return a, b, both


def inject_agency(inject: Any) -> str:
    """The agency an inject falls to.

    The one that learns (intel), the sender of a link that goes down or up, the
    receiver whose trust changes; "" for a surge (it falls to every border).
    """
    if isinstance(inject, IntelInject):
        return inject.agency
    if isinstance(inject, LinkDownInject | LinkUpInject | TrustInject):
        ref = parse_link_ref(inject.link)
        if ref:
            return ref[1] if isinstance(inject, TrustInject) else ref[0]
    return ""


def traveller_total(scenario: Scenario) -> int:
    """Travellers in the run: the count plus every surge."""
    return scenario.travellers.count + sum(i.travellers for i in scenario.injects if isinstance(i, SurgeInject))


# ---------------------------------------------------------------- loading


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Read, override and validate a scenario file.

    Args:
        path: the YAML file.
        overrides: ``PATH=VALUE`` strings, as given to ``--set``.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: listing every problem found.
    """
    data, lines = read_yaml(path)
    data = apply_overrides(data, list(overrides), str(path), lines)
    return scenario_from_dict(data, source=str(path), lines=lines)


def changed_scenario(
    base: Scenario | dict[str, Any],
    changes: Iterable[tuple[str, Any]],
    label: str = "vary",
    source: str | None = None,
    skip_empty_wildcards: bool = False,
) -> Scenario:
    """A copy of `base` with field paths changed, validated again: the one "apply, then revalidate".

    Args:
        base: a scenario, or a scenario's plain data.
        changes: ``(path, value)`` pairs (the paths of ``--set``).
        label: how a change that cannot be applied is named (``vary``, ``--set``).
        source: how validation problems name the input (default: the scenario's own).
        skip_empty_wildcards: see `sim.spec.field_paths.apply_changes`.

    Raises:
        ScenarioError: a path that selects nothing, or a result that is not a valid scenario.
    """
    data = base.raw if isinstance(base, Scenario) else base
    if source is None:
        source = base.source if isinstance(base, Scenario) else "<scenario>"
    data = apply_changes(data, changes, label, skip_empty_wildcards)
    return scenario_from_dict(data, source=source)


def scenario_from_dict(data: Any, source: str = "<scenario>", lines: LineMap | None = None) -> Scenario:
    """Validate plain data (as YAML would give) into a `Scenario`.

    Args:
        data: the mapping.
        source: how errors name the input.
        lines: field path -> line, when the data came from a file.

    Raises:
        ScenarioError: listing every problem found.
    """
    lines = lines or LineMap()
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, lines.line(()), "", "a scenario must be a mapping of fields", data)])
    problems = list(lines.problems)
    problems += structural_problems(Scenario, data, source, lines)
    problems += semantic_problems(data, source, lines)
    if problems:
        problems = dedupe(problems)
        problems.sort(key=lambda p: (p.line or 0, p.path))
        raise ScenarioError(problems)
    scenario = Scenario.model_validate(data)
    problems = _unknown_traveller_ids(scenario, source, lines)
    if problems:
        raise ScenarioError(problems)
    scenario._raw = copy.deepcopy(data)
    scenario._source = source
    return scenario


def _unknown_traveller_ids(scenario: Scenario, source: str, lines: LineMap) -> list[Problem]:
    """Intel injects that name travellers the run will not have (ids are exact: ``R-0042``)."""
    wanted = [
        (i, inject) for i, inject in enumerate(scenario.injects) if isinstance(inject, IntelInject) and inject.ids
    ]
    if not wanted:
        return []
    labels = set(traveller_labels(scenario))
    problems = []
    for i, inject in wanted:
        for j, label in enumerate(inject.ids or []):
            if label not in labels:
                path: PathKey = ("injects", i, "ids", j)
                problems.append(Problem(source, lines.line(path), format_path(path), "no traveller has this id", label))
    return problems



def structural_problems(model: type[BaseModel], data: Any, source: str, lines: LineMap) -> list[Problem]:
    """Type, range and unknown-field problems, as pydantic finds them, in our words."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [_problem_from_pydantic(err, data, source, lines, model) for err in exc.errors()]
    return []


def _problem_from_pydantic(err: Any, data: Any, source: str, lines: LineMap, model: type[BaseModel]) -> Problem:
    loc = list(err["loc"])
    # A discriminated union puts the tag in the path: injects[0].link_down.hours.
    clean: list[str | int] = []
    for i, part in enumerate(loc):
        if i > 0 and isinstance(loc[i - 1], int) and loc[i - 2 : i - 1] == ["injects"] and part in INJECT_KINDS:
            continue
        clean.append(part)
    # Types in a union (int | None) add their own names: drop the non-field parts.
    clean = [
        p
        for p in clean
        if not (
            isinstance(p, str)
            and p
            in (
                "int",
                "float",
                "str",
                "list[str]",
                "function-plain[parse_number()]",
                "constrained-int",
                "constrained-float",
                "bool",
            )
        )
    ]
    path: PathKey = tuple(clean)
    kind = err["type"]
    message = err["msg"]
    value: Any = err.get("input")
    if kind == "extra_forbidden":
        parent = _get(data, path[:-1])
        allowed = _allowed_fields(model, path[:-1], parent)
        hint = did_you_mean(str(path[-1]), allowed)
        message = f"unknown field{hint}" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
        return Problem(source, lines.line(path), format_path(path), message)
    if kind == "missing":
        return Problem(source, lines.line(path), format_path(path), "required field is missing")
    if kind == "union_tag_invalid":
        message = f"unknown inject kind{did_you_mean(str(value), INJECT_KINDS)}; use one of {', '.join(INJECT_KINDS)}"
        value = _get(data, (*path, "kind"))
        return Problem(source, lines.line((*path, "kind")), format_path((*path, "kind")), message, value)
    if kind == "union_tag_not_found":
        return Problem(
            source,
            lines.line(path),
            format_path((*path, "kind")),
            "required field is missing (one of " + ", ".join(INJECT_KINDS) + ")",
        )
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if kind == "string_pattern_mismatch":
        message = "an id uses letters, digits, '-', '_' and '.', and starts with a letter or digit"
    if kind == "literal_error":
        message = message.replace("Input should be", "must be")
    message = message.replace("Input should be", "should be")
    if kind == "too_short":
        need = err.get("ctx", {}).get("min_length")
        message = f"needs at least {need} item{'s' if need != 1 else ''}"
    elif kind == "too_long":
        message = f"has more than {err.get('ctx', {}).get('max_length')} items"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = "should be a mapping of fields"
    return Problem(source, lines.line(path), format_path(path), message, value)


def _allowed_fields(model: type[BaseModel], path: PathKey, parent: Any) -> list[str]:
    """Field names allowed at `path` (for the hint on an unknown field)."""
    if len(path) == 2 and path[0] == "injects" and isinstance(parent, dict):
        inject_model = _INJECT_MODELS.get(parent.get("kind"))  # type: ignore[arg-type]
        if inject_model is not None:
            return [f.alias or name for name, f in inject_model.model_fields.items()]
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if current is None or not hasattr(current, "model_fields"):
            return []
        field = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return []
        current = _model_of(field.annotation, parent if part == path[-1] else None)
    if current is None or not hasattr(current, "model_fields"):
        if isinstance(parent, dict) and parent.get("kind") in _INJECT_MODELS:
            current = _INJECT_MODELS[parent["kind"]]
        else:
            return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _model_of(annotation: Any, value: Any) -> Any:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg, value)
        if found is not None:
            return found
    return None


_INJECT_MODELS: dict[str, type[BaseModel]] = {
    "intel": IntelInject,
    "link_down": LinkDownInject,
    "link_up": LinkUpInject,
    "trust": TrustInject,
    "surge": SurgeInject,
}


def _get(data: Any, path: PathKey) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data



# ---------------------------------------------------------------- meaning


@functools.cache
def _country_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The name patterns of country_converter, read from its data file without importing it.

    They cover short and official names and the usual variants ("UK", "Burma").
    """
    spec = importlib.util.find_spec("country_converter")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a declared dependency
        return ()
    path = Path(next(iter(spec.submodule_search_locations))) / "country_data.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return tuple((row["name_short"], re.compile(row["regex"], re.IGNORECASE)) for row in rows if row.get("regex"))


def real_country(name: str) -> str | None:
    """The real country that `name` names, or None.

    Two well-kept lists: ISO 3166 names (pycountry: current and historic, short,
    official and common names) and country_converter's patterns, which also know
    the usual variants ("Russia", "UK", "Burma", "Ivory Coast"). A pattern counts
    only as a whole word, so "Chadwick" or "Omania" stay fictional.
    """
    folded = _fold(name)
    if folded in real_country_names():
        return name
    for country, pattern in _country_patterns():
        match = pattern.search(name)
        if match is None:
            continue
        start, end = match.span()
        if start == end:  # a pattern made of look-aheads: it matched the name as a whole
            return country
        if (end == len(name) or not name[end].isalnum()) and (start == 0 or not name[start - 1].isalnum()):
            return country
    return None


@functools.cache
def real_country_names() -> frozenset[str]:
    """Names of real countries, from pycountry (ISO 3166), lower-cased."""
    import pycountry

    names: set[str] = set()
    for country in [*pycountry.countries, *pycountry.historic_countries]:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                names.add(_fold(value))
    return frozenset(names)


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def semantic_problems(data: dict[str, Any], source: str, lines: LineMap) -> list[Problem]:
    """Problems of meaning: references, sums, unique ids, fictional names.

    Works on the raw data and skips what has the wrong shape (the structural
    pass reports that), so both passes report together.
    """
    problems: list[Problem] = []

    def add(path: PathKey, message: str, value: Any = None, show: bool = True) -> None:
        if show:
            problems.append(Problem(source, lines.line(path), format_path(path), message, value))
        else:
            problems.append(Problem(source, lines.line(path), format_path(path), message))

    def items(key: str, container: Any = data) -> list[tuple[int, dict[str, Any]]]:
        seq = container.get(key) if isinstance(container, dict) else None
        if not isinstance(seq, list):
            return []
        return [(i, x) for i, x in enumerate(seq) if isinstance(x, dict)]

    def unique(key: str, seq: list[tuple[int, dict[str, Any]]], field: str, prefix: PathKey) -> set[str]:
        seen: dict[str, int] = {}
        for i, item in seq:
            value = item.get(field)
            if not isinstance(value, str):
                continue
            if value in seen:
                add(
                    (*prefix, i, field),
                    f"duplicate {key} (also {format_path((*prefix, seen[value]))})",
                    value,
                )
            else:
                seen[value] = i
        return set(seen)

    countries = items("countries")
    country_ids = unique("id", countries, "id", ("countries",))
    for i, c in countries:
        name = c.get("name")
        real = real_country(name) if isinstance(name, str) else None
        if real is not None:
            add(
                ("countries", i, "name"),
                "is a real country"
                + (f" ({real})" if _fold(real) != _fold(name) else "")
                + "; use a fictional name (synthetic actors only)",
                name,
            )

    agencies = items("agencies")
    agency_ids = unique("id", agencies, "id", ("agencies",))
    for i, a in agencies:
        country = a.get("country")
        if isinstance(country, str) and country not in country_ids:
            add(
                ("agencies", i, "country"),
                f"no such country{did_you_mean(country, country_ids)}",
                country,
            )
        if a.get("screening") is not None and a.get("kind") != "border":
            add(
                ("agencies", i, "screening"),
                "only border agencies screen (kind: border)",
                show=False,
            )

    sharing = data.get("sharing") if isinstance(data.get("sharing"), dict) else {}
    links = items("links", sharing)
    directed: dict[tuple[str, str], int] = {}
    for i, link in links:
        ends = []
        for end in ("from", "to"):
            value = link.get(end)
            if isinstance(value, str):
                if value not in agency_ids:
                    add(
                        ("sharing", "links", i, end),
                        f"no such agency{did_you_mean(value, agency_ids)}",
                        value,
                    )
                ends.append(value)
        if len(ends) == 2:
            a, b = ends
            if a == b:
                add(
                    ("sharing", "links", i),
                    "a link must join two different agencies",
                    f"{a} -> {b}",
                )
                continue
            pairs = [(a, b), (b, a)] if link.get("both_ways") is True else [(a, b)]
            for pair in pairs:
                if pair in directed:
                    add(
                        ("sharing", "links", i),
                        f"link {pair[0]} -> {pair[1]} is given twice (also sharing.links[{directed[pair]}])",
                        show=False,
                    )
                else:
                    directed[pair] = i

    travellers = data.get("travellers") if isinstance(data.get("travellers"), dict) else {}
    groups = items("groups", travellers)
    group_names = unique("group name", groups, "name", ("travellers", "groups"))
    shares = [g.get("share") for _, g in groups]
    if groups and all(isinstance(s, int | float) and not isinstance(s, bool) for s in shares):
        total = float(sum(shares))  # type: ignore[arg-type]
        if abs(total - 1.0) > 1e-6:
            add(
                ("travellers", "groups"),
                f"group shares must sum to 1 (they sum to {total:g})",
                show=False,
            )
    for i, g in groups:
        route = g.get("route")
        if isinstance(route, list):
            for j, cid in enumerate(route):
                if isinstance(cid, str) and cid not in country_ids:
                    add(
                        ("travellers", "groups", i, "route", j),
                        f"no such country{did_you_mean(cid, country_ids)}",
                        cid,
                    )
                if j > 0 and cid == route[j - 1]:
                    add(
                        ("travellers", "groups", i, "route", j),
                        "a route cannot cross into the country it is in",
                        cid,
                    )
        docs = g.get("documents")
        if isinstance(docs, dict):
            vals = [docs.get(k) for k in ("genuine", "fraudulent")]
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
                if abs(sum(vals) - 1.0) > 1e-6:  # type: ignore[arg-type]
                    add(
                        ("travellers", "groups", i, "documents"),
                        f"genuine and fraudulent must sum to 1 (they sum to {sum(vals):g})",
                        show=False,
                    )  # type: ignore[arg-type]

    for i, intel in items("intelligence"):
        agency = intel.get("agency")
        if isinstance(agency, str) and agency not in agency_ids:
            add(
                ("intelligence", i, "agency"),
                f"no such agency{did_you_mean(agency, agency_ids)}",
                agency,
            )
        gs = intel.get("groups")
        if isinstance(gs, list):
            for j, name in enumerate(gs):
                if isinstance(name, str) and name not in group_names:
                    add(
                        ("intelligence", i, "groups", j),
                        f"no such group{did_you_mean(name, group_names)}",
                        name,
                    )

    horizon = data.get("horizon_days", 90.0)
    for i, inj in items("injects"):
        day = inj.get("day")
        if isinstance(day, int | float) and isinstance(horizon, int | float) and day > horizon:
            add(("injects", i, "day"), f"is after the horizon ({horizon:g} days)", day)
        kind = inj.get("kind")
        if kind in ("link_down", "link_up", "trust") and isinstance(inj.get("link"), str):
            ref = parse_link_ref(inj["link"])
            if ref is None:
                add(
                    ("injects", i, "link"),
                    "write a link as `A -> B` (one direction) or `A <-> B` (both)",
                    inj["link"],
                )
            else:
                a, b, both = ref
                for pair in [(a, b), (b, a)] if both else [(a, b)]:
                    if pair not in directed and a in agency_ids and b in agency_ids:
                        add(
                            ("injects", i, "link"),
                            f"no link {pair[0]} -> {pair[1]} in sharing.links",
                            inj["link"],
                        )
                for end in (a, b):
                    if end not in agency_ids:
                        add(
                            ("injects", i, "link"),
                            f"no such agency {end!r}{did_you_mean(end, agency_ids)}",
                            inj["link"],
                        )
        if kind == "intel":
            agency = inj.get("agency")
            if isinstance(agency, str) and agency not in agency_ids:
                add(
                    ("injects", i, "agency"),
                    f"no such agency{did_you_mean(agency, agency_ids)}",
                    agency,
                )
            has_n, has_ids = inj.get("travellers") is not None, inj.get("ids") is not None
            if has_n == has_ids:
                add(
                    ("injects", i),
                    "an intel inject gives either `travellers` (how many) or `ids` (which)",
                    show=False,
                )
        if kind == "surge":
            group = inj.get("group")
            if isinstance(group, str) and group not in group_names:
                add(
                    ("injects", i, "group"),
                    f"no such group{did_you_mean(group, group_names)}",
                    group,
                )
    return problems


def apportion(total: int, shares: list[float]) -> list[int]:
    """Split `total` by `shares` into whole numbers (largest remainder; ties to the earlier group)."""
    raw = [total * share for share in shares]
    counts = [math.floor(x) for x in raw]
    left = total - sum(counts)
    order = sorted(range(len(shares)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[:left]:
        counts[i] += 1
    return counts


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
