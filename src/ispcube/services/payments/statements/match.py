"""Which client each statement line belongs to, and what is done with it (K5). Pure: the
database is read beforehand into a `Book`, so a file of 100,000 lines is matched in memory.

A credit is matched, in order, by: the EndToEndId of one of our collection items; the client
code; the electronic payment code; the payer's IBAN or CBU; one client code or payment code
found as a word in the remittance text. The first rule that names exactly one client decides;
a rule that names several is ambiguous and stops there. A debit that names one of our
collections with return information is a returned direct debit; other debits are listed.
"""

from dataclasses import dataclass, field
from decimal import Decimal
import re

from ispcube.services.payments.statements.lines import Line

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
class Book:
    """What matching needs from the database: live (not deleted) clients and our collection items."""
    codes: dict[str, int] = field(default_factory=dict)
    epayment: dict[str, int] = field(default_factory=dict)
    ibans: dict[str, list[int]] = field(default_factory=dict)
    cbus: dict[str, list[int]] = field(default_factory=dict)
    shown: dict[int, str] = field(default_factory=dict)      # client id -> code
    items: dict[str, Item] = field(default_factory=dict)     # EndToEndId -> item
    cut: set[int] = field(default_factory=set)                # clients whose service is cut


@dataclass
class Decision:
    line: Line
    outcome: str               # receipt | return | settled | unmatched | ambiguous | ignored
    client_id: int | None = None
    matched_by: str | None = None
    item: Item | None = None
    reason: str | None = None  # why not posted, or the return reason
    charge_back: bool = False  # a return of an item that was paid: a DX for the amount


def decide(lines: list[Line], book: Book) -> list[Decision]:
    """A decision per line, in file order (a credit earlier in the file settles an item a
    return later in it then finds paid)."""
    return [_credit(line, book) if line.credit else _debit(line, book) for line in lines]


def _credit(line: Line, book: Book) -> Decision:
    if not line.booked_entry:
        return Decision(line, "ignored", reason="not booked yet (pending or information entry)")
    item = book.items.get(line.end_to_end_id or "")
    if item is not None:
        client = book.shown.get(item.client_id, "?")
        if item.status == "paid":
            return Decision(line, "settled", item.client_id, "end_to_end_id", item,
                            reason=f"direct debit {line.end_to_end_id} of client {client} was already taken as paid")
        if item.status == "rejected":
            return Decision(line, "unmatched", reason=f"direct debit {line.end_to_end_id} of client {client} was "
                                                      "returned earlier; a credit for it is not expected")
        if item.amount != line.amount:
            return Decision(line, "unmatched", reason=f"direct debit {line.end_to_end_id} of client {client} asked "
                                                      f"for {item.amount:.2f}, the bank credited {line.amount:.2f}")
        item.status = "paid"
        return Decision(line, "receipt", item.client_id, "end_to_end_id", item)
    tried = []
    for rule, value, index in (("client", line.client_code, book.codes),
                               ("epayment_code", line.epayment_code, book.epayment)):
        if value:
            client_id = index.get(value.strip())
            if client_id is not None:
                return Decision(line, "receipt", client_id, rule)
            tried.append(f"no client has {'code' if rule == 'client' else 'payment code'} '{value}'")
    for rule, value, multi in (("iban", line.iban, book.ibans), ("cbu", line.cbu, book.cbus)):
        if value:
            owners = multi.get(value, [])
            if len(owners) == 1:
                return Decision(line, "receipt", owners[0], rule)
            if owners:
                return _ambiguous(line, book, owners, f"the {rule.upper()} {value}")
            tried.append(f"no client has {rule.upper()} {value}")
    found = {client_id for word in _WORD.findall(line.text)
             for client_id in (book.codes.get(word), book.epayment.get(word)) if client_id is not None}
    if len(found) == 1:
        return Decision(line, "receipt", found.pop(), "text")
    if found:
        return _ambiguous(line, book, sorted(found), "the remittance text")
    tried.append("no client code or payment code in the text" if line.text else "no remittance text")
    return Decision(line, "unmatched", reason="; ".join(tried))


def _ambiguous(line: Line, book: Book, owners: list[int], what: str) -> Decision:
    codes = ", ".join(sorted(book.shown.get(o, "?") for o in owners))
    return Decision(line, "ambiguous", reason=f"{what} names several clients ({codes})")


def _debit(line: Line, book: Book) -> Decision:
    if not line.booked_entry:
        return Decision(line, "ignored", reason="not booked yet (pending or information entry)")
    item = book.items.get(line.end_to_end_id or "")
    if line.return_reason is None or item is None:
        return Decision(line, "ignored", reason="a debit that returns none of our direct debits")
    client = book.shown.get(item.client_id, "?")
    if item.status == "rejected":
        return Decision(line, "ignored", reason=f"direct debit {line.end_to_end_id} of client {client} is already "
                                                "marked returned")
    charge_back = item.status == "paid"
    item.status = "rejected"
    return Decision(line, "return", item.client_id, "end_to_end_id", item, reason=line.return_reason,
                    charge_back=charge_back)
