"""`connection import FILE` (M2): client connections in bulk, a kind of the import engine.

Each row is checked as `connection add` checks it (services/network/connections.py): the
client exists and is not deleted, the router and the panel exist, the IP, MAC and PPPoE user
are what a router can hold (domain/network.py, stored in the same spelling), the plan exists,
the connection has an IP or a PPPoE user (a PPPoE user on a RADIUS router), and its IP and
PPPoE user are free on its router, among the stored connections and the file's earlier rows.
The file `connection list --format csv` writes is read back as it is (its id column is
skipped: ids belong to the database that wrote it).

With --update, a row naming a stored connection (its router and IP; its router and PPPoE
user when the row has no IP) changes it: the columns present set their value (an empty cell
clears it), the others stay. Without it such a row is refused.

A PPPoE password column (pppoe_password, clave_pppoe, contrasena...) is optional: a row gives
the password its CPE already uses, checked as `connection add --pppoe-password-stdin` checks it
and never repeated in a problem. A row without one gets no password made: a migrated CPE keeps
the one it has, and provisioning reports its connection as lacking one until it is given
(`connection edit --pppoe-password-stdin`, or the file again with --update).

Every client whose connections the import adds or changes gets one client-log entry
saying what was added and changed (of a password, only that it was set or changed), written in
one batch once the import is accepted, and every connection added, or changed in what its
router holds, gets its provisioning task (S2; a move or new names also the removal of the old
ones), in the import's transaction.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_, update

from ispcube.adapters.drivers import kind_of
from ispcube.db import models as m
from ispcube.db.bulk_insert import bulk_insert
from ispcube.domain import network as rules
from ispcube.domain.network import Lacks, connection_lacks, parse_cpe_kind, parse_ip, parse_mac, parse_pppoe_user
from ispcube.errors import Invalid, IspcubeError, Refused
from ispcube.services.admin.provision_queue import queue_provision, queue_removal
from ispcube.services.clients.log import log_bulk
from ispcube.services.imports.columns import ColumnMap, cell_text, check_shape, header_key, map_header
from ispcube.services.imports.engine import ImportRun, TableImportOptions
from ispcube.services.imports.read import has_bad_bytes, shown_bad_bytes
from ispcube.services.network.connections import taken_on_router

CONNECTIONS = m.Connection.__table__
CLIENTS = m.Client.__table__

# The row's values, in the order workers send them back (see check_row).
FIELDS = ("client", "router", "ip", "mac", "pppoe_user", "plan", "cpe_kind", "panel", "pppoe_password")
CLIENT, ROUTER, IP, MAC, PPPOE, PLAN, CPE, PANEL, PASSWORD = range(len(FIELDS))
# The stored column each field sets (client and routers by id).
STORED = ("client_id", "router_id", "ip", "mac", "pppoe_user", "plan_id", "cpe_kind", "panel_router_id",
          "pppoe_password")
# What a router holds of a connection: a change of any of these leaves a provisioning task, and
# of the names (NAMED) the removal of the old ones too (a queue is named after the client).
PROVISIONED = {"client_id", "router_id", "ip", "pppoe_user", "plan_id", "pppoe_password"}
NAMED = ("client_id", "router_id", "ip", "pppoe_user")
HIDDEN = "***"      # what a problem shows of a password
ALIASES = {
    "code": "client", "codigo": "client", "cliente": "client", "client_code": "client",
    "codigo_cliente": "client", "nro_cliente": "client",
    "nas": "router", "equipo": "router",
    "ip_address": "ip", "direccion_ip": "ip", "ipv4": "ip",
    "mac_address": "mac", "direccion_mac": "mac",
    "pppoe": "pppoe_user", "usuario_pppoe": "pppoe_user", "pppoe_username": "pppoe_user",
    "user_pppoe": "pppoe_user", "usuario": "pppoe_user",
    "plan_name": "plan", "plan_de_servicio": "plan",
    "cpe": "cpe_kind", "tipo_cpe": "cpe_kind", "cpe_type": "cpe_kind",
    "panel_router": "panel", "panel_nas": "panel",
    "password": "pppoe_password", "pppoe_pass": "pppoe_password", "clave": "pppoe_password",
    "clave_pppoe": "pppoe_password", "contrasena": "pppoe_password", "contrasena_pppoe": "pppoe_password",
    "password_pppoe": "pppoe_password",
}
# What `connection list` writes that an import does not set.
READ_ONLY = {"id"}


def field_for(header: str) -> str | None:
    key = header_key(header)
    return key if key in FIELDS else ALIASES.get(key)


def map_columns(header: list[str]) -> ColumnMap:
    columns = map_header(header, field_for, READ_ONLY, "connection",
                         "use client, router, ip, mac, pppoe_user, plan, cpe_kind, panel, pppoe_password, "
                         "as `connection list --format csv` writes them, or cliente, usuario_pppoe")
    missing = [name for name in ("client", "router") if name not in columns.present]
    if missing:
        raise Invalid(f"the file has no {' and no '.join(missing)} column: every connection names "
                      "its client (cliente) and its router")
    if "ip" not in columns.present and "pppoe_user" not in columns.present:
        raise Invalid("the file has no ip and no pppoe_user column: every connection needs one of them")
    return columns


@dataclass
class CheckContext:
    columns: ColumnMap
    routers: dict[str, tuple[int, str]]         # name -> (id, kind)
    plans: dict[str, int]                       # name -> id
    mixed_encoding: bool = False


def check_row(ctx: CheckContext, line: int, cells: list[str | None]) -> tuple:
    """The row's problems and values, checked without the database: (line, problems or
    None, values in FIELDS order; a field whose column the file lacks is None)."""
    problems: list[tuple[str, str, str]] = []
    columns = ctx.columns
    check_shape(problems, columns, cells)
    values: list[Any] = [None] * len(FIELDS)
    width = len(cells)
    for index, name in columns.used:
        header = columns.headers[index]
        value = cells[index] if index < width else None
        if name == "pppoe_password":
            # Taken as it is (spaces count, an apostrophe too); a problem never shows it.
            seen = len(problems)
            values[PASSWORD] = _password(problems, header, value, ctx.mixed_encoding)
            problems[seen:] = [(column, HIDDEN, reason) for column, _, reason in problems[seen:]]
            continue
        if value and value[0] == "'":
            value = cell_text(value)
        if ctx.mixed_encoding and value is not None and has_bad_bytes(value):
            problems.append((header, shown_bad_bytes(value),
                             "is not valid UTF-8: this row was saved in another encoding "
                             "than the rest of the file (save the whole file as UTF-8)"))
            continue
        if value is not None and "\x00" in value:
            problems.append((header, value, "holds a NUL byte (\\0)"))
            continue
        if value is None or not value.strip():
            if name in ("client", "router"):
                problems.append((header, value or "", "is required"))
            continue
        try:
            values[FIELDS.index(name)] = _parse(ctx, name, value)
        except Invalid as exc:
            problems.append((header, value, _reason(exc, value)))
    return line, problems or None, tuple(values)


def _password(problems: list[tuple[str, str, str]], header: str, value: str | None, mixed: bool) -> str | None:
    if not value:
        return None
    if mixed and has_bad_bytes(value):
        problems.append((header, "", "is not valid UTF-8: this row was saved in another encoding than the rest "
                                     "of the file (save the whole file as UTF-8)"))
        return None
    try:
        return rules.parse_pppoe_password(value)
    except Invalid as exc:
        problems.append((header, "", str(exc).removeprefix("connection pppoe-password ")))
        return None


def _parse(ctx: CheckContext, name: str, value: str) -> Any:
    if name == "client":
        return value.strip()
    if name in ("router", "panel"):
        found = ctx.routers.get(value.strip())
        if found is None:
            raise Invalid("no such router (see `ispcube router list`)")
        return found[0]
    if name == "plan":
        plan_id = ctx.plans.get(value.strip())
        if plan_id is None:
            raise Invalid("no such plan (see `ispcube plan list`)")
        return plan_id
    return PARSERS[name](value)


PARSERS = {"ip": parse_ip, "mac": parse_mac, "pppoe_user": parse_pppoe_user, "cpe_kind": parse_cpe_kind}


def _reason(exc: Invalid, raw: str) -> str:
    """The domain parsers name the field and the value ("connection ip '...' is ..."), which
    the problem names already: keep the reason."""
    message = str(exc)
    if not message.startswith("connection "):
        return message
    marker = f"'{raw}' "
    if marker in message:
        return message.split(marker, 1)[1]
    _, quote, rest = message.partition("' ")
    return rest if quote else message


_WORKER: dict[str, Any] = {}


def start_worker(ctx: CheckContext) -> None:
    _WORKER["context"] = ctx


def check_chunk(chunk: list[tuple[int, list[str | None]]]) -> list[tuple]:
    ctx = _WORKER["context"]
    return [check_row(ctx, line, cells) for line, cells in chunk]


@dataclass(slots=True)
class Row:
    """One row after checking and settling."""
    line: int
    problems: list[tuple[str, str, str]]
    values: list[Any]                          # FIELDS order; the client as its id once settled
    code: str = ""                             # the client's code, as the file gives it
    existing: dict[str, Any] | None = None     # the stored connection it changes (--update)

    @property
    def ok(self) -> bool:
        return not self.problems


class ConnectionDb:
    """What the import asks the database. The clients' codes and the (router, IP) and
    (router, PPPoE user) keys of the stored connections are read once, in one pass each, so
    a row that clashes with nothing costs no query (and no wait behind the writes); checks
    look only at connections stored before the import (duplicates inside the file are the
    caller's job, so each is reported once, against its line)."""

    def __init__(self, conn: Connection):
        self.conn = conn
        c = CONNECTIONS.c
        self.ips: set[tuple[int, str]] = set()
        self.users: set[tuple[int, str]] = set()
        self.before_id = 0
        for id_, router_id, ip, user in conn.execute(select(c.id, c.router_id, c.ip, c.pppoe_user)):
            self.before_id = max(self.before_id, id_)
            if ip:
                self.ips.add((router_id, ip))
            if user:
                self.users.add((router_id, user))
        # code -> id of every client; a deleted one's id is negative
        cl = CLIENTS.c
        self.clients: dict[str, int] = {code: -id_ if deleted else id_ for code, id_, deleted in
                                        conn.execute(select(cl.code, cl.id, cl.deleted))}

    def holders(self, ips: list[tuple[int, str]], users: list[tuple[int, str]]) -> list[dict[str, Any]]:
        """The stored connections holding these (router, IP) or (router, PPPoE user) keys,
        with their client's code."""
        c = CONNECTIONS.c
        found: dict[int, dict[str, Any]] = {}
        for column, keys in ((c.ip, ips), (c.pppoe_user, users)):
            if not keys:
                continue
            query = (select(c.id, *(c[name] for name in STORED), CLIENTS.c.code.label("client_code"))
                     .join(CLIENTS, CLIENTS.c.id == c.client_id)
                     .where(tuple_(c.router_id, column).in_(keys), c.id <= self.before_id))
            for row in self.conn.execute(query):
                found[row.id] = dict(row._mapping)
        return list(found.values())

    def insert(self, rows: list[tuple]) -> None:
        bulk_insert(self.conn, CONNECTIONS, STORED, rows)

    def update(self, changes: list[tuple[int, dict[str, Any]]]) -> None:
        """Apply (connection id, new values) pairs; one executemany per set of changed columns."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for conn_id, values in changes:
            groups[tuple(sorted(values))].append({"_id": conn_id, **{f"v_{k}": v for k, v in values.items()}})
        for keys, params in groups.items():
            statement = (update(CONNECTIONS).where(CONNECTIONS.c.id == bindparam("_id"))
                         .values({k: bindparam(f"v_{k}", type_=CONNECTIONS.c[k].type) for k in keys}))
            self.conn.execute(statement, params)


class ConnectionImport(ImportRun):
    """Connections, a kind of the import engine (imports/engine.py)."""
    office = "import connections"
    job = "connection import"
    check_chunk = staticmethod(check_chunk)
    start_worker = staticmethod(start_worker)

    def __init__(self, rt, uow, options: TableImportOptions, columns: ColumnMap, source, table_locked: bool = False):
        super().__init__(rt, uow, options, columns, source, table_locked)
        session = uow.session
        self.routers = {name: (id_, kind) for id_, name, kind in
                        session.execute(select(m.Router.id, m.Router.name, m.Router.kind))}
        self.router_names = {id_: name for name, (id_, _) in self.routers.items()}
        self.pppoe_user_only = {id_ for id_, kind in self.routers.values() if kind_of(kind).pppoe_user_only}
        self.plans = {name: id_ for name, id_ in session.execute(select(m.Plan.name, m.Plan.id))}
        self.plan_names = {id_: name for name, id_ in self.plans.items()}
        self.db = ConnectionDb(session.connection())
        # (router id, IP or PPPoE user) -> line of the valid rows seen so far
        self.file_ips: dict[tuple[int, str], int] = {}
        self.file_users: dict[tuple[int, str], int] = {}
        self.updating: dict[int, int] = {}          # stored connection id -> line changing it
        self.logged: dict[int, list[str]] = defaultdict(list)     # client id -> what happened
        self.provisioned: list[int] = []    # stored connections changed in what their router holds
        self.leaving: list[tuple[int, int, str | None, str | None]] = []   # their old names, to remove

    @classmethod
    def map_columns(cls, header: list[str], options: TableImportOptions) -> ColumnMap:
        return map_columns(header)

    def context(self) -> CheckContext:
        return CheckContext(self.columns, self.routers, self.plans, self.source.mixed)

    # settling: clients, stored connections, the file's earlier rows

    def settle(self, sent: list) -> list[Row]:
        rows = [Row(line, problems or [], list(values)) for line, problems, values in sent]
        # Rows with problems already are settled too, so each row's every problem is reported.
        self._settle_clients([row for row in rows if row.values[CLIENT] is not None])
        self._settle_stored([row for row in rows if row.values[ROUTER] is not None])
        for row in rows:
            if row.ok:
                self._check_whole(row)
            if row.ok:
                self._check_file(row)
        return rows

    def _settle_clients(self, rows: list[Row]) -> None:
        clients = self.db.clients
        for row in rows:
            code = row.values[CLIENT]
            client_id = clients.get(code)
            if client_id is None:
                row.problems.append((self.column("client"), code, "no such client (see `ispcube client list`)"))
            elif client_id < 0:
                row.problems.append((self.column("client"), code,
                                     "the client is deleted (`ispcube client restore` brings it back)"))
            else:
                row.code, row.values[CLIENT] = code, client_id

    @staticmethod
    def _key(row: Row) -> tuple[str, tuple[int, str]] | None:
        """What names the stored connection a row would change: its router and IP, or its
        router and PPPoE user when it has no IP."""
        router, values = row.values[ROUTER], row.values
        if values[IP]:
            return "ip", (router, values[IP])
        if values[PPPOE]:
            return "pppoe_user", (router, values[PPPOE])
        return None

    def _settle_stored(self, rows: list[Row]) -> None:
        ips = [(row.values[ROUTER], row.values[IP]) for row in rows if row.values[IP]]
        users = [(row.values[ROUTER], row.values[PPPOE]) for row in rows if row.values[PPPOE]]
        ips = [key for key in ips if key in self.db.ips]
        users = [key for key in users if key in self.db.users]
        if not ips and not users:
            return
        stored = self.database.ask(self.db.holders, ips, users)
        by_ip = {(s["router_id"], s["ip"]): s for s in stored if s["ip"]}
        by_user = {(s["router_id"], s["pppoe_user"]): s for s in stored if s["pppoe_user"]}
        for row in rows:
            key = self._key(row)
            target = (by_ip if key[0] == "ip" else by_user).get(key[1]) if key else None
            if key is not None and target is not None and not self.options.update:
                row.problems.append((self.column(key[0]), key[1][1],
                                     f"{self._label(key[0], row)} is already used on router "
                                     f"{self.router_names[row.values[ROUTER]]} by client {target['client_code']} "
                                     "(use --update to change the stored connections the file names)"))
                continue
            row.existing = target
            own = target["id"] if target else None
            for name, found in (("ip", by_ip), ("pppoe_user", by_user)):
                value = row.values[IP if name == "ip" else PPPOE]
                holder = found.get((row.values[ROUTER], value)) if value else None
                if holder is not None and holder["id"] != own:
                    row.problems.append((self.column(name), value,
                                         f"{self._label(name, row)} is already used on router "
                                         f"{self.router_names[row.values[ROUTER]]} by client {holder['client_code']}"))

    def _label(self, name: str, row: Row) -> str:
        return f"IP {row.values[IP]}" if name == "ip" else f"PPPoE user '{row.values[PPPOE]}'"

    def _merged(self, row: Row) -> list[Any]:
        """The connection as it will be stored: an update keeps what the file has no column for."""
        if row.existing is None:
            return row.values
        present = self.columns.present
        merged = [value if name in present else row.existing[STORED[i]]
                  for i, (name, value) in enumerate(zip(FIELDS, row.values, strict=True))]
        if not merged[PPPOE]:
            merged[PASSWORD] = None       # no PPPoE login, no password (as `connection edit`)
        return merged

    def _check_whole(self, row: Row) -> None:
        """What `connection add` checks of the connection as a whole."""
        merged = self._merged(row)
        router = merged[ROUTER]
        lacks = connection_lacks(merged[IP], merged[PPPOE], by_pppoe_user_only=router in self.pppoe_user_only)
        if lacks == Lacks.ADDRESS:
            column = "ip" if "ip" in self.columns.present else "pppoe_user"
            row.problems.append((self.column(column), "", "a connection needs an ip or a pppoe_user (or both)"))
        elif lacks == Lacks.PPPOE_USER:
            row.problems.append((self.column("pppoe_user"), merged[PPPOE] or "",
                                 f"a connection on RADIUS router {self.router_names[router]} needs a pppoe_user"))
        if row.values[PASSWORD] and not merged[PPPOE]:
            row.problems.append((self.column("pppoe_password"), HIDDEN,
                                 "a PPPoE password needs a pppoe_user: only a PPPoE login has a password"))

    def _check_file(self, row: Row) -> None:
        merged = self._merged(row)
        router = merged[ROUTER]
        for name, seen, value in (("ip", self.file_ips, merged[IP]), ("pppoe_user", self.file_users, merged[PPPOE])):
            if value and (router, value) in seen:
                what = f"IP {value}" if name == "ip" else f"PPPoE user '{value}'"
                row.problems.append((self.column(name), value,
                                     f"{what} on router {self.router_names[router]} is also on line "
                                     f"{seen[(router, value)]}"))
        stored_id = row.existing["id"] if row.existing is not None else None
        if row.ok and stored_id in self.updating:
            key = self._key(row)
            row.problems.append((self.column(key[0] if key else "ip"), key[1][1] if key else "",
                                 f"changes the same stored connection as line {self.updating[stored_id]}"))
        if not row.ok:
            return
        if merged[IP]:
            self.file_ips[(router, merged[IP])] = row.line
        if merged[PPPOE]:
            self.file_users[(router, merged[PPPOE])] = row.line
        if stored_id is not None:
            self.updating[stored_id] = row.line

    @classmethod
    def refused(cls, exc: Exception) -> IspcubeError | None:
        # The job lock keeps two imports apart; `connection add` may still take a value meanwhile.
        return Refused(f"{taken_on_router(exc)} of a row was given out on its router by another command "
                       "while the file was imported; nothing was imported, import the file again")

    # writing

    def write(self, rows: list[Row]) -> tuple[int, int, int]:
        new = [row for row in rows if row.existing is None]
        if new:
            self.database.send(self.db.insert, [tuple(row.values) for row in new])
        for row in new:
            told = "; password set" if row.values[PASSWORD] else ""
            self.logged[row.values[CLIENT]].append(f"added (line {row.line}): {self._describe(row.values)}{told}")
        changes = []
        unchanged = 0
        for row in rows:
            stored = row.existing
            if stored is None:
                continue
            merged = self._merged(row)
            changed = {STORED[i]: value for i, value in enumerate(merged) if stored[STORED[i]] != value}
            if not changed:
                unchanged += 1
                continue
            changes.append((stored["id"], changed))
            if PROVISIONED & set(changed):
                self.provisioned.append(stored["id"])
            if set(NAMED) & set(changed):
                self.leaving.append((stored["router_id"], stored["client_id"], stored["ip"], stored["pppoe_user"]))
            before = [stored[name] for name in STORED]
            message = (f"{stored['id']} changed (line {row.line}): "
                       f"{self._describe(before)} -> {self._describe(merged)}")
            if "pppoe_password" in changed:
                message += "; password " + ("set" if before[PASSWORD] is None else
                                            "cleared" if merged[PASSWORD] is None else "changed")
            if stored["client_id"] != merged[CLIENT]:
                message += f" (moved from client {stored['client_code']} to client {row.code})"
                self.logged[stored["client_id"]].append(message)
            self.logged[merged[CLIENT]].append(message)
        if changes:
            self.database.send(self.db.update, changes)
        return len(new), len(changes), unchanged

    def finish(self) -> None:
        self.database.send(self._queue_tasks)
        if not self.logged:
            return
        file = self.summary.file
        entries = [(client_id, "connection.import", f"import of {file}: connection " + "; connection ".join(done))
                   for client_id, done in self.logged.items()]
        self.database.send(log_bulk, self.db.conn, self.rt.now(), self.rt.operator, entries)

    def _queue_tasks(self) -> None:
        """The provisioning tasks of what the import added and changed (S2), set-based: every
        connection stored after the import began is one of its rows (the job lock keeps other
        imports out; a `connection add` meanwhile queued its own, which this one keeps)."""
        c = CONNECTIONS.c
        added = list(self.db.conn.scalars(select(c.id).where(c.id > self.db.before_id)))
        queue_removal(self.uow, self.rt, self.leaving, origin="import")
        queue_provision(self.uow, self.rt, added + self.provisioned, origin="import")

    def _describe(self, values: list[Any]) -> str:
        """As `connection add` logs a connection: router, IP, MAC, PPPoE user (and the rest)."""
        parts = [f"router {self.router_names[values[ROUTER]]}", values[IP], values[MAC] and f"mac {values[MAC]}",
                 values[PPPOE] and f"pppoe {values[PPPOE]}",
                 values[PLAN] and f"plan {self.plan_names[values[PLAN]]}",
                 values[CPE] and f"cpe {values[CPE]}",
                 values[PANEL] and f"panel {self.router_names[values[PANEL]]}"]
        return ", ".join(p for p in parts if p)
