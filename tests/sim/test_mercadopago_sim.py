"""The simulated Mercado Pago API over HTTP: what it answers, and the switches the fetch is tested with."""

from datetime import datetime, timedelta, timezone

import pytest
import requests

from ispcube.sim.mercadopago import MercadoPagoSimulator, stamp

TOKEN = "APP_USR-5150-simulated-token"
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=timezone(timedelta(hours=-3)))
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def mp():
    with MercadoPagoSimulator(TOKEN, clock=lambda: NOW) as simulator:
        yield simulator


def search(mp, **params):
    query = {"sort": "date_last_updated", "criteria": "asc", "range": "date_last_updated",
             "begin_date": stamp(NOW - timedelta(days=1)), "end_date": stamp(NOW), **params}
    return requests.get(f"{mp.url}/v1/payments/search", params=query, headers=AUTH, timeout=10)


def test_a_request_without_the_accounts_token_is_refused(mp):
    for headers in ({}, {"Authorization": "Bearer APP_USR-other"}):
        reply = requests.get(f"{mp.url}/v1/payments/search", headers=headers, timeout=10)
        assert reply.status_code == 401
        assert reply.json()["error"] == "unauthorized"


def test_a_preference_is_created_once_per_idempotency_key(mp):
    body = {"items": [{"title": "Deuda C0001", "quantity": 1, "unit_price": 1500.5, "currency_id": "ARS"}],
            "external_reference": "C0001/7", "back_urls": {"success": "https://isp.example/gracias"}}
    first = requests.post(f"{mp.url}/checkout/preferences", json=body,
                          headers={**AUTH, "X-Idempotency-Key": "k-1"}, timeout=10)
    again = requests.post(f"{mp.url}/checkout/preferences", json=body,
                          headers={**AUTH, "X-Idempotency-Key": "k-1"}, timeout=10)
    other = requests.post(f"{mp.url}/checkout/preferences", json=body,
                          headers={**AUTH, "X-Idempotency-Key": "k-2"}, timeout=10)
    assert first.status_code == again.status_code == other.status_code == 201
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]
    assert first.json()["init_point"].endswith(f"pref_id={first.json()['id']}")
    assert first.json()["external_reference"] == "C0001/7"
    assert len(mp.preferences) == 2
    refused = requests.post(f"{mp.url}/checkout/preferences", json={"items": []}, headers=AUTH, timeout=10)
    assert refused.status_code == 400


def test_opening_the_link_pays_the_preference_with_its_reference_and_total(mp):
    body = {"items": [{"title": "Deuda", "quantity": 2, "unit_price": 100.25, "currency_id": "ARS"}],
            "external_reference": "C0002/3"}
    link = requests.post(f"{mp.url}/checkout/preferences", json=body, headers=AUTH, timeout=10).json()["init_point"]
    paid = requests.get(link, timeout=10).json()
    payment = requests.get(f"{mp.url}/v1/payments/{paid['payment_id']}", headers=AUTH, timeout=10).json()
    assert (payment["status"], payment["transaction_amount"], payment["external_reference"]) == \
        ("approved", 200.5, "C0002/3")
    assert requests.get(f"{mp.url}/v1/payments/5", headers=AUTH, timeout=10).status_code == 404


def test_the_search_pages_by_date_last_updated_within_the_range(mp):
    ids = [mp.add_payment(transaction_amount="100", id_number=f"2000000{n}", at=NOW - timedelta(hours=10 - n))
           for n in range(5)]
    mp.add_payment(transaction_amount="100", at=NOW - timedelta(days=3))      # before the range
    first = search(mp, offset=0, limit=2).json()
    second = search(mp, offset=2, limit=2).json()
    last = search(mp, offset=4, limit=2).json()
    assert first["paging"] == {"total": 5, "limit": 2, "offset": 0}
    assert [p["id"] for p in first["results"] + second["results"] + last["results"]] == ids
    assert first["results"][0]["payer"]["identification"] == {"type": "DNI", "number": "20000000"}
    assert first["results"][0]["date_last_updated"] == "2026-12-05T00:00:00.000-03:00"
    newest = search(mp, criteria="desc", limit=1).json()["results"]
    assert [p["id"] for p in newest] == [ids[-1]]
    assert search(mp, begin_date="NOW-2DAYS", end_date="NOW", limit=100).json()["paging"]["total"] == 5
    assert search(mp, limit=0).status_code == 400
    assert search(mp, begin_date="yesterday").status_code == 400


def test_scripted_answers_come_in_the_middle_of_a_search(mp):
    mp.add_payment(transaction_amount="100", at=NOW - timedelta(hours=2))
    mp.add_payment(transaction_amount="200", at=NOW - timedelta(hours=1))
    mp.retry_after = 3
    mp.script_search({2: "429", 3: "500", 5: "repeat"})
    assert search(mp, limit=1).status_code == 200
    throttled = search(mp, offset=1, limit=1)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "3")
    assert search(mp, offset=1, limit=1).status_code == 500
    page = search(mp, offset=1, limit=1).json()
    assert search(mp, offset=2, limit=1).json() == page           # the page before, again
    assert search(mp, offset=2, limit=1).json()["results"] == []


def test_a_payment_can_change_after_a_search_served_it(mp):
    paid = mp.add_payment(transaction_amount="300", at=NOW - timedelta(hours=3))
    mp.update_when_served(paid, status="refunded", at=NOW - timedelta(hours=2))
    assert search(mp).json()["results"][0]["status"] == "approved"
    again = search(mp).json()["results"][0]
    assert (again["status"], again["date_last_updated"]) == ("refunded", stamp(NOW - timedelta(hours=2)))
    assert again["transaction_amount_refunded"] == 300
    mp.update(paid, status="charged_back")
    assert search(mp, status="charged_back").json()["paging"]["total"] == 1
