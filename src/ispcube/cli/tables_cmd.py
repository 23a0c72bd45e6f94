"""add/list/edit/delete for the maintenance tables, generated from their descriptions."""

from typing import Optional

import typer

from ispcube.cli.output import render_result, render_rows
from ispcube.cli.params import Flag, with_flags
from ispcube.cli.state import state
from ispcube.services.admin.table_specs import TABLES, Table


def _build(spec: Table) -> typer.Typer:
    sub = typer.Typer(help=f"Maintain {spec.title}: add, list, edit, delete.", no_args_is_help=True)

    def add(ctx: typer.Context, **values: Optional[str]) -> None:
        from ispcube.services.admin import tables
        with state(ctx).runtime().office_uow(f"change the {spec.title}") as uow:
            row = tables.add_row(uow, spec.noun, values)
        render_result(state(ctx), row, f"{spec.noun} {row[spec.key]} added")

    def list_(ctx: typer.Context) -> None:
        from ispcube.services.admin import tables
        with state(ctx).runtime().uow() as uow:
            render_rows(tables.list_rows(uow, spec.noun), state(ctx).format,
                        [c.name for c in spec.columns])

    key_help = f"The {spec.noun}'s {spec.key}."

    def edit(ctx: typer.Context, key: str = typer.Argument(..., metavar=spec.key.upper(), help=key_help),
             **values: Optional[str]) -> None:
        from ispcube.services.admin import tables
        rt = state(ctx).runtime()
        with rt.office_uow(f"change the {spec.title}") as uow:
            row = tables.edit_row(uow, rt, spec.noun, key, values)
        render_result(state(ctx), row, f"{spec.noun} {row[spec.key]} changed")

    def delete(ctx: typer.Context,
               key: str = typer.Argument(..., metavar=spec.key.upper(), help=key_help)) -> None:
        from ispcube.services.admin import tables
        state(ctx).confirm(f"Delete {spec.noun} {key}?")
        with state(ctx).runtime().office_uow(f"change the {spec.title}") as uow:
            tables.delete_row(uow, spec.noun, key)
        render_result(state(ctx), {spec.key: key, "deleted": True}, f"{spec.noun} {key} deleted")

    add.__doc__ = f"Add a {spec.noun}."
    list_.__doc__ = f"List the {spec.title}."
    edit.__doc__ = f"Change a {spec.noun}; only the options given change (an empty value clears)."
    delete.__doc__ = f"Delete a {spec.noun} that nothing uses."
    flags = [Flag(c.name, c.help, metavar=c.metavar) for c in spec.columns]
    add_flags = [Flag(c.name, c.help + (" (required)" if c.required else ""), metavar=c.metavar) for c in spec.columns]
    sub.command("add")(with_flags(add, add_flags))
    sub.command("list")(list_)
    sub.command("edit")(with_flags(edit, flags))
    sub.command("delete")(delete)
    return sub


def register(app: typer.Typer) -> None:
    for spec in TABLES.values():
        app.add_typer(_build(spec), name=spec.noun)
