"""The figures and the report page of a sweep folder, (re)drawn from its tables.

`report(folder)` reads ``sweep.yaml``, ``points.csv`` (recomputed from ``runs.csv``
when missing or older), ``sensitivity.csv`` and ``manifest.json``, writes
``figures/*.png`` and one self-contained ``report.html``. It works on an
interrupted sweep too: its figures then show the runs finished so far.

The report and its figures are written in the current language (`sim.i18n`, domain ``sweep``);
what the sweep's author wrote (its name, description), ids and parameter paths stay as written.
"""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.debrief.html_page import escape, figure_html, page, png_data_uri, table_html
from sim.debrief.run_tables import read_table
from sim.experiments.frontier import SPEED_PARAMETER, constrained_pick, non_dominated, wide_points
from sim.experiments.sweep_tables import FolderInfo, folder_info, read_csv, write_aggregates
from sim.i18n import N_, format_int, translator
from sim.safe_text import read_csv_rows
from sim.spec.designs import DESIGNS
from sim.spec.output_files import subfolder, write_bytes, write_text

T = translator("sweep")
"""The sweep report's words: the ``sweep`` catalogue (looked up when the report is written)."""

MAX_POINT_ROWS = 60
"""Points listed in the report's table; a bigger design is in points.csv."""

MAX_FAILED_ROWS = 20
"""Failed runs listed in the report (all are in runs.csv)."""


def load_points(folder: str | Path, info: FolderInfo | None = None) -> pd.DataFrame:
    """points.csv of a sweep folder, recomputed from runs.csv if it is missing or older."""
    folder = Path(folder)
    points = folder / "points.csv"
    runs = folder / "runs.csv"
    if not points.exists() or points.stat().st_mtime < runs.stat().st_mtime:
        write_aggregates(folder)
    table = read_table(points, keep_default_na=True)
    for path in (info or folder_info(folder)).paths:
        converted = pd.to_numeric(table[path], errors="coerce")
        if converted.notna().all():
            table[path] = converted
    return table


@dataclass(frozen=True)
class FigureContext:
    """What every figure kind of a sweep folder draws from.

    Attributes:
        folder: the sweep folder.
        info: its `sweep.yaml`.
        points: points.csv.
        limit: the threshold (``output``, ``above``, ``parameter``), as far as given.
        x: the parameter on the x axis of a response curve (the threshold's if numeric), or None.
    """

    folder: Path
    info: FolderInfo
    points: pd.DataFrame
    limit: dict[str, Any]
    x: str | None

    def level(self, output: str) -> float | None:
        """The threshold of `output`, if it has one."""
        return self.limit.get("above") if self.limit.get("output") == output else None

    def marks(self, output: str) -> str:
        """The caption's words on the threshold line and its crossings, if `output` has a threshold."""
        from sim.debrief import sweep_figures as draw

        level = self.level(output)
        if level is None:
            return ""
        return " " + T.gettext(
            "The dashed line is the threshold {level}; dots mark where each curve crosses it: the critical value, "
            "with the range read off the band in the legend."
        ).format(level=draw.fmt_value(output, level))


Drawn = list[tuple[str, str, Any]]
"""(file name, caption, Figure) for each figure."""

BAND = N_("The band is the 95% interval of the mean over the replications (common seeds across points).")
"""The sentence on a response curve's band (in English: translated where it is written)."""


def figures(folder: str | Path, threshold: float | None = None) -> Drawn:
    """Draw every figure of a sweep folder: the figure kinds its design names (`sim.spec.designs`).

    Args:
        folder: the sweep folder.
        threshold: replaces the sweep's ``threshold.above``.

    Returns:
        (file name, caption, Figure) for each figure, in report order.
    """
    from sim.debrief import sweep_figures as draw

    folder = Path(folder)
    info = folder_info(folder)
    points = load_points(folder, info)
    named = named_positions(folder, info.paths)
    if named:
        points = points.rename(columns=named)
        info = dataclasses.replace(info, paths=tuple(named.get(p, p) for p in info.paths))
        if info.threshold and info.threshold.get("parameter") in named:
            info = dataclasses.replace(
                info, threshold={**info.threshold, "parameter": named[info.threshold["parameter"]]}
            )
    limit = dict(info.threshold or {})
    if threshold is not None:
        limit.setdefault("output", "detection_rate" if "detection_rate" in info.outputs else info.outputs[0])
        limit.setdefault("parameter", SPEED_PARAMETER if SPEED_PARAMETER in info.paths else info.paths[0])
        limit["above"] = threshold
    paths = list(info.paths)
    numeric = {p: draw.numeric(points[p]) for p in paths}
    x = limit.get("parameter") if limit.get("parameter") in paths and numeric.get(limit.get("parameter")) else None
    x = x or next((p for p in paths if numeric[p]), None)
    context = FigureContext(folder=folder, info=info, points=points, limit=limit, x=x)
    out: Drawn = []
    for kind in DESIGNS[info.design].figures:
        out += FIGURE_KINDS[kind](context)
    out += _frontier_figures(context)
    return out


@dataclass(frozen=True)
class TradeOff:
    """The frontier of a sweep folder, as computed from points.csv.

    Attributes:
        maximise: the output raised.
        minimise: the output lowered.
        wide: one row per point (`sim.experiments.frontier.wide_points`).
        front: the non-dominated points, along the frontier.
        constraint: the constraint, if any.
        objective: the output the constraint's pick maximises.
        pick: the point the constraint picks (None when none meets it or there is no constraint).
    """

    maximise: str | None
    minimise: str | None
    wide: pd.DataFrame
    front: list[int]
    constraint: Any
    objective: str | None
    pick: int | None


def trade_off(points: pd.DataFrame, info: FolderInfo) -> TradeOff | None:
    """The frontier and the constrained pick of a sweep folder, or None when it asks for neither."""
    from sim.spec.sweep_checks import constraint_objective
    from sim.spec.sweep_model import Frontier, parse_constraint

    frontier = info.frontier if info.frontier and set(info.frontier.values()) <= set(info.outputs) else None
    constraint = parse_constraint(info.constraint) if info.constraint else None
    if constraint is not None and constraint.output not in info.outputs:
        constraint = None
    if frontier is None and constraint is None:
        return None
    wide = wide_points(points, info.paths, info.outputs)
    front = non_dominated(wide, frontier["maximise"], frontier["minimise"]) if frontier else []
    objective = constraint_objective(Frontier(**frontier) if frontier else None, info.outputs)
    pick = constrained_pick(wide, constraint, objective) if constraint is not None and objective else None
    return TradeOff(
        maximise=frontier["maximise"] if frontier else None,
        minimise=frontier["minimise"] if frontier else None,
        wide=wide,
        front=front,
        constraint=constraint,
        objective=objective,
        pick=pick,
    )


def _frontier_figures(context: FigureContext) -> Drawn:
    """frontier.png: every point on the two outputs in tension, the non-dominated ones joined and labelled."""
    from sim.debrief import sweep_figures as draw

    found = trade_off(context.points, context.info)
    if found is None or found.maximise is None or found.minimise is None:
        return []
    if found.wide[[found.maximise, found.minimise]].dropna().empty:
        return []  # no point has a mean of both yet: nothing to place
    constraint = found.constraint
    text = _constraint_words(constraint) if constraint is not None else None
    fig = draw.frontier_plot(
        found.wide, context.info.paths, found.maximise, found.minimise, found.front,
        pick=found.pick if found.objective == found.maximise else None, constraint_text=text,
        constraint_level=constraint.level if constraint is not None and constraint.output == found.minimise else None,
    )  # fmt: skip
    return [
        (
            "frontier.png",
            T.gettext(
                "Each policy (point of the sweep) by its mean {cost} and mean {gain}, with 95% intervals both ways. "
                "The line joins the policies no other beats on both means (the frontier), each labelled with its "
                "parameter values."
            ).format(cost=draw.output_label(found.minimise), gain=draw.output_label(found.maximise)),
            fig,
        )
    ]


def _constraint_words(constraint: Any) -> str:
    from sim.debrief import sweep_figures as draw

    values = {"output": draw.output_label(constraint.output),
              "level": draw.fmt_value(constraint.output, constraint.level)}  # fmt: skip
    if constraint.upper:
        return T.gettext("{output} at most {level}").format(**values)
    return T.gettext("{output} at least {level}").format(**values)


def named_positions(folder: Path, paths: Sequence[str]) -> dict[str, str]:
    """Paths that select a list item by position, with the item's name instead (for the figures' words).

    ``intelligence[0].covers`` -> ``intelligence[HAL-INT].covers`` when the sweep's scenario
    (``scenario.yaml`` in the folder) has HAL-INT's source first: the same field, named.
    """
    from sim.experiments.comparison import item_key
    from sim.spec.yaml_files import read_yaml

    if not any(re.search(r"\[\d+\]", p) for p in paths) or not (folder / "scenario.yaml").is_file():
        return {}
    raw, _ = read_yaml(folder / "scenario.yaml", allow_large=True)  # as recorded: it ran already
    out = {}
    for path in paths:
        node: Any = raw
        named = []
        for key, selector in re.findall(r"([^.\[\]]+)|\[([^\]]*)\]", path):
            if key:
                node = node.get(key) if isinstance(node, dict) else None
                named.append(("." if named else "") + key)
                continue
            if selector.isdigit() and isinstance(node, list) and int(selector) < len(node):
                keys = [item_key(item) for item in node]
                name = keys[int(selector)]
                node = node[int(selector)]
                named.append(f"[{name}]" if name and keys.count(name) == 1 else f"[{selector}]")
            else:
                node = None
                named.append(f"[{selector}]")
        if "".join(named) != path:
            out[path] = "".join(named)
    return out


def _level_figures(context: FigureContext) -> Drawn:
    """A design of levels (grid): response curves and heatmaps over one or two parameters, else main effects."""
    out: Drawn = []
    for output in context.info.outputs:
        if len(context.info.paths) <= 2:
            out += _few_level_figures(context, output)
        else:
            out += _many_level_figures(context, output)
    return out


def _few_level_figures(context: FigureContext, output: str) -> Drawn:
    """A grid over one or two parameters: the response curve, the heatmap (two), main effects (none numeric)."""
    from sim.debrief import sweep_figures as draw

    points, paths, x, limit = context.points, list(context.info.paths), context.x, context.limit
    level, marks = context.level(output), context.marks(output)
    out: Drawn = []
    by = next((p for p in paths if p != x), None) if len(paths) == 2 else None
    if x is not None:
        fig = draw.response_curve(points, x, output, by=by, threshold=level, threshold_parameter=limit.get("parameter"))
        if by:
            first = T.gettext("Mean {output} against {parameter}, one curve per {by}.").format(
                output=draw.output_label(output), parameter=draw.parameter_label(x), by=draw.parameter_label(by)
            )
        else:
            first = T.gettext("Mean {output} against {parameter}.").format(
                output=draw.output_label(output), parameter=draw.parameter_label(x)
            )
        out.append((f"curve-{_file(output)}.png", first + " " + T.gettext(BAND) + marks, fig))
    if len(paths) == 2:
        hx = x or paths[0]
        hy = next(p for p in paths if p != hx)
        fig = draw.heatmap(points, hx, hy, output, threshold=level, threshold_parameter=limit.get("parameter"))
        out.append(
            (
                f"heatmap-{_file(output)}.png",
                T.gettext("Mean {output} at every point of the grid.").format(output=draw.output_label(output))
                + (" " + T.gettext("The dashed line joins the critical values of each row.") if level is not None
                   else ""),  # fmt: skip
                fig,
            )
        )
    if x is None:
        out.append(
            (
                f"effects-{_file(output)}.png",
                T.gettext("Mean {output} at each level.").format(output=draw.output_label(output)),
                draw.main_effects(points, paths, output),
            )
        )
    return out


def _many_level_figures(context: FigureContext, output: str) -> Drawn:
    """A grid over three or more parameters: main effects, and the response curve when there is a threshold."""
    from sim.debrief import sweep_figures as draw

    points, paths, x, limit = context.points, list(context.info.paths), context.x, context.limit
    level = context.level(output)
    out: Drawn = [
        (
            f"effects-{_file(output)}.png",
            T.gettext(
                "Mean {output} at each level of each parameter, the others averaged; the band spans the point means "
                "at that level (how much the others matter)."
            ).format(output=draw.output_label(output)),
            draw.main_effects(points, paths, output),
        )
    ]
    if x is not None and level is not None:
        fig = draw.response_curve(points, x, output, threshold=level, threshold_parameter=limit.get("parameter"))
        out.append(
            (
                f"curve-{_file(output)}.png",
                T.gettext(
                    "Mean {output} against {parameter}, the other parameters averaged; the band is the average of the "
                    "points' 95% intervals (wider than the interval of the average: a cautious band)."
                ).format(output=draw.output_label(output), parameter=draw.parameter_label(x))
                + context.marks(output),
                fig,
            )
        )
    return out


def _scatter_figures(context: FigureContext) -> Drawn:
    """A sampled design (lhs, sobol): each point's mean against each parameter."""
    from sim.debrief import sweep_figures as draw

    return [
        (
            f"effects-{_file(output)}.png",
            T.gettext(
                "The mean {output} of each sampled point against each parameter; the line joins the means of "
                "equal-count bins (the parameter's effect, the others averaged)."
            ).format(output=draw.output_label(output)),
            draw.scatter_effects(context.points, list(context.info.paths), output),
        )
        for output in context.info.outputs
    ]


def _sobol_figures(context: FigureContext) -> Drawn:
    """A sobol design: the first-order and total indices of each output, once sensitivity.csv is written."""
    from sim.debrief import sweep_figures as draw

    sensitivity = context.folder / "sensitivity.csv"
    if not sensitivity.exists():
        return []
    out: Drawn = []
    table = read_table(sensitivity)
    for output in context.info.outputs:
        rows = table[(table["output"] == output) & table["index"].isin(["S1", "ST"])] if "index" in table else table[:0]
        if len(rows):
            out.append(
                (
                    f"sobol-{_file(output)}.png",
                    T.gettext(
                        "Sobol' indices of {output}: the share of its variance each parameter explains alone (first "
                        "order) and with its interactions (total), with 95% bootstrap intervals."
                    ).format(output=draw.output_label(output)),
                    draw.sobol_bars(table, output),
                )
            )
    return out


FIGURE_KINDS: dict[str, Callable[[FigureContext], Drawn]] = {
    "levels": _level_figures,
    "scatter": _scatter_figures,
    "sobol": _sobol_figures,
}
"""The figure kinds a design names (`sim.spec.designs.Design.figures`), by name."""


def _file(name: str) -> str:
    return name.replace(".", "-").replace("_", "-")


def _text(text: str) -> str:
    """Text in an element's content: ``<``, ``>`` and ``&`` escaped (quotes need not be)."""
    return html.escape(text, quote=False)


def _h2(text: str) -> str:
    return f"<h2>{_text(text)}</h2>"


def _p(text: str) -> str:
    return f"<p>{_text(text)}</p>"


def report(folder: str | Path, threshold: float | None = None) -> Path:
    """(Re)draw ``figures/`` and ``report.html`` of a sweep folder from its tables, in the current language.

    Args:
        folder: the sweep folder (``sweep.yaml`` and ``runs.csv`` at least).
        threshold: replaces the sweep's ``threshold.above`` for this drawing.

    Returns:
        The path of report.html.
    """
    from sim.debrief import sweep_figures as draw

    folder = Path(folder)
    info = folder_info(folder)
    succeeded = any(not row.get("error") for row in read_csv(folder / "runs.csv"))
    drawn = figures(folder, threshold) if succeeded else []
    subfolder(folder, "figures")  # refused if it is a link
    nothing = T.gettext(
        "No run has finished without an error yet, so there is nothing to draw: see the failed runs below."
    )
    blocks = [] if succeeded else [_p(nothing)]
    for name, caption, fig in drawn:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        write_bytes(folder / "figures" / name, buffer.getvalue())  # replaced, never written through a link
        title = draw.figure_title(fig)
        alt = T.gettext("{title}. {caption}").format(title=title, caption=caption) if title else caption
        blocks.append(figure_html(png_data_uri((folder / "figures" / name).read_bytes()), caption, alt=alt))
    manifest = _read_json(folder / "manifest.json")
    points = load_points(folder, info)
    body = [f"<h1>{escape(info.name)}</h1>"]
    if info.description:
        body.append(f'<p class="lead">{escape(info.description)}</p>')
    body.append(_facts(folder, info, manifest))
    limit = dict(info.threshold or {})
    if threshold is not None:
        limit["above"] = threshold
    if limit.get("above") is not None and limit.get("output") in info.outputs and limit.get("parameter") in info.paths:
        body.append(_critical_section(points, info, limit))
    found = trade_off(points, info)
    if found is not None:
        body.append(_trade_off_section(found, info))
    body.append(_h2(T.gettext("Figures")))
    body += blocks
    design = DESIGNS[info.design]
    body += [REPORT_SECTIONS[section](folder) for section in design.report_sections]
    body.append(_points_section(points, info))
    body.append(_failed_section(folder, info))
    tables = "".join(
        T.gettext("{file} ({holds}), ").format(file=name, holds=T.gettext(TABLE_WORDS.get(name, what)))
        for name, what in design.tables.items()
    )
    body.append(_h2(T.gettext("Files")) + "<p>" + T.gettext(
        "runs.csv (one row per run: point, replication, seed, parameters, outputs, error, scenario_hash, version), "
        "points.csv (per point and output: runs, mean, sd, 95% interval), {tables}sweep.yaml and scenario.yaml "
        "(as run: {command} reruns it), manifest.json (timing, executor, machine), figures/."
    ).format(tables=_text(tables), command="<code>tabletop sweep sweep.yaml</code>") + "</p>")  # fmt: skip
    path = folder / "report.html"
    write_text(path, page(T.gettext("{sweep}: sweep report").format(sweep=info.name), "\n".join(body)))
    return path


TABLE_WORDS = {"sensitivity.csv": N_("Sobol' indices")}
"""What a design's extra tables hold (`sim.spec.designs.Design.tables`), in words to translate."""

STATUS_WORDS = {"complete": N_("complete"), "interrupted": N_("interrupted")}
"""A sweep session's status (``manifest.json``) in words."""


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _count(value: Any) -> str:
    """A count from the manifest (``?`` when it is missing)."""
    return format_int(value) if isinstance(value, int) else str(value)


def _facts(folder: Path, info: FolderInfo, manifest: dict[str, Any]) -> str:
    from sim.debrief import sweep_figures as draw

    sessions = manifest.get("sessions", [])
    seconds = sum(s.get("seconds", 0) for s in sessions)
    executors = sorted({s.get("executor", "") for s in sessions if s.get("executor")})
    runs = manifest.get("runs", "?")
    status = manifest.get("status", "?")
    design = (
        T.ngettext("{design}, {count} sample", "{design}, {count} samples", info.samples).format(
            design=info.design, count=format_int(info.samples))
        if info.samples else info.design
    )  # fmt: skip
    rows = [
        (T.gettext("design"), design),
        (T.gettext("parameters"), ", ".join(info.paths)),
        (
            T.gettext("points x replications"),
            T.ngettext("{points} x {replications} = {runs} run", "{points} x {replications} = {runs} runs",
                       runs if isinstance(runs, int) else 2).format(
                points=_count(manifest.get("points", "?")), replications=format_int(info.replications),
                runs=_count(runs)),
        ),
        (
            T.gettext("runs recorded"),
            T.gettext("{rows} ({failed} failed); status: {status}").format(
                rows=_count(manifest.get("rows", "?")), failed=_count(manifest.get("failed", 0)),
                status=T.gettext(STATUS_WORDS[status]) if status in STATUS_WORDS else status),
        ),
        (T.gettext("master seed"), str(info.seed)),
        (
            T.gettext("wall time"),
            T.ngettext("{seconds} s over {count} session", "{seconds} s over {count} sessions", len(sessions)).format(
                seconds=draw.fmt_number(seconds, ".1f"), count=format_int(len(sessions))),
        ),
        (T.gettext("ran on"), "; ".join(executors) or "?"),
        (T.gettext("machine"), _machine(manifest.get("machine", {}))),
    ]  # fmt: skip
    return _h2(T.gettext("What was run")) + table_html(["", T.gettext("this sweep")], rows)


def _machine(machine: dict[str, Any]) -> str:
    versions = machine.get("versions", {})
    return T.gettext("{platform}, {cpus} CPUs, {memory} GiB; Python {python}; {versions}").format(
        platform=machine.get("platform", "?"), cpus=machine.get("cpus", "?"), memory=machine.get("memory_gib", "?"),
        python=machine.get("python", "?"), versions=", ".join(f"{k} {v}" for k, v in versions.items()),
    )  # fmt: skip


def _critical_section(points: pd.DataFrame, info: FolderInfo, limit: dict[str, Any]) -> str:
    from sim.debrief import sweep_figures as draw

    output, parameter, level = limit["output"], limit["parameter"], float(limit["above"])
    if not draw.numeric(points[parameter]):
        return ""
    others = [p for p in info.paths if p != parameter]
    by = others[0] if len(others) == 1 else None
    rows = []
    for value, crit in draw.critical_by_level(points, parameter, output, level, by=by):
        rows.append(
            (
                T.gettext("all points (others averaged)") if by is None
                else f"{draw.short_parameter(by)} {draw.fmt_level(value)}",
                "-" if crit.estimate is None
                else ("> " if crit.censored else "") + draw.fmt_number(crit.estimate, ".3g"),
                "-" if crit.low is None else draw.fmt_number(crit.low, ".3g"),
                "-" if crit.high is None else draw.fmt_number(crit.high, ".3g"),
            )
        )  # fmt: skip
    heading = draw.capital(T.gettext("Critical {parameter}").format(parameter=draw.short_parameter(parameter)))
    text = _h2(heading) + '<div class="finding">' + _text(T.gettext(
        "The largest {parameter} that keeps the mean {output} at or above {level}, by linear interpolation between "
        "the two swept values that straddle it. The range is read off the two ends of the 95% band of the mean: the "
        "cautious value (lower end) to the optimistic one (upper end). > means the output stays above the level over "
        "the whole range swept; - that it is below it even at the smallest value."
    ).format(parameter=parameter, output=draw.output_label(output),
             level=draw.fmt_value(output, level))) + "</div>"  # fmt: skip
    columns = [T.gettext("at"), T.gettext("critical value"), T.gettext("cautious"), T.gettext("optimistic")]
    return text + table_html(columns, rows, [False, True, True, True])


def _cell(row: Any, output: str) -> str:
    """An output's mean and 95% interval in a table cell."""
    from sim.debrief import sweep_figures as draw

    mean, low, high = row[output], row[output + ":low"], row[output + ":high"]
    if pd.isna(mean):
        return T.gettext("n/a")
    if pd.isna(low):
        return draw.fmt_value(output, mean)
    return T.gettext("{mean} ({low} to {high})").format(
        mean=draw.fmt_value(output, mean), low=draw.fmt_value(output, low), high=draw.fmt_value(output, high)
    )


def _trade_off_section(found: TradeOff, info: FolderInfo) -> str:
    """The non-dominated policies (a table), and the best policy that meets the constraint."""
    from sim.debrief import sweep_figures as draw

    wide = found.wide.set_index("point", drop=False)
    text = ""
    if found.maximise and found.minimise:
        up, down = draw.output_label(found.maximise), draw.output_label(found.minimise)
        text += _h2(T.gettext("The frontier: {gain} against {cost}").format(gain=up, cost=down))
        text += '<div class="finding">' + _text(T.ngettext(
            "{count} of {points} policy is non-dominated: no other policy has both a higher or equal mean {gain} and "
            "a lower or equal mean {cost}, and is strictly better on one. Decided on the means alone (the 95% "
            "intervals are shown, not used): two policies with equal means on both are both kept. Listed from the "
            "fewest {cost} to the most.",
            "{count} of {points} policies are non-dominated: no other policy has both a higher or equal mean {gain} "
            "and a lower or equal mean {cost}, and is strictly better on one. Decided on the means alone (the 95% "
            "intervals are shown, not used): two policies with equal means on both are both kept. Listed from the "
            "fewest {cost} to the most.",
            len(wide),
        ).format(count=format_int(len(found.front)), points=format_int(len(wide)), gain=up,
                 cost=down)) + "</div>"  # fmt: skip
        rows = [
            (p, *(draw.fmt_level(wide.loc[p, q]) for q in info.paths), _cell(wide.loc[p], found.maximise),
             _cell(wide.loc[p], found.minimise))
            for p in found.front
        ]  # fmt: skip
        text += table_html(
            [T.gettext("point"), *info.paths, T.gettext("{output} (95% interval)").format(output=up),
             T.gettext("{output} (95% interval)").format(output=down)],
            rows,
            [True] + [False] * len(info.paths) + [True, True],
        )  # fmt: skip
    if found.constraint is not None and found.objective is not None:
        constraint, objective = found.constraint, found.objective
        words = _constraint_words(constraint)
        values = {
            "output": draw.output_label(constraint.output),
            "level": draw.fmt_value(constraint.output, constraint.level),
            "objective": draw.output_label(objective), "speed": SPEED_PARAMETER,
        }  # fmt: skip
        text += _h2(T.gettext("The best policy with {constraint}").format(constraint=words))
        if constraint.upper:
            rule = T.gettext(
                "Among the policies that keep {output} at or under {level} on the upper end of its 95% interval (not "
                "only on its mean), the one with the highest mean {objective}; ties go to the fastest sharing (lowest "
                "{speed})."
            )
        else:
            rule = T.gettext(
                "Among the policies that keep {output} at or over {level} on the lower end of its 95% interval (not "
                "only on its mean), the one with the highest mean {objective}; ties go to the fastest sharing (lowest "
                "{speed})."
            )
        text += '<div class="finding">' + _text(rule.format(**values)) + "</div>"
        if found.pick is None:
            text += "<p><strong>" + escape(T.gettext("No policy of this sweep meets {constraint}.").format(
                constraint=constraint.to_yaml())) + "</strong></p>"  # fmt: skip
        else:
            row = wide.loc[found.pick]
            settings = ", ".join(f"{p} = {draw.fmt_level(row[p])}" for p in info.paths)
            text += "<p>" + T.gettext("{point}: {objective} {objective_value}, {output} {output_value}.").format(
                point="<strong>" + escape(T.gettext("Point {point}: {settings}").format(
                    point=found.pick, settings=settings)) + "</strong>",
                objective=escape(values["objective"]), objective_value=escape(_cell(row, objective)),
                output=escape(values["output"]), output_value=escape(_cell(row, constraint.output)),
            ) + "</p>"  # fmt: skip
            if SPEED_PARAMETER in info.paths:
                if constraint.upper:
                    so = T.gettext(
                        "So the fastest sharing whose {output} stay under {level} at the highest {objective} is "
                        "{speed} {value}."
                    )
                else:
                    so = T.gettext(
                        "So the fastest sharing whose {output} stay over {level} at the highest {objective} is "
                        "{speed} {value}."
                    )
                text += _p(so.format(**values, value=draw.fmt_level(row[SPEED_PARAMETER])))
    return text


def _sensitivity_section(folder: Path) -> str:
    from sim.debrief import sweep_figures as draw

    path = folder / "sensitivity.csv"
    heading = _h2(T.gettext("Sensitivity (Sobol' indices)"))
    if not path.exists():
        return _h2(T.gettext("Sensitivity")) + _p(T.gettext(
            "sensitivity.csv is written when every run of the design is done."))  # fmt: skip
    table = read_table(path)
    notes = table[table["index"].isna()] if "index" in table else table
    rows = [
        (draw.output_label(r.output), r.parameter, r.index, draw.fmt_number(r.value, ".3f"),
         T.gettext("{low} to {high}").format(low=draw.fmt_number(r.ci_low, ".3f"),
                                             high=draw.fmt_number(r.ci_high, ".3f")))
        for r in table.dropna(subset=["index"]).itertuples()
    ]  # fmt: skip
    text = heading + _p(T.gettext(
        "S1: the share of the output's variance a parameter explains alone; ST: with all its interactions. A "
        "parameter with ST near 0 does not matter over the ranges swept."))  # fmt: skip
    text += table_html(
        [T.gettext("output"), T.gettext("parameter"), T.gettext("index"), T.gettext("value"),
         T.gettext("95% interval")], rows, [False, False, False, True, True]
    )  # fmt: skip
    for note in notes.itertuples():
        reason = str(note.note)
        if reason.startswith("not estimated: "):
            reason = T.gettext("not estimated: {reason}").format(reason=reason.removeprefix("not estimated: "))
        text += _p(f"{draw.output_label(note.output)}: {reason}")
    return text


REPORT_SECTIONS: dict[str, Callable[[Path], str]] = {"sensitivity": _sensitivity_section}
"""The report sections a design adds (`sim.spec.designs.Design.report_sections`), by name."""


def _points_section(points: pd.DataFrame, info: FolderInfo) -> str:
    from sim.debrief import sweep_figures as draw

    count = points["point"].nunique()
    heading = _h2(T.gettext("Points"))
    if count > MAX_POINT_ROWS:
        return heading + _p(T.gettext(
            "{count} points: see points.csv for each point's mean, sd and 95% interval.").format(
                count=format_int(count)))  # fmt: skip
    wide = []
    for point, group in points.groupby("point", sort=True):
        first = group.iloc[0]
        cells = [point, *(draw.fmt_level(first[p]) for p in info.paths)]
        for output in info.outputs:
            row = group[group["output"] == output]
            if row.empty or pd.isna(row.iloc[0]["mean"]):
                cells.append(T.gettext("n/a"))
            else:
                r = row.iloc[0]
                if pd.isna(r["ci_low"]):
                    cells.append(draw.fmt_value(output, r["mean"]))
                else:
                    cells.append(T.gettext("{mean} ({low} to {high})").format(
                        mean=draw.fmt_value(output, r["mean"]), low=draw.fmt_value(output, r["ci_low"]),
                        high=draw.fmt_value(output, r["ci_high"])))  # fmt: skip
        wide.append(cells)
    columns = [T.gettext("point"), *info.paths, *(draw.output_label(o) for o in info.outputs)]
    numeric = [True] + [False] * len(info.paths) + [True] * len(info.outputs)
    lead = _p(T.gettext("Mean of each output (95% interval of the mean)."))
    return heading + lead + table_html(columns, wide, numeric)


def _failed_section(folder: Path, info: FolderInfo) -> str:
    failed = []
    total = 0
    with (folder / "runs.csv").open(newline="", encoding="utf-8") as handle:
        for row in read_csv_rows(handle):
            if row.get("error"):
                total += 1
                if len(failed) < MAX_FAILED_ROWS:
                    failed.append((row["point"], row["replication"], row["seed"], row["error"]))
    heading = _h2(T.gettext("Failed runs"))
    if not total:
        return heading + _p(T.gettext("None."))
    text = T.ngettext(
        "{count} run failed; each is recorded with its seed and error, and left out of the means.",
        "{count} runs failed; each is recorded with its seed and error, and left out of the means.",
        total,
    ).format(count=format_int(total))
    if total > MAX_FAILED_ROWS:
        text += " " + T.gettext("The first {count} are listed; all are in runs.csv.").format(
            count=format_int(MAX_FAILED_ROWS))  # fmt: skip
    columns = [T.gettext("point"), T.gettext("replication"), T.gettext("seed"), T.gettext("error")]
    return heading + _p(text) + table_html(columns, failed, [True, True, True, False])
