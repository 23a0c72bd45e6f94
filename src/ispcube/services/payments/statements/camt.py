"""camt.053 bank statements (ISO 20022 BankToCustomerStatement, 001.02 and 001.08) read into lines.

The file is read as a stream with libxml2 (lxml): entries are handled as they end and then
dropped, so a statement of 100,000 transactions never sits whole in memory. External entities
and network access are off. The root must be a `Document` in one of the two namespaces; a file
that is not XML, is cut short, or is another message is refused in one sentence.

Each booked entry (`Sts` BOOK) gives one line per transaction (`NtryDtls/TxDtls`; a batch
entry has several), or one line for an entry without details. A debit carrying return
information (`RtrInf/Rsn/Cd`) is a returned direct debit. An entry with `RvslInd` true
reverses an earlier one; the references it carries (AcctSvcrRef, TxId, InstrId, the entry's
AcctSvcrRef) name what it reverses (match.py). Entries not booked (pending, information) are
listed and never acted on.
"""

from datetime import date
from pathlib import Path

from ispcube.domain.text import quoted
from ispcube.errors import Invalid
from ispcube.services.payments.statements.lines import Line, digest, exact_amount, number_repeats, provided

VERSIONS = {"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02": "001.02",
            "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08": "001.08"}
_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"


def read_camt(path: Path, currency: str) -> tuple[str, list[Line]]:
    """(version, lines) of the camt.053 file at PATH; amounts checked against CURRENCY."""
    from lxml import etree
    options = {"resolve_entities": False, "no_network": True, "huge_tree": False, "remove_comments": True}
    lines: list[Line] = []
    started = False
    try:
        for _, root in etree.iterparse(str(path), events=("start",), **options):
            started = True
            ns = _check_root(path, root.tag)
            break
        if not started:
            raise Invalid(f"'{path}' is empty: give a camt.053 statement, an MT940 file or a CSV/XLSX of payments")
        paths = _Paths(ns)
        account = ""
        entry_number = 0
        for _, element in etree.iterparse(str(path), events=("end",), tag=(paths.account, paths.entry), **options):
            if element.tag == paths.account:
                if element.getparent().tag == paths.statement:
                    account = (element.findtext(paths["Id/IBAN"]) or element.findtext(paths["Id/Othr/Id"])
                               or "").strip()
                continue
            entry_number += 1
            lines.extend(_entry(element, paths, account, entry_number, currency))
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        line = f"line {exc.lineno}: " if exc.lineno else ""
        message = str(exc.msg if hasattr(exc, "msg") else exc).split(", line")[0].strip()
        if not started:
            raise Invalid(f"'{path}' is not an XML document ({line}{message}): give a camt.053 statement, "
                          "an MT940 file or a CSV/XLSX of payments") from None
        raise Invalid(f"'{path}' is cut short or damaged ({line}{message}): nothing was posted; "
                      "ask the bank for the whole statement") from None
    number_repeats(lines)
    return VERSIONS[ns], lines


class _Paths(dict):
    """ElementPath expressions in the statement's namespace, built once per file."""

    def __init__(self, ns: str):
        super().__init__()
        self.ns = ns
        self.account, self.entry, self.statement = f"{{{ns}}}Acct", f"{{{ns}}}Ntry", f"{{{ns}}}Stmt"

    def __missing__(self, path: str) -> str:
        built = "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))
        self[path] = built
        return built


def _check_root(path: Path, tag: str) -> str:
    ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if ns in VERSIONS and local == "Document":
        return ns
    if ns.startswith(_PREFIX):
        what = ns.removeprefix(_PREFIX)
        raise Invalid(f"'{path}' is an ISO 20022 {what} message, not a camt.053 bank statement "
                      "(001.02 or 001.08)")
    shown = f"'{local}' in namespace {quoted(ns)}" if ns else f"'{local}' without a namespace"
    raise Invalid(f"'{path}' is not a camt.053 bank statement: its root element is {shown}, not a Document "
                  "in camt.053.001.02 or camt.053.001.08")


def _entry(entry, q: "_Paths", account: str, number: int, currency: str) -> list[Line]:
    where = f"entry {number}"
    cut = len(q.ns) + 2                 # "{namespace}" before each local name
    top = {child.tag[cut:]: child for child in entry if isinstance(child.tag, str)}
    status_element = top.get("Sts")
    status = "" if status_element is None else \
        (status_element.text or "").strip() or (status_element.findtext(q["Cd"]) or "").strip()
    credit = _indicator(_text(top.get("CdtDbtInd")), where)
    reversal = _text(top.get("RvslInd")).lower() == "true"
    booked = _date(top, q, where)
    entry_amount = _amount(top.get("Amt"), currency, where)
    entry_ref = provided(_text(top.get("AcctSvcrRef")))
    details = top["NtryDtls"].findall(q["TxDtls"]) if "NtryDtls" in top else []
    extra = " ".join(_text(top.get("AddtlNtryInf")).split())
    mark = "rvsl:" if reversal else ""
    if not details:
        key = f"camt:{account}:{entry_ref}" if entry_ref else \
            f"camt:{account}:d:{digest(booked, entry_amount, credit, extra, _text(top.get('NtryRef')))}"
        return [Line(where, key.replace(f"camt:{account}:", f"camt:{account}:{mark}", 1), booked, entry_amount,
                     credit, currency, reference=entry_ref, text=extra, booked_entry=status == "BOOK",
                     account=account, bank_ref=entry_ref, reversal=reversal,
                     names=tuple(ref for ref in (entry_ref,) if ref), legacy_key=key)]
    lines = []
    for index, tx in enumerate(details, start=1):
        here = f"{where}, transaction {index}" if len(details) > 1 else where
        parts = {child.tag[cut:]: child for child in tx if isinstance(child.tag, str)}
        amount_element = parts.get("Amt")
        if amount_element is None and "AmtDtls" in parts:
            amount_element = parts["AmtDtls"].find(q["TxAmt/Amt"])
            if amount_element is None:
                amount_element = parts["AmtDtls"].find(q["InstdAmt/Amt"])
        if amount_element is None and len(details) > 1:
            raise Invalid(f"{here}: the transaction has no amount (Amt or AmtDtls), so the entry cannot be split")
        amount = entry_amount if amount_element is None else _amount(amount_element, currency, here)
        tx_credit = credit if "CdtDbtInd" not in parts else _indicator(parts["CdtDbtInd"].text, here)
        refs: dict[str, str | None] = {"AcctSvcrRef": None, "EndToEndId": None, "TxId": None, "InstrId": None}
        if "Refs" in parts:
            refs.update((child.tag[cut:], provided(child.text)) for child in parts["Refs"]
                        if isinstance(child.tag, str))
        unstructured = creditor_ref = name = iban = other = reason = None
        remittance = parts.get("RmtInf")
        if remittance is not None:
            unstructured = " ".join(" ".join((u.text or "").split()) for u in remittance.findall(q["Ustrd"]))
            creditor_ref = provided(remittance.findtext(q["Strd/CdtrRefInf/Ref"]))
        related = parts.get("RltdPties")
        if related is not None:
            # The payer: the debtor of a credit, the creditor of a debit; 001.08 wraps the party in Pty.
            party = "Dbtr" if tx_credit else "Cdtr"
            name = related.findtext(q[f"{party}/Nm"]) or related.findtext(q[f"{party}/Pty/Nm"])
            iban = related.findtext(q[f"{party}Acct/Id/IBAN"])
            other = provided(related.findtext(q[f"{party}Acct/Id/Othr/Id"]))
        returned_info = parts.get("RtrInf")
        if returned_info is not None:
            reason = returned_info.findtext(q["Rsn/Cd"]) or returned_info.findtext(q["Rsn/Prtry"])
        if refs["AcctSvcrRef"]:
            key = f"camt:{account}:{mark}{refs['AcctSvcrRef']}"
        elif entry_ref:
            key = f"camt:{account}:{mark}{entry_ref}/{index}"
        else:
            key = f"camt:{account}:{mark}d:{digest(booked, amount, tx_credit, unstructured, name, iban, other)}"
        legacy = key.replace(f"camt:{account}:{mark}", f"camt:{account}:", 1)
        if not refs["AcctSvcrRef"] and refs["EndToEndId"]:
            legacy = f"camt:{account}:{'C' if tx_credit else 'D'}:e2e:{refs['EndToEndId']}"
        text = " ".join(part for part in (unstructured, creditor_ref, extra if len(details) == 1 else None) if part)
        lines.append(Line(
            here, key, booked, amount, tx_credit, currency,
            reference=refs["AcctSvcrRef"] or refs["EndToEndId"] or refs["TxId"] or entry_ref,
            end_to_end_id=refs["EndToEndId"], client_code=creditor_ref, epayment_code=creditor_ref,
            iban=iban.strip().replace(" ", "").upper() if iban else None,
            cbu=other if other and other.isdigit() and len(other) == 22 else None,
            name=" ".join(name.split()) if name else None, text=text,
            return_reason=(reason or "").strip() or ("unspecified" if returned_info is not None
                                                     or (reversal and not tx_credit) else None),
            booked_entry=status == "BOOK", account=account, bank_ref=refs["AcctSvcrRef"] or entry_ref,
            reversal=reversal, legacy_key=legacy,
            names=tuple(dict.fromkeys(ref for ref in (refs["AcctSvcrRef"], refs["TxId"], refs["InstrId"], entry_ref)
                                      if ref))))
    return lines


def _indicator(text: str | None, where: str) -> bool:
    value = (text or "").strip()
    if value not in ("CRDT", "DBIT"):
        raise Invalid(f"{where}: CdtDbtInd {quoted(value)} is neither CRDT nor DBIT")
    return value == "CRDT"


def _amount(element, currency: str, where: str):
    if element is None or not (element.text or "").strip():
        raise Invalid(f"{where}: the entry has no amount")
    given = (element.get("Ccy") or "").strip().upper()
    if given != currency.upper():
        raise Invalid(f"{where}: the amount is in {given or 'no currency'}, but the accounts are kept in "
                      f"{currency.upper()}")
    return exact_amount(element.text, currency, where)


def _text(element) -> str:
    return "" if element is None else (element.text or "").strip()


def _date(top: dict, q: "_Paths", where: str) -> date:
    for name in ("BookgDt", "ValDt"):
        if name not in top:
            continue
        text = top[name].findtext(q["Dt"]) or top[name].findtext(q["DtTm"])
        if text:
            try:
                return date.fromisoformat(text.strip()[:10])
            except ValueError:
                raise Invalid(f"{where}: date {quoted(text)} is not a date (YYYY-MM-DD)") from None
    raise Invalid(f"{where}: the entry has no booking or value date")
