"""Shared fixtures for the tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import EXAMPLE

from sim.spec.scenario import Scenario, load_scenario

# ---------------------------------------------------------------- the order files are handed out in

LONGEST_FIRST = [
    "test_report.py",
    "test_sweeps.py",
    "test_dashboard_laptops.py",
    "test_cli.py",
    "test_play.py",
    "test_dashboard_room.py",
    "test_room_pages.py",
    "test_i18n_page.py",
    "test_room_load.py",
    "test_notebooks.py",
    "test_notebooks_dask.py",
    "test_compare.py",
    "test_python_scripts.py",
    "test_docs_sweeps.py",
    "test_executors.py",
    "test_dashboard_security.py",
    "test_dashboard.py",
    "test_progress_lines.py",
    "test_report_costs.py",
    "test_sweepfile.py",
]
"""The files that take longest (`pytest --durations`), longest first: they are handed out first.

The suite runs on two workers, a file at a time each (``-n 2 --dist loadfile``, with
``--no-loadscope-reorder`` so that pytest-xdist keeps this order rather than putting the
files with the most tests first). Longest first, the short files fill in at the end and both
workers finish about together; in pytest-xdist's order (by number of tests) the long files
with few tests (twenty laptops, the notebooks, the Dask sweep) came last, and one worker ran
them alone while the other had nothing left.
"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the files `LONGEST_FIRST`, then the others as collected (each file's tests keep their order)."""
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(Path(str(item.path)).name, len(rank)))  # stable: the rest keep their order


@pytest.fixture
def example_scenario() -> Scenario:
    """The format document's example scenario."""
    return load_scenario(EXAMPLE)


# ---------------------------------------------------------------- the dashboard's server and browser


@pytest.fixture(scope="session")
def shared_dashboard():
    """One ``tabletop dashboard`` on the baseline corridor, for the tests that only open pages on it.

    Each page (a browser tab, a websocket session) is a session of its own, so the tests stay
    independent of each other and of their order; starting the server once saves seconds per test.
    Yields (process, address, port).
    """
    from dashboard_helpers import start_dashboard, stop

    process, url, port = start_dashboard()
    yield process, url, port
    stop(process)


@pytest.fixture
def chromium_browser():
    """Headless Chromium driven by Playwright (each test opens its own contexts in it).

    One per test, not per module: while Playwright's synchronous API is open it keeps an event
    loop running in this thread, beside which ``asyncio.run`` (the websocket tests) cannot run;
    with the browser kept open and the twenty-laptops client moved to a thread, that test's
    median round trip was 0.7 to 3 s against 0.27 s (one run each, on a loaded machine).
    """
    from dashboard_helpers import CHROMIUM_ARGS, browser_or_skip

    executable = browser_or_skip()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()
    playwright.stop()
