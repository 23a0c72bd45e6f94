"""The demo's second part (SPEC 7): a simulated MikroTik on loopback, billing, payments,
enforce and preaviso against it, and what the router held before and after.

Story: every client is connected to one router and billed for last month and this one; most
pay both, some only last month, some nothing (one of those promises to pay next week). Enforce
runs as of the 15th of last month and cuts the debtors; a third of them then pay, the warning
runs on the 5th of this month, the staged escalation is turned on (throttle after a day
overdue, cut after four weeks) and enforce runs again today, restoring the payers and
throttling those who owe only this month's invoice. Then the bank's statement of yesterday
comes in (camt.053): two of the clients still cut paid by transfer, naming their code;
`payments import` posts them, gives them service back on the router at once, and leaves a
transfer nobody can be told from for the office.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
import os
from pathlib import Path
import random
import tempfile
from typing import Iterator

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
from ispcube.services.enforcement.enforce import run_enforce
from ispcube.services.enforcement.preaviso import run_preaviso
from ispcube.services.ledger import commitments
from ispcube.services.ledger.billing import run_billing
from ispcube.services.ledger.pay import pay
from ispcube.services.network import routers
from ispcube.services.process.runtime import Runtime

# E1 in the demo: the clients owing only this month's invoice (due on the 10th) are throttled
# when the tour runs after it fell due; those owing last month's too are a month late: cut.
STAGES = {"escalation.throttle_after_days": 1, "escalation.cut_after_days": 28}


def _months(today: date) -> tuple[date, date]:
    this_month = today.replace(day=1)
    return (this_month - timedelta(days=1)).replace(day=1), this_month


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


def network_tour(rt: Runtime, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    today = rt.today()
    last_month, this_month = _months(today)
    with _simulator() as sim:
        sim.add_address(CUT_LIST, FOREIGN[0], comment=FOREIGN[1])
        codes = _connect_everyone(rt, sim, rng)
        yield (f"Simulated MikroTik '{ROUTER_NAME}' on {sim.host}:{sim.port}; every client has a connection on it, "
               f"and {len(sim.registrations())} CPEs are registered on its access point.")
        for month in (last_month, this_month):
            made = run_billing(rt, month.strftime("%Y-%m"))
            yield f"Billing {month:%Y-%m}: {made.get('invoices', made)} invoices"
        owed = _balances(rt)
        billed = [code for code in codes if owed[code] > 0]
        debtors, late = [], []
        for code in billed:
            roll = rng.random()
            if roll < 0.15:
                debtors.append(code)
            elif roll < 0.25:
                late.append(code)
                pay(rt, code, cash=str(owed[code] / 2), comment="pays last month only")
            else:
                pay(rt, code, cash=str(owed[code]), comment="pays on time")
        if debtors:
            commitments.set_commitment(rt, debtors[0], (today + timedelta(days=7)).isoformat())
        yield (f"Payments: {len(billed) - len(debtors) - len(late)} paid both months, {len(late)} only "
               f"last month, {len(debtors)} nothing ({debtors[0] if debtors else 'nobody'} promised "
               "to pay within a week)")
        yield "Router lists before:"
        yield from _lists(sim)
        first = run_enforce(rt, last_month.replace(day=15))
        yield (f"enforce as of {last_month.replace(day=15)}: {first.cut} cut, {first.done} router "
               f"changes, {sim.writes} router writes")
        yield from _lists(sim)
        paying = [c for c in debtors[1::3]]
        for code in paying:
            pay(rt, code, cash=str(_balances(rt)[code]), comment="paid after the cut")
        warned = run_preaviso(rt, datetime.combine(this_month.replace(day=5), datetime.min.time()).replace(hour=10))
        yield f"preaviso on {this_month.replace(day=5)} 10:00: {warned.warned} clients warned"
        with rt.uow() as uow:
            for key, days in STAGES.items():
                config.set_setting(uow, key, str(days))
        yield (f"Escalation on: throttled {STAGES['escalation.throttle_after_days']} day(s) after the oldest "
               f"unpaid invoice fell due, cut after {STAGES['escalation.cut_after_days']} days")
        sim.reset_counters()
        second = run_enforce(rt, today)
        yield (f"enforce today ({today}): {second.cut} cut, {second.restored} restored "
               f"({', '.join(paying[:5])}{' ...' if len(paying) > 5 else ''} paid), {second.throttled} throttled, "
               f"{sim.writes} router writes")
        yield "Router lists after:"
        yield from _lists(sim)
        yield from _statement(rt, sim)
        sim.reset_counters()
        again = run_enforce(rt, today)
        yield f"enforce again: {again.cut} cut, {again.restored} restored, {sim.writes} router writes"
        with rt.uow() as uow:
            cut = uow.session.execute(select(m.Client.code, m.Client.name, m.Client.balance)
                                      .where(m.Client.service == "cut").order_by(m.Client.code)).all()
        yield f"Cut clients: {len(cut)}; the first five:"
        for code, name, balance in cut[:5]:
            yield f"  {code}  {name:<32} owes {balance}"
        with rt.uow() as uow:
            throttled = uow.session.scalars(select(m.Client.code).where(m.Client.service == "throttled")
                                            .order_by(m.Client.code)).all()
        yield (f"Throttled clients: {len(throttled)}" + (f": {', '.join(throttled[:8])}"
                                                        f"{' ...' if len(throttled) > 8 else ''}" if throttled else ""))
        yield f"The entry '{FOREIGN[0]}' ({FOREIGN[1]}) was never touched: it is not ispcube's."


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


def _statement(rt: Runtime, sim) -> Iterator[str]:
    """Yesterday's camt.053: two cut clients pay by transfer, and a stranger sends money."""
    from ispcube.services.payments.statements.camt_build import Entry, Tx, statement
    from ispcube.services.payments.statements.run import ImportOptions, import_payments
    with rt.uow() as uow:
        paying = uow.session.execute(select(m.Client.code, m.Client.balance).where(m.Client.service == "cut")
                                     .order_by(m.Client.code).limit(2)).all()
    if not paying:
        return
    booked = rt.today() - timedelta(days=1)
    entries = [Entry(booked, True, [Tx(balance, None, f"DEMO-TRF-{n}", name=f"Titular {code}",
                                       text=f"pago cliente {code}")], reference=f"DEMO-{n}")
               for n, (code, balance) in enumerate(paying, start=1)]
    entries.append(Entry(booked, True, [Tx(Decimal("1500.00"), None, "DEMO-TRF-X", name="Desconocido",
                                           text="sin referencia")], reference="DEMO-X"))
    path = statement_path(rt)
    if os.path.lexists(path) and not is_demo_statement(path):
        path = Path(tempfile.mkdtemp(prefix="ispcube-demo-")) / path.name     # never over a file not ours
    path.write_text(statement(entries, currency="ARS", statement_id=f"DEMO-{booked:%Y%m%d}"), encoding="utf-8")
    run = import_payments(rt, str(path), ImportOptions())
    codes = ", ".join(p["client"] for p in run.posted)
    yield (f"Bank statement of {booked} ({path.name}, camt.053): payments import posted {len(run.posted)} "
           f"transfers for {run.total:.2f} ({codes}: the code in the text); {len(run.unmatched)} not matched "
           f"({', '.join(u['amount'] + ' ' + repr(u['text']) for u in run.unmatched)}: left for the office)")
    enabled = [e["client"] for e in run.enabled if all(r["status"] == "done" for r in e["routers"])]
    yield f"Given service back on the router at once: {', '.join(enabled) or 'nobody'}"
    yield from _lists(sim)
