"""`stripe charge-due` (K6): every card client charged its overdue debt once a day, against localstripe."""

from contextlib import ExitStack
from datetime import date
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from ispcube.db.engine import get_engine
from ispcube.services.payments.stripe.due import due_charge_id
from ispcube.services.process.job_lock import job_lock
from tests.integration.test_stripe import (  # noqa: F401 - fixtures
    charges_in_db,
    client_log,
    intents_for,
    localstripe,
    proxy,
    receipts,
    saved_card,
)
from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators

GOOD, DECLINES = "4242424242424242", "4000000000000341"


def add(cli, localstripe, code: str, *, owes: str | None, card: str | None, method: str = "stripe") -> None:
    cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--payment-method", method)
    if owes:
        cli.ok("ledger", "adjust", code, "--debit", owes, "--reason", "abono")
    if card:
        cli.ok("stripe", "link", code)
        cli.ok("stripe", "set-card", code, saved_card(localstripe, card))


@pytest.fixture
def shop(cli, proxy, localstripe):
    """G1 good card, D1 declining card, N1 no card, Z1 owes nothing, X1 deleted, C1 pays cash."""
    add(cli, localstripe, "G1", owes="9500", card=GOOD)
    add(cli, localstripe, "D1", owes="7000", card=DECLINES)
    add(cli, localstripe, "N1", owes="3000", card=None)
    add(cli, localstripe, "Z1", owes=None, card=GOOD)
    add(cli, localstripe, "X1", owes="4000", card=GOOD)
    cli.ok("client", "delete", "X1", "--yes")
    add(cli, localstripe, "C1", owes="5000", card=GOOD, method="cash")
    return cli


def due_id(cli, code: str) -> str:
    """The id of the day's charge of client CODE, the idempotency key per client and day."""
    engine = get_engine(cli.url)
    with engine.connect() as conn:
        client = conn.execute(text("SELECT id, stripe_customer_id FROM clients WHERE code = :code"),
                              {"code": code}).one()
    return due_charge_id(date.today(), client.id, client.stripe_customer_id)


def test_charges_the_good_card_logs_the_decline_and_leaves_the_rest(shop, proxy, localstripe, runtime):
    run = shop("stripe", "charge-due")
    assert run.exit_code == 3, run.stderr
    assert "charged 9500.00 ARS to client G1 (visa ****4242 exp 2030-12): receipt" in run.stdout
    assert ("charged 1 client(s) for 9500.00 ARS (G1); declined 1 (D1); left pending 0 (none); "
            "without a card 1 (N1)") in run.stdout
    assert "ispcube: client D1 (7000.00) not charged: the card of client D1" in run.stderr
    assert "ispcube: client N1 (3000.00) not charged: no saved card" in run.stderr
    assert ("2 client(s) with money due were not charged (named above); the charges made and the attempts "
            "closed stand") in run.stderr
    [receipt] = receipts(shop, "G1")
    assert receipt["credit"] == "9500.00" and shop.json("client", "show", "G1")["balance"] == "0.00"
    assert any(e["kind"] == "stripe.declined" and "7000.00 ARS not made" in e["message"]
               for e in client_log(shop, "D1"))
    assert receipts(shop, "D1") == [] and shop.json("client", "show", "D1")["balance"] == "7000.00"
    for code, balance in (("N1", "3000.00"), ("Z1", "0.00"), ("C1", "5000.00")):
        assert shop.json("client", "show", code)["balance"] == balance and receipts(shop, code) == []
    assert {r["id"]: r["status"] for r in charges_in_db(runtime)} == {
        due_id(shop, "G1"): "succeeded", due_id(shop, "D1"): "failed"}
    assert [h["Idempotency-Key"] for h in proxy.charge_posts()] == [
        f"ispcube-{due_id(shop, 'D1')}", f"ispcube-{due_id(shop, 'G1')}"]

    shop.ok("ledger", "adjust", "G1", "--debit", "100", "--reason", "instalación")
    again = shop("stripe", "charge-due")                    # the same day: nobody charged twice
    assert again.exit_code == 1 and "charged 0 client(s) for 0.00 ARS (none)" in again.stdout
    assert "2 client(s) with money due were not charged (named above); this run changed nothing" in again.stderr
    assert "already charged today 1 (G1)" in again.stdout  # owes again, but its day's charge is made
    assert "client D1 (7000.00) not charged: declined earlier today" in again.stderr
    assert len(proxy.charge_posts()) == 2
    assert len(intents_for(localstripe, due_id(shop, "G1"))) == 1
    assert len(intents_for(localstripe, due_id(shop, "D1"))) <= 1
    assert len(receipts(shop, "G1")) == 1 and len(charges_in_db(runtime)) == 2
    assert len([e for e in client_log(shop, "D1") if e["kind"] == "stripe.declined"]) == 1


@pytest.fixture
def two_cards(cli, proxy, localstripe):
    add(cli, localstripe, "A1", owes="9500", card=GOOD)
    add(cli, localstripe, "B1", owes="6000", card=GOOD)
    return cli


@pytest.mark.parametrize("lost", ["lose_next_charge_answer", "drop_next_charge"])
def test_a_run_interrupted_mid_way_is_finished_by_the_next_charging_once(two_cards, proxy, localstripe,
                                                                        runtime, lost):
    setattr(proxy, lost, True)                              # A1's charge: answer lost, or never sent
    first = two_cards("stripe", "charge-due")
    assert first.exit_code == 3 and "client A1 (9500.00) not charged: no definite answer from Stripe" in first.stderr
    assert "left pending 1 (A1)" in first.stdout and receipts(two_cards, "A1") == []
    assert len(receipts(two_cards, "B1")) == 1              # the run went on with the others
    charged_at_stripe = 1 if lost == "lose_next_charge_answer" else 0
    assert len(intents_for(localstripe, due_id(two_cards, "A1"))) == charged_at_stripe

    second = two_cards("stripe", "charge-due")
    assert second.exit_code == 0, second.stderr
    assert "charged 1 client(s) for 9500.00 ARS (A1)" in second.stdout and "B1" not in second.stdout
    for code in ("A1", "B1"):
        assert len(intents_for(localstripe, due_id(two_cards, code))) == 1
        assert len(receipts(two_cards, code)) == 1 and two_cards.json("client", "show", code)["balance"] == "0.00"
    keys = [h["Idempotency-Key"] for h in proxy.charge_posts()]
    assert keys.count(f"ispcube-{due_id(two_cards, 'A1')}") == 2 - charged_at_stripe
    assert two_cards("stripe", "charge-due").exit_code == 0 and len(proxy.charge_posts()) == len(keys)


def test_an_unfinished_charge_of_a_client_paid_meanwhile_is_not_sent_again(two_cards, proxy, localstripe, runtime):
    proxy.drop_next_charge = True                           # A1's charge never reached Stripe
    assert two_cards("stripe", "charge-due").exit_code == 3
    two_cards.ok("pay", "A1", "--cash", "9500")             # then A1 paid at the office
    again = two_cards("stripe", "charge-due")
    assert again.exit_code == 1, again.stderr
    assert ("client A1 (9500.00) not charged: has an unfinished card charge of 9500.00 from "
            in again.stderr and "`ispcube stripe charge A1 9500.00` finishes it" in again.stderr)
    assert len(proxy.charge_posts()) == 2 and intents_for(localstripe, due_id(two_cards, "A1")) == []
    assert sorted(r["status"] for r in charges_in_db(runtime)) == ["pending", "succeeded"]
    assert len(receipts(two_cards, "A1")) == 1


def test_dry_run_lists_who_would_be_charged_and_charges_nothing(shop, proxy, runtime, monkeypatch):
    listed = shop("stripe", "charge-due", "--dry-run", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    assert "ispcube: client N1 (3000.00) would not be charged: no saved card" in listed.stderr
    run = json.loads(listed.stdout)
    assert run["dry_run"] is True and run["total"] == "16500.00"
    assert [(c["client"], c["amount"]) for c in run["charged"]] == [("D1", "7000.00"), ("G1", "9500.00")]
    assert [c["client"] for c in run["no_card"]] == ["N1"]
    monkeypatch.delenv("STRIPE_API_KEY")                    # a dry run never talks to Stripe
    said = shop("stripe", "charge-due", "--dry-run")
    assert "would charge 9500.00 ARS to client G1\n" in said.stdout
    assert proxy.charge_posts() == [] and charges_in_db(runtime) == [] and receipts(shop, "G1") == []


def test_json_is_one_stable_object(two_cards):
    result = two_cards("stripe", "charge-due", "--format", "json")
    assert result.exit_code == 0, result.stderr
    run = json.loads(result.stdout)
    assert set(run) == {"date", "dry_run", "currency", "total", "charged", "declined", "pending", "no_card",
                        "already_charged"}
    assert (run["total"], run["declined"], run["pending"], run["no_card"]) == ("15500.00", [], [], [])
    assert set(run["charged"][0]) == {"client", "amount", "currency", "card", "payment_intent", "receipt",
                                      "balance", "resumed"}


def test_a_payment_made_meanwhile_is_not_charged_again(two_cards, proxy, localstripe):
    two_cards.ok("pay", "A1", "--cash", "9500")
    run = two_cards("stripe", "charge-due")
    assert run.exit_code == 0 and "(B1)" in run.stdout and "A1" not in run.stdout
    assert intents_for(localstripe, due_id(two_cards, "A1")) == []


def test_a_collector_is_refused(two_cards, proxy, runtime):
    two_cards.ok("operator", "add", "--name", "ana", "--role", "collector")
    refused = two_cards("--operator", "ana", "stripe", "charge-due")
    assert refused.exit_code == 1
    assert "operator 'ana' is a collector: only an admin or an operator may charge the cards" in refused.stderr
    assert proxy.charge_posts() == [] and charges_in_db(runtime) == []


def test_a_second_concurrent_run_exits_75(two_cards, proxy, runtime):
    with job_lock(runtime.engine, "stripe charge-due"):
        busy = two_cards("stripe", "charge-due")
    assert busy.exit_code == 75 and "another `ispcube stripe charge-due` run holds the lock" in busy.stderr
    assert proxy.charge_posts() == [] and charges_in_db(runtime) == []


def test_the_cron_wrapper_runs_it_and_logs_the_run(two_cards, db_url, proxy, localstripe, tmp_path):
    wrapper = Path(__file__).resolve().parents[2] / "jobs" / "ispcube-job"
    env = {**os.environ, "ISPCUBE_DATABASE_URL": db_url, "ISPCUBE_LOG_DIR": str(tmp_path / "logs"),
           "ISPCUBE_BIN": str(Path(sys.executable).parent / "ispcube")}
    done = subprocess.run([str(wrapper), "stripe-charge-due"], env=env, capture_output=True, text=True, timeout=120)
    log = (tmp_path / "logs" / "stripe-charge-due.log").read_text()
    assert done.returncode == 0, log
    assert "charged 2 client(s) for 15500.00 ARS (A1, B1)" in log and "exit 0 (ok)" in log
    assert len(intents_for(localstripe, due_id(two_cards, "A1"))) == 1


def test_a_cut_client_charged_stays_cut_until_the_next_enforce(cli, proxy, localstripe):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        add_client(cli, "K1", "core", "10.0.0.11", debt="9500", extra=("--payment-method", "stripe"))
        cli.ok("stripe", "link", "K1")
        cli.ok("stripe", "set-card", "K1", saved_card(localstripe, GOOD))
        assert cli.json("enforce")["cut"] == 1
        charged = cli.ok("stripe", "charge-due").stdout
        assert charged.endswith("charged 1 client(s) for 9500.00 ARS (K1); declined 0 (none); left pending 0 "
                                "(none); those cut are restored by the next `enforce`, not now\n")
        assert cli.json("client", "show", "K1")["balance"] == "0.00"
        assert cli.json("client", "show", "K1")["service"] == "cut" and cut_list(core) == {"10.0.0.11": "K1"}
        assert cli.json("enforce")["restored"] == 1 and cut_list(core) == {}


def test_a_run_killed_while_stripe_charges_is_finished_by_the_next_once(two_cards, db_url, proxy, localstripe):
    proxy.lose_next_charge_answer = True                    # A1 is charged; the answer is held back
    env = {**os.environ, "ISPCUBE_STRIPE_TIMEOUT": "30"}
    run = subprocess.Popen([str(Path(sys.executable).parent / "ispcube"), "--db", db_url, "stripe", "charge-due"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if intents_for(localstripe, due_id(two_cards, "A1")):
                break
            time.sleep(0.05)
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
    assert receipts(two_cards, "A1") == [] and receipts(two_cards, "B1") == []   # killed before recording

    resumed = two_cards("stripe", "charge-due", "--format", "json")
    assert resumed.exit_code == 0, resumed.stderr
    charged = {c["client"]: c["resumed"] for c in json.loads(resumed.stdout)["charged"]}
    assert charged == {"A1": True, "B1": False}
    for code in ("A1", "B1"):
        assert len(intents_for(localstripe, due_id(two_cards, code))) == 1 and len(receipts(two_cards, code)) == 1
