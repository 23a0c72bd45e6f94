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
    def listed(operator, *args):
        return [c["code"] for c in base.json("--operator", operator, "client", "list", *args)]
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


def test_an_empty_operator_is_refused_not_taken_as_system(base):
    # A script whose variable came out empty must not act with the system's full scope.
    for name in ("", " "):
        result = base("--operator", name, "client", "list", env={"ISPCUBE_OPERATOR": "ana"})
        assert result.exit_code == 1 and "operator is empty" in result.stderr, result.stdout + result.stderr
        assert "B1" not in result.stdout


def test_export(base, tmp_path):
    out = tmp_path / "mine.json"
    assert "2 clients written" in as_(base, "ana", "export", "clients", "--out", str(out)).stdout
    assert [r["code"] for r in json.loads(out.read_text())] == ["A1", "A2"]
    as_(base, "beto", "export", "clients", "--out", str(tmp_path / "b.csv"), "--with-notes")
    with (tmp_path / "b.csv").open(encoding="utf-8-sig") as f:
        assert [r["Code"] for r in csv.DictReader(f)] == ["B1"]
    as_(base, "oficina", "--yes", "export", "clients", "--out", str(out))
    assert len(json.loads(out.read_text())) == 4


def test_import_is_for_the_office(base, tmp_path):
    path = tmp_path / "update.csv"
    path.write_text("code,name\nA1,Ana Cambiado\nB1,Beto Cambiado\n")
    for extra in ((), ("--skip-invalid",), ("--dry-run",)):
        refused = as_(base, "ana", "client", "import", str(path), "--update", *extra)
        assert (refused.exit_code, refused.stdout) == (1, "")
        assert refused.stderr == ("ispcube: operator 'ana' is a collector: "
                                  "only an admin or an operator may import clients\n")
    assert base.json("client", "show", "A1")["name"] == "Cliente A1"
    assert base.json("client", "log", "A1")[-1]["operator"] == "system"
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


# --- Every command of the app, run by a collector against another collector's client ------
#
# Each command maps to its rows (what is expected, the arguments), or to the reason it is not
# run. Placeholders: {other} the other collector's client, {entry} its receipt, {cheque} its
# cheque, {conn} its connection, {out} a new file in a folder of its own (every file there is
# searched), {rows} a client file naming it, {lines} a ledger file naming it, {tpl} a template file.
# HIDDEN: the client (entry, cheque, connection) does not exist for this collector.
# REFUSED: a collector may not run the command at all (billing, jobs, imports, maintenance).
# OK: runs on the collector's own clients only.
HIDDEN, REFUSED, OK = "hidden", "refused", "ok"
SECRETS = ("BETO7", "Beto Secreto", "Calle Oculta", "oculto@example.com", "Nadie Visible", "10.9.9.", "BancoOculto")
COMMANDS: dict[str, list[tuple[str, tuple[str, ...]]] | str] = {
    "init": [(OK, ())],         # creates or checks the schema, before any operator exists
    "pay": [(HIDDEN, ("{other}", "--cash", "10")), (OK, ("A1", "--cash", "5"))],
    "enforce": [(REFUSED, ()), (REFUSED, ("--dry-run",)), (REFUSED, ("--check",))],
    "provision": [(REFUSED, ()), (REFUSED, ("--all",)), (REFUSED, ("--dry-run",)), (REFUSED, ("--check",)),
                  (REFUSED, ("--router", "r1")), (REFUSED, ("--today", "2026-03-01"))],
    "preaviso": [(REFUSED, ()), (REFUSED, ("--dry-run",))],
    "notify": [(REFUSED, ()), (REFUSED, ("--dry-run",))],
    "commit": [(HIDDEN, ("{other}", "2099-01-01")), (HIDDEN, ("{other}", "--clear"))],
    "map": [(OK, ("--out", "{out}.html")), (OK, ("--geojson", "{out}.json"))],
    "demo": [(OK, ("--path", "{out}.db", "--clients", "12", "--today", "2026-12-04"))],     # a new file of sample data
    "db upgrade": [(OK, ())],
    "db current": [(OK, ())],
    "config list": [(OK, ())],
    "config get": [(OK, ("currency",))],
    "config set": [(REFUSED, ("currency", "USD"))],
    "operator add": [(REFUSED, ("--name", "nuevo", "--role", "collector"))],
    "operator list": [(OK, ())],
    "operator edit": [(REFUSED, ("beto", "--role", "admin")), (REFUSED, ("ana", "--role", "admin"))],
    "operator delete": [(REFUSED, ("beto",))],
    "postal-code add": [(REFUSED, ("--code", "9999", "--locality", "Otra"))],
    "postal-code list": [(OK, ())],
    "postal-code edit": [(REFUSED, ("1414", "--locality", "Otra"))],
    "postal-code delete": [(REFUSED, ("1414",))],
    "status add": [(REFUSED, ("--name", "Nuevo"))],
    "status list": [(OK, ())],
    "status edit": [(REFUSED, ("Activo", "--description", "otro"))],
    "status delete": [(REFUSED, ("Activo",))],
    "company add": [(REFUSED, ("--number", "2", "--name", "Otra SA"))],
    "company list": [(OK, ())],
    "company edit": [(REFUSED, ("1", "--name", "Otra SA"))],
    "company delete": [(REFUSED, ("1",))],
    "plan add": [(REFUSED, ("--name", "Nuevo", "--price", "1"))],
    "plan list": [(OK, ())],
    "plan edit": [(REFUSED, ("Hogar", "--price", "1")),
                  (REFUSED, ("Hogar", "--burst-down-kbps", "9", "--burst-up-kbps", "9", "--burst-seconds", "9"))],
    "plan delete": [(REFUSED, ("Hogar",))],
    "node add": [(REFUSED, ("--name", "Nuevo", "--lat", "-34", "--lng", "-58"))],
    "node list": [(OK, ())],
    "node edit": [(REFUSED, ("Centro", "--radius-m", "1"))],
    "node delete": [(REFUSED, ("Centro",))],
    "client add": [(REFUSED, ("--name", "Otro", "--collector", "beto")),
                   (OK, ("--code", "A7", "--name", "Propio", "--address", "Calle Propia 7"))],
    "client edit": [(HIDDEN, ("{other}", "--name", "Cambiado")), (REFUSED, ("A1", "--collector", "beto"))],
    "client show": [(HIDDEN, ("{other}",)), (HIDDEN, ("N1",))],
    "client list": [(OK, ()), (OK, ("--search", "secreto")), (OK, ("--collector", "beto")),
                    (OK, ("--template", "listing", "--out", "{out}.html"))],
    "client delete": [(HIDDEN, ("{other}",)), (HIDDEN, ("A1", "{other}"))],
    "client recode": [(HIDDEN, ("{other}", "X9"))],
    "client restore": [(HIDDEN, ("{other}",))],
    "client log": [(HIDDEN, ("{other}",))],
    "client import": [(REFUSED, ("{rows}",)), (REFUSED, ("{rows}", "--update")),
                      (REFUSED, ("{rows}", "--update", "--dry-run"))],
    "client disable": [(HIDDEN, ("{other}", "--reason", "prueba"))],
    "client enable": [(HIDDEN, ("{other}",))],
    "client contract": [(HIDDEN, ("{other}", "--out", "{out}.pdf"))],
    "client geocode": [(HIDDEN, ("{other}",)), (OK, ("--missing",))],
    "client traffic": [(HIDDEN, ("{other}", "--out", "{out}.png"))],
    "client note add": [(HIDDEN, ("{other}", "una nota"))],
    "client note list": [(HIDDEN, ("{other}",))],
    "client tickets block": [(HIDDEN, ("{other}", "--message", "no")), (HIDDEN, ("A1", "{other}", "--message", "no"))],
    "client tickets enable": [(HIDDEN, ("{other}",))],
    "client webpass generate": [(REFUSED, ("--out", "{out}.csv"))],
    "client webpass set": [(HIDDEN, ("{other}", "--random"))],
    "client webpass check": [(HIDDEN, ("{other}",))],
    "export clients": [(OK, ("--out", "{out}.csv", "--with-notes")), (OK, ("--out", "{out}.json")),
                       (OK, ("--out", "{out}.csv", "--collector", "beto"))],
    "export ledger": [(OK, ("--out", "{out}.csv")), (OK, ("--out", "{out}.json", "--collector", "beto")),
                      (OK, ("--out", "{out}.csv", "--search", "BETO7", "--from", "2020-01-01"))],
    "ledger adjust": [(REFUSED, ("{other}", "--credit", "10", "--reason", "x")),
                      (REFUSED, ("{other}", "--credit", "10", "--fiscal", "--reason", "x")),
                      (REFUSED, ("{other}", "--debit", "10", "--fiscal", "--invoice", "{entry}", "--reason", "x"))],
    "ledger show": [(HIDDEN, ("{other}",))],
    "ledger annul": [(REFUSED, ("{entry}", "--reason", "x"))],
    "ledger rebuild": [(REFUSED, ()), (REFUSED, ("{other}",))],
    "ledger cash": [(OK, ()), (OK, ("--entity", "caja-beto"))],
    "ledger import": [(REFUSED, ("{lines}",)), (REFUSED, ("{lines}", "--dry-run")),
                      (REFUSED, ("{lines}", "--skip-invalid"))],
    "cheque list": [(OK, ())],
    "cheque set-status": [(REFUSED, ("{cheque}", "rejected"))],
    "billing run": [(REFUSED, ("--period", "2026-12")), (REFUSED, ("--period", "2026-12", "--dry-run"))],
    "invoice list": [(OK, ()), (HIDDEN, ("--client", "{other}"))],
    "invoice show": [(HIDDEN, ("{entry}",))],
    "invoice print": [(HIDDEN, ("{entry}", "--out", "{out}.pdf"))],
    "invoice authorize": [(REFUSED, ()), (REFUSED, ("--today", "2026-12-04"))],     # run with --yes
    "invoice send": [(REFUSED, ("--period", "2026-12")), (REFUSED, ("--client", "A1")),
                     (REFUSED, ("--invoice", "{entry}"))],      # every client's notices: the office's
    "fiscal check": [(REFUSED, ())],
    "collect sepa": [(REFUSED, ("--collection-date", "2099-01-01", "--out", "{out}.xml")),
                     (REFUSED, ("--collection-date", "2099-01-01", "--dry-run"))],
    "collect list": [(REFUSED, ())],
    "collect show": [(REFUSED, ("1",))],
    "collect settle": [(REFUSED, ("1",))],
    "collect debts": [(REFUSED, ("--payment-method", "cash", "--out", "{out}.csv"))],
    "payments import": [(REFUSED, ("{rows}",)), (REFUSED, ("{rows}", "--dry-run"))],
    "payments fetch": [(REFUSED, ("mercadopago",))],
    "mercadopago link": [(HIDDEN, ("{other}",)), (HIDDEN, ("{other}", "--amount", "10"))],
    "router add": [(REFUSED, ("r2", "--kind", "mikrotik", "--host", "127.0.0.1", "--user", "x"))],
    "router edit": [(REFUSED, ("r1", "--port", "9"))],
    "router list": [(OK, ())],
    "router delete": [(REFUSED, ("r1",))],
    "router test": [(REFUSED, ("r1",))],
    "network adopt": [(REFUSED, ("r1",)), (REFUSED, ("r1", "--apply"))],
    "connection add": [(REFUSED, ("{other}", "--router", "r1", "--ip", "10.9.9.10")),
                       (REFUSED, ("A1", "--router", "r1", "--ip", "10.1.1.10")),
                       (REFUSED, ("A1", "--router", "r1", "--ip", "10.1.1.11", "--now")),
                       (REFUSED, ("A1", "--router", "r1", "--pppoe-user", "nuevo")),
                       (REFUSED, ("A1", "--router", "r1", "--pppoe-user", "nuevo", "--pppoe-password-stdin"))],
    "connection edit": [(REFUSED, ("{conn}", "--ip", "10.9.9.11")), (REFUSED, ("{conn}", "--plan", "Hogar", "--now")),
                        (REFUSED, ("{conn}", "--pppoe-user", "oculto", "--new-pppoe-password")),
                        (REFUSED, ("{conn}", "--pppoe-user", "oculto", "--pppoe-password-stdin"))],
    "connection list": [(OK, ()), (HIDDEN, ("--client", "{other}")), (OK, ("--router", "r1"))],
    "connection delete": [(REFUSED, ("{conn}",))],
    "connection import": [(REFUSED, ("{conns}",)), (REFUSED, ("{conns}", "--update")),
                          (REFUSED, ("{conns}", "--dry-run")), (REFUSED, ("{conns}", "--skip-invalid"))],
    "sim routeros": "serves a simulated router until stopped; it opens no database",
    "sim afip": "serves a simulated AFIP until stopped; it opens no database",
    "sim mercadopago": "serves a simulated Mercado Pago until stopped; it opens no database",
    "template list": [(OK, ())],
    "template show": [(OK, ("receipt",))],
    "template set": [(REFUSED, ("receipt", "{tpl}"))],
    "template reset": [(REFUSED, ("receipt",))],
    "receipt print": [(HIDDEN, ("--entry", "{entry}", "--out", "{out}.pdf")),
                      (HIDDEN, ("{receipt}", "--out", "{out}.pdf"))],
    "completion": [(OK, ("bash",))],   # prints the shell's script; reads no client
    "stripe link": [(HIDDEN, ("{other}", "--return-url", "https://isp.example/ok"))],
    "stripe set-card": [(HIDDEN, ("{other}", "pm_card_visa"))],
    "stripe charge": [(HIDDEN, ("{other}", "10"))],
    "stripe charge-due": [(REFUSED, ()), (REFUSED, ("--dry-run",))],
    "cpe report": [(HIDDEN, ("{other}", "--timeout", "1"))],
    "cpe signal": [(HIDDEN, ("{other}", "--timeout", "1"))],
}


def _app_commands() -> set[str]:
    import click
    import typer

    from ispcube.cli.main import app

    def walk(command, path):
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path)
    return set(walk(typer.main.get_command(app), []))


def test_the_table_names_every_command():
    commands = _app_commands()
    assert sorted(commands - set(COMMANDS)) == [], "add these commands to COMMANDS"
    assert sorted(set(COMMANDS) - commands) == [], "these are no longer commands"


@pytest.fixture
def world(base, tmp_path, runtime):
    cli = base
    cli.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    cli.ok("status", "add", "--name", "Activo")
    cli.ok("company", "add", "--number", "1", "--name", "Red SA")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "100")
    cli.ok("node", "add", "--name", "Centro", "--lat", "-34.6", "--lng", "-58.4")
    cli.ok("operator", "edit", "beto", "--cash-entity", "caja-beto")
    cli.ok("router", "add", "r1", "--kind", "mikrotik", "--host", "127.0.0.1", "--port", "9", "--user", "api",
           "--secret-env", "ROUTER_SECRET", env={"ROUTER_SECRET": "s3cret-router"})
    cli.ok("client", "add", "--code", "BETO7", "--name", "Beto Secreto", "--address", "Calle Oculta 99",
           "--email", "oculto@example.com", "--collector", "beto", "--postal-code", "1414",
           "--status", "Activo", "--lat", "-34.6", "--lng", "-58.4", "--plan", "Hogar")
    cli.ok("client", "edit", "N1", "--name", "Nadie Visible")
    cli.ok("connection", "add", "BETO7", "--router", "r1", "--ip", "10.9.9.9", "--plan", "Hogar")
    cli.ok("connection", "add", "A1", "--router", "r1", "--ip", "10.1.1.1", "--plan", "Hogar")
    cli.ok("ledger", "adjust", "BETO7", "--debit", "300", "--reason", "alta")
    cli.ok("--operator", "beto", "pay", "BETO7", "--cash", "50", "--cheque",
           "bank=BancoOculto,number=77,amount=100,deposit=2026-12-01")
    cli.ok("--operator", "ana", "pay", "A1", "--cash", "20")
    cli.ok("client", "note", "add", "BETO7", "nota de Beto Secreto")
    cli.ok("client", "webpass", "set", "BETO7", "--random")
    entry = next(e for e in cli.json("ledger", "show", "BETO7") if e["document"].startswith("receipt"))
    (tmp_path / "rows.csv").write_text("code,name,address\nBETO7,Beto Cambiado,Calle Oculta 1\nA9,Nuevo,Calle 9\n")
    (tmp_path / "tpl.html").write_text("<p>{{ client.name }}</p>\n")
    (tmp_path / "lines.csv").write_text("client,date,kind,amount,reference\nBETO7,2026-01-02,dx,10,X-1\n"
                                        "A1,2026-01-02,opening,25,X-2\n")
    (tmp_path / "conns.csv").write_text("client,router,ip\nBETO7,r1,10.9.9.20\nA1,r1,10.9.9.9\n")
    return cli, {"other": "BETO7", "entry": str(entry["entry"]), "receipt": entry["document"].split()[-1],
                 "cheque": str(cli.json("cheque", "list")[0]["id"]),
                 "conn": str(cli.json("connection", "list", "--client", "BETO7")[0]["id"]),
                 "rows": str(tmp_path / "rows.csv"), "lines": str(tmp_path / "lines.csv"),
                 "tpl": str(tmp_path / "tpl.html"), "conns": str(tmp_path / "conns.csv")}


def _snapshot(runtime, client_codes: tuple[str, ...] | None = None) -> dict:
    """Every row of every table, or only the rows of these clients."""
    from sqlalchemy import select

    from ispcube.db.all_models import metadata
    clients = metadata.tables["clients"]
    with runtime.engine.connect() as conn:
        ids = None
        if client_codes is not None:
            ids = list(conn.scalars(select(clients.c.id).where(clients.c.code.in_(client_codes))))
        dump = {}
        for table in metadata.sorted_tables:
            query = select(table)
            if ids is not None:
                if table.name == "clients":
                    query = query.where(table.c.id.in_(ids))
                elif "client_id" in table.c:
                    query = query.where(table.c.client_id.in_(ids))
                else:
                    continue
            dump[table.name] = sorted(map(repr, conn.execute(query).all()))
        return dump


def test_every_command_as_a_collector(world, runtime, tmp_path):
    from tests.integration.test_geocode import KEY, FakeGoogle, place
    cli, places = world
    google = FakeGoogle()       # `client geocode` asks it, on loopback
    for street in ("Calle A1", "Calle A2", "Calle Propia", "Calle Oculta"):
        google.answers[street] = ("OK", [place(-34.5, -58.5, street)])
    env = {"GOOGLE_MAPS_API_KEY": KEY, "ISPCUBE_GEOCODING_URL": google.url,
           # Stripe on a closed loopback port: a command that got as far as Stripe would fail there
           "STRIPE_API_KEY": "sk_test_collector_scope_0123456789", "STRIPE_API_BASE": "http://127.0.0.1:9",
           "ISPCUBE_STRIPE_TIMEOUT": "1",
           # Mercado Pago's token given, its address never reached: the scope refuses first
           "ISPCUBE_MERCADOPAGO_TOKEN": "APP_USR-collector-scope"}
    for args in (("client", "list"), ("cheque", "list"), ("connection", "list")):    # the check can fail
        assert any(s in cli("--operator", "oficina", *args).stdout for s in SECRETS[1:]), args
    everything, theirs = _snapshot(runtime), _snapshot(runtime, ("BETO7", "N1"))
    problems = []
    for number, (command, rows) in enumerate(sorted(COMMANDS.items())):
        if isinstance(rows, str):
            continue
        for index, (expected, args) in enumerate(rows):
            written = tmp_path / f"out-{number}-{index}"
            written.mkdir()
            filled = [a.format(out=written / "file", **places) for a in args]
            result = cli("--operator", "ana", "--yes", *command.split(), *filled, env=env)
            where = f"{command} {' '.join(filled)}"
            wanted = 0 if expected == OK else 1
            if result.exit_code != wanted:
                problems.append(f"{where}: exit {result.exit_code}, wanted {wanted}: {result.stderr.strip()}")
            if expected == REFUSED and "is a collector" not in result.stderr:
                problems.append(f"{where}: not refused as a collector: {result.stderr.strip()}")
            if expected == HIDDEN and "does not exist" not in result.stderr:
                problems.append(f"{where}: not hidden from the collector: {result.stderr.strip()}")
            if "Traceback" in result.stderr or "unexpected error" in result.stderr:
                problems.append(f"{where}: {result.stderr.strip()}")
            files = "".join(p.read_text(errors="replace") for p in written.rglob("*") if p.is_file())
            shown = result.stdout + "".join(map(str, google.addresses())) + files
            problems += [f"{where}: shows {s!r}" for s in SECRETS if s in shown]
            problems += [f"{where}: names {s!r} in an error" for s in SECRETS[1:] if s in result.stderr]
            if _snapshot(runtime, ("BETO7", "N1")) != theirs:
                problems.append(f"{where}: changed the other collector's client")
                theirs = _snapshot(runtime, ("BETO7", "N1"))
            now = _snapshot(runtime)
            if wanted != 0 and now != everything:
                changed = sorted(t for t in now if now[t] != everything.get(t))
                problems.append(f"{where}: exit {result.exit_code} but changed {changed}")
            everything = now
    assert problems == [], "\n".join(problems)
