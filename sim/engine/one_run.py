"""One run, start to finish, and its run folder.

`run_one` is a pure top-level function of (scenario, seed): it pickles, so any
executor (a process pool, Dask) can call it, and the same arguments give the
same result in any process.
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.engine.model import SharingModel
from sim.engine.outcomes import (
    ALERT_COLUMNS,
    CROSSING_COLUMNS,
    EVENT_COLUMNS,
    TIMESERIES_COLUMNS,
    RunResult,
    collect,
    traveller_columns,
)
from sim.engine.trust import TRUST_COLUMNS
from sim.engine.wrongful import WRONGFUL_STOP_COLUMNS
from sim.safe_text import CsvWriter
from sim.spec.output_files import OutputError, output_problem, replacing, write_text
from sim.spec.scenario import Scenario
from sim.spec.yaml_files import dump_yaml


def resolve_seed(scenario: Scenario, seed: int | None = None) -> int:
    """The seed a run uses: the one given, else the scenario's, else a fresh random one."""
    if seed is not None:
        return int(seed)
    if scenario.seed is not None:
        return int(scenario.seed)
    return secrets.randbelow(2**32)


def run_one(scenario: Scenario, seed: int | None = None, tables: bool = True, log_events: bool = True) -> RunResult:
    """Run one scenario once.

    Args:
        scenario: a validated scenario.
        seed: the seed (default: the scenario's; a fresh one if it has none).
        tables: also return the per-traveller, per-alert, timeline and daily tables.
        log_events: keep the timeline (needed for the events table).

    Returns:
        The run's summary and tables, and its ``seed``.
    """
    seed = resolve_seed(scenario, seed)
    with gc_paused():
        model = SharingModel(scenario, seed=seed, log_events=log_events and tables, collect_data=False)
        model.run()
        result = collect(model, tables=tables)
    result.seed = seed
    return result


@contextlib.contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector for the duration of a run.

    A run allocates hundreds of thousands of small objects that all stay alive
    until it ends; the collector would scan them again and again, making the
    cost per traveller grow with the number of travellers. Paused, it stays flat.
    Reference counting still frees everything that is not in a cycle.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def slug(text: str) -> str:
    """A file-name-safe version of a scenario name: ``Northern corridor`` -> ``northern-corridor``."""
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text or "scenario"


def default_run_folder(scenario: Scenario, root: str | Path = "results", name: str | None = None) -> Path:
    """``results/<scenario-name>/<UTC timestamp>/`` (or ``<name>`` instead), made unique if it exists."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = Path(root) / (name or slug(scenario.name)) / stamp
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{stamp}-{n}")
    return folder


def resolved_yaml(scenario: Scenario, seed: int) -> str:
    """The scenario as run (overrides applied, seed filled in), as YAML text."""
    raw = scenario.raw
    if "seed" in raw:
        raw["seed"] = seed
    else:
        ordered: dict[str, Any] = {}
        for key, value in raw.items():
            ordered[key] = value
            if key == "description":
                ordered["seed"] = seed
        ordered.setdefault("seed", seed)
        raw = ordered
    return dump_yaml(raw)


def write_run_metadata(folder: str | Path, source: str, overrides: list[str], seed: int) -> Path:
    """``run.json``: how the run was asked for (file, overrides, seed), for the report's overview.

    Not part of the reproducible outputs: re-running ``scenario.yaml`` gives the same
    tables and summary, with no overrides left to record.
    """
    from sim.version import __version__

    path = Path(folder) / "run.json"
    meta = {"scenario_file": str(source), "overrides": list(overrides), "seed": seed, "version": __version__}
    return write_text(path, json.dumps(meta, indent=2) + "\n")


def _write_csv(path: Path, columns: list[str], rows: list[Any]) -> None:
    with replacing(path) as handle:
        writer = CsvWriter(handle)
        writer.writerow(columns)
        for row in rows:
            values = [row[c] for c in columns] if isinstance(row, dict) else row
            writer.writerow(["" if v is None else v for v in values])


def write_run_folder(result: RunResult, scenario: Scenario, folder: str | Path) -> Path:
    """Write the run folder's files: scenario.yaml, summary.json and the five tables.

    Into `folder` as it is (made if missing): callers give the partial folder of
    `sim.spec.output_files.new_folder`, which is renamed into place when complete.

    Returns:
        The folder.

    Raises:
        OutputError: a file cannot be written (full or read-only disk).
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError([output_problem(exc, folder)]) from None
    write_text(folder / "scenario.yaml", resolved_yaml(scenario, result.summary["seed"]))
    write_text(folder / "summary.json", json.dumps(result.summary, indent=2) + "\n")
    costs = "wrongful_stops" in result.summary
    _write_csv(folder / "travellers.csv", traveller_columns(costs), result.travellers)
    _write_csv(folder / "alerts.csv", ALERT_COLUMNS, result.alerts)
    _write_csv(folder / "events.csv", EVENT_COLUMNS, result.events)
    _write_csv(folder / "timeseries.csv", TIMESERIES_COLUMNS, result.timeseries)
    _write_csv(folder / "crossings.csv", CROSSING_COLUMNS, result.crossings)
    if costs:
        _write_csv(folder / "wrongful_stops.csv", WRONGFUL_STOP_COLUMNS, result.wrongful_stops)
        _write_csv(folder / "trust.csv", TRUST_COLUMNS, result.trust)
    return folder
