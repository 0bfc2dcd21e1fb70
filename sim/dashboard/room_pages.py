"""The live exercise's pages (``tabletop exercise``): the facilitator's console, each team's page, a viewer's.

One Bokeh server serves them all, each a view of one `sim.exercise.room.Room`:

- ``/facilitator?key=TOKEN``: the lobby (who has joined), the clock (start, pause, resume, speed,
  countdown, real time), the MSEL (release the next inject, or on schedule), notes to all teams or
  one, the live headline, what each team has pending, refused requests, and the end (the hotwash);
- ``/team?seat=TOKEN``: only what the seat's agency knows (its watchlist, the alerts it received
  with the sender's trust and track record, its new intelligence, the injects and notes that reach
  it) and its decisions due, each with its countdown and its buttons;
- ``/view``: the headline and the clock, read-only, for a projector;
- ``/report/…``: the hotwash report the room wrote, and its figures (only those files);
- the links page (`write_links_page`): every seat's link and code with a QR code, a static file
  written into the exercise folder, printed for the tables (never served: it holds the codes).

The pages hold no state of the exercise: every ``POLL_MS`` they read the room's views (plain data
copied under the room's lock) and update only the models whose text changed. A click does not wait
for the next poll: the page redraws in the click's own callback (a decision taken leaves at once)
and reads its view again ``FOLLOW_UP_MS`` later (the decision's row in the history). The viewers'
pages share one reading of the headline (`Shared`): thirty projectors cost the room a few readings
a poll, not thirty (``tabletop bench --room`` measures the whole under load). Every call carries
the page's token from its address; the room checks it and raises `Refused`, whose reason the page
shows. Every text from the scenario or a person (notes, names) is escaped. The language is the
server's (``--lang``), switched per page with ``?lang=`` or the page's selector.
"""

from __future__ import annotations

import html
import math
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from bokeh.document import Document
from bokeh.layouts import column, row
from bokeh.models import (
    Button,
    CheckboxGroup,
    Div,
    InlineStyleSheet,
    Select,
    Spinner,
    TextAreaInput,
    Toggle,
)
from jinja2 import Template
from tornado.web import HTTPError, RequestHandler

from sim.dashboard.origins import allowed_origins, free_port
from sim.dashboard.page_style import FONT, INK, MUTED, page_styles
from sim.exercise.room import FACILITATOR, FacilitatorView, Headline, PendingView, Refused, Room, SeatLink, TeamView
from sim.i18n import (
    LANGUAGES,
    N_,
    check_language,
    day_clock,
    direction,
    format_decimal,
    format_int,
    language,
    translator,
    use_language,
    word,
)
from sim.vocabulary import CAUSE_LABELS, CAUSES, COLOURS, identifier_name

T = translator("room")

POLL_MS = 500
"""How often a page reads the room's views (milliseconds)."""

FOLLOW_UP_MS = 40
"""After a team's decision, when its page reads its view again (the room's worker records the decision
in the team's history as soon as it takes the room's lock: no need to wait for the next poll)."""

VIEWER_SHARE_SECONDS = 0.1
"""How long the viewers' pages share one reading of the room's headline (30 viewers: a few readings a poll, not 30)."""

CHECK_UNUSED_MS = 2_000
UNUSED_SESSION_MS = 3_000

LINKS_PAGE = "links.html"
"""The links page's name in the exercise folder (every seat's link, code and QR code)."""

REPORT_FILES = frozenset({".html", ".png", ".svg"})
"""The kinds of file ``/report/`` serves from the report's folder (the report and its figures)."""

NOT_SERVED = frozenset({LINKS_PAGE})
"""Files of the report's folder ``/report/`` never serves (the links page holds every seat's code)."""

NOTE_LIMIT = 500
"""Characters of a note the console sends (the room bounds it too)."""

SPEED_RANGE = (0.1, 10_000.0)
COUNTDOWN_RANGE = (0.0, 3600.0)
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "ar": "العربية"}

ROOM_TEMPLATE = Template(
    """{% extends base %}
{% block title %}{{ title }}{% endblock %}
{% block preamble %}<style>
html, body { margin: 0; background: #eef1f5; color: """
    + INK
    + """; font-family: """
    + FONT
    + """; }
body { padding: 0; overflow-x: hidden; }
</style>{% endblock %}"""
)

ROOM_CSS = f"""
:host {{ font-family: {FONT}; color: {INK}; width: 100%; font-size: 17px; }}
.bk-clearfix {{ width: 100%; }}
.box {{ background: white; border-radius: 12px; padding: 10px 18px; box-shadow: 0 1px 3px rgba(0,0,0,0.12);
        margin-bottom: 6px; }}
h1 {{ font-size: 30px; margin: 4px 0; }} h2 {{ font-size: 21px; margin: 6px 0; }}
.muted {{ color: {MUTED}; }}
.state {{ font-size: 20px; font-weight: 700; }}
.clock {{ font-size: 32px; font-weight: 800; }}
table {{ border-collapse: collapse; width: 100%; font-size: 16px; }}
th {{ text-align: start; color: {MUTED}; font-weight: 600; border-bottom: 2px solid #d5dbe3; padding: 4px 8px; }}
td {{ border-bottom: 1px solid #eceff3; padding: 4px 8px; vertical-align: top; }}
.cards {{ display: flex; gap: 12px; flex-wrap: wrap; }}
.card {{ background: white; border-radius: 12px; padding: 10px 18px; box-shadow: 0 1px 3px rgba(0,0,0,0.12);
         min-width: 150px; flex: 1 1 0; }}
.label {{ font-size: 15px; color: {MUTED}; font-weight: 600; text-transform: uppercase; }}
.big {{ font-size: 48px; font-weight: 800; line-height: 1.05; }}
.chip {{ font-size: 15px; }}
.err {{ color: #b00020; font-weight: 700; }}
.ok {{ color: #00603d; font-weight: 700; }}
.timeout {{ background: #fff4d6; border-inline-start: 8px solid #E69F00; padding: 8px 14px; border-radius: 8px;
            margin: 4px 0; font-weight: 600; }}
.decision {{ border-inline-start: 8px solid #0072B2; }}
.countdown {{ font-size: 22px; font-weight: 800; color: #b00020; }}
.yes {{ color: #00603d; font-weight: 700; }} .no {{ color: {MUTED}; }}
iframe {{ width: 100%; height: 70vh; border: 1px solid #d5dbe3; border-radius: 8px; background: white; }}
a {{ color: #0072B2; }}
"""


# ---------------------------------------------------------------- words


def _clock(hours: float) -> str:
    day, time = day_clock(hours)
    return T.gettext("Day {day}, {time}").format(day=format_int(day), time=time)


def _when(hours: Any) -> str:
    """A time of the exercise from a view's row (empty when it has none)."""
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not math.isfinite(hours):
        return ""
    return _clock(float(hours))


STATE_WORDS = {
        "lobby": N_("In the lobby: the facilitator has not started the exercise yet"),
        "running": N_("Running"),
        "paused": N_("Paused by the facilitator"),
        "waiting": N_("Time stopped: a team has a decision due"),
        "ended": N_("The exercise has ended"),
}


CHOICE_WORDS = {
        "act": N_("Act: put on the watchlist"),
        "verify": N_("Verify first"),
        "discard": N_("Discard"),
        "share": N_("Share now"),
        "hold": N_("Hold"),
}


FATE_WORDS = {
        "accepted": N_("acted on: on the watchlist"),
        "verified": N_("verified: on the watchlist"),
        "verifying": N_("being verified"),
        "refuted": N_("refuted by verification"),
        "discarded": N_("discarded"),
        "in_transit": N_("on its way"),
        "held": N_("held: link down"),
        "lost": N_("lost"),
        "dropped": N_("dropped: link down"),
}


BY_WORDS = {
        "team": N_("your team"),
        "timeout": N_("the scenario's policy (time ran out)"),
        "order": N_("a standing order"),
        "policy": N_("the scenario's policy (seat empty, or after the end)"),
}


def _state_html(state: str) -> str:
    """The room's state line, in the page's language (the tests read ``data-state``)."""
    return f"<div class='state' data-testid='state' data-state='{_e(state)}'>{_e(_words(STATE_WORDS, state))}</div>"


def _words(table: dict[str, str], key: str) -> str:
    """`key` in the page's language through `table` (one of the tables above); an unknown key as written."""
    return T.gettext(table[key]) if key in table else key


def _kind(identifier: str) -> str:
    """An identifier type in the page's language (``biometric``: ``بيانات القياسات الحيوية``)."""
    return word(identifier_name(identifier))


def _e(value: Any) -> str:
    """A value as escaped HTML text."""
    return html.escape("" if value is None else str(value))


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return _e(value)
    if isinstance(value, int):
        return format_int(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return format_int(int(value))
    if isinstance(value, float):
        return format_decimal(value, 2) if abs(value) < 10 else format_decimal(value, 1)
    return _e(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], testid: str, empty: str) -> str:
    """An HTML table: `headers` are escaped here; each cell of `rows` is HTML already escaped."""
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    if not body:
        return f"<div class='muted' data-testid='{testid}'>{_e(empty)}</div>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table data-testid='{testid}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _track_record(confirmed: int | None, refuted: int | None) -> str:
    if confirmed is None or refuted is None:
        return T.gettext("not recorded")
    return T.gettext("{confirmed} confirmed, {refuted} refuted").format(
        confirmed=format_int(confirmed), refuted=format_int(refuted)
    )


def headline_html(headline: Headline) -> str:
    """The headline's cards: stopped, wrongly stopped, got through by cause, on the way."""
    chips = "".join(
        f"<div class='chip'><b data-testid='cause-{c}'>{format_int(headline.by_cause[c])}</b> "
        f"{_e(word(CAUSE_LABELS[c]))}</div>"
        for c in CAUSES
        if c in headline.by_cause
    )
    return (
        "<div class='cards' data-testid='headline'>"
        f"<div class='card'><div class='label'>{_e(T.gettext('Stopped at a border'))}</div>"
        f"<div class='big' style='color:{COLOURS['detected']}' data-testid='stopped'>"
        f"{format_int(headline.stopped)}</div></div>"
        f"<div class='card'><div class='label'>{_e(T.gettext('Wrongly stopped'))}</div>"
        f"<div class='big' style='color:#CC79A7' data-testid='wrongly-stopped'>"
        f"{format_int(headline.wrongly_stopped)}</div></div>"
        f"<div class='card'><div class='label'>{_e(T.gettext('Got through'))}</div>"
        f"<div class='big' style='color:{COLOURS['late']}' data-testid='got-through'>"
        f"{format_int(headline.got_through)}</div>{chips}</div>"
        f"<div class='card'><div class='label'>{_e(T.gettext('On the way'))}</div>"
        f"<div class='big' data-testid='en-route'>{format_int(headline.en_route)}</div></div>"
        "</div>"
    )


def debrief_html(report: Path | None) -> str:
    """The hotwash: the report the room wrote, embedded, with a link to open it in its own tab."""
    if report is None:
        return ""
    name = html.escape(report.name, quote=True)
    return (
        f"<div class='box' data-testid='debrief'><h2>{_e(T.gettext('Hotwash: the debrief of the exercise'))}</h2>"
        f"<p>{_e(T.gettext('The exercise has ended. The report below shows what each team decided and what it changed.'))}"  # noqa: E501
        f" <a href='/report/{name}' target='_blank' data-testid='report-link'>"
        f"{_e(T.gettext('Open the report in a new tab'))}</a></p>"
        f"<iframe src='/report/{name}' title='{_e(T.gettext('Debrief report'))}'></iframe></div>"
    )


# ---------------------------------------------------------------- the pages


class Shared:
    """What the pages of one server share: the hotwash report's path, once a view gives it; the viewers' headline.

    Every page runs on the server's one IO loop thread: nothing here needs a lock.
    """

    def __init__(self) -> None:
        self.report: Path | None = None
        self._headline: tuple[float, Headline] | None = None
        self._texts: dict[str, tuple[Headline, str, str]] = {}

    def headline(self, room: Room) -> Headline:
        """The room's headline, read at most every `VIEWER_SHARE_SECONDS` for all the viewers' pages."""
        now = time.monotonic()
        if self._headline is None or now - self._headline[0] >= VIEWER_SHARE_SECONDS:
            self._headline = (now, room.headline())
        return self._headline[1]

    def viewer_texts(self, room: Room, lang: str) -> tuple[str, str]:
        """A viewer page's header and cards in `lang`, drawn once per headline for every viewer in that language."""
        headline = self.headline(room)
        cached = self._texts.get(lang)
        if cached is None or cached[0] is not headline:
            with use_language(lang):
                header = (f"<h1>{_e(T.gettext('The exercise, live'))}</h1>"
                          f"<div class='clock' data-testid='clock'>{_e(_clock(headline.hours))}</div>")  # fmt: skip
                cached = (headline, header, headline_html(headline))
            self._texts[lang] = cached
        return cached[1], cached[2]

    def saw(self, report: Path | None) -> None:
        """Remember the report's path a view gave (the room wrote it: the exercise has ended)."""
        if report is not None:
            self.report = Path(report)


def _argument(doc: Document, name: str) -> str:
    """The request's argument `name` (the page's address), or ``""``."""
    context = getattr(doc, "session_context", None)
    request = getattr(context, "request", None)
    values = (getattr(request, "arguments", None) or {}).get(name) or [b""]
    value = values[0]
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text[:200]


class RoomPage:
    """What every page of the room shares: its language, its header, its status line, polling.

    Args:
        doc: the Bokeh document of the browser tab's session.
        room: the exercise.
        shared: what the server's pages share (the hotwash report's path, once written).
        lang: the page's language (``?lang=`` of its address, else the server's).
    """

    kind = "view"

    def __init__(self, doc: Document, room: Room, shared: Shared, lang: str | None = None) -> None:
        self.doc = doc
        self.room = room
        self.shared = shared
        try:
            self.lang = check_language(_argument(doc, "lang") or lang or language(), "lang")
        except ValueError:
            self.lang = check_language(lang or language())
        self.styles = page_styles()
        self.css = InlineStyleSheet(css=ROOM_CSS)
        self._shown: dict[int, Any] = {}
        self.callback: Any = None
        self.header = self._div("tt-room-header")
        self.status = self._div("tt-room-status")
        self.chooser = Select(value=self.lang, options=[(c, LANGUAGE_NAMES[c]) for c in LANGUAGES],
                              css_classes=["tt-lang"], stylesheets=[self.styles.widget], width=160)  # fmt: skip
        self.chooser.on_change("value", lambda attr, old, new: self._on_language(new))
        doc.template = ROOM_TEMPLATE

    # ------------------------------------------------------------ helpers

    def _div(self, css: str) -> Div:
        return Div(stylesheets=[self.css], sizing_mode="stretch_width", css_classes=[css])

    def _button(self, css: str, action: Callable[[], None], kind: str = "default") -> Button:
        button = Button(stylesheets=[self.styles.widget], css_classes=[css], button_type=kind,
                        sizing_mode="stretch_width")  # fmt: skip
        button.on_click(action)
        return button

    def _set(self, model: Any, attr: str, value: Any) -> None:
        """Set `attr` of `model` only when it changes (nothing is sent to the browser otherwise)."""
        if getattr(model, attr) != value:
            setattr(model, attr, value)

    def _html(self, model: Div, text: str) -> None:
        """Set a Div's text in the page's language direction, only when it changes."""
        self._set(model, "text", f"<div dir='{direction(self.lang)}' lang='{self.lang}'>{text}</div>")
        self._set(model, "visible", bool(text))  # an empty part takes no room

    def _say(self, text: str, error: bool = False) -> None:
        klass = "err" if error else "ok"
        self._html(self.status, f"<span class='{klass}' data-testid='status'>{_e(text)}</span>")

    def _refused(self, exc: Refused) -> None:
        with use_language(self.lang):
            self._say(T.gettext("Refused: {reason}").format(reason=exc.reason), error=True)

    def _call(self, action: Callable[[], Any], done: str = "") -> Any:
        """Call the room; show `done` or the refusal's reason on the status line; refresh."""
        try:
            result = action()
        except Refused as exc:
            self._refused(exc)
            return None
        if done:
            self._say(done)
        self.refresh()
        return result

    def _on_language(self, new: Any) -> None:
        if new not in LANGUAGES:
            self.chooser.value = self.lang
            return
        self.lang = new
        self._shown.clear()
        self._say("")
        self.refresh()

    def _start_polling(self) -> None:
        self.refresh()
        self.callback = self.doc.add_periodic_callback(self.refresh, POLL_MS)

    def invalid(self, reason: str) -> None:
        """Show only why this page cannot open (a bad or missing code); nothing polls."""
        with use_language(self.lang):
            title = T.gettext("This address does not open a seat")
            body = T.gettext("Refused: {reason}").format(reason=reason)
            hint = T.gettext("Check the address, or ask the facilitator for your table's card.")
        page = self._div("tt-invalid")
        self._html(page, f"<div class='box' data-testid='invalid'><h1>{_e(title)}</h1><p>{_e(body)}</p>"
                         f"<p class='muted'>{_e(hint)}</p></div>")  # fmt: skip
        self.doc.title = "tabletop"
        self.doc.add_root(column(page, sizing_mode="stretch_width", margin=(10, 18, 10, 18)))

    def refresh(self) -> None:
        """Read the room's views; update what changed."""
        raise NotImplementedError


class ViewerPage(RoomPage):
    """``/view``: the headline and the clock, read-only (a projector, observers); no token."""

    def __init__(self, doc: Document, room: Room, shared: Shared, lang: str | None = None) -> None:
        super().__init__(doc, room, shared, lang)
        self.cards = self._div("tt-headline")
        self.debrief = self._div("tt-debrief")
        doc.title = "tabletop · exercise"
        doc.add_root(column(row(self.header, self.chooser, sizing_mode="stretch_width"), self.cards, self.debrief,
                            sizing_mode="stretch_width", margin=(10, 18, 10, 18)))  # fmt: skip
        self._start_polling()

    def refresh(self) -> None:
        """The headline, the clock and, at the end, the debrief (the texts shared by every viewer: `Shared`)."""
        header, cards = self.shared.viewer_texts(self.room, self.lang)
        with use_language(self.lang):
            self._html(self.header, header)
            self._html(self.cards, cards)
            self._html(self.debrief, debrief_html(self.shared.report))


class TeamPage(RoomPage):
    """``/team?seat=TOKEN``: one agency's page; only what it knows, and its decisions due."""

    kind = "team"

    def __init__(self, doc: Document, room: Room, shared: Shared, lang: str | None = None) -> None:
        super().__init__(doc, room, shared, lang)
        self.token = _argument(doc, "seat")
        try:
            self.agency = room.join(self.token)
            if self.agency == FACILITATOR:
                room.team_view(self.token)  # refused (and logged) by the room: not a seat
        except Refused as exc:
            self.invalid(exc.reason)
            return
        self.pending_ids: tuple[str, ...] = ()
        self.answered: set[str] = set()  # decisions this page sent that the room's view may still list as due
        self.pending_lang = ""
        self.countdowns: dict[str, Div] = {}
        self.link_boxes: dict[str, CheckboxGroup] = {}
        self.panels: dict[str, Any] = {}
        self.pending_title = self._div("tt-pending-title")
        self.pending = column(self.pending_title, sizing_mode="stretch_width", css_classes=["tt-pending"])
        self.timeouts = self._div("tt-timeouts")
        self.notes = self._div("tt-notes")
        self.injects = self._div("tt-injects")
        self.watchlist = self._div("tt-watchlist")
        self.alerts = self._div("tt-alerts")
        self.intelligence = self._div("tt-intelligence")
        self.history = self._div("tt-history")
        self.debrief = self._div("tt-debrief")
        doc.title = f"tabletop · {self.agency}"
        doc.add_root(column(
            row(self.header, self.chooser, sizing_mode="stretch_width"), self.status, self.debrief, self.timeouts,
            self.pending, self.notes, self.injects, self.alerts, self.intelligence, self.watchlist, self.history,
            sizing_mode="stretch_width", margin=(10, 18, 10, 18),
        ))  # fmt: skip
        doc.on_session_destroyed(lambda context: self._leave())
        self._start_polling()

    def _leave(self) -> None:
        try:
            self.room.leave(self.token)
        except Refused:
            pass

    def _decide(self, decision: str, action: str) -> None:
        links = None
        if action == "share" and decision in self.link_boxes:
            box = self.link_boxes[decision]
            links = [box.labels[i] for i in box.active if 0 <= i < len(box.labels)]
        with use_language(self.lang):
            done = T.gettext("Decision {id} sent: {choice}.").format(id=decision, choice=_words(CHOICE_WORDS, action))

        def send() -> bool:
            self.room.decide(self.token, decision, action, links)
            self.answered.add(decision)  # taken: its panel goes in this very refresh
            return True

        if self._call(send, done):
            self.doc.add_timeout_callback(self.refresh, FOLLOW_UP_MS)  # its row in the history, promptly

    def _decision_panel(self, pending: PendingView) -> Any:
        if pending.kind == "alert":
            what = T.gettext("Alert from {sender} about traveller {person} ({identifier})").format(
                sender=pending.sender, person=pending.traveller, identifier=_kind(pending.identifier))  # fmt: skip
            detail = T.gettext("Trust in this link: {level}. Sender's track record: {record}.").format(
                level=format_decimal(pending.trust, 2), record=_track_record(pending.confirmed, pending.refuted))  # fmt: skip  # noqa: E501
        else:
            what = T.gettext("New intelligence about traveller {person} ({identifier})").format(
                person=pending.traveller, identifier=_kind(pending.identifier))  # fmt: skip
            detail = T.gettext("Share it now on the links you choose, verify it first, or hold it.")
        policy = T.gettext("If time runs out, the scenario's policy decides: {choice}.").format(
            choice=_words(CHOICE_WORDS, pending.default))  # fmt: skip
        text = Div(stylesheets=[self.css], sizing_mode="stretch_width", css_classes=["tt-decision-text"],
                   text=f"<div dir='{direction(self.lang)}' class='box decision' data-testid='decision'"
                        f" data-decision='{_e(pending.id)}'><h2>{_e(what)}</h2>"
                        f"<div>{_e(T.gettext('Simulated time: {clock}').format(clock=_clock(pending.time)))}</div>"
                        f"<div>{_e(detail)}</div><div class='muted'>{_e(policy)}</div></div>")  # fmt: skip
        countdown = self._div("tt-countdown")
        self.countdowns[pending.id] = countdown
        parts: list[Any] = [text, countdown]
        if pending.kind != "alert" and pending.links:
            box = CheckboxGroup(labels=list(pending.links), active=list(range(len(pending.links))), inline=True,
                                stylesheets=[self.styles.widget], css_classes=["tt-links"])  # fmt: skip
            self.link_boxes[pending.id] = box
            parts.append(box)
        buttons = [
            self._button(f"tt-choice-{choice}", lambda c=choice, d=pending.id: self._decide(d, c),
                         "primary" if choice == pending.default else "default")  # fmt: skip
            for choice in pending.choices
        ]
        for button, choice in zip(buttons, pending.choices, strict=True):
            button.label = _words(CHOICE_WORDS, choice)
        parts.append(row(*buttons, sizing_mode="stretch_width"))
        return column(*parts, sizing_mode="stretch_width", css_classes=["tt-decision", f"tt-decision-{pending.id}"])

    def _countdown_text(self, pending: PendingView, state: str) -> str:
        if pending.seconds_left is None:
            words = T.gettext("No countdown: the clock waits for your decision.")
            if state == "paused":
                words = T.gettext("Paused: the countdown waits for the facilitator.")
            return f"<div class='muted' data-testid='countdown'>{_e(words)}</div>"
        seconds = max(0, int(math.ceil(pending.seconds_left)))
        words = T.ngettext("{count} second left to decide", "{count} seconds left to decide", seconds).format(
            count=format_int(seconds))  # fmt: skip
        return f"<div class='countdown' data-testid='countdown'>{_e(words)}</div>"

    def refresh(self) -> None:
        """Read the team's view; update what changed."""
        try:
            view = self.room.team_view(self.token)
        except Refused as exc:
            self._refused(exc)
            return
        self.answered &= {p.id for p in view.pending}
        if self.answered:  # accepted by the room, not yet taken by its worker: no longer due
            view = replace(view, pending=tuple(p for p in view.pending if p.id not in self.answered))
        with use_language(self.lang):
            self._draw(view)

    def _draw(self, view: TeamView) -> None:
        self._html(self.header, (
            f"<h1 data-testid='seat'>{_e(T.gettext('{seat} ({name}), {country}').format(seat=view.agency, name=view.agency_name, country=view.country))}</h1>"  # noqa: E501
            f"<div class='clock' data-testid='clock'>{_e(_clock(view.hours))}</div>"
            + _state_html(view.state)
        ))  # fmt: skip
        ids = tuple(p.id for p in view.pending)
        if ids != self.pending_ids or self.lang != self.pending_lang:
            if self.lang != self.pending_lang:
                self.panels.clear()  # drawn again in the new language
            kept = {k: v for k, v in self.panels.items() if k in ids}  # a decision still due keeps its ticks
            self.panels = {p.id: kept.get(p.id) or self._decision_panel(p) for p in view.pending}
            self.countdowns = {k: v for k, v in self.countdowns.items() if k in ids}
            self.link_boxes = {k: v for k, v in self.link_boxes.items() if k in ids}
            self.pending.children = [self.pending_title, *self.panels.values()]
            self.pending_ids, self.pending_lang = ids, self.lang
        for pending in view.pending:
            if pending.id in self.countdowns:
                self._html(self.countdowns[pending.id], self._countdown_text(pending, view.state))
        count = len(view.pending)
        title = (T.ngettext("{count} decision due", "{count} decisions due", count).format(count=format_int(count))
                 if count else T.gettext("No decision due now."))  # fmt: skip
        self._html(self.pending_title, f"<h2 data-testid='pending-count' data-count='{count}'>{_e(title)}</h2>")
        timeouts = [h for h in view.history if h.get("by") == "timeout"]
        self._html(self.timeouts, "".join(
            f"<div class='timeout' data-testid='timeout'>{_e(T.gettext('Time ran out on decision {id} (traveller {person}): the scenario’s policy decided: {choice}.').format(id=h.get('id', ''), person=h.get('traveller', ''), choice=_words(CHOICE_WORDS, str(h.get('choice', '')))))}</div>"  # noqa: E501
            for h in timeouts[-3:]
        ))  # fmt: skip
        self._html(self.notes, self._box(T.gettext("Notes from the facilitator"), _table(
            [T.gettext("Time"), T.gettext("Note")],
            [[_e(_when(n.get("hours"))), _e(n.get("text", ""))] for n in reversed(view.notes)],
            "notes", T.gettext("No note yet."))))  # fmt: skip
        self._html(self.injects, self._box(T.gettext("Injects that reached you"), _table(
            [T.gettext("Number"), T.gettext("Time"), T.gettext("What happened")],
            [[_number(i.get("number")), _e(_when(i.get("hours"))), _e(i.get("text", ""))]
             for i in reversed(view.injects)],
            "injects", T.gettext("No inject has reached you yet."))))  # fmt: skip
        self._html(self.alerts, self._box(T.gettext("Alerts received"), _table(
            [T.gettext("Alert"), T.gettext("Traveller"), T.gettext("Identifier"), T.gettext("From"),
             T.gettext("Trust"), T.gettext("Track record"), T.gettext("Fate"), T.gettext("Time")],
            [[_e(a.get("alert", "")), _e(a.get("traveller", "")), _e(_kind(a.get("identifier", ""))),
              _e(a.get("from", "")),
              _number(a.get("trust")), _e(_track_record(a.get("confirmed"), a.get("refuted"))),
              _e(_words(FATE_WORDS, str(a.get("fate", "")))), _e(_when(a.get("hours")))]
             for a in reversed(view.alerts)],
            "alerts", T.gettext("No alert received yet."))))  # fmt: skip
        self._html(self.intelligence, self._box(T.gettext("New intelligence"), _table(
            [T.gettext("Traveller"), T.gettext("Identifier"), T.gettext("Time")],
            [[_e(i.get("traveller", "")), _e(_kind(i.get("identifier", ""))), _e(_when(i.get("hours")))]
             for i in reversed(view.intelligence)],
            "intelligence", T.gettext("No new intelligence yet."))))  # fmt: skip
        self._html(self.watchlist, self._box(T.gettext("Your watchlist"), _table(
            [T.gettext("Traveller"), T.gettext("Identifier"), T.gettext("Since"), T.gettext("Source")],
            [[_e(w.get("traveller", "")), _e(_kind(w.get("identifier", ""))), _e(_when(w.get("since"))),
              _e(w.get("source", ""))] for w in view.watchlist],
            "watchlist", T.gettext("Your watchlist is empty."))))  # fmt: skip
        self._html(self.history, self._box(T.gettext("Your decisions so far"), _table(
            [T.gettext("Decision"), T.gettext("Time"), T.gettext("Traveller"), T.gettext("Choice"),
             T.gettext("Decided by")],
            [[_e(h.get("id", "")), _e(_when(h.get("hours"))), _e(h.get("traveller", "")),
              _e(_words(CHOICE_WORDS, str(h.get("choice", "")))), _e(_words(BY_WORDS, str(h.get("by", ""))))]
             for h in view.history],
            "history", T.gettext("No decision taken yet."))))  # fmt: skip
        self.shared.saw(view.report)
        self._html(self.debrief, debrief_html(view.report) if view.state == "ended" else "")

    @staticmethod
    def _box(title: str, body: str) -> str:
        return f"<div class='box'><h2>{_e(title)}</h2>{body}</div>"


class FacilitatorPage(RoomPage):
    """``/facilitator?key=TOKEN``: the lobby, the clock, the MSEL, notes, the headline, the end."""

    kind = "facilitator"

    def __init__(self, doc: Document, room: Room, shared: Shared, lang: str | None = None) -> None:
        super().__init__(doc, room, shared, lang)
        self.token = _argument(doc, "key")
        try:
            view = room.facilitator_view(self.token)  # a team's code is refused (and logged) here
            room.join(self.token)
        except Refused as exc:
            self.invalid(exc.reason)
            return
        self.seat_names = [str(s.get("agency", "")) for s in view.seats]
        self.start = self._button("tt-start", lambda: self._call(lambda: self.room.start(self.token)), "success")
        self.pause = self._button("tt-pause", lambda: self._call(lambda: self.room.pause(self.token)), "warning")
        self.release = self._button("tt-release", self._release, "primary")
        self.stop = self._button("tt-stop", self._stop, "danger")
        self.speed = Spinner(value=view.speed, low=SPEED_RANGE[0], high=SPEED_RANGE[1], step=1, mode="float",
                             css_classes=["tt-speed"], stylesheets=[self.styles.widget], sizing_mode="stretch_width")  # fmt: skip  # noqa: E501
        self.speed.on_change("value", lambda attr, old, new: self._on_number("speed", new))
        self.countdown = Spinner(value=view.countdown_seconds, low=COUNTDOWN_RANGE[0], high=COUNTDOWN_RANGE[1],
                                 step=5, mode="float", css_classes=["tt-countdown-seconds"],
                                 stylesheets=[self.styles.widget], sizing_mode="stretch_width")  # fmt: skip
        self.countdown.on_change("value", lambda attr, old, new: self._on_number("countdown", new))
        self.real_time = Toggle(active=view.real_time, css_classes=["tt-real-time"], stylesheets=[self.styles.widget],
                                sizing_mode="stretch_width")  # fmt: skip
        self.real_time.on_change("active", lambda attr, old, new: self._on_toggle("real_time", new))
        self.auto = Toggle(active=view.auto_release, css_classes=["tt-auto-release"], stylesheets=[self.styles.widget],
                           sizing_mode="stretch_width")  # fmt: skip
        self.auto.on_change("active", lambda attr, old, new: self._on_toggle("auto", new))
        self.note = TextAreaInput(max_length=NOTE_LIMIT, rows=3, css_classes=["tt-note"],
                                  stylesheets=[self.styles.widget], sizing_mode="stretch_width")  # fmt: skip
        self.note_to = Select(value="", css_classes=["tt-note-to"], stylesheets=[self.styles.widget],
                              sizing_mode="stretch_width")  # fmt: skip
        self.send = self._button("tt-send-note", self._send_note)
        self.headline = self._div("tt-headline")
        self.seats = self._div("tt-seats")
        self.msel = self._div("tt-msel")
        self.sent_notes = self._div("tt-sent-notes")
        self.refusals_div = self._div("tt-refusals")
        self.debrief = self._div("tt-debrief")
        self.labels = self._div("tt-control-labels")
        self.clock_title, self.note_title = self._div("tt-clock-title"), self._div("tt-note-title")
        controls = column(
            self.clock_title, row(self.start, self.pause, sizing_mode="stretch_width"), self.speed, self.countdown,
            self.real_time, self.auto, self.release, self.stop, self.note_title, self.note, self.note_to, self.send,
            self.status, width=430, stylesheets=[self.styles.panel], css_classes=["tt-controls"],
        )  # fmt: skip
        views = column(self.debrief, self.headline, self.seats, self.msel, self.sent_notes, self.refusals_div,
                       sizing_mode="stretch_width")  # fmt: skip
        doc.title = "tabletop · facilitator"
        doc.add_root(column(row(self.header, self.chooser, sizing_mode="stretch_width"),
                            row(controls, views, sizing_mode="stretch_width"),
                            sizing_mode="stretch_width", margin=(10, 18, 10, 18)))  # fmt: skip
        self._start_polling()

    # ------------------------------------------------------------ actions

    def _release(self) -> None:
        number = self._call(lambda: self.room.release_next_inject(self.token))
        with use_language(self.lang):
            if number is None:
                self._say(T.gettext("Every inject of the MSEL has been released."))
            else:
                self._say(T.gettext("Inject {number} released.").format(number=format_int(number)))

    def _stop(self) -> None:
        """End the exercise on a thread of its own: writing the hotwash takes seconds, and the pages go on meanwhile."""
        with use_language(self.lang):
            self._say(T.gettext("Ending the exercise and writing the hotwash report…"))
        self._set(self.stop, "disabled", True)

        def stop() -> None:
            try:
                self.room.stop(self.token)
            except Refused as exc:
                self.doc.add_next_tick_callback(partial(self._refused, exc))

        threading.Thread(target=stop, name="tabletop-hotwash", daemon=True).start()

    def _on_number(self, which: str, new: Any) -> None:
        try:
            view = self.room.facilitator_view(self.token)
        except Refused as exc:
            self._refused(exc)
            return
        current = view.speed if which == "speed" else view.countdown_seconds
        low, high = SPEED_RANGE if which == "speed" else COUNTDOWN_RANGE
        ok = isinstance(new, int | float) and not isinstance(new, bool) and math.isfinite(new) and low <= new <= high
        if not ok:
            with use_language(self.lang):
                self._say(T.gettext("Refused: a number from {low} to {high}.").format(
                    low=format_decimal(low, 1), high=format_decimal(high, 1)), error=True)  # fmt: skip
            (self.speed if which == "speed" else self.countdown).value = current
            return
        if float(new) == current:
            return
        setter = self.room.set_speed if which == "speed" else self.room.set_countdown
        self._call(lambda: setter(self.token, float(new)))

    def _on_toggle(self, which: str, new: Any) -> None:
        try:
            view = self.room.facilitator_view(self.token)
        except Refused as exc:
            self._refused(exc)
            return
        current = view.real_time if which == "real_time" else view.auto_release
        if new is current:
            return
        if not isinstance(new, bool):
            (self.real_time if which == "real_time" else self.auto).active = current
            return
        setter = self.room.set_real_time if which == "real_time" else self.room.set_auto_release
        self._call(lambda: setter(self.token, new))

    def _send_note(self) -> None:
        text = (self.note.value or "").strip()[:NOTE_LIMIT]
        to = self.note_to.value or None
        if to is not None and to not in self.seat_names:
            to = None
        with use_language(self.lang):
            if not text:
                self._say(T.gettext("Write the note first."), error=True)
                return
            done = (T.gettext("Note sent to every team.") if to is None
                    else T.gettext("Note sent to {seat}.").format(seat=to))  # fmt: skip
        if self._call(lambda: self.room.send_note(self.token, text, to), done) is None:
            self.note.value = ""

    # ------------------------------------------------------------ drawing

    @staticmethod
    def _seconds_left(seconds: Any) -> str:
        """`` (12 s left)`` after a seat's decisions due, when its countdown runs."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
            return ""
        left = max(0, int(math.ceil(seconds)))
        words = T.ngettext("{count} second left", "{count} seconds left", left).format(count=format_int(left))
        return f" <span class='muted'>({_e(words)})</span>"

    def refresh(self) -> None:
        """Read the console's view; update what changed."""
        try:
            view = self.room.facilitator_view(self.token)
        except Refused as exc:
            self._refused(exc)
            return
        with use_language(self.lang):
            self._draw(view)

    def _draw(self, view: FacilitatorView) -> None:
        self._html(self.header, (
            f"<h1>{_e(T.gettext('Facilitator console'))}</h1>"
            f"<div class='clock' data-testid='clock'>{_e(_clock(view.hours))}"
            f" <span class='muted'>{_e(T.gettext('of {horizon}').format(horizon=_clock(view.horizon)))}</span></div>"
            + _state_html(view.state)
        ))  # fmt: skip
        ended = view.state == "ended"
        self._set(self.start, "label", T.gettext("▶ Start") if view.state == "lobby" else T.gettext("▶ Resume"))
        self._set(self.pause, "label", T.gettext("❚❚ Pause"))
        self._set(self.release, "label", T.gettext("Release the next inject"))
        self._set(self.stop, "label", T.gettext("■ End the exercise: hotwash"))
        self._set(self.send, "label", T.gettext("Send the note"))
        self._set(self.speed, "title", T.gettext("Speed (simulated hours a minute)"))
        self._set(self.countdown, "title", T.gettext("Countdown (seconds; 0: none)"))
        self._set(self.real_time, "label", T.gettext("Real time: the clock never waits")
                  if view.real_time else T.gettext("The clock waits for decisions due"))  # fmt: skip
        self._set(self.auto, "label", T.gettext("Injects: on their schedule")
                  if view.auto_release else T.gettext("Injects: by hand, in MSEL order"))  # fmt: skip
        self._set(self.note, "title", T.gettext("A note to the teams"))
        self._set(self.note_to, "title", T.gettext("To"))
        options = [("", T.gettext("Every team")), *[(s, s) for s in self.seat_names]]
        self._set(self.note_to, "options", options)
        self._set(self.speed, "value", view.speed)  # another console may have changed them
        self._set(self.countdown, "value", view.countdown_seconds)
        self._set(self.real_time, "active", view.real_time)
        self._set(self.auto, "active", view.auto_release)
        for widget in (self.release, self.speed, self.countdown, self.real_time, self.auto, self.stop, self.send):
            self._set(widget, "disabled", ended)
        self._set(self.start, "disabled", view.state not in ("lobby", "paused"))
        self._set(self.pause, "disabled", view.state not in ("running", "waiting"))
        self._html(self.clock_title, f"<h2>{_e(T.gettext('The clock'))}</h2>")
        self._html(self.note_title, f"<h2>{_e(T.gettext('Notes'))}</h2>")
        self._html(self.headline, headline_html(view.headline))
        yes, no = T.gettext("yes"), T.gettext("no")
        rows = []
        for seat in view.seats:
            joined = bool(seat.get("joined"))
            who = (T.gettext("a team") if joined else T.gettext("nobody yet: the scenario's policy plays it"))
            rows.append([
                f"<b>{_e(seat.get('agency', ''))}</b> {_e(seat.get('agency_name', ''))}",
                f"<span class='{'yes' if joined else 'no'}' data-testid='joined-{_e(seat.get('agency', ''))}'"
                f" data-joined='{str(joined).lower()}'>{_e(who)}</span>",
                _e(yes if seat.get("connected") else no),
                f"<span data-testid='pending-{_e(seat.get('agency', ''))}'>{_number(seat.get('pending', 0))}</span>"
                + self._seconds_left(seat.get("seconds_left")),
                _number(seat.get("decided", 0)),
                _number(seat.get("timeouts", 0)),
            ])  # fmt: skip
        self._html(self.seats, TeamPage._box(T.gettext("Seats: who has joined"), _table(
            [T.gettext("Agency"), T.gettext("Played by"), T.gettext("Connected"), T.gettext("Decisions due"),
             T.gettext("Decided"), T.gettext("Timeouts")], rows, "seats", T.gettext("No seat."))))  # fmt: skip
        released = T.gettext("released at {clock}")
        self._html(self.msel, TeamPage._box(T.gettext("The injects (MSEL)"), _table(
            [T.gettext("Number"), T.gettext("Day"), T.gettext("Kind"), T.gettext("What happens"), T.gettext("Released")],  # noqa: E501
            [[_number(i.get("number")), _number(i.get("day")), _e(i.get("kind", "")), _e(i.get("text", "")),
              (f"<span class='yes' data-testid='released'>{_e(released.format(clock=_clock(float(i['released_hours']))))}</span>"  # noqa: E501
               if i.get("released_hours") is not None else f"<span class='no'>{_e(T.gettext('not yet'))}</span>")]
             for i in view.injects],
            "msel", T.gettext("This scenario has no inject."))))  # fmt: skip
        self._html(self.sent_notes, TeamPage._box(T.gettext("Notes sent"), _table(
            [T.gettext("Time"), T.gettext("To"), T.gettext("Note")],
            [[_e(_when(n.get("hours"))), _e(n.get("to") or T.gettext("Every team")), _e(n.get("text", ""))]
             for n in reversed(view.notes)],
            "sent-notes", T.gettext("No note sent yet."))))  # fmt: skip
        self._html(self.refusals_div, TeamPage._box(T.gettext("Refused requests"), _table(
            [T.gettext("When"), T.gettext("Who"), T.gettext("What"), T.gettext("Why")],
            [[_e(r.get("time", r.get("wall_time", ""))), _e(r.get("role", "")), _e(r.get("what", "")),
              _e(r.get("reason", ""))] for r in reversed(view.refusals[-20:])],
            "refusals", T.gettext("No request refused."))))  # fmt: skip
        self.shared.saw(view.report)
        self._html(self.debrief, debrief_html(view.report) if ended else "")


# ---------------------------------------------------------------- the report and the links


class ReportHandler(RequestHandler):
    """``/report/NAME``: a file of the hotwash report's folder: the report and its figures, nothing else.

    Only the folder of the report the room wrote (none before the end), only ``.html``, ``.png``
    and ``.svg`` files inside it (never the links page), never through a symbolic link.
    """

    def initialize(self, shared: Shared) -> None:  # noqa: D102 (tornado's hook)
        self.shared = shared

    def get(self, name: str) -> None:  # noqa: D102 (tornado's verb)
        path = report_file(self.shared.report, name)
        if path is None:
            raise HTTPError(404)
        kind = {".html": "text/html; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}[path.suffix.lower()]
        self.set_header("Content-Type", kind)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        self.write(path.read_bytes())


def report_file(report: Path | None, name: str) -> Path | None:
    """The file `name` of the folder of `report` if ``/report/`` may serve it, else None."""
    if report is None or not report.is_file():
        return None
    if name.endswith("/") or "\\" in name or "\x00" in name:
        return None
    base = report.parent.resolve()
    parts = Path(name).parts
    if not parts or any(p in ("", ".", "..") or p.startswith(".") for p in parts) or Path(name).is_absolute():
        return None
    path = base.joinpath(*parts)
    if path.suffix.lower() not in REPORT_FILES or path.name in NOT_SERVED:
        return None
    here = base
    for part in parts:  # no symbolic link anywhere on the way
        here = here / part
        if here.is_symlink():
            return None
    if not path.is_file() or base not in path.resolve().parents:
        return None
    return path


def join_url(base: str, link: SeatLink) -> str:
    """The address of one seat's page (or the facilitator's) on the server at `base` (``http://H:P/``)."""
    base = base.rstrip("/")
    if link.role == FACILITATOR:
        return f"{base}/facilitator?key={link.token}"
    return f"{base}/team?seat={link.token}"


def write_links_page(folder: Path, base: str, links: Sequence[SeatLink], title: str) -> Path:
    """The links page: each seat's link, code and QR code (inline SVG), to print for the tables.

    Written into `folder` as ``links.html`` (readable by its owner only: it holds every code).
    """
    import segno

    cards = []
    for link in links:
        url = join_url(base, link)
        svg = segno.make(url, error="m").svg_inline(scale=4)
        if link.role == FACILITATOR:
            who = T.gettext("Facilitator")
        else:
            who = T.gettext("{seat} ({name})").format(seat=link.role, name=link.agency_name or link.role)
        cards.append(
            f"<section class='seat' data-role='{_e(link.role)}'><h2>{_e(who)}</h2>{svg}"
            f"<p>{_e(T.gettext('Code: {code}').format(code=link.token))}</p>"
            f"<p class='url'><a href='{html.escape(url, quote=True)}'>{_e(url)}</a></p></section>"
        )
    lang = language()
    page = (
        f"<!DOCTYPE html><html lang='{lang}' dir='{direction(lang)}'><head><meta charset='utf-8'>"
        f"<title>{_e(T.gettext('Join the exercise: {title}').format(title=title))}</title><style>"
        f"body {{ font-family: {FONT}; color: {INK}; margin: 20px; }}"
        ".seat { display: inline-block; width: 46%; vertical-align: top; border: 1px solid #999; border-radius: 10px;"
        " padding: 10px 16px; margin: 8px; page-break-inside: avoid; }"
        ".url { font-family: monospace; word-break: break-all; font-size: 13px; }"
        "</style></head><body>"
        f"<h1>{_e(T.gettext('Join the exercise: {title}').format(title=title))}</h1>"
        f"<p>{_e(T.gettext('Cut out each card and put it on its table. Scan the code, or open the address, on the room network. Keep the facilitator card away from the teams.'))}</p>"  # noqa: E501
        f"{''.join(cards)}</body></html>"
    )
    path = folder / LINKS_PAGE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(page)
    return path


# ---------------------------------------------------------------- the server


def base_url(host: str, port: int) -> str:
    """The server's address as the seats' links give it (0.0.0.0: this machine's outbound address)."""
    shown = host
    if host in ("", "0.0.0.0", "::"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("192.0.2.1", 9))
                shown = str(probe.getsockname()[0])
        except OSError:
            shown = "127.0.0.1"
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def make_room_server(room: Room, host: str = "127.0.0.1", port: int = 5006, allow_origins: Sequence[str] = (),
                     lang: str | None = None, io_loop: Any = None) -> Any:  # fmt: skip
    """The exercise's Bokeh server, listening but not yet started.

    Args:
        room: the exercise the pages show.
        host: the address to listen on (loopback unless the trainer opens it to the room's network).
        port: the port; 0 picks a free one.
        allow_origins: ``HOST:PORT`` origins allowed besides the served address (``--allow-origin``).
        lang: the pages' language (each page can switch).
        io_loop: the tornado IOLoop to run on (default: the current one).

    Returns:
        a ``bokeh.server.server.Server`` whose websocket accepts only the origins of
        `sim.dashboard.origins.allowed_origins`.

    Raises:
        ValueError: if an origin of `allow_origins` is not ``HOST:PORT``.
        OSError: if the port is taken.
    """
    from bokeh.application import Application
    from bokeh.application.handlers.function import FunctionHandler
    from bokeh.server.server import Server

    if port == 0:
        port = free_port(host)
    origins = allowed_origins(host, port, allow_origins)
    shared = Shared()

    def page(kind: type[RoomPage]) -> Application:
        return Application(FunctionHandler(lambda doc: kind(doc, room, shared, lang)))

    server = Server(
        {"/facilitator": page(FacilitatorPage), "/team": page(TeamPage), "/view": page(ViewerPage)},
        address=host,
        port=port,
        allow_websocket_origin=[o for o in origins if not o.startswith("[")],
        num_procs=1,
        io_loop=io_loop,
        extra_patterns=[(r"/report/(.+)", ReportHandler, {"shared": shared})],
        check_unused_sessions_milliseconds=CHECK_UNUSED_MS,
        unused_session_lifetime_milliseconds=UNUSED_SESSION_MS,
    )
    allowed = server._tornado.websocket_origins
    allowed.clear()
    allowed.update(origins)
    return server


def serve_room(room: Room, folder: Path, title: str, host: str = "127.0.0.1", port: int = 5006,
               allow_origins: Sequence[str] = (), lang: str | None = None,
               announce: Callable[[str, list[tuple[SeatLink, str]], Path], None] | None = None) -> bool:  # fmt: skip
    """Serve the exercise until Ctrl-C or SIGTERM, then stop the room and the server.

    The signals stop the server's loop from inside it (a handler of the loop); a second one while
    the folder is written is ignored.

    Args:
        room: the exercise.
        folder: the exercise's folder (the links page is written into it).
        title: the scenario's name, for the links page.
        host: the address to listen on; loopback unless the trainer opens it to the room.
        port: the port; 0 picks a free one.
        allow_origins: ``HOST:PORT`` origins whose pages may also connect (``--allow-origin``).
        lang: the pages' language.
        announce: called once the server listens, with its address, each link with its address,
            and the links page's path.

    Returns:
        whether the exercise had ended (its hotwash is in `folder`); else its decisions so far are
        there, and ``--resume`` goes on from them.

    Raises:
        ValueError: if an origin of `allow_origins` is not ``HOST:PORT``.
        OSError: if the port is taken.
    """
    server = make_room_server(room, host, port, allow_origins, lang)
    server.start()
    base = base_url(host, server.port)
    links = [(link, join_url(base, link)) for link in room.links()]
    folder.mkdir(parents=True, exist_ok=True)
    with use_language(lang):
        page = write_links_page(folder, base, [link for link, _ in links], title)
    if announce is not None:
        announce(base, links, page)
    loop = server.io_loop.asyncio_loop
    on_main_thread = threading.current_thread() is threading.main_thread()
    if on_main_thread:  # Ctrl-C and kill stop the loop from inside it, never in the middle of other code
        for each in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(each, server.io_loop.stop)
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        if on_main_thread:
            for each in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(each)
                signal.signal(each, signal.SIG_IGN)  # once: the folder is being written
        try:
            ended = stop_room(room)
        finally:
            server.stop()
    return ended


def stop_room(room: Room) -> bool:
    """The server is stopping: keep the room's folder as the exercise left it; whether it had ended.

    An exercise the facilitator ended (or that ran to its end) has its hotwash in the folder. One
    still under way is closed with its decisions so far written (``exercise.yaml``), so that
    ``tabletop exercise --resume DIR`` goes on from them with the same seats' codes (`Room.resume`
    refuses a folder that holds a hotwash); a room without ``close`` is stopped, writing its hotwash.
    """
    if getattr(room, "state", None) == "ended":
        return True
    close = getattr(room, "close", None)
    if callable(close):
        close()
        return False
    room.stop(None)
    return True
