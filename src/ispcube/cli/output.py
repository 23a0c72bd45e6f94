"""One renderer for every listing and every result: --format table|csv|json.

CSV cells a spreadsheet would run as formulas are made inert, as in exports (R9)."""

import csv
import io
import json
from typing import Any, Iterable, Mapping

import typer

from ispcube.domain.spreadsheet_safety import neutralise
from ispcube.domain.text import cell_text

FORMATS = ("table", "csv", "json")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def render_rows(rows: Iterable[Mapping[str, Any]], fmt: str, columns: list[str] | None = None) -> None:
    rows = list(rows)
    if fmt == "json":
        typer.echo(json.dumps([_jsonable(r) for r in rows], ensure_ascii=False, indent=2))
        return
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralise(cell_text(row.get(c))) for c in columns])
        typer.echo(buffer.getvalue(), nl=False)
        return
    if not rows:
        typer.echo("(none)")
        return
    from tabulate import tabulate
    typer.echo(tabulate([[cell_text(row.get(c)) for c in columns] for row in rows],
                        headers=[c.replace("_", " ") for c in columns], disable_numparse=True))


def render_record(record: Mapping[str, Any], fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(_jsonable(record), ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        render_rows([record], "csv")
        return
    width = max(len(k) for k in record) if record else 0
    for key, value in record.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            typer.echo(f"{key.replace('_', ' ')}:")
            for item in value:
                typer.echo("  - " + ", ".join(f"{k}: {cell_text(v)}" for k, v in item.items()))
            continue
        typer.echo(f"{key.replace('_', ' ').ljust(width)}  {cell_text(value)}")


def render_result(st, record: Mapping[str, Any], sentence: str, *, answer: bool = False) -> None:
    """What a command did: RECORD for scripts (--format json or csv), else SENTENCE.

    --quiet drops the sentence, unless it is the ANSWER the command was run for (`config get`)."""
    if st.format == "table":
        if answer or not st.quiet:
            typer.echo(sentence)
    else:
        render_record(record, st.format)


def render_event(st, record: Mapping[str, Any], sentence: str, *, quiet: bool = False) -> None:
    """One event of a long-running command: a line of JSON each (JSON Lines), else SENTENCE."""
    if st.format == "json":
        typer.echo(json.dumps(_jsonable(record), ensure_ascii=False))
    elif not (quiet and st.quiet):
        typer.echo(sentence)
