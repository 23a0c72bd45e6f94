"""What `payments import` reports for each line of a file, typed: the rows of its JSON output,
its summary and its report file.

TypedDicts, so each row stays the plain dict the JSON prints, key for key. Every row is the
line as shown (`Line.shown`), its client's code, and what became of it.
"""

from typing import TypedDict

from ispcube.services.enforcement.outcomes import OnRouters
from ispcube.services.payments.statements.lines import ShownLine
from ispcube.services.payments.statements.match import LineOutcome


class LineRow(ShownLine):
    client: str | None


class PostedRow(LineRow):
    """A credit posted as a client's payment."""
    matched_by: str | None
    receipt: int | None          # None in a dry run


class ReturnedRow(LineRow):
    """A direct debit of ours the bank returned."""
    reason: str | None
    charged_back: bool
    dx: int | None               # the DX charging a paid debit back


class ReversedRow(LineRow):
    """A credit the bank reversed, charged back with a DX."""
    credit: str | None
    dx: int | None


class ExplainedRow(LineRow):
    """A line already settled, or ignored (a debit, an entry not booked): why."""
    reason: str | None


class UnmatchedRow(ExplainedRow):
    outcome: LineOutcome         # unmatched or ambiguous


PaymentsRunRecord = TypedDict("PaymentsRunRecord", {
    "file": str, "format": str, "dry_run": bool, "import": int | None, "currency": str, "lines": int,
    "posted": int, "total": str, "returned": list[ReturnedRow], "reversed": list[ReversedRow],
    "settled": list[ExplainedRow], "already_imported": int, "unmatched": list[UnmatchedRow],
    "ignored": list[ExplainedRow], "invalid": list[str], "enabled": list[OnRouters],
    "receipts": list[PostedRow], "report": str | None})
