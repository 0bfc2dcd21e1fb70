"""The alert side of the cost of sharing: wrong leads, refuting verification, adaptive trust, carries.

Closed forms (docs/model.md, section 3.12b) within four standard errors; directions on common
random numbers (the same seed, paired, traveller by traveller); conservation under Hypothesis;
compatibility (a scenario without the new fields reports nothing new); validation.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from builders import build, one_link_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_invariants import scenarios

from sim.engine.messages import carried_identifier
from sim.engine.model import SharingModel
from sim.engine.one_run import run_one, write_run_folder
from sim.engine.outcomes import INNOCENT_OUTCOMES
from sim.engine.wrong_leads import wrong_lead_count
from sim.errors import ScenarioError
from sim.spec.outputs import COST_OUTPUTS, SUMMARY_OUTPUTS, flatten_summary, output_names, output_problem
from sim.vocabulary import CAUSES

LEG = 48.0
FATES = ("in_transit", "held", "dropped", "lost", "accepted", "verifying", "verified", "discarded")


def with_precision(data: dict[str, Any], precision: float) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["intelligence"][0]["precision"] = precision
    return data


def within(expected: float, got: float, variance: float) -> bool:
    """`got` is within four standard errors (sqrt(variance)) of `expected`."""
    return abs(got - expected) <= 4 * math.sqrt(max(variance, 1.0))


# ---------------------------------------------------------------- closed forms


@pytest.mark.parametrize(("precision", "trust", "delay"), [(0.5, 0.8, 12.0), (0.8, 1.0, 0.0), (0.3, 0.6, 30.0)])
def test_wrongful_stops_of_innocent_subjects_match_the_detection_closed_form(
    precision: float, trust: float, delay: float
) -> None:
    # Each innocent subject is screened exactly as a covered person of interest would be:
    # stopped with probability t * s * (L - d) / (2L); there are w = round(n (1 - p) / p) of them.
    covers, travellers, screening = 0.5, 8_000, 1.0
    data = with_precision(
        one_link_data(travellers=travellers, covers=covers, trust=trust, delay_hours=delay, screening=screening),
        precision,
    )
    summary = run_one(build(data), 11, tables=False).summary
    wrong = wrong_lead_count(round(covers * travellers), precision)
    assert summary["innocent_subjects"]["total"] == wrong
    assert summary["travellers"] == travellers, "innocent subjects are not counted as persons of interest"
    p = trust * screening * (LEG - delay) / (2 * LEG)
    got = summary["wrongful_stops"]["by_kind"]["innocent_subject"]
    assert got == summary["wrongful_stops"]["total"] == summary["innocent_subjects"]["wrongly_stopped"]
    assert within(wrong * p, got, wrong * p * (1 - p)), f"expected {wrong * p:.1f} wrongful stops, got {got}"
    # The persons of interest still follow section 3.12's closed form.
    rate = covers * p
    assert abs(summary["detection_rate"] - rate) <= 4 * math.sqrt(rate * (1 - rate) / travellers)


@pytest.mark.parametrize(("trust", "catches"), [(0.4, 0.9), (0.0, 0.5), (0.7, 1.0)])
def test_verification_that_refutes_matches_its_closed_form(trust: float, catches: float) -> None:
    # A wrong alert: trusted (t) and stopped on after d, or verified for v hours and then refuted
    # (k) or accepted (1 - k). E[refuted] = w (1 - t) k;
    # E[wrongful stops] = w s [t (L - d) + (1 - t)(1 - k)(L - d - v)] / (2L).
    covers, travellers, d, v, precision = 0.5, 8_000, 8.0, 16.0, 0.5
    data = with_precision(
        one_link_data(travellers=travellers, covers=covers, trust=trust, delay_hours=d, verify_hours=v), precision
    )
    data["sharing"]["defaults"]["verify_catches"] = catches
    summary = run_one(build(data), 7, tables=False).summary
    wrong = summary["innocent_subjects"]["total"]
    refuted = summary["alerts"]["refuted"]
    q = (1 - trust) * catches
    assert within(wrong * q, refuted, wrong * q * (1 - q)), f"expected {wrong * q:.1f} refuted, got {refuted}"
    p = (trust * (LEG - d) + (1 - trust) * (1 - catches) * (LEG - d - v)) / (2 * LEG)
    got = summary["wrongful_stops"]["total"]
    assert within(wrong * p, got, wrong * p * (1 - p)), f"expected {wrong * p:.1f} wrongful stops, got {got}"
    # True alerts are never refuted: persons of interest are detected as without verify_catches.
    rate = covers * (trust * (LEG - d) + (1 - trust) * (LEG - d - v)) / (2 * LEG)
    assert abs(summary["detection_rate"] - rate) <= 4 * math.sqrt(rate * (1 - rate) / travellers)


def adaptive(prior: float, strength: float) -> dict[str, Any]:
    return {"adaptive": True, "prior": prior, "strength": strength}


def test_trust_path_of_a_link_whose_alerts_are_all_refuted() -> None:
    # Nobody can be stopped (screening 0), so the only outcomes are refutations by verification:
    # after r of them, trust is prior * S / (S + r), whatever the timing.
    prior, strength = 0.8, 5.0
    data = with_precision(one_link_data(travellers=400, screening=0.0, verify_hours=4.0), 0.5)
    data["sharing"]["links"][0]["trust"] = adaptive(prior, strength)
    data["sharing"]["defaults"]["verify_catches"] = 1.0
    result = run_one(build(data), 3)
    rows = result.trust
    assert rows[0] == {"time_hours": 0.0, "link": "ALD-INT->BRV-BRD", "trust": prior, "confirmed": 0, "refuted": 0}
    assert [r["refuted"] for r in rows] == list(range(len(rows))), "one row per refutation"
    for row in rows:
        assert row["confirmed"] == 0
        assert row["trust"] == pytest.approx(prior * strength / (strength + row["refuted"]), abs=1e-6)
    refuted = result.summary["alerts"]["refuted"]
    assert refuted == len(rows) - 1 > 10
    final = result.summary["trust_final"]["ALD-INT->BRV-BRD"]
    assert final == pytest.approx(prior * strength / (strength + refuted), abs=1e-6)
    times = [r["time_hours"] for r in rows]
    assert times == sorted(times)


def test_trust_path_of_a_link_whose_alerts_are_all_confirmed() -> None:
    # Every lead is true and every stop is of a person of interest: after c stops,
    # trust is (prior * S + c) / (S + c); here every detection came over the one link.
    prior, strength = 0.3, 4.0
    data = one_link_data(travellers=400, covers=0.8, delay_hours=2.0)
    data["sharing"]["links"][0]["trust"] = adaptive(prior, strength)
    result = run_one(build(data), 5)
    rows = result.trust
    assert [r["confirmed"] for r in rows] == list(range(len(rows)))
    for row in rows:
        assert row["refuted"] == 0
        assert row["trust"] == pytest.approx((prior * strength + row["confirmed"]) / (strength + row["confirmed"]))
    detected = result.summary["detected"]
    assert detected == len(rows) - 1 > 10
    assert result.summary["trust_final"]["ALD-INT->BRV-BRD"] == pytest.approx(
        (prior * strength + detected) / (strength + detected), abs=1e-6
    )
    assert result.summary["wrongful_stops"]["total"] == 0 and result.summary["stop_precision"] == 1.0


def test_a_trust_inject_sets_the_prior_and_starts_the_record_again() -> None:
    data = with_precision(one_link_data(travellers=400, screening=0.0, verify_hours=4.0), 0.5)
    data["sharing"]["links"][0]["trust"] = adaptive(0.8, 5.0)
    data["sharing"]["defaults"]["verify_catches"] = 1.0
    data["injects"] = [{"day": 5, "kind": "trust", "link": "ALD-INT -> BRV-BRD", "trust": 0.5}]
    rows = run_one(build(data), 3).trust
    at = [r for r in rows if r["time_hours"] == 120.0]
    assert at and at[-1]["trust"] == 0.5 and (at[-1]["confirmed"], at[-1]["refuted"]) == (0, 0)
    after = [r for r in rows if r["time_hours"] > 120.0]
    assert after, "refutations continue after the inject"
    for row in after:
        assert row["trust"] == pytest.approx(0.5 * 5.0 / (5.0 + row["refuted"]), abs=1e-6)


# ---------------------------------------------------------------- directions on common random numbers


DIRECTIONS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def stopped(result: Any) -> set[str]:
    return {r["id"] for r in result.travellers if r["outcome"] == "wrongly_stopped"}


@DIRECTIONS
@given(st.integers(0, 2**32), st.floats(0.2, 1.0), st.floats(0.2, 1.0), st.floats(0.0, 1.0))
def test_lower_precision_never_lowers_wrongful_stops(seed: int, p1: float, p2: float, trust: float) -> None:
    high, low = max(p1, p2), min(p1, p2)
    base = one_link_data(travellers=300, trust=trust, delay_hours={"dist": "exponential", "mean": 24})
    more = run_one(build(with_precision(base, low)), seed)
    fewer = run_one(build(with_precision(base, high)), seed)
    assert stopped(fewer) <= stopped(more), "the first wrong leads are the same people with the same draws"
    assert fewer.summary["wrongful_stops"]["total"] <= more.summary["wrongful_stops"]["total"]

    def people(result: Any) -> list[dict[str, Any]]:  # alert numbers shift as wrong leads' alerts interleave
        return [{k: v for k, v in r.items() if k != "cause_alert"} for r in result.travellers if r["of_interest"]]

    assert people(fewer) == people(more), "wrong leads change nothing for the persons of interest"


@DIRECTIONS
@given(st.integers(0, 2**32), st.floats(0.0, 1.0), st.floats(0.2, 0.9), st.booleans())
def test_catching_every_wrong_alert_never_raises_wrongful_stops(
    seed: int, trust: float, precision: float, relay: bool
) -> None:
    data = with_precision(
        one_link_data(
            travellers=300,
            trust=trust,
            verify_hours={"dist": "uniform", "low": 0, "high": 48},
            relay={"delay_hours": 6.0, "trust": 0.5} if relay else None,
        ),
        precision,
    )
    results = {}
    for catches in (0.0, 1.0):
        data["sharing"]["defaults"]["verify_catches"] = catches
        results[catches] = run_one(build(data), seed)
    assert stopped(results[1.0]) <= stopped(results[0.0])
    assert results[1.0].summary["detected"] == results[0.0].summary["detected"], "true alerts are never refuted"


def carries_data() -> dict[str, Any]:
    data = one_link_data(
        travellers=300,
        fraudulent=0.5,
        identifier={"biometric": 0.5, "document": 0.3, "name": 0.2},
        delay_hours={"dist": "exponential", "mean": 12},
        relay={"delay_hours": {"dist": "exponential", "mean": 6}, "trust": 0.9},
    )
    data["intelligence"].append({"agency": "HUB", "covers": 0.3, "identifier": "biometric"})
    data["sharing"]["links"].append({"from": "ALD-INT", "to": "BRV-BRD", "delay_hours": 30.0, "trust": 0.7})
    return data


@DIRECTIONS
@given(st.integers(0, 2**32), st.sampled_from([0, 1, 2]), st.sampled_from([["document", "name"], ["name"]]))
def test_removing_biometric_from_a_link_never_raises_detections_on_fraudulent_documents(
    seed: int, which: int, carries: list[str]
) -> None:
    data = carries_data()
    before = run_one(build(data), seed)
    data["sharing"]["links"][which]["carries"] = carries
    after = run_one(build(data), seed)

    def fraud_detected(result: Any) -> set[str]:
        return {r["id"] for r in result.travellers if r["outcome"] == "detected" and r["documents"] == "fraudulent"}

    assert fraud_detected(after) <= fraud_detected(before)


def test_a_link_carries_the_strongest_identifier_it_allows() -> None:
    assert carried_identifier("biometric", ("name", "document")) == "document"
    assert carried_identifier("biometric", ("name",)) == "name"
    assert carried_identifier("document", ("biometric", "name")) == "name"
    assert carried_identifier("name", ("biometric", "document")) is None
    assert carried_identifier("name", None) == "name"


def test_an_alert_the_link_may_not_carry_is_not_sent_and_the_miss_stays_not_shared() -> None:
    data = one_link_data(travellers=200, covers=1.0, identifier="name")
    data["sharing"]["links"][0]["carries"] = ["biometric"]
    result = run_one(build(data), 1)
    assert result.alerts == [], "nothing is sent"
    withheld = [e for e in result.events if e[1] == "withheld"]
    assert len(withheld) == 200 and "not allowed on this link" in withheld[0][5]
    misses = result.summary["misses"]
    assert misses["not_shared"] > 0 and misses["no_intel"] + misses["not_shared"] == result.summary["missed"] == 200, (
        "known (before the crossing, or after it) but never on its way to the border"
    )


# ---------------------------------------------------------------- conservation


@st.composite
def costly(draw: Any) -> dict[str, Any]:
    """The generated scenarios of test_invariants, with the alert side's fields drawn on top."""
    data = draw(scenarios())
    for source in data["intelligence"]:
        source["precision"] = draw(st.floats(0.2, 1.0))
    for link in data["sharing"]["links"]:
        link["verify_catches"] = draw(st.floats(0.0, 1.0))
        if draw(st.booleans()):
            link["trust"] = adaptive(draw(st.floats(0.0, 1.0)), draw(st.floats(0.5, 20.0)))
        if draw(st.booleans()):
            link["carries"] = draw(
                st.lists(st.sampled_from(["biometric", "document", "name"]), min_size=1, max_size=3, unique=True)
            )
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(costly())
def test_everyone_and_every_alert_is_accounted_for(data: dict[str, Any]) -> None:
    result = run_one(build(data))
    s = result.summary
    people = [r for r in result.travellers if r["of_interest"]]
    innocents = [r for r in result.travellers if not r["of_interest"]]
    assert len(people) == s["travellers"] and len(innocents) == s["innocent_subjects"]["total"]
    for row in people:
        assert row["outcome"] in ("detected", "missed", "en_route")
        assert (row["cause"] in CAUSES) == (row["outcome"] == "missed")
    for row in innocents:
        assert row["outcome"] in INNOCENT_OUTCOMES and row["cause"] == ""
    assert s["crossed"] == s["detected"] + s["missed"] and sum(s["misses"].values()) == s["missed"]
    assert s["travellers"] == s["crossed"] + s["en_route"]
    i = s["innocent_subjects"]
    assert i["total"] == i["wrongly_stopped"] + i["passed"]
    assert s["wrongful_stops"]["total"] == s["wrongful_stops"]["by_kind"]["innocent_subject"] == i["wrongly_stopped"]
    a = s["alerts"]
    assert a["sent"] == a["delivered"] + a["lost"] + a["in_transit"]
    assert a["delivered"] == a["accepted"] + a["verified"] + a["discarded"] + a["verifying"] + a["refuted"]
    assert a["messages"] == a["sent"] + a["held"] + a["dropped"]
    fates = {row["fate"] for row in result.alerts}
    assert fates <= {*FATES, "refuted"}
    for row in result.alerts:
        if row["fate"] == "refuted":
            assert not next(r for r in result.travellers if r["id"] == row["subject"])["of_interest"]
    assert all(0.0 <= r["trust"] <= 1.0 for r in result.trust)
    assert all(0.0 <= t <= 1.0 for t in s["trust_final"].values())
    assert result.timeseries[-1]["detected"] == s["detected"] and result.timeseries[-1]["missed"] == s["missed"]


# ---------------------------------------------------------------- compatibility, outputs, validation


def test_a_scenario_without_the_new_fields_reports_nothing_new(example_scenario, tmp_path) -> None:
    assert not example_scenario.costs_modelled
    result = run_one(example_scenario, 3)
    names = [k for k in flatten_summary(result.summary) if not k.startswith("detections_by_")]
    assert tuple(names) == SUMMARY_OUTPUTS
    assert "of_interest" not in result.travellers[0] and "refuted" not in result.summary["alerts"]
    folder = write_run_folder(result, example_scenario, tmp_path / "run")
    assert not (folder / "trust.csv").exists() and not (folder / "wrongful_stops.csv").exists()
    assert "of_interest" not in (folder / "travellers.csv").read_text().splitlines()[0]


def test_precision_one_turns_the_outputs_on_and_changes_no_draw(example_scenario, tmp_path) -> None:
    raw = example_scenario.raw
    raw["intelligence"][0]["precision"] = 1.0
    costly_scenario = build(raw)
    assert costly_scenario.costs_modelled
    plain, costed = run_one(example_scenario, 3), run_one(costly_scenario, 3)
    assert [{k: v for k, v in r.items() if k != "of_interest"} for r in costed.travellers] == plain.travellers
    assert costed.alerts == plain.alerts and costed.events == plain.events
    assert costed.summary["innocent_subjects"] == {"total": 0, "wrongly_stopped": 0, "passed": 0}
    names = set(output_names(costly_scenario))
    assert set(COST_OUTPUTS) <= names and set(flatten_summary(costed.summary)) <= names
    folder = write_run_folder(costed, costly_scenario, tmp_path / "run")
    assert (folder / "trust.csv").read_text() == "time_hours,link,trust,confirmed,refuted\n"
    assert (folder / "travellers.csv").read_text().splitlines()[0].endswith(",of_interest")


def test_a_sweep_on_a_scenario_without_costs_gets_a_clear_error(example_scenario) -> None:
    known = output_names(example_scenario)
    for name in ("wrongful_stops.total", "stop_precision", "alerts.refuted", "trust_final.A->B"):
        assert "models the cost of sharing" in (output_problem(name, known) or "")


def test_innocent_subjects_come_after_every_person_of_interest_with_their_own_draws() -> None:
    data = with_precision(one_link_data(travellers=50), 0.5)
    data["injects"] = [{"day": 1, "kind": "surge", "group": "returnees", "travellers": 10}]
    model = SharingModel(build(data), rng=2)
    flags = [t.of_interest for t in model.travellers]
    covered = round(0.5 * 60)  # surge travellers are eligible too
    assert flags == [True] * 60 + [False] * wrong_lead_count(covered, 0.5)
    plain = SharingModel(build(one_link_data(travellers=50) | {"injects": data["injects"]}), rng=2)
    for a, b in zip(plain.travellers, model.travellers[:60], strict=True):
        assert (a.depart_hours, a.leg_hours, a.fraudulent) == (b.depart_hours, b.leg_hours, b.fraudulent)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("intelligence", 0, "precision"), 0, "intelligence[0].precision: should be greater than 0"),
        (("sharing", "defaults", "verify_catches"), 1.5, "sharing.defaults.verify_catches: should be less than"),
        (("sharing", "links", 0, "carries"), [], "sharing.links[0].carries: needs at least 1 item"),
        (("sharing", "links", 0, "carries"), ["biometrics"], "sharing.links[0].carries[0]: must be 'biometric'"),
        (("sharing", "links", 0, "trust"), {"adaptive": True}, "sharing.links[0].trust: adaptive trust needs prior"),
        (("sharing", "links", 0, "trust"), {"adaptive": False, "prior": 0.5}, "needs `adaptive: true`"),
        (("sharing", "defaults", "trust"), {"adaptive": True, "prior": 0.5, "strenght": 2}, "did you mean 'strength'"),
        (("sharing", "defaults", "trust"), {"adaptive": True, "prior": 0.5, "strength": 0}, "strength must be > 0"),
        (("sharing", "defaults", "trust"), 1.5, "sharing.defaults.trust: should be less than or equal to 1 (got 1.5)"),
    ],
)
def test_the_new_fields_are_validated(where: tuple[Any, ...], value: Any, message: str) -> None:
    data = one_link_data(travellers=10)
    target: Any = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(ScenarioError) as caught:
        build(data)
    assert message in str(caught.value), str(caught.value)


def test_wrong_leads_round_on_the_precision_as_written() -> None:
    # 2 true leads at precision 0.8 make 0.5 wrong leads exactly: halves up gives 1 (binary floats gave 0).
    assert [wrong_lead_count(n, 0.8) for n in (2, 6, 10)] == [1, 2, 3]
    assert wrong_lead_count(7, 0.7) == 3 and wrong_lead_count(100, 1.0) == 0
