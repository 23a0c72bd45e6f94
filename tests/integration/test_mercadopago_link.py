"""`mercadopago link` (G1) and `payment_link` in the notices, against the simulated Mercado Pago API.

A link is made once per debt (the same one printed again until something is posted to the
client), with an external reference naming the client and the link, and an idempotency key
on every creation; a client who pays through it is matched by that reference when fetched.
"""

from datetime import datetime, timedelta
import json

import pytest

from ispcube.sim.mercadopago import MercadoPagoSimulator
from tests.integration.test_fiscal_authorize import afip, bill  # noqa: F401 - fixture
from tests.integration.test_fiscal_invoices import pdf_text
from tests.integration.test_notify import mail  # noqa: F401 - fixture

TOKEN = "APP_USR-4410-link-token"
ENV = {"ISPCUBE_MERCADOPAGO_TOKEN": TOKEN}


@pytest.fixture
def mp():
    with MercadoPagoSimulator(TOKEN) as simulator:
        yield simulator


@pytest.fixture
def shop(cli, mp):
    """L1 owes 1500.50 and has no ID number: only its link's reference can tell its payments."""
    cli.ok("config", "set", "mercadopago.url", mp.url)
    cli.ok("client", "add", "--code", "L1", "--name", "Lucía Link", "--address", "Calle 1",
           "--email", "lucia@example.com")
    cli.ok("ledger", "adjust", "L1", "--debit", "1500.50", "--reason", "cuota")
    return cli


def made(cli, *args: str) -> dict:
    return json.loads(cli.ok("--format", "json", "mercadopago", "link", *args, env=ENV).stdout)


def test_a_link_for_what_the_client_owes_is_made_once_per_debt(shop, mp):
    printed = shop.ok("mercadopago", "link", "L1", env=ENV)
    first = made(shop, "L1")
    assert first["reused"] is True and (first["amount"], first["currency"]) == ("1500.50", "ARS")
    assert printed.stdout.splitlines()[-1] == first["link"]
    assert printed.stdout.startswith("client L1 owes 1500.50 ARS: a new link, valid until ")
    assert TOKEN not in printed.stdout + printed.stderr
    (preference,) = mp.preferences.values()
    assert preference["id"] == first["preference"] and preference["init_point"] == first["link"]
    assert preference["external_reference"].startswith("ispcube-link:") and \
        preference["external_reference"].endswith(":L1")
    assert preference["items"][0]["unit_price"] == 1500.5 and preference["expires"] is True
    creations = [headers for method, _, headers in mp.requests if method == "POST"]
    assert len(creations) == 1 and creations[0]["x-idempotency-key"].startswith("ispcube-link-")
    # Another amount is another link; a payment posted is another debt, so another link.
    other = made(shop, "L1", "--amount", "500.25")
    assert other["amount"] == "500.25" and other["link"] != first["link"] and other["reused"] is False
    shop.ok("pay", "L1", "--cash", "500.50")
    after = made(shop, "L1")
    assert (after["amount"], after["reused"]) == ("1000.00", False) and after["link"] != first["link"]
    assert len(mp.preferences) == 3


def test_a_lost_answer_is_asked_again_with_the_same_key_and_gets_the_same_preference(shop, mp):
    plain = mp.handle
    lost = {"count": 0}

    def answer_lost_once(method, target, headers, body):
        status, answer, extra = plain(method, target, headers, body)
        if method == "POST" and lost["count"] == 0:
            lost["count"] += 1
            return 500, {"message": "upstream timeout"}, {}        # made, but its answer lost
        return status, answer, extra
    mp.handle = answer_lost_once
    link = made(shop, "L1")
    keys = [headers["x-idempotency-key"] for method, _, headers in mp.requests if method == "POST"]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(mp.preferences) == 1 and link["preference"] in mp.preferences


def test_a_client_who_owes_nothing_gets_no_link_without_an_amount(shop, mp):
    shop.ok("pay", "L1", "--cash", "1500.50")
    refused = shop("mercadopago", "link", "L1", env=ENV)
    assert refused.exit_code == 1
    assert refused.stderr == ("ispcube: client L1 owes nothing (balance 0.00); give --amount for a link of "
                              "another amount\n")
    assert made(shop, "L1", "--amount", "100")["amount"] == "100.00"
    unknown = shop("mercadopago", "link", "ZZ9", env=ENV)
    assert unknown.exit_code == 1 and "client 'ZZ9' does not exist" in unknown.stderr
    assert len(mp.preferences) == 1


def test_a_payment_through_the_link_is_matched_by_its_reference(shop, mp):
    link = made(shop, "L1")
    mp.pay_preference(link["preference"], at=datetime.now().astimezone() - timedelta(minutes=5))
    fetched = json.loads(shop.ok("--format", "json", "payments", "fetch", "mercadopago", env=ENV).stdout)
    assert [(r["client"], r["matched_by"], r["amount"]) for r in fetched["receipts"]] == \
        [("L1", "external_reference", "1500.50")]
    assert shop.json("client", "show", "L1")["balance"] == "0.00"


def test_the_notices_carry_the_clients_payment_link(shop, mp, mail):  # noqa: F811 - the fixture
    assert shop.json("enforce")["cut"] == 1
    shop.ok("config", "set", "payments.link_provider", "mercadopago")
    would = shop.json("notify", "--dry-run", env=ENV)
    assert "Mercado Pago" not in would["messages"][0]["body"]    # a dry run makes no link
    link = made(shop, "L1")
    would = shop.json("notify", "--dry-run", env=ENV)
    assert f"- En línea con Mercado Pago: {link['link']}" in would["messages"][0]["body"]
    sent = shop.json("notify", env=ENV)
    assert sent["sent"] == 1
    assert f"En línea con Mercado Pago: {link['link']}" in mail.messages()[0].get_content()
    assert len(mp.preferences) == 1                              # the same debt: the same link
    missing = shop("notify")
    assert missing.exit_code == 1 and "no Mercado Pago access token" in missing.stderr
    shop.ok("config", "set", "payments.link_provider", "none")
    assert shop.json("notify")["sent"] == 0


def test_an_invoice_printed_carries_the_clients_payment_link(cli, mp, afip, tmp_path, monkeypatch):  # noqa: F811
    bill(cli, afip, tmp_path, monkeypatch)
    cli.ok("config", "set", "mercadopago.url", mp.url)
    draft = next(r for r in cli.json("invoice", "list", "--period", "2026-11") if r["client"] == "B1")
    cli.ok("invoice", "print", str(draft["entry"]), "--out", str(tmp_path / "sin-link.pdf"))
    assert "Mercado Pago" not in pdf_text(tmp_path / "sin-link.pdf") and mp.preferences == {}
    cli.ok("config", "set", "payments.link_provider", "mercadopago")
    cli.ok("invoice", "print", str(draft["entry"]), "--out", str(tmp_path / "con-link.pdf"), env=ENV)
    (preference,) = mp.preferences.values()
    printed = " ".join(pdf_text(tmp_path / "con-link.pdf").split())
    assert "Pague en línea con Mercado Pago:" in printed and preference["id"] in printed.replace(" ", "")
    assert preference["external_reference"].endswith(":B1")
    done = cli.json("invoice", "print", "--period", "2026-11", "--out-dir", str(tmp_path), env=ENV)
    assert done["invoices"] == 6 and len(mp.preferences) == 6          # B1's link given again, once per debt
