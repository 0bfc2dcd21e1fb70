"""The model under Mesa's own `mesa.batch_run` and Mesa's conventions: rng, steps, max_steps, the DataCollector.

Every test calls the real `mesa.batch_run` (Mesa 3.5), not a copy of it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from typing import Any

import mesa
import pytest
from sweep_helpers import BASELINE

from sim.engine.agents import AgencyAgent
from sim.engine.model import LIVE_OUTPUTS, SharingModel
from sim.engine.one_run import run_one
from sim.errors import ScenarioError
from sim.experiments.executors import LocalExecutor, process_context
from sim.spec.scenario import load_scenario
from sim.vocabulary import REPORTED_OUTPUTS

HORIZON = int(load_scenario(BASELINE).horizon_hours)


@pytest.fixture
def start_method_kept() -> Iterator[None]:
    """`mesa.batch_run` forces the global start method to spawn; put back what the test process had."""
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def _batch(parameters: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    return mesa.batch_run(
        SharingModel,
        parameters={"scenario": str(BASELINE), **parameters},
        number_processes=options.pop("number_processes", 1),
        display_progress=False,
        **options,
    )


def _small(travellers: int = 40) -> Any:
    return load_scenario(BASELINE, [f"travellers.count={travellers}"])


def test_batch_run_gives_the_same_outputs_as_run_one(start_method_kept: None) -> None:
    results = _batch(
        {"delay_scale": [0.0, 2.0], "sharing.links[HAL-INT->HAL-BRD].trust": [0.5], "travellers": 80},
        rng=[3, 4],
        max_steps=HORIZON,
    )

    agencies = len(load_scenario(BASELINE).agencies)
    assert len(results) == 2 * 2 * agencies, "two delay scales x two seeds, one row per agency (at the last step)"
    assert all("rng" in row and "seed" not in row for row in results), "the seed is in Mesa's column, rng"
    assert {row["Step"] for row in results} == {HORIZON}, "each run went to its horizon, collected there"
    for row in results:
        assert set(REPORTED_OUTPUTS) <= set(row), "every reported output is a column"
        scenario = load_scenario(
            BASELINE,
            [
                f"sharing.delay_scale={row['delay_scale']}",
                "sharing.links[HAL-INT->HAL-BRD].trust=0.5",
                "travellers.count=80",
            ],
        )
        summary = run_one(scenario, seed=row["rng"], tables=False).summary
        assert row["detection_rate"] == summary["detection_rate"], "batch_run and run_one agree run for run"
        assert row["misses.late"] == summary["misses"]["late"]
        assert summary["detections_by_agency"].get(row["agency"], 0) == row["detections"], "agency rows add up"
    instant = [r for r in results if r["delay_scale"] == 0.0]
    assert all(r["misses.late"] == 0 for r in instant), "no alert is late when sharing is instant"


def test_max_steps_stops_a_run_after_that_many_hours(start_method_kept: None) -> None:
    results = _batch({"travellers": 60}, rng=[1], max_steps=300)

    assert {row["Step"] for row in results} == {300.0}, "stopped at hour 300, collected there"
    row = results[0]
    reference = SharingModel(_small(60), rng=1)
    reference.run_until(300)
    assert reference.steps == 300 and reference.running, "300 steps, the run not over"
    assert row["detected"] == reference.travellers_detected and row["crossed"] == reference.travellers_crossed
    unknown = set(REPORTED_OUTPUTS) - set(LIVE_OUTPUTS)
    assert all(row[name] is None for name in unknown), "outputs needing the whole run are None before its end"


def test_data_collection_period_picks_the_steps_collected(start_method_kept: None) -> None:
    every = _batch({"travellers": 30}, rng=[2], max_steps=24, data_collection_period=1)
    sixth = _batch({"travellers": 30}, rng=[2], max_steps=24, data_collection_period=6)

    agencies = len(load_scenario(BASELINE).agencies)
    assert sorted({row["Step"] for row in every}) == list(range(25)), "a row set at the start and after each hour"
    assert len(every) == 25 * agencies, "one row per agency and step"
    assert sorted({row["Step"] for row in sixth}) == [0, 6, 12, 18, 24]
    by_step = {(row["Step"], row["AgentID"]): row for row in every}
    assert all(by_step[(row["Step"], row["AgentID"])] == row for row in sixth), "the same rows, fewer of them"
    crossed = [by_step[(step, 1)]["crossed"] for step in range(25)]
    assert crossed == sorted(crossed), "a count so far never goes down"


def test_step_counts_hours_as_mesa_does_and_the_run_is_unchanged() -> None:
    scenario = _small()
    model = SharingModel(scenario, rng=5)
    assert model.steps == 0 and model.time == 0.0
    for _ in range(10):
        model.step()
    assert model.steps == 10 and model.time == 10.0, "step() is one hour and counts"
    model.run_until(12.5)
    assert model.steps == 12 and model.time == 12.5, "whole hours passed are steps, a part hour is not"
    model.step()
    assert model.steps == 13 and model.time == 13.5, "Mesa's step: one hour on, one step boundary passed"
    model.run_for(10**6)
    assert model.time == model.horizon and model.steps == HORIZON and not model.running
    model.step()
    assert model.steps == HORIZON and model.time == model.horizon, "nothing moves after the horizon"

    plain = SharingModel(scenario, rng=5, collect_data=False).run()
    assert plain.datacollector is None and plain.steps == HORIZON
    assert model.event_log == plain.event_log, "stepping and collecting leave the run itself unchanged"
    summary = run_one(scenario, seed=5, tables=False).summary
    assert model.outputs()["detection_rate"] == summary["detection_rate"]
    assert (model.travellers_crossed, model.travellers_detected) == (summary["crossed"], summary["detected"])
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == HORIZON + 1 and frame["detected"].iloc[-1] == summary["detected"], "a row per step"


def test_a_user_can_attach_their_own_collector() -> None:
    model = SharingModel(_small(), rng=1)
    model.datacollector = mesa.DataCollector(
        model_reporters={"alerts": lambda m: len(m.messages)},
        agenttype_reporters={AgencyAgent: {"watchlisted": "watchlisted"}},
    )
    for _ in range(48):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 48 and list(frame.columns) == ["alerts"], "the user's reporters, after each step"
    agencies = model.datacollector.get_agenttype_vars_dataframe(AgencyAgent)
    assert len(agencies) == 48 * len(model.agencies)
    model.datacollector = None
    model.run()
    assert not model.running, "a model without a collector runs on"


def test_rng_is_the_seed_and_seed_its_alias() -> None:
    scenario = _small()
    by_rng, by_seed = SharingModel(scenario, rng=7).run(), SharingModel(scenario, seed=7).run()
    assert by_rng.seed == by_seed.seed == 7 and by_rng.event_log == by_seed.event_log, "the same run"
    assert SharingModel(scenario, 7).seed == 7, "rng is also the second positional argument"
    assert SharingModel(scenario).seed == scenario.seed, "default: the scenario's seed"
    with pytest.raises(ValueError, match="not both"):
        SharingModel(scenario, rng=1, seed=2)
    with pytest.raises(TypeError, match="integer seed"):
        SharingModel(scenario, rng=mesa.Model().rng)
    model = SharingModel(scenario, rng=1)
    assert model.exercise is scenario and isinstance(model.scenario, mesa.experimental.scenarios.Scenario), (
        "the exercise is model.exercise; model.scenario stays Mesa's own object"
    )
    assert "model.exercise" in (SharingModel.__doc__ or "") and "model.scenario" in (SharingModel.__doc__ or "")


def _worker_parent(_: int) -> int:
    return os.getppid()


def _detected(seed: int) -> int:
    return run_one(_small(30), seed=seed, tables=False).summary["detected"]


def test_the_projects_executors_are_unaffected_by_batch_run(start_method_kept: None) -> None:
    with LocalExecutor(workers=1) as executor:
        before = sorted(done.value for done in executor.run(_detected, [1, 2]))

    _batch({"travellers": 20}, rng=[1, 2], max_steps=2, number_processes=2)
    assert multiprocessing.get_start_method() == "spawn", "batch_run forced spawn on the whole process"

    assert process_context().get_start_method() == "forkserver", "the executors name their own context"
    with LocalExecutor(workers=2) as executor:
        done = list(executor.run(_worker_parent, [0, 1]))
        after = sorted(d.value for d in executor.run(_detected, [1, 2]))
    assert all(d.error is None and d.value != os.getpid() for d in done), "workers come from the fork server"
    assert after == before == sorted([_detected(1), _detected(2)]), "the same results before, after and here"


def test_the_model_takes_a_scenario_object_with_keyword_parameters() -> None:
    scenario = load_scenario(BASELINE, ["travellers.count=50"])
    model = SharingModel(scenario, rng=1, trust=1.0)
    assert all(link.trust == 1.0 for link in model.links), "`trust` sets every link's trust"
    model.run()
    last = model.datacollector.get_model_vars_dataframe().iloc[-1]
    assert last["misses.not_trusted"] == 0, "fully trusted links discard nothing"
    same = load_scenario(BASELINE, ["travellers.count=50", "sharing.defaults.trust=1", "sharing.links[*].trust=1"])
    assert last["detected"] == run_one(same, seed=1).summary["detected"], "the same run as by field paths"


def test_a_bad_keyword_parameter_names_itself() -> None:
    with pytest.raises(ScenarioError) as caught:
        SharingModel(BASELINE, rng=1, **{"sharing.links[NOPE->X].trust": 0.5})
    assert "sharing.links[NOPE->X].trust" in str(caught.value) and "no item" in str(caught.value)
