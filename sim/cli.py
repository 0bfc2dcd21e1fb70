"""The `tabletop` command line (thin: it parses, calls the library, prints).

Exit status: 0 done; 2 the input is wrong (the message says where); 1 an
internal error (a bug: the message says so and where the traceback was saved).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim import __version__
from sim.errors import Problem, ScenarioError

CAUSE_WORDS = {
    "no_intel": "no agency knew",
    "not_shared": "known, but not shared",
    "late": "alert came too late",
    "not_trusted": "alert not trusted",
    "screening_miss": "check at the border failed",
}


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
    run.add_argument("--quiet", action="store_true", help="print only the run folder's path")

    validate = commands.add_parser("validate", help="check scenario files; print every problem")
    validate.add_argument("files", nargs="+", metavar="FILE")

    commands.add_parser("schema", help="print the JSON Schema of the scenario format (for editors)")

    report = commands.add_parser("report", help="(re)draw the figures and report.html of a finished folder")
    report.add_argument("folder", metavar="DIR")

    bench = commands.add_parser("bench", help="time the standard workloads (medians of several repeats)")
    bench.add_argument("--repeats", type=int, default=5, help="repeats per workload (default 5)")
    bench.add_argument("--quick", action="store_true", help="skip the 100,000-traveller workloads")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a seed is a whole number >= 0 (got {text!r})") from None
    if value < 0 or value >= 2**63:
        raise argparse.ArgumentTypeError(f"a seed is a whole number >= 0 (got {text!r})")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return {"run": _run, "validate": _validate, "schema": _schema, "bench": _bench, "report": _report}[
            args.command
        ](args)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"{count} problem{'s' if count != 1 else ''}; nothing was run or written.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `tabletop run X | head`): the work is done; stop printing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception:  # noqa: BLE001 - the last line of defence: report a bug, never a bare traceback
        log = Path(tempfile.gettempdir()) / f"tabletop-error-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        print(
            f"tabletop: internal error (a bug, not your input). The traceback is in {log}; "
            "please attach it to an issue.",
            file=sys.stderr,
        )
        return 1


def _run(args: argparse.Namespace) -> int:
    from sim.runs import default_run_folder, resolve_seed, run_one, write_run_folder, write_run_metadata
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    seed = resolve_seed(scenario, args.seed)
    result = run_one(scenario, seed)
    folder = Path(args.out) if args.out else default_run_folder(scenario)
    write_run_folder(result, scenario, folder)
    write_run_metadata(folder, args.scenario, args.overrides, seed)
    from sim.report import debrief

    debrief(folder, scenario, seed, plots=not args.no_plots)
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
        lines.append(f"  {CAUSE_WORDS[cause]:<32}{count:>10}{share:>12}{extra}")
    alerts = summary["alerts"]
    lines += [
        "",
        f"  alerts: {alerts['sent']} sent, {alerts['delivered']} delivered, {alerts['lost']} lost, "
        f"{alerts['discarded']} discarded, {alerts['verified']} verified",
        f"  run folder: {folder}",
    ]
    return "\n".join(lines)


def _validate(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario

    failed = 0
    for name in args.files:
        try:
            scenario = load_scenario(name)
        except ScenarioError as exc:
            failed += 1
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            continue
        print(
            f"{name}: ok ({scenario.name!r}: {len(scenario.countries)} countries, "
            f"{len(scenario.agencies)} agencies, {len(scenario.sharing.links)} links, "
            f"{scenario.travellers.count} travellers, {len(scenario.injects)} injects)"
        )
    if failed:
        print(f"{failed} of {len(args.files)} files have problems.", file=sys.stderr)
        return 2
    return 0


def _schema(args: argparse.Namespace) -> int:
    from sim.scenario import Scenario

    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": "tabletop scenario"}
    print(json.dumps(schema, indent=2))
    return 0


def _report(args: argparse.Namespace) -> int:
    from sim.report import is_run_folder, write_report

    folder = Path(args.folder)
    if is_run_folder(folder):
        path = write_report(folder)
    else:
        raise ScenarioError([Problem(str(folder), None, "", "not a run folder (no summary.json and travellers.csv)")])
    print(f"report: {path}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from sim.bench import format_report, run_benchmarks

    if args.repeats < 1:
        raise ScenarioError([Problem("--repeats", None, "", "must be at least 1", args.repeats)])
    report = run_benchmarks(repeats=args.repeats, quick=args.quick)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
