"""`payments import FILE` (K5): bank statements and payment files matched to clients and posted once.

1. A statement (camt.053, MT940; the kind is told by the content unless given) is read whole
   before anything is written: a file that cannot be read, or with an amount of more decimals
   than the currency has, is one sentence and posts nothing. A CSV/XLSX payment file goes
   through the import engine (table.py, M1): its bad rows are reported `line N, column X:
   value 'V': reason` and refuse the file unless --skip-invalid.
2. Under the job lock (a second run gets exit 75), in one transaction: the transactions an
   earlier import acted on are set aside by key (R15); the rest are matched
   (`match.decide`) and written set-based (`post.write`): receipts as `pay` posts them,
   collection items paid or returned (a DX charges a paid one back), each bank transaction
   recorded under its unique key.
   The transaction holds the lock `enforce` decides under (ledger/money_in.py).
3. After the commit, the clients paid who are cut or throttled now (read after the commit:
   an enforce that decided before the payment may have cut one meanwhile) and whose overdue
   debt is at or below the unlock threshold get service back on their routers at once, as
   `pay --enable` does (unless --no-enable or the setting `payments.enable_on_import` is no).

Unmatched and ambiguous credits are reported and not posted: the run exits 3 naming them.
"""

from dataclasses import dataclass, field
from decimal import Decimal
import os
from pathlib import Path
from typing import Any

from ispcube.domain.money import format_amount
from ispcube.domain.spreadsheet_safety import neutralise
from ispcube.domain.text import quoted
from ispcube.errors import Invalid
from ispcube.services.admin import config
from ispcube.services.enforcement.outcomes import OnRouters
from ispcube.services.enforcement.paid import restore_paid
from ispcube.services.imports.engine import TableImportOptions, run_import
from ispcube.services.ledger import money_in
from ispcube.services.ledger.posting import currency as accounts_currency
from ispcube.services.payments.statements.lines import Line
from ispcube.services.payments.statements.match import Decision, LineOutcome
from ispcube.services.payments.statements.rows import (
    ExplainedRow,
    LineRow,
    PaymentsRunRecord,
    PostedRow,
    ReturnedRow,
    ReversedRow,
    UnmatchedRow,
)
from ispcube.services.process.job_lock import job_lock
from ispcube.services.process.output_files import output_path
from ispcube.services.process.runtime import Runtime, require_office

JOB = "payments import"
FILE_FORMATS = ("auto", "csv", "camt053", "mt940")


@dataclass
class PaymentsImportOptions:
    """What `payments import` is asked: the file's format, and what to do with its payments."""
    file_format: str = "auto"
    dry_run: bool = False
    skip_invalid: bool = False
    report: str | None = None
    enable: bool | None = None          # None: the setting payments.enable_on_import
    overwrite: bool = False
    ignore_columns: tuple[str, ...] = ()    # CSV/XLSX files: columns not to read
    source: str | None = None           # a CSV/XLSX file's source (gateway) when it has no such column;
                                        # a statement names its own account (so one drop folder takes both)


@dataclass
class PaymentsRun:
    file: str
    file_format: str
    dry_run: bool
    currency: str = ""
    lines: int = 0
    import_id: int | None = None
    posted: list[PostedRow] = field(default_factory=list)
    returned: list[ReturnedRow] = field(default_factory=list)
    reversed: list[ReversedRow] = field(default_factory=list)       # credits the bank reversed (a DX each)
    settled: list[ExplainedRow] = field(default_factory=list)      # credits of items already paid
    already: int = 0                                                # acted on by an earlier import
    unmatched: list[UnmatchedRow] = field(default_factory=list)    # unmatched and ambiguous credits
    ignored: list[ExplainedRow] = field(default_factory=list)      # debits and entries not booked
    invalid: list[str] = field(default_factory=list)                  # rows skipped (--skip-invalid)
    enabled: list[OnRouters] = field(default_factory=list)
    report: str | None = None
    paid: dict[int, str] = field(default_factory=dict)                # client id -> its receipt, in words

    @property
    def total(self) -> Decimal:
        return sum((Decimal(p["amount"]) for p in self.posted), Decimal("0.00"))

    @property
    def changed(self) -> bool:
        return not self.dry_run and bool(self.posted or self.returned or self.settled or self.reversed)

    def as_dict(self) -> PaymentsRunRecord:
        return {"file": self.file, "format": self.file_format, "dry_run": self.dry_run, "import": self.import_id,
                "currency": self.currency, "lines": self.lines, "posted": len(self.posted),
                "total": format_amount(self.total), "returned": self.returned, "reversed": self.reversed,
                "settled": self.settled,
                "already_imported": self.already, "unmatched": self.unmatched, "ignored": self.ignored,
                "invalid": self.invalid, "enabled": self.enabled, "receipts": self.posted, "report": self.report}


def import_payments(rt: Runtime, file: str, options: PaymentsImportOptions) -> PaymentsRun:
    rt.check_office("import payments")
    if options.file_format not in FILE_FORMATS:
        raise Invalid(f"--file-format {quoted(options.file_format)} is not one of {', '.join(FILE_FORMATS)}")
    path = Path(file).expanduser()
    if not path.is_file():
        raise Invalid(f"payment file '{file}' does not exist or is not a file")
    with path.open("rb") as handle:
        empty = not handle.read(4096).strip()
    if empty:
        raise Invalid(f"payment file '{file}' is empty: give a camt.053 statement, an MT940 file or a CSV/XLSX "
                      "of payments")
    report = None
    if options.report:
        report = output_path(options.report, (".csv",), "--report", options.overwrite, header=",".join(REPORT_COLUMNS))
    with rt.uow() as uow:
        money = accounts_currency(uow)
        enable = options.enable if options.enable is not None else \
            bool(config.get_value(uow.session, "payments.enable_on_import"))
    kind = sniff(path) if options.file_format == "auto" else options.file_format
    if options.ignore_columns and kind != "csv":
        raise Invalid(f"--ignore-column is for CSV/XLSX payment files; this file is {kind}")
    if kind == "csv":
        run = _import_table(rt, path, options, money)
    else:
        lines = read_statement(path, kind, money)
        run = PaymentsRun(str(path), kind, options.dry_run, money, len(lines))
        if options.dry_run:
            match_and_write(rt, run, lines)
        else:
            with job_lock(rt.engine, JOB), money_in.posting(rt):
                match_and_write(rt, run, lines)
    if enable and run.paid:
        run.enabled = restore_paid(rt, run.paid)
    if report is not None:
        _write_report(report, run)
        run.report = str(report)
    return run


def _import_table(rt: Runtime, path: Path, options: PaymentsImportOptions, money: str) -> PaymentsRun:
    """A CSV/XLSX payment file, through the import engine (table.py)."""
    from ispcube.services.payments.statements.table import PaymentFileImport, PaymentFileSummary
    engine_options = TableImportOptions(skip_invalid=options.skip_invalid, dry_run=options.dry_run,
                                        ignore_columns=options.ignore_columns)
    if options.dry_run:
        summary = run_import(rt, path, engine_options, PaymentFileImport.from_source(options.source))
    else:
        with job_lock(rt.engine, JOB), money_in.posting(rt):
            summary = run_import(rt, path, engine_options, PaymentFileImport.from_source(options.source))
    assert isinstance(summary, PaymentFileSummary), "the payment kind keeps its own summary"
    problems = [problem.sentence() for problem in summary.problems]
    if problems and not options.skip_invalid:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise Invalid(f"'{path}': {problems[0]}{more}; nothing was posted (--skip-invalid posts the good rows)")
    run = PaymentsRun(str(path), summary.kind, options.dry_run, money, summary.rows, invalid=problems)
    run.already = summary.already
    written = summary.result
    shown = summary.book.shown if summary.book else {}
    _report(run, summary.decisions, written, shown)
    if written is not None:
        run.import_id, run.paid = written.import_id, _paid(summary.decisions, written)
    return run


def read_statement(path: Path, kind: str, money: str) -> list[Line]:
    """The lines of a camt.053 or MT940 statement, read whole."""
    if kind == "camt053":
        from ispcube.services.payments.statements.camt import read_camt
        return read_camt(path, money)[1]
    from ispcube.services.payments.statements.mt940_file import read_mt940
    return read_mt940(path, money)


def sniff(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return "csv"          # an XLSX table, read with the CSV path's reader
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<") or path.suffix.lower() == ".xml":
        return "camt053"      # a .xml file that is not XML is reported as broken XML, not read as a table
    from ispcube.services.payments.statements.mt940_file import looks_like_mt940
    if text.startswith(b"{1:") or looks_like_mt940(text.decode("latin-1")):
        return "mt940"
    return "csv"


def match_and_write(rt: Runtime, run: PaymentsRun, lines: list[Line]) -> None:
    """Match and (unless a dry run) write in one transaction (RUN.paid: the clients paid)."""
    from ispcube.services.payments.statements.book import known_lines, load_book, load_credits
    from ispcube.services.payments.statements.match import ACTED, decide
    from ispcube.services.payments.statements.post import write
    with rt.uow() as uow:
        require_office(rt.actor(uow), "import payments")
        known = known_lines(uow, lines)
        fresh = [line for line in lines if line.key not in known]
        run.already = len(lines) - len(fresh)
        book = load_book(uow, (line.end_to_end_id for line in fresh))
        load_credits(uow, book, fresh)
        decisions = decide(fresh, book)
        written = None
        if not run.dry_run and any(d.outcome in ACTED for d in decisions):
            written = write(uow, rt, decisions, run.file, run.file_format, book.cut)
        _report(run, decisions, written, book.shown)
        if written is not None:
            run.import_id, run.paid = written.import_id, _paid(decisions, written)
            uow.commit()


def _paid(decisions: list[Decision], written) -> dict[int, str]:
    """{client id: "paid, receipt N (payments import M)"} of the clients a receipt was posted to."""
    return {d.client_id: f"paid, receipt {written.receipts[index]} (payments import {written.import_id})"
            for index, d in enumerate(decisions) if d.outcome == LineOutcome.RECEIPT and d.client_id}


def _report(run: PaymentsRun, decisions: list[Decision], written, shown: dict[int, str]) -> None:
    """What became of each line, for the summary, the JSON and the report file."""
    for index, d in enumerate(decisions):
        line: LineRow = {**d.line.shown(), "client": shown.get(d.client_id) if d.client_id else None}
        if d.outcome == LineOutcome.RECEIPT:
            run.posted.append({**line, "matched_by": d.matched_by,
                               "receipt": written.receipts[index] if written else None})
        elif d.outcome == LineOutcome.RETURN:
            run.returned.append({**line, "reason": d.reason, "charged_back": d.charge_back,
                                 "dx": written.debits.get(index) if written else None})
        elif d.outcome == LineOutcome.REVERSAL:
            run.reversed.append({**line, "credit": d.reversed_ref,
                                 "dx": written.debits.get(index) if written else None})
        elif d.outcome == LineOutcome.SETTLED:
            run.settled.append({**line, "reason": d.reason})
        elif d.outcome in (LineOutcome.UNMATCHED, LineOutcome.AMBIGUOUS):
            run.unmatched.append({**line, "outcome": d.outcome, "reason": d.reason})
        else:
            run.ignored.append({**line, "reason": d.reason})


REPORT_COLUMNS = ("where", "date", "amount", "direction", "reference", "end_to_end_id", "client", "outcome",
                  "receipt", "detail", "text")


def _write_report(path: Path, run: PaymentsRun) -> None:
    """Every line of the file and what became of it, as CSV (formula cells made inert)."""
    import csv

    rows: list[dict[str, Any]] = []
    rows += [{**p, "outcome": "dry run: would post" if run.dry_run else "posted", "detail": p["matched_by"]}
             for p in run.posted]
    rows += [{**r, "outcome": "returned", "receipt": r.get("dx"), "detail": r["reason"]} for r in run.returned]
    rows += [{**r, "outcome": "reversed", "receipt": r.get("dx"), "detail": f"credit {r['credit']} reversed"}
             for r in run.reversed]
    rows += [{**s, "outcome": "already paid", "detail": s["reason"]} for s in run.settled]
    rows += [{**u, "detail": u["reason"]} for u in run.unmatched]
    rows += [{**i, "outcome": "ignored", "detail": i["reason"]} for i in run.ignored]
    rows += [{"outcome": "invalid", "detail": problem} for problem in run.invalid]
    if run.already:
        rows.append({"outcome": "already imported", "detail": f"{run.already} transaction(s) posted by an earlier "
                                                              "import"})
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(REPORT_COLUMNS)
            for row in rows:
                writer.writerow([neutralise("" if row.get(c) is None else str(row.get(c))) for c in REPORT_COLUMNS])
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
