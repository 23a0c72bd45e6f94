"""Building camt.053 bank statements (001.02 or 001.08): what a bank sends after a direct-debit
batch or transfers, for the demo, the tests and the benchmark. Not a bank: it writes the
elements `payments import` reads, in the order the ISO 20022 schema gives them.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"


@dataclass
class Tx:
    amount: Decimal
    end_to_end_id: str | None = None
    reference: str | None = None          # the bank's AcctSvcrRef of the transaction
    name: str | None = None
    iban: str | None = None
    text: str | None = None               # unstructured remittance information
    creditor_ref: str | None = None       # structured creditor reference
    return_reason: str | None = None      # a returned direct debit


@dataclass
class Entry:
    booked: date
    credit: bool
    txs: list[Tx] = field(default_factory=list)
    reference: str | None = None          # the entry's AcctSvcrRef
    status: str = "BOOK"
    amount: Decimal | None = None         # default: the sum of its transactions
    reversal: bool = False                # RvslInd: the bank reverses an earlier entry (returns say so too)


def statement(entries: list[Entry], *, account: str = "ES7921000813610123456789", currency: str = "EUR",
              version: str = "02", statement_id: str = "STMT-1", created: str = "2026-11-02T08:00:00") -> str:
    ns = NAMESPACE.format(version=version)
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{ns}"><BkToCstmrStmt>'
           f"<GrpHdr><MsgId>{escape(statement_id)}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>"
           f"<Stmt><Id>{escape(statement_id)}</Id><CreDtTm>{created}</CreDtTm>"
           f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>{currency}</Ccy></Acct>"]
    for number, entry in enumerate(entries, start=1):
        out.append(_entry(entry, number, currency, version))
    out.append("</Stmt></BkToCstmrStmt></Document>\n")
    return "".join(out)


def _entry(entry: Entry, number: int, currency: str, version: str) -> str:
    total = entry.amount if entry.amount is not None else sum((t.amount for t in entry.txs), Decimal("0"))
    indicator = "CRDT" if entry.credit else "DBIT"
    status = f"<Sts><Cd>{entry.status}</Cd></Sts>" if version == "08" else f"<Sts>{entry.status}</Sts>"
    parts = [f"<Ntry><NtryRef>{number}</NtryRef><Amt Ccy=\"{currency}\">{total}</Amt>"
             f"<CdtDbtInd>{indicator}</CdtDbtInd>",
             "<RvslInd>true</RvslInd>" if entry.reversal or any(t.return_reason for t in entry.txs) else "",
             f"{status}<BookgDt><Dt>{entry.booked.isoformat()}</Dt></BookgDt>"
             f"<ValDt><Dt>{entry.booked.isoformat()}</Dt></ValDt>",
             f"<AcctSvcrRef>{escape(entry.reference)}</AcctSvcrRef>" if entry.reference else "",
             "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"]
    if entry.txs:
        parts.append("<NtryDtls>")
        if len(entry.txs) > 1:
            parts.append(f"<Btch><NbOfTxs>{len(entry.txs)}</NbOfTxs></Btch>")
        parts += [_tx(t, entry.credit, currency, version) for t in entry.txs]
        parts.append("</NtryDtls>")
    parts.append("</Ntry>")
    return "".join(parts)


def _tx(tx: Tx, credit: bool, currency: str, version: str) -> str:
    refs = "".join([f"<AcctSvcrRef>{escape(tx.reference)}</AcctSvcrRef>" if tx.reference else "",
                    f"<EndToEndId>{escape(tx.end_to_end_id)}</EndToEndId>" if tx.end_to_end_id else ""])
    amount = f'<Amt Ccy="{currency}">{tx.amount}</Amt><CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>' \
        if version == "08" else ""
    party, account = ("Dbtr", "DbtrAcct") if credit else ("Cdtr", "CdtrAcct")
    name = ""
    if tx.name:
        name = f"<Pty><Nm>{escape(tx.name)}</Nm></Pty>" if version == "08" else f"<Nm>{escape(tx.name)}</Nm>"
        name = f"<{party}>{name}</{party}>"
    iban = f"<{account}><Id><IBAN>{tx.iban}</IBAN></Id></{account}>" if tx.iban else ""
    remittance = ""
    if tx.text or tx.creditor_ref:
        strd = f"<Strd><CdtrRefInf><Ref>{escape(tx.creditor_ref)}</Ref></CdtrRefInf></Strd>" if tx.creditor_ref else ""
        ustrd = f"<Ustrd>{escape(tx.text)}</Ustrd>" if tx.text else ""
        remittance = f"<RmtInf>{ustrd}{strd}</RmtInf>"
    returned = f"<RtrInf><Rsn><Cd>{tx.return_reason}</Cd></Rsn></RtrInf>" if tx.return_reason else ""
    return (f"<TxDtls>{'<Refs>' + refs + '</Refs>' if refs else ''}{amount}"
            f"<AmtDtls><TxAmt><Amt Ccy=\"{currency}\">{tx.amount}</Amt></TxAmt></AmtDtls>"
            f"{'<RltdPties>' + name + iban + '</RltdPties>' if name or iban else ''}"
            f"{remittance}{returned}</TxDtls>")
