"""Shared fixtures for the tests."""

from __future__ import annotations

import pytest
from builders import EXAMPLE

from sim.spec.scenario import Scenario, load_scenario


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
