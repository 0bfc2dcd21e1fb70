"""Real countries' names, so a scenario can be refused when it names one (synthetic actors only)."""

from __future__ import annotations

import csv
import functools
import importlib.util
import re
from pathlib import Path


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


def real_country(name: str) -> str | None:
    """The real country that `name` names, or None.

    Two well-kept lists: ISO 3166 names (pycountry: current and historic, short,
    official and common names) and country_converter's patterns, which also know
    the usual variants ("Russia", "UK", "Burma", "Ivory Coast"). A pattern counts
    only as a whole word, so "Chadwick" or "Omania" stay fictional.
    """
    folded = fold_name(name)
    if folded in real_country_names():
        return name
    for country, pattern in _country_patterns():
        match = pattern.search(name)
        if match is None:
            continue
        start, end = match.span()
        if start == end:  # a pattern made of look-aheads: it matched the name as a whole
            return country
        if (end == len(name) or not name[end].isalnum()) and (start == 0 or not name[start - 1].isalnum()):
            return country
    return None


@functools.cache
def real_country_names() -> frozenset[str]:
    """Names of real countries, from pycountry (ISO 3166), lower-cased."""
    import pycountry

    names: set[str] = set()
    for country in [*pycountry.countries, *pycountry.historic_countries]:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                names.add(fold_name(value))
    return frozenset(names)


def fold_name(name: str) -> str:
    """`name` case-folded, its runs of white space made one space: the form names are compared in."""
    return " ".join(name.casefold().split())

