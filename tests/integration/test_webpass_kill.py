"""`client webpass generate` stopped with SIGTERM or SIGKILL at random points (C8, R8): the
password file exists exactly when its hashes are stored, and the next run settles whatever a
stopped run left (a partial file is linked into place when its passwords were stored, deleted
when they were not)."""

import csv
import os
import random
import signal
import subprocess
import sys
import time

from argon2 import PasswordHasher
import pytest
from sqlalchemy import select, update

from ispcube.db import models as m
from ispcube.services.clients.webpass import PARALLEL_FROM
from ispcube.services.clients.webpass_file import SUFFIX
from tests.support.kill import wait_for_lock_release

pytestmark = pytest.mark.slow   # password runs hashing on every core, stopped by signals, five rounds

CLIENTS = PARALLEL_FROM + 8     # enough to hash on every core, in chunks
GENERATE = [sys.executable, "-c", "from ispcube.cli.main import run; run()", "client", "webpass", "generate"]


@pytest.fixture
def clients(cli, tmp_path):
    rows = "\n".join(f"K{i:03d},Cliente {i},Calle {i}" for i in range(CLIENTS))
    (tmp_path / "clients.csv").write_text("code,name,address\n" + rows + "\n")
    cli.ok("client", "import", str(tmp_path / "clients.csv"))
    return cli


def _hashes(runtime) -> dict[str, str | None]:
    with runtime.uow() as uow:
        return dict(uow.session.execute(select(m.Client.code, m.Client.webpass_hash)).all())


def _forget_passwords(runtime) -> None:
    with runtime.uow() as uow:
        uow.session.execute(update(m.Client).values(webpass_hash=None))
        uow.commit()


def _rows(path) -> dict[str, str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["code"]: row["password"] for row in csv.DictReader(handle)}


def _partials(folder) -> list:
    return sorted(folder.glob(f".*{SUFFIX}"))


def _lines(path) -> int:
    """Lines written so far to a run's partial file; 0 once the run has moved or removed it."""
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _assert_holds_the_stored(passwords: dict[str, str], hashes: dict[str, str | None], rng) -> None:
    assert set(passwords) == {code for code, h in hashes.items() if h} == set(hashes)
    for code in rng.sample(sorted(passwords), 3):
        assert PasswordHasher().verify(hashes[code], passwords[code])


def _kill(db_url, out, how, rng) -> None:
    """Start a run and send it HOW at a random point: after a random delay, while it hashes,
    or the moment its file appears."""
    process = subprocess.Popen([*GENERATE, "--out", str(out)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL,
                               env={**os.environ, "ISPCUBE_DATABASE_URL": db_url})
    point = rng.choice(["delay", "hashing", "file"])
    delay, rows = rng.uniform(0.0, 2.5), rng.randint(1, CLIENTS)
    started = time.monotonic()
    while process.poll() is None and time.monotonic() - started < 60:
        partials = _partials(out.parent)
        if (point == "delay" and time.monotonic() - started >= delay
                or point == "hashing" and partials and _lines(partials[0]) >= rows
                or point == "file" and out.exists()):
            break
        time.sleep(0.001)
    if process.poll() is None:
        process.send_signal(how)
    process.wait(timeout=60)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_stopped_run_leaves_the_file_and_its_hashes_or_neither(clients, runtime, db_url, tmp_path, how):
    rng = random.Random(f"webpass-{how}")
    for round_ in range(5):
        _forget_passwords(runtime)
        folder = tmp_path / f"round{round_}"
        folder.mkdir()
        out = folder / "passwords.csv"
        _kill(db_url, out, how, rng)
        hashes = _hashes(runtime)
        stored = [code for code, h in hashes.items() if h]
        if out.exists():                                    # both
            _assert_holds_the_stored(_rows(out), hashes, rng)
            # killed between the link and the unlink: the partial is the same file
            assert all(os.path.samefile(p, out) for p in _partials(folder))
            if _partials(folder):
                wait_for_lock_release(runtime.engine, "client webpass generate")
                clients.ok("client", "webpass", "generate", "--out", str(out))
                assert _partials(folder) == []
            continue
        if stored:      # SIGKILL between the commit and the link: the passwords wait in one partial
            assert how == signal.SIGKILL
            [partial] = _partials(folder)
            waiting = _rows(partial)
            _assert_holds_the_stored(waiting, hashes, rng)
        else:                                               # neither
            assert how == signal.SIGKILL or _partials(folder) == []     # SIGTERM cleans up
            waiting = None
        wait_for_lock_release(runtime.engine, "client webpass generate")
        rerun = clients("client", "webpass", "generate", "--out", str(out))
        assert rerun.exit_code == 0, rerun.stderr
        assert _partials(folder) == []
        hashes = _hashes(runtime)
        _assert_holds_the_stored(_rows(out), hashes, rng)
        if waiting is not None:
            assert _rows(out) == waiting
            assert "the passwords of a stopped run were stored" in rerun.stdout
