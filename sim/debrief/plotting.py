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

Figures are drawn in the current language (`sim.i18n`): the makers write their words through
their domain's translator; importing this module makes every matplotlib text written in French
or Arabic follow the language (`figure_text`): a text that is only a number (a tick label, a bar's
count) takes the language's separators (``0,5`` in French), and Arabic is laid out right to left
(`sim.i18n.shaped`). `save_figure` aligns an Arabic figure's titles to the right.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

from sim.i18n import RTL_LETTER, babel_locale, is_rtl, language, shaped
from sim.spec.output_files import subfolder, write_bytes

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

NUMBER = re.compile(r"[+\-\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?")
"""A text that is only a number as Python writes it (``1,234.5``, ``-0.25``, ``40%``): a tick label, a count."""


def number_text(text: str) -> str:
    """A number written the Python way (`NUMBER`) in the current language's conventions (``1 234,5`` in French)."""
    from babel import Locale

    symbols = Locale.parse(babel_locale()).number_symbols["latn"]
    out = text.translate({ord(","): symbols["group"], ord("."): symbols["decimal"]})
    if out.endswith("%"):
        out = out[:-1] + symbols["percentSign"].strip("\u200e")
        if language() == "fr":
            out = out[:-1] + "\u00a0%"  # CLDR's French percent pattern: "#,##0 %"
    return out


def figure_text(text: str) -> str:
    """A figure's text as the current language writes it: numbers in its conventions, Arabic right to left.

    Every `matplotlib.text.Text` goes through here once this module is imported (titles, labels,
    ticks, legends, annotations), so no maker has to; English text is left as it is.
    """
    code = language()
    if code == "en" or not text:
        return text
    if NUMBER.fullmatch(text.strip()):
        return number_text(text)
    return shaped(text) if is_rtl(code) else text


_matplotlib_set_text = Text.set_text


def _set_text_in_language(self: Text, s: Any) -> None:
    """`Text.set_text`, the text first written in the current language (`figure_text`)."""
    if isinstance(s, str) and s:
        s = figure_text(s)
        if is_rtl() and RTL_LETTER.search(s) and hasattr(self, "set_language"):
            self.set_language(language())  # matplotlib 3.11+: libraqm shapes it as Arabic
    _matplotlib_set_text(self, s)


_set_text_in_language.__doc__ = _matplotlib_set_text.__doc__
Text.set_text = _set_text_in_language  # type: ignore[method-assign]

_matplotlib_set_fontstyle = Text.set_fontstyle


def _set_fontstyle_in_language(self: Text, fontstyle: Any) -> None:
    """`Text.set_fontstyle`, but Arabic stays upright: it has no italic (DejaVu Sans Oblique has no Arabic letters)."""
    if fontstyle not in (None, "normal") and is_rtl() and RTL_LETTER.search(self.get_text()):
        fontstyle = "normal"
    _matplotlib_set_fontstyle(self, fontstyle)


_set_fontstyle_in_language.__doc__ = _matplotlib_set_fontstyle.__doc__
Text.set_fontstyle = _set_fontstyle_in_language  # type: ignore[method-assign]
Text.set_style = _set_fontstyle_in_language  # type: ignore[method-assign]


def wrap_to_figure(fig: Figure, texts: Sequence[Text], margin: float = 0.02) -> bool:
    """Wrap each of `texts` that runs past the figure's right edge onto more lines; whether any was wrapped.

    A sentence that fits in English may not in French (a third longer): it is broken at spaces so that
    it ends `margin` (a share of the figure's width: text is measured at the screen's resolution and
    drawn at the PNG's, where letters come out a little wider) inside the figure. Only left-aligned
    text is wrapped (right-to-left text ends at its start). The caller lays the figure out again when
    it returns True.
    """
    renderer = fig.canvas.get_renderer()
    right = fig.bbox.width * (1 - margin)
    wrapped = False
    for text in texts:
        content = text.get_text()
        if not content or not text.get_visible() or text.get_horizontalalignment() != "left":
            continue
        box = text.get_window_extent(renderer)
        if box.x1 <= right or box.x0 >= right:
            continue
        lines = content.split("\n")
        keep = int((right - box.x0) / (box.width / max(len(line) for line in lines)))
        while keep >= 12 and text.get_window_extent(renderer).x1 > right:  # letters differ in width: measure again
            text.set_text("\n".join(textwrap.fill(line, keep, break_on_hyphens=False) for line in lines))
            keep = int(keep * 0.92)
        wrapped = True
    return wrapped


def mirror_titles(fig: Figure) -> None:
    """Right to left: each axes' title on the left goes to the right, a suptitle on the left to the right.

    And no Arabic text in italic: Arabic has none (and DejaVu Sans Oblique has no Arabic letters).
    """
    for text in fig.findobj(Text):
        if text.get_fontstyle() != "normal" and RTL_LETTER.search(text.get_text()):
            text.set_fontstyle("normal")
    for ax in fig.axes:
        left, right = ax._left_title, ax._right_title  # noqa: SLF001
        if left.get_text() and not right.get_text():
            right.update_from(left)
            right.set_text(left.get_text())
            right.set_horizontalalignment("right")
            left.set_text("")
        if ax.title.get_text():
            ax.title.set_multialignment("right")
    title = getattr(fig, "_suptitle", None)
    if title is not None and title.get_text() and title.get_horizontalalignment() == "left":
        x, y = title.get_position()
        title.set_position((1 - x, y))
        title.set_horizontalalignment("right")
        title.set_multialignment("right")

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
    if is_rtl():
        mirror_titles(fig)
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
