"""The design registry: every design has every part; the spec layer stands without the engine."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from builders import ROOT

from sim.debrief.sweep_report import FIGURE_KINDS, REPORT_SECTIONS
from sim.spec.designs import DEFAULT_DESIGN, DESIGNS, Design, SampledDesign
from sim.spec.outputs import SUMMARY_OUTPUTS, flatten_summary
from sim.spec.sweep_model import sweep_json_schema

SHIPPED = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_every_registered_design_has_every_part(name: str) -> None:
    design = DESIGNS[name]
    assert isinstance(design, Design) and design.name == name, "registered under its own name"
    assert not inspect.isabstract(type(design)), f"{name} implements points (and unit_sample when it samples)"
    assert design.figures and all(kind in FIGURE_KINDS for kind in design.figures), (
        f"{name} names figure kinds the report draws: {design.figures}"
    )
    assert all(section in REPORT_SECTIONS for section in design.report_sections), design.report_sections
    assert not design.takes_samples or design.samples_meaning, f"{name} says what its samples count"
    assert design.takes_samples == isinstance(design, SampledDesign), "a design takes samples if and only if it samples"
    assert callable(design.analysis) and callable(design.samples_problem)
    assert DEFAULT_DESIGN in DESIGNS


def test_a_design_without_its_points_cannot_be_made() -> None:
    class Incomplete(Design):
        name = "incomplete"
        figures = ("scatter",)

    with pytest.raises(TypeError, match="points"):
        Incomplete()  # type: ignore[abstract]


def test_each_analysis_writes_the_tables_it_announces() -> None:
    class Info:
        outputs = ("y",)
        paths = ("a", "b")
        samples = 4
        second_order = False
        seed = 1

    for design in DESIGNS.values():
        tables = design.analysis([], Info())
        assert set(tables) == set(design.tables), f"{design.name}: {set(tables)} != {set(design.tables)}"


def test_the_schema_takes_the_shipped_sweep_files_and_refuses_a_bad_one() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = sweep_json_schema()
    assert set(schema["properties"]) == {
        "name", "description", "scenario", "design", "samples", "replications", "seed",
        "parameters", "outputs", "threshold", "frontier", "constraint", "second_order",
    }  # fmt: skip
    assert schema["properties"]["design"]["enum"] == list(DESIGNS)
    for path in SHIPPED:
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"scenario": "x.yaml", "parameters": {"a": {"low": 0, "high": 1}}, "colour": 1}, schema)
    json.dumps(schema)  # plain JSON


def test_the_output_catalogue_is_what_a_run_reports() -> None:
    from sim.engine.one_run import run_one
    from sim.spec.scenario import load_scenario, scenario_from_dict

    data = load_scenario(ROOT / "scenarios" / "baseline-corridor.yaml").raw
    data["travellers"]["count"] = 0
    summary = run_one(scenario_from_dict(data), seed=0, tables=False).summary
    assert tuple(flatten_summary(summary)) == SUMMARY_OUTPUTS, "sim.spec.outputs lists the summary's keys, in order"


def test_the_spec_layer_does_not_import_the_engine(tmp_path: Path) -> None:
    code = (
        "import sys, sim.spec.sweep_file, sim.spec.designs, sim.spec.outputs, sim.spec.seeds\n"
        "print([m for m in sys.modules if m.startswith(('sim.engine', 'sim.experiments', 'sim.debrief'))])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
