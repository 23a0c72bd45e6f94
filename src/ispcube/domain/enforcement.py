"""Who the daily job cuts, throttles or restores (N1, N5, N6, E1): a pure rule over rows the
service reads in a fixed number of queries.

`decide` says which clients the job cuts, restores, or hands back to automatic control. Manual
states win: a client cut by an operator stays cut until an operator enables it; a client enabled
by an operator is left alone until its overdue debt is back at or below the threshold, and from
then on the job governs it again (so `pay --enable` never shields a client for good).
"""

from dataclasses import dataclass
from decimal import Decimal

from ispcube.domain.money import format_amount
from ispcube.domain.terms import DecidedBy, Service


@dataclass
class ClientRow:
    id: int
    code: str
    previous_code: str | None
    service: str
    service_by: str | None
    free: bool
    blockable: bool
    deleted: bool


@dataclass
class Decision:
    client_id: int
    service: Service
    service_by: DecidedBy | None
    kind: str            # client log kind
    message: str


@dataclass(frozen=True)
class Stages:
    """E1: days overdue (from the oldest unpaid debit's due date) before a debtor is throttled
    and cut; 0 turns a stage off (no throttle; the cut at once, as without stages)."""
    throttle_after: int = 0
    cut_after: int = 0

    @property
    def on(self) -> bool:
        return bool(self.throttle_after or self.cut_after)

    def stage(self, days: int) -> Service:
        """The state of a debtor DAYS overdue."""
        if not self.cut_after or days >= self.cut_after:
            return Service.CUT
        if self.throttle_after and days >= self.throttle_after:
            return Service.THROTTLED
        return Service.ACTIVE


def decide(clients: dict[int, ClientRow], debts: dict[int, Decimal], threshold: Decimal,
           shielded: set[int], stages: Stages = Stages(), days: dict[int, int] | None = None) -> list[Decision]:
    """What the daily job changes; SHIELDED clients have a commitment in force. With STAGES,
    a debtor DAYS[id] overdue is throttled or cut as its stage says (E1)."""
    decisions = []
    days = days or {}
    for client in clients.values():
        if client.deleted:
            continue
        debt = debts.get(client.id, Decimal("0"))
        over = debt > threshold
        exempt = client.free or not client.blockable or client.id in shielded
        figures = f"overdue debt {format_amount(debt)}, threshold {format_amount(threshold)}"
        if client.service_by == DecidedBy.MANUAL:
            if client.service == Service.ACTIVE and not over:
                decisions.append(Decision(client.id, Service.ACTIVE, DecidedBy.JOB, "service.auto",
                                          f"back under automatic control: {figures}"))
            continue                      # an operator's state wins until then
        if client.service != Service.ACTIVE and client.service_by != DecidedBy.JOB:
            continue                      # cut before ispcube governed it: left alone
        overdue_days = days.get(client.id, 0)
        if over and stages.on:
            figures += f", {overdue_days} days overdue"
        wanted = stages.stage(overdue_days) if over and not exempt else Service.ACTIVE
        if wanted == client.service:
            continue
        if wanted == Service.CUT:
            decisions.append(Decision(client.id, Service.CUT, DecidedBy.JOB, "service.cut",
                                      f"service cut: {figures}"))
        elif wanted == Service.THROTTLED:
            decisions.append(Decision(client.id, Service.THROTTLED, DecidedBy.JOB, "service.throttle",
                                      f"service throttled: {figures}"))
        else:
            why = _exemption(client, shielded) if over and exempt else figures
            decisions.append(Decision(client.id, Service.ACTIVE, DecidedBy.JOB, "service.restore",
                                      f"service restored: {why}"))
    return decisions


def _exemption(client: ClientRow, shielded: set[int]) -> str:
    if client.free:
        return "the client is free"
    if not client.blockable:
        return "the client is not blockable"
    return "a payment commitment is in force"
