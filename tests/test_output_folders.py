"""Output folders: isolated (--out refuses a folder in use, --force clears only our files), atomic (a temporary
name, then a rename, with a completion marker), never written through a link, locked while a sweep runs in them,
and checked before `tabletop report` believes them."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from sweep_helpers import read_rows, small_scenario, write_sweep

from sim.cli import main
from sim.experiments.executors import SerialExecutor
from sim.experiments.sweep_runner import run_sweep
from sim.spec.output_files import MARKER, lock_folder, write_text
from sim.spec.sweep_file import load_sweep

TINY = """\
replications: 2
seed: 3
parameters:
  sharing.delay_scale: [0, 2]
outputs: [detection_rate, misses.late]
"""
"""A sweep of 2 points x 2 replications (4 runs of 60 travellers): a fraction of a second."""


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run folder of the small scenario, without figures (copy it before changing it)."""
    root = tmp_path_factory.mktemp("run")
    assert main(["run", str(small_scenario(root)), "--out", str(root / "run"), "--no-plots", "--quiet"]) == 0
    return root / "run"


@pytest.fixture
def copy_of(run_folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(run_folder, tmp_path / "copy", symlinks=True))


def tiny_sweep(folder: Path) -> tuple[Path, Path]:
    """A finished tiny sweep: (its file, its folder)."""
    path = write_sweep(folder, TINY)
    run_sweep(load_sweep(path), folder / "out", executor=SerialExecutor(), progress=False)
    return path, folder / "out"


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".partial-" in p.name or ".old-" in p.name or ".tmp-" in p.name)


# ---------------------------------------------------------------- --out, --force


def test_a_run_folder_has_a_marker_naming_every_file_with_its_size_and_hash(run_folder: Path) -> None:
    marker = json.loads((run_folder / MARKER).read_text())
    assert marker["kind"] == "run" and marker["format"] == 1
    names = {p.name for p in run_folder.iterdir()} - {MARKER}
    assert set(marker["files"]) == names, "the marker lists the folder's files, not itself"
    assert all(marker["files"][n]["bytes"] == (run_folder / n).stat().st_size for n in names)
    assert leftovers(run_folder.parent) == [], "no partial folder is left beside it"


def test_run_into_a_former_play_folder_is_refused_and_force_clears_only_our_files(
    copy_of: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = small_scenario(copy_of.parent)
    write_text(copy_of / "play.json", json.dumps({"sentences": ["Your decisions as HUB stopped 3 travellers"]}))
    before = (copy_of / "summary.json").read_bytes()

    refused = main(["run", str(scenario), "--out", str(copy_of), "--no-plots", "--seed", "9"])
    err = capsys.readouterr().err
    assert refused == 2 and "already holds files" in err and "--force" in err, err
    assert (copy_of / "summary.json").read_bytes() == before and (copy_of / "play.json").exists(), "nothing touched"

    (copy_of / "notes.txt").write_text("the trainer's notes")
    refused = main(["run", str(scenario), "--out", str(copy_of), "--no-plots", "--seed", "9", "--force"])
    err = capsys.readouterr().err
    assert refused == 2 and "notes.txt" in err and "did not write" in err, err
    assert (copy_of / "notes.txt").exists() and (copy_of / "play.json").exists(), "--force never removes other files"

    (copy_of / "notes.txt").unlink()
    assert main(["run", str(scenario), "--out", str(copy_of), "--seed", "9", "--force", "--quiet", "--no-plots"]) == 0
    assert not (copy_of / "play.json").exists(), "the stale play.json went with the old run"
    assert "Your decisions" not in (copy_of / "report.html").read_text()
    assert json.loads((copy_of / "summary.json").read_text())["seed"] == 9
    assert leftovers(copy_of.parent) == []


def test_force_never_follows_a_link_in_the_folder(copy_of: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "chain.png").write_bytes(b"precious")
    (copy_of / "figures").symlink_to(elsewhere, target_is_directory=True)
    (copy_of / "report.html").unlink()
    (copy_of / "report.html").symlink_to(elsewhere / "chain.png")

    done = main(["run", str(small_scenario(tmp_path)), "--out", str(copy_of), "--no-plots", "--force"])

    assert done == 2, "a linked figures/ is not ours to clear"
    assert (elsewhere / "chain.png").read_bytes() == b"precious" and (copy_of / "figures").is_symlink()
    (copy_of / "figures").unlink()
    assert main(["run", str(small_scenario(tmp_path)), "--out", str(copy_of), "--no-plots", "--force"]) == 0
    assert (elsewhere / "chain.png").read_bytes() == b"precious", "the link was removed, not its target"
    assert not (copy_of / "report.html").is_symlink()


def test_sweep_out_into_a_run_folder_is_refused(copy_of: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    before = (copy_of / "scenario.yaml").read_bytes()
    path = write_sweep(tmp_path, TINY)

    done = main(["sweep", str(path), "--out", str(copy_of), "--workers", "1", "--quiet", "--no-plots"])

    assert done == 2 and "already holds files" in capsys.readouterr().err
    assert (copy_of / "scenario.yaml").read_bytes() == before, "the run's scenario.yaml is left as it was"
    assert not (copy_of / "runs.csv").exists()


def test_msel_out_refuses_an_existing_file_and_replaces_a_link_not_its_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = str(Path(__file__).resolve().parents[1] / "scenarios" / "exercise-injects.yaml")
    out, target = tmp_path / "msel.csv", tmp_path / "target.txt"
    out.write_text("a plan of the day")
    assert main(["msel", scenario, "--out", str(out)]) == 2
    assert "exists already" in capsys.readouterr().err and out.read_text() == "a plan of the day"
    assert main(["msel", scenario, "--out", str(out), "--force"]) == 0 and "scenario_time" in out.read_text()

    target.write_text("keep me")
    out.unlink()
    out.symlink_to(target)
    assert main(["msel", scenario, "--out", str(out), "--force"]) == 0
    assert target.read_text() == "keep me" and not out.is_symlink(), "the link is replaced, never written through"


# ---------------------------------------------------------------- atomic, disk errors


def test_a_run_stopped_by_a_full_disk_exits_2_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.debrief.run_report as run_report

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args[0]) + "/report.html")

    monkeypatch.setattr(run_report, "write_report", full)
    out = tmp_path / "results" / "run"

    done = main(["run", str(small_scenario(tmp_path)), "--out", str(out)])

    err = capsys.readouterr().err
    assert done == 2 and "No space left on device" in err and "internal error" not in err, err
    assert str(out / "report.html") in err, "the path is the folder's, not the temporary one's"
    assert not out.exists() and leftovers(out.parent) == [], "no half-written folder, under either name"


def test_a_read_only_disk_exits_2_with_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Root ignores a directory's mode, so the read-only file system is simulated at mkdir.
    real = Path.mkdir

    def read_only(self: Path, *args: object, **kwargs: object) -> None:
        if tmp_path / "ro" in (self, *self.parents):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    done = main(["run", str(small_scenario(tmp_path)), "--out", str(tmp_path / "ro" / "run"), "--no-plots"])
    err = capsys.readouterr().err
    assert done == 2 and "Read-only file system" in err and str(tmp_path / "ro") in err, err
    assert not (tmp_path / "ro").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_a_read_only_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        done = main(["run", str(small_scenario(tmp_path)), "--out", str(locked / "run"), "--no-plots"])
    finally:
        locked.chmod(stat.S_IRWXU)
    assert done == 2 and "Permission denied" in capsys.readouterr().err
    assert list(locked.iterdir()) == []


def test_the_crash_log_has_an_unguessable_name_and_is_never_written_through_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tempfile
    from datetime import UTC, datetime, timedelta

    import sim.cli as cli

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    now = datetime.now(UTC)
    for second in range(-2, 30):  # the names the old log took, from now on
        (tmp_path / f"tabletop-error-{now + timedelta(seconds=second):%Y%m%dT%H%M%S}.log").symlink_to(victim)

    def bug(args: object) -> int:
        raise RuntimeError("a deliberate bug")

    monkeypatch.setattr(cli, "_report", bug)
    assert main(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert victim.read_text() == "untouched"
    logs = [p for p in tmp_path.glob("tabletop-error-*.log") if not p.is_symlink()]
    assert len(logs) == 1 and str(logs[0]) in err and "a deliberate bug" in logs[0].read_text()
    assert stat.S_IMODE(logs[0].stat().st_mode) == 0o600, "only its owner reads a traceback"


# ---------------------------------------------------------------- report believes only whole folders


def _cut(folder: Path) -> None:
    data = (folder / "travellers.csv").read_bytes()
    (folder / "travellers.csv").write_bytes(data[: len(data) // 2])


def _not_an_object(folder: Path) -> None:
    (folder / "summary.json").write_text("[1, 2, 3]\n")


def _wrong_type(folder: Path) -> None:
    summary = json.loads((folder / "summary.json").read_text())
    summary["crossed"] = "many"
    (folder / "summary.json").write_text(json.dumps(summary))


def _nan(folder: Path) -> None:
    text = (folder / "summary.json").read_text()
    (folder / "summary.json").write_text(text.replace('"late_share": ', '"late_share": NaN, "was": '))


def _bad_cell(folder: Path) -> None:
    lines = (folder / "timeseries.csv").read_text().splitlines(keepends=True)
    lines[3] = "x" + lines[3][1:]
    (folder / "timeseries.csv").write_text("".join(lines))


@pytest.mark.parametrize(
    ("tamper", "marker", "file", "words"),
    [
        (_cut, True, "travellers.csv", "complete.json says"),
        (_cut, False, "travellers.csv", "fields"),
        (_not_an_object, False, "summary.json", "not a JSON object"),
        (_wrong_type, False, "summary.json", "crossed: should be a whole number"),
        (_nan, False, "summary.json", "NaN"),
        (_bad_cell, False, "timeseries.csv:4: day: is not a number", ""),
        (_wrong_type, True, "summary.json", "changed after it was written"),
    ],
)  # fmt: skip
def test_report_on_a_cut_or_changed_run_folder_exits_2_and_names_the_file(
    copy_of: Path, capsys: pytest.CaptureFixture[str], tamper, marker: bool, file: str, words: str
) -> None:
    if not marker:
        (copy_of / MARKER).unlink()
    tamper(copy_of)
    page = (copy_of / "report.html").read_bytes()

    done = main(["report", str(copy_of)])

    err = capsys.readouterr().err
    assert done == 2 and "internal error" not in err, err
    assert str(copy_of / file) in err and words in err, err
    assert (copy_of / "report.html").read_bytes() == page, "nothing is drawn from a folder that is not whole"


@pytest.mark.parametrize(
    ("file", "text", "words"),
    [
        ("comparison.json", "[]\n", "not a JSON object of outputs"),
        ("comparison.json", '{"detection_rate": {"a": 0.5, "b": "more", "diff": null, "ci_low": null, '
         '"ci_high": null, "replications": 2}}', "detection_rate.b: should be a number"),
        ("pairs.csv", None, "pairs.csv:3"),
    ],
)  # fmt: skip
def test_report_on_a_changed_comparison_folder_exits_2_and_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, text: str | None, words: str
) -> None:
    scenario = str(small_scenario(tmp_path))
    out = tmp_path / "cmp"
    assert main(["compare", scenario, scenario, "--replications", "2", "--workers", "1", "--set-b",
                 "sharing.delay_scale=0", "--out", str(out), "--no-plots", "--quiet"]) == 0  # fmt: skip
    assert json.loads((out / MARKER).read_text())["kind"] == "comparison"
    (out / MARKER).unlink()
    if text is None:
        lines = (out / "pairs.csv").read_text().splitlines(keepends=True)
        text = "".join([*lines[:2], lines[2].replace(",", ",nan", 1)])
    (out / file).write_text(text)

    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out / file) in err and words in err, err


def test_report_on_a_folder_of_an_earlier_version_warns_and_reports(
    copy_of: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.debrief.run_figures as run_figures

    monkeypatch.setattr(run_figures, "draw_run_figures", lambda tables, folder: {})  # the check is the point here
    (copy_of / MARKER).unlink()
    assert main(["report", str(copy_of)]) == 0
    captured = capsys.readouterr()
    assert "warning" in captured.err and "no complete.json" in captured.err and "report:" in captured.out
    assert not (copy_of / MARKER).exists(), "an old folder is not vouched for after the fact"


def test_report_refreshes_the_marker_and_replaces_a_linked_report_only_after_refusing_it(
    copy_of: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim.html"
    victim.write_text("someone else's page")
    (copy_of / "report.html").unlink()
    (copy_of / "report.html").symlink_to(victim)

    assert main(["report", str(copy_of)]) == 2
    assert "symbolic link" in capsys.readouterr().err and victim.read_text() == "someone else's page"

    (copy_of / "report.html").unlink()
    assert main(["report", str(copy_of)]) == 0
    marker = json.loads((copy_of / MARKER).read_text())
    assert marker["files"]["report.html"]["bytes"] == (copy_of / "report.html").stat().st_size
    assert "figures/chain.png" in marker["files"], "the redrawn files are vouched for"


def test_a_file_is_replaced_never_written_through_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "report.html").symlink_to(victim)
    write_text(tmp_path / "report.html", "<p>new</p>")
    assert victim.read_text() == "keep" and (tmp_path / "report.html").read_text() == "<p>new</p>"
    assert not (tmp_path / "report.html").is_symlink()


def test_report_on_a_half_written_folder_exits_2(run_folder: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    partial = Path(shutil.copytree(run_folder, tmp_path / ".run.partial-0123abcd"))
    (partial / MARKER).unlink()
    assert main(["report", str(partial)]) == 2
    assert "half-written" in capsys.readouterr().err


# ---------------------------------------------------------------- sweeps: marker, lock, bad rows


def test_a_sweep_without_its_marker_is_unfinished_until_resumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, out = tiny_sweep(tmp_path)
    assert (out / MARKER).is_file() and not (out / "sweep.lock").exists()
    header, rows = read_rows(out / "runs.csv")
    (out / "runs.csv").write_text(",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows[:2]))
    (out / MARKER).unlink()  # as a sweep killed after its second run leaves it

    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not finished (2 of 4 runs" in err and "--resume" in err, err

    assert main(["sweep", str(path), "--out", str(out), "--resume", "--quiet", "--workers", "1"]) == 0
    assert (out / MARKER).is_file() and (out / "report.html").is_file()
    assert len(read_rows(out / "runs.csv")[1]) == 4


def test_report_on_a_finished_sweep_of_an_earlier_version_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = tiny_sweep(tmp_path)
    (out / MARKER).unlink()
    assert main(["report", str(out)]) == 0
    assert "no complete.json" in capsys.readouterr().err


def test_a_second_resume_is_refused_with_the_pid_of_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, out = tiny_sweep(tmp_path)
    rows = (out / "runs.csv").read_bytes()

    with lock_folder(out):  # as a first `sweep --resume` holds it while it runs
        done = main(["sweep", str(path), "--out", str(out), "--resume", "--quiet", "--workers", "1"])
        reported = main(["report", str(out)])

    err = capsys.readouterr().err
    assert done == 2 and f"another tabletop sweep (pid {os.getpid()})" in err, err
    assert reported == 2 and "a sweep is running in it" in err
    assert (out / "runs.csv").read_bytes() == rows, "the second sweep wrote nothing"
    assert not (out / "sweep.lock").exists(), "the lock file goes with its holder"


@pytest.mark.parametrize(
    ("junk", "why"),
    [
        (b"x,0,1,0,0.5,0,,h,v\n", "point 'x' is not a point"),
        (b"0,99999999999,1,0,0.5,0,,h,v\n", "replication '99999999999' is not one"),
        (b"\xff\xfe\x00\x81 binary junk\n", "fields"),
        (b"-1,-1,-1,0,0.5,0,,h,v\n", "point '-1' is not a point"),
        (b"0,0,{seed},0,0.5,0,,h,v\n", "has a row already"),
        (b"1,1,{seed1},2,nan,0,,h,v\n", "detection_rate is not a finite number"),
    ],
)  # fmt: skip
def test_resume_sets_aside_rows_that_are_not_runs_and_report_names_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], junk: bytes, why: str
) -> None:
    path, out = tiny_sweep(tmp_path)
    (out / MARKER).unlink()  # a sweep being resumed has none (with one, any change is refused: its size differs)
    header, good = read_rows(out / "runs.csv")
    seeds = load_sweep(path).replication_seeds()
    junk = junk.replace(b"{seed}", str(seeds[0]).encode()).replace(b"{seed1}", str(seeds[1]).encode())
    good_rows = [r for r in good if not (r[0] == "1" and r[1] == "1")] if b"nan" in junk else good
    (out / "runs.csv").write_bytes(("\n".join(",".join(r) for r in [header, *good_rows]) + "\n").encode() + junk)

    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out / 'runs.csv'}:{len(good_rows) + 2}:" in err and why in err, err

    assert main(["sweep", str(path), "--out", str(out), "--resume", "--quiet", "--workers", "1", "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert "set aside 1 row" in err and why in err, err
    _, rows = read_rows(out / "runs.csv")
    assert sorted((r[0], r[1]) for r in rows) == [(p, r) for p in "01" for r in "01"], "each run once, no phantom"
    assert (out / "runs.rejected.csv").read_bytes().count(b"\n") >= 2, "the row is kept aside, with why"
    assert (out / MARKER).is_file()


def test_a_sweep_stopped_by_a_full_disk_exits_2_with_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.experiments.sweep_runner as runner

    real = runner.open_append

    class Full:
        def __init__(self, path: Path) -> None:
            self.handle, self.rows = real(path), 0

        def write(self, text: str) -> int:
            self.rows += 1
            if self.rows > 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self.handle.write(text)

        def __getattr__(self, name: str) -> object:
            return getattr(self.handle, name)

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

    monkeypatch.setattr(runner, "open_append", Full)
    path = write_sweep(tmp_path, TINY)
    done = main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert done == 2 and "No space left on device" in err and str(tmp_path / "out" / "runs.csv") in err, err
    assert not (tmp_path / "out" / MARKER).exists() and not (tmp_path / "out" / "sweep.lock").exists()
