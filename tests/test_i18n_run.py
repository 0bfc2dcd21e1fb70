"""The run's debrief in the room's language (issue 16): pseudo-language, Arabic in the browser, French numbers, --lang.

One small run (act-or-verify, 120 travellers, two injects, an adaptive link: every figure and
every part of the report) is made once for the module, in the pseudo-language ``qps``; the
other languages redraw its report (``tabletop report --lang``), as a trainer would.
Screenshots of the Arabic report are kept in ``test-output/i18n/`` (git-ignored).
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml
from builders import ROOT, SCENARIOS
from i18n_helpers import (
    figure_texts,
    figure_warnings_of,
    html_attribute,
    html_texts,
    ids_in,
    output_folder,
    overflowing_texts,
    scenario_content,
    untranslated,
)

from sim import api
from sim.i18n import PSEUDO, format_decimal, format_int, format_percent, native_text_layout, shaped, use_language


@pytest.fixture(scope="module")
def small_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """act-or-verify, smaller, with an adaptive link, a link outage and a trust inject."""
    raw = yaml.safe_load((SCENARIOS / "act-or-verify.yaml").read_text(encoding="utf-8"))
    raw["travellers"]["count"] = 120
    raw["horizon_days"] = 60
    raw["travellers"]["groups"][0]["depart_day"] = {"dist": "uniform", "low": 0, "high": 40}
    raw["sharing"]["links"][1]["trust"] = {"adaptive": True, "prior": 0.8, "strength": 4}
    raw["injects"] = [
        {"day": 5, "kind": "link_down", "link": "HAL-INT -> HAL-BRD", "hours": 48, "note": "Line cut"},
        {"day": 20, "kind": "trust", "link": "DRV-INT -> DRV-BRD", "trust": 0.5, "note": "Leak",
         "expected_action": "Verify before acting."},
    ]
    path = tmp_path_factory.mktemp("scenario") / "small.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run_folder(small_scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run, its report written in the pseudo-language (the figures are drawn by the tests that need them)."""
    folder = tmp_path_factory.mktemp("run") / "run"
    api.run(small_scenario, out=folder, lang=PSEUDO, plots=False)
    return folder


def _allowed(folder: Path) -> set[str]:
    from sim.debrief.run_tables import RunTables

    tables = RunTables.from_folder(folder)
    allowed = scenario_content(tables.scenario) | {"tabletop", tables.summary["version"], "wrongful_stops.csv"}
    allowed |= set(tables.travellers["id"].astype(str)) | {"--no-plots", "tabletop report DIR"}
    return allowed


def test_the_pseudo_language_report_has_no_text_outside_the_catalogue(run_folder: Path) -> None:
    page = (run_folder / "report.html").read_text(encoding="utf-8")
    texts = html_texts(page)
    assert any("⟦" in text for text in texts)
    bad = untranslated(texts, _allowed(run_folder) | ids_in(texts))
    assert bad == [], f"visible text that bypassed the catalogue: {bad[:10]}"
    assert html_attribute(page, "html", "dir") == "ltr"


def test_the_pseudo_language_figures_have_no_text_outside_the_catalogue(run_folder: Path) -> None:
    import matplotlib.pyplot as plt

    from sim.debrief.run_figures import RUN_FIGURES
    from sim.debrief.run_tables import RunTables

    tables = RunTables.from_folder(run_folder)
    allowed = _allowed(run_folder) | {c.id for c in tables.scenario.countries}
    drawn = []
    with use_language(PSEUDO):
        for entry in RUN_FIGURES:
            if entry.applies is not None and not entry.applies(tables):
                continue
            fig = entry.maker(tables)
            texts = figure_texts(fig)
            plt.close(fig)
            bad = untranslated(texts, allowed | ids_in(texts))
            assert bad == [], f"figure {entry.name}: text that bypassed the catalogue: {bad[:10]}"
            drawn.append(entry.name)
    assert {"chain", "journeys", "network", "over_time", "link_delays", "stops", "trust"} <= set(drawn)


def test_untranslated_finds_text_that_bypassed_the_catalogue() -> None:
    assert untranslated(["⟦Seed {seed}⟧", "12 %", "⟦a ⟦b⟧ c⟧ (3)", "HAL-INT → DRV-BRD"], {"HAL-INT", "DRV-BRD"}) == []
    assert untranslated(["⟦Seed⟧ 3 travellers", "Alert"], {"A"}) == ["⟦Seed⟧ 3 travellers", "Alert"]


@pytest.fixture(scope="module")
def arabic_report(run_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The same run redrawn in Arabic (``tabletop report --lang ar``: figures and report), in a copy of the folder.

    Returns the report and matplotlib's warnings of missing glyphs while the figures were drawn.
    """
    import shutil

    folder = tmp_path_factory.mktemp("arabic") / "run"
    shutil.copytree(run_folder, folder)
    paths: list[Path] = []
    warnings = figure_warnings_of(lambda: paths.append(api.report(folder, lang="ar")))
    return paths[0], warnings


def test_the_arabic_report_is_right_to_left_and_fits_in_chromium(arabic_report: tuple[Path, list[str]],
                                                                   chromium_browser) -> None:  # fmt: skip
    report, _ = arabic_report
    assert {p.name for p in (report.parent / "figures").iterdir()} >= {"chain.png", "stops.png", "trust.png"}
    page_text = report.read_text(encoding="utf-8")
    assert html_attribute(page_text, "html", "dir") == "rtl" and html_attribute(page_text, "html", "lang") == "ar"
    assert "border-inline-start" in page_text and "border-left" not in page_text
    shots = output_folder("i18n")
    for width in (1280, 760):
        context = chromium_browser.new_context(viewport={"width": width, "height": 900}, locale="ar")
        page = context.new_page()
        page.goto(report.as_uri())
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        # Mirrored: a finding's coloured bar is on its right (inline start), headings start on the right.
        box = page.evaluate("""() => { const f = document.querySelector('.finding'); const s = getComputedStyle(f);
            return {right: s.borderRightWidth, left: s.borderLeftWidth}; }""")
        assert box == {"right": "4px", "left": "0px"}, box
        h1 = page.evaluate("""() => { const r = document.querySelector('h1').getBoundingClientRect();
            return {left: r.left, right: r.right, width: document.body.getBoundingClientRect().right}; }""")
        assert h1["right"] >= h1["width"] - 40, h1
        page.screenshot(path=str(shots / f"report-ar-{width}.png"), full_page=True)
        over = overflowing_texts(page)
        assert over == [], f"text overflowing its box at {width} px: {over[:5]}"
        context.close()
    assert (shots / "report-ar-1280.png").stat().st_size > 10_000


def test_arabic_figures_are_shaped_right_to_left_with_every_glyph(arabic_report: tuple[Path, list[str]],
                                                                   run_folder: Path) -> None:  # fmt: skip
    import matplotlib.pyplot as plt

    from sim.debrief.run_figures import chain_figure
    from sim.debrief.run_tables import RunTables

    _, warnings = arabic_report
    assert warnings == [], f"glyphs missing from the font: {warnings[:3]}"
    tables = RunTables.from_folder(run_folder)
    with use_language("ar"):
        fig = chain_figure(tables.summary)
        fig.canvas.draw()
        title = fig.axes[0].get_title(loc="left") or fig.axes[0].get_title(loc="right")
        assert re.search("[\u0600-\u06ff\ufe70-\ufeff]", title), title
        # The fallback (matplotlib < 3.11) joins the letters itself: presentation forms, in display order.
        fallback = shaped(title, native=False)
        assert re.search("[\ufb50-\ufeff]", fallback), fallback
        assert not re.search("[\u0621-\u064a]", fallback), "every letter in its joined form"
        if native_text_layout():
            assert title.startswith("\u200f"), "matplotlib lays the line out right to left itself"
        plt.close(fig)
        tick = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
        assert all(re.fullmatch(r"[0-9\u2212\-.,]+", t) for t in tick), f"Latin digits on the axes: {tick}"


def test_matplotlib_joins_arabic_as_the_reshaper_does() -> None:
    """Matplotlib 3.11+ shapes Arabic with libraqm: the glyphs it draws are the joined forms, right to left."""
    if not native_text_layout():
        pytest.skip("matplotlib < 3.11: sim.i18n.shaped joins the letters itself (tested above)")
    import arabic_reshaper
    from bidi import get_display
    from matplotlib import font_manager
    from matplotlib._text_helpers import layout
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_manager.findfont("DejaVu Sans"))
    text = "معدل الكشف لدى أجهزة الحدود"
    drawn = [font.get_glyph_name(item.glyph_index) for item in layout("\u200f" + text, font, language="ar")]
    # The reshaper's isolated forms are drawn with the letter's own glyph; every other form is the same glyph.
    expected = [font.get_glyph_name(font.get_char_index(ord(unicodedata.normalize("NFKC", ch) if "ISOLATED" in
                                                            unicodedata.name(ch) else ch)))
                for ch in get_display(arabic_reshaper.reshape(text)) if ch != " "]  # fmt: skip
    assert [name for name in drawn if name != "space"] == expected
    # A signed number keeps its sign on the left (the language's minus carries a left-to-right mark).
    with use_language("ar"):
        label = shaped(f"{format_decimal(-2.5)} ساعة")
    glyphs = [font.get_glyph_name(item.glyph_index) for item in layout(label, font, language="ar")]
    digits = [g for g in glyphs if g in ("hyphen", "two", "period", "five")]
    assert digits == ["hyphen", "two", "period", "five"], glyphs


def test_french_numbers_use_the_comma_and_cldr_spaces(run_folder: Path) -> None:
    from sim.debrief.run_report import write_report

    with use_language("fr"):
        assert format_decimal(1234.5) == "1\u202f234,5"
        assert format_percent(0.256, 1) == "25,6\u00a0%"
        assert format_int(3, signed=True) == "+3"
        path = write_report(run_folder, plots=False)
    text = path.read_text(encoding="utf-8")
    assert html_attribute(text, "html", "lang") == "fr" and html_attribute(text, "html", "dir") == "ltr"
    assert "Taux de détection" in text and "interceptions injustifiées" in text.lower()
    assert re.search(r"\d,\d", text), "a decimal comma"
    words = re.sub(r"tabletop \d+(\.\d+)+", "", " ".join(html_texts(text)))
    assert not re.search(r"\d\.\d", words), re.findall(r".{60}\d\.\d.{20}", words)
    with use_language("ar"):
        assert format_decimal(-2.5) == "\u200e-2.5", "Latin digits; the minus kept on the left"
        assert format_percent(0.256, 1) == "25.6%"


def _tabletop(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=ROOT,
                          env=environment, timeout=120)  # fmt: skip


def test_a_wrong_lang_is_refused_naming_the_option(small_scenario: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from sim.cli import main

    for command in (["run", str(small_scenario)], ["report", "somewhere"], ["compare", "a.yaml", "b.yaml"],
                    ["sweep", "s.yaml"], ["play", str(small_scenario), "--as", "X"], ["dashboard", "s.yaml"]):  # fmt: skip
        with pytest.raises(SystemExit) as exit_:
            main([*command, "--lang", "xx"])
        assert exit_.value.code == 2, command
    done = _tabletop("run", str(small_scenario), "--lang", "klingon")
    assert done.returncode == 2 and "--lang" in done.stderr and "klingon" in done.stderr, done.stderr
    monkeypatch.setenv("TABLETOP_LANG", "xx")
    assert main(["report", "somewhere"]) == 2
    assert "TABLETOP_LANG: unknown language 'xx'" in capsys.readouterr().err
    assert main(["validate", str(small_scenario)]) == 0, "a command without --lang does not read TABLETOP_LANG"


def test_tabletop_lang_is_the_default_and_lang_wins(small_scenario: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from sim.cli import main

    monkeypatch.setenv("TABLETOP_LANG", "fr")
    assert main(["run", str(small_scenario), "--no-plots", "--quiet", "--out", str(tmp_path / "fr")]) == 0
    text = (tmp_path / "fr" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="fr"' in text and "Rapport après action" in text
    assert main(["run", str(small_scenario), "--no-plots", "--quiet", "--out", str(tmp_path / "ar"), "--lang", "ar"]) == 0
    text = (tmp_path / "ar" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl"' in text and "تقرير ما بعد العمل" in text
    summary = (tmp_path / "fr" / "summary.json").read_text(encoding="utf-8")
    assert '"detection_rate"' in summary, "the run folder's data stay as they are"


def test_french_titles_and_labels_stay_inside_the_figures(run_folder: Path) -> None:
    """French words are longer: titles and the chain's drop labels wrap rather than run off the figure."""
    import matplotlib.pyplot as plt

    from sim.debrief.run_figures import chain_figure, link_delay_figure
    from sim.debrief.run_tables import RunTables
    from sim.engine.one_run import run_one
    from sim.spec.scenario import load_scenario

    summary = run_one(load_scenario(SCENARIOS / "baseline-corridor.yaml")).summary
    tables = RunTables.from_folder(run_folder)
    for lang in ("en", "fr"):
        with use_language(lang):
            for fig in (chain_figure(summary), link_delay_figure(tables)):
                renderer = fig.canvas.get_renderer()
                ticks = {id(t) for ax in fig.axes for t in ax.get_xticklabels() + ax.get_yticklabels()}
                outside = [t.get_text() for t in fig.findobj(plt.Text) if t.get_text() and t.get_visible()
                           and id(t) not in ticks and t.get_window_extent(renderer).x1 > fig.bbox.width]
                plt.close(fig)
                assert not outside, (lang, outside)
