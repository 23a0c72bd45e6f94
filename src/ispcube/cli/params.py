"""Build a command's options from data, so add and edit share one list of field flags.

Every option or argument that takes an amount or a date shows the metavar AMOUNT or DATE
(DATETIME, CHEQUE): they are read by the one money and date parser in the setting's local
formats (U1), and a test walks the command tree by these metavars.
"""

from dataclasses import dataclass
import inspect
from typing import Any, Callable, Optional

import typer

AMOUNT = "AMOUNT"          # 1.234,56 / 1234.56, read with locale.decimal
DATE = "DATE"              # 05/03/2026 in locale.dates order, or 2026-03-05
DATETIME = "DATETIME"      # a DATE, then HH:MM
CHEQUE = "CHEQUE"          # bank=..,number=..,amount=AMOUNT,deposit=DATE


@dataclass(frozen=True)
class Flag:
    name: str                 # parameter name: the field's snake_case name
    help: str
    switch: bool = False      # --x/--no-x
    on_off: bool = False      # a plain --x flag, off unless given
    short: str | None = None  # e.g. "-s"
    metavar: str | None = None

    def parameter(self) -> inspect.Parameter:
        dashed = self.name.replace("_", "-")
        decls = [f"--{dashed}/--no-{dashed}" if self.switch else f"--{dashed}"]
        if self.short:
            decls.append(self.short)
        annotation: object
        if self.on_off:
            annotation, default = bool, typer.Option(False, *decls, help=self.help)
        else:
            annotation = Optional[bool] if self.switch else Optional[str]
            default = typer.Option(None, *decls, help=self.help, metavar=self.metavar)
        return inspect.Parameter(self.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                                 default=default)


def with_flags(func: Callable[..., Any], flags: list[Flag]) -> Callable[..., Any]:
    """Append FLAGS to FUNC's own parameters (FUNC takes them as **kwargs)."""
    own = [p for p in inspect.signature(func).parameters.values() if p.kind != p.VAR_KEYWORD]
    params = own + [flag.parameter() for flag in flags]
    # Through vars(): a function's attributes are no part of its type.
    vars(func)["__signature__"] = inspect.Signature(params)
    func.__annotations__ = {p.name: p.annotation for p in params if p.annotation is not p.empty}
    return func
