"""The value types of the input files: numbers and distributions, identifiers, ids, probabilities.

Each type reads what YAML gives (``parse_number``, ``parse_identifier``), writes it back
(``number_to_yaml``) and describes itself in the JSON Schema. `Strict` is the base of every
model of the scenario format: unknown fields are refused and nothing is coerced silently.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema

from sim.spec.checks import did_you_mean
from sim.spec.distributions import DIST_PARAMETERS, DRAW_LIMIT, NORMAL_TRUNCATION_LIMIT, Distribution

IDENTIFIERS: tuple[str, ...] = ("biometric", "document", "name")
"""Identifier types, from the one that matches best to the one that matches least."""

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
        _within_limit(number, "the number")
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
    if kind == "choice":
        params = _choice_parameters(value, nonnegative)
    else:
        params = {name: _finite(value[name], name) for name in expected}
        _check_law(kind, params, nonnegative)
    return Distribution(kind, tuple(params.items()), nonnegative=nonnegative)


def _choice_parameters(value: dict[str, Any], nonnegative: bool) -> dict[str, Any]:
    values = value["values"]
    if not isinstance(values, list) or not values:
        raise ValueError("choice needs a non-empty list of values")
    params: dict[str, Any] = {"values": [_finite(v, "each choice value") for v in values]}
    for v in params["values"]:
        _within_limit(v, "each choice value")
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
    if nonnegative and min(params["values"]) < 0:
        raise ValueError("choice values must not be negative")
    return params


def _within_limit(number: float, what: str) -> None:
    """Refuse a number whose draws could not stay finite (`DRAW_LIMIT`: hours, days or people)."""
    if abs(number) > DRAW_LIMIT:
        raise ValueError(f"{what} must be at most {DRAW_LIMIT:.0e} in size".replace("e+0", "e"))


def _check_law(kind: str, p: dict[str, Any], nonnegative: bool) -> None:
    for name, number in p.items():
        _within_limit(number, f"{kind} {name}")
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
    if kind == "normal" and nonnegative and p["mean"] < -NORMAL_TRUNCATION_LIMIT * p["sd"]:
        raise ValueError(
            f"a normal duration needs mean >= -{NORMAL_TRUNCATION_LIMIT:g} sd: truncated at 0, "
            "it would have no draws left (a duration is never negative)"
        )
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

# ---------------------------------------------------------------- trust

DEFAULT_TRUST_STRENGTH = 10.0
"""Strength of an adaptive link's prior when the scenario gives none: the prior counts as
ten outcomes, so the first wrong alert moves trust by about a tenth of the way to 0."""


@dataclasses.dataclass(frozen=True, slots=True)
class AdaptiveTrust:
    """Trust that learns from its track record: ``(prior * strength + c) / (strength + c + r)``.

    Attributes:
        prior: the trust before any outcome (a probability).
        strength: how many outcomes the prior is worth (> 0).
    """

    prior: float
    strength: float = DEFAULT_TRUST_STRENGTH


def parse_trust(value: Any) -> float | AdaptiveTrust:
    """Read a link's trust: a probability (fixed), or ``{adaptive: true, prior, strength}``."""
    if isinstance(value, AdaptiveTrust):
        return value
    if isinstance(value, dict):
        allowed = ("adaptive", "prior", "strength")
        extra = [str(k) for k in value if k not in allowed]
        if extra:
            hint = did_you_mean(extra[0], allowed)
            raise ValueError(f"adaptive trust takes adaptive, prior, strength; unknown: {', '.join(extra)}{hint}")
        if value.get("adaptive") is not True:
            raise ValueError("a mapping here needs `adaptive: true` (for fixed trust write a number)")
        if "prior" not in value:
            raise ValueError("adaptive trust needs prior (the trust before any outcome, 0 to 1)")
        prior = _finite(value["prior"], "prior")
        if not 0 <= prior <= 1:
            raise ValueError("adaptive trust's prior must lie in [0, 1]")
        strength = _finite(value.get("strength", DEFAULT_TRUST_STRENGTH), "strength")
        if strength <= 0:
            raise ValueError("adaptive trust's strength must be > 0 (how many outcomes the prior is worth)")
        return AdaptiveTrust(prior=prior, strength=strength)
    number = _finite(value, "trust (a number from 0 to 1, or {adaptive: true, prior, strength})")
    if number < 0:  # pydantic's words for a probability out of range, as before trust could be adaptive
        raise ValueError("should be greater than or equal to 0")
    if number > 1:
        raise ValueError("should be less than or equal to 1")
    return number


def _trust_to_yaml(value: float | AdaptiveTrust) -> Any:
    if isinstance(value, AdaptiveTrust):
        return {"adaptive": True, "prior": value.prior, "strength": value.strength}
    return value


Trust = Annotated[
    float | AdaptiveTrust,
    PlainValidator(parse_trust),
    PlainSerializer(_trust_to_yaml),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1},
                {
                    "type": "object",
                    "properties": {
                        "adaptive": {"const": True},
                        "prior": {"type": "number", "minimum": 0, "maximum": 1},
                        "strength": {"type": "number", "exclusiveMinimum": 0},
                    },
                    "required": ["adaptive", "prior"],
                    "additionalProperties": False,
                },
            ],
            "description": "A probability (fixed trust), or {adaptive: true, prior, strength}: trust learnt "
            "from the link's track record, (prior * strength + confirmed) / (strength + confirmed + refuted).",
        }
    ),
]
"""A link's trust: fixed (a probability) or adaptive (`AdaptiveTrust`)."""
Id = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


class Strict(BaseModel):
    """The base of every model of the format: unknown fields are refused, nothing is coerced."""

    # strict: no silent coercion of "0.5" (text) to a number or `true` to 1.0.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)
