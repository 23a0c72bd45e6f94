"""`payments fetch mercadopago` (G2-G4) against the simulated Mercado Pago API on loopback.

Every approved payment is posted exactly once whatever the pages, retries and overlaps do;
refunds and chargebacks reverse once; unmatched payments are named and posted by a later fetch
once the client is fixed; a cut client who pays gets service back; the token is never shown.
The fetch runs as the command does: its service, with the clock moved forward and the waits
recorded, or the command itself.
"""

from contextlib import ExitStack
from datetime import datetime, timedelta
import os
from pathlib import Path
import subprocess
import sys
import threading

import pytest

from ispcube.adapters.mercadopago import MercadoPagoApi
from ispcube.db.engine import get_engine
from ispcube.services.payments.mercadopago.fetch import fetch_mercadopago
from ispcube.services.process.runtime import Runtime
from ispcube.sim.mercadopago import MercadoPagoSimulator
from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators

TOKEN = "APP_USR-7781-secret-access-token"
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    """The ISP's clock and the API's, moved together. It starts at the real time, as the
    command's own clock does (a fetch run as the command searches up to now); nothing here
    depends on which day that is."""

    def __init__(self) -> None:
        self.now = datetime.now().replace(microsecond=0)

    def local(self) -> datetime:
        return self.now

    def aware(self) -> datetime:
        return self.now.astimezone()

    def hours_ago(self, hours: float) -> datetime:
        return (self.now - timedelta(hours=hours)).astimezone()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def mp(clock):
    with MercadoPagoSimulator(TOKEN, clock=clock.aware, retry_after=7) as simulator:
        yield simulator


@pytest.fixture
def shop(cli, mp):
    """M1 (DNI 20345678) owes 1500, M2 (DNI 27111222) owes 800, M3 (no ID) owes 300."""
    cli.ok("config", "set", "mercadopago.url", mp.url)
    for code, id_number, debt in (("M1", "20345678", "1500"), ("M2", "27111222", "800"), ("M3", None, "300")):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--payment-method", "mercadopago",
               *(("--id-type", "DNI", "--id-number", id_number) if id_number else ()))
        cli.ok("ledger", "adjust", code, "--debit", debt, "--reason", "cuota")
    return cli


def fetch(cli, clock, mp, waits=None, **options):
    """One fetch, as the command runs it, with the day fixed and the waits recorded."""
    rt = Runtime(engine=get_engine(cli.url), clock=clock.local)
    api = MercadoPagoApi(TOKEN, mp.url, sleep=(waits if waits is not None else []).append)
    return fetch_mercadopago(rt, api, **options)


def balance(cli, code: str) -> str:
    return cli.json("client", "show", code)["balance"]


def receipts(cli, code: str) -> list:
    return [e for e in cli.json("ledger", "show", code) if e["kind"] == "receipt"]


def test_every_approved_payment_is_posted_once_whatever_the_pages_retries_and_overlaps(shop, mp, clock):
    # 230 payments over three hours (three pages of 100), one pending and one rejected among them.
    paid = [mp.add_payment(transaction_amount="10.00", id_number="20345678", at=clock.hours_ago(3 - n / 100))
            for n in range(230)]
    mp.add_payment(transaction_amount="800", id_number="27111222", status="pending", at=clock.hours_ago(2))
    mp.add_payment(transaction_amount="300", id_number="27111222", status="rejected", at=clock.hours_ago(2))
    mp.script_search({2: "429", 3: "500", 4: "repeat"})
    waits: list[float] = []
    first = fetch(shop, clock, mp, waits)
    assert waits == [7.0, 1.0]                      # Retry-After, then the second backoff step
    assert len(first.run.posted) == 230 and first.run.total == 2300
    assert {p["matched_by"] for p in first.run.posted} == {"id_number"}
    assert {p["reference"] for p in first.run.posted} == {str(i) for i in paid}
    assert sorted(s["reason"] for s in first.skipped) == ["pending: not paid (yet)", "rejected: not paid (yet)"]
    assert balance(shop, "M1") == "-800.00"
    # An hour later the overlap (60 minutes) reaches back over the last 30 payments: none twice.
    clock.now += timedelta(hours=1)
    again = fetch(shop, clock, mp)
    assert again.run.posted == [] and again.run.already == again.seen == 30
    clock.now += timedelta(minutes=20)
    mp.add_payment(transaction_amount="10.00", id_number="20345678", at=clock.hours_ago(0.5))
    overlap = fetch(shop, clock, mp)
    assert len(overlap.run.posted) == 1 and balance(shop, "M1") == "-810.00"
    assert len(receipts(shop, "M1")) == 231


def test_a_payment_approved_after_the_cursor_passed_it_is_posted_by_the_next_fetch(shop, mp, clock):
    late = mp.add_payment(transaction_amount="800", id_number="27111222", status="pending", at=clock.hours_ago(2))
    # The API lists the approval late: its update time lies before where this fetch stops.
    mp.update_when_served(late, status="approved", at=clock.hours_ago(0.25))
    first = fetch(shop, clock, mp)
    assert first.run.posted == [] and [s["reference"] for s in first.skipped] == [str(late)]
    clock.now += timedelta(minutes=15)
    second = fetch(shop, clock, mp)
    assert [(p["reference"], p["client"]) for p in second.run.posted] == [(str(late), "M2")]
    assert balance(shop, "M2") == "0.00"
    assert fetch(shop, clock, mp).run.posted == []


def test_a_refund_and_a_chargeback_reverse_the_payment_once(shop, mp, clock):
    paid = mp.add_payment(transaction_amount="1500", id_number="20345678", at=clock.hours_ago(1))
    fetch(shop, clock, mp)
    assert balance(shop, "M1") == "0.00"
    clock.now += timedelta(minutes=15)
    mp.update(paid, status="refunded", at=clock.aware())
    clock.now += timedelta(minutes=15)
    refunded = fetch(shop, clock, mp)
    assert [(r["reference"], r["client"], r["credit"]) for r in refunded.run.reversed] == [(str(paid), "M1", str(paid))]
    assert balance(shop, "M1") == "1500.00"
    dx = [e for e in shop.json("ledger", "show", "M1") if e["kind"] == "dx"]
    assert len(dx) == 2 and "Mercado Pago" in dx[-1]["comment"]
    clock.now += timedelta(minutes=15)
    mp.update(paid, status="charged_back", at=clock.aware())
    clock.now += timedelta(minutes=15)
    charged_back = fetch(shop, clock, mp)
    assert charged_back.run.reversed == [] and charged_back.run.already == 1
    assert balance(shop, "M1") == "1500.00"
    # Taken back before any fetch saw it paid: nothing to reverse, nothing posted.
    never = mp.add_payment(transaction_amount="800", id_number="27111222", at=clock.hours_ago(0.1))
    mp.update(never, status="refunded", at=clock.hours_ago(0.05))
    skipped = fetch(shop, clock, mp)
    assert skipped.run.reversed == [] and skipped.run.posted == []
    assert [s["reason"] for s in skipped.skipped] == ["taken back before it was posted: nothing to reverse"]
    assert balance(shop, "M2") == "800.00"


def test_an_unmatched_payment_is_named_and_posted_by_a_later_fetch_once_the_client_is_fixed(shop, mp, clock):
    stray = mp.add_payment(transaction_amount="300", id_number="33444555", at=clock.hours_ago(1))
    first = shop("payments", "fetch", "mercadopago", env={"ISPCUBE_MERCADOPAGO_TOKEN": TOKEN})
    assert first.exit_code == 3
    assert f"ispcube: payment {stray} (300.00, " in first.stderr
    assert "not posted: no client has ID number 33444555" in first.stderr
    assert first.stderr.splitlines()[-1] == ("ispcube: 1 payment(s) not matched (named above); nothing else was "
                                             "posted")
    assert TOKEN not in first.stdout + first.stderr
    # Days later (far outside any overlap) the client's ID number is put right: the next fetch posts it.
    shop.ok("client", "edit", "M3", "--id-type", "DNI", "--id-number", "33444555")
    clock.now += timedelta(days=3)
    later = fetch(shop, clock, mp)
    assert [(p["reference"], p["client"], p["matched_by"]) for p in later.run.posted] == [(str(stray), "M3",
                                                                                           "id_number")]
    assert balance(shop, "M3") == "0.00"
    assert fetch(shop, clock, mp).run.posted == []


def test_a_cut_client_who_pays_gets_service_back_on_its_router(cli, mp, clock):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        add_client(cli, "K1", "core", "10.0.0.11", debt="950.50", extra=("--id-type", "DNI", "--id-number",
                                                                          "20345678"))
        cli.ok("config", "set", "mercadopago.url", mp.url)
        assert cli.json("enforce")["cut"] == 1 and cut_list(core) == {"10.0.0.11": "K1"}
        mp.add_payment(transaction_amount="950.50", id_number="20.345.678", at=clock.hours_ago(1))
        done = fetch(cli, clock, mp)
        assert [e["client"] for e in done.run.enabled] == ["K1"]
        assert done.run.enabled[0]["routers"][0]["status"] == "done"
        assert cut_list(core) == {} and cli.json("client", "show", "K1")["service"] == "active"
        assert cli.json("enforce")["cut"] == 0


def test_the_token_is_never_shown(shop, mp, clock):
    env = {"ISPCUBE_MERCADOPAGO_TOKEN": TOKEN}
    mp.add_payment(transaction_amount="1500", id_number="20345678", at=clock.hours_ago(1))
    outputs = [shop("payments", "fetch", "mercadopago", env=env),
               shop("--format", "json", "payments", "fetch", "mercadopago", env=env)]
    refused = shop("payments", "fetch", "mercadopago", env={"ISPCUBE_MERCADOPAGO_TOKEN": TOKEN + "-old"})
    assert refused.exit_code == 1
    assert refused.stderr == ("ispcube: Mercado Pago refused the access token while trying to search the payments "
                              "(check ISPCUBE_MERCADOPAGO_TOKEN or mercadopago_token in the config file)\n")
    mp.stop()
    down = shop("payments", "fetch", "mercadopago", env=env)
    assert down.exit_code == 1 and "Mercado Pago did not answer while trying to search the payments" in down.stderr
    missing = shop("payments", "fetch", "mercadopago")
    assert missing.exit_code == 1 and "no Mercado Pago access token: set ISPCUBE_MERCADOPAGO_TOKEN" in missing.stderr
    for result in [*outputs, refused, down, missing]:
        assert TOKEN not in result.stdout + result.stderr
    assert [r.exit_code for r in outputs] == [0, 0]
    assert shop.json("client", "show", "M1")["balance"] == "0.00"


def test_a_second_fetch_while_one_runs_exits_75_and_each_payment_is_posted_once(shop, mp, clock):
    for n in range(3):
        mp.add_payment(transaction_amount="100", id_number="20345678", at=clock.hours_ago(1 + n))
    searching, release = threading.Event(), threading.Event()
    plain = mp.handle

    def held(method, target, headers, body):
        if "/v1/payments/search" in target and not release.is_set():
            searching.set()
            release.wait(30)
        return plain(method, target, headers, body)
    mp.handle = held
    outcome: dict = {}
    first = threading.Thread(target=lambda: outcome.update(run=fetch(shop, clock, mp)))
    first.start()
    try:
        assert searching.wait(30)                    # the first fetch holds the job lock, mid-search
        second = shop("payments", "fetch", "mercadopago", env={"ISPCUBE_MERCADOPAGO_TOKEN": TOKEN})
        assert second.exit_code == 75
        assert second.stderr == ("ispcube: another `ispcube payments fetch mercadopago` run holds the lock; try "
                                 "again later\n")
    finally:
        release.set()
        first.join(30)
    assert len(outcome["run"].run.posted) == 3
    assert fetch(shop, clock, mp).run.posted == []
    assert balance(shop, "M1") == "1200.00"


def test_the_cron_job_fetches_every_15_minutes_silently_and_names_what_it_could_not_match(shop, mp, clock,
                                                                                          db_url, tmp_path):
    line = next(line for line in (ROOT / "crontab.example").read_text().splitlines() if "mercadopago-fetch" in line)
    assert line.startswith("#*/15 *") and line.endswith("/opt/ispcube/jobs/ispcube-job mercadopago-fetch")
    mp.add_payment(transaction_amount="1500", id_number="20345678", at=clock.hours_ago(1))
    env = {**os.environ, "ISPCUBE_DATABASE_URL": db_url, "ISPCUBE_LOG_DIR": str(tmp_path / "logs"),
           "ISPCUBE_BIN": str(Path(sys.executable).with_name("ispcube")), "ISPCUBE_MERCADOPAGO_TOKEN": TOKEN}
    job = [str(ROOT / "jobs" / "ispcube-job"), "mercadopago-fetch"]
    done = subprocess.run(job, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    log = (tmp_path / "logs" / "mercadopago-fetch.log").read_text()
    assert "posted 1 for 1500.00 ARS" in log and TOKEN not in log
    stray = mp.add_payment(transaction_amount="10", id_number="99888777", at=clock.hours_ago(0.5))
    failed = subprocess.run(job, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 3 and f"payment {stray}" in failed.stderr and TOKEN not in failed.stderr
    assert balance(shop, "M1") == "0.00"
