"""The injects of a scenario as a Master Scenario Events List (MSEL).

CSV for a spreadsheet, or JSON in the shape of T3SF's MSEL files (a list of
objects with ``#``, ``Real Time``, ``Date``, ``Subject``, ``From``, ``Player``,
``Script``, ``Photo``, ``Picture Name``, ``Profile``, ``Poll``), so a facilitator
can deliver the injects through such a tool. Each row also carries the inject
itself (kind, day and parameters), so an MSEL reads back into the same injects.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sim.spec.scenario import Scenario

CSV_COLUMNS = ["number", "day", "scenario_time", "real_time", "subject", "from", "to", "script", "expected_action",
               "objective", "kind", "note", "parameters"]  # fmt: skip
COMMON = ("day", "kind", "note", "expected_action", "objective")
"""Inject fields with a column of their own; the rest (subject included, when given) go in `parameters`."""


def _clock(hours: float) -> str:
    day = int(hours // 24)
    minutes = round((hours - 24 * day) * 60)
    return f"Day {day} {minutes // 60:02d}:{minutes % 60:02d}"


def _real_time(start: str, minutes: float) -> str:
    try:
        hh, mm = (int(x) for x in start.split(":"))
        if not (0 <= hh < 24 and 0 <= mm < 60):
            raise ValueError
    except ValueError:
        raise ValueError("write the start time as HH:MM, e.g. 09:00") from None
    total = hh * 60 + mm + round(minutes)
    hour, minute = (total // 60) % 24, total % 60
    return f"{(hour % 12) or 12:02d}:{minute:02d} {'AM' if hour < 12 else 'PM'}"


def msel_rows(scenario: Scenario, start: str = "09:00", minutes_per_day: float = 10.0) -> list[dict[str, Any]]:
    """One row per inject, in time order (ties keep the file's order)."""
    rows = []
    ordered = sorted(enumerate(scenario.injects), key=lambda kv: (kv[1].day, kv[0]))
    for number, (_, inject) in enumerate(ordered, start=1):
        data = inject.model_dump(mode="json", by_alias=True, exclude_none=True)
        parameters = {k: v for k, v in data.items() if k not in COMMON}
        rows.append(
            {
                "number": number,
                "day": inject.day,
                "scenario_time": _clock(inject.at_hours),
                "real_time": _real_time(start, inject.day * minutes_per_day),
                "subject": inject.subject or inject.note or inject.kind.replace("_", " ").capitalize(),
                "from": "Exercise control",
                "to": inject.player(scenario),
                "script": inject.script(),
                "expected_action": inject.expected_action or "",
                "objective": inject.objective or "",
                "kind": inject.kind,
                "note": inject.note or "",
                "parameters": parameters,
                "_inject": data,
            }
        )
    return rows


def write_msel(rows: list[dict[str, Any]], form: str) -> str:
    """The MSEL as CSV or T3SF-shaped JSON text."""
    if form == "json":
        items = []
        for row in rows:
            items.append(
                {
                    "#": row["number"],
                    "Real Time": row["real_time"],
                    "Date": row["scenario_time"],
                    "Subject": row["subject"],
                    "From": row["from"],
                    "Player": row["to"],
                    "Script": row["script"],
                    "Photo": "",
                    "Picture Name": "",
                    "Profile": "",
                    "Poll": "",
                    "Expected Action": row["expected_action"],
                    "Objective": row["objective"],
                    "Inject": row["_inject"],
                }
            )
        return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "parameters": json.dumps(row["parameters"], ensure_ascii=False)})
    return buffer.getvalue()


def read_msel(text: str, form: str) -> list[dict[str, Any]]:
    """Read an MSEL written by `write_msel` back into inject mappings (as in a scenario file)."""
    injects = []
    if form == "json":
        for item in json.loads(text):
            injects.append(dict(item["Inject"]))
        return injects
    for row in csv.DictReader(io.StringIO(text)):
        inject: dict[str, Any] = {"day": float(row["day"]), "kind": row["kind"]}
        for key in ("note", "expected_action", "objective"):
            if row[key]:
                inject[key] = row[key]
        inject.update(json.loads(row["parameters"]))
        injects.append(inject)
    return injects
