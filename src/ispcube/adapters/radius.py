"""RADIUS-managed connections (N4, E2): the FreeRADIUS SQL groups ``ispcube-cut`` and
``ispcube-throttle``, with RFC 5176 requests (pyrad) to the NAS for the live session.

Cut: the user joins the cut group and its session gets a Disconnect-Request, so it
re-authenticates into the cut profile. Throttle: the user joins the throttle group, whose
reply ispcube keeps carrying ``Mikrotik-Rate-Limit`` with the configured rate, and its session
gets a CoA-Request with that rate, so it stays up at the new speed (a changed rate is a change
of every throttled user). Leaving either group drops the session so it comes back with its
own profile. The standard FreeRADIUS schema is read and written with SQLAlchemy Core:
radusergroup for the group membership, radgroupreply for the throttle rate, radacct for the
open sessions (User-Name, Acct-Session-Id). A request answered with ACK is done, and so is a
Disconnect answered "no such session" (Error-Cause 503: a stale radacct row); any other NAK,
or silence, is a failure, retried by the next run.

Provisioning (S1) reads and makes the users themselves (radius_users.py): password, address,
rate and plan group; a plan change reaches a live session by CoA, a rate taken off or a user
removed by Disconnect. The database may be shared by several NASes (`RouterConfig.peers`):
provisioning writes it through one of their drivers, enforcement router by router for each
router's own connections, and either finds a live session on whichever NAS holds it and sends
the request to that NAS, with its port and secret.
"""

from __future__ import annotations

from dataclasses import replace
import io
import re
from typing import Container

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from ispcube.adapters.drivers import CUT_LIST, THROTTLE_LIST, Driver, Holding, RouterConfig, Target, reason, register
from ispcube.adapters.radius_schema import RADGROUPREPLY, RADUSERGROUP, RATE_LIMIT, sessions_on
from ispcube.adapters.radius_users import apply_user, enforced_users, rate_of, read_users, unknown_fields
from ispcube.domain.provisioning import Held, ObjectKind, Op, Verb
from ispcube.errors import RouterAuthError, RouterError, RouterProtocolError, RouterUnreachable

COA_PORT = 3799
SESSION_NOT_FOUND = 503    # RFC 5176 Error-Cause: the NAS has no such session (it ended already)
# How PostgreSQL (libpq) says it refused the login: such a connection error carries no SQLSTATE.
LOGIN_REFUSED = re.compile(r'authentication failed|no pg_hba\.conf entry|role "[^"]*" does not exist')
# The attributes a Disconnect-Request needs (RFC 2865, 2866, 5176): pyrad reads a dictionary
# file, and shipping these few lines beats depending on a system dictionary's location.
DICTIONARY = """\
ATTRIBUTE User-Name 1 string
ATTRIBUTE NAS-IP-Address 4 ipaddr
ATTRIBUTE Framed-IP-Address 8 ipaddr
ATTRIBUTE Acct-Session-Id 44 string
ATTRIBUTE Error-Cause 101 integer
VENDOR Mikrotik 14988
BEGIN-VENDOR Mikrotik
ATTRIBUTE Mikrotik-Rate-Limit 8 string
END-VENDOR Mikrotik
"""


@register("radius")
class RadiusDriver(Driver):
    lists = (CUT_LIST, THROTTLE_LIST)   # no address list to warn through

    def __init__(self, config: RouterConfig):
        super().__init__(config)
        self._engine: Engine | None = None

    def open(self) -> None:
        from ispcube.db.engine import get_engine, normalise_url
        if not self.config.radius_db_url:
            raise RouterProtocolError(f"router {self.config.name}: no RADIUS database configured")
        self._engine = get_engine(normalise_url(self.config.radius_db_url))
        self._sql(lambda conn: conn.execute(select(RADUSERGROUP.c.username).limit(1)).all())

    def close(self) -> None:
        self._engine = None

    def _sql(self, work, *, write: bool = False):
        engine = self._engine
        assert engine is not None, "used between open() and close()"
        try:
            with (engine.begin() if write else engine.connect()) as conn:
                return work(conn)
        except SQLAlchemyError as exc:
            from ispcube.db.failures import reason as database_reason
            refused = LOGIN_REFUSED.search(reason(getattr(exc, "orig", exc)))
            raise (RouterAuthError if refused else RouterProtocolError)(
                f"router {self.config.name}: RADIUS database: {database_reason(exc)}") from None

    def probe(self) -> dict:
        def count(group: str):
            return lambda conn: conn.execute(select(func.count()).select_from(RADUSERGROUP)
                                             .where(RADUSERGROUP.c.groupname == group)).scalar()
        return {"radius database": "reachable",
                **{f"{group} members": self._sql(count(group)) for group in self.lists},
                "coa port": self.config.coa_port or COA_PORT}

    def read(self, list_name: str, targets: list[Target]) -> Holding:
        holding = Holding(list_name)
        if list_name not in self.lists:
            return holding
        users = {t.pppoe_user for t in targets if t.pppoe_user}

        def work(conn):
            members = conn.execute(select(RADUSERGROUP.c.username)
                                   .where(RADUSERGROUP.c.groupname == list_name)).scalars()
            holding.entries.update({name: name for name in members if name in users})
            if list_name == THROTTLE_LIST:
                holding.extra["rates"] = list(conn.execute(
                    select(RADGROUPREPLY.c.value).where(RADGROUPREPLY.c.groupname == THROTTLE_LIST,
                                                        RADGROUPREPLY.c.attribute == RATE_LIMIT)).scalars())
            holding.extra["sessions"] = sessions_on(conn, self.config.nases, users)
        self._sql(work)
        return holding

    def marked(self, holding: Holding, target: Target) -> bool:
        return bool(target.pppoe_user) and target.pppoe_user in holding.entries and not self._rate_differs(holding)

    def _rate_differs(self, holding: Holding) -> bool:
        """Does the throttle group's reply lack the configured rate (then every throttled user
        is marked again: the reply is set once, each live session told the new rate)?"""
        rate = self.config.throttle_rate
        return holding.list_name == THROTTLE_LIST and rate is not None and holding.extra.get("rates") != [rate]

    def cleared(self, holding: Holding, target: Target) -> bool:
        return not target.pppoe_user or target.pppoe_user not in holding.entries

    def _user(self, target: Target) -> str:
        if not target.pppoe_user:
            raise RouterProtocolError(f"router {self.config.name}: connection {target.label} of "
                                      f"client {target.client_code} has no PPPoE user for RADIUS")
        return target.pppoe_user

    # The live session is dropped when the group changed, or when a task asks again (its last
    # attempt may have changed the group and then failed to reach the NAS).

    def mark(self, holding: Holding, target: Target, timeout_s: int | None = None,
             requested: bool = False) -> None:
        user = self._user(target)
        if holding.list_name not in self.lists:
            return
        if self._rate_differs(holding):
            self._set_rate(holding)
        changed = bool(holding.extra.get("rate_set"))   # a new rate reaches every throttled session
        if user not in holding.entries:
            self._sql(lambda conn: conn.execute(insert(RADUSERGROUP).values(
                username=user, groupname=holding.list_name, priority=0)), write=True)
            self.writes += 1
            holding.entries[user] = user
            changed = True
        if changed or requested:
            self._tell_nas(holding, user)

    def _set_rate(self, holding: Holding) -> None:
        rate = self.config.throttle_rate

        def work(conn) -> None:
            conn.execute(delete(RADGROUPREPLY).where(RADGROUPREPLY.c.groupname == THROTTLE_LIST,
                                                     RADGROUPREPLY.c.attribute == RATE_LIMIT))
            conn.execute(insert(RADGROUPREPLY).values(groupname=THROTTLE_LIST, attribute=RATE_LIMIT,
                                                      op=":=", value=rate))
        self._sql(work, write=True)
        self.writes += 1
        holding.extra["rates"] = [rate]
        holding.extra["rate_set"] = True

    def clear(self, holding: Holding, target: Target, requested: bool = False) -> None:
        user = self._user(target)
        if holding.list_name not in self.lists:
            return
        changed = user in holding.entries
        if changed:
            self._sql(lambda conn: conn.execute(delete(RADUSERGROUP).where(
                RADUSERGROUP.c.username == user, RADUSERGROUP.c.groupname == holding.list_name)), write=True)
            self.writes += 1
            holding.entries.pop(user)
        if changed or requested:
            self._disconnect(holding, user)

    def strays(self, holding: Holding, targets: list[Target], known_codes: Container[str]) -> list[str]:
        # Group rows carry no client code and the group is shared by every NAS: a row is only
        # ever judged through a connection of this router, never as a stray.
        return []

    def remove_stray(self, holding: Holding, key: str) -> None:
        raise RouterProtocolError(f"router {self.config.name}: RADIUS keeps no stray entries")

    def _tell_nas(self, holding: Holding, user: str) -> None:
        """A marked user's live session: the throttle rate by CoA, or dropped into the cut."""
        rates = holding.extra.get("rates") or []
        if holding.list_name == THROTTLE_LIST and rates:
            session = holding.extra.get("sessions", {}).get(user)
            if session is not None:
                send_coa(self.config.nases[session.nas], user, session.id, rates[0])
                self.writes += 1
            return
        self._disconnect(holding, user)

    def _disconnect(self, holding: Holding, user: str) -> None:
        """Ask the NAS holding the user's live session, if it has one, to drop it (RFC 5176)."""
        session = holding.extra.get("sessions", {}).get(user)
        if session is None:
            return
        send_disconnect(self.config.nases[session.nas], user, session.id)
        self.writes += 1
        holding.extra["sessions"].pop(user, None)

    # -- provisioning (S1): users, see radius_users.py

    def read_objects(self, addresses: bool = False) -> list[Held]:
        """Every RADIUS user in the database (a NAS keeps no address lists to adopt)."""
        return self._sql(read_users)

    def apply_objects(self, ops: list[Op]) -> list[RouterError | None]:
        """Each op in its own transaction, then what it means for the user's open session,
        unless an enforce group holds the user (the throttle or cut stands; the restore's
        Disconnect brings the session back at its plan's rate): a set giving a rate tells it by
        CoA; a set taking the rate off, and a remove, drop it by Disconnect (it comes back
        without a rate, or not at all). The session is looked for on every NAS sharing the
        database (`RouterConfig.peers`) and told on the NAS holding it, with that NAS's port and
        secret. The CoA is sent whenever such a set is made, written or not: a NAK or silence
        fails the op with its rows kept, and making the op again repeats the CoA. A refused
        Disconnect of a set puts the rate back, so the next run finds the change still to make;
        a remove's rows stay gone (the removal is retried through its task: `diff`'s DEPARTED).
        A NAS that does not answer fails the later ops whose sessions are on it unwritten (the
        next run makes them); the others go on."""
        nases = self.config.nases
        told = [op.name for op in ops if op.verb == Verb.REMOVE or (op.verb == Verb.SET and RATE_LIMIT in op.fields)]
        try:
            sessions, enforced = self._sql(lambda conn: (sessions_on(conn, nases, told),
                                                         enforced_users(conn, told))) if told else ({}, set())
        except RouterError as exc:
            return [exc] * len(ops)
        silent: dict[str, RouterUnreachable] = {}     # NAS address -> how it failed to answer
        results: list[RouterError | None] = []
        for op in ops:
            session = sessions.get(op.name) if op.verb == Verb.REMOVE or op.name not in enforced else None
            if session is not None and session.nas in silent:
                results.append(RouterUnreachable(f"{silent[session.nas]}, so '{op.name}' waits for the next run"))
                continue
            try:
                self._apply(op, None if session is None else (nases[session.nas], session.id))
            except RouterUnreachable as exc:
                if session is not None:
                    silent[session.nas] = exc
                results.append(exc)
            except RouterError as exc:
                results.append(exc)
            else:
                results.append(None)
        return results

    def _apply(self, op: Op, session: tuple[RouterConfig, str] | None) -> None:
        """Make OP; SESSION is its user's open session to tell: (its NAS, its id)."""
        if op.kind != ObjectKind.RADIUS_USER:
            raise RouterProtocolError(f"router {self.config.name}: a RADIUS router keeps no {op.kind} ('{op.name}')")
        if unknown := unknown_fields(op):
            raise RouterProtocolError(f"router {self.config.name}: RADIUS user '{op.name}': "
                                      f"{', '.join(unknown)} is not an item ispcube provisions")
        rate = op.fields.get(RATE_LIMIT)
        taken_off = op.verb == Verb.SET and rate == "" and session is not None

        def write(conn) -> str | None:
            before = rate_of(conn, op.name) if taken_off else None
            apply_user(conn, op)
            return before
        previous = self._sql(write, write=True)
        self.writes += 1
        if session is None:
            return
        nas, session_id = session
        if op.verb == Verb.SET and rate:
            send_coa(nas, op.name, session_id, rate)
        elif op.verb == Verb.REMOVE:
            send_disconnect(nas, op.name, session_id)
        elif taken_off:
            try:
                send_disconnect(nas, op.name, session_id)
            except RouterError:
                if previous:
                    self._sql(lambda conn: apply_user(conn, replace(op, fields={RATE_LIMIT: previous})), write=True)
                raise
        else:
            return
        self.writes += 1


def _client(config: RouterConfig):
    from pyrad.client import Client
    from pyrad.dictionary import Dictionary
    return Client(server=config.host, coaport=config.coa_port or COA_PORT,
                  secret=(config.secret or "").encode(), dict=Dictionary(io.StringIO(DICTIONARY)),
                  retries=2, timeout=max(config.timeout / 2, 0.2))


def send_disconnect(config: RouterConfig, user: str, session_id: str | None) -> None:
    from pyrad import packet
    client = _client(config)
    request = client.CreateCoAPacket(code=packet.DisconnectRequest, User_Name=user)
    if session_id:
        request["Acct-Session-Id"] = session_id
    _send(config, client, request, "Disconnect-Request", user, packet.DisconnectACK)


def send_coa(config: RouterConfig, user: str, session_id: str | None, rate: str) -> None:
    """A CoA-Request (RFC 5176) giving the user's live session RATE (`Mikrotik-Rate-Limit`)."""
    from pyrad import packet
    client = _client(config)
    request = client.CreateCoAPacket(code=packet.CoARequest, User_Name=user)
    if session_id:
        request["Acct-Session-Id"] = session_id
    request[RATE_LIMIT] = rate
    _send(config, client, request, "CoA-Request", user, packet.CoAACK)


def _send(config: RouterConfig, client, request, what: str, user: str, ack: int) -> None:
    from pyrad import packet
    from pyrad.client import Timeout
    try:
        reply = client.SendPacket(request)
    except Timeout:
        raise RouterUnreachable(f"router {config.name}: no answer to the {what} for '{user}'") from None
    except OSError as exc:
        raise RouterUnreachable(f"router {config.name}: {reason(exc)}") from None
    if reply.code != ack:
        if ack == packet.DisconnectACK and SESSION_NOT_FOUND in _error_causes(reply):
            return          # the session the Disconnect was for has ended already: what it asked holds
        raise RouterProtocolError(f"router {config.name}: refused the {what} for '{user}' (NAK)")


def _error_causes(reply) -> list[int]:
    try:
        return [int(value) for value in reply.get("Error-Cause", [])]
    except (TypeError, ValueError):
        return []
