"""Adopting an existing network (S4): which client each object already on a router belongs to.

Pure rules, no I/O. `network adopt` reads a router once (`Held` objects: PPPoE secrets, their
profiles, simple queues and address-list entries of a MikroTik, or the users of a RADIUS
database) and `match_objects` says, for each secret, queue, user or address:

- matched: the connection it is (an existing one, or one to make), found by the PPPoE user of
  an existing connection, by its IP, or by its comment naming a client (the comment is the
  client's code, starts with the code as its first word, or is the client's name; for a RADIUS
  user, which has no comment, the user name being a client's code). A comment that names two
  clients is ambiguous: reported, never guessed;
- unmatched, and why (it stays foreign: ispcube never touches it);
- a conflict: the object says two different things (its PPPoE user is one client's connection
  and its address another's, two objects claim one address).

The plan is found by speed: the secret's profile's `rate-limit`, the queue's `max-limit` or the
user's `Mikrotik-Rate-Limit` compared, as bits per second, with each plan's rate
(`provisioning.rate_limit`). No plan, or two plans, with that rate: the connection is made
without a plan and the match says why.

A queue is adopted only as the speed of an IP-only connection: a PPPoE connection's speed is
its secret's profile, so a queue on a PPPoE connection's address stays foreign (adopting it
would let the next provision remove it). Address-list entries only make IP-only connections;
they are never recorded as adopted (provisioning neither makes nor changes address lists).
Objects ispcube made, and objects adopted before, are reported as such and change nothing, so
adopting again is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import ipaddress
import re
from typing import Iterable, Mapping

from ispcube.domain.network import parse_ip, parse_pppoe_user
from ispcube.domain.provisioning import PREFIX, Held, ObjectKind, Plan, made_by_us, rate_limit, same_rate
from ispcube.errors import Invalid


class Found(StrEnum):
    """How an object was tied to its client."""
    PPPOE_USER = "pppoe user"
    IP = "ip"
    COMMENT = "comment"
    USER_NAME = "user name"     # a RADIUS user named like a client's code


class State(StrEnum):
    NEW = "new"                 # a connection to make
    CONNECTED = "connected"     # an existing connection's: recorded as adopted
    ADOPTED = "adopted"         # recorded by an earlier adopt: nothing to do
    OWN = "own"                 # made by ispcube: nothing to do
    KNOWN = "known"             # an address-list entry of a connection ispcube has


@dataclass(frozen=True)
class Known:
    """A connection the database has on the router being adopted."""
    connection_id: int
    client_code: str
    ip: str | None
    pppoe_user: str | None
    has_password: bool = False
    plan: str | None = None
    deleted: bool = False          # its client is deleted: nothing of it is adopted


@dataclass(frozen=True)
class ClientName:
    code: str
    name: str


@dataclass(frozen=True)
class Match:
    """An object and the connection it is: CHANGES are what a new or an existing connection
    gets from it (ip, pppoe_user, password, plan)."""
    kind: ObjectKind
    name: str
    client_code: str
    state: State
    by: Found | None = None
    connection_id: int | None = None          # None: a connection to make
    changes: Mapping[str, str] = field(default_factory=dict, repr=False)
    plan_note: str | None = None              # why the connection gets no plan from it
    # A speed the object sets that no plan of the connection carries: adopted, provisioning
    # would take it off (a plan-less connection gets no queue, the default profile), so the
    # object stays the router's own until a plan with that speed exists and adopt runs again.
    unplanned_rate: str | None = None

    @property
    def recorded(self) -> bool:
        """Does `--apply` record the object as adopted (S3 ownership)?"""
        return (self.state in (State.NEW, State.CONNECTED) and self.kind != ObjectKind.ADDRESS
                and self.unplanned_rate is None)

    @property
    def plan(self) -> str | None:
        return self.changes.get("plan")


@dataclass(frozen=True)
class Unmatched:
    kind: ObjectKind
    name: str
    why: str


@dataclass
class Adoption:
    matched: list[Match] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    conflicts: list[Unmatched] = field(default_factory=list)


@dataclass
class _Slot:
    """A connection as the matching goes: an existing one, or one an earlier object makes."""
    client_code: str
    ip: str | None
    pppoe_user: str | None
    connection_id: int | None = None
    object_label: str = ""            # for a connection to make: the object it comes from


_WORD = re.compile(r"[\s,;:|()]+")


class _Clients:
    """Who a comment names: its whole text or first word is a code, or its text is a name."""

    def __init__(self, clients: Iterable[ClientName]):
        self.by_code: dict[str, str] = {}
        self.by_name: dict[str, set[str]] = {}
        for client in clients:
            self.by_code[client.code.casefold()] = client.code
            self.by_name.setdefault(_normal(client.name), set()).add(client.code)

    def named(self, comment: str) -> set[str]:
        text = _normal(comment)
        if not text:
            return set()
        codes = set(self.by_name.get(text, ()))
        for word in {text, _WORD.split(text, maxsplit=1)[0]}:
            if word in self.by_code:
                codes.add(self.by_code[word])
        return codes


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _ip(text: str | None) -> str | None:
    """A single IPv4 address (a queue's target may carry /32), else None."""
    raw = (text or "").strip().removesuffix("/32")
    if not raw or "," in raw or "/" in raw:
        return None
    try:
        return parse_ip(raw)
    except Invalid:
        return None


def _network(text: str | None) -> bool:
    try:
        return ipaddress.ip_network((text or "").strip(), strict=False).num_addresses > 1
    except ValueError:
        return "," in (text or "")


def find_plan(rate: str | None, plans: Iterable[Plan]) -> tuple[str | None, str | None]:
    """(the plan whose rate is RATE, None) or (None, why no plan)."""
    if not rate:
        return None, "no rate limit"
    names = sorted(p.name for p in plans if (limit := rate_limit(p)) is not None and same_rate(limit, rate))
    if not names:
        return None, f"no plan has the rate {rate}"
    if len(names) > 1:
        return None, f"plans {' and '.join(names)} both have the rate {rate}"
    return names[0], None


class _Matcher:
    def __init__(self, known: Iterable[Known], clients: Iterable[ClientName], plans: Iterable[Plan],
                 adopted: Iterable[tuple[str, str]]):
        self.known = {k.connection_id: k for k in known}
        self.clients = _Clients(clients)
        self.plans = list(plans)
        self.adopted = set(adopted)
        self.by_user: dict[str, _Slot] = {}
        self.by_ip: dict[str, _Slot] = {}
        for k in self.known.values():
            slot = _Slot(k.client_code, k.ip, k.pppoe_user, k.connection_id)
            if k.pppoe_user:
                self.by_user[k.pppoe_user] = slot
            if k.ip:
                self.by_ip[k.ip] = slot
        self.result = Adoption()
        self.claims: dict[tuple[str, str], list[str]] = {}    # (logins or queues, address): who offers it

    def claim(self, group: str, held: Held, address: str | None) -> None:
        if (ip := _ip(address)) is not None:
            self.claims.setdefault((group, ip), []).append(held.label)

    def shared(self, group: str, held: Held, ip: str | None) -> bool:
        """Do other objects of GROUP offer HELD's address IP too? A conflict for each of them."""
        others = [label for label in self.claims.get((group, ip or ""), []) if label != held.label]
        if others:
            self.conflict(held, f"its address {ip} is also that of {' and '.join(others)}")
        return bool(others)

    # -- outcomes

    def unmatched(self, held: Held, why: str) -> None:
        self.result.unmatched.append(Unmatched(held.kind, held.name, why))

    def conflict(self, held: Held, why: str) -> None:
        self.result.conflicts.append(Unmatched(held.kind, held.name, why))

    def settled(self, held: Held) -> bool:
        """Is HELD ispcube's already (made by it, or adopted before)? Reported, nothing to do."""
        state = State.OWN if made_by_us(held) else State.ADOPTED if (str(held.kind), held.name) in self.adopted \
            else None
        if state is None:
            return False
        slot = self.by_ip.get(_ip(held.fields.get("target")) or "") if held.kind == ObjectKind.QUEUE \
            else self.by_user.get(held.name)
        code = slot.client_code if slot else held.comment.removeprefix("ispcube:")
        self.result.matched.append(Match(held.kind, held.name, code, state,
                                         connection_id=slot.connection_id if slot else None))
        return True

    def _whose(self, slot: _Slot) -> str:
        what = f"connection {slot.connection_id}" if slot.connection_id else f"the connection {slot.object_label} makes"
        return f"{what} of client {slot.client_code}"

    def by_comment(self, held: Held, text: str, tried: str) -> str | None:
        """The one client TEXT names; else reported unmatched (TRIED: what was looked for first)."""
        codes = self.clients.named(text)
        if not codes:
            names = "name is no client's code" if held.kind == ObjectKind.RADIUS_USER else "comment names no client"
            self.unmatched(held, f"no connection has its {tried}, and its {names}")
            return None
        if len(codes) > 1:
            self.unmatched(held, f"ambiguous: its {self._naming(held)} '{text}' names clients "
                                 f"{' and '.join(sorted(codes))}")
            return None
        return codes.pop()

    @staticmethod
    def _naming(held: Held) -> str:
        return "name" if held.kind == ObjectKind.RADIUS_USER else "comment"

    def comment_disagrees(self, held: Held, slot: _Slot) -> bool:
        codes = self.clients.named(held.comment)
        if len(codes) == 1 and slot.client_code not in codes:
            self.conflict(held, f"it is {self._whose(slot)} but its comment names client {codes.pop()}")
            return True
        return False

    # -- a login: a MikroTik secret or a RADIUS user

    def login(self, held: Held, ip_text: str | None, password: str | None, rate: str | None) -> None:
        if self.settled(held):
            return
        try:
            user = parse_pppoe_user(held.name)
        except Invalid as exc:
            self.unmatched(held, f"its name cannot be a PPPoE user ({exc})")
            return
        ip = _ip(ip_text)
        if self.shared("login", held, ip):
            return
        plan, plan_note = find_plan(rate, self.plans)
        mine, theirs = self.by_user.get(user), self.by_ip.get(ip) if ip else None
        if mine is not None and theirs is not None and mine is not theirs:
            self.conflict(held, f"its PPPoE user is {self._whose(mine)} but its address {ip} is {self._whose(theirs)}")
            return
        slot, found = (mine, Found.PPPOE_USER) if mine is not None else (theirs, Found.IP)
        if slot is not None:
            if slot.connection_id is None:
                self.conflict(held, f"its address {ip} is also that of {slot.object_label}")
                return
            if slot.pppoe_user and slot.pppoe_user != user:
                self.conflict(held, f"its address {ip} is {self._whose(slot)}, whose PPPoE user is '{slot.pppoe_user}'")
                return
            if self.comment_disagrees(held, slot):
                return
            self.connected(held, slot, found, ip=ip, pppoe_user=user, password=password,
                           plan=plan, plan_note=plan_note, rate=rate)
            return
        radius = held.kind == ObjectKind.RADIUS_USER
        code = self.by_comment(held, held.name if radius else held.comment, "PPPoE user or address")
        if code is None:
            return
        self.new(held, code, Found.USER_NAME if radius else Found.COMMENT, ip=ip, pppoe_user=user,
                 password=password, plan=plan, plan_note=plan_note, rate=rate)

    # -- an IP-only connection's speed, or its address

    def address(self, held: Held, target: str | None, rate: str | None) -> None:
        if held.kind != ObjectKind.ADDRESS and self.settled(held):
            return
        ip = _ip(target)
        if ip is None:
            why = "its target is a network, not one client's address" if _network(target) else \
                "it names no client address"
            self.unmatched(held, why)
            return
        if held.kind == ObjectKind.QUEUE and self.shared("queue", held, ip):
            return
        plan, plan_note = find_plan(rate, self.plans) if held.kind == ObjectKind.QUEUE else (None, None)
        slot = self.by_ip.get(ip)
        if slot is not None:
            if slot.pppoe_user:
                if held.kind == ObjectKind.ADDRESS:
                    self.result.matched.append(Match(held.kind, held.name, slot.client_code, State.KNOWN, Found.IP,
                                                     slot.connection_id))
                else:
                    self.unmatched(held, f"its address {ip} is {self._whose(slot)}, a PPPoE one whose speed is its "
                                         "secret's profile")
                return
            if held.kind == ObjectKind.ADDRESS:
                self.result.matched.append(Match(held.kind, held.name, slot.client_code, State.KNOWN, Found.IP,
                                                 slot.connection_id))
                return
            if slot.connection_id is None:
                self.conflict(held, f"its address {ip} is also that of {slot.object_label}")
                return
            if self.comment_disagrees(held, slot):
                return
            self.connected(held, slot, Found.IP, ip=ip, plan=plan, plan_note=plan_note,
                           rate=rate if held.kind == ObjectKind.QUEUE else None)
            return
        code = self.by_comment(held, held.comment, "address")
        if code is None:
            return
        self.new(held, code, Found.COMMENT, ip=ip, plan=plan,
                 plan_note=plan_note if held.kind == ObjectKind.QUEUE else "an address list carries no speed",
                 rate=rate if held.kind == ObjectKind.QUEUE else None)

    # -- results

    def connected(self, held: Held, slot: _Slot, found: Found, *, ip: str | None = None,
                  pppoe_user: str | None = None, password: str | None = None, plan: str | None = None,
                  plan_note: str | None = None, rate: str | None = None) -> None:
        """HELD is SLOT's existing connection: it fills what the connection lacks, and gives it the
        login's password as the router holds it."""
        known = self.known[slot.connection_id] if slot.connection_id is not None else None
        assert known is not None, "only an existing connection is connected to"
        if known.deleted:
            self.conflict(held, f"it is {self._whose(slot)}, a deleted client (restore the client first)")
            return
        changes: dict[str, str] = {}
        if ip and not slot.ip and ip not in self.by_ip:
            changes["ip"] = slot.ip = ip
            self.by_ip[ip] = slot
        if pppoe_user and not slot.pppoe_user:
            changes["pppoe_user"] = slot.pppoe_user = pppoe_user
            self.by_user[pppoe_user] = slot
        if password:
            # The login's password is the one its CPE uses: a password stored before was never on
            # this router (the object was not ispcube's), and provisioning would lock the CPE out.
            changes["password"] = password
        if plan and not known.plan:
            changes["plan"] = plan
        note = plan_note if not known.plan else None
        unplanned = rate if rate and not (plan or known.plan) else None
        self.result.matched.append(Match(held.kind, held.name, slot.client_code, State.CONNECTED, found,
                                         slot.connection_id, changes, _kept(note, unplanned), unplanned))

    def new(self, held: Held, code: str, found: Found, *, ip: str | None, plan: str | None,
            plan_note: str | None, pppoe_user: str | None = None, password: str | None = None,
            rate: str | None = None) -> None:
        slot = _Slot(code, ip, pppoe_user, None, held.label)
        changes = {k: v for k, v in (("ip", ip), ("pppoe_user", pppoe_user), ("password", password),
                                     ("plan", plan)) if v}
        if ip:
            self.by_ip[ip] = slot
        if pppoe_user:
            self.by_user[pppoe_user] = slot
        unplanned = rate if rate and not plan else None
        self.result.matched.append(Match(held.kind, held.name, code, State.NEW, found, None, changes,
                                         _kept(plan_note, unplanned), unplanned))


def _kept(note: str | None, unplanned_rate: str | None) -> str | None:
    """The report's note; for an object whose speed no plan carries, that it stays the router's."""
    if unplanned_rate is None:
        return note
    return (f"{note or f'no plan has the rate {unplanned_rate}'}: the connection is made, the object stays as the "
            "router has it, not adopted (add a plan with that speed and adopt again)")


def match_objects(router_kind: str, held: Iterable[Held], known: Iterable[Known], clients: Iterable[ClientName],
                  plans: Iterable[Plan], adopted: Iterable[tuple[str, str]] = ()) -> Adoption:
    """Which connection each object of HELD (read from a router of ROUTER_KIND) is, given the
    KNOWN connections on that router, the CLIENTS (not deleted), the PLANS and the objects
    ADOPTED before ((kind, name) pairs). Logins first, then queues, then address lists, so a
    queue or an address finds the connection a login makes."""
    objects = sorted(held, key=lambda h: (h.kind, h.name))
    matcher = _Matcher(known, clients, plans, adopted)
    profiles = {h.name: h.fields.get("rate-limit") for h in objects if h.kind == ObjectKind.PROFILE}
    for h in objects:
        if h.kind == ObjectKind.SECRET:
            matcher.claim("login", h, h.fields.get("remote-address"))
        elif h.kind == ObjectKind.RADIUS_USER:
            matcher.claim("login", h, h.fields.get("Framed-IP-Address"))
        elif h.kind == ObjectKind.QUEUE:
            matcher.claim("queue", h, h.fields.get("target"))
    for h in objects:
        if h.kind == ObjectKind.SECRET:
            matcher.login(h, h.fields.get("remote-address"), h.fields.get("password"),
                          profiles.get(h.fields.get("profile") or "default"))
        elif h.kind == ObjectKind.RADIUS_USER and router_kind == "radius":
            matcher.login(h, h.fields.get("Framed-IP-Address"), h.fields.get("Cleartext-Password"),
                          h.fields.get("Mikrotik-Rate-Limit"))
    for h in objects:
        if h.kind == ObjectKind.QUEUE:
            matcher.address(h, h.fields.get("target"), h.fields.get("max-limit"))
    seen: set[str] = set()
    for h in objects:
        if h.kind == ObjectKind.ADDRESS and not (h.fields.get("list") or "").startswith(PREFIX):
            address = h.fields.get("address") or h.name
            if address not in seen:       # one address on several lists is one connection
                seen.add(address)
                matcher.address(h, address, None)
    return matcher.result
