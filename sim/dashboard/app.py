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
import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bokeh.document import Document
from bokeh.layouts import column, row
from bokeh.models import (
    Button,
    ColumnDataSource,
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

from sim.dashboard.origins import allowed_origins
from sim.dashboard.page_style import INK, MUTED, PAGE_TEMPLATE, page_styles, style_figure
from sim.dashboard.session import Session, Snapshot, shipped_scenarios
from sim.debrief.run_figures import network_layout
from sim.debrief.run_tables import chain_stages
from sim.vocabulary import CAUSE_LABELS, CAUSES, COLOURS, KIND_COLOURS

PLAY_TICK_MS = 150
CHECK_UNUSED_MS = 2_000
UNUSED_SESSION_MS = 3_000
SPEEDS = {"1 day a second": 1.0, "4 days a second": 4.0, "10 days a second": 10.0}
DEFAULT_SPEED = "4 days a second"
# The sliders' ranges, kept here: a browser can send any value, or change a slider's own start and end.
SLIDER_RANGES = {"delay_scale": (0.0, 3.0), "trust": (0.0, 1.0), "coverage": (0.0, 1.0), "biometric": (0.0, 1.0),
                 "verify_catches": (0.0, 1.0), "retention_days": (5.0, 370.0)}
RETENTION_KEPT = SLIDER_RANGES["retention_days"][1]  # the retention slider's last notch: kept for the whole exercise
RETENTION_STEP = 5.0
WRONGFUL_COLOUR = "#CC79A7"  # Okabe-Ito reddish purple: not a colour of the miss causes
WRONGFUL_LABELS = {"ordinary": "namesakes", "innocent_subject": "innocent subjects", "pnr": "PNR flags"}
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
    day = int(hours // 24)
    minutes = int(round((hours - 24 * day) * 60))
    if minutes >= 24 * 60:
        day, minutes = day + 1, 0
    return f"Day {day} · {minutes // 60:02d}:{minutes % 60:02d}"


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
    """

    def __init__(self, doc: Document, path: str, choices: list[tuple[str, str]] | None = None):
        self.doc = doc
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
        self._build()
        self._layout_network()
        self.refresh()
        doc.title = "tabletop · workshop"
        doc.template = PAGE_TEMPLATE
        doc.add_root(self.root)

    # ------------------------------------------------------------ building

    def _build(self) -> None:
        s = self.session.settings
        self.header = Div(stylesheets=[self.styles.header], sizing_mode="stretch_width", css_classes=["tt-header"])
        self.cards = Div(stylesheets=[self.styles.card], sizing_mode="stretch_width", css_classes=["tt-cards"])
        self.footer = Div(stylesheets=[self.styles.small], sizing_mode="stretch_width", css_classes=["tt-footer"])
        self.status = Div(stylesheets=[self.styles.small], sizing_mode="stretch_width", css_classes=["tt-status"])

        def widget(kind: type, css: str, **options: Any) -> Any:
            return kind(stylesheets=[self.styles.widget], css_classes=[css], sizing_mode="stretch_width", **options)

        options = [(key, label) for key, (label, _) in self.scenarios.items()]
        self.chooser = widget(Select, "tt-scenario", title="Scenario", value=self.scenario_key, options=options)
        def ends(name: str) -> dict[str, float]:
            return dict(zip(("start", "end"), SLIDER_RANGES[name], strict=True))

        self.delay = widget(Slider, "tt-delay", title="Sharing delay ×", step=0.05, value=s.delay_scale,
                            format="0.00", **ends("delay_scale"))  # fmt: skip
        self.trust = widget(Slider, "tt-trust", title="Default trust", step=0.05, value=s.trust, format="0.00",
                            **ends("trust"))  # fmt: skip
        self.coverage = widget(Slider, "tt-coverage", title="Intelligence coverage", step=0.01,
                               value=s.coverage or 0.0, format="0%", disabled=s.coverage is None,
                               **ends("coverage"))  # fmt: skip
        self.biometric = widget(Slider, "tt-biometric", title="Biometric identifiers", step=0.01,
                                value=s.biometric or 0.0, format="0%", disabled=s.biometric is None,
                                **ends("biometric"))  # fmt: skip
        self.verify = widget(Slider, "tt-verify", title="Verification catches", step=0.05,
                             value=s.verify_catches, format="0%", **ends("verify_catches"))  # fmt: skip
        kept = CustomJSTickFormatter(args={"kept": RETENTION_KEPT},
                                     code="return tick >= kept ? 'kept' : tick.toFixed(0) + ' days'")  # fmt: skip
        self.retention = widget(Slider, "tt-retention", title="Watchlist retention", step=RETENTION_STEP,
                                value=self._retention_value(s.retention_days), format=kept,
                                **ends("retention_days"))  # fmt: skip
        self.adaptive = widget(Toggle, "tt-adaptive", label=self._adaptive_label(s.adaptive), active=s.adaptive)
        self.seed = widget(Spinner, "tt-seed", title="Seed", low=SEED_RANGE[0], high=SEED_RANGE[1], step=1,
                           value=s.seed, mode="int")  # fmt: skip
        self.compare = widget(Toggle, "tt-compare", label="Compare with as written", active=False)
        self.restore = widget(Button, "tt-restore", label="↺ Settings as written")
        self.play = widget(Toggle, "tt-play", label="▶ Play", button_type="success")
        self.speed = widget(Select, "tt-speed", title="Play speed", value=DEFAULT_SPEED, options=list(SPEEDS))
        self.hour = widget(Button, "tt-hour", label="+1 hour")
        self.day = widget(Button, "tt-day", label="+1 day")
        self.end = widget(Button, "tt-end", label="▶▶ Run to the end", button_type="primary")
        self.reset = widget(Button, "tt-reset", label="◀◀ Back to day 0")

        for slider, name in ((self.delay, "delay_scale"), (self.trust, "trust"), (self.coverage, "coverage"),
                             (self.biometric, "biometric"), (self.verify, "verify_catches")):  # fmt: skip
            slider.on_change("value_throttled", self._on_setting(name))
        self.retention.on_change("value_throttled", lambda attr, old, new: self._on_retention(new))
        self.adaptive.on_change("active", lambda attr, old, new: self._on_adaptive(new))
        self.seed.on_change("value", lambda attr, old, new: self._on_seed(new))
        self.chooser.on_change("value", lambda attr, old, new: self._on_scenario(new))
        self.speed.on_change("value", lambda attr, old, new: self._on_speed(old, new))
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

        heading = Div(text="<div class='side'>What if…</div>", stylesheets=[self.styles.card])
        clock_heading = Div(text="<div class='side'>Clock</div>", stylesheets=[self.styles.card])
        controls = column(
            heading, self.chooser, self.delay, self.trust, self.adaptive, self.coverage, self.biometric, self.verify,
            self.retention, self.seed,
            self.compare, self.restore, clock_heading, self.play, row(self.hour, self.day, sizing_mode="stretch_width"),
            self.end, self.reset, self.speed, self.status,
            width=360, stylesheets=[self.styles.panel], css_classes=["tt-controls"],
        )  # fmt: skip
        self.over_time_title = self._title_div("tt-over-time-title")
        self.network_title = self._title_div("tt-network-title")
        over_time = self._titled(self.over_time, self.over_time_title, "tt-over-time-panel", self.styles.panel)
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

    def _build_over_time(self) -> None:
        plot = figure(height=400, sizing_mode="stretch_width", x_axis_label="day of the exercise",
                      y_axis_label="travellers", tools="", css_classes=["tt-over-time"])  # fmt: skip
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
        self.over_time = plot
        self._rebuild_inject_marks()
        self.ref_items = [LegendItem(label="as written (dashed)", renderers=[ref_d, ref_t])]
        legend = Legend(
            items=[
                LegendItem(label="stopped", renderers=[detected]),
                LegendItem(label="got through", renderers=[through]),
                LegendItem(label="on the way", renderers=[area]),
                *self.ref_items,
            ],
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
        return "Adaptive trust: on (learns)" if on else "Adaptive trust: off (fixed)"

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

    def _rebuild_inject_marks(self) -> None:
        plot = self.over_time
        for _, span, label in self.inject_marks:
            span.visible = False
            label.visible = False
        self.inject_marks = []
        for k, inject in enumerate(sorted(self.session.scenario.injects, key=lambda i: i.day)):
            text = inject.note or inject.subject or inject.kind.replace("_", " ")
            if len(text) > 38:
                text = text[:36] + "…"
            span = Span(location=inject.day, dimension="height", line_color="#444444", line_dash="dashed",
                        line_width=2, line_alpha=0.35)  # fmt: skip
            label = Label(x=inject.day, y=8 + 24 * (k % 3), y_units="screen", text=f" ▲ day {inject.day:g}: {text}",
                          text_font_size="14px", text_color="#444444", text_alpha=0.5,
                          background_fill_color="white", background_fill_alpha=0.8)  # fmt: skip
            plot.add_layout(span)
            plot.add_layout(label)
            self.inject_marks.append((inject.day * 24.0, span, label))
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
            self.play.label = "❚❚ Pause"
            if self._play_callback is None:
                self._play_callback = self.doc.add_periodic_callback(self._tick, PLAY_TICK_MS)
        else:
            self.play.label = "▶ Play"
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
        """Read the runs and update every view."""
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
        self.footer.text = (
            f"Reproduce this run: <code data-testid='command'>{html.escape(self.session.command())}</code>"
            f" &nbsp;·&nbsp; fictional countries, synthetic travellers"
            f" &nbsp;·&nbsp; updated in <span data-testid='update-ms'>{self._last_ms:.0f}</span> ms"
        )

    def _update_header(self, live: Snapshot) -> None:
        scenario = self.session.scenario
        teach = " ".join(scenario.description.split())
        first = ". ".join(teach.split(". ")[:2]).rstrip(".") + "." if teach else ""
        if len(first) > 260:
            first = first[:258] + "…"
        share = min(live.hours / live.horizon_hours, 1.0) if live.horizon_hours else 1.0
        self.header.text = (
            "<div class='head'><div>"
            f"<div class='title'><span class='brand'>tabletop</span> · {html.escape(scenario.name)}</div>"
            f"<div class='teach' title='{html.escape(teach)}'>{html.escape(first)}</div></div>"
            f"<div class='clock'><div class='day' data-testid='clock' data-hours='{live.hours:.4f}'>"
            f"{_clock_text(live.hours)}</div>"
            f"<div class='of'>of {live.horizon_hours / 24:g} days"
            f"{' · run finished' if live.finished else ''}</div>"
            f"<div class='bar'><div class='fill' style='width:{100 * share:.1f}%'></div></div></div></div>"
        )

    def _update_cards(self, live: Snapshot, ref: Snapshot | None) -> None:
        rate = f" · {live.detection_rate:.0%}" if live.detection_rate is not None else ""
        delta = ""
        if ref is not None:
            diff = live.detected - ref.detected
            klass = "up" if diff > 0 else "down" if diff < 0 else "same"
            delta = (
                f"<div class='delta {klass}' data-testid='delta'>{diff:+d} vs. as written "
                f"(<span data-testid='detected-as-written'>{ref.detected}</span>)</div>"
            )
        chips = "".join(
            f"<div class='chip'><span class='sw' style='background:{COLOURS[c]}'></span>"
            f"<b data-testid='miss-{c}'>{live.misses[c]}</b> {CAUSE_LABELS[c]}"
            + (f" <span class='ref'>({ref.misses.get(c, 0)})</span>" if ref is not None else "")
            + "</div>"
            for c in CAUSES
            if c in live.misses
        )
        through_ref = f" <span class='ref'>as written {ref.got_through}</span>" if ref is not None else ""
        self.cards.text = (
            "<div class='cards'>"
            "<div class='card hero'><div class='label'>Stopped at a border</div>"
            f"<div class='big' style='color:{COLOURS['detected']}' data-testid='detected'>{live.detected}</div>"
            f"<div class='sub'>of {live.crossed} journeys decided{rate}</div>{delta}</div>"
            f"{self._wrongful_card(live, ref)}"
            "<div class='card through'><div class='label'>Got through</div>"
            f"<div class='mid' style='color:{COLOURS['late']}' data-testid='got-through'>{live.got_through}"
            f"{through_ref}</div><div class='chips'>{chips}</div></div>"
            "<div class='card'><div class='label'>On the way</div>"
            f"<div class='mid' data-testid='en-route'>{live.en_route}</div>"
            f"<div class='sub'>{live.not_departed} not yet left</div>"
            f"<div class='label' style='margin-top:10px'>Alerts in flight</div>"
            f"<div class='mid' style='color:#0072B2' data-testid='in-flight'>{live.alerts_in_flight}</div>"
            f"<div class='sub'>{live.alerts_sent} sent so far</div></div>"
            "</div>"
        )

    @staticmethod
    def _wrongful_card(live: Snapshot, ref: Snapshot | None) -> str:
        """Innocent people stopped, by kind: only when the run models the cost of sharing (else no card)."""
        if not live.costs_modelled:
            return ""
        total = live.wrongly_stopped
        stops = live.detected + total
        precision = f"{live.detected / stops:.0%} of stops were persons of interest" if stops else "nobody stopped yet"
        delta = ""
        if ref is not None and not ref.costs_modelled:
            delta = "<div class='delta same' data-testid='wrongful-delta'>as written: not modelled</div>"
        elif ref is not None:
            diff = total - ref.wrongly_stopped
            klass = "down" if diff > 0 else "up" if diff < 0 else "same"  # fewer innocents stopped is better
            delta = (
                f"<div class='delta {klass}' data-testid='wrongful-delta'>{diff:+d} vs. as written "
                f"(<span data-testid='wrongful-as-written'>{ref.wrongly_stopped}</span>)</div>"
            )
        chips = "".join(
            f"<div class='chip'><b data-testid='wrongful-{kind}'>{count}</b> {WRONGFUL_LABELS.get(kind, kind)}"
            + (f" <span class='ref'>({ref.wrongful.get(kind, 0)})</span>" if ref and ref.costs_modelled else "")
            + "</div>"
            for kind, count in live.wrongful.items()
        )
        return (
            "<div class='card wrongful'><div class='label'>Wrongly stopped</div>"
            f"<div class='mid' style='color:{WRONGFUL_COLOUR}' data-testid='wrongful'>{total}</div>"
            f"<div class='chips'>{chips}</div><div class='sub'>{precision}</div>{delta}</div>"
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
            title = "Day by day: press ▶ Play"
        else:
            title = f"Day {live.hours / 24.0:.0f}: {live.detected} stopped · {live.got_through} through"
        self.over_time_title.text = f"<div class='title' data-testid='over-time-title'>{html.escape(title)}</div>"

    def _update_chain(self, live: Snapshot, ref: Snapshot | None) -> None:
        stages = chain_stages(live.chain_summary())
        ref_kept = {name: kept for name, kept, _, _ in chain_stages(ref.chain_summary())} if ref is not None else {}
        scale = max(float(live.crossed), float(ref.crossed) if ref is not None else 0.0, 1.0)

        def share(count: float) -> str:
            return f"{100.0 * min(max(count / scale, 0.0), 1.0):.2f}%"

        rows = []
        for name, count, cause, drop in stages:
            colour = COLOURS["detected"] if cause == "screening_miss" else COLOURS["flow"]
            bars = (
                f"<div class='full' style='width:{share(live.crossed)}'></div>"
                f"<div class='kept' style='width:{share(count)};background:{colour}'></div>"
            )
            why = ""
            if cause and drop > 0:
                bars += (f"<div class='drop' style='left:{share(count)};width:{share(drop)};"
                         f"background:{COLOURS[cause]}'></div>")  # fmt: skip
                tone = COLOURS[cause] if cause != "no_intel" else MUTED
                why = f"<span style='color:{tone}'>−{drop:g} {html.escape(CAUSE_LABELS[cause])}</span>"
            if name in ref_kept:
                bars += f"<div class='mark' style='left:{share(ref_kept[name])}'></div>"
            rows.append(
                f"<div class='stage'>{html.escape(name)}</div><div class='count'>{count:g}</div>"
                f"<div class='track'>{bars}</div><div class='why'>{why}</div>"
            )
        if live.crossed == 0:
            title = "Where the chain broke: nobody has crossed a border yet"
        else:
            worst = max(live.misses, key=lambda c: live.misses[c])
            finding = f"{live.misses[worst]} of {live.got_through} misses: {CAUSE_LABELS[worst]}"
            if live.got_through == 0:
                finding = f"nowhere yet, all {live.detected} stopped"
            title = f"Where the chain broke: {finding}" + ("  · ┃ as written" if ref else "")
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
            state = f"trust {link.trust:g}"
            if link.prior is not None:  # adaptive: ▲ or ▼ where its track record has taken it from its prior
                moved = link.trust - link.prior
                state = f"trust {link.trust:.2f}" + ("▲" if moved > 5e-3 else "▼" if moved < -5e-3 else "")
            if not link.up:
                state = f"DOWN · {link.held} held"
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
            nodes["sub"].append(f"knows {watch}")
            nodes["y_code"].append(y + 0.17)
            nodes["y_sub"].append(y - 0.22)
        self.edges.data = edges
        self.heads.data = heads
        self.edge_labels.data = labels
        self.dots.data = dots
        self.nodes.data = nodes
        down = sum(1 for link in live.links if not link.up)
        title = f"Sharing network: ● {live.alerts_in_flight} alerts in flight" + (
            f" · {down} link{'s' if down != 1 else ''} down" if down else ""
        )
        self.network_title.text = f"<div class='title' data-testid='network-title'>{html.escape(title)}</div>"


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


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
                io_loop: Any = None) -> Any:  # fmt: skip
    """The workshop page's Bokeh server, listening but not yet started (`serve` runs it).

    Args:
        path: the scenario file (checked before anything listens).
        host: the address to listen on.
        port: the port; 0 picks a free one.
        allow_origins: ``HOST:PORT`` origins allowed besides the served address (``--allow-origin``).
        io_loop: the tornado IOLoop to run on (default: the current one).

    Returns:
        a started-able ``bokeh.server.server.Server``; its websocket accepts only the origins of
        `sim.dashboard.origins.allowed_origins` (docs/dashboard.md, "Who can connect").

    Raises:
        sim.errors.ScenarioError: if the scenario is not valid.
        ValueError: if an origin of `allow_origins` is not ``HOST:PORT``.
        OSError: if the port is taken.
    """
    from bokeh.application import Application
    from bokeh.application.handlers.function import FunctionHandler
    from bokeh.server.server import Server

    choices = shipped_scenarios(path)  # validates the given scenario first
    if port == 0:
        port = _free_port(host)
    origins = allowed_origins(host, port, allow_origins)

    def make_page(doc: Document) -> None:
        WorkshopPage(doc, path, choices)
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
          allow_origins: Sequence[str] = ()) -> None:  # fmt: skip
    """Serve the workshop page until Ctrl-C (KeyboardInterrupt), then stop cleanly.

    Args:
        path: the scenario file (checked before the server starts).
        host: the address to listen on; loopback unless asked otherwise.
        port: the port; 0 picks a free one.
        announce: called with the page's address once the server listens.
        allow_origins: ``HOST:PORT`` origins whose pages may also drive the page (``--allow-origin``).

    Raises:
        sim.errors.ScenarioError: if the scenario is not valid (nothing is served).
        ValueError: if an origin of `allow_origins` is not ``HOST:PORT``.
        OSError: if the port is taken.
    """
    server = make_server(path, host, port, allow_origins)
    server.start()
    announce(page_url(host, server.port))
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
