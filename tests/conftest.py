"""Shared fixtures for the tests."""

from __future__ import annotations

import pytest
from builders import EXAMPLE

from sim.spec.scenario import Scenario, load_scenario


@pytest.fixture
def example_scenario() -> Scenario:
    """The format document's example scenario."""
    return load_scenario(EXAMPLE)
