"""tabletop: an agent-based simulation of a tabletop exercise on information sharing.

National agencies of fictional countries share alerts about synthetic persons
of interest; border agencies screen travellers returning from a conflict zone.
The public API (see `sim.api`):

- `load_scenario(path, overrides)` -> a validated `Scenario`; `vary(scenario, {path: value})`;
- `run(scenario, seed, out=None)` -> a `RunResult` (summary and tables); `tables(result)` -> DataFrames;
- `compare(a, b, replications)` -> paired differences on common random numbers;
- `sweep(sweep_file, out, workers, scheduler)` -> a sweep folder;
- `SharingModel(scenario, seed)`: the Mesa model itself (``sim.engine.model``).
"""

from typing import Any

from sim.errors import ScenarioError, SimError  # noqa: E402
from sim.spec.scenario import Scenario, load_scenario, scenario_from_dict  # noqa: E402
from sim.version import __version__  # noqa: E402

_LAZY = {"run": "sim.api", "vary": "sim.api", "compare": "sim.api", "sweep": "sim.api", "tables": "sim.api",
         "run_one": "sim.engine.one_run", "SharingModel": "sim.engine.model"}  # fmt: skip

__all__ = ["Scenario", "ScenarioError", "SimError", "__version__", "load_scenario", "scenario_from_dict", *_LAZY]


def __getattr__(name: str) -> Any:
    """Load the heavier parts of the API on first use (``import sim`` does not import Mesa)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
