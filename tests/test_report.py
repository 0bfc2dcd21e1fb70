"""Debrief figures and the after-action report, for every shipped scenario."""

from __future__ import annotations

import html.parser
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from builders import ROOT, SCENARIOS

from sim import api
from sim.debrief.html_page import escape
from sim.debrief.run_figures import RUN_FIGURES
from sim.debrief.run_report import debrief
from sim.debrief.run_tables import SLOWEST_LINK_MEASURE, RunTables, chain_stages, slowest_link
from sim.engine.one_run import run_one, write_run_folder, write_run_metadata
from sim.spec.scenario import load_scenario
from sim.vocabulary import CAUSES

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
ADAPTIVE = (SCENARIOS / "act-or-verify-checked.yaml",
            ["sharing.defaults.trust={adaptive: true, prior: 0.8, strength: 5}"])  # fmt: skip
"""A shipped scenario with adaptive trust on every link (no shipped one has it): the trust figure is drawn."""
RUNS = [(path, []) for path in SHIPPED] + [ADAPTIVE]


def drawn(folder: Path) -> list[str]:
    """The figures that apply to a run folder (a cost figure only where the run models the cost of sharing)."""
    tables = RunTables.from_folder(folder)
    return [entry.name for entry in RUN_FIGURES if entry.applies is None or entry.applies(tables)]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


class Images(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        for name, value in attrs:
            assert not (name in ("src", "href") and value and value.startswith("http")), f"network reference {value}"


@pytest.fixture(scope="module", params=RUNS, ids=[p.stem + ("-adaptive" if o else "") for p, o in RUNS])
def run_folder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, overrides = request.param
    scenario = load_scenario(path, overrides)
    folder = tmp_path_factory.mktemp(path.stem)
    result = run_one(scenario)
    write_run_folder(result, scenario, folder)
    write_run_metadata(folder, str(path), overrides, result.summary["seed"])
    debrief(folder, scenario, result.summary["seed"])
    return folder


def test_every_figure_is_drawn_and_of_sensible_size(run_folder: Path) -> None:
    names = drawn(run_folder)
    assert ("stops" in names) == ("wrongful_stops" in json.loads((run_folder / "summary.json").read_text()))
    assert sorted(p.stem for p in (run_folder / "figures").glob("*.png")) == sorted(names), "only those that apply"
    for name in names:
        path = run_folder / "figures" / f"{name}.png"
        assert path.is_file(), f"{name}.png missing"
        width, height = png_size(path)
        assert 900 <= width <= 2600 and 450 <= height <= 2600, f"{name}.png is {width}x{height}"
        assert path.stat().st_size > 20_000, f"{name}.png looks empty"


def test_report_is_self_contained_html_with_the_numbers(run_folder: Path) -> None:
    text = (run_folder / "report.html").read_text(encoding="utf-8")
    parser = Images()
    parser.feed(text)
    assert {"html", "body", "table", "h1", "h2"} <= set(parser.tags)
    names = drawn(run_folder)
    assert len(parser.images) == len(names), "every figure drawn is inlined"
    for entry in RUN_FIGURES:
        if entry.name not in names:
            assert f"<figcaption>{escape(entry.caption)}</figcaption>" not in text, f"{entry.name} is not drawn here"
            continue
        assert f"<figcaption>{escape(entry.caption)}</figcaption>" in text, f"{entry.name} has its caption"
    assert all(src.startswith("data:image/png;base64,") for src in parser.images)
    summary = json.loads((run_folder / "summary.json").read_text())
    assert f"{summary['detected']} of {summary['crossed']} travellers who crossed were stopped" in text
    for count in summary["misses"].values():
        assert f">{count}<" in text, f"cause count {count} missing from the cause table"
    for heading in ("Overview", "Findings", "Injects", "Figures", "Improvement plan"):
        assert f"<h2>{heading}</h2>" in text


def test_report_tables_speak_words_with_a_header_on_every_column(run_folder: Path) -> None:
    text = (run_folder / "report.html").read_text(encoding="utf-8")
    assert '<th class=""></th>' not in text and '<th class="num"></th>' not in text, "every column has a header"
    causes = text[text.index("Why the others got through") : text.index("<h2>Findings</h2>")]
    for code in CAUSES:
        assert f">{code}<" not in causes, f"the cause table shows the code {code}"
    lead = text[text.index('<p class="lead">') : text.index("</p>", text.index('<p class="lead">'))]
    assert "--set" not in lead and "tabletop " not in lead, "no command-line hint in the description"
    scenario = load_scenario(run_folder / "scenario.yaml")
    meta = text[text.index('<p class="meta">') :]
    meta = meta[: meta.index("</p>")]
    assert ("no injects" in meta) == (not scenario.injects), meta


def test_the_longest_hop_and_the_slowest_link_name_their_measures(run_folder: Path) -> None:
    from sim.debrief.run_figures import link_delay_figure, network_figure

    tables = RunTables.from_folder(run_folder)
    slow = slowest_link(tables.alerts)
    if slow is None:
        return
    assert SLOWEST_LINK_MEASURE in network_figure(tables).axes[0].get_title(loc="left")
    assert SLOWEST_LINK_MEASURE in link_delay_figure(tables).texts[0].get_text()
    plt.close("all")
    text = (run_folder / "report.html").read_text(encoding="utf-8")
    assert "slowest hop" not in text
    hops = set(re.findall(r"longest hop on the alert&#x27;s way was (.+?)\.<", text))
    if hops and f"{slow[0]} → {slow[1]}" not in hops:
        assert "Two measures" in text and escape(SLOWEST_LINK_MEASURE) in text, "say what each measures"


def test_the_journeys_are_few_large_and_name_the_border_of_each_mark(run_folder: Path) -> None:
    from sim.debrief.run_figures import JOURNEYS_SHOWN, journeys_figure

    tables = RunTables.from_folder(run_folder)
    if not (tables.travellers["crossings"] > 0).any():
        return
    ax = journeys_figure(tables).axes[0]
    shown = len(ax.get_yticks())
    assert shown <= JOURNEYS_SHOWN + 2 * 6, f"{shown} journeys: too many to read in ten seconds"
    assert "red" not in ax.get_title(loc="left").lower(), "the bands are not red"
    countries = {c.id for c in tables.scenario.countries}
    marks = [t.get_text() for t in ax.texts if t.get_text() in countries]
    shown_ids = {label.get_text() for label in ax.get_yticklabels()}
    crossed = tables.crossings[tables.crossings["traveller"].isin(shown_ids)]
    assert len(marks) == len(crossed), "every crossing mark says which border it is"
    plt.close("all")


def test_network_labels_overlap_neither_each_other_nor_the_agencies(run_folder: Path) -> None:
    from matplotlib.patches import FancyBboxPatch

    from sim.debrief.run_figures import network_figure

    fig = network_figure(RunTables.from_folder(run_folder))
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    labels = [t.get_window_extent(renderer) for t in ax.texts if t.get_bbox_patch() is not None]
    boxes = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, FancyBboxPatch)]
    for i, label in enumerate(labels):
        assert not any(label.overlaps(other) for other in labels[i + 1 :]), "two link labels overlap"
        assert not any(label.overlaps(box) for box in boxes), "a link label covers an agency"
    plt.close("all")


def test_link_delays_say_they_count_alerts_not_travellers(run_folder: Path) -> None:
    from sim.debrief.run_figures import link_delay_figure

    title = link_delay_figure(RunTables.from_folder(run_folder)).texts[0].get_text()
    plt.close("all")
    assert "counted in alerts" in title and "cause table counts each traveller once" in title, title


FRESH_PROCESS = {"baseline-corridor", "act-or-verify-checked", "exercise-injects"}
"""Runs whose report is rebuilt by ``tabletop report`` in a new process (nothing held over from this one);
the others are rebuilt by `sim.api.report` in this process, from the folder's files all the same."""


def test_report_command_reproduces_the_same_report(run_folder: Path) -> None:
    before = (run_folder / "report.html").read_bytes()
    pngs = {p.name: p.read_bytes() for p in (run_folder / "figures").glob("*.png")}
    if run_folder.name.rstrip("0123456789") in FRESH_PROCESS:
        done = subprocess.run([sys.executable, "-m", "sim", "report", str(run_folder)], capture_output=True,
                              text=True, cwd=ROOT)  # fmt: skip
        assert done.returncode == 0, done.stderr
    else:
        api.report(run_folder)
    assert (run_folder / "report.html").read_bytes() == before, "report DIR must rebuild the same report"
    assert {p.name: p.read_bytes() for p in (run_folder / "figures").glob("*.png")} == pngs, "and the same figures"


def test_chain_stages_follow_the_cause_table() -> None:
    summary = {"crossed": 100, "detected": 40, "misses": {"no_intel": 10, "not_shared": 5, "late": 20,
               "not_trusted": 15, "screening_miss": 10}}  # fmt: skip
    counts = [stage[1] for stage in chain_stages(summary)]
    assert counts == [100, 90, 85, 65, 50, 40], "each stage loses exactly its cause's misses"


def test_inject_effects_are_measured_on_the_same_seed(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "exercise-injects.yaml")
    result = run_one(scenario)
    write_run_folder(result, scenario, tmp_path)
    debrief(tmp_path, scenario, result.summary["seed"], plots=False)
    rows = (tmp_path / "injects.csv").read_text().splitlines()
    assert len(rows) == 1 + len(scenario.injects)
    evidence = next(r for r in rows if ",intel," in r).split(",")
    assert int(evidence[6]) >= 0, "fresh battlefield intelligence never costs detections (same seed)"
    text = (tmp_path / "report.html").read_text()
    assert "not drawn for this run" in text, "--no-plots reports without figures"
    from sim.debrief.run_report import inject_effects

    seed = result.summary["seed"]
    assert inject_effects(scenario, seed, result.summary) == inject_effects(scenario, seed), (
        "the run's own summary is the base of the inject effects: giving it only saves a run"
    )


def test_an_inject_that_adds_travellers_is_evaluated_as_rates_and_says_so(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "exercise-injects.yaml")
    result = run_one(scenario)
    write_run_folder(result, scenario, tmp_path)
    debrief(tmp_path, scenario, result.summary["seed"], plots=False)
    text = (tmp_path / "report.html").read_text()
    guide = text[text.index("Exercise Evaluation Guide") :]
    surge = next(row for row in guide.split("<tr>") if "depart" in row or "Camp" in row or "surge" in row.lower())
    assert "detections" not in surge, "more travellers give more detections whatever the arrangements"
    assert "detection rate" in surge and "pts" in surge and "as rates of the travellers who crossed" in surge, surge
    intel = next(row for row in guide.split("<tr>")[2:] if row not in surge and "learn" in row)
    assert "as rates" not in intel, "an inject that adds nobody is still given in travellers"


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "sim", "report", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2 and "not a run, comparison or sweep folder" in done.stderr


def test_tables_round_trip_through_the_folder(run_folder: Path) -> None:
    tables = RunTables.from_folder(run_folder)
    assert len(tables.travellers) == tables.summary["travellers"]
    assert (tables.travellers["outcome"] == "detected").sum() == tables.summary["detected"]


@pytest.mark.parametrize(
    "overrides",
    [["intelligence=[]"], ["travellers.count=0", "injects=[]"], ["sharing.links=[]", "injects=[]"],
     ["sharing.defaults.reliability=0"]],
    ids=["no-alerts", "no-travellers", "no-links", "all-lost"],
)  # fmt: skip
def test_the_debrief_survives_empty_tables(tmp_path: Path, overrides: list[str]) -> None:
    scenario = load_scenario(SCENARIOS / "northern-corridor.yaml", overrides)
    result = run_one(scenario)
    write_run_folder(result, scenario, tmp_path)
    debrief(tmp_path, scenario, result.summary["seed"])
    assert all((tmp_path / "figures" / f"{name}.png").is_file() for name in drawn(tmp_path))
    assert "<h2>Improvement plan</h2>" in (tmp_path / "report.html").read_text()
