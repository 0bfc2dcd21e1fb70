"""Paired comparisons on common random numbers."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from builders import ROOT, SCENARIOS

from sim.debrief.comparison_report import tradeoff_sentence, write_comparison_report
from sim.experiments.comparison import ABSENT, compare, differences, paired_interval, write_comparison_folder
from sim.spec.scenario import load_scenario
from sim.spec.seeds import replication_seeds
from sim.vocabulary import COMPARED_OUTPUTS

BASELINE = SCENARIOS / "baseline-corridor.yaml"


def test_a_scenario_against_itself_differs_by_exactly_zero() -> None:
    scenario = load_scenario(BASELINE)
    stats = compare(scenario, scenario, replications=6, workers=1).statistics()
    for name in COMPARED_OUTPUTS:
        if stats[name]["diff"] is not None:
            assert stats[name]["diff"] == 0 and stats[name]["ci_low"] == 0 == stats[name]["ci_high"], name


def test_sharing_faster_never_detects_fewer_run_by_run() -> None:
    a = load_scenario(BASELINE)
    b = load_scenario(BASELINE, ["sharing.delay_scale=0.5"])
    comparison = compare(a, b, replications=8, workers=1)
    for row in comparison.pairs():
        assert row["b_detected"] >= row["a_detected"], f"seed {row['seed']}: faster sharing detected fewer"
        assert row["b_late_share"] <= row["a_late_share"], f"seed {row['seed']}: faster sharing had more late misses"
    stats = comparison.statistics()
    assert stats["detection_rate"]["ci_low"] > 0, "twice as fast sharing should detect clearly more here"
    assert stats["late_share"]["ci_high"] < 0


def test_processes_give_the_same_pairs_as_one_process() -> None:
    a, b = load_scenario(SCENARIOS / "bilateral-slow.yaml"), load_scenario(SCENARIOS / "regional-hub.yaml")
    one = compare(a, b, replications=8, workers=1)
    two = compare(a, b, replications=8, workers=2)
    assert one.pairs() == two.pairs(), "same seeds, same results, in any process"


def test_paired_interval_closed_form() -> None:
    import numpy as np

    a = np.array([0.0, 0.0, 0.0, 0.0])
    b = np.array([1.0, 2.0, 3.0, 4.0])
    result = paired_interval(a, b)
    # mean 2.5, sd 1.29099, t(0.975, 3) = 3.182446: half width 2.054260
    assert result["diff"] == 2.5
    assert abs(result["ci_low"] - (2.5 - 2.054260)) < 1e-5 and abs(result["ci_high"] - (2.5 + 2.054260)) < 1e-5


def test_replication_seeds_are_reproducible_and_distinct() -> None:
    seeds = replication_seeds(7, 50)
    assert seeds == replication_seeds(7, 50) and len(set(seeds)) == 50
    assert replication_seeds(7, 10) == seeds[:10], "more replications extend, never reshuffle, the seeds"


def test_folder_follows_the_contract(tmp_path: Path) -> None:
    a = load_scenario(BASELINE)
    b = load_scenario(BASELINE, ["sharing.defaults.trust=1"])
    write_comparison_folder(compare(a, b, replications=4, workers=1), tmp_path)
    stats = json.loads((tmp_path / "comparison.json").read_text())
    for name in ("detection_rate", "late_share", "no_intel_share", "not_shared_share", "not_trusted_share",
                 "screening_miss_share"):  # fmt: skip
        assert set(stats[name]) == {"a", "b", "diff", "ci_low", "ci_high", "replications"}, name
        assert stats[name]["replications"] == 4
    header = (tmp_path / "pairs.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["replication", "seed", "a_detection_rate", "b_detection_rate"]
    assert len((tmp_path / "pairs.csv").read_text().splitlines()) == 5
    assert load_scenario(tmp_path / "b.yaml").sharing.defaults.trust == 1


def test_differences_name_the_changed_fields() -> None:
    a = load_scenario(BASELINE).raw
    b = load_scenario(BASELINE, ["sharing.delay_scale=0.5"]).raw
    assert differences(a, b) == [("sharing.delay_scale", 1.0, 0.5)]


def test_differences_match_list_items_by_their_id_or_ends_not_their_position() -> None:
    a = load_scenario(SCENARIOS / "bilateral-slow.yaml").raw
    b = load_scenario(SCENARIOS / "bilateral-slow.yaml", ["sharing.links[HAL-INT->HAL-BRD].trust=0.2"]).raw
    b["sharing"]["links"].reverse()
    b["agencies"].reverse()
    assert differences(a, b) == [("sharing.links[HAL-INT->HAL-BRD].trust", 0.9, 0.2)]
    b["agencies"].append({"id": "NEW-BRD", "country": "HAL", "kind": "border", "name": "New Border Guard"})
    b["sharing"]["links"] = [x for x in b["sharing"]["links"] if x["to"] != "SOL-BRD"]
    found = {path: (x, y) for path, x, y in differences(a, b)}
    assert found["agencies[NEW-BRD]"][0] is ABSENT, "an item only B has is added"
    assert found["sharing.links[HAL-INT->SOL-BRD]"][1] is ABSENT, "an item only A has is removed"
    assert not any(path.startswith("sharing.links[") and path.endswith("]") and "->" not in path for path in found)


def test_what_differs_reads_as_paths_with_old_and_new_values_never_json(tmp_path: Path) -> None:
    a = load_scenario(SCENARIOS / "bilateral-slow.yaml")
    b = load_scenario(SCENARIOS / "regional-hub.yaml", ["sharing.links[HAL-INT->HAL-BRD].trust=0.5"])
    write_comparison_folder(compare(a, b, replications=4, workers=1), tmp_path)
    report = write_comparison_report(tmp_path, plots=False).read_text()
    report = report.replace(' class=""', "")
    differs = report[report.index("What differs") : report.index("Findings")]
    assert '{"' not in report and "[{" not in report and '..."' not in report, "no JSON, nothing cut off"
    assert "sharing.links[HAL-INT-&gt;HAL-BRD].trust</td><td>0.9</td><td>0.5</td>" in differs
    assert "sharing.defaults.delay_hours.median</td><td>72</td><td>3</td>" in differs
    assert "<td>sharing.links[HUB-&gt;DRV-BRD]</td><td>—</td><td>added: HUB → DRV-BRD</td>" in differs
    assert "<td>sharing.links[HAL-INT-&gt;SOL-BRD]</td><td>HAL-INT → SOL-BRD</td><td>removed</td>" in differs
    assert "sharing.links[HAL-INT-&gt;HUB].delay_hours</td><td>—</td>" not in differs
    assert "agencies[HUB]</td><td>—</td><td>added: HUB (country SOL, kind hub, name Regional Alert Centre)" in differs
    plan = report[report.index("Improvement plan") :]
    assert "sharing.defaults.trust: 0.6 → 0.9" in plan and "agencies[HUB]: added — HUB (country SOL" in plan, plan


def test_the_shipped_pairs_make_their_point_in_the_report(tmp_path: Path) -> None:
    for first, second in (("bilateral-slow", "regional-hub"), ("names-only", "biometrics-shared")):
        out = tmp_path / second
        done = subprocess.run(
            [sys.executable, "-m", "sim", "compare", str(SCENARIOS / f"{first}.yaml"), str(SCENARIOS / f"{second}.yaml"),
             "--replications", "6", "--workers", "1", "--out", str(out)],
            capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        stats = json.loads((out / "comparison.json").read_text())
        assert stats["detection_rate"]["ci_low"] > 0, f"{second} should detect clearly more than {first}"
        report = (out / "report.html").read_text()
        assert "percentage points more of the travellers who crossed" in report
        assert report.count("data:image/png;base64,") == 2


def test_compare_cli_set_b_and_bad_input(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim", "compare", str(BASELINE), str(BASELINE), "--set-b", "sharing.delay_scale=0",
         "--replications", "3", "--workers", "1", "--out", str(tmp_path / "c"), "--quiet", "--no-plots"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == str(tmp_path / "c")
    stats = json.loads((tmp_path / "c" / "comparison.json").read_text())
    assert stats["late_share"]["b"] == 0, "with no delay, no alert is late"
    bad = subprocess.run(
        [sys.executable, "-m", "sim", "compare", str(BASELINE), "nothere.yaml", "--set-a", "sharing.delay_scale=-1",
         "--out", str(tmp_path / "never")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode == 2 and "nothere.yaml: no such file" in bad.stderr and "delay_scale" in bad.stderr
    assert not (tmp_path / "never").exists()


def test_the_retention_pair_trades_detections_against_wrongful_stops(tmp_path: Path) -> None:
    out = tmp_path / "retention"
    done = subprocess.run(
        [sys.executable, "-m", "sim", "compare", str(SCENARIOS / "retention.yaml"), str(SCENARIOS / "retention-short.yaml"),
         "--replications", "4", "--workers", "1", "--out", str(out), "--no-plots"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    stats = json.loads((out / "comparison.json").read_text())
    assert stats["detection_rate"]["ci_high"] < 0, "short retention detects fewer"
    assert stats["expired_share"]["ci_low"] > 0, "because entries expired"
    assert stats["wrongful_stops"]["ci_high"] < 0, "and stops fewer innocent people"
    assert "Wrongful stops: Retention, 30 days stops" in (out / "report.html").read_text()


def _stat(diff: float, low: float, high: float, a: float = 0.5) -> dict[str, float]:
    return {"a": a, "b": a + diff, "diff": diff, "ci_low": low, "ci_high": high, "replications": 8}


def test_the_headline_says_a_trade_off_as_one() -> None:
    stats = {"detection_rate": _stat(-0.127, -0.14, -0.11), "wrongful_stops": _stat(-62.8, -66.2, -59.4, a=65)}
    assert tradeoff_sentence(stats, "A", "B") == (
        "B detects 12.7 points fewer of the travellers who crossed than A (95% CI -14.0 to -11.0) and stops 62.8 "
        "fewer innocent travellers a run (95% CI -66.2 to -59.4): a trade-off, B spares innocent travellers at the "
        "price of persons of interest who cross unstopped."
    )
    stats = {"detection_rate": _stat(0.05, 0.02, 0.08), "wrongful_stops": _stat(3.0, 1.0, 5.0, a=10)}
    assert tradeoff_sentence(stats, "A", "B").endswith(  # type: ignore[union-attr]
        ": a trade-off, B stops more persons of interest at the price of more innocent travellers stopped."
    )


def test_the_headline_says_when_both_sides_move_together_or_are_not_clear() -> None:
    better = {"detection_rate": _stat(0.3, 0.28, 0.36), "wrongful_stops": _stat(-2683.5, -2802.6, -2564.4, a=2700)}
    assert tradeoff_sentence(better, "A", "B").endswith(  # type: ignore[union-attr]
        "(95% CI -2802.6 to -2564.4): better on both sides, more persons of interest stopped and fewer innocent people."
    )
    worse = {"detection_rate": _stat(-0.1, -0.2, -0.05), "wrongful_stops": _stat(4.0, 1.0, 7.0, a=10)}
    assert "worse on both sides" in tradeoff_sentence(worse, "A", "B")  # type: ignore[operator]
    unclear = {"detection_rate": _stat(0.01, -0.02, 0.04), "wrongful_stops": _stat(-1.0, -3.0, 1.0, a=10)}
    assert tradeoff_sentence(unclear, "A", "B").endswith(  # type: ignore[union-attr]
        ": neither difference is clear from 8 runs (both intervals include 0)."
    )
    half = {"detection_rate": _stat(0.01, -0.02, 0.04), "wrongful_stops": _stat(-5.0, -7.0, -3.0, a=10)}
    assert tradeoff_sentence(half, "A", "B").endswith(  # type: ignore[union-attr]
        ": fewer innocent people stopped; whether it detects more or fewer is not clear (interval includes 0)."
    )
    assert tradeoff_sentence({"detection_rate": _stat(0.1, 0.05, 0.15)}, "A", "B") is None, "no cost side"


def _compare_cli(tmp_path: Path, first: str, second: str) -> tuple[dict[str, Any], str]:
    out = tmp_path / second
    done = subprocess.run(
        [sys.executable, "-m", "sim", "compare", str(SCENARIOS / f"{first}.yaml"), str(SCENARIOS / f"{second}.yaml"),
         "--replications", "4", "--workers", "1", "--out", str(out), "--no-plots", "--quiet"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads((out / "comparison.json").read_text()), html.unescape((out / "report.html").read_text())


def test_checking_alerts_trades_detections_for_innocents_and_biometrics_win_on_both(tmp_path: Path) -> None:
    stats, report = _compare_cli(tmp_path, "act-or-verify", "act-or-verify-checked")
    assert list(stats)[:3] == ["detection_rate", "wrongful_stops", "stop_precision"], "the two sides together, first"
    assert stats["detection_rate"]["ci_high"] < 0 and stats["wrongful_stops"]["ci_high"] < 0
    assert set(stats["stop_precision"]) == {"a", "b", "diff", "ci_low", "ci_high", "replications"}
    findings = report[report.index("Findings") :]
    assert "Act or verify, checked detects " in findings and "fewer innocent travellers a run (95% CI" in findings
    assert ": a trade-off, Act or verify, checked spares innocent travellers" in findings
    assert "A choice, not an improvement" in report[report.index("Improvement plan") :]
    table = report[report.index(">output<") :]
    assert table.index("detection rate") < table.index("wrongful stops") < table.index("stop precision")
    assert table.index("stop precision") < table.index("travellers detected")
    stats, report = _compare_cli(tmp_path, "namesakes", "namesakes-biometric")
    assert stats["detection_rate"]["ci_low"] > 0 and stats["wrongful_stops"]["ci_high"] < 0
    assert "better on both sides, more persons of interest stopped and fewer innocent people." in report
