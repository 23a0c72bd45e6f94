"""FreeRADIUS accounting (the standard `radacct` table): sessions, addresses and octets.

FreeRADIUS's SQL queries already fold Acct-Input/Output-Gigawords into the octet counters, so
each row holds a session's totals as of its last Start, Interim-Update or Stop. RADIUS counts
from the NAS port's point of view: input is what the client sent (upload), output is what it
received (download).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator, overload

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, or_, select
from sqlalchemy.exc import SQLAlchemyError

from ispcube.errors import IspcubeError

_freeradius = MetaData()
RADACCT = Table(
    "radacct", _freeradius,
    Column("radacctid", BigInteger, primary_key=True),
    Column("acctsessionid", String), Column("username", String), Column("nasipaddress", String),
    Column("acctstarttime", DateTime(timezone=True)), Column("acctupdatetime", DateTime(timezone=True)),
    Column("acctstoptime", DateTime(timezone=True)), Column("acctsessiontime", BigInteger),
    Column("acctinputoctets", BigInteger), Column("acctoutputoctets", BigInteger),
    Column("framedipaddress", String),
)


class AccountingUnavailable(IspcubeError):
    """The RADIUS accounting database cannot be read."""


@dataclass(frozen=True)
class Session:
    start: datetime
    end: datetime          # stop, else last update, else start + session time
    upload_octets: int
    download_octets: int


@overload
def _local(moment: datetime) -> datetime: ...
@overload
def _local(moment: None) -> None: ...
@overload
def _local(moment: datetime | None) -> datetime | None: ...
def _local(moment: datetime | None) -> datetime | None:
    """radacct holds timestamps with time zone (PostgreSQL); ispcube's clock is local time."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone().replace(tzinfo=None)


def _engine(url: str):
    from ispcube.db.engine import get_engine, normalise_url
    return get_engine(normalise_url(url))


def _read(url: str, query):
    try:
        with _engine(url).connect() as conn:
            return conn.execute(query).all()
    except SQLAlchemyError as exc:
        from ispcube.db.failures import reason
        raise AccountingUnavailable(f"cannot read RADIUS accounting (radacct): {reason(exc)}") from None


def last_framed_ip(url: str, usernames: list[str]) -> str | None:
    """The address most recently given to any of these RADIUS users."""
    seen = RADACCT.c.acctupdatetime
    rows = _read(url, select(RADACCT.c.framedipaddress)
                 .where(RADACCT.c.username.in_(usernames), RADACCT.c.framedipaddress.is_not(None))
                 .order_by(RADACCT.c.acctstarttime.desc(), seen.desc().nulls_last(), RADACCT.c.radacctid.desc())
                 .limit(1))
    return str(rows[0][0]).split("/")[0] if rows else None


def sessions(url: str, usernames: list[str], since: datetime, until: datetime) -> Iterator[Session]:
    """Sessions of these users that overlap [since, until], in start order."""
    c = RADACCT.c
    if _engine(url).dialect.name == "postgresql":
        since, until = since.astimezone(), until.astimezone()   # compare instants, not wall clocks
    rows = _read(url, select(c.acctstarttime, c.acctupdatetime, c.acctstoptime, c.acctsessiontime,
                             c.acctinputoctets, c.acctoutputoctets)
                 .where(c.username.in_(usernames), c.acctstarttime.is_not(None),
                        c.acctstarttime <= until,
                        or_(c.acctstoptime.is_(None), c.acctstoptime >= since,
                            c.acctupdatetime >= since))
                 .order_by(c.acctstarttime, c.radacctid))
    for start, update, stop, seconds, upload, download in rows:
        start = _local(start)
        end = _local(stop) or _local(update) or start + timedelta(seconds=seconds or 0)
        yield Session(start=start, end=max(end, start), upload_octets=int(upload or 0),
                      download_octets=int(download or 0))
