"""The outputs of a run: the flattened keys of its summary, known without running the model.

A run's summary (``summary.json``) nests some groups (``misses``, ``alerts``, the
detection counts); a sweep or a batch names an output by its flattened key
(``misses.late``). `SUMMARY_OUTPUTS` lists them in summary order; the engine's
summary must match it (a test runs the model and compares).
"""

from __future__ import annotations

from typing import Any

from sim.spec.checks import did_you_mean
from sim.spec.field_types import IDENTIFIERS, AdaptiveTrust
from sim.spec.scenario import Scenario, expand_links

MISS_CAUSES: tuple[str, ...] = ("no_intel", "not_shared", "late", "not_trusted", "screening_miss")
"""The keys of the summary's ``misses`` group (the engine's miss causes, in order) in every run."""

COST_MISS_CAUSE = "expired"
"""The miss cause a run reports only when its scenario models the cost of sharing (before ``screening_miss``)."""

WRONGFUL_KINDS: tuple[str, ...] = ("ordinary", "innocent_subject", "pnr")
"""The keys of ``wrongful_stops.by_kind`` (`sim.engine.wrongful.WRONGFUL_STOP_KINDS`)."""

WRONGFUL_IDENTIFIERS: tuple[str, ...] = (*IDENTIFIERS, "pnr")
"""The keys of ``wrongful_stops.by_identifier`` (`sim.engine.wrongful.WRONGFUL_STOP_IDENTIFIERS`)."""

ALERT_COUNTS: tuple[str, ...] = (
    "sent", "delivered", "lost", "discarded", "verified", "accepted", "verifying", "in_transit", "held",
    "dropped", "messages",
)  # fmt: skip
"""The keys of the summary's ``alerts`` group."""

SUMMARY_OUTPUTS: tuple[str, ...] = (
    "scenario", "seed", "horizon_days", "travellers", "crossed", "detected", "missed", "en_route", "arrived",
    "detection_rate", *(f"misses.{cause}" for cause in MISS_CAUSES), "late_share", "median_hours_to_detection",
    "median_hours_late", *(f"alerts.{count}" for count in ALERT_COUNTS), "companions_stopped",
    "companions_not_stopped", "injects", "version",
)  # fmt: skip
"""Every flattened summary key a run reports whatever its scenario, in summary order."""

COST_OUTPUTS: tuple[str, ...] = (
    "alerts.refuted", "misses.expired", "ordinary_crossings.total", "wrongful_stops.total",
    "wrongful_stops.by_kind.ordinary",
    "wrongful_stops.by_kind.innocent_subject", "wrongful_stops.by_kind.pnr", "stop_precision",
    "innocent_subjects.total", "innocent_subjects.wrongly_stopped", "innocent_subjects.passed",
)  # fmt: skip
"""The fixed keys a run reports only when its scenario models the cost of sharing
(`sim.spec.scenario.Scenario.costs_modelled`); per agency, identifier and adaptive link:
`output_names`."""

COST_GROUPS: tuple[str, ...] = ("wrongful_stops", "innocent_subjects", "trust_final", "ordinary_crossings")
"""Summary groups of the cost of sharing (their keys are outputs only when it is modelled)."""

NOT_MODELLED = (
    "is reported only when the scenario models the cost of sharing (a source's precision, a link's "
    "verify_catches, adaptive trust or carries; the population, an agency's false_match, retention_days "
    "or pnr_rules); give one in the scenario (precision: 1.0 on a source changes no draw)"
)
"""Why a cost output cannot be a sweep's output on a scenario that does not model the cost of sharing."""

DETECTION_GROUPS: tuple[str, ...] = ("detections_by_country", "detections_by_agency", "detections_by_identifier")
"""Summary groups keyed by the scenario's countries, screening agencies and identifier types."""

TEXT_OUTPUTS = frozenset({"scenario", "version"})
"""Summary keys that are text, not numbers: they cannot be averaged."""


def flatten_summary(summary: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A run summary with nested groups flattened: ``{"misses": {"late": 3}}`` -> ``{"misses.late": 3}``."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, dict):
            out.update(flatten_summary(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def output_names(scenario: Scenario) -> list[str]:
    """Every summary key a run of `scenario` can report (flattened), in summary order.

    The fixed keys, then the per-country, per-agency and per-identifier detection counts; for a
    scenario that models the cost of sharing, ``misses.expired`` and the cost keys too.
    """
    names = list(SUMMARY_OUTPUTS)
    names += [f"detections_by_country.{country.id}" for country in scenario.countries]
    names += [f"detections_by_agency.{agency.id}" for agency in scenario.agencies if agency.screens]
    names += [f"detections_by_identifier.{identifier}" for identifier in IDENTIFIERS]
    if any(agency.pnr_rules is not None for agency in scenario.agencies):
        names.append("detections_by_identifier.pnr")
    if scenario.costs_modelled:
        names += cost_output_names(scenario)
    return names


def cost_output_names(scenario: Scenario) -> list[str]:
    """The summary keys of the cost of sharing (flattened), for a scenario that models it."""
    screening = [agency.id for agency in scenario.agencies if agency.screens]
    border_countries = sorted({agency.country for agency in scenario.agencies if agency.screens})
    return [
        f"misses.{COST_MISS_CAUSE}",
        "alerts.refuted",
        "wrongful_stops.total",
        *(f"wrongful_stops.by_kind.{kind}" for kind in WRONGFUL_KINDS),
        *(f"wrongful_stops.by_agency.{agency}" for agency in sorted(screening)),
        *(f"wrongful_stops.by_identifier.{identifier}" for identifier in WRONGFUL_IDENTIFIERS),
        "stop_precision",
        "innocent_subjects.total",
        "innocent_subjects.wrongly_stopped",
        "innocent_subjects.passed",
        *(f"trust_final.{key}" for key in adaptive_links(scenario)),
        "ordinary_crossings.total",
        *(f"ordinary_crossings.by_country.{country}" for country in border_countries),
    ]


def adaptive_links(scenario: Scenario) -> list[str]:
    """The keys (``FROM->TO``) of the scenario's links with adaptive trust, in link order."""
    return [
        f"{sender}->{receiver}"
        for sender, receiver, settings in expand_links(scenario)
        if isinstance(settings["trust"], AdaptiveTrust)
    ]


def output_problem(name: str, known: list[str]) -> str | None:
    """Why `name` cannot be a sweep's output (unknown, a group, text), or None when it can."""
    if name in known:
        return "is text, not a number: it cannot be averaged" if name in TEXT_OUTPUTS else None
    group = [k for k in known if k.startswith(name + ".")]
    if group:
        return f"is a group of outputs; name one, e.g. {', '.join(group[:5])}"
    modelled = COST_OUTPUTS[0] in known
    if not modelled and (name in COST_OUTPUTS or name.split(".")[0] in COST_GROUPS):
        return NOT_MODELLED
    return f"no run reports this output{did_you_mean(name, [k for k in known if k not in TEXT_OUTPUTS])}"
