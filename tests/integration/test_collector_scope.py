"""Collector scope (A3, R11): a collector sees, exports and updates only its own clients."""

import csv
import json

import pytest


@pytest.fixture
def base(cli):
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    cli.ok("operator", "add", "--name", "beto", "--role", "collector")
    cli.ok("operator", "add", "--name", "oficina", "--role", "operator")
    for code, collector in (("A1", "ana"), ("A2", "ana"), ("B1", "beto"), ("N1", None)):
        extra = ["--collector", collector] if collector else []
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}", *extra)
    return cli


def as_(cli, operator, *args, **kwargs):
    return cli("--operator", operator, *args, **kwargs)


def test_list_and_show(base):
    listed = lambda operator, *args: [c["code"] for c in base.json("--operator", operator, "client", "list", *args)]  # noqa: E731
    assert listed("ana") == ["A1", "A2"]
    assert listed("ana", "--search", "cliente b1") == []
    assert listed("ana", "--collector", "beto") == []
    assert listed("beto") == ["B1"]
    assert listed("oficina") == ["A1", "A2", "B1", "N1"]
    assert as_(base, "ana", "client", "show", "A1").exit_code == 0
    for hidden in ("B1", "N1"):
        shown = as_(base, "ana", "client", "show", hidden)
        assert shown.exit_code == 1 and shown.stderr == f"ispcube: client '{hidden}' does not exist\n"
    assert as_(base, "oficina", "client", "show", "B1").exit_code == 0


def test_export(base, tmp_path):
    out = tmp_path / "mine.json"
    assert "2 clients written" in as_(base, "ana", "export", "clients", "--out", str(out)).stdout
    assert [r["code"] for r in json.loads(out.read_text())] == ["A1", "A2"]
    as_(base, "beto", "export", "clients", "--out", str(tmp_path / "b.csv"), "--with-notes")
    with (tmp_path / "b.csv").open(encoding="utf-8-sig") as f:
        assert [r["Code"] for r in csv.DictReader(f)] == ["B1"]
    as_(base, "oficina", "export", "clients", "--out", str(out))
    assert len(json.loads(out.read_text())) == 4


def test_import_update(base, tmp_path):
    path = tmp_path / "update.csv"
    path.write_text("code,name\nA1,Ana Cambiado\nB1,Beto Cambiado\n")
    refused = as_(base, "ana", "client", "import", str(path), "--update")
    assert refused.exit_code == 1
    assert ("line 3, column code: value 'B1': client 'B1' does not exist among this collector's clients"
            in refused.stderr)
    assert base.json("client", "show", "A1")["name"] == "Cliente A1"
    skipped = as_(base, "ana", "client", "import", str(path), "--update", "--skip-invalid")
    assert skipped.exit_code == 3
    assert base.json("client", "show", "A1")["name"] == "Ana Cambiado"
    assert base.json("client", "show", "B1")["name"] == "Cliente B1"
    assert base.json("client", "log", "A1")[-1]["operator"] == "ana"
    as_(base, "oficina", "client", "import", str(path), "--update")
    assert base.json("client", "show", "B1")["name"] == "Beto Cambiado"


def test_web_passwords(base):
    assert as_(base, "ana", "client", "webpass", "set", "B1", "--random").exit_code == 1
    assert as_(base, "ana", "client", "webpass", "check", "B1", input="whatever12\n").stderr == \
        "ispcube: client 'B1' does not exist\n"
    assert as_(base, "ana", "client", "webpass", "set", "A1", "--random").exit_code == 0


def test_add_by_a_collector_assigns_it_to_that_collector(base):
    added = as_(base, "ana", "client", "add", "--code", "A3", "--name", "Cliente A3", "--address", "Calle A3")
    assert (added.exit_code, added.stderr) == (0, "")
    assert base.json("client", "show", "A3")["collector"] == "ana"
    assert as_(base, "ana", "client", "show", "A3").exit_code == 0
    assert [e["kind"] for e in base.json("client", "log", "A3")] == ["client.add"]


def test_a_collector_cannot_hand_a_client_to_another(base):
    before = base.json("client", "list")
    for args in (("client", "add", "--code", "A4", "--name", "Cliente A4", "--collector", "beto"),
                 ("client", "add", "--code", "A4", "--name", "Cliente A4", "--collector", ""),
                 ("client", "edit", "A1", "--collector", "beto")):
        refused = as_(base, "ana", *args)
        assert refused.exit_code == 1, args
        assert refused.stderr == ("ispcube: operator 'ana' is a collector: its clients stay assigned to it "
                                  "(ask an operator to assign them to another collector)\n")
    assert base.json("client", "list") == before
    assert [e["kind"] for e in base.json("client", "log", "A1")] == ["client.add"]
    assert as_(base, "ana", "client", "edit", "A1", "--collector", "ana", "--nickname", "la uno").exit_code == 0
