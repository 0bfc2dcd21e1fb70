"""Messages a trainer reads: broken YAML in plain words, `--set` mistakes named by their option, root causes only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from builders import ROOT, SCENARIOS

from sim.errors import ScenarioError
from sim.spec.scenario import load_scenario
from sim.spec.sweep_file import load_sweep

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


def set_problems(overrides: list[str], label: str = "--set") -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, overrides, label)
    return [str(p) for p in info.value.problems]


def test_a_set_mistake_names_the_option_not_a_line_of_the_file() -> None:
    assert set_problems(["sharing.delay_scal=0.5", "sharing.links[0].from=HAL-INX", "sharing.links[*].trust=3"]) == [
        "--set sharing.delay_scal=0.5: unknown field (did you mean 'delay_scale'?); allowed: delay_scale, defaults, "
        "links",
        "--set sharing.links[0].from=HAL-INX: no such agency (did you mean 'HAL-INT'?)",
        "--set sharing.links[*].trust=3: should be less than or equal to 1",
    ]
    assert set_problems(["sharing.links[X->Y].trust=1", "travellers.count=-5"]) == [
        "--set sharing.links[X->Y].trust=1: no item of sharing.links matches [X->Y]"
    ]
    assert set_problems(["sharing.delay_scale"]) == ["--set sharing.delay_scale: write PATH=VALUE, e.g. "
                                                     "sharing.delay_scale=0.5"]  # fmt: skip


def test_a_set_that_breaks_a_field_of_the_file_leaves_that_problem_on_its_line() -> None:
    [problem] = set_problems(["agencies[HAL-BRD].id=HAL-BRX"])
    assert problem.startswith(f"{BASELINE}:54: sharing.links[0].to: no such agency (did you mean 'HAL-BRX'?)")


def test_compare_names_set_a_and_set_b(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim", "compare", str(BASELINE), str(BASELINE), "--set-b", "sharing.delay_scal=0.5",
         "--set-a", "sharing.delay_scale=-1", "--out", str(tmp_path / "never")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines()[:2] == [
        "--set-a sharing.delay_scale=-1: should be greater than or equal to 0",
        "--set-b sharing.delay_scal=0.5: unknown field (did you mean 'delay_scale'?); allowed: delay_scale, defaults, "
        "links",
    ]


def test_a_sweep_parameter_mistake_names_the_sweep_files_line_once(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(BASELINE.read_text(), encoding="utf-8")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("scenario: s.yaml\nparameters:\n  sharing.delay_scale: [0.5, 1]\n  sharing.delay_scal: [0.5, 1]\n")
    with pytest.raises(ScenarioError) as info:
        load_sweep(sweep)
    assert [str(p) for p in info.value.problems] == [
        f"{sweep}:4: parameters[sharing.delay_scal][0]: sharing.delay_scal: unknown field (did you mean "
        "'delay_scale'?); allowed: delay_scale, defaults, links (got 0.5)"
    ]


def test_a_follow_on_problem_is_not_reported_only_its_root(tmp_path: Path) -> None:
    text = (SCENARIOS / "northern-corridor.yaml").read_text()
    typo = tmp_path / "typo.yaml"
    typo.write_text(text.replace("- {from: HUB, to: TRA-BRD,", "- {from: HUB, to: TRA-BDR,"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(typo)
    assert [str(p).removeprefix(f"{tmp_path}/") for p in info.value.problems] == [
        "typo.yaml:40: sharing.links[2].to: no such agency (did you mean 'TRA-BRD'?) (got TRA-BDR)"
    ], "the inject on HUB -> TRA-BRD only repeats the link's typo"
    gone = tmp_path / "gone.yaml"
    gone.write_text(text.replace("    - {from: HUB, to: TRA-BRD, delay_hours: 6}\n", ""), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(gone)
    assert any("injects[1].link: no link HUB -> TRA-BRD in sharing.links" in str(p) for p in info.value.problems), (
        "without a link with a wrong end, a missing link is the root"
    )
