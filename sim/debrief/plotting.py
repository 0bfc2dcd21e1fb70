"""The plotting toolkit of the debrief: figure style, the Agg backend, saving, and figure registries.

Importing this module selects matplotlib's Agg backend: figures are drawn to
files (and shown inline in notebooks), never in a window. Only the modules that
draw import it (`sim.debrief.run_figures`, `sim.debrief.comparison_report`,
`sim.debrief.sweep_figures`), so a run without figures never imports matplotlib.

A family of figures (a run's, a comparison's) is declared as a registry: a
tuple of `FigureEntry`, each a figure's file name, its maker and its caption,
in report order. `draw_figures` draws a registry into a folder; a report walks
the same registry for the captions. To add a figure, add one entry.
The words and colours the figures use are in `sim.vocabulary`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

from sim.spec.output_files import subfolder, write_bytes

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

STYLE: dict[str, Any] = {
    "font.size": 13,
    "axes.titlesize": 16,
    "axes.titleweight": "bold",
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.dpi": 110,
}
"""The style of the figures of a run and of a comparison: type large enough to project."""

COMPACT_STYLE: dict[str, Any] = {
    **STYLE,
    "font.size": 12,
    "axes.titlesize": 14,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 10,
}
"""The same style a size smaller, for the sweep figures (more panels, longer titles)."""

DPI: int = STYLE["savefig.dpi"]
"""Resolution of every saved figure."""


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Save a figure as PNG and close it.

    The PNG carries no "Software" stamp, so the bytes do not depend on the
    matplotlib version's name.

    Args:
        fig: the figure.
        path: where to write it (``.png``).

    Returns:
        The path.
    """
    path = Path(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return write_bytes(path, buffer.getvalue())  # replaced, never written through a link


@dataclass(frozen=True)
class FigureEntry[T]:
    """One figure of a registry: its name, how to draw it, and what the report says under it.

    Attributes:
        name: the file name without ``.png`` (``figures/<name>.png``): lower case, digits, ``_`` or ``-``.
        maker: draws the figure from the family's data (a run's `RunTables`, a comparison's tables).
        caption: the sentence under the figure in the report.
        applies: whether the figure is drawn for these data (None: always); a figure about an
            optional part of the model (the cost of sharing) is drawn only for runs that have it,
            so the others' folders stay as they were.
    """

    name: str
    maker: Callable[[T], Figure]
    caption: str
    applies: Callable[[T], bool] | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_-]+", self.name):
            raise ValueError(f"a figure's name is its file name (a-z, 0-9, _ and -), not {self.name!r}")
        if not callable(self.maker):
            raise TypeError(f"figure {self.name!r} has no maker")
        if not self.caption.strip():
            raise ValueError(f"figure {self.name!r} has no caption")


def check_registry(entries: Sequence[FigureEntry[Any]]) -> tuple[FigureEntry[Any], ...]:
    """A registry, checked: at least one figure, each name once.

    Raises:
        ValueError: an empty registry, or a name declared twice.
    """
    names = [entry.name for entry in entries]
    if not names:
        raise ValueError("a registry declares at least one figure")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"figures declared twice: {', '.join(twice)}")
    return tuple(entries)


def draw_figures[T](entries: Sequence[FigureEntry[T]], data: T, folder: str | Path) -> dict[str, Path]:
    """Draw every figure of a registry into ``folder`` (``<name>.png``), in order.

    Args:
        entries: the registry.
        data: what its makers draw from.
        folder: made if missing.

    Returns:
        The paths by figure name, in the registry's order (only the figures that apply to `data`).
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    subfolder(folder.parent, folder.name)  # refused if it is a link
    return {
        entry.name: save_figure(entry.maker(data), folder / f"{entry.name}.png")
        for entry in entries
        if entry.applies is None or entry.applies(data)
    }
