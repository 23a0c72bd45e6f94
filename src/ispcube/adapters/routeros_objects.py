"""The objects ispcube provisions on a MikroTik (S1): where each kind lives, how a menu's rows
become `Held` objects, and how an `Op` becomes one API command.

A MikroTik keeps a plan's speed in a PPP profile (`/ppp/profile`), a PPPoE login in a secret
(`/ppp/secret`) and an IP-only connection's speed in a simple queue (`/queue/simple`); each row
is named by its `name` and addressed by its `.id`. Address-list entries are read for `network
adopt` only (an entry is named by its address). The driver sends the commands through the
pipelined writer (S5); nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ispcube.domain.provisioning import ORDER, Held, ObjectKind, Op, Verb

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


def command(op: Op) -> list[str]:
    """The API words that make OP (its kind one of PROVISIONED)."""
    menu = MENUS[op.kind]
    fields = [f"={name}={value}" for name, value in op.fields.items() if name != "name"]
    if op.verb == Verb.ADD:
        return [f"{menu}/add", f"=name={op.name}", *fields]
    address = f"=.id={op.row_id}" if op.row_id else f"=numbers={op.name}"
    if op.verb == Verb.SET:
        return [f"{menu}/set", address, *fields]
    return [f"{menu}/remove", address]


def tolerated(op: Op) -> tuple[str, ...]:
    """The refusals that still mean OP's wanted state holds."""
    return {Verb.ADD: ALREADY_THERE, Verb.REMOVE: ALREADY_GONE}.get(op.verb, ())


def waves(ops: list[Op]) -> list[list[Op]]:
    """OPS cut where their kind's order changes (profiles added, then secrets and queues, then
    profiles removed), so that every op of one wave is answered before the next wave is sent:
    RouterOS may carry out tagged commands in flight in any order, and a secret must not
    reach the router before the profile it names."""
    cut: list[list[Op]] = []
    for op in ops:
        if cut and ORDER[cut[-1][-1].kind] == ORDER[op.kind]:
            cut[-1].append(op)
        else:
            cut.append([op])
    return cut
