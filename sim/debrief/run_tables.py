"""A run's tables as read from its folder, and the chain of stages its debrief tells.

Light on purpose (no matplotlib, no Mesa): the report without figures, the
dashboard and the figures all start from here. The words and colours are in
`sim.vocabulary`; the figures are declared in `sim.debrief.run_figures.RUN_FIGURES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.safe_text import csv_text
from sim.spec.scenario import Scenario, load_recorded_scenario
from sim.vocabulary import CAUSE_LABELS, causes_in


@dataclass
class RunTables:
    """A run's tables, as read from its folder (the only input of figures and report)."""

    summary: dict[str, Any]
    travellers: pd.DataFrame
    alerts: pd.DataFrame
    events: pd.DataFrame
    timeseries: pd.DataFrame
    crossings: pd.DataFrame
    scenario: Scenario

    @classmethod
    def from_folder(cls, folder: str | Path) -> RunTables:
        """Read a run folder written by `sim.engine.one_run.write_run_folder`."""
        import json

        folder = Path(folder)

        def table(name: str) -> pd.DataFrame:
            return read_table(folder / name, keep_default_na=False, na_values=[""])

        travellers, crossings = table("travellers.csv"), table("crossings.csv")
        if "of_interest" in travellers.columns:
            # The figures are about persons of interest, as the summary's counts are; the innocent
            # subjects of wrong leads are in the summary's wrongful_stops and innocent_subjects.
            innocent = set(travellers.loc[~travellers["of_interest"].astype(bool), "id"])
            travellers = travellers[~travellers["id"].isin(innocent)].reset_index(drop=True)
            crossings = crossings[~crossings["traveller"].isin(innocent)].reset_index(drop=True)
        return cls(
            summary=json.loads((folder / "summary.json").read_text(encoding="utf-8")),
            travellers=travellers,
            alerts=table("alerts.csv"),
            events=table("events.csv"),
            timeseries=table("timeseries.csv"),
            crossings=crossings,
            scenario=load_recorded_scenario(folder / "scenario.yaml"),
        )


def read_table(path: str | Path, **options: Any) -> pd.DataFrame:
    """A CSV the package wrote, as a data frame: ``pd.read_csv`` with `options`, text cells as written (`csv_text`)."""
    frame = pd.read_csv(path, **options)
    frame.columns = [csv_text(c) if isinstance(c, str) else c for c in frame.columns]
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].map(lambda v: csv_text(v) if isinstance(v, str) else v)
    return frame


def chain_stages(summary: dict[str, Any]) -> list[tuple[str, float, str | None, float]]:
    """The chain from crossing to detection: (stage, how many reached it, cause of the drop, drop size)."""
    misses = summary["misses"]
    remaining = float(summary["crossed"])
    stages = [("Crossed a border", remaining, None, 0.0)]
    names = {
        "no_intel": "Known to some agency",
        "not_shared": "Alert on its way to the border",
        "late": "Alert arrived in time",
        "not_trusted": "Alert trusted (on the watchlist)",
        "expired": "Entry still kept (not expired)",
        "screening_miss": "Detected at the border",
    }
    for cause in causes_in(misses):
        remaining -= misses[cause]
        stages.append((names[cause], remaining, cause, float(misses[cause])))
    return stages


def chain_title(summary: dict[str, Any]) -> str:
    """The chain figure's finding, in words."""
    crossed, detected = summary["crossed"], summary["detected"]
    missed = crossed - detected
    if crossed == 0:
        return "Nobody crossed a border"
    worst = max(causes_in(summary["misses"]), key=lambda c: summary["misses"][c])
    count = summary["misses"][worst]
    head = f"{detected:g} of {crossed:g} travellers who crossed were stopped"
    if missed <= 0 or count == 0:
        return head
    return f"{head}.\nOf the {missed:g} who got through, {count:g}: {CAUSE_LABELS[worst]}"


SLOWEST_LINK_MEASURE = "median delay of all the alerts it delivered"
"""What the network and link-delay figures' "slowest link" measures (said wherever it is named)."""

LONGEST_HOP_MEASURE = "the hop that took longest, from sending to arrival (waiting on a link that was down included)"
"""What a late finding's "longest hop" measures: per alert that came too late, not per link."""


def slowest_link(alerts: pd.DataFrame) -> tuple[str, str, float] | None:
    """The link with the highest median delivery delay (`SLOWEST_LINK_MEASURE`): (from, to, hours), or None."""
    delivered = alerts[alerts["delivered_hours"].notna() & alerts["sent_hours"].notna()]
    if delivered.empty:
        return None
    medians = (
        (delivered["delivered_hours"] - delivered["sent_hours"]).groupby([delivered["from"], delivered["to"]]).median()
    )
    (a, b), hours = max(medians.items(), key=lambda kv: (kv[1], kv[0]))
    return str(a), str(b), float(hours)
