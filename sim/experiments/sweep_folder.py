"""The sweep folder: where it goes, preparing (or resuming) it, the runs it already holds, its manifest.

A sweep folder grows in place (rows are appended as runs finish, and ``--resume``
continues it), so unlike a run folder it is not written under a temporary name: it
is held by a lock while a sweep runs in it, and gets its completion marker
(`sim.spec.output_files.MARKER`) once its last run is in. Rows of ``runs.csv`` that
are not runs of the sweep (cut, garbled, out of range, twice) are set aside into
``runs.rejected.csv`` on resume and run again.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import re
import socket
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sim.engine.one_run import slug
from sim.errors import Problem, ScenarioError
from sim.safe_text import CsvWriter, csv_text
from sim.spec.limits import LimitNote
from sim.spec.output_files import LOCK, REJECTED, check_target, clear_own_files, open_append, replacing, write_text
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


def check_new_folder(folder: Path, resume: bool, force: bool = False, ignore: tuple[str, ...] = ()) -> None:
    """Check the folder before its lock is taken: absent or empty for a new sweep, holding one to resume.

    With `force`, a new sweep's folder may hold tabletop's own files (they are removed).

    Raises:
        ScenarioError: a folder holds a sweep already (without `resume`), or none to resume.
        OutputError: a folder holds other files (`sim.spec.output_files.check_target`).
    """
    if resume:
        if not (folder / "sweep.yaml").is_file():
            raise ScenarioError([Problem(str(folder), None, "", "holds no sweep to resume (no sweep.yaml)")])
        return
    if (folder / "runs.csv").exists() and not force:
        raise ScenarioError(
            [
                Problem(
                    str(folder), None, "", "already holds a sweep: add --resume to finish it, --force to start it "
                    "afresh, or choose another --out"
                )
            ]
        )  # fmt: skip
    check_target(folder, force, ignore)


def prepare_folder(sweep: Sweep, folder: Path, resume: bool, force: bool = False) -> None:
    """Check that the folder holds this sweep (to resume) or clear it (`force`); write sweep.yaml and scenario.yaml.

    Called with the folder's lock held (`sim.spec.output_files.lock_folder`).

    Raises:
        ScenarioError: the folder holds another sweep, or already a sweep without `resume`.
        OutputError: it cannot be written.
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
    else:
        check_new_folder(folder, resume, force, ignore=(LOCK,))  # again, locked: another sweep may have begun
        if force:
            clear_own_files(folder, keep=(LOCK,))
        if runs.exists():  # pragma: no cover - cleared above
            raise ScenarioError([Problem(str(folder), None, "", "already holds a sweep")])
    write_text(folder / "scenario.yaml", dump_yaml(sweep.scenario.raw))
    write_text(folder / "sweep.yaml", sweep.to_yaml(scenario="scenario.yaml"))


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
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def has(self, point: int, replication: int) -> bool:
        """Whether this run has a row."""
        index = replication * self.points + point
        return index < len(self.done) and self.done[index] == 1

    def add(self, point: int, replication: int, failed: bool) -> None:
        """Record a row (a run of the sweep: `row_problem` found nothing wrong with it)."""
        index = replication * self.points + point
        if index >= len(self.done):
            self.done.extend(bytes(index + 1 - len(self.done)))
        if not self.done[index]:
            self.done[index] = 1
            self.count += 1
            self.failed += failed


_WHOLE = re.compile(r"[0-9]{1,15}")


def row_problem(row: list[str], sweep: Sweep, points: int, seeds: list[int]) -> str | None:
    """What makes a row of runs.csv not a run of this sweep, or None when it is one.

    Checks its number of fields, that point and replication are whole numbers of the design
    (0 to points - 1, 0 to replications - 1), that the seed is the replication's, and that
    every output is a finite number or empty.
    """
    columns = sweep.run_columns
    if len(row) != len(columns):
        return f"has {len(row)} fields, not {len(columns)}"
    if any("\udc80" <= ch <= "\udcff" for cell in row for ch in cell):
        return "is not UTF-8 text"
    point, replication, seed = row[0], row[1], row[2]
    if not _WHOLE.fullmatch(point) or int(point) >= points:
        return f"point {point[:20]!r} is not a point of this sweep (0 to {points - 1})"
    if not _WHOLE.fullmatch(replication) or int(replication) >= len(seeds):
        return f"replication {replication[:20]!r} is not one of this sweep's (0 to {len(seeds) - 1})"
    if seed != str(seeds[int(replication)]):
        return f"seed {seed[:24]!r} is not replication {int(replication)}'s seed ({seeds[int(replication)]})"
    first_output = 3 + len(sweep.paths)
    for name, cell in zip(sweep.outputs, row[first_output : first_output + len(sweep.outputs)], strict=True):
        if cell == "":
            continue
        try:
            number = float(cell)
        except ValueError:
            return f"{name} is not a number ({cell[:20]!r})"
        if not math.isfinite(number):
            return f"{name} is not a finite number ({cell[:20]!r})"
    return None


def read_progress(path: Path, sweep: Sweep) -> Progress:
    """The runs a `runs.csv` already holds (one byte per run: flat however many).

    Rows that are not runs of this sweep (`row_problem`), or a run's second row, are set
    aside: moved into ``runs.rejected.csv`` beside it (line, reason, the row as it was)
    and left out of runs.csv, so that resuming runs them again. `Progress.rejected` says
    which lines and why.

    Raises:
        ScenarioError: when the file's columns are not this sweep's.
        OutputError: runs.csv cannot be rewritten without the rejected rows.
    """
    columns = sweep.run_columns
    points = len(sweep.points())
    seeds = sweep.replication_seeds()
    progress = Progress(points=points, done=bytearray())
    if not path.exists() or path.stat().st_size == 0:
        return progress
    error_at = columns.index("error")
    rejected: list[list[str]] = []
    with path.open(newline="", encoding="utf-8", errors="surrogateescape") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [csv_text(cell) for cell in header] != columns:
            raise ScenarioError(
                [Problem(str(path), 1, "", "has other columns than this sweep's runs; it belongs to another sweep")]
            )
        for line, row, broken in _numbered_rows(reader):
            if row is None:
                why = f"is not a CSV row ({broken})"
                progress.rejected.append((line, why))
                rejected.append([str(line), why])
                continue
            why = row_problem(row, sweep, points, seeds)
            if why is None and progress.has(int(row[0]), int(row[1])):
                why = f"run (point {int(row[0])}, replication {int(row[1])}) has a row already"
            if why is not None:
                progress.rejected.append((line, why))
                rejected.append([str(line), why, *row])
                continue
            progress.add(int(row[0]), int(row[1]), bool(row[error_at]))
    if progress.rejected:
        _set_aside(path, columns, rejected)
    return progress


def _numbered_rows(reader: Any) -> Iterator[tuple[int, list[str] | None, csv.Error | None]]:
    """Each row of a ``csv.reader`` with its line number; a row the reader cannot parse as (line, None, error)."""
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, None, exc
            continue
        yield line, row, None


def _set_aside(path: Path, columns: list[str], rejected: list[list[str]]) -> None:
    """Append the rejected rows to runs.rejected.csv, then rewrite runs.csv with the good rows only."""
    aside = path.with_name(REJECTED)
    fresh = not aside.exists() or aside.stat().st_size == 0
    with open_append(aside) as handle:
        handle.reconfigure(errors="surrogateescape")
        writer = CsvWriter(handle)
        if fresh:
            writer.writerow(["line", "reason", *columns])
        writer.writerows(rejected)
    bad = {int(row[0]) for row in rejected}
    with path.open(newline="", encoding="utf-8", errors="surrogateescape") as source, replacing(path) as target:
        target.reconfigure(errors="surrogateescape")
        # Each cell read back (`csv_text`) and written again through the writer: the same bytes.
        reader, writer = csv.reader(source), CsvWriter(target)
        writer.writerow([csv_text(cell) for cell in next(reader)])
        for line, row, _ in _numbered_rows(reader):
            if row is not None and line not in bad:
                writer.writerow([csv_text(cell) for cell in row])


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
    write_text(path, json.dumps(manifest, indent=2) + "\n")
