"""Limits on the work an input may ask for (issue 17): refused before anything is allocated.

Exit 2, the reason, the estimate and the limit; nothing written; quickly. ``--allow-large``
lets a case past a limit through with a note. The limits are lowered here (they are module
attributes of `sim.spec.limits`) so that a case just over a limit stays small and fast.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import ROOT, SCENARIOS

import sim
from sim import api
from sim.cli import main
from sim.errors import ScenarioError
from sim.experiments.executors import LocalExecutor, default_workers, make_executor
from sim.spec import limits
from sim.spec.yaml_files import parse_yaml

BASELINE = SCENARIOS / "baseline-corridor.yaml"
DELAY_TRUST = SCENARIOS / "sweeps" / "delay-trust.yaml"


def bomb(levels: int, width: int = 9) -> list[str]:
    """An alias bomb: `levels` anchors, each a list naming the one before `width` times (width**levels values)."""
    rows = ["&l0 [" + ", ".join(["x"] * width) + "]"]
    rows += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
    return rows


def bomb_mapping(levels: int) -> str:
    return "".join(f"k{i}: {row}\n" for i, row in enumerate(bomb(levels)))


def baseline_data() -> dict[str, Any]:
    return yaml.safe_load(BASELINE.read_text(encoding="utf-8"))


def problems_of(call: Any) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        call()
    return [str(p) for p in caught.value.problems]


# ---------------------------------------------------------------- the YAML reader


def test_an_alias_bomb_in_a_scenario_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BASELINE.read_text(encoding="utf-8") + bomb_mapping(9), encoding="utf-8")  # 9**9 = 387 million

    tracemalloc.start()
    start = time.perf_counter()
    lines = problems_of(lambda: sim.check(path))
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert len(lines) == 1 and re.search(r"bomb\.yaml:\d+: more than 100,000 values \(the alias \*l\d names", lines[0])
    assert "raise it with --allow-large" in lines[0]
    assert seconds < 2 and peak < 20_000_000, (seconds, peak)


def test_an_alias_bomb_in_sweep_levels_is_refused(tmp_path: Path) -> None:
    rows = bomb(7)  # 9**7 = 4.8 million values
    text = DELAY_TRUST.read_text(encoding="utf-8").replace("../baseline-corridor.yaml", str(BASELINE))
    text = text.replace("sharing.delay_scale: [0, 0.25, 0.5, 1, 2, 4]", "sharing.delay_scale: [" + ", ".join(rows) + "]")
    path = tmp_path / "sweep.yaml"
    path.write_text(text, encoding="utf-8")

    lines = problems_of(lambda: sim.check(path))

    assert len(lines) == 1 and "sweep.yaml:" in lines[0] and "more than 100,000 values" in lines[0]


def test_an_alias_bomb_in_a_set_value_is_refused_and_names_the_override(tmp_path: Path, capsys: Any) -> None:
    value = "[" + ", ".join(bomb(7)) + "]"

    status = main(["run", str(BASELINE), "--set", f"description={value}", "--out", str(tmp_path / "run"), "--quiet"])

    err = capsys.readouterr().err
    assert status == 2 and "--set description=[&l0" in err and "more than 100,000 values" in err
    assert not (tmp_path / "run").exists()


def test_an_alias_inside_the_value_it_names_is_refused() -> None:
    with pytest.raises(ScenarioError, match="inside the value it names"):
        parse_yaml("a: &a [1, *a]\n", "self.yaml")


def test_the_billion_laughs_is_refused_in_bounded_memory_in_all_three_places(tmp_path: Path) -> None:
    """In a process limited to 1 GB of address space (today's reader took >6 GB and hung)."""
    laughs = bomb_mapping(10)  # 9**10 = 3.5 billion values
    (tmp_path / "scenario.yaml").write_text(BASELINE.read_text(encoding="utf-8") + laughs, encoding="utf-8")
    sweep = DELAY_TRUST.read_text(encoding="utf-8").replace("../baseline-corridor.yaml", str(BASELINE))
    sweep = sweep.replace("[0, 0.25, 0.5, 1, 2, 4]", "[" + ", ".join(bomb(10)) + "]")
    (tmp_path / "sweep.yaml").write_text(sweep, encoding="utf-8")
    value = "[" + ", ".join(bomb(10)) + "]"
    script = f"""
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
from sim.cli import main
start = time.perf_counter()
codes = [main(["validate", "scenario.yaml"]), main(["validate", "sweep.yaml"]),
         main(["run", "{BASELINE}", "--set", sys.argv[1], "--out", "never", "--quiet"])]
print(codes, round(time.perf_counter() - start, 2))
"""
    done = subprocess.run([sys.executable, "-c", script, f"description={value}"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})  # fmt: skip

    assert done.returncode == 0, done.stderr[-2000:]
    codes, seconds = done.stdout.split("]")
    assert codes == "[2, 2, 2" and float(seconds) < 5, done.stdout
    assert done.stderr.count("more than 100,000 values") == 3, done.stderr
    assert not (tmp_path / "never").exists()


def test_deep_nesting_is_exit_2_not_a_recursion_error(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("name: " + "[" * 600 + "]" * 600 + "\n", encoding="utf-8")

    start = time.perf_counter()
    status = main(["validate", str(path)])

    assert time.perf_counter() - start < 1, "refused as the scanner meets the 65th bracket, not after scanning 600"
    err = capsys.readouterr().err
    assert status == 2, err
    assert f"{path}:1: nested more than {limits.MAX_YAML_DEPTH} levels deep" in err


def test_an_oversize_file_is_refused_before_it_is_read_whole(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 10_000)
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(200_000_000)  # sparse: 200 MB that take no disk

    tracemalloc.start()
    lines = problems_of(lambda: sim.load_scenario(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert lines == [f"{path}: is 200 MB; the limit is 10 KB (10,000 bytes); raise it with --allow-large "
                     "(allow_large=True in Python)"]  # fmt: skip
    assert peak < 5_000_000, peak


def test_an_exponent_without_a_dot_is_a_number() -> None:
    data, _ = parse_yaml("a: 1e300\nb: -2E-5\nc: '1e3'\nd: 1_000\n", "n.yaml")

    assert data == {"a": 1e300, "b": -2e-5, "c": "1e3", "d": 1000}


def test_an_exponent_number_gets_the_range_message_not_one_about_quotes(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(BASELINE.read_text(encoding="utf-8").replace("horizon_days: 100", "horizon_days: 1e300"))

    lines = problems_of(lambda: sim.load_scenario(path))

    assert lines == [f"{path}:19: horizon_days: should be less than or equal to 3650 (got 1e+300)"]


def test_validate_reads_each_file_once(monkeypatch: Any) -> None:
    calls: list[str] = []
    original = yaml.composer.Composer.get_single_node

    def counted(self: Any) -> Any:
        calls.append("composed")
        return original(self)

    monkeypatch.setattr(yaml.composer.Composer, "get_single_node", counted)

    assert main(["validate", str(DELAY_TRUST)]) == 0

    assert len(calls) == 2, "the sweep file once, its scenario once"


# ---------------------------------------------------------------- scenarios


def test_310_million_travellers_are_refused_with_the_estimate(tmp_path: Path) -> None:
    data = baseline_data()
    data["travellers"]["count"] = 10_000_000
    data["injects"] = [{"day": 1, "kind": "surge", "group": "halvorians", "travellers": 10_000_000}] * 30
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    start = time.perf_counter()
    lines = problems_of(lambda: sim.check(path))

    assert time.perf_counter() - start < 1
    assert len(lines) == 1
    assert re.fullmatch(
        rf"{re.escape(str(path))}:\d+: travellers\.count: 10,000,000 travellers and 30 surges make 310,000,000 "
        r"travellers, an estimated [\d,]+ events \([\d,]+ crossings, [\d,]+ intelligence, [\d,]+ alerts\) and "
        r"[\d.]+ TB of memory; the limit is 200,000 travellers; raise it with --allow-large "
        r"\(allow_large=True in Python\)",
        lines[0],
    ), lines[0]


def test_the_estimate_is_close_to_a_real_run() -> None:
    scenario = sim.load_scenario(BASELINE)
    work = limits.scenario_work(scenario)
    result = sim.run(scenario, seed=1)

    assert work.travellers == result.summary["travellers"]
    assert abs(work.alerts - len(result.alerts)) <= 0.1 * len(result.alerts)
    assert len(result.crossings) <= work.crossings <= 1.1 * len(result.crossings)


def test_agencies_and_links_are_counted_before_their_structure_is_checked(monkeypatch: Any) -> None:
    data = baseline_data()
    data["agencies"] += [{"id": f"X{i}", "country": "HAL", "kind": "hub"} for i in range(500)]
    data["sharing"]["links"] += [{"from": f"X{i}", "to": f"X{j}"} for i in range(500) for j in range(500) if i != j]

    start = time.perf_counter()
    lines = problems_of(lambda: sim.scenario_from_dict(data, source="net"))

    assert time.perf_counter() - start < 1
    assert lines == [
        "net: agencies: 505 agencies; the limit is 200 agencies; raise it with --allow-large (allow_large=True in Python)",
        "net: sharing.links: 249,503 directed links; the limit is 2,000 links; raise it with --allow-large "
        "(allow_large=True in Python)",
    ]


def test_events_past_the_limit_are_refused(monkeypatch: Any) -> None:
    monkeypatch.setattr(limits, "MAX_EVENTS", 1_000)

    lines = problems_of(lambda: sim.load_scenario(BASELINE))

    assert len(lines) == 1 and lines[0].startswith(f"{BASELINE}: the run would make an estimated 2,054 events")
    assert lines[0].endswith("the limit is 1,000 events; raise it with --allow-large (allow_large=True in Python)")


def test_allow_large_lets_a_run_over_the_limit_through_with_a_note(
    tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.setattr(limits, "MAX_TRAVELLERS", 100)
    refused, allowed = tmp_path / "refused", tmp_path / "allowed"

    assert main(["run", str(BASELINE), "--out", str(refused), "--no-plots", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "400 travellers, an estimated 2,054 events" in err and "the limit is 100 travellers" in err
    assert not refused.exists()

    assert main(["run", str(BASELINE), "--out", str(allowed), "--no-plots", "--quiet", "--allow-large"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"^note: .*travellers\.count: 400 travellers, an estimated 2,054 events .* of memory "
                     r"\(over the limit of 100 travellers; allowed by --allow-large\)$", err, re.M), err  # fmt: skip
    assert (allowed / "summary.json").is_file()


def test_allow_large_in_python_warns_once_and_copies_inherit_it(monkeypatch: Any) -> None:
    monkeypatch.setattr(limits, "MAX_TRAVELLERS", 100)
    with pytest.raises(ScenarioError):
        sim.load_scenario(BASELINE)

    with pytest.warns(limits.LimitNote, match="400 travellers"):
        scenario = sim.load_scenario(BASELINE, allow_large=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        faster = sim.vary(scenario, {"sharing.delay_scale": 0.5})  # no second note
    assert faster.allow_large
    with pytest.raises(ScenarioError):
        sim.vary(BASELINE, {"sharing.delay_scale": 0.5})


def test_an_intel_inject_by_ids_is_checked_without_listing_every_traveller() -> None:
    from sim.spec.scenario import _is_traveller_label, _label_segments, traveller_labels

    scenario = sim.load_scenario(SCENARIOS / "northern-corridor.yaml")
    labels = traveller_labels(scenario)
    segments = _label_segments(scenario)
    tried = [*labels, "R-0000", f"R-{len(labels) + 1:04d}", "X-0001", "R-001", "R-00001", "r-0001", "R-1", "R-"]

    assert [_is_traveller_label(label, segments) for label in tried] == [label in labels for label in tried]


# ---------------------------------------------------------------- sweeps and comparisons


def sweep_data(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load(DELAY_TRUST.read_text(encoding="utf-8"))
    data["scenario"] = str(BASELINE)
    data.update(changes)
    return data


def test_a_grid_range_with_too_many_steps_is_refused_before_its_values_are_made(monkeypatch: Any) -> None:
    data = sweep_data()
    data["parameters"]["sharing.links[*].trust"]["steps"] = 10**8

    start = time.perf_counter()
    lines = problems_of(lambda: sim.sweep(data, out=None))

    assert time.perf_counter() - start < 2
    assert lines == ["<sweep>: parameters.sharing.links[*].trust.steps: 100,000,000 values of one range; the limit "
                     "is 10,000 points; raise it with --allow-large (allow_large=True in Python)"]  # fmt: skip


def test_sweep_runs_past_the_limit_are_refused_with_each_runs_estimate() -> None:
    lines = problems_of(lambda: sim.sweep(sweep_data(replications=10**8), out=None))

    assert lines == [
        "<sweep>: replications: 30 points x 100,000,000 replications = 3,000,000,000 runs; each run an estimated "
        "2,054 events (800 crossings, 336 intelligence, 918 alerts) and 124 MB of memory; the limit is 100,000 runs; "
        "raise it with --allow-large (allow_large=True in Python)"
    ]


@pytest.mark.parametrize(("design", "samples", "points"), [("lhs", 10**8, "100,000,000"), ("sobol", 2**27, "536,870,912")])
def test_sampled_designs_past_the_limit_are_refused_before_sampling(design: str, samples: int, points: str) -> None:
    data = sweep_data(design=design, samples=samples, replications=1)
    data["parameters"] = {"sharing.delay_scale": {"low": 0, "high": 4}, "sharing.links[*].trust": {"low": 0.2, "high": 1}}
    data["outputs"] = ["detection_rate"]
    data.pop("threshold")

    start = time.perf_counter()
    lines = problems_of(lambda: sim.sweep(data, out=None))

    assert time.perf_counter() - start < 2
    assert lines == [f"<sweep>: samples: the {design} design has {points} points; the limit is 10,000 points; "
                     "raise it with --allow-large (allow_large=True in Python)"]  # fmt: skip


def test_a_sweep_over_the_limit_runs_with_allow_large(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(limits, "MAX_RUNS", 3)
    data = sweep_data(replications=1, outputs=["detection_rate"])
    data["parameters"] = {"sharing.delay_scale": [0, 1]}
    data.pop("threshold")
    data["scenario"] = str(BASELINE)
    with pytest.raises(ScenarioError, match="2 points x 2 replications = 4 runs"):
        sim.sweep({**data, "replications": 2}, out=tmp_path / "refused", workers=1, plots=False)
    assert not (tmp_path / "refused").exists()

    with pytest.warns(limits.LimitNote, match="4 runs"):
        outcome = sim.sweep({**data, "replications": 2}, out=tmp_path / "s", workers=1, plots=False, allow_large=True)

    assert outcome.done == 4 and outcome.failed == 0


def test_compare_replications_past_the_limit_are_refused(tmp_path: Path) -> None:
    lines = problems_of(lambda: api.compare(BASELINE, BASELINE, replications=10**8, out=tmp_path / "c"))

    assert lines == ["--replications: 2 scenarios x 100,000,000 replications = 200,000,000 runs; each run an "
                     "estimated 2,054 events (800 crossings, 336 intelligence, 918 alerts) and 124 MB of memory; the "
                     "limit is 100,000 runs; raise it with --allow-large (allow_large=True in Python)"]  # fmt: skip
    assert not (tmp_path / "c").exists()


def test_compare_over_the_limit_runs_with_allow_large(monkeypatch: Any) -> None:
    monkeypatch.setattr(limits, "MAX_RUNS", 3)

    with pytest.warns(limits.LimitNote, match="2 scenarios x 2 replications = 4 runs"):
        comparison = api.compare(BASELINE, BASELINE, replications=2, workers=1, allow_large=True)

    assert len(comparison.pairs()) == 2


def test_workers_past_the_cores_are_capped_with_a_note() -> None:
    cores = default_workers()

    with pytest.warns(limits.LimitNote, match=rf"--workers 200: this machine lets tabletop use {cores} core"):
        executor = make_executor(200, tasks=1000)

    assert executor.workers == cores
    assert cores == 1 or isinstance(executor, LocalExecutor)


def test_the_command_line_prints_a_capped_worker_count_as_a_note(capsys: Any, tmp_path: Path) -> None:
    status = main(["compare", str(BASELINE), str(BASELINE), "--replications", "1", "--workers", "200",
                   "--out", str(tmp_path / "c"), "--no-plots", "--quiet"])  # fmt: skip

    err = capsys.readouterr().err
    assert status == 0
    assert re.search(r"^note: --workers 200: this machine lets tabletop use \d+ cores?", err, re.M), err


# ---------------------------------------------------------------- figures


def many_agencies(count: int) -> dict[str, Any]:
    data = baseline_data()
    data["travellers"]["count"] = 100
    extra = [{"id": f"HAL-X{i}", "country": "HAL", "kind": "police"} for i in range(count)]
    data["agencies"] += extra
    data["sharing"]["links"] += [{"from": "HAL-INT", "to": a["id"]} for a in extra]
    return data


def test_a_network_past_the_figure_limit_is_drawn_as_a_summary(tmp_path: Path) -> None:
    from sim.debrief.run_figures import link_delay_figure, network_figure
    from sim.debrief.run_tables import RunTables

    scenario = sim.scenario_from_dict(many_agencies(150), source="many")
    api.run(scenario, seed=1, out=tmp_path / "run", plots=False)
    fig = network_figure(RunTables.from_folder(tmp_path / "run"))

    width, height = fig.get_size_inches()
    assert width <= 14 and height <= 14, (width, height)
    title = fig.axes[0].get_title(loc="left")
    assert "155 agencies and 153 links, too many to draw one by one" in title
    assert len(fig.axes[0].get_yticklabels()) == limits.FIGURE_BUSIEST_LINKS
    delays = link_delay_figure(RunTables.from_folder(tmp_path / "run"))
    assert delays.get_size_inches()[1] <= 20 and delays.axes[0].get_title(loc="left") == "Delay on the 25 busiest links"


def test_a_network_within_the_figure_limit_is_drawn_whole(tmp_path: Path, monkeypatch: Any) -> None:
    from sim.debrief.run_figures import network_figure
    from sim.debrief.run_tables import RunTables

    api.run(BASELINE, seed=1, out=tmp_path / "run", plots=False)
    tables = RunTables.from_folder(tmp_path / "run")

    assert "too many" not in network_figure(tables).axes[0].get_title(loc="left")
    monkeypatch.setattr(limits, "FIGURE_MAX_AGENCIES", 4)
    assert "5 agencies and 3 links, too many" in network_figure(tables).axes[0].get_title(loc="left")


# ---------------------------------------------------------------- the pages


@pytest.mark.parametrize(
    ("page", "names"),
    [
        ("scenario-format.md", ["MAX_FILE_BYTES", "MAX_YAML_DEPTH", "MAX_YAML_NODES", "MAX_TRAVELLERS",
                                "MAX_AGENCIES", "MAX_LINKS", "MAX_EVENTS", "FIGURE_MAX_AGENCIES", "FIGURE_MAX_LINKS",
                                "FIGURE_BUSIEST_LINKS"]),
        ("sweeps.md", ["MAX_POINTS", "MAX_RUNS"]),
    ],
)  # fmt: skip
def test_the_pages_give_every_limit_its_value(page: str, names: list[str]) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    table = text[text.index("## Limits") :]

    for name in names:
        value = getattr(limits, name)
        assert f"{value:,}" in table.split("\n## ")[0], f"docs/{page}: {name} = {value:,} is not in its Limits section"
    assert "--allow-large" in table


def test_a_value_with_shared_parts_is_shown_in_a_line_without_being_expanded() -> None:
    # Eight levels of ten shared references stand for 10**8 numbers (an alias bomb's shape):
    # repr() of it would take minutes and gigabytes; the message needs one line.
    from sim.errors import MAX_VALUE_CHARS, shorten

    value: object = [1] * 10
    for _ in range(7):
        value = [value] * 10
    text = shorten(value)
    assert len(text) <= MAX_VALUE_CHARS and text.endswith("..."), text
    assert shorten({"a": [1, 2.5, "x"], "b": None}) == "{'a': [1, 2.5, 'x'], 'b': None}", "small values read as repr"


def test_a_crowded_border_is_refused_by_its_wrongful_stops_before_the_run() -> None:
    # A billion ordinary crossings a day (the field's maximum) would make about a billion namesake
    # records over the exercise: counted in the estimate and refused, not run until memory runs out.
    from sim.spec.limits import scenario_work
    from sim.spec.scenario import load_scenario

    with pytest.raises(ScenarioError, match="wrongful stops of ordinary travellers"):
        load_scenario(ROOT / "scenarios" / "act-or-verify.yaml", ["population.crossings_per_day=1e9"])
    busy = load_scenario(ROOT / "scenarios" / "namesakes.yaml")
    assert 0 < scenario_work(busy).stops < 1_500_000, "the shipped busy border stays well inside the limit"
