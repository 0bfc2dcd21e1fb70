"""Building blocks of the self-contained HTML reports (runs, comparisons, sweeps).

A report is one file: figures are inlined as PNG data URIs, the style sheet is
inline, nothing is loaded from the network, and it prints cleanly.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from typing import Any

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
       max-width: 1100px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.8em; margin-bottom: 0.2em; }
h2 { font-size: 1.35em; border-bottom: 2px solid #d0d7de; padding-bottom: 0.2em; margin-top: 1.8em; }
h3 { font-size: 1.1em; }
.lead { font-size: 1.1em; color: #444; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.95em; }
th, td { border: 1px solid #d0d7de; padding: 0.35em 0.7em; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.2em 0; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #e5e8eb; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.3em; }
.finding { background: #f6f8fa; border-left: 4px solid #0072B2; padding: 0.5em 0.9em; margin: 0.6em 0; }
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


def table_html(columns: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[bool] | None = None) -> str:
    """A table; columns flagged in `numeric` are right-aligned."""
    numeric = list(numeric) if numeric is not None else [False] * len(columns)
    head = "".join(f'<th class="{"num" if n else ""}">{escape(c)}</th>' for c, n in zip(columns, numeric, strict=True))
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"num" if n else ""}">{escape(v)}</td>' for v, n in zip(row, numeric, strict=True))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, body: str) -> str:
    """A whole self-contained HTML page."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )
