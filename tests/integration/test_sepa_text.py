"""SEPA text (K3): names and descriptions reach the pain.008 in the EPC's basic Latin set; a
client whose name has nothing a SEPA file can carry is left out and named (exit 3) while the
batch goes on; the creditor name is checked when it is set."""

from datetime import date
import re

from ispcube.domain.bank import epc_text, unwritable
from ispcube.domain.target2 import first_collection_day
from tests.integration import test_collect_races as races

debtors, rt = races.debtors, races.rt      # fixtures: R1 and R2 owe money (debts dated 2026-12-04)
IBAN_R3 = "GB29NWBK60161331926819"


def test_names_are_written_in_the_epc_set_and_an_unwritable_one_is_left_out_and_named(debtors, rt, tmp_path):
    from ispcube.services.ledger.posting import adjust
    debtors.ok("client", "edit", "R1", "--account-holder", 'Pérez & Hijos_<S.L.>; 100% "ok" #1 @x')
    debtors.ok("client", "add", "--code", "R3", "--name", "@@@ ###", "--payment-method", "sepa", "--iban", IBAN_R3,
               "--mandate-ref", "MAND-R3", "--mandate-date", "2025-06-01")
    adjust(rt, "R3", debit="10", credit=None, reason="cuota")
    out = tmp_path / "remesa.xml"
    result = debtors("collect", "sepa", "--collection-date", first_collection_day(date.today()).isoformat(),
                     "--out", str(out))
    assert result.exit_code == 3
    assert "client R3 (10.00) not collected: the name '@@@ ###' has no letter or digit a SEPA file can carry " \
           "(client edit --account-holder)" in result.stderr and "batch 1 stands" in result.stderr
    document = out.read_text(encoding="utf-8")
    names = re.findall(r"<Dbtr><Nm>([^<]*)</Nm>", document)
    assert names == ["Perez + Hijos S.L. 100 ok 1 x", "Cliente R2"]
    assert [i["client"] for i in debtors.json("collect", "show", "1")["items"]] == ["R1", "R2"]
    for tag in re.findall(r"<(?:Nm|Ustrd)>([^<]*)<", document):
        assert not set(tag) & set('&_#@<>";%'), tag


def test_the_creditor_name_is_checked_when_it_is_set(cli):
    refused = cli("config", "set", "sepa.creditor_name", "Fibra & Cía_#1")
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert "holds '_' '#', which SEPA files cannot carry" in refused.stderr
    assert cli("config", "set", "sepa.creditor_name", "@@@").exit_code == 1
    cli.ok("config", "set", "sepa.creditor_name", "Fibra & Cía S.L.")
    assert cli.ok("config", "get", "sepa.creditor_name").stdout.strip() == "Fibra & Cía S.L."


def test_epc_text():
    assert epc_text("Lucía Gómez & Hijos", 70) == "Lucia Gomez + Hijos"
    assert epc_text("Straße_#1 <x>", 70) == "Strasse 1 x"
    assert epc_text("Ærø", 70) == "AEro" and epc_text("中文", 70) == "Zhong Wen"
    assert epc_text("@@@ ###", 70) == "" and epc_text("😀", 70) == ""
    assert epc_text("x" * 80, 70) == "x" * 70
    assert unwritable("Köln & Söhne") == "" and unwritable('a_b"c😀') == '_"😀'
