"""The examples of docs/scenario-format.md are run, so the field reference cannot drift from the code.

Conventions of the page (stated at its top):

- a fenced block with info string ``yaml`` is a whole scenario: it must validate and run;
- ``yaml invalid`` is a whole scenario with mistakes; the fenced ``text`` block right after it
  holds the exact lines ``tabletop validate scenario.yaml`` prints for it;
- ``yaml fragment`` is part of a scenario (only checked to be YAML); ``console`` and ``text``
  blocks are not run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from sim.engine.one_run import run_one
from sim.spec.scenario import scenario_from_dict, traveller_total

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "scenario-format.md"
FULL_EXAMPLE = ROOT / "scenarios" / "northern-corridor.yaml"
"""The page's "full example" is this shipped scenario, word for word."""

MAX_TRAVELLERS = 200
"""Travellers per example run: enough to exercise every process, few enough to stay fast."""

SUMMARY_LINE = re.compile(r"^\d+ (of \d+ files? ha(s|ve) problems|problems?;)")
"""The count printed after the problems (not part of a documented example's lines)."""


@dataclass(frozen=True)
class Block:
    """One fenced block of the page."""

    info: str
    text: str
    line: int  # line of the opening fence, 1-based

    def __str__(self) -> str:
        return f"{self.info or 'plain'}@line{self.line}"


def read_blocks(path: Path = DOC) -> list[Block]:
    """Every fenced block of a Markdown file, in order."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    opened: tuple[str, str, int] | None = None  # (fence, info, line)
    body: list[str] = []
    for number, line in enumerate(lines, start=1):
        if opened is None:
            match = re.match(r"^(`{3,}|~{3,})\s*(.*?)\s*$", line)
            if match:
                opened, body = (match.group(1), match.group(2), number), []
            continue
        fence, info, start = opened
        if line.strip() == fence:
            blocks.append(Block(info=info, text="\n".join(body) + "\n", line=start))
            opened = None
        else:
            body.append(line)
    assert opened is None, f"{path.name}: the block opened on line {opened[2]} is never closed"
    return blocks


BLOCKS = read_blocks()
SCENARIOS = [b for b in BLOCKS if b.info == "yaml"]
FRAGMENTS = [b for b in BLOCKS if b.info == "yaml fragment"]
INVALID = [
    (b, BLOCKS[i + 1] if i + 1 < len(BLOCKS) else None) for i, b in enumerate(BLOCKS) if b.info == "yaml invalid"
]


def test_the_page_has_examples_to_check() -> None:
    assert len(SCENARIOS) >= 3, f"expected at least 3 `yaml` scenarios in {DOC.name}, found {len(SCENARIOS)}"
    assert len(INVALID) >= 1, f"expected at least 1 `yaml invalid` example in {DOC.name}, found none"
    known = {"yaml", "yaml fragment", "yaml invalid", "text", "console"}
    unknown = [str(b) for b in BLOCKS if b.info not in known]
    assert not unknown, f"blocks with an info string the tests do not know (so nothing checks them): {unknown}"


def test_the_full_example_is_the_shipped_scenario() -> None:
    shipped = yaml.safe_load(FULL_EXAMPLE.read_text(encoding="utf-8"))
    assert any(yaml.safe_load(b.text) == shipped for b in SCENARIOS), (
        f"{DOC.name} says its full example is {FULL_EXAMPLE.name}; no `yaml` block equals that file"
    )


@pytest.mark.parametrize("block", SCENARIOS, ids=str)
def test_scenario_example_validates_and_runs(block: Block) -> None:
    data = yaml.safe_load(block.text)
    assert isinstance(data, dict), f"{block}: a `yaml` block is a whole scenario (a mapping)"
    travellers = data.get("travellers")
    if isinstance(travellers, dict) and isinstance(travellers.get("count"), int):
        travellers["count"] = min(travellers["count"], MAX_TRAVELLERS)
    scenario = scenario_from_dict(data, source=f"{DOC.name}:{block.line}")

    summary = run_one(scenario, seed=1, tables=False).summary

    assert summary["travellers"] == traveller_total(scenario), "every traveller of the example is in the run"
    assert 0 <= summary["detected"] <= summary["crossed"] <= summary["travellers"]
    alerts = summary["alerts"]
    assert alerts["sent"] == alerts["delivered"] + alerts["lost"] + alerts["in_transit"], (
        "alerts are conserved: sent = delivered + lost + in transit"
    )


@pytest.mark.parametrize("block", FRAGMENTS, ids=str)
def test_fragment_is_yaml(block: Block) -> None:
    data = yaml.safe_load(block.text)
    assert isinstance(data, dict), f"{block}: a fragment is a mapping of scenario fields"


@pytest.mark.parametrize(("block", "expected"), INVALID, ids=[str(b) for b, _ in INVALID])
def test_invalid_example_prints_the_documented_lines(block: Block, expected: Block | None, tmp_path: Path) -> None:
    assert expected is not None and expected.info == "text", (
        f"{block}: a `yaml invalid` block must be followed immediately by a `text` block with the error lines"
    )
    (tmp_path / "scenario.yaml").write_text(block.text, encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "sim", "validate", "scenario.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 2, f"validate should exit 2 on a file with mistakes; stderr:\n{done.stderr}"
    printed = done.stderr.splitlines()
    assert printed and SUMMARY_LINE.match(printed[-1]), f"a count of problems ends the output:\n{done.stderr}"
    want = expected.text.splitlines()
    assert all(line.startswith("scenario.yaml:") for line in want), f"{expected}: lines start with scenario.yaml:LINE"
    assert printed[:-1] == want, (
        f"the error lines documented on line {expected.line} of {DOC.name} differ from what validate prints"
    )
