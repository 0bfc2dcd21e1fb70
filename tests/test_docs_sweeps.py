"""The examples of docs/sweeps.md are checked, so the page cannot drift from the code.

A ``yaml sweep`` block is a whole sweep file as it would sit in scenarios/sweeps/:
it must validate there. A ``python`` block runs from the project's root.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from builders import ROOT
from test_docs import Block, read_blocks

from sim.spec.sweep_file import load_sweep

DOC = ROOT / "docs" / "sweeps.md"
BLOCKS = read_blocks(DOC)
SWEEPS = [b for b in BLOCKS if b.info == "yaml sweep"]
PYTHON = [b for b in BLOCKS if b.info == "python"]


def test_the_page_has_examples_to_check() -> None:
    assert len(SWEEPS) >= 2 and len(PYTHON) >= 2, "docs/sweeps.md shows sweep files and Python to check"
    known = {"yaml sweep", "python", "console", "text"}
    assert not [str(b) for b in BLOCKS if b.info not in known], "every block is of a kind the tests know"


@pytest.mark.parametrize("block", SWEEPS, ids=str)
def test_sweep_example_validates_in_the_sweeps_folder(block: Block, tmp_path: Path) -> None:
    # The same layout as scenarios/: the scenarios one folder up from the sweep.
    for scenario in (ROOT / "scenarios").glob("*.yaml"):
        shutil.copy(scenario, tmp_path / scenario.name)
    (tmp_path / "sweeps").mkdir()
    path = tmp_path / "sweeps" / "example.yaml"
    path.write_text(block.text, encoding="utf-8")
    sweep = load_sweep(path)
    assert sweep.runs > 0


@pytest.mark.parametrize("block", PYTHON, ids=str)
def test_python_example_runs(block: Block, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", block.text], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{block} fails:\n{done.stderr}"
