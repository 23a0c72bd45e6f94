"""E4: `ispcube notify` sending 5,000 pending notices to an SMTP server on loopback, SQLite and
PostgreSQL (target <= 60 s), and the outbox write that enforce adds to a run cutting them all.

Every client has an e-mail address and is given a cut notice in one transaction by
`stage_notices`, the call enforce makes (timed: the cost enforce pays for the outbox). Then the
installed `ispcube notify` is timed as cron runs it: start-up, the notices read and rendered
from their templates, one SMTP connection (aiosmtpd, in this process), and one commit per
message accepted. Baseline, measured in the same run: smtplib alone sending as many messages of
the same size over one connection to the same server, with no database and no templates, i.e.
the protocol work the command cannot avoid.

Usage: python bench/bench_notify.py [--rows N] [--backend sqlite|postgresql]
"""

from datetime import date, datetime
import json
from pathlib import Path
import sys
import time

sys.path.insert(0, str(Path(__file__).parent))
from client_bench_data import backends, load_note, parse_rows, run_ispcube, scratch_database
from ledger_bench_db import add_clients, report

NOTICES = parse_rows(5_000)
LIMIT_S = 60


class Counter:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def outbox_write(url: str) -> float:
    """A cut notice for every client, with e-mail addresses set first (only the write is timed)."""
    from sqlalchemy import String, cast, literal, select, update

    from ispcube.db import models as m
    from ispcube.db.engine import get_engine
    from ispcube.services.notices.outbox import NoticeKind, stage_notices
    from ispcube.services.process.runtime import Runtime
    c = m.Client
    with get_engine(url).begin() as conn:
        conn.execute(update(c).values(emails=literal("cliente") + cast(c.id, String) + literal("@example.com"),
                                      balance=1500))
    rt = Runtime(engine=get_engine(url), clock=datetime.now)
    with rt.uow() as uow:
        ids = list(uow.session.scalars(select(c.id)))
        started = time.perf_counter()
        stage_notices(uow, rt, date.today(), [(cid, NoticeKind.CUT) for cid in ids])
        uow.commit()
        return time.perf_counter() - started


def baseline(port: int, count: int, size: int) -> float:
    """smtplib alone: COUNT messages of SIZE characters over one connection."""
    from email.message import EmailMessage
    import smtplib
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            message = EmailMessage()
            message["From"], message["To"] = "avisos@fibra.example", f"cliente{n}@example.com"
            message["Subject"] = f"Servicio suspendido por falta de pago (cliente {n})"
            message.set_content("x" * size)
            smtp.send_message(message)
    return time.perf_counter() - started


def measure(backend: str) -> bool:
    import socket

    from aiosmtpd.controller import Controller
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    counter = Counter()
    server = Controller(counter, hostname="127.0.0.1", port=port)
    server.start()
    try:
        with scratch_database(backend, "ispcube_bench_notify") as url:
            add_clients(url, NOTICES, date(2026, 1, 1))
            written = outbox_write(url)
            for key, value in (("smtp.host", "127.0.0.1"), ("smtp.port", str(port)), ("smtp.starttls", "no"),
                               ("smtp.from", "Fibra Norte <avisos@fibra.example>")):
                run_ispcube(url, "config", "set", key, value)
            print(f"  {backend}: outbox write of {NOTICES} notices in {written:.2f} s; {load_note()}", flush=True)
            seconds, printed = run_ispcube(url, "--format", "json", "notify")
            run = json.loads(printed)
            arrived = counter.count
            bare = baseline(port, NOTICES, 700)
            ok = report(f"  {backend} notify", seconds, LIMIT_S, bare, "smtplib sending as many messages")
            print(f"  {backend}: {run['sent']} sent, {arrived} arrived, {NOTICES / seconds:.0f} messages/s",
                  flush=True)
            return ok and run["sent"] == arrived == NOTICES
    finally:
        server.stop()


def main() -> int:
    print(f"notices: {NOTICES}", flush=True)
    results = [measure(backend) for backend in backends()]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
