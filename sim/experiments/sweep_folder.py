"""The sweep folder: where it goes, preparing (or resuming) it, the runs it already holds, its manifest."""

from __future__ import annotations

import csv
import json
import os
import platform
import socket
import sys
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sim.engine.one_run import slug
from sim.errors import Problem, ScenarioError
from sim.safe_text import csv_text
from sim.spec.limits import LimitNote
from sim.spec.sweep_file import Sweep, data_hash, load_sweep
from sim.spec.yaml_files import dump_yaml
from sim.version import __version__


def default_sweep_folder(sweep: Sweep, root: str | Path = "results") -> Path:
    """``results/<sweep-name>/<UTC timestamp>/``, made unique if it exists."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = Path(root) / slug(sweep.name) / stamp
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{stamp}-{n}")
    return folder


def latest_sweep_folder(sweep: Sweep, root: str | Path = "results") -> Path | None:
    """The most recent folder of this sweep under `root` (for ``--resume`` without ``--out``)."""
    parent = Path(root) / slug(sweep.name)
    folders = sorted(p for p in parent.glob("*") if (p / "sweep.yaml").is_file()) if parent.is_dir() else []
    return folders[-1] if folders else None


def is_sweep_folder(folder: str | Path) -> bool:
    """Whether a folder holds a sweep (``sweep.yaml`` and ``runs.csv``), not a run or a comparison."""
    folder = Path(folder)
    return (folder / "sweep.yaml").is_file() and (folder / "runs.csv").is_file()


def prepare_folder(sweep: Sweep, folder: Path, resume: bool) -> None:
    """Make the folder (or check that it holds this sweep, to resume) and write sweep.yaml and scenario.yaml.

    Raises:
        ScenarioError: the folder holds another sweep, or already a sweep without `resume`.
    """
    runs = folder / "runs.csv"
    if resume:
        if not (folder / "sweep.yaml").is_file():
            raise ScenarioError([Problem(str(folder), None, "", "holds no sweep to resume (no sweep.yaml)")])
        with warnings.catch_warnings():  # the sweep as recorded: checked when it started, not again
            warnings.simplefilter("ignore", LimitNote)
            before = load_sweep(folder / "sweep.yaml", allow_large=True)
        if before.replications > sweep.replications:
            raise ScenarioError(
                [
                    Problem(
                        sweep.source,
                        None,
                        "replications",
                        f"the sweep in {folder} has {before.replications}; a resumed sweep may add replications, "
                        "not drop them",
                        sweep.replications,
                    )
                ]
            )
        if before.identity() != sweep.identity():
            raise ScenarioError(
                [
                    Problem(
                        sweep.source,
                        None,
                        "",
                        f"is not the sweep in {folder}: its scenario, design, samples, seed, parameters or "
                        "outputs differ (only replications may change on resume); run it into another folder",
                    )
                ]
            )
    elif runs.exists():
        raise ScenarioError(
            [
                Problem(
                    str(folder), None, "", "already holds a sweep: add --resume to finish it, or choose another --out"
                )
            ]
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario.yaml").write_text(dump_yaml(sweep.scenario.raw), encoding="utf-8")
    (folder / "sweep.yaml").write_text(sweep.to_yaml(scenario="scenario.yaml"), encoding="utf-8")


def repair_runs_file(path: Path) -> None:
    """Cut a last row torn by a kill mid-write (a file ends with a newline after every whole row)."""
    if not path.exists():
        return
    with path.open("rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        # Walk back to the last newline.
        position = size - 1
        chunk = 4096
        while position > 0:
            start = max(0, position - chunk)
            handle.seek(start)
            data = handle.read(position - start)
            cut = data.rfind(b"\n")
            if cut >= 0:
                handle.truncate(start + cut + 1)
                return
            position = start
        handle.truncate(0)


@dataclass
class Progress:
    """Runs already in a sweep folder: which (point, replication) pairs, and how many failed."""

    points: int
    done: bytearray
    count: int = 0
    failed: int = 0

    def has(self, point: int, replication: int) -> bool:
        """Whether this run has a row."""
        index = replication * self.points + point
        return index < len(self.done) and self.done[index] == 1

    def add(self, point: int, replication: int, failed: bool) -> None:
        """Record a row."""
        index = replication * self.points + point
        if index >= len(self.done):
            self.done.extend(bytes(index + 1 - len(self.done)))
        if not self.done[index]:
            self.done[index] = 1
            self.count += 1
            self.failed += failed


def read_progress(path: Path, columns: list[str], points: int) -> Progress:
    """The runs a `runs.csv` already holds (one byte per run: flat however many).

    Raises:
        ScenarioError: when the file's columns are not this sweep's.
    """
    progress = Progress(points=points, done=bytearray())
    if not path.exists() or path.stat().st_size == 0:
        return progress
    error_at = columns.index("error")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [csv_text(cell) for cell in header] != columns:
            raise ScenarioError(
                [Problem(str(path), 1, "", "has other columns than this sweep's runs; it belongs to another sweep")]
            )
        for row in reader:
            if len(row) == len(columns):
                progress.add(int(row[0]), int(row[1]), bool(row[error_at]))
    return progress


def machine_facts() -> dict[str, Any]:
    """Where the sweep ran: platform, Python, cores, memory, and the versions that matter."""
    versions = {"tabletop": __version__}
    for name in ("mesa", "numpy", "scipy", "SALib", "dask", "distributed"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        memory = None
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "memory_gib": round(memory, 1) if memory else None,
        "versions": versions,
    }


def write_manifest(folder: Path, sweep: Sweep, state: Progress, session: dict[str, Any]) -> None:
    """Write manifest.json: the sweep, its progress, and every session so far (this one added)."""
    path = folder / "manifest.json"
    previous: dict[str, Any] = {}
    if path.exists():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, OSError):
            previous = {}
    manifest = {
        "sweep": sweep.name,
        "source": sweep.source,
        "identity": sweep.identity(),
        "scenario": str(sweep.scenario_file),
        "scenario_hash": data_hash(sweep.scenario.raw),
        "design": sweep.design,
        "points": len(sweep.points()),
        "replications": sweep.replications,
        "runs": sweep.runs,
        "rows": state.count,
        "failed": state.failed,
        "status": session["status"],
        "command": " ".join(sys.argv),
        "machine": machine_facts(),
        "sessions": [*previous.get("sessions", []), session],
    }
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
