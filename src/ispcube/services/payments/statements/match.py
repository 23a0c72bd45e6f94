"""Which client each statement line belongs to, and what is done with it (K5). Pure: the
database is read beforehand into a `Book`, so a file of 100,000 lines is matched in memory.

A credit is matched, in order, by: the EndToEndId of one of our collection items; the client
code (named in the file, or by the payment link a gateway's external reference names); the
electronic payment code; the payer's IBAN or CBU; the payer's ID number as a gateway gives it;
one client code or payment code found as a word in the remittance text (not in a gateway's
description, which the payer writes). The first rule that
names exactly one client decides; a rule that names several is ambiguous and stops there. A debit that names one of our
collections with return information is a returned direct debit. A reversal of a credit
(camt RvslInd on a debit, MT940 RC) not about our collections reverses the credit it names:
one on the same account, of the same amount, whose bank reference is among the reversal's
references, posted earlier or earlier in the file; it is charged back with a DX, once. A
reversal whose credit is not found, and a reversal of a debit, are reported, never ignored.
Other debits are listed.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
import re

from ispcube.services.payments.statements.lines import Line


class LineOutcome(StrEnum):
    """What becomes of a statement line; the first four are recorded as bank transactions (their
    kind)."""
    RECEIPT = "receipt"          # a credit posted as a client's payment
    RETURN = "return"            # a returned direct debit of ours
    SETTLED = "settled"          # a credit for one of our collection items already paid
    REVERSAL = "reversal"        # the bank reverses a credit it booked before (charged back)
    UNMATCHED = "unmatched"
    AMBIGUOUS = "ambiguous"
    IGNORED = "ignored"          # a debit, or an entry not booked


ACTED = (LineOutcome.RECEIPT, LineOutcome.RETURN, LineOutcome.SETTLED, LineOutcome.REVERSAL)
_WORD = re.compile(r"[0-9A-Za-z](?:[0-9A-Za-z._-]*[0-9A-Za-z])?")


@dataclass
class Item:
    id: int
    client_id: int
    batch_id: int
    amount: Decimal
    status: str                # pending | paid | rejected (as this run leaves it)
    entry_id: int | None


@dataclass
class Credit:
    """A credit an earlier import acted on, which a reversal may name."""
    key: str
    client_id: int
    account: str
    reference: str
    amount: Decimal
    reversed: bool


@dataclass
class Book:
    """What matching needs from the database: live (not deleted) clients and our collection items."""
    codes: dict[str, int] = field(default_factory=dict)
    epayment: dict[str, int] = field(default_factory=dict)
    ibans: dict[str, list[int]] = field(default_factory=dict)
    cbus: dict[str, list[int]] = field(default_factory=dict)
    id_numbers: dict[str, list[int]] = field(default_factory=dict)    # digits only
    shown: dict[int, str] = field(default_factory=dict)      # client id -> code
    items: dict[str, Item] = field(default_factory=dict)     # EndToEndId -> item
    cut: set[int] = field(default_factory=set)                # clients whose service is cut
    credits: list[Credit] = field(default_factory=list)       # earlier credits reversals name


@dataclass
class Decision:
    line: Line
    outcome: LineOutcome
    client_id: int | None = None
    matched_by: str | None = None
    item: Item | None = None
    reason: str | None = None  # why not posted, or the return reason
    charge_back: bool = False  # a return of an item that was paid: a DX for the amount
    reverses: str | None = None        # a reversal: the key of the credit it reverses
    reversed_ref: str | None = None    # ... and that credit's bank reference


def decide(lines: list[Line], book: Book) -> list[Decision]:
    """A decision per line, in file order (a credit earlier in the file settles an item a
    return later in it then finds paid, and a reversal later in it finds the credit)."""
    decisions: list[Decision] = []
    for line in lines:
        if line.credit:
            decisions.append(_reversed_debit(line) if line.reversal and line.booked_entry else _credit(line, book))
        else:
            decisions.append(_debit(line, book, decisions))
    return decisions


def _credit(line: Line, book: Book) -> Decision:
    if not line.booked_entry:
        return Decision(line, LineOutcome.IGNORED, reason="not booked yet (pending or information entry)")
    item = book.items.get(line.end_to_end_id or "")
    if item is not None:
        client = book.shown.get(item.client_id, "?")
        if item.status == "paid":
            return Decision(line, LineOutcome.SETTLED, item.client_id, "end_to_end_id", item,
                            reason=f"direct debit {line.end_to_end_id} of client {client} was already taken as paid")
        if item.status == "rejected":
            return Decision(line, LineOutcome.UNMATCHED,
                            reason=f"direct debit {line.end_to_end_id} of client {client} was "
                                   "returned earlier; a credit for it is not expected")
        if item.amount != line.amount:
            return Decision(line, LineOutcome.UNMATCHED,
                            reason=f"direct debit {line.end_to_end_id} of client {client} asked "
                                   f"for {item.amount:.2f}, the bank credited {line.amount:.2f}")
        item.status = "paid"
        return Decision(line, LineOutcome.RECEIPT, item.client_id, "end_to_end_id", item)
    tried = []
    for rule, value, index in ((line.code_rule, line.client_code, book.codes),
                               ("epayment_code", line.epayment_code, book.epayment)):
        if value:
            client_id = index.get(value.strip())
            if client_id is not None:
                return Decision(line, LineOutcome.RECEIPT, client_id, rule)
            tried.append(f"no client has {'payment code' if rule == 'epayment_code' else 'code'} '{value}'")
    for rule, value, multi in (("iban", line.iban, book.ibans), ("cbu", line.cbu, book.cbus),
                               ("id_number", line.id_number, book.id_numbers)):
        if value:
            owners = multi.get(value, [])
            what = "ID number" if rule == "id_number" else rule.upper()
            if len(owners) == 1:
                return Decision(line, LineOutcome.RECEIPT, owners[0], rule)
            if owners:
                return _ambiguous(line, book, owners, f"the {what} {value}")
            tried.append(f"no client has {what} {value}")
    if not line.text_names_client:
        return Decision(line, LineOutcome.UNMATCHED, reason="; ".join(tried or ["nothing names a client"]))
    found = {client_id for word in _WORD.findall(line.text)
             for client_id in (book.codes.get(word), book.epayment.get(word)) if client_id is not None}
    if len(found) == 1:
        return Decision(line, LineOutcome.RECEIPT, found.pop(), "text")
    if found:
        return _ambiguous(line, book, sorted(found), "the remittance text")
    tried.append("no client code or payment code in the text" if line.text else "no remittance text")
    return Decision(line, LineOutcome.UNMATCHED, reason="; ".join(tried))


def _ambiguous(line: Line, book: Book, owners: list[int], what: str) -> Decision:
    codes = ", ".join(sorted(book.shown.get(o, "?") for o in owners))
    return Decision(line, LineOutcome.AMBIGUOUS, reason=f"{what} names several clients ({codes})")


def _reversed_debit(line: Line) -> Decision:
    return Decision(line, LineOutcome.UNMATCHED,
                    reason="the bank reverses one of its debits (a credit marked as a "
                           "reversal): not a client's payment, check it with the bank")


def _debit(line: Line, book: Book, earlier: list[Decision]) -> Decision:
    if not line.booked_entry:
        return Decision(line, LineOutcome.IGNORED, reason="not booked yet (pending or information entry)")
    item = book.items.get(line.end_to_end_id or "")
    if line.reversal and item is None:
        return _reversal(line, book, earlier)
    if line.return_reason is None or item is None:
        return Decision(line, LineOutcome.IGNORED, reason="a debit that returns none of our direct debits")
    client = book.shown.get(item.client_id, "?")
    if item.status == "rejected":
        return Decision(line, LineOutcome.IGNORED,
                        reason=f"direct debit {line.end_to_end_id} of client {client} is already marked returned")
    charge_back = item.status == "paid"
    item.status = "rejected"
    return Decision(line, LineOutcome.RETURN, item.client_id, "end_to_end_id", item, reason=line.return_reason,
                    charge_back=charge_back)


def _reversal(line: Line, book: Book, earlier: list[Decision]) -> Decision:
    """The credit LINE reverses: posted by an earlier import, or earlier in this file."""
    names = set(line.names)
    taken = {d.reverses for d in earlier if d.reverses}
    stored = [c for c in book.credits if c.account == line.account and c.amount == line.amount
              and c.reference in names]
    in_file = [d for d in earlier if d.line.credit and not d.line.reversal and d.line.account == line.account
               and d.line.amount == line.amount and (d.line.bank_ref or d.line.reference) in names]
    found = len(stored) + len(in_file)
    what = f"a reversal by the bank of a credit of {line.amount:.2f} ({', '.join(sorted(names)) or 'no reference'})"
    if found == 0:
        return Decision(line, LineOutcome.UNMATCHED, reason=f"{what}: no such credit was imported on account "
                                                            f"{line.account or '?'}; check it with the bank")
    if found > 1:
        return Decision(line, LineOutcome.AMBIGUOUS, reason=f"{what}: {found} credits carry that reference and amount")
    if stored:
        credit = stored[0]
        if credit.reversed or credit.key in taken:
            return Decision(line, LineOutcome.UNMATCHED, reason=f"{what}: that credit was reversed already")
        return Decision(line, LineOutcome.REVERSAL, credit.client_id, "reversal", reverses=credit.key,
                        reversed_ref=credit.reference)
    original = in_file[0]
    if original.line.key in taken:
        return Decision(line, LineOutcome.UNMATCHED, reason=f"{what}: that credit was reversed already")
    if original.outcome in (LineOutcome.RECEIPT, LineOutcome.SETTLED):
        return Decision(line, LineOutcome.REVERSAL, original.client_id, "reversal", reverses=original.line.key,
                        reversed_ref=original.line.bank_ref or original.line.reference)
    # The credit was not posted (unmatched, ambiguous, not booked): the two cancel out.
    original.outcome, original.reason = LineOutcome.IGNORED, f"reversed by the bank ({line.where})"
    return Decision(line, LineOutcome.IGNORED, reason=f"reverses {original.line.where}, which was not posted",
                    reverses=original.line.key)
