"""The demo's second part (SPEC 7): a simulated MikroTik on loopback, billing, payments,
enforce and preaviso against it, and what the router held before and after.

Story (its days come from `story`, so every step shows on any date, R18): invoices fall due a
few days before the story's today; every client is connected to one router and billed for two
months; most pay both, some only the older one, some nothing (one of those promises to pay next
week). Enforce runs a few days after the older invoice fell due and cuts the debtors; some of
them then pay, the warning runs the morning the newer invoice falls due, the staged escalation
is turned on (throttle after a day overdue, cut after four weeks) and enforce runs again today,
restoring the payers, keeping cut those owing both invoices and throttling those who owe only
the newer one. Then the bank's statement of yesterday comes in (camt.053): two of the clients
still cut paid by transfer, naming their code; `payments import` posts them, gives them
service back on the router at once, and leaves a transfer nobody can be told from for the
office.
"""

from datetime import timedelta
from decimal import Decimal
import os
from pathlib import Path
import random
import tempfile
from typing import Generator

from sqlalchemy import select

from ispcube.adapters.drivers import CUT_LIST, PREAVISO_LIST, THROTTLE_LIST
from ispcube.db import models as m
from ispcube.services.admin import config
from ispcube.services.demo.network import (
    FOREIGN,
    PPP_PASSWORD,
    PPP_PROFILE,
    ROUTER_NAME,
    ROUTER_PASSWORD,
    ROUTER_PORT,
    ROUTER_USER,
    cpe_mac,
    demo_routers,
)
from ispcube.services.demo.provisioning import provisioned
from ispcube.services.demo.story import Story, story
from ispcube.services.enforcement.enforce import run_enforce
from ispcube.services.enforcement.preaviso import run_preaviso
from ispcube.services.enforcement.service_state import queued_on
from ispcube.services.fiscal.billing import run_fiscal_billing
from ispcube.services.ledger import commitments
from ispcube.services.ledger.pay import pay
from ispcube.services.network import routers
from ispcube.services.process.runtime import Runtime

# E1 in the demo: the clients owing only the newer invoice, a few days overdue, are
# throttled; those owing the older one too are more than four weeks late: cut.
STAGES = {"escalation.cut_after_days": 28, "escalation.throttle_after_days": 1}   # set in this order
# The roles need a few clients each, whatever the size: one debtor promises to pay, a third
# of the cut pay, two of the rest pay by transfer, and someone must still be cut at the end.
SHARE_DEBTORS, MIN_DEBTORS = 0.15, 6
SHARE_LATE, MIN_LATE = 0.10, 2


def _roles(rng: random.Random, billed: list[str]) -> tuple[list[str], list[str]]:
    """(debtors, late payers) among BILLED, each in code order."""
    shuffled = billed[:]
    rng.shuffle(shuffled)
    debtors = max(MIN_DEBTORS, round(len(billed) * SHARE_DEBTORS))
    late = max(MIN_LATE, round(len(billed) * SHARE_LATE))
    return sorted(shuffled[:debtors]), sorted(shuffled[debtors:debtors + late])


def _simulator():
    """The demo's MikroTik on its own port, or on any free one when that is taken (say, by a
    `sim routeros --demo` of an earlier demo): the database records the port it got."""
    from ispcube.sim.routeros import RouterOSSimulator
    for port in (ROUTER_PORT, 0):
        sim = RouterOSSimulator(username=ROUTER_USER, password=ROUTER_PASSWORD, identity=ROUTER_NAME, port=port)
        try:
            return sim.start()
        except OSError:
            continue
    raise OSError("no free port on 127.0.0.1 for the demo's simulated router")


def _connect_everyone(rt: Runtime, sim, rng: random.Random) -> list[str]:
    with rt.uow() as uow:
        routers.add_router(uow, ROUTER_NAME, {"kind": "mikrotik", "host": sim.host, "port": str(sim.port),
                                              "username": sim.username, "secret": sim.password})
        router_id = routers.find_router(uow, ROUTER_NAME).id
        rows = uow.session.execute(select(m.Client.id, m.Client.code, m.Client.plan_id)
                                   .where(m.Client.deleted.is_(False)).order_by(m.Client.id)).all()
        for index, (client_id, code, plan_id) in enumerate(rows):
            pppoe = f"ppp{code.lower()}" if index % 10 == 0 else None
            if pppoe:
                sim.add_ppp_secret(pppoe, password=PPP_PASSWORD, profile=PPP_PROFILE)
            uow.session.add(m.Connection(client_id=client_id, router_id=router_id, plan_id=plan_id,
                                         ip=f"10.20.{index // 250}.{index % 250 + 1}", pppoe_user=pppoe,
                                         mac=cpe_mac(index + 1)))
        uow.commit()
    for router in demo_routers(rt):      # the CPEs register on the access point
        for row in router.registrations:
            row.seed(sim)
    return [code for _, code, _ in rows]


def _balances(rt: Runtime) -> dict[str, Decimal]:
    with rt.uow() as uow:
        return {code: balance for code, balance in uow.session.execute(select(m.Client.code, m.Client.balance))}


def _lists(sim) -> list[str]:
    lines = []
    for name in (CUT_LIST, THROTTLE_LIST, PREAVISO_LIST):
        rows = sim.address_list(name)
        shown = ", ".join(f"{r['address']} ({r.get('comment', '')})" for r in rows[:6])
        lines.append(f"  {name}: {len(rows)} entries" + (f": {shown}" + (" ..." if len(rows) > 6 else "")
                                                          if rows else ""))
    return lines


def network_tour(rt: Runtime, seed: int) -> Generator[str, None, Path]:
    """The part, line by line; the bank statement file it wrote."""
    rng = random.Random(seed)
    days = story(rt.today())
    with rt.uow() as uow:
        config.set_setting(uow, "invoice.due_day", str(days.due_day))
        config.set_setting(uow, "preaviso.to_day", str(days.due_day))   # warned up to the due day
    with _simulator() as sim:
        sim.add_address(CUT_LIST, FOREIGN[0], comment=FOREIGN[1])
        codes = _connect_everyone(rt, sim, rng)
        yield (f"Simulated MikroTik '{ROUTER_NAME}' on {sim.host}:{sim.port}; every client has a connection on it, "
               f"and {len(sim.registrations())} CPEs are registered on its access point.")
        debtors = yield from _billing_and_payments(rt, days, codes, rng)
        statement_file = yield from _enforcement(rt, sim, days, debtors)
        yield from provisioned(rt, sim, ROUTER_NAME)
        return statement_file


def _billing_and_payments(rt: Runtime, days: Story, codes: list[str],
                          rng: random.Random) -> Generator[str, None, list[str]]:
    """Bill both months and pay; the debtors, who paid nothing."""
    for month in (days.older_month, days.newer_month):
        made = run_fiscal_billing(rt, month.strftime("%Y-%m"))
        yield f"Billing {month:%Y-%m}: {made['invoices']} invoices, due {made['due']}"
    owed = _balances(rt)
    billed = [code for code in codes if owed[code] > 0]
    debtors, late = _roles(rng, billed)
    for code in billed:
        if code in late:
            pay(rt, code, cash=str(owed[code] / 2), comment="pays the older invoice only")
        elif code not in debtors:
            pay(rt, code, cash=str(owed[code]), comment="pays on time")
    if debtors:
        commitments.set_commitment(rt, debtors[0], (days.today + timedelta(days=7)).isoformat())
    yield (f"Payments: {len(billed) - len(debtors) - len(late)} paid both months, {len(late)} only "
           f"{days.older_month:%Y-%m}, {len(debtors)} nothing ({debtors[0] if debtors else 'nobody'} promised "
           "to pay within a week)")
    return debtors


def _enforcement(rt: Runtime, sim, days: Story, debtors: list[str]) -> Generator[str, None, Path]:
    yield "Router lists before:"
    yield from _lists(sim)
    first = run_enforce(rt, days.first_enforce)
    yield (f"enforce as of {days.first_enforce}: {first.cut} cut, {first.done} router "
           f"changes, {sim.writes} router writes")
    yield from _lists(sim)
    paying = debtors[1::3]
    for code in paying:
        pay(rt, code, cash=str(_balances(rt)[code]), comment="paid after the cut")
    warned = run_preaviso(rt, days.warning)
    yield f"preaviso on {days.warning:%Y-%m-%d %H:%M}: {warned.warned} clients warned"
    with rt.uow() as uow:
        for key, value in STAGES.items():
            config.set_setting(uow, key, str(value))
    yield (f"Escalation on: throttled {STAGES['escalation.throttle_after_days']} day(s) after the oldest "
           f"unpaid invoice fell due, cut after {STAGES['escalation.cut_after_days']} days")
    sim.reset_counters()
    second = run_enforce(rt, days.today)
    yield (f"enforce today ({days.today}): {second.cut} cut, {second.restored} restored "
           f"({', '.join(paying[:5])}{' ...' if len(paying) > 5 else ''} paid), {second.throttled} throttled, "
           f"{sim.writes} router writes")
    yield "Router lists after:"
    yield from _lists(sim)
    statement_file = yield from _statement(rt, sim)
    sim.reset_counters()
    again = run_enforce(rt, days.today)
    yield f"enforce again: {again.cut} cut, {again.restored} restored, {sim.writes} router writes"
    with rt.uow() as uow:
        cut = uow.session.execute(select(m.Client.code, m.Client.name, m.Client.balance)
                                  .where(m.Client.service == "cut").order_by(m.Client.code)).all()
        throttled = uow.session.scalars(select(m.Client.code).where(m.Client.service == "throttled")
                                        .order_by(m.Client.code)).all()
    yield f"Cut clients: {len(cut)}; the first five:"
    for code, name, balance in cut[:5]:
        yield f"  {code}  {name:<32} owes {balance}"
    yield (f"Throttled clients: {len(throttled)}" + (f": {', '.join(throttled[:8])}"
                                                    f"{' ...' if len(throttled) > 8 else ''}" if throttled else ""))
    yield f"The entry '{FOREIGN[0]}' ({FOREIGN[1]}) was never touched: it is not ispcube's."
    return statement_file


def statement_path(rt: Runtime) -> Path:
    """Where the demo leaves its bank statement: beside its database, named after it."""
    database = rt.engine.url.database
    assert database, "the demo runs on a SQLite file"
    return Path(database).with_name(f"{Path(database).stem}-extracto-camt053.xml")


def is_demo_statement(path: Path) -> bool:
    """Whether PATH is a statement an earlier demo wrote (only such a file is replaced)."""
    try:
        with path.open("rb") as handle:
            return b"<MsgId>DEMO-" in handle.read(1024)
    except OSError:
        return False


def _statement(rt: Runtime, sim) -> Generator[str, None, Path]:
    """Yesterday's camt.053: two cut clients pay by transfer, and a stranger sends money; the
    file written."""
    from ispcube.services.payments.statements.camt_build import Entry, Tx, statement
    from ispcube.services.payments.statements.run import PaymentsImportOptions, import_payments
    with rt.uow() as uow:
        paying = uow.session.execute(select(m.Client.code, m.Client.balance).where(m.Client.service == "cut")
                                     .order_by(m.Client.code).limit(2)).all()
    booked = rt.today() - timedelta(days=1)
    entries = [Entry(booked, True, [Tx(balance, None, f"DEMO-TRF-{n}", name=f"Titular {code}",
                                       text=f"pago cliente {code}")], reference=f"DEMO-{n}")
               for n, (code, balance) in enumerate(paying, start=1)]
    entries.append(Entry(booked, True, [Tx(Decimal("1500.00"), None, "DEMO-TRF-X", name="Desconocido",
                                           text="sin referencia")], reference="DEMO-X"))
    path = statement_path(rt)
    if os.path.lexists(path) and not is_demo_statement(path):
        path = Path(tempfile.mkdtemp(prefix="ispcube-demo-")) / path.name     # never over a file not ours
    path.write_text(statement(entries, currency="ARS", statement_id=f"DEMO-{booked:%Y%m%d}",
                              created=f"{rt.today().isoformat()}T07:00:00"), encoding="utf-8")
    run = import_payments(rt, str(path), PaymentsImportOptions())
    codes = ", ".join(p["client"] or "?" for p in run.posted)
    yield (f"Bank statement of {booked} ({path.name}, camt.053): payments import posted {len(run.posted)} "
           f"transfers for {run.total:.2f} ({codes or 'nobody was cut to pay'}: the code in the text); "
           f"{len(run.unmatched)} not matched "
           f"({', '.join(u['amount'] + ' ' + repr(u['text']) for u in run.unmatched)}: left for the office)")
    enabled = [e["client"] for e in run.enabled if not queued_on(e)]
    yield f"Given service back on the router at once: {', '.join(enabled) or 'nobody'}"
    yield from _lists(sim)
    return path
