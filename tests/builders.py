"""Scenario builders shared by the tests (import: `from builders import ...`)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from sim.spec.scenario import Scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
EXAMPLE = SCENARIOS / "northern-corridor.yaml"


def one_link_data(
    *,
    travellers: int = 20_000,
    leg_hours: float = 48.0,
    covers: float = 0.5,
    trust: float = 0.8,
    delay_hours: Any = 12.0,
    identifier: Any = "biometric",
    screening: float = 1.0,
    reliability: float = 1.0,
    verify_hours: Any = None,
    fraudulent: float = 0.0,
    relay: Any = None,
) -> dict[str, Any]:
    """The closed-form set-up of model.md as plain data.

    One intelligence agency, one border agency that screens with `screening`,
    travellers crossing once at `leg_hours` after departure, intelligence on
    `covers` of them learned uniformly in [0, 2 * leg_hours] after departure.
    With `relay` (a dict of link settings), the alert goes through a hub.
    """
    agencies = [
        {"id": "ALD-INT", "country": "ALD", "kind": "intelligence"},
        {
            "id": "BRV-BRD",
            "country": "BRV",
            "kind": "border",
            "screening": {"biometric": screening, "document": screening, "name": screening},
        },
    ]
    link = {"from": "ALD-INT", "to": "BRV-BRD", "delay_hours": delay_hours, "trust": trust}
    links = [link]
    if relay is not None:
        agencies.append({"id": "HUB", "country": "ALD", "kind": "hub"})
        links = [
            {"from": "ALD-INT", "to": "HUB", "delay_hours": delay_hours, "trust": trust},
            {"from": "HUB", "to": "BRV-BRD", **relay},
        ]
    return {
        "name": "Closed form",
        "seed": 11,
        "horizon_days": 60,
        "countries": [
            {"id": "CZN", "name": "Caldoria", "role": "conflict"},
            {"id": "ALD", "name": "Aldmark", "role": "transit"},
            {"id": "BRV", "name": "Bravonia", "role": "home"},
        ],
        "agencies": agencies,
        "sharing": {
            "delay_scale": 1.0,
            "defaults": {"reliability": reliability, "verify_hours": verify_hours},
            "links": links,
        },
        "travellers": {
            "count": travellers,
            "groups": [
                {
                    "name": "returnees",
                    "share": 1.0,
                    "route": ["ALD", "BRV"],
                    "depart_day": {"dist": "uniform", "low": 0, "high": 20},
                    "leg_hours": leg_hours,
                    "documents": {"genuine": 1 - fraudulent, "fraudulent": fraudulent},
                }
            ],
        },
        "intelligence": [
            {
                "agency": "ALD-INT",
                "covers": covers,
                "learn_hours": {"dist": "uniform", "low": 0, "high": 2 * leg_hours},
                "relative_to": "departure",
                "identifier": identifier,
            }
        ],
    }


def build(data: dict[str, Any]) -> Scenario:
    """Validate plain data into a scenario (a deep copy, so callers may reuse `data`)."""
    return scenario_from_dict(copy.deepcopy(data), source="<test>")
