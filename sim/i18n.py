"""The room's language: gettext catalogues (Babel), numbers in the language's conventions, right to left.

What participants read (the report pages, the figures, the dashboard and exercise pages, the
game's prompts) is written through this module; what the trainer writes (the scenario's names,
descriptions and inject scripts) stays as written, and so do validation errors and the command
line (English).

Each part of the package has its own gettext *domain*, with one catalogue per language in
``sim/locale/<lang>/LC_MESSAGES/<domain>.po`` (the template is ``sim/locale/<domain>.pot``):

- ``words``: the shared vocabulary (`sim.vocabulary`: miss causes, outputs), marked with `N_`;
- ``run``: the run's report and figures; ``sweep``: comparisons and sweeps;
- ``page``: the dashboard; ``game``: `tabletop play`; ``room``: the live exercise.

A module takes its translator once, at import::

    from sim.i18n import translator
    T = translator("run")
    T.gettext("Detected {count} of {total}").format(count=..., total=...)
    T.ngettext("{count} traveller", "{count} travellers", n).format(count=fmt_int(n))

and looks the words up when it writes them (the language can change between two reports in one
process, and a page's participant can switch it). Sentences are whole templates with named
placeholders, never glued fragments; plurals use gettext's plural forms (Arabic has six).

Catalogues are read from the ``.po`` files and compiled in memory on first use (cached), so the
repository holds only text; fuzzy entries are not used. ``pybabel extract/update/compile`` work
on the same files (see `DOMAINS` and ``make messages``).

The language is the one set by `use_language` (a context manager) or `set_language`; it starts
from ``TABLETOP_LANG`` (default ``en``). ``qps`` is a pseudo-language for tests: every translated
string comes back wrapped in ``⟦…⟧``, so a test can find text that bypassed the catalogue.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LANGUAGES: tuple[str, ...] = ("en", "fr", "ar")
"""The languages participants can read."""

PSEUDO = "qps"
"""The pseudo-language of tests: every translated string wrapped in ``⟦…⟧``."""

RTL_LANGUAGES: frozenset[str] = frozenset({"ar"})
"""Languages written right to left."""

ENV_VARIABLE = "TABLETOP_LANG"
"""The environment variable that gives the default language (``--lang`` wins over it)."""

LOCALE_DIR = Path(__file__).parent / "locale"
"""Where the catalogues are: ``<lang>/LC_MESSAGES/<domain>.po``, and the templates ``<domain>.pot``."""

DOMAINS: dict[str, tuple[str, ...]] = {
    "words": ("sim/vocabulary.py",),
    "run": ("sim/debrief/plotting.py", "sim/debrief/html_page.py", "sim/debrief/run_tables.py",
            "sim/debrief/run_figures.py", "sim/debrief/run_report.py", "sim/spec/injects.py"),
    "sweep": ("sim/debrief/comparison_report.py", "sim/debrief/sweep_figures.py", "sim/debrief/sweep_report.py"),
    "page": ("sim/dashboard/session.py", "sim/dashboard/page_style.py", "sim/dashboard/app.py"),
    "game": ("sim/exercise/play.py",),
    "room": ("sim/exercise/room.py", "sim/exercise/room_report.py", "sim/dashboard/room_pages.py"),
}
"""Each gettext domain and the files whose strings it holds (what ``pybabel extract`` reads)."""

_language: ContextVar[str | None] = ContextVar("tabletop_language", default=None)


class LanguageError(ValueError):
    """A language that is not one of `LANGUAGES` (the message names where it came from)."""


def check_language(code: str | None, where: str = "--lang") -> str:
    """`code` if it is a known language (or the pseudo-language), else `LanguageError` naming `where`."""
    if code is None or code == "":
        return "en"
    text = str(code).strip().lower().replace("_", "-").split("-")[0]
    if text in LANGUAGES or text == PSEUDO:
        return text
    raise LanguageError(f"{where}: unknown language {str(code)[:40]!r} (choose one of: {', '.join(LANGUAGES)})")


def default_language() -> str:
    """The language of ``TABLETOP_LANG``, else ``en``."""
    return check_language(os.environ.get(ENV_VARIABLE), ENV_VARIABLE)


def language() -> str:
    """The language text is written in now."""
    code = _language.get()
    return default_language() if code is None else code


def set_language(code: str | None) -> None:
    """Write in `code` from now on, in this context (``None``: back to ``TABLETOP_LANG``)."""
    _language.set(None if code is None else check_language(code))


@contextmanager
def use_language(code: str | None) -> Iterator[str]:
    """Write in `code` inside the block (``None`` keeps the current language)."""
    if code is None:
        current = _language.get()
        yield current if current is not None else default_language()
        return
    token = _language.set(check_language(code))
    try:
        yield language()
    finally:
        _language.reset(token)


def is_rtl(code: str | None = None) -> bool:
    """Whether the language (default: the current one) is written right to left."""
    return (code or language()) in RTL_LANGUAGES


def direction(code: str | None = None) -> str:
    """``rtl`` or ``ltr``: the HTML ``dir`` of the language."""
    return "rtl" if is_rtl(code) else "ltr"


def N_(message: str) -> str:  # noqa: N802 (gettext's own name for "mark, translate later")
    """Mark `message` for extraction without translating it (translate where it is shown)."""
    return message


@cache
def _catalogue(code: str, domain: str):  # -> babel.support.Translations | NullTranslations
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    path = LOCALE_DIR / code / "LC_MESSAGES" / f"{domain}.po"
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


@dataclass(frozen=True)
class Translator:
    """The strings of one domain, in the current language."""

    domain: str

    def gettext(self, message: str) -> str:
        """`message` in the current language (as written when the catalogue lacks it)."""
        code = language()
        if code == "en":
            return message
        if code == PSEUDO:
            return f"⟦{message}⟧"
        return _catalogue(code, self.domain).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The form of `singular`/`plural` for `count` in the current language (gettext's plural rules)."""
        code = language()
        if code == "en":
            return singular if count == 1 else plural
        if code == PSEUDO:
            return f"⟦{singular if count == 1 else plural}⟧"
        return _catalogue(code, self.domain).ngettext(singular, plural, count)

    def pgettext(self, context: str, message: str) -> str:
        """`message` in `context` (the same English word meaning two things)."""
        code = language()
        if code == "en":
            return message
        if code == PSEUDO:
            return f"⟦{message}⟧"
        return _catalogue(code, self.domain).pgettext(context, message)

    _ = gettext


def translator(domain: str) -> Translator:
    """The translator of `domain` (one of `DOMAINS`)."""
    if domain not in DOMAINS:
        raise KeyError(f"unknown gettext domain {domain!r}; add it to sim.i18n.DOMAINS")
    return Translator(domain)


def babel_locale(code: str | None = None) -> str:
    """The Babel locale of a language (the pseudo-language formats as English)."""
    code = code or language()
    return "en" if code == PSEUDO else code


NUMBERING_SYSTEM = "latn"
"""Digits of every language: Latin (0-9), Arabic included.

CLDR's Arabic locale itself writes Latin digits by default (``ar``; Arabic-Indic digits are the
default only for some countries' variants), and Latin digits keep the figures' axes, the tables
and the identifiers (``R-0042``) readable together and in the same order in every language. The
separators and the percent pattern are still the language's own (``1 234,5`` and ``25,6 %`` in
French: CLDR's no-break spaces)."""


def _locale():  # -> babel.Locale
    from babel import Locale

    return Locale.parse(babel_locale())


def _apply(pattern, value: float, digits: int | None = None, signed: bool = False) -> str:
    """A CLDR number pattern of the current language applied to `value`, with `digits` decimals (None: as is)."""
    import copy

    pattern = copy.copy(pattern)
    if digits is not None:
        pattern.frac_prec = (digits, digits)
    locale = _locale()
    symbols = locale.number_symbols[NUMBERING_SYSTEM]
    text = pattern.apply(value, locale, numbering_system=NUMBERING_SYSTEM)
    if text.startswith("-"):  # the language's own minus (Arabic's keeps the number left to right: LRM + "-")
        text = symbols["minusSign"] + text[1:]
    elif signed and value > 0:
        text = symbols["plusSign"] + text
    return text


def day_clock(hours: float) -> tuple[int, str]:
    """The exercise's day and time of day for `hours` from the start: ``(4, "06:30")`` for 102.5.

    Rounded to the minute; a time that rounds to 24:00 is the next day's 00:00. The words around
    them (``day 4, 06:30``) are each page's own template.
    """
    day = int(hours // 24)
    minutes = int(round((hours - 24 * day) * 60))
    if minutes >= 24 * 60:
        day, minutes = day + 1, 0
    return day, f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_int(value: int, signed: bool = False) -> str:
    """A whole number in the current language's conventions (``1,234``; ``1 234``); `signed`: ``+3`` for 3."""
    return _apply(_locale().decimal_formats[None], int(value), 0, signed)


def format_decimal(value: float, digits: int = 1, signed: bool = False) -> str:
    """A number with `digits` decimals in the current language's conventions (``3.5``; ``3,5``); `signed`: ``+3.5``."""
    return _apply(_locale().decimal_formats[None], value, digits, signed)


def format_number(value: float, digits: int = 1) -> str:
    """A count or a mean, as ``:g`` writes it for people: whole numbers without decimals, others with `digits`."""
    value = float(value)
    if value == int(value):
        return format_int(int(value))
    return format_decimal(value, digits)


def format_percent(share: float, digits: int = 1, signed: bool = False) -> str:
    """A share (0.256) as a percentage in the language's own pattern (``25.6%``; ``25,6 %``), `digits` decimals."""
    return _apply(_locale().percent_formats[None], share, digits, signed)


RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
"""A Hebrew or Arabic letter (or presentation form): a line without one (a name, a number) is drawn as written."""

LOGICAL_LETTER = re.compile("[\u0590-\u05ff\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
"""A letter in its logical (unshaped) form: text that has none but has presentation forms is shaped already."""

BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
"""The invisible direction marks (LRM, RLM, ALM, embeddings, isolates), which the fallback drops once applied."""

RLM = "\u200f"
"""RIGHT-TO-LEFT MARK: a line starting with it is laid out right to left even if it opens with a name (``HAL-INT``)."""


@cache
def native_text_layout() -> bool:
    """Whether matplotlib shapes and orders right-to-left text itself (3.11+: libraqm, Unicode's bidi algorithm).

    Then `shaped` gives matplotlib the text in logical order (reshaping it first would have
    it reordered twice); before, `shaped` does the work with arabic-reshaper and python-bidi.
    """
    try:
        from matplotlib import ft2font
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return False
    return hasattr(ft2font.FT2Font, "_layout")


def shaped(text: str, native: bool | None = None) -> str:
    """`text` ready for matplotlib in the current language: Arabic joined and in display order.

    Left-to-right languages, and lines without a right-to-left letter (a name, a number), come
    back unchanged. A line with Arabic is laid out right to left (Unicode's bidi algorithm, as
    the browser does for the HTML report: ``25%`` reads ``%25`` there, the Arabic way):

    - matplotlib 3.11+ shapes and orders text itself (`native_text_layout`): the line only gets
      a leading RLM, so that it is right to left even when it starts with a Latin id;
    - older matplotlib draws characters one by one, left to right: the line is reshaped
      (``arabic_reshaper``: letters joined, presentation forms) and put in display order
      (``python-bidi``) here, and the invisible marks dropped.

    Idempotent: text shaped already comes back as it is. `native` forces one way (tests).
    """
    if not text or not is_rtl():
        return text
    native = native_text_layout() if native is None else native
    lines = str(text).split("\n")  # each line on its own: bidi must not move words from line to line
    if native:
        return "\n".join(RLM + line if RTL_LETTER.search(line) and not line.startswith(RLM) else line
                         for line in lines)  # fmt: skip
    import arabic_reshaper
    from bidi import get_display

    return "\n".join(
        get_display(arabic_reshaper.reshape(line), base_dir="R").translate(BIDI_CONTROLS)
        if LOGICAL_LETTER.search(line) else line
        for line in lines
    )  # fmt: skip


def word(text: str) -> str:
    """A word of the shared vocabulary (`sim.vocabulary`, marked with `N_`) in the current language.

    ``word(CAUSE_LABELS[cause])``: the words live once, in English, in `sim.vocabulary`; their
    translations in the ``words`` domain.
    """
    return translator("words").gettext(text)


# ---------------------------------------------------------------- catalogues: extract and update (``make messages``)

ROOT = Path(__file__).resolve().parent.parent
"""The repository (the paths of `DOMAINS` are relative to it)."""

COMMENT_TAGS: tuple[str, ...] = ("TRANSLATORS:",)
"""A comment starting with this, just above a marked string, is shown to translators in the catalogue."""

PLURAL_FORMS: dict[str, tuple[int, str]] = {
    "fr": (2, "(n > 1)"),
    "ar": (6, "(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 : n % 100 >= 11 ? 4 : 5)"),
}
"""Each language's gettext plural forms: French, gettext's two (0 and 1 singular); Arabic, CLDR's six
(zero, one, two, few: 3-10, many: 11-99, other: 100-102...), as ``pybabel init`` writes them."""


def extract_messages(domain: str, root: Path = ROOT):  # -> babel.messages.catalog.Catalog
    """The template of `domain`: every string marked in its files (`DOMAINS`), as ``pybabel extract`` finds them.

    Marked: ``T.gettext("...")``, ``T.ngettext("...", "...", n)``, ``T.pgettext("context", "...")`` and
    ``N_("...")`` (Babel's default keywords), with their ``# TRANSLATORS:`` comments. A file of
    `DOMAINS` that does not exist yet is skipped.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file

    catalog = Catalog(domain=domain, project="tabletop", version="", msgid_bugs_address="", charset="utf-8",
                      fuzzy=False)  # fmt: skip
    for name in DOMAINS[domain]:
        path = root / name
        if not path.is_file():
            continue
        for line, message, comments, context in extract_from_file(
            "python", path, keywords=DEFAULT_KEYWORDS, comment_tags=COMMENT_TAGS, strip_comment_tags=True
        ):
            texts = message if isinstance(message, tuple) else (message,)
            flags = ("python-brace-format",) if any("{" in (text or "") for text in texts) else ()
            catalog.add(message, None, [(name, line)], auto_comments=comments, context=context, flags=flags)
    return catalog


def update_catalogues(root: Path = ROOT) -> list[Path]:
    """``make messages``: write each domain's template (``<domain>.pot``) and bring its catalogues up to date.

    A catalogue that does not exist yet is made (its entries empty, for the translator to fill);
    one that does gains the new strings (empty, or *fuzzy* when a near string was translated:
    the translator checks it and removes the ``fuzzy`` flag) and keeps the old ones as obsolete
    (``#~``). A domain with no marked string yet gets no files. Returns the files written.
    """
    from babel import Locale
    from babel.messages.pofile import read_po, write_po

    written = []
    folder = root / "sim" / "locale"
    for domain in DOMAINS:
        template = extract_messages(domain, root)
        if not len(template):
            continue
        pot = folder / f"{domain}.pot"
        pot.parent.mkdir(parents=True, exist_ok=True)
        with pot.open("wb") as handle:
            write_po(handle, template, width=116, omit_header=False, include_lineno=False)
        written.append(pot)
        for code in LANGUAGES:
            if code == "en":
                continue
            po = folder / code / "LC_MESSAGES" / f"{domain}.po"
            if po.is_file():
                with po.open("rb") as handle:
                    catalog = read_po(handle, locale=code, domain=domain)
            else:
                from babel.messages.catalog import Catalog

                catalog = Catalog(locale=Locale.parse(code), domain=domain, project="tabletop", version="",
                                  charset="utf-8", fuzzy=False)  # fmt: skip
            catalog._num_plurals, catalog._plural_expr = PLURAL_FORMS[code]  # noqa: SLF001 (Babel has no setter)
            catalog.update(template, update_header_comment=False)
            po.parent.mkdir(parents=True, exist_ok=True)
            with po.open("wb") as handle:
                write_po(handle, catalog, width=116, omit_header=False, include_lineno=False)
            written.append(po)
    return written
