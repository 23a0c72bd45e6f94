"""Card payments (D4, R6, R8) against localstripe, a fake Stripe API server, on loopback.

localstripe ignores idempotency keys and has no Checkout sessions, so a small loopback proxy
sits in front of it: it answers `POST /v1/checkout/sessions` itself, can lose the answer to a
charge after forwarding it (a timeout after Stripe charged) or drop a request before it
reaches Stripe, and records every request so the tests can count them.
"""

import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import os
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs

import pytest
from sqlalchemy import text

API_KEY = "sk_test_ispcube_4f9c2e7d1a"
LAUNCHER = """
import socket
from aiohttp import web
from localstripe import resources
from localstripe.server import app
resources.store.dump_to_disk = lambda: None   # keep state in memory, not in /tmp/localstripe.pickle
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
web.run_app(app, sock=sock, print=None, access_log=None)
"""


@pytest.fixture(scope="module")
def localstripe():
    server = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    port = int(server.stdout.readline())
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/v1/balance")
            break
        except OSError:
            time.sleep(0.05)
    yield ("127.0.0.1", port)
    server.terminate()
    server.wait(timeout=10)


class StripeProxy:
    def __init__(self, upstream):
        self.upstream = upstream
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.sessions: list[dict] = []
        self.lose_next_charge_answer = False
        self.drop_next_charge = False
        self.refuse_next_session = False
        self.refuse_next_customer_update = False
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                proxy.relay(self)

            do_POST = do_DELETE = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def relay(self, handler):
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        self.requests.append((handler.command, handler.path, dict(handler.headers), body))
        is_charge = handler.command == "POST" and handler.path == "/v1/payment_intents"
        if is_charge and self.drop_next_charge:
            self.drop_next_charge = False
            handler.close_connection = True     # never forwarded: Stripe did not see it
            return
        if (handler.command == "POST" and handler.path.startswith("/v1/customers/cus_")
                and self.refuse_next_customer_update):
            self.refuse_next_customer_update = False
            return self.answer(handler, 500, b'{"error": {"type": "api_error", "message": "An error occurred"}}')
        if handler.command == "POST" and handler.path == "/v1/checkout/sessions":
            if not handler.headers.get("Authorization", "").startswith("Bearer sk_"):
                return self.answer(handler, 401, b'{"error": {"type": "invalid_request_error", '
                                                 b'"message": "Invalid API Key provided"}}')
            if self.refuse_next_session:
                self.refuse_next_session = False
                return self.answer(handler, 400, b'{"error": {"type": "invalid_request_error", '
                                                 b'"message": "Checkout is not enabled for this account"}}')
            return self.answer(handler, 200, self.checkout_session(body))
        upstream = http.client.HTTPConnection(*self.upstream, timeout=10)
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() in ("authorization", "content-type", "idempotency-key", "stripe-version")}
        upstream.request(handler.command, handler.path, body, headers)
        response = upstream.getresponse()
        data = response.read()
        if is_charge and self.lose_next_charge_answer:
            self.lose_next_charge_answer = False
            time.sleep(6)                       # Stripe charged; the answer never comes back in time
            handler.close_connection = True
            return
        self.answer(handler, response.status, data)

    def checkout_session(self, body: bytes) -> bytes:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.sessions.append(form)
        session_id = f"cs_test_{len(self.sessions):04d}"
        return json.dumps({"id": session_id, "object": "checkout.session", "mode": form.get("mode"),
                           "customer": form.get("customer"),
                           "url": f"https://checkout.stripe.com/c/pay/{session_id}"}).encode()

    @staticmethod
    def answer(handler, status: int, data: bytes):
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def charge_posts(self) -> list[dict]:
        return [headers for method, path, headers, _ in self.requests
                if method == "POST" and path == "/v1/payment_intents"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(localstripe, monkeypatch):
    server = StripeProxy(localstripe)
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", server.url)
    monkeypatch.setenv("ISPCUBE_STRIPE_TIMEOUT", "2")
    monkeypatch.setenv("ISPCUBE_STRIPE_RETURN_URL", "https://isp.example/tarjeta-guardada")
    yield server
    server.close()


def stripe_api(localstripe, method: str, path: str, form: str | None = None) -> dict:
    """Talk to localstripe directly, as Stripe's own pages and dashboard would."""
    conn = http.client.HTTPConnection(*localstripe, timeout=10)
    conn.request(method, path, form, {"Authorization": f"Bearer {API_KEY}",
                                      "Content-Type": "application/x-www-form-urlencoded"})
    return json.loads(conn.getresponse().read())


def saved_card(localstripe, number: str) -> str:
    """A card the client typed on the Checkout page: a payment method at Stripe."""
    form = f"type=card&card[number]={number}&card[exp_month]=12&card[exp_year]=2030&card[cvc]=123"
    return stripe_api(localstripe, "POST", "/v1/payment_methods", form)["id"]


def intents_for(localstripe, charge_id: str) -> list[dict]:
    listed = stripe_api(localstripe, "GET", "/v1/payment_intents?limit=1000")["data"]
    return [pi for pi in listed if pi["metadata"].get("ispcube_charge") == charge_id]


def charges_in_db(runtime) -> list[dict]:
    with runtime.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(
            "SELECT id, status, entry_id, payment_intent_id, open_client_id, attempts, failure "
            "FROM stripe_charges ORDER BY created_at"))]


def receipts(cli, code: str) -> list[dict]:
    return [r for r in cli.json("ledger", "show", code) if r["document"].startswith("receipt")]


class Outputs:
    """Everything the commands printed, to prove the API key never shows."""

    def __init__(self, cli):
        self.cli, self.seen = cli, []

    def __call__(self, *args, **kwargs):
        result = self.cli(*args, **kwargs)
        self.seen.append(result.stdout + result.stderr)
        return result

    def ok(self, *args):
        result = self(*args)
        assert result.exit_code == 0, f"{args}: {result.stderr}"
        return result

    def assert_key_never_printed(self):
        log = self.cli.ok("client", "log", "A1").stdout
        assert all(API_KEY not in text for text in self.seen + [log])
        assert all(API_KEY[8:] not in text for text in self.seen + [log])


@pytest.fixture
def shop(cli, proxy):
    cli.ok("client", "add", "--code", "A1", "--name", "Juana Pérez", "--email", "juana@example.org",
           "--phone", "011 4555-1234")
    cli.ok("ledger", "adjust", "A1", "--debit", "9500", "--reason", "abono")
    return Outputs(cli)


def with_card(shop, localstripe, number: str = "4242424242424242") -> None:
    shop.ok("stripe", "link", "A1")
    shop.ok("stripe", "set-card", "A1", saved_card(localstripe, number))


def test_link_set_card_and_charge(shop, proxy, localstripe, runtime):
    linked = shop.ok("stripe", "link", "A1")
    assert linked.stdout.splitlines()[-1] == "https://checkout.stripe.com/c/pay/cs_test_0001"
    session = proxy.sessions[0]
    assert (session["mode"], session["client_reference_id"]) == ("setup", "A1")
    assert session["success_url"] == "https://isp.example/tarjeta-guardada"
    customer = stripe_api(localstripe, "GET", f"/v1/customers/{session['customer']}")
    assert (customer["name"], customer["email"]) == ("Juana Pérez", "juana@example.org")
    shop.ok("stripe", "link", "A1")
    assert proxy.sessions[1]["customer"] == session["customer"]   # one customer per client

    saved = shop.ok("stripe", "set-card", "A1", saved_card(localstripe, "4242424242424242"))
    assert saved.stdout == "card visa ****4242 exp 2030-12 saved for client A1\n"
    assert shop.cli.json("client", "show", "A1")["card"] == "visa ****4242 exp 2030-12"

    charged = shop.ok("stripe", "charge", "A1", "9500")
    assert charged.stdout.startswith("charged 9500.00 ARS to client A1 (visa ****4242 exp 2030-12): receipt 1, "
                                     "balance 0.00")
    [record] = charges_in_db(runtime)
    assert (record["status"], record["open_client_id"], record["attempts"]) == ("succeeded", None, 1)
    [intent] = intents_for(localstripe, record["id"])
    assert (intent["status"], intent["amount"], intent["currency"]) == ("succeeded", 950000, "ars")
    assert intent["id"] == record["payment_intent_id"]
    assert proxy.charge_posts()[0]["Idempotency-Key"] == f"ispcube-{record['id']}"
    [receipt] = receipts(shop.cli, "A1")
    assert (receipt["credit"], receipt["balance"]) == ("9500.00", "0.00") and intent["id"] in receipt["comment"]
    shop.assert_key_never_printed()


def client_log(cli, code: str) -> list[dict]:
    return cli.json("client", "log", code)


@pytest.mark.parametrize("number, why", [
    ("4000000000000341", "was declined (card_declined"),
    ("4000002760003184", "needs the cardholder's authentication"),
])
def test_declined_or_authentication_required_closes_the_attempt(shop, proxy, localstripe, runtime, number, why):
    with_card(shop, localstripe, number)
    refused = shop("stripe", "charge", "A1", "9500")
    assert refused.exit_code == 3 and why in refused.stderr
    assert "9500.00 ARS was not charged and no payment was recorded" in refused.stderr
    assert "the failed attempt is kept in `ispcube client log A1`" in refused.stderr
    assert "earlier attempt" not in refused.stderr
    assert receipts(shop.cli, "A1") == [] and shop.cli.json("client", "show", "A1")["balance"] == "9500.00"
    [record] = charges_in_db(runtime)
    assert (record["status"], record["open_client_id"], record["entry_id"]) == ("failed", None, None)
    assert any(e["kind"].startswith("stripe.") and "not made" in e["message"] for e in client_log(shop.cli, "A1"))
    again = shop("stripe", "charge", "A1", "9500")           # a new attempt, not "an earlier one"
    assert again.exit_code == 3 and why in again.stderr and "earlier attempt" not in again.stderr
    assert [r["status"] for r in charges_in_db(runtime)] == ["failed", "failed"]
    assert len(proxy.charge_posts()) == 2
    assert len({headers["Idempotency-Key"] for headers in proxy.charge_posts()}) == 2
    shop.assert_key_never_printed()


def test_a_request_stripe_turns_down_closes_the_attempt(shop, proxy, localstripe, runtime):
    with_card(shop, localstripe)
    customer = shop.cli.json("client", "show", "A1")
    [session] = proxy.sessions
    stripe_api(localstripe, "DELETE", f"/v1/customers/{session['customer']}")   # deleted on the dashboard
    refused = shop("stripe", "charge", "A1", "9500")
    assert refused.exit_code == 3, refused.stderr
    assert "the card charge to client A1 (visa ****4242 exp 2030-12) was refused: Stripe refused" in refused.stderr
    assert "9500.00 ARS was not charged and no payment was recorded" in refused.stderr
    [record] = charges_in_db(runtime)
    assert (record["status"], record["open_client_id"]) == ("failed", None)
    assert any(e["kind"] == "stripe.refused" for e in client_log(shop.cli, "A1"))
    other = shop("stripe", "charge", "A1", "100")             # nothing left pending
    assert other.exit_code == 3 and "unfinished" not in other.stderr
    assert [r["status"] for r in charges_in_db(runtime)] == ["failed", "failed"]
    assert shop.cli.json("client", "show", "A1")["balance"] == customer["balance"]


def test_link_that_stores_the_customer_and_then_fails_says_so(shop, proxy, runtime):
    proxy.refuse_next_session = True
    first = shop("stripe", "link", "A1")
    assert first.exit_code == 3, first.stderr
    [created] = [e for e in client_log(shop.cli, "A1") if e["kind"] == "stripe.customer"]
    customer = created["message"].split()[2]
    assert customer.startswith("cus_")
    assert (f"client A1 is now Stripe customer {customer} (stored), but the Checkout link was not made: "
            "Stripe refused to create the Checkout session: Checkout is not enabled") in first.stderr
    assert "nothing was changed" not in first.stderr
    proxy.refuse_next_session = True
    second = shop("stripe", "link", "A1")                   # the customer was there: nothing changes
    assert second.exit_code == 1 and "Stripe refused to create the Checkout session" in second.stderr
    assert "stored" not in second.stderr
    linked = shop.ok("stripe", "link", "A1")
    assert proxy.sessions[0]["customer"] == customer
    assert linked.stdout.startswith(f"client A1 is Stripe customer {customer}")


def test_set_card_that_stores_the_customer_and_then_fails_says_so(shop, localstripe):
    declined = shop("stripe", "set-card", "A1", saved_card(localstripe, "4000000000000002"))
    assert declined.exit_code == 3 and "(stored), but the card was not saved" in declined.stderr
    assert "declined" in declined.stderr
    assert [e["kind"] for e in client_log(shop.cli, "A1") if e["kind"].startswith("stripe.")] == ["stripe.customer"]
    assert shop.cli.json("client", "show", "A1")["card"] is None
    again = shop("stripe", "set-card", "A1", saved_card(localstripe, "4000000000000002"))
    assert again.exit_code == 1 and "stored" not in again.stderr


def test_set_card_refuses_a_payment_method_that_is_not_a_card_before_attaching_it(shop, localstripe):
    shop.ok("stripe", "link", "A1")
    form = "type=sepa_debit&sepa_debit[iban]=DE89370400440532013000"
    sepa = stripe_api(localstripe, "POST", "/v1/payment_methods", form)["id"]
    refused = shop("stripe", "set-card", "A1", sepa)
    assert refused.exit_code == 1 and f"{sepa} is a sepa_debit payment method, not a card" in refused.stderr
    assert stripe_api(localstripe, "GET", f"/v1/payment_methods/{sepa}")["customer"] is None
    assert shop.cli.json("client", "show", "A1")["card"] is None


def test_set_card_saved_but_not_made_the_default_says_so(shop, proxy, localstripe):
    shop.ok("stripe", "link", "A1")
    proxy.refuse_next_customer_update = True
    result = shop("stripe", "set-card", "A1", saved_card(localstripe, "4242424242424242"))
    assert result.exit_code == 3, result.stderr
    assert ("card visa ****4242 exp 2030-12 saved for client A1 (charges use it), but it is not the "
            "customer's default at Stripe") in result.stderr
    assert shop.cli.json("client", "show", "A1")["card"] == "visa ****4242 exp 2030-12"
    shop.ok("stripe", "charge", "A1", "9500")


def test_timeout_after_stripe_charged_then_run_again_charges_once(shop, proxy, localstripe, runtime):
    with_card(shop, localstripe)
    proxy.lose_next_charge_answer = True
    lost = shop("stripe", "charge", "A1", "9500")
    assert lost.exit_code == 3 and "no definite answer from Stripe (APIConnectionError" in lost.stderr
    assert "it is not known whether 9500.00 ARS was charged to the card of client A1" in lost.stderr
    assert "stays pending, no payment recorded" in lost.stderr
    assert "run `ispcube stripe charge A1 9500.00` again" in lost.stderr
    [pending] = charges_in_db(runtime)
    assert pending["status"] == "pending" and receipts(shop.cli, "A1") == []
    assert [pi["status"] for pi in intents_for(localstripe, pending["id"])] == ["succeeded"]  # money taken

    other = shop("stripe", "charge", "A1", "100")
    assert other.exit_code == 1 and "unfinished card charge of 9500.00" in other.stderr
    assert charges_in_db(runtime) == [pending]

    again = shop.ok("stripe", "charge", "A1", "9500")
    assert "charged by an earlier attempt whose answer was lost; recorded now, once" in again.stdout
    assert len(proxy.charge_posts()) == 1                     # found at Stripe, not sent again
    assert len(intents_for(localstripe, pending["id"])) == 1
    assert len(receipts(shop.cli, "A1")) == 1 and shop.cli.json("client", "show", "A1")["balance"] == "0.00"
    [done] = charges_in_db(runtime)
    assert (done["status"], done["attempts"], done["open_client_id"]) == ("succeeded", 1, None)
    shop.assert_key_never_printed()


def test_request_lost_before_stripe_then_run_again_charges_once(shop, proxy, localstripe, runtime):
    with_card(shop, localstripe)
    proxy.drop_next_charge = True
    lost = shop("stripe", "charge", "A1", "9500")
    assert lost.exit_code == 3 and "stays pending" in lost.stderr
    [pending] = charges_in_db(runtime)
    assert intents_for(localstripe, pending["id"]) == []
    again = shop.ok("stripe", "charge", "A1", "9500")
    assert "Stripe had no charge from the earlier unfinished attempt; sent again with the same key" in again.stdout
    assert "charged by an earlier attempt" not in again.stdout
    keys = [headers["Idempotency-Key"] for headers in proxy.charge_posts()]
    assert keys == [f"ispcube-{pending['id']}"] * 2
    assert len(intents_for(localstripe, pending["id"])) == 1 and len(receipts(shop.cli, "A1")) == 1
    [done] = charges_in_db(runtime)
    assert (done["status"], done["attempts"]) == ("succeeded", 2)


def test_json_says_whether_the_earlier_attempt_was_charged_or_sent_again(shop, proxy, localstripe):
    with_card(shop, localstripe)
    proxy.drop_next_charge = True
    assert shop("stripe", "charge", "A1", "100").exit_code == 3
    sent_again = shop.cli.json("stripe", "charge", "A1", "100")
    assert (sent_again["resumed"], sent_again["retried"]) == (False, True)
    proxy.lose_next_charge_answer = True
    assert shop("stripe", "charge", "A1", "200").exit_code == 3
    found = shop.cli.json("stripe", "charge", "A1", "200")
    assert (found["resumed"], found["retried"]) == (True, False)


def test_bad_requests_change_nothing(shop, localstripe, runtime):
    no_card = shop("stripe", "charge", "A1", "10")
    assert no_card.exit_code == 1 and "client A1 has no saved card" in no_card.stderr
    with_card(shop, localstripe)
    for amount, error in (("1e3", "amount '1e3' is not an amount"), ("0", "must be greater than zero"),
                          ("10.0015", "more than 2 decimals")):
        result = shop("stripe", "charge", "A1", amount)
        assert result.exit_code == 1 and error in result.stderr, amount
    bad_pm = shop("stripe", "set-card", "A1", "4242424242424242")
    assert bad_pm.exit_code == 1 and "is not a Stripe payment method id" in bad_pm.stderr
    declined = shop("stripe", "set-card", "A1", saved_card(localstripe, "4000000000000002"))
    assert declined.exit_code == 1 and "declined" in declined.stderr
    assert shop.cli.json("client", "show", "A1")["card"] == "visa ****4242 exp 2030-12"
    unknown = shop("stripe", "charge", "ZZ1", "10")
    assert unknown.exit_code == 1 and "client 'ZZ1' does not exist" in unknown.stderr
    shop.cli.ok("operator", "add", "--name", "beto", "--role", "collector")
    other_collector = shop("--operator", "beto", "stripe", "charge", "A1", "10")
    assert other_collector.exit_code == 1 and "client 'A1' does not exist" in other_collector.stderr
    assert charges_in_db(runtime) == [] and receipts(shop.cli, "A1") == []


def test_api_key_from_the_config_file_never_from_a_flag(shop, localstripe, monkeypatch, tmp_path):
    monkeypatch.delenv("STRIPE_API_KEY")
    missing = shop("stripe", "link", "A1")
    assert missing.exit_code == 1 and "no Stripe API key: set STRIPE_API_KEY" in missing.stderr
    config = tmp_path / "xdg-config" / "ispcube" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'stripe_api_key = "{API_KEY}"\n')
    os.chmod(config, 0o644)
    loose = shop("stripe", "link", "A1")
    assert loose.exit_code == 1 and "chmod 600" in loose.stderr
    os.chmod(config, 0o600)
    shop.ok("stripe", "link", "A1")
    monkeypatch.setenv("STRIPE_API_KEY", "rk_" + API_KEY[3:])
    wrong = shop("stripe", "link", "A1")
    assert wrong.exit_code == 1 and "Stripe refused the API key" in wrong.stderr
    assert shop.cli("stripe", "link", "A1", "--api-key", API_KEY).exit_code == 2
    shop.assert_key_never_printed()


def test_saved_card_columns_match_the_models():
    from ispcube.db.all_models import metadata
    from ispcube.services.clients.card import CLIENT_CARDS
    for column in CLIENT_CARDS.c:
        assert column.name in metadata.tables["clients"].c, column.name
