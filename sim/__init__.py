"""tabletop: an agent-based simulation of a tabletop exercise on information sharing.

National agencies of fictional countries share alerts about synthetic persons
of interest; border agencies screen travellers returning from a conflict zone.
The public API (see `sim.api`):

- `load_scenario(path, overrides)` -> a validated `Scenario`; `vary(scenario, {path: value})`;
- `run(scenario, seed, out=None)` -> a `RunResult` (summary and tables); `tables(result)` -> DataFrames;
- `compare(a, b, replications)` -> paired differences on common random numbers;
- `sweep(sweep_file, out, workers, scheduler)` -> a sweep folder;
- `report(folder)`, `play(scenario, player)`, `msel(scenario)`, `check(path)`, `schema()`;
- `save_scenario(scenario, path)` writes a scenario file; `replication_seeds(master, n)` gives
  independent seeds for replications (``sim.run(scenario, seed=s)`` for each);
- `SharingModel(scenario, seed)`: the Mesa model itself (``sim.engine.model``).

``dir(sim)`` lists these names (and tab completion offers them) although the heavier
ones load only on first use.
"""

from typing import Any

from sim.errors import ScenarioError, SimError  # noqa: E402
from sim.spec.scenario import Scenario, load_scenario, scenario_from_dict  # noqa: E402
from sim.version import __version__  # noqa: E402

_API = ("run", "vary", "compare", "sweep", "tables", "report", "play", "msel", "check", "schema", "save_scenario",
        "open_room", "resume_room", "replay_exercise")
_LAZY = {**dict.fromkeys(_API, "sim.api"), "replication_seeds": "sim.spec.seeds",
         "run_one": "sim.engine.one_run", "SharingModel": "sim.engine.model"}  # fmt: skip

__all__ = ["Scenario", "ScenarioError", "SimError", "__version__", "load_scenario", "scenario_from_dict", *_LAZY]


def __getattr__(name: str) -> Any:
    """Load the heavier parts of the API on first use (``import sim`` does not import Mesa)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, loaded or not, for ``dir(sim)`` and tab completion."""
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
