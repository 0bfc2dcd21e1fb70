"""Invariants under Hypothesis-generated scenarios: counts add up, alerts are conserved,
faster sharing never detects fewer (common random numbers)."""

from __future__ import annotations

from typing import Any

from builders import build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine.one_run import run_one
from sim.vocabulary import CAUSES

COUNTRIES = ["AX", "BX", "CX", "DX"]
NAMES = ["Axaria", "Bexland", "Corvania", "Dunmoor"]
probability = st.floats(0.0, 1.0, allow_nan=False)
delay = st.one_of(
    st.floats(0.0, 96.0, allow_nan=False),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.5, 72.0)),
    st.builds(lambda m, s: {"dist": "lognormal", "median": m, "sigma": s}, st.floats(0.5, 72.0), st.floats(0.0, 1.5)),
)


@st.composite
def scenarios(draw: Any, monotone: bool = False) -> dict[str, Any]:
    """Small random scenarios; `monotone` leaves out what may legitimately break monotonicity
    in delay (trust changes over time, dropping on down links, intel injects that pick
    whoever is still en route)."""
    agencies = []
    for country in COUNTRIES:
        for k in range(draw(st.integers(0, 2))):
            kind = draw(st.sampled_from(["intelligence", "police", "border", "hub"]))
            agencies.append({"id": f"{country}-{k}", "country": country, "kind": kind})
    # Always one chain that can detect: intelligence in AX, a border agency in CX (every route
    # ends in CX or DX), so that most examples have detections to compare.
    agencies += [
        {"id": "AX-9", "country": "AX", "kind": "intelligence"},
        {"id": "CX-9", "country": "CX", "kind": "border"},
    ]
    ids = [a["id"] for a in agencies]
    pairs = [(a, b) for a in ids for b in ids if a != b and (a, b) != ("AX-9", "CX-9")]
    chosen = [("AX-9", "CX-9"), *draw(st.lists(st.sampled_from(pairs), unique=True, max_size=min(8, len(pairs))))]
    links = [
        {
            "from": a,
            "to": b,
            "delay_hours": draw(delay),
            "trust": draw(probability),
            "reliability": draw(probability),
            "verify_hours": draw(st.one_of(st.none(), st.floats(0.0, 48.0))),
        }
        for a, b in chosen
    ]
    routes = [["AX", "BX", "CX"], ["AX", "CX"], ["BX", "DX", "CX"], ["AX", "DX"]]
    group_count = draw(st.integers(1, 2))
    groups = []
    for g in range(group_count):
        groups.append(
            {
                "name": f"g{g}",
                "share": 1.0 if group_count == 1 else 0.5,
                "route": draw(st.sampled_from(routes)),
                "depart_day": {"dist": "uniform", "low": 0, "high": draw(st.floats(0.0, 10.0))},
                "leg_hours": draw(delay),
                "documents": {"fraudulent": draw(probability)},
                "party_size": {"dist": "choice", "values": [1, 3]},
            }
        )
    intelligence = [
        {
            "agency": draw(st.sampled_from(ids)),
            "covers": draw(probability),
            "learn_hours": {"dist": "uniform", "low": draw(st.floats(-100, 0)), "high": draw(st.floats(0, 100))},
            "identifier": draw(st.sampled_from(["name", "document", "biometric", {"name": 0.5, "biometric": 0.5}])),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    intelligence.append(
        {"agency": "AX-9", "covers": draw(probability), "learn_hours": {"dist": "uniform", "low": -24, "high": 72}}
    )
    injects: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 3))):
        a, b = draw(st.sampled_from(chosen))
        kinds = ["link_down", "link_up", "surge"] + ([] if monotone else ["trust", "intel"])
        kind = draw(st.sampled_from(kinds))
        day = draw(st.floats(0.0, 5.0))  # the horizon is at least 5 days
        if kind == "link_down":
            injects.append({"day": day, "kind": kind, "link": f"{a} -> {b}", "hours": draw(st.floats(1.0, 96.0))})
        elif kind == "link_up":
            injects.append({"day": day, "kind": kind, "link": f"{a} -> {b}"})
        elif kind == "trust":
            injects.append({"day": day, "kind": kind, "link": f"{a} -> {b}", "trust": draw(probability)})
        elif kind == "surge":
            injects.append({"day": day, "kind": kind, "group": "g0", "travellers": draw(st.integers(1, 20))})
        else:
            injects.append({"day": day, "kind": kind, "agency": draw(st.sampled_from(ids)), "travellers": 3})
    return {
        "name": "Generated",
        "seed": draw(st.integers(0, 2**32)),
        "horizon_days": draw(st.floats(5.0, 30.0)),
        "countries": [{"id": c, "name": n, "role": "transit"} for c, n in zip(COUNTRIES, NAMES, strict=True)],
        "agencies": agencies,
        "sharing": {
            "delay_scale": draw(st.floats(0.0, 3.0)),
            "defaults": {"when_down": "hold" if monotone else draw(st.sampled_from(["hold", "drop"]))},
            "links": links,
        },
        "travellers": {"count": draw(st.integers(0, 80)), "groups": groups},
        "intelligence": intelligence,
        "injects": injects,
    }


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios())
def test_counts_add_up_and_alerts_are_conserved(data: dict[str, Any]) -> None:
    result = run_one(build(data))
    s = result.summary
    assert s["crossed"] == s["detected"] + s["missed"], "everyone who crossed is either detected or missed"
    assert sum(s["misses"].values()) == s["missed"], "each missed traveller has exactly one cause"
    assert s["travellers"] == s["crossed"] + s["en_route"]
    a = s["alerts"]
    assert a["sent"] == a["delivered"] + a["lost"] + a["in_transit"], "alerts conserved"
    assert a["messages"] == a["sent"] + a["held"] + a["dropped"]
    for row in result.travellers:
        if row["outcome"] == "missed":
            assert row["cause"] in CAUSES
            assert (row["hours_late"] is not None) == (row["cause"] == "late")
            if row["cause"] == "late":
                assert row["hours_late"] > 0
        else:
            assert row["cause"] == ""
        if row["first_intel_hours"] is None and row["outcome"] == "missed":
            assert row["cause"] == "no_intel"
    times = [e[0] for e in result.events]
    assert times == sorted(times), "the timeline runs forward"
    assert result.timeseries[-1]["detected"] == s["detected"]
    assert result.timeseries[-1]["missed"] == s["missed"]


@SETTINGS
@given(scenarios(monotone=True), st.floats(0.0, 1.0))
def test_faster_sharing_never_detects_fewer(data: dict[str, Any], factor: float) -> None:
    slow = run_one(build(data))
    data["sharing"]["delay_scale"] *= factor
    fast = run_one(build(data))
    slow_detected = {r["id"] for r in slow.travellers if r["outcome"] == "detected"}
    fast_detected = {r["id"] for r in fast.travellers if r["outcome"] == "detected"}
    assert slow_detected <= fast_detected, (
        f"with delays x{factor:.2f}, {sorted(slow_detected - fast_detected)} were detected only when slower"
    )
