"""Is a folder fit to report on? Its completion marker, and the shape and values of its files.

`tabletop report` reads folders that arrive from elsewhere (by e-mail, from a killed
run, from an earlier version), so before it draws anything `check_folder` asks:

- is it a folder being written, or a sweep still running (its lock is held)?
- does it have its completion marker (`sim.spec.output_files.MARKER`), and do its files
  still have the sizes and SHA-256 the marker gives? (A folder without one, from an
  earlier version, is checked as below and reported with a warning; a sweep without one
  is unfinished unless every run has a row and its manifest says it completed.)
- are its files what the report reads: JSON objects with numbers where numbers go (no
  NaN), CSV tables with their columns, as many fields on every row, numbers that parse?

Every problem names the file, and the line and column where there is one: exit 2.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.engine.outcomes import ALERT_COLUMNS, CROSSING_COLUMNS, EVENT_COLUMNS, TIMESERIES_COLUMNS, TRAVELLER_COLUMNS
from sim.engine.trust import TRUST_COLUMNS
from sim.engine.wrongful import WRONGFUL_STOP_COLUMNS
from sim.errors import Problem, ScenarioError
from sim.experiments.sweep_folder import row_problem
from sim.spec.folders import FolderKind, folder_kind
from sim.spec.output_files import (
    FIGURES,
    MARKER,
    OWN_FILES,
    is_partial_name,
    lock_holder,
    marker_problems,
    read_marker,
)
from sim.spec.sweep_file import Sweep, load_sweep
from sim.vocabulary import BASE_CAUSES

_SURROGATE = re.compile("[\udc80-\udcff]")

REDRAWN = frozenset({"report.html", FIGURES})
"""What `tabletop report` writes again: not held to the marker."""

MAX_PROBLEMS = 20
"""Problems listed before the rest are counted."""

RUN_TABLES: dict[str, tuple[list[str], frozenset[str]]] = {
    "travellers.csv": (TRAVELLER_COLUMNS, frozenset({"party_size", "crossings"})),
    "alerts.csv": (ALERT_COLUMNS, frozenset()),
    "events.csv": (EVENT_COLUMNS, frozenset()),
    "timeseries.csv": (TIMESERIES_COLUMNS, frozenset(TIMESERIES_COLUMNS)),
    "crossings.csv": (CROSSING_COLUMNS, frozenset({"number"})),
}
"""A run folder's tables: their columns, and those that hold numbers (besides every ``*_hours``)."""

COST_TABLES: dict[str, tuple[list[str], frozenset[str]]] = {
    "wrongful_stops.csv": (WRONGFUL_STOP_COLUMNS, frozenset()),
    "trust.csv": (TRUST_COLUMNS, frozenset({"trust", "confirmed", "refuted"})),
}
"""The tables of a run that models the cost of sharing (the debrief reads them when they are there)."""

REQUIRED_CAUSES = BASE_CAUSES  # every run reports these; `expired` only where watchlists keep entries a limited time
"""The miss causes every summary counts (the interface contract); a summary may count more."""

COUNTS = ("travellers", "crossed", "detected", "companions_stopped", "companions_not_stopped")
NUMBERS_OR_NONE = ("detection_rate", "late_share", "median_hours_to_detection", "median_hours_late")
ALERT_COUNTS = ("sent", "delivered", "lost", "discarded", "verified")
STATISTICS = ("a", "b", "diff", "ci_low", "ci_high")


class FolderWarning(UserWarning):
    """A folder reported with a reservation: it has no completion marker (an earlier version wrote it)."""


def check_folder(folder: str | Path) -> tuple[FolderKind, list[str]]:
    """Check an output folder before it is reported.

    Returns:
        Its kind, and warnings to show (a folder without a completion marker).

    Raises:
        ScenarioError: it is no output folder, is being written, or a file is cut, changed or
            not what the report reads; every problem names its file (line and column where known).
    """
    folder = Path(folder)
    if is_partial_name(folder.name):
        raise _error(folder, "is a folder still being written, or left half-written by a run that was killed or "
                     "stopped by a full disk; run it again")  # fmt: skip
    kind = folder_kind(folder)
    if kind is None:
        raise _error(folder, "not a run, comparison or sweep folder")
    holder = lock_holder(folder)
    if holder is not None:
        raise _error(folder, f"a sweep is running in it (pid {holder}); report it when it has finished")
    links = [name for name in sorted(OWN_FILES | {FIGURES}) if (folder / name).is_symlink()]
    if links:
        raise ScenarioError([Problem(str(folder / name), None, "", "is a symbolic link; the files of an output "
                                     "folder are files, and tabletop neither reads nor writes through links")
                             for name in links])  # fmt: skip
    marker = read_marker(folder)
    warnings: list[str] = []
    if marker is not None:
        problems = marker_problems(folder, marker, REDRAWN)
        if marker.get("kind") != kind:
            problems.insert(0, Problem(str(folder / MARKER), None, "kind", f"says a {marker.get('kind')} folder, "
                                       f"but the folder holds a {kind}"))  # fmt: skip
        _raise(problems)
    sweep = None
    if kind == "run":
        problems = run_problems(folder)
    elif kind == "comparison":
        problems = comparison_problems(folder)
    else:
        sweep, problems = sweep_problems(folder)
    _raise(problems)
    if marker is None and kind == "sweep" and sweep is not None:
        unfinished = _unfinished(folder, sweep)
        if unfinished:
            raise _error(folder, unfinished)
    if marker is None:
        warnings.append(f"{folder} has no {MARKER}: it was written by an earlier version of tabletop, or was not "
                        "finished; its files were checked and look whole, so it is reported as it is")  # fmt: skip
    return kind, warnings


def _error(folder: Path, message: str) -> ScenarioError:
    return ScenarioError([Problem(str(folder), None, "", message)])


def _raise(problems: list[Problem]) -> None:
    if not problems:
        return
    if len(problems) > MAX_PROBLEMS:
        rest = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], Problem(problems[MAX_PROBLEMS].file, None, "", f"and {rest} more")]
    raise ScenarioError(problems)


# ---------------------------------------------------------------- JSON


def read_json(path: Path) -> tuple[Any, Problem | None]:
    """A JSON file's value, or the problem reading it (not UTF-8, not JSON, NaN or Infinity)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant), None
    except FileNotFoundError:
        return None, Problem(str(path), None, "", "is missing")
    except UnicodeDecodeError:
        return None, Problem(str(path), None, "", "is not UTF-8 text")
    except json.JSONDecodeError as exc:
        return None, Problem(str(path), exc.lineno, "", f"is not JSON, or was cut ({exc.msg})")
    except ValueError as exc:
        return None, Problem(str(path), None, "", str(exc))
    except OSError as exc:
        return None, Problem(str(path), None, "", f"cannot be read ({exc.strerror or exc})")


def _no_constant(name: str) -> Any:
    raise ValueError(f"holds {name}, which is not a number JSON allows")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def summary_problems(path: Path) -> list[Problem]:
    """A run's summary.json: an object with the keys the report reads, each of its type."""
    summary, problem = read_json(path)
    if problem:
        return [problem]
    if not isinstance(summary, dict):
        return [Problem(str(path), None, "", f"is not a JSON object but {type(summary).__name__}")]
    where = str(path)
    problems = []

    def need(key: str, ok: bool, what: str) -> None:
        if key not in summary:
            problems.append(Problem(where, None, key, "is missing"))
        elif not ok:
            problems.append(Problem(where, None, key, f"should be {what}", summary[key]))

    need("scenario", isinstance(summary.get("scenario"), str), "text")
    need("version", isinstance(summary.get("version"), str), "text")
    need("seed", _is_count(summary.get("seed")), "a whole number >= 0")
    need("horizon_days", _is_number(summary.get("horizon_days")), "a number")
    for key in COUNTS:
        need(key, _is_count(summary.get(key)), "a whole number >= 0")
    for key in NUMBERS_OR_NONE:
        need(key, summary.get(key) is None or _is_number(summary.get(key)), "a number or null")
    for key, inner in (("misses", REQUIRED_CAUSES), ("alerts", ALERT_COUNTS)):
        value = summary.get(key)
        if key not in summary or not isinstance(value, dict):
            need(key, False, "an object")
            continue
        for name in dict.fromkeys([*inner, *(value if key == "misses" else ())]):
            if not _is_count(value.get(name)):
                problems.append(Problem(where, None, f"{key}.{name}", "should be a whole number >= 0",
                                        value.get(name)))  # fmt: skip
    return problems


def comparison_json_problems(path: Path) -> list[Problem]:
    """A comparison's comparison.json: an object of outputs, each with its means, difference and interval."""
    stats, problem = read_json(path)
    if problem:
        return [problem]
    if not isinstance(stats, dict) or not stats:
        return [Problem(str(path), None, "", "is not a JSON object of outputs")]
    problems = []
    if "detection_rate" not in stats:
        problems.append(Problem(str(path), None, "detection_rate", "is missing"))
    for name, entry in stats.items():
        if not isinstance(entry, dict):
            problems.append(Problem(str(path), None, name, "should be an object (a, b, diff, ci_low, ci_high)"))
            continue
        for key in STATISTICS:
            if key not in entry or not (entry[key] is None or _is_number(entry[key])):
                problems.append(Problem(str(path), None, f"{name}.{key}", "should be a number or null",
                                        entry.get(key)))  # fmt: skip
        if not _is_count(entry.get("replications")):
            problems.append(Problem(str(path), None, f"{name}.replications", "should be a whole number >= 0",
                                    entry.get("replications")))  # fmt: skip
    return problems


# ---------------------------------------------------------------- CSV


def _numeric_problem(cell: str, finite: bool = True) -> str | None:
    if cell == "":
        return None
    try:
        number = float(cell)
    except ValueError:
        return "is not a number"
    return None if math.isfinite(number) or not finite else "is not a finite number"


def table_problems(path: Path, columns: Iterable[str] | None, numeric: Iterable[str] = (),
                   all_numeric_but: Iterable[str] | None = None, finite: bool = True) -> list[Problem]:  # fmt: skip
    """A CSV table: UTF-8, its columns (`columns`, when given), as many fields on every row, numbers that parse.

    Args:
        path: the file.
        columns: columns its header must hold (others may follow, as a newer version adds them), or None.
        numeric: columns whose cells are numbers (or empty); every ``*_hours`` column is one too.
        all_numeric_but: instead, every column but these holds numbers.
        finite: refuse NaN and infinities (the analysis tables of a sweep may hold NaN: an index of a constant).
    """
    where = str(path)
    if not path.is_file():
        return [Problem(where, None, "", "is missing")]
    problems: list[Problem] = []
    try:
        with path.open(newline="", encoding="utf-8", errors="surrogateescape") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return [Problem(where, None, "", "is empty (not even its header): it was cut")]
            missing = [name for name in (columns or ()) if name not in header]
            if missing or len(set(header)) != len(header):
                return [Problem(where, 1, "", "does not have the columns of this table (missing: "
                                + (", ".join(missing[:6]) or "none, but a column comes twice") + ")")]  # fmt: skip
            if all_numeric_but is not None:
                numbers = [i for i, name in enumerate(header) if name not in set(all_numeric_but)]
            else:
                wanted = set(numeric)
                numbers = [i for i, name in enumerate(header) if name in wanted or name.endswith("_hours")]
            for row in reader:
                line = reader.line_num
                if len(row) != len(header):
                    problems.append(Problem(where, line, "", f"has {len(row)} fields, not {len(header)}: the row "
                                            "was cut or changed"))  # fmt: skip
                elif any(_SURROGATE.search(cell) for cell in row):
                    problems.append(Problem(where, line, "", "is not UTF-8 text"))
                else:
                    for i in numbers:
                        why = _numeric_problem(row[i], finite)
                        if why:
                            problems.append(Problem(where, line, header[i], why, row[i]))
                if len(problems) > MAX_PROBLEMS:
                    break
    except csv.Error as exc:
        problems.append(Problem(where, None, "", f"is not a CSV table ({exc})"))
    except OSError as exc:
        problems.append(Problem(where, None, "", f"cannot be read ({exc.strerror or exc})"))
    if not problems and not _ends_whole(path):
        problems.append(Problem(where, None, "", "does not end with a whole row (its last line has no newline): "
                                "it was cut"))  # fmt: skip
    return problems


def _ends_whole(path: Path) -> bool:
    """Whether a table written by tabletop ends where a row does (every row ends with a newline)."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        if handle.tell() == 0:
            return False
        handle.seek(-1, 2)
        return handle.read(1) == b"\n"


# ---------------------------------------------------------------- the kinds


def run_problems(folder: Path) -> list[Problem]:
    """A run (or game) folder: summary.json, the five tables, and run.json, play.json, injects.csv if there."""
    problems = summary_problems(folder / "summary.json")
    for name, (columns, numeric) in RUN_TABLES.items():
        problems += table_problems(folder / name, columns, numeric)
    for optional in ("run.json", "play.json"):
        path = folder / optional
        if path.exists():
            value, problem = read_json(path)
            if problem or not isinstance(value, dict):
                problems.append(problem or Problem(str(path), None, "", "is not a JSON object"))
    if (folder / "injects.csv").exists():
        problems += table_problems(folder / "injects.csv", None)
    for name, (columns, numeric) in COST_TABLES.items():
        if (folder / name).exists():
            problems += table_problems(folder / name, columns, numeric)
    return problems


def comparison_problems(folder: Path) -> list[Problem]:
    """A comparison folder: comparison.json and pairs.csv (a.yaml and b.yaml are checked as scenarios when read)."""
    problems = comparison_json_problems(folder / "comparison.json")
    problems += table_problems(folder / "pairs.csv", None, all_numeric_but=())
    return problems


def sweep_problems(folder: Path) -> tuple[Sweep | None, list[Problem]]:
    """A sweep folder: sweep.yaml (with scenario.yaml) as a sweep, and every row of runs.csv a run of it."""
    try:
        sweep = load_sweep(folder / "sweep.yaml")
    except ScenarioError as exc:
        return None, exc.problems
    path = folder / "runs.csv"
    problems = table_problems(path, sweep.run_columns)
    if problems:
        return sweep, problems
    points, seeds = len(sweep.points()), sweep.replication_seeds()
    seen: set[tuple[int, int]] = set()
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row in reader:
            why = row_problem(row, sweep, points, seeds)
            key = (int(row[0]), int(row[1])) if why is None else (-1, -1)
            if why is None and key in seen:
                why = f"run (point {key[0]}, replication {key[1]}) has a row already"
            seen.add(key)
            if why:
                problems.append(Problem(str(path), reader.line_num, "", why))
                if len(problems) > MAX_PROBLEMS:
                    break
    for table in ("points.csv", "sensitivity.csv"):
        if (folder / table).exists():
            problems += table_problems(folder / table, None, numeric=("runs", "mean", "sd", "ci_low", "ci_high",
                                                                      "value"), finite=False)  # fmt: skip
    return sweep, problems


def _unfinished(folder: Path, sweep: Sweep) -> str | None:
    """Why a sweep folder without a marker is unfinished; None when it is a finished sweep of an earlier version.

    Finished: every run has a row and its manifest says it completed.
    """
    with (folder / "runs.csv").open(newline="", encoding="utf-8") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
    manifest, _ = read_json(folder / "manifest.json")
    status = manifest.get("status") if isinstance(manifest, dict) else None
    if rows >= sweep.runs and status == "complete":
        return None
    return (f"the sweep is not finished ({rows} of {sweep.runs} runs in runs.csv, no {MARKER}): finish it with "
            f"`tabletop sweep {folder / 'sweep.yaml'} --out {folder} --resume`, then report it")  # fmt: skip
