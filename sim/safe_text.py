r"""Text from the user made harmless where it is written: CSV cells and the terminal.

**CSV cells** (OWASP's guidance on CSV injection). A spreadsheet takes a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return for a formula.
Every CSV the package writes goes through `CsvWriter`, which puts a single quote
``'`` before such a text cell (``=SUM(A1)`` is written ``'=SUM(A1)``). Numbers stay
numbers: a Python int or float, and text that is a number as written (``-4``,
``-1.5e-3``, ``-inf``: what the program writes for its numbers), are left as they are,
since a spreadsheet reads them as numbers, never as formulas. A cell that already
starts with quotes before such a character gets one more, so `csv_text` (which
every reader of the package's CSVs applies) gives back exactly what was written.
`CsvWriter` also quotes every cell that holds a line break, a lone carriage return
included (``csv.writer`` with ``lineterminator="\n"`` leaves that unquoted, and the
file then reads back as two rows).

**The terminal** (`visible`). Control characters (C0 but the line feed and tab, DEL,
C1), invisible format characters (soft hyphen, zero-width space, the bidirectional
overrides and isolates such as U+202E; zero-width joiners stay, scripts and emoji
need them) and the line and paragraph separators are shown as Python escapes
(``\x1b``, ``\u202e``), so a scenario named ``"\x1b[2J..."`` cannot clear the screen
or forge the lines after it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The characters with which a spreadsheet cell is taken for a formula (OWASP)."""

_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)", re.IGNORECASE)


def csv_cell(value: Any) -> Any:
    """`value` as a CSV cell: a text that a spreadsheet would take for a formula gets a leading ``'``.

    Numbers (int, float, and text that is a number as written) are returned as they are.
    """
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def _needs_quote(text: str) -> bool:
    return _NEEDS_QUOTE.match(text) is not None and _NUMBER.fullmatch(text) is None


def csv_text(cell: str) -> str:
    """A cell read back from a CSV the package wrote: the quote `csv_cell` added is removed."""
    if cell.startswith("'") and _needs_quote(cell[1:]):
        return cell[1:]
    return cell


def csv_record(row: dict[str, str | None]) -> dict[str, str]:
    """A row of ``csv.DictReader`` with every cell (and column name) passed through `csv_text`."""
    return {csv_text(key): csv_text(value or "") for key, value in row.items() if key is not None}


def read_csv_rows(handle: IO[str]) -> list[dict[str, str]]:
    """The rows of a CSV the package wrote, as mappings of text (`csv_record`)."""
    return [csv_record(row) for row in csv.DictReader(handle)]


class CsvWriter:
    r"""``csv.writer`` for the package's files: ``\n`` line ends, cells through `csv_cell`.

    Cells with a line break or a carriage return are quoted; other rows are written
    byte for byte as ``csv.writer(handle, lineterminator="\n")`` writes them.
    """

    def __init__(self, handle: IO[str]):
        self._handle = handle
        self._buffer = io.StringIO()
        # "\r\n" as the terminator makes the csv module quote cells holding either character.
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def writerow(self, values: Iterable[Any]) -> None:
        """Write one row (None is written as an empty cell, as csv does)."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow([csv_cell(v) for v in values])
        self._handle.write(self._buffer.getvalue()[:-2] + "\n")

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write each row."""
        for row in rows:
            self.writerow(row)


def dict_cells(row: dict[str, Any], columns: Iterable[str]) -> list[Any]:
    """The cells of a mapping in the order of `columns` (missing ones empty), as ``csv.DictWriter`` takes them."""
    return [row.get(column, "") for column in columns]


_KEPT = frozenset("\n\t\u200c\u200d")


def _shown(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _hidden(char: str) -> bool:
    return char not in _KEPT and unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def visible(text: str, keep: str = "") -> str:
    r"""`text` with control and invisible format characters shown as escapes (``\x1b``, ``\u202e``).

    Line feeds and tabs stay (the program writes them), and so do the characters of `keep`.
    Idempotent: what it returns has nothing left to escape.
    """
    if text.isascii() and text.isprintable():
        return text
    return "".join(_shown(c) if c not in keep and _hidden(c) else c for c in text)
