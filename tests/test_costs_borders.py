"""The border side of the cost of sharing: ordinary travellers, namesakes, retention, PNR.

Closed forms of docs/model.md §3.13 against the simulation (within four standard errors),
directions on common random numbers, conservation, and compatibility (a scenario without
the new fields reports no new key).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import pytest
from builders import SCENARIOS, one_link_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine.model import SharingModel
from sim.engine.one_run import run_one
from sim.errors import ScenarioError
from sim.spec.outputs import flatten_summary, output_names
from sim.spec.scenario import Scenario, load_scenario, scenario_from_dict
from sim.vocabulary import CAUSES

FALSE_MATCH = {"name": 2.0e-3, "document": 1.0e-3, "biometric": 5.0e-4}


def watchlist_data(
    *,
    entries: int = 120,
    per_day: float = 400.0,
    days: float = 100.0,
    retention_days: float | None = None,
    identifier: Any = None,
) -> dict[str, Any]:
    """A border agency that knows `entries` travellers from hour 0 (its own intelligence); they never travel."""
    data = one_link_data(travellers=entries)
    data["horizon_days"] = days
    data["travellers"]["groups"][0]["depart_day"] = 10 * days  # after the horizon: the watchlist stays fixed
    data["intelligence"] = [
        {
            "agency": "BRV-BRD",
            "covers": 1.0,
            "relative_to": "start",
            "learn_hours": 0,
            "identifier": identifier or {"name": 0.5, "document": 0.25, "biometric": 0.25},
        }
    ]
    data["population"] = {"crossings_per_day": per_day}
    border = next(a for a in data["agencies"] if a["id"] == "BRV-BRD")
    border["false_match"] = dict(FALSE_MATCH)
    if retention_days is not None:
        border["retention_days"] = retention_days
    return data


def _within(observed: float, expected: float, se: float) -> None:
    assert abs(observed - expected) <= 4 * se, f"observed {observed}, expected {expected} ± {se:.2f} (1 SE)"


# ---------------------------------------------------------------- closed forms


@pytest.mark.parametrize("seed", [1, 2])
def test_namesake_stops_with_a_fixed_watchlist_follow_the_closed_form(seed: int) -> None:
    """E[stops] = N h / 24 (1 - prod_i (1 - f_i) ** K_i); the count is Poisson, so its SE is the root of it."""
    scenario = scenario_from_dict(watchlist_data())
    model = SharingModel(scenario, rng=seed, log_events=False, collect_data=False).run()
    border = model.agencies["BRV-BRD"]
    counts = {i: 0 for i in FALSE_MATCH}
    for identifiers in border.watchlist.values():
        counts[max(identifiers, key=["name", "document", "biometric"].index)] += 1
    assert sum(counts.values()) == 120 and all(counts.values())
    q = 1 - math.prod((1 - FALSE_MATCH[i]) ** k for i, k in counts.items())
    expected = 400.0 * 100 * q
    stops = [s for s in model.wrongful_stops if s.kind == "ordinary"]
    _within(len(stops), expected, math.sqrt(expected))
    # The product, not the sum: with these rates the linear approximation is 2 to 5% too high.
    linear = 400.0 * 100 * sum(FALSE_MATCH[i] * k for i, k in counts.items())
    assert linear - expected > 4 * math.sqrt(expected)
    # Each stop names the entry it was taken for, in proportion to the entries' false-match rates.
    by_identifier = {i: sum(1 for s in stops if s.identifier == i) for i in FALSE_MATCH}
    total_rate = sum(FALSE_MATCH[i] * k for i, k in counts.items())
    for identifier, k in counts.items():
        share = FALSE_MATCH[identifier] * k / total_rate
        _within(by_identifier[identifier], len(stops) * share, math.sqrt(len(stops) * share * (1 - share)))


def test_retention_ends_the_namesakes_of_expired_entries() -> None:
    """Entries all accepted at hour 0 and kept R days: the namesake stops are N R (1 - prod) over [0, R) only."""
    scenario = scenario_from_dict(watchlist_data(retention_days=30, identifier="name"))
    model = SharingModel(scenario, rng=3, log_events=False, collect_data=False).run()
    assert not model.agencies["BRV-BRD"].watchlist, "every entry expired"
    stops = [s for s in model.wrongful_stops if s.kind == "ordinary"]
    assert stops and max(s.time_hours for s in stops) < 30 * 24
    expected = 400.0 * 30 * (1 - (1 - FALSE_MATCH["name"]) ** 120)
    _within(len(stops), expected, math.sqrt(expected))


def test_pnr_flags_persons_of_interest_nobody_knew_and_ordinary_travellers() -> None:
    """One crossing, no intelligence: detection rate = flags_interest; ordinary flags ~ Poisson(N H / 24 * flags_ordinary)."""
    data = one_link_data(travellers=20_000, covers=0.0)
    border = next(a for a in data["agencies"] if a["id"] == "BRV-BRD")
    border["pnr_rules"] = {"flags_interest": 0.25, "flags_ordinary": 2.0e-4}
    data["population"] = {"crossings_per_day": 5000}
    result = run_one(scenario_from_dict(data), 5, tables=False)
    summary = result.summary
    crossed, p = summary["crossed"], 0.25
    _within(summary["detected"], crossed * p, math.sqrt(crossed * p * (1 - p)))
    assert summary["detections_by_identifier"] == {"pnr": summary["detected"]}
    assert summary["misses"]["no_intel"] == summary["missed"], "the others nobody knew"
    expected = 5000 * 60 * 2.0e-4
    _within(summary["wrongful_stops"]["by_kind"]["pnr"], expected, math.sqrt(expected))
    assert summary["ordinary_crossings"] == {"total": 300_000, "by_country": {"BRV": 300_000}}


def test_pnr_at_two_borders_combines_as_independent_flags() -> None:
    """Two crossings, rules at both borders: detection rate = 1 - (1 - p1)(1 - p2) of those who cross twice."""
    data = one_link_data(travellers=20_000, covers=0.0)
    data["agencies"].append({"id": "ALD-BRD", "country": "ALD", "kind": "border", "pnr_rules": {"flags_interest": 0.2}})
    border = next(a for a in data["agencies"] if a["id"] == "BRV-BRD")
    border["pnr_rules"] = {"flags_interest": 0.3}
    data["travellers"]["groups"][0]["route"] = ["CZN", "ALD", "BRV"]
    data["horizon_days"] = 200  # everyone makes both crossings
    summary = run_one(scenario_from_dict(data), 6, tables=False).summary
    p = 1 - 0.8 * 0.7
    n = summary["crossed"]
    assert n == 20_000
    _within(summary["detected"], n * p, math.sqrt(n * p * (1 - p)))
    _within(summary["detections_by_agency"]["ALD-BRD"], n * 0.2, math.sqrt(n * 0.2 * 0.8))


# ---------------------------------------------------------------- directions on common random numbers


@functools.cache
def _corridor() -> Scenario:
    return load_scenario(SCENARIOS / "baseline-corridor.yaml", ["population.crossings_per_day=5000"])


def _with(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    raw = scenario.raw
    for agency in raw["agencies"]:
        agency.update(changes.get(agency["id"], {}))
    return scenario_from_dict(raw)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), short=st.floats(1, 20), longer=st.floats(0, 60))
def test_shorter_retention_never_raises_namesake_stops(seed: int, short: float, longer: float) -> None:
    borders = ("HAL-BRD", "DRV-BRD", "LUN-BRD")
    counts = []
    for days in (short, short + longer, None):
        changes = {code: {"retention_days": days} for code in borders} if days is not None else {}
        model = SharingModel(_with(_corridor(), changes), rng=seed, log_events=False, collect_data=False).run()
        counts.append(sum(1 for s in model.wrongful_stops if s.kind == "ordinary"))
    assert counts[0] <= counts[1] <= counts[2], counts


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), p=st.floats(0.01, 1.0))
def test_adding_pnr_rules_never_lowers_detections(seed: int, p: float) -> None:
    plain = SharingModel(_corridor(), rng=seed, log_events=False, collect_data=False).run()
    ruled = _with(_corridor(), {"DRV-BRD": {"pnr_rules": {"flags_interest": p, "flags_ordinary": 1e-4}}})
    flagged = SharingModel(ruled, rng=seed, log_events=False, collect_data=False).run()
    before = {t.index for t in plain.travellers if t.detected is not None}
    after = {t.index for t in flagged.travellers if t.detected is not None}
    assert before <= after
    # Namesake stops do not depend on PNR rules (their own streams).
    assert [s.time_hours for s in plain.wrongful_stops if s.kind == "ordinary"] == [
        s.time_hours for s in flagged.wrongful_stops if s.kind == "ordinary"
    ]


# ---------------------------------------------------------------- conservation


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    retention=st.one_of(st.none(), st.floats(0.5, 30)),
    pnr=st.floats(0, 0.5),
    per_day=st.sampled_from([0, 500, 20_000]),
)
def test_every_person_of_interest_ends_in_one_place_and_stops_add_up(
    seed: int, retention: float | None, pnr: float, per_day: int
) -> None:
    raw = load_scenario(SCENARIOS / "baseline-corridor.yaml").raw
    raw["population"] = {"crossings_per_day": per_day}
    for agency in raw["agencies"]:
        if agency["kind"] == "border":
            agency["retention_days"] = retention
            agency["pnr_rules"] = {"flags_interest": pnr, "flags_ordinary": 1e-4}
    result = run_one(scenario_from_dict(raw), seed)
    summary = result.summary
    assert list(summary["misses"]) == list(CAUSES)
    outcomes = {"detected": 0, "missed": 0, "en_route": 0}
    for row in result.travellers:
        outcomes[row["outcome"]] += 1
        assert (row["cause"] in CAUSES) == (row["outcome"] == "missed")
    assert outcomes == {k: summary[k] for k in outcomes}
    assert sum(outcomes.values()) == summary["travellers"]
    assert sum(summary["misses"].values()) == summary["missed"]
    stops = summary["wrongful_stops"]
    assert sum(stops["by_kind"].values()) == stops["total"] == len(result.wrongful_stops)
    assert sum(stops["by_agency"].values()) == sum(stops["by_identifier"].values()) == stops["total"]
    if retention is None:
        assert summary["misses"]["expired"] == 0


# ---------------------------------------------------------------- outputs and compatibility


def test_a_scenario_without_the_new_fields_reports_nothing_new() -> None:
    scenario = load_scenario(SCENARIOS / "baseline-corridor.yaml")
    assert not scenario.costs_modelled
    summary = run_one(scenario, 1, tables=False).summary
    assert "expired" not in summary["misses"]
    assert "wrongful_stops" not in summary and "ordinary_crossings" not in summary


def test_every_cost_output_is_known_to_sweeps() -> None:
    scenario = load_scenario(
        SCENARIOS / "baseline-corridor.yaml",
        ["population.crossings_per_day=1000", "agencies[HAL-BRD].pnr_rules={flags_interest: 0.1}"],
    )
    summary = run_one(scenario, 1, tables=False).summary
    known = output_names(scenario)
    reported = flatten_summary(summary)
    for name in ("misses.expired", "wrongful_stops.total", "wrongful_stops.by_kind.ordinary", "stop_precision",
                 "ordinary_crossings.total", "ordinary_crossings.by_country.HAL", "wrongful_stops.by_agency.DRV-BRD",
                 "detections_by_identifier.pnr"):  # fmt: skip
        assert name in known and name in reported, name
    missing = [name for name in known if name not in reported and not name.startswith("detections_by_")]
    assert not missing


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"population": {"crossings_per_day": {"default": 10, "ATL": 5}}},
            "population.crossings_per_day.ATL: no such country",
        ),
        ({"population": {"crossings_per_day": -1}}, "should lie between 0 and 1e9"),
        ({"agencies[ALD-INT].pnr_rules": {"flags_interest": 0.1}}, "only border agencies check crossings"),
        ({"agencies[BRV-BRD].false_match": {"nme": 0.1}}, "did you mean 'name'"),
        ({"agencies[BRV-BRD].retention_days": 0}, "retention_days: should be greater than 0"),
        ({"agencies[BRV-BRD].pnr_rules": {"flags_ordinary": 2}}, "flags_ordinary: should be less than or equal to 1"),
    ],
)
def test_the_new_fields_are_checked_with_their_place(change: dict[str, Any], message: str) -> None:
    data = one_link_data(travellers=10)
    for path, value in change.items():
        if path.startswith("agencies["):
            code, field = path[len("agencies[") :].split("].")
            next(a for a in data["agencies"] if a["id"] == code)[field] = value
        else:
            data[path] = value
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(data, source="x.yaml")
    assert message in str(caught.value)


def test_a_problem_in_a_file_names_its_line(tmp_path) -> None:
    text = (SCENARIOS / "retention.yaml").read_text(encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "retention_days: 365" in row)
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("retention_days: 365", "retention_days: -5", 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert f"bad.yaml:{line}: agencies[1].retention_days: should be greater than 0" in str(caught.value)
