"""The workshop page of ``tabletop dashboard``: a Bokeh server application.

Bokeh ships its JavaScript and CSS inside the Python package and its server
serves them itself, so the page works in a room without internet: nothing is
loaded from a CDN (the browser test checks every request stays on the server).
Why Bokeh and not Mesa's SolaraViz: see docs/dashboard.md.

The page is a view of `sim.dashboard.session.Session`: widgets change its settings or
move its clock; `WorkshopPage.refresh` reads a `sim.dashboard.session.Snapshot` and
updates the figures' data sources. Only this module imports Bokeh, and only the
``dashboard`` command imports this module, so ``tabletop run`` starts as fast as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import html
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bokeh.core.properties import value
from bokeh.document import Document
from bokeh.layouts import column, row
from bokeh.models import (
    Button,
    ColumnDataSource,
    CustomJS,
    CustomJSTickFormatter,
    Div,
    Label,
    LabelSet,
    Legend,
    LegendItem,
    Range1d,
    Select,
    Slider,
    Span,
    Spinner,
    Toggle,
)
from bokeh.plotting import figure

from sim.dashboard.origins import allowed_origins, free_port
from sim.dashboard.page_style import INK, MUTED, PAGE_TEMPLATE, page_styles, style_figure
from sim.dashboard.session import Session, Snapshot, shipped_scenarios
from sim.debrief.run_figures import network_layout
from sim.debrief.run_tables import chain_stages
from sim.i18n import (
    LANGUAGES,
    N_,
    RTL_LANGUAGES,
    LanguageError,
    babel_locale,
    check_language,
    day_clock,
    direction,
    format_decimal,
    format_int,
    format_percent,
    language,
    translator,
    use_language,
    word,
)
from sim.vocabulary import CAUSE_LABELS, CAUSES, COLOURS, KIND_COLOURS

T = translator("page")

PLAY_TICK_MS = 150
CHECK_UNUSED_MS = 2_000
UNUSED_SESSION_MS = 3_000
SPEEDS = {"1 day a second": 1.0, "4 days a second": 4.0, "10 days a second": 10.0}
"""The play speeds: the Select's values (English keys, as a browser sends them) -> simulated days a second."""
DEFAULT_SPEED = "4 days a second"
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "ar": "العربية"}
"""The languages the page offers, each named in itself (never translated: a reader finds their own)."""
# The sliders' ranges, kept here: a browser can send any value, or change a slider's own start and end.
SLIDER_RANGES = {"delay_scale": (0.0, 3.0), "trust": (0.0, 1.0), "coverage": (0.0, 1.0), "biometric": (0.0, 1.0),
                 "verify_catches": (0.0, 1.0), "retention_days": (5.0, 370.0)}
RETENTION_KEPT = SLIDER_RANGES["retention_days"][1]  # the retention slider's last notch: kept for the whole exercise
RETENTION_STEP = 5.0
WRONGFUL_COLOUR = "#CC79A7"  # Okabe-Ito reddish purple: not a colour of the miss causes
WRONGFUL_LABELS = {"ordinary": N_("namesakes"), "innocent_subject": N_("innocent subjects"), "pnr": N_("PNR flags")}
INJECT_KINDS = {"intel": N_("new intelligence"), "link_down": N_("link down"), "link_up": N_("link up"),
                "trust": N_("trust changes"), "surge": N_("surge")}  # fmt: skip
"""An inject's kind in words, for a mark with neither note nor subject."""
SEED_RANGE = (0, 2**31 - 1)


def scenario_keys(choices: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """The chooser's keys: each (label, path) of `choices` under its file's stem (``-2``, ``-3`` if taken).

    The page sends only a key; the path stays on the server, so no value from a browser is ever opened.
    """
    keys: dict[str, tuple[str, str]] = {}
    for label, path in choices:
        stem = Path(path).stem or "scenario"
        key, n = stem, 1
        while key in keys:
            n += 1
            key = f"{stem}-{n}"
        keys[key] = (label, path)
    return keys


def _shown(value: Any) -> str:
    """A value from the browser, quoted and cut short for the status line."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"



def _clock_text(hours: float) -> str:
    day, time = day_clock(hours)
    return T.gettext("Day {day} · {time}").format(day=format_int(day), time=time)


def _g(value: float) -> str:
    """A number as ``:g`` writes it, with the language's decimal sign (``0.75``; ``0,75``)."""
    from babel.numbers import get_decimal_symbol

    text = f"{value:g}"
    symbol = get_decimal_symbol(babel_locale(), numbering_system="latn")
    return text.replace(".", symbol) if symbol != "." else text


def _signed(value: int) -> str:
    """``+3``, ``-2``, ``+0`` in the language's digits."""
    return ("+" if value >= 0 else "-") + format_int(abs(value))


def _slider_formats() -> tuple[Any, Any]:
    """The sliders' value formats (shares, numbers) in the current language: ``45%``/``0.90``; ``45 %``/``0,90``.

    Bokeh formats a slider's value in the browser; English keeps Bokeh's own formats, the other
    languages get the same numbers with their own signs (from `format_percent`, `format_decimal`).
    """
    if babel_locale() == "en":
        return "0%", "0.00"
    share = format_percent(0.45, 0).replace("45", "{n}")
    point = format_decimal(0.5, 2)[1]
    shares = CustomJSTickFormatter(args={"pattern": share},
                                   code="return pattern.replace('{n}', Math.round(tick * 100).toString())")  # fmt: skip
    numbers = CustomJSTickFormatter(args={"point": point}, code="return tick.toFixed(2).replace('.', point)")
    return shares, numbers


def _html(template: str, **parts: str) -> str:
    """A translated `template`, escaped, its placeholders filled with `parts` (already HTML)."""
    return html.escape(template, quote=False).format(**parts)


Point = tuple[float, float]


def _bezier(start: Point, end: Point, bend: float) -> Callable[[float], Point]:
    (xa, ya), (xb, yb) = start, end
    mx, my = (xa + xb) / 2, (ya + yb) / 2
    cx, cy = mx - bend * (yb - ya), my + bend * (xb - xa)

    def point(f: float) -> Point:
        g = 1.0 - f
        return g * g * xa + 2 * g * f * cx + f * f * xb, g * g * ya + 2 * g * f * cy + f * f * yb

    return point


def _box_exit(centre: Point, towards: Point, half_w: float, half_h: float) -> Point:
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    if dx == 0 and dy == 0:
        return centre
    t = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    return centre[0] + t * dx, centre[1] + t * dy


class WorkshopPage:
    """One browser tab's page: controls on the left, the live views on the right.

    Args:
        doc: the Bokeh document of the session.
        path: the scenario file given on the command line.
        choices: (label, path) of the scenarios the chooser offers.
        lang: the page's first language (default: the server's, `sim.i18n.language`); the
            participant can switch it on the page, for their own tab only.
    """

    def __init__(self, doc: Document, path: str, choices: list[tuple[str, str]] | None = None,
                 lang: str | None = None):  # fmt: skip
        self.doc = doc
        self.lang = check_language(lang) if lang else language()
        self.session = Session(path)
        self.choices = choices or shipped_scenarios(path)
        if all(Path(p).resolve() != Path(path).resolve() for _, p in self.choices):
            self.choices = [(Path(path).name, path), *self.choices]
        self.scenarios = scenario_keys(self.choices)
        given = Path(path).resolve()
        self.scenario_key = next(k for k, (_, p) in self.scenarios.items() if Path(p).resolve() == given)
        self._play_callback: Any = None
        self._syncing = False  # True while the server moves the widgets itself (their handlers do nothing)
        self._last_ms = 0.0
        self.styles = page_styles()
        with use_language(self.lang):
            self._build()
            self._layout_network()
            self._apply_texts()
        self.refresh()
        doc.template = PAGE_TEMPLATE
        self._set_document_language()
        doc.add_root(self.root)

    def _set_document_language(self) -> None:
        """The page's ``<html lang dir>`` and title (a switch on the page also sets them in the browser)."""
        with use_language(self.lang):
            self.doc.title = T.gettext("tabletop · workshop")
        self.doc.template_variables.update(lang=self.lang, dir=direction(self.lang))

    # ------------------------------------------------------------ building

    def _build(self) -> None:
        s = self.session.settings
        self.header = Div(stylesheets=[self.styles.header], sizing_mode="stretch_width", css_classes=["tt-header"])
        self.cards = Div(stylesheets=[self.styles.card], sizing_mode="stretch_width", css_classes=["tt-cards"])
        self.footer = Div(stylesheets=[self.styles.small], sizing_mode="stretch_width", css_classes=["tt-footer"])
        self.status = Div(stylesheets=[self.styles.small], sizing_mode="stretch_width", css_classes=["tt-status"])

        def widget(kind: type, css: str, **options: Any) -> Any:
            return kind(stylesheets=[self.styles.widget], css_classes=[css], sizing_mode="stretch_width", **options)

        languages = [code for code in LANGUAGES if code in LANGUAGE_NAMES]
        if self.lang not in languages:  # the pseudo-language of tests, when the server was started in it
            languages.append(self.lang)
        self.language = widget(Select, "tt-language", value=self.lang,
                               options=[(code, LANGUAGE_NAMES.get(code, code)) for code in languages])  # fmt: skip
        self.language.js_on_change("value", CustomJS(args={"rtl": sorted(RTL_LANGUAGES)}, code=(
            "const root = document.documentElement; root.lang = cb_obj.value;"
            " root.dir = rtl.includes(cb_obj.value) ? 'rtl' : 'ltr';")))  # fmt: skip
        options = [(key, label) for key, (label, _) in self.scenarios.items()]
        self.chooser = widget(Select, "tt-scenario", value=self.scenario_key, options=options)
        self._build_sliders()
        self.adaptive = widget(Toggle, "tt-adaptive", active=s.adaptive)
        self.seed = widget(Spinner, "tt-seed", low=SEED_RANGE[0], high=SEED_RANGE[1], step=1, value=s.seed, mode="int")
        self.compare = widget(Toggle, "tt-compare", active=False)
        self.restore = widget(Button, "tt-restore")
        self.play = widget(Toggle, "tt-play", button_type="success")
        self.speed = widget(Select, "tt-speed", value=DEFAULT_SPEED, options=list(SPEEDS))
        self.hour = widget(Button, "tt-hour")
        self.day = widget(Button, "tt-day")
        self.end = widget(Button, "tt-end", button_type="primary")
        self.reset = widget(Button, "tt-reset")

        self.adaptive.on_change("active", lambda attr, old, new: self._on_adaptive(new))
        self.seed.on_change("value", lambda attr, old, new: self._on_seed(new))
        self.chooser.on_change("value", lambda attr, old, new: self._on_scenario(new))
        self.speed.on_change("value", lambda attr, old, new: self._on_speed(old, new))
        self.language.on_change("value", lambda attr, old, new: self._on_language(new))
        self.compare.on_change("active", lambda attr, old, new: self._act(lambda: self.session.set_compare(new)))
        self.restore.on_click(lambda: self._act(self._restore))
        self.play.on_change("active", lambda attr, old, new: self._on_play(new))
        self.hour.on_click(lambda: self._act(lambda: self.session.advance(1.0)))
        self.day.on_click(lambda: self._act(lambda: self.session.advance(24.0)))
        self.end.on_click(lambda: self._act(self._run_to_end))
        self.reset.on_click(lambda: self._act(self._reset))

        self._build_over_time()
        self._build_chain()
        self._build_network()

        self.heading = Div(stylesheets=[self.styles.card], css_classes=["tt-what-if"])
        self.clock_heading = Div(stylesheets=[self.styles.card], css_classes=["tt-clock-heading"])
        self.steps = row(self.hour, self.day, sizing_mode="stretch_width")
        self.controls = column(*self._control_children(), width=360, stylesheets=[self.styles.panel],
                               css_classes=["tt-controls"])  # fmt: skip
        controls = self.controls
        self.over_time_title = self._title_div("tt-over-time-title")
        self.network_title = self._title_div("tt-network-title")
        over_time = self._titled(self.over_time, self.over_time_title, "tt-over-time-panel", self.styles.panel)
        self.over_time.stylesheets = [self.styles.ltr]
        network = self._titled(self.network, self.network_title, "tt-network-panel", self.styles.panel)
        views = column(
            self.cards,
            self.chain,
            row(over_time, network, sizing_mode="stretch_width"),
            self.footer,
            sizing_mode="stretch_width",
        )
        self.root = column(self.header, row(controls, views, sizing_mode="stretch_width"), sizing_mode="stretch_width",
                           margin=(10, 18, 10, 18))  # fmt: skip

    def _build_sliders(self) -> None:
        """The six sliders, at the session's settings (made again when the page changes direction).

        noUiSlider, which draws Bokeh's sliders, takes the page's direction when a slider is drawn:
        a language switch between left to right and right to left gives the page new sliders.
        """
        s = self.session.settings

        shares, numbers = _slider_formats()

        def slider(css: str, name: str, value: float, **options: Any) -> Slider:
            low, high = SLIDER_RANGES[name]
            made = Slider(stylesheets=[self.styles.widget], css_classes=[css], sizing_mode="stretch_width",
                          start=low, end=high, value=value, direction=direction(self.lang), **options)  # fmt: skip
            return made

        self.delay = slider("tt-delay", "delay_scale", s.delay_scale, step=0.05, format=numbers)
        self.trust = slider("tt-trust", "trust", s.trust, step=0.05, format=numbers)
        self.coverage = slider("tt-coverage", "coverage", s.coverage or 0.0, step=0.01, format=shares,
                               disabled=s.coverage is None)  # fmt: skip
        self.biometric = slider("tt-biometric", "biometric", s.biometric or 0.0, step=0.01, format=shares,
                                disabled=s.biometric is None)  # fmt: skip
        self.verify = slider("tt-verify", "verify_catches", s.verify_catches, step=0.05, format=shares)
        self.retention = slider("tt-retention", "retention_days", self._retention_value(s.retention_days),
                                step=RETENTION_STEP)  # fmt: skip
        for widget, name in ((self.delay, "delay_scale"), (self.trust, "trust"), (self.coverage, "coverage"),
                             (self.biometric, "biometric"), (self.verify, "verify_catches")):  # fmt: skip
            widget.on_change("value_throttled", self._on_setting(name))
        self.retention.on_change("value_throttled", lambda attr, old, new: self._on_retention(new))

    def _control_children(self) -> list[Any]:
        return [
            self.language, self.heading, self.chooser, self.delay, self.trust, self.adaptive, self.coverage,
            self.biometric, self.verify, self.retention, self.seed,
            self.compare, self.restore, self.clock_heading, self.play, self.steps,
            self.end, self.reset, self.speed, self.status,
        ]  # fmt: skip

    def _apply_texts(self) -> None:
        """Every fixed text of the page (titles, labels, legend, axes) in the current language."""
        self.language.title = T.gettext("Language")
        self.heading.text = f"<div class='side'>{html.escape(T.gettext('What if…'))}</div>"
        self.clock_heading.text = f"<div class='side'>{html.escape(T.gettext('Clock'))}</div>"
        self.chooser.title = T.gettext("Scenario")
        self.delay.title = T.gettext("Sharing delay ×")
        self.trust.title = T.gettext("Default trust")
        self.coverage.title = T.gettext("Intelligence coverage")
        self.biometric.title = T.gettext("Biometric identifiers")
        self.verify.title = T.gettext("Verification catches")
        self.retention.title = T.gettext("Watchlist retention")
        low, high = SLIDER_RANGES["retention_days"]
        notches = range(int(low), int(high) + 1, int(RETENTION_STEP))
        self.retention.format = CustomJSTickFormatter(
            args={"kept": RETENTION_KEPT, "kept_text": T.gettext("kept"),
                  "days": {str(n): T.ngettext("{count} day", "{count} days", n).format(count=format_int(n))
                           for n in notches}},
            code="return tick >= kept ? kept_text : (days[tick.toFixed(0)] || tick.toFixed(0))")  # fmt: skip
        self.adaptive.label = self._adaptive_label(self.session.settings.adaptive)
        self.seed.title = T.gettext("Seed")
        self.compare.label = T.gettext("Compare with as written")
        self.restore.label = T.gettext("↺ Settings as written")
        self.play.label = T.gettext("❚❚ Pause") if self.play.active else T.gettext("▶ Play")
        self.speed.title = T.gettext("Play speed")
        self.speed.options = [(key, T.ngettext("{count} day a second", "{count} days a second", int(days)).format(
            count=format_int(int(days)))) for key, days in SPEEDS.items()]  # fmt: skip
        self.hour.label = T.gettext("+1 hour")
        self.day.label = T.gettext("+1 day")
        self.end.label = T.gettext("▶▶ Run to the end")
        self.reset.label = T.gettext("◀◀ Back to day 0")
        self.over_time.xaxis.axis_label = T.gettext("day of the exercise")
        self.over_time.yaxis.axis_label = T.gettext("travellers")
        # A legend label set after the item is made must say it is a value (a plain string names a column).
        self.ref_items[0].label = value(T.gettext("as written (dashed)"))
        for item, text in zip(self.curve_items, (T.gettext("stopped"), T.gettext("got through"),
                                                 T.gettext("on the way")), strict=True):  # fmt: skip
            item.label = value(text)
        for inject, _, label in self.inject_marks_text:
            label.text = self._inject_text(inject)

    def _build_over_time(self) -> None:
        plot = figure(height=400, sizing_mode="stretch_width", tools="", css_classes=["tt-over-time"])
        horizon_days = self.session.run.horizon / 24.0
        plot.x_range = Range1d(0, horizon_days)
        plot.y_range.start = 0
        empty = {"day": [], "detected": [], "through": [], "en_route": []}
        self.curve = ColumnDataSource(dict(empty))
        self.curve_ref = ColumnDataSource(dict(empty))
        area = plot.varea(x="day", y1=0, y2="en_route", source=self.curve, fill_color=COLOURS["flow"], fill_alpha=0.13)
        detected = plot.line("day", "detected", source=self.curve, color=COLOURS["detected"], line_width=4)
        through = plot.line("day", "through", source=self.curve, color=COLOURS["late"], line_width=4)
        ref_d = plot.line("day", "detected", source=self.curve_ref, color=COLOURS["detected"], line_width=2.5,
                          line_dash="dashed", line_alpha=0.8)  # fmt: skip
        ref_t = plot.line("day", "through", source=self.curve_ref, color=COLOURS["late"], line_width=2.5,
                          line_dash="dashed", line_alpha=0.8)  # fmt: skip
        self.now_line = Span(location=0, dimension="height", line_color=INK, line_width=2)
        plot.add_layout(self.now_line)
        self.inject_marks: list[tuple[float, Span, Label]] = []
        self.inject_marks_text: list[tuple[Any, Span, Label]] = []
        self.over_time = plot
        self._rebuild_inject_marks()
        self.ref_items = [LegendItem(label="as written (dashed)", renderers=[ref_d, ref_t])]
        self.curve_items = [
            LegendItem(label="stopped", renderers=[detected]),
            LegendItem(label="got through", renderers=[through]),
            LegendItem(label="on the way", renderers=[area]),
        ]
        legend = Legend(
            items=[*self.curve_items, *self.ref_items],
            location="top_left", label_text_font_size="16px", border_line_color=None, background_fill_alpha=0.85,
        )  # fmt: skip
        plot.add_layout(legend)
        self.ref_curves = [ref_d, ref_t]
        style_figure(plot)
        self.over_time = plot

    def _build_chain(self) -> None:
        """The chain as HTML (a CSS grid), not a canvas: its labels take the room they need and wrap, never cut."""
        self.chain = Div(stylesheets=[self.styles.panel, self.styles.chain], sizing_mode="stretch_width",
                         css_classes=["tt-chain"])  # fmt: skip

    def _title_div(self, css: str) -> Div:
        return Div(stylesheets=[self.styles.title], sizing_mode="stretch_width", css_classes=[css])

    @staticmethod
    def _titled(plot: Any, title: Div, css: str, panel: Any) -> Any:
        """A figure under an HTML title (a canvas title is cut when the panel is narrow; an HTML one wraps)."""
        plot.title = None
        plot.stylesheets = []
        return column(title, plot, sizing_mode="stretch_width", stylesheets=[panel], css_classes=[css])

    def _build_network(self) -> None:
        plot = figure(height=400, sizing_mode="stretch_width", tools="", css_classes=["tt-network"])
        plot.axis.visible = False
        plot.grid.visible = False
        self.edges = ColumnDataSource({"xs": [], "ys": [], "colour": [], "width": [], "alpha": []})
        self.heads = ColumnDataSource({"x": [], "y": [], "angle": [], "colour": []})
        self.edge_labels = ColumnDataSource({"x": [], "y": [], "text": [], "colour": []})
        self.dots = ColumnDataSource({"x": [], "y": []})
        self.nodes = ColumnDataSource(dict.fromkeys(("x", "y", "colour", "code", "sub", "y_code", "y_sub"), []))
        plot.multi_line(xs="xs", ys="ys", source=self.edges, line_color="colour", line_width="width",
                        line_alpha="alpha")  # fmt: skip
        plot.scatter(x="x", y="y", angle="angle", source=self.heads, marker="triangle", size=20, color="colour")
        plot.rect(x="x", y="y", width=2.8, height=0.95, source=self.nodes, fill_color="colour", line_color=INK,
                  line_width=1)  # fmt: skip
        plot.text(x="x", y="y_code", text="code", source=self.nodes, text_align="center", text_baseline="middle",
                  text_color="white", text_font_size="16px", text_font_style="bold")  # fmt: skip
        plot.text(x="x", y="y_sub", text="sub", source=self.nodes, text_align="center", text_baseline="middle",
                  text_color="white", text_font_size="14px")  # fmt: skip
        plot.scatter(x="x", y="y", source=self.dots, size=15, fill_color="#0072B2", line_color="white", line_width=2)
        plot.add_layout(LabelSet(x="x", y="y", text="text", source=self.edge_labels, text_align="center",
                                 text_baseline="middle", text_font_size="14px", text_color="colour",
                                 background_fill_color="white", background_fill_alpha=0.9,
                                 level="overlay"))  # fmt: skip
        style_figure(plot)
        self.network = plot

    def _layout_network(self) -> None:
        """Place agencies as the debrief's network figure does; fix each link's curve."""
        scenario = self.session.scenario
        self.positions = network_layout(scenario)
        xs = [x for x, _ in self.positions.values()]
        ys = [y for _, y in self.positions.values()]
        self.network.x_range = Range1d(min(xs) - 1.6, max(xs) + 1.6)
        self.network.y_range = Range1d(min(ys) - 1.0, max(ys) + 1.0)
        pairs = {(link.sender.code, link.receiver.code) for link in self.session.run.model.links}
        self.curves: dict[tuple[str, str], tuple[Callable[[float], tuple[float, float]], float]] = {}
        for sender, receiver in pairs:
            a, b = self.positions[sender], self.positions[receiver]
            backwards = b[0] <= a[0]
            bend = 0.35 if backwards else (0.12 if (receiver, sender) in pairs else 0.0)
            start = _box_exit(a, b, 1.45, 0.52)
            end = _box_exit(b, a, 1.45, 0.52)
            self.curves[(sender, receiver)] = (_bezier(start, end, bend), bend)
        countries = {c.id: c.name for c in scenario.countries}
        kinds = {a.id: a.kind for a in scenario.agencies}
        self.agency_country = {a.id: countries.get(a.country, a.country) for a in scenario.agencies}
        self.agency_colour = {code: KIND_COLOURS.get(kinds[code], "#777777") for code in self.positions}

    # ------------------------------------------------------------ actions

    def _act(self, action: Callable[[], None]) -> None:
        started = time.perf_counter()
        try:
            action()
            self.status.text = ""
        except Exception as exc:  # noqa: BLE001 - show it on the page; the session stays usable
            self.status.text = f"<span class='err'>{html.escape(str(exc))[:400]}</span>"
        self.refresh(started)

    # A browser can send any value for any widget (a crafted websocket message): every value is
    # checked against the widget's options or range, kept here, before it reaches the session.

    def _refuse(self, what: str, value: Any, why: str, kept: str) -> None:
        """Say on the status line that `value` for `what` was refused, why, and what is kept; change nothing."""
        self.status.text = (
            f"<span class='err' data-testid='refused'>Refused {html.escape(what)} {html.escape(_shown(value))}: "
            f"{html.escape(why)}; kept {html.escape(kept)}.</span>"
        )

    def _on_setting(self, name: str) -> Callable[[str, Any, Any], None]:
        low, high = SLIDER_RANGES[name]

        def handler(attr: str, old: Any, new: Any) -> None:
            if self._syncing:
                return
            current = getattr(self.session.settings, name)
            ok = isinstance(new, int | float) and not isinstance(new, bool) and math.isfinite(new)
            if current is None:
                self._refuse(f"{name} value", new, "this scenario has no intelligence sources to set", "none")
                return
            if not ok or not low <= new <= high:
                self._refuse(f"{name} value", new, f"only a number from {low:g} to {high:g}", f"{current:g}")
                self._sync_widgets()
                return
            self._act(lambda: self.session.change(**{name: float(new)}))

        return handler

    @staticmethod
    def _retention_value(days: float | None) -> float:
        """The retention slider's position for `days` (None, kept: the last notch)."""
        low, high = SLIDER_RANGES["retention_days"]
        return high if days is None else min(max(float(days), low), high - RETENTION_STEP)

    @staticmethod
    def _adaptive_label(on: bool) -> str:
        return T.gettext("Adaptive trust: on (learns)") if on else T.gettext("Adaptive trust: off (fixed)")

    def _on_retention(self, new: Any) -> None:
        if self._syncing:
            return
        low, high = SLIDER_RANGES["retention_days"]
        current = self.session.settings.retention_days
        kept = "kept" if current is None else f"{current:g} days"
        ok = isinstance(new, int | float) and not isinstance(new, bool) and math.isfinite(new)
        if not ok or not low <= new <= high:
            self._refuse("retention_days value", new, f"only a number of days from {low:g} to {high:g} (kept)", kept)
            self._sync_widgets()
            return
        days = None if new >= high else float(new)
        self._act(lambda: self.session.change(retention_days=days))

    def _on_adaptive(self, new: Any) -> None:
        current = self.session.settings.adaptive
        if new is current:
            return  # as it is (or put back after a refusal)
        if not isinstance(new, bool):
            self._refuse("adaptive trust", new, "only on or off", "on" if current else "off")
            self.adaptive.active = current
            return
        with use_language(self.lang):
            self.adaptive.label = self._adaptive_label(new)
        self._act(lambda: self.session.change(adaptive=new))

    def _on_seed(self, new: Any) -> None:
        low, high = SEED_RANGE
        current = self.session.settings.seed
        if new == current:
            return  # the seed as it is (or put back after a refusal), even one beyond the spinner's range
        whole = isinstance(new, int | float) and not isinstance(new, bool) and math.isfinite(new) and new == int(new)
        if not whole or not low <= new <= high:
            self._refuse("seed", new, f"only a whole number from {low} to {high}", f"seed {current}")
            self.seed.value = current
            return
        self._act(lambda: self.session.change(seed=int(new)))

    def _on_speed(self, old: Any, new: Any) -> None:
        if new not in SPEEDS:
            kept = old if old in SPEEDS else DEFAULT_SPEED
            self._refuse("play speed", new, "only one of " + ", ".join(SPEEDS), kept)
            self.speed.value = kept

    def _on_language(self, code: Any) -> None:
        """The participant switched the page's language: every text of their page, rewritten."""
        if code == self.lang:
            return
        offered = [value for value, _ in self.language.options]
        if not isinstance(code, str) or code not in offered:
            self._refuse("language", code, "only one of " + ", ".join(offered), self.lang)
            self.language.value = self.lang
            return
        self.lang = code
        self._set_document_language()
        with use_language(self.lang):
            # New sliders: their numbers in the language, and (right to left or back) drawn in its direction.
            self._build_sliders()
            self.controls.children = self._control_children()
            self._apply_texts()
        self.refresh()

    def _on_scenario(self, key: Any) -> None:
        if key == self.scenario_key:
            return  # the choice as it is (or put back after a refusal)
        if not isinstance(key, str) or key not in self.scenarios:
            kept = self.scenarios[self.scenario_key][0]
            self._refuse("scenario choice", key, "only one of the listed scenarios, by key", kept)
            self.chooser.value = self.scenario_key
            return
        path = self.scenarios[key][1]

        def load() -> None:
            self._stop_play()
            try:
                self.session.load(path)
            except Exception:
                self.chooser.value = self.scenario_key  # the previous choice, still open
                raise
            self.scenario_key = key
            self.session.set_compare(self.compare.active)
            self._sync_widgets()
            self._layout_network()
            self._rebuild_inject_marks()

        self._act(load)

    @staticmethod
    def _inject_text(inject: Any) -> str:
        """An inject's mark: its day, and its note or subject as the scenario writes them (else its kind)."""
        text = inject.note or inject.subject or T.gettext(INJECT_KINDS.get(inject.kind, inject.kind))
        if len(text) > 38:
            text = text[:36] + "…"
        return " " + T.gettext("▲ day {day}: {what}").format(day=_g(inject.day), what=text)

    def _rebuild_inject_marks(self) -> None:
        plot = self.over_time
        for _, span, label in self.inject_marks:
            span.visible = False
            label.visible = False
        self.inject_marks = []
        self.inject_marks_text = []
        with use_language(self.lang):
            for k, inject in enumerate(sorted(self.session.scenario.injects, key=lambda i: i.day)):
                span = Span(location=inject.day, dimension="height", line_color="#444444", line_dash="dashed",
                            line_width=2, line_alpha=0.35)  # fmt: skip
                label = Label(x=inject.day, y=8 + 24 * (k % 3), y_units="screen", text=self._inject_text(inject),
                              text_font_size="14px", text_color="#444444", text_alpha=0.5,
                              background_fill_color="white", background_fill_alpha=0.8)  # fmt: skip
                plot.add_layout(span)
                plot.add_layout(label)
                self.inject_marks.append((inject.day * 24.0, span, label))
                self.inject_marks_text.append((inject, span, label))
        plot.x_range.end = self.session.run.horizon / 24.0

    def _sync_widgets(self) -> None:
        s = self.session.settings
        self.coverage.disabled = s.coverage is None
        self.biometric.disabled = s.biometric is None
        positions = (
            (self.delay, s.delay_scale), (self.trust, s.trust), (self.coverage, s.coverage or 0.0),
            (self.biometric, s.biometric or 0.0), (self.verify, s.verify_catches),
            (self.retention, self._retention_value(s.retention_days)),
        )  # fmt: skip
        self._syncing = True
        try:
            for slider, value in positions:
                # value_throttled too: the browser sends a move only when it differs from the last one it knows.
                slider.value = value
                slider.set_from_json("value_throttled", value)  # a read-only property for Python code
        finally:
            self._syncing = False
        if self.adaptive.active != s.adaptive:
            self.adaptive.active = s.adaptive
        with use_language(self.lang):
            self.adaptive.label = self._adaptive_label(s.adaptive)
        if self.seed.value != s.seed:
            self.seed.value = s.seed

    def _restore(self) -> None:
        self.session.restore()
        self._sync_widgets()

    def _reset(self) -> None:
        self._stop_play()
        self.session.reset()

    def _run_to_end(self) -> None:
        self._stop_play()
        self.session.run_to_end()

    def _on_play(self, active: bool) -> None:
        if active:
            if self.session.run.hours >= self.session.run.horizon:
                self.session.reset()
            with use_language(self.lang):
                self.play.label = T.gettext("❚❚ Pause")
            if self._play_callback is None:
                self._play_callback = self.doc.add_periodic_callback(self._tick, PLAY_TICK_MS)
        else:
            with use_language(self.lang):
                self.play.label = T.gettext("▶ Play")
            if self._play_callback is not None:
                self.doc.remove_periodic_callback(self._play_callback)
                self._play_callback = None

    def _stop_play(self) -> None:
        if self.play.active:
            self.play.active = False  # calls _on_play(False)

    def _tick(self) -> None:
        hours = SPEEDS.get(self.speed.value, SPEEDS[DEFAULT_SPEED]) * 24.0 * PLAY_TICK_MS / 1000.0
        self._act(lambda: self.session.advance(hours))
        if self.session.run.hours >= self.session.run.horizon:
            self._stop_play()

    # ------------------------------------------------------------ views

    def refresh(self, started: float | None = None) -> None:
        """Read the runs and update every view, in the page's language."""
        with use_language(self.lang):
            self._refresh(started)

    def _refresh(self, started: float | None = None) -> None:
        started = time.perf_counter() if started is None else started
        live = self.session.run.snapshot()
        self._last = live
        ref = self.session.reference.snapshot() if self.session.compare and self.session.reference else None
        self._update_header(live)
        self._update_cards(live, ref)
        self._update_over_time(live, ref)
        self._update_chain(live, ref)
        self._update_network(live)
        self._last_ms = 1000.0 * (time.perf_counter() - started)
        command = f"<code data-testid='command'>{html.escape(self.session.command())}</code>"
        took = f"<span data-testid='update-ms'>{format_int(round(self._last_ms))}</span>"
        self.footer.text = " &nbsp;·&nbsp; ".join((
            _html(T.gettext("Reproduce this run: {command}"), command=command),
            html.escape(T.gettext("fictional countries, synthetic travellers")),
            _html(T.gettext("updated in {ms} ms"), ms=took),
        ))  # fmt: skip

    def _update_header(self, live: Snapshot) -> None:
        scenario = self.session.scenario
        teach = " ".join(scenario.description.split())
        first = ". ".join(teach.split(". ")[:2]).rstrip(".") + "." if teach else ""
        if len(first) > 260:
            first = first[:258] + "…"
        share = min(live.hours / live.horizon_hours, 1.0) if live.horizon_hours else 1.0
        days = live.horizon_hours / 24
        whole = int(days) if days == int(days) else 2  # a day and a half reads as plural
        if live.finished:
            of = T.ngettext("of {count} day · run finished", "of {count} days · run finished", whole)
        else:
            of = T.ngettext("of {count} day", "of {count} days", whole)
        self.header.text = (
            "<div class='head'><div>"
            f"<div class='title'><span class='brand'>tabletop</span> · <bdi>{html.escape(scenario.name)}</bdi></div>"
            f"<div class='teach' dir='auto' title='{html.escape(teach)}'>{html.escape(first)}</div></div>"
            f"<div class='clock'><div class='day' data-testid='clock' data-hours='{live.hours:.4f}'>"
            f"{html.escape(_clock_text(live.hours))}</div>"
            f"<div class='of'>{html.escape(of.format(count=_g(days)))}</div>"
            f"<div class='bar'><div class='fill' style='width:{100 * share:.1f}%'></div></div></div></div>"
        )

    @staticmethod
    def _delta(diff: int, as_written: int, testid: str, number_testid: str, klass: str) -> str:
        """``+3 vs. as written (41)``: the difference with the run as written, and its number."""
        number = f"<span data-testid='{number_testid}'>{format_int(as_written)}</span>"
        text = _html(T.gettext("{difference} vs. as written ({count})"), difference=_signed(diff), count=number)
        return f"<div class='delta {klass}' data-testid='{testid}'>{text}</div>"

    def _update_cards(self, live: Snapshot, ref: Snapshot | None) -> None:
        if live.detection_rate is not None:
            decided = T.ngettext("of {count} journey decided · {rate}", "of {count} journeys decided · {rate}",
                                 live.crossed).format(count=format_int(live.crossed),
                                                      rate=format_percent(live.detection_rate, 0))  # fmt: skip
        else:
            decided = T.ngettext("of {count} journey decided", "of {count} journeys decided",
                                 live.crossed).format(count=format_int(live.crossed))  # fmt: skip
        delta = ""
        if ref is not None:
            diff = live.detected - ref.detected
            klass = "up" if diff > 0 else "down" if diff < 0 else "same"
            delta = self._delta(diff, ref.detected, "delta", "detected-as-written", klass)
        chips = "".join(
            f"<div class='chip'><span class='sw' style='background:{COLOURS[c]}'></span>"
            f"<b data-testid='miss-{c}'>{format_int(live.misses[c])}</b> {html.escape(word(CAUSE_LABELS[c]))}"
            + (f" <span class='ref'>({format_int(ref.misses.get(c, 0))})</span>" if ref is not None else "")
            + "</div>"
            for c in CAUSES
            if c in live.misses
        )
        through_ref = ""
        if ref is not None:
            through_ref = " <span class='ref'>" + html.escape(T.gettext("as written {count}").format(
                count=format_int(ref.got_through))) + "</span>"  # fmt: skip
        not_left = T.ngettext("{count} not yet left", "{count} not yet left", live.not_departed)
        sent = T.ngettext("{count} sent so far", "{count} sent so far", live.alerts_sent)
        self.cards.text = (
            "<div class='cards'>"
            f"<div class='card hero'><div class='label'>{html.escape(T.gettext('Stopped at a border'))}</div>"
            f"<div class='big' style='color:{COLOURS['detected']}' data-testid='detected'>"
            f"{format_int(live.detected)}</div>"
            f"<div class='sub'>{html.escape(decided)}</div>{delta}</div>"
            f"{self._wrongful_card(live, ref)}"
            f"<div class='card through'><div class='label'>{html.escape(T.gettext('Got through'))}</div>"
            f"<div class='mid' style='color:{COLOURS['late']}' data-testid='got-through'>{format_int(live.got_through)}"
            f"{through_ref}</div><div class='chips'>{chips}</div></div>"
            f"<div class='card'><div class='label'>{html.escape(T.gettext('On the way'))}</div>"
            f"<div class='mid' data-testid='en-route'>{format_int(live.en_route)}</div>"
            f"<div class='sub'>{html.escape(not_left.format(count=format_int(live.not_departed)))}</div>"
            f"<div class='label' style='margin-top:10px'>{html.escape(T.gettext('Alerts in flight'))}</div>"
            f"<div class='mid' style='color:#0072B2' data-testid='in-flight'>{format_int(live.alerts_in_flight)}</div>"
            f"<div class='sub'>{html.escape(sent.format(count=format_int(live.alerts_sent)))}</div></div>"
            "</div>"
        )  # fmt: skip

    @classmethod
    def _wrongful_card(cls, live: Snapshot, ref: Snapshot | None) -> str:
        """Innocent people stopped, by kind: only when the run models the cost of sharing (else no card)."""
        if not live.costs_modelled:
            return ""
        total = live.wrongly_stopped
        stops = live.detected + total
        if stops:
            precision = T.gettext("{share} of stops were persons of interest").format(
                share=format_percent(live.detected / stops, 0))  # fmt: skip
        else:
            precision = T.gettext("nobody stopped yet")
        delta = ""
        if ref is not None and not ref.costs_modelled:
            delta = ("<div class='delta same' data-testid='wrongful-delta'>"
                     f"{html.escape(T.gettext('as written: not modelled'))}</div>")  # fmt: skip
        elif ref is not None:
            diff = total - ref.wrongly_stopped
            klass = "down" if diff > 0 else "up" if diff < 0 else "same"  # fewer innocents stopped is better
            delta = cls._delta(diff, ref.wrongly_stopped, "wrongful-delta", "wrongful-as-written", klass)
        chips = "".join(
            f"<div class='chip'><b data-testid='wrongful-{kind}'>{format_int(count)}</b> "
            f"{html.escape(T.gettext(WRONGFUL_LABELS[kind]) if kind in WRONGFUL_LABELS else kind)}"
            + (f" <span class='ref'>({format_int(ref.wrongful.get(kind, 0))})</span>"
               if ref and ref.costs_modelled else "")  # fmt: skip
            + "</div>"
            for kind, count in live.wrongful.items()
        )
        return (
            f"<div class='card wrongful'><div class='label'>{html.escape(T.gettext('Wrongly stopped'))}</div>"
            f"<div class='mid' style='color:{WRONGFUL_COLOUR}' data-testid='wrongful'>{format_int(total)}</div>"
            f"<div class='chips'>{chips}</div><div class='sub'>{html.escape(precision)}</div>{delta}</div>"
        )

    def _update_over_time(self, live: Snapshot, ref: Snapshot | None) -> None:
        self.curve.data = {"day": live.days, "detected": live.detected_curve, "through": live.through_curve,
                           "en_route": live.en_route_curve}  # fmt: skip
        if ref is not None:
            self.curve_ref.data = {"day": ref.days, "detected": ref.detected_curve, "through": ref.through_curve,
                                   "en_route": ref.en_route_curve}  # fmt: skip
        else:
            self.curve_ref.data = {"day": [], "detected": [], "through": [], "en_route": []}
        for renderer in self.ref_curves:
            renderer.visible = ref is not None
        for item in self.ref_items:
            item.visible = ref is not None
        self.now_line.location = live.hours / 24.0
        for at, span, label in self.inject_marks:
            done = at <= live.hours
            span.line_alpha = 0.9 if done else 0.3
            label.text_alpha = 1.0 if done else 0.45
        if live.hours == 0:
            title = T.gettext("Day by day: press ▶ Play")
        else:
            title = T.gettext("Day {day}: {stopped} stopped · {through} through").format(
                day=format_int(round(live.hours / 24.0)), stopped=format_int(live.detected),
                through=format_int(live.got_through))  # fmt: skip
        self.over_time_title.text = f"<div class='title' data-testid='over-time-title'>{html.escape(title)}</div>"

    def _update_chain(self, live: Snapshot, ref: Snapshot | None) -> None:
        stages = chain_stages(live.chain_summary())
        ref_kept = {cause: kept for _, kept, cause, _ in chain_stages(ref.chain_summary())} if ref is not None else {}
        scale = max(float(live.crossed), float(ref.crossed) if ref is not None else 0.0, 1.0)

        def share(count: float) -> str:
            return f"{100.0 * min(max(count / scale, 0.0), 1.0):.2f}%"

        def number(count: float) -> str:
            return format_int(int(count)) if count == int(count) else _g(count)

        rows = []
        for name, count, cause, drop in stages:  # the stages named in the page's language by the debrief
            colour = COLOURS["detected"] if cause == "screening_miss" else COLOURS["flow"]
            bars = (
                f"<div class='full' style='width:{share(live.crossed)}'></div>"
                f"<div class='kept' style='width:{share(count)};background:{colour}'></div>"
            )
            why = ""
            if cause and drop > 0:
                bars += (f"<div class='drop' style='inset-inline-start:{share(count)};width:{share(drop)};"
                         f"background:{COLOURS[cause]}'></div>")  # fmt: skip
                tone = COLOURS[cause] if cause != "no_intel" else MUTED
                # English keeps its "−66"; other languages their own minus (Arabic's keeps it left of the number).
                lost = f"−{number(drop)}" if babel_locale() == "en" else format_int(-int(drop))
                why = f"<span style='color:{tone}'>{lost} {html.escape(word(CAUSE_LABELS[cause]))}</span>"
            if cause in ref_kept:
                bars += f"<div class='mark' style='inset-inline-start:{share(ref_kept[cause])}'></div>"
            rows.append(
                f"<div class='stage'>{html.escape(name)}</div>"
                f"<div class='count'>{number(count)}</div>"
                f"<div class='track'>{bars}</div><div class='why'>{why}</div>"
            )
        if live.crossed == 0:
            title = T.gettext("Where the chain broke: nobody has crossed a border yet")
        elif live.got_through == 0:
            title = T.ngettext("Where the chain broke: nowhere yet, all {count} stopped",
                               "Where the chain broke: nowhere yet, all {count} stopped",
                               live.detected).format(count=format_int(live.detected))  # fmt: skip
        else:
            worst = max(live.misses, key=lambda c: live.misses[c])
            title = T.ngettext("Where the chain broke: {count} of {total} misses: {cause}",
                               "Where the chain broke: {count} of {total} misses: {cause}", live.got_through).format(
                count=format_int(live.misses[worst]), total=format_int(live.got_through),
                cause=word(CAUSE_LABELS[worst]))  # fmt: skip
        if ref and live.crossed:
            title = T.gettext("{finding}  · ┃ as written").format(finding=title)
        self.chain.text = (
            f"<div class='title' data-testid='chain-title'>{html.escape(title)}</div>"
            f"<div class='chain' data-testid='chain'>{''.join(rows)}</div>"
        )

    def _update_network(self, live: Snapshot) -> None:
        edges: dict[str, list[Any]] = {"xs": [], "ys": [], "colour": [], "width": [], "alpha": []}
        heads: dict[str, list[Any]] = {"x": [], "y": [], "angle": [], "colour": []}
        labels: dict[str, list[Any]] = {"x": [], "y": [], "text": [], "colour": []}
        dots: dict[str, list[float]] = {"x": [], "y": []}
        for link in live.links:
            curve, bend = self.curves[(link.sender, link.receiver)]
            colour = "#7a8494" if link.up else COLOURS["late"]
            points = [curve(k / 24) for k in range(25)]
            edges["xs"].append([p[0] for p in points])
            edges["ys"].append([p[1] for p in points])
            edges["colour"].append(colour)
            edges["width"].append(1.5 + 7.0 * link.trust)
            edges["alpha"].append(0.55 if link.up else 0.9)
            (x1, y1), (x2, y2) = curve(0.96), curve(1.0)
            heads["x"].append(x2)
            heads["y"].append(y2)
            heads["angle"].append(math.atan2(y2 - y1, x2 - x1) - math.pi / 2)
            heads["colour"].append(colour)
            for fraction in link.in_flight:
                x, y = curve(min(max(fraction, 0.0), 1.0))
                dots["x"].append(x)
                dots["y"].append(y)
            if bend >= 0.35:
                continue  # the way back of a pair: drawn, labelled on the way out
            x, y = curve(0.5)
            state = T.gettext("trust {value}").format(value=_g(link.trust))
            if link.prior is not None:  # adaptive: ▲ or ▼ where its track record has taken it from its prior
                moved = link.trust - link.prior
                state = T.gettext("trust {value}").format(value=format_decimal(link.trust, 2))
                state += "▲" if moved > 5e-3 else "▼" if moved < -5e-3 else ""
            if not link.up:
                state = T.ngettext("DOWN · {count} held", "DOWN · {count} held", link.held).format(
                    count=format_int(link.held))  # fmt: skip
            labels["x"].append(x)
            labels["y"].append(y)
            labels["text"].append(state)
            labels["colour"].append(INK if link.up else COLOURS["late"])
        nodes: dict[str, list[Any]] = {k: [] for k in ("x", "y", "colour", "code", "sub", "y_code", "y_sub")}
        for code, (x, y) in self.positions.items():
            nodes["x"].append(x)
            nodes["y"].append(y)
            nodes["colour"].append(self.agency_colour[code])
            nodes["code"].append(code)
            watch = live.watchlists.get(code, 0)
            nodes["sub"].append(T.ngettext("knows {count}", "knows {count}", watch).format(count=format_int(watch)))
            nodes["y_code"].append(y + 0.17)
            nodes["y_sub"].append(y - 0.22)
        self.edges.data = edges
        self.heads.data = heads
        self.edge_labels.data = labels
        self.dots.data = dots
        self.nodes.data = nodes
        down = sum(1 for link in live.links if not link.up)
        title = T.ngettext("Sharing network: ● {count} alert in flight", "Sharing network: ● {count} alerts in flight",
                           live.alerts_in_flight).format(count=format_int(live.alerts_in_flight))  # fmt: skip
        if down:
            title = T.ngettext("{network} · {count} link down", "{network} · {count} links down", down).format(
                network=title, count=format_int(down))  # fmt: skip
        self.network_title.text = f"<div class='title' data-testid='network-title'>{html.escape(title)}</div>"


def requested_language(doc: Document, default: str) -> str:
    """The page's first language: the address's ``?lang=fr`` if it names one, else the server's `default`.

    A link per language lets a facilitator send each group the page in its own language; an
    unknown value is ignored (the page opens in the server's language, and its switch still works).
    """
    try:
        values = doc.session_context.request.arguments.get("lang") or []
    except AttributeError:  # no request (a document made outside a server)
        return default
    for raw in values[:1]:
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        try:
            return check_language(text, "?lang=")
        except LanguageError:
            return default
    return default


def page_url(host: str, port: int) -> str:
    """The address to open: ``http://HOST:PORT/`` (IPv6 hosts in brackets; 0.0.0.0 shown as this machine)."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


_collection_pending = False


def _release(context: Any) -> None:
    """A session is gone (its tab closed): soon, collect its runs and give the memory back.

    Once for all the sessions that close together (a full collection takes a moment).
    """
    global _collection_pending
    if _collection_pending:
        return
    _collection_pending = True

    def collect() -> None:
        global _collection_pending
        _collection_pending = False
        gc.collect()
        _trim_heap()

    from tornado.ioloop import IOLoop

    IOLoop.current().call_later(1.0, collect)


def _trim_heap() -> None:
    """Return freed heap memory to the system (glibc only; elsewhere nothing to do)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def make_server(path: str, host: str = "127.0.0.1", port: int = 5006, allow_origins: Sequence[str] = (),
                io_loop: Any = None, lang: str | None = None) -> Any:  # fmt: skip
    """The workshop page's Bokeh server, listening but not yet started (`serve` runs it).

    Args:
        path: the scenario file (checked before anything listens).
        host: the address to listen on.
        port: the port; 0 picks a free one.
        allow_origins: ``HOST:PORT`` origins allowed besides the served address (``--allow-origin``).
        io_loop: the tornado IOLoop to run on (default: the current one).
        lang: the language every page starts in (``--lang``; default: ``TABLETOP_LANG``, else English);
            each participant can switch their own page.

    Returns:
        a started-able ``bokeh.server.server.Server``; its websocket accepts only the origins of
        `sim.dashboard.origins.allowed_origins` (docs/dashboard.md, "Who can connect").

    Raises:
        sim.errors.ScenarioError: if the scenario is not valid.
        ValueError: if an origin of `allow_origins` is not ``HOST:PORT``.
        sim.i18n.LanguageError: if `lang` is not a language of `sim.i18n.LANGUAGES`.
        OSError: if the port is taken.
    """
    from bokeh.application import Application
    from bokeh.application.handlers.function import FunctionHandler
    from bokeh.server.server import Server

    choices = shipped_scenarios(path)  # validates the given scenario first
    lang = check_language(lang) if lang else language()
    if port == 0:
        port = free_port(host)
    origins = allowed_origins(host, port, allow_origins)

    def make_page(doc: Document) -> None:
        WorkshopPage(doc, path, choices, requested_language(doc, lang))
        doc.on_session_destroyed(_release)

    server = Server(
        {"/": Application(FunctionHandler(make_page))},
        address=host,
        port=port,
        # Bokeh's own list parser cannot read an IPv6 "[::1]:5006"; those are added below.
        allow_websocket_origin=[o for o in origins if not o.startswith("[")],
        num_procs=1,
        io_loop=io_loop,
        # A closed tab's session (its runs and its document) is let go a few seconds later,
        # not Bokeh's default of 15 to 30 s: a room of laptops reloading keeps memory flat.
        check_unused_sessions_milliseconds=CHECK_UNUSED_MS,
        unused_session_lifetime_milliseconds=UNUSED_SESSION_MS,
    )
    allowed = server._tornado.websocket_origins  # the set the websocket handler checks each Origin against
    allowed.clear()
    allowed.update(origins)
    return server


def serve(path: str, host: str = "127.0.0.1", port: int = 5006, announce: Callable[[str], None] = print,
          allow_origins: Sequence[str] = (), lang: str | None = None) -> None:  # fmt: skip
    """Serve the workshop page until Ctrl-C (KeyboardInterrupt), then stop cleanly.

    Args:
        path: the scenario file (checked before the server starts).
        host: the address to listen on; loopback unless asked otherwise.
        port: the port; 0 picks a free one.
        announce: called with the page's address once the server listens.
        allow_origins: ``HOST:PORT`` origins whose pages may also drive the page (``--allow-origin``).
        lang: the language the pages start in (``--lang``; default: ``TABLETOP_LANG``, else English).

    Raises:
        sim.errors.ScenarioError: if the scenario is not valid (nothing is served).
        ValueError: if an origin of `allow_origins` is not ``HOST:PORT``.
        OSError: if the port is taken.
    """
    server = make_server(path, host, port, allow_origins, lang=lang)
    server.start()
    announce(page_url(host, server.port))
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
