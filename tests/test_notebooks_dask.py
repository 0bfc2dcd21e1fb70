"""Notebook 2 runs, locally and on Dask: its sweep is also sent to a Dask cluster started here
(the notebook never starts one), so its cluster cell cannot rot either.

In a file of its own (the helpers and the workspace are test_notebooks.py's): this notebook takes
about as long as the other two together, so pytest-xdist (--dist loadfile) can run it on one worker
while the other runs those.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_notebooks import (
    BUDGET_SECONDS,
    DASK_VARIABLE,
    _check_ran_cleanly,
    _execute,
    _images,
    _outputs_text,
    project_copy,
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of notebooks/ and scenarios/ (`project_copy`): the notebook writes its results/ there."""
    return project_copy(tmp_path_factory)


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[str]:
    """A small Dask cluster on 127.0.0.1 (two single-threaded worker processes), for notebook 2's last cell."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_delay_and_trust_notebook_runs_locally_and_on_dask(
    workspace: Path, dask_cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DASK_VARIABLE, dask_cluster)
    notebook, seconds = _execute(workspace / "notebooks" / "02-delay-and-trust.ipynb")
    print(f"02-delay-and-trust.ipynb (with its Dask cell): {seconds:.1f} s")
    _check_ran_cleanly(notebook, "02-delay-and-trust")
    assert _images(notebook) >= 2, "the response curves and the heatmap are drawn inline"
    text = _outputs_text(notebook)
    assert "75 runs of 75, 0 failed" in text
    assert text.count("critical delay scale") == 3, "one critical delay per trust level"
    assert "75 runs on Dask cluster" in text and "the same response surface as on local processes: True" in text
    sweep = workspace / "results" / "notebooks" / "02-delay-and-trust" / "sweep"
    assert (sweep / "points.csv").is_file() and (sweep / "report.html").is_file()
    assert seconds < BUDGET_SECONDS
