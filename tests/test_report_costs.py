"""The debrief of the cost of sharing, on scenarios whose answer is known.

Every figure and sentence about wrongful stops and adaptive trust is checked on a
tiny scenario built so that the answer is known in advance: all wrongful stops
are namesakes of name-only entries at one border, from one link; or every alert
of an adaptive link is refuted. The figures are checked through the table
functions that feed them (`stops_by`, `trust_paths`), not through pixels.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from builders import build, one_link_data

from sim.debrief.html_page import escape
from sim.debrief.run_figures import RUN_FIGURES, stops_title, trust_title
from sim.debrief.run_report import debrief, findings, wrongful_stop_findings
from sim.debrief.run_tables import STOP_KINDS, RunTables, chain_stages, stops_by, stops_table, trust_paths
from sim.engine.one_run import run_one, write_run_folder

LINK = "ALD-INT → BRV-BRD"


def namesake_data() -> dict[str, Any]:
    """One link ALD-INT -> BRV-BRD carrying names only; ordinary travellers at BRV match a name often."""
    data = one_link_data(travellers=300, identifier="name", trust=0.7, covers=0.8)
    data["population"] = {"crossings_per_day": 2000}
    border = next(a for a in data["agencies"] if a["id"] == "BRV-BRD")
    border["false_match"] = {"name": 2.0e-4, "document": 0.0, "biometric": 0.0}
    return data


def refuted_data() -> dict[str, Any]:
    """Half the leads wrong, nobody can be stopped, verification refutes every wrong alert (docs/model.md 3.12b)."""
    data = one_link_data(travellers=300, screening=0.0, verify_hours=4.0)
    data["intelligence"][0]["precision"] = 0.5
    data["sharing"]["links"][0]["trust"] = {"adaptive": True, "prior": 0.8, "strength": 5.0}
    data["sharing"]["defaults"]["verify_catches"] = 1.0
    return data


def folder_of(data: dict[str, Any], path: Path, seed: int = 3) -> RunTables:
    scenario = build(data)
    result = run_one(scenario, seed)
    write_run_folder(result, scenario, path)
    debrief(path, scenario, seed)
    plt.close("all")
    return RunTables.from_folder(path)


@pytest.fixture(scope="module")
def namesakes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunTables]:
    path = tmp_path_factory.mktemp("namesakes")
    return path, folder_of(namesake_data(), path)


@pytest.fixture(scope="module")
def refuted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunTables]:
    path = tmp_path_factory.mktemp("refuted")
    return path, folder_of(refuted_data(), path)


def test_the_namesake_scenario_is_what_it_says(namesakes: tuple[Path, RunTables]) -> None:
    _, tables = namesakes
    stops = tables.wrongful_stops
    assert stops is not None and len(stops) > 20, "enough namesakes to count"
    assert set(stops["kind"]) == {"ordinary"} and set(stops["identifier"]) == {"name"}
    assert set(stops["agency"]) == {"BRV-BRD"} and set(stops["sender"]) == {"ALD-INT"}


def test_the_stops_figure_counts_each_side_at_each_border_and_identifier(namesakes: tuple[Path, RunTables]) -> None:
    _, tables = namesakes
    n, detected = len(tables.wrongful_stops), tables.summary["detected"]
    by_agency = stops_by(tables, "agency")
    assert list(by_agency.columns) == list(STOP_KINDS)
    assert by_agency.loc["BRV-BRD"].to_dict() == {"of_interest": detected, "ordinary": n, "innocent_subject": 0,
                                                  "pnr": 0}  # fmt: skip
    assert list(by_agency.index) == ["BRV-BRD"], "every border agency, and only those"
    by_identifier = stops_by(tables, "identifier")
    assert by_identifier.loc["name"].to_dict() == {"of_interest": detected, "ordinary": n, "innocent_subject": 0,
                                                   "pnr": 0}  # fmt: skip
    assert stops_table(tables)["stops"].sum() == detected + n == tables.summary["wrongful_stops"]["total"] + detected
    title = stops_title(tables)
    assert f"{detected:,} persons of interest stopped, and {n:,} innocent people" in title
    assert "all at BRV-BRD" in title


def test_the_finding_names_the_link_the_border_and_the_identifier(namesakes: tuple[Path, RunTables]) -> None:
    _, tables = namesakes
    n = len(tables.wrongful_stops)
    found = wrongful_stop_findings(tables)
    assert [f.text for f in found] == [
        f"Acting on alerts from ALD-INT, BRV-BRD stopped {n:,} innocent people (all namesakes of name-only entries)."
    ]
    assert found[0].agency == "BRV-BRD"
    assert "stronger identifiers than name" in found[0].action and "Cost:" in found[0].action


def test_the_overview_puts_both_sides_side_by_side(namesakes: tuple[Path, RunTables]) -> None:
    path, tables = namesakes
    n, detected = len(tables.wrongful_stops), tables.summary["detected"]
    text = (path / "report.html").read_text(encoding="utf-8")
    overview = text[text.index("<h2>Overview</h2>") : text.index("<h2>Findings</h2>")]
    assert f"Both sides: {detected:,} persons of interest stopped, and {n:,} innocent people stopped wrongly" in overview
    row = f'<tr><td class="">BRV-BRD</td><td class="num">{detected}</td><td class="num">{n}</td><td class="num">{n}</td>'
    assert row + '<td class="num">0</td><td class="num">0</td></tr>' in overview, "border, both sides, then by kind"


def test_the_plan_says_what_more_trust_costs(namesakes: tuple[Path, RunTables]) -> None:
    path, tables = namesakes
    n = len(tables.wrongful_stops)
    trusted = [f for f in findings(tables) if "did not trust" in f.text]
    assert trusted, "trust 0.7: some alerts were not trusted"
    assert f"Cost: alerts over {LINK} already stopped {n:,} innocent people; more trust would stop more" in (
        trusted[0].action
    )
    plan = (path / "report.html").read_text(encoding="utf-8").split("<h2>Improvement plan</h2>")[1]
    assert escape(f"Cost: alerts over {LINK} already stopped {n:,} innocent people") in plan


def test_the_trust_figure_follows_every_refutation(refuted: tuple[Path, RunTables]) -> None:
    _, tables = refuted
    paths = trust_paths(tables)
    assert list(paths) == ["ALD-INT->BRV-BRD"]
    rows = paths["ALD-INT->BRV-BRD"]
    r = len(rows) - 1
    assert r > 10 and r == tables.summary["alerts"]["refuted"]
    assert rows["refuted_here"].tolist() == [False] + [True] * r, "every change is a refutation: each marked"
    assert rows["trust"].tolist() == pytest.approx([0.8 * 5 / (5 + k) for k in range(r + 1)], abs=1e-6)
    final = 0.8 * 5 / (5 + r)
    assert trust_title(paths).startswith(f"Trust on {LINK} fell from 0.80 to {final:.2f}: {r} refuted, 0 confirmed")


def test_the_figures_are_drawn_only_where_they_apply(
    namesakes: tuple[Path, RunTables], refuted: tuple[Path, RunTables], tmp_path: Path
) -> None:
    drawn = {p.stem for p in (namesakes[0] / "figures").glob("*.png")}
    assert "stops" in drawn and "trust" not in drawn, "no adaptive link: no trust figure"
    assert {"stops", "trust"} <= {p.stem for p in (refuted[0] / "figures").glob("*.png")}
    plain = folder_of(one_link_data(travellers=50), tmp_path)
    assert plain.wrongful_stops is None and "wrongful_stops" not in plain.summary
    assert {p.stem for p in (tmp_path / "figures").glob("*.png")} == {
        e.name for e in RUN_FIGURES if e.applies is None
    }, "a run without the cost of sharing draws the figures it drew before"
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Both sides" not in text and "Cost:" not in text


def test_the_chain_shows_expired_only_when_the_summary_has_it() -> None:
    base = {"crossed": 10, "detected": 4, "misses": {"no_intel": 1, "not_shared": 1, "late": 1, "not_trusted": 1,
            "screening_miss": 2}}  # fmt: skip
    assert "Entry still kept (not expired)" not in [s[0] for s in chain_stages(base)]
    kept = copy.deepcopy(base)
    kept["misses"]["expired"] = 0
    stages = chain_stages(kept)
    assert [s[0] for s in stages][5:] == ["Entry still kept (not expired)", "Detected at the border"]
    assert [s[1] for s in stages] == [10, 9, 8, 7, 6, 6, 4]
    from sim.debrief.run_figures import chain_figure

    for summary, shown in ((base, False), (kept, True)):
        labels = [t.get_text() for t in chain_figure(summary).axes[0].get_yticklabels()]
        assert ("Entry still kept (not expired)" in labels) == shown, labels
    plt.close("all")


def test_findings_count_each_kind_of_a_mixed_link() -> None:
    tables = RunTables(
        summary={"wrongful_stops": {"total": 3}, "crossed": 0, "detected": 0, "misses": {}, "alerts": {"lost": 0}},
        travellers=pd.DataFrame({"outcome": [], "detected_by": [], "identifier": []}),
        alerts=pd.DataFrame({"alert": ["A1"], "from": ["X"], "to": ["B"], "fate": ["accepted"], "path": ["X>B"],
                             "origin": ["X"]}),  # fmt: skip
        events=pd.DataFrame(), timeseries=pd.DataFrame(), crossings=pd.DataFrame(),
        scenario=build(one_link_data(travellers=1)),
        wrongful_stops=pd.DataFrame({"time_hours": [1.0, 2.0, 3.0], "country": ["BRV"] * 3, "agency": ["B"] * 3,
                                     "identifier": ["name", "name", "document"],
                                     "kind": ["ordinary", "ordinary", "innocent_subject"],
                                     "traveller": ["T1", "T2", "T3"], "alert": ["A1"] * 3, "sender": ["X"] * 3}),
    )  # fmt: skip
    assert [f.text for f in wrongful_stop_findings(tables)] == [
        "Acting on alerts from X, B stopped 3 innocent people (2 of them namesakes of name-only entries; "
        "1 subject of wrong leads matched by document)."
    ]


def test_the_readme_lists_every_run_figure() -> None:
    from builders import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## The debrief") :]
    for entry in RUN_FIGURES:
        assert f"| `{entry.name}.png` |" in table, f"{entry.name}.png is missing from the README's figure table"


def test_report_refuses_a_cost_table_without_its_columns(namesakes: tuple[Path, RunTables], tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from builders import ROOT

    folder = tmp_path / "run"
    shutil.copytree(namesakes[0], folder)
    (folder / "complete.json").unlink(missing_ok=True)  # an earlier version's folder: checked table by table
    path = folder / "wrongful_stops.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",sender", ",sendr", 1), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sim", "report", str(folder)], capture_output=True, text=True,
                          cwd=ROOT)  # fmt: skip
    assert done.returncode == 2 and "wrongful_stops.csv:1" in done.stderr and "missing: sender" in done.stderr
