"""SPEC 7 and K3/K5 in the demo: its SEPA part, a Spanish ISP in its own SQLite file beside the
main demo database, collects by direct debit and settles the batch from the bank's statement."""

import json
from pathlib import Path
import re
import xml.etree.ElementTree as ET

import sepaxml

from tests.conftest import Cli

SCHEMAS = Path(sepaxml.__file__).parent / "schemas"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


def test_the_demo_collects_by_sepa_and_settles_the_batch_from_the_statement(tmp_path):
    from schwifty import IBAN
    from stdnum.eu import at_02
    import xmlschema
    path = tmp_path / "demo.db"
    out = Cli(f"sqlite:///{tmp_path / 'unused.db'}").ok("demo", "--path", str(path), "--clients", "8",
                                                          "--today", "2027-03-01").stdout
    sepa_db, pain, camt = (tmp_path / "demo-sepa.db", tmp_path / "demo-sepa-remesa-pain008.xml",
                           tmp_path / "demo-sepa-extracto-camt053.xml")
    assert ("collect sepa: batch 1, 6 direct debits (FRST) for 219.40 EUR on" in out
            and "written to demo-sepa-remesa-pain008.xml (pain.008.001.02, checked against its XSD)" in out), out
    assert re.search(r"payments import posted 5 collected debits for 189\.50 EUR \(00001, 00002, 00004, 00005, "
                     r"00006\); 00003 29\.90 returned, reason AC04 \(account closed\)", out), out
    assert re.search(r"00003 +29\.90 +ISPCUBE-1-3 +FRST +rejected AC04", out), out
    assert f"ispcube --db {sepa_db} collect show 1" in out
    assert out.index("SEPA direct debits") < out.index("Explore it.")

    xmlschema.XMLSchema(str(SCHEMAS / "pain.008.001.02.xsd")).validate(str(pain))
    root = ET.parse(pain).getroot()
    creditor = root.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS)
    assert at_02.is_valid(creditor) and creditor.startswith("ES")
    debits = {tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS): tx for tx in root.iterfind(".//p:DrctDbtTxInf", NS)}
    assert sorted(debits) == [f"ISPCUBE-1-{n}" for n in range(1, 7)]
    for tx in debits.values():
        iban = tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS)
        assert IBAN(iban).country_code == "ES" and tx.find("p:InstdAmt", NS).get("Ccy") == "EUR"
        assert tx.findtext(".//p:MndtId", namespaces=NS).startswith("FM-MANDATO-")

    spain = Cli(f"sqlite:///{sepa_db}")
    assert spain.ok("config", "get", "currency").stdout.strip() == "EUR"
    items = spain.json("collect", "show", "1")["items"]
    assert [(i["client"], i["status"], i["reason"]) for i in items] == [
        ("00001", "paid", None), ("00002", "paid", None), ("00003", "rejected", "AC04"),
        ("00004", "paid", None), ("00005", "paid", None), ("00006", "paid", None)]
    balances = {c["code"]: c["balance"] for c in spain.json("client", "list")}
    assert balances == {"00001": "0.00", "00002": "0.00", "00003": "29.90", "00004": "0.00", "00005": "0.00",
                        "00006": "0.00"}
    receipts = [e for e in spain.json("ledger", "show", "00001") if e["document"].startswith("receipt")]
    assert len(receipts) == 1 and "ISPCUBE-1-1" in receipts[0]["comment"]
    assert any(e["kind"] == "collection.returned" and "AC04" in e["message"]
               for e in spain.json("client", "log", "00003"))
    assert spain.json("ledger", "rebuild")["wrong"] == []
    again = spain("--format", "json", "payments", "import", str(camt))
    assert json.loads(again.stdout)["already_imported"] == 6, again.stderr
    assert spain.json("client", "show", "00003")["balance"] == "29.90"
    # The main demo keeps its pesos: the SEPA part never touched it.
    assert Cli(f"sqlite:///{path}").ok("config", "get", "currency").stdout.strip() == "ARS"


def _demo(tmp_path) -> str:
    return Cli(f"sqlite:///{tmp_path / 'unused.db'}").ok("demo", "--path", str(tmp_path / "demo.db"),
                                                         "--clients", "8").stdout


def _sepa_db(out: str) -> Path:
    return Path(re.search(r"ispcube --db (\S+) collect show 1", out).group(1))


def test_the_sepa_part_replaces_its_own_files_and_never_one_that_is_not_the_demos(tmp_path):
    assert _sepa_db(_demo(tmp_path)) == tmp_path / "demo-sepa.db"
    again = _demo(tmp_path)
    assert _sepa_db(again) == tmp_path / "demo-sepa.db" and "collect sepa: batch 1, 6 direct debits" in again
    assert len(Cli(f"sqlite:///{tmp_path / 'demo-sepa.db'}").json("collect", "list")) == 1
    mine = tmp_path / "demo-sepa-remesa-pain008.xml"
    mine.write_text("<remesa>de otra empresa</remesa>\n")
    elsewhere = _sepa_db(_demo(tmp_path))
    assert mine.read_text() == "<remesa>de otra empresa</remesa>\n"
    assert elsewhere.parent != tmp_path and elsewhere.with_name("demo-sepa-remesa-pain008.xml").is_file()
