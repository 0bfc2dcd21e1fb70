"""Broken YAML in plain words: the likely fix, and the offending line with a caret under it.

PyYAML says where it gave up, in the words of its parser (``expected <block end>, but
found '?'``). A trainer needs the likely cause instead (the indentation, a tab, a missing
colon or space after it, a quote or bracket that is not closed) and the line itself.
`yaml_problem` reads PyYAML's error and the text around it and gives that; the line it
names is the line to fix, which is sometimes above the one where the parser gave up.
"""

from __future__ import annotations

import re

import yaml

from sim.errors import Problem

INDENTATION = (
    "check the indentation: this line does not line up with the fields above it "
    "(indent with spaces, the same number for every field at the same level)"
)
_VALUE_START = re.compile(r"""(?:^\s*(?:-\s+)?|:\s+|-\s+|[\[{,]\s*)(["'])""")
_KEY_NO_SPACE = re.compile(r"""^\s*(?:-\s+)?[^\s:#"'{}\[\],][^:#]*:(?=[^\s:/])""")


def yaml_problem(text: str, label: str, exc: yaml.MarkedYAMLError) -> Problem:
    """The problem of a file PyYAML cannot read: where to look and what to do, in plain words.

    Args:
        text: the file's text.
        label: how to name the file.
        exc: PyYAML's error.

    Returns:
        A problem ``not valid YAML: <likely fix>`` at the line to fix, with that line and a
        caret under the column as its excerpt.
    """
    lines = text.splitlines()
    mark = exc.problem_mark or exc.context_mark
    row, column = (mark.line, mark.column) if mark is not None else (0, 0)
    row, column, advice = _diagnose(lines, exc, row, column)
    return Problem(label, row + 1, "", f"not valid YAML: {advice}", excerpt=caret_excerpt(lines, row, column))


def caret_excerpt(lines: list[str], row: int, column: int) -> str:
    """Line `row` (0-based) of `lines`, numbered, with a caret under `column`; "" when there is no such line."""
    if not 0 <= row < len(lines):
        return ""
    shown = lines[row].replace("\t", " ").rstrip()
    number = str(row + 1)
    column = max(0, min(column, len(shown)))
    return f"  {number} | {shown}\n  {' ' * len(number)} | {' ' * column}^"


def _diagnose(lines: list[str], exc: yaml.MarkedYAMLError, row: int, column: int) -> tuple[int, int, str]:
    """The line and column to show, and the likely fix."""
    problem, context = exc.problem or "", exc.context or ""
    cmark = exc.context_mark
    tab = _tab_before(lines, row)
    if "'\\t'" in problem or "tab" in problem:
        return (*(tab or (row, column)), "a tab: YAML takes only spaces here; replace the tab with spaces")
    if tab is not None:
        return (*tab, "a tab in the indentation: YAML indents with spaces only; replace the tab with spaces")
    if "constructor for the tag" in problem:
        return row, column, "tags such as !!python/... are not allowed (an input file never runs code); remove the tag"
    if "undefined alias" in problem:
        return row, column, "a value starting with * must be put in quotes ('*...')"
    if "cannot start any token" in problem:
        char = problem.split("'")[1] if "'" in problem else "this character"
        return row, column, f"a value starting with {char} must be put in quotes ('{char}...')"
    if "another document" in problem:
        return row, column, "the file is one YAML document: remove this '---' line (and what follows, if it is a copy)"
    if context == "while scanning a quoted scalar" and cmark is not None:
        return cmark.line, cmark.column, _unclosed_quote(lines[cmark.line][cmark.column] if cmark.line < len(lines)
                                                         else '"')  # fmt: skip
    quote = _open_quote_before(lines, row)
    if quote is not None:
        return quote[0], quote[1], _unclosed_quote(lines[quote[0]][quote[1]])
    if context.startswith("while parsing a flow") and cmark is not None:
        return _flow(lines, context, cmark.line, cmark.column, row, column)
    if "could not find expected ':'" in problem and cmark is not None:
        return _missing_colon(lines, cmark.line)
    if "mapping values are not allowed" in problem:
        return _mapping_values(lines, row, column)
    if context == "while parsing a block collection" and "'?'" in problem:
        return (
            row,
            column,
            (
                "this field lines up with the '-' of the list above it: indent it to line up with the fields "
                "of its item (after '- '), or start it with '- ' to make it a new item"
            ),
        )
    closer = re.search(r"but found '([\]}])'", problem)
    if closer is not None:
        return row, column, f"a {closer.group(1)} that closes nothing: remove it, or add the bracket it closes"
    if "expected <block end>" in problem or "expected key" in problem or "'-' indicator" in problem:
        return row, column, INDENTATION
    return row, column, f"{context} {problem}".strip()


def _unclosed_quote(quote: str) -> str:
    return f"this text opens a quote ({quote}) that is not closed: end it with {quote} on the same line"


def _tab_before(lines: list[str], row: int) -> tuple[int, int] | None:
    """The last tab in the indentation of lines up to `row`, as (line, column)."""
    for index in range(min(row, len(lines) - 1), -1, -1):
        line = lines[index]
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            return index, indent.index("\t")
    return None


def _open_quote_before(lines: list[str], row: int) -> tuple[int, int] | None:
    """A quote that opens a value on a line up to `row` and is not closed on that line, as (line, column)."""
    block_indent: int | None = None
    for index in range(0, min(row, len(lines) - 1) + 1):
        line = lines[index]
        indent = len(line) - len(line.lstrip())
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                continue  # the text of a `>` or `|` block, where quotes are plain characters
            block_indent = None
        if re.search(r":\s*[>|][-+]?\s*(#.*)?$", line):
            block_indent = indent
            continue
        for match in _VALUE_START.finditer(line):
            quote = match.group(1)
            start = match.end() - 1
            rest = line[start + 1 :]
            closed = rest.replace("''", "") if quote == "'" else re.sub(r"\\.", "", rest)
            if quote not in closed:
                return index, start
            break
    return None


def _flow(lines: list[str], context: str, open_row: int, open_col: int, row: int, column: int) -> tuple[int, int, str]:
    """An unclosed bracket or brace, or a missing comma between the items inside it."""
    opening, closing = ("[", "]") if "sequence" in context else ("{", "}")
    if open_row == row:
        return (
            row,
            column,
            (
                f"a missing comma between the items inside {opening} {closing}, or a colon without a space "
                f"after it, or a {opening} that is not closed with {closing}"
            ),
        )
    advice = f"this {opening} is not closed: end it with {closing} (and separate the items inside with commas)"
    return open_row, open_col, advice


def _missing_colon(lines: list[str], row: int) -> tuple[int, int, str]:
    """A key line without its colon (or with no space after the colon)."""
    line = lines[row] if row < len(lines) else ""
    match = _KEY_NO_SPACE.match(line)
    if match is not None:
        return row, match.end(), "a missing space after the colon: write `field: value`"
    start = len(line) - len(line.lstrip())
    return row, start, "a missing colon: write `field: value` (a colon, then a space)"


def _mapping_values(lines: list[str], row: int, column: int) -> tuple[int, int, str]:
    """``mapping values are not allowed here``: a colon in a value, or the line above lacks its colon or space."""
    line = lines[row] if row < len(lines) else ""
    before = line[:column]
    if re.search(r":\s", before):
        return row, column, "a second colon on this line: put a value that contains ': ' in quotes"
    filled = [i for i in range(row) if lines[i].strip() and not lines[i].lstrip().startswith("#")]
    above = filled[-1] if filled else None
    if above is not None:
        prev = lines[above]
        if _KEY_NO_SPACE.match(prev) and not re.search(r":\s", prev):
            return above, _KEY_NO_SPACE.match(prev).end(), "a missing space after the colon: write `field: value`"  # type: ignore[union-attr]
        if ":" not in prev and not prev.lstrip().startswith("- "):
            start = len(prev) - len(prev.lstrip())
            return above, start, "a missing colon: write `field: value` (a colon, then a space)"
    start = len(line) - len(line.lstrip())
    return row, start, INDENTATION
