"""Reading an import file (C9): CSV in any usual delimiter and encoding, or XLSX.

Rows are streamed: a CSV file is read twice (a byte scan that settles the encoding and counts
lines for the progress bar, then the parse), never held in memory.
"""

import codecs
import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
import re
from typing import Any, Iterator, NamedTuple

from ispcube.errors import Invalid

DELIMITERS = ",;\t|"
_SURROGATE = re.compile("[\udc80-\udcff]")
_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")
_CHUNK = 1 << 20
CELL_LIMIT = 1 << 20
csv.field_size_limit(CELL_LIMIT)


class SourceRow(NamedTuple):
    line: int                      # where the row starts in the file (the header is line 1)
    cells: list[str | None]        # None: the cell is empty (XLSX) or absent


@dataclass
class Encoding:
    name: str                      # what the text was decoded with
    mixed: bool = False            # UTF-8 with some rows in another encoding
    lines: int = 0


@dataclass
class Source:
    """An opened import file: its header, its rows, and how it was read."""
    path: Path
    kind: str                      # csv or xlsx
    header: list[str]
    rows: Iterator[SourceRow]
    total: int | None              # rows expected (for the progress bar), if known
    encoding: str = "utf-8"
    delimiter: str | None = None
    mixed: bool = False            # some rows are not in the file's encoding: check each cell
    _closers: list = field(default_factory=list)

    def close(self) -> None:
        for close in self._closers:
            close()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def open_source(path: str | Path) -> Source:
    path = Path(path)
    if not path.is_file():
        raise Invalid(f"import file '{path}' does not exist or is not a file")
    with path.open("rb") as probe:
        magic = probe.read(4)
    if path.suffix.lower() in (".xlsx", ".xlsm") or magic == b"PK\x03\x04":
        return _open_xlsx(path)
    if path.suffix.lower() == ".xls":
        raise Invalid(f"'{path}' is an old Excel (.xls) file: save it as .xlsx or .csv")
    return _open_csv(path)


def has_bad_bytes(text: str) -> bool:
    """True when TEXT holds bytes that were not valid in the file's encoding (mixed files)."""
    return bool(_SURROGATE.search(text))


def shown_bad_bytes(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def detect_encoding(path: Path) -> Encoding:
    """UTF-8 (with or without BOM) when every byte is valid UTF-8; Windows-1252/Latin-1 when
    no line is UTF-8 at all; otherwise UTF-8 with the odd rows reported one by one."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    windows = codecs.getincrementaldecoder("cp1252")("strict")
    bad = utf8_text = False
    windows_ok = True
    lines = 0
    last = b"\n"
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            text = decoder.decode(chunk)
            bad = bad or bool(_SURROGATE.search(text))
            utf8_text = utf8_text or bool(_NON_ASCII.search(text))
            if windows_ok:
                try:
                    windows.decode(chunk)
                except UnicodeDecodeError:
                    windows_ok = False
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    if not bad:
        return Encoding("utf-8-sig", lines=lines)
    if not utf8_text:
        return Encoding("cp1252" if windows_ok else "latin-1", lines=lines)
    return Encoding("utf-8-sig", mixed=True, lines=lines)


def _open_csv(path: Path) -> Source:
    encoding = detect_encoding(path)
    handle = path.open(encoding=encoding.name, errors="surrogateescape" if encoding.mixed else "strict",
                       newline="")
    first = handle.readline()
    while first and not first.strip():
        first = handle.readline()
    if not first.strip():
        handle.close()
        raise Invalid(f"import file '{path}' is empty: it needs a header row naming the columns")
    delimiter = max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as exc:
        handle.close()
        raise _unreadable(path, 1, exc) from None
    handle.seek(0)
    reader = csv.reader(handle, delimiter=delimiter)
    _skip_header(reader)
    source = Source(path=path, kind="csv", header=[h.strip() for h in header],
                    rows=_csv_rows(reader, path), total=max(encoding.lines - 1, 0),
                    encoding=encoding.name.replace("-sig", "")
                    + (" (some rows in another encoding)" if encoding.mixed else ""),
                    delimiter=delimiter, mixed=encoding.mixed)
    source._closers.append(handle.close)
    return source


def _skip_header(reader) -> None:
    for record in reader:
        if any(cell.strip() for cell in record):
            return


def _csv_rows(reader, path: Path) -> Iterator[SourceRow]:
    start = reader.line_num + 1
    records = iter(reader)
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _unreadable(path, start, exc) from None
        if "".join(record).strip():
            yield SourceRow(start, record)
        start = reader.line_num + 1


def _unreadable(path: Path, line: int, exc: csv.Error) -> Invalid:
    """A row the csv module gives up on, as one sentence (the import writes nothing)."""
    if "field larger than field limit" in str(exc):
        return Invalid(f"import file '{path.name}', line {line}: a cell is longer than {CELL_LIMIT >> 20} MiB "
                       f"({CELL_LIMIT:,} characters), more than any field holds (a quote left open swallows "
                       "the lines after it); nothing was imported")
    return Invalid(f"import file '{path.name}', line {line}: cannot be read as CSV ({exc}); nothing was imported")


def _open_xlsx(path: Path) -> Source:
    from openpyxl import load_workbook
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise Invalid(f"'{path}' is not a readable XLSX file ({type(exc).__name__}: {exc})") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header_row = next(rows, None)
    if header_row is None or not any(v is not None for v in header_row):
        book.close()
        raise Invalid(f"import file '{path}' is empty: it needs a header row naming the columns")
    header = [xlsx_text(v) or "" for v in header_row]
    while header and not header[-1]:
        header.pop()
    total = (sheet.max_row - 1) if sheet.max_row else None
    source = Source(path=path, kind="xlsx", header=[h.strip() for h in header], rows=_xlsx_rows(rows, len(header)),
                    total=total, encoding="xlsx")
    source._closers.append(book.close)
    return source


def _xlsx_rows(rows, width: int) -> Iterator[SourceRow]:
    """Rows padded to the header's width: a sheet leaves trailing empty cells out."""
    for line, values in enumerate(rows, start=2):
        cells = [xlsx_text(v) for v in values]
        cells += [None] * (width - len(cells))
        if any(c is not None and c.strip() for c in cells):
            yield SourceRow(line, cells)


def xlsx_text(value: Any) -> str | None:
    """A cell as the text a user would have typed (dates ISO, whole numbers without .0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
