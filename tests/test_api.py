"""The Python API that notebooks use."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import SCENARIOS

import sim

BASELINE = SCENARIOS / "baseline-corridor.yaml"


def test_import_sim_does_not_import_mesa() -> None:
    import subprocess
    import sys

    code = "import sys, sim; sim.load_scenario; print('mesa' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", "import sim stays light; the model loads on first use"


def test_vary_changes_only_the_named_fields() -> None:
    scenario = sim.load_scenario(BASELINE)
    varied = sim.vary(scenario, {"sharing.delay_scale": 0.25, "sharing.links[*].trust": 1.0})
    assert varied.sharing.delay_scale == 0.25 and all(link.trust == 1.0 for link in varied.sharing.links)
    assert scenario.sharing.delay_scale == 1.0, "the original is unchanged"
    with pytest.raises(sim.ScenarioError, match="no item of agencies matches"):
        sim.vary(scenario, {"agencies[NOPE].kind": "border"})
    with pytest.raises(sim.ScenarioError, match="delay_scale"):
        sim.vary(scenario, {"sharing.delay_scale": -1})


def test_run_returns_tables_and_writes_a_folder_when_asked(tmp_path: Path) -> None:
    result = sim.run(BASELINE, seed=3, out=tmp_path / "run", plots=False)
    frames = sim.tables(result)
    assert len(frames["travellers"]) == result.summary["travellers"]
    assert (frames["travellers"]["outcome"] == "detected").sum() == result.summary["detected"]
    assert (tmp_path / "run" / "summary.json").is_file() and (tmp_path / "run" / "report.html").is_file()
    assert sim.run(BASELINE, seed=3).summary == result.summary


def test_compare_through_the_api_is_paired() -> None:
    scenario = sim.load_scenario(BASELINE)
    same = sim.compare(scenario, scenario, replications=3, workers=1)
    assert same.statistics()["detection_rate"]["diff"] == 0


def test_the_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from builders import ROOT

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## From Python\n\n```python\n(.*?)```", readme, re.S)
    assert block, "the README has a Python example"
    (tmp_path / "scenarios").symlink_to(SCENARIOS, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)  # as it is: small work runs in this process
    assert namespace["comparison"].statistics()["detection_rate"]["diff"] > 0, "faster sharing detects more"
    assert sim.load_scenario(tmp_path / "results" / "faster.yaml").raw == namespace["faster"].raw


def test_sweep_from_a_mapping_built_in_code(tmp_path: Path) -> None:
    from sim.spec.yaml_files import dump_yaml

    small = sim.vary(BASELINE, {"travellers.count": 40})
    scenario_file = tmp_path / "small.yaml"
    scenario_file.write_text(dump_yaml(small.raw), encoding="utf-8")
    design = {
        "scenario": scenario_file,  # a Path is taken as well as text
        "replications": 2,
        "seed": 5,
        "parameters": {"sharing.delay_scale": [0, 2]},
        "outputs": ["detection_rate"],
    }
    outcome = sim.sweep(design, out=tmp_path / "sweep", workers=1, plots=False)
    assert (outcome.runs, outcome.done, outcome.failed) == (4, 4, 0)
    assert (outcome.folder / "points.csv").is_file()
    from sim.spec.sweep_file import load_sweep

    again = sim.sweep(load_sweep(outcome.folder / "sweep.yaml"), out=tmp_path / "again", workers=1, plots=False)
    assert (again.folder / "runs.csv").read_text().splitlines()[1:] == (outcome.folder / "runs.csv").read_text().splitlines()[1:]
    with pytest.raises(sim.ScenarioError, match="selects nothing"):
        sim.sweep({**design, "parameters": {"sharing.links[NOPE->HUB].trust": [1]}}, out=tmp_path / "bad")
    assert not (tmp_path / "bad").exists(), "nothing is written for a sweep with problems"


def test_sim_compare_stays_the_function_after_its_module_is_imported() -> None:
    scenario = sim.load_scenario(BASELINE)
    for _ in range(2):  # a notebook cell run twice
        assert callable(sim.compare), "sim.compare is the API function, not a module"
        assert sim.compare(scenario, scenario, replications=1, workers=1).statistics()["late_share"]["diff"] == 0


def test_no_module_of_the_package_hides_an_api_name() -> None:
    # Importing sim/NAME.py makes the module the attribute sim.NAME, in place of the function
    # that sim.NAME resolves to on first use: sim.NAME(...) then fails with "'module' object is not callable".
    folder = Path(sim.__file__).parent
    hidden = sorted(name for name in sim.__all__ if (folder / f"{name}.py").exists() or (folder / name).is_dir())
    assert not hidden, f"rename these modules, they hide sim.{hidden[0]}: {hidden}"
