"""Exercise mode: a person plays one agency; the simulation plays the others.

`InteractivePlayer` asks at each decision point in the terminal; `ReplayPlayer`
(sim.engine.decisions) plays back a recorded game. Every game writes its decisions in
the format `--decisions` reads, and is compared, on the same seed, with the
scenario's own policy: which travellers the player's choices stopped or let
through, and why, in words.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.engine.decisions import Choice, DecisionPoint, ReplayPlayer
from sim.engine.model import SharingModel
from sim.engine.one_run import gc_paused, run_one, write_run_folder
from sim.engine.outcomes import RunResult, collect
from sim.errors import Problem, ScenarioError
from sim.spec.decisions_file import DEFAULT_VERIFY_HOURS, read_decisions
from sim.spec.scenario import Scenario
from sim.spec.yaml_files import dump_yaml

HELP = """\
You play {agency}. The simulation stops whenever {agency} has to decide.
  New intelligence about a traveller:
    Enter  the scenario's policy (share on all your links)
    s      share now on all your links
    l      share now on the links you choose
    v      verify first: share after {hours:g} hours
    h      hold: keep it, share nothing
  An alert from a partner:
    Enter  the scenario's policy (act if the alert is trusted, else verify or discard as the link says)
    a      act: put the traveller on your watchlist (and relay it, if you relay)
    v      verify first: act after the verification time
    d      discard
  Any time:
    f      fast forward: the scenario's policy until the next inject
    q      quit: the scenario's policy for the rest; the report is still written
    ?      this help
"""


def clock(hours: float) -> str:
    """``day 4, 06:30`` for 102.5 hours."""
    day = int(hours // 24)
    minutes = int(round((hours - 24 * day) * 60))
    if minutes == 24 * 60:
        day, minutes = day + 1, 0
    return f"day {day}, {minutes // 60:02d}:{minutes % 60:02d}"


@dataclass
class InteractivePlayer:
    """Asks a person in the terminal.

    Attributes:
        agency: the agency played.
        verify_hours: hours a verification takes when the scenario does not say.
        ask: reads one answer (``input``).
        say: prints (``print``).
    """

    agency: str
    verify_hours: float = DEFAULT_VERIFY_HOURS
    ask: Callable[[str], str] = input
    say: Callable[[str], None] = print
    quit_at: float | None = None
    skip_until: float = -math.inf
    _injects_seen: int = 0

    def decide(self, point: DecisionPoint, model: Any) -> Choice:
        """Show the situation, then read the choice."""
        if self.quit_at is not None or point.time < self.skip_until:
            return point.default
        self.say(self._situation(point, model))
        while True:
            try:
                answer = self.ask("> ").strip()
            except EOFError:
                answer = "q"
            choice = self._parse(answer, point, model)
            if choice is not None:
                return choice

    def _parse(self, answer: str, point: DecisionPoint, model: Any) -> Choice | None:
        key = answer[:1].lower()
        if answer == "":
            return point.default
        if key == "?":
            self.say(HELP.format(agency=self.agency, hours=self.verify_hours))
            return None
        if key == "q":
            self.quit_at = point.time
            self.say("You leave the table: the scenario's policy decides from now on.")
            return point.default
        if key == "f":
            upcoming = [i.at_hours for i in model.exercise.injects if i.at_hours > point.time]
            self.skip_until = min(upcoming) if upcoming else math.inf
            where = clock(self.skip_until) if upcoming else "the end"
            self.say(f"Fast forward to {where}: the scenario's policy decides until then.")
            return point.default
        if point.kind == "intelligence":
            if key == "s":
                return Choice("share")
            if key == "v":
                return Choice("verify")
            if key == "h":
                return Choice("hold")
            if key == "l":
                return self._choose_links(point)
        else:
            if key == "a":
                return Choice("act")
            if key == "v":
                return Choice("verify")
            if key == "d":
                return Choice("discard")
        self.say("Not a choice here. Press Enter for the scenario's policy, or ? for help.")
        return None

    def _choose_links(self, point: DecisionPoint) -> Choice | None:
        for number, link in enumerate(point.links, start=1):
            self.say(f"  {number}) {link}")
        answer = self.ask("links to share on (numbers, e.g. 1 3; Enter for none)> ").replace(",", " ").split()
        try:
            chosen = tuple(point.links[int(x) - 1] for x in answer)
        except (ValueError, IndexError):
            self.say("Use the numbers shown.")
            return None
        return Choice("share", chosen) if chosen else Choice("hold")

    def _situation(self, point: DecisionPoint, model: Any) -> str:
        agency = model.agencies[self.agency]
        lines = [f"\n── {clock(point.time)} " + "─" * 40]
        fresh = model.injects_done[self._injects_seen :]
        self._injects_seen = len(model.injects_done)
        for time, _, kind, detail in fresh:
            lines.append(f"  INJECT ({clock(time)}): {kind.replace('_', ' ')}: {detail}")
        watch = agency.watchlist
        en_route = sum(1 for i in watch if model.travellers[i].detected is None and not model.travellers[i].arrived)
        received = [m for m in model.messages if m.link.receiver is agency and m.delivered is not None
                    and m.delivered <= point.time]  # fmt: skip
        senders = sorted({(m.link.sender.code, m.link.trust) for m in received})
        lines.append(f"  You know {len(watch)} travellers; {en_route} believed en route. "
                     f"Alerts received: {len(received)}"
                     + (" (" + ", ".join(f"from {s}, trust {t:g}" for s, t in senders) + ")" if senders else "")
                     + ".")  # fmt: skip
        if point.kind == "intelligence":
            lines.append(f"  NEW INTELLIGENCE on {point.traveller} ({point.identifier}).")
            lines.append("  Your links: " + (", ".join(point.links) or "none"))
            lines.append(f"  [Enter] share on all links   s share   l choose links   v verify first "
                         f"({self.verify_hours:g} h)   h hold   f fast forward   ? help   q quit")  # fmt: skip
        else:
            verdict = "you would trust it" if point.trusted else "you would not trust it"
            lines.append(f"  ALERT {point.alert} from {point.sender} (trust {point.trust:g}) on {point.traveller} "
                         f"({point.identifier}): {verdict}; the policy says {point.default.action}.")  # fmt: skip
            lines.append("  [Enter] policy   a act   v verify   d discard   f fast forward   ? help   q quit")
        return "\n".join(lines)


# ---------------------------------------------------------------- recorded games


def decisions_document(scenario_file: str, agency: str, seed: int, verify_hours: float, model: SharingModel,
                       quit_at: float | None = None) -> dict[str, Any]:  # fmt: skip
    """A game's decisions in the format `--decisions` reads."""
    rows = []
    for record in model.decisions:
        point, choice = record.point, record.choice
        row: dict[str, Any] = {"day": round(point.time / 24, 6), "kind": point.kind, "traveller": point.traveller}
        if point.kind == "alert":
            row["alert"] = point.alert
            row["from"] = point.sender
        else:
            row["identifier"] = point.identifier
        row["choice"] = choice.action
        if choice.links is not None:
            row["links"] = list(choice.links)
        if record.is_default:
            row["default"] = True
        rows.append(row)
    document: dict[str, Any] = {"scenario": scenario_file, "agency": agency, "seed": seed,
                                "verify_hours": verify_hours}  # fmt: skip
    if quit_at is not None:
        document["quit_day"] = round(quit_at / 24, 6)
    document["decisions"] = rows
    return document


def load_decisions(path: str | Path, agency: str | None = None) -> tuple[ReplayPlayer, dict[str, Any]]:
    """Read a decisions file (`sim.spec.decisions_file`) into a player that replays it.

    Raises:
        ScenarioError: naming file, line and field of every problem.
    """
    decisions = read_decisions(path, agency)
    choices = {key: Choice(action, links) for key, (action, links) in decisions.choices.items()}
    player = ReplayPlayer(agency=decisions.agency, choices=choices, verify_hours=decisions.verify_hours)
    return player, decisions.data


# ---------------------------------------------------------------- the game and its debrief


@dataclass
class Game:
    """A finished game: the run with the player's choices and the same run with the scenario's policy."""

    scenario: Scenario
    agency: str
    seed: int
    model: SharingModel
    played: RunResult
    default: RunResult


def play_game(scenario: Scenario, player: Any, seed: int) -> Game:
    """Run the scenario with `player` deciding for its agency, and with the default policy on the same seed."""
    if player.agency not in {a.id for a in scenario.agencies}:
        raise ScenarioError([Problem("--as", None, "", "no such agency in the scenario (agencies: "
                                     + ", ".join(a.id for a in scenario.agencies) + ")", player.agency)])  # fmt: skip
    with gc_paused():
        model = SharingModel(scenario, seed=seed, player=player, collect_data=False)
        model.run()
        played = collect(model)
    return Game(scenario, player.agency, seed, model, played, run_one(scenario, seed))


def what_changed(game: Game) -> dict[str, Any]:
    """Which travellers the player's choices stopped or let through, in words."""
    names = {c.id: c.name for c in game.scenario.countries}
    played = {r["id"]: r for r in game.played.travellers}
    default = {r["id"]: r for r in game.default.travellers}
    alerts = {r["alert"]: r for r in game.played.alerts}
    differing = [r for r in game.model.decisions if not r.is_default]
    by_traveller: dict[str, list[Any]] = {}
    for record in differing:
        by_traveller.setdefault(record.point.traveller, []).append(record)
    let_through, stopped, sentences = [], [], []
    for tid, row in played.items():
        before = default[tid]["outcome"] == "detected"
        after = row["outcome"] == "detected"
        if before and not after:
            let_through.append(tid)
            sentences.append(_let_through_sentence(tid, row, by_traveller.get(tid, []), names, alerts))
        elif after and not before:
            stopped.append(tid)
            sentences.append(_stopped_sentence(tid, row, by_traveller.get(tid, []), names))
    return {
        "agency": game.agency,
        "seed": game.seed,
        "decisions": len(game.model.decisions),
        "changed_decisions": len(differing),
        "detected_played": game.played.summary["detected"],
        "detected_default": game.default.summary["detected"],
        "stopped_by_your_choices": stopped,
        "let_through_by_your_choices": let_through,
        "sentences": sentences,
    }


def _phrase(record: Any) -> str:
    point, choice = record.point, record.choice
    day = clock(point.time).split(",")[0]
    if point.kind == "alert":
        return {"verify": f"holding the alert from {point.sender} on {day} for verification",
                "discard": f"discarding the alert from {point.sender} on {day}",
                "act": f"acting on the alert from {point.sender} on {day}"}[choice.action]  # fmt: skip
    if choice.action == "hold":
        return f"holding the intelligence on {day}"
    if choice.action == "verify":
        return f"verifying the intelligence on {day} before sharing it"
    left_out = sorted(set(point.links) - set(choice.links or point.links))
    if left_out:
        return f"not sharing on {', '.join(left_out)} on {day}"
    return f"sharing the intelligence on {day}"


def _let_through_sentence(tid: str, row: dict[str, Any], records: list[Any], names: dict[str, str],
                          alerts: dict[str, Any]) -> str:  # fmt: skip
    country = names.get(row["cause_country"], row["cause_country"]) if row["cause_country"] else "the border"
    cause = row["cause"]
    timing = ""
    if cause == "late" and row["hours_late"] is not None:
        timing = f" {row['hours_late']:.0f} hours before it arrived"
    elif cause == "not_trusted" and row["cause_alert"] in alerts:
        alert = alerts[row["cause_alert"]]
        crossing = row["last_crossing_hours"]
        if alert["fate"] in ("verifying", "verified") and alert["settled_hours"] is not None and crossing is not None:
            timing = f" {alert['settled_hours'] - crossing:.0f} hours before the verification ended"
    if records:
        return f"{_phrase(records[0]).capitalize()} let {tid} cross {country}{timing}."
    return f"{tid} crossed {country} unchecked: an indirect effect of your choices{timing and ',' + timing}."


def _stopped_sentence(tid: str, row: dict[str, Any], records: list[Any], names: dict[str, str]) -> str:
    country = names.get(row["detected_in"], row["detected_in"])
    if records:
        return f"{_phrase(records[0]).capitalize()} stopped {tid} at the {country} border."
    return f"{tid} was stopped at the {country} border: an indirect effect of your choices."


def write_game(game: Game, folder: Path, scenario_file: str, verify_hours: float, quit_at: float | None) -> None:
    """The run folder of the played run, plus decisions.yaml and play.json."""
    write_run_folder(game.played, game.scenario, folder)
    document = decisions_document(scenario_file, game.agency, game.seed, verify_hours, game.model, quit_at)
    header = "# tabletop play: the decisions of one game. Replay: tabletop play SCENARIO --as AGENCY --decisions FILE\n"
    (folder / "decisions.yaml").write_text(header + dump_yaml(document), encoding="utf-8")
    (folder / "play.json").write_text(json.dumps(what_changed(game), indent=2) + "\n", encoding="utf-8")
