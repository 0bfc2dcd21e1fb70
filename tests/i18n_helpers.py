"""Helpers of the language tests (issue 16), shared by every domain's tests (run, sweep, page, game, room).

The pseudo-language ``qps`` (`sim.i18n.PSEUDO`) wraps every string that went through a catalogue
in ``⟦…⟧``. Render a report, a figure, a page or a prompt in it, collect its visible texts and
ask `untranslated` which of them bypassed the catalogue::

    with use_language(PSEUDO):
        fig = chain_figure(summary)
    assert untranslated(figure_texts(fig), scenario_content(scenario)) == []

`figure_texts` reads a matplotlib figure (titles, labels, tick labels, legends, annotations),
`html_texts` an HTML page (text nodes, ``alt``/``title``/``placeholder``/``aria-label``, not
scripts or styles); `overflowing_texts` asks a Playwright page which elements' text does not
fit their box, and `output_folder` gives a git-ignored ``test-output/`` folder for screenshots.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

PSEUDO_SEGMENT = re.compile(r"⟦[^⟦⟧]*⟧")
"""One translated string of the pseudo-language (innermost first: a translated word inside a sentence)."""


def strip_translated(text: str) -> str:
    """`text` without its ``⟦…⟧`` segments (nested ones too)."""
    previous = None
    while previous != text:
        previous, text = text, PSEUDO_SEGMENT.sub(" ", text)
    return text


def _has_letters(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def untranslated(texts: Iterable[str], allowed: Iterable[str] = ()) -> list[str]:
    """The texts that hold words outside the catalogue (rendered in the pseudo-language).

    A text passes when, once its ``⟦…⟧`` segments and the `allowed` strings (scenario content:
    names, ids, descriptions, as the trainer wrote them) are taken out, no letter is left: only
    numbers, punctuation, symbols and spaces. Allowed strings are removed longest first, as whole
    words (``HAL-INT`` inside ``HAL-INT → DRV-BRD``; not ``A`` inside ``Alert``).

    Returns:
        The offending texts, as they were (empty: everything went through the catalogues).
    """
    words = sorted({a for a in allowed if a and a.strip()}, key=len, reverse=True)
    patterns = [re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w])") for word in words]
    bad = []
    for text in texts:
        rest = strip_translated(str(text))
        for pattern in patterns:
            if not _has_letters(rest):
                break
            rest = pattern.sub(" ", rest)
        if _has_letters(rest):
            bad.append(str(text))
    return bad


def scenario_content(scenario: Any) -> set[str]:
    """What the trainer wrote in a scenario (shown as written in every language), plus the file's own ids.

    Names and ids of countries, agencies, groups and travellers' groups, links, the scenario's name
    and description, the injects' notes, subjects, expected actions, and the ids (``R-0001``) the
    model gives travellers and alerts.
    """
    found: set[str] = set()

    def add(value: Any) -> None:
        if isinstance(value, str) and value.strip():
            found.add(value)
            found.update(line for line in value.splitlines() if line.strip())

    add(getattr(scenario, "name", None))
    add(getattr(scenario, "description", None))
    for country in getattr(scenario, "countries", ()):
        add(country.id)
        add(country.name)
    for agency in getattr(scenario, "agencies", ()):
        add(agency.id)
        add(getattr(agency, "name", None))
    for group in getattr(getattr(scenario, "travellers", None), "groups", ()):
        add(group.name)
    for inject in getattr(scenario, "injects", ()):
        for field in ("note", "subject", "expected_action", "link", "group", "agency"):
            add(getattr(inject, field, None))
        for ident in getattr(inject, "ids", None) or ():
            add(ident)
    return found


ID_PATTERN = r"(?:[A-Z]{1,4}-\d{2,6}|[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+)"
"""Identifiers the model or the trainer gives (``R-0042``, ``A-0003``, ``HAL-INT``): never translated."""


def ids_in(texts: Iterable[str]) -> set[str]:
    """Every identifier (`ID_PATTERN`) in the texts, to pass to `untranslated` as allowed."""
    pattern = re.compile(ID_PATTERN)
    return {match for text in texts for match in pattern.findall(str(text))}


def figure_texts(fig: Any) -> list[str]:
    """Every visible, non-empty text of a matplotlib figure (drawn first, so tick labels exist).

    Titles and suptitles, axis labels, tick labels, legend entries and titles, colour bar
    labels, annotations and free texts.
    """
    from matplotlib.text import Text

    fig.canvas.draw()
    texts = []
    for artist in fig.findobj(Text):
        if not artist.get_visible():
            continue
        text = artist.get_text()
        if text and text.strip():
            texts.append(text)
    return texts


class _Visible(HTMLParser):
    HIDDEN = {"script", "style", "template", "noscript"}
    ATTRIBUTES = {"alt", "title", "placeholder", "aria-label"}
    INLINE = {"a", "abbr", "b", "bdi", "bdo", "code", "em", "i", "kbd", "mark", "q", "s", "small", "span", "strong",
              "sub", "sup", "time", "u", "var"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.hidden = 0
        self.current: list[str] = []

    def flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.texts.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.INLINE:
            self.flush()
        if tag in self.HIDDEN:
            self.hidden += 1
        for name, value in attrs:
            if name in self.ATTRIBUTES and value and value.strip():
                self.texts.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.INLINE:
            self.flush()
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.current.append(data)


def html_texts(html: str) -> list[str]:
    """The visible texts of an HTML page, one per block (a paragraph, a cell, a heading, the ``<title>``).

    Inline elements (``<bdi>``, ``<strong>``, ``<code>``...) do not split a text: a sentence with a
    name isolated in ``<bdi>`` is one text. The attributes people read (``alt``, ``title``,
    ``placeholder``, ``aria-label``) are texts too; scripts, styles and templates are left out.
    """
    parser = _Visible()
    parser.feed(html)
    parser.close()
    parser.flush()
    return parser.texts


def html_attribute(html: str, tag: str, name: str) -> str | None:
    """The first `tag`'s attribute `name` (``html_attribute(page, "html", "dir")``), or None."""
    match = re.search(rf"<{tag}\b[^>]*\b{name}=\"([^\"]*)\"", html)
    return match.group(1) if match else None


OVERFLOW_SCRIPT = """
() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (['IMG', 'SVG', 'CANVAS', 'svg', 'TABLE', 'TBODY', 'THEAD', 'TR'].includes(el.tagName)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect();
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && style.overflowX !== 'auto'
        && style.overflowX !== 'scroll') {
      out.push({tag: el.tagName, text: el.textContent.trim().slice(0, 80), scroll: el.scrollWidth,
                client: el.clientWidth});
    } else if (r.right > document.documentElement.clientWidth + 1 || r.left < -1) {
      out.push({tag: el.tagName, text: el.textContent.trim().slice(0, 80), left: r.left, right: r.right});
    }
  }
  return out;
}
"""
"""JavaScript for Playwright's ``page.evaluate``: every element with its own text that overflows its box
(``scrollWidth > clientWidth``, unless it scrolls on purpose) or sticks out of the page."""


def overflowing_texts(page: Any) -> list[dict[str, Any]]:
    """The elements of a Playwright page whose text does not fit their box (see `OVERFLOW_SCRIPT`)."""
    return page.evaluate(OVERFLOW_SCRIPT)


def output_folder(name: str) -> Path:
    """``test-output/<name>/`` at the repository's root (git-ignored): screenshots kept after the tests."""
    folder = ROOT / "test-output" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def figure_warnings_of(draw: Any) -> list[str]:
    """Draw (call `draw`, which saves or draws a figure) and return matplotlib's missing-glyph warnings."""
    import logging
    import warnings

    messages: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Catch(level=logging.WARNING)
    logger = logging.getLogger("matplotlib")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            draw()
    finally:
        logger.removeHandler(handler)
    messages += [str(w.message) for w in caught]
    return [m for m in messages if "missing from" in m.lower() or "glyph" in m.lower()]
