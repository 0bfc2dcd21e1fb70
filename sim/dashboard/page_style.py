"""The look of the workshop page: colours, fonts, the page template and the style sheets.

Bokeh models belong to one document each: a style sheet shared by two pages makes the
second fail ("Models must be owned by only a single document"). So the CSS lives here as
text, and `page_styles` makes fresh style sheets for every page (every browser tab).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bokeh.models import InlineStyleSheet
from jinja2 import Template

from sim.debrief.run_figures import COLOURS

INK = "#1d2330"
MUTED = "#5b6472"
FONT = "'DejaVu Sans', 'Segoe UI', Helvetica, Arial, sans-serif"

# Bokeh's own page template writes <html lang="en"> outside any block: this one is Bokeh's
# file.html.jinja with the page's language and direction (template variables `lang`, `dir`).
PAGE_TEMPLATE = Template(
    """{% from macros import embed %}
<!DOCTYPE html>
<html lang="{{ lang | default('en') | e }}" dir="{{ dir | default('ltr') | e }}">
<head>
  <meta charset="utf-8">
  <title>{{ title | e if title else "tabletop" }}</title>
  <style>
    html, body { box-sizing: border-box; display: flow-root; height: 100%; margin: 0; padding: 0; }
    html, body { background: #eef1f5; color: """
    + INK
    + """; font-family: """
    + FONT
    + """; }
    body { overflow-x: hidden; }
  </style>
  {{ bokeh_css if bokeh_css }}
  {{ bokeh_js if bokeh_js }}
</head>
<body>
  {% for doc in docs %}
  {{ embed(doc) if doc.elementid }}
  {% for root in doc.roots %}
  {{ embed(root) }}
  {% endfor %}
  {% endfor %}
  {{ plot_script | indent(4) }}
</body>
</html>"""
)

WIDGET_CSS = f"""
:host {{ font-size: 17px; --font-size: 17px; font-family: {FONT}; color: {INK}; }}
.bk-slider-title, label, .bk-input-group > label {{ font-size: 17px; font-weight: 600; color: {INK}; }}
.bk-slider-value {{ font-weight: 700; color: #0072B2; }}
.bk-input, select, input {{ font-size: 17px; min-height: 38px; }}
.bk-btn {{ font-size: 17px; font-weight: 600; min-height: 42px; border-radius: 8px; }}
.noUi-handle {{ width: 26px !important; height: 26px !important; right: -13px !important; top: -9px !important;
                border-radius: 50%; }}
.noUi-connect {{ background: #0072B2; }}
/* Right to left (Arabic): the slider is mirrored (its Slider.direction is "rtl", set with the language). In
   a page whose <html dir> is rtl when a slider is drawn, noUiSlider moves each origin from the left, so
   the handle sits at the origin's left edge. (Bokeh redraws a slider when its direction changes, after
   the language switch has set <html dir>.) */
:host-context(html[dir="rtl"]) .noUi-horizontal .noUi-handle {{ left: -13px !important; right: auto !important; }}
/* A long title or label (French runs a third longer than English) wraps instead of being cut. */
.bk-slider-title, .bk-btn, label {{ white-space: normal; overflow-wrap: anywhere; }}
"""

CARD_CSS = f"""
:host {{ font-family: {FONT}; color: {INK}; width: 100%; }}
.bk-clearfix {{ width: 100%; }}
.cards {{ display: flex; gap: 14px; flex-wrap: wrap; }}
.card {{ background: white; border-radius: 12px; padding: 12px 20px; box-shadow: 0 1px 3px rgba(0,0,0,0.12);
         min-width: 170px; flex: 1 1 0; }}
.through {{ flex: 1.7 1 0; min-width: 340px; }}
.wrongful {{ min-width: 280px; flex: 1 1 0; border-inline-start: 10px solid #CC79A7; }}
.hero {{ min-width: 330px; flex: 1.2 1 0; border-inline-start: 10px solid {COLOURS["detected"]}; }}
.label {{ font-size: 17px; color: {MUTED}; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; }}
:host-context(html[dir="rtl"]) .label {{ letter-spacing: 0; }}  /* spacing breaks the joined letters of Arabic */
.big {{ font-size: 76px; font-weight: 800; line-height: 1.0; margin: 4px 0; }}
.mid {{ font-size: 48px; font-weight: 800; line-height: 1.05; margin: 6px 0; }}
.sub {{ font-size: 18px; color: {MUTED}; }}
.delta {{ font-size: 20px; font-weight: 700; margin-top: 4px; }}
.up {{ color: {COLOURS["detected"]}; }} .down {{ color: {COLOURS["late"]}; }} .same {{ color: {MUTED}; }}
.chips {{ display: flex; flex-direction: column; gap: 3px; margin-top: 4px; }}
.chip {{ font-size: 17px; display: flex; align-items: center; gap: 8px; }}  /* a long cause wraps, never cut */
.sw {{ width: 16px; height: 16px; border-radius: 3px; display: inline-block; flex: none; }}
.chip b {{ min-width: 34px; text-align: end; display: inline-block; flex: none; }}
.ref {{ color: {MUTED}; font-size: 15px; }}
.side {{ font-size: 21px; font-weight: 800; margin-top: 6px; }}
"""

HEADER_CSS = f"""
:host {{ font-family: {FONT}; color: {INK}; width: 100%; }}
.bk-clearfix {{ width: 100%; }}
.head {{ display: flex; justify-content: space-between; align-items: flex-end; gap: 24px; }}
.title {{ font-size: 34px; font-weight: 800; }}
.brand {{ color: #0072B2; }}
.teach {{ font-size: 18px; color: {MUTED}; max-width: 1100px; margin-top: 4px; }}
.clock {{ text-align: end; white-space: nowrap; }}
.day {{ font-size: 44px; font-weight: 800; line-height: 1.0; }}
.of {{ font-size: 18px; color: {MUTED}; }}
.bar {{ margin-top: 6px; height: 10px; width: 320px; background: #d5dbe3; border-radius: 5px; overflow: hidden;
        margin-inline-start: auto; }}
.fill {{ height: 100%; background: #0072B2; }}
"""

SMALL_CSS = f"""
:host {{ font-family: {FONT}; color: {MUTED}; font-size: 14px; width: 100%; }}
code {{ font-size: 14px; color: {INK}; word-break: break-all; display: inline-block; max-width: 100%;
        direction: ltr; text-align: left; }}  /* the command line reads left to right, on a right-to-left page too */
.err {{ color: #b00020; font-size: 16px; font-weight: 700; }}
"""

TITLE_CSS = f"""
:host {{ font-family: {FONT}; color: {INK}; width: 100%; }}
.title {{ font-size: 21px; font-weight: 700; padding: 10px 18px 0 18px; line-height: 1.25; overflow-wrap: anywhere; }}
"""

# The chain: stage | count | bar | what dropped out. The text columns take the width they need
# (max-content); the bar takes what is left, so no label is ever cut at any page width.
CHAIN_CSS = TITLE_CSS + f"""
.chain {{ display: grid; grid-template-columns: max-content max-content minmax(90px, 1fr) max-content;
          column-gap: 12px; row-gap: 10px; align-items: center; padding: 12px 18px 16px 18px; }}
.stage {{ font-size: 17px; text-align: end; white-space: nowrap; }}
.count {{ font-size: 17px; font-weight: 700; text-align: end; min-width: 3ch; }}
.track {{ position: relative; height: 34px; }}
.track > div {{ position: absolute; top: 0; height: 100%; }}
.full {{ inset-inline-start: 0; background: #eeeeee; }}
.kept {{ inset-inline-start: 0; }}
.mark {{ width: 5px; margin-inline-start: -2px; top: -4px !important; height: 42px !important; background: {INK}; }}
.why {{ font-size: 16px; font-weight: 700; white-space: nowrap; }}
"""

PANEL_CSS = """:host { background: white; border-radius: 12px; box-shadow: 0 1px 3px rgba(0,0,0,0.12); }"""

# A figure with axes keeps a left-to-right canvas in a right-to-left page: time runs left to right,
# and its legend's labels follow their swatches. Each label is one run of text, which the browser
# still shapes and orders right to left when it is Arabic.
LTR_CSS = """:host { direction: ltr; }"""


@dataclass(frozen=True)
class PageStyles:
    """The style sheets of one page (one Bokeh document)."""

    widget: InlineStyleSheet
    card: InlineStyleSheet
    header: InlineStyleSheet
    small: InlineStyleSheet
    panel: InlineStyleSheet
    title: InlineStyleSheet
    chain: InlineStyleSheet
    ltr: InlineStyleSheet


def page_styles() -> PageStyles:
    """Fresh style sheets for one page: never share them between documents."""
    return PageStyles(
        widget=InlineStyleSheet(css=WIDGET_CSS),
        card=InlineStyleSheet(css=CARD_CSS),
        header=InlineStyleSheet(css=HEADER_CSS),
        small=InlineStyleSheet(css=SMALL_CSS),
        panel=InlineStyleSheet(css=PANEL_CSS),
        title=InlineStyleSheet(css=TITLE_CSS),
        chain=InlineStyleSheet(css=CHAIN_CSS),
        ltr=InlineStyleSheet(css=LTR_CSS),
    )


def style_figure(plot: Any, title_size: str = "21px") -> None:
    """Give a Bokeh figure the page's look: large type for a projector, no toolbar."""
    plot.title.text_font_size = title_size
    plot.title.text_font_style = "bold"
    plot.title.text_color = INK
    plot.title.text_font = "DejaVu Sans"
    plot.toolbar_location = None
    plot.outline_line_color = None
    plot.background_fill_color = "white"
    plot.border_fill_color = "white"
    for axis in (*plot.xaxis, *plot.yaxis):
        axis.axis_label_text_font_size = "17px"
        axis.axis_label_text_font_style = "normal"
        axis.major_label_text_font_size = "16px"
        axis.axis_line_color = "#888888"
    plot.grid.grid_line_color = "#ececec"
    plot.min_border = 18
