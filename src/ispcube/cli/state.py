"""Global options, shared by every command through ctx.obj."""

from dataclasses import dataclass, field
import os
import sys

import click
import typer

from ispcube.errors import Refused, UsageError


@dataclass
class State:
    db: str | None = None
    operator: str = "system"
    format: str = "table"
    yes: bool = False
    quiet: bool = False
    debug: bool = False
    _warned: bool = field(default=False, repr=False)

    @property
    def interactive(self) -> bool:
        return sys.stdin.isatty()

    def runtime(self, *, check_schema: bool = True, create: bool = False):
        """The database and operator of this command; CREATE: `init` may make a new SQLite file."""
        from ispcube.db.engine import open_database
        from ispcube.db.schema import ensure_current
        from ispcube.services.process.runtime import Runtime
        database = open_database(_given_db(self.db), create=create)
        for warning in database.warnings if not self._warned else ():
            typer.echo(f"ispcube: warning: {warning}", err=True)
        self._warned = True
        if check_schema:
            ensure_current(database.engine)
        return Runtime(engine=database.engine, operator=self.operator)

    def confirm(self, question: str) -> None:
        """A destructive change: --yes, or a yes at the terminal; refused (exit 2) otherwise."""
        if self.yes:
            return
        if not self.interactive:
            raise UsageError(f"{question.rstrip('?')}: refused without --yes when not at a terminal")
        if not typer.confirm(question, default=False):
            raise Refused("cancelled, nothing changed")

    def ask(self, question: str, answer: bool | None, safe_default: bool) -> bool:
        """An optional question: the flag answers it; off a terminal the safe default does."""
        if answer is not None:
            return answer
        if not self.interactive:
            return safe_default
        return typer.confirm(question, default=safe_default)

    def say(self, text: str) -> None:
        if not self.quiet:
            typer.echo(text)


def _given_db(resolved: str | None) -> str | None:
    """The database the operator named; an empty --db or ISPCUBE_DATABASE_URL is kept empty
    (and refused) instead of falling back to the embedded database."""
    ctx = click.get_current_context(silent=True)
    option = ctx.find_root().params.get("db") if ctx is not None else None
    if option is not None and not option.strip():
        return option
    if option is None and os.environ.get("ISPCUBE_DATABASE_URL", "x").strip() == "":
        return ""
    return resolved


def program() -> str:
    """How to name ispcube in a command to copy: `ispcube` when it is on PATH, or else the
    command installed beside this Python (a virtualenv's bin/, as `make demo` leaves it)."""
    from pathlib import Path
    import shlex
    import shutil
    if shutil.which("ispcube"):
        return "ispcube"
    beside = Path(sys.executable).parent / "ispcube"
    return shlex.quote(str(beside)) if beside.is_file() else "ispcube"


def state(ctx: typer.Context) -> State:
    return ctx.ensure_object(State)
