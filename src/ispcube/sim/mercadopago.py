"""A simulated Mercado Pago API on loopback: Checkout Pro preferences and the payments an account received.

Written from Mercado Pago's public API reference, so a client built for the real API talks to
it unchanged: `POST /checkout/preferences` (the same `X-Idempotency-Key` gets the same
preference back), `GET /v1/payments/search` (sort, criteria, range, begin_date, end_date,
offset, limit; `paging.total`), `GET /v1/payments/{id}`. Every API request carries the account's access token as
`Authorization: Bearer`, else 401. Amounts are JSON numbers and dates ISO 8601 with
milliseconds and an offset, as the real API writes them. Opening a preference's link
(`init_point`) pays it at once, as a client who pays would.

Switches for what a real account does to a poller:

- `script_search({2: "429", 3: "500", 5: "repeat"})`: the Nth search request from now is
  answered 429 (with `Retry-After`), 500, or with the page served before it again (an index that
  shifted between two pages);
- `update(payment_id, status=..., at=...)`: a payment changes (approved, refunded, charged back)
  with the `date_last_updated` AT, which may lie before a poller's cursor (an index that is late);
- `update_when_served(payment_id, ...)`: the same change, made once a search has served it.

Usage::

    with MercadoPagoSimulator(token="APP_USR-...") as mp:
        mp.add_payment(transaction_amount="1500.00", external_reference="C0001/3")
        ...  # point a client at mp.url
"""

from __future__ import annotations

from collections.abc import Callable
import copy
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
import itertools
import json
import re
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit
import uuid

from ispcube.sim.http_server import HttpSimulator

__all__ = ["MercadoPagoSimulator", "STATUSES", "serve"]

STATUSES = ("approved", "pending", "in_process", "rejected", "cancelled", "refunded", "charged_back")
DETAILS = {"approved": "accredited", "pending": "pending_waiting_payment", "in_process": "pending_contingency",
           "rejected": "cc_rejected_other_reason", "cancelled": "expired", "refunded": "refunded",
           "charged_back": "settled"}
MAX_LIMIT = 1000
MAX_BODY = 1024 * 1024
_RELATIVE = re.compile(r"NOW(?:([+-])(\d+)(DAYS|HOURS|MINUTES))?")
RANGES = ("date_created", "date_approved", "date_last_updated", "money_release_date")


def _now_utc() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    """Mercado Pago's way of writing a time: 2026-12-05T10:00:00.000-03:00."""
    return moment.isoformat(timespec="milliseconds")


class MercadoPagoSimulator(HttpSimulator):
    """Preferences and payments of one account on one loopback HTTP port; thread-safe."""
    NAME = "mercadopago-sim"


    def __init__(self, token: str, *, host: str = "127.0.0.1", port: int = 0,
                 clock: Callable[[], datetime] = _now_utc, retry_after: int = 1) -> None:
        self.token = token
        super().__init__(host, port)
        self.retry_after = retry_after          # seconds the 429 asks to wait
        self.payments: dict[int, dict[str, Any]] = {}
        self.preferences: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []     # method, path, headers
        self.searches = 0
        self._clock = clock
        self._ids = itertools.count(1_000_000_001)
        self._by_key: dict[str, str] = {}
        self._script: dict[int, str] = {}
        self._last_page: dict[str, Any] | None = None
        self._when_served: dict[int, dict[str, Any]] = {}
        self._lock = threading.RLock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def now(self) -> datetime:
        return self._clock()

    # -- the account's payments -----------------------------------------------------------------
    def add_payment(self, *, transaction_amount: str | Decimal, status: str = "approved",
                    external_reference: str | None = None, id_type: str | None = "DNI",
                    id_number: str | None = None, at: datetime | None = None, currency: str = "ARS",
                    description: str = "Pago") -> int:
        """A payment the account received (approved when paid; pending, rejected...); its id."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status}")
        with self._lock:
            moment = at or self.now()
            payment_id = next(self._ids)
            identification = {"type": id_type, "number": id_number} if id_number else {"type": None, "number": None}
            self.payments[payment_id] = {
                "id": payment_id, "status": status, "status_detail": DETAILS[status],
                "date_created": stamp(moment), "date_approved": stamp(moment) if status == "approved" else None,
                "date_last_updated": stamp(moment), "money_release_date": None,
                "operation_type": "regular_payment", "payment_method_id": "account_money",
                "payment_type_id": "account_money", "currency_id": currency, "description": description,
                "transaction_amount": Decimal(str(transaction_amount)), "transaction_amount_refunded": Decimal(0),
                "external_reference": external_reference, "live_mode": False,
                "payer": {"id": None, "email": None, "identification": identification}}
            return payment_id

    def pay_preference(self, preference_id: str, *, status: str = "approved", id_number: str | None = None,
                       at: datetime | None = None) -> int:
        """The client paid through a preference's link: a payment with its reference and total."""
        with self._lock:
            preference = self.preferences[preference_id]
            total = sum((Decimal(str(i["unit_price"])) * int(i.get("quantity", 1)) for i in preference["items"]),
                        Decimal(0))
            return self.add_payment(transaction_amount=total, status=status, id_number=id_number, at=at,
                                    external_reference=preference.get("external_reference"),
                                    currency=preference["items"][0].get("currency_id") or "ARS")

    def update(self, payment_id: int, *, status: str, at: datetime | None = None) -> None:
        """A payment changes state (approved, refunded, charged_back...) at AT (default now)."""
        with self._lock:
            payment = self.payments[payment_id]
            moment = at or self.now()
            payment["status"], payment["status_detail"] = status, DETAILS[status]
            payment["date_last_updated"] = stamp(moment)
            if status == "approved" and not payment["date_approved"]:
                payment["date_approved"] = stamp(moment)
            if status in ("refunded", "charged_back"):
                payment["transaction_amount_refunded"] = payment["transaction_amount"]

    def update_when_served(self, payment_id: int, *, status: str, at: datetime | None = None) -> None:
        """Make the change once a search has served the payment (after a poller's cursor passed it)."""
        with self._lock:
            self._when_served[payment_id] = {"status": status, "at": at}

    def script_search(self, script: dict[int, str]) -> None:
        """{N: "429" | "500" | "repeat"}: what the Nth search request from now gets instead of its page."""
        if set(script.values()) - {"429", "500", "repeat"}:
            raise ValueError("a scripted search answer is 429, 500 or repeat")
        with self._lock:
            self._script = {self.searches + n: action for n, action in script.items()}

    # -- the API --------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, dict]:
        """(status, JSON body, extra headers) for one request."""
        split = urlsplit(target)
        path, query = split.path.rstrip("/"), {k: v[-1] for k, v in parse_qs(split.query).items()}
        with self._lock:
            self.requests.append((method, path, dict(headers)))
            if method == "GET" and path == "/checkout/v1/redirect":
                return self._checkout(query.get("pref_id", ""))
            if headers.get("authorization") != f"Bearer {self.token}":
                return 401, _error(401, "unauthorized", "invalid access token"), {}
            if method == "POST" and path == "/checkout/preferences":
                return self._preference(headers.get("x-idempotency-key"), body)
            if method == "GET" and path == "/v1/payments/search":
                return self._search(query)
            if method == "GET" and path.startswith("/v1/payments/"):
                payment = self.payments.get(_int(path.rsplit("/", 1)[1]) or -1)
                if payment is None:
                    return 404, _error(404, "not_found", "Payment not found"), {}
                return 200, payment, {}
            return 404, _error(404, "not_found", f"resource {path} not found"), {}

    def _preference(self, key: str | None, body: bytes) -> tuple[int, Any, dict]:
        if key and key in self._by_key:
            return 201, self.preferences[self._by_key[key]], {}
        try:
            asked = json.loads(body or b"{}", parse_float=Decimal)
        except ValueError:
            return 400, _error(400, "bad_request", "the body is not JSON"), {}
        items = asked.get("items") if isinstance(asked, dict) else None
        if not items or not all(isinstance(i, dict) and "unit_price" in i and i.get("title") for i in items):
            return 400, _error(400, "invalid_items", "items needs at least one item with title and unit_price"), {}
        if any(Decimal(str(i["unit_price"])) <= 0 for i in items):
            return 400, _error(400, "invalid_items", "unit_price must be positive"), {}
        preference_id = f"123456789-{uuid.uuid4()}"
        link = f"{self.url}/checkout/v1/redirect?pref_id={preference_id}"
        self.preferences[preference_id] = {
            "id": preference_id, "init_point": link, "sandbox_init_point": link, "collector_id": 123456789,
            "date_created": stamp(self.now()), "items": items, "external_reference": asked.get("external_reference"),
            "back_urls": asked.get("back_urls") or {}, "expires": bool(asked.get("expires")),
            "expiration_date_to": asked.get("expiration_date_to")}
        if key:
            self._by_key[key] = preference_id
        return 201, self.preferences[preference_id], {}

    def _checkout(self, preference_id: str) -> tuple[int, Any, dict]:
        """The payer opened the link: the simulator takes it as paid at once (approved)."""
        if preference_id not in self.preferences:
            return 404, _error(404, "not_found", "preference not found"), {}
        payment_id = self.pay_preference(preference_id)
        return 200, {"status": "approved", "payment_id": payment_id}, {}

    def _search(self, query: dict[str, str]) -> tuple[int, Any, dict]:
        self.searches += 1
        action = self._script.pop(self.searches, None)
        if action == "429":
            return 429, _error(429, "too_many_requests", "Too many requests"), {"Retry-After": str(self.retry_after)}
        if action == "500":
            return 500, _error(500, "internal_error", "Internal server error"), {}
        if action == "repeat" and self._last_page is not None:
            return 200, self._last_page, {}
        field = query.get("range", "date_created")
        sort = query.get("sort", "date_created")
        offset, limit = _int(query.get("offset", "0")), _int(query.get("limit", "30"))
        if field not in RANGES or sort not in RANGES or query.get("criteria", "desc") not in ("asc", "desc") \
                or offset is None or limit is None or offset < 0 or not 0 < limit <= MAX_LIMIT:
            return 400, _error(400, "bad_request", "invalid search parameters"), {}
        try:
            begin, end = _moment(query.get("begin_date"), self.now()), _moment(query.get("end_date"), self.now())
        except ValueError:
            return 400, _error(400, "bad_request", "begin_date and end_date are ISO 8601 or NOW-<n>DAYS"), {}
        found = [p for p in self.payments.values()
                 if p.get(field) and (begin is None or begin <= datetime.fromisoformat(p[field]))
                 and (end is None or datetime.fromisoformat(p[field]) <= end)
                 and all(str(p.get(k)) == v for k, v in query.items() if k in ("status", "external_reference"))]
        found.sort(key=lambda p: (datetime.fromisoformat(p[sort]) if p.get(sort) else datetime.min.replace(
            tzinfo=timezone.utc), p["id"]), reverse=query.get("criteria", "desc") == "desc")
        page = [copy.deepcopy(p) for p in found[offset:offset + limit]]
        self._last_page = {"paging": {"total": len(found), "limit": limit, "offset": offset}, "results": page}
        for payment in page:
            change = self._when_served.pop(payment["id"], None)
            if change is not None:
                self.update(payment["id"], **change)
        return 200, self._last_page, {}


class _Handler(BaseHTTPRequestHandler):
    simulator: MercadoPagoSimulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:   # quiet: the CLI prints its own lines
        pass

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, _error(413, "too_large", "request too large"), {})
            return
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, answer, extra = self.simulator.handle(method, self.path, headers, body)
        self._send(status, answer, extra)

    def _send(self, status: int, answer: Any, extra: dict[str, str]) -> None:
        body = json.dumps(answer, default=_number).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)          # the API writes amounts as JSON numbers
    raise TypeError(f"{type(value).__name__} is not JSON")


def _error(status: int, error: str, message: str) -> dict[str, Any]:
    return {"message": message, "error": error, "status": status, "cause": []}


def _int(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def _moment(text: str | None, now: datetime) -> datetime | None:
    """An ISO 8601 time with its offset, or NOW / NOW-<n>DAYS|HOURS|MINUTES as the API takes them."""
    if not text:
        return None
    relative = _RELATIVE.fullmatch(text.upper())
    if relative:
        sign, number, unit = relative.groups()
        shift = int(number or 0) * {"DAYS": timedelta(days=1), "HOURS": timedelta(hours=1),
                                    "MINUTES": timedelta(minutes=1), None: timedelta(0)}[unit]
        return now - shift if sign == "-" else now + shift
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("no offset")
    return moment


def serve(simulator: MercadoPagoSimulator, *, on_ready: Callable[[MercadoPagoSimulator], None] | None = None,
          stop_event: threading.Event | None = None) -> MercadoPagoSimulator:
    """Serve until Ctrl-C (or STOP_EVENT), then stop; OSError if the port cannot be had."""
    stop_event = stop_event or threading.Event()
    simulator.start()
    try:
        if on_ready is not None:
            on_ready(simulator)
        while not stop_event.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return simulator


MercadoPagoSimulator.HANDLER = _Handler
