"""The model under Mesa's own `batch_run`: a scenario path plus keyword parameters, outputs in the DataCollector."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator

import pytest
from sweep_helpers import BASELINE

from sim.engine.model import SharingModel
from sim.engine.one_run import run_one
from sim.errors import ScenarioError
from sim.spec.scenario import load_scenario
from sim.vocabulary import REPORTED_OUTPUTS


@pytest.fixture
def start_method_kept() -> Iterator[None]:
    """`mesa.batch_run` forces the global start method to spawn; put back what the test process had."""
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def test_batch_run_gives_the_same_outputs_as_run_one(start_method_kept: None) -> None:
    import mesa

    results = mesa.batch_run(
        SharingModel,
        parameters={
            "scenario": str(BASELINE),
            "delay_scale": [0.0, 2.0],
            "sharing.links[HAL-INT->HAL-BRD].trust": [0.5],
            "travellers": 80,
        },
        rng=[3, 4],
        number_processes=1,
        display_progress=False,
    )

    assert len(results) == 2 * 2, "two delay scales x two seeds, one row each (collected when the run ends)"
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
        summary = run_one(scenario, seed=row["seed"], tables=False).summary
        assert row["detection_rate"] == summary["detection_rate"], "batch_run and run_one agree run for run"
        assert row["misses.late"] == summary["misses"]["late"]
    instant = [r for r in results if r["delay_scale"] == 0.0]
    assert all(r["misses.late"] == 0 for r in instant), "no alert is late when sharing is instant"


def test_the_model_takes_a_scenario_object_with_keyword_parameters() -> None:
    scenario = load_scenario(BASELINE, ["travellers.count=50"])
    model = SharingModel(scenario, seed=1, trust=1.0)
    assert all(link.trust == 1.0 for link in model.links), "`trust` sets every link's trust"
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 1 and frame["misses.not_trusted"].iloc[0] == 0, "fully trusted links discard nothing"
    same = load_scenario(BASELINE, ["travellers.count=50", "sharing.defaults.trust=1", "sharing.links[*].trust=1"])
    assert frame["detected"].iloc[0] == run_one(same, seed=1).summary["detected"], "the same run as by field paths"


def test_a_bad_keyword_parameter_names_itself() -> None:
    with pytest.raises(ScenarioError) as caught:
        SharingModel(BASELINE, seed=1, **{"sharing.links[NOPE->X].trust": 0.5})
    assert "sharing.links[NOPE->X].trust" in str(caught.value) and "no item" in str(caught.value)
