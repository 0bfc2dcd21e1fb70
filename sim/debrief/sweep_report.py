"""The figures and the report page of a sweep folder, (re)drawn from its tables.

`report(folder)` reads ``sweep.yaml``, ``points.csv`` (recomputed from ``runs.csv``
when missing or older), ``sensitivity.csv`` and ``manifest.json``, writes
``figures/*.png`` and one self-contained ``report.html``. It works on an
interrupted sweep too: its figures then show the runs finished so far.
"""

from __future__ import annotations

import dataclasses
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
from sim.safe_text import read_csv_rows
from sim.spec.designs import DESIGNS
from sim.spec.output_files import subfolder, write_bytes, write_text

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
        return (
            f" The dashed line is the threshold {draw.fmt_value(output, level)}; dots mark where each curve "
            "crosses it: the critical value, with the range read off the band in the legend."
        )


Drawn = list[tuple[str, str, Any]]
"""(file name, caption, Figure) for each figure."""

BAND = "The band is the 95% interval of the mean over the replications (common seeds across points)."


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
            f"Each policy (point of the sweep) by its mean {draw.output_label(found.minimise)} and mean "
            f"{draw.output_label(found.maximise)}, with 95% intervals both ways. The line joins the policies no other "
            "beats on both means (the frontier), each labelled with its parameter values.",
            fig,
        )
    ]


def _constraint_words(constraint: Any) -> str:
    from sim.debrief import sweep_figures as draw

    bound = "at most" if constraint.upper else "at least"
    return f"{draw.output_label(constraint.output)} {bound} {draw.fmt_value(constraint.output, constraint.level)}"


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
        out.append(
            (
                f"curve-{_file(output)}.png",
                f"Mean {draw.output_label(output)} against {draw.parameter_label(x)}"
                + (f", one curve per {draw.parameter_label(by)}" if by else "")
                + ". "
                + BAND
                + marks,
                fig,
            )
        )
    if len(paths) == 2:
        hx = x or paths[0]
        hy = next(p for p in paths if p != hx)
        fig = draw.heatmap(points, hx, hy, output, threshold=level, threshold_parameter=limit.get("parameter"))
        out.append(
            (
                f"heatmap-{_file(output)}.png",
                f"Mean {draw.output_label(output)} at every point of the grid."
                + (" The dashed line joins the critical values of each row." if level is not None else ""),
                fig,
            )
        )
    if x is None:
        out.append(
            (
                f"effects-{_file(output)}.png",
                f"Mean {draw.output_label(output)} at each level.",
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
            f"Mean {draw.output_label(output)} at each level of each parameter, "
            "the others averaged; the band spans the point means at that level (how much the others matter).",
            draw.main_effects(points, paths, output),
        )
    ]
    if x is not None and level is not None:
        fig = draw.response_curve(points, x, output, threshold=level, threshold_parameter=limit.get("parameter"))
        out.append(
            (
                f"curve-{_file(output)}.png",
                f"Mean {draw.output_label(output)} against {draw.parameter_label(x)}, "
                "the other parameters averaged; the band is the average of the points' 95% intervals "
                "(wider than the interval of the average: a cautious band)." + context.marks(output),
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
            f"The mean {draw.output_label(output)} of each sampled point against "
            "each parameter; the line joins the means of equal-count bins (the parameter's effect, the others "
            "averaged).",
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
                    f"Sobol' indices of {draw.output_label(output)}: the share of its "
                    "variance each parameter explains alone (first order) and with its interactions (total), "
                    "with 95% bootstrap intervals.",
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


def report(folder: str | Path, threshold: float | None = None) -> Path:
    """(Re)draw ``figures/`` and ``report.html`` of a sweep folder from its tables.

    Args:
        folder: the sweep folder (``sweep.yaml`` and ``runs.csv`` at least).
        threshold: replaces the sweep's ``threshold.above`` for this drawing.

    Returns:
        The path of report.html.
    """
    folder = Path(folder)
    info = folder_info(folder)
    succeeded = any(not row.get("error") for row in read_csv(folder / "runs.csv"))
    drawn = figures(folder, threshold) if succeeded else []
    subfolder(folder, "figures")  # refused if it is a link
    blocks = [] if succeeded else ["<p>No run has finished without an error yet, so there is nothing to draw: "
                                   "see the failed runs below.</p>"]  # fmt: skip
    for name, caption, fig in drawn:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        write_bytes(folder / "figures" / name, buffer.getvalue())  # replaced, never written through a link
        title = " ".join(fig.texts[0].get_text().split()) + ". " if fig.texts else ""
        blocks.append(figure_html(png_data_uri((folder / "figures" / name).read_bytes()), caption, alt=title + caption))
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
    body.append("<h2>Figures</h2>")
    body += blocks
    design = DESIGNS[info.design]
    body += [REPORT_SECTIONS[section](folder) for section in design.report_sections]
    body.append(_points_section(points, info))
    body.append(_failed_section(folder, info))
    body.append(
        "<h2>Files</h2><p>runs.csv (one row per run: point, replication, seed, parameters, outputs, error, "
        "scenario_hash, version), points.csv (per point and output: runs, mean, sd, 95% interval), "
        + "".join(f"{name} ({what}), " for name, what in design.tables.items())
        + "sweep.yaml and scenario.yaml (as run: <code>tabletop sweep sweep.yaml</code> reruns it), manifest.json "
        "(timing, executor, machine), figures/.</p>"
    )
    path = folder / "report.html"
    write_text(path, page(f"{info.name}: sweep report", "\n".join(body)))
    return path


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _facts(folder: Path, info: FolderInfo, manifest: dict[str, Any]) -> str:
    sessions = manifest.get("sessions", [])
    seconds = sum(s.get("seconds", 0) for s in sessions)
    executors = sorted({s.get("executor", "") for s in sessions if s.get("executor")})
    rows = [
        ("design", f"{info.design}" + (f", {info.samples} samples" if info.samples else "")),
        ("parameters", ", ".join(info.paths)),
        (
            "points x replications",
            f"{manifest.get('points', '?')} x {info.replications} = {manifest.get('runs', '?')} runs",
        ),
        (
            "runs recorded",
            f"{manifest.get('rows', '?')} ({manifest.get('failed', 0)} failed); status: {manifest.get('status', '?')}",
        ),
        ("master seed", str(info.seed)),
        ("wall time", f"{seconds:.1f} s over {len(sessions)} session{'s' if len(sessions) != 1 else ''}"),
        ("ran on", "; ".join(executors) or "?"),
        ("machine", _machine(manifest.get("machine", {}))),
    ]
    return "<h2>What was run</h2>" + table_html(["", "this sweep"], rows)


def _machine(machine: dict[str, Any]) -> str:
    versions = machine.get("versions", {})
    return (
        f"{machine.get('platform', '?')}, {machine.get('cpus', '?')} CPUs, {machine.get('memory_gib', '?')} GiB; "
        f"Python {machine.get('python', '?')}; " + ", ".join(f"{k} {v}" for k, v in versions.items())
    )


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
                "all points (others averaged)" if by is None else f"{draw.short_parameter(by)} {draw.fmt_level(value)}",
                "-" if crit.estimate is None else ("> " if crit.censored else "") + f"{crit.estimate:.3g}",
                "-" if crit.low is None else f"{crit.low:.3g}",
                "-" if crit.high is None else f"{crit.high:.3g}",
            )
        )
    text = (
        f'<h2>Critical {escape(draw.short_parameter(parameter))}</h2><div class="finding">The largest '
        f"{escape(parameter)} that keeps the mean {escape(draw.output_label(output))} at or above "
        f"{escape(draw.fmt_value(output, level))}, by linear interpolation between the two swept values that straddle "
        "it. The range is read off the two ends of the 95% band of the mean: the cautious value (lower end) to the "
        "optimistic one (upper end). &gt; means the output stays above the level over the whole range swept; - that it "
        "is below it even at the smallest value.</div>"
    )
    return text + table_html(["at", "critical value", "cautious", "optimistic"], rows, [False, True, True, True])


def _cell(row: Any, output: str) -> str:
    """An output's mean and 95% interval in a table cell."""
    from sim.debrief import sweep_figures as draw

    mean, low, high = row[output], row[output + ":low"], row[output + ":high"]
    if pd.isna(mean):
        return "n/a"
    interval = "" if pd.isna(low) else f" ({draw.fmt_value(output, low)} to {draw.fmt_value(output, high)})"
    return draw.fmt_value(output, mean) + interval


def _trade_off_section(found: TradeOff, info: FolderInfo) -> str:
    """The non-dominated policies (a table), and the best policy that meets the constraint."""
    from sim.debrief import sweep_figures as draw

    wide = found.wide.set_index("point", drop=False)
    text = ""
    if found.maximise and found.minimise:
        up, down = draw.output_label(found.maximise), draw.output_label(found.minimise)
        text += (
            f'<h2>The frontier: {escape(up)} against {escape(down)}</h2><div class="finding">'
            f"{len(found.front)} of {len(wide)} policies are non-dominated: no other policy has both a higher or equal "
            f"mean {escape(up)} and a lower or equal mean {escape(down)}, and is strictly better on one. Decided on "
            "the means alone (the 95% intervals are shown, not used): two policies with equal means on both are both "
            "kept. Listed from the fewest " + escape(down) + " to the most.</div>"
        )
        rows = [
            (p, *(draw.fmt_level(wide.loc[p, q]) for q in info.paths), _cell(wide.loc[p], found.maximise),
             _cell(wide.loc[p], found.minimise))
            for p in found.front
        ]  # fmt: skip
        text += table_html(
            ["point", *info.paths, f"{up} (95% interval)", f"{down} (95% interval)"],
            rows,
            [True] + [False] * len(info.paths) + [True, True],
        )
    if found.constraint is not None and found.objective is not None:
        constraint, objective = found.constraint, found.objective
        words = _constraint_words(constraint)
        end = "upper" if constraint.upper else "lower"
        stays = "at or under" if constraint.upper else "at or over"
        under = "under" if constraint.upper else "over"
        level = draw.fmt_value(constraint.output, constraint.level)
        text += (
            f"<h2>The best policy with {escape(words)}</h2><div class=\"finding\">Among the policies that keep "
            f"{escape(draw.output_label(constraint.output))} {stays} "
            f"{escape(level)} on the {end} end of its 95% interval (not "
            f"only on its mean), the one with the highest mean {escape(draw.output_label(objective))}; ties go to the "
            "fastest sharing (lowest sharing.delay_scale).</div>"
        )
        if found.pick is None:
            text += f"<p><strong>No policy of this sweep meets {escape(constraint.to_yaml())}.</strong></p>"
        else:
            row = wide.loc[found.pick]
            values = ", ".join(f"{p} = {draw.fmt_level(row[p])}" for p in info.paths)
            text += (
                f"<p><strong>Point {found.pick}: {escape(values)}</strong>: "
                f"{escape(draw.output_label(objective))} {escape(_cell(row, objective))}, "
                f"{escape(draw.output_label(constraint.output))} {escape(_cell(row, constraint.output))}.</p>"
            )
            if SPEED_PARAMETER in info.paths:
                text += (
                    f"<p>So the fastest sharing whose {escape(draw.output_label(constraint.output))} stay {under} "
                    f"{escape(level)} at the highest {escape(draw.output_label(objective))} is sharing.delay_scale "
                    f"{escape(draw.fmt_level(row['sharing.delay_scale']))}.</p>"
                )
    return text


def _sensitivity_section(folder: Path) -> str:
    path = folder / "sensitivity.csv"
    if not path.exists():
        return "<h2>Sensitivity</h2><p>sensitivity.csv is written when every run of the design is done.</p>"
    table = read_table(path)
    notes = table[table["index"].isna()] if "index" in table else table
    rows = [
        (r.output, r.parameter, r.index, f"{r.value:.3f}", f"{r.ci_low:.3f} to {r.ci_high:.3f}")
        for r in table.dropna(subset=["index"]).itertuples()
    ]
    text = (
        "<h2>Sensitivity (Sobol' indices)</h2><p>S1: the share of the output's variance a parameter explains "
        "alone; ST: with all its interactions. A parameter with ST near 0 does not matter over the ranges swept.</p>"
    )
    text += table_html(
        ["output", "parameter", "index", "value", "95% interval"], rows, [False, False, False, True, True]
    )
    for note in notes.itertuples():
        text += f"<p>{escape(note.output)}: {escape(note.note)}</p>"
    return text


REPORT_SECTIONS: dict[str, Callable[[Path], str]] = {"sensitivity": _sensitivity_section}
"""The report sections a design adds (`sim.spec.designs.Design.report_sections`), by name."""


def _points_section(points: pd.DataFrame, info: FolderInfo) -> str:
    from sim.debrief import sweep_figures as draw

    count = points["point"].nunique()
    if count > MAX_POINT_ROWS:
        return f"<h2>Points</h2><p>{count} points: see points.csv for each point's mean, sd and 95% interval.</p>"
    wide = []
    for point, group in points.groupby("point", sort=True):
        first = group.iloc[0]
        cells = [point, *(draw.fmt_level(first[p]) for p in info.paths)]
        for output in info.outputs:
            row = group[group["output"] == output]
            if row.empty or pd.isna(row.iloc[0]["mean"]):
                cells.append("n/a")
            else:
                r = row.iloc[0]
                interval = (
                    ""
                    if pd.isna(r["ci_low"])
                    else f" ({draw.fmt_value(output, r['ci_low'])} to {draw.fmt_value(output, r['ci_high'])})"
                )
                cells.append(draw.fmt_value(output, r["mean"]) + interval)
        wide.append(cells)
    columns = ["point", *info.paths, *(draw.output_label(o) for o in info.outputs)]
    numeric = [True] + [False] * len(info.paths) + [True] * len(info.outputs)
    return "<h2>Points</h2><p>Mean of each output (95% interval of the mean).</p>" + table_html(columns, wide, numeric)


def _failed_section(folder: Path, info: FolderInfo) -> str:
    failed = []
    total = 0
    with (folder / "runs.csv").open(newline="", encoding="utf-8") as handle:
        for row in read_csv_rows(handle):
            if row.get("error"):
                total += 1
                if len(failed) < MAX_FAILED_ROWS:
                    failed.append((row["point"], row["replication"], row["seed"], row["error"]))
    if not total:
        return "<h2>Failed runs</h2><p>None.</p>"
    more = f" The first {MAX_FAILED_ROWS} are listed; all are in runs.csv." if total > MAX_FAILED_ROWS else ""
    return (
        f"<h2>Failed runs</h2><p>{total} run{'s' if total != 1 else ''} failed; each is recorded with its seed "
        f"and error, and left out of the means.{more}</p>"
        + table_html(["point", "replication", "seed", "error"], failed, [True, True, True, False])
    )
