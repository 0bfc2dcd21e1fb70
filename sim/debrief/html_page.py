"""Building blocks of the self-contained HTML reports (runs, comparisons, sweeps).

A report is one file: figures are inlined as PNG data URIs, the style sheet is
inline, nothing is loaded from the network, and it prints cleanly.

A page is written in the current language (`sim.i18n`): ``<html lang=".." dir="..">``, and a
style sheet in CSS logical properties (``margin-inline-start``, ``text-align: start``), so that
a right-to-left page (Arabic) mirrors its layout without a second style sheet.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from typing import Any

from sim.i18n import direction, format_int, format_number, language

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans Arabic", "DejaVu Sans",
       sans-serif; color: #1b1b1b; max-width: 1100px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45;
       overflow-wrap: break-word; }
:lang(ar) body, body:lang(ar) { line-height: 1.7; }
h1 { font-size: 1.8em; margin-bottom: 0.2em; }
h2 { font-size: 1.35em; border-bottom: 2px solid #d0d7de; padding-bottom: 0.2em; margin-top: 1.8em; }
h3 { font-size: 1.1em; }
.lead { font-size: 1.1em; color: #444; unicode-bidi: plaintext; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.95em; max-width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 0.35em 0.7em; text-align: start; vertical-align: top; }
th { background: #f3f5f7; }
td.num, th.num { text-align: end; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
figure { margin: 1.2em 0; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #e5e8eb; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.3em; }
.finding { background: #f6f8fa; border-inline-start: 4px solid #0072B2; padding-block: 0.5em;
           padding-inline: 0.9em; margin-block: 0.6em; }
bdi, .id { unicode-bidi: isolate; }
.meta { color: #555; font-size: 0.9em; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } }
"""


def escape(value: Any) -> str:
    """HTML-escape any value's text."""
    return html.escape("" if value is None else str(value))


def png_data_uri(png: bytes) -> str:
    """PNG bytes as a data URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figure_html(uri: str, caption: str, alt: str | None = None) -> str:
    """An inlined figure with its caption."""
    return (
        f'<figure><img src="{uri}" alt="{escape(alt or caption)}"><figcaption>{escape(caption)}</figcaption></figure>'
    )


def cell(value: Any) -> str:
    """A table cell's text: numbers in the current language's conventions (`sim.i18n`), the rest as it is.

    In English numbers are written as Python writes them (``3034``), as they always were.
    """
    if isinstance(value, bool) or value is None or language() in ("en", "qps"):
        return "" if value is None else str(value)
    if isinstance(value, int):
        return format_int(value)
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def table_html(columns: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[bool] | None = None,
               written: Sequence[bool] | None = None) -> str:
    """A table; columns flagged in `numeric` are aligned to the end of the line (right, or left in Arabic).

    Numbers are written in the current language's conventions (`cell`). Columns flagged in
    `written` hold what the trainer wrote (in any language): their cells take the direction of
    their own text (``dir="auto"``), an English note in an Arabic page reads left to right.
    """
    numeric = list(numeric) if numeric is not None else [False] * len(columns)
    autos = [' dir="auto"' if w else "" for w in written] if written is not None else [""] * len(columns)
    head = "".join(f'<th class="{"num" if n else ""}">{escape(c)}</th>' for c, n in zip(columns, numeric, strict=True))
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"num" if n else ""}"{a}>{escape(cell(v))}</td>'
                  for v, n, a in zip(row, numeric, autos, strict=True))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def written(text: Any) -> str:
    """What the trainer wrote (a name, a note), escaped and isolated: it keeps its own direction in any page."""
    return f"<bdi>{escape(text)}</bdi>"


def page(title: str, body: str) -> str:
    """A whole self-contained HTML page, in the current language and its direction (``dir="rtl"`` in Arabic)."""
    code = "en" if language() == "qps" else language()
    return (
        f'<!DOCTYPE html>\n<html lang="{code}" dir="{direction()}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )
