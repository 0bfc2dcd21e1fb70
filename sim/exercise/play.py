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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.engine.decisions import Choice, DecisionPoint, Record, ReplayPlayer, order_choice, order_for
from sim.engine.model import SharingModel
from sim.engine.one_run import gc_paused, run_one, write_run_folder
from sim.engine.outcomes import RunResult, collect
from sim.errors import Problem, ScenarioError
from sim.i18n import N_, babel_locale, day_clock, format_decimal, format_int, language, translator, word
from sim.spec.decisions_file import DEFAULT_VERIFY_HOURS, StandingOrder, read_decisions
from sim.spec.output_files import write_text
from sim.spec.scenario import Scenario
from sim.spec.yaml_files import dump_yaml
from sim.vocabulary import CAUSE_LABELS, identifier_name

T = translator("game")

HELP = N_("""\
You play {code}. The simulation stops whenever {code} has to decide.
A lower-case key decides this one; the upper-case key gives a standing order:
the same choice for every alert from this sender (for new intelligence: all new
intelligence of this identifier type) until the next inject, when you are asked again.
  New intelligence about a traveller:
    Enter  the scenario's policy (share on all your links)
    s  S   share now on all your links
    l  L   share now on the links you choose
    v  V   verify first: share after {hours} hours
    h  H   hold: keep it, share nothing
  An alert from a partner:
    Enter  the scenario's policy (act if the alert is trusted, else verify or discard as the link says)
    a  A   act: put the traveller on your watchlist (and relay it, if you relay)
    v  V   verify first: act after the verification time
    d  D   discard
  Any time:
    f      fast forward: no questions until the next inject (your orders stand; the policy decides the rest)
    q      quit: no more questions (your orders run to their end; the policy decides the rest);
           the report is still written
    ?      this help
Every choice is echoed ("→ discarded A-000038"). Alerts are numbered (#1, #2, ...) in the
order they reached you; their A- numbers say when they were sent.
""")
"""The game's help (``?``). The keys are typed as they are, in every language; the help explains them."""

ALERT_DONE = {"act": "acted on", "verify": "verifying", "discard": "discarded"}
"""An alert choice, as the echo says it (English; `_done` writes the echo in the player's language)."""

CHOICE_WORDS = {"act": N_("act"), "verify": N_("verify"), "discard": N_("discard"), "share": N_("share"),
                "hold": N_("hold")}  # fmt: skip
"""A choice in words (the policy says ...)."""

INJECT_KINDS = {"intel": N_("new intelligence"), "link_down": N_("link down"), "link_up": N_("link up"),
                "trust": N_("trust changes"), "surge": N_("surge")}  # fmt: skip
"""An inject's kind in words."""


def _count(value: int) -> str:
    """A whole number in the player's language (``2 285`` in French); in English as it always was (``2285``).

    play.json's English sentences are compared by their readers (and the tests) as written before
    the game spoke other languages, so English keeps its plain digits.
    """
    return str(int(value)) if language() == "en" else format_int(value)


def _sep(mark: str = ",") -> str:
    """The separator of a list in the player's language: ``, `` (``، `` in Arabic); ``; `` for `mark` ``;``."""
    if mark == ";":
        return T.pgettext("list separator", "; ")
    return T.pgettext("list separator", ", ")


def _identifier(identifier: str) -> str:
    return word(identifier_name(identifier))


def clock(hours: float) -> str:
    """``day 4, 06:30`` for 102.5 hours (in the player's language)."""
    day, time = day_clock(hours)
    return T.gettext("day {day}, {time}").format(day=_count(day), time=time)


def day_text(hours: float) -> str:
    """``day 4`` for 102.5 hours (the day of `clock`)."""
    return T.gettext("day {day}").format(day=_count(day_clock(hours)[0]))


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 traveller``, ``2 travellers`` (`words` when the plural is not `word` + s); English only."""
    return f"{count} {word if count == 1 else words or word + 's'}"


def _number(value: float) -> str:
    """A number as ``:g`` writes it (``0.75``, ``24``), with the language's decimal sign (``0,75``)."""
    from babel.numbers import get_decimal_symbol

    text = f"{value:g}"
    return text.replace(".", get_decimal_symbol(babel_locale(), numbering_system="latn")) if "." in text else text


def _until(until_hours: float | None) -> str:
    return T.gettext("to the end") if until_hours is None else T.gettext("until {when}").format(
        when=clock(until_hours))  # fmt: skip


def _links_text(links: tuple[str, ...] | list[str] | None) -> str:
    if links is None:
        return T.gettext("all your links")
    return _sep().join(links) or T.gettext("no link")


def describe_order(order: StandingOrder) -> str:
    """``discard every alert from NOR-INT until day 5, 00:00``, in the player's words."""
    until = _until(None if order.until_day is None else order.until_day * 24)
    if order.kind == "alert":
        if order.sender:
            template = {"act": T.gettext("act on every alert from {sender} {until}"),
                        "verify": T.gettext("verify every alert from {sender} {until}"),
                        "discard": T.gettext("discard every alert from {sender} {until}")}[order.action]  # fmt: skip
        else:
            template = {"act": T.gettext("act on every alert {until}"),
                        "verify": T.gettext("verify every alert {until}"),
                        "discard": T.gettext("discard every alert {until}")}[order.action]  # fmt: skip
        return template.format(sender=order.sender, until=until)
    if order.identifier:
        template = {"share": T.gettext("share all new {kind} intelligence on {codes} {until}"),
                    "verify": T.gettext("verify all new {kind} intelligence before sharing it {until}"),
                    "hold": T.gettext("hold all new {kind} intelligence {until}")}[order.action]  # fmt: skip
    else:
        template = {"share": T.gettext("share all new intelligence on {codes} {until}"),
                    "verify": T.gettext("verify all new intelligence before sharing it {until}"),
                    "hold": T.gettext("hold all new intelligence {until}")}[order.action]  # fmt: skip
    return template.format(kind=_identifier(order.identifier), codes=_links_text(order.links), until=until)


@dataclass
class InteractivePlayer:
    """Asks a person in the terminal (in the language of `sim.i18n`; the keys are the same in every language).

    Attributes:
        agency: the agency played.
        verify_hours: hours a verification takes when the scenario does not say.
        ask: reads one answer (``input``).
        say: prints (``print``).
        quit_at: when the player left the table (hours), if they did.
        skip_until: no questions before this time (fast forward).
        orders: the standing orders given, in order.
        by_order: decision key -> the number of the order that decided it.
        answers: the decisions the player took at the prompt (Enter included).
    """

    agency: str
    verify_hours: float = DEFAULT_VERIFY_HOURS
    ask: Callable[[str], str] = input
    say: Callable[[str], None] = print
    quit_at: float | None = None
    skip_until: float = -math.inf
    orders: list[StandingOrder] = field(default_factory=list)
    by_order: dict[tuple[str, str, str], int] = field(default_factory=dict)
    answers: int = 0
    _injects_seen: int = 0
    _alerts_seen: int = 0

    def decide(self, point: DecisionPoint, model: Any) -> Choice:
        """Apply a standing order, or show the situation and read the choice."""
        if point.kind == "alert":
            self._alerts_seen += 1
        number = order_for(self.orders, point)
        if number is not None:
            self.by_order[point.key] = number
            choice = order_choice(self.orders[number - 1])
            if self.quit_at is None:
                by = T.gettext("order {number}").format(number=_count(number))
                self.say(f"  {clock(point.time)}  → {self._done(point, choice, by)}")
            return choice
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
                self.answers += 1
                by_policy = choice == point.default and answer[:1].lower() in ("", "f", "q")
                self.say(f"  → {self._done(point, choice, T.gettext('the policy') if by_policy else '')}")
                return choice

    def _parse(self, answer: str, point: DecisionPoint, model: Any) -> Choice | None:
        key = answer[:1]
        if answer == "":
            return point.default
        if key == "?":
            self.say(T.gettext(HELP).format(code=self.agency, hours=_number(self.verify_hours)))
            return None
        if key.lower() == "q":
            self.quit_at = point.time
            if self.orders:
                self.say(T.gettext("You leave the table: the scenario's policy decides from now on "
                                   "(and your standing orders, to their end)."))  # fmt: skip
            else:
                self.say(T.gettext("You leave the table: the scenario's policy decides from now on."))
            return point.default
        if key.lower() == "f":
            upcoming = self._next_inject(point, model)
            self.skip_until = upcoming if upcoming is not None else math.inf
            where = clock(self.skip_until) if upcoming is not None else T.gettext("the end")
            if self.orders:
                text = T.gettext("Fast forward to {when}: the scenario's policy decides until then "
                                 "(and your standing orders).")  # fmt: skip
            else:
                text = T.gettext("Fast forward to {when}: the scenario's policy decides until then.")
            self.say(text.format(when=where))
            return point.default
        keys = {"s": "share", "v": "verify", "h": "hold", "l": "share"} if point.kind == "intelligence" else {
            "a": "act", "v": "verify", "d": "discard"}  # fmt: skip
        if key.lower() not in keys:
            self.say(T.gettext("Not a choice here. Press Enter for the scenario's policy, or ? for help."))
            return None
        choice: Choice | None = Choice(keys[key.lower()])
        if key.lower() == "l":
            choice = self._choose_links(point)
        if choice is not None and key.isupper():
            self._give_order(point, choice, model)
        return choice

    @staticmethod
    def _next_inject(point: DecisionPoint, model: Any) -> float | None:
        upcoming = [i.at_hours for i in model.exercise.injects if i.at_hours > point.time]
        return min(upcoming) if upcoming else None

    def _give_order(self, point: DecisionPoint, choice: Choice, model: Any) -> None:
        until = self._next_inject(point, model)
        order = StandingOrder(
            kind=point.kind,
            action=choice.action,
            day=math.floor(point.time / 24 * 1e6) / 1e6,
            until_day=None if until is None else until / 24,
            sender=point.sender if point.kind == "alert" else "",
            identifier=point.identifier if point.kind == "intelligence" else "",
            links=choice.links,
        )
        self.orders.append(order)
        if until is not None:
            text = T.gettext("→ order {number}: {order} (the next inject).")
        else:
            text = T.gettext("→ order {number}: {order}.")
        self.say("  " + text.format(number=_count(len(self.orders)), order=describe_order(order)))

    def _done(self, point: DecisionPoint, choice: Choice, by: str = "") -> str:
        """The echo of a choice: ``discarded A-000038 (alert #1 on R-0219, order 2)``."""
        if point.kind == "alert":
            if by:
                template = {"act": T.gettext("acted on {alert_id} (alert #{number} on {tid}, {by})"),
                            "verify": T.gettext("verifying {alert_id} (alert #{number} on {tid}, {by})"),
                            "discard": T.gettext("discarded {alert_id} (alert #{number} on {tid}, {by})"),
                            }[choice.action]  # fmt: skip
            else:
                template = {"act": T.gettext("acted on {alert_id} (alert #{number} on {tid})"),
                            "verify": T.gettext("verifying {alert_id} (alert #{number} on {tid})"),
                            "discard": T.gettext("discarded {alert_id} (alert #{number} on {tid})"),
                            }[choice.action]  # fmt: skip
            return template.format(alert_id=point.alert, number=_count(self._alerts_seen), tid=point.traveller,
                                   by=by)  # fmt: skip
        values = {"kind": _identifier(point.identifier), "tid": point.traveller}
        if choice.action == "share":
            done = T.gettext("shared the {kind} intelligence on {tid} on {codes}").format(
                codes=_links_text(choice.links), **values)  # fmt: skip
        elif choice.action == "verify":
            done = T.gettext("verifying the {kind} intelligence on {tid}: shared after {hours} hours").format(
                hours=_number(self.verify_hours), **values)  # fmt: skip
        else:
            done = T.gettext("held the {kind} intelligence on {tid}").format(**values)
        return T.gettext("{choice} ({by})").format(choice=done, by=by) if by else done

    def _choose_links(self, point: DecisionPoint) -> Choice | None:
        for number, link in enumerate(point.links, start=1):
            self.say(f"  {number}) {link}")
        answer = self.ask(T.gettext("links to share on (numbers, e.g. 1 3; Enter for none)") + "> ")
        try:
            numbers = [int(x) for x in answer.replace(",", " ").split()]
        except ValueError:
            numbers = [0]
        if not all(1 <= n <= len(point.links) for n in numbers):
            # 0 and negative numbers would index from the end of the list: a link not chosen.
            self.say(T.gettext("Use the numbers shown (1 to {last}).").format(last=_count(len(point.links))))
            return None
        chosen = tuple(dict.fromkeys(point.links[n - 1] for n in numbers))
        return Choice("share", chosen) if chosen else Choice("hold")

    def _situation(self, point: DecisionPoint, model: Any) -> str:
        agency = model.agencies[self.agency]
        lines = [f"\n── {clock(point.time)} " + "─" * 40]
        fresh = model.injects_done[self._injects_seen :]
        self._injects_seen = len(model.injects_done)
        for time, _, kind, detail in fresh:
            what = T.gettext(INJECT_KINDS[kind]) if kind in INJECT_KINDS else kind.replace("_", " ")
            lines.append("  " + T.gettext("INJECT ({when}): {kind}: {detail}").format(when=clock(time), kind=what,
                                                                                      detail=detail))  # fmt: skip
        watch = agency.watchlist
        en_route = sum(1 for i in watch if model.travellers[i].detected is None and not model.travellers[i].arrived)
        received = [m for m in model.messages if m.link.receiver is agency and m.delivered is not None
                    and m.delivered <= point.time]  # fmt: skip
        senders = sorted({(m.link.sender.code, m.link.trust) for m in received})
        known = T.ngettext("You know {count} traveller; {moving} believed en route.",
                           "You know {count} travellers; {moving} believed en route.", len(watch)).format(
            count=_count(len(watch)), moving=_count(en_route))  # fmt: skip
        if senders:
            sources = _sep().join(T.gettext("from {sender}, trust {value}").format(sender=s, value=_number(t))
                                for s, t in senders)  # fmt: skip
            alerts = T.gettext("Alerts received: {count} ({senders}).").format(count=_count(len(received)),
                                                                               senders=sources)  # fmt: skip
        else:
            alerts = T.gettext("Alerts received: {count}.").format(count=_count(len(received)))
        lines.append(f"  {known} {alerts}")
        standing = [f"{n}) {describe_order(o)}" for n, o in enumerate(self.orders, start=1)
                    if o.until_day is None or o.until_day * 24 > point.time]  # fmt: skip
        if standing:
            lines.append("  " + T.gettext("Your standing orders: {orders}.").format(orders=_sep(";").join(standing)))
        upcoming = self._next_inject(point, model)
        until = _until(upcoming)
        if point.kind == "intelligence":
            kind = _identifier(point.identifier)
            lines.append("  " + T.gettext("NEW INTELLIGENCE on {tid} ({kind}).").format(tid=point.traveller, kind=kind))
            codes = _sep().join(point.links) or T.gettext("none")
            lines.append("  " + T.gettext("Your links: {codes}").format(codes=codes))
            lines.append("  " + T.gettext("[Enter] share on all links   s share   l choose links   v verify first "
                                          "({hours} h)   h hold").format(hours=_number(self.verify_hours)))  # fmt: skip
            lines.append("  " + T.gettext("S L V H: the same for all new {kind} intelligence {until}"
                                          "   f fast forward   ? help   q quit").format(kind=kind,
                                                                                      until=until))  # fmt: skip
        else:
            if point.trusted:
                template = T.gettext("ALERT #{number} ({alert_id}) from {sender} (trust {value}) on {tid} ({kind}): "
                                     "you would trust it; the policy says {action}.")  # fmt: skip
            else:
                template = T.gettext("ALERT #{number} ({alert_id}) from {sender} (trust {value}) on {tid} ({kind}): "
                                     "you would not trust it; the policy says {action}.")  # fmt: skip
            lines.append("  " + template.format(
                number=_count(self._alerts_seen), alert_id=point.alert, sender=point.sender,
                value=_number(point.trust), tid=point.traveller, kind=_identifier(point.identifier),
                action=T.gettext(CHOICE_WORDS.get(point.default.action, point.default.action))))  # fmt: skip
            if point.confirmed is not None:
                lines.append("  " + track_record(point))
            lines.append("  " + T.gettext("[Enter] policy   a act   v verify   d discard"))
            lines.append("  " + T.gettext("A V D: the same for every alert from {sender} {until}"
                                          "   f fast forward   ? help   q quit").format(sender=point.sender,
                                                                                      until=until))  # fmt: skip
        return "\n".join(lines)


def track_record(point: DecisionPoint) -> str:
    """The sender's track record on the link of an alert, as the prompt shows it.

    ``Track record of NOR-INT on this link: 12 confirmed, 3 refuted so far; trust now 0.78
    (adaptive: it follows the record).`` A link of fixed trust says so.
    """
    confirmed, refuted = point.confirmed or 0, point.refuted or 0
    values = {"sender": point.sender, "confirmed": _count(confirmed), "refuted": _count(refuted)}
    if point.adaptive:
        return T.gettext("Track record of {sender} on this link: {confirmed} confirmed, {refuted} refuted so far; "
                         "trust now {value} (adaptive: it follows the record).").format(
            value=format_decimal(point.trust, 2), **values)  # fmt: skip
    return T.gettext("Track record of {sender} on this link: {confirmed} confirmed, {refuted} refuted so far; "
                     "trust fixed at {value} by the scenario.").format(value=_number(point.trust),
                                                                       **values)  # fmt: skip


# ---------------------------------------------------------------- recorded games


def order_row(order: StandingOrder) -> dict[str, Any]:
    """A standing order as a row of a decisions file."""
    row: dict[str, Any] = {"day": order.day}
    if order.until_day is not None:
        row["until_day"] = order.until_day
    row["kind"] = order.kind
    if order.sender:
        row["from"] = order.sender
    if order.identifier:
        row["identifier"] = order.identifier
    row["choice"] = order.action
    if order.links is not None:
        row["links"] = list(order.links)
    return row


def decision_row(point: DecisionPoint, choice: Choice, by: str | None = None) -> dict[str, Any]:
    """One decision as a row of a decisions file (the fields of `sim.spec.decisions_file`); `by` for an exercise's."""
    row: dict[str, Any] = {"day": round(point.time / 24, 6), "kind": point.kind, "traveller": point.traveller}
    if point.kind == "alert":
        row["alert"] = point.alert
        row["from"] = point.sender
    else:
        row["identifier"] = point.identifier
    row["choice"] = choice.action
    if choice.links is not None:
        row["links"] = list(choice.links)
    if Record(point, choice).is_default:
        row["default"] = True
    if by is not None:
        row["by"] = by
    return row


def decisions_document(scenario_file: str, agency: str, seed: int, verify_hours: float, model: SharingModel,
                       quit_at: float | None = None, orders: tuple[StandingOrder, ...] | list[StandingOrder] = (),
                       by_order: dict[tuple[str, str, str], int] | None = None) -> dict[str, Any]:  # fmt: skip
    """A game's decisions in the format `--decisions` reads.

    Args:
        scenario_file: the scenario played.
        agency: the agency played.
        seed: the run's seed.
        verify_hours: hours the played agency takes to verify.
        model: the finished model (its decisions).
        quit_at: when the player left the table, if they did.
        orders: the standing orders given.
        by_order: decision key -> the order that decided it; those decisions are not listed
            one by one (the order replays them), unless their key comes up more than once.
    """
    by_order = by_order or {}
    # A point whose key comes up more than once (the same intelligence learnt twice) is listed
    # one by one even when an order took it: a listed decision wins over orders on replay.
    times = Counter(record.point.key for record in model.decisions)
    rows = []
    for record in model.decisions:
        point, choice = record.point, record.choice
        if point.key in by_order and times[point.key] == 1:
            continue
        rows.append(decision_row(point, choice))
    document: dict[str, Any] = {"scenario": scenario_file, "agency": agency, "seed": seed,
                                "verify_hours": verify_hours}  # fmt: skip
    if quit_at is not None:
        document["quit_day"] = round(quit_at / 24, 6)
    if orders:
        document["orders"] = [order_row(order) for order in orders]
    document["decisions"] = rows
    return document


def load_decisions(path: str | Path, agency: str | None = None,
                   seed: int | None = None) -> tuple[ReplayPlayer, dict[str, Any]]:  # fmt: skip
    """Read a decisions file (`sim.spec.decisions_file`) into a player that replays it, on its own seed.

    Args:
        path: the file.
        agency: the agency played; a file recorded for another is refused.
        seed: the seed asked for (``--seed``); a file recorded on another is refused.

    Raises:
        ScenarioError: naming file, line and field of every problem.
    """
    decisions = read_decisions(path, agency, seed)
    choices = {key: Choice(action, links) for key, (action, links) in decisions.choices.items()}
    player = ReplayPlayer(agency=decisions.agency, choices=choices, verify_hours=decisions.verify_hours,
                          orders=decisions.orders, seed=decisions.seed)  # fmt: skip
    return player, decisions.data


def game_seed(player: Any, seed: int | None) -> int | None:
    """The seed to play on: `seed` if given, else the seed `player` replays (None: the scenario's).

    Raises:
        ScenarioError: `seed` differs from the seed the player's decisions were recorded on.
    """
    recorded = getattr(player, "seed", None)
    if recorded is None:
        return seed
    if seed is not None and seed != recorded:
        raise ScenarioError([Problem("--seed", None, "", f"the decisions were recorded on seed {recorded}: "
                                     "leave out the seed to replay them on it", seed)])  # fmt: skip
    return int(recorded)


def check_verify_hours(hours: Any, option: str = "--verify-hours") -> float:
    """`hours` as the played agency's verification time: a finite number >= 0.

    Raises:
        ScenarioError: naming `option`, for NaN, an infinity, a negative number or not a number
            (a NaN time would poison the event calendar).
    """
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not math.isfinite(hours) or hours < 0:
        raise ScenarioError([Problem(option, None, "", "must be a finite number of hours >= 0", hours)])
    return float(hours)


# ---------------------------------------------------------------- the game and its debrief


@dataclass
class Game:
    """A finished game: the run with the player's choices and the same run with the scenario's policy.

    Attributes:
        orders: the player's standing orders.
        by_order: decision key -> the number of the order that decided it.
    """

    scenario: Scenario
    agency: str
    seed: int
    model: SharingModel
    played: RunResult
    default: RunResult
    orders: tuple[StandingOrder, ...] = ()
    by_order: dict[tuple[str, str, str], int] = field(default_factory=dict)


def play_game(scenario: Scenario, player: Any, seed: int) -> Game:
    """Run the scenario with `player` deciding for its agency, and with the default policy on the same seed.

    Raises:
        ScenarioError: an agency the scenario does not have, or a verification time that is not a
            finite number of hours >= 0.
    """
    if player.agency not in {a.id for a in scenario.agencies}:
        raise ScenarioError([Problem("--as", None, "", "no such agency in the scenario (agencies: "
                                     + ", ".join(a.id for a in scenario.agencies) + ")", player.agency)])  # fmt: skip
    check_verify_hours(player.verify_hours)
    with gc_paused():
        model = SharingModel(scenario, seed=seed, player=player, collect_data=False)
        model.run()
        played = collect(model)
    return Game(scenario, player.agency, seed, model, played, run_one(scenario, seed),
                tuple(getattr(player, "orders", ())), dict(getattr(player, "by_order", {})))  # fmt: skip


def what_changed(game: Game, records: list[Any] | None = None, only: set[str] | None = None) -> dict[str, Any]:
    """Which travellers the player's choices stopped or let through, in words.

    Args:
        game: the game.
        records: the decisions to account for (default: every decision of the run); a team of a
            live exercise passes its own.
        only: the travellers whose change is told (default: all); a team of a live exercise passes
            those its own choices touched first.
    """
    names = {c.id: c.name for c in game.scenario.countries}
    played = {r["id"]: r for r in game.played.travellers}
    default = {r["id"]: r for r in game.default.travellers}
    alerts = {r["alert"]: r for r in game.played.alerts}
    differing = [r for r in (game.model.decisions if records is None else records) if not r.is_default]
    by_traveller: dict[str, list[Any]] = {}
    for record in differing:
        by_traveller.setdefault(record.point.traveller, []).append(record)
    let_through, stopped, sentences = [], [], []
    for tid, row in played.items():
        if only is not None and tid not in only:
            continue
        before = default[tid]["outcome"] == "detected"
        after = row["outcome"] == "detected"
        if before and not after:
            let_through.append(tid)
            sentences.append(_let_through_sentence(tid, row, by_traveller.get(tid, []), names, alerts))
        elif after and not before:
            stopped.append(tid)
            sentences.append(_stopped_sentence(tid, row, by_traveller.get(tid, []), names))
    innocents_stopped, innocents_spared = _innocents(game)
    if only is not None:
        innocents_stopped = [t for t in innocents_stopped if t in only]
        innocents_spared = [t for t in innocents_spared if t in only]
    both_sides = both_sides_sentences(game, differing, stopped, let_through, innocents_stopped, innocents_spared, names)
    sentences = both_sides + sentences
    changed = set(let_through) | set(stopped) | set(innocents_stopped) | set(innocents_spared)
    if only is not None:  # a traveller another team's choice changed first is not idle either
        changed |= {tid for tid, row in played.items()
                    if (row["outcome"] == "detected") != (default[tid]["outcome"] == "detected")}  # fmt: skip
        changed |= set(sum(_innocents(game), []))
    idle = [r for r in differing if r.point.traveller not in changed]
    crossed: dict[str, list[float]] = {}
    for crossing in game.played.crossings:
        crossed.setdefault(crossing["traveller"], []).append(crossing["time_hours"])
    why = why_unchanged(idle, played, default, crossed, names, all_of_them=not changed)
    if why:
        sentences.append(why)
    return {
        "agency": game.agency,
        "seed": game.seed,
        "decisions": len(game.model.decisions if records is None else records),
        "changed_decisions": len(differing),
        "detected_played": game.played.summary["detected"],
        "detected_default": game.default.summary["detected"],
        "stopped_by_your_choices": stopped,
        "let_through_by_your_choices": let_through,
        **_cost_side(game, innocents_stopped, innocents_spared),
        "sentences": sentences,
        "why_unchanged": why,
    }


def _innocents(game: Game) -> tuple[list[str], list[str]]:
    """Innocent subjects of wrong leads stopped with the player's choices, not with the policy; and spared.

    Both by label, in the order of their stop.
    """
    played = [r["traveller"] for r in game.played.wrongful_stops if r["kind"] == "innocent_subject"]
    default = [r["traveller"] for r in game.default.wrongful_stops if r["kind"] == "innocent_subject"]
    return [t for t in played if t not in set(default)], [t for t in default if t not in set(played)]


def _namesakes(result: RunResult, sender: str | None = None, agency: str | None = None) -> Counter[str]:
    """Ordinary travellers stopped as namesakes, by country.

    Only on entries `sender`'s alerts put there, and only by `agency`, when given.
    """
    return Counter(
        r["country"]
        for r in result.wrongful_stops
        if r["kind"] == "ordinary" and sender in (None, r["sender"]) and agency in (None, r["agency"])
    )


def _namesake_clauses(played: Counter[str], default: Counter[str], names: dict[str, str]) -> list[str]:
    """``stopped 3 more namesakes at Drevia than the policy``, ``spared 5 namesakes a stop at Halvoria``."""
    clauses = []
    for country in sorted(played | default):
        change = played[country] - default[country]
        where = names.get(country, country)
        if change > 0:
            clauses.append(T.ngettext("stopped {count} more namesake at {where} than the policy",
                                      "stopped {count} more namesakes at {where} than the policy", change).format(
                count=_count(change), where=where))  # fmt: skip
        elif change < 0:
            clauses.append(T.ngettext("spared {count} namesake a stop at {where}",
                                      "spared {count} namesakes a stop at {where}", -change).format(
                count=_count(-change), where=where))  # fmt: skip
    return clauses


def _cost_side(game: Game, innocents_stopped: list[str], innocents_spared: list[str]) -> dict[str, Any]:
    """The innocent side of a game for play.json: empty when the scenario does not model the cost of sharing."""
    if "wrongful_stops" not in game.played.summary:
        return {}
    played, default = _namesakes(game.played), _namesakes(game.default)
    return {
        "wrongful_stops_played": game.played.summary["wrongful_stops"]["total"],
        "wrongful_stops_default": game.default.summary["wrongful_stops"]["total"],
        "innocents_stopped_by_your_choices": innocents_stopped,
        "innocents_spared_by_your_choices": innocents_spared,
        "namesakes_by_country": {c: {"played": played[c], "default": default[c]} for c in sorted(played | default)},
    }


def _ids(labels: list[str], most: int = 3) -> str:
    """``R-0001, R-0002 and R-0003``; past `most`: ``R-0001, R-0002, R-0003 and 5 more``."""
    if len(labels) > most:
        more = len(labels) - most
        return T.ngettext("{ids} and {count} more", "{ids} and {count} more", more).format(
            ids=_sep().join(labels[:most]), count=_count(more))  # fmt: skip
    if len(labels) == 1:
        return labels[0]
    return T.gettext("{items} and {last}").format(items=_sep().join(labels[:-1]), last=labels[-1])


def _and(clauses: list[str]) -> str:
    """``a``, ``a and b``, ``a, b, and c`` (the clauses have commas of their own)."""
    if len(clauses) == 1:
        return clauses[0]
    if len(clauses) == 2:
        return T.gettext("{first} and {last}").format(first=clauses[0], last=clauses[1])
    return T.gettext("{items}, and {last}").format(items=_sep().join(clauses[:-1]), last=clauses[-1])


def _group(record: Any) -> tuple[str, str]:
    """The group a decision different from the policy counts in: (key, the choice as a habit, in words)."""
    point, choice = record.point, record.choice
    if point.kind == "alert":
        words = {"act": T.gettext("acting at once on {sender}'s alerts"),
                 "verify": T.gettext("verifying {sender}'s alerts before acting"),
                 "discard": T.gettext("discarding {sender}'s alerts")}[choice.action]  # fmt: skip
        return f"alert {choice.action} {point.sender}", words.format(sender=point.sender)
    if choice.action == "share":
        left_out = sorted(set(point.links) - set(choice.links or point.links))
        words = T.gettext("not sharing on {codes}").format(codes=_sep().join(left_out)) if left_out else T.gettext(
            "sharing")  # fmt: skip
        return f"intelligence share {left_out}", words
    return f"intelligence {choice.action}", {
        "hold": T.gettext("holding your intelligence"),
        "verify": T.gettext("verifying your intelligence before sharing it"),
    }[choice.action]


def both_sides_sentences(game: Game, differing: list[Any], stopped: list[str], let_through: list[str],
                         innocents_stopped: list[str], innocents_spared: list[str],
                         names: dict[str, str]) -> list[str]:  # fmt: skip
    """Both sides of the player's choices, one sentence per habit (``acting at once on NOR-INT's alerts``).

    Each traveller whose outcome changed counts in the group of the first decision on them that
    differs from the policy: persons of interest stopped or let through, innocent subjects of wrong
    leads stopped or spared. Namesakes (ordinary travellers, never simulated one by one) count in the
    group of alerts whose entries they were taken for, as the difference with the policy by country.
    Empty when the scenario does not model the cost of sharing (the sentences per traveller say it all).
    """
    if "wrongful_stops" not in game.played.summary:
        return []
    first: dict[str, Any] = {}
    for record in differing:
        first.setdefault(record.point.traveller, record)
    groups: dict[str, dict[str, Any]] = {}

    def group_of(tid: str) -> dict[str, Any]:
        record = first.get(tid)
        key, words = _group(record) if record is not None else ("", T.gettext("your choices, indirectly,"))
        return groups.setdefault(key, {"words": words, "sender": "", "lists": ([], [], [], [])})

    for index, labels in enumerate((stopped, let_through, innocents_stopped, innocents_spared)):
        for tid in labels:
            group_of(tid)["lists"][index].append(tid)
    habits: dict[str, list[str]] = {}  # sender -> the groups of your choices on its alerts
    for record in differing:  # a habit on a sender's alerts that changed only namesake stops counts too
        if record.point.kind == "alert":
            key, words = _group(record)
            groups.setdefault(key, {"words": words, "sender": "", "lists": ([], [], [], [])})["sender"] = (
                record.point.sender)  # fmt: skip
            if key not in habits.setdefault(record.point.sender, []):
                habits[record.point.sender].append(key)
    # Namesakes at your border on a sender's entries count with your one habit on its alerts, or in a
    # sentence of their own when you had several; those elsewhere (downstream of a relay, or of your
    # intelligence) in a last sentence.
    attributed_played, attributed_default = Counter[str](), Counter[str]()
    apart: list[str] = []
    for sender, keys in habits.items():
        played = _namesakes(game.played, sender, game.agency)
        default = _namesakes(game.default, sender, game.agency)
        attributed_played, attributed_default = attributed_played + played, attributed_default + default
        clauses = _namesake_clauses(played, default, names)
        if len(keys) == 1:
            groups[keys[0]]["namesakes"] = clauses
        elif clauses:
            apart.append(T.gettext("Your choices on {sender}'s alerts {clauses}.").format(sender=sender,
                                                                                         clauses=_and(clauses)))
    sentences = []
    for group in groups.values():
        poi_in, poi_out, inn_in, inn_out = group["lists"]
        clauses = []
        if poi_in:
            clauses.append(T.ngettext("stopped {ids} ({count} person of interest the policy let through)",
                                      "stopped {ids} ({count} persons of interest the policy let through)",
                                      len(poi_in)).format(ids=_ids(poi_in), count=_count(len(poi_in))))  # fmt: skip
        if poi_out:
            clauses.append(T.ngettext("let through {ids} ({count} person of interest the policy stopped)",
                                      "let through {ids} ({count} persons of interest the policy stopped)",
                                      len(poi_out)).format(ids=_ids(poi_out),
                                                           count=_count(len(poi_out))))  # fmt: skip
        if inn_in:
            clauses.append(T.ngettext("stopped {count} innocent subject of wrong leads ({ids})",
                                      "stopped {count} innocent subjects of wrong leads ({ids})",
                                      len(inn_in)).format(ids=_ids(inn_in), count=_count(len(inn_in))))  # fmt: skip
        if inn_out:
            clauses.append(T.ngettext("spared {count} innocent subject of wrong leads a wrongful stop ({ids})",
                                      "spared {count} innocent subjects of wrong leads a wrongful stop ({ids})",
                                      len(inn_out)).format(ids=_ids(inn_out),
                                                           count=_count(len(inn_out))))  # fmt: skip
        clauses += group.get("namesakes", [])
        if not clauses:
            continue
        sentences.append(T.gettext("{habit} {clauses}.").format(habit=_first_upper(group["words"]),
                                                                clauses=_and(clauses)))  # fmt: skip
    sentences += apart
    if differing:
        elsewhere = _namesake_clauses(_namesakes(game.played) - attributed_played,
                                      _namesakes(game.default) - attributed_default, names)  # fmt: skip
        if elsewhere:
            sentences.append(T.gettext("Your choices, further along the chain, {clauses}.").format(
                clauses=_and(elsewhere)))  # fmt: skip
    return sentences


def why_unchanged(records: list[Any], played: dict[str, dict[str, Any]], default: dict[str, dict[str, Any]],
                  crossed: dict[str, list[float]], names: dict[str, str], all_of_them: bool = True) -> str:  # fmt: skip
    """Why the changed decisions `records` changed no traveller's outcome, computed traveller by traveller.

    Args:
        records: decisions different from the policy whose traveller ended the same in both runs.
        played: traveller id -> row of travellers.csv, with the player's choices.
        default: the same with the scenario's policy (the same seed).
        crossed: traveller id -> the times (hours) of their border crossings with the player's choices.
        names: country id -> name.
        all_of_them: whether these are all the player's changes (no outcome changed at all).

    Returns:
        A sentence such as "Your 3 changes changed no traveller's outcome: they were on travellers
        stopped anyway at the Norland border.", or "" when there is nothing to explain.
    """
    reasons: dict[tuple[str, str], int] = {}  # (kind of reason, its detail) -> how many decisions
    for record in records:
        tid, time = record.point.traveller, record.point.time
        row = played[tid]
        if row["outcome"] == "detected" and default[tid]["outcome"] == "detected":
            reason = ("stopped", names.get(row["detected_in"], row["detected_in"]))
        elif not any(t > time for t in crossed.get(tid, [])):
            reason = ("no_crossing_after", "") if crossed.get(tid) else ("never_crossed", "")
        elif row["outcome"] == "missed":
            reason = ("missed", row["cause"])
        else:
            reason = ("independent", "")
        reasons[reason] = reasons.get(reason, 0) + 1
    if not reasons:
        return ""
    count = sum(reasons.values())
    if len(reasons) == 1:
        ((reason, _),) = reasons.items()
        rest = _reason(reason, count, whole=True)
    else:
        parts = [_reason(reason, n) for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])]
        rest = T.gettext("{items} and {last}").format(items=_sep().join(parts[:-1]), last=parts[-1])
    if all_of_them:
        opening = T.ngettext("Your {count} change to the policy changed no traveller's outcome: {why}.",
                             "Your {count} changes to the policy changed no traveller's outcome: {why}.", count)
    else:
        opening = T.ngettext("Your other {count} change to the policy changed nothing: {why}.",
                             "Your other {count} changes to the policy changed nothing: {why}.", count)
    return opening.format(count=_count(count), why=rest)


def _reason(reason: tuple[str, str], n: int, whole: bool = False) -> str:
    """Why `n` changed decisions changed nothing: ``2 were on travellers who never crossed a border``.

    `whole`: the only reason, said without its count (``they were on travellers ...``).
    """
    kind, detail = reason
    if kind == "stopped":
        if whole:
            template = T.ngettext("it was on a traveller stopped anyway at the {where} border",
                                  "they were on travellers stopped anyway at the {where} border", n)
        else:
            template = T.ngettext("{count} was on a traveller stopped anyway at the {where} border",
                                  "{count} were on travellers stopped anyway at the {where} border", n)
    elif kind == "no_crossing_after":
        if whole:
            template = T.ngettext("it was on a traveller who crossed no border after your decision",
                                  "they were on travellers who crossed no border after your decision", n)
        else:
            template = T.ngettext("{count} was on a traveller who crossed no border after your decision",
                                  "{count} were on travellers who crossed no border after your decision", n)
    elif kind == "never_crossed":
        if whole:
            template = T.ngettext("it was on a traveller who never crossed a border",
                                  "they were on travellers who never crossed a border", n)
        else:
            template = T.ngettext("{count} was on a traveller who never crossed a border",
                                  "{count} were on travellers who never crossed a border", n)
    elif kind == "missed":
        if whole:
            template = T.ngettext("it was on a traveller missed anyway ({cause})",
                                  "they were on travellers missed anyway ({cause})", n)
        else:
            template = T.ngettext("{count} was on a traveller missed anyway ({cause})",
                                  "{count} were on travellers missed anyway ({cause})", n)
    elif whole:
        template = T.ngettext("it was on a traveller whose outcome did not depend on it",
                              "they were on travellers whose outcome did not depend on it", n)
    else:
        template = T.ngettext("{count} was on a traveller whose outcome did not depend on it",
                              "{count} were on travellers whose outcome did not depend on it", n)
    cause = word(CAUSE_LABELS[detail]) if detail in CAUSE_LABELS else detail
    return template.format(count=_count(n), where=detail, cause=cause)


def _phrase(record: Any) -> str:
    point, choice = record.point, record.choice
    day = day_text(point.time)
    if point.kind == "alert":
        return {"verify": T.gettext("holding the alert from {sender} on {day} for verification"),
                "discard": T.gettext("discarding the alert from {sender} on {day}"),
                "act": T.gettext("acting on the alert from {sender} on {day}")}[choice.action].format(
            sender=point.sender, day=day)  # fmt: skip
    if choice.action == "hold":
        return T.gettext("holding the intelligence on {day}").format(day=day)
    if choice.action == "verify":
        return T.gettext("verifying the intelligence on {day} before sharing it").format(day=day)
    left_out = sorted(set(point.links) - set(choice.links or point.links))
    if left_out:
        return T.gettext("not sharing on {codes} on {day}").format(codes=_sep().join(left_out), day=day)
    return T.gettext("sharing the intelligence on {day}").format(day=day)


def _first_upper(text: str) -> str:
    """The text with its first letter upper-case (the rest as it is: agency codes stay upper-case)."""
    return text[:1].upper() + text[1:]


def _let_through_sentence(tid: str, row: dict[str, Any], records: list[Any], names: dict[str, str],
                          alerts: dict[str, Any]) -> str:  # fmt: skip
    country = names.get(row["cause_country"], row["cause_country"]) if row["cause_country"] else T.gettext(
        "the border")  # fmt: skip
    cause = row["cause"]
    hours: int | None = None
    before = ""
    if cause == "late" and row["hours_late"] is not None:
        hours, before = round(row["hours_late"]), "arrived"
    elif cause == "not_trusted" and row["cause_alert"] in alerts:
        alert = alerts[row["cause_alert"]]
        crossing = row["last_crossing_hours"]
        if alert["fate"] in ("verifying", "verified") and alert["settled_hours"] is not None and crossing is not None:
            hours, before = round(alert["settled_hours"] - crossing), "verified"
    values = {"tid": tid, "where": country, "count": _count(hours) if hours is not None else ""}
    if records:
        values["action"] = _first_upper(_phrase(records[0]))
        if before == "arrived":
            template = T.ngettext("{action} let {tid} cross {where} {count} hour before it arrived.",
                                  "{action} let {tid} cross {where} {count} hours before it arrived.", hours or 0)
        elif before == "verified":
            template = T.ngettext("{action} let {tid} cross {where} {count} hour before the verification ended.",
                                  "{action} let {tid} cross {where} {count} hours before the verification ended.",
                                  hours or 0)  # fmt: skip
        else:
            template = T.gettext("{action} let {tid} cross {where}.")
        return template.format(**values)
    if before == "arrived":
        template = T.ngettext("{tid} crossed {where} unchecked: an indirect effect of your choices, "
                              "{count} hour before it arrived.",
                              "{tid} crossed {where} unchecked: an indirect effect of your choices, "
                              "{count} hours before it arrived.", hours or 0)  # fmt: skip
    elif before == "verified":
        template = T.ngettext("{tid} crossed {where} unchecked: an indirect effect of your choices, "
                              "{count} hour before the verification ended.",
                              "{tid} crossed {where} unchecked: an indirect effect of your choices, "
                              "{count} hours before the verification ended.", hours or 0)  # fmt: skip
    else:
        template = T.gettext("{tid} crossed {where} unchecked: an indirect effect of your choices.")
    return template.format(**values)


def _stopped_sentence(tid: str, row: dict[str, Any], records: list[Any], names: dict[str, str]) -> str:
    country = names.get(row["detected_in"], row["detected_in"])
    if records:
        return T.gettext("{action} stopped {tid} at the {where} border.").format(
            action=_first_upper(_phrase(records[0])), tid=tid, where=country)  # fmt: skip
    return T.gettext("{tid} was stopped at the {where} border: an indirect effect of your choices.").format(
        tid=tid, where=country)  # fmt: skip


def write_game(game: Game, folder: Path, scenario_file: str, verify_hours: float, quit_at: float | None) -> None:
    """The run folder of the played run, plus decisions.yaml and play.json."""
    write_run_folder(game.played, game.scenario, folder)
    document = decisions_document(scenario_file, game.agency, game.seed, verify_hours, game.model, quit_at,
                                  game.orders, game.by_order)  # fmt: skip
    header = "# tabletop play: the decisions of one game. Replay: tabletop play SCENARIO --as AGENCY --decisions FILE\n"
    write_text(folder / "decisions.yaml", header + dump_yaml(document))
    write_text(folder / "play.json", json.dumps(what_changed(game), indent=2) + "\n")


# ---------------------------------------------------------------- what the terminal says around a game


def game_intro(scenario_name: str, agency: str) -> str:
    """The line before the first question: ``Baseline: you play HUB. Enter takes the scenario's policy; ...``."""
    return T.gettext("{scenario}: you play {code}. Enter takes the scenario's policy; ? explains; q quits.").format(
        scenario=scenario_name, code=agency)  # fmt: skip


def game_summary(change: dict[str, Any], folder: Path, player: Any = None, unused: int = 0,
                 shown: int = 12) -> list[str]:  # fmt: skip
    """The lines ``tabletop play`` prints after a game, in the player's language.

    Args:
        change: `what_changed` of the game (play.json).
        folder: the run folder.
        player: the `InteractivePlayer` who played (None for a replayed game).
        unused: recorded decisions that did not come up (a replayed game).
        shown: sentences printed; the rest are in the report.
    """
    lines = []
    if unused:
        lines.append(T.ngettext("note: {count} recorded decision did not come up in this run (the policy decided "
                                "there).",
                                "note: {count} recorded decisions did not come up in this run (the policy decided "
                                "there).", unused).format(count=_count(unused)))  # fmt: skip
    if isinstance(player, InteractivePlayer):
        total, ordered = change["decisions"], len(player.by_order)
        answered = T.ngettext("Of the {count} decision point, you answered {answered}",
                              "Of the {count} decision points, you answered {answered}", total).format(
            count=_count(total), answered=_count(player.answers))  # fmt: skip
        orders = T.ngettext("your {count} standing order decided {ordered} and the policy the other {rest}.",
                            "your {count} standing orders decided {ordered} and the policy the other {rest}.",
                            len(player.orders)).format(count=_count(len(player.orders)),
                                                       ordered=_count(ordered),
                                                       rest=_count(total - player.answers - ordered))  # fmt: skip
        lines.append("\n" + T.gettext("{answered}, {orders}").format(answered=answered, orders=orders))
    stopped = change["detected_played"]
    lines.append("\n" + T.ngettext("With your choices {count} traveller was stopped; with the scenario's policy, on "
                                   "the same seed, {default}.",
                                   "With your choices {count} travellers were stopped; with the scenario's policy, on "
                                   "the same seed, {default}.", stopped).format(
        count=_count(stopped), default=_count(change["detected_default"])))  # fmt: skip
    for sentence in change["sentences"][:shown]:
        lines.append(f"  - {sentence}")
    if len(change["sentences"]) > shown:
        more = len(change["sentences"]) - shown
        lines.append("  " + T.ngettext("... and {count} more in the report.", "... and {count} more in the report.",
                                       more).format(count=_count(more)))  # fmt: skip
    lines.append("  " + T.gettext("run folder: {path}").format(path=folder))
    lines.append("  " + T.gettext("decisions: {path}").format(path=folder / "decisions.yaml"))
    lines.append("  " + T.gettext("report: {path}").format(path=folder / "report.html"))
    return lines
