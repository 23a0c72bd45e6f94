"""Web passwords (C8, P7, R8) through the CLI, on SQLite and PostgreSQL."""

import csv
import os

import pytest
from sqlalchemy import select

from ispcube.services.clients.webpass import ALPHABET, MIN_LENGTH, PARALLEL_FROM


@pytest.fixture
def base(cli):
    for code, name in (("A1", "Ana"), ("A2", "=Beto"), ("A3", "Carla"), ("A4", "Dario"), ("Z", "Borrado")):
        cli.ok("client", "add", "--code", code, "--name", name, "--address", f"Calle {code}",
               "--email", f"{code.lower()}@example.com;otro@example.com")
    cli.ok("--yes", "client", "delete", "Z")
    cli.ok("client", "webpass", "set", "A4", "--stdin", input="la clave de dario\n")
    return cli


def stored(runtime) -> dict[str, str | None]:
    from ispcube.db.models import Client
    with runtime.uow() as uow:
        return dict(uow.session.execute(select(Client.code, Client.webpass_hash)).all())


def log_messages(runtime) -> list[str]:
    from ispcube.db.models import ClientEvent
    with runtime.uow() as uow:
        return list(uow.session.scalars(select(ClientEvent.message)))


def read_passwords(path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_generate_only_for_clients_without_one(base, runtime, tmp_path):
    out = tmp_path / "passwords.csv"
    result = base.ok("client", "webpass", "generate", "--out", str(out))
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    rows = read_passwords(out)
    assert [(r["code"], r["name"], r["email"]) for r in rows] == [
        ("A1", "Ana", "a1@example.com"), ("A2", "'=Beto", "a2@example.com"), ("A3", "Carla", "a3@example.com")]
    passwords = [r["password"] for r in rows]
    assert len(set(passwords)) == 3
    assert all(len(p) >= MIN_LENGTH and set(p) <= set(ALPHABET) for p in passwords)
    hashes = stored(runtime)
    assert all(hashes[code].startswith("$argon2id$v=19$m=19456,t=2,p=1$") for code in ("A1", "A2", "A3", "A4"))
    assert hashes[next(code for code in hashes if code.startswith("ZZ"))] is None
    everything = result.stdout + result.stderr + "".join(log_messages(runtime)) + "".join(filter(None, hashes.values()))
    assert not any(p in everything for p in passwords)
    assert "3 web passwords generated" in result.stdout
    assert base.ok("client", "webpass", "check", "A2", input=passwords[1] + "\n").exit_code == 0
    assert base("client", "webpass", "check", "A2", input=passwords[0] + "\n").exit_code == 1
    assert base.ok("client", "webpass", "check", "A4", input="la clave de dario\n").exit_code == 0
    kinds = [e["kind"] for e in base.json("client", "log", "A1")]
    assert kinds == ["client.add", "webpass.generate"]


def test_generate_never_overwrites_a_file_or_a_password(base, runtime, tmp_path):
    out = tmp_path / "passwords.csv"
    out.write_text("keep me\n")
    refused = base("client", "webpass", "generate", "--out", str(out))
    assert refused.exit_code == 1 and "already exists" in refused.stderr
    assert out.read_text() == "keep me\n" and stored(runtime)["A1"] is None
    first = tmp_path / "first.csv"
    base.ok("client", "webpass", "generate", "--out", str(first))
    before = stored(runtime)
    base.ok("client", "add", "--code", "A5", "--name", "Nueva", "--address", "Calle 5")
    second = tmp_path / "second.csv"
    assert "1 web passwords generated" in base.ok("client", "webpass", "generate", "--out", str(second)).stdout
    assert [r["code"] for r in read_passwords(second)] == ["A5"]
    after = stored(runtime)
    assert all(after[code] == before[code] for code in before)


def test_set_and_check(base, runtime):
    wrong = base("client", "webpass", "check", "A1", input="anything at all\n")
    assert wrong.exit_code == 1 and "not the web password of client A1" in wrong.stderr
    assert base("client", "webpass", "set", "A1", "--stdin", input="corta\n").exit_code == 1
    base.ok("client", "webpass", "set", "A1", "--stdin", input="una clave larga\n")
    assert base("client", "webpass", "check", "A1", input="una clave larga\n").exit_code == 0
    assert base("client", "webpass", "check", "A1", input="una clave largA\n").exit_code == 1
    printed = base.ok("client", "webpass", "set", "A1", "--random").stdout.strip()
    assert len(printed) >= MIN_LENGTH and set(printed) <= set(ALPHABET)
    assert base("client", "webpass", "check", "A1", input=printed + "\n").exit_code == 0
    assert base("client", "webpass", "check", "A1", input="una clave larga\n").exit_code == 1
    assert not any(printed in m or "una clave larga" in m for m in log_messages(runtime))
    assert base("client", "webpass", "set", "A1").exit_code == 2
    assert base("client", "webpass", "set", "NOPE", "--random").exit_code == 1
    assert base.json("client", "show", "A1")["web_password"] is True


def test_large_runs_hash_on_every_core(base, runtime, tmp_path):
    rows = "\n".join(f"M{i:03d},Masivo {i},Masiva {i}" for i in range(PARALLEL_FROM + 8))
    (tmp_path / "many.csv").write_text("code,name,address\n" + rows + "\n")
    base.ok("client", "import", str(tmp_path / "many.csv"))
    out = tmp_path / "passwords.csv"
    base.ok("client", "webpass", "generate", "--out", str(out))
    generated = read_passwords(out)
    assert len(generated) == PARALLEL_FROM + 8 + 3
    hashes = stored(runtime)
    assert all(hashes[r["code"]] for r in generated)
    for row in generated[:: len(generated) // 4]:
        assert base("client", "webpass", "check", row["code"], input=row["password"] + "\n").exit_code == 0


def test_the_next_run_settles_what_a_stopped_run_left(base, runtime, tmp_path):
    from ispcube.services.clients.webpass_file import SUFFIX
    folder = tmp_path / "letters"
    folder.mkdir()
    out = folder / "passwords.csv"
    base.ok("client", "webpass", "generate", "--out", str(out))
    generated = read_passwords(out)
    stored_before = stored(runtime)
    # a run killed between its commit and the link: the partial file holds stored passwords
    waiting = folder / f".passwords.csv.0badcafe{SUFFIX}"
    out.rename(waiting)
    # runs killed before their commit: passwords never stored, one of them cut short
    never = folder / f".other.csv.deadbeef{SUFFIX}"
    never.write_text("code,name,email,password\nA1,Ana,a1@example.com,abcdefghjkmn\n")
    cut = folder / f".third.csv.feedf00d{SUFFIX}"
    cut.write_text("code,name,email,password\nA1,Ana,a1@exa")
    rerun = base("client", "webpass", "generate", "--out", str(out))
    assert rerun.exit_code == 0, rerun.stderr
    assert f"the passwords of a stopped run were stored: they are now in {out}" in rerun.stdout
    assert read_passwords(out) == generated and oct(out.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in folder.iterdir()) == ["passwords.csv"]
    assert stored(runtime) == stored_before


def test_a_collector_may_not_generate_passwords(base, runtime, tmp_path):
    base.ok("operator", "add", "--name", "ana", "--role", "collector")
    (tmp_path / "letters").mkdir()
    out = tmp_path / "letters" / "passwords.csv"
    refused = base("--operator", "ana", "client", "webpass", "generate", "--out", str(out))
    assert (refused.exit_code, refused.stderr) == (
        1, "ispcube: operator 'ana' is a collector: only an admin or an operator may generate web passwords\n")
    assert list(out.parent.iterdir()) == [] and stored(runtime)["A1"] is None


def test_a_run_killed_after_its_link_is_finished_by_the_next(base, runtime, tmp_path):
    from ispcube.services.clients.webpass_file import SUFFIX
    out = tmp_path / "passwords.csv"
    base.ok("client", "webpass", "generate", "--out", str(out))
    generated = read_passwords(out)
    leftover = tmp_path / f".passwords.csv.0badcafe{SUFFIX}"
    os.link(out, leftover)      # killed between linking the file into place and the unlink
    rerun = base("client", "webpass", "generate", "--out", str(out))
    assert rerun.exit_code == 0, rerun.stderr
    assert not leftover.exists() and read_passwords(out) == generated


def test_an_existing_file_is_refused_before_anything_is_settled(base, runtime, tmp_path):
    from ispcube.services.clients.webpass_file import SUFFIX
    first = tmp_path / "first.csv"
    base.ok("client", "webpass", "generate", "--out", str(first))
    waiting = tmp_path / f".first.csv.0badcafe{SUFFIX}"
    first.rename(waiting)
    (tmp_path / "taken.csv").write_text("keep me\n")
    refused = base("client", "webpass", "generate", "--out", str(tmp_path / "taken.csv"))
    assert refused.exit_code == 1 and "already exists" in refused.stderr
    assert waiting.exists() and not first.exists()
