"""`tabletop new`: each answer checked as it is given, no answer lost, and a starter that shows every miss cause."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from builders import ROOT

from sim.spec.scenario import load_scenario
from sim.vocabulary import BASE_CAUSES


def tabletop(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=ROOT, timeout=180,
                          stdin=subprocess.DEVNULL)  # fmt: skip


def test_interactive_new_reasks_a_wrong_answer_and_loses_none(tmp_path: Path) -> None:
    target = tmp_path / "first.yaml"
    child = pexpect.spawn(sys.executable, ["-m", "sim", "new", str(target)], cwd=str(ROOT), encoding="utf-8",
                          timeout=60)  # fmt: skip
    answers = [
        ("How many countries", "4"),
        ("Agencies per", "9"),
        ("Please answer with a whole number from 1 to 3", "3"),
        ("(hub/bilateral)", "Hub"),
        ("How many travellers", "lots"),
        ("Please answer with a whole number from 1 to 100,000", "120"),
        ("in days", ""),
        ("Seed", "7"),
    ]
    for question, answer in answers:
        child.expect_exact(question)
        child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "--agencies-per-country" not in child.before.split("the same without questions")[0], "no flag is blamed"
    assert f"tabletop new {target} --countries 4 --agencies-per-country 3 --sharing hub --travellers 120 --days 90 " \
           "--seed 7" in " ".join(child.before.split())  # fmt: skip
    scenario = load_scenario(target)
    assert len(scenario.countries) == 4 and scenario.travellers.count == 120 and scenario.seed == 7
    assert scenario.horizon_days == 90 and any(a.kind == "hub" for a in scenario.agencies)
    assert any(a.kind == "police" for a in scenario.agencies), "3 agencies per country: police too"
    header = target.read_text().splitlines()[:3]
    assert f"# Run it:      tabletop run {target}" in header and "THIS_FILE" not in target.read_text()


def test_new_checks_its_options_and_file_name_before_asking(tmp_path: Path) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "sim", "new", str(tmp_path / "x.yaml"), "--countries", "40"],
                          cwd=str(ROOT), encoding="utf-8", timeout=60)  # fmt: skip
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2 and "--countries: must be from 3 to 8 (got 40)" in child.before
    assert "?" not in child.before, "nothing was asked"
    for name in ("notes.txt", "scenario", "scenario.yaml.bak"):
        done = tabletop("new", str(tmp_path / name))
        assert done.returncode == 2 and "ends in .yaml or .yml" in done.stderr, done.stderr
        assert not (tmp_path / name).exists()
    assert tabletop("new", str(tmp_path / "fine.yml"), "--seed", "3").returncode == 0


@pytest.mark.parametrize("options", [[], ["--sharing", "bilateral", "--countries", "3", "--agencies-per-country", "1"]])
def test_the_starter_shows_every_miss_cause(tmp_path: Path, options: list[str]) -> None:
    target = tmp_path / "starter.yaml"
    made = tabletop("new", str(target), *options)
    assert made.returncode == 0, made.stderr
    ran = tabletop("run", str(target), "--out", str(tmp_path / "run"), "--no-plots", "--quiet")
    assert ran.returncode == 0, ran.stderr
    misses = json.loads((tmp_path / "run" / "summary.json").read_text())["misses"]
    assert all(misses[cause] > 0 for cause in BASE_CAUSES), misses
    text = target.read_text()
    for lever in ("delay_scale", "covers", "reliability", "trust", "screening"):
        assert lever in text.split("name:")[0], f"the header says which row {lever} moves"
