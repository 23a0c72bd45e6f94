"""Bank transactions identified where they were booked, reversals, payment-file sources (K5, R15).

A transaction's identity is its account plus the bank's reference (a digest only when the bank
gives none); the payer's EndToEndId never is. A reversal (camt RvslInd, MT940 RC) charges back
the credit it names, once; one whose credit is not found is reported. Payment files carry
their source. Keys written before these identities (migration 0015) still keep a statement
from posting twice.
"""

from datetime import date
from decimal import Decimal as D
import json
from pathlib import Path

import pytest
from sqlalchemy import bindparam, text

from ispcube.db.engine import get_engine
from ispcube.db.types import Money
from ispcube.services.payments.statements.camt_build import Entry, Tx, statement
from ispcube.services.payments.statements.lines import digest

BOOKED = date(2026, 11, 20)
ACCOUNT = "ES7921000813610123456789"
OTHER_ACCOUNT = "ES6621000418401234567891"
IBAN_T2 = "GB29NWBK60161331926819"


@pytest.fixture
def bank(cli):
    """T1 (payment code 9000123) and T2 (pays from IBAN_T2) owe 45.00 and 60.00."""
    cli.ok("config", "set", "currency", "EUR")
    cli.ok("client", "add", "--code", "T1", "--name", "Transferencia Uno", "--payment-method", "transfer",
           "--epayment-code", "9000123")
    cli.ok("client", "add", "--code", "T2", "--name", "Transferencia Dos", "--payment-method", "transfer",
           "--iban", IBAN_T2)
    for code, amount in (("T1", "45"), ("T2", "60")):
        cli.ok("ledger", "adjust", code, "--debit", amount, "--reason", "cuota")
    return cli


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def imported(cli, *args: str, code: int = 0) -> dict:
    result = cli("--format", "json", "payments", "import", *args)
    assert result.exit_code == code, f"exit {result.exit_code}: {result.stderr}"
    return json.loads(result.stdout)


def balance(cli, code: str) -> str:
    return cli.json("client", "show", code)["balance"]


def to_t1(amount: str = "45.00", reference: str | None = "TX-9", e2e: str | None = None, on: date = BOOKED) -> Entry:
    return Entry(on, True, [Tx(D(amount), e2e, reference, name="Uno", creditor_ref="9000123")])


def to_t2(amount: str = "60.00", reference: str | None = "TX-8", e2e: str | None = None, on: date = BOOKED) -> Entry:
    return Entry(on, True, [Tx(D(amount), e2e, reference, name="Dos", iban=IBAN_T2, text="noviembre")])


# --- defect 4: the payer's EndToEndId is not the transaction's identity --------------------------

def test_two_payers_reusing_an_end_to_end_id_are_both_credited(bank, tmp_path):
    first = write(tmp_path, "a.xml", statement([to_t1(reference="REF-A", e2e="1")], statement_id="S-A"))
    second = write(tmp_path, "b.xml", statement([to_t2(reference="REF-B", e2e="1")], statement_id="S-B"))
    assert [p["client"] for p in imported(bank, first)["receipts"]] == ["T1"]
    run = imported(bank, second)
    assert [p["client"] for p in run["receipts"]] == ["T2"] and run["already_imported"] == 0
    assert (balance(bank, "T1"), balance(bank, "T2")) == ("0.00", "0.00")
    for path in (first, second):
        again = imported(bank, path)
        assert again["already_imported"] == 1 and again["receipts"] == []


def test_the_same_reference_on_two_accounts_is_two_transactions(bank, tmp_path):
    one = write(tmp_path, "a.xml", statement([to_t1(amount="20.00", reference="0001")], account=ACCOUNT))
    other = write(tmp_path, "b.xml", statement([to_t1(amount="25.00", reference="0001")], account=OTHER_ACCOUNT))
    imported(bank, one)
    assert len(imported(bank, other)["receipts"]) == 1
    assert balance(bank, "T1") == "0.00"


def test_without_any_reference_the_digest_tells_payments_apart_and_repeats_match(bank, tmp_path):
    path = write(tmp_path, "a.xml", statement([to_t1(amount="20.00", reference=None, e2e="1"),
                                               to_t1(amount="25.00", reference=None, e2e="1")]))
    assert [p["amount"] for p in imported(bank, path)["receipts"]] == ["20.00", "25.00"]
    assert imported(bank, path)["already_imported"] == 2
    assert balance(bank, "T1") == "0.00"


# --- reversals --------------------------------------------------------------------------------

def reversal_of(reference: str, amount: str = "45.00", on: date = BOOKED) -> Entry:
    return Entry(on, False, [Tx(D(amount), None, reference, name="Uno")], reversal=True)


def test_a_reversal_in_the_same_statement_charges_the_credit_back_once(bank, tmp_path):
    path = write(tmp_path, "a.xml", statement([to_t1(), to_t2(), reversal_of("TX-9")]))
    run = imported(bank, path)
    assert [p["client"] for p in run["receipts"]] == ["T1", "T2"]
    assert [(r["client"], r["credit"], r["amount"]) for r in run["reversed"]] == [("T1", "TX-9", "45.00")]
    assert (balance(bank, "T1"), balance(bank, "T2")) == ("45.00", "0.00")
    dx = [e for e in bank.json("ledger", "show", "T1") if e["document"].startswith("DX")][-1]
    assert "credit TX-9 reversed by the bank" in dx["comment"]
    again = imported(bank, path)
    assert again["already_imported"] == 3 and again["reversed"] == [] and balance(bank, "T1") == "45.00"


def test_a_reversal_in_a_later_statement_finds_the_credit_posted_before(bank, tmp_path):
    imported(bank, write(tmp_path, "a.xml", statement([to_t1()], statement_id="S-1")))
    later = write(tmp_path, "b.xml", statement([reversal_of("TX-9", on=date(2026, 11, 23))], statement_id="S-2"))
    assert [r["client"] for r in imported(bank, later)["reversed"]] == ["T1"]
    assert balance(bank, "T1") == "45.00"
    # The same credit reversed again under another reference of the bank: reported, not charged.
    twice = write(tmp_path, "c.xml", statement([Entry(date(2026, 11, 24), False, [Tx(D("45.00"), None, "RV-2")],
                                                      reference="TX-9", reversal=True)], statement_id="S-3"))
    result = bank("payments", "import", twice)
    assert result.exit_code == 3 and "that credit was reversed already" in result.stderr
    assert balance(bank, "T1") == "45.00"


def test_a_reversal_whose_credit_is_not_found_is_reported(bank, tmp_path):
    path = write(tmp_path, "a.xml", statement([to_t2(), reversal_of("TX-NOWHERE", "30.00")]))
    result = bank("payments", "import", path)
    assert result.exit_code == 3
    assert "a reversal by the bank of a credit of 30.00 (TX-NOWHERE): no such credit was imported on account " \
           f"{ACCOUNT}" in result.stderr
    assert "1 payment(s) posted" in result.stderr and balance(bank, "T2") == "0.00"


def test_a_reversed_credit_that_matched_nobody_cancels_out(bank, tmp_path):
    stray = Entry(BOOKED, True, [Tx(D("12.00"), None, "TX-X", name="Nadie", text="sin codigo")])
    run = imported(bank, write(tmp_path, "a.xml", statement([stray, reversal_of("TX-X", "12.00")])))
    assert run["unmatched"] == [] and run["reversed"] == []
    assert [i["reason"] for i in run["ignored"]] == ["reversed by the bank (entry 2)",
                                                      "reverses entry 1, which was not posted"]


MT940 = """:20:STMT-1
:25:{account}
:28C:00001/001
:60F:C251230EUR0,00
{lines}:62F:C260105EUR0,00
-
"""


def test_mt940_rc_reverses_the_credit_its_bank_reference_names(bank, tmp_path):
    lines = (":61:2511201120C45,00NTRFNONREF//B-45\n:86:pago 9000123\n"
             ":61:2511231123RC45,00NTRFNONREF//B-45\n:86:storno pago 9000123\n")
    path = write(tmp_path, "a.sta", MT940.format(account=ACCOUNT, lines=lines))
    run = imported(bank, path)
    assert [p["client"] for p in run["receipts"]] == ["T1"]
    assert [(r["client"], r["credit"]) for r in run["reversed"]] == [("T1", "B-45")]
    assert balance(bank, "T1") == "45.00"
    assert imported(bank, path)["already_imported"] == 2


def test_mt940_rd_is_reported_never_taken_for_a_payment(bank, tmp_path):
    lines = ":61:2511241124RD60,00NTRFNONREF//B-60\n:86:storno cargo IBAN/" + IBAN_T2 + "/\n"
    result = bank("payments", "import", write(tmp_path, "a.sta", MT940.format(account=ACCOUNT, lines=lines)))
    assert result.exit_code == 3
    assert "the bank reverses one of its debits (a credit marked as a reversal): not a client's payment" \
        in result.stderr
    assert balance(bank, "T2") == "60.00"


def test_mt940_entry_dates_across_the_year_end_land_in_their_year(bank, tmp_path):
    lines = (":61:2512310102C45,00NTRFNONREF//B-1\n:86:pago 9000123\n"
             ":61:2601021231C60,00NTRFNONREF//B-2\n:86:IBAN/" + IBAN_T2 + "/\n")
    run = imported(bank, write(tmp_path, "a.sta", MT940.format(account=ACCOUNT, lines=lines)))
    assert [(p["client"], p["date"]) for p in run["receipts"]] == [("T1", "2026-01-02"), ("T2", "2025-12-31")]


# --- defect 5: payment files carry their source ---------------------------------------------------

def test_the_same_reference_from_two_gateways_is_two_payments(bank, tmp_path):
    with_column = write(tmp_path, "a.csv", "date,amount,reference,client,source\n"
                                           f"{BOOKED},45.00,1001,T1,CobroDigital\n")
    without = write(tmp_path, "b.csv", f"date,amount,reference,client\n{BOOKED},60.00,1001,T2\n")
    refused = bank("payments", "import", without)
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert "the file has no source column: say which gateway or bank it comes from with --source NAME" \
        in refused.stderr and balance(bank, "T2") == "60.00"
    assert [p["client"] for p in imported(bank, with_column)["receipts"]] == ["T1"]
    assert [p["client"] for p in imported(bank, without, "--source", "webpay")["receipts"]] == ["T2"]
    assert imported(bank, without, "--source", "WebPay")["already_imported"] == 1
    assert imported(bank, with_column)["already_imported"] == 1
    assert (balance(bank, "T1"), balance(bank, "T2")) == ("0.00", "0.00")
    bad = bank("payments", "import", without, "--source", "web;pay")
    assert bad.exit_code == 1 and "--source 'web;pay' is not a source name" in bad.stderr
    # One drop folder, one --source: a bank statement in it names its own account.
    camt = write(tmp_path, "c.xml", statement([to_t1(amount="5.00", reference="1001")]))
    assert imported(bank, camt, "--source", "webpay")["receipts"][0]["client"] == "T1"


# --- keys written before migration 0015 ------------------------------------------------------------

def _downgrade_to_0014(url: str) -> None:
    from alembic import command

    from ispcube.db.schema import _alembic_config
    engine = get_engine(url)
    with engine.begin() as connection:
        command.downgrade(_alembic_config(engine, connection), "0014")


def test_a_statement_imported_before_the_new_identities_posts_nothing_again(bank, db_url, tmp_path):
    """Rows as an import before 0015 wrote them: a camt credit keyed by the payer's EndToEndId,
    a payment file's bare reference and an MT940 key; upgraded, the same files post nothing,
    while another payer's credit reusing that EndToEndId is posted."""
    mt940_text = MT940.format(account=ACCOUNT, lines=":61:2511201120C45,00NTRFNONREF//B-7\n:86:pago 9000123\n")
    old_mt940 = f"mt940:{ACCOUNT}:NONREF//B-7:2025-11-20:45.00:{digest('pago 9000123')}"
    from ispcube.db.schema import upgrade
    _downgrade_to_0014(db_url)
    try:
        with get_engine(db_url).begin() as conn:
            conn.execute(text("INSERT INTO payment_imports (file_name, file_format, imported_at, operator, posted, "
                              "returned, total) VALUES ('old', 'camt053', '2026-11-21 08:00:00', 'system', 3, 0, 150)"))
            t1 = conn.execute(text("SELECT id FROM clients WHERE code = 'T1'")).scalar()
            for key, amount, on in ((f"camt:{ACCOUNT}:C:e2e:1", 45, "2026-11-20"), ("file:1001", 45, "2026-11-20"),
                                    (old_mt940, 45, "2025-11-20")):
                conn.execute(text("INSERT INTO bank_transactions (key, import_id, kind, booked, amount, client_id, "
                                  "matched_by, reference) VALUES (:key, 1, 'receipt', :on, :amount, :client, "
                                  "'epayment_code', '1')").bindparams(bindparam("amount", type_=Money())),
                             {"key": key, "on": on, "amount": D(amount), "client": t1})
    finally:
        upgrade(get_engine(db_url))
    with get_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT account FROM bank_transactions ORDER BY id")).scalars().all() == \
            [ACCOUNT, None, ACCOUNT]
    camt = write(tmp_path, "old.xml", statement([to_t1(reference=None, e2e="1")]))
    csv = write(tmp_path, "old.csv", f"date,amount,reference,client\n{BOOKED},45.00,1001,T1\n")
    for path, options in ((camt, ()), (csv, ("--source", "cobrodigital")),
                          (write(tmp_path, "old.sta", mt940_text), ())):
        run = imported(bank, path, *options)
        assert run["already_imported"] == 1 and run["receipts"] == [], path
    assert balance(bank, "T1") == "45.00"
    reused = write(tmp_path, "new.xml", statement([to_t2(reference=None, e2e="1", on=date(2026, 11, 25))]))
    assert [p["client"] for p in imported(bank, reused)["receipts"]] == ["T2"]
