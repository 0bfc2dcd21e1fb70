"""Messages a trainer reads: broken YAML in plain words, `--set` mistakes named by their option, root causes only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from builders import ROOT, SCENARIOS

from sim.errors import ScenarioError
from sim.spec.scenario import load_scenario

BASELINE = SCENARIOS / "baseline-corridor.yaml"
AGENCIES = "agencies:\n  - id: A-INT\n    kind: intelligence\n  - id: A-BRD\n    kind: border\n"


def yaml_message(tmp_path: Path, text: str) -> str:
    path = tmp_path / "m4.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [problem] = info.value.problems
    return str(problem).removeprefix(f"{tmp_path}/")


@pytest.mark.parametrize(
    ("text", "first", "shown", "caret"),
    [
        # A field lined up with the '-' of a list: PyYAML says "expected <block end>, but found '?'".
        (AGENCIES + "  name: x\n", "m4.yaml:6: not valid YAML: this field lines up with the '-' of the list",
         "  name: x", 2),
        ("sharing:\n  defaults:\n    trust: 0.5\n   links: []\n", "m4.yaml:4: not valid YAML: check the indentation",
         "   links: []", 3),
        ("sharing:\n  delay_scale: 1\n\tdefaults: {}\n", "m4.yaml:3: not valid YAML: a tab", " defaults: {}", 0),
        ("name: x\nseed 4\nhorizon_days: 9\n", "m4.yaml:2: not valid YAML: a missing colon", "seed 4", 0),
        ("sharing:\n  delay_scale:1\n  defaults:\n    trust: 1\n", "m4.yaml:2: not valid YAML: a missing space after "
         "the colon", "  delay_scale:1", 14),
        ('name: "Test\nseed: 4\ndescription: a "quoted" word\nhorizon_days: 9\n', "m4.yaml:1: not valid YAML: this "
         'text opens a quote (") that is not closed', 'name: "Test', 6),
        ("countries:\n  - {id: A, name: Aa, role: home\n  - {id: B, name: Bb, role: home}\n", "m4.yaml:2: not valid "
         "YAML: this { is not closed", "  - {id: A, name: Aa, role: home", 4),
        ("route: [A, B\nseed: 4\n", "m4.yaml:1: not valid YAML: this [ is not closed", "route: [A, B", 7),
        ("name: Test: two\n", "m4.yaml:1: not valid YAML: a second colon on this line: put a value", "name: Test: two",
         10),
    ],
)  # fmt: skip
def test_broken_yaml_says_the_likely_fix_and_shows_the_line(
    tmp_path: Path, text: str, first: str, shown: str, caret: int
) -> None:
    message = yaml_message(tmp_path, text)
    head, line, under = message.split("\n")
    assert head.startswith(first), message
    for jargon in ("<block end>", "while parsing", "while scanning", "cannot start any token", "'?'"):
        assert jargon not in message, message
    number = head.split(":")[1]
    assert line == f"  {number} | {shown}", message
    assert under == f"  {' ' * len(number)} | {' ' * caret}^", message


def test_validate_prints_broken_yaml_readably(tmp_path: Path) -> None:
    path = tmp_path / "m4.yaml"
    path.write_text(BASELINE.read_text().replace("  delay_scale: 1.0", "\tdelay_scale: 1.0"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sim", "validate", str(path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"{path}:47: not valid YAML: a tab: YAML takes only spaces here; replace the tab with spaces",
        "  47 |  delay_scale: 1.0",
        "     | ^",
        "1 of 1 files have problems.",
    ]
