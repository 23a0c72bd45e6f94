"""Billing feeds the fiscal documents (I1, I3, I8): letter, net and VAT of every invoice, the
internal number under the `none` driver and drafts under `afip`, on SQLite and PostgreSQL."""

from decimal import Decimal

from sqlalchemy import insert, select

from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.models import Client, Connection, Plan, Router
from ispcube.domain.tax import vat_within_tolerance


def documents(runtime):
    with runtime.uow() as uow:
        rows = uow.session.execute(
            select(Client.code, FiscalDocument, LedgerEntry.number)
            .join(Client, Client.id == FiscalDocument.client_id)
            .join(LedgerEntry, LedgerEntry.id == FiscalDocument.entry_id).order_by(Client.code)).all()
        uow.session.expunge_all()
        return {code: (doc, number) for code, doc, number in rows}


def _base(cli):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "18900")
    cli.ok("plan", "add", "--name", "Empresa", "--price", "30000", "--vat-rate", "27")
    cli.ok("plan", "add", "--name", "Rural", "--price", "9999.99", "--vat-rate", "10.5")
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--tax-id", "30-71234567-1")
    cli.ok("company", "add", "--number", "2", "--name", "Ana Pérez", "--vat-condition", "monotributo")
    add = lambda code, *extra: cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}",  # noqa: E731
                                      "--signup-date", "2026-01-01", *extra)
    add("B1", "--plan", "Hogar", "--company", "1", "--id-type", "DNI", "--id-number", "30123456")
    add("A1", "--plan", "Empresa", "--company", "1", "--vat-condition", "responsable-inscripto",
        "--id-type", "CUIT", "--id-number", "20-12345678-6")
    add("A2", "--plan", "Rural", "--company", "1", "--vat-condition", "monotributo")
    add("C1", "--plan", "Hogar", "--company", "2", "--vat-condition", "responsable-inscripto")
    add("N1", "--plan", "Hogar")


def test_none_driver_numbers_internally_with_letter_net_and_vat(cli, runtime):
    _base(cli)
    out = cli.ok("billing", "run", "--period", "2026-03").stdout
    assert out == "2026-03: invoiced 5 client(s) (0 prorated), total 96699.99, due 2026-03-10\n"
    docs = documents(runtime)
    expected = {"B1": ("B", 6, "18900.00", "15619.83", "3280.17", "21"),
                "A1": ("A", 1, "30000.00", "23622.05", "6377.95", "27"),
                "A2": ("A", 1, "9999.99", "9049.76", "950.23", "10.5"),
                "C1": ("C", 11, "18900.00", "18900.00", "0.00", "21"),
                "N1": ("B", 6, "18900.00", "15619.83", "3280.17", "21")}
    for code, (letter, kind, total, net, vat, rate) in expected.items():
        doc, number = docs[code]
        assert (doc.letter, doc.document_type, doc.total, doc.net, doc.vat) == \
            (letter, kind, Decimal(total), Decimal(net), Decimal(vat)), code
        assert doc.vat_rate == Decimal(rate) and doc.net + doc.vat == doc.total
        assert letter == "C" or vat_within_tolerance(doc.net, doc.vat, Decimal(rate))
        assert (doc.status, doc.number, doc.cae) == ("internal", number, None)
    assert (docs["A1"][0].receptor_doc_type, docs["A1"][0].receptor_doc_number) == (80, 20123456786)
    assert (docs["B1"][0].receptor_doc_type, docs["B1"][0].receptor_doc_number, docs["B1"][0].receptor_vat) == \
        (96, 30123456, 5)
    assert (docs["N1"][0].receptor_doc_type, docs["N1"][0].receptor_doc_number) == (99, 0)
    assert str(docs["B1"][0].service_from) == "2026-03-01" and str(docs["B1"][0].service_to) == "2026-03-31"
    assert str(docs["B1"][0].payment_due) == "2026-03-10"
    assert cli.json("billing", "run", "--period", "2026-03")["invoices"] == 0
    assert len(documents(runtime)) == 5


def test_afip_driver_leaves_drafts_without_a_number(cli, runtime):
    _base(cli)
    cli.ok("config", "set", "fiscal.driver", "afip")
    cli.ok("config", "set", "tax.vat_rate", "27")
    cli.ok("billing", "run", "--period", "2026-03")
    docs = documents(runtime)
    assert {code: (doc.status, doc.number, doc.issued) for code, (doc, _) in docs.items()} == \
        {code: ("draft", None, None) for code in ("A1", "A2", "B1", "C1", "N1")}
    assert docs["B1"][0].vat_rate == Decimal(27) and docs["B1"][0].net == Decimal("14881.89")


def test_mixed_rates_take_the_highest_and_prorated_invoices_split_their_amount(cli, runtime):
    _base(cli)
    cli.ok("client", "add", "--code", "M1", "--name", "Mixto", "--signup-date", "2026-03-16")
    with runtime.uow() as uow:
        router = Router(name="r1", kind="mikrotik", host="127.0.0.1")
        uow.session.add(router)
        uow.session.flush()
        plans = dict(uow.session.execute(select(Plan.name, Plan.id)).all())
        client = uow.session.scalar(select(Client.id).where(Client.code == "M1"))
        uow.session.execute(insert(Connection), [
            {"client_id": client, "router_id": router.id, "ip": "10.0.0.1", "plan_id": plans["Hogar"]},
            {"client_id": client, "router_id": router.id, "ip": "10.0.0.2", "plan_id": plans["Rural"]}])
        uow.commit()
    cli.ok("billing", "run", "--period", "2026-03")
    doc, _ = documents(runtime)["M1"]
    # 28899.99 for 16 of 31 days: 14916.12
    assert (doc.total, doc.vat_rate, doc.net + doc.vat) == (Decimal("14916.12"), Decimal(21), doc.total)
    assert str(doc.service_from) == "2026-03-16"


def test_none_driver_annulment_numbers_its_credit_note_internally(cli, runtime):
    _base(cli)
    cli.ok("billing", "run", "--period", "2026-03")
    invoice, _ = documents(runtime)["B1"]
    done = cli.json("ledger", "annul", str(invoice.entry_id), "--reason", "error")
    notes = [r for r in cli.json("invoice", "list") if r["kind"] == "credit-note"]
    assert [(r["client"], r["status"], r["letter"], r["internal"], r["total"]) for r in notes] == \
        [("B1", "internal", "B", f"reversal {done['reversal']}", "18900.00")]
