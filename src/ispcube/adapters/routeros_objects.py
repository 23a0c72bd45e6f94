"""The objects ispcube provisions on a MikroTik (S1): where each kind lives, how a menu's rows
become `Held` objects, and how an `Op` becomes API commands.

A MikroTik keeps a plan's speed in a PPP profile (`/ppp/profile`), a PPPoE login in a secret
(`/ppp/secret`) and an IP-only connection's speed in a simple queue (`/queue/simple`); each row
is named by its `name` and addressed by its `.id`. A login's live session (`/ppp/active`, named
by the login) outlives its secret, so the remove of a secret also removes its session, once the
secret is gone (a session dropped first could log in again before the secret's removal).
Address-list entries are read for `network adopt` only (an entry is named by its address). The
driver sends the commands through the pipelined writer (S5) and reads the sessions; nothing
here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from ispcube.domain.provisioning import ORDER, Held, ObjectKind, Op, Verb
from ispcube.errors import RouterError, RouterProtocolError, RouterUnreachable

if TYPE_CHECKING:
    from ispcube.adapters.routeros_pipeline import Answer

MENUS = {
    ObjectKind.PROFILE: "/ppp/profile",
    ObjectKind.SECRET: "/ppp/secret",
    ObjectKind.QUEUE: "/queue/simple",
    ObjectKind.ADDRESS: "/ip/firewall/address-list",
}
ACTIVE = "/ppp/active"
PROVISIONED = (ObjectKind.PROFILE, ObjectKind.SECRET, ObjectKind.QUEUE)   # the kinds apply_objects makes

# RouterOS's words for an add whose object exists (address lists, secrets and profiles, queues)
# and a remove of one that is gone: the wanted state holds, the op is done.
ALREADY_THERE = ("already have such entry", "with the same name already exists", "already have such name")
ALREADY_GONE = ("no such item",)

Row = Mapping[str, str]
Run = Callable[[Sequence[Sequence[str]]], "list[Answer]"]   # commands in, answers in their order


def held_objects(rows_of: Callable[[str], Iterable[Row]], addresses: bool = False) -> list[Held]:
    """Every profile, secret and queue (and with ADDRESSES every address-list entry), one
    print per menu; ROWS_OF prints a menu (rows as routeros-api gives them, `.id` as `id`)."""
    held = []
    for kind in PROVISIONED + ((ObjectKind.ADDRESS,) if addresses else ()):
        key = "address" if kind == ObjectKind.ADDRESS else "name"
        held += [_held(kind, row[key], row) for row in rows_of(MENUS[kind])]
    return held


def _held(kind: ObjectKind, name: str, row: Row) -> Held:
    return Held(kind, name, {field: value for field, value in row.items() if field not in ("id", ".id")},
                row.get("id") or row.get(".id"))


def commands(op: Op) -> list[list[str]]:
    """The API commands that make OP (its kind one of PROVISIONED; a set or remove names its row
    id). A field a set empties is unset, one command each: `unset =value-name=` is how the API
    clears a property (an empty `=remote-address=` is no address)."""
    menu = MENUS[op.kind]
    if op.verb == Verb.ADD:
        return [[f"{menu}/add", f"=name={op.name}",
                 *(f"={name}={value}" for name, value in op.fields.items() if name != "name")]]
    if op.verb == Verb.REMOVE:
        return [[f"{menu}/remove", f"=.id={op.row_id}"]] if op.row_id else []
    kept = [f"={name}={value}" for name, value in op.fields.items() if value != ""]
    cleared = [name for name, value in op.fields.items() if value == ""]
    return ([[f"{menu}/set", f"=.id={op.row_id}", *kept]] if kept else []) + \
        [[f"{menu}/unset", f"=.id={op.row_id}", f"=value-name={name}"] for name in cleared]


def tolerated(op: Op) -> tuple[str, ...]:
    """The refusals that still mean OP's wanted state holds."""
    return {Verb.ADD: ALREADY_THERE, Verb.REMOVE: ALREADY_GONE}.get(op.verb, ())


def waves(ops: Sequence[Op]) -> list[list[int]]:
    """The positions of OPS cut where their kind's order changes (profiles added, then secrets
    and queues, then profiles removed), so that every op of one wave is answered before the next
    wave is sent: RouterOS may carry out the tagged commands in flight in any order, and a
    secret must not reach the router before the profile it names."""
    cut: list[list[int]] = []
    for index, op in enumerate(ops):
        if cut and ORDER[ops[cut[-1][-1]].kind] == ORDER[op.kind]:
            cut[-1].append(index)
        else:
            cut.append([index])
    return cut


class Applied:
    """What became of each op of a batch, and how many commands changed the router."""

    def __init__(self, router: str, ops: Sequence[Op]) -> None:
        self.router = router
        self.ops = ops
        self.results: dict[int, RouterError | None] = {}
        self.writes = 0
        self.unmade_profiles: set[str] = set()

    def refuse(self, index: int, why: str) -> None:
        op = self.ops[index]
        self.results[index] = RouterProtocolError(f"router {self.router}: {op.label}: {_unsecret(why, op)}")
        if op.verb == Verb.ADD and op.kind == ObjectKind.PROFILE:
            self.unmade_profiles.add(op.name)

    def settle(self, index: int, answers: Sequence[Answer]) -> None:
        """Record the answers to OP's commands: done, or refused by the first refusal."""
        self.results[index] = None
        for answer in answers:
            if answer.trapped and not any(words in answer.message for words in tolerated(self.ops[index])):
                if self.results[index] is None:
                    self.refuse(index, f"refused ({answer.message})")
                continue
            self.writes += 0 if answer.trapped else 1

    def blocked(self, op: Op) -> str | None:
        """Why OP is not sent (None: it is): a kind a MikroTik does not keep, a set or remove
        without the row id read, or a secret whose profile could not be made."""
        if op.kind not in PROVISIONED:
            return f"a MikroTik router keeps no {op.kind}"
        if op.verb != Verb.ADD and not op.row_id and not ends_session(op):
            return "not sent: the router's row id was not read"
        profile = op.fields.get("profile") if op.kind == ObjectKind.SECRET else None
        if profile in self.unmade_profiles:
            return f"not sent: its profile '{profile}' could not be made"
        return None

    def in_order(self) -> list[RouterError | None]:
        return [self.results[index] for index in range(len(self.ops))]


def ends_session(op: Op) -> bool:
    """Does OP end a login's live session (the remove of a secret; without a row id, a secret
    already gone whose session may have stayed up)?"""
    return op.verb == Verb.REMOVE and op.kind == ObjectKind.SECRET


def apply(router: str, ops: Sequence[Op], run: Run, sessions: Callable[[], Mapping[str, str]] = dict) -> Applied:
    """Make OPS wave by wave through RUN (the pipelined writer). Once a wave has removed
    secrets, SESSIONS() ({login: `.id`} of `/ppp/active`, read after the secrets are gone, so
    no session can start after the read) is asked once and those logins' sessions are removed,
    as part of their ops. A refused op fails alone; once RUN raises RouterUnreachable, that
    wave's ops and every later one fail with it."""
    applied = Applied(router, ops)
    live: Mapping[str, str] | None = None
    for wave in waves(ops):
        sent = []
        for index in wave:
            if (why := applied.blocked(ops[index])) is not None:
                applied.refuse(index, why)
            else:
                sent.append(index)
        if not _send(applied, {index: commands(ops[index]) for index in sent}, run):
            break
        ended = [index for index in sent if applied.results[index] is None and ends_session(ops[index])]
        if ended and live is None:
            try:
                live = sessions()
            except RouterError as exc:
                applied.results.update({index: exc for index in ended})
                if isinstance(exc, RouterUnreachable):
                    _fail_rest(applied, exc)
                    break
                live = {}
                continue
        found = live or {}
        if not _send(applied, {index: [[f"{ACTIVE}/remove", f"=.id={found[ops[index].name]}"]]
                               for index in ended if ops[index].name in found}, run):
            break
    return applied


def _fail_rest(applied: Applied, exc: RouterError) -> None:
    applied.results.update({index: exc for index in range(len(applied.ops)) if index not in applied.results})


def _send(applied: Applied, made: Mapping[int, list[list[str]]], run: Run) -> bool:
    """Send the commands MADE for some ops ({op position: commands}) and settle each op by its
    answers; False when the router is unreachable (then those ops and every later one fail)."""
    sending = [words for commands_of in made.values() for words in commands_of]
    try:
        answers = iter(run(sending) if sending else [])
    except RouterUnreachable as exc:
        applied.results.update({index: exc for index in made})
        _fail_rest(applied, exc)
        return False
    for index, commands_of in made.items():
        applied.settle(index, [next(answers) for _ in commands_of])
    return True


def _unsecret(text: str, op: Op) -> str:
    """TEXT without OP's password, should the router have quoted it."""
    password = op.fields.get("password")
    return text.replace(password, "********") if password else text
