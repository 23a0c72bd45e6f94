"""Web passwords of the client portal (C8, P7): random passwords, argon2id hashes only.

`generate` gives every client without a password a new one, stores only its hash and writes
the plaintext to a new file readable by its owner alone (the migration mailing); the file
never holds a password that is not stored, and what a killed run leaves the next one settles
(webpass_file). Hashing runs on every core: argon2id is deliberately slow, so 100,000 clients
take minutes even so.
"""

import csv
from dataclasses import dataclass
import os
from pathlib import Path
import secrets
from typing import Callable, Iterator

from sqlalchemy import bindparam, select, update

from ispcube.db import models as m
from ispcube.db.chunks import chunks
from ispcube.domain.spreadsheet_safety import neutralise
from ispcube.errors import Invalid, PartialFailure, Refused
from ispcube.services.clients import webpass_file
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.clients.log import log_bulk
from ispcube.services.process.job_lock import job_lock
from ispcube.services.process.pool import ordered_map, usable_cores
from ispcube.services.process.runtime import Runtime

# No 0/O/o, 1/l/I/i: a password read aloud or copied from a letter is typed right.
ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 12
MIN_LENGTH = 10
# OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
ARGON2 = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
CHUNK = 64
PARALLEL_FROM = 32


def random_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def _hasher():
    from argon2 import PasswordHasher, Type
    return PasswordHasher(**ARGON2, type=Type.ID)


def hash_passwords(passwords: list[str]) -> list[str]:
    hasher = _hasher()
    return [hasher.hash(p) for p in passwords]


@dataclass(frozen=True)
class Generated:
    path: str
    clients: int
    recovered: tuple[str, ...] = ()     # files of stopped runs whose passwords were stored


def generate(rt: Runtime, out: str, progress: Callable[[int], None] | None = None,
             on_start: Callable[[int], None] | None = None) -> Generated:
    """Give every client without a web password one; the plaintext goes only to OUT.

    Not for collectors: it writes the passwords of every client. OUT appears only with the
    hashes of what it holds (see webpass_file); leftovers of stopped runs are settled first.
    """
    final = Path(out)
    rt.check_office("generate web passwords")
    with job_lock(rt.engine, "client webpass generate"):
        if os.path.lexists(final) and not webpass_file.left_linked(final):
            raise Refused(f"'{out}' already exists: choose a new file (it would hold passwords)")
        placed = settle_leftovers(rt, final.parent)
        recovered = tuple(str(path) for path in placed)
        if final in placed:     # the stopped run wrote to this very name: it is done now
            return Generated(str(final), len(_rows(final)), recovered)
        return Generated(str(final), _generate_file(rt, final, progress, on_start), recovered)


def _generate_file(rt: Runtime, final: Path, progress, on_start) -> int:
    stage, partial = "writing", None
    try:
        with webpass_file.stoppable() as held:
            with held():
                partial, descriptor = webpass_file.create_partial(final)
            with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle, rt.uow() as uow:
                count = _generate_into(uow, rt, csv.writer(handle), final.name, progress, on_start)
                handle.flush()
                os.fsync(handle.fileno())
                with held(last=True):
                    stage = "committing"
                    uow.commit()
                    stage = "stored"
                    webpass_file.put_in_place(partial, final)
                    stage = "done"
    except BaseException:
        if stage == "writing" and partial is not None:
            partial.unlink(missing_ok=True)
        elif stage == "stored":
            raise PartialFailure(f"the web passwords were stored, but '{final}' appeared meanwhile: "
                                 f"they are only in '{partial}'") from None
        raise           # a failed commit may have gone through: the next run settles the file
    return count


def settle_leftovers(rt: Runtime, folder: Path) -> list[Path]:
    """Link into place the partial files whose passwords are stored, delete the others.

    A stored one whose name has since been taken by another file stays where it is: it holds
    the only copy of passwords that work.
    """
    placed = []
    with webpass_file.leftovers(folder) as partials:
        for partial in partials:
            final = webpass_file.final_name(partial)
            if not _stored(rt, webpass_file.sample(partial)):
                partial.unlink()
            elif not _taken(final, partial):
                webpass_file.put_in_place(partial, final)
                placed.append(final)
    return placed


def _taken(final: Path, partial: Path) -> bool:
    return os.path.lexists(final) and not os.path.samefile(final, partial)


def _stored(rt: Runtime, rows: list[tuple[str, str]]) -> bool:
    """Whether any of these passwords is the stored one of its client (one is enough: a later
    `webpass set` may have replaced some)."""
    from argon2.exceptions import InvalidHashError, VerificationError
    if not rows:
        return False
    with rt.uow() as uow:
        hashes = dict(uow.session.execute(select(m.Client.code, m.Client.webpass_hash)
                                          .where(m.Client.code.in_([code for code, _ in rows]))).all())
    hasher = _hasher()
    for code, password in rows:
        try:
            if hashes.get(code) and hasher.verify(hashes[code], password):
                return True
        except (VerificationError, InvalidHashError):
            continue
    return False


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def _generate_into(uow, rt: Runtime, writer, file_name: str, progress, on_start) -> int:
    c = m.Client
    ids = list(uow.session.scalars(select(c.id).where(c.webpass_hash.is_(None), c.deleted.is_(False))
                                   .order_by(c.code)))
    if on_start:
        on_start(len(ids))
    writer.writerow(["code", "name", "email", "password"])
    pending: list[tuple[list, list[str]]] = []

    def password_batches() -> Iterator[list[str]]:
        for batch in chunks(ids, CHUNK):
            rows = uow.session.execute(select(c.id, c.code, c.name, c.emails).where(c.id.in_(batch))
                                       .order_by(c.code)).all()
            passwords = [random_password() for _ in rows]
            pending.append((rows, passwords))
            yield passwords

    workers = usable_cores() if len(ids) >= PARALLEL_FROM else 1
    for hashes in ordered_map(hash_passwords, password_batches(), workers=workers):
        rows, passwords = pending.pop(0)
        for row, password in zip(rows, passwords, strict=True):
            writer.writerow([neutralise(row.code), neutralise(row.name),
                             neutralise((row.emails or "").split(";")[0]), password])
        _store(uow, rt, [(row.id, h) for row, h in zip(rows, hashes, strict=True)], "webpass.generate",
               f"web password generated (plaintext only in the file {file_name})")
        if progress:
            progress(len(rows))
    return len(ids)


def _store(uow, rt: Runtime, hashes: list[tuple[int, str]], kind: str, message: str) -> None:
    """Save hashes of clients that have none yet (or any, for `set`) and log each change."""
    conn = uow.session.connection()
    table = m.Client.__table__
    statement = update(table).where(table.c.id == bindparam("client_id")).values(webpass_hash=bindparam("hash"))
    if kind == "webpass.generate":
        statement = statement.where(table.c.webpass_hash.is_(None))
    done = conn.execute(statement, [{"client_id": i, "hash": h} for i, h in hashes])
    if done.rowcount != len(hashes):
        raise Refused("web passwords were changed by another run meanwhile: nothing saved, run again")
    log_bulk(conn, rt.now(), rt.operator, [(client_id, kind, message) for client_id, _ in hashes])


def set_password(rt: Runtime, code: str, password: str | None) -> str | None:
    """Set CODE's password: PASSWORD, or a random one (returned, for the operator to hand over)."""
    chosen = password if password is not None else random_password()
    if len(chosen) < MIN_LENGTH:
        raise Invalid(f"the password must have at least {MIN_LENGTH} characters")
    if chosen != chosen.strip() or any(ord(ch) < 32 for ch in chosen):
        raise Invalid("the password must not start or end with spaces or hold control characters")
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        how = "random" if password is None else "given on stdin"
        _store(uow, rt, [(client.id, _hasher().hash(chosen))], "webpass.set", f"web password set ({how})")
        uow.commit()
    return None if password is not None else chosen


def check_password(rt: Runtime, code: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        if not client.webpass_hash:
            return False
        try:
            return _hasher().verify(client.webpass_hash, password)
        except (VerificationError, InvalidHashError):
            return False
