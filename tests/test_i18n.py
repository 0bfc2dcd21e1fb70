"""The catalogues of every gettext domain (issue 16): complete, up to date, faithful to the glossary.

Generic over `sim.i18n.DOMAINS`: a domain added there is checked as soon as one of its files
marks a string. For each domain and each language (fr, ar):

- the template (``sim/locale/<domain>.pot``) holds exactly the strings its files mark (re-extracted
  here), so a new ``T.gettext("...")`` without ``make messages`` fails;
- the catalogue exists, every entry is translated (every plural form: Arabic has six), none fuzzy;
- a translation keeps the message's ``{placeholders}`` (each plural form may drop the count, the
  last keeps them all) and formats;
- the plural forms header is the language's (French: gettext's two; Arabic: CLDR's six);
- an English term of docs/glossary.md in a message is translated by one of the glossary's forms;
- an Arabic translation is written in Arabic letters.
"""

from __future__ import annotations

import gettext
import re
import string
import unicodedata
from pathlib import Path

import pytest

from sim import i18n

LOCALE = i18n.LOCALE_DIR
TRANSLATED = [code for code in i18n.LANGUAGES if code != "en"]
GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"


def _read(path: Path, code: str | None = None):
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return read_po(handle, locale=code, abort_invalid=True)


def _key(message) -> tuple[str | None, str]:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return message.context, msgid


def _messages(catalog) -> list:
    return [m for m in catalog if m.id]


def _source_messages(domain: str) -> dict[tuple[str | None, str], object]:
    return {_key(m): m for m in _messages(i18n.extract_messages(domain))}


def _template(domain: str) -> Path:
    return LOCALE / f"{domain}.pot"


def _catalogue(domain: str, code: str) -> Path:
    return LOCALE / code / "LC_MESSAGES" / f"{domain}.po"


def _domain_or_skip(domain: str) -> None:
    if not _template(domain).is_file() and not _source_messages(domain):
        pytest.skip(f"domain {domain!r}: no file of it marks a string yet")


@pytest.mark.parametrize("domain", list(i18n.DOMAINS))
def test_the_template_holds_what_the_source_marks(domain: str) -> None:
    source = _source_messages(domain)
    template = _template(domain)
    if not source and not template.is_file():
        pytest.skip(f"domain {domain!r}: no file of it marks a string yet")
    assert template.is_file(), f"{template} is missing: run `make messages`"
    pot = {_key(m): m for m in _messages(_read(template))}
    new, gone = sorted(set(source) - set(pot), key=str), sorted(set(pot) - set(source), key=str)
    assert not new and not gone, (
        f"{template.name} is out of date with the source (run `make messages`, then translate):\n"
        f"  marked in the source, not in the template: {new[:10]}\n  in the template, no longer marked: {gone[:10]}"
    )
    for key, message in source.items():
        assert pot[key].id == message.id, f"{key}: the plural form changed; run `make messages`"


def _plural_function(catalog) -> tuple[int, object]:
    return catalog.num_plurals, gettext.c2py(catalog.plural_expr)


def _cldr_arabic(n: int) -> int:
    if n == 0:
        return 0
    if n == 1:
        return 1
    if n == 2:
        return 2
    if 3 <= n % 100 <= 10:
        return 3
    if 11 <= n % 100 <= 99:
        return 4
    return 5


EXPECTED_PLURALS = {"fr": (2, lambda n: int(n > 1)), "ar": (6, _cldr_arabic)}


@pytest.mark.parametrize("code", TRANSLATED)
@pytest.mark.parametrize("domain", list(i18n.DOMAINS))
def test_every_message_is_translated_and_none_fuzzy(domain: str, code: str) -> None:
    _domain_or_skip(domain)
    path = _catalogue(domain, code)
    assert path.is_file(), f"{path} is missing: run `make messages`, then translate it"
    catalog = _read(path, code)
    translated = {_key(m): m for m in _messages(catalog)}
    missing = [key for key in _source_messages(domain) if key not in translated]
    assert not missing, f"{path}: not in the catalogue (run `make messages`): {missing[:10]}"
    fuzzy = [m.id for m in _messages(catalog) if m.fuzzy]
    assert not fuzzy, f"{path}: fuzzy entries (check each, then remove its `fuzzy` flag): {fuzzy[:10]}"
    nplurals = catalog.num_plurals
    empty = []
    for message in _messages(catalog):
        if message.pluralizable:
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            if len(forms) != nplurals or not all(form and form.strip() for form in forms):
                empty.append(message.id[0])
        elif not (message.string and message.string.strip()):
            empty.append(message.id)
    assert not empty, f"{path}: untranslated (every plural form: {nplurals}): {empty[:10]}"


@pytest.mark.parametrize("code", TRANSLATED)
@pytest.mark.parametrize("domain", list(i18n.DOMAINS))
def test_the_plural_forms_are_the_languages(domain: str, code: str) -> None:
    _domain_or_skip(domain)
    path = _catalogue(domain, code)
    if not path.is_file():
        pytest.skip("no catalogue (another test says so)")
    catalog = _read(path, code)
    nplurals, choose = _plural_function(catalog)
    expected_n, expected = EXPECTED_PLURALS[code]
    assert nplurals == expected_n, f"{path}: Plural-Forms says nplurals={nplurals}, {code} has {expected_n}"
    wrong = [n for n in range(0, 1300) if choose(n) != expected(n)]
    assert not wrong, f"{path}: the plural formula picks the wrong form for n = {wrong[:10]}"
    header = dict(catalog.mime_headers)
    assert header.get("Language", "").startswith(code), f"{path}: Language header is {header.get('Language')!r}"


FIELD = re.compile(r"\{([^{}]*)\}")


def _fields(text: str) -> set[str]:
    names = set()
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None:
            names.add(re.split(r"[.\[]", name)[0])
    return names


@pytest.mark.parametrize("code", TRANSLATED)
@pytest.mark.parametrize("domain", list(i18n.DOMAINS))
def test_translations_keep_the_placeholders(domain: str, code: str) -> None:
    _domain_or_skip(domain)
    path = _catalogue(domain, code)
    if not path.is_file():
        pytest.skip("no catalogue (another test says so)")
    problems = []
    for message in _messages(_read(path, code)):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if not any(forms):
            continue  # said by the completeness test
        try:
            expected = set().union(*(_fields(text) for text in ids))
            for form in forms:
                got = _fields(form)
                form.format(**{name: 1 for name in got})  # braces that do not format fail here
        except (ValueError, KeyError, IndexError) as exc:
            problems.append(f"{ids[0]!r}: does not format ({exc})")
            continue
        if not message.pluralizable:
            if _fields(forms[0]) != expected:
                problems.append(f"{ids[0]!r}: {sorted(_fields(forms[0]))} instead of {sorted(expected)}")
            continue
        for number, form in enumerate(forms):
            got = _fields(form)
            if not got <= expected or (number == len(forms) - 1 and got != expected):
                problems.append(f"{ids[0]!r} form {number}: {sorted(got)} instead of {sorted(expected)}")
    assert not problems, f"{path}: placeholders differ from the message's:\n  " + "\n  ".join(problems[:15])


def glossary() -> list[tuple[list[str], dict[str, list[str]]]]:
    """The glossary's table: (English forms, {language: forms})."""
    rows = []
    header: list[str] | None = None
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = [cell.lower() for cell in cells]
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        forms = {name: [form.strip() for form in cell.split(" / ") if form.strip()] for name, cell in
                 zip(header, cells, strict=True)}  # fmt: skip
        rows.append((forms["english"], {"fr": forms["french"], "ar": forms["arabic"]}))
    return rows


MARKS = dict.fromkeys(range(0x064B, 0x0653)) | {0x0640: None}
"""Arabic short vowels, shadda, sukun and tatweel: the glossary's forms match with or without them."""


def _normal(text: str, code: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("\u202f", " ").replace("\xa0", " ")
    return text.translate(MARKS) if code == "ar" else text.casefold()


def test_the_glossary_table_is_read() -> None:
    rows = glossary()
    assert len(rows) >= 20
    assert (["foreign terrorist fighter", "foreign terrorist fighters"],
            {"fr": ["combattant terroriste étranger", "combattants terroristes étrangers"],
             "ar": ["المقاتل الإرهابي الأجنبي", "المقاتلين الإرهابيين الأجانب", "المقاتلون الإرهابيون الأجانب"]}) in rows


@pytest.mark.parametrize("code", TRANSLATED)
@pytest.mark.parametrize("domain", list(i18n.DOMAINS))
def test_catalogues_use_the_glossarys_terms(domain: str, code: str) -> None:
    _domain_or_skip(domain)
    path = _catalogue(domain, code)
    if not path.is_file():
        pytest.skip("no catalogue (another test says so)")
    terms = [([re.compile(rf"(?<![\w-]){re.escape(form)}(?![\w-])", re.IGNORECASE) for form in english],
              english[0], [_normal(form, code) for form in forms[code]]) for english, forms in glossary()]  # fmt: skip
    problems = []
    for message in _messages(_read(path, code)):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = [form for form in (message.string if isinstance(message.string, tuple) else (message.string,)) if form]
        for patterns, term, translations in terms:
            if not any(p.search(FIELD.sub(" ", text)) for p in patterns for text in ids):
                continue
            for form in forms:
                if not any(t in _normal(form, code) for t in translations):
                    problems.append(f"{ids[0]!r} has “{term}”: {form!r} has none of {translations}")
                    break
    assert not problems, f"{path}: the glossary's terms are not used:\n  " + "\n  ".join(problems[:20])


ARABIC = re.compile("[\u0600-\u06ff]")


@pytest.mark.parametrize("domain", list(i18n.DOMAINS))
def test_arabic_translations_are_in_arabic(domain: str) -> None:
    _domain_or_skip(domain)
    path = _catalogue(domain, "ar")
    if not path.is_file():
        pytest.skip("no catalogue (another test says so)")
    problems = []
    for message in _messages(_read(path, "ar")):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        words = re.sub(r"\{[^{}]*\}|[A-Z]{2,}[\w-]*|https?://\S+", "", ids[0])  # placeholders, acronyms (PNR)
        if not re.search(r"[a-z]{2,}", words):
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        problems += [f"{ids[0]!r}: {form!r}" for form in forms if form and not ARABIC.search(form)]
    assert not problems, f"{path}: translations without an Arabic letter:\n  " + "\n  ".join(problems[:15])


def test_catalogues_compile_in_memory_and_translate() -> None:
    with i18n.use_language("fr"):
        assert i18n.word("detection rate") == "taux de détection"
    with i18n.use_language("ar"):
        assert i18n.word("detection rate") == "معدل الكشف"
    with i18n.use_language(i18n.PSEUDO):
        assert i18n.word("detection rate") == "⟦detection rate⟧"


def test_the_clock_rounds_to_the_minute_and_rolls_over_to_the_next_day() -> None:
    from sim.i18n import day_clock

    assert day_clock(0.0) == (0, "00:00")
    assert day_clock(102.5) == (4, "06:30")
    assert day_clock(23.9999) == (1, "00:00"), "a time that rounds to 24:00 is the next day's midnight"
    assert day_clock(47.99) == (1, "23:59")
