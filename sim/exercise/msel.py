"""The injects of a scenario as a Master Scenario Events List (MSEL).

CSV for a spreadsheet, or JSON that T3SF 2.5.1 delivers as the list says: a list of
objects with ``#``, ``Real Time``, ``Date``, ``Subject``, ``From``, ``Player``,
``Script``, ``Photo``, ``Picture Name``, ``Profile``, ``Poll``. Each row also
carries the inject itself (kind, day and parameters), so an MSEL reads back into
the same injects.

What T3SF does with the JSON, and what the export does about it (its source,
``T3SF/T3SF.py``, ``T3SF/discord/discord.py``, ``T3SF/slack/slack.py``, ``T3SF/utils.py``):

- **Timing.** ``ProcessIncidents`` keeps the digits of ``Real Time`` and reads only
  the last two (the minutes); ``TimeDifference`` then waits ``current - previous``
  minutes, or ``60 - (previous - current)`` when that is negative, and not at all
  when the two minutes are equal. A gap of an hour or more is so read modulo 60.
  The export therefore refuses a timeline whose gaps between injects of different
  times are not 1 to 59 minutes, and says which ``--minutes-per-day`` fits.
- **Players.** T3SF sends a row to one inbox, ``inboxes_all[Player]``, found by fuzzy
  matching (``utils.similar(a, b) >= 0.4``, the last match wins): on Discord the
  category of each ``inbox`` channel (``Group - <player>`` when T3SF builds the
  server), on Slack the channel name without its prefix (``inbox-<player>``). Agency
  ids are too alike for that (``SOL-BRD`` and ``HAL-BRD`` score 0.714), so each agency
  plays under a call sign that no other one's inbox matches, one row per agency an
  inject reaches, and every pair is checked with T3SF's rule before writing.
- **Icons.** An empty ``Photo`` adds no picture; an empty ``Profile`` makes T3SF pick a
  sender icon at random from three Google-hosted images. Discord and Slack only show
  icons they can fetch over http(s), so no local icon can be given: ``profile`` (the
  ``--profile URL`` option) fills it with an icon of the facilitator's choice.
"""

from __future__ import annotations

import difflib
import io
import json
import math
import re
from typing import Any

from sim.i18n import day_clock
from sim.safe_text import CsvWriter, dict_cells, read_csv_rows
from sim.spec.scenario import Scenario

CSV_COLUMNS = ["number", "day", "scenario_time", "real_time", "subject", "from", "to", "script", "expected_action",
               "objective", "kind", "note", "parameters"]  # fmt: skip
COMMON = ("day", "kind", "note", "expected_action", "objective")
"""Inject fields with a column of their own; the rest (subject included, when given) go in `parameters`."""

T3SF_MATCH = 0.4
"""T3SF takes an inbox for a player when `t3sf_similar` of the two names is at least this."""
T3SF_MAX_GAP = 59
"""The longest wait, in minutes, that T3SF reads from two ``Real Time`` values (it reads only the minutes)."""
DEFAULT_MINUTES_PER_DAY = 10.0
"""The pace when none is asked for and T3SF can keep it; else the largest below it that T3SF can."""
CALL_SIGNS = ("kestrel", "heron", "puffin", "falcon", "magpie", "curlew", "plover", "swift", "ibis", "avocet",
              "nightjar", "stonechat", "thrush", "woodcock", "buzzard", "jackdaw", "skylark", "fieldfare", "waxwing",
              "razorbill", "kittiwake", "hawk", "bamboo", "obsidian", "ivory", "gold", "camel", "compass", "papaya",
              "tulip")  # fmt: skip
"""The T3SF player names of the agencies, in the scenario's order: no two match each other's inbox."""


class MselError(ValueError):
    """An MSEL that cannot be written as asked.

    Attributes:
        option: the command-line option at fault (``--minutes-per-day``, ``--start``, ...).
        message: what is wrong and what would do, in words.
        value: the value given.
        also: the problems of other options found with this one.
    """

    def __init__(self, option: str, message: str, value: object) -> None:
        super().__init__(message)
        self.option, self.message, self.value = option, message, value
        self.also: list[MselError] = []


def t3sf_similar(a: str, b: str) -> float:
    """T3SF's ``utils.similar``: difflib's ratio of the two strings, in that order."""
    return difflib.SequenceMatcher(None, a, b).ratio()


def _slack_channel(name: str) -> str:
    """T3SF's ``sanitize_channel_name`` (slack/bot.py): how a player's name becomes part of a Slack channel."""
    name = re.sub(r"[^\w.-]", "-", re.sub(r"\s", "-", name))
    return re.sub(r"[-.]+", "-", name).strip("-")


def _inbox_names(player: str) -> list[str]:
    """What T3SF compares a player's name with, for the inbox made for `player`.

    The name itself (a Slack channel ``inbox-<player>`` once T3SF strips its prefix ``inbox-``,
    a Discord category once the prefix is stripped), and T3SF's own Discord category
    ``Group - <player>`` whole (its prefix detection finds nothing on the server it builds).
    """
    return [_slack_channel(player).lower(), player.lower(), f"group - {player}".lower()]


def t3sf_collisions(players: dict[str, str]) -> list[str]:
    """The agencies whose injects T3SF would put in the wrong inbox, or none, in words.

    Args:
        players: agency id -> its T3SF player name.
    """
    problems = []
    for agency, name in players.items():
        wanted = [name.lower(), name.lower().replace(" ", "-")]
        if max(t3sf_similar(inbox, w) for inbox in _inbox_names(name) for w in wanted) < T3SF_MATCH:
            problems.append(f"T3SF would find no inbox for player {name!r} ({agency})")
        for other, other_name in players.items():
            if other == agency:
                continue
            score = max(t3sf_similar(inbox, w) for inbox in _inbox_names(other_name) for w in wanted)
            if score >= T3SF_MATCH:
                problems.append(
                    f"T3SF would deliver {agency}'s injects (player {name!r}) to {other}'s inbox "
                    f"({other_name!r}): its similar() gives {score:.3f}, at least {T3SF_MATCH}"
                )
    return problems


def t3sf_players(scenario: Scenario) -> dict[str, str]:
    """Each agency's T3SF player name (its call sign), in the scenario's order.

    Agencies beyond the list of call signs keep their id, which `t3sf_collisions` then reports.
    """
    return {a.id: (CALL_SIGNS[k] if k < len(CALL_SIGNS) else a.id) for k, a in enumerate(scenario.agencies)}


def _clock(hours: float) -> str:
    day, time = day_clock(hours)
    return f"Day {day} {time}"


def _start_minutes(start: str) -> int:
    try:
        hh, mm = (int(x) for x in start.split(":"))
        if not (0 <= hh < 24 and 0 <= mm < 60):
            raise ValueError
    except ValueError:
        raise MselError("--start", "write the start time as HH:MM, e.g. 09:00", start) from None
    return hh * 60 + mm


def _real_time(start_minutes: int, offset: int) -> str:
    total = start_minutes + offset
    hour, minute = (total // 60) % 24, total % 60
    return f"{(hour % 12) or 12:02d}:{minute:02d} {'AM' if hour < 12 else 'PM'}"


MAX_MINUTES_PER_DAY = 1440
"""The slowest pace: a scenario day played in a real day (the MSEL's clock times are within a day)."""


def pacing_problem(days: list[float], minutes_per_day: float) -> str | None:
    """Why T3SF cannot wait between these injects as the MSEL says, or None when it can.

    Args:
        days: the injects' days, in time order.
        minutes_per_day: the real minutes of a scenario day.
    """
    offsets = [round(day * minutes_per_day) for day in days]
    for k in range(1, len(days)):
        gap = offsets[k] - offsets[k - 1]
        if days[k] != days[k - 1] and gap < 1:
            return (f"the injects of days {days[k - 1]:g} and {days[k]:g} fall in the same minute, "
                    "so T3SF would send them together")  # fmt: skip
        if gap > T3SF_MAX_GAP:
            return (f"the injects of days {days[k - 1]:g} and {days[k]:g} are {gap} minutes apart, and T3SF "
                    f"(which reads only the minutes of Real Time) would wait {gap % 60}")  # fmt: skip
    return None


def fitting_minutes_per_day(days: list[float]) -> list[float]:
    """The values of ``--minutes-per-day``, to the hundredth from 0.01 to 60, at which T3SF paces `days`."""
    return [k / 100 for k in range(1, 6001) if pacing_problem(days, k / 100) is None]


def _fits_words(fits: list[float]) -> str:
    if not fits:
        return ("no --minutes-per-day fits: T3SF waits 1 to 59 minutes between injects, and the gaps between "
                "this scenario's injects differ too much for that; split the exercise into parts")  # fmt: skip
    tenths = [f for f in fits if round(f * 10) == f * 10]
    return f"--minutes-per-day from {fits[0]:g} to {fits[-1]:g} fits (e.g. {(tenths or fits)[-1]:g})"


def default_minutes_per_day(scenario: Scenario) -> float:
    """The pace nearest `DEFAULT_MINUTES_PER_DAY` (below it first, to the tenth when it can) that T3SF keeps.

    `DEFAULT_MINUTES_PER_DAY` itself when no pace fits (the JSON then says why).
    """
    days = sorted(inject.day for inject in scenario.injects)
    fits = fitting_minutes_per_day(days)
    below = [f for f in fits if f <= DEFAULT_MINUTES_PER_DAY]
    if not below:
        above = [f for f in fits if round(f * 10) == f * 10] or fits
        return above[0] if above else DEFAULT_MINUTES_PER_DAY
    return ([f for f in below if round(f * 10) == f * 10] or below)[-1]


def msel_rows(scenario: Scenario, start: str = "09:00", minutes_per_day: float | None = None) -> list[dict[str, Any]]:
    """One row per inject, in time order (ties keep the file's order).

    Args:
        scenario: the scenario whose injects to list.
        start: the real time (HH:MM) of day 0.
        minutes_per_day: real minutes per scenario day; None takes `default_minutes_per_day`.

    Raises:
        MselError: a start time that is not HH:MM, or minutes per day that are not a positive number.
    """
    if minutes_per_day is None:
        minutes_per_day = default_minutes_per_day(scenario)
    pace_error = None
    if not (math.isfinite(minutes_per_day) and 0 < minutes_per_day <= MAX_MINUTES_PER_DAY):
        pace_error = MselError("--minutes-per-day", f"must be a positive number of minutes, at most "
                               f"{MAX_MINUTES_PER_DAY} (a scenario day played in a real day)",
                               minutes_per_day)  # fmt: skip
    try:
        begin = _start_minutes(start)
    except MselError as exc:
        exc.also = [pace_error] if pace_error is not None else []  # both options named, each once
        raise
    if pace_error is not None:
        raise pace_error
    names = t3sf_players(scenario)
    labels = {a.id: f"{a.id} ({a.name})" if a.name else a.id for a in scenario.agencies}
    rows = []
    ordered = sorted(enumerate(scenario.injects), key=lambda kv: (kv[1].day, kv[0]))
    for number, (_, inject) in enumerate(ordered, start=1):
        data = inject.model_dump(mode="json", by_alias=True, exclude_none=True)
        parameters = {k: v for k, v in data.items() if k not in COMMON}
        offset = round(inject.day * minutes_per_day)
        players = inject.players(scenario) or list(names)
        rows.append(
            {
                "number": number,
                "day": inject.day,
                "scenario_time": _clock(inject.at_hours),
                "real_time": _real_time(begin, offset),
                "subject": inject.subject or inject.note or inject.kind.replace("_", " ").capitalize(),
                "from": "Exercise control",
                "to": ", ".join(players),
                "script": inject.script(),
                "expected_action": inject.expected_action or "",
                "objective": inject.objective or "",
                "kind": inject.kind,
                "note": inject.note or "",
                "parameters": parameters,
                "players": players,
                "minutes": offset,
                "minutes_per_day": minutes_per_day,
                "_t3sf_players": names,
                "_labels": labels,
                "_inject": data,
            }
        )
    return rows


def check_t3sf(rows: list[dict[str, Any]]) -> None:
    """Refuse an MSEL that T3SF would not deliver as it says: its waits, or its players' inboxes.

    Raises:
        MselError: a gap T3SF cannot wait (with the ``--minutes-per-day`` that fit), or two
            players whose inboxes T3SF would mix up.
    """
    if not rows:
        return
    days = [row["day"] for row in rows]
    problem = pacing_problem(days, rows[0]["minutes_per_day"])
    if problem:
        message = f"T3SF cannot pace this MSEL: {problem}; {_fits_words(fitting_minutes_per_day(days))}"
        raise MselError("--minutes-per-day", message, rows[0]["minutes_per_day"])
    collisions = t3sf_collisions(rows[0]["_t3sf_players"])
    if collisions:
        raise MselError("--format", "; ".join(collisions), "json")


def t3sf_items(rows: list[dict[str, Any]], profile: str = "") -> list[dict[str, Any]]:
    """T3SF's MSEL: one object per inject and agency it reaches (T3SF's convention), numbered in order."""
    items: list[dict[str, Any]] = []
    for row in rows:
        for agency in row["players"]:
            items.append(
                {
                    "#": len(items) + 1,
                    "Real Time": row["real_time"],
                    "Date": row["scenario_time"],
                    "Subject": row["subject"],
                    "From": row["from"],
                    "Player": row["_t3sf_players"][agency],
                    "Script": row["script"],
                    "Photo": "",
                    "Picture Name": "",
                    "Profile": profile,
                    "Poll": "",
                    "Agency": row["_labels"][agency],
                    "Expected Action": row["expected_action"],
                    "Objective": row["objective"],
                    "Inject #": row["number"],
                    "Inject": row["_inject"],
                }
            )
    return items


def write_msel(rows: list[dict[str, Any]], form: str, profile: str = "") -> str:
    """The MSEL as CSV, or as T3SF's JSON (checked with `check_t3sf` first).

    Args:
        rows: from `msel_rows`.
        form: ``csv`` or ``json``.
        profile: the sender icon of every inject in the JSON, an http(s) URL; empty lets T3SF pick one.

    Raises:
        MselError: JSON that T3SF would not deliver as the MSEL says, or a profile that is not a URL.
    """
    if form == "json":
        if profile and not re.match(r"https?://\S+$", profile):
            raise MselError("--profile", "give the sender icon as an http(s) URL the chat platform can fetch", profile)
        check_t3sf(rows)
        return json.dumps(t3sf_items(rows, profile), indent=2, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        parameters = json.dumps(row["parameters"], ensure_ascii=False)
        writer.writerow(dict_cells({**row, "parameters": parameters}, CSV_COLUMNS))
    return buffer.getvalue()


def read_msel(text: str, form: str) -> list[dict[str, Any]]:
    """Read an MSEL written by `write_msel` back into inject mappings (as in a scenario file)."""
    injects = []
    if form == "json":
        seen = set()
        for item in json.loads(text):
            number = item.get("Inject #", item["#"])
            if number not in seen:
                seen.add(number)
                injects.append(dict(item["Inject"]))
        return injects
    for row in read_csv_rows(io.StringIO(text, newline="")):
        inject: dict[str, Any] = {"day": float(row["day"]), "kind": row["kind"]}
        for key in ("note", "expected_action", "objective"):
            if row[key]:
                inject[key] = row[key]
        inject.update(json.loads(row["parameters"]))
        injects.append(inject)
    return injects
