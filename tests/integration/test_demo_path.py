"""`demo --path FILE` replaces FILE only when it is a demo database (or with --force / --yes)."""

from tests.conftest import Cli

SAMPLE = 8 + 1       # the sample's clients, and the one who signs up in the demo's provisioning step


def _demo(tmp_path, *args: str):
    return Cli(f"sqlite:///{tmp_path / 'unused.db'}")("demo", "--clients", "8", "--today", "2026-12-04", *args)


def test_demo_refuses_to_replace_a_real_database(tmp_path):
    real = tmp_path / "isp.db"
    isp = Cli(f"sqlite:///{real}")
    isp.ok("init")
    isp.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    isp.ok("client", "add", "--name", "Ana Gómez", "--fiscal-address", "Gorriti 100", "--postal-code", "1414")
    refused = _demo(tmp_path, "--path", str(real))
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (f"ispcube: --path {real} exists and is not a demo database: nothing was "
                                      "changed (give another path, or --force to overwrite it)")
    assert refused.stdout == ""
    assert [c["name"] for c in isp.json("client", "list")] == ["Ana Gómez"]


def test_demo_refuses_to_replace_any_other_file(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    refused = _demo(tmp_path, "--path", str(notes))
    assert refused.exit_code == 1 and "is not a demo database" in refused.stderr
    assert notes.read_text() == "not a database\n"


def test_demo_replaces_a_file_when_forced(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    assert _demo(tmp_path, "--path", str(notes), "--force").exit_code == 0
    assert len(Cli(f"sqlite:///{notes}").json("client", "list")) == SAMPLE
    real = tmp_path / "isp.db"
    Cli(f"sqlite:///{real}").ok("init")
    assert Cli(f"sqlite:///{tmp_path / 'unused.db'}")("--yes", "demo", "--clients", "8", "--today", "2026-12-04",
                                                      "--path", str(real)).exit_code == 0
    assert len(Cli(f"sqlite:///{real}").json("client", "list")) == SAMPLE


def test_demo_rebuilds_its_own_database_without_asking(tmp_path):
    path = tmp_path / "demo.db"
    assert _demo(tmp_path, "--path", str(path)).exit_code == 0
    again = _demo(tmp_path, "--path", str(path))
    assert again.exit_code == 0, again.stderr
    assert len(Cli(f"sqlite:///{path}").json("client", "list")) == SAMPLE
    assert Cli(f"sqlite:///{path}").ok("config", "get", "demo").stdout.strip() == "yes"
