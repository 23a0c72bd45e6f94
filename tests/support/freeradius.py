"""Debian's FreeRADIUS, run for a test against a throw-away PostgreSQL database.

Usable from any test (the enforcement tests prove the cut group reaches Access-Accepts; the
field tools read radacct for traffic graphs)::

    from tests.support.freeradius import FreeRadius, require_freeradius

    require_freeradius()                      # skip locally when not installed; fail in CI
    with FreeRadius() as radius:              # copies the config, creates the database, starts
        radius.db_url                         # SQLAlchemy URL of its database (FreeRADIUS schema)
        radius.auth_port, radius.acct_port    # UDP ports on 127.0.0.1
        radius.secret                         # shared secret of the 127.0.0.1 client (testing123)
        radius.execute("INSERT INTO radcheck ...")    # plain SQL on its database
        radius.radtest("ana", "pw")           # (accepted, reply attributes) through radtest
        radius.accounting(**{"User-Name": "ana", "Acct-Status-Type": "Start", ...})  # radclient

`start()` copies /etc/freeradius/3.0 to a temporary folder owned by `freerad` (the daemon drops
to that user), points the `sql` module at the database (rlm_sql_postgresql over TCP, trust
auth), picks free loopback ports and waits for "Ready to process requests"; `stop()` ends the
daemon and drops the database.
"""

from __future__ import annotations

import os
from pathlib import Path
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid

import pytest
from sqlalchemy import create_engine, text

SYSTEM_CONFIG = Path("/etc/freeradius/3.0")
SCHEMA = "mods-config/sql/main/postgresql/schema.sql"
PG_ADMIN_URL = os.environ.get("ISPCUBE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_freeradius() -> None:
    """Skip when FreeRADIUS is not installed here, unless in CI, where that is a failure."""
    if shutil.which("freeradius") and shutil.which("radtest") and SYSTEM_CONFIG.exists():
        return
    if in_ci():
        pytest.fail("FreeRADIUS (freeradius, freeradius-postgresql, freeradius-utils) is required in CI")
    pytest.skip("FreeRADIUS is not installed")


def free_udp_pair() -> int:
    """A port P such that P and P+1 are free on 127.0.0.1 (auth and accounting)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as first, \
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as second:
                first.bind(("127.0.0.1", port))
                second.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two consecutive free UDP ports on 127.0.0.1")


def _without_listen_sections(config: str) -> str:
    """CONFIG without its `listen { ... }` blocks (braces counted outside comments)."""
    kept, depth, skipping = [], 0, False
    for line in config.splitlines(keepends=True):
        code = line.split("#", 1)[0]
        if not skipping and re.match(r"\s*listen\s*\{", code):
            skipping, depth = True, 0
        if skipping:
            depth += code.count("{") - code.count("}")
            if depth <= 0 and "}" in code:
                skipping = False
            continue
        kept.append(line)
    return "".join(kept)


class FreeRadius:
    secret = "testing123"

    def __init__(self, admin_url: str = PG_ADMIN_URL, startup_timeout: float = 20.0):
        self.admin_url = admin_url
        self.startup_timeout = startup_timeout
        self.database = f"ispcube_radius_{uuid.uuid4().hex[:10]}"
        self.db_url = admin_url.rsplit("/", 1)[0] + f"/{self.database}"
        self.auth_port = self.acct_port = 0
        self.workdir: Path | None = None
        self.process: subprocess.Popen | None = None
        self.log: list[str] = []
        self._engine = None

    # -- lifecycle

    def __enter__(self) -> "FreeRadius":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        self._create_database()
        self.workdir = Path(tempfile.mkdtemp(prefix="ispcube-freeradius-"))
        raddb = self.workdir / "raddb"
        shutil.copytree(SYSTEM_CONFIG, raddb, symlinks=True)
        self._configure(raddb)
        subprocess.run(["chown", "-R", "freerad:freerad", str(self.workdir)], check=True)
        self.process = subprocess.Popen(["freeradius", "-X", "-d", str(raddb), "-n", "radiusd"],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ready = threading.Event()
        threading.Thread(target=self._read_log, args=(ready,), daemon=True).start()
        if not ready.wait(self.startup_timeout) or self.process.poll() is not None:
            tail = "\n".join(self.log[-30:])
            self.stop()
            raise RuntimeError(f"FreeRADIUS did not start:\n{tail}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        admin.dispose()

    def _read_log(self, ready: threading.Event) -> None:
        for line in self.process.stdout:
            self.log.append(line.rstrip())
            if "Ready to process requests" in line:
                ready.set()

    def _create_database(self) -> None:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.database}"'))
        admin.dispose()
        schema = (SYSTEM_CONFIG / SCHEMA).read_text()
        with self.engine.begin() as conn:
            conn.exec_driver_sql(schema)

    def _configure(self, raddb: Path) -> None:
        self.auth_port = free_udp_pair()
        self.acct_port = self.auth_port + 1
        self._listen_on_loopback(raddb)
        url = self.engine.url
        sql = raddb / "mods-available" / "sql"
        config = sql.read_text()
        config = re.sub(r'driver = "rlm_sql_null"', 'driver = "rlm_sql_postgresql"', config)
        config = re.sub(r'dialect = "sqlite"', 'dialect = "postgresql"', config)
        connection = (f'radius_db = "host={url.host or "127.0.0.1"} port={url.port or 5432} '
                      f'dbname={self.database} user={url.username or "postgres"}'
                      + (f' password={url.password}' if url.password else "") + '"')
        config = re.sub(r'^\s*radius_db = "radius"', "\t" + connection, config, flags=re.M)
        sql.write_text(config)
        enabled = raddb / "mods-enabled" / "sql"
        if not enabled.exists():
            enabled.symlink_to("../mods-available/sql")
        conf = raddb / "radiusd.conf"
        main = conf.read_text()
        main = re.sub(r"^logdir = .*$", f"logdir = {self.workdir}/log", main, flags=re.M)
        main = re.sub(r"^run_dir = .*$", f"run_dir = {self.workdir}/run", main, flags=re.M)
        conf.write_text(main)
        for folder in ("log", "run", "log/radacct"):
            (self.workdir / folder).mkdir(parents=True, exist_ok=True)

    def _listen_on_loopback(self, raddb: Path) -> None:
        """The default site answers on our two ports only; inner-tunnel moves off 18120."""
        site = (raddb / "sites-enabled" / "default").resolve()
        ours = (f"listen {{\n\ttype = auth\n\tipaddr = 127.0.0.1\n\tport = {self.auth_port}\n}}\n"
                f"listen {{\n\ttype = acct\n\tipaddr = 127.0.0.1\n\tport = {self.acct_port}\n}}\n")
        body = _without_listen_sections(site.read_text())
        site.write_text(body.replace("server default {", "server default {\n" + ours, 1))
        tunnel = (raddb / "sites-enabled" / "inner-tunnel").resolve()
        tunnel.write_text(re.sub(r"port = 18120", f"port = {free_udp_pair()}", tunnel.read_text()))

    # -- talking to it

    @property
    def engine(self):
        if self._engine is None:
            self._engine = create_engine(self.db_url)
        return self._engine

    def execute(self, statement: str, **params) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(statement), params)

    def radtest(self, user: str, password: str) -> tuple[bool, dict[str, str]]:
        """Authenticate USER with radtest; (accepted, reply attributes)."""
        done = subprocess.run(["radtest", user, password, f"127.0.0.1:{self.auth_port}", "0", self.secret],
                              capture_output=True, text=True, timeout=20)
        accepted = "Received Access-Accept" in done.stdout
        reply = {}
        if accepted:
            answer = done.stdout.split("Received Access-Accept", 1)[1]
            for line in answer.splitlines()[1:]:
                match = re.match(r"\s+([\w-]+) = (.*)$", line)
                if match:
                    reply[match.group(1)] = match.group(2).strip().strip('"')
        return accepted, reply

    def accounting(self, **attributes: str) -> None:
        """Send one Accounting-Request through radclient (a NAS reporting a session)."""
        body = ",".join(f"{name.replace('_', '-')}={value}" for name, value in attributes.items())
        done = subprocess.run(["radclient", "-x", f"127.0.0.1:{self.acct_port}", "acct", self.secret],
                              input=body, capture_output=True, text=True, timeout=20)
        if "Received Accounting-Response" not in done.stdout:
            raise RuntimeError(f"accounting refused: {done.stdout}\n{done.stderr}")
