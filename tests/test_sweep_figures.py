"""Sweep figures from a points table: what the titles and marks say is what the data say."""

from __future__ import annotations

import pandas as pd

from sim.debrief import sweep_figures as draw


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
