"""The comparison and sweep debrief in the room's language (the ``sweep`` catalogue): English as before,
nothing left untranslated (the pseudo-language), French numbers, Arabic right to left.

One tiny comparison (act or verify, 3 replications) and one tiny sweep (3 x 2 points, 2 replications,
60 travellers, a threshold, a frontier and a constraint) are run once; each test redraws their
reports in a copy of the folders.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from builders import ROOT, SCENARIOS
from i18n_helpers import figure_texts, html_attribute, html_texts, untranslated

from sim.debrief import sweep_figures as draw
from sim.debrief.comparison_report import differences_figure, write_comparison_report
from sim.debrief.sweep_report import report
from sim.i18n import use_language

GOLDEN = ROOT / "tests" / "golden" / "i18n_sweep"
"""The English pages as the debrief wrote them before it was translated (images and machine facts taken out)."""

SWEEP = """\
scenario: act.yaml
replications: 2
seed: 3
parameters:
  sharing.links[DRV-INT->DRV-BRD].trust: [0, 0.5, 1]
  sharing.delay_scale: [0, 2]
outputs: [detection_rate, wrongful_stops.total]
constraint: wrongful_stops.total<=8
threshold: {output: detection_rate, above: 0.3, parameter: sharing.delay_scale}
"""


def build_folders(folder: Path) -> tuple[Path, Path]:
    """The tiny comparison and the tiny sweep, run into `folder` (their reports are redrawn by the tests)."""
    import sim
    from sim.experiments.comparison import compare, write_comparison_folder
    from sim.spec.scenario import load_scenario

    a = load_scenario(SCENARIOS / "act-or-verify.yaml", ["travellers.count=400"])
    b = load_scenario(SCENARIOS / "act-or-verify-checked.yaml", ["travellers.count=400"])
    write_comparison_folder(compare(a, b, replications=3, workers=1), folder / "comparison")
    source = folder / "sweep-source"
    source.mkdir()
    data = yaml.safe_load((SCENARIOS / "act-or-verify-checked.yaml").read_text(encoding="utf-8"))
    data["travellers"]["count"] = 60
    (source / "act.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (source / "sweep.yaml").write_text(SWEEP, encoding="utf-8")
    sim.sweep(source / "sweep.yaml", out=folder / "sweep", workers=1, progress=False)
    return folder / "comparison", folder / "sweep"


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_folders(tmp_path_factory.mktemp("i18n-sweep"))


def pages(folders: tuple[Path, Path], where: Path, language: str, plots: bool = True) -> tuple[str, str]:
    """The comparison's and the sweep's report.html, written in `language` into copies under `where`."""
    comparison, sweep = (shutil.copytree(f, where / f"{language}-{f.name}") for f in folders)
    with use_language(language):
        return (
            write_comparison_report(comparison, plots=plots).read_text(encoding="utf-8"),
            report(sweep).read_text(encoding="utf-8"),
        )


# ---------------------------------------------------------------- what a reader sees


def normalised(page: str) -> str:
    """A page without what changes from machine to machine (images, wall time, executors, machine), and
    without what the page builder writes (`sim.debrief.html_page`: the style sheet, ``<html lang dir>``)."""
    page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "IMG", page)
    page = re.sub(r"<style>.*?</style>", "<style></style>", page, flags=re.S)
    page = re.sub(r"<html[^>]*>", "<html>", page)
    for row in ("wall time", "ran on", "machine"):
        page = re.sub(rf"(<td[^>]*>{row}</td><td[^>]*>)[^<]*", r"\1…", page)
    return page.replace("><", ">\n<")


PATHS = re.compile(r"[A-Za-z0-9_]+(?:[.\[][^\s,;()]*)+|[A-Z]{2,}(?:-[A-Z]{2,})+")
"""Field paths (``sharing.delay_scale``), file names (``points.csv``) and ids (``DRV-INT``): shown as written."""


def allowed_in(texts: list[str], names: tuple[str, ...] = ()) -> set[str]:
    """What the texts may show as written: field paths, file names and ids found in them, and `names`."""
    return {match for text in texts for match in PATHS.findall(text)} | set(names)


# ---------------------------------------------------------------- English: as before


def test_the_english_pages_are_as_they_were(folders: tuple[Path, Path], tmp_path: Path) -> None:
    comparison, sweep = pages(folders, tmp_path, "en")
    assert "⟦" not in comparison + sweep
    for name, page in (("comparison", comparison), ("sweep", sweep)):
        expected = (GOLDEN / f"{name}.html").read_text(encoding="utf-8")
        assert normalised(page) == expected, f"the English {name} report changed"


# ---------------------------------------------------------------- the pseudo-language: nothing left out


def scenario_words(*paths: Path) -> tuple[str, ...]:
    """What the scenarios' author wrote (names, keys, values): shown as written, never translated."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                found.update({str(key), str(key).replace("_", " ")})
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str):
            found.add(node)

    for path in paths:
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return tuple(word for word in found if len(word) > 1)


def test_every_word_of_the_pages_goes_through_the_catalogue(folders: tuple[Path, Path], tmp_path: Path) -> None:
    comparison, sweep = pages(folders, tmp_path, "qps")
    names = ("tabletop sweep", "figures/", "--no-plots", "Python", "S1", "ST", "grid", "this process", "sweep", "x")
    names += scenario_words(folders[0] / "a.yaml", folders[0] / "b.yaml", folders[1] / "scenario.yaml")
    for page in (comparison, sweep):
        texts = html_texts(page)
        assert not untranslated(texts, allowed_in(texts, names)), "text outside the catalogue"


def test_every_text_of_the_figures_goes_through_the_catalogue(folders: tuple[Path, Path]) -> None:
    from sim.debrief.comparison_report import ComparisonTables, chains_figure
    from sim.debrief.sweep_report import figures

    tables = ComparisonTables.from_folder(folders[0])
    with use_language("qps"):
        drawn = [("differences", differences_figure(tables.pairs, tables.stats, tables.name_a, tables.name_b))]
        drawn += [(name, fig) for name, _, fig in figures(folders[1])]
        drawn += [("sobol", draw.sobol_bars(sobol_table(), "detection_rate"))]
        drawn += [("chains", chains_figure(tables.pairs, tables.name_a, tables.name_b))]
        for name, fig in drawn:
            texts = figure_texts(fig)
            left = untranslated(texts, allowed_in(texts, (tables.name_a, tables.name_b)))
            assert not left, f"{name}: text outside the catalogue: {left}"
    assert {name for name, _ in drawn} >= {"frontier.png", "curve-detection-rate.png", "heatmap-detection-rate.png"}


def sobol_table() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"output": "detection_rate", "parameter": p, "index": i, "value": v, "ci_low": v - 0.05, "ci_high": v + 0.05}
            for p, s1, st in (("sharing.delay_scale", 0.5, 0.6), ("travellers.count", 0.0, 0.01))
            for i, v in (("S1", s1), ("ST", st))
        ]
    )


# ---------------------------------------------------------------- French and Arabic


def test_french_pages_write_decimal_commas(folders: tuple[Path, Path], tmp_path: Path) -> None:
    comparison, sweep = pages(folders, tmp_path, "fr", plots=False)
    findings = re.findall(r'<div class="finding">([^<]*)</div>', comparison)
    assert findings and re.search(r"\d,\d", findings[0]), findings
    assert not [f for f in findings if re.search(r"\d\.\d", f.replace("Act or verify", ""))], findings
    assert "Interceptions injustifiées" in comparison and "Constats" in comparison
    assert "Ce qui a été exécuté" in sweep and re.search(r"\d,\d", sweep)
    with use_language("fr"):
        assert draw.fmt_number(-14.25, "+.1f") == "-14,2" and draw.fmt_value("late_share", 0.425) == "42\u00a0%"
        assert draw.fmt_value("median_hours_late", 3.25) == "3,2 h"


def test_arabic_pages_read_right_to_left(folders: tuple[Path, Path], tmp_path: Path) -> None:
    comparison, sweep = pages(folders, tmp_path, "ar", plots=False)
    for page in (comparison, sweep):
        assert html_attribute(page, "html", "dir") == "rtl" and html_attribute(page, "html", "lang") == "ar"
        assert re.search(r"[\u0600-\u06ff]", page)
    assert "يكشف" in comparison and "\u200e-" in comparison, "a signed number keeps its sign before its digits"


def test_arabic_figure_titles_are_drawn_right_to_left(folders: tuple[Path, Path]) -> None:
    from sim.debrief.comparison_report import ComparisonTables
    from sim.i18n import RLM, native_text_layout

    tables = ComparisonTables.from_folder(folders[0])
    with use_language("ar"):
        fig = draw.response_curve(
            pd.read_csv(folders[1] / "points.csv"), "sharing.delay_scale", "detection_rate", threshold=0.3
        )
        title = fig.texts[0].get_text()
        comparison = differences_figure(tables.pairs, tables.stats, tables.name_a, tables.name_b)
        heading = comparison.axes[0].get_title(loc="right")
        logical = draw.figure_title(fig)
        if native_text_layout():  # matplotlib joins and orders the letters itself (libraqm)
            assert all(line.startswith(RLM) for line in title.split("\n") if re.search("[\u0600-\u06ff]", line))
            assert re.search(r"[\u0600-\u06ff]", title), title
        else:  # joined letters (presentation forms), in display order
            assert re.search(r"[\ufe70-\ufeff]", title), title
    assert re.search(r"[\u0600-\u06ff]", logical) and "\u200f" not in logical
    assert fig.texts[0].get_horizontalalignment() == "right", "a right-to-left title starts at the right"
    assert heading and not comparison.axes[0].get_title(loc="left")


def test_the_sensitivity_and_failed_runs_sections_go_through_the_catalogue(tmp_path: Path) -> None:
    from sim.debrief.sweep_report import _failed_section, _sensitivity_section

    sobol_table().assign(note="").to_csv(tmp_path / "sensitivity.csv", index=False)
    (tmp_path / "runs.csv").write_text(
        "point,replication,seed,error\n0,0,11,\n1,0,12,RuntimeError: deliberate\n", encoding="utf-8"
    )
    with use_language("qps"):
        page = _sensitivity_section(tmp_path) + _failed_section(tmp_path, None)  # type: ignore[arg-type]
    texts = html_texts(page)
    assert "⟦Sensitivity (Sobol' indices)⟧" in texts and any(t.startswith("⟦1 run failed;") for t in texts)
    assert not untranslated(texts, allowed_in(texts, ("S1", "ST", "RuntimeError: deliberate"))), texts
    with use_language("ar"):
        assert "فشلت عملية تشغيل واحدة (1)" in _failed_section(tmp_path, None)  # type: ignore[arg-type]
