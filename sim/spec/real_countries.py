"""Real countries' names, so a scenario can be refused when it names one (synthetic actors only).

A name is compared in its normal forms (`name_keys`) with the names of every country in every
language that well-kept libraries know: CLDR's territory names in all of Babel's locales
(endonyms such as ``Deutschland`` or ``Россия``, and the six UN languages among them),
pycountry's ISO 3166 names, a few common names that neither has (`OTHER_NAMES`), and
country_converter's patterns of usual variants. The normal form makes spellings that look
the same compare the same: fullwidth letters, soft hyphens and other invisible characters,
Cyrillic or Greek look-alikes of Latin letters, case and accents. The set of names is
computed once per process and kept in the user's cache folder (`real_country_names`).
"""

from __future__ import annotations

import bisect
import csv
import functools
import hashlib
import importlib.util
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

OTHER_NAMES: dict[str, str] = {
    "Holland": "Netherlands",
    "Palestine": "Palestinian Territories",
    "Scotland": "United Kingdom",
    "Wales": "United Kingdom",
    "Northern Ireland": "United Kingdom",
    "America": "United States",
    "Nippon": "Japan",
    "Nihon": "Japan",
    "Hellas": "Greece",
    "Somaliland": "Somalia",
    "Transnistria": "Moldova",
    "Abkhazia": "Georgia",
    "South Ossetia": "Georgia",
    "Yugoslavia": "Yugoslavia",
    "East Germany": "Germany",
    "West Germany": "Germany",
}
"""Common names of real countries (and of parts or former states often called countries)
that neither CLDR nor pycountry lists, each with the country it names."""

INVENTED_NAMES: dict[str, str] = {
    "Ostria": "Rombo's name of Austria",
}
"""Names invented for the shipped scenarios that a minority language's CLDR names happen to
spell (said here, with the language): they stay allowed, so the shipped runs stay as they
are. A test checks that each is still used by a shipped scenario."""

_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ"})
"""CLDR territory codes of groupings, not countries (the numeric codes are regions)."""


def real_country(name: str) -> str | None:
    """The real country that `name` names (its English name), or None.

    The name's normal forms (`name_keys`) are looked up among the names of real
    countries in every language (`real_country_names`). country_converter's patterns
    also know the usual variants ("UK", "Burma", "Ivory Coast"); a pattern counts only
    as a whole word, so "Chadwick" stays fictional.
    """
    names = real_country_names()
    try:
        return names.found[name]
    except KeyError:
        pass
    found = _real_country(name, names)
    if len(names.found) < MAX_REMEMBERED:
        names.found[name] = found
    return found


MAX_REMEMBERED = 10_000
"""How many names' answers `real_country` keeps (a sweep checks the same few names at every point)."""


def _real_country(name: str, names: CountryNames) -> str | None:
    """`real_country`, computed: the lookups of the name's forms, then country_converter's patterns."""
    keys = name_keys(name)
    for key in keys:
        if key in names:
            return names[key]
    for text in dict.fromkeys((name, *keys)):
        for country, pattern in _country_patterns():
            match = pattern.search(text)
            if match is None:
                continue
            start, end = match.span()
            if start == end:  # a pattern made of look-aheads: it matched the name as a whole
                return country
            if (end == len(text) or not text[end].isalnum()) and (start == 0 or not text[start - 1].isalnum()):
                return country
    return None


MIN_DERIVED_CHARS = 4
"""A spelling made by removing accents or folding look-alikes counts from this length on:
Vietnamese ``Áo`` (Austria) is refused as written, but ``Ao`` is not taken for it."""


def fold_name(name: str) -> str:
    """`name` as written, in the form names are compared in.

    NFKC (fullwidth ``Ｎ`` is ``N``), without format characters (soft hyphen, zero-width
    and direction marks: Unicode category Cf), case-folded, in NFC, its runs of white
    space made one space.
    """
    text = unicodedata.normalize("NFKC", name)
    if not text.isascii():
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def _without_marks(text: str) -> str:
    """`text` without accents and other non-spacing marks (after NFKD)."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if unicodedata.category(c) != "Mn")


def _unconfused(text: str) -> str:
    """`text` (folded) with each letter that looks like an ASCII letter or digit made it, without marks."""
    if text.isascii():
        return text
    table = _look_alikes()
    return fold_name(_without_marks(text.translate(table)).translate(table))


def name_keys(name: str) -> tuple[str, ...]:
    """The forms in which `name` is looked up.

    As written (`fold_name`); without accents; with look-alike letters made the Latin
    letter they look like (Cyrillic ``а`` is ``a``: Unicode's confusables, as
    confusable_homoglyphs ships them).
    """
    written = fold_name(name)
    unconfused = _unconfused(unicodedata.normalize("NFKC", name)) if not written.isascii() else written
    return tuple(dict.fromkeys((written, _without_marks(written), unconfused)))


def _reference_keys(name: str) -> list[str]:
    """The forms under which a real country's name is known.

    As written always; without accents, and with look-alikes folded, from
    `MIN_DERIVED_CHARS` on. A name in another script than Latin is not made a Latin
    word by folding its look-alikes (Cyrillic ``ОРОС`` would be ``opoc``): only mixed
    spellings keep such a form.
    """
    written, *derived = name_keys(name)
    keep = [written]
    latin: bool | None = None
    for key in derived:
        if len(key) < MIN_DERIVED_CHARS:
            continue
        if key.isascii() and latin is None:
            latin = all(unicodedata.name(c, "").startswith("LATIN") for c in written if c.isalpha())
        if latin or not key.isascii():
            keep.append(key)
    return keep


class CountryNames(Mapping[str, str]):
    """The forms of real countries' names, each with the country's English name, looked up by bisection.

    Held as the sorted lines ``form<TAB>English name`` of the cache file: reading them is
    a split of one text, several times faster than building a mapping of some 50,000 names.
    """

    def __init__(self, lines: list[str]):
        self._lines = lines
        self.found: dict[str, str | None] = {}
        """`real_country`'s answers so far, by name as given (they depend only on the name and this table)."""

    @classmethod
    def from_mapping(cls, names: dict[str, str]) -> CountryNames:
        """The table of `names` (forms hold no tab or line break: `fold_name` made their white space spaces)."""
        return cls(sorted(f"{key}\t{english}" for key, english in names.items()))

    def text(self) -> str:
        """The table as the cache file holds it."""
        return "\n".join(self._lines)

    def __getitem__(self, key: str) -> str:
        prefix = f"{key}\t"
        at = bisect.bisect_left(self._lines, prefix)
        if at < len(self._lines) and self._lines[at].startswith(prefix):
            return self._lines[at][len(prefix) :]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (line.partition("\t")[0] for line in self._lines)

    def __len__(self) -> int:
        return len(self._lines)


@functools.cache
def real_country_names() -> CountryNames:
    """The forms (`name_keys`) of real countries' names, each with the country's English name.

    Computed once per process, on first use. Computing them reads every CLDR locale
    (a few seconds), so they are also kept in a file of the user's cache folder
    (`cache_file`), named after the versions of the data and of this module, and read
    from there (about 20 milliseconds) when it exists.
    """
    path = cache_file()
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
        if lines and all("\t" in line for line in (lines[0], lines[-1])):
            return CountryNames(lines)
    except (OSError, ValueError):
        pass
    names = CountryNames.from_mapping(_compute_names())
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as handle:
            temporary = Path(handle.name)
            handle.write(names.text())
        os.replace(temporary, path)  # whole or not at all, when processes write it at once
    except OSError:  # a read-only home: computed again by the next process
        if temporary is not None:
            temporary.unlink(missing_ok=True)
    return names


def cache_file() -> Path:
    """Where `real_country_names` keeps its result: ``$XDG_CACHE_HOME/tabletop`` or ``~/.cache/tabletop``.

    The name carries a digest of everything the result depends on: the versions of
    Babel (CLDR), pycountry, country_converter and confusable_homoglyphs, Python's Unicode
    version and this module's source, so a change of any of them computes it anew.
    """
    from importlib.metadata import PackageNotFoundError, version

    parts = [unicodedata.unidata_version, Path(__file__).read_text(encoding="utf-8")]
    for package in ("babel", "pycountry", "country_converter", "confusable_homoglyphs"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:  # pragma: no cover - declared dependencies
            parts.append(package)
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "tabletop" / f"country-names-{digest}.txt"


def _compute_names() -> dict[str, str]:
    """The forms of real countries' names from the libraries' data (see `real_country_names`)."""
    names: dict[str, str] = {}

    def add(spellings: Iterable[str], english: str) -> None:
        for spelling in spellings:
            for key in _reference_keys(spelling):
                names.setdefault(key, english)

    for name, english in OTHER_NAMES.items():
        add([name], english)
    for english, spellings in _pycountry_names():
        add(spellings, english)
    english_of = _cldr_english()
    for code, spellings in _cldr_names().items():
        add(sorted(spellings), english_of.get(code, code))
    for key in ["", *map(fold_name, INVENTED_NAMES)]:
        names.pop(key, None)
    return names


def _pycountry_names() -> list[tuple[str, list[str]]]:
    """ISO 3166 names from pycountry (current and historic): name, official and common names."""
    import pycountry

    found = []
    for country in [*pycountry.countries, *pycountry.historic_countries]:
        spellings = [getattr(country, attr, None) for attr in ("name", "official_name", "common_name")]
        found.append((country.name, [s for s in spellings if s]))
    return found


def _is_country_code(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES


def _cldr_english() -> dict[str, str]:
    """CLDR's English name of each territory code."""
    from babel import localedata

    return dict(localedata.load("en").get("territories", {}))


def _cldr_names() -> dict[str, set[str]]:
    """Every CLDR name of each country, in all of Babel's locales (their own names only, not inherited)."""
    from babel import localedata

    found: dict[str, set[str]] = {}
    for identifier in localedata.locale_identifiers():
        territories = localedata.load(identifier, merge_inherited=False).get("territories", {})
        for code, name in territories.items():
            if _is_country_code(code):
                found.setdefault(code, set()).add(name)
    return found


@functools.cache
def _look_alikes() -> dict[int, str]:
    """A `str.translate` table: each non-ASCII character that looks like an ASCII letter or digit, made it.

    From Unicode's confusables (UTS #39) as confusable_homoglyphs ships them. A capital
    is made a capital and a small letter a small one where the data offers both; a
    capital that looks like ``l`` (Cyrillic ``І``, Greek ``Ι``) is made ``I``.
    """
    from confusable_homoglyphs.utils import load

    table: dict[int, str] = {}
    for source, entries in load("confusables.json").items():
        if len(source) != 1 or source.isascii():
            continue
        targets = [e["c"] for e in entries if len(e["c"]) == 1 and e["c"].isascii() and e["c"].isalnum()]
        if not targets:
            continue
        same_case = [t for t in targets if t.isupper() == source.isupper() and t.isalpha()]
        target = (same_case or targets)[0]
        if source.isupper() and target == "l":
            target = "I"
        table[ord(source)] = target
    return table


@functools.cache
def _country_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The name patterns of country_converter, read from its data file without importing it.

    They cover short and official names and the usual variants ("UK", "Burma").
    """
    spec = importlib.util.find_spec("country_converter")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a declared dependency
        return ()
    path = Path(next(iter(spec.submodule_search_locations))) / "country_data.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return tuple((row["name_short"], re.compile(row["regex"], re.IGNORECASE)) for row in rows if row.get("regex"))
