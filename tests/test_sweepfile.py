"""The sweep file: validation (every problem, with its line), designs and seeds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from builders import ROOT
from sweep_helpers import write_sweep

from sim.errors import ScenarioError
from sim.spec.seeds import replication_seeds
from sim.spec.sweep_file import load_sweep

SHIPPED = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    return [str(p) for p in caught.value.problems]


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path,
        """\
        design: grdi
        replications: 0
        seed: 7
        parameters:
          sharing.delay_scale: [0, 1, -2]
          sharing.defaults.trust: {low: 0.2, high: 1.5, steps: 5}
          sharing.links[NOPE->HUB].trust: [0.5]
          travellers.count: {low: 10, high: 20}
        outputs: [detection_rate, detected_rate, misses]
        colour: blue
        """,
    )

    found = problems_of(path)

    name = str(path)
    expected = [
        f"{name}:2: design: unknown design (did you mean 'grid'?); use one of grid, lhs, sobol (got grdi)",
        f"{name}:3: replications: must be at least 1 (got 0)",
        f"{name}:6: parameters[sharing.delay_scale][2]: sharing.delay_scale: should be greater than or equal to 0 (got -2)",
        f"{name}:7: parameters[sharing.defaults.trust]: sharing.defaults.trust: should be less than or equal to 1 "
        "(got sharing.defaults.trust=1.5)",
        f"{name}:8: parameters[sharing.links[NOPE->HUB].trust]: selects nothing in the scenario: no item of "
        "sharing.links matches [NOPE->HUB]",
        f"{name}:9: parameters[travellers.count]: a range in a grid design needs steps",
        f"{name}:10: outputs[1]: no run reports this output (did you mean 'detection_rate'?) (got detected_rate)",
        f"{name}:10: outputs[2]: is a group of outputs; name one, e.g. misses.no_intel",
        f"{name}:11: colour: unknown field",
    ]
    for want in expected:
        assert any(line.startswith(want) for line in found), (
            f"expected a problem starting {want!r}; got:\n" + "\n".join(found)
        )


def test_a_value_that_is_not_a_whole_number_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path,
        """\
        design: lhs
        samples: 8
        parameters:
          travellers.count: {low: 10, high: 20}
        """,
    )
    found = problems_of(path)
    assert any(":5: parameters[travellers.count]" in line and "add integer: true" in line for line in found), (
        "a range over a whole-number field without `integer: true` is refused at its line, with the fix; got:\n"
        + "\n".join(found)
    )


def test_validate_accepts_sweep_files_and_reports_their_problems(tmp_path: Path) -> None:
    good = write_sweep(tmp_path, "parameters:\n  sharing.delay_scale: [0.5, 1]\n", name="good.yaml")
    bad = write_sweep(tmp_path, "parameters:\n  sharing.delay_scale: [0.5, 1]\nsamples: 4\n", name="bad.yaml")

    done = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(good), str(bad), *map(str, SHIPPED)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert done.returncode == 2, "one file with a problem makes validate exit 2"
    assert f"{good}: ok (sweep: grid design over 1 parameter, 2 points x 10 replications = 20 runs)" in done.stdout
    assert f"{bad}:4: samples: a grid design takes every combination" in done.stderr, done.stderr
    for shipped in SHIPPED:
        assert f"{shipped}: ok (sweep:" in done.stdout, f"the shipped sweep {shipped.name} validates:\n{done.stderr}"


def test_a_missing_scenario_names_the_sweep_file_line(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text("scenario: nowhere.yaml\nparameters:\n  sharing.delay_scale: [1]\n", encoding="utf-8")
    found = problems_of(path)
    assert found[0].startswith(f"{path}:1: scenario: no such file"), found


def test_grid_points_are_every_combination_in_order(tmp_path: Path) -> None:
    sweep = load_sweep(
        write_sweep(
            tmp_path,
            """\
            replications: 3
            parameters:
              sharing.delay_scale: [0, 2]
              sharing.links[*].trust: {low: 0.2, high: 1.0, steps: 5}
            """,
        )
    )
    points = sweep.points()
    assert len(points) == 10 and sweep.runs == 30, "2 x 5 levels, 3 replications"
    assert [p["sharing.links[*].trust"] for p in points[:5]] == [0.2, 0.4, 0.6, 0.8, 1.0], "steps without float dust"
    assert points[0]["sharing.delay_scale"] == 0 and points[5]["sharing.delay_scale"] == 2, "first parameter slowest"


def test_lhs_points_stratify_each_range_and_are_reproducible(tmp_path: Path) -> None:
    body = """\
        design: lhs
        samples: 20
        seed: 3
        parameters:
          sharing.delay_scale: {low: 0, high: 4}
          sharing.defaults.trust: {low: 0.2, high: 1.0}
        """
    first = load_sweep(write_sweep(tmp_path, body)).points()
    again = load_sweep(write_sweep(tmp_path, body)).points()
    assert first == again, "the same sweep file gives the same design"
    scales = sorted(p["sharing.delay_scale"] for p in first)
    # Latin hypercube: exactly one point in each of the 20 equal slices of the range.
    assert [int(s / 4 * 20) for s in scales] == list(range(20)), scales


def test_replication_seeds_are_stable_and_distinct() -> None:
    seeds = replication_seeds(7, 5)
    assert len(set(seeds)) == 5, "replications have distinct seeds"
    assert replication_seeds(7, 8)[:5] == seeds, "adding replications keeps the seeds of the earlier ones"
    assert replication_seeds(8, 5) != seeds, "another master seed gives other seeds"
    assert all(0 <= s < 2**63 for s in seeds)
