"""The frontier of two outputs and the constrained pick: known answers on hand-made tables, the
validation of `frontier:` and `constraint:`, and frontier.png drawn from points.csv (redrawn identically)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from builders import ROOT, SCENARIOS
from sweep_helpers import write_sweep

from sim.debrief import sweep_figures as draw
from sim.errors import ScenarioError
from sim.experiments.frontier import constrained_pick, meets, non_dominated, wide_points
from sim.spec.sweep_file import load_sweep
from sim.spec.sweep_model import Constraint, parse_constraint, sweep_json_schema

UP, DOWN = "detection_rate", "wrongful_stops.total"


def hand_table() -> pd.DataFrame:
    """Points (detection mean, wrongful-stop mean, wrongful-stop interval) with a known frontier.

    0 and 1 have equal means on both (both kept); 2 ties 0 on stops but detects less; 4 ties 3 on
    detection but stops more; 6 stops one more than 5 for the same detection; 8 has no mean.
    """
    rows = [  # point, delay_scale, detection, stops, stops ci_low, stops ci_high
        (0, 1.0, 0.5, 10.0, 8.0, 12.0),
        (1, 0.0, 0.5, 10.0, 8.0, 12.0),
        (2, 0.0, 0.4, 10.0, 8.0, 12.0),
        (3, 0.0, 0.6, 20.0, 18.0, 22.0),  # mean 20 meets <=20, its upper bound 22 does not
        (4, 2.0, 0.6, 25.0, 23.0, 27.0),
        (5, 2.0, 0.3, 5.0, 4.0, 6.0),
        (6, 3.0, 0.3, 6.0, 5.0, 7.0),
        (7, 3.0, 0.7, 30.0, 28.0, 32.0),
        (8, 4.0, float("nan"), 1.0, 0.5, 1.5),
    ]
    long = []
    for point, scale, detection, stops, low, high in rows:
        common = {"point": point, "sharing.delay_scale": scale, "runs": 10, "sd": 1.0}
        long.append({**common, "output": UP, "mean": detection, "ci_low": detection - 0.01, "ci_high": detection + 0.01})
        long.append({**common, "output": DOWN, "mean": stops, "ci_low": low, "ci_high": high})
    return wide_points(pd.DataFrame(long), ["sharing.delay_scale"], [UP, DOWN])


def test_the_non_dominated_set_of_a_known_table_keeps_ties_and_drops_the_dominated() -> None:
    front = non_dominated(hand_table(), UP, DOWN)

    assert front == [5, 0, 1, 3, 7], "ordered by stops; equal means both kept; 2, 4, 6 dominated; 8 has no mean"


def test_a_point_is_dominated_only_by_one_at_least_as_good_on_both_and_better_on_one() -> None:
    table = hand_table()
    front = set(non_dominated(table, UP, DOWN))
    usable = table.dropna(subset=[UP, DOWN])
    for _, p in usable.iterrows():
        beaten = any(
            q[UP] >= p[UP] and q[DOWN] <= p[DOWN] and (q[UP] > p[UP] or q[DOWN] < p[DOWN]) for _, q in usable.iterrows()
        )
        assert (int(p["point"]) in front) is not beaten


def test_the_constraint_is_met_on_the_upper_bound_and_picks_the_most_detecting_fastest_point() -> None:
    table = hand_table()

    pick = constrained_pick(table, parse_constraint("wrongful_stops.total <= 20"), UP)

    assert pick == 1, "3 detects more but its upper bound (22) is over 20; 0 and 1 tie: 1 shares faster (scale 0)"
    assert constrained_pick(table, parse_constraint("wrongful_stops.total<=22"), UP) == 3
    assert constrained_pick(table, parse_constraint("wrongful_stops.total<=0.1"), UP) is None
    # A lower bound is met on the interval's lower end.
    assert constrained_pick(table, parse_constraint("wrongful_stops.total>=28"), UP) == 7
    row = table.set_index("point").loc[3].to_dict() | {"point": 3}
    assert not meets(row, Constraint(DOWN, ">=", 18.5)) and meets(row, Constraint(DOWN, ">=", 18.0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("wrongful_stops.total<20", "use <= or >="),
        ("wrongful_stops.total<=many", "the level must be a number"),
        ("wrongful stops <= 20", "write OUTPUT<=LEVEL"),
        ("wrongful_stops.total<=inf", "finite"),
    ],
)
def test_a_constraint_that_cannot_be_read_says_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_constraint(text)


def problems_of(path: Path, **kwargs) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path, **kwargs)
    return [str(p) for p in caught.value.problems]


def test_a_bad_frontier_or_constraint_is_reported_with_its_line_and_a_did_you_mean(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path,
        """\
        parameters:
          sharing.delay_scale: [0, 1]
        outputs: [detection_rate, misses.late]
        frontier: {maximise: detection_rat, minimise: wrongful_stops.total}
        constraint: misses.lat<=5
        """,
    )
    name = str(path)

    found = problems_of(path)

    assert any(line.startswith(f"{name}:5: frontier.maximise: must be one of the sweep's outputs (did you mean "
                               "'detection_rate'?)") for line in found), found  # fmt: skip
    assert any(line.startswith(f"{name}:5: frontier.minimise: must be one of the sweep's outputs") for line in found)
    assert any(line.startswith(f"{name}:6: constraint: must be one of the sweep's outputs (did you mean "
                               "'misses.late'?)") for line in found), found  # fmt: skip


def test_an_unknown_or_missing_frontier_field_and_the_same_output_twice_are_refused(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path,
        """\
        parameters:
          sharing.delay_scale: [0, 1]
        outputs: [detection_rate, misses.late]
        frontier: {maximize: detection_rate}
        """,
    )
    found = problems_of(path)
    assert any(":5: frontier.maximize: unknown field (did you mean 'maximise'?)" in line for line in found), found
    assert any(":5: frontier: needs minimise: one of the outputs" in line for line in found), found

    path.write_text(path.read_text().replace("{maximize: detection_rate}", "{maximise: misses.late, minimise: "
                                             "misses.late}"))  # fmt: skip
    assert any("frontier: maximise and minimise name the same output" in line for line in problems_of(path))
    path.write_text(path.read_text().replace("frontier:", "constraint: misses.late<3\nfrontier:"))
    assert any(":5: constraint: use <= or >=" in line for line in problems_of(path))


def test_the_command_line_constraint_replaces_the_files_and_is_written_in_sweep_yaml(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, "parameters:\n  sharing.delay_scale: [0, 1]\nconstraint: detection_rate>=0.1\n")
    assert load_sweep(path).constraint == Constraint("detection_rate", ">=", 0.1)

    sweep = load_sweep(path, constraint="late_share<=0.5")

    assert sweep.constraint == Constraint("late_share", "<=", 0.5)
    assert yaml.safe_load(sweep.to_yaml())["constraint"] == "late_share<=0.5"
    assert sweep.frontier is None, "no frontier unless asked or both default outputs are recorded"
    assert any("constraint: no run reports" in p or "must be one of the sweep's outputs" in p
               for p in problems_of(path, constraint="nothing<=1"))  # fmt: skip


def test_the_json_schema_has_frontier_and_constraint() -> None:
    properties = sweep_json_schema()["properties"]
    assert "frontier" in properties and "constraint" in properties
    frontier = str(properties["frontier"])
    assert "maximise" in str(sweep_json_schema()) and "minimise" in str(sweep_json_schema()), frontier


def test_the_frontier_defaults_to_detection_against_wrongful_stops(tmp_path: Path) -> None:
    shutil.copy(SCENARIOS / "act-or-verify.yaml", tmp_path / "act.yaml")
    path = tmp_path / "sweep.yaml"
    path.write_text("scenario: act.yaml\nparameters:\n  sharing.delay_scale: [0, 1]\n"
                    "outputs: [detection_rate, wrongful_stops.total]\n", encoding="utf-8")  # fmt: skip

    sweep = load_sweep(path)

    assert (sweep.frontier.maximise, sweep.frontier.minimise) == (UP, DOWN)


# ---------------------------------------------------------------- the figure, from points.csv


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """act-or-verify with 60 travellers: trust x verification on the partner's link, 2 replications."""
    import sim

    folder = tmp_path_factory.mktemp("frontier")
    shutil.copy(SCENARIOS / "act-or-verify-checked.yaml", folder / "act.yaml")
    (folder / "sweep.yaml").write_text(
        "scenario: act.yaml\nreplications: 2\nseed: 3\nparameters:\n  travellers.count: [60]\n"
        "  sharing.links[DRV-INT->DRV-BRD].trust: [0, 0.5, 1]\n  sharing.delay_scale: [0, 2]\n"
        "outputs: [detection_rate, wrongful_stops.total]\nconstraint: wrongful_stops.total<=8\n",
        encoding="utf-8",
    )
    sim.sweep(folder / "sweep.yaml", out=folder / "out", workers=1, progress=False)
    return folder / "out"


def test_the_frontier_figure_plots_the_means_of_points_csv(tiny_sweep: Path) -> None:
    points = pd.read_csv(tiny_sweep / "points.csv")
    paths = ["travellers.count", "sharing.links[DRV-INT->DRV-BRD].trust", "sharing.delay_scale"]
    wide = wide_points(points, paths, [UP, DOWN])
    front = non_dominated(wide, UP, DOWN)

    fig = draw.frontier_plot(wide, paths, UP, DOWN, front)

    ax = fig.axes[0]
    joined = [line for line in ax.lines if line.get_linestyle() == "-" and len(line.get_xdata()) == len(front)]
    expected = wide.set_index("point").loc[front]
    assert len(front) > 1 and joined, "the non-dominated points are joined"
    np.testing.assert_allclose(joined[0].get_xdata(), expected[DOWN])
    np.testing.assert_allclose(joined[0].get_ydata(), expected[UP])
    labels = [t.get_text() for t in ax.texts]
    assert all("travellers" not in t for t in labels), "a parameter with one value labels nothing"
    assert any("trust" in t and "delay scale" in t for t in labels), labels


def test_the_report_names_the_non_dominated_policies_and_the_pick(tiny_sweep: Path) -> None:
    html = (tiny_sweep / "report.html").read_text(encoding="utf-8")
    assert (tiny_sweep / "figures" / "frontier.png").is_file()
    assert "non-dominated" in html and "Decided on the means alone" in html
    assert "The best policy with wrongful stops at most 8" in html
    assert "upper end of its 95% interval" in html


def test_tabletop_report_redraws_the_frontier_identically(tiny_sweep: Path) -> None:
    before = (tiny_sweep / "figures" / "frontier.png").read_bytes()
    (tiny_sweep / "figures" / "frontier.png").unlink()

    done = subprocess.run([sys.executable, "-m", "sim", "report", str(tiny_sweep)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert (tiny_sweep / "figures" / "frontier.png").read_bytes() == before


def test_the_command_line_constraint_is_checked_before_any_run(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, "parameters:\n  sharing.delay_scale: [0, 1]\n")

    done = subprocess.run([sys.executable, "-m", "sim", "sweep", str(path), "--constraint", "detection_rat>=0.2",
                           "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert "constraint: must be one of the sweep's outputs (did you mean 'detection_rate'?)" in done.stderr
    assert done.stderr.startswith("--constraint: "), "the option is to blame, not a line of the file"
    assert not (tmp_path / "out").exists()
