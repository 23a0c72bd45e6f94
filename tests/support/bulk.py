"""Many clients at once for scale tests and the P4 benchmark: clients, connections on given
routers and their debts (a DX note each, with the cached balance to match), in a few
executemany statements instead of thousands of CLI calls."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from ispcube.db import models as m
from ispcube.db.ledger_models import LedgerEntry


def client_ip(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def seed_clients(engine: Engine, router_ids: list[int], count: int, debtor: callable,
                 debt: Decimal = Decimal("100.00"), first: int = 1, cut: callable = lambda n: False) -> None:
    """COUNT clients B<n> (n from FIRST), client n on ROUTER_IDS[n % len], IP `client_ip(n)`;
    DEBTOR(n) says which owe DEBT, CUT(n) which the job already cut."""
    numbers = range(first, first + count)
    with engine.begin() as conn:
        base_id = (conn.execute(select(func.max(m.Client.id))).scalar() or 0) + 1
        clients, connections, entries = [], [], []
        entry_no = (conn.execute(select(func.max(LedgerEntry.number)).where(
            LedgerEntry.series == "dx")).scalar() or 0)
        for offset, n in enumerate(numbers):
            client_id = base_id + offset
            owes = debtor(n)
            clients.append({"id": client_id, "code": f"B{n:06d}", "name": f"Bulk {n}",
                            "address_key": f"bulk {n}|", "phones": "", "emails": "", "contract": False,
                            "free": False, "blockable": True, "preaviso": True, "tickets_blocked": False,
                            "balance": debt if owes else Decimal("0"),
                            "service": "cut" if cut(n) else "active", "service_by": "job" if cut(n) else None,
                            "deleted": False, "search_text": f"b{n:06d} bulk {n}"})
            connections.append({"client_id": client_id, "router_id": router_ids[n % len(router_ids)],
                                "ip": client_ip(n)})
            if owes:
                entry_no += 1
                entries.append({"client_id": client_id, "kind": "dx", "series": "dx", "number": entry_no,
                                "entry_date": date(2026, 1, 1), "amount": debt, "operator": "system",
                                "created_at": datetime(2026, 1, 1)})
        conn.execute(insert(m.Client.__table__), clients)
        conn.execute(insert(m.Connection.__table__), connections)
        if entries:
            conn.execute(insert(LedgerEntry.__table__), entries)
    if engine.dialect.name == "postgresql":   # explicit ids: move the sequence past them
        with engine.begin() as conn:
            conn.exec_driver_sql("SELECT setval('clients_id_seq', (SELECT max(id) FROM clients))")


def pay_all(engine: Engine, which: callable) -> None:
    """Settle the debt of the clients WHICH(n) says (a receipt-like CX, balance to zero)."""
    with engine.begin() as conn:
        rows = conn.execute(select(m.Client.id, m.Client.code, m.Client.balance)).all()
        number = conn.execute(select(func.max(LedgerEntry.number)).where(LedgerEntry.series == "cx")).scalar() or 0
        paid = [r for r in rows if r.code.startswith("B") and which(int(r.code[1:])) and r.balance > 0]
        entries = []
        for offset, row in enumerate(paid, start=1):
            entries.append({"client_id": row.id, "kind": "cx", "series": "cx", "number": number + offset,
                            "entry_date": date(2026, 1, 2), "amount": -row.balance, "operator": "system",
                            "created_at": datetime(2026, 1, 2)})
        if entries:
            conn.execute(insert(LedgerEntry.__table__), entries)
            table = m.Client.__table__
            from sqlalchemy import bindparam, update
            conn.execute(update(table).where(table.c.id == bindparam("cid")).values(balance=0),
                         [{"cid": row.id} for row in paid])
