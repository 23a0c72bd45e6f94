"""`collect sepa|list|show|settle` (K3): files validated and read back, nothing collected twice."""

from datetime import date
import os
from pathlib import Path
import xml.etree.ElementTree as ET

import pytest
import sepaxml

from ispcube.domain.target2 import first_collection_day

CREDITOR_ID = "DE98ZZZ09999999999"
IBAN_S1 = "ES9121000418450200051332"
IBAN_S7 = "DE89370400440532013000"
SCHEMAS = Path(sepaxml.__file__).parent / "schemas"
TOMORROW = first_collection_day(date.today()).isoformat()   # the first TARGET2 day open to a batch


@pytest.fixture
def sepa(cli):
    for key, value in (("currency", "EUR"), ("sepa.creditor_id", CREDITOR_ID),
                       ("sepa.creditor_name", "Fibra del Sur S.L."),
                       ("sepa.creditor_iban", "ES7921000813610123456789")):
        cli.ok("config", "set", key, value)
    cli.ok("client", "add", "--code", "S1", "--name", "Lucía Gómez", "--payment-method", "sepa",
           "--iban", IBAN_S1, "--mandate-ref", "MAND-S1", "--mandate-date", "2025-06-01")
    cli.ok("client", "add", "--code", "S2", "--name", "Sin Cuenta", "--payment-method", "sepa")
    cli.ok("client", "add", "--code", "S3", "--name", "Al Día", "--payment-method", "sepa",
           "--iban", IBAN_S7, "--mandate-ref", "MAND-S3", "--mandate-date", "2025-06-01")
    cli.ok("client", "add", "--code", "C4", "--name", "Efectivo", "--payment-method", "cash")
    cli.ok("client", "add", "--code", "S7", "--name", "Empresa Köln", "--payment-method", "sepa",
           "--iban", IBAN_S7, "--bic", "COBADEFFXXX", "--account-holder", "Köln GmbH",
           "--mandate-ref", "MAND-S7", "--mandate-date", "2025-07-01")
    for code, amount in (("S1", "30.50"), ("S2", "20"), ("C4", "15"), ("S7", "1200")):
        cli.ok("ledger", "adjust", code, "--debit", amount, "--reason", "cuota")
    return cli


def _read(path: Path, pain: str) -> dict:
    import xmlschema
    xmlschema.XMLSchema(str(SCHEMAS / f"pain.{pain}.xsd")).validate(str(path))
    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:pain.{pain}"}
    root = ET.parse(path).getroot()
    txs = {}
    for info in root.iterfind(".//p:PmtInf", ns):
        sequence = info.findtext("p:PmtTpInf/p:SeqTp", namespaces=ns)
        collection = info.findtext("p:ReqdColltnDt", namespaces=ns)
        creditor = info.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=ns)
        for tx in info.iterfind("p:DrctDbtTxInf", ns):
            txs[tx.findtext("p:RmtInf/p:Ustrd", namespaces=ns).split()[0]] = {
                "amount": tx.findtext("p:InstdAmt", namespaces=ns),
                "currency": tx.find("p:InstdAmt", ns).get("Ccy"),
                "e2e": tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns),
                "mandate": tx.findtext(".//p:MndtId", namespaces=ns),
                "signed": tx.findtext(".//p:DtOfSgntr", namespaces=ns),
                "iban": tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=ns),
                "debtor": tx.findtext("p:Dbtr/p:Nm", namespaces=ns),
                "sequence": sequence, "collection": collection, "creditor": creditor}
    return txs


@pytest.mark.parametrize("pain", ["008.001.02", "008.001.08"])
def test_a_batch_file_validates_and_reads_back_field_by_field(sepa, tmp_path, pain):
    out = tmp_path / "remesa.xml"
    result = sepa("collect", "sepa", "--collection-date", TOMORROW, "--out", str(out), "--pain", pain)
    assert result.exit_code == 3, result.stderr
    assert "client S2 (20.00) not collected: no IBAN" in result.stderr
    assert "batch 1 stands" in result.stderr
    assert os.stat(out).st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    txs = _read(out, pain)
    assert set(txs) == {"S1", "S7"}
    assert txs["S1"] == {"amount": "30.50", "currency": "EUR", "e2e": "ISPCUBE-1-1", "mandate": "MAND-S1",
                         "signed": "2025-06-01", "iban": IBAN_S1, "debtor": "Lucia Gomez", "sequence": "FRST",
                         "collection": TOMORROW, "creditor": CREDITOR_ID}
    assert (txs["S7"]["amount"], txs["S7"]["debtor"], txs["S7"]["e2e"]) == ("1200.00", "Koln GmbH", "ISPCUBE-1-2")
    shown = sepa.json("collect", "show", "1")
    assert [(i["client"], i["amount"], i["end_to_end_id"], i["sequence"], i["status"]) for i in shown["items"]] == \
        [("S1", "30.50", "ISPCUBE-1-1", "FRST", "pending"), ("S7", "1200.00", "ISPCUBE-1-2", "FRST", "pending")]
    assert any(e["kind"] == "collection.sepa" for e in sepa.json("client", "log", "S1"))


def test_nothing_is_collected_twice_and_the_mandate_then_recurs(sepa, tmp_path):
    sepa("collect", "sepa", "--collection-date", TOMORROW, "--out", str(tmp_path / "a.xml"))
    again = sepa("--format", "json", "collect", "sepa", "--collection-date", TOMORROW, "--out", str(tmp_path / "b.xml"))
    assert again.exit_code == 3 and not (tmp_path / "b.xml").exists()
    assert "count" in again.stdout and '"already_pending": 2' in again.stdout
    settled = sepa.json("collect", "settle", "1")
    assert (settled["paid"], settled["total"]) == (2, "1230.50")
    assert sepa.json("client", "show", "S1")["balance"] == "0.00"
    assert sepa.json("collect", "settle", "1")["paid"] == 0
    assert sepa.json("client", "show", "S1")["balance"] == "0.00"
    listed = sepa.json("collect", "list")
    assert [(b["batch"], b["items"], b["paid"], b["pending"]) for b in listed] == [(1, 2, 2, 0)]
    sepa.ok("ledger", "adjust", "S1", "--debit", "31", "--reason", "cuota")
    sepa("collect", "sepa", "--collection-date", TOMORROW, "--out", str(tmp_path / "c.xml"))
    assert _read(tmp_path / "c.xml", "008.001.02")["S1"]["sequence"] == "RCUR"


def test_a_dry_run_records_and_writes_nothing(sepa, tmp_path):
    out = tmp_path / "remesa.xml"
    plan = sepa("--format", "json", "collect", "sepa", "--collection-date", TOMORROW, "--dry-run",
                "--out", str(out))
    assert plan.exit_code == 3 and '"client": "S1"' in plan.stdout
    assert not out.exists() and sepa.json("collect", "list") == []


@pytest.mark.parametrize("setup, options, says", [
    ((("config", "set", "currency", "ARS"),), {}, "in euros"),
    ((), {"--pain": "001.001.03"}, "is not one of"),
    ((), {"--collection-date": "2020-01-01"}, "in the past"),
    ((), {"--collection-date": "2026-02-30"}, "not a date"),
    ((), {"--out": "/no/such/folder/x.xml"}, "does not exist"),
    ((), {"--out": "remesa.txt"}, "must end in .xml"),
    ((("operator", "add", "--name", "cob", "--role", "collector"),), {"--operator": "cob"}, "collector"),
])
def test_refusals_change_nothing(sepa, tmp_path, setup, options, says):
    for command in setup:
        sepa.ok(*command)
    folder = tmp_path / "out"
    folder.mkdir()
    options = {"--collection-date": TOMORROW, "--out": str(folder / "r.xml"), **options}
    root = ["--operator", options.pop("--operator")] if "--operator" in options else []
    refused = sepa(*root, "collect", "sepa", *[part for pair in options.items() for part in pair])
    assert refused.exit_code == 1, refused.stderr
    assert says in refused.stderr and refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert sepa.json("collect", "list") == [] and list(folder.iterdir()) == []


def test_the_creditor_must_be_set_first(cli, tmp_path):
    cli.ok("config", "set", "currency", "EUR")
    refused = cli("collect", "sepa", "--collection-date", TOMORROW, "--out", str(tmp_path / "r.xml"))
    assert refused.exit_code == 1
    assert "set sepa.creditor_id, sepa.creditor_name, sepa.creditor_iban first" in refused.stderr


def test_an_existing_file_is_kept_unless_yes(sepa, tmp_path):
    out = tmp_path / "remesa.xml"
    out.write_text("not ours")
    refused = sepa("collect", "sepa", "--collection-date", TOMORROW, "--out", str(out))
    assert refused.exit_code == 2 and "already exists" in refused.stderr and out.read_text() == "not ours"
    assert sepa("--yes", "collect", "sepa", "--collection-date", TOMORROW, "--out", str(out)).exit_code == 3
    assert set(_read(out, "008.001.02")) == {"S1", "S7"}


@pytest.mark.parametrize("batch", ["9", "x", "99999999999999999999999"])
def test_an_unknown_batch_is_one_sentence(sepa, batch):
    for command in ("show", "settle"):
        refused = sepa("collect", command, batch)
        assert refused.exit_code == 1 and refused.stderr.count("\n") == 1 and "batch" in refused.stderr


def test_a_file_left_by_a_run_stopped_after_its_commit_is_moved_into_place(sepa, tmp_path):
    out = tmp_path / "remesa.xml"
    sepa("collect", "sepa", "--collection-date", TOMORROW, "--out", str(out))
    # The state a stop between the commit and the move leaves: the batch, and its file unmoved.
    out.rename(tmp_path / ".remesa.xml.batch-1.part")
    again = sepa("collect", "sepa", "--collection-date", TOMORROW, "--out", str(tmp_path / "otra.xml"))
    assert f"the file of batch 1, left by a stopped run, is now at {out}" in again.stdout
    assert "nothing to collect: no batch recorded, no file written" in again.stdout
    assert set(_read(out, "008.001.02")) == {"S1", "S7"} and not (tmp_path / "otra.xml").exists()


def test_a_collection_date_years_ahead_is_refused(sepa, tmp_path):
    refused = sepa("collect", "sepa", "--collection-date", "9999-12-31", "--out", str(tmp_path / "r.xml"))
    assert refused.exit_code == 1 and "more than 366 days ahead" in refused.stderr
    assert sepa.json("collect", "list") == []
