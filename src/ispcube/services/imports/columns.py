"""Which field each column of an import file holds, for every import kind (M1).

A header names a field by its snake_case name (`pppoe_user`), its flag (`pppoe-user`), the
readable name an export writes (`PPPoE user`) or a Spanish alias (`usuario_pppoe`); case,
accents, spaces and punctuation do not matter. Each kind gives its own field names, aliases
and the columns its export writes that an import does not set.
"""

from dataclasses import dataclass, field
import re
from typing import Callable, Collection

from ispcube.domain.text import fold, quoted
from ispcube.errors import Invalid

_NON_WORD = re.compile(r"[^a-z0-9]+")
# What a spreadsheet would run: an export puts an apostrophe before such cells (R9).
_NEUTRALISED = tuple("'" + ch for ch in "=+-@\t\r")


def header_key(header: str) -> str:
    return _NON_WORD.sub("_", fold(header)).strip("_")


def cell_text(value: str | None) -> str | None:
    """Undo the apostrophe an export puts before cells a spreadsheet could run."""
    if value is not None and value.startswith(_NEUTRALISED):
        return value[1:]
    return value


@dataclass(frozen=True)
class ColumnMap:
    """For each column of the file, the field it sets (None: skipped)."""
    fields: tuple[str | None, ...]
    headers: tuple[str, ...]
    ignored: tuple[str, ...]
    present: frozenset[str] = field(init=False)
    used: tuple[tuple[int, str], ...] = field(init=False)      # (position, field) of the mapped columns

    def __post_init__(self) -> None:
        object.__setattr__(self, "present", frozenset(f for f in self.fields if f))
        object.__setattr__(self, "used", tuple((i, f) for i, f in enumerate(self.fields) if f))

    def column_of(self, name: str) -> str:
        return self.headers[self.fields.index(name)]

    def shown(self, name: str) -> str:
        """The file's header for field NAME, or NAME when the file has no such column."""
        return self.column_of(name) if name in self.present else name


def map_header(header: list[str], field_for: Callable[[str], str | None], read_only: Collection[str],
               noun: str, hint: str, joined: Collection[str] = ()) -> ColumnMap:
    """Map every header to a field with FIELD_FOR; READ_ONLY headers (by header_key) are skipped
    and named; unknown or repeated columns refuse the whole file, except for JOINED fields
    (phones, e-mails), whose columns the kind joins. NOUN names the kind's record (`client`),
    HINT says which names are understood."""
    fields: list[str | None] = []
    ignored: list[str] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for number, name in enumerate(header, start=1):
        found = field_for(name) if name else None
        if found is None:
            if header_key(name) in read_only:
                ignored.append(name)
            elif name:
                unknown.append(f"{quoted(name)} (column {number})")
            fields.append(None)
            continue
        if found in seen and found not in joined:
            raise Invalid(f"columns {quoted(seen[found])} and {quoted(name)} both set the {noun} field {found}: "
                          "keep only one of them")
        seen[found] = name
        fields.append(found)
    if unknown:
        raise Invalid(f"column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                      f"{'are' if len(unknown) > 1 else 'is'} not a {noun} field ({hint})")
    return ColumnMap(tuple(fields), tuple(header), tuple(ignored))


def check_shape(problems: list[tuple[str, str, str]], columns: ColumnMap, cells: list[str | None]) -> None:
    """A row with fewer cells than the header, or text beyond it (a stray delimiter)."""
    width = len(columns.headers)
    if len(cells) < width:
        problems.append((columns.headers[len(cells)], "", f"the row has {len(cells)} columns, the header has {width}"))
    extra = [(i, c) for i, c in enumerate(cells[width:], start=width + 1) if c is not None and c.strip()]
    if extra:
        number, value = extra[0]
        problems.append((str(number), value, f"extra column: the header has {width} columns, the row has {len(cells)}"))
