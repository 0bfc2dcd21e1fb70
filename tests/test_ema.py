"""EMA Workbench on the model (`sim.experiments.ema`): the same runs as `tabletop sweep`, point by point.

EMA samples the uncertainties (a Latin hypercube) and runs the experiments on two
worker processes; `tabletop sweep` then runs a grid over the very values EMA used,
with the same master seed. Every EMA run (experiment, replication) must equal the
sweep's row at the same point and replication: the same seed, the same outputs.
"""

from __future__ import annotations

import csv
import math
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from builders import ROOT, SCENARIOS
from ema_workbench import MultiprocessingEvaluator, Sample, perform_experiments

from sim.errors import ScenarioError
from sim.experiments.ema import ema_model, ema_name, field_paths, runs_table, summary_keys
from sim.spec.seeds import replication_seeds

OUTPUTS = ["detection_rate", "misses.late", "median_hours_to_detection", "alerts.discarded"]
SEED = 2026
REPLICATIONS = 3
DELAY, TRAVELLERS, TRUST = "sharing.delay_scale", "travellers.count", "sharing.links[*].trust"


def short_scenario(folder: Path) -> Path:
    """The baseline corridor over 20 days with few travellers (a run takes about 10 ms)."""
    data = yaml.safe_load((SCENARIOS / "baseline-corridor.yaml").read_text(encoding="utf-8"))
    data["horizon_days"] = 20
    data["travellers"]["count"] = 60
    path = folder / "short.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def small_model(scenario: Path):
    return ema_model(
        scenario,
        uncertainties={DELAY: (0.0, 3.0), TRAVELLERS: {"low": 40, "high": 80, "integer": True}},
        levers={TRUST: [0.4, 1.0]},
        outcomes=OUTPUTS,
        replications=REPLICATIONS,
        seed=SEED,
    )


def cell(text: str) -> float:
    return math.nan if text == "" else float(text)


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def test_perform_experiments_on_two_processes_equals_tabletop_sweep(tmp_path: Path) -> None:
    scenario = short_scenario(tmp_path)
    model = small_model(scenario)
    policies = [
        Sample(name="guarded", sharing_links_all_trust=0.4),
        Sample(name="trusting", sharing_links_all_trust=1.0),
    ]
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        results = perform_experiments(
            model, scenarios=3, policies=policies, evaluator=evaluator, uncertainty_sampling_kwargs={"rng": 5}
        )
    experiments, outcomes = results
    assert len(experiments) == 3 * 2
    assert all(not np.ma.is_masked(outcomes[name]) for name in outcomes), "no EMA experiment failed"
    assert {name: values.shape for name, values in outcomes.items()} == {
        ema_name(key): (6, REPLICATIONS) for key in OUTPUTS
    }, "one value per experiment and replication, per outcome"
    ema_runs = runs_table(model, results)
    assert len(ema_runs) == 6 * REPLICATIONS

    # `tabletop sweep` on a grid over the values EMA sampled, with the same master seed.
    values = {path: sorted(set(ema_runs[path].tolist())) for path in (DELAY, TRAVELLERS, TRUST)}
    assert len(values[DELAY]) == 3 and values[TRUST] == [0.4, 1.0]
    sweep = {
        "scenario": scenario.name, "design": "grid", "replications": REPLICATIONS, "seed": SEED,
        "parameters": values, "outputs": OUTPUTS,
    }  # fmt: skip
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep, sort_keys=False), encoding="utf-8")
    out = tmp_path / "sweep"
    done = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--workers", "2", "--quiet", "--no-plots"],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with (out / "runs.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 * 3 * 2 * REPLICATIONS and not any(row["error"] for row in rows)
    by_point = {
        (float(r[DELAY]), int(r[TRAVELLERS]), float(r[TRUST]), int(r["replication"])): r for r in rows
    }  # fmt: skip

    seeds = replication_seeds(SEED, REPLICATIONS)
    assert [rep["seed"] for rep in model.replications] == seeds
    checked = 0
    for run in ema_runs.to_dict("records"):
        row = by_point[(run[DELAY], run[TRAVELLERS], run[TRUST], run["replication"])]
        assert int(row["seed"]) == run["seed"] == seeds[run["replication"]], "the sweep's seed of this replication"
        for key in OUTPUTS:
            assert same(cell(row[key]), run[key]), (key, row, run)
        checked += 1
    assert checked == 6 * REPLICATIONS
    assert len({run["detection_rate"] for run in ema_runs.to_dict("records")}) > 3, "the outputs vary"


def test_names_are_identifiers_and_map_back(tmp_path: Path) -> None:
    assert ema_name("sharing.links[HAL-INT->HAL-BRD].trust") == "sharing_links_HAL_INT_to_HAL_BRD_trust"
    assert ema_name("sharing.links[*].trust") == "sharing_links_all_trust"
    assert ema_name("intelligence[0].covers") == "intelligence_0_covers"
    assert ema_name("misses.late") == "misses_late"
    model = ema_model(
        short_scenario(tmp_path),
        uncertainties={"sharing.links[HAL-INT->HAL-BRD].trust": (0.2, 1.0), "intelligence[0].covers": (0.3, 0.9)},
        levers={"name": ["a", "b"], "sharing.links[*].trust": [0.5, 1.0]},
        outcomes=["misses.late", "detections_by_country.HAL"],
        replications=2,
    )
    paths = field_paths(model)
    assert all(name.isidentifier() for name in [*paths, *summary_keys(model)])
    assert paths["name_"] == "name", "a lever named like a model attribute (EMA would set it on the model) gets a _"
    assert set(paths.values()) == {
        "sharing.links[HAL-INT->HAL-BRD].trust", "intelligence[0].covers", "name", "sharing.links[*].trust",
    }  # fmt: skip
    assert summary_keys(model) == {
        "misses_late": "misses.late",
        "detections_by_country_HAL": "detections_by_country.HAL",
    }
    assert model.name == "tabletop"
    # The default master seed is the scenario's, as for a sweep.
    assert [r["seed"] for r in model.replications] == replication_seeds(4101, 2)

    # The model pickles (EMA's workers get a copy), and the copy's function gives the same run.
    copy = pickle.loads(pickle.dumps(model))
    point = {"sharing.links[*].trust": 0.5, "intelligence[0].covers": 0.6, "seed": 11}
    assert copy.function(**point) == model.function(**point)


def test_problems_are_listed_before_any_run(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        ema_model(
            short_scenario(tmp_path),
            uncertainties={"sharing.delay_scale": (-1.0, 2.0), "sharing.links[NOPE->HUB].trust": (0.1, 0.9)},
            levers={"travellers.count": [100], "seed": [1, 2]},
            outcomes=["detected_rate", "scenario"],
            replications=0,
        )
    text = str(caught.value)
    for expected in (
        "uncertainties[sharing.delay_scale]: sharing.delay_scale: should be greater than or equal to 0",
        "uncertainties[sharing.links[NOPE->HUB].trust]: selects nothing in the scenario",
        "levers[travellers.count]: a list of levels needs two or more values",
        "levers[seed]: the replications set the seed",
        "outcomes[0]: no run reports this output (did you mean 'detection_rate'?)",
        "outcomes[1]: is text, not a number",
        "replications: should be a whole number, at least 1",
    ):
        assert expected in text, f"{expected!r} not in:\n{text}"


def test_only_the_adapter_imports_ema_workbench() -> None:
    """The package does not need EMA Workbench: only sim/experiments/ema.py imports it, and nothing imports that."""
    package = ROOT / "sim"
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path != package / "experiments" / "ema.py":
            assert "ema_workbench" not in text, path
            assert "experiments.ema " not in text and "experiments.ema\n" not in text, path
            assert "experiments import ema" not in text, path
