"""tabletop: an agent-based simulation of a tabletop exercise on information sharing.

National agencies of fictional countries share alerts about synthetic persons
of interest; border agencies screen travellers returning from a conflict zone.
The public API:

- `load_scenario(path, overrides)` -> a validated `Scenario`;
- `run_one(scenario, seed)` -> a `RunResult` (summary and tables);
- `SharingModel(scenario, seed)`: the Mesa model itself.
"""

__version__ = "0.1.0"

from sim.errors import ScenarioError, SimError  # noqa: E402
from sim.scenario import Scenario, load_scenario, scenario_from_dict  # noqa: E402

__all__ = ["Scenario", "ScenarioError", "SimError", "__version__", "load_scenario", "scenario_from_dict"]
