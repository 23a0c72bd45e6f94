"""A payment at the counter (`pay`, L3 and N6): the receipt's file checked, the payment
recorded, its receipt written, the question whether to give service back, and the re-enable.

Each step runs after the commit of the one before, so the payment stands whatever happens
next (a receipt that cannot be written, a router that is down), and no question is ever asked
with a transaction open (ledger/pay.py says why). The questions go to the caller, which
answers them from its options or asks the operator.
"""

from dataclasses import dataclass
from typing import Callable

from ispcube.errors import IspcubeError, PartialFailure
from ispcube.services.documents.printed import Document, check_receipt, print_receipt
from ispcube.services.enforcement.paid import Reenabled, enable_after_payment
from ispcube.services.ledger.pay import PaymentRecord, PaymentResult, pay
from ispcube.services.process.runtime import Runtime

Ask = Callable[[str], bool]            # a yes/no question, answered


class CounterRecord(PaymentRecord):
    """`pay`: the payment recorded, and whether service was given back."""
    enabled: bool


@dataclass(frozen=True)
class CounterPayment:
    paid: PaymentResult
    enabled: Reenabled | None          # service given back, and how each router took it

    def as_dict(self) -> CounterRecord:
        return {**self.paid.as_dict(), "enabled": self.enabled is not None}


def pay_at_counter(rt: Runtime, code: str, *, cash: str | None = None, cheques: list[str] | None = None,
                   comment: str | None = None, on_date: str | None = None, amount: str | None = None,
                   method: str | None = None, receipt: str | None = None, replace: bool = False,
                   ask_print: Ask, ask_enable: Ask, on_receipt: Callable[[Document], None]) -> CounterPayment:
    """Record the payment of client CODE (as `ledger.pay.pay` takes it), then write its receipt
    to RECEIPT (default recibo-N.pdf) when ASK_PRINT says so, handing it to ON_RECEIPT, and give
    the client service back when the payment allows it and ASK_ENABLE says so.

    A RECEIPT named in advance is checked before anything is recorded; a receipt that still
    fails afterwards is a PartialFailure saying that the payment stands."""
    if receipt:
        check_receipt(rt, code, receipt, replace)
    paid = pay(rt, code, cash=cash, cheques=cheques, comment=comment, on_date=on_date, amount=amount,
               method=method)
    if ask_print(f"Print receipt {paid.receipt} to a PDF?"):
        on_receipt(_write_receipt(rt, paid, receipt or f"recibo-{paid.receipt}.pdf", replace))
    enabled = None
    if paid.may_enable and ask_enable(f"Client {paid.client} is cut and now owes {paid.overdue:.2f} overdue: "
                                      "re-enable it?"):
        enabled = enable_after_payment(rt, paid.client, paid.receipt)
    return CounterPayment(paid, enabled)


def _write_receipt(rt: Runtime, paid: PaymentResult, out: str, replace: bool) -> Document:
    try:
        return print_receipt(rt, str(paid.entry_id), out, replace, "--receipt")
    except Exception as exc:  # noqa: BLE001 - the payment is committed: whatever failed, say that it stands
        why = exc if isinstance(exc, IspcubeError) else f"unexpected error ({type(exc).__name__}: {exc})"
        not_enabled = f"; client {paid.client} was not re-enabled" if paid.may_enable else ""
        raise PartialFailure(
            f"the payment stands: receipt {paid.receipt} recorded for client {paid.client}, paid "
            f"{paid.amount:.2f}, balance {paid.balance:.2f}{not_enabled}; but its PDF was not written: "
            f"{why} (print it again with `ispcube receipt print {paid.receipt} --out FILE.pdf`)") from None
