"""The `tabletop` command line (thin: it parses, calls the library, prints).

Exit status: 0 done; 2 the input is wrong (the message says where); 1 an
internal error (a bug: the message says so and where the traceback was saved).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import os
import signal
import sys
import tempfile
import traceback
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim import api
from sim.errors import Problem, ScenarioError
from sim.experiments.progress_lines import progress_callback
from sim.i18n import ENV_VARIABLE, LANGUAGES, LanguageError, check_language, default_language, use_language
from sim.safe_text import visible
from sim.spec.limits import LimitNote
from sim.spec.output_files import OutputError, check_target, write_text
from sim.spec.scenario import Scenario
from sim.version import __version__
from sim.vocabulary import CAUSE_LABELS

ALLOW_LARGE_HELP = "go past the limits on size (travellers, events, runs, file size): print the estimate, go on"
FORCE_HELP = "replace the folder if it holds only tabletop's own files (others are never removed)"
LANG_HELP = (f"the language participants read: {', '.join(LANGUAGES)} (default: ${ENV_VARIABLE}, else en); "
             "the command line and validation errors stay in English")  # fmt: skip


def add_lang_argument(parser: argparse.ArgumentParser, help_text: str = LANG_HELP) -> None:
    """Give a command the shared ``--lang`` option (``args.lang``: a language of `sim.i18n.LANGUAGES`, or None).

    A wrong value is refused by argparse with a message naming ``--lang`` (exit 2); None means
    "the default": ``TABLETOP_LANG``, else English (`command_language`). Every command whose
    output participants read takes it: ``run``, ``compare``, ``sweep``, ``report``, ``play``,
    ``dashboard`` and the live exercise; `_main` runs the command inside `sim.i18n.use_language`.
    """
    parser.add_argument("--lang", type=_language, default=None, metavar="|".join(LANGUAGES), help=help_text)


def _language(text: str) -> str:
    try:
        return check_language(text, "--lang")
    except LanguageError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--lang: ")) from None


def command_language(args: argparse.Namespace) -> str | None:
    """The language a command writes in: its ``--lang``, else ``TABLETOP_LANG``, else ``en``.

    None for a command without ``--lang`` (it writes nothing participants read).

    Raises:
        ScenarioError: ``TABLETOP_LANG`` holds no known language (the problem names it; exit 2).
    """
    if not hasattr(args, "lang"):
        return None
    if args.lang is not None:
        return args.lang
    try:
        return default_language()
    except LanguageError as exc:
        raise ScenarioError([Problem(ENV_VARIABLE, None, "", str(exc).removeprefix(f"{ENV_VARIABLE}: "))]) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tabletop",
        description="Simulate a tabletop exercise on information sharing between agencies "
        "(fictional countries, synthetic travellers).",
    )
    parser.add_argument("--version", action="version", version=f"tabletop {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="run a scenario once and write a run folder")
    run.add_argument("scenario", metavar="SCENARIO.yaml")
    run.add_argument("--seed", type=_seed, help="the run's seed (default: the scenario's)")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="change one field, e.g. sharing.delay_scale=0.5 or sharing.links[A->B].trust=1 (repeatable)",
    )
    run.add_argument("--out", metavar="DIR", help="the run folder (default: results/<scenario>/<UTC time>/)")
    run.add_argument("--no-plots", action="store_true", help="do not draw figures")
    run.add_argument("--force", action="store_true", help=FORCE_HELP)
    run.add_argument("--quiet", action="store_true", help="print only the run folder's path")
    run.add_argument("--allow-large", action="store_true", help=ALLOW_LARGE_HELP)
    add_lang_argument(run)

    validate = commands.add_parser("validate", help="check scenario files; print every problem")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--allow-large", action="store_true", help=ALLOW_LARGE_HELP)

    schema = commands.add_parser("schema", help="print the JSON Schema of the scenario format (for editors)")
    schema.add_argument("--sweep", action="store_true", help="the JSON Schema of the sweep file instead")

    sweep = commands.add_parser("sweep", help="run a parameter sweep (local processes, or a Dask cluster)")
    sweep.add_argument("sweep", metavar="SWEEP.yaml")
    sweep.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores if they pay)")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://127.0.0.1:8786")
    sweep.add_argument("--out", metavar="DIR", help="the sweep folder (default: results/<sweep>/<UTC time>/)")
    sweep.add_argument("--resume", action="store_true", help="finish an interrupted sweep: run only what is missing")
    sweep.add_argument("--force", action="store_true",
                       help="start afresh in a folder that holds tabletop's own files (never other files)")  # fmt: skip
    sweep.add_argument("--threshold", type=float, metavar="LEVEL", help="mark the critical value at this level")
    sweep.add_argument("--constraint", metavar="OUTPUT<=LEVEL",
                       help="name the best point whose OUTPUT stays within LEVEL on its 95%% bound, e.g. "
                       "'wrongful_stops.total<=50' (replaces the file's constraint:)")  # fmt: skip
    sweep.add_argument("--no-plots", action="store_true", help="do not draw figures and report.html")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar; print only the sweep folder's path")
    sweep.add_argument("--allow-large", action="store_true", help=ALLOW_LARGE_HELP)
    add_lang_argument(sweep)

    compare = commands.add_parser("compare", help="two scenarios on the same seeds: paired differences")
    compare.add_argument("a", metavar="A.yaml")
    compare.add_argument("b", metavar="B.yaml")
    compare.add_argument("--replications", type=int, default=30, metavar="N", help="seeds to run (default 30)")
    compare.add_argument("--seed", type=_seed, help="the master seed (default: A's seed)")
    compare.add_argument("--set-a", dest="set_a", action="append", default=[], metavar="PATH=VALUE",
                         help="change a field of A only (repeatable)")  # fmt: skip
    compare.add_argument("--set-b", dest="set_b", action="append", default=[], metavar="PATH=VALUE",
                         help="change a field of B only (repeatable)")  # fmt: skip
    compare.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores if they pay)")
    compare.add_argument("--out", metavar="DIR", help="the folder (default: results/compare-A-vs-B/<UTC time>/)")
    compare.add_argument("--no-plots", action="store_true", help="do not draw figures")
    compare.add_argument("--force", action="store_true", help=FORCE_HELP)
    compare.add_argument("--quiet", action="store_true", help="print only the folder's path")
    compare.add_argument("--allow-large", action="store_true", help=ALLOW_LARGE_HELP)
    add_lang_argument(compare)

    play = commands.add_parser("play", help="play one agency in the terminal; the simulation plays the others")
    play.add_argument("scenario", metavar="SCENARIO.yaml")
    play.add_argument("--as", dest="agency", metavar="AGENCY",
                      help="the agency you play (not with an exercise's decisions file: it names its teams)")
    play.add_argument("--decisions", metavar="FILE", help="replay recorded decisions instead of asking "
                      "(a game's, or a live exercise's exercise.yaml: every team's)")
    play.add_argument("--seed", type=_seed, help="the run's seed (default: the scenario's)")
    play.add_argument("--verify-hours", type=_hours, default=24.0, metavar="H",
                      help="hours a verification takes when the scenario does not say (default 24)")  # fmt: skip
    play.add_argument("--out", metavar="DIR", help="the run folder (default: results/<scenario>/<UTC time>/)")
    play.add_argument("--no-plots", action="store_true", help="do not draw figures")
    play.add_argument("--allow-large", action="store_true", help=ALLOW_LARGE_HELP)
    play.add_argument("--force", action="store_true", help=FORCE_HELP)
    add_lang_argument(play)

    msel = commands.add_parser("msel", help="export the injects as a Master Scenario Events List")
    msel.add_argument("scenario", metavar="SCENARIO.yaml")
    msel.add_argument("--format", choices=("csv", "json"), default="csv", help="csv, or T3SF's MSEL JSON")
    msel.add_argument("--out", metavar="FILE", help="write to FILE (default: print)")
    msel.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    msel.add_argument("--start", default="09:00", metavar="HH:MM", help="real time of the first day (default 09:00)")
    msel.add_argument("--minutes-per-day", type=float, default=None, metavar="M",
                      help="real minutes per scenario day, for the Real Time column (default: the pace nearest 10 "
                           "that T3SF keeps)")  # fmt: skip
    msel.add_argument("--profile", default="", metavar="URL",
                      help="the sender icon T3SF shows with each inject (default: T3SF picks one)")  # fmt: skip
    msel.add_argument("--allow-large", action="store_true", help=ALLOW_LARGE_HELP)

    new = commands.add_parser("new", help="write a commented starter scenario (asks, or takes options)")
    new.add_argument("file", metavar="FILE.yaml")
    new.add_argument("--countries", type=int, metavar="N", help="how many countries (3 to 8)")
    new.add_argument("--agencies-per-country", type=int, metavar="N", help="agencies per home/transit country (1-3)")
    new.add_argument("--sharing", choices=("hub", "bilateral"), help="a regional hub, or bilateral links")
    new.add_argument("--travellers", type=int, metavar="N", help="how many travellers")
    new.add_argument("--days", type=int, metavar="N", help="the exercise length in days")
    new.add_argument("--seed", type=_seed, help="the seed (also picks the fictional names)")
    new.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    report = commands.add_parser("report", help="(re)draw the figures and report.html of a finished folder")
    report.add_argument("folder", metavar="DIR")
    add_lang_argument(report)

    dashboard = commands.add_parser("dashboard", help="serve the interactive workshop page (works offline)")
    dashboard.add_argument("scenario", metavar="SCENARIO.yaml")
    dashboard.add_argument("--port", type=int, default=5006, metavar="P", help="the port (default 5006; 0: a free one)")
    dashboard.add_argument("--host", default="127.0.0.1", metavar="H",
                           help="the address to listen on (default 127.0.0.1: this machine only)")  # fmt: skip
    dashboard.add_argument("--allow-origin", action="append", default=[], metavar="HOST:PORT",
                           help="also accept the page opened at http://HOST:PORT/ (e.g. a name the room uses for this "
                                "machine; repeatable). By default only the address served")  # fmt: skip
    add_lang_argument(dashboard, LANG_HELP + "; the page's starting language (participants can switch)")

    exercise = commands.add_parser("exercise", help="a live exercise in the browser: a page per team, a facilitator")
    exercise.add_argument("scenario", nargs="?", metavar="SCENARIO.yaml")
    exercise.add_argument("--teams", metavar="A,B,C",
                          help="the agencies teams play, by id (default: every agency with a decision)")  # fmt: skip
    exercise.add_argument("--resume", metavar="DIR", help="go on with the exercise whose decisions are in DIR")
    exercise.add_argument("--seed", type=_seed, help="the run's seed (default: the scenario's)")
    exercise.add_argument("--countdown", type=_seconds, metavar="SECONDS",
                          help="seconds a team has for each decision before the scenario's policy takes it "
                          "(default 90; 0: no countdown)")  # fmt: skip
    exercise.add_argument("--speed", type=_speed, metavar="HOURS_PER_MINUTE",
                          help="simulated hours per real minute (default 6)")  # fmt: skip
    exercise.add_argument("--manual-injects", action="store_true",
                          help="the facilitator releases the injects in MSEL order (default: on schedule)")  # fmt: skip
    exercise.add_argument("--real-time", action="store_true",
                          help="the clock runs on while a team has a decision due (default: it waits)")  # fmt: skip
    exercise.add_argument("--out", metavar="DIR", help="the exercise folder (default: results/<scenario>/<UTC time>/)")
    exercise.add_argument("--force", action="store_true", help=FORCE_HELP)
    exercise.add_argument("--port", type=int, default=5006, metavar="P", help="the port (default 5006; 0: a free one)")
    exercise.add_argument("--host", default="127.0.0.1", metavar="H",
                          help="the address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 opens the "
                          "pages to the room's network)")  # fmt: skip
    exercise.add_argument("--allow-origin", action="append", default=[], metavar="HOST:PORT",
                          help="also accept pages opened at HOST:PORT, e.g. the room's name for this machine "
                          "(repeatable)")  # fmt: skip
    add_lang_argument(exercise, LANG_HELP + "; the pages' starting language (each participant can switch)")
    exercise.add_argument("--allow-large", action="store_true", help=ALLOW_LARGE_HELP)

    bench = commands.add_parser("bench", help="time the standard workloads (medians of several repeats)")
    bench.add_argument("--repeats", type=int, help="repeats per workload (default 5; 3 with --room)")
    bench.add_argument(
        "--quick", action="store_true", help="skip the 100,000-traveller workloads and the 10,000-run sweep"
    )
    bench.add_argument("--no-sweeps", action="store_true", help="skip the sweep workloads")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument("--room", action="store_true",
                       help="instead, the live exercise under load: seats and viewers in headless Chromium on one room "
                       "server, every decision's round trip (needs Playwright and Chromium)")  # fmt: skip
    bench.add_argument("--seats", type=int, default=12, metavar="N", help="with --room: team pages (default 12)")
    bench.add_argument("--viewers", type=int, default=30, metavar="N",
                       help="with --room: read-only viewer pages (default 30)")  # fmt: skip
    bench.add_argument("--viewer-kind", choices=("browser", "client"), default="browser",
                       help="with --room: viewers as Chromium pages (default) or protocol-level sessions")  # fmt: skip
    return parser


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a seed is a whole number >= 0 (got {text!r})") from None
    if value < 0 or value >= 2**63:
        raise argparse.ArgumentTypeError(f"a seed is a whole number >= 0 (got {text!r})")
    return value


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number of hours >= 0 (got {text!r})") from None
    if not (math.isfinite(value) and value >= 0):  # NaN would poison the event calendar
        raise argparse.ArgumentTypeError(f"a finite number of hours >= 0 (got {text!r})")
    return value


def _seconds(text: str) -> float:
    """A number of seconds >= 0 (``--countdown``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"a number of seconds from 0 to 3600 (0: no countdown), got {text!r}")
    return value


def _speed(text: str) -> float:
    """Simulated hours per real minute (``--speed``): a positive number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected simulated hours per minute, got {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= 240:
        raise argparse.ArgumentTypeError(f"simulated hours per minute, above 0 and at most 240, got {text!r}")
    return value


def _stdin_closed() -> bool:
    """Whether standard input is closed (``<&-``): Python then has no ``sys.stdin`` at all."""
    return sys.stdin is None or sys.stdin.closed


class VisibleStream:
    r"""A text stream whose writes show control characters as escapes (`sim.safe_text.visible`).

    The command line prints names, values and paths from its input; through this stream an
    escape sequence in them (``\x1b[2J``) is shown, never obeyed. A carriage return that
    begins a write is kept: a progress line rewriting itself. Everything else is the
    wrapped stream's.
    """

    def __init__(self, stream: Any):
        self.raw_stream = stream

    def write(self, text: str) -> int:
        """Write `text` with its control characters shown; returns its length."""
        head = "\r" if text.startswith("\r") else ""
        self.raw_stream.write(head + visible(text[len(head) :]))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw_stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Everything it prints goes through `VisibleStream`: no text of the input can drive the terminal.
    """
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = VisibleStream(stdout), VisibleStream(stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        lang = command_language(args)
        with warnings.catch_warnings(), use_language(lang) if lang else contextlib.nullcontext():
            warnings.simplefilter("always", LimitNote)
            warnings.showwarning = _show_note
            return {
                "run": _run,
                "validate": _validate,
                "schema": _schema,
                "bench": _bench,
                "report": _report,
                "compare": _compare,
                "play": _play,
                "msel": _msel,
                "new": _new,
                "sweep": _sweep,
                "dashboard": _dashboard,
                "exercise": _exercise,
            }[args.command](args)
    except OutputError as exc:
        for problem in exc.problems:
            print(f"tabletop: {problem}", file=sys.stderr)
        print("Nothing half-written was left behind.", file=sys.stderr)
        return 2
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"{count} problem{'s' if count != 1 else ''}; nothing was run or written.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (PermissionError, FileNotFoundError, NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
        # An output path the user gave that cannot be written (the inputs were read and checked before).
        where = exc.filename or "the output"
        print(f"tabletop: cannot write {where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `tabletop run X | head`): the work is done; stop printing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.errno not in DISK_ERRORS:
            return _internal_error()
        # A full, read-only or forbidden disk that a writer did not name itself.
        print(f"tabletop: cannot write {exc.filename or 'the output'}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - the last line of defence: report a bug, never a bare traceback
        return _internal_error()


DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})
"""Errors of a write that are the machine's, not a bug: a full, read-only or forbidden disk (exit 2)."""


def _internal_error() -> int:
    """Save the traceback of the exception being handled to a fresh log file, say where, and return 1.

    The log is made by `tempfile.mkstemp` (a name nobody can guess, exclusive creation, never through
    a link, readable by this user only), in the temporary folder.
    """
    text = traceback.format_exc()
    try:
        descriptor, name = tempfile.mkstemp(prefix=f"tabletop-error-{datetime.now(UTC):%Y%m%dT%H%M%S}-", suffix=".log")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        where = f"The traceback is in {name}"
    except OSError:
        sys.stderr.write(text)
        where = "The traceback is above"
    print(f"tabletop: internal error (a bug, not your input). {where}; please attach it to an issue.", file=sys.stderr)
    return 1


def _show_note(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None,
               line: str | None = None) -> None:  # fmt: skip
    """Print a `LimitNote` as ``note: ...`` (a limit lifted, workers reduced); other warnings as Python does."""
    if issubclass(category, LimitNote):
        print(f"note: {message}", file=sys.stderr, flush=True)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _run(args: argparse.Namespace) -> int:
    result = api.run(args.scenario, args.seed, out=args.out or True, plots=not args.no_plots, overrides=args.overrides,
                     allow_large=args.allow_large, force=args.force)  # fmt: skip
    folder = result.folder
    if args.quiet:
        print(folder)
    else:
        print(format_summary(result.summary, folder))
        if (folder / "report.html").is_file():
            print(f"  report: {folder / 'report.html'}")
    return 0


def format_summary(summary: dict[str, Any], folder: Path | str) -> str:
    """The short terminal summary of one run."""
    crossed, detected = summary["crossed"], summary["detected"]
    rate = summary["detection_rate"]
    lines = [
        f"{summary['scenario']} (seed {summary['seed']})",
        f"  detected {detected} of {crossed} travellers who crossed a border"
        + (f" ({rate:.0%})" if rate is not None else ""),
        "",
        f"  {'why the others got through':<32}{'travellers':>10}{'of crossed':>12}",
    ]
    for cause, count in summary["misses"].items():
        share = f"{count / crossed:.0%}" if crossed else "-"
        extra = ""
        if cause == "late" and summary.get("median_hours_late") is not None:
            extra = f"   median {summary['median_hours_late']:.1f} h late"
        lines.append(f"  {CAUSE_LABELS[cause]:<32}{count:>10}{share:>12}{extra}")
    stops = summary.get("wrongful_stops")
    if stops is not None:  # the cost of sharing is modelled
        kinds = ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in stops["by_kind"].items() if count)
        precision = summary.get("stop_precision")
        lines += [
            "",
            f"  wrongful stops: {stops['total']}"
            + (f" ({kinds})" if kinds else "")
            + f" among {summary['ordinary_crossings']['total']:,} ordinary crossings"
            + (f"; stop precision {precision:.0%} (detected / all stops)" if precision is not None else ""),
        ]
    alerts = summary["alerts"]
    lines += [
        "",
        f"  alerts: {alerts['sent']} sent, {alerts['delivered']} delivered, {alerts['lost']} lost, "
        f"{alerts['discarded']} discarded, {alerts['verified']} verified",
        f"  run folder: {folder}",
    ]
    return "\n".join(lines)


def _validate(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.files:
        try:
            checked = api.check(name, allow_large=args.allow_large)
        except ScenarioError as exc:
            failed += 1
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            continue
        if isinstance(checked, Scenario):
            print(
                f"{name}: ok ({checked.name!r}: {len(checked.countries)} countries, "
                f"{len(checked.agencies)} agencies, {len(checked.sharing.links)} links, "
                f"{checked.travellers.count} travellers, {len(checked.injects)} injects)"
            )
        else:
            print(f"{name}: ok (sweep: {checked.describe()})")
    if failed:
        print(f"{failed} of {len(args.files)} files have problems.", file=sys.stderr)
        return 2
    return 0


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(api.schema("sweep" if args.sweep else "scenario"), indent=2))
    return 0


def _compare(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise ScenarioError([Problem("--workers", None, "", "must be at least 1", args.workers)])
    progress = None
    if not args.quiet:
        progress = _progress_line if sys.stderr.isatty() else progress_callback("paired runs")
    comparison = api.compare(
        args.a, args.b, replications=args.replications, seed=args.seed, workers=args.workers,
        out=args.out or True, plots=not args.no_plots, overrides_a=args.set_a, overrides_b=args.set_b,
        progress=progress, allow_large=args.allow_large, force=args.force,
    )  # fmt: skip
    folder = comparison.folder
    if args.quiet:
        print(folder)
        return 0
    a, b = comparison.a, comparison.b
    stats = comparison.statistics()["detection_rate"]
    print(f"{b.name} vs {a.name}, {args.replications} paired runs (master seed {comparison.master_seed})")
    if stats["diff"] is not None:
        print(f"  detection rate: {stats['a']:.1%} -> {stats['b']:.1%}, difference {100 * stats['diff']:+.1f} points "
              f"(95% interval {100 * stats['ci_low']:+.1f} to {100 * stats['ci_high']:+.1f})")  # fmt: skip
    stops = comparison.statistics().get("wrongful_stops")
    if stops is not None and stops["diff"] is not None:
        print(f"  wrongful stops: {stops['a']:.1f} -> {stops['b']:.1f}, difference {stops['diff']:+.1f} "
              f"(95% interval {stops['ci_low']:+.1f} to {stops['ci_high']:+.1f})")  # fmt: skip
    print(f"  comparison folder: {folder}")
    print(f"  report: {folder / 'report.html'}")
    return 0


def _progress_line(done: int, total: int) -> None:
    end = "\n" if done == total else ""
    print(f"\r  {done}/{total} paired runs", end=end, file=sys.stderr, flush=True)


def _play(args: argparse.Namespace) -> int:
    from sim.exercise.play import InteractivePlayer, game_intro, game_summary, load_decisions
    from sim.spec.decisions_file import is_exercise_file

    scenario = api.load_scenario(args.scenario, allow_large=args.allow_large)
    if args.decisions and is_exercise_file(args.decisions, args.allow_large):
        if args.agency:
            raise ScenarioError([Problem("--as", None, "", "an exercise's decisions file names its teams: "
                                         "leave out --as", args.agency)])  # fmt: skip
        folder = api.replay_exercise(scenario, args.decisions, seed=args.seed, out=args.out or True,
                                     plots=not args.no_plots, force=args.force,
                                     allow_large=args.allow_large)  # fmt: skip
        print(f"The exercise replayed.\n  run folder: {folder}\n  decisions: {folder / 'exercise.yaml'}\n"
              f"  report: {folder / 'report.html'}")  # fmt: skip
        return 0
    if not args.agency:
        raise ScenarioError([Problem("--as", None, "", "required: the agency you play")])
    if args.agency not in {a.id for a in scenario.agencies}:
        raise ScenarioError([Problem("--as", None, "", "no such agency (agencies: "
                                     + ", ".join(a.id for a in scenario.agencies) + ")", args.agency)])  # fmt: skip
    if args.decisions:
        player, _ = load_decisions(args.decisions, args.agency, args.seed)
    elif _stdin_closed() or not sys.stdin.isatty():
        why = "standard input is closed" if _stdin_closed() else "standard input is not a terminal"
        raise ScenarioError([Problem("play", None, "", f"{why}: play asks its questions in a terminal; to play "
                                     "without one, replay recorded decisions with --decisions FILE")])  # fmt: skip
    else:
        player = InteractivePlayer(args.agency, verify_hours=args.verify_hours)
        print(game_intro(scenario.name, args.agency))
    if args.out:  # a folder in the way is said before the first question, not after the game
        check_target(args.out, args.force)
    played = api.play(scenario, player, seed=args.seed, out=args.out or True, plots=not args.no_plots, force=args.force)
    change, folder = played.change, played.folder
    unused = len(getattr(player, "choices", {})) - len(getattr(player, "used", ()))
    player_shown = player if isinstance(player, InteractivePlayer) else None
    for line in game_summary(change, folder, player_shown, unused if args.decisions else 0):
        print(line)
    return 0


def _msel(args: argparse.Namespace) -> int:
    if args.out:
        _check_out_file(Path(args.out), args.force)
    rows, text = api.msel(args.scenario, start=args.start, minutes_per_day=args.minutes_per_day, form=args.format,
                          profile=args.profile, allow_large=args.allow_large)  # fmt: skip
    if args.out:
        write_text(args.out, text)  # whole or not at all; a link at the name is replaced, not written through
        pace = f" at {rows[0]['minutes_per_day']:g} minutes per day" if rows else ""
        print(f"{len(rows)} injects written to {args.out}{pace}")
        if args.format == "json" and rows:
            players = rows[0]["_t3sf_players"]
            print("T3SF players: " + ", ".join(f"{name} = {agency}" for agency, name in players.items()))
    else:
        # The MSEL itself goes to a file or a pipe as written; only a terminal sees it escaped.
        out = sys.stdout
        raw = getattr(out, "raw_stream", out)
        (out if raw.isatty() else raw).write(text)
    return 0


def _check_out_file(path: Path, force: bool) -> None:
    """An output file's name: not a folder; an existing file only with --force."""
    if path.is_dir() and not path.is_symlink():
        raise OutputError([Problem(str(path), None, "", "is a folder; give a file name to --out")])
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputError([Problem(str(path), None, "", "exists already; add --force to replace it, or choose "
                                   "another --out")])  # fmt: skip


def _new(args: argparse.Namespace) -> int:
    from sim.exercise.starter import DEFAULTS, ask_missing, command_line, starter_scenario

    path = Path(args.file)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ScenarioError([Problem(str(path), None, "", "a scenario file's name ends in .yaml or .yml "
                                     f"(e.g. {path.stem or 'exercise'}.yaml)")])  # fmt: skip
    if path.exists() and not args.force:
        raise ScenarioError([Problem(str(path), None, "", "exists already (use --force to overwrite)")])
    missing = [key for key in DEFAULTS if getattr(args, key) is None]
    if _stdin_closed() and missing:
        options = ", ".join(f"--{key.replace('_', '-')}" for key in missing)
        raise ScenarioError([Problem("new", None, "", f"standard input is closed, so there is no one to ask: give "
                                     f"{options} (or run it in a terminal)")])  # fmt: skip
    interactive = not _stdin_closed() and sys.stdin.isatty()
    try:
        answers = ask_missing(vars(args), interactive=interactive)
    except EOFError:
        raise ScenarioError([Problem("new", None, "", "the input ended before every question was answered "
                                     "(give the answers as options to skip the questions)")]) from None
    write_text(path, starter_scenario(**answers, file=str(path)))
    print(f"wrote {path}: try `tabletop run {path}`")
    if interactive:
        print(f"  the same without questions: {command_line(str(path), answers)}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from sim.debrief.folder_checks import FolderWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FolderWarning)
        path = api.report(args.folder)
    for warning in caught:
        if issubclass(warning.category, FolderWarning):
            print(f"tabletop: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    print(f"report: {path}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiments.executors import ExecutorError

    if args.workers is not None and args.workers < 1:
        raise ScenarioError([Problem("--workers", None, "", "must be at least 1", args.workers)])
    sweep = api.load_sweep(args.sweep, threshold=args.threshold, allow_large=args.allow_large,
                           constraint=args.constraint)  # fmt: skip
    _stop_on_sigterm()
    if not args.quiet:
        print(f"{sweep.name}: {sweep.describe()}", file=sys.stderr)
    folder: Path | None = Path(args.out) if args.out else None
    try:
        outcome = api.sweep(
            sweep, out=folder or True, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
            progress=False if args.quiet else None, plots=not args.no_plots, threshold=args.threshold,
            force=args.force,
        )  # fmt: skip
    except (KeyboardInterrupt, ExecutorError) as exc:
        why = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"tabletop: {exc}"
        where = folder or api.sweep_folder_of(sweep)
        print(
            f"{why}; the finished runs are in {where / 'runs.csv'}.\n"
            f"Finish with: tabletop sweep {args.sweep} --out {where} --resume",
            file=sys.stderr,
        )
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    if args.quiet:
        print(outcome.folder)
    else:
        before = f" ({outcome.done - outcome.made} were already done)" if args.resume else ""
        print(
            f"{outcome.made} runs made in {outcome.seconds:.1f} s on {outcome.executor}; "
            f"{outcome.done} of {outcome.runs} done{before}, {outcome.failed} failed\n  sweep folder: {outcome.folder}"
        )
        if (outcome.folder / "report.html").is_file():
            print(f"  report: {outcome.folder / 'report.html'}")
    return 0


def _stop_on_sigterm() -> None:
    """Make `kill` stop the work like Ctrl-C (sweeps keep every finished run; the page closes cleanly)."""

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def _dashboard(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise ScenarioError([Problem("--port", None, "", "must be 0 to 65535 (0: any free port)", args.port)])
    from sim.dashboard.origins import parse_origin

    for text in args.allow_origin:
        try:
            parse_origin(text)
        except ValueError as exc:
            raise ScenarioError([Problem("--allow-origin", None, "", str(exc))]) from None
    api.load_scenario(args.scenario)  # a wrong scenario: exit 2 before the web framework is even imported
    from sim.dashboard.app import serve

    _stop_on_sigterm()

    def announce(url: str) -> None:
        print(f"tabletop dashboard: {url}  (Ctrl-C to stop)", flush=True)

    try:
        serve(args.scenario, host=args.host, port=args.port, announce=announce, allow_origins=args.allow_origin)
    except OSError as exc:
        print(f"tabletop dashboard: cannot listen on {args.host}:{args.port} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    print("tabletop dashboard: stopped", flush=True)
    return 0


def _exercise(args: argparse.Namespace) -> int:
    def wrong(option: str, message: str, value: Any = None) -> ScenarioError:
        return ScenarioError([Problem(option, None, "", message, value)])

    if (args.scenario is None) == (args.resume is None):
        raise wrong("SCENARIO.yaml", "give a scenario to start an exercise, or --resume DIR to go on with one")
    if args.resume is not None:
        given = [name for name in ("teams", "seed", "countdown", "speed", "out") if getattr(args, name) is not None]
        given += ["--manual-injects"] * args.manual_injects + ["--real-time"] * args.real_time
        if given:
            raise wrong("--resume", "goes on with the settings the exercise was started with; drop "
                        + ", ".join(n if n.startswith("--") else f"--{n}" for n in given))  # fmt: skip
        if not Path(args.resume).is_dir():
            raise wrong("--resume", "no such folder", args.resume)
    if not 0 <= args.port <= 65535:
        raise wrong("--port", "must be 0 to 65535 (0: any free port)", args.port)
    from sim.dashboard.origins import is_loopback, parse_origin

    for text in args.allow_origin:
        try:
            parse_origin(text)
        except ValueError as exc:
            raise wrong("--allow-origin", str(exc)) from None
    lang = command_language(args)
    teams = None
    if args.teams is not None:
        teams = [t.strip() for t in args.teams.split(",") if t.strip()]
        if not teams:
            raise wrong("--teams", "name at least one agency, e.g. --teams HAL-INT,DRV-BRD", args.teams)
    if args.resume is not None:
        room = api.resume_room(args.resume)
        folder, title = Path(room.folder), room.scenario.name
    else:
        scenario = api.load_scenario(args.scenario, allow_large=args.allow_large)
        room = api.open_room(scenario, teams, out=args.out or True, seed=args.seed, countdown_seconds=args.countdown,
                             speed=args.speed, auto_release=not args.manual_injects, real_time=args.real_time,
                             force=args.force, allow_large=args.allow_large)  # fmt: skip
        folder, title = Path(room.folder), scenario.name
    from sim.dashboard.room_pages import serve_room, stop_room

    def stop(signum: int, frame: Any) -> None:
        for each in (signal.SIGINT, signal.SIGTERM):  # once: the folder is being written
            signal.signal(each, signal.SIG_IGN)
        raise KeyboardInterrupt

    for each in (signal.SIGINT, signal.SIGTERM):
        signal.signal(each, stop)
    if not is_loopback(args.host):
        print(f"tabletop exercise: warning: listening on {args.host}: anyone on this network can open the pages; "
              "each seat still needs its code. Pages are accepted only from the served address"
              + (" and --allow-origin" if args.allow_origin else "") + ".", file=sys.stderr, flush=True)  # fmt: skip

    def announce(base: str, links: list[Any], page: Path) -> None:
        lines = [f"tabletop exercise: {base}view  (the headline, for the projector; Ctrl-C to stop)"]
        for link, url in links:
            who = "facilitator" if link.role == "facilitator" else f"seat {link.role}"
            lines.append(f"  {who}: {url}  (code {link.token})")
        lines.append(f"  links page with QR codes, to print for the tables: {page}")
        lines.append(f"  exercise folder: {folder}")
        print("\n".join(lines), flush=True)

    try:
        ended = serve_room(room, folder, title, host=args.host, port=args.port, allow_origins=args.allow_origin,
                           lang=lang, announce=announce)  # fmt: skip
    except KeyboardInterrupt:  # the signal came while the server was starting or stopping, not serving
        ended = stop_room(room)
    except OSError as exc:
        stop_room(room)
        print(f"tabletop exercise: cannot listen on {args.host}:{args.port} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    if ended:
        print(f"tabletop exercise: stopped; the hotwash report is {folder / 'report.html'}", flush=True)
    else:
        print(f"tabletop exercise: stopped; the decisions so far are in {folder}", flush=True)
        print(f"  go on with: tabletop exercise --resume {folder}  (the same links and codes)", flush=True)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from sim.experiments.benchmarks import format_report, run_benchmarks

    repeats = args.repeats if args.repeats is not None else (3 if args.room else 5)
    if repeats < 1:
        raise ScenarioError([Problem("--repeats", None, "", "must be at least 1", repeats)])
    if args.room:
        return _bench_room(args, repeats)
    report = run_benchmarks(repeats=repeats, quick=args.quick, sweeps=not args.no_sweeps)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def _bench_room(args: argparse.Namespace, repeats: int) -> int:
    from sim.dashboard.room_load import MAX_SEATS, LoadUnavailableError, format_room_report, run_room_benchmark

    if not 1 <= args.seats <= MAX_SEATS:
        raise ScenarioError([Problem("--seats", None, "", f"must be from 1 to {MAX_SEATS}", args.seats)])
    if args.viewers < 0:
        raise ScenarioError([Problem("--viewers", None, "", "must be 0 or more", args.viewers)])
    try:
        report = run_room_benchmark(repeats, seats=args.seats, viewers=args.viewers, viewer_kind=args.viewer_kind,
                                    progress=lambda line: print(line, file=sys.stderr, flush=True))  # fmt: skip
    except LoadUnavailableError as exc:
        print(f"tabletop bench --room: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else format_room_report(report))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
