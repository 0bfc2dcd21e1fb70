"""Input that validates must give finite draws and counts in range, rounded as the documents say (issue 17)."""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from builders import ROOT, build
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.engine.decisions import Choice, DecisionPoint
from sim.engine.model import SharingModel
from sim.engine.one_run import run_one
from sim.errors import ScenarioError
from sim.exercise.play import InteractivePlayer, load_decisions
from sim.spec.distributions import DRAW_LIMIT
from sim.spec.field_types import parse_number
from sim.spec.scenario import apportion, covered_count, load_scenario

CORRIDOR = ROOT / "scenarios" / "northern-corridor.yaml"


def small(**group: Any) -> dict[str, Any]:
    """One intelligence agency, one border agency, one group crossing once; `group` overrides the group."""
    return {
        "name": "Values",
        "seed": 3,
        "horizon_days": 30,
        "countries": [
            {"id": "CZN", "name": "Caldoria", "role": "conflict"},
            {"id": "BRV", "name": "Bravonia", "role": "home"},
        ],
        "agencies": [
            {"id": "BRV-INT", "country": "BRV", "kind": "intelligence"},
            {"id": "BRV-BRD", "country": "BRV", "kind": "border", "screening": {"biometric": 1.0}},
        ],
        "sharing": {"links": [{"from": "BRV-INT", "to": "BRV-BRD", "delay_hours": 12, "trust": 1.0}]},
        "travellers": {
            "count": 200,
            "groups": [{"name": "returnees", "share": 1.0, "route": ["CZN", "BRV"], "leg_hours": 48, **group}],
        },
        "intelligence": [{"agency": "BRV-INT", "covers": 1.0, "identifier": "biometric"}],
    }


def write(tmp_path: Path, data: dict[str, Any], name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def tabletop(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env=env, **kwargs)  # fmt: skip


# ---------------------------------------------------------------- every draw finite and in range

EDGES = [0.0, 1e-300, 0.5, 1 - 1e-12, 1 - 2**-53]
number = st.floats(-2 * DRAW_LIMIT, 2 * DRAW_LIMIT, allow_nan=False) | st.sampled_from([0.0, 1e-300, -1e-300])


@st.composite
def distributions(draw: Any) -> tuple[dict[str, Any] | float, bool]:
    kind = draw(st.sampled_from(["plain", "exponential", "lognormal", "uniform", "triangular", "normal", "choice"]))
    nonnegative = draw(st.booleans())
    if kind == "plain":
        return draw(number), nonnegative
    if kind == "choice":
        values = draw(st.lists(number, min_size=1, max_size=4))
        weights = draw(st.none() | st.lists(st.floats(0, 1e308), min_size=len(values), max_size=len(values)))
        out: dict[str, Any] = {"dist": "choice", "values": values}
        if weights is not None:
            out["weights"] = weights
        return out, nonnegative
    names = {"exponential": ["mean"], "lognormal": ["median", "sigma"], "uniform": ["low", "high"],
             "triangular": ["low", "mode", "high"], "normal": ["mean", "sd"]}[kind]  # fmt: skip
    params = {name: draw(number) for name in names}
    if kind in ("uniform", "triangular"):
        params.update(zip(names, sorted(params.values()), strict=True))
    return {"dist": kind, **params}, nonnegative


@settings(max_examples=400, deadline=None)
@given(distributions(), st.lists(st.floats(0, 1, exclude_max=True), max_size=20))
def test_every_draw_of_valid_parameters_is_finite_and_in_range(spec: Any, uniforms: list[float]) -> None:
    written, nonnegative = spec
    try:
        dist = parse_number(copy.deepcopy(written), nonnegative=nonnegative)
    except ValueError:
        assume(False)
        return
    u = np.array(sorted([*EDGES, *uniforms]))
    with np.errstate(all="raise"):  # no overflow warnings leak either
        draws = dist.ppf(u)
    assert np.isfinite(draws).all(), (written, draws)
    assert (draws <= DRAW_LIMIT).all() and (draws >= (0.0 if nonnegative else -DRAW_LIMIT)).all(), (written, draws)
    if dist.kind == "choice":
        return  # values in the order written: no order to keep
    steps = np.diff(draws)
    assert (steps >= -1e-9 * np.maximum(1.0, np.abs(draws[1:]))).all(), f"{written}: not non-decreasing"


@pytest.mark.parametrize("mean", [-8.4, -10.0, -20.0, -37.0])
def test_a_normal_duration_truncated_far_in_its_tail_stays_in_its_support(mean: float) -> None:
    # Today: 1 - ndtr(8.4) rounds to 0, the draws are about mean + 8.2 sd, i.e. negative.
    dist = parse_number({"dist": "normal", "mean": mean, "sd": 1.0})
    u = (np.arange(10_000) + 0.5) / 10_000
    draws = dist.ppf(u)
    assert (draws >= 0).all()
    # Truncated at a = -mean sd, the law is close to a + Exp(1)/a: its median is ln 2 / a.
    assert np.median(draws) == pytest.approx(math.log(2) / -mean, rel=0.05)


def test_travellers_cross_after_departing_and_alerts_arrive_after_being_sent() -> None:
    data = small(leg_hours={"dist": "normal", "mean": -100, "sd": 10}, depart_day=1)
    data["sharing"]["links"][0]["delay_hours"] = {"dist": "normal", "mean": -300, "sd": 10}
    model = SharingModel(build(data), seed=5, collect_data=False).run()
    crossings = [(t.depart_hours, t.crossings[0][0]) for t in model.travellers if t.crossings]
    assert len(crossings) == 200 and all(at >= depart for depart, at in crossings)
    delivered = [(m.sent, m.delivered) for m in model.messages if m.delivered is not None]
    assert delivered and all(at >= sent for sent, at in delivered)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("party_size", 1.0e300, "the number must be at most 1e9 in size"),
        ("party_size", {"dist": "choice", "values": [1, 1e300]}, "each choice value must be at most 1e9 in size"),
        ("leg_hours", {"dist": "lognormal", "median": 24, "sigma": 1e300}, "lognormal sigma must be at most 1e9"),
        ("leg_hours", {"dist": "normal", "mean": -40, "sd": 1}, "a normal duration needs mean >= -37 sd"),
        ("depart_day", {"dist": "exponential", "mean": 1e12}, "exponential mean must be at most 1e9"),
    ],
)
def test_parameters_that_cannot_give_sensible_draws_are_refused_at_their_line(
    tmp_path: Path, field: str, value: Any, message: str
) -> None:
    path = write(tmp_path, small(**{field: value}))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if text.strip().startswith(field))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    (problem,) = caught.value.problems
    assert str(problem).startswith(f"{path}:{line}: travellers.groups[0].{field}: {message}"), str(problem)


def test_a_huge_party_is_refused_on_the_command_line_and_nothing_is_written(tmp_path: Path) -> None:
    path = write(tmp_path, small(party_size=1.0e300))
    done = tabletop("run", str(path), "--out", str(tmp_path / "run"), "--no-plots")
    assert done.returncode == 2, done.stderr
    assert "travellers.groups[0].party_size: the number must be at most 1e9 in size" in done.stderr
    assert not (tmp_path / "run").exists()


def test_a_heavy_tailed_party_keeps_finite_counts() -> None:
    # Today: 1e300 people overflowed int64 (companions_stopped -1.8e20); now the draws stop at DRAW_LIMIT.
    data = small(party_size={"dist": "lognormal", "median": 2, "sigma": 300})
    result = run_one(build(data), 5)
    sizes = [row["party_size"] for row in result.travellers]
    assert all(isinstance(s, int) and 1 <= s <= DRAW_LIMIT for s in sizes)
    assert max(sizes) == DRAW_LIMIT, "some draws overflow, and are clipped to the limit"
    stopped, not_stopped = result.summary["companions_stopped"], result.summary["companions_not_stopped"]
    assert 0 <= stopped and 0 <= not_stopped
    assert stopped + not_stopped <= sum(s - 1 for s in sizes)


def test_instant_sharing_is_instant_even_with_an_overflowing_delay_law() -> None:
    # Today sigma: 1e300 was accepted and inf * 0 = nan delays made "late" misses under instant sharing.
    data = small(depart_day={"dist": "uniform", "low": 0, "high": 10})
    data["intelligence"][0]["learn_hours"] = {"dist": "uniform", "low": 0, "high": 96}
    data["sharing"]["links"][0]["delay_hours"] = {"dist": "lognormal", "median": 24, "sigma": 300}
    data["sharing"]["delay_scale"] = 0
    result = run_one(build(data), 5)
    assert result.summary["misses"]["late"] == 0
    assert all(r["delivered_hours"] == r["sent_hours"] for r in result.alerts if r["delivered_hours"] is not None)
    slow = copy.deepcopy(data)
    slow["sharing"]["delay_scale"] = 1
    assert run_one(build(slow), 5).summary["misses"]["late"] > 0, "the same law, not instant, is late"


def test_delay_scale_is_bounded_so_scaled_delays_stay_finite() -> None:
    data = small()
    data["sharing"]["delay_scale"] = 1e300
    with pytest.raises(ScenarioError, match="sharing.delay_scale: should be less than or equal to"):
        build(data)


# ---------------------------------------------------------------- verification times: never NaN or infinite


@pytest.mark.parametrize("value", [".nan", ".inf", "-1"])
def test_a_decisions_file_with_a_verify_time_that_is_not_finite_is_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / "decisions.yaml"
    path.write_text(f"agency: HUB\nseed: 2018\nverify_hours: {value}\ndecisions: []\n")
    with pytest.raises(ScenarioError) as caught:
        load_decisions(path, "HUB")
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3: verify_hours: must be a finite number of hours >= 0 (got {yaml.safe_load(value)})"
    ]


def test_decision_days_that_are_not_finite_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "decisions.yaml"
    path.write_text(
        "agency: HUB\nquit_day: .nan\norders:\n  - {day: 0, until_day: .inf, kind: alert, choice: act}\n"
        "decisions:\n  - {day: .nan, kind: alert, traveller: R-0001, alert: A-000001, choice: act}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_decisions(path, "HUB")
    where = sorted((p.line, p.path) for p in caught.value.problems)
    assert where == [(2, "quit_day"), (4, "orders[0].until_day"), (6, "decisions[0].day")]


def test_verify_hours_nan_on_the_command_line_exits_2_naming_the_option() -> None:
    done = tabletop("play", str(CORRIDOR), "--as", "HUB", "--verify-hours", "nan")
    assert done.returncode == 2
    assert "argument --verify-hours: a finite number of hours >= 0 (got 'nan')" in done.stderr


def test_a_player_with_a_nan_verify_time_is_refused_by_the_api(tmp_path: Path) -> None:
    import sim

    player = InteractivePlayer("HUB", verify_hours=math.nan, ask=lambda _: "", say=lambda _: None)
    with pytest.raises(ScenarioError, match="--verify-hours: must be a finite number of hours >= 0"):
        sim.play(load_scenario(CORRIDOR), player, out=tmp_path / "game", plots=False)
    assert not (tmp_path / "game").exists()


# ---------------------------------------------------------------- a decisions file's seed


def test_a_decisions_file_replays_on_its_own_seed(tmp_path: Path) -> None:
    import sim

    path = tmp_path / "decisions.yaml"
    path.write_text("agency: HUB\nseed: 7\ndecisions: []\n")
    player, _ = load_decisions(path, "HUB")
    played = sim.play(load_scenario(CORRIDOR), player, out=tmp_path / "game", plots=False)
    assert played.game.seed == 7, "the scenario's own seed is 2018; the game was recorded on 7"
    assert played.game.played.summary["seed"] == 7
    assert yaml.safe_load((tmp_path / "game" / "decisions.yaml").read_text())["seed"] == 7
    with pytest.raises(ScenarioError, match="the decisions were recorded on seed 7"):
        sim.play(load_scenario(CORRIDOR), player, seed=8, out=tmp_path / "other", plots=False)
    assert not (tmp_path / "other").exists()


def test_a_seed_that_contradicts_the_decisions_file_exits_2_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "decisions.yaml"
    path.write_text("agency: HUB\nseed: 7\ndecisions: []\n")
    done = tabletop("play", str(CORRIDOR), "--as", "HUB", "--decisions", str(path), "--seed", "8",
                    "--out", str(tmp_path / "game"), "--no-plots")  # fmt: skip
    assert done.returncode == 2
    assert f"{path}:2: seed: this game was played on seed 7, not --seed 8" in done.stderr
    assert not (tmp_path / "game").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("agency: HUB\nseed: -3\ndecisions: []\n")
    with pytest.raises(ScenarioError, match="seed: must be a whole number >= 0"):
        load_decisions(bad, "HUB")


# ---------------------------------------------------------------- rounding as the documents say


def test_party_sizes_round_halves_to_even() -> None:
    data = small()
    sizes = [0.5, 1.5, 2.5, {"dist": "choice", "values": [3.5]}, {"dist": "uniform", "low": 4.5, "high": 4.5}]
    data["travellers"]["count"] = 5
    data["travellers"]["groups"] = [
        {"name": f"g{k}", "share": 0.2, "route": ["CZN", "BRV"], "leg_hours": 48, "party_size": size}
        for k, size in enumerate(sizes)
    ]
    model = SharingModel(build(data), seed=1, collect_data=False)
    assert [t.party_size for t in model.travellers] == [1, 2, 2, 4, 4]


def test_group_shares_are_apportioned_on_the_decimals_as_written() -> None:
    # 50 x 0.29 is 14.499999999999998 in binary: 14 / 36 today. As written: 14.5 / 35.5, a tie, to the first.
    assert apportion(50, [0.29, 0.71]) == [15, 35]
    assert apportion(10, [0.25, 0.25, 0.5]) == [3, 2, 5], "the example of the format document"
    data = small()
    data["travellers"]["count"] = 50
    data["travellers"]["groups"] = [
        {"name": "first", "share": 0.29, "route": ["CZN", "BRV"], "leg_hours": 48},
        {"name": "second", "share": 0.71, "route": ["CZN", "BRV"], "leg_hours": 48},
    ]
    data["intelligence"][0]["covers"] = 0.29
    model = SharingModel(build(data), seed=1, collect_data=False)
    assert sum(t.group == "first" for t in model.travellers) == 15
    assert sum(kind == "learn" for _, kind, *_ in _events(model)) == 15, "covers 0.29 of 50 is 14.5: halves up"
    assert covered_count(0.29, 50) == 15 and covered_count(0.5, 3) == 2 and covered_count(0.1, 4) == 0


def _events(model: SharingModel) -> list[tuple[Any, ...]]:
    model.run()
    return model.event_log


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000_000), st.lists(st.integers(1, 10**6), min_size=1, max_size=6), st.floats(-1e-6, 1e-6))
def test_apportioned_counts_always_add_up(total: int, weights: list[int], error: float) -> None:
    shares = [w / sum(weights) for w in weights]
    shares[0] = min(1.0, max(0.0, shares[0] + error))  # validation lets the sum be 1 +- 1e-6
    counts = apportion(total, shares)
    assert sum(counts) == total and all(c >= 0 for c in counts)


# ---------------------------------------------------------------- the terminal


def point_with_links(*links: str) -> DecisionPoint:
    return DecisionPoint(kind="intelligence", time=5.0, traveller="R-0001", identifier="name", links=links,
                         default=Choice("share"))  # fmt: skip


@pytest.mark.parametrize("answer", ["0", "-1", "1 0", "3", "x"])
def test_the_link_chooser_takes_only_the_numbers_shown(answer: str) -> None:
    said: list[str] = []
    player = InteractivePlayer("HUB", ask=lambda _: answer, say=said.append)
    assert player._choose_links(point_with_links("HUB->A", "HUB->B")) is None
    assert said[-1] == "Use the numbers shown (1 to 2)."


def test_the_link_chooser_keeps_each_link_once() -> None:
    player = InteractivePlayer("HUB", ask=lambda _: "2, 2 1", say=lambda _: None)
    assert player._choose_links(point_with_links("HUB->A", "HUB->B")) == Choice("share", ("HUB->B", "HUB->A"))


def _closed_stdin() -> None:
    os.close(0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["play", str(CORRIDOR), "--as", "HUB", "--out", "TMP/game"],
         "play: standard input is closed: play asks its questions in a terminal; to play without one, replay "
         "recorded decisions with --decisions FILE"),
        (["new", "TMP/new.yaml"], "new: standard input is closed, so there is no one to ask: give --countries"),
    ],
)  # fmt: skip
def test_closed_standard_input_exits_2_with_a_clear_message(tmp_path: Path, args: list[str], message: str) -> None:
    # Today: sys.stdin is None, so sys.stdin.isatty() was an internal error (exit 1).
    done = tabletop(*[a.replace("TMP", str(tmp_path)) for a in args], preexec_fn=_closed_stdin)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert list(tmp_path.iterdir()) == [], "nothing is written"


def test_new_with_every_answer_given_needs_no_standard_input(tmp_path: Path) -> None:
    target = tmp_path / "new.yaml"
    done = tabletop("new", str(target), "--countries", "3", "--agencies-per-country", "1", "--sharing", "hub",
                    "--travellers", "20", "--days", "10", "--seed", "2", preexec_fn=_closed_stdin)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert target.is_file()


def test_msel_names_every_option_at_fault() -> None:
    done = tabletop("msel", str(CORRIDOR), "--start", "25:00", "--minutes-per-day", "nan")
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0].startswith("--start: write the start time as HH:MM")
    assert lines[1].startswith("--minutes-per-day: must be a positive number of minutes") and "(got nan)" in lines[1]
