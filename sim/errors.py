"""One error hierarchy for the package.

`SimError` is the base. `ScenarioError` means the user's input is wrong (exit
status 2): it carries every problem found, each naming file, line, field path
and the offending value (shortened), so a trainer can fix them all at once.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass

from sim.safe_text import visible

MAX_VALUE_CHARS = 60


def _bounded_repr() -> reprlib.Repr:
    """A ``repr`` that stops after a few levels and items.

    A value with shared parts (a YAML alias bomb) is never expanded whole (at most 12**4
    pieces, and the text is cut to a line anyway); small values read exactly as ``repr``
    writes them.
    """
    bounded = reprlib.Repr()
    bounded.maxlevel = 4
    bounded.maxtuple = bounded.maxlist = bounded.maxarray = bounded.maxdict = 12
    bounded.maxset = bounded.maxfrozenset = bounded.maxdeque = 12
    bounded.maxstring = bounded.maxlong = bounded.maxother = 10**6
    return bounded


_BOUNDED = _bounded_repr()


def shorten(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """Return a one-line representation of `value`, cut to `limit` characters."""
    if isinstance(value, str):
        # Text that looks like a number or a boolean is quoted, so "5" is not mistaken for 5.
        plain = value.strip().lower() not in ("", "true", "false", "null", "yes", "no") and not _numeric(value)
        text = value if plain else repr(value)
    else:
        text = _BOUNDED.repr(value)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_MISSING = object()


def format_path(path: tuple[str | int, ...]) -> str:
    """Render ``("sharing", "links", 0, "trust")`` as ``sharing.links[0].trust``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Attributes:
        file: the file's path as the user gave it (or a label such as ``--set``).
        line: 1-based line number, or None when the field has no line.
        path: the field path, e.g. ``sharing.links[0].trust``.
        message: what is wrong, in words.
        value: the offending value, or `_MISSING` when there is none to show.
        excerpt: lines shown under the message (the offending line of a file, a caret under it).
    """

    file: str
    line: int | None
    path: str
    message: str
    value: object = _MISSING
    excerpt: str = ""

    def __str__(self) -> str:
        """``FILE:LINE: field.path: message (got VALUE)``, control characters shown as escapes (`visible`)."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.path}:" if self.path else ""
        got = "" if self.value is _MISSING else f" (got {shorten(self.value)})"
        shown = f"\n{self.excerpt}" if self.excerpt else ""
        return visible(f"{where}:{field} {self.message}{got}{shown}")


class SimError(Exception):
    """Base class of every error this package raises on purpose."""


class ScenarioError(SimError):
    """Bad input: a scenario, sweep or override that cannot be run (exit status 2)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
