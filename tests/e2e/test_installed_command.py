"""The installed `ispcube` command, run as a user runs it: a real process, no terminal."""

import json
import os
from pathlib import Path
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow   # the installed command as separate processes, the demo included

ISPCUBE = str(Path(sys.executable).parent / "ispcube")


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    env.pop("ISPCUBE_DATABASE_URL", None)

    def run(*args: str, input: str = "", extra_env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([ISPCUBE, *args], input=input, capture_output=True, text=True,
                              env={**env, **(extra_env or {})}, timeout=120)
    return run


def test_version_and_help(run):
    assert run("--version").stdout.strip().startswith("ispcube ")
    help_text = run("--help").stdout
    for noun in ("client", "config", "db", "postal-code", "operator", "demo"):
        assert noun in help_text


def test_a_client_from_the_shell(run, tmp_path):
    db = f"sqlite:///{tmp_path / 'isp.db'}"
    assert run("--db", db, "init").returncode == 0
    assert run("--db", db, "postal-code", "add", "--code", "1414", "--locality", "Palermo").returncode == 0
    added = run("--db", db, "--format", "json", "client", "add", "--name", "Ana Gómez",
                "--fiscal-address", "Gorriti 100", "--postal-code", "1414")
    assert added.returncode == 0, added.stderr
    code = json.loads(added.stdout)["code"]
    listed = run("--format", "csv", "client", "list", "--search", "GOMEZ",
                 extra_env={"ISPCUBE_DATABASE_URL": db})
    assert listed.stdout.splitlines()[1].startswith(f"{code},Ana Gómez,")


def test_no_prompt_without_terminal_and_exit_codes(run, tmp_path):
    db = str(tmp_path / "isp.db")
    run("--db", db, "init")
    run("--db", db, "client", "add", "--code", "A1", "--name", "Ana")
    refused = run("--db", db, "client", "delete", "A1", input="y\n")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    missing = run("--db", db, "client", "show", "NOPE")
    assert missing.returncode == 1 and missing.stderr == "ispcube: client 'NOPE' does not exist\n"
    usage = run("--db", db, "client", "list", "--bogus")
    assert usage.returncode == 2
    dup = run("--db", db, "client", "add", "--name", "Ana", "--address", "")
    assert dup.returncode == 0
    assert run("--db", db, "--yes", "client", "delete", "A1").returncode == 0


def test_config_file_defaults_and_permissions(run, tmp_path):
    config = tmp_path / "cfg" / "ispcube" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'database_url = "sqlite:///{tmp_path / "from-config.db"}"\n')
    config.chmod(0o644)
    refused = run("client", "list")
    assert refused.returncode == 1 and "chmod 600" in refused.stderr
    config.chmod(0o600)
    missing = run("client", "list")
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert not (tmp_path / "from-config.db").exists()
    assert run("init").returncode == 0
    assert run("client", "list").returncode == 0
    assert (tmp_path / "from-config.db").exists()


def test_demo_builds_and_tours(run, tmp_path):
    result = run("demo", "--path", str(tmp_path / "demo.db"), "--clients", "60", "--today", "2026-12-04")
    assert result.returncode == 0, result.stderr
    assert "Clients: 60" in result.stdout and "Search 'gonzalez'" in result.stdout
    listed = run("--db", str(tmp_path / "demo.db"), "--format", "json", "client", "list")
    assert len(json.loads(listed.stdout)) == 60 + 1      # and the client who signs up in the provisioning step


def test_a_secret_on_stdin_in_another_encoding_is_one_sentence(run, tmp_path):
    # A real process decodes stdin with surrogate escapes: the Latin-1 byte must be refused by
    # name before the database driver meets it (it used to end in an unexpected UnicodeEncodeError).
    db = str(tmp_path / "isp.db")
    run("--db", db, "init")
    run("--db", db, "client", "add", "--code", "A1", "--name", "Ana")
    run("--db", db, "router", "add", "r1", "--kind", "mikrotik", "--host", "127.0.0.1", "--user", "admin")
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    for args, what in ((("connection", "add", "A1", "--router", "r1", "--pppoe-user", "ana",
                         "--pppoe-password-stdin"), "PPPoE password"),
                       (("config", "set", "smtp.password", "-"), "value of smtp.password")):
        refused = subprocess.run([ISPCUBE, "--db", db, *args], input=b"clav\xe9-1\n", capture_output=True,
                                 env=env, timeout=120)
        assert (refused.returncode, refused.stdout) == (1, b""), refused.stderr
        assert refused.stderr.decode() == (f"ispcube: the {what} given on stdin holds bytes that are not UTF-8: "
                                           "give it as UTF-8 text\n")
    assert run("--db", db, "connection", "list", "--format", "json").stdout.strip() == "[]"
    assert json.loads(run("--db", db, "--format", "json", "config", "get", "smtp.password").stdout)["value"] == ""
