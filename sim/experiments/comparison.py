"""Paired comparisons: two scenarios on the same seeds (common random numbers).

Each replication runs A and B with the same seed, so they see the same
travellers, routes, leg times and intelligence draws; the paired difference
B - A is the policy's effect, not noise. Differences come with a 95%
t-interval over replications.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.engine.one_run import default_run_folder, resolve_seed, run_one, slug
from sim.errors import SimError
from sim.experiments.executors import make_executor
from sim.experiments.statistics import CONFIDENCE, mean_interval
from sim.safe_text import CsvWriter, dict_cells
from sim.spec.output_files import OutputError, output_problem, replacing, write_text
from sim.spec.scenario import Scenario
from sim.spec.seeds import replication_seeds
from sim.spec.yaml_files import dump_yaml
from sim.vocabulary import COMPARED_OUTPUTS, COST_COMPARED_OUTPUTS, MISS_SHARES, causes_in


def outputs_of(summary: dict[str, Any]) -> dict[str, float]:
    """The compared outputs (`sim.vocabulary.COMPARED_OUTPUTS`) of one run's summary (NaN where undefined)."""
    crossed = summary["crossed"]
    out: dict[str, float] = {
        "detection_rate": _nan(summary["detection_rate"]),
        "detected": summary["detected"],
        "late_share": _nan(summary["late_share"]),
    }
    for cause in causes_in(summary["misses"]):
        if cause != "late":
            out[MISS_SHARES[cause]] = summary["misses"][cause] / crossed if crossed else math.nan
    out["median_hours_to_detection"] = _nan(summary["median_hours_to_detection"])
    out["median_hours_late"] = _nan(summary["median_hours_late"])
    if "wrongful_stops" in summary:
        out["wrongful_stops"] = summary["wrongful_stops"]["total"]
        out["stop_precision"] = _nan(summary["stop_precision"])
    return out


def compared_outputs(summaries: list[dict[str, Any]]) -> tuple[str, ...]:
    """The outputs compared over these summaries: `COMPARED_OUTPUTS`, and the cost side's when a run models it.

    With the cost side, ``wrongful_stops`` and ``stop_precision`` come right after ``detection_rate``
    (in ``comparison.json``, ``pairs.csv`` and the report's table): the two sides of the trade-off together.
    """
    if any("wrongful_stops" in summary for summary in summaries):
        # Both sides of the trade-off together, first: detections, then the innocent people stopped.
        first = ("detection_rate", "wrongful_stops", "stop_precision")
        return first + tuple(name for name in COMPARED_OUTPUTS + COST_COMPARED_OUTPUTS if name not in first)
    return COMPARED_OUTPUTS


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def run_pair(a: Scenario, b: Scenario, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both scenarios on one seed; their summaries (a pure, picklable top-level function)."""
    return run_one(a, seed, tables=False).summary, run_one(b, seed, tables=False).summary


def _run_numbered_pair(job: tuple[int, Scenario, Scenario, int]) -> tuple[dict[str, Any], dict[str, Any]]:
    _, a, b, seed = job
    return run_pair(a, b, seed)


@dataclass
class Comparison:
    """The result of a paired comparison.

    Attributes:
        a, b: the two scenarios as run.
        master_seed: the seed the replication seeds come from.
        seeds: one seed per replication.
        summaries: (summary of A, summary of B) per replication.
        folder: the comparison folder it was written to (by `sim.api.compare`), if any.
    """

    a: Scenario
    b: Scenario
    master_seed: int
    seeds: list[int]
    summaries: list[tuple[dict[str, Any], dict[str, Any]]]
    folder: Path | None = None

    def outputs(self) -> tuple[str, ...]:
        """The outputs compared (`compared_outputs`): the cost side's too when a run models it."""
        return compared_outputs([s for pair in self.summaries for s in pair])

    def pairs(self) -> list[dict[str, Any]]:
        """One row per replication: seed, then each output for A and for B."""
        rows = []
        names = self.outputs()  # over every summary: once, not per replication
        for number, (seed, (sa, sb)) in enumerate(zip(self.seeds, self.summaries, strict=True), start=1):
            oa, ob = outputs_of(sa), outputs_of(sb)
            row: dict[str, Any] = {"replication": number, "seed": seed}
            for name in names:
                row[f"a_{name}"] = oa.get(name, math.nan)
                row[f"b_{name}"] = ob.get(name, math.nan)
            rows.append(row)
        return rows

    def statistics(self) -> dict[str, dict[str, Any]]:
        """Per output: means of A and B, the mean paired difference B - A and its 95% interval."""
        rows = self.pairs()
        out = {}
        for name in self.outputs():
            a = np.array([r[f"a_{name}"] for r in rows], dtype=float)
            b = np.array([r[f"b_{name}"] for r in rows], dtype=float)
            keep = ~(np.isnan(a) | np.isnan(b))
            out[name] = paired_interval(a[keep], b[keep])
        return out


def paired_interval(a: np.ndarray, b: np.ndarray, level: float = CONFIDENCE) -> dict[str, Any]:
    """Mean of A, of B, of the paired difference B - A, and its t-interval (`mean_interval`).

    With one replication, or differences that are all equal, the interval is the mean itself.
    """
    n = len(a)
    if n == 0:
        return {"a": None, "b": None, "diff": None, "ci_low": None, "ci_high": None, "replications": 0}
    diff = b - a
    mean = float(diff.mean())
    sd = float(diff.std(ddof=1)) if n > 1 else 0.0
    low, high = mean_interval(mean, sd, n, level) if sd > 0 else (mean, mean)
    return {
        "a": _round(float(a.mean())),
        "b": _round(float(b.mean())),
        "diff": _round(mean),
        "ci_low": _round(low),
        "ci_high": _round(high),
        "replications": n,
    }


def _round(value: float) -> float:
    return round(value, 6) + 0.0


def compare(
    a: Scenario,
    b: Scenario,
    replications: int = 30,
    seed: int | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run A and B on the same seeds.

    Args:
        a: the first scenario (the reference).
        b: the second scenario (the variant).
        replications: how many seeds.
        seed: the master seed (default: A's seed, else a fresh one).
        workers: worker processes; default: this process for small work, every core when it pays
            (`sim.experiments.executors.make_executor`).
        progress: called with (done, total) as pairs finish.

    Returns:
        The comparison (summaries per replication, paired statistics on demand).
    """
    master = resolve_seed(a, seed)
    seeds = replication_seeds(master, replications)
    jobs = [(number, a, b, s) for number, s in enumerate(seeds)]
    # Small work stays in this process (the rule is `processes_for`); workers=N asks for N processes.
    executor = make_executor(workers, tasks=replications)
    summaries: list[Any] = [None] * replications
    with executor:
        for done, completed in enumerate(executor.run(_run_numbered_pair, jobs), start=1):
            if completed.error is not None:
                raise SimError(
                    f"replication {completed.task[0] + 1} (seed {completed.task[3]}) failed: {completed.error}"
                )
            summaries[completed.task[0]] = completed.value
            if progress:
                progress(done, replications)
    return Comparison(a=a, b=b, master_seed=master, seeds=seeds, summaries=summaries)


class _Absent:
    """The value of a field or list item that one side of a comparison does not have."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""What `differences` gives for a field or list item that only the other side has (``None`` is a value)."""


def item_key(item: Any) -> str | None:
    """The selector a list item is known by in field paths: ``FROM->TO`` for a link, else its id, name or agency."""
    if not isinstance(item, dict):
        return None
    if "from" in item and "to" in item:
        return f"{item['from']}->{item['to']}"
    for key in ("id", "name", "agency"):
        if isinstance(item.get(key), str):
            return str(item[key])
    return None


def _keys(items: list[Any]) -> list[str] | None:
    """The items' keys (`item_key`) if every item has one and no two share it; else None (match by position)."""
    keys = [item_key(x) for x in items]
    if any(k is None for k in keys) or len(set(keys)) != len(keys):
        return None
    return [str(k) for k in keys]


def differences(a: Any, b: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """Field paths where two scenario mappings differ: (path, value in A, value in B).

    Paths are those of ``--set`` (`sim.spec.field_paths`): list items that have an
    id, a name or ends are matched by it, whatever their position, so a changed link
    reads ``sharing.links[HAL-INT->DRV-BRD].delay_hours``; other lists are matched by
    position. A field or item only one side has is `ABSENT` on the other.
    """
    out: list[tuple[str, Any, Any]] = []
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in a or key not in b:
                out.append((path, a.get(key, ABSENT), b.get(key, ABSENT)))
            else:
                out += differences(a[key], b[key], path)
    elif isinstance(a, list) and isinstance(b, list) and a != b:
        keys_a, keys_b = _keys(a), _keys(b)
        if keys_a is not None and keys_b is not None:
            by_a, by_b = dict(zip(keys_a, a, strict=True)), dict(zip(keys_b, b, strict=True))
            for key in keys_a + [k for k in keys_b if k not in by_a]:
                out += differences(by_a.get(key, ABSENT), by_b.get(key, ABSENT), f"{prefix}[{key}]")
        elif all(not isinstance(x, (dict, list)) for x in a + b):
            out.append((prefix, a, b))  # a list of plain values (a route, a list of ids) is one value
        else:
            for i in range(max(len(a), len(b))):
                out += differences(a[i] if i < len(a) else ABSENT, b[i] if i < len(b) else ABSENT, f"{prefix}[{i}]")
    elif a is ABSENT or b is ABSENT or a != b:
        out.append((prefix, a, b))
    return out


def write_comparison_folder(comparison: Comparison, folder: str | Path) -> Path:
    """Write a.yaml, b.yaml, pairs.csv and comparison.json (see the interface contract).

    Into `folder` as it is (made if missing): callers give the partial folder of
    `sim.spec.output_files.new_folder`, which is renamed into place when complete.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError([output_problem(exc, folder)]) from None
    for name, scenario in (("a", comparison.a), ("b", comparison.b)):
        raw = scenario.raw
        raw["seed"] = comparison.master_seed
        write_text(folder / f"{name}.yaml", dump_yaml(raw))
    rows = comparison.pairs()
    with replacing(folder / "pairs.csv") as handle:
        columns = list(rows[0]) if rows else ["replication", "seed"]
        writer = CsvWriter(handle)
        writer.writerow(columns)
        for row in rows:
            cells = {k: ("" if isinstance(v, float) and math.isnan(v) else _fmt(v)) for k, v in row.items()}
            writer.writerow(dict_cells(cells, columns))
    # One object per output, as the interface contract says; the seeds are in a.yaml / pairs.csv.
    stats = comparison.statistics()
    write_text(folder / "comparison.json", json.dumps(stats, indent=2) + "\n")
    return folder


def _fmt(value: Any) -> Any:
    return round(value, 6) + 0.0 if isinstance(value, float) else value


def default_comparison_folder(a: Scenario, b: Scenario, root: str | Path = "results") -> Path:
    """``results/compare-<a>-vs-<b>/<UTC timestamp>/``."""
    return default_run_folder(a, root, name=f"compare-{slug(a.name)}-vs-{slug(b.name)}")
