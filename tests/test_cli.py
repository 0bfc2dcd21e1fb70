"""The command line as a user calls it: subprocesses, exit codes, files written or not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from builders import EXAMPLE, ROOT

import sim


def tabletop(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=120
    )


def test_run_writes_the_run_folder_and_prints_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = tabletop("run", str(EXAMPLE), "--out", str(out), "--no-plots")
    assert done.returncode == 0, done.stderr
    for name in ("scenario.yaml", "summary.json", "travellers.csv", "alerts.csv", "events.csv", "timeseries.csv"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    for key in (
        "scenario", "seed", "travellers", "crossed", "detected", "detection_rate", "misses", "late_share",
        "median_hours_to_detection", "median_hours_late", "alerts", "version",
    ):  # fmt: skip
        assert key in summary, key
    assert set(summary["misses"]) == {"no_intel", "not_shared", "late", "not_trusted", "screening_miss"}
    assert {"sent", "delivered", "lost", "discarded", "verified"} <= set(summary["alerts"])
    assert summary["version"] == sim.__version__ and summary["seed"] == 2018
    assert f"detected {summary['detected']} of {summary['crossed']}" in done.stdout
    assert "alert came too late" in done.stdout and str(out) in done.stdout
    header = (out / "travellers.csv").read_text().splitlines()[0].split(",")
    for column in ("id", "group", "intent", "route", "documents", "outcome", "cause", "detected_at_hours",
                   "detected_by", "detected_in", "identifier", "first_intel_hours", "hours_late"):  # fmt: skip
        assert column in header, column
    assert (out / "events.csv").read_text().count(",inject,") == 4, "injects are in the timeline"


def test_rerunning_the_resolved_scenario_reproduces_the_run_byte_for_byte(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    # --no-plots: the files compared are the data files, not the figures (test_report.py checks those redraw the same)
    assert tabletop("run", str(EXAMPLE), "--seed", "77", "--set", "sharing.delay_scale=0.5", "--out", str(first),
                    "--quiet", "--no-plots").returncode == 0  # fmt: skip
    resolved = first / "scenario.yaml"
    assert "seed: 77" in resolved.read_text() and "delay_scale: 0.5" in resolved.read_text()
    done = tabletop("run", str(resolved), "--out", str(second), "--quiet", "--no-plots")
    assert done.returncode == 0 and done.stdout.strip() == str(second), "--quiet prints only the folder"
    for name in ("scenario.yaml", "summary.json", "travellers.csv", "alerts.csv", "events.csv", "timeseries.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), f"{name} differs"


def test_set_changes_the_run(tmp_path: Path) -> None:
    # --no-plots: only summary.json is read (a plain run, figures and all, is the default-folder test below)
    base = tabletop("run", str(EXAMPLE), "--out", str(tmp_path / "a"), "--quiet", "--no-plots")
    none = tabletop("run", str(EXAMPLE), "--out", str(tmp_path / "b"), "--quiet", "--no-plots",
                    "--set", "intelligence[0].covers=0", "--set", "injects=[]")  # fmt: skip
    assert base.returncode == none.returncode == 0, none.stderr
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["detected"] > 0
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["detected"] == 0, "no intelligence, no detection"


def test_bad_input_exits_2_names_the_problem_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = EXAMPLE.read_text().replace("trust: 0.8", "trust: 1.8").replace("kind: hub", "kind: hubb")
    bad.write_text(text)
    trust_line = next(n for n, line in enumerate(text.splitlines(), 1) if "trust: 1.8" in line)
    hub_line = next(n for n, line in enumerate(text.splitlines(), 1) if "kind: hubb" in line)
    out = tmp_path / "never"
    done = tabletop("run", "bad.yaml", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2
    assert f"bad.yaml:{trust_line}: sharing.defaults.trust: should be less than or equal to 1 (got 1.8)" in done.stderr
    assert f"bad.yaml:{hub_line}: agencies[3].kind: must be" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
    assert list(tmp_path.iterdir()) == [bad], "nothing written"


def test_bad_override_and_bad_seed_exit_2(tmp_path: Path) -> None:
    done = tabletop("run", str(EXAMPLE), "--set", "sharing.links[X->Y].trust=1", "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and "no item of sharing.links matches [X->Y]" in done.stderr
    done = tabletop("run", str(EXAMPLE), "--seed", "minus one")
    assert done.returncode == 2 and "a seed is a whole number" in done.stderr
    assert not (tmp_path / "x").exists()


def test_default_folder_is_under_results_of_the_working_directory(tmp_path: Path) -> None:
    done = tabletop("run", str(EXAMPLE), "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = Path(tmp_path, done.stdout.strip())
    assert folder.parent == tmp_path / "results" / "northern-corridor"
    assert (folder / "summary.json").is_file()


def test_validate_reports_each_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    done = tabletop("validate", str(EXAMPLE), str(bad))
    assert done.returncode == 2
    assert f"{EXAMPLE}: ok" in done.stdout
    assert f"{bad}:1: countries: required field is missing" in done.stderr
    assert tabletop("validate", str(EXAMPLE)).returncode == 0


def test_schema_is_json_schema() -> None:
    done = tabletop("schema")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "travellers" in schema["properties"] and "Link" in schema["$defs"]


def test_schema_of_the_sweep_file_validates_the_shipped_sweeps() -> None:
    import jsonschema
    import yaml

    done = tabletop("schema", "--sweep")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/") and schema["title"] == "tabletop sweep file"
    for path in sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"scenario": "x.yaml", "parameters": {}, "desing": "grid"}, schema)


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("tabletop")
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and sim.__version__ in done.stdout


def test_an_output_path_that_cannot_be_written_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = tabletop("run", str(EXAMPLE), "--out", str(blocker / "run"), "--no-plots")
    assert done.returncode == 2 and "cannot write" in done.stderr and "internal error" not in done.stderr
    done = tabletop("new", str(blocker / "x.yaml"))
    assert done.returncode == 2 and "cannot write" in done.stderr
