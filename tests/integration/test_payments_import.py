"""`payments import` (K5, R15): statements and payment files matched to clients and posted once.

camt.053 statements are built here (single transfers, a batch entry with one transaction per
direct debit, returns with their reason code, the same and overlapping statements), beside
an MT940 statement and CSV/XLSX payment files. Bad files are one sentence and post nothing.
"""

from contextlib import ExitStack
from datetime import date
from decimal import Decimal as D
import json
import os
from pathlib import Path
import re
import subprocess
import sys
import time

import pytest

from ispcube.domain.target2 import first_collection_day
from ispcube.services.payments.statements.camt_build import Entry, Tx, statement
from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators

CREDITOR = (("currency", "EUR"), ("sepa.creditor_id", "DE98ZZZ09999999999"),
            ("sepa.creditor_name", "Fibra del Sur S.L."), ("sepa.creditor_iban", "ES7921000813610123456789"))
IBAN_S1 = "ES9121000418450200051332"
IBAN_S7 = "DE89370400440532013000"
IBAN_T2 = "GB29NWBK60161331926819"
TOMORROW = first_collection_day(date.today()).isoformat()   # the first TARGET2 day open to a batch
BOOKED = date.fromordinal(date.today().toordinal() - 1)
ISPCUBE = Path(sys.executable).with_name("ispcube")


@pytest.fixture
def bank(cli):
    """S1 and S7 pay by direct debit (batch 1: ISPCUBE-1-1 for S1, ISPCUBE-1-2 for S7); T1 pays by
    transfer with an electronic payment code, T2 from its IBAN, C4 names its code in the text."""
    for key, value in CREDITOR:
        cli.ok("config", "set", key, value)
    cli.ok("client", "add", "--code", "S1", "--name", "Lucía Gómez", "--payment-method", "sepa",
           "--iban", IBAN_S1, "--mandate-ref", "MAND-S1", "--mandate-date", "2025-06-01")
    cli.ok("client", "add", "--code", "S7", "--name", "Empresa Köln", "--payment-method", "sepa",
           "--iban", IBAN_S7, "--bic", "COBADEFFXXX", "--mandate-ref", "MAND-S7", "--mandate-date", "2025-07-01")
    cli.ok("client", "add", "--code", "T1", "--name", "Transferencia Uno", "--payment-method", "transfer",
           "--epayment-code", "9000123")
    cli.ok("client", "add", "--code", "T2", "--name", "Transferencia Dos", "--payment-method", "transfer",
           "--iban", IBAN_T2)
    cli.ok("client", "add", "--code", "C4", "--name", "Efectivo", "--payment-method", "cash")
    for code, amount in (("S1", "30.50"), ("S7", "1200"), ("T1", "45"), ("T2", "60"), ("C4", "15")):
        cli.ok("ledger", "adjust", code, "--debit", amount, "--reason", "cuota")
    return cli


@pytest.fixture
def collected(bank, tmp_path):
    bank.ok("collect", "sepa", "--collection-date", TOMORROW, "--out", str(tmp_path / "remesa.xml"))
    items = bank.json("collect", "show", "1")["items"]
    assert [(i["client"], i["end_to_end_id"]) for i in items] == [("S1", "ISPCUBE-1-1"), ("S7", "ISPCUBE-1-2")]
    return bank


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def balance(cli, code: str) -> str:
    return cli.json("client", "show", code)["balance"]


def imported(cli, *args: str):
    result = cli("--format", "json", "payments", "import", *args)
    assert result.exit_code in (0, 3), f"exit {result.exit_code}: {result.stderr}"
    return result, json.loads(result.stdout)


def batch_credit(reference: str = "E-BATCH") -> Entry:
    return Entry(BOOKED, True, [Tx(D("30.50"), "ISPCUBE-1-1", "TX-B1", name="Lucia Gomez", iban=IBAN_S1),
                                Tx(D("1200.00"), "ISPCUBE-1-2", "TX-B2", name="Koln GmbH", iban=IBAN_S7)],
                 reference=reference)


def transfers() -> list[Entry]:
    return [Entry(BOOKED, True, [Tx(D("45.00"), "NOTPROVIDED", "TX-T1", name="Uno", text="pago 9000123 nov")]),
            Entry(BOOKED, True, [Tx(D("60.00"), None, "TX-T2", name="Dos", iban=IBAN_T2, text="noviembre")]),
            Entry(BOOKED, True, [Tx(D("15.00"), None, "TX-C4", name="Efectivo", creditor_ref="C4")])]


def nothing_posted(cli) -> None:
    for code, owed in (("S1", "30.50"), ("S7", "1200.00"), ("T1", "45.00"), ("T2", "60.00"), ("C4", "15.00")):
        assert balance(cli, code) == owed
    assert all(i["status"] == "pending" for i in cli.json("collect", "show", "1")["items"])


@pytest.mark.parametrize("version", ["02", "08"])
def test_a_batch_credit_settles_its_items_and_transfers_are_matched(collected, tmp_path, version):
    unknown = Entry(BOOKED, True, [Tx(D("10.00"), None, "TX-X", name="Nadie", text="sin codigo")])
    path = write(tmp_path, "extracto.xml", statement([batch_credit(), *transfers(), unknown], version=version))
    result, run = imported(collected, path)
    assert result.exit_code == 3
    assert "entry 5 (10.00" in result.stderr and "not posted: no client code or payment code in the text" \
        in result.stderr and "1 credit(s) not matched" in result.stderr and "Traceback" not in result.stderr
    assert [(p["client"], p["amount"], p["matched_by"]) for p in run["receipts"]] == [
        ("S1", "30.50", "end_to_end_id"), ("S7", "1200.00", "end_to_end_id"), ("T1", "45.00", "text"),
        ("T2", "60.00", "iban"), ("C4", "15.00", "client")]
    assert (run["total"], run["already_imported"], [u["reference"] for u in run["unmatched"]]) == \
        ("1350.50", 0, ["TX-X"])
    for code in ("S1", "S7", "T1", "T2", "C4"):
        assert balance(collected, code) == "0.00"
    items = collected.json("collect", "show", "1")["items"]
    assert [(i["status"], i["reason"]) for i in items] == [("paid", None), ("paid", None)]
    assert collected.json("collect", "list")[0]["paid"] == 2
    receipt = [e for e in collected.json("ledger", "show", "S1") if e["document"].startswith("receipt")]
    assert len(receipt) == 1 and "ISPCUBE-1-1" in receipt[0]["comment"] and receipt[0]["date"] == BOOKED.isoformat()
    assert any(e["kind"] == "ledger.receipt" and "balance 0.00" in e["message"]
               for e in collected.json("client", "log", "T2"))
    assert collected.json("ledger", "rebuild")["wrong"] == []


def test_a_returned_direct_debit_rejects_its_item_and_charges_back(collected, tmp_path):
    imported(collected, write(tmp_path, "dia1.xml", statement([batch_credit(reference="E-1")])))
    assert balance(collected, "S1") == "0.00"
    returned = Entry(BOOKED, False, [Tx(D("30.50"), "ISPCUBE-1-1", "RT-1", name="Lucia Gomez", return_reason="MD07")])
    result, run = imported(collected, write(tmp_path, "dia2.xml", statement([returned], statement_id="S2")))
    assert result.exit_code == 0
    assert [(r["client"], r["reason"], r["charged_back"]) for r in run["returned"]] == [("S1", "MD07", True)]
    assert balance(collected, "S1") == "30.50"
    dx = [e for e in collected.json("ledger", "show", "S1") if e["document"].startswith("DX")][-1]
    assert "returned by the bank, reason MD07" in dx["comment"] and dx["debit"] == "30.50"
    item = collected.json("collect", "show", "1")["items"][0]
    assert (item["status"], item["reason"]) == ("rejected", f"MD07; {dx['document']} charged back")
    again, run = imported(collected, write(tmp_path, "dia2-otra-vez.xml", statement([returned], statement_id="S2")))
    assert (run["already_imported"], run["returned"]) == (1, []) and balance(collected, "S1") == "30.50"
    plan = collected.json("collect", "sepa", "--collection-date", TOMORROW, "--dry-run")
    assert [i["client"] for i in plan["items"]] == ["S1"]     # no longer pending: collected again


def test_a_return_before_any_credit_rejects_the_item_without_a_charge_back(collected, tmp_path):
    returned = Entry(BOOKED, False, [Tx(D("1200.00"), "ISPCUBE-1-2", "RT-2", return_reason="AM04")])
    result, run = imported(collected, write(tmp_path, "r.xml", statement([returned])))
    assert result.exit_code == 0 and run["returned"][0]["charged_back"] is False
    assert balance(collected, "S7") == "1200.00"
    item = collected.json("collect", "show", "1")["items"][1]
    assert (item["status"], item["reason"]) == ("rejected", "AM04")
    assert any(e["kind"] == "collection.returned" and "AM04" in e["message"]
               for e in collected.json("client", "log", "S7"))
    late, run = imported(collected, write(tmp_path, "late.xml", statement([batch_credit()])))
    assert late.exit_code == 3 and "was returned earlier" in late.stderr and balance(collected, "S7") == "1200.00"


def test_a_credit_of_an_item_settled_by_hand_is_not_posted_again(collected, tmp_path):
    collected.ok("collect", "settle", "1")
    result, run = imported(collected, write(tmp_path, "s.xml", statement([batch_credit()])))
    assert result.exit_code == 0 and run["receipts"] == [] and len(run["settled"]) == 2
    assert balance(collected, "S1") == "0.00" and balance(collected, "S7") == "0.00"
    assert imported(collected, write(tmp_path, "s2.xml", statement([batch_credit()])))[1]["already_imported"] == 2


def test_the_same_and_overlapping_statements_post_each_payment_once(bank, tmp_path):
    t1, t2, c4 = transfers()
    more = Entry(BOOKED, True, [Tx(D("5.00"), None, "TX-T1-B", text="saldo 9000123")])
    # Without any reference the key is a digest of what the bank says of the transaction.
    bare = Entry(BOOKED, True, [Tx(D("7.00"), None, None, name="Sin Ref", text="C4 resto")])
    first = write(tmp_path, "a.xml", statement([t1, t2, bare], statement_id="A"))
    second = write(tmp_path, "b.xml", statement([t2, bare, c4, more], statement_id="B"))
    assert len(imported(bank, first)[1]["receipts"]) == 3
    result, run = imported(bank, first)
    assert (result.exit_code, run["receipts"], run["already_imported"]) == (0, [], 3)
    assert "posted 0 payment(s)" in bank("payments", "import", first).stdout
    result, run = imported(bank, second)
    assert [(p["client"], p["amount"]) for p in run["receipts"]] == [("C4", "15.00"), ("T1", "5.00")]
    assert run["already_imported"] == 2
    assert (balance(bank, "T1"), balance(bank, "T2"), balance(bank, "C4")) == ("-5.00", "0.00", "-7.00")
    assert bank.json("ledger", "rebuild")["wrong"] == []


def test_a_statement_of_many_lines_is_checked_against_earlier_imports_in_one_join(bank, tmp_path):
    """Beyond 5,000 keys they are looked up through a temporary table: a dry run, a run and a
    rerun on the same connections see the same transactions."""
    many = [Entry(BOOKED, True, [Tx(D("0.01"), None, f"M-{n}", text="9000123")]) for n in range(5001)]
    path = write(tmp_path, "muchas.xml", statement(many))
    assert len(imported(bank, path, "--dry-run")[1]["receipts"]) == 5001
    assert len(imported(bank, path)[1]["receipts"]) == 5001
    result, run = imported(bank, path)
    assert (run["receipts"], run["already_imported"]) == ([], 5001)
    assert balance(bank, "T1") == "-5.01"


def test_an_iban_shared_by_two_clients_is_ambiguous(bank, tmp_path):
    bank.ok("client", "add", "--code", "T3", "--name", "Otro titular", "--iban", IBAN_T2)
    _, t2, _ = transfers()
    result, run = imported(bank, write(tmp_path, "x.xml", statement([t2])))
    assert result.exit_code == 3 and run["receipts"] == []
    assert run["unmatched"][0]["outcome"] == "ambiguous"
    assert f"the IBAN {IBAN_T2} names several clients (T2, T3)" in result.stderr
    assert balance(bank, "T2") == "60.00"


MT940 = """{{1:F01ABCDESMMAXXX0000000000}}{{2:O940}}{{4:
:20:STMT-2611
:25:ES7921000813610123456789
:28C:00001/001
:60F:C{d}EUR0,00
:61:{d}{md}C45,00NTRFNONREF//B-1
:86:/NAME/Transfer Uno/REMI/cuota 9000123 noviembre
:61:{d}{md}C60,00NTRFPAGO-T2//B-2
:86:/IBAN/{iban}/NAME/Transfer Dos/REMI/noviembre
:61:{d}{md}C30,50NDDTISPCUBE-1-1//B-3
:86:/EREF/ISPCUBE-1-1/REMI/adeudo
:61:{d}{md}D12,00NCHGNONREF//B-4
:86:/REMI/comision mantenimiento
:62F:C{d}EUR123,50
-}}
"""


def mt940(amount: str = "45,00") -> str:
    return MT940.format(d=BOOKED.strftime("%y%m%d"), md=BOOKED.strftime("%m%d"), iban=IBAN_T2).replace(
        "C45,00", f"C{amount}")


def test_an_mt940_statement_is_matched_and_posted_once(collected, tmp_path):
    path = write(tmp_path, "extracto.sta", mt940())
    result, run = imported(collected, path)
    assert result.exit_code == 0, result.stderr
    assert run["format"] == "mt940"
    assert [(p["client"], p["amount"], p["matched_by"]) for p in run["receipts"]] == [
        ("T1", "45.00", "text"), ("T2", "60.00", "iban"), ("S1", "30.50", "end_to_end_id")]
    assert [i["amount"] for i in run["ignored"]] == ["12.00"]      # the bank's fee: a debit, listed
    assert collected.json("collect", "show", "1")["items"][0]["status"] == "paid"
    assert imported(collected, path)[1]["already_imported"] == 4 - 1
    assert (balance(collected, "T1"), balance(collected, "S1")) == ("0.00", "0.00")
    # A German bank's structured :86: for the return of the direct debit, days later.
    d = BOOKED.strftime("%y%m%d")
    returned = (f":20:STMT-2612\n:25:ES7921000813610123456789\n:28C:00002/001\n:60F:C{d}EUR123,50\n"
                f":61:{d}D30,50NRTINONREF//B-9\n:86:109?00SEPA RUECKLASTSCHRIFT?20EREF+ISPCUBE-1-1?21RTRN+MD06"
                f"?22SVWZ+cuota\n:62F:C{d}EUR93,00\n-\n")
    result, run = imported(collected, write(tmp_path, "retorno.sta", returned))
    assert [(r["client"], r["reason"], r["charged_back"]) for r in run["returned"]] == [("S1", "MD06", True)]
    assert balance(collected, "S1") == "30.50"


CSV = """fecha;importe;referencia;codigo_pago;cliente;medio_pago;descripcion;pasarela
{d};45,00;GW-0001;9000123;;mercadopago;cuota noviembre;Mercado Pago
{d};60.00;GW-0002;;T2;mercadopago;;Mercado Pago
{d};15.00;GW-0003;;;mercadopago;pago C4 efectivo;Mercado Pago
{d};9.00;GW-0004;7777;;mercadopago;quien sabe;Mercado Pago
"""


def test_a_payment_file_with_electronic_payment_codes(bank, tmp_path):
    path = write(tmp_path, "cobros.csv", CSV.format(d=BOOKED.isoformat()))
    report = tmp_path / "informe.csv"
    result, run = imported(bank, path, "--report", str(report))
    assert result.exit_code == 3 and "line 5 (9.00" in result.stderr and "no client has payment code '7777'" \
        in result.stderr
    assert [(p["client"], p["matched_by"]) for p in run["receipts"]] == [
        ("T1", "epayment_code"), ("T2", "client"), ("C4", "text")]
    receipt = [e for e in bank.json("ledger", "show", "T1") if e["document"].startswith("receipt")][0]
    assert "GW-0001" in receipt["comment"]
    lines = report.read_text().splitlines()
    assert lines[0].startswith("where,date,amount") and len(lines) == 5 and "unmatched" in lines[4]
    again, run = imported(bank, path, "--report", str(report), "--yes")
    assert run["already_imported"] == 3 and run["receipts"] == []
    assert (balance(bank, "T1"), balance(bank, "T2"), balance(bank, "C4")) == ("0.00", "0.00", "0.00")


def test_an_xlsx_payment_file(bank, tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Amount", "Reference", "Electronic payment code"])
    sheet.append([BOOKED, 45, "X-1", "9000123"])
    path = tmp_path / "pagos.xlsx"
    book.save(path)
    result, run = imported(bank, str(path), "--source", "banco")
    assert result.exit_code == 0 and run["format"] == "xlsx" and run["receipts"][0]["client"] == "T1"
    assert balance(bank, "T1") == "0.00"


def test_a_bad_row_refuses_the_file_unless_skip_invalid(bank, tmp_path):
    path = write(tmp_path, "cobros.csv", "date,amount,reference,client\n"
                 f"{BOOKED},45.00,R-1,T1\n{BOOKED},10.0055,R-2,T2\n")
    refused = bank("payments", "import", path, "--source", "banco")
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert "line 3, column amount: value '10.0055': has more than 2 decimals for EUR" in refused.stderr
    assert balance(bank, "T1") == "45.00"
    result, run = imported(bank, path, "--skip-invalid", "--source", "banco")
    assert result.exit_code == 3 and "skipped line 3" in result.stderr and "1 bad row(s) skipped" in result.stderr
    assert balance(bank, "T1") == "0.00" and balance(bank, "T2") == "60.00"


def test_a_dry_run_posts_nothing(collected, tmp_path):
    path = write(tmp_path, "e.xml", statement([batch_credit(), *transfers()]))
    result, run = imported(collected, path, "--dry-run")
    assert result.exit_code == 0 and len(run["receipts"]) == 5 and run["import"] is None
    nothing_posted(collected)
    assert len(imported(collected, path)[1]["receipts"]) == 5


def _truncated() -> str:
    text = statement([batch_credit(), *transfers()])
    return text[:len(text) * 2 // 3]


@pytest.mark.parametrize("name, content, options, says", [
    ("e.xml", "<<< esto no es XML", (), "is not an XML document"),
    ("e.txt", "hola", ("--file-format", "camt053"), "is not an XML document"),
    ("e.xml", "", ("--file-format", "camt053"), "is empty"),
    ("e.xml", statement([batch_credit()]).replace("camt.053.001.02", "camt.054.001.02"), (),
     "is an ISO 20022 camt.054.001.02 message, not a camt.053 bank statement"),
    ("e.xml", statement([batch_credit()]).replace("urn:iso:std:iso:20022:tech:xsd:camt.053.001.02", "urn:example"),
     (), "its root element is 'Document' in namespace 'urn:example'"),
    ("e.xml", statement([batch_credit()]).replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"', ""),
     (), "'Document' without a namespace"),
    ("e.xml", _truncated(), (), "is cut short or damaged"),
    ("e.xml", statement([batch_credit(), *transfers()]).replace(">45.00<", ">45.005<"), (),
     "entry 2: amount '45.005' has more than 2 decimals for EUR"),
    ("e.xml", statement(transfers(), currency="USD"), (), "the amount is in USD, but the accounts are kept in EUR"),
    ("e.sta", mt940("45,005"), (), "transaction 1 (:61:): amount '45,005' has more than 2 decimals for EUR"),
    ("e.sta", ":20:X\n:61:garbage\n", (), "is not a well-formed MT940 statement"),
    ("e.csv", "fecha,importe\n2026-01-01,10\n", (), "has no reference column"),
    ("e.csv", "date,amount,reference,client\n", ("--file-format", "bank"), "is not one of auto, csv"),
])
def test_a_bad_file_is_one_sentence_and_posts_nothing(collected, tmp_path, name, content, options, says):
    path = write(tmp_path, name, content)
    refused = collected("payments", "import", path, *options)
    assert refused.exit_code == 1, refused.stderr
    assert says in refused.stderr, refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    nothing_posted(collected)


def test_a_payment_taking_a_balance_beyond_the_money_column_refuses_the_import(bank, tmp_path):
    bank.ok("ledger", "adjust", "T2", "--credit", "999999999999.99", "--reason", "saldo a favor")
    t1, _, _ = transfers()
    big = Entry(BOOKED, True, [Tx(D("100.00"), None, "TX-BIG", iban=IBAN_T2)])
    refused = bank("payments", "import", write(tmp_path, "e.xml", statement([t1, big])))
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert "client T2: the balance -999999999939.99 would become -1000000000039.99" in refused.stderr
    assert balance(bank, "T1") == "45.00" and balance(bank, "T2") == "-999999999939.99"


def test_a_missing_file_and_a_collector_are_refused(bank, tmp_path):
    missing = bank("payments", "import", str(tmp_path / "no.xml"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    bank.ok("operator", "add", "--name", "cob", "--role", "collector")
    path = write(tmp_path, "e.xml", statement(transfers()))
    refused = bank("--operator", "cob", "payments", "import", path)
    assert refused.exit_code == 1 and "only an admin or an operator may import payments" in refused.stderr
    assert balance(bank, "T1") == "45.00"


@pytest.mark.parametrize("how, enabled", [((), True), (("--no-enable",), False), (("setting",), False)])
def test_a_cut_client_paying_is_enabled_again_unless_told_not_to(bank, tmp_path, how, enabled):
    bank.ok("client", "disable", "T1", "--reason", "deuda")
    if how == ("setting",):
        bank.ok("config", "set", "payments.enable_on_import", "no")
        how = ()
    t1, _, _ = transfers()
    result, run = imported(bank, write(tmp_path, "e.xml", statement([t1])), *how)
    assert result.exit_code == 0
    assert bank.json("client", "show", "T1")["service"] == ("active" if enabled else "cut")
    assert [e["client"] for e in run["enabled"]] == (["T1"] if enabled else [])


def test_a_client_cut_by_enforce_gets_service_back_on_its_router_at_once(cli, tmp_path):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        add_client(cli, "K1", "core", "10.0.0.11", debt="95.50", extra=("--epayment-code", "K1-PAGO"))
        cli.ok("config", "set", "currency", "EUR")
        assert cli.json("enforce")["cut"] == 1 and cut_list(core) == {"10.0.0.11": "K1"}
        paid = Entry(BOOKED, True, [Tx(D("95.50"), None, "TX-K1", text="K1-PAGO")])
        result, run = imported(cli, write(tmp_path, "e.xml", statement([paid])))
        assert result.exit_code == 0 and run["enabled"][0]["routers"][0]["status"] == "done"
        assert cut_list(core) == {} and cli.json("client", "show", "K1")["service"] == "active"
        log = cli.json("client", "log", "K1")
        assert any(e["kind"] == "service.enable" and "payments import 1" in e["message"] for e in log)
        assert cli.json("enforce")["cut"] == 0 and cut_list(core) == {}


def test_a_router_down_while_re_enabling_queues_it_and_the_payment_stands(cli, tmp_path):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        add_client(cli, "K1", "core", "10.0.0.11", debt="95.50", extra=("--epayment-code", "K1-PAGO"))
        cli.ok("config", "set", "currency", "EUR")
        assert cli.json("enforce")["cut"] == 1
        core.refuse_connections = True
        paid = Entry(BOOKED, True, [Tx(D("95.50"), None, "TX-K1", text="K1-PAGO")])
        result = cli("payments", "import", write(tmp_path, "e.xml", statement([paid])))
        assert result.exit_code == 3, result.stderr
        said = result.stderr.splitlines()
        assert len(said) == 2 and re.fullmatch(
            r"ispcube: client K1: re-enabling not applied on router core \(.+\); queued, `ispcube enforce` "
            r"retries it", said[0]), said
        assert said[1] == ("ispcube: 1 re-enable(s) queued for enforce; 1 payment(s) posted and 0 return(s) "
                           "recorded stand"), said
        assert cut_list(core) == {"10.0.0.11": "K1"} and cli.json("client", "show", "K1")["service"] == "active"
        core.refuse_connections = False
        cli.ok("enforce")
        assert cut_list(core) == {}


def test_the_cron_wrapper_imports_each_file_of_a_drop_folder(collected, db_url, tmp_path):
    drop = tmp_path / "statements"
    drop.mkdir()
    write(drop, "1-batch.xml", statement([batch_credit()]))
    write(drop, "2-broken.xml", statement(transfers())[:300])
    write(drop, "3-transfers.xml", statement(transfers(), statement_id="T"))
    for age, name in enumerate(("1-batch.xml", "2-broken.xml", "3-transfers.xml")):
        os.utime(drop / name, (1_700_000_000 + age, 1_700_000_000 + age))
    wrapper = Path(__file__).resolve().parents[2] / "jobs" / "ispcube-job"
    env = {**os.environ, "ISPCUBE_DATABASE_URL": db_url, "ISPCUBE_LOG_DIR": str(tmp_path / "logs"),
           "ISPCUBE_BIN": str(ISPCUBE)}
    done = subprocess.run([str(wrapper), "payments-import", str(drop)], env=env, capture_output=True, text=True,
                          timeout=120)
    log = (tmp_path / "logs" / "payments-import.log").read_text()
    assert done.returncode == 1, log
    assert sorted(p.name for p in (drop / "imported").iterdir()) == ["1-batch.xml", "3-transfers.xml"]
    assert [p.name for p in (drop / "refused").iterdir()] == ["2-broken.xml"]
    assert [p.name for p in drop.iterdir() if p.is_file()] == []
    assert log.index("1-batch.xml exit 0 (ok)") < log.index("2-broken.xml exit 1 (error)") \
        < log.index("3-transfers.xml exit 0 (ok)")
    assert "is cut short or damaged" in log
    for code in ("S1", "S7", "T1", "T2", "C4"):
        assert balance(collected, code) == "0.00"
    again = subprocess.run([str(wrapper), "payments-import", str(drop)], env=env, capture_output=True, timeout=120)
    assert again.returncode == 0


def test_a_second_run_while_one_holds_the_lock_exits_75(bank, tmp_path):
    from ispcube.db.engine import get_engine
    from ispcube.services.process.job_lock import job_lock
    path = write(tmp_path, "e.xml", statement(transfers()))
    with job_lock(get_engine(bank.url), "payments import"):
        busy = bank("payments", "import", path)
    assert busy.exit_code == 75 and "another `ispcube payments import` run holds the lock" in busy.stderr
    assert balance(bank, "T1") == "45.00"
    assert bank("payments", "import", path, "--dry-run").exit_code == 0


# --- PostgreSQL: processes at once ------------------------------------------------------------

RACER = """
import sys
from pathlib import Path
from ispcube.db.engine import get_engine
from ispcube.errors import Busy
from ispcube.services.payments.statements.run import PaymentsRun, match_and_write, read_statement
from ispcube.services.process.runtime import Runtime
path, url = sys.argv[1:]
lines = read_statement(Path(path), "camt053", "EUR")
run = PaymentsRun(path, "camt053", False, "EUR", len(lines))
try:
    match_and_write(Runtime(engine=get_engine(url)), run, lines)
    print("posted", len(run.posted))
except Busy as exc:
    print("busy", exc)
"""


def _many(cli, count: int) -> list[Entry]:
    for n in range(count):
        cli.ok("client", "add", "--code", f"P{n:03d}", "--name", f"Pagador {n}")
    return [Entry(BOOKED, True, [Tx(D("10.00") + n, None, f"TX-P{n}", text=f"cuota P{n:03d}")]) for n in range(count)]


@pytest.mark.pg
@pytest.mark.slow
def test_two_processes_importing_the_same_statement_post_it_once(pg_database, tmp_path):
    from tests.conftest import Cli, _reset_pg
    _reset_pg(pg_database)
    cli = Cli(pg_database)
    cli.ok("config", "set", "currency", "EUR")
    path = write(tmp_path, "e.xml", statement(_many(cli, 40)))
    runs = [subprocess.Popen([str(ISPCUBE), "--db", pg_database, "payments", "import", path],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(r.wait(timeout=120), r.communicate()) for r in runs]
    assert sorted(code for code, _ in outcomes) in ([0, 0], [0, 75]), outcomes
    assert _receipts(pg_database) == 40
    assert cli.json("ledger", "rebuild")["wrong"] == []


@pytest.mark.pg
@pytest.mark.slow
def test_two_imports_racing_past_the_lock_post_each_transaction_once(pg_database, tmp_path):
    """Both processes match while neither has written, then wait on the receipt numbering:
    the second to write finds the first's transactions by their unique keys and posts nothing."""
    from sqlalchemy import create_engine, text

    from tests.conftest import Cli, _reset_pg
    _reset_pg(pg_database)
    cli = Cli(pg_database)
    cli.ok("config", "set", "currency", "EUR")
    path = write(tmp_path, "e.xml", statement(_many(cli, 30)))
    cli.ok("pay", "P000", "--cash", "1")          # the receipt numbering row exists, to be held
    holder = create_engine(pg_database)
    watcher = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with holder.connect() as hold, watcher.connect() as watch:
        hold.execute(text("SELECT value FROM sequences WHERE name = 'receipt' FOR UPDATE"))
        racers = [subprocess.Popen([sys.executable, "-c", RACER, path, pg_database], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True) for _ in range(2)]
        deadline = time.monotonic() + 120
        while watch.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock'")).scalar() < 2:
            assert time.monotonic() < deadline and all(r.poll() is None for r in racers), \
                [r.communicate() for r in racers if r.poll() is not None]
            time.sleep(0.05)
        hold.rollback()
    outputs = sorted(r.communicate(timeout=120)[0].strip() for r in racers)
    holder.dispose()
    watcher.dispose()
    assert outputs[0].startswith("busy another import posted some of these transactions"), outputs
    assert outputs[1] == "posted 30", outputs
    assert _receipts(pg_database) == 30 + 1
    assert cli.json("ledger", "rebuild")["wrong"] == []


def _receipts(url: str) -> int:
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM ledger_entries WHERE kind = 'receipt'")).scalar()
        keys = conn.execute(text("SELECT count(*) FROM bank_transactions")).scalar()
    engine.dispose()
    assert keys in (count, count - 1)
    return count
