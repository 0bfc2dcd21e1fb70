"""Text from the input made harmless in outputs: CSV cells a spreadsheet opens, and the terminal."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from builders import EXAMPLE, ROOT

from sim.debrief.run_tables import RunTables
from sim.errors import Problem
from sim.exercise.msel import msel_rows, read_msel, write_msel
from sim.experiments.sweep_tables import read_csv, write_csv
from sim.safe_text import CsvWriter, csv_cell, csv_text, read_csv_rows, visible
from sim.spec.scenario import load_scenario

FORMULAS = ["=1+2", "+1+2", "-1+2", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\",\"y\")", "-", "'=x", "''-2+1"]
NUMBERS = ["-4", "-1.5", "-1.5e-3", "+2", "-inf", "-nan", "-.5"]
LINE_BREAKS = 'a\rlone CR, a\nLF, a\r\nCRLF, "quotes", commas'


def formula_cells(text: str) -> list[str]:
    """The cells of a CSV text that a spreadsheet would take for a formula (numbers are not)."""
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    return [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"[+-]?[\d.]+", c)]


def tabletop(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, cwd=cwd or ROOT, timeout=300)


@pytest.mark.parametrize("text", FORMULAS)
def test_a_formula_cell_gets_a_quote_and_reads_back_as_written(text: str) -> None:
    cell = csv_cell(text)
    assert cell == "'" + text
    assert csv_text(cell) == text


@pytest.mark.parametrize("value", [*NUMBERS, -4, -1.5, 0, "plain", "", "A->B", "'quoted", "'"])
def test_numbers_and_harmless_text_stay_as_they_are(value: object) -> None:
    assert csv_cell(value) == value
    if isinstance(value, str):
        assert csv_text(value) == value


def test_the_writer_quotes_every_line_break_and_changes_nothing_else() -> None:
    rows = [["id", "note", "value"], ["A-1", LINE_BREAKS, -4], ["A-2", "plain, quoted \"x\"", 1.5], ["A-3", None, ""]]
    safe, plain = io.StringIO(), io.StringIO()
    CsvWriter(safe).writerows(rows)
    csv.writer(plain, lineterminator="\n").writerows(rows)
    assert safe.getvalue().split("\n")[0] == plain.getvalue().split("\n")[0]
    assert safe.getvalue().endswith('A-2,"plain, quoted ""x""",1.5\nA-3,,\n'), "rows without a break are as before"
    assert '"a\rlone CR' in safe.getvalue(), "a lone CR is quoted"
    back = list(csv.reader(io.StringIO(safe.getvalue(), newline="")))
    assert back == [["id", "note", "value"], ["A-1", LINE_BREAKS, "-4"], ["A-2", "plain, quoted \"x\"", "1.5"],
                    ["A-3", "", ""]]  # fmt: skip


def test_no_module_writes_a_csv_but_through_the_safe_writer() -> None:
    for path in (ROOT / "sim").rglob("*.py"):
        if path.name == "safe_text.py":
            continue
        text = path.read_text(encoding="utf-8")
        for call in ("csv.writer(", "csv.DictWriter(", ".to_csv("):
            assert call not in text, f"{path.relative_to(ROOT)} writes a CSV with {call}: use sim.safe_text.CsvWriter"


@pytest.fixture(scope="module")
def noted_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The northern corridor with formulas and line breaks in its inject notes, run by the command line."""
    folder = tmp_path_factory.mktemp("noted")
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    notes = ["=HYPERLINK(\"http://x\",\"click\")", LINE_BREAKS, "-2+3", "@cmd|' /C calc'!A0"]
    for inject, note in zip(data["injects"], notes, strict=True):
        inject["note"] = note
    data["travellers"]["count"] = 40
    (folder / "s.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = tabletop("run", "s.yaml", "--out", "run", cwd=folder)
    assert done.returncode == 0, done.stderr.decode()
    return folder / "run", notes


def test_notes_with_formulas_and_line_breaks_round_trip_through_the_run_folder(noted_run: tuple[Path, list[str]]) -> None:
    folder, notes = noted_run
    assert (folder / "report.html").is_file(), "the report phase ran (a lone CR used to end it with exit 1)"
    events = (folder / "events.csv").read_bytes().decode("utf-8")
    injects = (folder / "injects.csv").read_bytes().decode("utf-8")
    for text in (events, injects):
        assert formula_cells(text) == [], "no cell starts as a formula"
    written = [row["note"] for row in csv.DictReader(io.StringIO(injects, newline=""))]
    assert written == ["'" + notes[0], notes[1], "'" + notes[2], "'" + notes[3]], "the formulas are quoted"
    details = " | ".join(RunTables.from_folder(folder).events["detail"].dropna())
    assert all(f"({note})" in details for note in notes), "the timeline reads back as written"
    with (folder / "injects.csv").open(newline="", encoding="utf-8") as handle:
        assert [row["note"] for row in read_csv_rows(handle)] == notes, "injects.csv reads back as written"
    with (folder / "injects.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(notes), "one row per inject: the CR did not break a row"
    again = tabletop("report", str(folder))
    assert again.returncode == 0, again.stderr.decode()


def test_events_keep_negative_numbers_as_numbers(noted_run: tuple[Path, list[str]]) -> None:
    folder, _ = noted_run
    with (folder / "timeseries.csv").open(newline="", encoding="utf-8") as handle:
        assert all("'" not in cell for row in csv.reader(handle) for cell in row)


def test_msel_csv_neutralises_formulas_and_reads_them_back() -> None:
    scenario = load_scenario(EXAMPLE)
    raw = scenario.raw
    notes = ["=1+2", "+SUM(A1)", LINE_BREAKS, "@x"]
    for inject, note in zip(raw["injects"], notes, strict=True):
        inject["note"] = inject["expected_action"] = note
    from sim.spec.scenario import scenario_from_dict

    text = write_msel(msel_rows(scenario_from_dict(raw)), "csv")
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert formula_cells(text) == [] and "'=1+2" in cells and "'@x" in cells
    assert sorted(i["note"] for i in read_msel(text, "csv")) == sorted(notes)
    assert sorted(i["expected_action"] for i in read_msel(text, "csv")) == sorted(notes)


def test_msel_on_a_pipe_is_the_data_as_written(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["injects"][0]["note"] = "=x\rsecond \x1b[31mred"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = tabletop("msel", str(path))
    assert done.returncode == 0
    notes = [i.get("note") for i in read_msel(done.stdout.decode("utf-8"), "csv")]
    assert "=x\rsecond \x1b[31mred" in notes


def test_sweep_tables_round_trip_text_cells(tmp_path: Path) -> None:
    rows = [{"point": 0, "label": "=cmd", "mean": -0.5, "note": LINE_BREAKS}, {"point": 1, "label": "-x", "mean": -2}]
    write_csv(tmp_path / "t.csv", ["point", "label", "mean", "note"], rows)
    written = (tmp_path / "t.csv").read_bytes().decode("utf-8")
    assert ",'=cmd,-0.5," in written and ",'-x,-2," in written
    back = read_csv(tmp_path / "t.csv")
    assert [r["label"] for r in back] == ["=cmd", "-x"] and [r["mean"] for r in back] == [-0.5, -2]
    assert back[0]["note"] == LINE_BREAKS


# The terminal

FORGED = "\x1b[2J\x1b[32mAll detected\x1b[8m"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (FORGED, "\\x1b[2J\\x1b[32mAll detected\\x1b[8m"),
        ("Nor\u202eway", "Nor\\u202eway"),
        ("a\u2066b\u2069c\u200fd", "a\\u2066b\\u2069c\\u200fd"),
        ("del\x7f c1\x85 \x9b", "del\\x7f c1\\x85 \\x9b"),
        ("bell\x07 cr\r nul\x00", "bell\\x07 cr\\x0d nul\\x00"),
        ("soft\u00adhyphen zero\u200bwidth line\u2028sep", "soft\\xadhyphen zero\\u200bwidth line\\u2028sep"),
        ("lines\nand\ttabs stay, as do Ünïcödé, 中国 and a\u200djoiner", None),
    ],
)
def test_visible_shows_control_characters(text: str, shown: str | None) -> None:
    assert visible(text) == (text if shown is None else shown)
    assert visible(visible(text)) == visible(text), "idempotent"


def test_a_problem_shows_its_value_escaped() -> None:
    text = str(Problem(f"{FORGED}.yaml", 3, "countries[0].name", "is a real country", "Nor\u202eway\x1b[8m"))
    assert "\x1b" not in text and "\u202e" not in text
    assert text == "\\x1b[2J\\x1b[32mAll detected\\x1b[8m.yaml:3: countries[0].name: is a real country " \
                   "(got Nor\\u202eway\\x1b[8m)"  # fmt: skip


def test_the_visible_stream_keeps_a_progress_line_rewriting_itself() -> None:
    from sim.cli import VisibleStream

    out = io.StringIO()
    stream = VisibleStream(out)
    stream.write("\r  3/10 paired runs")
    stream.write(f"\r{FORGED}\n")
    assert out.getvalue() == "\r  3/10 paired runs\r\\x1b[2J\\x1b[32mAll detected\\x1b[8m\n"
    assert stream.getvalue() == out.getvalue(), "everything else is the wrapped stream's"


def test_a_forged_scenario_name_cannot_drive_the_terminal(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["name"] = FORGED
    data["travellers"]["count"] = 30
    data["agencies"][0]["name"] = "Bureau\u202e"
    path = tmp_path / "forged.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    runs = [
        tabletop("run", str(path), "--out", str(tmp_path / "run"), "--no-plots"),
        tabletop("validate", str(path), str(tmp_path / f"missing{FORGED}.yaml")),
        tabletop("msel", str(path), "--format", "json", "--profile", f"x{FORGED}"),
        tabletop(f"bogus{FORGED}"),
        tabletop("run", str(path), "--set", f"name{FORGED}=1"),
    ]
    for done in runs:
        printed = (done.stdout + done.stderr).decode("utf-8")
        assert "\x1b" not in printed and "\u202e" not in printed, printed
    assert "\\x1b[2J\\x1b[32mAll detected\\x1b[8m (seed" in runs[0].stdout.decode()
    assert f"missing{visible(FORGED)}.yaml: no such file" in runs[1].stderr.decode()
    assert "--profile: give the sender icon as an http(s) URL" in runs[2].stderr.decode()
    assert f"(got x{visible(FORGED)})" in runs[2].stderr.decode()
    assert runs[2].returncode == runs[3].returncode == runs[4].returncode == 2
