"""Global options, shared by every command through ctx.obj."""

from dataclasses import dataclass
import sys

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

    @property
    def interactive(self) -> bool:
        return sys.stdin.isatty()

    def runtime(self, *, check_schema: bool = True):
        from ispcube.db.engine import get_engine, normalise_url
        from ispcube.db.schema import ensure_current
        from ispcube.services.runtime import Runtime
        engine = get_engine(normalise_url(self.db))
        if check_schema:
            ensure_current(engine)
        return Runtime(engine=engine, operator=self.operator)

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


def state(ctx: typer.Context) -> State:
    return ctx.ensure_object(State)
