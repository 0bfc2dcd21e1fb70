"""Sweep figures from a points table: what the titles and marks say is what the data say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from builders import SCENARIOS
from matplotlib.backends.backend_agg import FigureCanvasAgg

from sim.debrief import sweep_figures as draw
from sim.vocabulary import CAUSE_LABELS, CAUSES, MISS_SHARES


def points_table() -> pd.DataFrame:
    """Detection falls linearly with the delay scale, higher with more trust: 0.6 * trust * (1 - scale / 4)."""
    rows = []
    point = 0
    for scale in (0, 1, 2, 4):
        for trust in (0.5, 1.0):
            mean = 0.6 * trust * (1 - scale / 4)
            rows.append(
                {
                    "point": point,
                    "sharing.delay_scale": scale,
                    "sharing.links[*].trust": trust,
                    "output": "detection_rate",
                    "runs": 10,
                    "mean": mean,
                    "sd": 0.01,
                    "ci_low": mean - 0.02,
                    "ci_high": mean + 0.02,
                }  # fmt: skip
            )
            point += 1
    return pd.DataFrame(rows)


def test_the_curve_marks_the_critical_delay_of_each_curve() -> None:
    fig = draw.response_curve(
        points_table(), "sharing.delay_scale", "detection_rate", by="sharing.links[*].trust", threshold=0.3
    )
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    # trust 1: 0.6 (1 - s/4) = 0.3 at s = 2; trust 0.5 starts at 0.3 and falls: 0.
    assert any(label.startswith("trust 1: critical delay scale 2 ") for label in labels), labels
    assert labels[0].startswith("trust 1"), "the legend lists curves top to bottom, as drawn"
    title = fig.texts[0].get_text()
    assert "falls at every trust level" in title and "stays at or above 30%" in title, title


def test_the_heatmap_names_the_best_and_worst_cells() -> None:
    fig = draw.heatmap(points_table(), "sharing.delay_scale", "sharing.links[*].trust", "detection_rate", threshold=0.3,
                       threshold_parameter="sharing.delay_scale")  # fmt: skip
    title = fig.texts[0].get_text().replace("\n", " ")
    assert "highest (60%) at delay scale 0, trust 1" in title and "lowest (0.0%) at delay scale 4" in title, title
    assert "not to scale" in fig.axes[0].get_xlabel(), "uneven levels on evenly spaced cells are flagged"


def test_small_multiples_name_the_parameter_that_moves_the_output_most() -> None:
    fig = draw.main_effects(points_table(), ["sharing.delay_scale", "sharing.links[*].trust"], "detection_rate")
    assert "moves most with delay scale" in fig.texts[0].get_text()
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2, "one panel per parameter"


def test_sobol_bars_sort_by_the_total_index() -> None:
    table = pd.DataFrame(
        [
            {
                "output": "detection_rate",
                "parameter": p,
                "index": i,
                "value": v,
                "ci_low": v - 0.05,
                "ci_high": v + 0.05,
            }
            for p, s1, st in (("sharing.delay_scale", 0.5, 0.6), ("travellers.count", 0.0, 0.01), ("x.trust", 0.2, 0.3))
            for i, v in (("S1", s1), ("ST", st))
        ]
    )
    fig = draw.sobol_bars(table, "detection_rate")
    assert fig.texts[0].get_text().startswith("Delay scale drives most of the variance"), fig.texts[0].get_text()


def _fits(fig: Any) -> None:
    """Every text of the figure lies inside it (nothing cut off at its edge)."""
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for text in fig.texts + [t for ax in fig.axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label)]:
        if text.get_text():
            extent = text.get_window_extent(renderer)
            assert extent.x0 >= -1 and extent.x1 <= fig.bbox.x1 + 1, f"cut off: {text.get_text()!r}"


def sampled_table(paths: list[str], output: str = "detection_rate") -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for point in range(40):
        values = {path: float(rng.uniform()) for path in paths}
        mean = 0.2 + 0.5 * values[paths[0]]
        rows.append({"point": point, **values, "output": output, "runs": 5, "mean": mean, "sd": 0.01,
                     "ci_low": mean - 0.02, "ci_high": mean + 0.02})  # fmt: skip
    return pd.DataFrame(rows)


def test_every_sweep_figure_names_parameters_in_words_never_by_path() -> None:
    assert draw.parameter_label("intelligence[HAL-INT].covers") == "intelligence coverage (HAL-INT)"
    assert draw.parameter_label("agencies[HAL-BRD].screening.name") == "name check success (HAL-BRD)"
    assert draw.parameter_label("sharing.links[*].reliability") == "reliability (every link)"
    assert draw.parameter_label("sharing.links[HAL-INT->HUB].trust") == "trust (HAL-INT → HUB)"
    paths = ["intelligence[HAL-INT].covers", "agencies[HAL-BRD].screening.name", "sharing.links[*].reliability"]
    fig = draw.scatter_effects(sampled_table(paths), paths, "detection_rate")
    labels = [ax.get_xlabel() for ax in fig.axes if ax.get_visible()]
    assert labels == ["intelligence coverage (HAL-INT)", "name check success (HAL-BRD)", "reliability (every link)"]
    assert not any(path in fig.texts[0].get_text() for path in paths), fig.texts[0].get_text()
    _fits(fig)


def test_a_parameter_chosen_by_position_is_named_by_its_item(tmp_path: Path) -> None:
    from sim.debrief.sweep_report import named_positions

    (tmp_path / "scenario.yaml").write_text((SCENARIOS / "regional-hub.yaml").read_text())
    named = named_positions(tmp_path, ["intelligence[0].covers", "sharing.delay_scale"])
    assert named == {"intelligence[0].covers": "intelligence[HAL-INT].covers"}
    assert draw.parameter_label(named["intelligence[0].covers"]) == "intelligence coverage (HAL-INT)"


def test_long_titles_wrap_inside_the_figure() -> None:
    paths = ["intelligence[HAL-INT].covers", "agencies[VSK-BRD].screening.biometric"]
    table = sampled_table(paths, "misses.screening_miss")
    _fits(draw.scatter_effects(table, paths, "misses.screening_miss"))
    levels = points_table().rename(columns={"sharing.links[*].trust": "agencies[VSK-BRD].screening.biometric"})
    _fits(draw.response_curve(levels, "sharing.delay_scale", "detection_rate", by="agencies[VSK-BRD].screening.biometric",
                              threshold=0.3))  # fmt: skip


def test_a_later_cause_falling_with_delay_carries_its_caveat() -> None:
    table = points_table().assign(output="misses.not_trusted")
    title = draw.response_curve(table, "sharing.delay_scale", "misses.not_trusted").texts[0].get_text()
    assert "falls" in title and "counted “alert came too late” first" in title.replace("\n", " "), title
    detection = draw.response_curve(points_table(), "sharing.delay_scale", "detection_rate").texts[0].get_text()
    assert "Caveat" not in detection


def test_a_heatmap_colour_scale_says_whether_high_is_good() -> None:
    good = draw.heatmap(points_table(), "sharing.delay_scale", "sharing.links[*].trust", "detection_rate")
    assert "higher is better" in good.axes[1].get_ylabel()
    bad = draw.heatmap(points_table().assign(output="late_share"), "sharing.delay_scale", "sharing.links[*].trust",
                       "late_share")  # fmt: skip
    assert "higher is worse" in bad.axes[1].get_ylabel()


def test_sweep_figures_name_each_cause_in_the_words_of_the_cause_table() -> None:
    for cause in CAUSES:
        assert CAUSE_LABELS[cause] in draw.output_label(f"misses.{cause}")
        assert CAUSE_LABELS[cause] in draw.output_label(MISS_SHARES[cause]), draw.output_label(MISS_SHARES[cause])
