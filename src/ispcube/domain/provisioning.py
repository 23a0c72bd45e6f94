"""What a connection means on its router (S1), and how a router is brought to it (S2, S3).

Pure rules, no I/O. The database gives `Line`s (a connection with its client and plan); the
router gives `Held` objects (what it has, read once); `wanted_objects` says what ispcube wants
on a router of each kind, and `diff` the `Op`s that bring the router there, touching only
objects ispcube owns (S3): made by it (a name `ispcube-...`, or a comment `ispcube:<code>`) or
adopted (recorded in the database by `network adopt`). Anything else is foreign: never changed,
listed by `provision --check`; a wanted object whose name a foreign one holds is a conflict,
reported, never overwritten.

Each object carries only the fields ispcube manages: a secret's `disabled` and a RADIUS user's
enforce group belong to enforce (the cut, the throttle), so provisioning neither sets them nor
sees them as drift. Only an object made new starts in the state enforce would give it
(`Wanted.on_add`): a cut client's new secret is made disabled, a cut or throttled client's new
RADIUS user joins enforce's group in the same write, so no new login works, even for a moment,
that enforce has to close afterwards; from then on that state is enforce's alone.

Speeds are kilobits per second in the database; on the router a rate pair is `upload/download`
(RouterOS's rx/tx seen from the router, the order of PPP `rate-limit`, a simple queue's
`max-limit` and the `Mikrotik-Rate-Limit` attribute), written with `k`/`M` and compared as bits
per second (RouterOS prints a queue's limits in bits per second, a profile's as written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import re
from typing import Iterable, Mapping

from ispcube.domain.terms import Service

PREFIX = "ispcube-"            # names of the profiles and queues ispcube makes
MARK = "ispcube:"              # comment of the secrets and queues ispcube makes: "ispcube:<code>"
DEFAULT_PROFILE = "default"    # a PPPoE connection without a plan gets the router's default profile


NO_PLAN_GROUP = "ispcube"      # RADIUS group of ispcube's users that have no plan
# The field of a new RADIUS user that names its client's service state when it is held (cut or
# throttled): the driver puts the user in the group enforce shows that state with.
SERVICE = "service"


class ObjectKind(StrEnum):
    PROFILE = "profile"            # MikroTik /ppp/profile: a plan's rate-limit
    SECRET = "secret"              # MikroTik /ppp/secret: a PPPoE login
    QUEUE = "queue"                # MikroTik /queue/simple: an IP-only connection's speed
    RADIUS_USER = "radius-user"    # radcheck + radreply + radusergroup rows of one user
    ADDRESS = "address"            # MikroTik address-list entry: read for `network adopt` only


class Verb(StrEnum):
    ADD = "add"
    SET = "set"
    REMOVE = "remove"


@dataclass(frozen=True)
class Plan:
    name: str
    down_kbps: int | None
    up_kbps: int | None
    burst_down_kbps: int | None = None
    burst_up_kbps: int | None = None
    burst_seconds: int | None = None


@dataclass(frozen=True)
class Line:
    """One connection as provisioning sees it (deleted clients' connections are not lines)."""
    connection_id: int
    client_code: str
    ip: str | None
    pppoe_user: str | None
    password: str | None = field(default=None, repr=False)
    plan: Plan | None = None
    # The client's service state: it shapes only a new object (Wanted.on_add), and a change of
    # it is enforce's to make, so two readings differing only here are the same line.
    service: Service = field(default=Service.ACTIVE, compare=False)


@dataclass(frozen=True)
class Wanted:
    """An object ispcube wants on a router: the fields it manages, in the router's words."""
    kind: ObjectKind
    name: str
    fields: Mapping[str, str]
    connection_id: int | None = None     # None: a plan's profile, shared by its connections
    client_code: str | None = None
    # Fields an add carries besides FIELDS, never compared nor set afterwards: the state
    # enforce would give a new object (a cut client's secret disabled), which is enforce's to change.
    on_add: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'"


@dataclass(frozen=True)
class Held:
    """An object as the router holds it: every field read (the driver's words), its row id."""
    kind: ObjectKind
    name: str
    fields: Mapping[str, str]
    row_id: str | None = None
    marked: bool = False     # the router keeps ispcube's own mark on it (RADIUS: a group of ours)

    @property
    def comment(self) -> str:
        return self.fields.get("comment") or ""

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'"


@dataclass(frozen=True)
class Op:
    """One change: add a wanted object, set the fields that differ, or remove an owned one."""
    verb: Verb
    kind: ObjectKind
    name: str
    fields: Mapping[str, str] = field(default_factory=dict)
    row_id: str | None = None
    connection_id: int | None = None
    client_code: str | None = None

    @property
    def label(self) -> str:
        return f"{self.verb} {self.kind} '{self.name}'"


@dataclass
class Diff:
    ops: list[Op] = field(default_factory=list)
    conflicts: list[Wanted] = field(default_factory=list)   # wanted, but a foreign object has the name
    foreign: list[Held] = field(default_factory=list)       # not ours, not wanted: left alone
    missing_password: list[Wanted] = field(default_factory=list)  # a secret to add with no password known


# -- speeds

_UNITS = {"": 1, "k": 1000, "K": 1000, "M": 1_000_000, "G": 1_000_000_000}
_RATE = re.compile(r"(\d+(?:\.\d+)?)([kKMG]?)")


def rate(kbps: int) -> str:
    """A speed in RouterOS's words: 20000 -> '20M', 512 -> '512k'."""
    return f"{kbps // 1000}M" if kbps % 1000 == 0 else f"{kbps}k"


def rate_limit(plan: Plan) -> str | None:
    """The plan's `upload/download [burst [threshold [time]]]` (None: the plan sets no speed).

    A burst lets a connection reach the burst rate while its average over the burst time
    stays under the threshold, set at three quarters of the plan's rate."""
    if not plan.down_kbps or not plan.up_kbps:
        return None
    text = f"{rate(plan.up_kbps)}/{rate(plan.down_kbps)}"
    if plan.burst_down_kbps and plan.burst_up_kbps and plan.burst_seconds:
        text += (f" {rate(plan.burst_up_kbps)}/{rate(plan.burst_down_kbps)}"
                 f" {rate(plan.up_kbps * 3 // 4)}/{rate(plan.down_kbps * 3 // 4)}"
                 f" {plan.burst_seconds}s/{plan.burst_seconds}s")
    return text


def same_rate(a: str | None, b: str | None) -> bool:
    """Do two rate texts say the same speeds ('10M/20M' and '10000000/20000000' do)?"""
    return _rate_words(a) == _rate_words(b)


def _rate_words(text: str | None) -> tuple[str, ...]:
    words = []
    for word in (text or "").split():
        parts = []
        for part in word.split("/"):
            match = _RATE.fullmatch(part)
            parts.append(str(int(float(match.group(1)) * _UNITS[match.group(2)])) if match else part)
        words.append("/".join(parts))
    return tuple(words)


RATE_FIELDS = frozenset({"rate-limit", "max-limit", "Mikrotik-Rate-Limit"})


def same_value(name: str, wanted: str, held: str | None) -> bool:
    if name in RATE_FIELDS:
        return same_rate(wanted, held)
    if name == "target":           # RouterOS prints a queue's target as 10.0.0.5/32
        return _host(wanted) == _host(held or "")
    return wanted == (held or "")


def _host(target: str) -> str:
    return ",".join(sorted(t.removesuffix("/32") for t in target.split(",") if t))


# -- names and ownership

def profile_name(plan: Plan) -> str:
    return PREFIX + plan.name


def queue_name(code: str, connection_id: int, only: bool) -> str:
    """`ispcube-<code>`; a client with more than one IP-only connection on a router gets
    `ispcube-<code>-<connection id>` for each."""
    return f"{PREFIX}{code}" if only else f"{PREFIX}{code}-{connection_id}"


def mark(code: str) -> str:
    return MARK + code


def made_by_us(held: Held) -> bool:
    """Did ispcube make HELD (a name, comment or the driver's mark says so)?"""
    if held.marked:
        return True
    if held.kind in (ObjectKind.PROFILE, ObjectKind.QUEUE) and held.name.startswith(PREFIX):
        return True
    return held.comment.startswith(MARK)


def owned(held: Held, adopted: Iterable[tuple[str, str]]) -> bool:
    """Is HELD ispcube's: made by it, or adopted ((kind, name) pairs recorded by `network adopt`)?"""
    return made_by_us(held) or (str(held.kind), held.name) in set(adopted)


# -- what a router of each kind should hold

def wanted_objects(kind: str, lines: Iterable[Line]) -> list[Wanted]:
    """Every object ispcube wants on a router of KIND ('mikrotik' or 'radius') for LINES."""
    lines = list(lines)
    if kind == "radius":
        return [w for line in lines if (w := _radius_user(line)) is not None]
    wanted: list[Wanted] = []
    profiles: dict[str, Wanted] = {}
    ip_only: dict[str, int] = {}
    for line in lines:
        if not line.pppoe_user and line.ip:
            ip_only[line.client_code] = ip_only.get(line.client_code, 0) + 1
    for line in lines:
        if line.pppoe_user:
            fields = {"service": "pppoe", "comment": mark(line.client_code),
                      "profile": DEFAULT_PROFILE}
            if line.password:
                fields["password"] = line.password
            if line.ip:
                fields["remote-address"] = line.ip
            if line.plan is not None and (limit := rate_limit(line.plan)) is not None:
                name = profile_name(line.plan)
                profiles.setdefault(name, Wanted(ObjectKind.PROFILE, name, {"rate-limit": limit}))
                fields["profile"] = name
            held = {"disabled": "yes"} if line.service == Service.CUT else {}
            wanted.append(Wanted(ObjectKind.SECRET, line.pppoe_user, fields, line.connection_id, line.client_code,
                                 held))
        elif line.ip and line.plan is not None and (limit := rate_limit(line.plan)) is not None:
            name = queue_name(line.client_code, line.connection_id, ip_only[line.client_code] == 1)
            wanted.append(Wanted(ObjectKind.QUEUE, name,
                                 {"target": f"{line.ip}/32", "max-limit": limit, "comment": mark(line.client_code)},
                                 line.connection_id, line.client_code))
    return sorted(profiles.values(), key=lambda w: w.name) + wanted


def login_kind(kind: str) -> ObjectKind:
    """The object a PPPoE login is on a router of KIND: a RADIUS user, or a MikroTik secret."""
    return ObjectKind.RADIUS_USER if kind == "radius" else ObjectKind.SECRET


def _radius_user(line: Line) -> Wanted | None:
    if not line.pppoe_user:
        return None
    fields: dict[str, str] = {}
    if line.password:
        fields["Cleartext-Password"] = line.password
    if line.ip:
        fields["Framed-IP-Address"] = line.ip
    fields["group"] = NO_PLAN_GROUP
    if line.plan is not None:
        fields["group"] = profile_name(line.plan)
        if (limit := rate_limit(line.plan)) is not None:
            fields["Mikrotik-Rate-Limit"] = limit
    held = {SERVICE: str(line.service)} if line.service != Service.ACTIVE else {}
    return Wanted(ObjectKind.RADIUS_USER, line.pppoe_user, fields, line.connection_id, line.client_code, held)


# -- bringing a router there

ORDER = {ObjectKind.PROFILE: 0, ObjectKind.SECRET: 1, ObjectKind.QUEUE: 1, ObjectKind.RADIUS_USER: 1,
         ObjectKind.ADDRESS: 1}
BUILT_IN_PROFILES = ("default", "default-encryption")     # every MikroTik has them: not listed as foreign


def diff(wanted: Iterable[Wanted], held: Iterable[Held], adopted: Iterable[tuple[str, str]] = (),
         remove_unwanted: bool = True, retried: Iterable[int] = (),
         departed: Mapping[tuple[ObjectKind, str], str] | None = None) -> Diff:
    """The ops that bring HELD to WANTED, touching only owned objects.

    Order: profiles are added and changed before the secrets that use them, and removed after
    the secrets that used them. REMOVE_UNWANTED False keeps owned objects nothing wants
    (a run limited to some connections). RETRIED: connections whose last attempt failed; their
    UNTRACED fields are set again even when the router holds them (see UNTRACED). DEPARTED:
    logins ((kind, name): client code) whose removal failed before; one the router no longer
    holds, nor anything wants, is removed again (row id None), since the removal of a login
    also ends its live session and that step leaves no object to read back."""
    departed = departed or {}
    adopted = set(adopted)
    retried = set(retried)
    held_by = {(h.kind, h.name): h for h in held}
    result = Diff()
    wanted_keys = set()
    adds: list[Op] = []
    for want in wanted:
        wanted_keys.add((want.kind, want.name))
        have = held_by.get((want.kind, want.name))
        if have is None:
            if want.kind in (ObjectKind.SECRET, ObjectKind.RADIUS_USER) and \
                    ("password" if want.kind == ObjectKind.SECRET else "Cleartext-Password") not in want.fields:
                result.missing_password.append(want)
                continue
            adds.append(Op(Verb.ADD, want.kind, want.name, {**want.fields, **want.on_add}, None,
                           want.connection_id, want.client_code))
            continue
        if not owned(have, adopted):
            result.conflicts.append(want)
            continue
        changed = {k: v for k, v in want.fields.items() if not same_value(k, v, have.fields.get(k))}
        # fields ispcube no longer wants (an IP taken off, a plan without speed) are emptied
        changed.update({k: "" for k in CLEARED.get(want.kind, ()) if have.fields.get(k) and k not in want.fields})
        if want.connection_id in retried:
            changed.update({k: want.fields[k] for k in UNTRACED.get(want.kind, ()) if want.fields.get(k)})
        if changed:
            adds.append(Op(Verb.SET, want.kind, want.name, changed, have.row_id,
                           want.connection_id, want.client_code))
    removes: list[Op] = []
    for have in held_by.values():
        if (have.kind, have.name) in wanted_keys:
            continue
        if not owned(have, adopted):
            if not (have.kind == ObjectKind.PROFILE and have.name in BUILT_IN_PROFILES):
                result.foreign.append(have)
        elif remove_unwanted:
            removes.append(Op(Verb.REMOVE, have.kind, have.name, {}, have.row_id,
                              client_code=departed.get((have.kind, have.name))))
    if remove_unwanted:
        removes += [Op(Verb.REMOVE, kind, name, {}, None, client_code=code) for (kind, name), code in departed.items()
                    if (kind, name) not in held_by and (kind, name) not in wanted_keys]
    adds.sort(key=lambda op: ORDER[op.kind])
    removes.sort(key=lambda op: -ORDER[op.kind])
    result.ops = adds + removes
    result.foreign.sort(key=lambda h: (h.kind, h.name))
    return result


RADIUS_FIELDS = ("Cleartext-Password", "Framed-IP-Address", "Mikrotik-Rate-Limit", "group")
# Optional fields an owned object loses when ispcube stops wanting them.
CLEARED = {ObjectKind.SECRET: ("remote-address",),
           ObjectKind.RADIUS_USER: ("Framed-IP-Address", "Mikrotik-Rate-Limit")}
# Fields whose setting also makes a step that leaves no trace to read back: a RADIUS user's
# rate is told to its live session by CoA. Once the rows are written a second diff sees
# nothing to do, so a connection whose attempt failed (a NAK, a silent NAS) sets them again.
# (A rate taken off drops the session instead; the driver puts the rate back when the NAS does
# not do it, so the next diff finds the change still to make.)
UNTRACED = {ObjectKind.RADIUS_USER: ("Mikrotik-Rate-Limit",)}
