"""Mercado Pago's REST API over plain HTTPS (requests): Checkout Pro preferences and the payments search.

Plain HTTP rather than the `mercadopago` SDK: the three calls are small JSON requests, the
project already ships `requests`, and the SDK's own retries sleep for real and know nothing of
`Retry-After`; here every retry is ours, bounded, and waits through an injected `sleep`, so the
tests run a 429 and a 500 in no time.

A 429 or a 5xx answer, and a request that got no answer, is sent again up to `ATTEMPTS` times,
waiting what `Retry-After` asks (at most `MAX_WAIT_S`) or a doubling backoff. Creating a
preference sends an `X-Idempotency-Key`, so a retried creation gets the same preference back.
The access token travels only in the `Authorization` header; no message names it (any text
that reaches an error has it blanked).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
import json
import time
from typing import Any

from ispcube import config_file
from ispcube.errors import Invalid, Refused

DEFAULT_URL = "https://api.mercadopago.com"
TOKEN_ENV = "ISPCUBE_MERCADOPAGO_TOKEN"
ATTEMPTS = 5
MAX_WAIT_S = 60.0
FIRST_WAIT_S = 0.5
TIMEOUT_S = 30.0
PAGE = 100                      # payments per search page (the API takes up to 1000)
MAX_PAGES = 10_000              # a search that never ends is an error, not a loop


@dataclass(frozen=True)
class Preference:
    id: str
    link: str                   # init_point: the page where the client pays


@dataclass(frozen=True)
class Page:
    total: int
    results: list[dict[str, Any]]


def token_from_environment() -> str:
    """The access token from ISPCUBE_MERCADOPAGO_TOKEN or the 0600 config file."""
    token = config_file.value("mercadopago_token", TOKEN_ENV)
    if not token:
        raise Invalid(f"no Mercado Pago access token: set {TOKEN_ENV}, or mercadopago_token in the config file "
                      f"{config_file.config_path()} (chmod 600)")
    return token


class MercadoPagoApi:
    def __init__(self, token: str, base_url: str = DEFAULT_URL, *, timeout: float = TIMEOUT_S,
                 sleep: Callable[[float], None] = time.sleep, attempts: int = ATTEMPTS) -> None:
        import requests
        self._requests = requests
        self._token = token
        self._base = (base_url or DEFAULT_URL).rstrip("/")
        self._timeout = timeout
        self._sleep = sleep
        self._attempts = attempts
        self._session = requests.Session()
        self._session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
        self.waited: list[float] = []          # the waits between attempts, for whoever wants to know

    def create_preference(self, *, key: str, title: str, amount: Decimal, currency: str, external_reference: str,
                          expires_at: datetime | None = None, back_url: str | None = None) -> Preference:
        """A Checkout Pro preference for AMOUNT; KEY makes a repeated request get the same one."""
        body: dict[str, Any] = {
            "items": [{"id": external_reference, "title": title[:256], "quantity": 1,
                       "unit_price": float(amount), "currency_id": currency}],
            "external_reference": external_reference}
        if expires_at is not None:
            body.update({"expires": True, "expiration_date_to": expires_at.isoformat(timespec="milliseconds")})
        if back_url:
            body["back_urls"] = {"success": back_url, "pending": back_url, "failure": back_url}
        answer = self._call("POST", "/checkout/preferences", "create the payment link", json_body=body,
                            headers={"X-Idempotency-Key": key})
        if not isinstance(answer.get("id"), str) or not isinstance(answer.get("init_point"), str):
            raise Refused("Mercado Pago's answer to the payment link has no id or init_point")
        return Preference(answer["id"], answer["init_point"])

    def search_updated(self, begin: datetime, end: datetime, offset: int, limit: int = PAGE) -> Page:
        """One page of the payments last updated from BEGIN to END, oldest update first."""
        answer = self._call("GET", "/v1/payments/search", "search the payments", params={
            "sort": "date_last_updated", "criteria": "asc", "range": "date_last_updated",
            "begin_date": begin.isoformat(timespec="milliseconds"), "end_date": end.isoformat(timespec="milliseconds"),
            "offset": offset, "limit": limit})
        results, paging = answer.get("results"), answer.get("paging")
        if not isinstance(results, list) or not isinstance(paging, dict):
            raise Refused("Mercado Pago's answer to the payments search has no results or paging")
        return Page(int(paging.get("total") or 0), [r for r in results if isinstance(r, dict)])

    def updated_between(self, begin: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Every payment last updated from BEGIN to END, each once, whatever the pages do.

        Pages are asked by date, not only by offset: after each full page the search starts
        again at the newest update it saw (an update moves a payment to the end, which would
        shift an offset and skip one); a page holding updates before the one asked from is an
        earlier page served again, and is asked again; a payment met twice is given once."""
        seen: set[Any] = set()
        offset, start, stale = 0, begin, 0
        for _ in range(MAX_PAGES):
            page = self.search_updated(start, end, offset)
            for payment in page.results:
                if payment.get("id") not in seen:
                    seen.add(payment.get("id"))
                    yield payment
            updated = [_when(p.get("date_last_updated")) for p in page.results]
            if any(when is not None and when < start for when in updated):
                stale += 1               # the answer to an earlier page, served again: ask once more
                if stale >= self._attempts:
                    raise Refused("Mercado Pago's payments search kept answering with a page already read; "
                                  "nothing was posted, try again later")
                continue
            stale = 0
            if len(page.results) < PAGE:
                return
            newest = updated[-1]
            if newest is not None and newest > start:
                start, offset = newest, 0
            else:
                offset += PAGE           # a page of payments updated in one instant: step through it
        raise Refused(f"Mercado Pago's payments search did not end after {MAX_PAGES} pages; nothing was posted")

    def payment(self, payment_id: str) -> dict[str, Any] | None:
        """One payment by its id (None when the account has no such payment)."""
        return self._call("GET", f"/v1/payments/{payment_id}", f"read payment {payment_id}", missing_ok=True)

    # --- one request, retried --------------------------------------------------------------
    def _call(self, method: str, path: str, what: str, *, params: dict[str, Any] | None = None,
              json_body: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
              missing_ok: bool = False) -> Any:
        problem = ""
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(self._wait(attempt))
            try:
                reply = self._session.request(method, self._base + path, params=params, json=json_body,
                                              headers=headers, timeout=self._timeout)
            except self._requests.RequestException as exc:
                problem = f"no answer ({type(exc).__name__})"
                continue
            if reply.status_code == 429 or reply.status_code >= 500:
                problem = f"HTTP {reply.status_code}"
                self._retry_after = reply.headers.get("Retry-After")
                continue
            if reply.status_code in (401, 403):
                raise Refused(f"Mercado Pago refused the access token while trying to {what} (check {TOKEN_ENV} "
                              "or mercadopago_token in the config file)")
            if reply.status_code == 404 and missing_ok:
                return None
            if reply.status_code >= 400:
                raise Refused(self._scrub(f"Mercado Pago refused to {what}: HTTP {reply.status_code} "
                                          f"{_message(reply.text)}"))
            try:
                return json.loads(reply.text, parse_float=Decimal)
            except ValueError:
                raise Refused(f"Mercado Pago's answer while trying to {what} is not JSON") from None
        raise Refused(f"Mercado Pago did not answer while trying to {what} ({problem}, {self._attempts} attempts): "
                      "try again later")

    _retry_after: str | None = None

    def _wait(self, attempt: int) -> float:
        asked, self._retry_after = self._retry_after, None
        seconds = FIRST_WAIT_S * 2 ** (attempt - 1)
        if asked is not None and asked.strip().isdigit():
            seconds = float(asked.strip())
        seconds = min(seconds, MAX_WAIT_S)
        self.waited.append(seconds)
        return seconds

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "****") if self._token else text


def _message(text: str) -> str:
    """The API's own message from an error body, shortened."""
    try:
        body = json.loads(text)
    except ValueError:
        return text[:200]
    return str(body.get("message") or body.get("error") or "")[:200] if isinstance(body, dict) else text[:200]


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
