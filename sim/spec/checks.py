"""The validation toolkit every input file shares: the scenario, the sweep file, the decisions file.

Each checker collects `Problem`s (file, line, field path, message, value) instead of stopping at
the first; these helpers give them the same words everywhere: a "did you mean" hint for a
misspelt name, the check of a reference against the ids that exist, and one order without
repeats for the final list.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from sim.errors import Problem
from sim.spec.yaml_files import LineMap, PathKey, format_path


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest of `choices` to `word` (`` (did you mean 'x'?)``), or "" when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_name(what: str, word: str, choices: Iterable[str]) -> str:
    """The message for a name that is not among `choices`: ``no such agency (did you mean 'HAL-BRD'?)``."""
    return f"no such {what}{did_you_mean(word, choices)}"


def reference_problem(
    source: str, lines: LineMap, path: PathKey, what: str, value: str, known: Iterable[str]
) -> Problem | None:
    """A problem when `value`, found at `path`, names no `what` among `known`; None when it does.

    Args:
        source: the file, as errors name it.
        lines: field path -> line of the file.
        path: where the reference sits.
        what: the kind of thing referred to ("agency", "country", "group").
        value: the reference as written.
        known: the ids that exist.
    """
    known = list(known)
    if value in known:
        return None
    return Problem(source, lines.line(path), format_path(path), unknown_name(what, value, known), value)


def dedupe(problems: Iterable[Problem]) -> list[Problem]:
    """`problems` in their order, each (file, line, field, message) once."""
    seen: set[tuple[str, int | None, str, str]] = set()
    out: list[Problem] = []
    for problem in problems:
        key = (problem.file, problem.line, problem.path, problem.message)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out
