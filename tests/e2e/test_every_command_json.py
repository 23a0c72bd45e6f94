"""Every command of the app answers `--format json` given AFTER the command with one JSON value.

The commands are enumerated from the app itself: a new command fails
`test_every_command_has_a_case` until it gets a row in CASES. Each case runs on its own copy of
one small ISP (SQLite), with the outside peers a command needs: a simulated MikroTik, a fake
airOS radio, a fake Google geocoder, localstripe, a radacct table and an SMTP server on loopback.
"""

from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys

import click
import pytest
import typer

from ispcube.domain.target2 import first_collection_day
from ispcube.sim.afip import AfipSimulator
from ispcube.sim.mercadopago import MercadoPagoSimulator
from tests.conftest import Cli
from tests.integration.test_cpe import PASSWORDS, FakeAirOS
from tests.integration.test_geocode import KEY, FakeGoogle, place
from tests.integration.test_stripe import localstripe, proxy, saved_card  # noqa: F401 - fixtures
from tests.support.afip import CUIT, authority, company
from tests.support.network import add_mikrotik, start_simulators
from tests.support.smtp import MailCatcher

pytestmark = pytest.mark.slow   # every command of the app, each on its own copy of an ISP

CPE_MAC = "04:18:D6:00:00:01"
WEB_PASSWORD = "clave-de-prueba-1"
MP_TOKEN = "APP_USR-every-command"


@dataclass
class Case:
    args: list[str]                       # after the command's name; {placeholders} from the world
    keys: tuple[str, ...]                 # the JSON object (or each row of a list) holds these
    before: list[list[str]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)   # written into the case's directory first
    input: str | None = None
    peer: str | None = None               # "radio", "google", "stripe", "mercadopago", "afip" or "mail"


def table_cases(noun: str, new: list[str], key: str, edit: list[str], unused: str, keys: tuple[str, ...]):
    return {f"{noun} add": Case(new, keys), f"{noun} list": Case([], keys),
            f"{noun} edit": Case([key, *edit], keys), f"{noun} delete": Case([unused, "--yes"], ("deleted",))}


# A1 invoiced for November: its invoice is entry 4 (after the DX and the two receipts of the world).
BILLED = [["client", "edit", "A1", "--signup-date", "2026-01-01"], ["billing", "run", "--period", "2026-11"]]
TOMORROW = first_collection_day(date.today()).isoformat()   # the first TARGET2 day open to a batch
# A1 pays by direct debit, to a creditor in euros (collect ...).
SEPA = [["config", "set", "currency", "EUR"], ["config", "set", "sepa.creditor_id", "DE98ZZZ09999999999"],
        ["config", "set", "sepa.creditor_name", "Red Sur SRL"],
        ["config", "set", "sepa.creditor_iban", "ES7921000813610123456789"],
        ["client", "edit", "A1", "--payment-method", "sepa", "--iban", "ES9121000418450200051332",
         "--mandate-ref", "M-A1", "--mandate-date", "2025-01-01"]]
COLLECTED = SEPA + [["collect", "sepa", "--collection-date", TOMORROW, "--out", "{dir}/remesa-1.xml"]]

CASES: dict[str, Case] = {
    "collect sepa": Case(["--collection-date", TOMORROW, "--out", "{dir}/remesa.xml"], ("batch", "items", "total"),
                         before=SEPA),
    "collect list": Case([], ("batch", "items", "pending"), before=COLLECTED),
    "collect show": Case(["1"], ("batch", "items"), before=COLLECTED),
    "collect settle": Case(["1"], ("batch", "paid"), before=COLLECTED),
    "payments import": Case(["{dir}/pagos.csv", "--source", "banco"],
                            ("file", "posted", "total", "receipts", "unmatched"),
                            files={"pagos.csv": "date,amount,reference,client\n2026-01-02,10.00,R-1,A1\n"}),
    "collect debts": Case(["--payment-method", "sepa", "--out", "{dir}/deudas.csv"], ("path", "clients", "total"),
                          before=SEPA),
    "init": Case([], ("url", "revision")),
    "db upgrade": Case([], ("url", "revision", "up_to_date")),
    "db current": Case([], ("revision", "up_to_date")),
    "config list": Case([], ("key", "value")),
    "config get": Case(["office.lat"], ("key", "value")),
    "config set": Case(["office.lat", "-34.588"], ("key", "value")),
    **table_cases("operator", ["--name", "dora", "--role", "operator"], "ana", ["--full-name", "Ana G."], "carla",
                  ("name", "role")),
    **table_cases("postal-code", ["--code", "1414", "--locality", "Palermo"], "X5000", ["--locality", "Cba"], "9999",
                  ("code", "locality")),
    **table_cases("status", ["--name", "Moroso"], "Activo", ["--description", "al día"], "Baja", ("name",)),
    **table_cases("company", ["--number", "3", "--name", "Otra SA"], "1", ["--phone", "0351 400"], "2",
                  ("number", "name")),
    **table_cases("plan", ["--name", "Pro", "--price", "12000"], "Hogar",
                  ["--price", "9900", "--down-kbps", "10000", "--up-kbps", "2000", "--burst-down-kbps", "20000",
                   "--burst-up-kbps", "4000", "--burst-seconds", "8"], "Suelto",
                  ("name", "price", "burst_down_kbps", "burst_up_kbps", "burst_seconds")),
    **table_cases("node", ["--name", "Oeste", "--lat", "-33.4", "--lng", "-70.6"], "Norte", ["--lat", "-31.5"],
                  "Sur", ("name", "lat")),
    "client add": Case(["--name", "Nuevo", "--lat", "-34.6", "--lng", "-58.4"], ("code", "lat", "lng")),
    "client edit": Case(["B2", "--lat", "-34.6"], ("code", "lat")),
    "client show": Case(["A1"], ("code", "balance")),
    "client list": Case([], ("code", "name")),
    "client delete": Case(["B2", "--yes"], ("deleted",)),
    "client recode": Case(["B2", "B3"], ("previous_code", "code")),
    "client restore": Case(["{zz}"], ("previous_code", "code")),
    "client log": Case(["A1"], ("at", "kind")),
    "client import": Case(["{dir}/nuevos.csv"], ("rows", "new"),
                          files={"nuevos.csv": "nombre,domicilio\nImportada,Calle 9\n"}),
    "client disable": Case(["A1", "--reason", "deuda"], ("client", "routers")),
    "client enable": Case(["A1"], ("client", "routers")),
    "client contract": Case(["A1", "--out", "{dir}/contrato.pdf"], ("file", "pages")),
    "client geocode": Case(["G1"], ("code", "result"), peer="google"),
    "client traffic": Case(["T1", "--out", "{dir}/trafico.png"], ("client", "sessions"), before=[
        ["router", "add", "nas", "--kind", "radius", "--host", "127.0.0.1", "--radius-db", "{radacct}"],
        ["connection", "add", "T1", "--router", "nas", "--pppoe-user", "gomez"]]),
    "client note add": Case(["A1", "otra nota"], ("client", "at")),
    "client note list": Case(["A1"], ("at", "author", "text")),
    "client tickets block": Case(["A1", "--message", "Llame al 0351"], ("clients", "tickets_blocked")),
    "client tickets enable": Case(["A1"], ("clients", "tickets_blocked")),
    "client webpass generate": Case(["--out", "{dir}/claves.csv"], ("clients", "file")),
    "client webpass set": Case(["A1", "--random"], ("client", "password")),
    "client webpass check": Case(["B2"], ("client", "matches"), input=WEB_PASSWORD + "\n"),
    "export clients": Case(["--out", "{dir}/clientes.json"], ("rows", "file")),
    "export ledger": Case(["--out", "{dir}/cuentas.json"], ("rows", "file", "format")),
    "ledger adjust": Case(["A1", "--credit", "10", "--fiscal", "--invoice", "4", "--reason", "bonificación"],
                          ("client", "balance", "note", "fiscal_number", "invoice_number"), before=BILLED),
    "ledger show": Case(["A1"], ("entry", "document", "balance", "client", "kind", "reference")),
    "ledger annul": Case(["{dx}", "--reason", "cargado por error"], ("annulled", "reversal")),
    "ledger rebuild": Case([], ("checked", "wrong")),
    "ledger cash": Case([], ("entity", "total")),
    "ledger import": Case(["{dir}/saldos.csv"], ("lines", "posted", "already_imported"),
                          files={"saldos.csv": "cliente,fecha,tipo,importe,referencia\n"
                                               "B2,2026-01-02,saldo_inicial,-150,SI-B2\n"}),
    "cheque list": Case([], ("id", "status")),
    "cheque set-status": Case(["{cheque}", "deposited"], ("id", "status")),
    "billing run": Case(["--period", "2026-11"], ("period", "invoices")),
    "invoice authorize": Case([], ("driver", "today", "authorized", "refused", "overdue")),
    "invoice list": Case(["--period", "2026-11"], ("entry", "client", "letter", "status"), before=BILLED),
    "invoice show": Case(["4"], ("entry", "letter", "net", "vat", "total"), before=BILLED),
    "invoice print": Case(["4", "--out", "{dir}/factura.pdf"], ("file", "pages"), before=BILLED),
    "invoice send": Case(["--invoice", "4"], ("selected", "sent", "already_sent", "no_email", "messages"),
                         peer="mail", before=[*BILLED, ["config", "set", "smtp.host", "127.0.0.1"],
                                              ["config", "set", "smtp.port", "{smtp_port}"],
                                              ["config", "set", "smtp.starttls", "no"],
                                              ["config", "set", "smtp.from", "facturas@redsur.example"]]),
    "fiscal check": Case([], ("company", "point_of_sale", "document", "last"), peer="afip", before=[
        ["company", "edit", "1", "--tax-id", str(CUIT), "--point-of-sale", "1", "--afip-cert", "{cert}",
         "--afip-key", "{key}"],
        ["config", "set", "fiscal.driver", "afip"], ["config", "set", "afip.wsaa_url", "{wsaa}"],
        ["config", "set", "afip.wsfe_url", "{wsfe}"]]),
    "pay": Case(["A1", "--cash", "10"], ("receipt", "balance")),
    "commit": Case(["A1", "2026-12-31"], ("client", "commitment")),
    "enforce": Case([], ("mode", "routers")),
    "preaviso": Case([], ("mode", "routers")),
    "provision": Case(["--all"], ("mode", "routers", "changes", "problems")),
    "notify": Case(["--dry-run"], ("mode", "messages", "no_email"), before=[["enforce"]]),
    "router add": Case(["edge", "--kind", "mikrotik", "--host", "10.9.0.3"], ("name", "host")),
    "router edit": Case(["core", "--node", "Norte"], ("name", "node")),
    "router list": Case([], ("name", "kind")),
    "router delete": Case(["spare", "--yes"], ("name", "deleted"), before=[
        ["router", "add", "spare", "--kind", "mikrotik", "--host", "10.9.0.4"]]),
    "router test": Case(["core"], ("reachable", "login")),
    "network adopt": Case(["core", "--apply"], ("router", "applied", "matched", "unmatched", "conflicts")),
    "connection add": Case(["B2", "--router", "core", "--ip", "10.0.0.3", "--pppoe-user", "b2"],
                           ("id", "client", "new_pppoe_password")),
    "connection edit": Case(["{connection}", "--mac", "04:18:D6:00:00:02", "--pppoe-user", "a1",
                             "--pppoe-password-stdin"], ("id", "mac", "new_pppoe_password"), input="clave-a1\n"),
    "connection list": Case([], ("id", "client")),
    "connection delete": Case(["{connection}", "--yes"], ("id", "deleted")),
    "connection import": Case(["{dir}/conexiones.csv"], ("rows", "new"),
                              files={"conexiones.csv": "cliente,router,ip,mac\nB2,core,10.0.0.4,04:18:D6:00:00:03\n"}),
    "mercadopago link": Case(["A1", "--amount", "100"], ("client", "amount", "link", "reused"), peer="mercadopago",
                             before=[["config", "set", "mercadopago.url", "{mp_url}"]]),
    "payments fetch": Case(["mercadopago"], ("source", "seen", "posted", "receipts", "unmatched"), peer="mercadopago",
                           before=[["config", "set", "mercadopago.url", "{mp_url}"]]),
    "sim routeros": Case(["--port", "0"], ("event", "port")),          # a server: see _run_server
    "sim afip": Case(["--port", "0", "--trust", "{dir}/ca.pem"], ("event", "wsaa_url", "wsfe_url"),
                     files={"ca.pem": authority().certificate_pem.decode()}),
    "sim mercadopago": Case(["--port", "0"], ("event", "url"), peer="mercadopago"),
    "template list": Case([], ("name", "source")),
    "template show": Case(["style"], ("name", "text")),
    "template set": Case(["style", "{dir}/style.css"], ("name", "checked"),
                         files={"style.css": "body { color: #222; }\n"}),
    "template reset": Case(["style"], ("name", "reset")),
    "receipt print": Case(["1", "--out", "{dir}/recibo.pdf"], ("file", "pages")),
    "stripe link": Case(["A1"], ("client", "url"), peer="stripe"),
    "stripe set-card": Case(["A1", "{card}"], ("client", "card"), before=[["stripe", "link", "A1"]], peer="stripe"),
    "stripe charge": Case(["A1", "100"], ("receipt", "balance"), peer="stripe",
                          before=[["stripe", "link", "A1"], ["stripe", "set-card", "A1", "{card}"]]),
    "stripe charge-due": Case([], ("date", "charged", "declined", "pending", "total"), peer="stripe",
                              before=[["client", "edit", "A1", "--payment-method", "stripe"], ["stripe", "link", "A1"],
                                      ["stripe", "set-card", "A1", "{card}"]]),
    "cpe report": Case(["C1", "--port", "{radio_port}"], ("client", "ip"), peer="radio"),
    "cpe signal": Case(["C1"], ("client", "mac", "registered")),
    "map": Case(["--out", "{dir}/mapa.html"], ("written", "clients")),
    "demo": Case(["--clients", "20", "--today", "2026-12-04", "--path", "{dir}/demo.db"], ("tour",)),
    "completion": Case(["bash"], ("shell", "script")),
}


def command_paths() -> list[str]:
    from ispcube.cli.main import app

    def walk(command: click.Command, path: list[str]):
        if not isinstance(command, click.Group):
            yield " ".join(path)
            return
        for name in command.list_commands(click.Context(command)):
            yield from walk(command.get_command(click.Context(command), name), path + [name])
    return list(walk(typer.main.get_command(app), []))


def test_every_command_has_a_case():
    paths = command_paths()
    assert len(paths) > 80
    assert sorted(set(paths) - set(CASES)) == [], "commands without a case in CASES"
    assert sorted(set(CASES) - set(paths)) == [], "cases of commands that no longer exist"


@pytest.fixture(scope="module")
def sim():
    with ExitStack() as stack:
        router = start_simulators(stack, 1)[0]
        router.add_registration(CPE_MAC, signal=-61)
        yield router


@pytest.fixture(scope="module")
def world(tmp_path_factory, sqlite_template, sim):
    """A small ISP in a SQLite file, and the ids the cases refer to."""
    folder = tmp_path_factory.mktemp("world")
    path = folder / "isp.db"
    shutil.copy(sqlite_template, path)
    radacct = _radacct(folder / "radacct.db")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XDG_DATA_HOME", str(folder / "xdg-data"))
        env.setenv("XDG_CONFIG_HOME", str(folder / "xdg-config"))
        cli = Cli(f"sqlite:///{path}")
        for args in (
            ["company", "add", "--number", "1", "--name", "Red Sur SRL", "--tax-id", "30-71234567-9"],
            ["company", "add", "--number", "2", "--name", "Sin Uso SA"],
            ["postal-code", "add", "--code", "X5000", "--locality", "Córdoba"],
            ["postal-code", "add", "--code", "9999", "--locality", "Ninguna"],
            ["status", "add", "--name", "Activo"], ["status", "add", "--name", "Baja"],
            ["operator", "add", "--name", "ana", "--role", "collector"],
            ["operator", "add", "--name", "carla", "--role", "seller"],
            ["plan", "add", "--name", "Hogar", "--price", "9500"], ["plan", "add", "--name", "Suelto", "--price", "1"],
            ["node", "add", "--name", "Norte", "--lat", "-31.4", "--lng", "-64.2", "--radius-m", "3000"],
            ["node", "add", "--name", "Sur"],
            ["config", "set", "office.lat", "-31.42"], ["config", "set", "office.lng", "-64.18"],
            ["client", "add", "--code", "A1", "--name", "Ana Gómez", "--fiscal-address", "Bolívar 321",
             "--postal-code", "X5000", "--company", "1", "--email", "ana@example.org", "--contract-type", "1",
             "--lat", "-31.41", "--lng", "-64.19", "--plan", "Hogar", "--node", "Norte"],
            ["client", "add", "--code", "B2", "--name", "Beto Paz", "--address", "Calle 2", "--company", "1"],
            ["client", "add", "--code", "C1", "--name", "Con Antena", "--address", "Norte 1"],
            ["client", "add", "--code", "G1", "--name", "Por Ubicar", "--address", "Gurruchaga 1500",
             "--postal-code", "X5000"],
            ["client", "add", "--code", "T1", "--name", "Con Radius", "--address", "Norte 3"],
            ["client", "add", "--code", "D4", "--name", "Dado de Baja", "--address", "Calle 4"],
            ["client", "delete", "D4", "--yes"],
            ["client", "note", "add", "A1", "llamar el lunes"],
            ["ledger", "adjust", "A1", "--debit", "5000", "--reason", "abono"],
            ["pay", "A1", "--cash", "100"],
            ["pay", "A1", "--cheque", "bank=Banco Nación,number=1,amount=50,deposit=2026-12-10"],
        ):
            cli.ok(*args)
        add_mikrotik(cli, "core", sim)
        cli.ok("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.2")
        cli.ok("connection", "add", "C1", "--router", "core", "--ip", "10.0.0.9", "--mac", CPE_MAC,
               "--cpe-kind", "ubiquiti")
        cli.ok("config", "set", "cpe.passwords", "-", input=",".join(PASSWORDS) + "\n")
        cli.ok("client", "webpass", "set", "B2", "--stdin", input=WEB_PASSWORD + "\n")
        values = {
            "radacct": radacct,
            "dx": next(str(r["entry"]) for r in cli.json("ledger", "show", "A1") if r["document"] == "DX 1"),
            "cheque": str(cli.json("cheque", "list")[0]["id"]),
            "connection": str(cli.json("connection", "list", "--client", "A1")[0]["id"]),
            "zz": cli.json("client", "list", "--deleted")[0]["code"],
        }
    from ispcube.db.engine import get_engine
    engine = get_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        # The fake radio listens on loopback, an address `connection add` rightly refuses.
        conn.exec_driver_sql("UPDATE connections SET ip = '127.0.0.1' WHERE ip = '10.0.0.9'")
        conn.commit()
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")   # the copies must hold every write
    engine.dispose()
    return path, values


def _radacct(path: Path) -> str:
    """A FreeRADIUS accounting table holding one finished session of user gomez."""
    from sqlalchemy import create_engine

    from ispcube.adapters.radacct import RADACCT
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    RADACCT.metadata.create_all(engine)
    start = datetime.now().replace(microsecond=0) - timedelta(hours=3)
    with engine.begin() as conn:
        conn.execute(RADACCT.insert().values(
            radacctid=1, acctsessionid="s-1", username="gomez", nasipaddress="127.0.0.1",
            acctstarttime=start, acctupdatetime=start + timedelta(hours=2), acctstoptime=start + timedelta(hours=2),
            acctsessiontime=7200, acctinputoctets=200_000_000, acctoutputoctets=900_000_000))
    engine.dispose()
    return url


def _peer(name: str | None, request, env: dict) -> dict:
    """Start the outside peer a case needs; the placeholders and environment it adds."""
    if name == "radio":
        radio = FakeAirOS(version=6, password=PASSWORDS[1])
        request.addfinalizer(radio.close)
        return {"radio_port": str(radio.port)}
    if name == "google":
        google = FakeGoogle()
        request.addfinalizer(google.close)
        google.answers["Gurruchaga 1500"] = ("OK", [place(-34.5889, -58.4301, "Gurruchaga 1500, Argentina")])
        env.update({"GOOGLE_MAPS_API_KEY": KEY, "ISPCUBE_GEOCODING_URL": google.url})
        return {}
    if name == "stripe":
        request.getfixturevalue("proxy")
        return {"card": saved_card(request.getfixturevalue("localstripe"), "4242424242424242")}
    if name == "afip":
        afip = AfipSimulator([authority().certificate]).start()
        request.addfinalizer(afip.stop)
        folder = request.getfixturevalue("tmp_path")
        (folder / "afip.crt").write_bytes(company().certificate_pem)
        (folder / "afip.key").write_bytes(company().key_pem)
        (folder / "afip.key").chmod(0o600)
        return {"wsaa": afip.wsaa_url, "wsfe": afip.wsfe_url, "cert": str(folder / "afip.crt"),
                "key": str(folder / "afip.key")}
    if name == "mail":
        mail = MailCatcher().start()
        request.addfinalizer(mail.stop)
        return {"smtp_port": str(mail.port)}
    if name == "mercadopago":
        mercadopago = MercadoPagoSimulator(MP_TOKEN).start()
        request.addfinalizer(mercadopago.stop)
        env["ISPCUBE_MERCADOPAGO_TOKEN"] = MP_TOKEN
        return {"mp_url": mercadopago.url}
    return {}


def _holds_keys(value, keys: tuple[str, ...]) -> None:
    rows = value if isinstance(value, list) else [value]
    assert isinstance(value, (dict, list)) and rows, f"not an object or a non-empty list: {value!r}"
    for row in rows:
        assert isinstance(row, dict) and set(keys) <= set(row), f"{keys} not all in {row!r}"


@pytest.mark.parametrize("path", sorted(CASES))
def test_the_command_answers_json_with_the_format_after_it(path, world, tmp_path, request):
    case = CASES[path]
    source, values = world
    shutil.copy(source, tmp_path / "isp.db")
    for name, text in case.files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env: dict = {}
    values = {**values, **_peer(case.peer, request, env), "dir": str(tmp_path)}
    fill = lambda args: [arg.format(**values) for arg in args]  # noqa: E731
    cli = Cli(f"sqlite:///{tmp_path / 'isp.db'}")
    if path.startswith("sim "):
        return _run_server(path.split() + fill(case.args) + ["--format", "json"], case.keys, env)
    for args in case.before:
        cli.ok(*fill(args), env=env)
    result = cli.ok(*path.split(), *fill(case.args), "--format", "json", input=case.input, env=env)
    _holds_keys(json.loads(result.stdout), case.keys)


def _run_server(args: list[str], keys: tuple[str, ...], peer_env: dict) -> None:
    """The simulators run until Ctrl-C: one JSON object per line (listening, then stopped)."""
    env = {**os.environ, **peer_env, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    process = subprocess.Popen([sys.executable, "-c", "from ispcube.cli.main import run; run()", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _holds_keys(json.loads(process.stdout.readline()), keys)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0
    assert [json.loads(line)["event"] for line in rest.splitlines()] == ["stopped"]
