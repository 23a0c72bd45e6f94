"""The objects ispcube provisions on a MikroTik (S1): where each kind lives, how a menu's rows
become `Held` objects, and how an `Op` becomes API commands.

A MikroTik keeps a plan's speed in a PPP profile (`/ppp/profile`), a PPPoE login in a secret
(`/ppp/secret`) and an IP-only connection's speed in a simple queue (`/queue/simple`); each row
is named by its `name` and addressed by its `.id`. Address-list entries are read for `network
adopt` only (an entry is named by its address). The driver sends the commands through the
pipelined writer (S5); nothing here does I/O.
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
        return [[f"{menu}/remove", f"=.id={op.row_id}"]]
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
        if op.verb != Verb.ADD and not op.row_id:
            return "not sent: the router's row id was not read"
        profile = op.fields.get("profile") if op.kind == ObjectKind.SECRET else None
        if profile in self.unmade_profiles:
            return f"not sent: its profile '{profile}' could not be made"
        return None

    def in_order(self) -> list[RouterError | None]:
        return [self.results[index] for index in range(len(self.ops))]


def apply(router: str, ops: Sequence[Op], run: Run) -> Applied:
    """Make OPS wave by wave through RUN (the pipelined writer). A refused op fails alone; once
    RUN raises RouterUnreachable, that wave's ops and every later one fail with it."""
    applied = Applied(router, ops)
    for wave in waves(ops):
        sent = []
        for index in wave:
            if (why := applied.blocked(ops[index])) is not None:
                applied.refuse(index, why)
            else:
                sent.append(index)
        made = {index: commands(ops[index]) for index in sent}
        try:
            answers = iter(run([words for index in sent for words in made[index]]) if sent else [])
        except RouterUnreachable as exc:
            applied.results.update({index: exc for index in range(len(ops)) if index not in applied.results})
            break
        for index in sent:
            applied.settle(index, [next(answers) for _ in made[index]])
    return applied


def _unsecret(text: str, op: Op) -> str:
    """TEXT without OP's password, should the router have quoted it."""
    password = op.fields.get("password")
    return text.replace(password, "********") if password else text
