"""`ispcube client ...`: the client lifecycle (C2-C7)."""

import sys
from typing import Any, Optional

import typer

from ispcube.cli.client.filters import FILTER_FLAGS, client_filter
from ispcube.cli.client.flags import CLIENT_FLAGS
from ispcube.cli.output import render_record, render_result, render_rows
from ispcube.cli.params import AMOUNT, with_flags
from ispcube.cli.state import state

client_app = typer.Typer(help="Clients: add, edit, show, list, delete, recode, restore, notes, log, tickets.",
                         no_args_is_help=True)
note_app = typer.Typer(help="Management notes (internal, never shown to the client).", no_args_is_help=True)
tickets_app = typer.Typer(help="Block or enable ticket creation from the client app.", no_args_is_help=True)
client_app.add_typer(note_app, name="note")
client_app.add_typer(tickets_app, name="tickets")

LIST_COLUMNS = ["code", "name", "address", "locality", "phones", "balance", "service", "status"]


def add(ctx: typer.Context,
        code: Optional[str] = typer.Option(None, "--code", help="Client code (default: generated)."),
        allow_duplicate: bool = typer.Option(False, "--allow-duplicate",
                                             help="Add even when the ID number or address matches "
                                                  "another client (logged)."),
        **fields: Optional[str]) -> None:
    """Add a client."""
    from ispcube.services.clients import lifecycle as clients
    shown = clients.add_client(state(ctx).runtime(), {"code": code, **fields}, allow_duplicate=allow_duplicate)
    render_result(state(ctx), shown, f"client {shown['code']} added")


def edit(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
         allow_duplicate: bool = typer.Option(False, "--allow-duplicate",
                                              help="Change even when the new ID number or address matches another "
                                                   "client (logged)."),
         **fields: Optional[str]) -> None:
    """Change a client; only the flags given change (an empty value clears a field)."""
    from ispcube.services.clients import lifecycle as clients
    shown = clients.edit_client(state(ctx).runtime(), code, fields, allow_duplicate=allow_duplicate)
    render_result(state(ctx), shown, f"client {shown['code']} changed")


client_app.command("add")(with_flags(add, CLIENT_FLAGS))
client_app.command("edit")(with_flags(edit, CLIENT_FLAGS))


@client_app.command("show")
def show(ctx: typer.Context, code: str = typer.Argument(..., help="Client code.")) -> None:
    """Show a client's profile, balance, service state, connections and last notes."""
    from ispcube.services.clients import profile as client_profile
    rt = state(ctx).runtime()
    render_record(client_profile.profile(rt, code), state(ctx).format)


def list_(
    ctx: typer.Context,
    limit: Optional[int] = typer.Option(None, "--limit", help="At most this many rows."),
    template: Optional[str] = typer.Option(None, "--template", help="Print through this listing template (listing)."),
    out: Optional[str] = typer.Option(None, "--out", help="With --template: the FILE.pdf or FILE.html to write."),
    debtors: bool = typer.Option(False, "--debtors", help="Only clients owing a debt already due (as enforce counts)."),
    balance_over: Optional[str] = typer.Option(None, "--balance-over", metavar=AMOUNT,
                                               help="Only clients whose balance is above this amount."),
    overdue_days: Optional[str] = typer.Option(None, "--overdue-days", metavar="N",
                                               help="Only clients whose oldest unpaid debit fell due N days ago "
                                                    "or more."),
    **filters: Any,
) -> None:
    """List clients; filters combine and --search applies within them."""
    from dataclasses import replace

    from ispcube.domain.money import parse_amount
    from ispcube.domain.values import parse_int_in
    from ispcube.services.clients.query import list_clients
    rt = state(ctx).runtime()
    f = replace(client_filter(filters), debtors=debtors, today=rt.today(),
                balance_over=parse_amount(balance_over, field="--balance-over", allow_negative=True,
                                          local=rt.local_formats()) if balance_over is not None else None,
                overdue_days=parse_int_in(overdue_days, 0, 36500, "--overdue-days")
                if overdue_days is not None else None)
    if template or out:
        from ispcube.cli.documents_cmd import say_document
        from ispcube.services.documents.printed import print_listing
        return say_document(state(ctx), print_listing(rt, f, template, out, limit, state(ctx).yes))
    with rt.uow() as uow:
        rows = list_clients(uow, f, rt.actor(uow), limit)
    fmt = state(ctx).format
    render_rows(rows, fmt, None if fmt != "table" else LIST_COLUMNS + (["previous_code"] if f.deleted else []))


client_app.command("list")(with_flags(list_, FILTER_FLAGS))


@client_app.command("delete")
def delete(ctx: typer.Context, codes: list[str] = typer.Argument(..., help="Client codes.")) -> None:
    """Delete clients: each is hidden under a ZZ code; nothing is lost."""
    from ispcube.services.clients import lifecycle as clients
    state(ctx).confirm(f"Delete {len(codes)} client(s) ({', '.join(codes[:5])})?")
    done = clients.delete_clients(state(ctx).runtime(), codes)
    render_result(state(ctx), {"deleted": [{"code": old, "now": new} for old, new in done]},
                  "\n".join(f"client {old} deleted (now {new})" for old, new in done))


@client_app.command("recode")
def recode(ctx: typer.Context, old: str = typer.Argument(..., help="Current code."),
           new: str = typer.Argument(..., help="New code.")) -> None:
    """Change a client's code (a deleted client is restored under the new code)."""
    from ispcube.services.clients import lifecycle as clients
    code = clients.recode_client(state(ctx).runtime(), old, new)
    render_result(state(ctx), {"previous_code": old, "code": code}, f"client {old} is now {code}")


@client_app.command("restore")
def restore(ctx: typer.Context, zz_code: str = typer.Argument(..., metavar="ZZCODE",
                                                              help="Code of the deleted client."),
            code: Optional[str] = typer.Option(None, "--code",
                                               help="Restore under this code instead of the previous one.")) -> None:
    """Bring a deleted client back under its previous code (or --code)."""
    from ispcube.services.clients import lifecycle as clients
    restored = clients.restore_client(state(ctx).runtime(), zz_code, code)
    render_result(state(ctx), {"previous_code": zz_code, "code": restored}, f"client {zz_code} restored as {restored}")


@client_app.command("log")
def log(ctx: typer.Context, code: str = typer.Argument(..., help="Client code.")) -> None:
    """The client's event log: who changed what, and when."""
    from ispcube.services.clients import profile as client_profile
    render_rows(client_profile.log(state(ctx).runtime(), code), state(ctx).format,
                ["at", "operator", "kind", "message"])


@note_app.command("add")
def note_add(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
             text: str = typer.Argument(..., help="The note; - reads it from stdin.")) -> None:
    """Add a management note (author and time are stored)."""
    from ispcube.services.clients import profile as client_profile
    note = client_profile.add_note(state(ctx).runtime(), code, sys.stdin.read() if text == "-" else text)
    render_result(state(ctx), {"client": code, **note}, f"note added to {code} at {note['at']}")


@note_app.command("list")
def note_list(ctx: typer.Context, code: str = typer.Argument(..., help="Client code.")) -> None:
    """List a client's management notes, newest first."""
    from ispcube.services.clients import profile as client_profile
    render_rows(client_profile.notes(state(ctx).runtime(), code), state(ctx).format, ["at", "author", "text"])


@tickets_app.command("block")
def tickets_block(ctx: typer.Context, codes: list[str] = typer.Argument(..., help="Client codes."),
                  message: str = typer.Option(..., "--message",
                                              help="What the client sees when a ticket is refused.")) -> None:
    """Stop clients from creating tickets in the client app."""
    from ispcube.services.clients import lifecycle as clients
    count = clients.set_tickets(state(ctx).runtime(), codes, True, message)
    render_result(state(ctx), {"clients": count, "tickets_blocked": True}, f"tickets blocked for {count} client(s)")


@tickets_app.command("enable")
def tickets_enable(ctx: typer.Context, codes: list[str] = typer.Argument(..., help="Client codes.")) -> None:
    """Let clients create tickets again."""
    from ispcube.services.clients import lifecycle as clients
    count = clients.set_tickets(state(ctx).runtime(), codes, False, None)
    render_result(state(ctx), {"clients": count, "tickets_blocked": False}, f"tickets enabled for {count} client(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(client_app, name="client")
