"""`ispcube router ...` and `ispcube connection ...` (A4, N3): the network tables.

Secrets come from stdin (--secret-stdin) or an environment variable (--secret-env NAME),
never from a flag value that would land in the shell history.
"""

import os
from typing import Optional

import typer

from ispcube.adapters.drivers import kinds
from ispcube.cli.importing import DRY_RUN, IGNORE_COLUMN, REPORT, SKIP_INVALID, run_import_command
from ispcube.cli.output import render_record, render_result, render_rows
from ispcube.cli.state import state
from ispcube.cli.stdin_text import stdin_line

router_app = typer.Typer(help="Routers (NAS): add, list, edit, delete, test.", no_args_is_help=True)
connection_app = typer.Typer(help="Client connections: add, list, edit, delete, import.", no_args_is_help=True)
network_app = typer.Typer(help="The network as a whole: adopt an existing router's clients.", no_args_is_help=True)

ROUTER_COLUMNS = ["name", "kind", "host", "port", "api_ssl", "username", "secret", "coa_port", "node"]
CONNECTION_COLUMNS = ["id", "client", "router", "ip", "mac", "pppoe_user", "plan", "cpe_kind", "panel"]


def _secret(from_stdin: bool, env_name: Optional[str]) -> Optional[str]:
    from ispcube.errors import Invalid
    if from_stdin and env_name:
        raise Invalid("give the secret either on stdin or in an environment variable, not both")
    if from_stdin:
        return stdin_line("router password / RADIUS secret")
    if env_name:
        if env_name not in os.environ:
            raise Invalid(f"environment variable {env_name} (--secret-env) is not set")
        return os.environ[env_name]
    return None


def _router_values(kind, host, port, api_ssl, username, coa_port, node, radius_db, secret) -> dict:
    return {"kind": kind, "host": host, "port": port, "api_ssl": api_ssl, "username": username,
            "coa_port": coa_port, "node": node, "radius_db_url": radius_db, "secret": secret}


KIND = typer.Option(None, "--kind", help=f"{' or '.join(kinds())}.")
HOST = typer.Option(None, "--host", help="Host name or IP (the NAS address for RADIUS).")
PORT = typer.Option(None, "--port", help="API port (default 8728, or 8729 with --api-ssl).")
SSL = typer.Option(None, "--api-ssl/--no-api-ssl", help="Use API-SSL.")
USER = typer.Option(None, "--user", help="API user name.")
COA = typer.Option(None, "--coa-port", help="RADIUS Disconnect/CoA port (default 3799).")
NODE = typer.Option(None, "--node", help="Node the router stands at.")
RADIUS_DB = typer.Option(None, "--radius-db", help="FreeRADIUS database URL (default: ispcube's own).")
SECRET_STDIN = typer.Option(False, "--secret-stdin", help="Read the password / RADIUS secret from stdin.")
SECRET_ENV = typer.Option(None, "--secret-env", metavar="VAR",
                          help="Read the password / RADIUS secret from this environment variable.")


@router_app.command("add")
def router_add(ctx: typer.Context, name: str = typer.Argument(..., help="Router name."),
               kind: Optional[str] = KIND, host: Optional[str] = HOST, port: Optional[str] = PORT,
               api_ssl: Optional[bool] = SSL, user: Optional[str] = USER, coa_port: Optional[str] = COA,
               node: Optional[str] = NODE, radius_db: Optional[str] = RADIUS_DB,
               secret_stdin: bool = SECRET_STDIN, secret_env: Optional[str] = SECRET_ENV) -> None:
    """Add a router (MikroTik API or RADIUS NAS)."""
    from ispcube.services.network import routers
    values = _router_values(kind, host, port, api_ssl, user, coa_port, node, radius_db,
                            _secret(secret_stdin, secret_env))
    with state(ctx).runtime().office_uow("change routers") as uow:
        shown = routers.add_router(uow, name, values)
    render_result(state(ctx), shown, f"router {shown['name']} added")


@router_app.command("edit")
def router_edit(ctx: typer.Context, name: str = typer.Argument(..., help="Router name."),
                new_name: Optional[str] = typer.Option(None, "--name", help="New name."),
                kind: Optional[str] = KIND, host: Optional[str] = HOST, port: Optional[str] = PORT,
                api_ssl: Optional[bool] = SSL, user: Optional[str] = USER, coa_port: Optional[str] = COA,
                node: Optional[str] = NODE, radius_db: Optional[str] = RADIUS_DB,
                secret_stdin: bool = SECRET_STDIN, secret_env: Optional[str] = SECRET_ENV) -> None:
    """Change a router; only the options given change."""
    from ispcube.services.network import routers
    values = _router_values(kind, host, port, api_ssl, user, coa_port, node, radius_db,
                            _secret(secret_stdin, secret_env))
    with state(ctx).runtime().office_uow("change routers") as uow:
        shown = routers.edit_router(uow, name, {"name": new_name, **values})
    render_result(state(ctx), shown, f"router {shown['name']} changed")


@router_app.command("list")
def router_list(ctx: typer.Context) -> None:
    """List the routers (secrets are never shown)."""
    from ispcube.services.network import routers
    with state(ctx).runtime().uow() as uow:
        render_rows(routers.list_routers(uow), state(ctx).format, ROUTER_COLUMNS)


@router_app.command("delete")
def router_delete(ctx: typer.Context, name: str = typer.Argument(..., help="Router name.")) -> None:
    """Delete a router that no connection uses."""
    from ispcube.services.network import routers
    state(ctx).confirm(f"Delete router {name}?")
    with state(ctx).runtime().office_uow("change routers") as uow:
        dropped = routers.delete_router(uow, name)
    left = (f"; {dropped} removal(s) queued for it are dropped: what ispcube made there for connections "
            "deleted since stays on the router" if dropped else "")
    render_result(state(ctx), {"name": name, "deleted": True, "removals_dropped": dropped},
                  f"router {name} deleted{left}")


@router_app.command("test")
def router_test(ctx: typer.Context, name: str = typer.Argument(..., help="Router name.")) -> None:
    """Check reachability, login and ispcube's lists on a router."""
    from ispcube.services.network import routers
    with state(ctx).runtime().office_uow("test routers") as uow:
        render_record(routers.test_router(uow, name), state(ctx).format)


IP = typer.Option(None, "--ip", help="Client IP address on the router.")
MAC = typer.Option(None, "--mac", help="CPE MAC address.")
PPPOE = typer.Option(None, "--pppoe-user", help="PPPoE user name (the RADIUS User-Name).")
PLAN = typer.Option(None, "--plan", help="Plan of this connection.")
CPE = typer.Option(None, "--cpe-kind", help="ubiquiti, mikrotik or other.")
PANEL = typer.Option(None, "--panel", help="Router (panel NAS) holding the wireless registration.")
NOW = typer.Option(False, "--now", help="Make the connection's objects on its router at once (exit 3, and queued "
                                        "for `ispcube provision`, when the router cannot take them).")


def _shown(ctx: typer.Context, rt, shown, sentence: str, now: bool) -> None:
    """Say what was changed and, with --now, what its router was made to hold. A PPPoE
    password made by the command is shown even with --quiet: it is never shown again."""
    made = shown["new_pppoe_password"]
    if made:
        sentence = f"{sentence}; its PPPoE password, shown only this once: {made}"
    if not now:
        render_result(state(ctx), shown, sentence, answer=bool(made))
        return
    from dataclasses import asdict

    from ispcube.errors import PartialFailure
    from ispcube.services.enforcement.outcomes import Applied
    from ispcube.services.provisioning.now import provision_connection
    done = provision_connection(rt, shown["id"])
    did = "; ".join(f"{c['action']} {c['kind']} '{c['name']}'" + (f" ({c['fields']})" if c["fields"] else "")
                    for c in done.made) or "nothing to change"
    if done.status == Applied.QUEUED:
        did = f"{did}; not all made (queued)" if done.made else "not made (queued)"
    render_result(state(ctx), {**shown, "provisioned": asdict(done)}, f"{sentence}; router {done.router}: {did}",
                  answer=bool(made))
    if done.status == Applied.QUEUED:
        raise PartialFailure(f"connection {shown['id']} is saved, but router {done.router} did not take it "
                             f"({done.error}); queued: `ispcube provision` will make it")


PASSWORD_STDIN = typer.Option(False, "--pppoe-password-stdin",
                              help="Read the PPPoE password from stdin (one line).")


def _password(from_stdin: bool, new: bool = False):
    from ispcube.services.network.connections import Password
    return Password(given=stdin_line("PPPoE password") if from_stdin else None, new=new)


def _connection_values(router, ip, mac, pppoe_user, plan, cpe_kind, panel) -> dict:
    return {"router": router, "ip": ip, "mac": mac, "pppoe_user": pppoe_user, "plan": plan,
            "cpe_kind": cpe_kind, "panel": panel}


@connection_app.command("add")
def connection_add(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
                   router: Optional[str] = typer.Option(None, "--router", help="Router (required)."),
                   ip: Optional[str] = IP, mac: Optional[str] = MAC, pppoe_user: Optional[str] = PPPOE,
                   plan: Optional[str] = PLAN, cpe_kind: Optional[str] = CPE,
                   panel: Optional[str] = PANEL, now: bool = NOW,
                   pppoe_password_stdin: bool = PASSWORD_STDIN) -> None:
    """Add a connection to a client.

    A connection with a PPPoE user and no --pppoe-password-stdin gets a password made for it,
    shown in this command's output only (never again: write it down or give it to the CPE)."""
    from ispcube.services.network import connections
    rt = state(ctx).runtime()
    with rt.uow() as uow:
        shown = connections.add_connection(uow, rt, code, _connection_values(
            router, ip, mac, pppoe_user, plan, cpe_kind, panel), _password(pppoe_password_stdin))
    sentence = f"connection {shown['id']} added to client {shown['client']}"
    _shown(ctx, rt, shown, sentence, now)


@connection_app.command("edit")
def connection_edit(ctx: typer.Context, ident: str = typer.Argument(..., metavar="ID", help="Connection id."),
                    router: Optional[str] = typer.Option(None, "--router", help="Router."),
                    ip: Optional[str] = IP, mac: Optional[str] = MAC, pppoe_user: Optional[str] = PPPOE,
                    plan: Optional[str] = PLAN, cpe_kind: Optional[str] = CPE,
                    panel: Optional[str] = PANEL, now: bool = NOW,
                    pppoe_password_stdin: bool = PASSWORD_STDIN,
                    new_pppoe_password: bool = typer.Option(
                        False, "--new-pppoe-password",
                        help="Make a new PPPoE password, shown in this command's output only.")) -> None:
    """Change a connection; only the options given change (an empty value clears).

    Clearing the PPPoE user clears its password too."""
    from ispcube.services.network import connections
    rt = state(ctx).runtime()
    with rt.uow() as uow:
        shown = connections.edit_connection(uow, rt, ident, _connection_values(
            router, ip, mac, pppoe_user, plan, cpe_kind, panel), _password(pppoe_password_stdin, new_pppoe_password))
    _shown(ctx, rt, shown, f"connection {shown['id']} changed", now)


@connection_app.command("list")
def connection_list(ctx: typer.Context,
                    client: Optional[str] = typer.Option(None, "--client", help="Only this client's."),
                    router: Optional[str] = typer.Option(None, "--router", help="Only this router's.")) -> None:
    """List connections."""
    from ispcube.services.network import connections
    rt = state(ctx).runtime()
    with rt.uow() as uow:
        render_rows(connections.list_connections(uow, rt, client, router), state(ctx).format,
                    CONNECTION_COLUMNS)


@connection_app.command("import")
def connection_import(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE",
                               help="CSV (any delimiter; UTF-8 or Latin-1) or XLSX with a header row."),
    skip_invalid: bool = SKIP_INVALID,
    dry_run: bool = DRY_RUN,
    update: bool = typer.Option(False, "--update",
                                help="Rows naming a stored connection (router and IP, or router and "
                                     "PPPoE user) change it instead of being refused."),
    report: Optional[str] = REPORT,
    ignore_column: Optional[list[str]] = IGNORE_COLUMN,
) -> None:
    """Import connections from a file; every row is checked as `connection add` checks it.

    Columns: client (code, cliente), router, ip, mac, pppoe_user (usuario_pppoe, pppoe),
    pppoe_password (clave_pppoe, contraseña), plan, cpe_kind, panel; the file `connection list
    --format csv` writes is read back as it is. A row without a password gets none made (the
    CPE keeps its own: give it later with `connection edit --pppoe-password-stdin`).
    By default an invalid row means nothing is imported (exit 1). With --update, the columns
    present are set on the connections the file names (an empty cell clears the field).
    """
    from ispcube.services.imports.connections import ConnectionImport
    from ispcube.services.imports.engine import TableImportOptions
    options = TableImportOptions(skip_invalid=skip_invalid, dry_run=dry_run, update=update,
                                 ignore_columns=tuple(ignore_column or ()))
    run_import_command(ctx, ConnectionImport, file, report, options)


@connection_app.command("delete")
def connection_delete(ctx: typer.Context, ident: str = typer.Argument(..., metavar="ID",
                                                                      help="Connection id.")) -> None:
    """Delete a connection (logged in the client's log)."""
    from ispcube.services.network import connections
    state(ctx).confirm(f"Delete connection {ident}?")
    rt = state(ctx).runtime()
    with rt.uow() as uow:
        connections.delete_connection(uow, rt, ident)
    render_result(state(ctx), {"id": ident, "deleted": True}, f"connection {ident} deleted")


@network_app.command("adopt")
def network_adopt(ctx: typer.Context, router: str = typer.Argument(..., help="Router name."),
                  apply: bool = typer.Option(False, "--apply", help="Make the connections and take the matched "
                                                                     "objects as ispcube's (without --apply: "
                                                                     "only the report).")) -> None:
    """Match what a router already holds to clients, without writing to the router.

    Reads the router's PPPoE secrets, profiles, simple queues and address lists (or a RADIUS
    database's users) once. Each is matched to a client by the PPPoE user or IP of an existing
    connection, or by its comment naming a client (its code, its first word being the code, or
    the client's name); the plan by speed. With --apply, in one transaction: the missing
    connections are made (the router's password stored, never shown), existing ones completed,
    the matched objects recorded as ispcube's; running it again changes nothing.
    """
    from ispcube.services.provisioning.adopt import adopt
    st = state(ctx)
    report = adopt(st.runtime(), router, apply)
    if st.format == "json":
        render_record(report.as_dict(), "json")
        return
    for title, rows, columns in (
            ("matched", report.matched, ["kind", "name", "client", "state", "by", "connection", "plan", "note"]),
            ("unmatched (left as they are)", report.unmatched, ["kind", "name", "why"]),
            ("conflicts (left as they are)", report.conflicts, ["kind", "name", "why"])):
        if rows:
            st.say(f"{title}:")
            render_rows(rows, st.format, columns)
    st.say(report.line())


def register(app: typer.Typer) -> None:
    app.add_typer(router_app, name="router")
    app.add_typer(connection_app, name="connection")
    app.add_typer(network_app, name="network")
