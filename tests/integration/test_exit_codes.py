"""Exit codes tell the truth (R13): a failing command that exits 1 (or 2, or 4) changed nothing,
and one that exits 3 changed something and says what stands.

One table of failures across every noun of the CLI. Each row runs on a fresh database holding
the same small ISP (a company, a plan, a node, operators, clients with a debt, a payment with a
cheque, a router and a connection), through the real entry point; every row of every table of
the schema is read before and after. To add a case, add a `Row`: its command line (`{tmp}` is
the test's own folder), the exit code and the words stderr must hold, and, when the case needs
more than the shared ISP, a `setup` that builds it (run before the snapshot).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
import os
import shlex
from typing import Callable

import pytest
from sqlalchemy import select

from ispcube.domain.target2 import first_collection_day
from ispcube.sim.mercadopago import MercadoPagoSimulator
from tests.integration.test_stripe import localstripe, proxy, saved_card  # noqa: F401 - fixtures

NOTHING_CHANGED = (1, 2, 4)
MP_TOKEN = "APP_USR-exit-codes"
COLLECTION = first_collection_day(date.today()).isoformat()    # the first TARGET2 day open to a batch


@dataclass(frozen=True)
class Row:
    name: str
    command: str                 # after `ispcube --db URL`; shell words; {tmp} is the test's folder
    exit: int
    says: str                    # on stderr; for exit 3, the words naming what stands
    setup: Callable | None = None
    stripe: bool = False         # needs the fake Stripe (localstripe behind a proxy)
    mercadopago: bool = False    # needs the simulated Mercado Pago (its address set, its token given)
    stdin: str | bytes | None = None


@dataclass
class World:
    cli: object
    tmp: str
    localstripe: tuple | None = None
    proxy: object | None = None
    mercadopago: MercadoPagoSimulator | None = None


def _card(number: str):
    def setup(world: World) -> None:
        world.cli.ok("stripe", "link", "A1")
        world.cli.ok("stripe", "set-card", "A1", saved_card(world.localstripe, number))
    return setup


def _proxy(flag: str):
    def setup(world: World) -> None:
        setattr(world.proxy, flag, True)
    return setup


def _file(name: str, text: str):
    def setup(world: World) -> None:
        with open(os.path.join(world.tmp, name), "w", encoding="utf-8") as file:
            file.write(text)
    return setup


def _run(*command: str):
    def setup(world: World) -> None:
        world.cli.ok(*command)
    return setup


def _no_company(world: World) -> None:
    world.cli.ok("client", "add", "--code", "N1", "--name", "Sin Empresa", "--address", "Sola 1")
    world.cli.ok("client", "edit", "A1", "--company", "")
    world.cli.ok("client", "edit", "B1", "--company", "")
    world.cli.ok("--yes", "company", "delete", "1")


def _mail_server_down(world: World) -> None:
    """A1 is cut (its notice is pending) and smtp.host names a port nobody listens on."""
    from tests.support.smtp import free_port
    for key, value in (("smtp.host", "127.0.0.1"), ("smtp.port", str(free_port())), ("smtp.starttls", "no"),
                       ("smtp.from", "avisos@redsur.example")):
        world.cli.ok("config", "set", key, value)
    world.cli("enforce")                    # the router r1 is down too: exit 3, the cut stands


def _mp_payment(id_number: str):
    """A payment of 10.00 made an hour ago by the payer with ID_NUMBER."""
    def setup(world: World) -> None:
        assert world.mercadopago is not None
        world.mercadopago.add_payment(transaction_amount="10.00", id_number=id_number,
                                      at=datetime.now().astimezone() - timedelta(hours=1))
    return setup


def _mp_token_changed(world: World) -> None:
    assert world.mercadopago is not None
    world.mercadopago.token = "APP_USR-another"


def _both(*setups):
    def setup(world: World) -> None:
        for step in setups:
            step(world)
    return setup


FAILS_WITH_REAL_DATA = ('{% extends "base" %}{% block content %}{% if client.code != "00042" %}'
                        '{{ no_such_value }}{% endif %}{% endblock %}')
BAD_IMPORT = "code,name,id_type,id_number\nI1,Importada Una,DNI,30123456\nI2,,DNI,x\n"
BAD_LEDGER = "client,date,kind,amount,reference\nB1,2026-01-02,opening,120.50,S-1\nA1,2026-01-02,dx,1.2345,F-1\n"
PAYMENTS_BAD = "date,amount,reference,client,source\n2026-01-02,10.0055,R-1,A1,pasarela\n"
PAYMENTS_UNMATCHED = ("date,amount,reference,client,source\n2026-01-02,10.00,R-1,A1,pasarela\n"
                      "2026-01-02,5.00,R-2,ZZ9,pasarela\n")
BAD_CONNECTIONS = "client,router,ip\nB1,r1,10.0.0.3\nB1,r1,10.0.0.300\n"

ROWS = [
    # init, db, config
    Row("init takes no argument", "init now", 2, "Got unexpected extra argument"),
    Row("db current takes no argument", "db current now", 2, "Got unexpected extra argument"),
    Row("config set: unknown key", "config set no.such.key 1", 1, "no.such.key"),
    Row("config set: bad value", "config set unlock_threshold abc", 1, "unlock_threshold"),
    Row("config set: a server address whose port is none", "config set afip.wsfe_url http://127.0.0.1:99999/x", 1,
        "setting afip.wsfe_url: 'http://127.0.0.1:99999/x' is not an http:// or https:// address"),
    Row("config set: a server address holding a password", "config set afip.wsaa_url http://ana:pw@127.0.0.1/x", 1,
        "setting afip.wsaa_url: the address holds a user name or password"),
    # the tables
    Row("operator add: bad role", "operator add --name zoe --role king", 1, "king"),
    Row("operator add: duplicate", "operator add --name ana --role collector", 1, "already exists"),
    Row("postal-code add: duplicate", "postal-code add --code X5000 --locality Otra", 1, "already exists"),
    Row("status delete: unknown", "--yes status delete Nada", 1, "does not exist"),
    Row("company delete: in use", "--yes company delete 1", 1, "is in use by client A1"),
    Row("company edit: a file that holds no certificate", "company edit 1 --afip-cert {tmp}/afip.crt", 1,
        "does not hold a PEM certificate", setup=_file("afip.crt", "-----BEGIN CERTIFICATE-----\nno\n")),
    Row("plan add: bad amount", "plan add --name Caro --price 12,5.3", 1, "price"),
    Row("node delete: unknown", "--yes node delete Sur", 1, "does not exist"),
    # clients
    Row("client add: bad ID number", "client add --name Otro --id-type DNI --id-number 12x", 1, "12x"),
    Row("client add: duplicate ID number", "client add --name 'Otra Ana' --address 'Otra 9' --id-type DNI "
        "--id-number 20123456", 4, "duplicate of A1 Ana Pérez (same ID number)"),
    Row("client edit: unknown client", "client edit ZZ9 --name Nadie", 1, "client 'ZZ9' does not exist"),
    Row("client edit: bad date", "client edit A1 --signup-date 2026-02-30", 1, "2026-02-30"),
    Row("client recode: code taken", "client recode A1 B1", 1, "B1"),
    Row("client restore: not deleted", "client restore A1", 1, "A1"),
    Row("client import: one bad row", "client import {tmp}/bad.csv", 1, "line 3",
        setup=_file("bad.csv", BAD_IMPORT)),
    Row("client import --skip-invalid: says what it imported", "client import {tmp}/bad.csv --skip-invalid",
        3, "1 row invalid, skipped; 1 row valid, imported", setup=_file("bad.csv", BAD_IMPORT)),
    Row("client note add: unknown client", "client note add ZZ9 hola", 1, "client 'ZZ9' does not exist"),
    Row("client contract: no contract type", "client contract B1 --out {tmp}/c.pdf", 1, "no contract type"),
    Row("client traffic: bad days", "client traffic A1 --out {tmp}/t.png --days 0", 1, "days"),
    Row("client list --template: foreign file", "client list --template listing --out {tmp}/mine.html", 2,
        "ispcube did not write it", setup=_file("mine.html", "<p>my page</p>")),
    Row("export clients: bad file type", "export clients --out {tmp}/c.txt", 1, "c.txt"),
    Row("export ledger: bad file type", "export ledger --out {tmp}/l.txt", 1, "l.txt"),
    Row("export ledger: dates the wrong way", "export ledger --out {tmp}/l.csv --from 2026-03-02 --to 2026-03-01",
        1, "--from 2026-03-02 is after --to 2026-03-01"),
    # ledger, cheques, billing
    Row("ledger adjust: bad amount", "ledger adjust A1 --debit 1e3 --reason x", 1, "'1e3' is not an amount"),
    Row("ledger adjust: refused by role", "--operator ana ledger adjust A1 --debit 10 --reason x", 1,
        "operator 'ana' is a collector"),
    Row("ledger adjust --fiscal: no amount", "ledger adjust A1 --fiscal --reason x", 1,
        "--fiscal needs --credit AMOUNT (a credit note) or --debit AMOUNT (a debit note)"),
    Row("ledger adjust --invoice: without --fiscal", "ledger adjust A1 --credit 10 --invoice 1 --reason x", 2,
        "--invoice names the invoice a fiscal note corrects: it goes with --fiscal"),
    Row("ledger adjust --fiscal: no invoice to correct", "ledger adjust A1 --credit 10 --fiscal --reason x", 1,
        "client A1 has no authorized invoice in force for a note to correct"),
    Row("ledger adjust --fiscal: not an invoice", "ledger adjust A1 --debit 10 --fiscal --invoice 1 --reason x", 1,
        "not an invoice: a note corrects an invoice"),
    Row("ledger adjust --fiscal: more than was invoiced", "ledger adjust A1 --credit 9500.01 --fiscal --reason x", 1,
        "a credit of 9500.01 is more than what remains of invoice 1-1 of client A1",
        setup=_both(_run("client", "edit", "A1", "--signup-date", "2026-01-01"),
                    _run("billing", "run", "--period", "2026-11"))),
    Row("ledger annul: unknown entry", "ledger annul 999 --reason x", 1, "999"),
    Row("ledger cash: bad date", "ledger cash --date 2026-13-01", 1, "2026-13-01"),
    Row("ledger import: one bad line", "ledger import {tmp}/bad.csv", 1,
        "line 3, column amount: value '1.2345': has more than 2 decimals", setup=_file("bad.csv", BAD_LEDGER)),
    Row("ledger import --skip-invalid: says what it posted", "ledger import {tmp}/bad.csv --skip-invalid", 3,
        "1 line invalid, skipped; 1 line posted, 0 already imported", setup=_file("bad.csv", BAD_LEDGER)),
    Row("ledger import: refused by role", "--operator ana ledger import {tmp}/bad.csv", 1,
        "operator 'ana' is a collector", setup=_file("bad.csv", BAD_LEDGER)),
    Row("cheque set-status: bad status", "cheque set-status 1 bounced", 1, "bounced"),
    Row("billing run: bad period", "billing run --period 2026-13", 1, "2026-13"),
    # fiscal invoices
    Row("invoice authorize: a company without its AFIP data", "invoice authorize", 3,
        "company 1: AFIP needs its --tax-id, --point-of-sale, --afip-cert, --afip-key (`ispcube company edit 1",
        setup=_both(_run("config", "set", "fiscal.driver", "afip"), _run("client", "edit", "A1", "--signup-date",
                                                                         "2026-01-01"),
                    _run("billing", "run", "--period", "2026-11"))),
    Row("invoice authorize: an invoice waiting beyond fiscal.retry_days", "--yes invoice authorize --today 2099-01-01",
        3, "invoice 1-1 of client A1 has waited for its CAE since ",
        setup=_both(_run("config", "set", "fiscal.driver", "afip"), _run("client", "edit", "A1", "--signup-date",
                                                                         "2026-01-01"),
                    _run("billing", "run", "--period", "2026-11"))),
    Row("invoice authorize: another day without --yes", "invoice authorize --today 2001-01-01", 2,
        "--today 2001-01-01 is not today"),
    Row("invoice authorize: bad date", "invoice authorize --today 2026-02-30", 1, "2026-02-30"),
    Row("invoice authorize: empty date", "invoice authorize --today ''", 1, "--today '' is not a date"),
    Row("invoice list: an unknown client", "invoice list --client ZZ9", 1, "client 'ZZ9' does not exist"),
    Row("invoice list: an empty period (a script's variable)", "invoice list --period ''", 1,
        "period '' is not a month"),
    Row("invoice list: an empty status", "invoice list --status ''", 1, "--status '' is not one of"),
    Row("fiscal check: no tax authority", "fiscal check", 1, "fiscal.driver is none"),
    Row("invoice send: no mail server set", "invoice send --client A1", 1, "invoice send: no mail server is set",
        setup=_run("billing", "run", "--period", "2026-11")),
    Row("invoice send: nothing picked", "invoice send", 1, "say which invoices to send", setup=_mail_server_down),
    Row("invoice send: an unknown invoice", "invoice send --invoice 99", 1, "invoice 99 does not exist",
        setup=_mail_server_down),
    Row("invoice send: the mail server is down", "invoice send --client A1", 3,
        "1 invoice(s) wait in the outbox for the next `ispcube notify` or `ispcube invoice send`; 0 sent stand",
        setup=_both(_mail_server_down, _run("client", "edit", "A1", "--signup-date", "2026-01-01"),
                    _run("billing", "run", "--period", "2026-11"))),
    # collections
    Row("collect sepa: not in euros", f"collect sepa --collection-date {COLLECTION} --out {{tmp}}/r.xml", 1,
        "in euros"),
    Row("collect show: unknown batch", "collect show 7", 1, "batch 7 does not exist"),
    Row("collect debts: unknown method", "collect debts --payment-method trueque --out {tmp}/d.csv", 1,
        "is not one of"),
    Row("payments import: not a statement", "payments import {tmp}/e.xml", 1, "is not an XML document",
        setup=_file("e.xml", "<<< no es XML")),
    Row("payments import: an amount with too many decimals", "payments import {tmp}/p.csv", 1,
        "line 2, column amount: value '10.0055': has more than 2 decimals", setup=_file("p.csv", PAYMENTS_BAD)),
    Row("payments import: a credit no client matches", "payments import {tmp}/p.csv", 3,
        "1 payment(s) posted and 0 return(s) recorded stand", setup=_file("p.csv", PAYMENTS_UNMATCHED)),
    Row("mercadopago link: a zero amount", "mercadopago link A1 --amount 0", 1,
        "--amount '0' must be greater than zero", mercadopago=True),
    Row("payments fetch: not a gateway", "payments fetch paypal", 1, "'paypal' is not a gateway ispcube fetches"),
    Row("payments fetch mercadopago: no access token", "payments fetch mercadopago", 1,
        "no Mercado Pago access token: set ISPCUBE_MERCADOPAGO_TOKEN"),
    Row("payments fetch mercadopago: the token refused", "payments fetch mercadopago", 1,
        "Mercado Pago refused the access token", mercadopago=True,
        setup=_mp_token_changed),
    Row("payments fetch mercadopago: a payment no client matches", "payments fetch mercadopago", 3,
        "1 payment(s) not matched (named above); nothing else was posted", mercadopago=True,
        setup=_mp_payment("99888777")),
    # payments and receipts
    Row("pay: unknown client", "pay ZZ9 --cash 10", 1, "client 'ZZ9' does not exist"),
    Row("pay: bad amount", "pay A1 --cash 10.5055", 1, "more than 2 decimals"),
    Row("pay: bad date", "pay A1 --cash 10 --date 2026-02-30", 1, "2026-02-30"),
    Row("pay: another collector's client", "--operator ana pay B1 --cash 10", 1, "client 'B1' does not exist"),
    Row("pay: refused by role", "--operator vera pay A1 --cash 10", 1, "operator 'vera' is a seller"),
    Row("pay: cheque already received", "pay A1 --cheque bank=Nación,number=77,amount=10,deposit=2026-12-01",
        1, "77"),
    Row("pay --receipt: no billing company", "pay N1 --cash 10 --receipt {tmp}/r.pdf", 1,
        "no billing company is configured", setup=_no_company),
    Row("pay --receipt: template fails for the client", "pay A1 --cash 10 --receipt {tmp}/r.pdf", 1,
        "no_such_value", setup=_both(_file("receipt.html", FAILS_WITH_REAL_DATA),
                                     lambda w: w.cli.ok("template", "set", "receipt", f"{w.tmp}/receipt.html"))),
    Row("pay --receipt: foreign file", "pay A1 --cash 10 --receipt {tmp}/theirs.pdf", 2,
        "ispcube did not write it", setup=_file("theirs.pdf", "%PDF-1.4 not ours")),
    Row("pay --receipt: the PDF cannot be written after the payment",
        "--yes pay A1 --cash 10 --receipt {tmp}/full.pdf", 3, "the payment stands: receipt 2 recorded",
        setup=lambda w: os.symlink("/dev/full", os.path.join(w.tmp, "full.pdf"))),
    Row("receipt print: not a receipt", "receipt print --entry 1 --out {tmp}/r.pdf", 1, "not a payment receipt"),
    Row("completion: unknown shell", "completion tcsh", 2, "is not one of bash, zsh, fish"),
    Row("template set: syntax error", "template set receipt {tmp}/bad.html", 1, "template receipt line 1",
        setup=_file("bad.html", "{% if %}")),
    Row("template show: unknown", "template show factura", 1, "factura"),
    # network
    Row("router add: duplicate", "router add r1 --kind mikrotik --host 127.0.0.2 --user admin", 1,
        "already exists"),
    Row("router test: unknown router", "router test nope", 1, "nope"),
    Row("network adopt: unknown router", "network adopt nope --apply", 1, "nope"),
    Row("network adopt: router down", "network adopt r1 --apply", 1, "r1"),
    Row("connection add: unknown router", "connection add A1 --router nope --ip 10.0.0.9", 1, "nope"),
    Row("connection add: bad IP", "connection add A1 --router r1 --ip 10.0.0.300", 1, "10.0.0.300"),
    Row("connection add: empty PPPoE password", "connection add A1 --router r1 --pppoe-user ana "
        "--pppoe-password-stdin", 1, "connection pppoe-password is empty", stdin="\n"),
    Row("connection add: a PPPoE password not UTF-8", "connection add A1 --router r1 --pppoe-user ana "
        "--pppoe-password-stdin", 1, "ispcube: the PPPoE password given on stdin holds bytes that are not UTF-8: "
        "give it as UTF-8 text\n", stdin=b"clav\xe9-1\n"),
    Row("connection edit: a PPPoE password not UTF-8", "connection edit 1 --pppoe-user ana --pppoe-password-stdin",
        1, "the PPPoE password given on stdin holds bytes that are not UTF-8", stdin=b"clav\xe9-1\n"),
    Row("router add: a secret not UTF-8", "router add r9 --kind mikrotik --host 127.0.0.3 --user admin "
        "--secret-stdin", 1, "the router password / RADIUS secret given on stdin holds bytes that are not UTF-8",
        stdin=b"clav\xe9-1\n"),
    Row("client webpass set: a password not UTF-8", "client webpass set A1 --stdin", 1,
        "the web password given on stdin holds bytes that are not UTF-8", stdin=b"clav\xe9-larga-1\n"),
    Row("config set: a secret not UTF-8", "config set smtp.password -", 1,
        "the value of smtp.password given on stdin holds bytes that are not UTF-8", stdin=b"clav\xe9-1\n"),
    Row("connection add: a PPPoE password without a PPPoE user", "connection add A1 --router r1 --ip 10.0.0.9 "
        "--pppoe-password-stdin", 1, "needs a --pppoe-user", stdin="clave-1\n"),
    Row("connection edit: a PPPoE password both given and asked for", "connection edit 1 --pppoe-user ana "
        "--pppoe-password-stdin --new-pppoe-password", 1, "not both", stdin="clave-1\n"),
    Row("plan edit: a burst not above the speed", "plan edit Hogar --down-kbps 10000 --up-kbps 2000 "
        "--burst-down-kbps 8000 --burst-up-kbps 4000 --burst-seconds 8", 1, "is not above the plan's download speed"),
    Row("plan edit: half a burst", "plan edit Hogar --burst-down-kbps 8000", 1, "--burst-seconds together"),
    Row("connection import: one bad row", "connection import {tmp}/conns.csv", 1,
        "line 3, column ip: value '10.0.0.300'", setup=_file("conns.csv", BAD_CONNECTIONS)),
    Row("connection import: IP already used", "connection import {tmp}/taken.csv", 1,
        "IP 10.0.0.2 is already used on router r1 by client A1",
        setup=_file("taken.csv", "client,router,ip\nB1,r1,10.0.0.2\n")),
    Row("connection import --skip-invalid: says what it imported", "connection import {tmp}/conns.csv --skip-invalid",
        3, "1 row invalid, skipped; 1 row valid, imported", setup=_file("conns.csv", BAD_CONNECTIONS)),
    Row("connection import --skip-invalid: no valid row", "connection import {tmp}/bad.csv --skip-invalid", 1,
        "ispcube: 1 row invalid, skipped; no valid row: nothing changed\n",
        setup=_file("bad.csv", "client,router,ip\nB1,r1,10.0.0.300\n")),
    Row("connection import --update --skip-invalid: the valid row already so",
        "connection import {tmp}/same.csv --update --skip-invalid", 1,
        "1 row invalid, skipped; the valid row is already as the file has it: nothing changed",
        setup=_file("same.csv", "client,router,ip\nA1,r1,10.0.0.2\nB1,r1,10.0.0.300\n")),
    Row("enforce: bad date", "enforce --today 2026-02-30", 1, "2026-02-30"),
    # a script whose date variable came out empty must not act as today
    Row("enforce: empty date", "enforce --today ''", 1, "--today '' is not a date"),
    Row("preaviso: empty moment", "preaviso --now ''", 1, "--now '' is not"),
    Row("enforce: unknown router", "enforce --router nope", 1, "nope"),
    Row("preaviso: bad time", "preaviso --now yesterday", 1, "yesterday"),
    Row("provision: unknown router", "provision --router nope", 1, "nope"),
    Row("provision: bad date", "provision --today 2026-02-30", 1, "2026-02-30"),
    Row("provision: empty date", "provision --today ''", 1, "--today '' is not a date"),
    Row("provision: --router with --all", "provision --router r1 --all", 2, "give --router or --all, not both"),
    Row("connection add --now: the router is down", "connection add A1 --router r1 --ip 10.0.0.9 --now", 3,
        "queued: `ispcube provision` will make it"),
    Row("notify: no mail server set", "notify", 1, "no mail server is set", setup=lambda w: w.cli("enforce")),
    Row("notify: the mail server is down", "notify", 3, "1 notice(s) wait for the next run; 0 sent stand",
        setup=_mail_server_down),
    Row("commit: date in the past", "commit A1 2020-01-01", 1, "2020-01-01"),
    Row("map: bad file type", "map --out {tmp}/map.txt", 1, "map.txt"),
    Row("cpe signal: unknown client", "cpe signal ZZ9", 1, "client 'ZZ9' does not exist"),
    Row("sim routeros: bad port", "sim routeros --port 99999", 2, "99999"),
    Row("demo: bad size", "demo --clients many", 2, "many"),
    # Stripe
    Row("stripe charge: no saved card", "stripe charge A1 10", 1, "has no saved card", stripe=True),
    Row("stripe set-card: not a payment method", "stripe set-card A1 4242424242424242", 1,
        "is not a Stripe payment method id", stripe=True),
    Row("stripe charge: declined card", "stripe charge A1 9500", 3,
        "the failed attempt is kept in `ispcube client log A1`", stripe=True,
        setup=_card("4000000000000341")),
    Row("stripe charge: the request never reached Stripe", "stripe charge A1 9500", 3,
        "stays pending, no payment recorded", stripe=True,
        setup=_both(_card("4242424242424242"), _proxy("drop_next_charge"))),
    Row("stripe charge-due: a declined card", "stripe charge-due", 3,
        "the failed attempt is kept in `ispcube client log A1`", stripe=True,
        setup=_both(_run("client", "edit", "A1", "--payment-method", "stripe"), _card("4000000000000341"))),
    Row("stripe charge-due: the only client owing has no card", "stripe charge-due", 1,
        "this run changed nothing", stripe=True, setup=_run("client", "edit", "A1", "--payment-method", "stripe")),
    Row("stripe charge-due: a collector", "--operator ana stripe charge-due", 1,
        "only an admin or an operator may charge the cards", stripe=True),
    Row("stripe link: customer stored, Checkout refused", "stripe link A1", 3,
        "(stored), but the Checkout link was not made", stripe=True, setup=_proxy("refuse_next_session")),
    Row("stripe link: Checkout refused for a known customer", "stripe link A1", 1,
        "Stripe refused to create the Checkout session", stripe=True,
        setup=_both(_run("stripe", "link", "A1"), _proxy("refuse_next_session"))),
]


def build_isp(cli) -> None:
    """The small ISP every row starts from."""
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL")
    cli.ok("postal-code", "add", "--code", "X5000", "--locality", "Córdoba")
    cli.ok("status", "add", "--name", "Activo")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    cli.ok("node", "add", "--name", "Norte")
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    cli.ok("operator", "add", "--name", "vera", "--role", "seller")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana Pérez", "--company", "1", "--collector", "ana",
           "--id-type", "DNI", "--id-number", "20123456", "--plan", "Hogar", "--postal-code", "X5000",
           "--email", "ana@example.org")
    cli.ok("client", "add", "--code", "B1", "--name", "Beto Gómez", "--company", "1", "--address", "Otra 2")
    cli.ok("ledger", "adjust", "A1", "--debit", "9500", "--reason", "abono")
    cli.ok("pay", "A1", "--cash", "100", "--cheque", "bank=Nación,number=77,amount=10,deposit=2026-12-01")
    cli.ok("router", "add", "r1", "--kind", "mikrotik", "--host", "127.0.0.1", "--port", "1", "--user", "admin",
           "--secret-env", "ISPCUBE_TEST_ROUTER_SECRET", env={"ISPCUBE_TEST_ROUTER_SECRET": "s3cret"})
    cli.ok("connection", "add", "A1", "--router", "r1", "--ip", "10.0.0.2")


def snapshot(url: str) -> dict[str, list]:
    """Every row of every table of the schema, in a stable order."""
    from ispcube.db.all_models import metadata
    from ispcube.db.engine import get_engine
    with get_engine(url).connect() as conn:
        return {table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for table in metadata.sorted_tables}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def test_the_table_spans_every_noun_of_the_cli():
    import typer

    from ispcube.cli.main import app
    group = typer.main.get_command(app)
    nouns = set(group.commands)
    covered = {next(w for w in shlex.split(row.command) if not w.startswith("-") and w not in ("ana", "vera"))
               for row in ROWS}
    assert nouns - covered == set()
    assert len(ROWS) >= 25


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_a_failing_command_changes_nothing_or_says_what_stands(row, cli, db_url, tmp_path, request):
    build_isp(cli)
    world = World(cli, str(tmp_path))
    if row.stripe:
        world.localstripe = request.getfixturevalue("localstripe")
        world.proxy = request.getfixturevalue("proxy")
    env = {}
    if row.mercadopago:
        world.mercadopago = MercadoPagoSimulator(MP_TOKEN).start()
        request.addfinalizer(world.mercadopago.stop)
        cli.ok("config", "set", "mercadopago.url", world.mercadopago.url)
        env["ISPCUBE_MERCADOPAGO_TOKEN"] = MP_TOKEN
    if row.setup:
        row.setup(world)
    before = snapshot(db_url)
    result = cli(*shlex.split(row.command.format(tmp=tmp_path)), input=row.stdin, env=env)
    after = snapshot(db_url)
    assert result.exit_code == row.exit, f"{row.command}: exit {result.exit_code}\n{result.stderr}"
    assert row.says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    if row.exit in NOTHING_CHANGED:
        assert changed_tables(before, after) == [], f"{row.command} exited {row.exit} but changed these tables"
    elif row.exit == 3:
        assert changed_tables(before, after) != [], f"{row.command} exited 3 but changed nothing"
