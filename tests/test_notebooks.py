"""The notebooks in notebooks/: stored without outputs, as make_notebooks.py writes them, and they run.

Each notebook is executed with nbclient in a copy of the project's notebooks/ and
scenarios/ (so what it writes under results/ stays in a temporary folder), on a
kernel started with this interpreter: the project's venv, nothing registered.
Notebook 2, which also sends its sweep to a Dask cluster, is run in test_notebooks_dask.py
(a file of its own, so that pytest-xdist runs it beside the other two).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest
from builders import ROOT
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

NOTEBOOKS = ROOT / "notebooks"
NAMES = ["01-first-run.ipynb", "02-delay-and-trust.ipynb", "03-build-a-scenario.ipynb"]
CELL_TIMEOUT = 300
"""Seconds one cell may take before the test fails (a whole notebook takes well under a minute)."""

BUDGET_SECONDS = 120
"""A notebook must run in under a minute on 2 cores; this guard leaves room for a busy CI machine."""

DASK_VARIABLE = "TABLETOP_DASK_SCHEDULER"


class ThisInterpreter(KernelSpecManager):
    """Starts kernels with this Python's ipykernel, whatever kernels the machine has registered."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python (tabletop)",
            language="python",
            name=kernel_name,
        )


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def _outputs_text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_the_three_notebooks_are_there() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_a_notebook_is_stored_without_outputs(name: str) -> None:
    notebook = _read(name)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "a notebook that teaches the API has code"
    for cell in code:
        assert cell.outputs == [], f"cell {cell.id} of {name} is stored with outputs: clear them"
        assert cell.execution_count is None, f"cell {cell.id} of {name} is stored with an execution count"
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")


def test_the_stored_notebooks_are_what_make_notebooks_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, text in module.texts().items():
        stored = (NOTEBOOKS / name).read_text(encoding="utf-8")
        assert stored == text, (
            f"notebooks/{name} differs from its cells in make_notebooks.py: edit them there and run it"
        )


def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of notebooks/ and scenarios/: the notebooks find the scenarios and write results/ there."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns("*.py", ".ipynb_checkpoints"))
    shutil.copytree(ROOT / "scenarios", root / "scenarios")
    return root


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The notebooks' copy of the project (`project_copy`), shared by this file's notebooks."""
    return project_copy(tmp_path_factory)


def _execute(path: Path) -> tuple[nbformat.NotebookNode, float]:
    notebook = nbformat.read(path, as_version=4)
    manager = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=ThisInterpreter())
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},  # the kernel's working folder: notebooks/
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if a cell fails
    return notebook, time.perf_counter() - started


def _check_ran_cleanly(notebook: nbformat.NotebookNode, name: str) -> None:
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"{name}, cell {cell.id}: {output.get('ename')}"
            assert not (output.output_type == "stream" and output.name == "stderr"), (
                f"{name}, cell {cell.id} printed to stderr (a warning an analyst would see): {output.text[:300]}"
            )


def _images(notebook: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for cell in notebook.cells for o in cell.get("outputs", []))


def test_first_run_notebook_runs(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DASK_VARIABLE, raising=False)
    notebook, seconds = _execute(workspace / "notebooks" / "01-first-run.ipynb")
    print(f"01-first-run.ipynb: {seconds:.1f} s")
    _check_ran_cleanly(notebook, "01-first-run")
    assert _images(notebook) >= 6, "the five debrief figures and the two chains side by side are drawn inline"
    text = _outputs_text(notebook)
    assert "detected 133 of 400 travellers who crossed a border (33%)" in text, "the README's run, seed 4101"
    run = workspace / "results" / "notebooks" / "01-first-run" / "baseline"
    assert (run / "report.html").is_file() and (run / "figures" / "chain.png").is_file()
    assert seconds < BUDGET_SECONDS


def test_build_a_scenario_notebook_runs(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DASK_VARIABLE, raising=False)
    notebook, seconds = _execute(workspace / "notebooks" / "03-build-a-scenario.ipynb")
    print(f"03-build-a-scenario.ipynb: {seconds:.1f} s")
    _check_ran_cleanly(notebook, "03-build-a-scenario")
    text = _outputs_text(notebook)
    assert "sharing.links[4].to: no such agency (did you mean 'ALD-BRD'?) (got ALD-BDR)" in text
    assert "sharing.defaults.trust: should be less than or equal to 1 (got 1.2)" in text
    assert "with bilateral links; difference -" in text, "the hub detects more"
    out = workspace / "results" / "notebooks" / "03-build-a-scenario"
    from sim.spec.scenario import load_scenario

    assert load_scenario(out / "four-countries-hub.yaml").name == "Four countries with a hub"
    assert (out / "hub-vs-bilateral" / "comparison.json").is_file()
    assert seconds < BUDGET_SECONDS
