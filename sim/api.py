"""The Python API, for notebooks and scripts: load, vary, run, compare, sweep, report.

Everything here is also reachable as ``sim.<name>`` (loaded on first use, so
``import sim`` stays quick)::

    import sim

    scenario = sim.load_scenario("scenarios/baseline-corridor.yaml")
    faster = sim.vary(scenario, {"sharing.delay_scale": 0.5})
    result = sim.run(scenario, seed=1)            # summary and tables
    result.summary["detection_rate"]
    comparison = sim.compare(scenario, faster, replications=20)
    comparison.statistics()["detection_rate"]     # a, b, diff, ci_low, ci_high
    outcome = sim.sweep("scenarios/sweeps/delay-trust.yaml", out="results/my-sweep")
    outcome.folder / "points.csv"                 # the response surface, with 95% intervals

A sweep can also be given as a mapping, as the sweep file would hold it (see
docs/sweeps.md), to build one in a notebook. The notebooks in ``notebooks/``
walk through all of this.

The command line (`sim.cli`) is a thin layer over these functions: each command
parses its options, calls one of them and prints. The engine (Mesa), the figures
(matplotlib) and the page (Bokeh) are imported inside the functions that need
them, so that ``import sim`` and a refused input stay fast; nothing imported at
the top of this module is imported again below.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sim.errors import Problem, ScenarioError
from sim.spec import limits
from sim.spec.output_files import MARKER, check_target, clear_own_files, new_folder, write_marker, write_text
from sim.spec.scenario import Scenario, changed_scenario, load_scenario, scenario_from_dict
from sim.spec.sweep_file import Sweep, is_sweep_data, load_sweep, sweep_from_dict
from sim.spec.sweep_model import sweep_json_schema
from sim.spec.yaml_files import dump_yaml, read_yaml

if TYPE_CHECKING:
    import pandas as pd

    from sim.engine.outcomes import RunResult
    from sim.exercise.play import Game
    from sim.exercise.room import Room
    from sim.experiments.comparison import Comparison
    from sim.experiments.sweep_runner import SweepOutcome

Out = str | Path | Literal[True] | None
"""Where a command writes: a folder, True for the default ``results/<name>/<UTC time>/``, None for nowhere."""


def _load_engine() -> None:
    """Import the model (and Mesa) without the warning Mesa's progress bar gives in Jupyter.

    Mesa imports ``tqdm.auto``, which warns "IProgress not found" in a notebook
    without ipywidgets; nothing here uses that bar.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import sim.engine.model  # noqa: F401


def _scenario(
    scenario: Scenario | str | Path, overrides: Sequence[str] = (), label: str = "--set", allow_large: bool = False
) -> Scenario:
    """A scenario as given, or loaded from its file; a given one let past the limits only by `allow_large`."""
    if not isinstance(scenario, Scenario):
        return load_scenario(scenario, overrides, label, allow_large)
    if allow_large and not scenario.allow_large:
        return changed_scenario(scenario, [], allow_large=True)
    return scenario


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario as a YAML scenario file (its fields as given, in their order); ``load_scenario`` reads it back.

    Args:
        scenario: a scenario, e.g. one made with `vary` or `sim.scenario_from_dict`.
        path: the file to write (its folder is created).

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text(path, dump_yaml(scenario.raw))  # replaced whole; a link at the name is not followed


def vary(scenario: Scenario | str | Path, changes: dict[str, Any], allow_large: bool = False) -> Scenario:
    """A copy of `scenario` with fields changed by path (the paths of ``--set``).

    Args:
        scenario: a scenario or a scenario file.
        changes: path -> value, e.g. ``{"sharing.links[HAL-INT->DRV-BRD].delay_hours": 12}``.
        allow_large: let the copy past the limits of `sim.spec.limits` (with a note); a scenario
            already let through lets its copies through.

    Raises:
        ScenarioError: when a path selects nothing, the result is not a valid scenario, or it
            goes past a limit.
    """
    base = _scenario(scenario)
    return changed_scenario(base, changes.items(), label="vary", allow_large=True if allow_large else None)


def run(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    out: Out = None,
    plots: bool = True,
    overrides: Sequence[str] = (),
    allow_large: bool = False,
    force: bool = False,
) -> RunResult:
    """Run a scenario once; with `out`, also write the run folder (figures and report unless `plots` is false).

    Args:
        scenario: a scenario, or a scenario file.
        seed: the run's seed (default: the scenario's, else a fresh one).
        out: the run folder; True for ``results/<scenario>/<UTC time>/``; None writes nothing.
        plots: draw the figures and write report.html in the folder.
        overrides: ``PATH=VALUE`` texts (as ``--set`` takes them), applied when `scenario` is a
            file, and recorded in the folder's ``run.json``.
        allow_large: run past the limits of `sim.spec.limits` (``--allow-large``); a note gives the estimate.
        force: replace a folder `out` that holds tabletop's own files (never other files).

    Returns:
        The summary and the tables (lists of rows; `tables` turns them into DataFrames); its
        ``seed`` is the seed it ran with, its ``folder`` where it was written, if anywhere.
        Without `seed`, every call runs the scenario's seed, the same run each time; for
        independent replications pass ``sim.replication_seeds(master, n)`` one by one.

    Raises:
        ScenarioError: the scenario or an override is wrong.
        OutputError: `out` is in the way (a folder with files, without `force`) or cannot be written;
            nothing is left half-written (the folder is written under a temporary name, then renamed).
    """
    scenario = _scenario(scenario, overrides, allow_large=allow_large)  # a refusal comes before the engine loads
    _load_engine()
    from sim.engine.one_run import default_run_folder, resolve_seed, run_one, write_run_folder, write_run_metadata

    folder = None if out is None else default_run_folder(scenario) if out is True else Path(out)
    if folder is not None:
        check_target(folder, force)  # before the run: a folder in the way is said at once
    seed = resolve_seed(scenario, seed)
    result = run_one(scenario, seed)
    if folder is not None:
        from sim.debrief.run_report import debrief

        with new_folder(folder, "run", force) as partial:
            write_run_folder(result, scenario, partial)
            write_run_metadata(partial, scenario.source, list(overrides), seed)
            debrief(partial, scenario, seed, plots=plots, base=result.summary)
        result.folder = folder
    return result


def tables(result: RunResult) -> dict[str, pd.DataFrame]:
    """A run's tables as pandas DataFrames: travellers, alerts, events, timeseries, crossings."""
    import pandas as pd

    from sim.engine.outcomes import EVENT_COLUMNS

    return {
        "travellers": pd.DataFrame(result.travellers),
        "alerts": pd.DataFrame(result.alerts),
        "events": pd.DataFrame(result.events, columns=EVENT_COLUMNS),
        "timeseries": pd.DataFrame(result.timeseries),
        "crossings": pd.DataFrame(result.crossings),
    }


def compare(
    a: Scenario | str | Path,
    b: Scenario | str | Path,
    replications: int = 30,
    seed: int | None = None,
    workers: int | None = None,
    out: Out = None,
    plots: bool = True,
    overrides_a: Sequence[str] = (),
    overrides_b: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    allow_large: bool = False,
    force: bool = False,
) -> Comparison:
    """Run A and B on the same seeds (common random numbers); with `out`, write the comparison folder.

    Args:
        a: the first scenario (A), or its file.
        b: the second scenario (B), or its file.
        replications: paired runs (seeds).
        seed: the master seed (default: A's seed).
        workers: worker processes; default: this process for small work, every core when
            processes pay (`sim.experiments.executors.processes_for`); 1 for this process.
        out: the comparison folder; True for ``results/compare-A-vs-B/<UTC time>/``; None writes nothing.
        plots: draw the figures of the report.
        overrides_a: ``PATH=VALUE`` texts applied to A only (when given as a file).
        overrides_b: the same, for B only.
        progress: called with (done, total) as paired runs finish.
        allow_large: go past the limits of `sim.spec.limits` (scenarios, 2 x `replications` runs),
            with a note giving the estimate.
        force: replace a folder `out` that holds tabletop's own files (never other files).

    Returns:
        The comparison: ``.statistics()`` per output (means, paired difference, 95% interval),
        ``.pairs()`` one row per replication, ``.folder`` where it was written, if anywhere.

    Raises:
        ScenarioError: every problem of both scenarios (and of `replications`) at once.
    """
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    for scenario, overrides, label in ((a, overrides_a, "--set-a"), (b, overrides_b, "--set-b")):
        try:
            scenarios.append(_scenario(scenario, overrides, label, allow_large))
        except ScenarioError as exc:
            problems += exc.problems
    if replications < 1:
        problems.append(Problem("--replications", None, "", "must be at least 1", replications))
    elif excess := limits.runs_excess(
        (), f"2 scenarios x {limits.count(replications)} replications", 2 * replications,
        limits.scenario_work(scenarios[0]) if scenarios else None,
    ):  # fmt: skip
        if allow_large:
            limits.note([excess], "--replications")
        else:
            problems += limits.problems_of([excess], "--replications", lambda path: None)
    if problems:
        raise ScenarioError(problems)
    _load_engine()
    from sim.experiments.comparison import compare as paired
    from sim.experiments.comparison import default_comparison_folder, write_comparison_folder

    first, second = scenarios
    folder = None if out is None else default_comparison_folder(first, second) if out is True else Path(out)
    if folder is not None:
        check_target(folder, force)
    comparison = paired(first, second, replications=replications, seed=seed, workers=workers, progress=progress)
    if folder is not None:
        from sim.debrief.comparison_report import write_comparison_report

        with new_folder(folder, "comparison", force) as partial:
            write_comparison_folder(comparison, partial)
            write_comparison_report(partial, plots=plots)
        comparison.folder = folder
    return comparison


def sweep(
    sweep_file: str | Path | Mapping[str, Any] | Sweep,
    out: Out = True,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool | None = None,
    plots: bool = True,
    threshold: float | None = None,
    allow_large: bool = False,
    force: bool = False,
    constraint: str | None = None,
) -> SweepOutcome:
    """Run a sweep locally (worker processes) or on a Dask cluster (`scheduler` address).

    Args:
        sweep_file: a sweep file; or a mapping with the fields of one (its ``scenario``, a file,
            is relative to the current folder); or a `sim.spec.sweep_file.Sweep`.
        out: the sweep folder; True (the default) for ``results/<sweep name>/<UTC time>/``, or
            with `resume` the newest folder of this sweep there. It must not hold a sweep
            already, unless `resume`.
        workers: local worker processes; default: this process for small work, every core when
            processes pay (`sim.experiments.executors.processes_for`); 1 for this process.
        scheduler: a Dask scheduler address, e.g. ``tcp://127.0.0.1:8786``: the runs go to that
            cluster (each worker needs this package installed) instead of local processes.
        resume: finish the sweep already in `out`: only the missing runs are made.
        progress: show a progress bar (default: when stderr is a terminal).
        plots: draw the figures and report.html when every run is done.
        threshold: the level of the critical value the report marks (default: the sweep file's).
        allow_large: go past the limits of `sim.spec.limits` (points, runs, the scenario), with a
            note giving the estimate; a `Sweep` given as such keeps its own.
        force: start afresh in a folder `out` that holds tabletop's own files (never other files).
        constraint: ``OUTPUT<=LEVEL`` or ``OUTPUT>=LEVEL`` (default: the sweep file's): the report
            names the best point that meets it on its 95% bound (docs/sweeps.md).

    Returns:
        The outcome; its ``folder`` holds runs.csv, points.csv (and sensitivity.csv for Sobol designs).

    Raises:
        ScenarioError: listing every problem of the sweep (or of its scenario) before any run.
        OutputError: the folder is in the way, is locked by another sweep (its pid is said), or
            cannot be written.
    """
    if isinstance(sweep_file, Sweep):
        spec = sweep_file
    elif isinstance(sweep_file, Mapping):
        data = dict(sweep_file)
        if isinstance(data.get("scenario"), Path):
            data["scenario"] = str(data["scenario"])
        spec = sweep_from_dict(data, source="<sweep>", folder=Path.cwd(), allow_large=allow_large,
                               constraint=constraint)  # fmt: skip
    else:
        spec = load_sweep(sweep_file, threshold=threshold, allow_large=allow_large, constraint=constraint)
    _load_engine()  # after the checks: a refused sweep never loads the engine
    from sim.experiments.sweep_folder import default_sweep_folder, latest_sweep_folder
    from sim.experiments.sweep_runner import run_sweep

    if out is True and resume:
        folder = latest_sweep_folder(spec)
        if folder is None:
            raise ScenarioError([Problem(str(sweep_file), None, "", "no folder of this sweep in results/ to resume; "
                                         "use --out")])  # fmt: skip
    else:
        folder = default_sweep_folder(spec) if out is True or out is None else Path(out)
    outcome = run_sweep(spec, folder, workers=workers, scheduler=scheduler, resume=resume, progress=progress,
                        force=force)  # fmt: skip
    if plots and not outcome.interrupted:
        report(folder, threshold=threshold)
    return outcome


def sweep_folder_of(sweep: Sweep) -> Path:
    """The newest folder of `sweep` under ``results/``, or where a new one would go (for messages)."""
    from sim.experiments.sweep_folder import default_sweep_folder, latest_sweep_folder

    return latest_sweep_folder(sweep) or default_sweep_folder(sweep)


@dataclass
class Played:
    """A game of `play`: the game itself, what the player's choices changed, and its run folder."""

    game: Game
    change: dict[str, Any]
    folder: Path


def play(scenario: Scenario | str | Path, player: Any, seed: int | None = None, out: str | Path | Literal[True] = True,
         plots: bool = True, allow_large: bool = False, force: bool = False) -> Played:  # fmt: skip
    """Play the scenario with `player` deciding for its agency; the simulation plays the others.

    Args:
        scenario: a scenario, or a scenario file.
        player: who decides: `sim.exercise.play.InteractivePlayer` (asks in the terminal), or the
            `sim.engine.decisions.ReplayPlayer` that `sim.exercise.play.load_decisions` reads.
        seed: the run's seed (default: the seed the player's decisions were recorded on, else the
            scenario's).
        out: the run folder, or True for ``results/<scenario>/<UTC time>/``.
        plots: draw the figures of the report.
        allow_large: play past the limits of `sim.spec.limits` (with a note giving the estimate).
        force: replace a folder `out` that holds tabletop's own files (never other files).

    Returns:
        The game, what the choices changed against the scenario's policy on the same seed
        (`sim.exercise.play.what_changed`), and the folder holding decisions.yaml, play.json
        and the report.

    Raises:
        ScenarioError: an agency the scenario lacks, a verification time that is not a finite number
            of hours >= 0, or a `seed` other than the one the player's decisions were recorded on.
    """
    scenario = _scenario(scenario, allow_large=allow_large)
    _load_engine()
    from sim.debrief.run_report import debrief
    from sim.engine.one_run import default_run_folder, resolve_seed, write_run_metadata
    from sim.exercise.play import InteractivePlayer, game_seed, play_game, what_changed, write_game

    folder = default_run_folder(scenario) if out is True else Path(out)
    check_target(folder, force)  # before the game: a folder in the way is said before the first question
    seed = resolve_seed(scenario, game_seed(player, seed))
    game = play_game(scenario, player, seed)
    quit_at = player.quit_at if isinstance(player, InteractivePlayer) else None
    with new_folder(folder, "run", force) as partial:
        write_game(game, partial, scenario.source, player.verify_hours, quit_at)
        write_run_metadata(partial, scenario.source, [], seed)
        debrief(partial, scenario, seed, plots=plots, base=game.default.summary)
    return Played(game, what_changed(game), folder)


def open_room(scenario: Scenario | str | Path, teams: Sequence[str] | None = None,
              out: str | Path | Literal[True] = True, seed: int | None = None,
              countdown_seconds: float | None = None, speed: float | None = None,
              auto_release: bool = True, real_time: bool = False, verify_hours: float | None = None,
              plots: bool = True, force: bool = False, allow_large: bool = False) -> Room:  # fmt: skip
    """Open a live exercise (`tabletop exercise`): one seat per team, a facilitator, one run on a worker thread.

    Args:
        scenario: a scenario, or a scenario file.
        teams: the agencies the teams play (``--teams``); None: every agency that has a decision.
        out: the exercise's folder (its decisions as they come, the hotwash at the end), or True for
            ``results/<scenario>/<UTC time>/``.
        seed: the run's seed (default: the scenario's).
        countdown_seconds: real seconds per decision before the policy takes it (0: none; default 90).
        speed: simulated hours per real minute (default 6).
        auto_release: release the injects on their schedule (else the facilitator releases them).
        real_time: the clock runs on while decisions are due.
        verify_hours: hours a seated agency takes to verify (default 24).
        plots: draw the figures of the hotwash report.
        force: replace a folder `out` that holds tabletop's own files (never other files).
        allow_large: past the limits of `sim.spec.limits`.

    Returns:
        The `sim.exercise.room.Room`, in its lobby; `Room.links` gives the tokens.

    Raises:
        ScenarioError: a team that is not an agency of the scenario or has no decision to take
            (naming ``--teams``, with did-you-mean), a duplicate team, a setting out of range, a
            folder in the way.
    """
    from sim.exercise.room import DEFAULT_COUNTDOWN_SECONDS, DEFAULT_SPEED, Room
    from sim.exercise.room_record import agencies_with_decisions, check_teams
    from sim.spec.decisions_file import DEFAULT_VERIFY_HOURS

    scenario = _scenario(scenario, allow_large=allow_large)
    _load_engine()
    from sim.engine.one_run import default_run_folder
    from sim.exercise.play import check_verify_hours

    chosen = agencies_with_decisions(scenario) if teams is None else list(teams)
    check_teams(scenario, chosen)
    hours = check_verify_hours(DEFAULT_VERIFY_HOURS if verify_hours is None else verify_hours)
    folder = default_run_folder(scenario) if out is True else Path(out)
    check_target(folder, force)
    if folder.is_dir():
        clear_own_files(folder)
    return Room(scenario, chosen, folder, seed=seed,
                countdown_seconds=DEFAULT_COUNTDOWN_SECONDS if countdown_seconds is None else countdown_seconds,
                speed=DEFAULT_SPEED if speed is None else speed, auto_release=auto_release, real_time=real_time,
                verify_hours=hours, plots=plots)  # fmt: skip


def resume_room(folder: str | Path) -> Room:
    """The exercise whose decisions so far are in `folder` (``tabletop exercise --resume DIR``).

    Replayed to where it stopped, byte for byte, then paused: the facilitator starts the clock again.
    The seats keep their tokens (the teams' links still work).

    Raises:
        ScenarioError: the folder holds no exercise, or one that has ended.
    """
    _load_engine()
    from sim.exercise.room import Room

    return Room.resume(Path(folder))


def replay_exercise(scenario: Scenario | str | Path, decisions: str | Path, seed: int | None = None,
                    out: str | Path | Literal[True] = True, plots: bool = True, allow_large: bool = False,
                    force: bool = False) -> Path:  # fmt: skip
    """Replay a live exercise from its decisions file, without a browser (``tabletop play --decisions``).

    Writes the run folder the exercise's hotwash wrote: the same tables, summary, decisions file and
    report, byte for byte.

    Returns:
        The run folder.

    Raises:
        ScenarioError: a problem of the decisions file (FILE:LINE: field: problem), or a `seed`
            other than the one the exercise ran on.
    """
    scenario = _scenario(scenario, allow_large=allow_large)
    _load_engine()
    from sim.engine.one_run import default_run_folder, resolve_seed
    from sim.exercise.room_record import check_teams, hotwash_of, replay_model, teams_from
    from sim.exercise.room_report import write_hotwash
    from sim.spec.decisions_file import read_exercise

    recorded = read_exercise(decisions, seed=seed, agencies=tuple(a.id for a in scenario.agencies),
                             injects=len(scenario.injects), allow_large=allow_large)  # fmt: skip
    check_teams(scenario, [team.agency for team in recorded.teams], option=str(decisions))
    folder = default_run_folder(scenario) if out is True else Path(out)
    check_target(folder, force)
    run_seed = resolve_seed(scenario, recorded.seed if recorded.seed is not None else seed)
    teams = teams_from(recorded)
    model = replay_model(scenario, run_seed, teams, recorded.released)
    quit_hours = None if recorded.quit_day is None else recorded.quit_day * 24
    hotwash = hotwash_of(scenario, run_seed, model, teams, recorded.released, quit_hours)
    scenario_file = str(recorded.data.get("scenario") or scenario.source)
    with new_folder(folder, "run", force) as partial:
        write_hotwash(hotwash, partial, scenario_file, plots=plots)
    return folder


def report(folder: str | Path, threshold: float | None = None) -> Path:
    """Redraw the figures and report.html of a finished run, comparison or sweep folder from its tables.

    Args:
        folder: the folder; its kind is recognised by the files it holds.
        threshold: for a sweep, the level of the critical value to mark.

    The folder is checked first (`sim.debrief.folder_checks.check_folder`): its completion
    marker, when it has one, must match its files, and its files must be what the report
    reads. A folder without a marker (from an earlier version) is reported with a
    `sim.debrief.folder_checks.FolderWarning`; the marker of one that has it is brought up
    to date with the redrawn files.

    Returns:
        The path of the report.

    Raises:
        ScenarioError: the folder is none of the three kinds, is unfinished (a sweep without its
            marker, a folder still being written), or a file is cut, changed or of the wrong shape:
            every problem names its file.
        OutputError: the report cannot be written (full or read-only disk, a link as figures/).
    """
    from sim.debrief.folder_checks import FolderWarning, check_folder

    folder = Path(folder)
    kind, notes = check_folder(folder)
    for note in notes:
        warnings.warn(note, FolderWarning, stacklevel=2)
    if kind == "run":
        from sim.debrief.run_report import write_report

        path = write_report(folder)
    elif kind == "comparison":
        from sim.debrief.comparison_report import write_comparison_report

        path = write_comparison_report(folder)
    else:
        from sim.debrief.sweep_report import report as sweep_report

        sweep_report(folder, threshold=threshold)
        path = folder / "report.html"
    if (folder / MARKER).is_file():
        write_marker(folder, kind)
    return path


def check(path: str | Path, allow_large: bool = False) -> Scenario | Sweep:
    """Read and validate a scenario or sweep file (recognised by its fields), changing nothing.

    The file is read once. `allow_large` lets it past the limits of `sim.spec.limits` (with a
    note giving the estimate).

    Raises:
        ScenarioError: listing every problem of the file.
    """
    data, lines = read_yaml(path, allow_large)
    if is_sweep_data(data):
        return sweep_from_dict(data, source=str(path), lines=lines, folder=Path(path).parent, allow_large=allow_large)
    return scenario_from_dict(data, source=str(path), lines=lines, allow_large=allow_large)


def schema(kind: Literal["scenario", "sweep"] = "scenario") -> dict[str, Any]:
    """The JSON Schema of the scenario format, or of the sweep file, for editors and checks."""
    if kind == "sweep":
        return sweep_json_schema()
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": "tabletop scenario"}


def msel(scenario: Scenario | str | Path, start: str = "09:00", minutes_per_day: float | None = None,
         form: Literal["csv", "json"] = "csv", profile: str = "",
         allow_large: bool = False) -> tuple[list[dict[str, Any]], str]:  # fmt: skip
    """The injects as a Master Scenario Events List: its rows, and their text as CSV or JSON (T3SF's shape).

    Args:
        scenario: a scenario, or the path of its file.
        start: the real time (HH:MM) of day 0.
        minutes_per_day: real minutes per scenario day; None takes the pace nearest 10 that T3SF keeps.
        form: ``csv``, or ``json`` for T3SF 2.5.1 (one object per inject and player).
        profile: the sender icon T3SF shows with each inject (an http(s) URL); empty lets T3SF pick one.
        allow_large: read a scenario past the limits of `sim.spec.limits` (with a note).

    Raises:
        ScenarioError: a start time that is not a clock time, minutes per day that are not positive, or
            JSON that T3SF would not deliver as the MSEL says (with the minutes per day that fit).
    """
    from sim.exercise.msel import MselError, msel_rows, write_msel

    try:
        rows = msel_rows(_scenario(scenario, allow_large=allow_large), start=start, minutes_per_day=minutes_per_day)
        return rows, write_msel(rows, form, profile=profile)
    except MselError as exc:
        raise ScenarioError([Problem(e.option, None, "", e.message, e.value) for e in (exc, *exc.also)]) from None

