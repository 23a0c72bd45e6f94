"""Stripe, through the official library: customers, setup Checkout, saved cards, charges.

Every library error is translated here: a card refusal or a lost answer becomes an outcome
the service decides on; a bad key, a refused request or an unreachable Stripe outside a charge
becomes one of our errors. The API key is never part of any message.

The library's own network retries are off: on a lost answer the charge may or may not exist
at Stripe, and only `find_payment` (our record id in the PaymentIntent metadata) can tell;
the idempotency key alone is not enough, since some Stripe-compatible servers (localstripe,
used by the tests) ignore it. The stripe package is imported only when a gateway is built.
"""

from dataclasses import dataclass
from datetime import datetime
import os
from typing import TYPE_CHECKING

from ispcube import config_file
from ispcube.domain.text import quoted
from ispcube.errors import Invalid, Refused

# The typed parameters of recent stripe releases know the card-only filter only as
# allowed_payment_method_types; the API versions ispcube supports (stripe>=8) and localstripe
# take payment_method_types, which is what is sent: those two lines carry a narrow ignore.
if TYPE_CHECKING:
    from stripe.params import CustomerCreateParams
    from stripe.params.checkout import SessionCreateParams

DEFAULT_TIMEOUT = 30.0
METADATA_KEY = "ispcube_charge"


@dataclass(frozen=True)
class Card:
    payment_method_id: str
    brand: str
    last4: str
    expiry: str          # YYYY-MM


@dataclass(frozen=True)
class Outcome:
    """What Stripe did with a charge: succeeded, processing, declined, authentication_required,
    refused (Stripe turned the request down: nothing was charged), or unknown (the answer was
    lost or Stripe failed mid-way: it may have been charged)."""
    status: str
    intent_id: str | None = None
    reason: str | None = None


class StripeGateway:
    def __init__(self, api_key: str, base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        import stripe
        self._stripe = stripe
        self._key = api_key
        self._client = stripe.StripeClient(api_key, base_addresses={"api": base_url.rstrip("/")} if base_url else None,
                                           max_network_retries=0,
                                           http_client=stripe.RequestsClient(timeout=timeout))

    @classmethod
    def from_environment(cls) -> "StripeGateway":
        """Key from STRIPE_API_KEY or the 0600 config file; STRIPE_API_BASE points elsewhere (tests)."""
        key = config_file.value("stripe_api_key", "STRIPE_API_KEY")
        if not key:
            raise Invalid("no Stripe API key: set STRIPE_API_KEY, or stripe_api_key in the config file "
                          f"{config_file.config_path()} (chmod 600)")
        base = os.environ.get("STRIPE_API_BASE") or None
        if base and not base.startswith(("https://", "http://")):
            raise Invalid(f"STRIPE_API_BASE {quoted(base)} is not an http(s) URL")
        timeout = os.environ.get("ISPCUBE_STRIPE_TIMEOUT") or str(DEFAULT_TIMEOUT)
        try:
            seconds = float(timeout)
        except ValueError:
            raise Invalid(f"ISPCUBE_STRIPE_TIMEOUT {quoted(timeout)} is not a number of seconds") from None
        return cls(key, base, seconds)

    # --- customers and cards ---------------------------------------------------------------

    def create_customer(self, *, code: str, name: str, email: str | None, phone: str | None) -> str:
        params: CustomerCreateParams = {"name": name, "metadata": {"ispcube_code": code}}
        if email:
            params["email"] = email
        if phone:
            params["phone"] = phone
        return self._call("create the customer", lambda: self._client.v1.customers.create(params)).id

    def setup_session(self, *, customer: str, code: str, return_url: str) -> str:
        """A setup-mode Checkout session where the client enters a card; returns its URL."""
        params: SessionCreateParams = {
            "mode": "setup", "customer": customer, "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]
            "client_reference_id": code, "metadata": {"ispcube_code": code},
            "success_url": return_url, "cancel_url": return_url}
        return self._call("create the Checkout session", lambda: self._client.v1.checkout.sessions.create(params)).url

    def attach_card(self, customer: str, payment_method: str) -> Card:
        """Attach a saved card to the customer (`make_default` is the separate next step).

        The payment method is read first, so one that is not a card is refused before anything
        changes at Stripe."""
        v1 = self._client.v1
        found = self._call(f"read {payment_method}", lambda: v1.payment_methods.retrieve(payment_method))
        if found.type != "card":
            raise Refused(f"{payment_method} is a {found.type} payment method, not a card")
        method = self._call(f"attach {payment_method}",
                            lambda: v1.payment_methods.attach(payment_method, {"customer": customer}))
        card = method.card
        return Card(method.id, card.brand, card.last4, f"{card.exp_year:04d}-{card.exp_month:02d}")

    def make_default(self, customer: str, payment_method: str) -> None:
        """Make the card the customer's default at Stripe (what its dashboard and invoices use)."""
        self._call("make the card the customer's default", lambda: self._client.v1.customers.update(
            customer, {"invoice_settings": {"default_payment_method": payment_method}}))

    # --- charges ---------------------------------------------------------------------------

    def charge(self, *, charge_id: str, customer: str, payment_method: str, amount_minor: int,
               currency: str, code: str) -> Outcome:
        """An off-session, confirmed PaymentIntent whose idempotency key is our record's id."""
        stripe = self._stripe
        try:
            intent = self._client.v1.payment_intents.create(
                {"payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]
                 "amount": amount_minor, "currency": currency.lower(), "customer": customer,
                 "payment_method": payment_method, "confirm": True, "off_session": True,
                 "metadata": {METADATA_KEY: charge_id, "ispcube_code": code}},
                {"idempotency_key": f"ispcube-{charge_id}"})
        except stripe.CardError as exc:
            status = "authentication_required" if exc.code == "authentication_required" else "declined"
            refused = (exc.json_body or {}).get("error", {}).get("payment_intent") or {}
            return Outcome(status, refused.get("id"),
                           self._scrub(f"{exc.code or 'card_error'}: {exc.user_message or exc}"))
        except (stripe.InvalidRequestError, stripe.AuthenticationError, stripe.PermissionError,
                stripe.RateLimitError) as exc:
            # A 4xx answer: Stripe did not make the charge, and will not for this request.
            return Outcome("refused", None, str(self._translate("charge the card", exc)))
        except stripe.StripeError as exc:
            # No answer, a server error, or an idempotency clash: the charge may exist.
            return Outcome("unknown", None, self._scrub(type(exc).__name__ + ": " + str(exc)))
        return outcome_of(intent)

    def find_payment(self, *, charge_id: str, customer: str, since: datetime) -> Outcome | None:
        """The PaymentIntent made for our charge CHARGE_ID, if Stripe has one; None if not.

        Read through the customer's charges since the record was written (bounded, and a
        listing that every Stripe-compatible server offers), each with its PaymentIntent.
        """
        charges = self._call("look for an earlier attempt", lambda: self._client.v1.charges.list(
            {"customer": customer, "created": {"gt": int(since.timestamp()) - 86400},
             "limit": 100, "expand": ["data.payment_intent"]}))
        for charge in charges.auto_paging_iter():
            intent = charge.payment_intent
            if intent is None or isinstance(intent, str):
                continue
            metadata = getattr(intent, "metadata", None)
            if metadata is not None and metadata.to_dict().get(METADATA_KEY) == charge_id:
                return outcome_of(intent)
        return None

    # --- errors ----------------------------------------------------------------------------

    def _call(self, what: str, request):
        try:
            return request()
        except self._stripe.StripeError as exc:
            raise self._translate(what, exc) from None

    def _translate(self, what: str, exc) -> Exception:
        stripe = self._stripe
        if isinstance(exc, stripe.AuthenticationError):
            return Refused(f"Stripe refused the API key while trying to {what} (check STRIPE_API_KEY)")
        if isinstance(exc, stripe.APIConnectionError):
            return Refused(f"no answer from Stripe while trying to {what}: try again later")
        if isinstance(exc, stripe.CardError):
            return Refused(self._scrub(f"the card was refused while trying to {what}: {exc.user_message or exc}"))
        return Refused(self._scrub(f"Stripe refused to {what}: {getattr(exc, 'user_message', None) or exc}"))

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "****") if self._key else text


def outcome_of(intent) -> Outcome:
    status = intent.status
    if status == "succeeded":
        return Outcome("succeeded", intent.id)
    if status in ("processing", "requires_capture"):
        return Outcome("processing", intent.id)
    if status == "requires_action":
        return Outcome("authentication_required", intent.id, "the bank asks the cardholder to authenticate")
    error = getattr(intent, "last_payment_error", None)
    reason = f"{getattr(error, 'code', None)}: {getattr(error, 'message', None)}" if error else status
    return Outcome("declined", intent.id, reason)
