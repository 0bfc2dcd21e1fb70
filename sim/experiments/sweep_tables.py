"""The tables of a sweep folder: points.csv from runs.csv, and the design's analysis tables.

Streams over runs.csv (Welford's algorithm): memory grows with points, not runs.
Never imports the model.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.experiments.statistics import mean_interval
from sim.safe_text import CsvWriter, csv_text, read_csv_rows
from sim.spec.designs import DEFAULT_DESIGN, DESIGNS
from sim.spec.output_files import replacing
from sim.spec.sweep_checks import DEFAULT_FRONTIER
from sim.spec.yaml_files import read_yaml

"""Level of the intervals in points.csv and sensitivity.csv."""

POINT_COLUMNS_AFTER: tuple[str, ...] = ("output", "runs", "mean", "sd", "ci_low", "ci_high")


@dataclass(frozen=True)
class FolderInfo:
    """What the tables of a sweep folder need from its `sweep.yaml` (read without re-validating).

    Attributes:
        name: the sweep's name.
        design: grid, lhs or sobol.
        paths: the parameters' paths.
        outputs: the outputs.
        samples: lhs / sobol samples.
        replications: replications per point.
        second_order: sobol second-order indices.
        threshold: ``{output, above, parameter}`` or None.
        description: the sweep's description.
        seed: the master seed.
        frontier: ``{maximise, minimise}``, the file's or the default (`sim.spec.sweep_checks.DEFAULT_FRONTIER`
            when both are outputs), or None.
        constraint: ``OUTPUT<=LEVEL`` as written, or None.
    """

    name: str
    design: str
    paths: tuple[str, ...]
    outputs: tuple[str, ...]
    samples: int | None
    replications: int
    second_order: bool
    threshold: dict[str, Any] | None
    description: str = ""
    seed: int = 0
    frontier: dict[str, str] | None = None
    constraint: str | None = None


def folder_info(folder: str | Path) -> FolderInfo:
    """Read a sweep folder's `sweep.yaml`."""
    data, _ = read_yaml(Path(folder) / "sweep.yaml", allow_large=True)  # as recorded: it ran already
    outputs = tuple(data["outputs"])
    frontier = data.get("frontier")
    if frontier is None and {DEFAULT_FRONTIER.maximise, DEFAULT_FRONTIER.minimise} <= set(outputs):
        frontier = DEFAULT_FRONTIER.to_yaml()  # a sweep of an earlier version
    return FolderInfo(
        name=data.get("name", Path(folder).name),
        design=data.get("design", DEFAULT_DESIGN),
        paths=tuple(data["parameters"]),
        outputs=outputs,
        samples=data.get("samples"),
        replications=int(data.get("replications", 1)),
        second_order=bool(data.get("second_order", False)),
        threshold=data.get("threshold"),
        description=data.get("description", ""),
        seed=int(data.get("seed", 0)),
        frontier=frontier,
        constraint=data.get("constraint"),
    )


def parse_cell(text: str) -> Any:
    """A `runs.csv` cell back as a value: int, float, JSON structure, or text; empty is None."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    return text


def aggregate(
    runs_csv: str | Path, paths: tuple[str, ...] | list[str], outputs: tuple[str, ...] | list[str]
) -> list[dict[str, Any]]:
    """Per point and output: runs with a value, mean, sd and the 95% t-interval of the mean.

    Streams over the file (Welford's algorithm): memory grows with points, not runs.
    Failed runs and runs without a value (e.g. no detection to time) are left out of `runs`.

    Returns:
        Rows of points.csv, by point then output.
    """
    accumulators: dict[int, list[list[float]]] = {}
    params: dict[int, list[str]] = {}
    with Path(runs_csv).open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = [csv_text(cell) for cell in next(reader)]
        param_at = [header.index(p) for p in paths]
        output_at = [header.index(o) for o in outputs]
        for row in reader:
            if len(row) != len(header):
                continue
            point = int(row[0])
            if point not in accumulators:
                accumulators[point] = [[0, 0.0, 0.0] for _ in outputs]
                params[point] = [csv_text(row[i]) for i in param_at]
            for acc, i in zip(accumulators[point], output_at, strict=True):
                if row[i] == "":
                    continue
                x = float(row[i])
                acc[0] += 1
                delta = x - acc[1]
                acc[1] += delta / acc[0]
                acc[2] += delta * (x - acc[1])
    rows = []
    for point in sorted(accumulators):
        for name, (n, mean, m2) in zip(outputs, accumulators[point], strict=True):
            n = int(n)
            sd = math.sqrt(m2 / (n - 1)) if n > 1 else None
            low, high = mean_interval(mean, sd, n) if sd is not None else (None, None)
            rows.append(
                {
                    "point": point,
                    **dict(zip(paths, params[point], strict=True)),
                    "output": name,
                    "runs": n,
                    "mean": _round(mean) if n else None,
                    "sd": _round(sd),
                    "ci_low": _round(low),
                    "ci_high": _round(high),
                }
            )
    return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 8) + 0.0


def write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """Write dict rows with these columns (None as an empty cell)."""
    with replacing(path) as handle:
        writer = CsvWriter(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])


def read_csv(path: str | Path) -> list[dict[str, Any]]:
    """Read a table of the sweep folder back, cells parsed (`parse_cell`)."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return [{k: parse_cell(v) for k, v in row.items()} for row in read_csv_rows(handle)]


def write_aggregates(folder: str | Path) -> dict[str, Path]:
    """Write points.csv, and the design's analysis tables (sensitivity.csv for sobol), from runs.csv and sweep.yaml.

    Args:
        folder: the sweep folder.

    Returns:
        The files written, by name.
    """
    folder = Path(folder)
    info = folder_info(folder)
    points = aggregate(folder / "runs.csv", info.paths, info.outputs)
    written = {"points": folder / "points.csv"}
    write_csv(written["points"], ["point", *info.paths, *POINT_COLUMNS_AFTER], points)
    for name, (columns, rows) in DESIGNS[info.design].analysis(points, info).items():
        write_csv(folder / name, columns, rows)
        written[Path(name).stem] = folder / name
    return written
