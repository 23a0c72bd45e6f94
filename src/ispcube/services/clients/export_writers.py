"""Streaming writers for `export clients` (C10) and `export ledger` (I8): XLSX (openpyxl write-only), CSV and JSON.

Each takes rows one at a time and keeps none of them. Spreadsheet cells are made inert
(R9): in CSV a cell a spreadsheet would run gets an apostrophe in front; in XLSX it is written
as a text cell marked "quote prefix" (Excel's own flag for text that looks like a formula),
which keeps the value exactly as stored.
"""

import csv
import json
from pathlib import Path
from typing import Any, Sequence, TextIO

from ispcube.domain.spreadsheet_safety import TRIGGERS, is_dangerous, neutralise
from ispcube.domain.text import cell_text

_TRIGGER_CHARS = frozenset(TRIGGERS)


class CsvWriter:
    def __init__(self, path: Path | None, headers: Sequence[str], stream: TextIO | None = None):
        """Into PATH, or into STREAM (standard output: left open, no BOM)."""
        # UTF-8 with a BOM: what Excel needs to read accents right (`client import` accepts it).
        self.owned = stream is None
        if stream is None:
            assert path is not None, "a path or a stream"
            stream = path.open("w", newline="", encoding="utf-8-sig")
        self.file = stream
        self.writer = csv.writer(self.file)
        self.writer.writerow(headers)

    def write(self, values: Sequence[Any]) -> None:
        self.writer.writerow([neutralise(cell_text(v)) for v in values])

    def close(self) -> None:
        if self.owned:
            self.file.close()
        else:
            self.file.flush()


class JsonWriter:
    """A JSON array of objects with the field names of `client show --format json`."""

    def __init__(self, path: Path, keys: Sequence[str]):
        self.file = path.open("w", encoding="utf-8")
        self.keys = list(keys)
        self.first = True
        self.file.write("[")

    def write(self, values: Sequence[Any]) -> None:
        record = dict(zip(self.keys, values, strict=True))
        self.file.write(("\n" if self.first else ",\n") + json.dumps(record, ensure_ascii=False, default=str))
        self.first = False

    def close(self) -> None:
        self.file.write("\n]\n" if not self.first else "]\n")
        self.file.close()


class XlsxWriter:
    def __init__(self, path: Path, headers: Sequence[str], sheet: str = "Clients"):
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Font
        self.path, self._cell, self._error_codes = path, WriteOnlyCell, frozenset(ERROR_CODES)
        self._illegal = ILLEGAL_CHARACTERS_RE
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(sheet)
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        self.sheet.append([self._styled(WriteOnlyCell(self.sheet, value=h), bold) for h in headers])

    @staticmethod
    def _styled(cell, font):
        cell.font = font
        return cell

    def write(self, values: Sequence[Any]) -> None:
        row = [cell_text(v) if isinstance(v, (list, tuple)) else v for v in values]
        if self._illegal.search("".join(v for v in row if type(v) is str)):
            # Control characters XML cannot hold: dropped (openpyxl would refuse the cell).
            row = [self._illegal.sub("", v) if type(v) is str else v for v in row]
        self.sheet.append([v if type(v) is not str or (v[:1] not in _TRIGGER_CHARS and v not in self._error_codes)
                           else self._cell_text(v) for v in row])

    def _cell_text(self, text: str):
        """A cell holding TEXT that Excel would run or read as an error code: kept as text."""
        if not is_dangerous(text) and text not in self._error_codes:
            return text
        cell = self._cell(self.sheet, value=text)
        cell.data_type = "s"          # openpyxl would store "=..." as a formula
        cell.quotePrefix = True
        return cell

    def close(self) -> None:
        self.book.save(self.path)


def writer_for(path: Path, kind: str, headers: Sequence[str], keys: Sequence[str], sheet: str = "Clients"):
    """A writer of KIND (.xlsx, .csv or .json) into PATH (SHEET: the XLSX sheet's name)."""
    if kind == ".xlsx":
        return XlsxWriter(path, headers, sheet)
    if kind == ".csv":
        return CsvWriter(path, headers)
    return JsonWriter(path, keys)
